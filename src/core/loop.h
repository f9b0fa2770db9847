/* loop.h - the per-run integration loop: time, step size, controller,
 * status bits, counters, exact save times, settling, summaries and the
 * carry that lets a solve be split into time windows bit for bit. The
 * method family (family.h contract) supplies the step itself.
 *
 * Configuration from the generated source:
 *   ODEON_N_SAVED, ODEON_SAVED_INIT   states written per sample and their
 *                                     indices ({0, 2}); 0 and {0} for none
 *   ODEON_OBS_ON                      1: observables are written per sample
 *   ODEON_SUM_ON                      1: summaries (summary.h macros)
 *   ODEON_CONTROLLER                  controller.h ids
 *   ODEON_SAVE_ENDS                   1: only the start and the end are
 *                                     saved (save_every 0), so every
 *                                     sample is a hard stop of the steps
 *                                     and nothing is interpolated
 * and from the backend (kernel_args.h):
 *   ODEON_SPLIT_INIT                  the automatic first step is read
 *                                     from h0 (odeon_init_run wrote it)
 *   ODEON_NO_CARRY                    runs are only started, never
 *                                     resumed or saved (one time window)
 *
 * Carry layout ([row][run] doubles, rows below, in order):
 *   t, h, status, n_samples_done, step valid, t_prev, h_prev,
 *   counters[ODEON_N_COUNTERS], y[N], y_prev[N], controller, family,
 *   summaries. */
#ifndef ODEON_CORE_LOOP_H
#define ODEON_CORE_LOOP_H

#include "ctx.h"
#include "family.h"
#include "controller.h"
#include "timing.h"
#include "summary.h"

#ifndef ODEON_N_SAVED
#define ODEON_N_SAVED ODEON_N
#endif
#ifndef ODEON_OBS_ON
#define ODEON_OBS_ON 0
#endif
#ifndef ODEON_SUM_ON
#define ODEON_SUM_ON 0
#endif

#ifndef ODEON_SAVE_ENDS
#define ODEON_SAVE_ENDS 0
#endif
/* The loop interpolates samples inside steps only where the method can and
 * a sample can fall inside a step; otherwise the steps stop on the samples
 * and the last step's data (y_prev, t_prev, h_prev) need not be kept. */
#define ODEON_LOOP_DENSE (ODEON_METHOD_DENSE && !ODEON_SAVE_ENDS)
/* The loop asks for error estimates and runs the controller. */
#define ODEON_LOOP_ADAPTIVE                                                    \
  (ODEON_METHOD_ADAPTIVE && ODEON_CONTROLLER != ODEON_CONTROLLER_FIXED)
/* The adaptive step loop's exits that stop a run (accepted + rejected >=
 * max_steps; a rejection, or an accepted step, that leaves the step size
 * below dt_min) leave without raising a status bit, and odeon_run tells
 * them apart after the loop: the GPU then forms no status word on the
 * accepted path. Without interpolated samples st.k < k_stop holds at these
 * exits and not at the normal end; the step size is below dt_min at the
 * second and not at the first (every attempt leaves it at dt_min or above
 * or stops the run, and a run's first call attempts a step before it can
 * reach max_steps: max_steps >= 1); y_new then holds the last attempt (the
 * rejected state, or after an accepted step st.y: finite); and only
 * drivers raise bits inside a step. */
#define ODEON_LOOP_LATE_STATUS                                                 \
  (ODEON_LOOP_ADAPTIVE && !ODEON_LOOP_DENSE && ODEON_SYS_N_DRIVERS == 0)
/* Fixed steps that need not stop for interpolation: the steps between
 * stops run in odeon_cruise, a loop without the general step's tests. */
#ifndef ODEON_LOOP_CRUISE
#define ODEON_LOOP_CRUISE (!ODEON_LOOP_ADAPTIVE && !ODEON_LOOP_DENSE)
#endif
/* Counters the family may raise (the first ones of odeon_counter_index);
 * the others stay 0, so they are neither carried in registers nor
 * reloaded from the carry. */
#ifndef ODEON_STEP_COUNTERS
#define ODEON_STEP_COUNTERS ODEON_N_COUNTERS
#endif

#define ODEON_N_OBS_SAVED (ODEON_OBS_ON ? ODEON_SYS_N_OBSERVABLES : 0)
#ifndef ODEON_SUM_ROWS
#define ODEON_SUM_ROWS 0
#endif

enum odeon_carry_row {
  ODEON_CR_T = 0,
  ODEON_CR_H,
  ODEON_CR_STATUS,
  ODEON_CR_SAMPLES,
  ODEON_CR_HAVE_STEP,
  ODEON_CR_T_PREV,
  ODEON_CR_H_PREV,
  ODEON_CR_COUNTERS,
  ODEON_CR_Y = ODEON_CR_COUNTERS + ODEON_N_COUNTERS
};
#define ODEON_CR_Y_PREV (ODEON_CR_Y + ODEON_N)
#define ODEON_CR_CTRL (ODEON_CR_Y_PREV + ODEON_N)
#define ODEON_CR_STEP (ODEON_CR_CTRL + ODEON_CTRL_CARRY_LEN)
#define ODEON_CR_SUM (ODEON_CR_STEP + ODEON_STEP_CARRY_LEN)
#define ODEON_CARRY_LEN                                                        \
  (ODEON_CR_SUM + (ODEON_SUM_ON ? ODEON_SUM_CARRY_LEN : 0))

/* Everything the loop keeps for one run. */
typedef struct odeon_run_state {
  double t, h;
  long long k; /* next sample to emit */
  odeon_real y[ODEON_N];
#if ODEON_LOOP_DENSE
  double t_prev, h_prev; /* the last accepted step, for interpolation */
  int have_step;
  odeon_real y_prev[ODEON_N];
#endif
  odeon_ctrl ctl;
  odeon_step_ws ws;
#if ODEON_SUM_ON
  odeon_sum sum;
#endif
} odeon_run_state;

ODEON_HD static inline int odeon_all_finite(const odeon_real *y) {
  for (int i = 0; i < ODEON_N; i++)
    if (!odeon_is_finite(y[i]))
      return 0;
  return 1;
}

ODEON_HD static inline void odeon_carry_save(const odeon_kernel_args *a,
                                             long long r,
                                             const odeon_run_state *st,
                                             const odeon_ctx *cx) {
  double *c = a->carry + r;
  const long long n = a->n;
  c[ODEON_CR_T * n] = st->t;
  c[ODEON_CR_H * n] = st->h;
  c[ODEON_CR_STATUS * n] = (double)cx->status;
  c[ODEON_CR_SAMPLES * n] = (double)st->k;
  for (int j = 0; j < ODEON_N_COUNTERS; j++)
    c[(ODEON_CR_COUNTERS + j) * n] = (double)cx->cnt[j];
#if ODEON_LOOP_DENSE
  c[ODEON_CR_HAVE_STEP * n] = (double)st->have_step;
  c[ODEON_CR_T_PREV * n] = st->t_prev;
  c[ODEON_CR_H_PREV * n] = st->h_prev;
  for (int i = 0; i < ODEON_N; i++) {
    c[(ODEON_CR_Y + i) * n] = (double)st->y[i];
    c[(ODEON_CR_Y_PREV + i) * n] = (double)st->y_prev[i];
  }
#else
  /* no interpolation: the last step is not part of the state */
  c[ODEON_CR_HAVE_STEP * n] = 0.0;
  c[ODEON_CR_T_PREV * n] = st->t;
  c[ODEON_CR_H_PREV * n] = 0.0;
  for (int i = 0; i < ODEON_N; i++) {
    c[(ODEON_CR_Y + i) * n] = (double)st->y[i];
    c[(ODEON_CR_Y_PREV + i) * n] = (double)st->y[i];
  }
#endif
  odeon_ctrl_save(&st->ctl, c + ODEON_CR_CTRL * n, n);
  odeon_step_save(&st->ws, c + ODEON_CR_STEP * n, n);
#if ODEON_SUM_ON
  for (int v = 0; v < ODEON_SUM_NVARS; v++)
    for (int j = 0; j < ODEON_SUM_SLOTS; j++)
      c[(ODEON_CR_SUM + v * ODEON_SUM_SLOTS + j) * n] = st->sum.s[v][j];
#endif
}

ODEON_HD static inline void odeon_carry_load(const odeon_kernel_args *a,
                                             long long r, odeon_run_state *st,
                                             odeon_ctx *cx) {
  const double *c = a->carry + r;
  const long long n = a->n;
  st->t = c[ODEON_CR_T * n];
  st->h = c[ODEON_CR_H * n];
  cx->status = (unsigned int)c[ODEON_CR_STATUS * n];
  st->k = (long long)c[ODEON_CR_SAMPLES * n];
  for (int j = 0; j < ODEON_STEP_COUNTERS; j++)
    cx->cnt[j] = (odeon_count)c[(ODEON_CR_COUNTERS + j) * n];
  for (int i = 0; i < ODEON_N; i++)
    st->y[i] = (odeon_real)c[(ODEON_CR_Y + i) * n];
#if ODEON_LOOP_DENSE
  st->have_step = c[ODEON_CR_HAVE_STEP * n] != 0.0;
  st->t_prev = c[ODEON_CR_T_PREV * n];
  st->h_prev = c[ODEON_CR_H_PREV * n];
  for (int i = 0; i < ODEON_N; i++)
    st->y_prev[i] = (odeon_real)c[(ODEON_CR_Y_PREV + i) * n];
#endif
#if ODEON_LOOP_ADAPTIVE
  odeon_ctrl_load(&st->ctl, c + ODEON_CR_CTRL * n, n);
#else
  /* a loop without a controller never changes it: the carry holds the
   * initial state, so it need not be read (nor kept in registers) */
  odeon_ctrl_init(&st->ctl);
#endif
  odeon_step_load(&st->ws, c + ODEON_CR_STEP * n, n);
#if ODEON_SUM_ON
  for (int v = 0; v < ODEON_SUM_NVARS; v++)
    for (int j = 0; j < ODEON_SUM_SLOTS; j++)
      st->sum.s[v][j] = c[(ODEON_CR_SUM + v * ODEON_SUM_SLOTS + j) * n];
#endif
}

/* The indices of the saved states as a constant table rather than a local
 * array: a local array read with the (unrolled) loop index folds to
 * constants only late in NVVM's pipeline, and until then the run state it
 * indexes stays in memory through most passes: about a tenth of the NVRTC
 * compile time of a tsit5 kernel (tools/kernel_report, bench/NOTES.md). */
#if ODEON_DEVICE_CODE
static __constant__ const int odeon_saved_ix[] = ODEON_SAVED_INIT;
#else
static const int odeon_saved_ix[] = ODEON_SAVED_INIT;
#endif

/* Write sample k (state x at time ts), feed the summaries, and write the
 * summary window that sample k completes. failed: write NaN instead. */
ODEON_HD static inline void odeon_emit(const odeon_kernel_args *a, long long r,
                                       odeon_run_state *st, odeon_ctx *cx,
                                       long long k, double ts,
                                       const odeon_real *x, int failed) {
  const long long n = a->n;
  const long long ks = k - a->sample_begin;
  const double nan = odeon_nan();
  (void)nan;
  odeon_real obs[ODEON_NOBS_ALLOC];
  for (int j = 0; j < ODEON_NOBS_ALLOC; j++)
    obs[j] = ODEON_R(0);
  (void)obs;
#if ODEON_OBS_ON && ODEON_SYS_N_OBSERVABLES > 0
  if (!failed) {
    odeon_real drv[ODEON_NDRV_ALLOC];
    odeon_ctx_drivers(cx, ts, drv);
    odeon_sys_obs((odeon_real)ts, x, cx->p, drv, obs);
  }
#endif
  if (a->out_state) {
    odeon_real *out = (odeon_real *)a->out_state;
    for (int j = 0; j < ODEON_N_SAVED; j++)
      out[(ks * ODEON_N_SAVED + j) * n + r] =
          failed ? (odeon_real)nan : x[odeon_saved_ix[j]];
  }
#if ODEON_OBS_ON && ODEON_SYS_N_OBSERVABLES > 0
  if (a->out_obs) {
    odeon_real *out = (odeon_real *)a->out_obs;
    for (int j = 0; j < ODEON_SYS_N_OBSERVABLES; j++)
      out[(ks * ODEON_SYS_N_OBSERVABLES + j) * n + r] =
          failed ? (odeon_real)nan : obs[j];
  }
#endif
#if ODEON_SUM_ON
  {
    const long long m = odeon_window_samples(a->summarise_every, a->save_every);
    if (!failed) {
      for (int j = 0; j < ODEON_N_SAVED; j++)
        odeon_sum_add(&st->sum, j, ts, (double)x[odeon_saved_ix[j]],
                      a->save_every, k > 0);
#if ODEON_OBS_ON && ODEON_SYS_N_OBSERVABLES > 0
      for (int j = 0; j < ODEON_SYS_N_OBSERVABLES; j++)
        odeon_sum_add(&st->sum, ODEON_N_SAVED + j, ts, (double)obs[j],
                      a->save_every, k > 0);
#endif
    }
    if (k > 0 && k % m == 0) {
      const long long w = k / m - 1;
      if (w >= a->window_begin && w < a->window_end && w < a->n_windows &&
          a->out_summary) {
        odeon_real *out = (odeon_real *)a->out_summary +
                          (w - a->window_begin) * (long long)ODEON_SUM_ROWS * n;
        odeon_sum_write(&st->sum, failed, out, n, r);
      }
      odeon_sum_reset_window(&st->sum);
    }
  }
#else
  (void)st;
  (void)k;
  (void)ts;
  (void)cx;
#endif
}

#if ODEON_LOOP_CRUISE
/* Fixed steps between two stops (ODEON_LOOP_CRUISE): every step has the
 * size st->h and is accepted unless the family fails it, so odeon_run's
 * general step (the truncation test, the choice of the step size and of
 * the new time, the stop test) reduces to t + h, a compare and the step.
 * This is the hot path of a fixed-step kernel: it takes the steps that
 * odeon_run would take in full, with the same arithmetic in the same order
 * (the same values bit for bit, counters and status included), and hands
 * back for the steps near the target, which odeon_run truncates and stops
 * on. It leaves early rather than late: a step is taken here only if
 * target - (t + h) > 1e-10 h, which implies odeon_run's conditions for a
 * full step, t + h < target and target - (t + h) >= 1e-10 h (a double
 * difference has the sign of the exact one, and the bound is >= 0).
 *
 * One step: 1 to go on, 0 to leave (to hand back to odeon_run, or with a
 * status bit raised when the run stops). lim = max_steps - rejected, fixed
 * here. */
ODEON_HD static inline int odeon_cruise_step(const odeon_kernel_args *a,
                                             odeon_run_state *st, odeon_ctx *cx,
                                             double target, double h,
                                             double near, odeon_count lim,
                                             odeon_real *y_new) {
  const double t_try = st->t + h;
  if (!(target - t_try > near) || cx->cnt[ODEON_CNT_ACCEPTED] >= lim)
    return 0; /* odeon_run truncates, stops or reports max_steps */
  odeon_real eest = ODEON_R(0);
  const unsigned bits =
      odeon_step_try(&st->ws, cx, st->t, h, st->y, y_new, &eest);
  (void)eest;
  if (bits) { /* as odeon_run: halve the step, count a rejection */
    cx->cnt[ODEON_CNT_REJECTED]++;
    st->h = h * 0.5;
    if (st->h < a->dt_min)
      cx->status |= bits | ODEON_RUN_DT_MIN_BIT;
    return 0;
  }
  cx->cnt[ODEON_CNT_ACCEPTED]++;
  if (!odeon_all_finite(y_new)) {
    cx->status |= ODEON_RUN_NONFINITE_BIT;
    return 0;
  }
  odeon_step_accept(&st->ws, cx, t_try, y_new);
  for (int i = 0; i < ODEON_N; i++)
    st->y[i] = y_new[i];
  st->t = t_try;
#if ODEON_SYS_N_DRIVERS > 0
  if (cx->status & ODEON_RUN_DRIVER_RANGE_BIT)
    return 0;
#endif
  return 1;
}

/* Fixed steps until odeon_cruise_step leaves. Two steps an iteration (as the
 * hand-written floor kernels do): the old and the new state then alternate
 * between two sets of registers instead of being copied at the end of every
 * step (the old state and time stay live until the step is known to be finite).
 */
ODEON_HD static inline void odeon_cruise(const odeon_kernel_args *a,
                                         odeon_run_state *st, odeon_ctx *cx,
                                         double target, odeon_count max_steps,
                                         odeon_real *y_new) {
  const double h = st->h;
  const double near = 1e-10 * h;
  const odeon_count lim = max_steps - cx->cnt[ODEON_CNT_REJECTED];
  while (odeon_cruise_step(a, st, cx, target, h, near, lim, y_new))
    ;
}
#endif

/* A run's context: its parameters, drivers, tolerances, no status bits
 * and zero counters. */
ODEON_HD static inline void
odeon_ctx_setup(odeon_ctx *cx, const odeon_kernel_args *a, long long r) {
  cx->a = a;
  cx->run = r;
  for (int j = 0; j < ODEON_SYS_N_PARAMS; j++)
    cx->p[j] = ((const odeon_real *)a->params)[(long long)j * a->n + r];
  cx->drivers = a->drivers
                    ? (const odeon_real *)a->drivers + r * a->driver_stride
                    : (const odeon_real *)0;
  cx->atol = (odeon_real)a->atol;
  cx->rtol = (odeon_real)a->rtol;
  cx->status = 0u;
  cx->adaptive = ODEON_LOOP_ADAPTIVE;
  for (int j = 0; j < ODEON_N_COUNTERS; j++)
    cx->cnt[j] = 0;
}

/* The end of the solve: the end of the recorded span, or the last sample's
 * time where rounding puts it later. */
ODEON_HD static inline double odeon_t_end(const odeon_kernel_args *a) {
  const double t_end = a->t0 + a->settle + a->duration;
  const double t_last = odeon_sample_time(a->t0, a->settle, a->duration,
                                          a->save_every, a->n_samples - 1);
  return t_last > t_end ? t_last : t_end;
}

/* Right-hand side evaluations of the automatic initial step that the run's
 * counters include: f(t0 + h0, ...), and f(t0, y0) where the family's step
 * does not evaluate it anyway (an explicit RK family's first stage does). */
#define ODEON_INIT_RHS_EVALS (ODEON_METHOD_FAMILY == 1 ? 1 : 2)

#if ODEON_LOOP_ADAPTIVE
/* The init entry's work for run r (kernel_args.h): the automatic initial
 * step from y0, into h0[r], computed as odeon_run computes it inline. */
ODEON_HD static inline void odeon_init_run(const odeon_kernel_args *a,
                                           long long r) {
  odeon_ctx cx;
  odeon_ctx_setup(&cx, a, r);
  odeon_real y[ODEON_N], f0[ODEON_N];
  for (int i = 0; i < ODEON_N; i++)
    y[i] = ((const odeon_real *)a->y0)[(long long)i * a->n + r];
  odeon_rhs(&cx, a->t0, y, f0);
  a->h0[r] =
      odeon_initial_dt(&cx, a->t0, y, f0, odeon_t_end(a) - a->t0, a->dt_max);
#if ODEON_SYS_N_DRIVERS > 0
  /* a driver evaluated outside its samples: the kernel takes the bit */
  a->status[r] = cx.status;
#endif
}
#endif

/* Integrate run r of the chunk over this launch's samples.
 *
 * The step loop is the kernel's hot path: what does not change between
 * steps (the next save time, the stop targets) is computed once per sample
 * rather than per step, and configuration the generated source knows
 * (ODEON_LOOP_DENSE, ODEON_LOOP_ADAPTIVE, drivers) removes unused paths at
 * compile time, so that the GPU keeps few values live in registers. */
ODEON_HD static inline void odeon_run(const odeon_kernel_args *a, long long r) {
  const long long n = a->n;
  odeon_ctx cx;
  odeon_run_state st;
  odeon_ctx_setup(&cx, a, r);
  const double t_rec = a->t0 + a->settle;
  const long long n_samples = a->n_samples;
  const double t_end = odeon_t_end(a);

  /* (a kernel without the carry, ODEON_NO_CARRY, only ever starts runs) */
#if defined(ODEON_NO_CARRY)
  {
#else
  if (!a->resume) {
#endif
    for (int i = 0; i < ODEON_N; i++)
      st.y[i] = ((const odeon_real *)a->y0)[(long long)i * n + r];
    st.t = a->t0;
#if ODEON_LOOP_DENSE
    for (int i = 0; i < ODEON_N; i++)
      st.y_prev[i] = st.y[i];
    st.t_prev = a->t0;
    st.h_prev = 0.0;
    st.have_step = 0;
#endif
    st.k = 0;
    odeon_ctrl_init(&st.ctl);
#if ODEON_SUM_ON
    odeon_sum_init(&st.sum);
#endif
    odeon_step_start(&st.ws, &cx, st.t, st.y);
    if (ODEON_LOOP_ADAPTIVE && !(a->dt > 0.0)) {
#if defined(ODEON_SPLIT_INIT)
      /* computed by the init entry, which counts as it would inline */
      st.h = a->h0[r];
      cx.cnt[ODEON_CNT_RHS] += ODEON_INIT_RHS_EVALS;
#if ODEON_SYS_N_DRIVERS > 0
      cx.status |= a->status[r];
#endif
#elif ODEON_METHOD_FAMILY == 1
      st.h =
          odeon_initial_dt(&cx, st.t, st.y, st.ws.f0, t_end - st.t, a->dt_max);
#else
    {
      odeon_real f0[ODEON_N];
      odeon_rhs(&cx, st.t, st.y, f0);
      st.h = odeon_initial_dt(&cx, st.t, st.y, f0, t_end - st.t, a->dt_max);
    }
#endif
    } else {
      st.h = a->dt;
    }
    if (!odeon_all_finite(st.y))
      cx.status |= ODEON_RUN_NONFINITE_BIT;
  }
#if !defined(ODEON_NO_CARRY)
  else {
    odeon_carry_load(a, r, &st, &cx);
    st.k = a->sample_begin;
  }
#endif

  odeon_real y_new[ODEON_N];
#if ODEON_LOOP_LATE_STATUS
  /* (read after the loop: the last attempt, or the state before one) */
  for (int i = 0; i < ODEON_N; i++)
    y_new[i] = st.y[i];
#endif
#if ODEON_LOOP_DENSE
  odeon_real xs[ODEON_N];
#endif
  const long long k_stop =
      a->sample_end < n_samples ? a->sample_end : n_samples;
  /* (the bound only guards arguments that did not come from the same
   * configuration as the source: the generated source's max_steps fits) */
  const odeon_count max_steps =
      (odeon_count)(a->max_steps < ODEON_COUNT_MAX ? a->max_steps
                                                   : ODEON_COUNT_MAX);
  /* The end of the current step sequence: the end of settling, of the
   * solve, and without interpolation the next save time. It changes only
   * when a step lands on it (or a sample is written), so it is computed
   * then (at_stop) and not on every step. Between stops t < target, so
   * neither the end of the solve nor, without interpolation, a sample can
   * be reached: the time of the next sample is then formed at stops only
   * and not kept in a register across steps. */
  double target = t_end;
  int at_stop = 1;
  /* max_steps minus the rejections, kept as the rejections change (never
   * with a fixed step): the test on every step is one compare. In the
   * adaptive loop (no odeon_cruise) it is also the count of rejections:
   * the loop changes only it, and the counter is formed after the loop
   * (one value fewer to keep in a register across the steps). */
  odeon_count step_lim = max_steps - cx.cnt[ODEON_CNT_REJECTED];
#if ODEON_LOOP_ADAPTIVE && defined(ODEON_STEP_RHS_PER_TRY)
  /* A family with a fixed number of evaluations per attempt and per
   * accepted step: the evaluations are formed from the step counts after
   * the loop, which then keeps no evaluation counter (their count before
   * the loop, less the part the step counts account for: >= 0) */
  const odeon_count rhs_base =
      cx.cnt[ODEON_CNT_RHS] -
      ODEON_STEP_RHS_PER_TRY *
          (cx.cnt[ODEON_CNT_ACCEPTED] + cx.cnt[ODEON_CNT_REJECTED]) -
      ODEON_STEP_RHS_PER_ACCEPT * cx.cnt[ODEON_CNT_ACCEPTED];
#endif
#if ODEON_LOOP_DENSE
  /* the time of sample st.k, the next one to write (while st.k < k_stop) */
  double ts =
      odeon_sample_time(a->t0, a->settle, a->duration, a->save_every, st.k);
#endif
  while (!cx.status) {
    /* 1. every sample the current step reaches */
#if ODEON_LOOP_DENSE
    if (ts <= st.t) {
      at_stop = 1;
      while (st.k < k_stop && ts <= st.t) {
        /* Copy values rather than pick a pointer (st.y or xs): a pointer
           chosen at run time forces both arrays, and the whole run state,
           into GPU local memory. */
        if (ts < st.t && st.have_step && st.h_prev > 0.0) {
          odeon_step_dense(&st.ws, (ts - st.t_prev) / st.h_prev, st.h_prev,
                           st.y_prev, st.y, xs);
        } else {
          for (int i = 0; i < ODEON_N; i++)
            xs[i] = st.y[i];
        }
        odeon_emit(a, r, &st, &cx, st.k, ts, xs, 0);
        st.k++;
        ts = odeon_sample_time(a->t0, a->settle, a->duration, a->save_every,
                               st.k);
      }
    }
    if (at_stop) {
#else
    if (at_stop) {
      double ts =
          odeon_sample_time(a->t0, a->settle, a->duration, a->save_every, st.k);
      while (st.k < k_stop && ts <= st.t) {
        odeon_emit(a, r, &st, &cx, st.k, ts, st.y, 0);
        st.k++;
        ts = odeon_sample_time(a->t0, a->settle, a->duration, a->save_every,
                               st.k);
      }
#endif
      if (st.k >= k_stop || st.t >= t_end)
        break;
      /* 2. hard stops at the end of settling and of the solve; without
       * interpolation also at the next save time */
      target = t_end;
      if (st.t < t_rec)
        target = t_rec;
#if !ODEON_LOOP_DENSE
      if (ts < target)
        target = ts;
#endif
      at_stop = 0;
    }
#if ODEON_LOOP_CRUISE
    odeon_cruise(a, &st, &cx, target, max_steps, y_new);
    if (cx.status)
      break;
#endif
    double hs = st.h;
    const double t_try = st.t + hs;
    int trunc = 0;
    if (t_try >= target || target - t_try < 1e-10 * hs) {
      hs = target - st.t;
      trunc = 1;
    }
    /* accepted + rejected >= max_steps */
    if (cx.cnt[ODEON_CNT_ACCEPTED] >= step_lim) {
#if !ODEON_LOOP_LATE_STATUS
      cx.status |= ODEON_RUN_MAX_STEPS_BIT;
#endif
      break;
    }

    /* 3. attempt, decide */
    odeon_real eest = ODEON_R(0);
    unsigned bits = odeon_step_try(&st.ws, &cx, st.t, hs, st.y, y_new, &eest);
    if (bits) {
#if !ODEON_LOOP_ADAPTIVE
      cx.cnt[ODEON_CNT_REJECTED]++;
#endif
      step_lim--;
      st.h = hs * 0.5;
      if (st.h < a->dt_min) {
        cx.status |= bits | ODEON_RUN_DT_MIN_BIT;
        break;
      }
      continue;
    }
#if ODEON_LOOP_ADAPTIVE
    {
      /* The estimate, NaN where y_new is not finite (which the controller
       * rejects): y * 0 is +-0 for a finite y and NaN otherwise, and
       * eest + +-0 is eest (eest is >= +0 or NaN). Multiply-adds on the
       * GPU, where compares and a select cost one instruction more. */
      odeon_real e = eest;
      for (int i = 0; i < ODEON_N; i++)
        e = e + y_new[i] * ODEON_R(0);
      double h_next = st.h;
#ifdef ODEON_STEP_SAFETY_SCALE
      st.ctl.safety_scale = ODEON_STEP_SAFETY_SCALE(&st.ws, a);
#endif
      /* a step shortened to land on a stop (trunc, hs < st.h) and accepted
       * keeps the controller and the step size as they were, so stops do
       * not disturb the step sequence */
      const int accept =
          odeon_ctrl_decide(&st.ctl, a, e, hs, trunc && hs < st.h, &h_next);
      if (h_next > a->dt_max)
        h_next = a->dt_max;
      if (!accept) {
        step_lim--; /* (a rejection: above) */
        st.h = h_next;
        if (st.h < a->dt_min) {
          /* a blow-up shows as a run of rejections of non-finite states */
#if !ODEON_LOOP_LATE_STATUS
          cx.status |= ODEON_RUN_DT_MIN_BIT |
                       (odeon_all_finite(y_new) ? 0u : ODEON_RUN_NONFINITE_BIT);
#endif
          break;
        }
        continue;
      }
      /* accepted: e <= 1, so it is not NaN and y_new is finite */
      cx.cnt[ODEON_CNT_ACCEPTED]++;
      st.h = h_next;
    }
#else
    (void)eest;
    cx.cnt[ODEON_CNT_ACCEPTED]++;
    if (!odeon_all_finite(y_new)) {
      cx.status |= ODEON_RUN_NONFINITE_BIT;
      break;
    }
#endif
    /* not truncated: hs is st.h as it was when t_try was formed */
    const double t_new = trunc ? target : t_try;
    at_stop = trunc;
    odeon_step_accept(&st.ws, &cx, t_new, y_new);
#if ODEON_LOOP_DENSE
    st.t_prev = st.t;
    st.h_prev = hs;
    st.have_step = 1;
    for (int i = 0; i < ODEON_N; i++)
      st.y_prev[i] = st.y[i];
#endif
    for (int i = 0; i < ODEON_N; i++)
      st.y[i] = y_new[i];
    st.t = t_new;
#if ODEON_LOOP_ADAPTIVE
    if (st.h < a->dt_min) {
#if !ODEON_LOOP_LATE_STATUS
      cx.status |= ODEON_RUN_DT_MIN_BIT;
#endif
      break;
    }
#endif
#if ODEON_SYS_N_DRIVERS > 0
    if (cx.status & ODEON_RUN_DRIVER_RANGE_BIT)
      break;
#endif
  }

#if ODEON_LOOP_LATE_STATUS
  if (!cx.status && st.k < k_stop)
    cx.status =
        st.h < a->dt_min
            ? ODEON_RUN_DT_MIN_BIT |
                  (odeon_all_finite(y_new) ? 0u : ODEON_RUN_NONFINITE_BIT)
            : ODEON_RUN_MAX_STEPS_BIT;
#endif
#if ODEON_LOOP_ADAPTIVE
  cx.cnt[ODEON_CNT_REJECTED] = max_steps - step_lim;
#ifdef ODEON_STEP_RHS_PER_TRY
  cx.cnt[ODEON_CNT_RHS] =
      rhs_base +
      ODEON_STEP_RHS_PER_TRY *
          (cx.cnt[ODEON_CNT_ACCEPTED] + cx.cnt[ODEON_CNT_REJECTED]) +
      ODEON_STEP_RHS_PER_ACCEPT * cx.cnt[ODEON_CNT_ACCEPTED];
#endif
#endif
  /* a stopped run: the samples (and summary windows) it did not reach.
   * A cold path, kept rolled where the step is adaptive (the pragma needs
   * the sample index in a local); with a fixed step ptxas would then keep
   * fewer registers and recompute the truncation tolerance 1e-10*hs in
   * the step loop (3 more instructions a step for classical-rk4), so
   * there the compiler may unroll it as before. */
  if (cx.status) {
    long long k = st.k;
#if ODEON_LOOP_ADAPTIVE
    ODEON_NO_UNROLL
#endif
    for (; k < k_stop; k++) {
      const double tf =
          odeon_sample_time(a->t0, a->settle, a->duration, a->save_every, k);
      odeon_emit(a, r, &st, &cx, k, tf, st.y, 1);
    }
    st.k = k;
  }
  if (a->status)
    a->status[r] = cx.status;
  if (a->counters)
    for (int j = 0; j < ODEON_N_COUNTERS; j++)
      a->counters[(long long)j * n + r] = cx.cnt[j];
#if !defined(ODEON_NO_CARRY)
  if (a->carry)
    odeon_carry_save(a, r, &st, &cx);
#endif
}

#endif
