/* spline.h - evaluation of driver splines inside the kernel: a driver is a
 * uniformly sampled series turned into a cubic spline on the host
 * (codegen/spline_host.c computes the coefficients); the kernel reads its
 * value and time derivative at any t.
 *
 * Block layout (odeon_real values; one block shared by every run when
 * kernel_args.driver_stride is 0, else run i's block starts at
 * drivers + i*driver_stride):
 *   for each driver d: header[d*ODEON_SPLINE_HDR + 0..4] =
 *       t_first, h (sample spacing), n_intervals, periodic (0/1), offset
 *   at block[offset]: n_intervals rows of 4 coefficients (a, b, c, d):
 *       s(t) = a + b x + c x^2 + d x^3 with x = t - (t_first + i*h).
 * A periodic driver wraps t into [t_first, t_first + n_intervals*h). */
#ifndef ODEON_CORE_SPLINE_H
#define ODEON_CORE_SPLINE_H

#include "real.h"

#define ODEON_SPLINE_HDR 5

/* Value and d/dt of driver d at time t into out[0], out[1]. Returns 0 when
 * t lies outside a non-periodic driver's samples (the end polynomials are
 * extrapolated then), 1 otherwise. */
ODEON_HD static inline int odeon_spline_eval(const odeon_real *block, int d,
                                             double t, odeon_real *out) {
  const odeon_real *hd = block + d * ODEON_SPLINE_HDR;
  const double t_first = (double)hd[0], h = (double)hd[1];
  const long long n = (long long)hd[2];
  const int periodic = hd[3] != ODEON_R(0);
  const odeon_real *coef = block + (long long)hd[4];
  double tau = (t - t_first) / h;
  int ok = 1;
  if (periodic) {
    tau = tau - (double)n * floor(tau / (double)n);
  } else if (tau < -1e-9 * (double)n || tau > (double)n * (1.0 + 1e-9)) {
    ok = 0;
  }
  long long i = (long long)floor(tau);
  if (i < 0)
    i = 0;
  if (i > n - 1)
    i = n - 1;
  const odeon_real x = (odeon_real)((tau - (double)i) * h);
  const odeon_real *c = coef + 4 * i;
  out[0] = c[0] + x * (c[1] + x * (c[2] + x * c[3]));
  out[1] = c[1] + x * (ODEON_R(2) * c[2] + ODEON_R(3) * x * c[3]);
  return ok;
}

#endif
