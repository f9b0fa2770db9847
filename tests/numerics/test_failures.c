/* test_failures.c - runs that fail carry the right status bits (a blow-up:
 * NONFINITE, a stiff run: DT_MIN, a step budget: MAX_STEPS), their unreached
 * samples are NaN, and the other runs of the same launch are untouched:
 * bitwise equal to solving them alone. */
#include <math.h>

#include "harness.h"
#include "test_util.h"

/* x' = a x^2 blows up at t = 1/a; y' = -k (y - cos t) is stiff for large
 * k. */
static const char model[] = "states: x = 1, y = 0.5\n"
                            "parameters: a = 0.3, k = 1\n"
                            "dx = a*x*x\n"
                            "dy = -k*(y - cos(t))\n";

static void mixed(const char *alg, const char *ctrl, double dt,
                  int64_t max_steps, const double *a, const double *kk, int n,
                  const uint32_t *want) {
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = alg;
  o.controller = ctrl;
  o.dt = dt;
  o.dt_min = 1e-5;
  o.atol = o.rtol = 1e-6;
  o.duration = 1.0;
  o.save_every = 0.125;
  o.max_steps = max_steps;
  o.outputs |= ODEON_OUT_COUNTERS;
  nh_kernel k;
  assert_ok(nh_build(model, &o, &k));
  double p[16];
  for (int i = 0; i < n; i++)
    p[i] = a[i], p[n + i] = kk[i];
  nh_out all;
  assert_ok(nh_solve(&k, n, NULL, p, NULL, 0, 1, &all));
  const long long S = k.cfg.n_samples;
  for (int i = 0; i < n; i++) {
    char buf[128];
    odeon_run_status_string(all.status[i], buf, sizeof buf);
    printf("  %-18s run %d (a=%g, k=%g): status %s\n", alg, i, a[i], kk[i],
           buf);
    assert_int_equal(all.status[i], want[i]);
    if (want[i]) /* the last sample was not reached */
      assert_true(isnan(all.state[((S - 1) * 2 + 0) * n + i]));
    else {
      /* solved alone, a good run gives the same bits */
      double p1[2] = {a[i], kk[i]};
      nh_out one;
      assert_ok(nh_solve(&k, 1, NULL, p1, NULL, 0, 1, &one));
      assert_int_equal(one.status[0], 0);
      for (long long s = 0; s < S * 2; s++)
        assert_memory_equal(&one.state[s], &all.state[s * n + i],
                            sizeof(double));
      for (int c = 0; c < 6; c++)
        assert_true(one.counters[c] == all.counters[c * n + i]);
      nh_out_free(&one);
    }
  }
  nh_out_free(&all);
  nh_free(&k);
}

static void blowup_fixed(void **s) {
  (void)s;
  const double a[] = {0.3, 2.385, 0.7}, kk[] = {1, 1, 2.385};
  const uint32_t want[] = {0, ODEON_RUN_NONFINITE, 0};
  mixed("classical-rk4", "fixed", 1.0 / 64, 100000, a, kk, 3, want);
}

static void blowup_adaptive(void **s) {
  (void)s;
  const double a[] = {2.385, 0.3, 0.5}, kk[] = {1, 1, 2.385};
  /* the step collapses towards the singularity */
  const uint32_t want[] = {ODEON_RUN_DT_MIN, 0, 0};
  mixed("dormand-prince-54", "pi", 0, 100000, a, kk, 3, want);
}

static void stiff_dt_min(void **s) {
  (void)s;
  const double a[] = {0.3, 0.3, 0.5}, kk[] = {2.385, 2.385e6, 1};
  const uint32_t want[] = {0, ODEON_RUN_DT_MIN, 0};
  mixed("tsit5", "pi", 0, 1000000, a, kk, 3, want);
}

static void step_budget(void **s) {
  (void)s;
  const double a[] = {0.3, 0.3}, kk[] = {1, 2.385e3};
  /* stability alone needs about 600 steps for the stiff run */
  const uint32_t want[] = {0, ODEON_RUN_MAX_STEPS};
  mixed("vern7", "pi", 0, 200, a, kk, 2, want);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(blowup_fixed),
      cmocka_unit_test(blowup_adaptive),
      cmocka_unit_test(stiff_dt_min),
      cmocka_unit_test(step_budget),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
