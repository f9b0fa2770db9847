/* test_api_args.c - every public entry point checks its arguments: NULL
 * handles, options not set up by odeon_options_init, and bad option values
 * return a status with a message naming the argument, never abort. */
#include <math.h>

#include "test_util.h"

static const char *lorenz = ODEON_TEST_LORENZ;

static void test_null_arguments(void **state) {
  (void)state;
  odeon_model_t *m = NULL;
  odeon_solver_t *s = NULL;
  odeon_result_t *r = NULL;
  odeon_options_t o;
  odeon_options_init(&o);
  assert_status(odeon_model_from_string(NULL, NULL, &m), ODEON_E_INVAL);
  assert_status(odeon_model_from_string(lorenz, NULL, NULL), ODEON_E_INVAL);
  assert_status(odeon_model_from_file(NULL, &m), ODEON_E_INVAL);
  assert_status(odeon_solver_create(NULL, &o, &s), ODEON_E_INVAL);
  assert_error_contains("model is NULL");
  assert_ok(odeon_model_from_string(lorenz, "lorenz", &m));
  assert_status(odeon_solver_create(m, NULL, &s), ODEON_E_INVAL);
  assert_error_contains("opts is NULL");
  assert_status(odeon_solver_create(m, &o, NULL), ODEON_E_INVAL);
  assert_status(odeon_solve(NULL, NULL, NULL, &r), ODEON_E_INVAL);
  assert_status(odeon_solve(NULL, NULL, NULL, NULL), ODEON_E_INVAL);
  assert_status(odeon_grid_create(NULL, NULL), ODEON_E_INVAL);
  assert_true(odeon_model_count(NULL, ODEON_SYM_STATE) < 0);
  assert_null(odeon_model_name(m, ODEON_SYM_STATE, 99));
  assert_int_equal(odeon_model_index(m, ODEON_SYM_PARAMETER, "nosuch"), -1);
  /* destroy functions accept NULL */
  odeon_model_destroy(NULL);
  odeon_solver_destroy(NULL);
  odeon_grid_destroy(NULL);
  odeon_result_destroy(NULL);
  odeon_options_init(NULL);
  odeon_model_destroy(m);
}

static void test_options_not_initialised(void **state) {
  (void)state;
  odeon_model_t *m;
  odeon_solver_t *s = NULL;
  assert_ok(odeon_model_from_string(lorenz, "lorenz", &m));
  odeon_options_t o;
  memset(&o, 0, sizeof o);
  assert_status(odeon_solver_create(m, &o, &s), ODEON_E_INVAL);
  assert_error_contains("odeon_options_init");
  assert_null(s);
  odeon_model_destroy(m);
}

/* One bad option at a time: status E_INVAL and the option's name. */
static void test_bad_options(void **state) {
  (void)state;
  odeon_model_t *m;
  assert_ok(odeon_model_from_string(lorenz, "lorenz", &m));
  odeon_options_t o;
  odeon_solver_t *s = NULL;
#define EXPECT_BAD(assign, fragment)                                           \
  do {                                                                         \
    odeon_options_init(&o);                                                    \
    o.backend = ODEON_BACKEND_CPU;                                             \
    assign;                                                                    \
    assert_status(odeon_solver_create(m, &o, &s), ODEON_E_INVAL);              \
    assert_error_contains(fragment);                                           \
    assert_null(s);                                                            \
  } while (0)
  EXPECT_BAD(o.atol = -1, "atol");
  EXPECT_BAD(o.rtol = 0, "rtol");
  EXPECT_BAD(o.rtol = NAN, "rtol");
  EXPECT_BAD(o.algorithm = "no-such-method", "no-such-method");
  EXPECT_BAD(o.controller = "bang-bang", "bang-bang");
  EXPECT_BAD((o.dt_min = 1, o.dt_max = 0.5), "dt-min");
  EXPECT_BAD(o.duration = -2.385, "duration");
  EXPECT_BAD(o.save_every = 2.385, "save-every");
  EXPECT_BAD(
      (o.save_every = 0.1, o.summarise_every = 0.25, o.summaries = "mean"),
      "summarise-every");
  EXPECT_BAD((o.outputs |= ODEON_OUT_SUMMARIES, o.summaries = "meen"), "meen");
  EXPECT_BAD(o.save = "x,w", "w");
  EXPECT_BAD(o.threads = -3, "threads");
  EXPECT_BAD(o.slots = 1000, "slots");
  EXPECT_BAD(o.timeout = -1, "timeout");
  EXPECT_BAD(o.block_size = 33, "block_size");
  EXPECT_BAD(o.device_memory = -5, "device_memory");
  EXPECT_BAD(o.devices = "zero", "devices");
  odeon_model_destroy(m);
}

/* odeon_array_view_at reads every dtype, and answers NaN out of range. */
static void test_view_at(void **state) {
  (void)state;
  const float f[] = {2.385f, -1.5f};
  const double d[] = {2.385, -1.5};
  const uint32_t u[] = {7, 4000000000u};
  const int64_t l[] = {-3, 1234567890123};
  odeon_array_view v;
  memset(&v, 0, sizeof v);
  v.ndim = 1;
  v.shape[0] = 2;
  v.data = f, v.dtype = ODEON_DTYPE_F32;
  assert_true(odeon_array_view_at(&v, 0) == (double)2.385f);
  v.data = d, v.dtype = ODEON_DTYPE_F64;
  assert_true(odeon_array_view_at(&v, 1) == -1.5);
  v.data = u, v.dtype = ODEON_DTYPE_U32;
  assert_true(odeon_array_view_at(&v, 1) == 4000000000.0);
  v.data = l, v.dtype = ODEON_DTYPE_I64;
  assert_true(odeon_array_view_at(&v, 1) == 1234567890123.0);
  assert_true(isnan(odeon_array_view_at(&v, 2)));
  assert_true(isnan(odeon_array_view_at(&v, -1)));
  assert_true(isnan(odeon_array_view_at(NULL, 0)));
  v.data = NULL;
  assert_true(isnan(odeon_array_view_at(&v, 0)));
}

/* The failed-run count (counted as the status rows are written back, in
   parallel parts and chunks) equals the runs whose status is not 0: x' =
   p x^2 from x = 1 blows up at t = 1/p, inside [0, 1] for p > 1. */
static void test_failed_runs_counted(void **state) {
  (void)state;
  odeon_model_t *m = NULL;
  assert_int_equal(odeon_model_from_string("states: x = 1\n"
                                           "parameters: p = 1\n"
                                           "dx = p*x*x\n",
                                           "blowup", &m),
                   ODEON_OK);
  odeon_options_t o;
  odeon_options_init(&o);
  o.backend = ODEON_BACKEND_CPU;
  o.algorithm = "dormand-prince-54";
  o.chunk_runs = 7;
  odeon_solver_t *s = NULL;
  assert_int_equal(odeon_solver_create(m, &o, &s), ODEON_OK);
  odeon_grid_t *g = NULL;
  assert_int_equal(odeon_grid_create(m, &g), ODEON_OK);
  double p[101];
  for (int i = 0; i < 101; i++)
    p[i] = 3.0 * i / 100;
  assert_int_equal(odeon_grid_sweep(g, "p", p, 101), ODEON_OK);
  odeon_result_t *r = NULL;
  assert_int_equal(odeon_solve(s, g, NULL, &r), ODEON_OK);
  int64_t nonzero = 0;
  for (int64_t i = 0; i < 101; i++)
    nonzero += odeon_result_run_status(r, i) != 0;
  assert_true(nonzero > 50 && nonzero < 101); /* about p > 1 */
  assert_int_equal(odeon_result_failed_runs(r), nonzero);
  odeon_result_destroy(r);
  odeon_grid_destroy(g);
  odeon_solver_destroy(s);
  odeon_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_null_arguments),
      cmocka_unit_test(test_options_not_initialised),
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_view_at),
      cmocka_unit_test(test_failed_runs_counted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
