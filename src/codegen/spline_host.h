/* spline_host.h - driver splines on the host: the cubic spline coefficients
 * of a uniformly sampled series (natural, clamped, not-a-knot or periodic
 * ends) and the packed block the kernel evaluates (core/spline.h). */
#ifndef ODEON_CODEGEN_SPLINE_HOST_H
#define ODEON_CODEGEN_SPLINE_HOST_H

#include <stdint.h>

typedef enum odeon__spline_end {
  ODEON__SPLINE_NATURAL = 0,    /* zero second derivative at both ends */
  ODEON__SPLINE_CLAMPED = 1,    /* given first derivatives d0, d1 */
  ODEON__SPLINE_NOT_A_KNOT = 2, /* continuous third derivative at the second
                                   and second-to-last samples */
  ODEON__SPLINE_PERIODIC = 3    /* y[n-1] must equal y[0]; wraps in time */
} odeon__spline_end;

/* Coefficients of the spline through y[0..n-1] sampled every h (n >= 2):
 * coef[4*i + 0..3] = a, b, c, d on interval i (n-1 intervals), so that
 * s(t) = a + b x + c x^2 + d x^3 with x = t - t_i. d0, d1 are the end
 * slopes for CLAMPED (ignored otherwise); NaN = estimated from the data by
 * third-order one-sided differences (n >= 4). Returns ODEON_E_INVAL with a
 * message for n < 2, h <= 0, non-finite samples, or a periodic series
 * whose ends differ. `what` names the series in messages. */
int odeon__spline_coeffs(const double *y, int64_t n, double h,
                         odeon__spline_end end, double d0, double d1,
                         double *coef, const char *what);

/* The end condition called `name` ("natural", "clamped", "not-a-knot",
 * "periodic"; case-insensitive, '_' for '-'), or ODEON_E_INVAL naming the
 * choices. */
int odeon__spline_end_parse(const char *name, odeon__spline_end *out);

/* Check that the times t[0..n-1] are uniformly spaced (relative slack
 * 1e-9) and increasing; give the first time and the spacing. `what` names
 * the series in messages ("--driver u: time 3 ..."). */
int odeon__spline_uniform(const double *t, int64_t n, double *t_first,
                          double *h, const char *what);

/* One driver of a block. */
typedef struct odeon__driver_spline {
  double t_first; /* time of the first sample */
  double h;       /* sample spacing */
  int64_t n_intervals;
  int periodic;
  const double *coef; /* [n_intervals][4] from odeon__spline_coeffs */
} odeon__driver_spline;

/* Number of reals of a block holding these drivers. */
int64_t odeon__driver_block_len(const odeon__driver_spline *d, int n_drivers);
/* Pack the drivers into out (real_bytes 4 or 8), in core/spline.h layout. */
void odeon__driver_block_fill(const odeon__driver_spline *d, int n_drivers,
                              void *out, int real_bytes);

#endif
