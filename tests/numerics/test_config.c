/* test_config.c - odeon__kernel_config_init: every bad numerical setting is
 * refused with a message naming the option; names and aliases resolve
 * case-insensitively; defaults follow the method table; the kernel source
 * and arguments carry the configuration. */
#include <math.h>

#include "codegen/kernel_source.h"
#include "test_util.h"

static const char model_text[] = "states: x = 1, y = 0, z = 0\n"
                                 "parameters: rho = 21\n"
                                 "constants: sigma = 10, beta = 8/3\n"
                                 "observables: E = x*x + y*y\n"
                                 "dx = sigma*(y - x)\n"
                                 "dy = x*(rho - z) - y\n"
                                 "dz = x*y - beta*z\n";
static odeon_model_t *model;

static int setup(void **s) {
  (void)s;
  return odeon_model_from_string(model_text, "cfg", &model);
}
static int teardown(void **s) {
  (void)s;
  odeon_model_destroy(model);
  return 0;
}

static void expect_bad(const odeon_options_t *o, const char *fragment) {
  odeon__kernel_config c;
  assert_status(odeon__kernel_config_init(model, o, &c), ODEON_E_INVAL);
  assert_error_contains(fragment);
  odeon__kernel_config_free(&c);
}

static void bad_settings(void **s) {
  (void)s;
  odeon_options_t o;
#define BAD(field_assign, fragment)                                            \
  do {                                                                         \
    odeon_options_init(&o);                                                    \
    field_assign;                                                              \
    expect_bad(&o, fragment);                                                  \
  } while (0)
  BAD(o.algorithm = "runge-kutta-99", "algorithm: unknown method");
  BAD(o.algorithm = "", "algorithm: unknown method");
  BAD(o.controller = "bang-bang", "controller: unknown controller");
  BAD((o.algorithm = "euler", o.controller = "pi"), "needs an error estimate");
  BAD(o.atol = -1e-6, "atol: must be positive");
  BAD(o.rtol = -2.385, "rtol: must be positive");
  BAD(o.rtol = NAN, "rtol");
  BAD(o.dt = -0.1, "dt: must be >= 0");
  BAD((o.dt_min = 0.5, o.dt_max = 0.25), "dt-min: 0.5 is larger than dt-max");
  BAD(o.dt_min = 0, "dt-min: must be positive");
  BAD(o.duration = 0, "duration: must be positive");
  BAD(o.duration = INFINITY, "duration");
  BAD(o.settling_time = -1, "settling-time");
  BAD((o.save_every = 2.385, o.duration = 1), "save-every: 2.385 is larger");
  BAD((o.save_every = 0.1, o.summaries = "mean", o.summarise_every = 0.25),
      "summarise-every: 0.25 must be a whole multiple of save-every 0.1");
  BAD((o.save_every = 0.1, o.summaries = "mean,median"),
      "summaries: unknown metric \"median\"");
  BAD((o.save_every = 0.1, o.summaries = "mean,,max"), "empty metric");
  BAD((o.save_every = 0.1, o.summaries = "peaks[0]"), "peaks[0]");
  BAD((o.save_every = 0.1, o.summaries = "mean[3]"), "takes no [n]");
  BAD((o.save_every = 0.1, o.summaries = "max,max"), "listed twice");
  BAD(o.summaries = "mean", "need save-every > 0");
  BAD(o.outputs |= ODEON_OUT_SUMMARIES, "no metrics given");
  BAD(o.save = "x,w", "save: \"w\" is not a state");
  BAD(o.save = "x,x", "listed twice");
  BAD(o.save = "x,", "save: empty name");
  BAD(o.safety = 1.5, "safety: must lie in (0, 1]");
  BAD(o.gain_min = 0, "gain-min");
  BAD(o.gain_max = 0.5, "gain-max");
  BAD(o.deadband_min = 1.2, "deadband-min");
  BAD(o.beta1 = INFINITY, "beta1");
  BAD(o.max_steps = 0, "max-steps");
  BAD(o.precision = (odeon_precision)7, "precision");
  BAD((o.controller = "pi", o.dt = 1e-14), "dt: initial step");
#undef BAD
}

static void names_and_defaults(void **s) {
  (void)s;
  const char *aliases[][2] = {{"RK45", "dormand-prince-54"},
                              {"ode45", "dormand-prince-54"},
                              {"DOPRI5", "dormand-prince-54"},
                              {"rk4", "classical-rk4"},
                              {"ode23", "bogacki-shampine-32"},
                              {"Dop853", "dormand-prince-853"},
                              {"TSIT5", "tsit5"},
                              {"Vern9", "vern9"}};
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
    const odeon__method_info *m = odeon__method_find(aliases[i][0]);
    assert_non_null(m);
    assert_string_equal(m->name, aliases[i][1]);
  }
  odeon_options_t o;
  odeon_options_init(&o);
  odeon__kernel_config c;
  /* dp5: PI with its own betas, qmin/qmax, dt_max = duration */
  assert_ok(odeon__kernel_config_init(model, &o, &c));
  assert_int_equal(c.controller, ODEON__CTRL_PI);
  assert_true(c.beta1 == 0.17 && c.beta2 == 0.04);
  assert_true(c.gain_min == 0.2 && c.gain_max == 10.0 && c.safety == 0.9);
  assert_true(c.dt_max == 1.0 && c.n_samples == 2);
  odeon__kernel_config_free(&c);
  /* dop853 uses qmin 1/3, qmax 6; rk4 defaults to fixed with duration/1000 */
  o.algorithm = "dop853";
  assert_ok(odeon__kernel_config_init(model, &o, &c));
  assert_true(fabs(c.gain_min - 0.33333334) < 1e-9 && c.gain_max == 6.0);
  odeon__kernel_config_free(&c);
  o.algorithm = "rk4";
  o.duration = 2.385;
  assert_ok(odeon__kernel_config_init(model, &o, &c));
  assert_int_equal(c.controller, ODEON__CTRL_FIXED);
  assert_true(c.dt == 2.385 / 1000);
  odeon__kernel_config_free(&c);
  /* user settings override */
  o.algorithm = "tsit5";
  o.controller = "PID";
  o.beta1 = 0.6;
  o.safety = 0.8;
  assert_ok(odeon__kernel_config_init(model, &o, &c));
  assert_int_equal(c.controller, ODEON__CTRL_PID);
  assert_true(c.beta1 == 0.6 && c.safety == 0.8 && c.beta2 == 1.0 / 9);
  odeon__kernel_config_free(&c);
}

static void labels_and_source(void **s) {
  (void)s;
  odeon_options_t o;
  odeon_options_init(&o);
  o.save = "z, x";
  o.outputs |= ODEON_OUT_OBSERVABLES | ODEON_OUT_COUNTERS;
  o.t0 = 2.385;
  o.settling_time = 0.5;
  o.duration = 3;
  o.save_every = 0.1;
  o.summarise_every = 1.5;
  o.summaries = "rms,extrema,negative_peaks[2]";
  o.precision = ODEON_FLOAT32;
  odeon__kernel_config c;
  assert_ok(odeon__kernel_config_init(model, &o, &c));
  int64_t n;
  const char *const *l = odeon__kernel_labels(&c, "state", &n);
  assert_int_equal(n, 2);
  assert_string_equal(l[0], "z");
  assert_string_equal(l[1], "x");
  l = odeon__kernel_labels(&c, "observables", &n);
  assert_int_equal(n, 1);
  assert_string_equal(l[0], "E");
  l = odeon__kernel_labels(&c, "summaries", &n);
  assert_int_equal(n, 3 * (1 + 2 + 2));
  assert_string_equal(l[0], "rms(z)");
  assert_string_equal(l[2], "rms(E)");
  assert_string_equal(l[3], "extrema_max(z)");
  assert_string_equal(l[4], "extrema_min(z)");
  assert_string_equal(l[9], "negative_peaks[1](z)");
  assert_string_equal(l[14], "negative_peaks[2](E)");
  l = odeon__kernel_labels(&c, "counters", &n);
  assert_int_equal(n, 6);
  assert_string_equal(l[2], "rhs_evaluations");
  assert_null(odeon__kernel_labels(&c, "status", &n));
  assert_int_equal(c.n_samples, 31);
  assert_int_equal(c.n_windows, 2);
  assert_true(odeon__sample_time(&c, 17) == (2.385 + 0.5) + 17 * 0.1);

  char *src = NULL;
  assert_ok(odeon__kernel_source(model, &c, ODEON__LANG_C, &src));
  assert_non_null(strstr(src, "#define ODEON_REAL_IS_FLOAT 1"));
  assert_non_null(strstr(src, "#define ODEON_SAVED_INIT {2, 0}"));
  assert_non_null(strstr(src, "#define ODEON_SUM_ROW_NPEAKS 9"));
  assert_non_null(strstr(src, "#include \"erk.h\""));
  assert_non_null(strstr(src, "#include \"kernel_entry.h\""));
  free(src);
  assert_ok(odeon__kernel_source(model, &c, ODEON__LANG_CUDA, &src));
  assert_non_null(strstr(src, "CUDA"));
  free(src);

  odeon_kernel_args a;
  assert_ok(odeon__kernel_args_init(&c, &o, &a));
  assert_true(a.t0 == 2.385 && a.settle == 0.5 && a.duration == 3);
  assert_int_equal(a.n_samples, 31);
  assert_int_equal(a.sample_end, 31);
  assert_int_equal(a.window_end, 2);
  assert_true(a.summarise_every == 1.5 && a.atol == 1e-6);
  assert_true(a.gain_max == 10.0 && a.beta1 == 0.17 && a.resume == 0);
  assert_null(a.carry);
  odeon__kernel_config_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bad_settings),
      cmocka_unit_test(names_and_defaults),
      cmocka_unit_test(labels_and_source),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
