/* kernel_config.c - validation of the numerical options into a kernel
 * configuration (odeon__kernel_config_init), with one clear message per
 * mistake naming the option, and the labels the result shows. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codegen/kernel_source.h"
#include "model/model.h"
#include "util/error.h"

const char *const odeon__metric_names[ODEON__M_COUNT] = {
    "mean",          "min",        "max",
    "rms",           "std",        "extrema",
    "max_magnitude", "peaks",      "negative_peaks",
    "dxdt_max",      "dxdt_min",   "dxdt_extrema",
    "d2xdt2_max",    "d2xdt2_min", "d2xdt2_extrema"};

const char *const odeon__counter_names[ODEON__N_COUNTERS] = {
    "accepted",        "rejected",
    "rhs_evaluations", "jacobian_evaluations",
    "factorisations",  "newton_iterations"};

/* Rows a metric takes per variable. */
static int metric_width(const odeon__kernel_config *c, int m) {
  switch (m) {
  case ODEON__M_EXTREMA:
  case ODEON__M_DXDT_EXTREMA:
  case ODEON__M_D2XDT2_EXTREMA:
    return 2;
  case ODEON__M_PEAKS:
    return c->peaks;
  case ODEON__M_NPEAKS:
    return c->npeaks;
  default:
    return 1;
  }
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

void odeon__kernel_config_free(odeon__kernel_config *cfg) {
  if (!cfg)
    return;
  if (cfg->state_labels)
    for (int64_t i = 0; i < cfg->n_saved; i++)
      free(cfg->state_labels[i]);
  if (cfg->obs_labels)
    for (int64_t i = 0; i < cfg->n_obs_saved; i++)
      free(cfg->obs_labels[i]);
  if (cfg->summary_labels)
    for (int64_t i = 0; i < cfg->n_summary_rows; i++)
      free(cfg->summary_labels[i]);
  free(cfg->state_labels);
  free(cfg->obs_labels);
  free(cfg->summary_labels);
  free(cfg->saved);
  memset(cfg, 0, sizeof *cfg);
}

static int finite_in(double x) { return isfinite(x); }

/* Resolve a controller setting: NaN = default, else it must pass `ok`. */
static int setting(double given, double def, int ok, const char *name,
                   const char *rule, double *out) {
  if (isnan(given)) {
    *out = def;
    return ODEON_OK;
  }
  if (!ok)
    return odeon__error(ODEON_E_INVAL, "%s: %s, got %g", name, rule, given);
  *out = given;
  return ODEON_OK;
}

/* Parse the `save` list ("x,z") into state indices. */
static int parse_save(const odeon_model_t *m, const char *save,
                      odeon__kernel_config *c) {
  if (!save) {
    c->n_saved = c->n_states;
    c->saved =
        malloc(sizeof(int64_t) * (size_t)(c->n_states ? c->n_states : 1));
    if (!c->saved)
      return odeon__error(ODEON_E_NOMEM, "save: out of memory");
    for (int64_t i = 0; i < c->n_states; i++)
      c->saved[i] = i;
    return ODEON_OK;
  }
  size_t len = strlen(save);
  c->saved = malloc(sizeof(int64_t) * (len + 1));
  if (!c->saved)
    return odeon__error(ODEON_E_NOMEM, "save: out of memory");
  c->n_saved = 0;
  const char *p = save;
  for (;;) {
    while (*p == ' ')
      p++;
    const char *e = p;
    while (*e && *e != ',')
      e++;
    const char *q = e;
    while (q > p && q[-1] == ' ')
      q--;
    char name[256];
    size_t n = (size_t)(q - p);
    if (n == 0)
      return odeon__error(ODEON_E_INVAL,
                          "save: empty name in \"%s\" (expected state names "
                          "separated by commas)",
                          save);
    if (n >= sizeof name)
      return odeon__error(ODEON_E_INVAL, "save: name too long in \"%s\"", save);
    memcpy(name, p, n);
    name[n] = '\0';
    int64_t idx = odeon_model_index(m, ODEON_SYM_STATE, name);
    if (idx < 0)
      return odeon__error(ODEON_E_INVAL,
                          "save: \"%s\" is not a state of the model", name);
    for (int64_t i = 0; i < c->n_saved; i++)
      if (c->saved[i] == idx)
        return odeon__error(ODEON_E_INVAL, "save: \"%s\" is listed twice",
                            name);
    c->saved[c->n_saved++] = idx;
    if (!*e)
      break;
    p = e + 1;
  }
  return ODEON_OK;
}

/* Parse the metric list ("mean,max,peaks[3]"). */
static int parse_metrics(const char *list, odeon__kernel_config *c) {
  const char *p = list;
  for (;;) {
    while (*p == ' ')
      p++;
    const char *e = p;
    while (*e && *e != ',')
      e++;
    const char *q = e;
    while (q > p && q[-1] == ' ')
      q--;
    size_t n = (size_t)(q - p);
    if (n == 0)
      return odeon__error(ODEON_E_INVAL,
                          "summaries: empty metric name in \"%s\"", list);
    char word[64];
    if (n >= sizeof word)
      return odeon__error(ODEON_E_INVAL, "summaries: metric name too long");
    memcpy(word, p, n);
    word[n] = '\0';
    long arg = -1;
    char *br = strchr(word, '[');
    if (br) {
      char *end = NULL;
      arg = strtol(br + 1, &end, 10);
      if (end == br + 1 || *end != ']' || end[1] != '\0' || arg < 1 || arg > 64)
        return odeon__error(ODEON_E_INVAL,
                            "summaries: \"%s\": expected NAME[n] with n a "
                            "whole number from 1 to 64",
                            word);
      *br = '\0';
    }
    int m = -1;
    for (int i = 0; i < ODEON__M_COUNT; i++)
      if (strcasecmp(word, odeon__metric_names[i]) == 0)
        m = i;
    if (m < 0)
      return odeon__error(
          ODEON_E_INVAL,
          "summaries: unknown metric \"%s\" (known: mean, min, max, rms, "
          "std, extrema, max_magnitude, peaks[n], negative_peaks[n], "
          "dxdt_max, dxdt_min, dxdt_extrema, d2xdt2_max, d2xdt2_min, "
          "d2xdt2_extrema)",
          word);
    if (arg >= 0 && m != ODEON__M_PEAKS && m != ODEON__M_NPEAKS)
      return odeon__error(ODEON_E_INVAL,
                          "summaries: \"%s\" takes no [n] argument", word);
    for (int i = 0; i < c->n_metrics; i++)
      if (c->metric[i] == m)
        return odeon__error(ODEON_E_INVAL, "summaries: \"%s\" is listed twice",
                            word);
    if (m == ODEON__M_PEAKS)
      c->peaks = arg > 0 ? (int)arg : 1;
    if (m == ODEON__M_NPEAKS)
      c->npeaks = arg > 0 ? (int)arg : 1;
    c->metric[c->n_metrics++] = m;
    if (!*e)
      break;
    p = e + 1;
  }
  return ODEON_OK;
}

static int make_labels(const odeon_model_t *m, odeon__kernel_config *c) {
  size_t ns = (size_t)(c->n_saved ? c->n_saved : 1);
  size_t no = (size_t)(c->n_obs_saved ? c->n_obs_saved : 1);
  size_t nr = (size_t)(c->n_summary_rows ? c->n_summary_rows : 1);
  c->state_labels = calloc(ns, sizeof(char *));
  c->obs_labels = calloc(no, sizeof(char *));
  c->summary_labels = calloc(nr, sizeof(char *));
  if (!c->state_labels || !c->obs_labels || !c->summary_labels)
    return odeon__error(ODEON_E_NOMEM, "labels: out of memory");
  for (int64_t i = 0; i < c->n_saved; i++) {
    const char *nm = odeon_model_name(m, ODEON_SYM_STATE, c->saved[i]);
    if (!nm || !(c->state_labels[i] = dup_str(nm)))
      return odeon__error(ODEON_E_NOMEM, "labels: out of memory");
  }
  for (int64_t i = 0; i < c->n_obs_saved; i++) {
    const char *nm = odeon_model_name(m, ODEON_SYM_OBSERVABLE, i);
    if (!nm || !(c->obs_labels[i] = dup_str(nm)))
      return odeon__error(ODEON_E_NOMEM, "labels: out of memory");
  }
  int64_t row = 0;
  for (int k = 0; k < c->n_metrics; k++) {
    int mt = c->metric[k];
    int w = metric_width(c, mt);
    for (int64_t v = 0; v < c->n_summary_vars; v++) {
      const char *var =
          v < c->n_saved ? c->state_labels[v] : c->obs_labels[v - c->n_saved];
      for (int j = 0; j < w; j++) {
        char buf[512];
        const char *mn = odeon__metric_names[mt];
        if (mt == ODEON__M_EXTREMA || mt == ODEON__M_DXDT_EXTREMA ||
            mt == ODEON__M_D2XDT2_EXTREMA)
          snprintf(buf, sizeof buf, "%s_%s(%s)", mn, j == 0 ? "max" : "min",
                   var);
        else if (mt == ODEON__M_PEAKS || mt == ODEON__M_NPEAKS)
          snprintf(buf, sizeof buf, "%s[%d](%s)", mn, j + 1, var);
        else
          snprintf(buf, sizeof buf, "%s(%s)", mn, var);
        if (!(c->summary_labels[row++] = dup_str(buf)))
          return odeon__error(ODEON_E_NOMEM, "labels: out of memory");
      }
    }
  }
  return ODEON_OK;
}

/* Is x a whole multiple of y (relative slack 1e-9)? */
static int whole_multiple(double x, double y) {
  double r = x / y;
  return fabs(r - floor(r + 0.5)) <= 1e-9 * (r > 1 ? r : 1);
}

static int config_init(const odeon_model_t *m, const odeon_options_t *o,
                       odeon__kernel_config *c) {
  int rc;
  if (!m || !o)
    return odeon__error(ODEON_E_INVAL, "kernel configuration: %s is NULL",
                        !m ? "model" : "options");
  c->n_states = odeon_model_count(m, ODEON_SYM_STATE);
  c->n_params = odeon_model_count(m, ODEON_SYM_PARAMETER);
  c->n_observables = odeon_model_count(m, ODEON_SYM_OBSERVABLE);
  c->n_drivers = odeon_model_count(m, ODEON_SYM_DRIVER);
  if (c->n_states < 1 || c->n_params < 0 || c->n_observables < 0 ||
      c->n_drivers < 0)
    return odeon__error(ODEON_E_INVAL,
                        "model: needs at least one state (has %lld)",
                        (long long)c->n_states);

  /* method and controller */
  const char *alg = o->algorithm ? o->algorithm : "dormand-prince-54";
  c->method = odeon__method_find(alg);
  if (!c->method) {
    char list[1024];
    odeon__method_list(list, sizeof list);
    return odeon__error(ODEON_E_INVAL,
                        "algorithm: unknown method \"%s\" (known: %s)", alg,
                        list);
  }
  /* implicit families (2..4) need df/dy (and df/dt) from the model */
  if (c->method->family >= 2 && !odeon__model_has_jacobian(m))
    return odeon__error(ODEON_E_UNSUPPORTED,
                        "algorithm: \"%s\" is implicit and needs the exact "
                        "Jacobian, which this model cannot provide (give a "
                        "Jacobian function, or use an explicit method)",
                        c->method->name);
  if (o->controller) {
    c->controller = odeon__controller_find(o->controller);
    if (c->controller < 0)
      return odeon__error(ODEON_E_INVAL,
                          "controller: unknown controller \"%s\" (known: "
                          "fixed, i, pi, pid, gustafsson)",
                          o->controller);
    if (c->controller != ODEON__CTRL_FIXED && !c->method->adaptive)
      return odeon__error(ODEON_E_INVAL,
                          "controller: \"%s\" needs an error estimate, which "
                          "algorithm \"%s\" does not have; use \"fixed\"",
                          o->controller, c->method->name);
  } else {
    c->controller = c->method->default_controller;
  }
  if (o->precision != ODEON_FLOAT64 && o->precision != ODEON_FLOAT32)
    return odeon__error(ODEON_E_INVAL,
                        "precision: must be float32 or float64 (got %d)",
                        (int)o->precision);
  c->precision = o->precision;
  c->real_bytes = o->precision == ODEON_FLOAT32 ? 4 : 8;

  /* timing */
  if (!finite_in(o->t0))
    return odeon__error(ODEON_E_INVAL, "t0: must be finite, got %g", o->t0);
  if (!finite_in(o->duration) || !(o->duration > 0))
    return odeon__error(ODEON_E_INVAL,
                        "duration: must be positive and finite, got %g",
                        o->duration);
  if (!finite_in(o->settling_time) || o->settling_time < 0)
    return odeon__error(ODEON_E_INVAL,
                        "settling-time: must be >= 0 and finite, got %g",
                        o->settling_time);
  if (!finite_in(o->save_every) || o->save_every < 0)
    return odeon__error(ODEON_E_INVAL,
                        "save-every: must be >= 0 and finite, got %g",
                        o->save_every);
  if (o->save_every > o->duration)
    return odeon__error(ODEON_E_INVAL,
                        "save-every: %g is larger than the duration %g",
                        o->save_every, o->duration);
  if (!finite_in(o->summarise_every) || o->summarise_every < 0)
    return odeon__error(ODEON_E_INVAL,
                        "summarise-every: must be >= 0 and finite, got %g",
                        o->summarise_every);
  c->t0 = o->t0;
  c->settle = o->settling_time;
  c->duration = o->duration;
  c->save_every = o->save_every;
  c->n_samples =
      o->save_every > 0
          ? (int64_t)floor(o->duration / o->save_every * (1.0 + 1e-9) + 1e-9) +
                1
          : 2;

  /* tolerances and steps */
  if (!finite_in(o->atol) || !(o->atol > 0))
    return odeon__error(ODEON_E_INVAL,
                        "atol: must be positive and finite, got %g", o->atol);
  if (!finite_in(o->rtol) || !(o->rtol > 0))
    return odeon__error(ODEON_E_INVAL,
                        "rtol: must be positive and finite, got %g", o->rtol);
  if (!finite_in(o->dt) || o->dt < 0)
    return odeon__error(ODEON_E_INVAL,
                        "dt: must be >= 0 (0 = automatic), got %g", o->dt);
  if (!finite_in(o->dt_min) || !(o->dt_min > 0))
    return odeon__error(ODEON_E_INVAL, "dt-min: must be positive, got %g",
                        o->dt_min);
  if (!finite_in(o->dt_max) || o->dt_max < 0)
    return odeon__error(ODEON_E_INVAL,
                        "dt-max: must be >= 0 (0 = the duration), got %g",
                        o->dt_max);
  c->atol = o->atol;
  c->rtol = o->rtol;
  c->dt_min = o->dt_min;
  c->dt_max = o->dt_max > 0 ? o->dt_max : o->duration + o->settling_time;
  if (c->dt_min > c->dt_max)
    return odeon__error(ODEON_E_INVAL, "dt-min: %g is larger than dt-max %g",
                        c->dt_min, c->dt_max);
  c->dt = o->dt;
  if (c->controller == ODEON__CTRL_FIXED) {
    if (c->dt == 0)
      c->dt = o->duration / 1000.0;
  }
  if (c->dt > 0 && c->controller != ODEON__CTRL_FIXED &&
      (c->dt < c->dt_min || c->dt > c->dt_max))
    return odeon__error(ODEON_E_INVAL,
                        "dt: initial step %g lies outside [dt-min %g, "
                        "dt-max %g]",
                        c->dt, c->dt_min, c->dt_max);
  if (o->max_steps < 1)
    return odeon__error(ODEON_E_INVAL, "max-steps: must be >= 1, got %lld",
                        (long long)o->max_steps);
  c->max_steps = o->max_steps;

  /* controller settings */
  const odeon__method_info *mi = c->method;
  /* PID defaults: Söderlind's H312PID (1/18, 1/9, 1/18), from the table
   * of OrdinaryDiffEq's PIDController documentation */
  int is_pid = c->controller == ODEON__CTRL_PID;
  if ((rc = setting(o->safety, 0.9, o->safety > 0 && o->safety <= 1, "safety",
                    "must lie in (0, 1]", &c->safety)))
    return rc;
  if ((rc = setting(o->gain_min, mi->qmin, o->gain_min > 0 && o->gain_min <= 1,
                    "gain-min", "must lie in (0, 1]", &c->gain_min)))
    return rc;
  if ((rc = setting(o->gain_max, mi->qmax,
                    o->gain_max >= 1 && finite_in(o->gain_max), "gain-max",
                    "must be >= 1 and finite", &c->gain_max)))
    return rc;
  if ((rc = setting(o->beta1, is_pid ? 1.0 / 18.0 : mi->beta1,
                    finite_in(o->beta1), "beta1", "must be finite", &c->beta1)))
    return rc;
  if ((rc = setting(o->beta2, is_pid ? 1.0 / 9.0 : mi->beta2,
                    finite_in(o->beta2), "beta2", "must be finite", &c->beta2)))
    return rc;
  if ((rc = setting(o->beta3, is_pid ? 1.0 / 18.0 : 0.0, finite_in(o->beta3),
                    "beta3", "must be finite", &c->beta3)))
    return rc;
  if ((rc = setting(o->deadband_min, mi->qsteady_min,
                    o->deadband_min > 0 && o->deadband_min <= 1, "deadband-min",
                    "must lie in (0, 1]", &c->deadband_min)))
    return rc;
  if ((rc = setting(o->deadband_max, mi->qsteady_max,
                    o->deadband_max >= 1 && finite_in(o->deadband_max),
                    "deadband-max", "must be >= 1 and finite",
                    &c->deadband_max)))
    return rc;
  c->newton_max_iters =
      o->newton_max_iters > 0 ? o->newton_max_iters : mi->newton_max_iters;
  if (o->newton_max_iters < 0)
    return odeon__error(ODEON_E_INVAL, "newton-max-iters: must be >= 0, got %d",
                        o->newton_max_iters);
  if ((rc = setting(o->newton_tol, mi->newton_tol,
                    o->newton_tol > 0 && finite_in(o->newton_tol), "newton-tol",
                    "must be positive", &c->newton_tol)))
    return rc;

  /* outputs */
  c->outputs = o->outputs;
  if ((rc = parse_save(m, o->save, c)))
    return rc;
  c->n_obs_saved = (o->outputs & ODEON_OUT_OBSERVABLES) ? c->n_observables : 0;
  int want_sum = o->summaries && *o->summaries;
  if ((o->outputs & ODEON_OUT_SUMMARIES) && !want_sum)
    return odeon__error(ODEON_E_INVAL,
                        "outputs: summaries requested but no metrics given "
                        "(set summaries, e.g. \"mean,max\")");
  if (want_sum) {
    if ((rc = parse_metrics(o->summaries, c)))
      return rc;
    c->outputs |= ODEON_OUT_SUMMARIES;
    if (!(o->save_every > 0))
      return odeon__error(ODEON_E_INVAL,
                          "summaries: need save-every > 0 (statistics are "
                          "taken at the saved samples)");
    double w = o->summarise_every > 0
                   ? o->summarise_every
                   : (double)(c->n_samples - 1) * o->save_every;
    if (o->summarise_every > o->duration * (1 + 1e-12))
      return odeon__error(ODEON_E_INVAL,
                          "summarise-every: %g is larger than the duration %g",
                          o->summarise_every, o->duration);
    if (o->summarise_every > 0 &&
        (o->summarise_every < o->save_every * (1 - 1e-12) ||
         !whole_multiple(o->summarise_every, o->save_every)))
      return odeon__error(ODEON_E_INVAL,
                          "summarise-every: %g must be a whole multiple of "
                          "save-every %g",
                          o->summarise_every, o->save_every);
    c->summarise_every = w;
    c->window_samples = (int64_t)floor(w / o->save_every + 0.5);
    c->n_windows = (c->n_samples - 1) / c->window_samples;
    c->n_summary_vars = c->n_saved + c->n_obs_saved;
    if (c->n_summary_vars < 1)
      return odeon__error(ODEON_E_INVAL,
                          "summaries: nothing to summarise (no saved states "
                          "or observables)");
    for (int k = 0; k < c->n_metrics; k++)
      c->n_summary_rows +=
          (int64_t)metric_width(c, c->metric[k]) * c->n_summary_vars;
  } else {
    c->outputs &= ~(uint32_t)ODEON_OUT_SUMMARIES;
    c->summarise_every = o->summarise_every;
    c->window_samples = 1;
    c->n_windows = 0;
  }
  return make_labels(m, c);
}

int odeon__kernel_config_init(const odeon_model_t *m, const odeon_options_t *o,
                              odeon__kernel_config *cfg) {
  if (!cfg)
    return odeon__error(ODEON_E_INVAL, "kernel configuration: cfg is NULL");
  memset(cfg, 0, sizeof *cfg);
  int rc = config_init(m, o, cfg);
  if (rc)
    odeon__kernel_config_free(cfg);
  return rc;
}

double odeon__sample_time(const odeon__kernel_config *cfg, int64_t k) {
  const double start = cfg->t0 + cfg->settle;
  if (cfg->save_every > 0.0)
    return start + (double)k * cfg->save_every;
  return k == 0 ? start : start + cfg->duration;
}

const char *const *odeon__kernel_labels(const odeon__kernel_config *cfg,
                                        const char *output, int64_t *count) {
  int64_t n = 0;
  const char *const *l = NULL;
  if (cfg && output) {
    if (strcmp(output, "state") == 0) {
      n = cfg->n_saved;
      l = (const char *const *)cfg->state_labels;
    } else if (strcmp(output, "observables") == 0) {
      n = cfg->n_obs_saved;
      l = (const char *const *)cfg->obs_labels;
    } else if (strcmp(output, "summaries") == 0) {
      n = cfg->n_summary_rows;
      l = (const char *const *)cfg->summary_labels;
    } else if (strcmp(output, "counters") == 0) {
      n = ODEON__N_COUNTERS;
      l = odeon__counter_names;
    }
  }
  if (count)
    *count = l ? n : 0;
  return l;
}

int odeon__kernel_config_init_entry(const odeon__kernel_config *cfg) {
  return cfg->method && cfg->method->adaptive &&
         cfg->controller != ODEON__CTRL_FIXED;
}
