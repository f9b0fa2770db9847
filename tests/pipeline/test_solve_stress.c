/* test_solve_stress.c - the engine driven through the public API with the
 * real generated kernels (model -> codegen -> core -> cc -> dlopen): several
 * threads, each with its own solver, solve one Lorenz sweep again and again
 * with random device budgets (forcing small chunks and time windows), pinned
 * caps, chunk sizes, slot counts and thread counts, for a bounded time. Every
 * output must equal a one-chunk reference bit for bit. */
#include <pthread.h>
#include <unistd.h>

#include "test_util.h"

#include "backend/backend.h"

#define N_THREADS 3

static const char *const model_text = "states: x = 1.385, y = -0.25, z = 2.5\n"
                                      "parameters: rho = 21, sigma = 10\n"
                                      "constants: beta = 8/3\n"
                                      "dx = sigma*(y - x)\n"
                                      "dy = x*(rho - z) - y\n"
                                      "dz = x*y - beta*z\n";

static const char *const compared[] = {"state", "status", "counters",
                                       "summaries"};
#define N_COMPARED 4

typedef struct shared {
  odeon_model_t *model;
  odeon_grid_t *grid;
  odeon_result_t *ref;
  double until;
} shared;

typedef struct worker {
  shared *sh;
  unsigned seed;
  int solves, errors, wrong;
  char msg[600];
} worker;

static void set_options(odeon_options_t *o) {
  odeon_options_init(o);
  o->algorithm = "tsit5";
  o->atol = o->rtol = 1e-7;
  o->duration = 1.5;
  o->save_every = 0.05;
  o->summarise_every = 0.25;
  o->outputs = ODEON_OUT_STATE | ODEON_OUT_STATUS | ODEON_OUT_COUNTERS |
               ODEON_OUT_SUMMARIES;
  o->summaries = "mean,max";
  o->backend = ODEON_BACKEND_CPU;
  o->threads = 2;
  o->timeout = 60;
}

/* 0 if every compared output of a equals b bit for bit. */
static int differs(const odeon_result_t *a, const odeon_result_t *b) {
  for (int i = 0; i < N_COMPARED; i++)
    if (!output_bits_equal(a, b, compared[i]))
      return i + 1;
  return 0;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  shared *sh = w->sh;
  while (odeon__now() < sh->until) {
    odeon_options_t o;
    set_options(&o);
    o.threads = 1 + (int)(rand_r(&w->seed) % 3);
    o.device_memory = 3000 + rand_r(&w->seed) % 200000;
    o.pinned_memory = 3000 + rand_r(&w->seed) % 200000;
    o.chunk_runs = rand_r(&w->seed) % 2 ? 0 : 1 + rand_r(&w->seed) % 40;
    o.slots = 1 + (int)(rand_r(&w->seed) % 4);
    odeon_solver_t *s = NULL;
    odeon_result_t *r = NULL;
    int st = odeon_solver_create(sh->model, &o, &s);
    for (int k = 0; !st && k < 3; k++) { /* one solver, several solves */
      st = odeon_solve(s, sh->grid, NULL, &r);
      w->solves++;
      if (!st && differs(r, sh->ref))
        w->wrong++;
      odeon_result_destroy(r);
      r = NULL;
    }
    if (st && !w->errors++)
      snprintf(w->msg, sizeof w->msg, "%s: %s", odeon_status_name(st),
               odeon_last_error());
    odeon_solver_destroy(s);
  }
  return NULL;
}

static void threads_of_solvers(void **state) {
  (void)state;
  shared sh;
  memset(&sh, 0, sizeof sh);
  assert_ok(odeon_model_from_string(model_text, "stress", &sh.model));
  assert_ok(odeon_grid_create(sh.model, &sh.grid));
  double rho[12], sigma[4] = {8.5, 10.0, 11.25, 13.0};
  for (int i = 0; i < 12; i++)
    rho[i] = 2.385 + 2.5 * i;
  assert_ok(odeon_grid_sweep(sh.grid, "rho", rho, 12));
  assert_ok(odeon_grid_sweep(sh.grid, "sigma", sigma, 4));
  odeon_options_t o;
  set_options(&o);
  o.chunk_runs = 48; /* the reference: one chunk, one launch */
  odeon_solver_t *s = NULL;
  assert_ok(odeon_solver_create(sh.model, &o, &s));
  assert_ok(odeon_solve(s, sh.grid, NULL, &sh.ref));
  odeon_solver_destroy(s);
  const char *secs = getenv("ODEON_STRESS_SECONDS");
  sh.until = odeon__now() + (secs ? atof(secs) : 3.0);
  worker w[N_THREADS];
  pthread_t tid[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].sh = &sh;
    w[i].seed = (unsigned)(getpid() * 31 + i);
    assert_int_equal(pthread_create(&tid[i], NULL, worker_main, &w[i]), 0);
  }
  int solves = 0;
  for (int i = 0; i < N_THREADS; i++) {
    pthread_join(tid[i], NULL);
    if (w[i].errors)
      print_error("thread %d: %d errors, first: %s\n", i, w[i].errors,
                  w[i].msg);
    assert_int_equal(w[i].errors, 0);
    assert_int_equal(w[i].wrong, 0);
    solves += w[i].solves;
  }
  print_message("%d solves in %d threads\n", solves, N_THREADS);
  assert_true(solves >= N_THREADS);
  odeon_result_destroy(sh.ref);
  odeon_grid_destroy(sh.grid);
  odeon_model_destroy(sh.model);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(threads_of_solvers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
