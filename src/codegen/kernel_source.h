/* kernel_source.h - from a model and the solver options to one compiled
 * kernel: validation of every numerical option into a kernel configuration,
 * the complete translation unit for cc or NVRTC, the scalar part of the
 * kernel arguments, and the labels and times the result API shows.
 *
 * Output shapes (run index fastest, see kernel_args.h):
 *   state       [sample][n_saved][run]          labels: saved state names
 *   observables [sample][n_observables][run]    labels: observable names
 *   summaries   [window][n_summary_rows][run]   labels: "mean(x)", ...
 *   counters    [ODEON_N_COUNTERS][run] (int64) labels: "accepted", ...
 *   status      [run] (uint32)
 *   time        [sample]: odeon__sample_time(cfg, k)
 * Summary rows: metric by metric in the order the user listed them, within
 * a metric variable by variable (saved states, then observables when they
 * are output), and within a variable the metric's width: extrema and
 * dxdt_extrema/d2xdt2_extrema give "max" then "min", peaks[n] gives n
 * rows. Labels: "mean(x)", "extrema_max(x)", "extrema_min(x)",
 * "peaks[1](x)".. "peaks[n](x)", "negative_peaks[1](x)", ... */
#ifndef ODEON_CODEGEN_KERNEL_SOURCE_H
#define ODEON_CODEGEN_KERNEL_SOURCE_H

#include <stdint.h>

#include "codegen/codegen.h"
#include "codegen/method_registry.h"
#include "core/kernel_args.h"
#include "odeon.h"

/* Summary metrics, in the order of odeon__metric_names. */
enum odeon__metric {
  ODEON__M_MEAN = 0,
  ODEON__M_MIN,
  ODEON__M_MAX,
  ODEON__M_RMS,
  ODEON__M_STD,
  ODEON__M_EXTREMA,
  ODEON__M_MAXMAG,
  ODEON__M_PEAKS,
  ODEON__M_NPEAKS,
  ODEON__M_DXDT_MAX,
  ODEON__M_DXDT_MIN,
  ODEON__M_DXDT_EXTREMA,
  ODEON__M_D2XDT2_MAX,
  ODEON__M_D2XDT2_MIN,
  ODEON__M_D2XDT2_EXTREMA,
  ODEON__M_COUNT
};
extern const char *const odeon__metric_names[ODEON__M_COUNT];
/* Names of the rows of the counters output ("accepted", "rejected",
 * "rhs_evaluations", "jacobian_evaluations", "factorisations",
 * "newton_iterations"). */
#define ODEON__N_COUNTERS 6
extern const char *const odeon__counter_names[ODEON__N_COUNTERS];

typedef struct odeon__kernel_config {
  const odeon__method_info *method;
  int controller; /* odeon__controller_kind */
  odeon_precision precision;
  int real_bytes;   /* 4 or 8 */
  uint32_t outputs; /* ODEON_OUT_* actually produced */

  /* model sizes */
  int64_t n_states, n_params, n_observables, n_drivers;

  /* outputs */
  int64_t n_saved;     /* states written per sample */
  int64_t *saved;      /* [n_saved] state indices */
  int64_t n_obs_saved; /* observables per sample (0 or n_observables) */
  int n_metrics;
  int metric[ODEON__M_COUNT]; /* in the user's order */
  int peaks, npeaks;          /* n of peaks[n], negative_peaks[n] */
  int64_t n_summary_vars;     /* n_saved + n_obs_saved */
  int64_t n_summary_rows;

  /* resolved numerical settings (defaults filled in) */
  double atol, rtol, dt, dt_min, dt_max;
  int64_t max_steps;
  double safety, gain_min, gain_max, beta1, beta2, beta3;
  double deadband_min, deadband_max;
  int newton_max_iters;
  double newton_tol;

  /* timing */
  double t0, settle, duration, save_every, summarise_every;
  int64_t n_samples, n_windows, window_samples;

  /* labels (owned) */
  char **state_labels;   /* [n_saved] */
  char **obs_labels;     /* [n_obs_saved] */
  char **summary_labels; /* [n_summary_rows] */
} odeon__kernel_config;

/* Validate every numerical option (algorithm and aliases case-insensitive,
 * controller and its settings, tolerances > 0, dt_min <= dt_max, timing,
 * save-every <= duration, summarise-every a whole multiple of save-every,
 * metric names, `save` names against the model) and fill cfg. On error
 * returns ODEON_E_INVAL with a message naming the option; cfg is then
 * empty (safe to free). */
int odeon__kernel_config_init(const odeon_model_t *m, const odeon_options_t *o,
                              odeon__kernel_config *cfg);
void odeon__kernel_config_free(odeon__kernel_config *cfg);
/* 1 when the kernel can start a run from an automatic initial step (an
 * adaptive method under a controller that is not "fixed"), which a backend
 * may compile apart (odeon__module_source.init_entry): the kernel then
 * reads the step from args.h0 where no dt is given. Measured on an H100
 * (bench/NOTES.md): the kernel without the step, loaded without the carry,
 * compiles in 0.19-0.30 s against 0.28-0.51 s inline, and its tsit5 step
 * loop runs 0.8% faster (1.085-1.089x against 1.095-1.096x the floor
 * kernel, dt given), so it is the kernel with or without a given dt (with
 * one, odeon__module_source.fixed_dt: no entry is compiled). */
int odeon__kernel_config_init_entry(const odeon__kernel_config *cfg);

/* The complete translation unit for one kernel: configuration #defines,
 * the core headers by #include "name.h" (provided by file name to cc and
 * NVRTC: codegen/embedded.h), the system functions and the entry points.
 * *out_text is malloc'ed; the caller frees it. */
int odeon__kernel_source(const odeon_model_t *m,
                         const odeon__kernel_config *cfg, odeon__lang lang,
                         char **out_text);
/* The same around system functions given as text (tests, C/CUDA users). */
int odeon__kernel_source_text(const char *system_text,
                              const odeon__kernel_config *cfg, odeon__lang lang,
                              char **out_text);

/* Fill the scalar part of args (timing, control constants, n_samples,
 * n_windows, max_steps, the whole-solve sample/window range, resume 0);
 * pointers, n and run_offset are zeroed for the engine to set. */
int odeon__kernel_args_init(const odeon__kernel_config *cfg,
                            const odeon_options_t *o, odeon_kernel_args *args);

/* Time of sample k: (t0 + settle) + k*save_every, or start/end. */
double odeon__sample_time(const odeon__kernel_config *cfg, int64_t k);
/* Labels along the variable axis of an output ("state", "observables",
 * "summaries", "counters"): an array of *count names owned by cfg (or the
 * library), or NULL for an output without such an axis. */
const char *const *odeon__kernel_labels(const odeon__kernel_config *cfg,
                                        const char *output, int64_t *count);

#endif
