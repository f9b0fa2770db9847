/* test_grid.c - grids: verbatim columns (paired, length 1 broadcast),
 * Cartesian sweeps (last fastest), defaults, 64-bit run indices up to 10^8
 * and beyond without materialising anything, and every argument error. */
#include "test_util.h"

#include "engine/grid.h"

static const char *const states[] = {"x", "y", "z"};
static const char *const params[] = {"rho", "sigma"};
static const double sdef[] = {1.25, 0.0, -3.5};
static const double pdef[] = {21.0, 10.0};

static odeon_grid_t *make(void) {
  odeon_grid_t *g = NULL;
  assert_ok(odeon__grid_create_vars(3, states, sdef, 2, params, pdef, &g));
  return g;
}

static double at(const odeon_grid_t *g, const char *name, int64_t run) {
  double v = -999;
  assert_ok(odeon_grid_value(g, name, run, &v));
  return v;
}

static void defaults_only(void **state) {
  (void)state;
  odeon_grid_t *g = make();
  assert_int_equal(odeon_grid_runs(g), 1);
  assert_true(at(g, "z", 0) == -3.5);
  assert_true(at(g, "sigma", 0) == 10.0);
  odeon_grid_destroy(g);
}

static void verbatim_and_broadcast(void **state) {
  (void)state;
  odeon_grid_t *g = make();
  double x[4] = {2.385, 3.5, -1.25, 7.0}, rho[4] = {28.5, 13.0, 99.5, 0.125};
  double one = 4.75;
  assert_ok(odeon_grid_column(g, "x", x, 4));
  assert_ok(odeon_grid_column(g, "rho", rho, 4));
  assert_ok(odeon_grid_column(g, "y", &one, 1));
  assert_int_equal(odeon_grid_runs(g), 4);
  for (int r = 0; r < 4; r++) {
    assert_true(at(g, "x", r) == x[r]);
    assert_true(at(g, "rho", r) == rho[r]); /* paired run by run */
    assert_true(at(g, "y", r) == 4.75);     /* broadcast */
    assert_true(at(g, "z", r) == -3.5);     /* default */
  }
  /* unequal lengths cannot pair */
  double bad[3] = {1, 2, 3};
  assert_status(odeon_grid_column(g, "sigma", bad, 3), ODEON_E_INVAL);
  assert_error_contains("equal lengths");
  assert_int_equal(odeon_grid_runs(g), 4); /* unchanged */
  odeon_grid_destroy(g);
}

static void cartesian_product(void **state) {
  (void)state;
  odeon_grid_t *g = make();
  double x[2] = {0.5, 1.5}, rho[3] = {10.5, 20.5, 30.5}, sig[4] = {1, 2, 3, 4};
  assert_ok(odeon_grid_column(g, "x", x, 2));
  assert_ok(odeon_grid_sweep(g, "rho", rho, 3));
  assert_ok(odeon_grid_sweep(g, "sigma", sig, 4));
  assert_int_equal(odeon_grid_runs(g), 2 * 3 * 4);
  for (int r = 0; r < 24; r++) {
    assert_true(at(g, "x", r) == x[r / 12]);
    assert_true(at(g, "rho", r) == rho[(r / 4) % 3]);
    assert_true(at(g, "sigma", r) == sig[r % 4]); /* last sweep fastest */
  }
  /* fill agrees with value, in both precisions, from any offset */
  for (int first = 0; first < 24; first += 5) {
    int n = 24 - first < 7 ? 24 - first : 7;
    double d[7];
    float fl[7];
    assert_ok(odeon__grid_fill(g, ODEON_SYM_PARAMETER, 0, first, n, 8, d));
    assert_ok(odeon__grid_fill(g, ODEON_SYM_PARAMETER, 1, first, n, 4, fl));
    for (int i = 0; i < n; i++) {
      assert_true(d[i] == at(g, "rho", first + i));
      assert_true(fl[i] == (float)at(g, "sigma", first + i));
    }
    assert_ok(odeon__grid_fill(g, ODEON_SYM_STATE, 0, first, n, 8, d));
    for (int i = 0; i < n; i++)
      assert_true(d[i] == at(g, "x", first + i));
  }
  assert_status(
      odeon__grid_fill(g, ODEON_SYM_STATE, 0, 20, 5, 8, (double[5]){0}),
      ODEON_E_INTERNAL);
  odeon_grid_destroy(g);
}

static void hundred_million_runs(void **state) {
  (void)state;
  odeon_grid_t *g = make();
  enum { N = 10000 };
  double *v = malloc(N * sizeof *v);
  for (int i = 0; i < N; i++)
    v[i] = 2.385 + i;
  assert_ok(odeon_grid_sweep(g, "rho", v, N));
  assert_ok(odeon_grid_sweep(g, "x", v, N));
  assert_int_equal(odeon_grid_runs(g), 100000000LL);
  int64_t run = 99999999LL;
  assert_true(at(g, "rho", run) == v[N - 1]);
  assert_true(at(g, "x", run) == v[N - 1]);
  run = 12345678LL;
  assert_true(at(g, "rho", run) == v[1234]);
  assert_true(at(g, "x", run) == v[5678]);
  double d[16];
  assert_ok(odeon__grid_fill(g, ODEON_SYM_STATE, 0, 99999990LL, 10, 8, d));
  for (int i = 0; i < 10; i++)
    assert_true(d[i] == v[9990 + i]);
  assert_ok(odeon__grid_fill(g, ODEON_SYM_PARAMETER, 0, 99999990LL, 10, 8, d));
  for (int i = 0; i < 10; i++)
    assert_true(d[i] == v[N - 1]);
  /* a third sweep: 10^12 runs, index math past 32 bits */
  assert_ok(odeon_grid_sweep(g, "y", v, N));
  assert_int_equal(odeon_grid_runs(g), 1000000000000LL);
  run = 987654321012LL;
  assert_true(at(g, "rho", run) == v[9876]);
  assert_true(at(g, "x", run) == v[5432]);
  assert_true(at(g, "y", run) == v[1012]);
  /* a fourth makes 10^16; a fifth would pass 2^63: refused, unchanged */
  assert_ok(odeon_grid_sweep(g, "z", v, N));
  assert_int_equal(odeon_grid_runs(g), 10000000000000000LL);
  assert_status(odeon_grid_sweep(g, "sigma", v, N), ODEON_E_RANGE);
  assert_error_contains("2^63");
  assert_int_equal(odeon_grid_runs(g), 10000000000000000LL);
  assert_true(at(g, "z", 10000000000000000LL - 1) == v[N - 1]);
  free(v);
  odeon_grid_destroy(g);
}

static void argument_errors(void **state) {
  (void)state;
  odeon_grid_t *g = make();
  double v[2] = {1.5, 2.5}, nan = 0.0 / 0.0;
  assert_status(odeon_grid_column(g, "nope", v, 2), ODEON_E_INVAL);
  assert_error_contains("'nope' is not a state or parameter");
  assert_status(odeon_grid_column(g, "x", v, 0), ODEON_E_INVAL);
  assert_status(odeon_grid_column(g, "x", NULL, 2), ODEON_E_INVAL);
  assert_status(odeon_grid_sweep(g, "x", (double[]){1.0, nan}, 2),
                ODEON_E_INVAL);
  assert_error_contains("not finite");
  assert_ok(odeon_grid_sweep(g, "x", v, 2));
  assert_status(odeon_grid_column(g, "x", v, 2), ODEON_E_INVAL);
  assert_error_contains("already has values");
  double out;
  assert_status(odeon_grid_value(g, "x", 2, &out), ODEON_E_RANGE);
  assert_status(odeon_grid_value(g, "x", -1, &out), ODEON_E_RANGE);
  assert_status(odeon_grid_value(g, "q", 0, &out), ODEON_E_INVAL);
  assert_true(odeon_grid_runs(NULL) < 0);
  assert_status(odeon_grid_column(NULL, "x", v, 2), ODEON_E_INVAL);
  odeon_grid_destroy(g);
  odeon_grid_destroy(NULL);
  /* unnamed variables get y0.., p0.. */
  assert_ok(odeon__grid_create_vars(2, NULL, NULL, 1, NULL, NULL, &g));
  assert_ok(odeon_grid_column(g, "y1", v, 2));
  assert_ok(odeon_grid_column(g, "p0", v, 1));
  assert_true(at(g, "y1", 1) == 2.5);
  assert_true(at(g, "y0", 1) == 0.0);
  odeon_grid_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(defaults_only),
      cmocka_unit_test(verbatim_and_broadcast),
      cmocka_unit_test(cartesian_product),
      cmocka_unit_test(hundred_million_runs),
      cmocka_unit_test(argument_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
