/* test_implicit_lorenz.c - the equivalence protocol of the Lorenz reference
 * (DifferentialEquations.jl, tests/data/lorenz) for every implicit method
 * listed there: over the fixed dt sweep and the adaptive tol sweep, in
 * float32, on real kernels (kernel source -> system cc -> dlopen, through
 * tests/numerics/harness.c), our error is at most 2x Julia's wherever
 * Julia's error lies between 4x the float32 floor and 3e-2. Adaptive runs
 * use each method's default controller (PI, Gustafsson for Radau IIA). */
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
                           long long *newton) {
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = method;
  o.precision = ODEON_FLOAT32;
  o.duration = 1.0;
  o.outputs |= ODEON_OUT_COUNTERS;
  if (adaptive) {
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
  *newton = 0;
  for (int i = 0; i < NT; i++) {
    double x = out.state[(1 * 3 + 0) * NT + i];
    double y = out.state[(1 * 3 + 1) * NT + i];
    double z = out.state[(1 * 3 + 2) * NT + i];
    double e = fmax(fabs(x - gx[i]), fmax(fabs(y - gy[i]), fabs(z - gz[i])));
    if (!(e == e) || out.status[i])
      e = INFINITY;
    err = fmax(err, e / scale);
    *newton += out.counters[5 * NT + i];
  }
  nh_out_free(&out);
  nh_free(&k);
  return err;
}

/* The quick run (label cpu) stops the fixed sweep at dt = 2^-11; the full
 * run (argument "full", label slow) goes down to 2^-13 like the reference. */
static int full_sweep;

static void sweep(const char *method, int adaptive) {
  int compared = 0, failed = 0;
  double params[13], julia[13];
  int n = nh_protocol_settings(method, adaptive, full_sweep ? 13 : 11, 1,
                               params, julia);
  for (int j = 0; j < n; j++) {
    double param = params[j], jul = julia[j];
    long long newton = 0;
    double ours = lorenz_error(method, adaptive, param, &newton);
    int ok = nh_within_julia(method, adaptive, param, ours, jul);
    printf("  %-20s %-8s %-10g julia %-12.4g ours %-12.4g newton/run %-8.1f "
           "%s\n",
           method, adaptive ? "adaptive" : "fixed", param, jul, ours,
           (double)newton / NT, ok ? "ok" : "FAIL");
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

METHOD_TESTS(be, "backwards_euler")
METHOD_TESTS(cn, "crank_nicolson")
METHOD_TESTS(trap, "trapezoidal_dirk")
METHOD_TESTS(sdirk22, "sdirk_2_2")
METHOD_TESTS(sdirk4, "l_stable_sdirk_4")
METHOD_TESTS(kv3, "kvaerno3")
METHOD_TESTS(kv5, "kvaerno5")
METHOD_TESTS(radau, "radau_iia_5")
METHOD_TESTS(ros3p, "ros3p")
METHOD_TESTS(rodas3p, "rodas3p")
METHOD_TESTS(ros23, "rosenbrock23_sciml")

static void midpoint_fixed(void **s) {
  (void)s;
  sweep("implicit_midpoint", 0);
}

int main(int argc, char **argv) {
  full_sweep = argc > 1 && strcmp(argv[1], "full") == 0;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(be_fixed),         cmocka_unit_test(be_adaptive),
      cmocka_unit_test(cn_fixed),         cmocka_unit_test(cn_adaptive),
      cmocka_unit_test(trap_fixed),       cmocka_unit_test(trap_adaptive),
      cmocka_unit_test(midpoint_fixed),   cmocka_unit_test(sdirk22_fixed),
      cmocka_unit_test(sdirk22_adaptive), cmocka_unit_test(sdirk4_fixed),
      cmocka_unit_test(sdirk4_adaptive),  cmocka_unit_test(kv3_fixed),
      cmocka_unit_test(kv3_adaptive),     cmocka_unit_test(kv5_fixed),
      cmocka_unit_test(kv5_adaptive),     cmocka_unit_test(radau_fixed),
      cmocka_unit_test(radau_adaptive),   cmocka_unit_test(ros3p_fixed),
      cmocka_unit_test(ros3p_adaptive),   cmocka_unit_test(rodas3p_fixed),
      cmocka_unit_test(rodas3p_adaptive), cmocka_unit_test(ros23_fixed),
      cmocka_unit_test(ros23_adaptive),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
