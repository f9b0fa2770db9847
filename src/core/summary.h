/* summary.h - summary statistics accumulated while integrating, at every
 * saved sample, per summary window: mean, min, max, rms, std, extrema,
 * max_magnitude, peaks[n], negative_peaks[n], dxdt_* and d2xdt2_*.
 *
 * Definitions (the tests recompute them from a dense saved series):
 *  - Window w (of m = summarise_every/save_every samples) holds samples
 *    k = w*m+1 .. (w+1)*m: every sample after the first belongs to exactly
 *    one window; sample 0 (the start) only primes the differences.
 *  - dxdt at sample k = (x_k - x_{k-1}) / S, d2xdt2 = (x_k - 2x_{k-1} +
 *    x_{k-2}) / S^2 (S = save_every), over the samples of the window where
 *    they exist.
 *  - A peak is a sample k-1 with x_{k-2} < x_{k-1} > x_k, reported (its
 *    time) in the window of sample k; negative peaks likewise for minima.
 *    Missing peaks and statistics of empty sets are NaN.
 *  - std is the population standard deviation.
 *
 * The generated source defines ODEON_SUM_NVARS (variables summarised: the
 * saved states, then the observables when they are output), ODEON_SUM_PEAKS
 * and ODEON_SUM_NPEAKS (n of peaks[n] / negative_peaks[n], 0 if absent), and
 * ODEON_SUM_ROW_<METRIC> = first row of that metric (-1 if not requested);
 * a metric of width w puts variable v's values at rows base + v*w + j.
 * Everything is kept in double (also for float32 kernels). */
#ifndef ODEON_CORE_SUMMARY_H
#define ODEON_CORE_SUMMARY_H

#include "real.h"

#ifndef ODEON_SUM_NVARS
#define ODEON_SUM_NVARS 0
#endif
#ifndef ODEON_SUM_PEAKS
#define ODEON_SUM_PEAKS 0
#endif
#ifndef ODEON_SUM_NPEAKS
#define ODEON_SUM_NPEAKS 0
#endif
/* metrics the generated source does not mention are absent */
#ifndef ODEON_SUM_ROW_MEAN
#define ODEON_SUM_ROW_MEAN (-1)
#endif
#ifndef ODEON_SUM_ROW_MIN
#define ODEON_SUM_ROW_MIN (-1)
#endif
#ifndef ODEON_SUM_ROW_MAX
#define ODEON_SUM_ROW_MAX (-1)
#endif
#ifndef ODEON_SUM_ROW_RMS
#define ODEON_SUM_ROW_RMS (-1)
#endif
#ifndef ODEON_SUM_ROW_STD
#define ODEON_SUM_ROW_STD (-1)
#endif
#ifndef ODEON_SUM_ROW_EXTREMA
#define ODEON_SUM_ROW_EXTREMA (-1)
#endif
#ifndef ODEON_SUM_ROW_MAXMAG
#define ODEON_SUM_ROW_MAXMAG (-1)
#endif
#ifndef ODEON_SUM_ROW_PEAKS
#define ODEON_SUM_ROW_PEAKS (-1)
#endif
#ifndef ODEON_SUM_ROW_NPEAKS
#define ODEON_SUM_ROW_NPEAKS (-1)
#endif
#ifndef ODEON_SUM_ROW_DXDT_MAX
#define ODEON_SUM_ROW_DXDT_MAX (-1)
#endif
#ifndef ODEON_SUM_ROW_DXDT_MIN
#define ODEON_SUM_ROW_DXDT_MIN (-1)
#endif
#ifndef ODEON_SUM_ROW_DXDT_EXTREMA
#define ODEON_SUM_ROW_DXDT_EXTREMA (-1)
#endif
#ifndef ODEON_SUM_ROW_D2XDT2_MAX
#define ODEON_SUM_ROW_D2XDT2_MAX (-1)
#endif
#ifndef ODEON_SUM_ROW_D2XDT2_MIN
#define ODEON_SUM_ROW_D2XDT2_MIN (-1)
#endif
#ifndef ODEON_SUM_ROW_D2XDT2_EXTREMA
#define ODEON_SUM_ROW_D2XDT2_EXTREMA (-1)
#endif

enum odeon_sum_slot {
  ODEON_SS_N = 0,
  ODEON_SS_SUM,   /* sum of (x - shift) */
  ODEON_SS_SUMSQ, /* sum of (x - shift)^2 */
  ODEON_SS_SHIFT, /* first value of the window (for a stable std) */
  ODEON_SS_SUMSQ_RAW,
  ODEON_SS_MIN,
  ODEON_SS_MAX,
  ODEON_SS_MAXMAG,
  ODEON_SS_DMAX,
  ODEON_SS_DMIN,
  ODEON_SS_ND,
  ODEON_SS_D2MAX,
  ODEON_SS_D2MIN,
  ODEON_SS_ND2,
  ODEON_SS_NPK,
  ODEON_SS_NNPK,
  ODEON_SS_PREV1, /* x_{k-1} */
  ODEON_SS_PREV2, /* x_{k-2} */
  ODEON_SS_TPREV1,
  ODEON_SS_NPREV, /* how many previous samples are known (0..2) */
  ODEON_SS_FIXED
};

#define ODEON_SUM_SLOTS (ODEON_SS_FIXED + ODEON_SUM_PEAKS + ODEON_SUM_NPEAKS)
#define ODEON_SUM_NVARS_ALLOC ((ODEON_SUM_NVARS) > 0 ? (ODEON_SUM_NVARS) : 1)
/* doubles of carry the summaries need */
#define ODEON_SUM_CARRY_LEN ((ODEON_SUM_NVARS)*ODEON_SUM_SLOTS)

typedef struct odeon_sum {
  double s[ODEON_SUM_NVARS_ALLOC][ODEON_SUM_SLOTS];
} odeon_sum;

ODEON_HD static inline double odeon_nan(void) {
#if ODEON_DEVICE_CODE
  return __longlong_as_double(0x7ff8000000000000LL);
#else
  return NAN;
#endif
}

/* Forget the window's statistics, keep the previous samples. */
ODEON_HD static inline void odeon_sum_reset_window(odeon_sum *sm) {
  for (int v = 0; v < ODEON_SUM_NVARS; v++) {
    double *s = sm->s[v];
    s[ODEON_SS_N] = s[ODEON_SS_SUM] = s[ODEON_SS_SUMSQ] = 0.0;
    s[ODEON_SS_SHIFT] = s[ODEON_SS_SUMSQ_RAW] = 0.0;
    s[ODEON_SS_MIN] = s[ODEON_SS_MAX] = s[ODEON_SS_MAXMAG] = 0.0;
    s[ODEON_SS_DMAX] = s[ODEON_SS_DMIN] = s[ODEON_SS_ND] = 0.0;
    s[ODEON_SS_D2MAX] = s[ODEON_SS_D2MIN] = s[ODEON_SS_ND2] = 0.0;
    s[ODEON_SS_NPK] = s[ODEON_SS_NNPK] = 0.0;
  }
}

ODEON_HD static inline void odeon_sum_init(odeon_sum *sm) {
  for (int v = 0; v < ODEON_SUM_NVARS; v++)
    for (int j = 0; j < ODEON_SUM_SLOTS; j++)
      sm->s[v][j] = 0.0;
}

/* Record sample value x of variable v at time t; in_window is 0 for the
 * first sample of the solve, which only primes the differences. */
ODEON_HD static inline void odeon_sum_add(odeon_sum *sm, int v, double t,
                                          double x, double S, int in_window) {
  double *s = sm->s[v];
  const int np = (int)s[ODEON_SS_NPREV];
  if (in_window) {
    if (s[ODEON_SS_N] == 0.0) {
      s[ODEON_SS_SHIFT] = x;
      s[ODEON_SS_MIN] = s[ODEON_SS_MAX] = x;
      s[ODEON_SS_MAXMAG] = fabs(x);
    }
    const double dx = x - s[ODEON_SS_SHIFT];
    s[ODEON_SS_N] += 1.0;
    s[ODEON_SS_SUM] += dx;
    s[ODEON_SS_SUMSQ] += dx * dx;
    s[ODEON_SS_SUMSQ_RAW] += x * x;
    if (x < s[ODEON_SS_MIN])
      s[ODEON_SS_MIN] = x;
    if (x > s[ODEON_SS_MAX])
      s[ODEON_SS_MAX] = x;
    if (fabs(x) > s[ODEON_SS_MAXMAG])
      s[ODEON_SS_MAXMAG] = fabs(x);
    if (np >= 1) {
      const double d = (x - s[ODEON_SS_PREV1]) / S;
      if (s[ODEON_SS_ND] == 0.0 || d > s[ODEON_SS_DMAX])
        s[ODEON_SS_DMAX] = d;
      if (s[ODEON_SS_ND] == 0.0 || d < s[ODEON_SS_DMIN])
        s[ODEON_SS_DMIN] = d;
      s[ODEON_SS_ND] += 1.0;
    }
    if (np >= 2) {
      const double p1 = s[ODEON_SS_PREV1], p2 = s[ODEON_SS_PREV2];
      const double d2 = (x - 2.0 * p1 + p2) / (S * S);
      if (s[ODEON_SS_ND2] == 0.0 || d2 > s[ODEON_SS_D2MAX])
        s[ODEON_SS_D2MAX] = d2;
      if (s[ODEON_SS_ND2] == 0.0 || d2 < s[ODEON_SS_D2MIN])
        s[ODEON_SS_D2MIN] = d2;
      s[ODEON_SS_ND2] += 1.0;
#if ODEON_SUM_PEAKS > 0
      if (p2 < p1 && p1 > x && s[ODEON_SS_NPK] < ODEON_SUM_PEAKS) {
        s[ODEON_SS_FIXED + (int)s[ODEON_SS_NPK]] = s[ODEON_SS_TPREV1];
        s[ODEON_SS_NPK] += 1.0;
      }
#endif
#if ODEON_SUM_NPEAKS > 0
      if (p2 > p1 && p1 < x && s[ODEON_SS_NNPK] < ODEON_SUM_NPEAKS) {
        s[ODEON_SS_FIXED + ODEON_SUM_PEAKS + (int)s[ODEON_SS_NNPK]] =
            s[ODEON_SS_TPREV1];
        s[ODEON_SS_NNPK] += 1.0;
      }
#endif
    }
  }
  s[ODEON_SS_PREV2] = s[ODEON_SS_PREV1];
  s[ODEON_SS_PREV1] = x;
  s[ODEON_SS_TPREV1] = t;
  s[ODEON_SS_NPREV] = np >= 2 ? 2.0 : (double)(np + 1);
}

/* Write a row of the summary output for run r: out[row*n + r]. */
#define ODEON_SUM_PUT(row, val) out[(long long)(row)*n + r] = (odeon_real)(val)

/* Write variable v's statistics of the finished window (or NaN everywhere
 * when failed is set). */
ODEON_HD static inline void odeon_sum_write(const odeon_sum *sm, int failed,
                                            odeon_real *out, long long n,
                                            long long r) {
  const double nan = odeon_nan();
  (void)nan;
  for (int v = 0; v < ODEON_SUM_NVARS; v++) {
    const double *s = sm->s[v];
    const double cnt = s[ODEON_SS_N];
    const int ok = !failed && cnt > 0.0;
    const int okd = !failed && s[ODEON_SS_ND] > 0.0;
    const int okd2 = !failed && s[ODEON_SS_ND2] > 0.0;
    (void)okd;
    (void)okd2;
    const double mean_d = ok ? s[ODEON_SS_SUM] / cnt : 0.0;
    (void)mean_d;
#if ODEON_SUM_ROW_MEAN >= 0
    ODEON_SUM_PUT(ODEON_SUM_ROW_MEAN + v,
                  ok ? s[ODEON_SS_SHIFT] + mean_d : nan);
#endif
#if ODEON_SUM_ROW_MIN >= 0
    ODEON_SUM_PUT(ODEON_SUM_ROW_MIN + v, ok ? s[ODEON_SS_MIN] : nan);
#endif
#if ODEON_SUM_ROW_MAX >= 0
    ODEON_SUM_PUT(ODEON_SUM_ROW_MAX + v, ok ? s[ODEON_SS_MAX] : nan);
#endif
#if ODEON_SUM_ROW_RMS >= 0
    ODEON_SUM_PUT(ODEON_SUM_ROW_RMS + v,
                  ok ? sqrt(s[ODEON_SS_SUMSQ_RAW] / cnt) : nan);
#endif
#if ODEON_SUM_ROW_STD >= 0
    {
      double var = ok ? s[ODEON_SS_SUMSQ] / cnt - mean_d * mean_d : 0.0;
      ODEON_SUM_PUT(ODEON_SUM_ROW_STD + v,
                    ok ? sqrt(var > 0.0 ? var : 0.0) : nan);
    }
#endif
#if ODEON_SUM_ROW_EXTREMA >= 0
    ODEON_SUM_PUT(ODEON_SUM_ROW_EXTREMA + 2 * v, ok ? s[ODEON_SS_MAX] : nan);
    ODEON_SUM_PUT(ODEON_SUM_ROW_EXTREMA + 2 * v + 1,
                  ok ? s[ODEON_SS_MIN] : nan);
#endif
#if ODEON_SUM_ROW_MAXMAG >= 0
    ODEON_SUM_PUT(ODEON_SUM_ROW_MAXMAG + v, ok ? s[ODEON_SS_MAXMAG] : nan);
#endif
#if ODEON_SUM_ROW_PEAKS >= 0
    for (int j = 0; j < ODEON_SUM_PEAKS; j++)
      ODEON_SUM_PUT(ODEON_SUM_ROW_PEAKS + v * ODEON_SUM_PEAKS + j,
                    !failed && j < (int)s[ODEON_SS_NPK] ? s[ODEON_SS_FIXED + j]
                                                        : nan);
#endif
#if ODEON_SUM_ROW_NPEAKS >= 0
    for (int j = 0; j < ODEON_SUM_NPEAKS; j++)
      ODEON_SUM_PUT(ODEON_SUM_ROW_NPEAKS + v * ODEON_SUM_NPEAKS + j,
                    !failed && j < (int)s[ODEON_SS_NNPK]
                        ? s[ODEON_SS_FIXED + ODEON_SUM_PEAKS + j]
                        : nan);
#endif
#if ODEON_SUM_ROW_DXDT_MAX >= 0
    ODEON_SUM_PUT(ODEON_SUM_ROW_DXDT_MAX + v, okd ? s[ODEON_SS_DMAX] : nan);
#endif
#if ODEON_SUM_ROW_DXDT_MIN >= 0
    ODEON_SUM_PUT(ODEON_SUM_ROW_DXDT_MIN + v, okd ? s[ODEON_SS_DMIN] : nan);
#endif
#if ODEON_SUM_ROW_DXDT_EXTREMA >= 0
    ODEON_SUM_PUT(ODEON_SUM_ROW_DXDT_EXTREMA + 2 * v,
                  okd ? s[ODEON_SS_DMAX] : nan);
    ODEON_SUM_PUT(ODEON_SUM_ROW_DXDT_EXTREMA + 2 * v + 1,
                  okd ? s[ODEON_SS_DMIN] : nan);
#endif
#if ODEON_SUM_ROW_D2XDT2_MAX >= 0
    ODEON_SUM_PUT(ODEON_SUM_ROW_D2XDT2_MAX + v, okd2 ? s[ODEON_SS_D2MAX] : nan);
#endif
#if ODEON_SUM_ROW_D2XDT2_MIN >= 0
    ODEON_SUM_PUT(ODEON_SUM_ROW_D2XDT2_MIN + v, okd2 ? s[ODEON_SS_D2MIN] : nan);
#endif
#if ODEON_SUM_ROW_D2XDT2_EXTREMA >= 0
    ODEON_SUM_PUT(ODEON_SUM_ROW_D2XDT2_EXTREMA + 2 * v,
                  okd2 ? s[ODEON_SS_D2MAX] : nan);
    ODEON_SUM_PUT(ODEON_SUM_ROW_D2XDT2_EXTREMA + 2 * v + 1,
                  okd2 ? s[ODEON_SS_D2MIN] : nan);
#endif
  }
}

#endif
