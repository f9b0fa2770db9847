/* test_timing.c - exact save times (with and without dense output), the
 * settling time, and time windows: a solve split into several launches
 * with the carried state is bitwise identical to one launch. */
#include <math.h>

#include "harness.h"
#include "test_util.h"

#define NR 16
static double rho[NR];

static int setup(void **state) {
  (void)state;
  for (int i = 0; i < NR; i++)
    rho[i] = 2.385 + 1.5 * i; /* 2.385 .. 24.885 */
  return 0;
}

static void base_options(odeon_options_t *o, const char *alg, double tol) {
  odeon_options_init(o);
  o->algorithm = alg;
  o->atol = o->rtol = tol;
  o->dt_min = 1e-14;
}

/* The state at time T of a solve that ends there (its last sample). */
static void end_state(const char *alg, double t0, double T, const double *y0,
                      double *out /* [3][NR] */) {
  odeon_options_t o;
  base_options(&o, alg, 1e-11);
  o.t0 = t0;
  o.duration = T - t0;
  nh_kernel k;
  assert_ok(nh_build(nh_lorenz_model, &o, &k));
  nh_out r;
  assert_ok(nh_solve(&k, NR, y0, rho, NULL, 0, 1, &r));
  for (int j = 0; j < 3 * NR; j++)
    out[j] = r.state[3 * NR + j];
  for (int i = 0; i < NR; i++)
    assert_int_equal(r.status[i], 0);
  nh_out_free(&r);
  nh_free(&k);
}

/* Samples at t0 + k*S equal the states of solves that end exactly there,
 * for a dense method (interpolated), and a truncating one; sample times
 * are exactly t0 + settle + k*S. */
static void check_saves(const char *alg, double tol, double bound) {
  const double t0 = 2.385, S = 0.125, D = 1.0;
  odeon_options_t o;
  base_options(&o, alg, tol);
  o.t0 = t0;
  o.duration = D;
  o.save_every = S;
  nh_kernel k;
  assert_ok(nh_build(nh_lorenz_model, &o, &k));
  assert_int_equal(k.cfg.n_samples, 9);
  for (int s = 0; s < 9; s++)
    assert_true(odeon__sample_time(&k.cfg, s) == t0 + 0.0 + s * S);
  nh_out r;
  assert_ok(nh_solve(&k, NR, NULL, rho, NULL, 0, 1, &r));
  double y0[3 * NR];
  for (int i = 0; i < NR; i++)
    y0[i] = 1, y0[NR + i] = 0, y0[2 * NR + i] = 0;
  const int probe[] = {1, 3, 6};
  double worst = 0;
  for (int q = 0; q < 3; q++) {
    double ref[3 * NR];
    end_state("vern9", t0, t0 + probe[q] * S, y0, ref);
    for (int j = 0; j < 3 * NR; j++) {
      double d =
          fabs(r.state[(probe[q] * 3) * NR + j] - ref[j]) / (1 + fabs(ref[j]));
      worst = fmax(worst, d);
    }
  }
  printf("  %-20s save-time error %.3g\n", alg, worst);
  assert_true(worst < bound);
  /* sample 0 is the initial state */
  for (int i = 0; i < NR; i++)
    assert_true(r.state[i] == 1.0);
  nh_out_free(&r);
  nh_free(&k);
}

static void saves_dense_dp5(void **s) {
  (void)s;
  check_saves("dormand-prince-54", 1e-10, 1e-7);
}
static void saves_dense_tsit5(void **s) {
  (void)s;
  check_saves("tsit5", 1e-10, 1e-7);
}
static void saves_hermite_bs3(void **s) {
  (void)s;
  check_saves("bogacki-shampine-32", 1e-10, 1e-6);
}
static void saves_truncated_vern7(void **s) {
  (void)s;
  check_saves("vern7", 1e-10, 1e-8);
}
static void saves_truncated_dp8(void **s) {
  (void)s;
  check_saves("dormand-prince-853", 1e-10, 1e-8);
}

/* A solve with a settling time equals a solve started from the state at
 * the end of the settling time. */
static void settle_equivalence(void **s) {
  (void)s;
  const double settle = 0.75, D = 1.0, S = 0.25;
  odeon_options_t o;
  base_options(&o, "dormand-prince-54", 1e-11);
  o.settling_time = settle;
  o.duration = D;
  o.save_every = S;
  nh_kernel k;
  assert_ok(nh_build(nh_lorenz_model, &o, &k));
  assert_true(odeon__sample_time(&k.cfg, 2) == 0.75 + 2 * 0.25);
  nh_out a;
  assert_ok(nh_solve(&k, NR, NULL, rho, NULL, 0, 1, &a));
  nh_free(&k);

  double y0[3 * NR], ones[3 * NR];
  for (int i = 0; i < NR; i++)
    ones[i] = 1, ones[NR + i] = 0, ones[2 * NR + i] = 0;
  end_state("dormand-prince-54", 0, settle, ones, y0);
  base_options(&o, "dormand-prince-54", 1e-11);
  o.t0 = settle;
  o.duration = D;
  o.save_every = S;
  assert_ok(nh_build(nh_lorenz_model, &o, &k));
  nh_out b;
  assert_ok(nh_solve(&k, NR, y0, rho, NULL, 0, 1, &b));
  double worst = 0;
  for (int j = 0; j < 5 * 3 * NR; j++)
    worst = fmax(worst, fabs(a.state[j] - b.state[j]) / (1 + fabs(b.state[j])));
  printf("  settle vs restart: max relative difference %.3g\n", worst);
  assert_true(worst < 1e-7);
  /* sample 0 of the settled solve is the state after settling */
  for (int j = 0; j < 3 * NR; j++)
    assert_true(fabs(a.state[j] - y0[j]) <= 1e-8 * (1 + fabs(y0[j])));
  nh_out_free(&a);
  nh_out_free(&b);
  nh_free(&k);
}

/* Split into 1, 3 and 7 launches: every output bitwise identical. */
static void windows_bitwise(const char *alg, const char *ctrl,
                            odeon_precision prec) {
  odeon_options_t o;
  base_options(&o, alg, 1e-6);
  o.controller = ctrl;
  o.dt = strcmp(ctrl, "fixed") == 0 ? 1.0 / 256 : 0;
  o.dt_min = 1e-9;
  o.precision = prec;
  o.duration = 2.0;
  o.settling_time = 0.3;
  o.save_every = 0.01;
  o.summarise_every = 0.25;
  o.outputs |= ODEON_OUT_COUNTERS;
  o.summaries = "mean,max,peaks[2],dxdt_extrema,std";
  nh_kernel k;
  assert_ok(nh_build(nh_lorenz_model, &o, &k));
  nh_out one;
  assert_ok(nh_solve(&k, NR, NULL, rho, NULL, 0, 1, &one));
  const long long S = k.cfg.n_samples, W = k.cfg.n_windows,
                  R = k.cfg.n_summary_rows;
  assert_int_equal(S, 201);
  assert_int_equal(W, 8);
  for (int pieces = 3; pieces <= 7; pieces += 4) {
    nh_out many;
    assert_ok(nh_solve(&k, NR, NULL, rho, NULL, 0, pieces, &many));
    assert_memory_equal(one.state, many.state,
                        sizeof(double) * (size_t)(S * 3 * NR));
    assert_memory_equal(one.summary, many.summary,
                        sizeof(double) * (size_t)(W * R * NR));
    assert_memory_equal(one.counters, many.counters,
                        sizeof(long long) * 6 * NR);
    assert_memory_equal(one.status, many.status, sizeof(uint32_t) * NR);
    nh_out_free(&many);
  }
  /* the summaries were really written */
  assert_string_equal(k.cfg.summary_labels[0], "mean(x)");
  for (long long w = 0; w < W; w++)
    for (long long j = 0; j < 3 * NR; j++)
      assert_false(isnan(one.summary[w * R * NR + j]));
  nh_out_free(&one);
  nh_free(&k);
}

static void windows_dp5_f64(void **s) {
  (void)s;
  windows_bitwise("dormand-prince-54", "pi", ODEON_FLOAT64);
}
static void windows_dp5_f32(void **s) {
  (void)s;
  windows_bitwise("dormand-prince-54", "pi", ODEON_FLOAT32);
}
static void windows_vern7_pid(void **s) {
  (void)s;
  windows_bitwise("vern7", "pid", ODEON_FLOAT64);
}
static void windows_rk4_fixed(void **s) {
  (void)s;
  windows_bitwise("classical-rk4", "fixed", ODEON_FLOAT32);
}
static void windows_tsit5_gustafsson(void **s) {
  (void)s;
  windows_bitwise("tsit5", "gustafsson", ODEON_FLOAT64);
}
static void windows_bs3_i(void **s) {
  (void)s;
  windows_bitwise("bogacki-shampine-32", "i", ODEON_FLOAT32);
}

/* Saving does not disturb the step sequence: with dense output the steps
 * are the same whether or not samples are taken (same counters, same final
 * state, bit for bit); truncating methods only add the shortened steps. */
static void saves_do_not_disturb(void **s) {
  (void)s;
  const char *algs[] = {"dormand-prince-54", "vern7"};
  for (int a = 0; a < 2; a++) {
    nh_out r[2];
    long long samples[2];
    for (int v = 0; v < 2; v++) {
      odeon_options_t o;
      base_options(&o, algs[a], 1e-7);
      o.duration = 1.0;
      o.save_every = v ? 0.0625 : 0;
      o.outputs |= ODEON_OUT_COUNTERS;
      nh_kernel k;
      assert_ok(nh_build(nh_lorenz_model, &o, &k));
      assert_ok(nh_solve(&k, NR, NULL, rho, NULL, 0, 1, &r[v]));
      samples[v] = k.cfg.n_samples;
      nh_free(&k);
    }
    for (int i = 0; i < NR; i++) {
      long long acc0 = r[0].counters[i], acc1 = r[1].counters[i];
      for (int c = 0; c < 3; c++) {
        double x0 = r[0].state[(3 + c) * NR + i];
        double x1 = r[1].state[((samples[1] - 1) * 3 + c) * NR + i];
        if (a == 0)
          assert_memory_equal(&x0, &x1, sizeof x0);
        else
          assert_true(fabs(x0 - x1) <= 1e-5 * (1 + fabs(x0)));
      }
      if (a == 0) {
        assert_memory_equal(&r[0].counters[i], &r[1].counters[i],
                            sizeof(long long));
        assert_true(r[0].counters[2 * NR + i] == r[1].counters[2 * NR + i]);
      } else {
        /* at most one shortened step per sample */
        assert_true(acc1 >= acc0 && acc1 <= acc0 + samples[1]);
      }
    }
    nh_out_free(&r[0]);
    nh_out_free(&r[1]);
  }
}

/* Counters are exact: k stages per step, one evaluation at the start, and
 * f at each new state (the next step's first stage). */
static void counters_exact(void **s) {
  (void)s;
  const char *algs[] = {"classical-rk4", "dormand-prince-54", "vern9"};
  const long long per_step[] = {4, 6, 16};
  for (int a = 0; a < 3; a++) {
    odeon_options_t o;
    base_options(&o, algs[a], 1e-6);
    o.controller = "fixed";
    o.dt = 1.0 / 64;
    o.duration = 1.0;
    o.save_every = 0.25;
    o.outputs |= ODEON_OUT_COUNTERS;
    nh_kernel k;
    assert_ok(nh_build(nh_lorenz_model, &o, &k));
    nh_out r;
    assert_ok(nh_solve(&k, NR, NULL, rho, NULL, 0, 1, &r));
    for (int i = 0; i < NR; i++) {
      assert_true(r.counters[0 * NR + i] == 64); /* accepted */
      assert_true(r.counters[1 * NR + i] == 0);  /* rejected */
      if (r.counters[2 * NR + i] != 1 + 64 * per_step[a])
        printf("%s: %lld evaluations\n", algs[a], r.counters[2 * NR + i]);
      assert_true(r.counters[2 * NR + i] == 1 + 64 * per_step[a]);
      assert_true(r.counters[3 * NR + i] == 0); /* no Jacobians */
    }
    nh_out_free(&r);
    nh_free(&k);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(saves_dense_dp5),
      cmocka_unit_test(saves_dense_tsit5),
      cmocka_unit_test(saves_hermite_bs3),
      cmocka_unit_test(saves_truncated_vern7),
      cmocka_unit_test(saves_truncated_dp8),
      cmocka_unit_test(settle_equivalence),
      cmocka_unit_test(saves_do_not_disturb),
      cmocka_unit_test(counters_exact),
      cmocka_unit_test(windows_dp5_f64),
      cmocka_unit_test(windows_dp5_f32),
      cmocka_unit_test(windows_vern7_pid),
      cmocka_unit_test(windows_rk4_fixed),
      cmocka_unit_test(windows_tsit5_gustafsson),
      cmocka_unit_test(windows_bs3_i),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
