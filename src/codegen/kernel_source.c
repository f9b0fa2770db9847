/* kernel_source.c - prints the translation unit of one kernel (config
 * #defines, core headers, system functions, entry points) and fills the
 * scalar part of the kernel arguments from a validated configuration. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/kernel_source.h"
#include "codegen/system_user.h"
#include "model/model.h"
#include "util/strbuf.h"

/* The kernel's status bits are spelled without odeon.h (core/ctx.h); they
 * must stay equal to the public ones. */
_Static_assert(ODEON_RUN_DT_MIN == 1u && ODEON_RUN_MAX_STEPS == 2u &&
                   ODEON_RUN_NONFINITE == 4u && ODEON_RUN_NEWTON == 8u &&
                   ODEON_RUN_SINGULAR == 16u && ODEON_RUN_DRIVER_RANGE == 32u,
               "core/ctx.h status bits differ from odeon.h");

static const char *const metric_macros[ODEON__M_COUNT] = {
    "MEAN",     "MIN",          "MAX",        "RMS",        "STD",
    "EXTREMA",  "MAXMAG",       "PEAKS",      "NPEAKS",     "DXDT_MAX",
    "DXDT_MIN", "DXDT_EXTREMA", "D2XDT2_MAX", "D2XDT2_MIN", "D2XDT2_EXTREMA"};

static void emit_config(odeon__strbuf *b, const odeon__kernel_config *c) {
  odeon__strbuf_printf(b,
                       "/* odeon kernel: %s, controller %s, %s */\n"
                       "#define ODEON_REAL_IS_FLOAT %d\n"
                       "#define ODEON_METHOD_ID %d\n"
                       "#define ODEON_METHOD_FAMILY %d\n"
                       "#define ODEON_CONTROLLER %d\n",
                       c->method->name, odeon__controller_name(c->controller),
                       c->real_bytes == 4 ? "float32" : "float64",
                       c->real_bytes == 4, c->method->id, c->method->family,
                       c->controller);
  odeon__strbuf_printf(b,
                       "#define ODEON_N_SAVED %lld\n#define ODEON_SAVED_INIT {",
                       (long long)c->n_saved);
  for (int64_t i = 0; i < c->n_saved; i++)
    odeon__strbuf_printf(b, "%s%lld", i ? ", " : "", (long long)c->saved[i]);
  if (c->n_saved == 0)
    odeon__strbuf_append(b, "0");
  odeon__strbuf_printf(b, "}\n#define ODEON_OBS_ON %d\n",
                       c->n_obs_saved > 0 ? 1 : 0);
  /* 32-bit counters in the kernel (core/ctx.h) where they cannot overflow:
   * an explicit method (at most 16 stages, so at most 20 evaluations an
   * attempt, 3 more at the start) with max_steps <= 2^25 attempts */
  odeon__strbuf_printf(b, "#define ODEON_SMALL_COUNTS %d\n",
                       c->method->family == 1 && c->max_steps > 0 &&
                           c->max_steps <= ((int64_t)1 << 25));
  /* the controller's settings as exact constants (core/controller.h):
   * the same values kernel_args_init puts into the arguments */
  odeon__strbuf_printf(b,
                       "#define ODEON_CTRL_KNOWN 1\n"
                       "#define ODEON_CTRL_SAFETY (%a)\n"
                       "#define ODEON_CTRL_GAIN_MIN (%a)\n"
                       "#define ODEON_CTRL_GAIN_MAX (%a)\n"
                       "#define ODEON_CTRL_BETA1 (%a)\n"
                       "#define ODEON_CTRL_BETA2 (%a)\n"
                       "#define ODEON_CTRL_BETA3 (%a)\n"
                       "#define ODEON_CTRL_DB_MIN (%a)\n"
                       "#define ODEON_CTRL_DB_MAX (%a)\n",
                       c->safety, c->gain_min, c->gain_max, c->beta1, c->beta2,
                       c->beta3, c->deadband_min, c->deadband_max);
  /* only the start and the end saved: every sample is a hard stop of the
   * steps, and the kernel drops interpolation and its state (loop.h) */
  odeon__strbuf_printf(b, "#define ODEON_SAVE_ENDS %d\n",
                       c->save_every > 0 ? 0 : 1);
  int sum_on = (c->outputs & ODEON_OUT_SUMMARIES) && c->n_summary_rows > 0;
  odeon__strbuf_printf(b, "#define ODEON_SUM_ON %d\n", sum_on);
  if (sum_on) {
    odeon__strbuf_printf(b,
                         "#define ODEON_SUM_NVARS %lld\n"
                         "#define ODEON_SUM_PEAKS %d\n"
                         "#define ODEON_SUM_NPEAKS %d\n"
                         "#define ODEON_SUM_ROWS %lld\n",
                         (long long)c->n_summary_vars, c->peaks, c->npeaks,
                         (long long)c->n_summary_rows);
  }
  /* the first row of each metric, -1 where absent */
  int64_t rows[ODEON__M_COUNT];
  for (int i = 0; i < ODEON__M_COUNT; i++)
    rows[i] = -1;
  int64_t row = 0;
  for (int k = 0; sum_on && k < c->n_metrics; k++) {
    int m = c->metric[k];
    int w = (m == ODEON__M_EXTREMA || m == ODEON__M_DXDT_EXTREMA ||
             m == ODEON__M_D2XDT2_EXTREMA)
                ? 2
            : m == ODEON__M_PEAKS  ? c->peaks
            : m == ODEON__M_NPEAKS ? c->npeaks
                                   : 1;
    rows[m] = row;
    row += (int64_t)w * c->n_summary_vars;
  }
  for (int i = 0; i < ODEON__M_COUNT; i++)
    odeon__strbuf_printf(b, "#define ODEON_SUM_ROW_%s %lld\n", metric_macros[i],
                         (long long)rows[i]);
}

int odeon__kernel_source_text(const char *system_text,
                              const odeon__kernel_config *cfg, odeon__lang lang,
                              char **out_text) {
  if (!system_text || !cfg || !cfg->method || !out_text)
    return odeon__error(ODEON_E_INVAL,
                        "kernel source: missing system text, configuration "
                        "or output pointer");
  *out_text = NULL;
  odeon__strbuf b;
  odeon__strbuf_init(&b);
  emit_config(&b, cfg);
  odeon__strbuf_append(&b, lang == ODEON__LANG_CUDA
                               ? "/* CUDA C, compiled by NVRTC */\n"
                               : "/* C, compiled by the system compiler */\n");
  odeon__strbuf_append(&b, "#include \"real.h\"\n"
                           "#include \"kernel_args.h\"\n"
                           "#include \"spline.h\"\n");
  odeon__strbuf_append(&b, system_text);
  odeon__strbuf_printf(&b,
                       "\n#include \"ctx.h\"\n"
                       "#include \"%s\"\n"
                       "#include \"kernel_entry.h\"\n",
                       cfg->method->header);
  int rc = odeon__strbuf_ok(&b);
  if (rc) {
    odeon__strbuf_free(&b);
    return rc;
  }
  *out_text = odeon__strbuf_take(&b);
  return ODEON_OK;
}

int odeon__kernel_source(const odeon_model_t *m,
                         const odeon__kernel_config *cfg, odeon__lang lang,
                         char **out_text) {
  if (!m || !out_text)
    return odeon__error(ODEON_E_INVAL, "kernel source: model is NULL");
  odeon__strbuf sys;
  odeon__strbuf_init(&sys);
  int rc = odeon__model_is_functions(m)
               ? odeon__codegen_user_system(m, lang, &sys)
               : odeon__codegen_system(m, lang, &sys);
  if (rc == ODEON_OK)
    rc = odeon__strbuf_ok(&sys);
  if (rc == ODEON_OK)
    rc = odeon__kernel_source_text(sys.data ? sys.data : "", cfg, lang,
                                   out_text);
  odeon__strbuf_free(&sys);
  return rc;
}

int odeon__kernel_args_init(const odeon__kernel_config *cfg,
                            const odeon_options_t *o, odeon_kernel_args *a) {
  (void)o; /* every option is already resolved in cfg */
  if (!cfg || !a || !cfg->method)
    return odeon__error(ODEON_E_INVAL,
                        "kernel arguments: configuration or args is NULL");
  memset(a, 0, sizeof *a);
  a->t0 = cfg->t0;
  a->settle = cfg->settle;
  a->duration = cfg->duration;
  a->save_every = cfg->save_every;
  a->summarise_every = cfg->summarise_every;
  a->n_samples = cfg->n_samples;
  a->n_windows = cfg->n_windows;
  a->dt = cfg->dt;
  a->dt_min = cfg->dt_min;
  a->dt_max = cfg->dt_max;
  a->atol = cfg->atol;
  a->rtol = cfg->rtol;
  a->safety = cfg->safety;
  a->gain_min = cfg->gain_min;
  a->gain_max = cfg->gain_max;
  a->beta1 = cfg->beta1;
  a->beta2 = cfg->beta2;
  a->beta3 = cfg->beta3;
  a->deadband_min = cfg->deadband_min;
  a->deadband_max = cfg->deadband_max;
  a->max_steps = cfg->max_steps;
  a->newton_max_iters = cfg->newton_max_iters;
  a->newton_tol = cfg->newton_tol;
  a->sample_begin = 0;
  a->sample_end = cfg->n_samples;
  a->window_begin = 0;
  a->window_end = cfg->n_windows;
  a->resume = 0;
  return ODEON_OK;
}
