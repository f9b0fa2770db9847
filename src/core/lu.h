/* lu.h - small dense LU factorisation with partial pivoting, real and
 * complex, for the per-run iteration matrices of the implicit methods;
 * compiled by cc and NVRTC alike.
 *
 * Matrices are row-major n*n arrays that the caller sizes at compile time
 * (ODEON_SYS_N_STATES), so that with n a constant after inlining every loop
 * unrolls and, on the GPU, the matrix can live in registers. Row interchanges
 * are therefore done with predicated swaps over constant indices rather than
 * by indexing with the pivot row, which would force the matrix into local
 * memory. The factorisation follows LAPACK's getrf (L unit lower, U upper,
 * rows swapped across the whole matrix) and Hairer's dec/decc (complex pivot
 * chosen by |re| + |im|). */
#ifndef ODEON_CORE_LU_H
#define ODEON_CORE_LU_H

#include "real.h"

/* Loop unrolling hint: NVRTC understands the pragma, while cc with -Wall
 * would warn about an unknown one. */
#ifndef ODEON_UNROLL
#if ODEON_DEVICE_CODE
#define ODEON_UNROLL _Pragma("unroll")
#else
#define ODEON_UNROLL
#endif
#endif

/* Non-zero if x is finite (x - x is NaN for infinities and NaNs), without
 * relying on isfinite, whose spelling differs between libc and NVRTC. */
ODEON_HD static inline int odeon_lu_finite(odeon_real x) {
  return (x - x) == ODEON_R(0.0);
}

/* Factor a (n*n, row-major) in place as P*a = L*U and record the pivot row
 * of each column in piv. Returns 0 on success, or k + 1 when column k has
 * no usable pivot (zero or not finite): the matrix is singular for this
 * precision and the caller reports ODEON_RUN_SINGULAR or shrinks the step. */
ODEON_HD static inline int odeon_lu_factor(int n, odeon_real *a, int *piv) {
  ODEON_UNROLL
  for (int k = 0; k < n; ++k) {
    int p = k;
    odeon_real amax = odeon_fabs(a[k * n + k]);
    ODEON_UNROLL
    for (int i = k + 1; i < n; ++i) {
      odeon_real v = odeon_fabs(a[i * n + k]);
      if (v > amax) {
        amax = v;
        p = i;
      }
    }
    piv[k] = p;
    if (!(amax > ODEON_R(0.0)) || !odeon_lu_finite(amax))
      return k + 1;
    /* Swap rows k and p by a predicated sweep over constant indices. */
    ODEON_UNROLL
    for (int i = k + 1; i < n; ++i) {
      const int sw = (i == p);
      ODEON_UNROLL
      for (int j = 0; j < n; ++j) {
        odeon_real tk = a[k * n + j], ti = a[i * n + j];
        a[k * n + j] = sw ? ti : tk;
        a[i * n + j] = sw ? tk : ti;
      }
    }
    const odeon_real inv = ODEON_R(1.0) / a[k * n + k];
    ODEON_UNROLL
    for (int i = k + 1; i < n; ++i) {
      const odeon_real l = a[i * n + k] * inv;
      a[i * n + k] = l;
      ODEON_UNROLL
      for (int j = k + 1; j < n; ++j)
        a[i * n + j] -= l * a[k * n + j];
    }
  }
  return 0;
}

/* Solve (L*U) x = P b in place in b, with a and piv from odeon_lu_factor. */
ODEON_HD static inline void odeon_lu_solve(int n, const odeon_real *a,
                                           const int *piv, odeon_real *b) {
  ODEON_UNROLL
  for (int k = 0; k < n; ++k) {
    const int p = piv[k];
    ODEON_UNROLL
    for (int i = k + 1; i < n; ++i) {
      const int sw = (i == p);
      odeon_real tk = b[k], ti = b[i];
      b[k] = sw ? ti : tk;
      b[i] = sw ? tk : ti;
    }
  }
  ODEON_UNROLL
  for (int i = 1; i < n; ++i) {
    odeon_real s = b[i];
    ODEON_UNROLL
    for (int j = 0; j < i; ++j)
      s -= a[i * n + j] * b[j];
    b[i] = s;
  }
  ODEON_UNROLL
  for (int i = n - 1; i >= 0; --i) {
    odeon_real s = b[i];
    ODEON_UNROLL
    for (int j = i + 1; j < n; ++j)
      s -= a[i * n + j] * b[j];
    b[i] = s / a[i * n + i];
  }
}

/* Complex version for Radau IIA's complex-conjugate eigenvalue pair: the
 * matrix is held as separate real (ar) and imaginary (ai) parts. Same
 * return convention as odeon_lu_factor. */
ODEON_HD static inline int odeon_lu_factor_complex(int n, odeon_real *ar,
                                                   odeon_real *ai, int *piv) {
  ODEON_UNROLL
  for (int k = 0; k < n; ++k) {
    int p = k;
    odeon_real amax = odeon_fabs(ar[k * n + k]) + odeon_fabs(ai[k * n + k]);
    ODEON_UNROLL
    for (int i = k + 1; i < n; ++i) {
      odeon_real v = odeon_fabs(ar[i * n + k]) + odeon_fabs(ai[i * n + k]);
      if (v > amax) {
        amax = v;
        p = i;
      }
    }
    piv[k] = p;
    if (!(amax > ODEON_R(0.0)) || !odeon_lu_finite(amax))
      return k + 1;
    ODEON_UNROLL
    for (int i = k + 1; i < n; ++i) {
      const int sw = (i == p);
      ODEON_UNROLL
      for (int j = 0; j < n; ++j) {
        odeon_real tk = ar[k * n + j], ti = ar[i * n + j];
        ar[k * n + j] = sw ? ti : tk;
        ar[i * n + j] = sw ? tk : ti;
        tk = ai[k * n + j];
        ti = ai[i * n + j];
        ai[k * n + j] = sw ? ti : tk;
        ai[i * n + j] = sw ? tk : ti;
      }
    }
    /* 1 / (pr + i pi) = (pr - i pi) / (pr^2 + pi^2), scaled against
     * overflow by the larger part (Smith's idea, simplified). */
    const odeon_real pr = ar[k * n + k], pi = ai[k * n + k];
    const odeon_real s = odeon_fabs(pr) + odeon_fabs(pi);
    const odeon_real prs = pr / s, pis = pi / s;
    const odeon_real den = s * (prs * prs + pis * pis);
    const odeon_real invr = prs / den, invi = -pis / den;
    ODEON_UNROLL
    for (int i = k + 1; i < n; ++i) {
      const odeon_real xr = ar[i * n + k], xi = ai[i * n + k];
      const odeon_real lr = xr * invr - xi * invi;
      const odeon_real li = xr * invi + xi * invr;
      ar[i * n + k] = lr;
      ai[i * n + k] = li;
      ODEON_UNROLL
      for (int j = k + 1; j < n; ++j) {
        const odeon_real ur = ar[k * n + j], ui = ai[k * n + j];
        ar[i * n + j] -= lr * ur - li * ui;
        ai[i * n + j] -= lr * ui + li * ur;
      }
    }
  }
  return 0;
}

/* Solve the complex system in place in (br, bi). */
ODEON_HD static inline void
odeon_lu_solve_complex(int n, const odeon_real *ar, const odeon_real *ai,
                       const int *piv, odeon_real *br, odeon_real *bi) {
  ODEON_UNROLL
  for (int k = 0; k < n; ++k) {
    const int p = piv[k];
    ODEON_UNROLL
    for (int i = k + 1; i < n; ++i) {
      const int sw = (i == p);
      odeon_real tk = br[k], ti = br[i];
      br[k] = sw ? ti : tk;
      br[i] = sw ? tk : ti;
      tk = bi[k];
      ti = bi[i];
      bi[k] = sw ? ti : tk;
      bi[i] = sw ? tk : ti;
    }
  }
  ODEON_UNROLL
  for (int i = 1; i < n; ++i) {
    odeon_real sr = br[i], si = bi[i];
    ODEON_UNROLL
    for (int j = 0; j < i; ++j) {
      const odeon_real lr = ar[i * n + j], li = ai[i * n + j];
      sr -= lr * br[j] - li * bi[j];
      si -= lr * bi[j] + li * br[j];
    }
    br[i] = sr;
    bi[i] = si;
  }
  ODEON_UNROLL
  for (int i = n - 1; i >= 0; --i) {
    odeon_real sr = br[i], si = bi[i];
    ODEON_UNROLL
    for (int j = i + 1; j < n; ++j) {
      const odeon_real ur = ar[i * n + j], ui = ai[i * n + j];
      sr -= ur * br[j] - ui * bi[j];
      si -= ur * bi[j] + ui * br[j];
    }
    const odeon_real pr = ar[i * n + i], pi = ai[i * n + i];
    const odeon_real s = odeon_fabs(pr) + odeon_fabs(pi);
    const odeon_real prs = pr / s, pis = pi / s, srs = sr / s, sis = si / s;
    const odeon_real den = prs * prs + pis * pis;
    br[i] = (srs * prs + sis * pis) / den;
    bi[i] = (sis * prs - srs * pis) / den;
  }
}

#endif
