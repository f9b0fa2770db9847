/* test_stress.c - many threads x many solves for a bounded time, with
 * random tiny device budgets, pinned caps, chunk sizes, time windows, slot
 * counts and random cancels, some threads sharing one backend: no hang,
 * every solve either bitwise correct or cancelled, no thread left behind.
 * CTest runs several copies of this program at once (ctest -j). */
#include <pthread.h>
#include <unistd.h>

#include "test_util.h"

#include "pipeline_kernel.h"

#define ROWS 3
#define NK 4
#define NC 5
#define N_THREADS 4

typedef struct shared {
  pk_env shared_env; /* used by the even threads */
  pk_ref ref;
  odeon_grid_t *grid;
  double until;
} shared;

typedef struct worker {
  shared *sh;
  unsigned seed;
  int solves, cancels, wrong, errors;
  char first_error[512];
} worker;

typedef struct cancel_at {
  int calls, at;
} cancel_at;

static int cancel_cb(int64_t runs, int64_t total, int64_t bytes,
                     int64_t bytes_total, void *user) {
  cancel_at *c = user;
  return c->at && ++c->calls >= c->at;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  shared *sh = w->sh;
  pk_env own, *env = &sh->shared_env;
  int has_own = 0;
  if (w->seed % 2) {
    /* an own backend with a small "device" and 1..3 pool threads */
    size_t budget = 4000 + (size_t)(rand_r(&w->seed) % 60000);
    if (pk_open(&own, 1 + rand_r(&w->seed) % 3, budget, 8, 30)) {
      snprintf(w->first_error, sizeof w->first_error, "open: %s",
               odeon_last_error());
      w->errors++;
      return NULL;
    }
    env = &own;
    has_own = 1;
  }
  while (odeon__now() < sh->until) {
    odeon__engine_request req;
    pk_request(&req, env, sh->grid);
    req.device_budget = 1500 + rand_r(&w->seed) % 40000;
    req.pinned_cap = 1500 + (size_t)(rand_r(&w->seed) % 40000);
    req.chunk_runs = rand_r(&w->seed) % 3 ? 0 : 1 + rand_r(&w->seed) % 60;
    req.window_samples =
        rand_r(&w->seed) % 2 ? 0 : 1 + rand_r(&w->seed) % PK_SAMPLES;
    req.slots = 1 + rand_r(&w->seed) % 4;
    cancel_at c = {0, rand_r(&w->seed) % 5 ? 0 : 1 + rand_r(&w->seed) % 8};
    req.progress = cancel_cb;
    req.progress_user = &c;
    odeon_result_t *res = NULL;
    int st = odeon__engine_solve(&req, &res);
    w->solves++;
    if (st == ODEON_E_CANCELLED && c.at) {
      w->cancels++;
    } else if (st) {
      if (!w->errors++)
        snprintf(w->first_error, sizeof w->first_error, "%s: %s",
                 odeon_status_name(st), odeon_last_error());
    } else if (pk_compare(res, &sh->ref, 8)) {
      w->wrong++;
    }
    odeon_result_destroy(res);
  }
  if (has_own)
    pk_close(&own);
  return NULL;
}

static void many_threads_many_solves(void **state) {
  (void)state;
  shared sh;
  memset(&sh, 0, sizeof sh);
  assert_ok(pk_open(&sh.shared_env, 2, 0, 8, 30));
  assert_ok(pk_reference(&sh.shared_env, ROWS, NK, NC, &sh.ref));
  sh.grid = pk_grid(ROWS, NK, NC);
  assert_non_null(sh.grid);
  const char *secs = getenv("ODEON_STRESS_SECONDS");
  int base_threads = pk_threads();
  sh.until = odeon__now() + (secs ? atof(secs) : 3.0);
  worker w[N_THREADS];
  pthread_t tid[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].sh = &sh;
    w[i].seed = (unsigned)(getpid() * 7919 + i);
    assert_int_equal(pthread_create(&tid[i], NULL, worker_main, &w[i]), 0);
  }
  int solves = 0, cancels = 0;
  for (int i = 0; i < N_THREADS; i++) {
    pthread_join(tid[i], NULL);
    if (w[i].errors)
      print_error("thread %d: %d errors, first: %s\n", i, w[i].errors,
                  w[i].first_error);
    assert_int_equal(w[i].errors, 0);
    assert_int_equal(w[i].wrong, 0);
    solves += w[i].solves;
    cancels += w[i].cancels;
  }
  print_message("%d solves (%d cancelled) in %d threads\n", solves, cancels,
                N_THREADS);
  assert_true(solves >= N_THREADS);
  assert_int_equal(pk_threads_settled(base_threads), base_threads);
  odeon_grid_destroy(sh.grid);
  pk_ref_free(&sh.ref);
  pk_close(&sh.shared_env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(many_threads_many_solves),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
