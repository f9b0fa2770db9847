/* test_implicit_gpu.c - the implicit methods through the public API on the
 * GPU: the stiff test set (Robertson to 1e11, Van der Pol mu = 1000, HIRES,
 * OREGO) as sweeps in float64 against the published references, the Lorenz
 * equivalence protocol of the Julia reference in float32 for every
 * implicit method listed there, and CPU-versus-GPU differences for every
 * implicit method in both precisions (Robertson sweeps saved through the
 * dense output).
 *
 * usage: test_implicit_gpu [--backend cuda|cpu]
 * The backend under test defaults to cuda (skipped without a device unless
 * ODEON_REQUIRE_GPU=1); --backend cpu runs the same checks on the CPU. */
#include "test_util.h"

#include <math.h>

#include "backend/backend.h"
#include "harness.h"

static odeon_backend_kind tested = ODEON_BACKEND_CUDA;
static int available;

static char *read_example(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/examples/%s", ODEON_SOURCE_DIR, name);
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)len + 1);
  if (s && fread(s, 1, (size_t)len, f) != (size_t)len) {
    free(s);
    s = NULL;
  }
  if (s)
    s[len] = '\0';
  fclose(f);
  return s;
}

/* Solve `model` with parameter `param` set to values[0..runs) on
 * `backend`. Returns the status; *out the result. */
static int run_solve(const char *model, const char *param, const double *values,
                     long long runs, const odeon_options_t *opts,
                     odeon_backend_kind backend, odeon_result_t **out) {
  odeon_model_t *m = NULL;
  int st = odeon_model_from_string(model, "model", &m);
  if (st)
    return st;
  odeon_options_t o = *opts;
  o.backend = backend;
  o.timeout = 300;
  odeon_solver_t *sv = NULL;
  odeon_grid_t *g = NULL;
  st = odeon_solver_create(m, &o, &sv);
  if (!st)
    st = odeon_grid_create(m, &g);
  if (!st)
    st = odeon_grid_column(g, param, values, runs);
  if (!st) {
    odeon_dest_t d;
    memset(&d, 0, sizeof d);
    d.kind = ODEON_DEST_MEMORY;
    st = odeon_solve(sv, g, &d, out);
  }
  odeon_grid_destroy(g);
  odeon_solver_destroy(sv);
  odeon_model_destroy(m);
  return st;
}

static int setup(void **state) {
  (void)state;
  if (tested == ODEON_BACKEND_CPU) {
    available = 1;
    return 0;
  }
  odeon__backend *be = NULL;
  odeon__backend_config cfg = {.timeout = 30};
  if (odeon__backend_cuda_create(&cfg, &be) == ODEON_OK) {
    be->ops->destroy(be);
    available = 1;
    return 0;
  }
  print_message("no CUDA device: %s\n", odeon_last_error());
  const char *req = getenv("ODEON_REQUIRE_GPU");
  return req && strcmp(req, "1") == 0 ? -1 : 0;
}

#define NEED_BACKEND()                                                         \
  do {                                                                         \
    if (!available)                                                            \
      skip();                                                                  \
  } while (0)

/* ------------------------------------------------------ stiff test set */

typedef struct problem {
  const char *file, *param;
  double t_end;
  int n_states;
  const double *ref;
  double atol, rtol;
  double values[4]; /* the sweep; values[0] is the reference setting */
} problem;

static const double rober_ref[3] = {0.2083340149701255e-7,
                                    0.8333360770334713e-13, 0.9999999791665050};
static const double vdpol_ref[2] = {0.1706167732170483e1,
                                    -0.8928097010247975e0};
static const double hires_ref[8] = {
    0.7371312573325668e-3, 0.1442485726316185e-3, 0.5888729740967575e-4,
    0.1175651343283149e-2, 0.2386356198831331e-2, 0.6238968252742796e-2,
    0.2849998395185769e-2, 0.2850001604814231e-2};
static const double orego_ref[3] = {0.1000814870318523e1, 0.1228178521549917e4,
                                    0.1320554942846706e3};

static const problem problems[] = {
    {"robertson.ode",
     "k1",
     1e11,
     3,
     rober_ref,
     1e-14,
     1e-8,
     {0.04, 0.02, 0.03, 0.08}},
    {"vanderpol.ode",
     "eps",
     2.0,
     2,
     vdpol_ref,
     1e-8,
     1e-8,
     {1e-6, 1e-4, 1e-5, 3e-6}},
    {"hires.ode",
     "k10",
     321.8122,
     8,
     hires_ref,
     1e-10,
     1e-8,
     {280, 140, 200, 560}},
    {"orego.ode",
     "w",
     360.0,
     3,
     orego_ref,
     1e-8,
     1e-8,
     {0.161, 0.1, 0.13, 0.2}},
};

static void test_stiff_set(void **state) {
  (void)state;
  NEED_BACKEND();
  static const char *const methods[] = {"rodas5p", "radau_iia_5"};
  const long long runs = 256;
  double *v = malloc(sizeof(double) * runs);
  for (size_t pi = 0; pi < sizeof problems / sizeof problems[0]; pi++)
    for (int mi = 0; mi < 2; mi++) {
      const problem *pb = &problems[pi];
      char *text = read_example(pb->file);
      assert_non_null(text);
      for (long long r = 0; r < runs; r++)
        v[r] = pb->values[r % 4];
      odeon_options_t o;
      odeon_options_init(&o);
      o.algorithm = methods[mi];
      o.duration = pb->t_end;
      o.atol = pb->atol;
      o.rtol = pb->rtol;
      o.dt_min = 1e-20;
      o.outputs |= ODEON_OUT_COUNTERS;
      odeon_result_t *res = NULL;
      assert_ok(run_solve(text, pb->param, v, runs, &o, tested, &res));
      assert_int_equal(odeon_result_failed_runs(res), 0);
      size_t n = 0, nc = 0;
      double *st = output_doubles(res, "state", &n);
      double *cn = output_doubles(res, "counters", &nc);
      assert_non_null(st);
      assert_non_null(cn);
      assert_int_equal(n, (size_t)(2 * pb->n_states * runs));
      double worst = 0, steps = 0;
      for (long long r = 0; r < runs; r++) {
        steps += cn[0 * runs + r];
        if (r % 4)
          continue;
        for (int i = 0; i < pb->n_states; i++) {
          const double y = st[(pb->n_states + i) * runs + r];
          worst = fmax(worst, fabs(y - pb->ref[i]) /
                                  (pb->atol + pb->rtol * fabs(pb->ref[i])));
        }
      }
      print_message("%-14s %-12s %-5s worst error %.3g tolerances, %.1f "
                    "steps per run\n",
                    pb->file, methods[mi],
                    tested == ODEON_BACKEND_CPU ? "cpu" : "cuda", worst,
                    steps / (double)runs);
      if (!(worst <= 50.0))
        print_error("%s %s: %.3g x tolerance\n", pb->file, methods[mi], worst);
      assert_true(worst <= 50.0);
      free(st);
      free(cn);
      odeon_result_destroy(res);
      free(text);
    }
  free(v);
}

/* --------------------------------------------- Lorenz equivalence (f32) */

#define NT 1024
static double g_rho[NT], g_x[NT], g_y[NT], g_z[NT], g_scale;

static double lorenz_error(const char *method, int adaptive, double param) {
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = method;
  o.precision = ODEON_FLOAT32;
  o.duration = 1.0;
  if (adaptive) {
    o.atol = o.rtol = param;
    o.dt = 0.01;
    o.dt_min = 1e-6;
    o.dt_max = 0.5;
  } else {
    o.controller = "fixed";
    o.dt = param;
  }
  odeon_result_t *r = NULL;
  assert_ok(run_solve(nh_lorenz_model, "rho", g_rho, NT, &o, tested, &r));
  size_t n = 0;
  double *st = output_doubles(r, "state", &n);
  assert_non_null(st);
  assert_int_equal(n, 2 * 3 * NT);
  double err = 0;
  for (int i = 0; i < NT; i++) {
    double e = fmax(fabs(st[(3 + 0) * NT + i] - g_x[i]),
                    fmax(fabs(st[(3 + 1) * NT + i] - g_y[i]),
                         fabs(st[(3 + 2) * NT + i] - g_z[i])));
    err = fmax(err, e == e ? e / g_scale : INFINITY);
  }
  free(st);
  odeon_result_destroy(r);
  return err;
}

static void test_lorenz_equivalence(void **state) {
  (void)state;
  NEED_BACKEND();
  assert_int_equal(nh_lorenz_golden(g_rho, g_x, g_y, g_z), 0);
  g_scale = 0;
  for (int i = 0; i < NT; i++)
    g_scale =
        fmax(g_scale, fmax(fabs(g_x[i]), fmax(fabs(g_y[i]), fabs(g_z[i]))));
  static const char *const methods[] = {
      "backwards_euler",  "crank_nicolson",
      "trapezoidal_dirk", "implicit_midpoint",
      "sdirk_2_2",        "l_stable_sdirk_4",
      "kvaerno3",         "kvaerno5",
      "radau_iia_5",      "ros3p",
      "rodas3p",          "rosenbrock23_sciml"};
  int compared = 0, failed = 0;
  for (size_t mi = 0; mi < sizeof methods / sizeof methods[0]; mi++)
    for (int adaptive = 0; adaptive < 2; adaptive++) {
      /* without Julia's unconverged fixed-step solves (harness.h) */
      double params[13], julia[13];
      int n = nh_protocol_settings(methods[mi], adaptive, 11, 1, params, julia);
      for (int j = 0; j < n; j++) {
        double param = params[j], jul = julia[j];
        const char *mode = adaptive ? "adaptive" : "fixed";
        double ours = lorenz_error(methods[mi], adaptive, param);
        int ok = nh_within_julia(methods[mi], adaptive, param, ours, jul);
        compared++;
        failed += !ok;
        print_message("  %-20s %-8s %-10g julia %-10.4g ours %-10.4g %s\n",
                      methods[mi], mode, param, jul, ours, ok ? "ok" : "FAIL");
      }
    }
  print_message("Lorenz equivalence (implicit): %d settings compared, %d "
                "failed\n",
                compared, failed);
  assert_true(compared >= 40);
  assert_int_equal(failed, 0);
}

/* ------------------------------------------------ CPU versus the backend */

static void test_cpu_vs_backend(void **state) {
  (void)state;
  NEED_BACKEND();
  static const char *const methods[] = {
      "backwards_euler",    "crank_nicolson", "sdirk_2_2", "l_stable_sdirk_4",
      "kvaerno3",           "kvaerno5",       "ros3p",     "rodas3p",
      "rosenbrock23_sciml", "rodas4",         "rodas5p",   "radau_iia_5"};
  /* Robertson: stiff but well conditioned (no relaxation jumps whose
   * timing would turn tolerance-sized differences into O(1) pointwise
   * ones), saved every 1000 time units through the dense output */
  char *text = read_example("robertson.ode");
  assert_non_null(text);
  const long long runs = 512;
  double *v = malloc(sizeof(double) * runs);
  for (long long r = 0; r < runs; r++)
    v[r] = 0.02 + 0.06 * (double)r / (double)(runs - 1);
  int bad = 0;
  for (size_t mi = 0; mi < sizeof methods / sizeof methods[0]; mi++)
    for (int p = 0; p < 2; p++) {
      odeon_options_t o;
      odeon_options_init(&o);
      o.algorithm = methods[mi];
      o.precision = p ? ODEON_FLOAT32 : ODEON_FLOAT64;
      o.duration = 1e4;
      o.save_every = 1000;
      o.rtol = p ? 1e-4 : 1e-7;
      o.atol = p ? 1e-8 : 1e-12;
      odeon_result_t *a = NULL, *b = NULL;
      assert_ok(run_solve(text, "k1", v, runs, &o, ODEON_BACKEND_CPU, &a));
      assert_ok(run_solve(text, "k1", v, runs, &o, tested, &b));
      assert_int_equal(odeon_result_failed_runs(a), 0);
      assert_int_equal(odeon_result_failed_runs(b), 0);
      size_t na = 0, nb = 0;
      double *x = output_doubles(a, "state", &na);
      double *y = output_doubles(b, "state", &nb);
      assert_int_equal(na, nb);
      double worst = 0;
      for (size_t i = 0; i < na; i++) {
        double d = fabs(x[i] - y[i]) / (1.0 + fabs(x[i]));
        worst = d == d ? fmax(worst, d) : INFINITY;
      }
      /* different compilers contract differently (FMA); adaptive steps
       * may then differ now and then, which moves results by about the
       * method's global error at this tolerance: up to 1e3 x rtol for the
       * higher orders here, 1e4 x rtol for first-order backward Euler
       * (whose global error is far above its local tolerance) */
      const double limit =
          (strcmp(methods[mi], "backwards_euler") == 0 ? 1e4 : 1e3) * o.rtol;
      print_message("  %-20s %s max relative CPU/backend difference %.3g\n",
                    methods[mi], p ? "float32" : "float64", worst);
      if (!(worst <= limit)) {
        bad++;
        print_error("%s %s: CPU and backend differ by %.3g\n", methods[mi],
                    p ? "float32" : "float64", worst);
      }
      free(x);
      free(y);
      odeon_result_destroy(a);
      odeon_result_destroy(b);
    }
  free(v);
  free(text);
  assert_int_equal(bad, 0);
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--backend") == 0)
      tested = strcmp(argv[i + 1], "cpu") == 0 ? ODEON_BACKEND_CPU
                                               : ODEON_BACKEND_CUDA;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stiff_set),
      cmocka_unit_test(test_lorenz_equivalence),
      cmocka_unit_test(test_cpu_vs_backend),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
