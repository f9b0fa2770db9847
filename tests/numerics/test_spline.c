/* test_spline.c - driver splines: the host coefficients
 * (codegen/spline_host.c) evaluated by the kernel's own code (core/spline.h,
 * compiled here in double) reproduce cubics exactly, converge at fourth
 * order on smooth data for every end condition, wrap periodic drivers, flag
 * times outside the samples; and a driver reaches a model through a real
 * kernel (shared and per-run blocks, float64 and float32). */
#include <math.h>

#include "codegen/spline_host.h"
#include "harness.h"
#include "test_util.h"

#include "real.h"
#include "spline.h"

static double cubic(double t) {
  return 2.385 + 0.5 * t - 1.25 * t * t + 0.3 * t * t * t;
}
static double cubic_d(double t) { return 0.5 - 2.5 * t + 0.9 * t * t; }

/* Build a one-driver block (double) for samples f(t0 + i h), i < n. */
static double *block_for(double (*f)(double), double t0, double h, int n,
                         odeon__spline_end end, double d0, double d1) {
  double *y = malloc(sizeof(double) * (size_t)n);
  double *coef = malloc(sizeof(double) * 4 * (size_t)(n - 1));
  for (int i = 0; i < n; i++)
    y[i] = f(t0 + i * h);
  if (end == ODEON__SPLINE_PERIODIC)
    y[n - 1] = y[0];
  assert_ok(odeon__spline_coeffs(y, n, h, end, d0, d1, coef, "u"));
  odeon__driver_spline d = {t0, h, n - 1, end == ODEON__SPLINE_PERIODIC, coef};
  double *blk = malloc(sizeof(double) * (size_t)odeon__driver_block_len(&d, 1));
  odeon__driver_block_fill(&d, 1, blk, 8);
  free(y);
  free(coef);
  return blk;
}

static void cubics_exact(void **s) {
  (void)s;
  const double t0 = -1.2, h = 0.37;
  const int n = 11;
  const odeon__spline_end ends[] = {ODEON__SPLINE_CLAMPED,
                                    ODEON__SPLINE_NOT_A_KNOT};
  for (int e = 0; e < 2; e++) {
    double *blk = block_for(cubic, t0, h, n, ends[e], cubic_d(t0),
                            cubic_d(t0 + (n - 1) * h));
    for (int j = 0; j <= 200; j++) {
      double t = t0 + (n - 1) * h * j / 200.0, v[2];
      assert_int_equal(odeon_spline_eval(blk, 0, t, v), 1);
      assert_true(fabs(v[0] - cubic(t)) < 1e-12);
      assert_true(fabs(v[1] - cubic_d(t)) < 1e-11);
    }
    free(blk);
  }
}

/* Host helpers for CSV drivers: end names, uniform times, estimated
 * clamped slopes (exact for cubics). */
static void host_helpers(void **s) {
  (void)s;
  odeon__spline_end e;
  assert_ok(odeon__spline_end_parse("Not_A_Knot", &e));
  assert_int_equal(e, ODEON__SPLINE_NOT_A_KNOT);
  assert_ok(odeon__spline_end_parse("periodic", &e));
  assert_int_equal(e, ODEON__SPLINE_PERIODIC);
  assert_status(odeon__spline_end_parse("quintic", &e), ODEON_E_INVAL);
  assert_error_contains("unknown \"quintic\"");
  double t[6] = {2.385, 2.485, 2.585, 2.685, 2.785, 2.885}, t0, h;
  assert_ok(odeon__spline_uniform(t, 6, &t0, &h, "u"));
  assert_true(t0 == 2.385 && fabs(h - 0.1) < 1e-12);
  t[3] = 2.7;
  assert_status(odeon__spline_uniform(t, 6, &t0, &h, "--driver u"),
                ODEON_E_INVAL);
  assert_error_contains("--driver u: time 3");
  t[3] = 2.685;
  t[5] = 2.0;
  assert_status(odeon__spline_uniform(t, 6, &t0, &h, "u"), ODEON_E_INVAL);
  /* clamped with estimated slopes reproduces a cubic */
  double *blk =
      block_for(cubic, -1.2, 0.37, 11, ODEON__SPLINE_CLAMPED, NAN, NAN);
  for (int j = 0; j <= 50; j++) {
    double tt = -1.2 + 3.7 * j / 50.0, v[2];
    odeon_spline_eval(blk, 0, tt, v);
    assert_true(fabs(v[0] - cubic(tt)) < 1e-12);
  }
  free(blk);
}

static double smooth(double t) { return sin(1.3 * t) + 0.5 * cos(2.385 * t); }
static double smooth_d(double t) {
  return 1.3 * cos(1.3 * t) - 0.5 * 2.385 * sin(2.385 * t);
}
static double per(double t) {
  return sin(2 * M_PI * t / 2.5) + 0.3 * cos(4 * M_PI * t / 2.5);
}

/* max error at interval midpoints for n samples over [a, b] */
static double spline_error(double (*f)(double), double a, double b, int n,
                           odeon__spline_end end, double d0, double d1) {
  double h = (b - a) / (n - 1);
  double *blk = block_for(f, a, h, n, end, d0, d1);
  double worst = 0;
  for (int i = 0; i < n - 1; i++) {
    for (int q = 1; q < 4; q++) {
      double t = a + (i + q / 4.0) * h, v[2];
      odeon_spline_eval(blk, 0, t, v);
      worst = fmax(worst, fabs(v[0] - f(t)));
    }
  }
  free(blk);
  return worst;
}

static void fourth_order(void **s) {
  (void)s;
  const char *names[] = {"clamped", "not-a-knot", "natural", "periodic"};
  for (int e = 0; e < 4; e++) {
    double prev = 0;
    for (int n = 17; n <= 129; n = 2 * n - 1) {
      double err;
      if (e == 0)
        err = spline_error(smooth, 0, 3, n, ODEON__SPLINE_CLAMPED, smooth_d(0),
                           smooth_d(3));
      else if (e == 1)
        err = spline_error(smooth, 0, 3, n, ODEON__SPLINE_NOT_A_KNOT, 0, 0);
      else if (e == 2) /* sin has zero curvature at 0 and pi */
        err = spline_error(sin, 0, M_PI, n, ODEON__SPLINE_NATURAL, 0, 0);
      else
        err = spline_error(per, 0, 2.5, n, ODEON__SPLINE_PERIODIC, 0, 0);
      if (prev > 0) {
        double order = log2(prev / err);
        printf("  %-10s n %-4d err %-10.3g order %.2f\n", names[e], n, err,
               order);
        assert_true(order > 3.6 && order < 4.6);
      }
      prev = err;
    }
  }
}

static void periodic_wraps_and_range(void **s) {
  (void)s;
  double *blk = block_for(per, 0, 2.5 / 32, 33, ODEON__SPLINE_PERIODIC, 0, 0);
  for (int j = 0; j < 50; j++) {
    double t = 0.0137 + j * 0.049, a[2], b[2], c[2];
    assert_int_equal(odeon_spline_eval(blk, 0, t, a), 1);
    assert_int_equal(odeon_spline_eval(blk, 0, t + 2.5 * 3, b), 1);
    assert_int_equal(odeon_spline_eval(blk, 0, t - 2.5, c), 1);
    assert_true(fabs(a[0] - b[0]) < 1e-12 && fabs(a[1] - b[1]) < 1e-10);
    assert_true(fabs(a[0] - c[0]) < 1e-12);
  }
  free(blk);
  blk = block_for(smooth, 1.0, 0.1, 21, ODEON__SPLINE_NATURAL, 0, 0);
  double v[2];
  assert_int_equal(odeon_spline_eval(blk, 0, 0.9, v), 0);
  assert_int_equal(odeon_spline_eval(blk, 0, 3.05, v), 0);
  assert_int_equal(odeon_spline_eval(blk, 0, 1.0, v), 1);
  assert_int_equal(odeon_spline_eval(blk, 0, 3.0, v), 1);
  free(blk);
}

static void bad_input(void **s) {
  (void)s;
  double y[4] = {1, 2, 3, 4}, c[16];
  assert_status(
      odeon__spline_coeffs(y, 1, 0.1, ODEON__SPLINE_NATURAL, 0, 0, c, "u"),
      ODEON_E_INVAL);
  assert_error_contains("at least 2 samples");
  assert_status(
      odeon__spline_coeffs(y, 4, -0.1, ODEON__SPLINE_NATURAL, 0, 0, c, "u"),
      ODEON_E_INVAL);
  assert_status(odeon__spline_coeffs(y, 4, 0.1, ODEON__SPLINE_PERIODIC, 0, 0, c,
                                     "forcing"),
                ODEON_E_INVAL);
  assert_error_contains("forcing: periodic");
  y[2] = NAN;
  assert_status(
      odeon__spline_coeffs(y, 4, 0.1, ODEON__SPLINE_NATURAL, 0, 0, c, "u"),
      ODEON_E_INVAL);
  assert_error_contains("sample 2");
}

/* A driver through a compiled kernel: observable v = u at every sample
 * equals the spline, and s' = u integrates it; per-run blocks differ. */
static void driver_in_kernel(odeon_precision prec) {
  static const char model[] = "states: s = 0\n"
                              "drivers: u\n"
                              "observables: v = u\n"
                              "ds = u\n";
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = "dormand-prince-54";
  o.precision = prec;
  o.atol = o.rtol = 1e-10;
  o.t0 = 0.5;
  o.duration = 2.0;
  o.save_every = 0.05;
  o.outputs |= ODEON_OUT_OBSERVABLES;
  nh_kernel k;
  assert_ok(nh_build(model, &o, &k));
  assert_int_equal(k.info[ODEON_INFO_N_DRIVERS], 1);
  const int rb = k.cfg.real_bytes, n = 33, NRUN = 2;
  const double t0 = 0.4, h = 2.2 / 32;
  /* run 0: the cubic, run 1: the cubic plus 1 (per-run blocks) */
  double y[33], coef[2][128];
  for (int r = 0; r < NRUN; r++) {
    for (int i = 0; i < n; i++)
      y[i] = cubic(t0 + i * h) + r;
    assert_ok(odeon__spline_coeffs(y, n, h, ODEON__SPLINE_CLAMPED, cubic_d(t0),
                                   cubic_d(t0 + 32 * h), coef[r], "u"));
  }
  odeon__driver_spline d = {t0, h, 32, 0, coef[0]};
  long long len = odeon__driver_block_len(&d, 1);
  char *blk = malloc((size_t)(len * NRUN * rb));
  for (int r = 0; r < NRUN; r++) {
    d.coef = coef[r];
    odeon__driver_block_fill(&d, 1, blk + (size_t)(r * len * rb), rb);
  }
  nh_out out;
  assert_ok(nh_solve(&k, NRUN, NULL, NULL, blk, len, 1, &out));
  double tol = prec == ODEON_FLOAT64 ? 1e-9 : 2e-4;
  for (int r = 0; r < NRUN; r++) {
    assert_int_equal(out.status[r], 0);
    for (long long sm = 0; sm < k.cfg.n_samples; sm++) {
      double t = odeon__sample_time(&k.cfg, sm);
      double want = cubic(t) + r;
      assert_true(fabs(out.obs[sm * NRUN + r] - want) < tol * 10);
    }
    /* s(T) = integral of the cubic from 0.5 to 2.5 (+ r * 2) */
    double T = 2.5, a = 0.5;
    double I = 2.385 * (T - a) + 0.25 * (T * T - a * a) -
               1.25 / 3 * (T * T * T - a * a * a) +
               0.3 / 4 * (T * T * T * T - a * a * a * a) + r * 2.0;
    double got = out.state[(k.cfg.n_samples - 1) * NRUN + r];
    assert_true(fabs(got - I) < tol * 10 * fabs(I));
  }
  nh_out_free(&out);
  free(blk);

  /* a solve running past the driver's samples flags DRIVER_RANGE */
  nh_free(&k);
  o.duration = 3.0;
  assert_ok(nh_build(model, &o, &k));
  blk = malloc((size_t)(len * rb));
  d.coef = coef[0];
  odeon__driver_block_fill(&d, 1, blk, rb);
  assert_ok(nh_solve(&k, 1, NULL, NULL, blk, 0, 1, &out));
  assert_true(out.status[0] & ODEON_RUN_DRIVER_RANGE);
  nh_out_free(&out);
  free(blk);
  nh_free(&k);
}

static void driver_f64(void **s) {
  (void)s;
  driver_in_kernel(ODEON_FLOAT64);
}
static void driver_f32(void **s) {
  (void)s;
  driver_in_kernel(ODEON_FLOAT32);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cubics_exact),
      cmocka_unit_test(fourth_order),
      cmocka_unit_test(periodic_wraps_and_range),
      cmocka_unit_test(bad_input),
      cmocka_unit_test(host_helpers),
      cmocka_unit_test(driver_f64),
      cmocka_unit_test(driver_f32),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
