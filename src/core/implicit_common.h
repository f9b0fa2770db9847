/* implicit_common.h - what the implicit families (Rosenbrock, DIRK, Radau
 * IIA) share: the Newton settings read from the kernel arguments, the
 * iteration matrix I - h*gamma*J and its factorisation, the weighted norms
 * of Newton corrections, and the per-run status bits of a failed solve.
 *
 * Included by the family headers after ctx.h (so ODEON_N, odeon_ctx and the
 * counters exist); compiled by cc and NVRTC alike. */
#ifndef ODEON_CORE_IMPLICIT_COMMON_H
#define ODEON_CORE_IMPLICIT_COMMON_H

#include "ctx.h"
#include "lu.h"
#include "implicit_table.h"

/* Newton iteration cap: the user's setting, else the family's default. */
ODEON_HD static inline int odeon_newton_max_iters(const odeon_kernel_args *a,
                                                  int dflt) {
  return a->newton_max_iters > 0 ? (int)a->newton_max_iters : dflt;
}

/* Newton tolerance kappa (the iteration stops when the predicted remaining
 * error, in the error norm, is below it): the user's setting (> 0), else
 * the family's default. It never goes below what rounding allows, 10*eps
 * relative to rtol (Hairer's radau5 FNEWT floor); without that floor a
 * float32 run at rtol 1e-6 could never converge. */
ODEON_HD static inline odeon_real
odeon_newton_kappa(const odeon_kernel_args *a, double dflt, odeon_real rtol) {
  double k = a->newton_tol;
  if (!(k > 0.0))
    k = dflt; /* 0 or NaN: the default */
  odeon_real kk = (odeon_real)k;
  odeon_real floor_k = ODEON_R(10.0) * ODEON_EPS / odeon_fmax(rtol, ODEON_EPS);
  return odeon_fmax(kk, floor_k);
}

/* scale[i] = atol + rtol*|y[i]|: the weights of Newton corrections, fixed
 * for one step (OrdinaryDiffEq's calculate_residuals at uprev). */
ODEON_HD static inline void odeon_implicit_scale(odeon_real atol,
                                                 odeon_real rtol,
                                                 const odeon_real *y,
                                                 odeon_real *scale) {
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i)
    scale[i] = atol + rtol * odeon_fabs(y[i]);
}

/* Root mean square of v[i]/scale[i] over the states. */
ODEON_HD static inline odeon_real odeon_implicit_norm(const odeon_real *v,
                                                      const odeon_real *scale) {
  odeon_real s = ODEON_R(0.0);
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i) {
    const odeon_real e = v[i] / scale[i];
    s += e * e;
  }
  return odeon_sqrt(s / ODEON_R(ODEON_N));
}

/* Form M = I - hg*J into lu and factor it; counts one factorisation.
 * Returns 0 or ODEON_RUN_SINGULAR_BIT. */
ODEON_HD static inline unsigned
odeon_implicit_factor(odeon_ctx *cx, const odeon_real *jac, odeon_real hg,
                      odeon_real *lu, int *piv) {
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i) {
    ODEON_UNROLL
    for (int j = 0; j < ODEON_N; ++j)
      lu[i * ODEON_N + j] =
          (i == j ? ODEON_R(1.0) : ODEON_R(0.0)) - hg * jac[i * ODEON_N + j];
  }
  cx->cnt[ODEON_CNT_LU]++;
  return odeon_lu_factor(ODEON_N, lu, piv) ? ODEON_RUN_SINGULAR_BIT : 0u;
}

/* Copy n reals. */
ODEON_HD static inline void odeon_implicit_copy(odeon_real *dst,
                                                const odeon_real *src) {
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i)
    dst[i] = src[i];
}

#endif
