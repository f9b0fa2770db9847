/* test_lorenz_equivalence.c - the equivalence protocol of the Lorenz
 * reference (DifferentialEquations.jl, tests/data/lorenz): for every
 * explicit method of the reference, over the fixed dt sweep and the
 * adaptive tol sweep in float32, our error is at most 2x Julia's wherever
 * Julia's error lies between 4x the float32 floor and 3e-2. */
#include <math.h>

#include "harness.h"
#include "test_util.h"

#define NT 1024
static double rho[NT], gx[NT], gy[NT], gz[NT], scale;

static int setup(void **state) {
  (void)state;
  if (nh_lorenz_golden(rho, gx, gy, gz))
    return -1;
  scale = 0;
  for (int i = 0; i < NT; i++) {
    scale = fmax(scale, fabs(gx[i]));
    scale = fmax(scale, fabs(gy[i]));
    scale = fmax(scale, fabs(gz[i]));
  }
  return 0;
}

/* Our error at one setting: max over trajectories of |final - golden| /
 * scale; NaN counts as infinite. */
static double lorenz_error(const char *method, int adaptive, double param,
                           odeon_precision prec) {
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = method;
  o.precision = prec;
  o.duration = 1.0;
  if (adaptive) {
    o.controller = "pi";
    o.atol = o.rtol = param;
    o.dt = 0.01;
    o.dt_min = 1e-6;
    o.dt_max = 0.5;
  } else {
    o.controller = "fixed";
    o.dt = param;
  }
  nh_kernel k;
  assert_ok(nh_build(nh_lorenz_model, &o, &k));
  nh_out out;
  assert_ok(nh_solve(&k, NT, NULL, rho, NULL, 0, 1, &out));
  double err = 0;
  for (int i = 0; i < NT; i++) {
    double x = out.state[(1 * 3 + 0) * NT + i];
    double y = out.state[(1 * 3 + 1) * NT + i];
    double z = out.state[(1 * 3 + 2) * NT + i];
    double e = fmax(fabs(x - gx[i]), fmax(fabs(y - gy[i]), fabs(z - gz[i])));
    if (!(e == e))
      e = INFINITY;
    err = fmax(err, e / scale);
  }
  nh_out_free(&out);
  nh_free(&k);
  return err;
}

static void sweep(const char *method, int adaptive) {
  int compared = 0, failed = 0;
  double params[13], julia[13];
  int n = nh_protocol_settings(method, adaptive, 13, 0, params, julia);
  for (int j = 0; j < n; j++) {
    double param = params[j], jul = julia[j];
    double ours = lorenz_error(method, adaptive, param, ODEON_FLOAT32);
    int ok = nh_within_julia(method, adaptive, param, ours, jul);
    printf("  %-20s %-8s %-10g julia %-12.4g ours %-12.4g %s\n", method,
           adaptive ? "adaptive" : "fixed", param, jul, ours,
           ok ? "ok" : "FAIL");
    compared++;
    failed += !ok;
  }
  assert_true(compared > 0);
  assert_int_equal(failed, 0);
}

#define METHOD_TESTS(fn, name)                                                 \
  static void fn##_fixed(void **s) {                                           \
    (void)s;                                                                   \
    sweep(name, 0);                                                            \
  }                                                                            \
  static void fn##_adaptive(void **s) {                                        \
    (void)s;                                                                   \
    sweep(name, 1);                                                            \
  }

METHOD_TESTS(heun, "heun-21")
METHOD_TESTS(bs3, "bogacki-shampine-32")
METHOD_TESTS(rk4, "classical-rk4")
METHOD_TESTS(dp5, "dormand-prince-54")
METHOD_TESTS(ck, "cash-karp-54")
METHOD_TESTS(rkf, "fehlberg-45")
METHOD_TESTS(dp8, "dormand-prince-853")
METHOD_TESTS(tsit5, "tsit5")
METHOD_TESTS(vern7, "vern7")

static void euler_fixed(void **s) {
  (void)s;
  sweep("euler", 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(euler_fixed),    cmocka_unit_test(heun_fixed),
      cmocka_unit_test(heun_adaptive),  cmocka_unit_test(bs3_fixed),
      cmocka_unit_test(bs3_adaptive),   cmocka_unit_test(rk4_fixed),
      cmocka_unit_test(rk4_adaptive),   cmocka_unit_test(dp5_fixed),
      cmocka_unit_test(dp5_adaptive),   cmocka_unit_test(ck_fixed),
      cmocka_unit_test(ck_adaptive),    cmocka_unit_test(rkf_fixed),
      cmocka_unit_test(rkf_adaptive),   cmocka_unit_test(dp8_fixed),
      cmocka_unit_test(dp8_adaptive),   cmocka_unit_test(tsit5_fixed),
      cmocka_unit_test(tsit5_adaptive), cmocka_unit_test(vern7_fixed),
      cmocka_unit_test(vern7_adaptive),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
