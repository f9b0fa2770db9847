/* test_api_drivers.c - drivers through the public API: samples given with
 * odeon_grid_driver reach the model as cubic splines (shared by every run
 * or one series per run, periodic ends wrapping in time), and every kind of
 * bad driver input gets a clear error. */
#include <math.h>

#include "test_util.h"

/* x' = u(t), so x(T) is the integral of the driver. */
static const char *integrator = "states: x = 0\n"
                                "drivers: u\n"
                                "dx = u\n";

static odeon_result_t *solve(odeon_model_t *m, odeon_grid_t *g, double T,
                             int expect_status) {
  odeon_options_t o;
  odeon_options_init(&o);
  o.backend = ODEON_BACKEND_CPU;
  o.algorithm = "dormand-prince-54";
  o.atol = o.rtol = 1e-11;
  o.duration = T;
  odeon_solver_t *s;
  odeon_result_t *r = NULL;
  assert_ok(odeon_solver_create(m, &o, &s));
  assert_status(odeon_solve(s, g, NULL, &r), expect_status);
  odeon_solver_destroy(s);
  return r;
}

static double final_x(const odeon_result_t *r, int64_t run) {
  odeon_array_view v;
  assert_ok(odeon_result_output(r, "state", &v));
  int64_t n = v.shape[2];
  return ((const double *)v.data)[(v.shape[0] - 1) * n + run];
}

static void test_shared_and_per_run(void **state) {
  (void)state;
  odeon_model_t *m;
  assert_ok(odeon_model_from_string(integrator, "integrator", &m));
  assert_int_equal(odeon_model_count(m, ODEON_SYM_DRIVER), 1);
  odeon_grid_t *g;
  assert_ok(odeon_grid_create(m, &g));
  double x0[] = {0, 2.385, -1};
  assert_ok(odeon_grid_sweep(g, "x", x0, 3));
  /* u(t) = 3 t^2 - 2.385 t + 0.5 on [0, 1.5], 16 samples: a not-a-knot
     spline reproduces it exactly, so x(1.5) is exact */
  enum { N = 16 };
  double dt = 0.1, u[3 * N];
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < N; k++) {
      double t = k * dt;
      u[r * N + k] = (r + 1) * (3 * t * t - 2.385 * t + 0.5);
    }
  assert_ok(odeon_grid_driver(g, "u", 0.0, dt, u, N, 1, "not-a-knot"));
  odeon_result_t *r = solve(m, g, 1.5, ODEON_OK);
  double T = 1.5, integral = T * T * T - 2.385 * T * T / 2 + 0.5 * T;
  for (int run = 0; run < 3; run++)
    assert_true(fabs(final_x(r, run) - (x0[run] + integral)) < 1e-8);
  odeon_result_destroy(r);
  /* one series per run replaces the shared one */
  assert_ok(odeon_grid_driver(g, "u", 0.0, dt, u, N, 3, "not-a-knot"));
  r = solve(m, g, 1.5, ODEON_OK);
  for (int run = 0; run < 3; run++)
    assert_true(fabs(final_x(r, run) - (x0[run] + (run + 1) * integral)) <
                1e-8);
  odeon_result_destroy(r);
  odeon_grid_destroy(g);
  odeon_model_destroy(m);
}

static void test_periodic_wraps(void **state) {
  (void)state;
  odeon_model_t *m;
  assert_ok(odeon_model_from_string(integrator, "integrator", &m));
  odeon_grid_t *g;
  assert_ok(odeon_grid_create(m, &g));
  /* one period of cos(2 pi t) + 1 over [0, 1]; integrate 2.5 periods */
  enum { N = 201 };
  double u[N];
  for (int k = 0; k < N; k++)
    u[k] = cos(2 * M_PI * k / (N - 1.0)) + 1;
  u[N - 1] = u[0];
  assert_ok(odeon_grid_driver(g, "u", 0.0, 1.0 / (N - 1), u, N, 1, "periodic"));
  odeon_result_t *r = solve(m, g, 2.5, ODEON_OK);
  assert_int_equal(odeon_result_failed_runs(r), 0);
  assert_true(fabs(final_x(r, 0) - 2.5) < 1e-6);
  odeon_result_destroy(r);
  odeon_grid_destroy(g);
  odeon_model_destroy(m);
}

static void test_bad_drivers(void **state) {
  (void)state;
  odeon_model_t *m;
  assert_ok(odeon_model_from_string(integrator, "integrator", &m));
  odeon_grid_t *g;
  assert_ok(odeon_grid_create(m, &g));
  double u[4] = {1, 2.385, 3, 1};
  /* a solve without the driver's samples says which driver */
  odeon_options_t o;
  odeon_options_init(&o);
  o.backend = ODEON_BACKEND_CPU;
  odeon_solver_t *s;
  odeon_result_t *r = NULL;
  assert_ok(odeon_solver_create(m, &o, &s));
  assert_status(odeon_solve(s, g, NULL, &r), ODEON_E_INVAL);
  assert_error_contains("driver 'u' has no samples");
  assert_status(odeon_grid_driver(g, "u", 0, 0.0, u, 4, 1, NULL),
                ODEON_E_INVAL);
  assert_error_contains("spacing");
  assert_status(odeon_grid_driver(g, "u", 0, 0.1, u, 1, 1, NULL),
                ODEON_E_INVAL);
  assert_error_contains("at least 2 samples");
  assert_status(odeon_grid_driver(g, "u", 0, 0.1, u, 4, 1, "cubic"),
                ODEON_E_INVAL);
  assert_error_contains("cubic");
  double bad[3] = {1, NAN, 2};
  assert_status(odeon_grid_driver(g, "u", 0, 0.1, bad, 3, 1, NULL),
                ODEON_E_INVAL);
  assert_error_contains("sample 1 of series 0 is not finite");
  assert_status(odeon_grid_driver(g, "u", 0, 0.1, u, 3, 1, "periodic"),
                ODEON_E_INVAL);
  assert_error_contains("periodic");
  assert_status(odeon_grid_driver(g, "", 0, 0.1, u, 4, 1, NULL), ODEON_E_INVAL);
  /* unknown name and a wrong number of series surface at solve time */
  assert_ok(odeon_grid_driver(g, "w", 0, 0.1, u, 4, 1, NULL));
  assert_status(odeon_solve(s, g, NULL, &r), ODEON_E_INVAL);
  assert_error_contains("driver 'w'");
  odeon_grid_destroy(g);
  assert_ok(odeon_grid_create(m, &g));
  assert_ok(odeon_grid_driver(g, "u", 0, 0.1, u, 2, 2, NULL));
  assert_status(odeon_solve(s, g, NULL, &r), ODEON_E_INVAL);
  assert_error_contains("2 series for a grid of 1 runs");
  assert_null(r);
  odeon_solver_destroy(s);
  odeon_grid_destroy(g);
  odeon_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shared_and_per_run),
      cmocka_unit_test(test_periodic_wraps),
      cmocka_unit_test(test_bad_drivers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
