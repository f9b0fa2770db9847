/* test_implicit_stiff.c - the stiff problems of the IVP test set (Bari;
 * Hairer & Wanner II) as parameter sweeps in float64 on real kernels
 * (the examples/ model files -> kernel source -> system cc -> dlopen, through
 * tests/numerics/harness.c): Robertson to t = 1e11, Van der Pol with
 * mu = 1000, HIRES and OREGO reach their published reference solutions
 * within a tolerance-scaled bound; every run of the sweep finishes with
 * status 0, conserved quantities stay conserved, and the counters show a
 * sane number of steps, Jacobians and Newton iterations. Also: a solve
 * split into time windows is bitwise identical to one launch (the
 * families' carry), and bad settings are refused with clear messages. */
#include <math.h>

#include "harness.h"
#include "test_util.h"

/* Read examples/NAME into a malloc'd string. */
static char *read_example(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/examples/%s", ODEON_SOURCE_DIR, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    print_error("cannot open %s\n", path);
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)len + 1);
  if (s && fread(s, 1, (size_t)len, f) != (size_t)len) {
    free(s);
    s = NULL;
  }
  if (s)
    s[len] = '\0';
  fclose(f);
  return s;
}

typedef struct problem {
  const char *file;
  double t_end;
  int n_states;
  const double *ref;
  double atol, rtol;
  /* run r of the sweep: parameter `param` (index) takes values[r % nv];
   * runs whose value equals the model's default are compared with ref */
  int param;
  const double *values;
  int n_values;
  double bound; /* |y - ref| <= bound * (atol + rtol |ref|) */
  long long max_steps_per_run;
} problem;

static const double rober_ref[3] = {0.2083340149701255e-7,
                                    0.8333360770334713e-13, 0.9999999791665050};
static const double rober_k1[4] = {0.04, 0.02, 0.04, 0.08};

/* Van der Pol in the test set's scaling, eps = 1e-6 (mu = 1000), t = 2 */
static const double vdpol_ref[2] = {0.1706167732170483e1,
                                    -0.8928097010247975e0};
static const double vdpol_eps[4] = {1e-6, 1e-4, 1e-6, 1e-5};

static const double hires_ref[8] = {
    0.7371312573325668e-3, 0.1442485726316185e-3, 0.5888729740967575e-4,
    0.1175651343283149e-2, 0.2386356198831331e-2, 0.6238968252742796e-2,
    0.2849998395185769e-2, 0.2850001604814231e-2};
static const double hires_k10[4] = {280, 140, 280, 560};

static const double orego_ref[3] = {0.1000814870318523e1, 0.1228178521549917e4,
                                    0.1320554942846706e3};
static const double orego_w[4] = {0.161, 0.1, 0.161, 0.2};

static const problem ROBER = {
    "robertson.ode", 1e11, 3,    rober_ref, 1e-14, 1e-8, 0,
    rober_k1,        4,    50.0, 5000};
static const problem VDPOL = {
    "vanderpol.ode", 2.0, 2,    vdpol_ref, 1e-8, 1e-8, 0,
    vdpol_eps,       4,   50.0, 20000};
static const problem HIRES = {"hires.ode", 321.8122,  8, hires_ref, 1e-10, 1e-8,
                              9,           hires_k10, 4, 50.0,      5000};
static const problem OREGO = {"orego.ode", 360.0,   3, orego_ref, 1e-8, 1e-8,
                              1,           orego_w, 4, 50.0,      20000};

/* Solve the problem's sweep with `method` and check it. */
static void run_problem(const problem *pb, const char *method) {
  char *text = read_example(pb->file);
  assert_non_null(text);
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = method;
  o.precision = ODEON_FLOAT64;
  o.duration = pb->t_end;
  o.atol = pb->atol;
  o.rtol = pb->rtol;
  o.dt_min = 1e-20;
  o.outputs |= ODEON_OUT_COUNTERS;
  nh_kernel k;
  assert_ok(nh_build(text, &o, &k));
  const long long n = 16, ns = pb->n_states;
  const long long np = k.cfg.n_params;
  double *p = malloc(sizeof(double) * (size_t)(np * n));
  assert_non_null(p);
  double def = 0;
  for (long long i = 0; i < np; i++) {
    double v = 0;
    assert_ok(odeon_model_default(k.model, ODEON_SYM_PARAMETER, i, &v));
    for (long long r = 0; r < n; r++)
      p[i * n + r] = v;
  }
  assert_ok(odeon_model_default(k.model, ODEON_SYM_PARAMETER, pb->param, &def));
  for (long long r = 0; r < n; r++)
    p[pb->param * n + r] = pb->values[r % pb->n_values];
  nh_out out;
  assert_ok(nh_solve(&k, n, NULL, p, NULL, 0, 1, &out));
  double worst = 0;
  long long acc = 0, rej = 0, newton = 0, jac = 0, compared = 0;
  for (long long r = 0; r < n; r++) {
    if (out.status[r])
      print_error("%s %s run %lld: status %u\n", pb->file, method, r,
                  out.status[r]);
    assert_int_equal(out.status[r], 0);
    acc += out.counters[0 * n + r];
    rej += out.counters[1 * n + r];
    jac += out.counters[3 * n + r];
    newton += out.counters[5 * n + r];
    assert_true(out.counters[0 * n + r] > 0);
    assert_true(out.counters[0 * n + r] <= pb->max_steps_per_run);
    /* Rosenbrock and DIRK form one Jacobian per step (a retry reuses it);
     * Radau also keeps it across steps while Newton contracts fast */
    const long long attempts =
        out.counters[0 * n + r] + out.counters[1 * n + r];
    assert_true(out.counters[3 * n + r] <= attempts);
    if (strcmp(method, "radau_iia_5") == 0)
      assert_true(out.counters[3 * n + r] >= 1);
    else
      assert_true(out.counters[3 * n + r] >= out.counters[0 * n + r]);
    if (pb == &ROBER) {
      /* the reactions conserve y1 + y2 + y3 = 1 in every run */
      double sum = 0;
      for (long long i = 0; i < 3; i++)
        sum += out.state[(1 * ns + i) * n + r];
      assert_true(fabs(sum - 1.0) < 1e-6);
    } else if (pb == &HIRES) {
      /* y7' + y8' = 0: y7 + y8 stays 0.0057 */
      double sum =
          out.state[(1 * ns + 6) * n + r] + out.state[(1 * ns + 7) * n + r];
      assert_true(fabs(sum - 0.0057) < 1e-9);
    }
    if (p[pb->param * n + r] != def)
      continue;
    compared++;
    for (long long i = 0; i < ns; i++) {
      const double y = out.state[(1 * ns + i) * n + r];
      const double e =
          fabs(y - pb->ref[i]) / (pb->atol + pb->rtol * fabs(pb->ref[i]));
      worst = fmax(worst, e);
    }
  }
  print_message("%-15s %-18s worst error %.3g tolerances; per run: %.1f "
                "accepted, %.1f rejected, %.1f Jacobians, %.1f Newton\n",
                pb->file, method, worst, (double)acc / n, (double)rej / n,
                (double)jac / n, (double)newton / n);
  assert_true(compared > 0);
  if (!(worst <= pb->bound))
    print_error("%s with %s: error %.3g x the tolerance (bound %g)\n", pb->file,
                method, worst, pb->bound);
  assert_true(worst <= pb->bound);
  nh_out_free(&out);
  nh_free(&k);
  free(p);
  free(text);
}

static void test_robertson(void **s) {
  (void)s;
  run_problem(&ROBER, "rodas5p");
  run_problem(&ROBER, "radau_iia_5");
}
static void test_vanderpol(void **s) {
  (void)s;
  run_problem(&VDPOL, "rodas5p");
  run_problem(&VDPOL, "radau_iia_5");
}
static void test_hires(void **s) {
  (void)s;
  run_problem(&HIRES, "rodas5p");
  run_problem(&HIRES, "radau_iia_5");
}
static void test_orego(void **s) {
  (void)s;
  run_problem(&OREGO, "rodas5p");
  run_problem(&OREGO, "radau_iia_5");
}

/* The other adaptive implicit methods on every problem (slow label). */
static void test_all_methods(void **s) {
  (void)s;
  static const char *methods[] = {"rodas4", "kvaerno5", "l_stable_sdirk_4"};
  const problem *pbs[] = {&ROBER, &VDPOL, &HIRES, &OREGO};
  for (int m = 0; m < 3; m++)
    for (int i = 0; i < 4; i++)
      run_problem(pbs[i], methods[m]);
}

/* A solve split into time windows (the integrator state carried between
 * launches) is bitwise identical to one launch, for each family. */
static void test_windows_bitwise(void **s) {
  (void)s;
  static const char *methods[] = {"rodas5p",         "kvaerno5",
                                  "radau_iia_5",     "crank_nicolson",
                                  "backwards_euler", "rosenbrock23_sciml"};
  char *text = read_example("vanderpol.ode");
  assert_non_null(text);
  for (int m = 0; m < 6; m++) {
    odeon_options_t o;
    odeon_options_init(&o);
    o.algorithm = methods[m];
    o.duration = 2.0;
    o.save_every = 0.25;
    o.atol = o.rtol = 1e-6;
    o.outputs |= ODEON_OUT_COUNTERS;
    nh_kernel k;
    assert_ok(nh_build(text, &o, &k));
    const long long n = 3;
    const double p[3] = {1e-3, 2.385e-3, 1e-2};
    nh_out one, three;
    assert_ok(nh_solve(&k, n, NULL, p, NULL, 0, 1, &one));
    assert_ok(nh_solve(&k, n, NULL, p, NULL, 0, 3, &three));
    const long long len = k.cfg.n_samples * k.cfg.n_saved * n;
    assert_int_equal(memcmp(one.state, three.state, sizeof(double) * len), 0);
    assert_int_equal(
        memcmp(one.counters, three.counters, sizeof(long long) * 6 * n), 0);
    for (long long r = 0; r < n; r++)
      assert_int_equal(one.status[r], 0);
    nh_out_free(&one);
    nh_out_free(&three);
    nh_free(&k);
  }
  free(text);
}

/* Bad settings are refused before anything is compiled, with messages
 * that name the problem. */
static void rhs_decay(double t, const double *y, const double *p, double *dy,
                      void *user) {
  (void)t;
  (void)user;
  dy[0] = -p[0] * y[0];
}

static void test_bad_settings(void **s) {
  (void)s;
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = "rodas5p";
  odeon__kernel_config cfg;
  /* an implicit method on a model without a Jacobian */
  odeon_model_t *m = NULL;
  const double y0 = 2.385, k = 1.5;
  assert_ok(odeon_model_from_functions(1, NULL, &y0, 1, NULL, &k, rhs_decay,
                                       NULL, NULL, &m));
  assert_status(odeon__kernel_config_init(m, &o, &cfg), ODEON_E_UNSUPPORTED);
  assert_error_contains("needs the exact Jacobian");
  assert_error_contains("rodas5p");
  /* ... while an explicit method is fine on it */
  o.algorithm = "dormand-prince-54";
  assert_ok(odeon__kernel_config_init(m, &o, &cfg));
  odeon__kernel_config_free(&cfg);
  odeon_model_destroy(m);
  /* a non-positive Newton tolerance */
  char *text = read_example("orego.ode");
  assert_non_null(text);
  assert_ok(odeon_model_from_string(text, "orego.ode", &m));
  o.algorithm = "kvaerno5";
  o.newton_tol = 0.0;
  assert_status(odeon__kernel_config_init(m, &o, &cfg), ODEON_E_INVAL);
  assert_error_contains("newton-tol");
  o.newton_tol = -0.03;
  assert_status(odeon__kernel_config_init(m, &o, &cfg), ODEON_E_INVAL);
  assert_error_contains("newton-tol");
  o.newton_tol = NAN;
  o.newton_max_iters = -2;
  assert_status(odeon__kernel_config_init(m, &o, &cfg), ODEON_E_INVAL);
  assert_error_contains("newton-max-iters");
  /* a fixed-step-only method with an adaptive controller */
  o.newton_max_iters = 0;
  o.algorithm = "implicit_midpoint";
  o.controller = "pi";
  assert_status(odeon__kernel_config_init(m, &o, &cfg), ODEON_E_INVAL);
  assert_error_contains("implicit_midpoint");
  odeon_model_destroy(m);
  free(text);
}

/* Runs that cannot continue stop with their own status bits while the
 * others of the sweep finish: a Jacobian that is infinite at y = 0
 * (sqrt) makes the iteration matrix unusable (SINGULAR), and a Newton cap
 * of 2 on a strongly nonlinear stiff run cannot converge (NEWTON); the
 * loop halves h until dt_min and stops the run (DT_MIN). */
static void test_failing_runs(void **s) {
  (void)s;
  const char model[] = "states: u = 1\n"
                       "parameters: k = 1\n"
                       "du = -k * sqrt(u) - u\n";
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = "backwards_euler";
  o.duration = 1.0;
  o.dt_min = 1e-6;
  o.outputs |= ODEON_OUT_COUNTERS;
  nh_kernel k;
  assert_ok(nh_build(model, &o, &k));
  const long long n = 4;
  const double y0[4] = {2.385, 0.0, 1.5, 0.0};
  const double p[4] = {0.0, 1.0, 0.0, 2.0};
  nh_out out;
  assert_ok(nh_solve(&k, n, y0, p, NULL, 0, 1, &out));
  for (long long r = 0; r < n; r++) {
    const unsigned want =
        y0[r] == 0.0 ? (ODEON_RUN_SINGULAR | ODEON_RUN_DT_MIN) : 0u;
    if (out.status[r] != want)
      print_error("run %lld: status %u, want %u\n", r, out.status[r], want);
    assert_int_equal(out.status[r], want);
    if (!want) /* k = 0: u' = -u, exact e^-1 within BE's first order */
      assert_true(fabs(out.state[(1 * 1 + 0) * n + r] - y0[r] * exp(-1.0)) <
                  1e-2 * y0[r]);
    else /* the failed attempts were counted as rejections */
      assert_true(out.counters[1 * n + r] > 0);
  }
  nh_out_free(&out);
  nh_free(&k);

  /* a Newton cap of 2: nonlinear stiff runs fail, linear ones converge (the
   * second iteration confirms the first, exact, correction) */
  const char model2[] = "states: u = 1\n"
                        "parameters: c = 0\n"
                        "du = -1000 * u - c * u^3\n";
  odeon_options_init(&o);
  o.algorithm = "kvaerno5";
  o.controller = "fixed"; /* no error control: only Newton shrinks h */
  o.duration = 1.0;
  o.dt = 0.1;
  o.dt_min = 1e-3;
  o.newton_max_iters = 2;
  assert_ok(nh_build(model2, &o, &k));
  const double u0[4] = {1.0, 2.385, 1.0, 2.385};
  const double c[4] = {0.0, 5e4, 0.0, 5e4};
  assert_ok(nh_solve(&k, n, u0, c, NULL, 0, 1, &out));
  for (long long r = 0; r < n; r++) {
    const unsigned want =
        c[r] != 0.0 ? (ODEON_RUN_NEWTON | ODEON_RUN_DT_MIN) : 0u;
    if (out.status[r] != want)
      print_error("cap 2, run %lld: status %u, want %u\n", r, out.status[r],
                  want);
    assert_int_equal(out.status[r], want);
  }
  nh_out_free(&out);
  nh_free(&k);
}

int main(int argc, char **argv) {
  const int full = argc > 1 && strcmp(argv[1], "full") == 0;
  const struct CMUnitTest quick[] = {
      cmocka_unit_test(test_robertson),
      cmocka_unit_test(test_vanderpol),
      cmocka_unit_test(test_hires),
      cmocka_unit_test(test_orego),
      cmocka_unit_test(test_windows_bitwise),
      cmocka_unit_test(test_bad_settings),
      cmocka_unit_test(test_failing_runs),
  };
  const struct CMUnitTest slow[] = {
      cmocka_unit_test(test_all_methods),
  };
  return full ? cmocka_run_group_tests(slow, NULL, NULL)
              : cmocka_run_group_tests(quick, NULL, NULL);
}
