/* timing.h - the sample and window clock shared by the kernel and the host:
 * sample k lies at exactly (t0 + settle) + k*save_every (or at the start and
 * the end when save_every is 0), computed in double the same way on both
 * sides so that labels and integration targets agree bit for bit. When
 * the duration is not a whole multiple of save_every, integration stops at
 * the last sample. */
#ifndef ODEON_CORE_TIMING_H
#define ODEON_CORE_TIMING_H

#include "real.h"
#include "kernel_args.h"

/* Time of sample k of a solve. */
ODEON_HD static inline double odeon_sample_time(double t0, double settle,
                                                double duration,
                                                double save_every,
                                                long long k) {
  const double start = t0 + settle;
  if (save_every > 0.0)
    return start + (double)k * save_every;
  return k == 0 ? start : start + duration;
}

/* Number of samples: floor(duration / save_every) + 1 (a relative slack of
 * 1e-9 absorbs rounding in the ratio), or 2 (start and end). */
ODEON_HD static inline long long odeon_sample_count(double duration,
                                                    double save_every) {
  if (save_every > 0.0)
    return (long long)floor(duration / save_every * (1.0 + 1e-9) + 1e-9) + 1;
  return 2;
}

/* Samples per summary window: summarise_every / save_every, a whole number
 * (checked on the host). */
ODEON_HD static inline long long odeon_window_samples(double summarise_every,
                                                      double save_every) {
  if (save_every <= 0.0)
    return 1;
  return (long long)floor(summarise_every / save_every + 0.5);
}

#endif
