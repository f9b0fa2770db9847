/* spline_host.c - cubic spline coefficients for uniformly sampled drivers
 * (second-derivative form solved by the Thomas algorithm, the periodic
 * case by Sherman-Morrison) and the packed block the kernel reads. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/spline_host.h"
#include "util/error.h"

/* Solve the tridiagonal system sub[i] x[i-1] + dia[i] x[i] + sup[i] x[i+1]
 * = r[i], i in [0, n), in place into r (dia is overwritten). */
static void thomas(int64_t n, const double *sub, double *dia, const double *sup,
                   double *r) {
  for (int64_t i = 1; i < n; i++) {
    double w = sub[i] / dia[i - 1];
    dia[i] -= w * sup[i - 1];
    r[i] -= w * r[i - 1];
  }
  r[n - 1] /= dia[n - 1];
  for (int64_t i = n - 2; i >= 0; i--)
    r[i] = (r[i] - sup[i] * r[i + 1]) / dia[i];
}

int odeon__spline_coeffs(const double *y, int64_t n, double h,
                         odeon__spline_end end, double d0, double d1,
                         double *coef, const char *what) {
  if (!what)
    what = "driver";
  if (n < 2)
    return odeon__error(ODEON_E_INVAL, "%s: needs at least 2 samples, got %lld",
                        what, (long long)n);
  if (!(h > 0) || !isfinite(h))
    return odeon__error(ODEON_E_INVAL,
                        "%s: sample spacing must be positive, got %g", what, h);
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(y[i]))
      return odeon__error(ODEON_E_INVAL, "%s: sample %lld is not finite", what,
                          (long long)i);
  if (end == ODEON__SPLINE_CLAMPED && n >= 4) {
    /* slopes not given: third-order one-sided differences */
    if (isnan(d0))
      d0 = (-11 * y[0] + 18 * y[1] - 9 * y[2] + 2 * y[3]) / (6 * h);
    if (isnan(d1))
      d1 = (11 * y[n - 1] - 18 * y[n - 2] + 9 * y[n - 3] - 2 * y[n - 4]) /
           (6 * h);
  }
  if (end == ODEON__SPLINE_CLAMPED && (!isfinite(d0) || !isfinite(d1)))
    return odeon__error(ODEON_E_INVAL, "%s: clamped end slopes must be finite",
                        what);
  if (end == ODEON__SPLINE_PERIODIC &&
      fabs(y[n - 1] - y[0]) > 1e-12 * (fabs(y[0]) + fabs(y[n - 1]) + 1e-300))
    return odeon__error(ODEON_E_INVAL,
                        "%s: periodic ends need the last sample equal to the "
                        "first (%g != %g)",
                        what, y[n - 1], y[0]);
  double *M = calloc((size_t)n, sizeof(double));
  double *sub = calloc((size_t)n, sizeof(double));
  double *dia = calloc((size_t)n, sizeof(double));
  double *sup = calloc((size_t)n, sizeof(double));
  double *u = calloc((size_t)n, sizeof(double));
  if (!M || !sub || !dia || !sup || !u) {
    free(M);
    free(sub);
    free(dia);
    free(sup);
    free(u);
    return odeon__error(ODEON_E_NOMEM, "%s: out of memory for the spline",
                        what);
  }
  const double k = 6.0 / (h * h);
  /* M[i] are the second derivatives at the samples; interior rows:
   * M[i-1] + 4 M[i] + M[i+1] = 6/h^2 (y[i-1] - 2 y[i] + y[i+1]). */
  if (n == 2) {
    /* a straight line, or the clamped cubic through two points */
    if (end == ODEON__SPLINE_CLAMPED) {
      sub[0] = 0, dia[0] = 2, sup[0] = 1;
      M[0] = 6.0 / h * ((y[1] - y[0]) / h - d0);
      sub[1] = 1, dia[1] = 2, sup[1] = 0;
      M[1] = 6.0 / h * (d1 - (y[1] - y[0]) / h);
      thomas(2, sub, dia, sup, M);
    }
  } else if (end == ODEON__SPLINE_PERIODIC) {
    /* unknowns M[0..m-1], m = n-1, cyclic; M[n-1] = M[0] */
    const int64_t m = n - 1;
    for (int64_t i = 0; i < m; i++) {
      double ym = y[(i - 1 + m) % m], yp = y[(i + 1) % m];
      M[i] = k * (ym - 2 * y[i] + yp);
    }
    if (m == 2) {
      /* two unknowns; with the wrap each row sees the other one twice */
      double a00 = 4 + 0, a01 = 2, a10 = 2, a11 = 4;
      double det = a00 * a11 - a01 * a10, r0 = M[0], r1 = M[1];
      M[0] = (r0 * a11 - a01 * r1) / det;
      M[1] = (a00 * r1 - a10 * r0) / det;
    } else {
      /* Sherman-Morrison: A = T + u v^T with corners 1 (gamma = -4) */
      const double gamma = -4.0;
      for (int64_t i = 0; i < m; i++)
        sub[i] = 1, dia[i] = 4, sup[i] = 1;
      dia[0] = 4 - gamma;
      dia[m - 1] = 4 - 1.0 / gamma;
      double *dia2 = calloc((size_t)m, sizeof(double));
      if (!dia2) {
        free(M), free(sub), free(dia), free(sup), free(u);
        return odeon__error(ODEON_E_NOMEM, "%s: out of memory", what);
      }
      memcpy(dia2, dia, sizeof(double) * (size_t)m);
      thomas(m, sub, dia, sup, M); /* x = T^-1 r */
      u[0] = gamma;
      u[m - 1] = 1.0;
      thomas(m, sub, dia2, sup, u); /* z = T^-1 u */
      free(dia2);
      /* v = (1, 0, ..., 0, 1/gamma) */
      double vx = M[0] + M[m - 1] / gamma, vz = u[0] + u[m - 1] / gamma;
      double f = vx / (1.0 + vz);
      for (int64_t i = 0; i < m; i++)
        M[i] -= f * u[i];
    }
    M[n - 1] = M[0];
  } else if (end == ODEON__SPLINE_NOT_A_KNOT && n == 3) {
    /* the interpolating parabola */
    M[0] = M[1] = M[2] = (y[0] - 2 * y[1] + y[2]) / (h * h);
  } else {
    for (int64_t i = 1; i < n - 1; i++) {
      sub[i] = 1, dia[i] = 4, sup[i] = 1;
      M[i] = k * (y[i - 1] - 2 * y[i] + y[i + 1]);
    }
    if (end == ODEON__SPLINE_CLAMPED) {
      dia[0] = 2, sup[0] = 1;
      M[0] = 6.0 / h * ((y[1] - y[0]) / h - d0);
      sub[n - 1] = 1, dia[n - 1] = 2;
      M[n - 1] = 6.0 / h * (d1 - (y[n - 1] - y[n - 2]) / h);
      thomas(n, sub, dia, sup, M);
    } else if (end == ODEON__SPLINE_NOT_A_KNOT) {
      /* M[0] = 2 M[1] - M[2] turns row 1 into 6 M[1] = r[1]; likewise at
       * the other end; then the end values follow. */
      dia[1] = 6, sub[1] = 0, sup[1] = 0;
      dia[n - 2] = 6, sub[n - 2] = 0, sup[n - 2] = 0;
      if (n == 4) {
        M[1] /= 6;
        M[2] /= 6;
      } else {
        thomas(n - 2, sub + 1, dia + 1, sup + 1, M + 1);
      }
      M[0] = 2 * M[1] - M[2];
      M[n - 1] = 2 * M[n - 2] - M[n - 3];
    } else { /* natural */
      M[0] = M[n - 1] = 0;
      if (n > 3)
        thomas(n - 2, sub + 1, dia + 1, sup + 1, M + 1);
      else
        M[1] /= 4;
    }
  }
  for (int64_t i = 0; i < n - 1; i++) {
    coef[4 * i + 0] = y[i];
    coef[4 * i + 1] = (y[i + 1] - y[i]) / h - h * (2 * M[i] + M[i + 1]) / 6;
    coef[4 * i + 2] = M[i] / 2;
    coef[4 * i + 3] = (M[i + 1] - M[i]) / (6 * h);
  }
  free(M);
  free(sub);
  free(dia);
  free(sup);
  free(u);
  return ODEON_OK;
}

int odeon__spline_end_parse(const char *name, odeon__spline_end *out) {
  static const char *const names[] = {"natural", "clamped", "not-a-knot",
                                      "periodic"};
  char buf[32];
  size_t i = 0;
  if (name) {
    for (; name[i] && i < sizeof buf - 1; i++)
      buf[i] = name[i] == '_' ? '-' : (char)tolower((unsigned char)name[i]);
  }
  buf[i] = '\0';
  for (int k = 0; name && !name[i] && k < 4; k++)
    if (strcmp(buf, names[k]) == 0) {
      *out = (odeon__spline_end)k;
      return ODEON_OK;
    }
  return odeon__error(ODEON_E_INVAL,
                      "spline end condition: unknown \"%s\" (known: natural, "
                      "clamped, not-a-knot, periodic)",
                      name ? name : "(null)");
}

int odeon__spline_uniform(const double *t, int64_t n, double *t_first,
                          double *h, const char *what) {
  if (!what)
    what = "driver";
  if (n < 2)
    return odeon__error(ODEON_E_INVAL, "%s: needs at least 2 samples, got %lld",
                        what, (long long)n);
  const double step = (t[n - 1] - t[0]) / (double)(n - 1);
  if (!(step > 0) || !isfinite(step))
    return odeon__error(ODEON_E_INVAL,
                        "%s: times must increase (first %g, last %g)", what,
                        t[0], t[n - 1]);
  for (int64_t i = 0; i < n; i++) {
    double want = t[0] + (double)i * step;
    if (!(fabs(t[i] - want) <= 1e-9 * (fabs(want) + step * (double)n)))
      return odeon__error(ODEON_E_INVAL,
                          "%s: time %lld is %.17g, but uniform sampling needs "
                          "%.17g (spacing %g)",
                          what, (long long)i, t[i], want, step);
  }
  *t_first = t[0];
  *h = step;
  return ODEON_OK;
}

#define HDR 5 /* ODEON_SPLINE_HDR of core/spline.h */

int64_t odeon__driver_block_len(const odeon__driver_spline *d, int n_drivers) {
  int64_t len = (int64_t)HDR * n_drivers;
  for (int i = 0; i < n_drivers; i++)
    len += 4 * d[i].n_intervals;
  return len;
}

static void put(void *out, int rb, int64_t i, double v) {
  if (rb == 4)
    ((float *)out)[i] = (float)v;
  else
    ((double *)out)[i] = v;
}

void odeon__driver_block_fill(const odeon__driver_spline *d, int n_drivers,
                              void *out, int real_bytes) {
  int64_t off = (int64_t)HDR * n_drivers;
  for (int k = 0; k < n_drivers; k++) {
    put(out, real_bytes, k * HDR + 0, d[k].t_first);
    put(out, real_bytes, k * HDR + 1, d[k].h);
    put(out, real_bytes, k * HDR + 2, (double)d[k].n_intervals);
    put(out, real_bytes, k * HDR + 3, d[k].periodic ? 1.0 : 0.0);
    put(out, real_bytes, k * HDR + 4, (double)off);
    for (int64_t i = 0; i < 4 * d[k].n_intervals; i++)
      put(out, real_bytes, off + i, d[k].coef[i]);
    off += 4 * d[k].n_intervals;
  }
}
