/* test_api_lorenz.c - the Lorenz reference (DifferentialEquations.jl, see
 * tests/data/lorenz/README.md) through the public API alone: classical-rk4
 * over the fixed dt sweep and dormand-prince-54 over the adaptive tol sweep
 * in float32 must meet the equivalence rule (our error <= 2x Julia's where
 * Julia's lies in [4x the float32 floor, 3e-2]), and both methods show their
 * order of convergence in float64. */
#include <math.h>

#include "io/csv.h"
#include "test_util.h"

static odeon__csv_table golden;
static double scale;
static odeon_model_t *model;

static int setup(void **state) {
  (void)state;
  if (odeon__csv_read(ODEON_TEST_DATA "/lorenz/golden.csv", &golden) !=
      ODEON_OK)
    return -1;
  scale = 0;
  for (int c = 2; c < 5; c++)
    for (int64_t i = 0; i < golden.n_rows; i++)
      scale = fmax(scale, fabs(golden.cols[c][i]));
  return odeon_model_from_string(ODEON_TEST_LORENZ, "lorenz", &model);
}

static int teardown(void **state) {
  (void)state;
  odeon__csv_free(&golden);
  odeon_model_destroy(model);
  return 0;
}

/* Julia's error for (method, mode, param) from julia_errors.csv, or -1. */
static double julia_error(const char *method, const char *mode, double param) {
  FILE *f = fopen(ODEON_TEST_DATA "/lorenz/julia_errors.csv", "r");
  assert_non_null(f);
  char line[256], m[64], md[32];
  double p, e, found = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "%63[^,],%31[^,],%lf,%lf", m, md, &p, &e) == 4 &&
        strcmp(m, method) == 0 && strcmp(md, mode) == 0 &&
        fabs(p - param) <= 1e-6 * fabs(param))
      found = e;
  fclose(f);
  return found;
}

/* Max over runs and components of |final - golden| / scale. */
static double solve_error(const char *method, int adaptive, double param,
                          odeon_precision precision) {
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = method;
  o.precision = precision;
  o.backend = ODEON_BACKEND_CPU;
  o.duration = 1.0;
  if (adaptive) {
    o.atol = o.rtol = param;
    o.dt = 0.01; /* the reference's pins */
    o.dt_min = 1e-6;
    o.dt_max = 0.5;
  } else {
    o.dt = param;
  }
  odeon_grid_t *grid;
  odeon_solver_t *solver;
  odeon_result_t *res;
  assert_ok(odeon_grid_create(model, &grid));
  assert_ok(odeon_grid_column(grid, "rho", golden.cols[1], golden.n_rows));
  assert_ok(odeon_solver_create(model, &o, &solver));
  assert_ok(odeon_solve(solver, grid, NULL, &res));
  odeon_array_view v;
  assert_ok(odeon_result_output(res, "state", &v));
  assert_int_equal(v.ndim, 3);
  assert_int_equal(v.shape[0], 2);
  assert_int_equal(v.shape[1], 3);
  assert_int_equal(v.shape[2], golden.n_rows);
  assert_int_equal(odeon_result_failed_runs(res), 0);
  int64_t n = v.shape[2];
  double err = 0;
  for (int c = 0; c < 3; c++)
    for (int64_t r = 0; r < n; r++) {
      int64_t i = (1 * 3 + c) * n + r; /* sample 1 = t = 1 */
      double ours = precision == ODEON_FLOAT32
                        ? (double)((const float *)v.data)[i]
                        : ((const double *)v.data)[i];
      err = fmax(err, fabs(ours - golden.cols[2 + c][r]) / scale);
    }
  odeon_result_destroy(res);
  odeon_solver_destroy(solver);
  odeon_grid_destroy(grid);
  return err;
}

static void equivalence(const char *method, int adaptive) {
  const char *mode = adaptive ? "adaptive" : "fixed";
  int checked = 0;
  for (int k = 0; k < 13; k++) {
    double param = adaptive ? pow(10.0, -2 - k) : ldexp(1.0, -1 - k);
    if (adaptive && k > 4)
      break;
    double je = julia_error(method, mode, param);
    assert_true(je >= 0);
    if (!(je >= 4 * 4e-6 && je <= 3e-2))
      continue;
    double ours = solve_error(method, adaptive, param, ODEON_FLOAT32);
    print_message("%s %s %g: ours %.3e julia %.3e\n", method, mode, param, ours,
                  je);
    assert_true(ours <= 2 * je);
    checked++;
  }
  assert_true(checked >= 2); /* the rule must have bitten somewhere */
}

static void test_rk4_fixed_equivalence(void **state) {
  (void)state;
  equivalence("classical-rk4", 0);
}

static void test_dp54_adaptive_equivalence(void **state) {
  (void)state;
  equivalence("dormand-prince-54", 1);
}

/* Order of convergence in float64: halving dt cuts the error by ~2^p. */
static void test_rk4_order(void **state) {
  (void)state;
  double e1 = solve_error("classical-rk4", 0, ldexp(1, -7), ODEON_FLOAT64);
  double e2 = solve_error("classical-rk4", 0, ldexp(1, -8), ODEON_FLOAT64);
  double e3 = solve_error("classical-rk4", 0, ldexp(1, -9), ODEON_FLOAT64);
  double p1 = log2(e1 / e2), p2 = log2(e2 / e3);
  print_message("rk4 observed orders %.2f %.2f\n", p1, p2);
  assert_true(p1 > 3.6 && p1 < 4.4);
  assert_true(p2 > 3.6 && p2 < 4.4);
}

/* For an adaptive method: run at fixed steps (controller "fixed") so the
 * order of the propagated solution shows. */
static void test_dp54_order(void **state) {
  (void)state;
  odeon_options_t o;
  double e[3];
  for (int k = 0; k < 3; k++) {
    odeon_options_init(&o);
    o.algorithm = "dormand-prince-54";
    o.controller = "fixed";
    o.dt = ldexp(1, -6 - k);
    o.backend = ODEON_BACKEND_CPU;
    odeon_grid_t *grid;
    odeon_solver_t *solver;
    odeon_result_t *res;
    assert_ok(odeon_grid_create(model, &grid));
    assert_ok(odeon_grid_column(grid, "rho", golden.cols[1], golden.n_rows));
    assert_ok(odeon_solver_create(model, &o, &solver));
    assert_ok(odeon_solve(solver, grid, NULL, &res));
    odeon_array_view v;
    assert_ok(odeon_result_output(res, "state", &v));
    int64_t n = v.shape[2];
    e[k] = 0;
    for (int c = 0; c < 3; c++)
      for (int64_t r = 0; r < n; r++)
        e[k] = fmax(e[k], fabs(((const double *)v.data)[(3 + c) * n + r] -
                               golden.cols[2 + c][r]) /
                              scale);
    odeon_result_destroy(res);
    odeon_solver_destroy(solver);
    odeon_grid_destroy(grid);
  }
  double p1 = log2(e[0] / e[1]), p2 = log2(e[1] / e[2]);
  print_message("dp54 observed orders %.2f %.2f\n", p1, p2);
  assert_true(p1 > 4.5 && p1 < 5.6);
  assert_true(p2 > 4.5 && p2 < 5.6);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rk4_fixed_equivalence),
      cmocka_unit_test(test_dp54_adaptive_equivalence),
      cmocka_unit_test(test_rk4_order),
      cmocka_unit_test(test_dp54_order),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
