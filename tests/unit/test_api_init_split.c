/* test_api_init_split.c - an adaptive kernel whose automatic initial step
 * is compiled apart (kernel_args.h: ODEON_SPLIT_INIT and the init entry,
 * the CUDA backend's default) gives the same results, bit for bit, as the
 * kernel with the step inline: states, status words and counters, for
 * every implicit and explicit family, chunked and split into time
 * windows, with drivers whose range the initial step leaves. The CPU
 * backend runs the split form under $ODEON_INIT_KERNEL=on. */
#include <stdlib.h>

#include "test_util.h"

#include "backend/backend.h"
#include "codegen/kernel_source.h"

static const char *lorenz = ODEON_TEST_LORENZ;

/* x' = -x + u(t), the driver sampled on [0, span] only (not periodic) */
static const char *driven = "states: x = 1\n"
                            "drivers: u\n"
                            "dx = -x + u\n";

typedef struct setup {
  const char *model, *algorithm;
  double dt;            /* 0: automatic initial step */
  double device_memory; /* bytes; small ones chunk runs and split time */
  double driver_span;   /* > 0: driver u sampled on [0, driver_span] */
} setup;

static size_t dtype_bytes(odeon_dtype t) {
  return t == ODEON_DTYPE_F32 || t == ODEON_DTYPE_U32 ? 4 : 8;
}

static odeon_result_t *solve(const setup *c, const char *init_kernel) {
  if (init_kernel)
    setenv("ODEON_INIT_KERNEL", init_kernel, 1);
  else
    unsetenv("ODEON_INIT_KERNEL");
  odeon_model_t *m;
  assert_ok(odeon_model_from_string(c->model, "split-test", &m));
  odeon_grid_t *g;
  assert_ok(odeon_grid_create(m, &g));
  enum { RUNS = 96 };
  double v[RUNS];
  if (c->driver_span > 0) {
    for (int i = 0; i < RUNS; i++)
      v[i] = 0.5 + 0.01 * i;
    assert_ok(odeon_grid_sweep(g, "x", v, RUNS));
    double u[8];
    for (int k = 0; k < 8; k++)
      u[k] = 1.0 + 0.1 * k;
    assert_ok(odeon_grid_driver(g, "u", 0.0, c->driver_span / 7, u, 8, 1,
                                "not-a-knot"));
  } else {
    for (int i = 0; i < RUNS; i++)
      v[i] = 21.0 * i / (RUNS - 1);
    assert_ok(odeon_grid_sweep(g, "rho", v, RUNS));
  }
  odeon_options_t o;
  odeon_options_init(&o);
  o.backend = ODEON_BACKEND_CPU;
  o.algorithm = c->algorithm;
  o.dt = c->dt;
  o.atol = o.rtol = 1e-6;
  o.duration = 1.0;
  o.save_every = 0.01;
  o.device_memory = c->device_memory;
  o.threads = 3;
  o.outputs = ODEON_OUT_STATE | ODEON_OUT_STATUS | ODEON_OUT_COUNTERS;
  odeon_solver_t *s;
  assert_ok(odeon_solver_create(m, &o, &s));
  odeon_result_t *r = NULL;
  assert_ok(odeon_solve(s, g, NULL, &r));
  odeon_solver_destroy(s);
  odeon_grid_destroy(g);
  odeon_model_destroy(m);
  unsetenv("ODEON_INIT_KERNEL");
  return r;
}

static void assert_same(const setup *c, const odeon_result_t *a,
                        const odeon_result_t *b) {
  const char *names[] = {"state", "status", "counters"};
  for (int i = 0; i < 3; i++) {
    odeon_array_view va, vb;
    assert_ok(odeon_result_output(a, names[i], &va));
    assert_ok(odeon_result_output(b, names[i], &vb));
    assert_int_equal(va.dtype, vb.dtype);
    assert_int_equal(va.ndim, vb.ndim);
    size_t bytes = dtype_bytes(va.dtype);
    for (int d = 0; d < va.ndim; d++) {
      assert_int_equal(va.shape[d], vb.shape[d]);
      bytes *= (size_t)va.shape[d];
    }
    if (memcmp(va.data, vb.data, bytes) != 0)
      print_error("%s (dt %g, budget %g, driver span %g): the split kernel's "
                  "%s differs from the inline kernel's\n",
                  c->algorithm, c->dt, c->device_memory, c->driver_span,
                  names[i]);
    assert_memory_equal(va.data, vb.data, bytes);
  }
}

static void compare(const setup *c) {
  odeon_result_t *inl = solve(c, NULL); /* the CPU's default: inline */
  odeon_result_t *split = solve(c, "on");
  assert_same(c, inl, split);
  odeon_result_destroy(inl);
  odeon_result_destroy(split);
}

/* Every family's automatic initial step, in one launch and in chunks of
   few runs split into time windows (the entry runs before the first window
   only; the others resume from the carry). */
static void test_families_bit_for_bit(void **state) {
  (void)state;
  const char *methods[] = {"tsit5", "dormand-prince-54", "rodas5p", "kvaerno5",
                           "radau_iia_5"};
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
    setup one = {lorenz, methods[i], 0.0, 0.0, 0.0};
    compare(&one);
    setup chunks = {lorenz, methods[i], 0.0, 96.0 * 1024, 0.0};
    compare(&chunks);
    setup windows = {lorenz, methods[i], 0.0, 4096.0, 0.0};
    compare(&windows);
  }
  /* a given first step: the split kernel reads dt, and its init entry is
     never launched */
  setup given = {lorenz, "tsit5", 1e-3, 0.0, 0.0};
  compare(&given);
  setup given_windows = {lorenz, "tsit5", 1e-3, 4096.0, 0.0};
  compare(&given_windows);
}

/* The initial step evaluates the driver beyond its samples: the status bit
   it raises in the init entry reaches the run, as inline. */
static void test_driver_range_from_init(void **state) {
  (void)state;
  setup c = {driven, "tsit5", 0.0, 0.0, 1e-7};
  odeon_result_t *r = solve(&c, "on");
  assert_true(odeon_result_failed_runs(r) > 0);
  odeon_result_destroy(r);
  compare(&c);
  setup inside = {driven, "rodas5p", 0.0, 0.0, 2.0};
  compare(&inside);
}

static void test_bad_env(void **state) {
  (void)state;
  setenv("ODEON_INIT_KERNEL", "sometimes", 1);
  odeon_model_t *m;
  assert_ok(odeon_model_from_string(lorenz, "split-test", &m));
  odeon_options_t o;
  odeon_options_init(&o);
  o.backend = ODEON_BACKEND_CPU;
  o.algorithm = "tsit5";
  odeon_solver_t *s = NULL;
  assert_status(odeon_solver_create(m, &o, &s), ODEON_E_INVAL);
  assert_null(s);
  assert_error_contains("ODEON_INIT_KERNEL=sometimes");
  unsetenv("ODEON_INIT_KERNEL");
  odeon_model_destroy(m);
}

/* The backend's side: a split module says so in its info, and a launch
   that would run the init entry without h0, or resume without a carry, is
   refused with a message; the CPU's default compiles the step inline. */
static void test_backend_contract(void **state) {
  (void)state;
  odeon_model_t *m;
  assert_ok(odeon_model_from_string(lorenz, "split-test", &m));
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = "tsit5";
  odeon__kernel_config cfg;
  assert_ok(odeon__kernel_config_init(m, &o, &cfg));
  assert_int_equal(odeon__kernel_config_init_entry(&cfg), 1);
  char *text = NULL;
  assert_ok(odeon__kernel_source(m, &cfg, ODEON__LANG_C, &text));
  odeon__backend_config bc = {0};
  bc.threads = 2;
  bc.timeout = 30;
  odeon__backend *be = NULL;
  assert_ok(odeon__backend_cpu_create(&bc, &be));
  odeon__module_source src = {text, "split-contract", 8, 1, 0};
  for (int split = 0; split < 2; split++) {
    if (split)
      setenv("ODEON_INIT_KERNEL", "on", 1);
    odeon__module *mod = NULL;
    assert_ok(be->ops->module_load(be, &src, NULL, &mod));
    unsetenv("ODEON_INIT_KERNEL");
    long long info[ODEON_INFO_LEN];
    assert_ok(be->ops->module_info(mod, info));
    assert_int_equal(info[ODEON_INFO_INIT_ENTRY], split);
    odeon__stream *st = NULL;
    assert_ok(be->ops->stream_create(be, &st));
    odeon_kernel_args a;
    assert_ok(odeon__kernel_args_init(&cfg, &o, &a));
    a.n = 4; /* nothing runs: the launch is refused or never waited on */
    a.h0 = NULL;
    if (split) {
      assert_status(be->ops->launch_async(st, mod, &a), ODEON_E_INVAL);
      assert_error_contains("args.h0");
    }
    a.resume = 1; /* a later time window, but nothing to resume from */
    assert_status(be->ops->launch_async(st, mod, &a), ODEON_E_INVAL);
    assert_error_contains("resume without a carry");
    a.resume = 0;
    assert_ok(be->ops->stream_destroy(be, st));
    be->ops->module_unload(be, mod);
  }
  /* a method without an automatic step has nothing to split */
  o.algorithm = "classical-rk4";
  o.dt = 1e-3;
  odeon__kernel_config_free(&cfg);
  assert_ok(odeon__kernel_config_init(m, &o, &cfg));
  assert_int_equal(odeon__kernel_config_init_entry(&cfg), 0);
  o.algorithm = "tsit5"; /* an adaptive one with a given dt has one */
  odeon__kernel_config_free(&cfg);
  assert_ok(odeon__kernel_config_init(m, &o, &cfg));
  assert_int_equal(odeon__kernel_config_init_entry(&cfg), 1);
  odeon__kernel_config_free(&cfg);
  be->ops->destroy(be);
  free(text);
  odeon_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_families_bit_for_bit),
      cmocka_unit_test(test_driver_range_from_init),
      cmocka_unit_test(test_bad_env),
      cmocka_unit_test(test_backend_contract),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
