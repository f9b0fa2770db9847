/* radau_iia5_step.h - the fully implicit Radau IIA method of order 5
 * (family 4 of family.h), after Hairer & Wanner's radau5.f: simplified
 * Newton iterations in the variables that block-diagonalise A^-1, so each
 * iteration solves one real system with fac1*I - J and one complex system
 * with (alpha + i beta)*I - J (both factored once per attempt); starting
 * values extrapolated from the last step's collocation polynomial; the
 * error estimate filtered through (fac1*I - J)^-1 and recomputed from a
 * fresh f evaluation after a rejection; radau5's transformed tolerances
 * (rtol' = 0.1 rtol^(2/3), atol' = rtol' atol/rtol), as OrdinaryDiffEq's
 * RadauIIA5 also uses. The loop pairs it with Gustafsson's predictive
 * controller (the registry's default for this method).
 *
 * A failed Newton iteration (diverging, predicted too slow, or over the
 * cap) returns ODEON_RUN_NEWTON_BIT and the loop halves h, as radau5's
 * "unexpected step rejection" does. */
#ifndef ODEON_CORE_RADAU_IIA5_STEP_H
#define ODEON_CORE_RADAU_IIA5_STEP_H

#include "implicit_common.h"
#include "radau_iia5_tables.h"

#define ODEON_RADAU_ID 120
#define ODEON_RADAU_NEWTON_ITERS 10

typedef struct odeon_radau_ws {
  odeon_real f0[ODEON_N]; /* f(t, y) at the run's current state */
  odeon_real jac[ODEON_N * ODEON_N];
  odeon_real dfdt[ODEON_N];
  odeon_real e1[ODEON_N * ODEON_N]; /* fac1*I - J, factored */
  odeon_real e2r[ODEON_N * ODEON_N], e2i[ODEON_N * ODEON_N];
  int p1[ODEON_N], p2[ODEON_N];
  odeon_real z1[ODEON_N], z2[ODEON_N], z3[ODEON_N]; /* Y_i - y */
  odeon_real cont[3][ODEON_N]; /* last accepted collocation polynomial */
  double h_old;                /* last accepted step, 0 before the first */
  double t_cur;                /* start of the last attempt */
  double jac_t;                /* where jac was evaluated */
  double h_lu;                 /* the step the factorisations are for */
  odeon_real faccon;           /* radau5's FACCON: the contraction memory */
  odeon_real theta;            /* the last attempt's contraction rate */
  int jac_valid;               /* jac holds a Jacobian */
  int jac_keep; /* the next step may reuse it (radau5's THET test) */
  int lu_valid; /* e1, e2 factor fac1*I - jac, ... for h_lu */
  int pending;  /* an attempt was made and not accepted yet */
  int newt;     /* Newton iterations of the last attempt */
} odeon_radau_ws;

ODEON_HD static inline void odeon_radau_start(odeon_radau_ws *ws, odeon_ctx *cx,
                                              double t, const odeon_real *y) {
  odeon_rhs(cx, t, y, ws->f0);
  ws->h_old = 0.0;
  ws->t_cur = t;
  ws->jac_t = t;
  ws->h_lu = 0.0;
  ws->faccon = ODEON_R(1.0);
  ws->theta = ODEON_R(1.0);
  ws->jac_valid = 0;
  ws->jac_keep = 0;
  ws->lu_valid = 0;
  ws->pending = 0;
  ws->newt = 0;
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i)
    ws->cont[0][i] = ws->cont[1][i] = ws->cont[2][i] = ODEON_R(0.0);
}

/* radau5's tolerances: rtol' = 0.1 rtol^(2/3), atol' = rtol' atol / rtol. */
ODEON_HD static inline void
odeon_radau_tols(const odeon_ctx *cx, odeon_real *atol, odeon_real *rtol) {
  const double r = (double)cx->rtol > 0.0 ? (double)cx->rtol : 1e-300;
  const double rr = 0.1 * pow(r, 2.0 / 3.0);
  *rtol = (odeon_real)rr;
  *atol = (odeon_real)(rr * (double)cx->atol / r);
}

/* RMS of v[i] / (atol + rtol max(|y0_i|, |y1_i|)). */
ODEON_HD static inline odeon_real
odeon_radau_err_norm(const odeon_real *v, const odeon_real *y0,
                     const odeon_real *y1, odeon_real atol, odeon_real rtol) {
  odeon_real s = ODEON_R(0.0);
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i) {
    const odeon_real sc =
        atol + rtol * odeon_fmax(odeon_fabs(y0[i]), odeon_fabs(y1[i]));
    const odeon_real e = v[i] / sc;
    s += e * e;
  }
  return odeon_sqrt(s / ODEON_R(ODEON_N));
}

/* Form and factor fac1*I - J and (alphn + i betan)*I - J for the step h;
 * 0 or ODEON_RUN_SINGULAR_BIT. */
ODEON_HD static inline unsigned odeon_radau_factor_h(odeon_radau_ws *ws,
                                                     double h) {
  const odeon_real hh = (odeon_real)h;
  const odeon_real fac1 = ODEON_R(ODEON_RADAU_U1) / hh;
  const odeon_real alphn = ODEON_R(ODEON_RADAU_ALPHA) / hh;
  const odeon_real betan = ODEON_R(ODEON_RADAU_BETA) / hh;
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i) {
    ODEON_UNROLL
    for (int j = 0; j < ODEON_N; ++j) {
      const odeon_real mj = -ws->jac[i * ODEON_N + j];
      ws->e1[i * ODEON_N + j] = mj + (i == j ? fac1 : ODEON_R(0.0));
      ws->e2r[i * ODEON_N + j] = mj + (i == j ? alphn : ODEON_R(0.0));
      ws->e2i[i * ODEON_N + j] = (i == j ? betan : ODEON_R(0.0));
    }
  }
  if (odeon_lu_factor(ODEON_N, ws->e1, ws->p1))
    return ODEON_RUN_SINGULAR_BIT;
  if (odeon_lu_factor_complex(ODEON_N, ws->e2r, ws->e2i, ws->p2))
    return ODEON_RUN_SINGULAR_BIT;
  return 0u;
}

/* One attempt of size h from (t, y): see family.h, odeon_step_try. */
ODEON_HD static inline unsigned
odeon_radau_try(odeon_radau_ws *ws, odeon_ctx *cx, double t, double h,
                const odeon_real *y, odeon_real *y_new, odeon_real *eest) {
  const odeon_real C1 = ODEON_R(ODEON_RADAU_C1), C2 = ODEON_R(ODEON_RADAU_C2);
  const odeon_real C1M1 = C1 - ODEON_R(1.0), C2M1 = C2 - ODEON_R(1.0);
  const int reject = ws->pending;
  const int first = !(ws->h_old > 0.0);
  odeon_real atol, rtol;
  odeon_real scal[ODEON_N], f1[ODEON_N], f2[ODEON_N], f3[ODEON_N];
  odeon_real a1[ODEON_N], a2[ODEON_N], a3[ODEON_N], tmp[ODEON_N];
  *eest = ODEON_R(0.0);
  ws->pending = 1;
  odeon_radau_tols(cx, &atol, &rtol);
  /* radau5's Jacobian reuse: a retry at the same point keeps the fresh
   * Jacobian; a new step keeps the last one when the last Newton iteration
   * contracted fast (theta <= 0.001, THET); after a rejection an old one is
   * replaced. */
  const int reuse_jac =
      ws->jac_valid && (ws->jac_t == t || (ws->jac_keep && !reject));
  if (!reuse_jac) {
    odeon_jac(cx, t, y, ws->jac, ws->dfdt);
    ws->jac_valid = 1;
    ws->jac_t = t;
    ws->lu_valid = 0;
  }
  ws->t_cur = t;
  const odeon_real hh = (odeon_real)h;
  const odeon_real fac1 = ODEON_R(ODEON_RADAU_U1) / hh;
  const odeon_real alphn = ODEON_R(ODEON_RADAU_ALPHA) / hh;
  const odeon_real betan = ODEON_R(ODEON_RADAU_BETA) / hh;
  /* the same matrix and step: the factorisations still hold (refactoring
   * would give the same bits) */
  if (!(ws->lu_valid && ws->h_lu == h)) {
    ws->lu_valid = 0;
    cx->cnt[ODEON_CNT_LU] += 2;
    const unsigned st = odeon_radau_factor_h(ws, h);
    if (st)
      return st;
    ws->lu_valid = 1;
    ws->h_lu = h;
  }
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i)
    scal[i] = atol + rtol * odeon_fabs(y[i]);

  /* starting values: zero for the first step, else the last collocation
   * polynomial extrapolated to the new nodes */
  if (first) {
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i)
      ws->z1[i] = ws->z2[i] = ws->z3[i] = f1[i] = f2[i] = f3[i] = ODEON_R(0.0);
  } else {
    const odeon_real c3q = (odeon_real)(h / ws->h_old);
    const odeon_real c1q = C1 * c3q, c2q = C2 * c3q;
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i) {
      const odeon_real ak1 = ws->cont[0][i], ak2 = ws->cont[1][i],
                       ak3 = ws->cont[2][i];
      const odeon_real z1i =
          c1q * (ak1 + (c1q - C2M1) * (ak2 + (c1q - C1M1) * ak3));
      const odeon_real z2i =
          c2q * (ak1 + (c2q - C2M1) * (ak2 + (c2q - C1M1) * ak3));
      const odeon_real z3i =
          c3q * (ak1 + (c3q - C2M1) * (ak2 + (c3q - C1M1) * ak3));
      ws->z1[i] = z1i;
      ws->z2[i] = z2i;
      ws->z3[i] = z3i;
      f1[i] = (odeon_real)odeon_radau_TI[0][0] * z1i +
              (odeon_real)odeon_radau_TI[0][1] * z2i +
              (odeon_real)odeon_radau_TI[0][2] * z3i;
      f2[i] = (odeon_real)odeon_radau_TI[1][0] * z1i +
              (odeon_real)odeon_radau_TI[1][1] * z2i +
              (odeon_real)odeon_radau_TI[1][2] * z3i;
      f3[i] = (odeon_real)odeon_radau_TI[2][0] * z1i +
              (odeon_real)odeon_radau_TI[2][1] * z2i +
              (odeon_real)odeon_radau_TI[2][2] * z3i;
    }
  }

  /* simplified Newton iteration (radau5's loop 40) */
  const int nit = odeon_newton_max_iters(cx->a, ODEON_RADAU_NEWTON_ITERS);
  const double fn_default = fmax(10.0 * (double)ODEON_EPS / (double)rtol,
                                 fmin(0.03, sqrt((double)rtol)));
  const odeon_real fnewt = odeon_newton_kappa(cx->a, fn_default, rtol);
  odeon_real faccon =
      odeon_pow(odeon_fmax(ws->faccon, ODEON_EPS), ODEON_R(0.8));
  odeon_real theta = ODEON_R(0.0), thqold = ODEON_R(0.0), dynold = ODEON_R(1.0);
  int newt = 0;
  for (;;) {
    if (newt >= nit)
      return ODEON_RUN_NEWTON_BIT;
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i)
      tmp[i] = y[i] + ws->z1[i];
    odeon_rhs(cx, t + ODEON_RADAU_C1 * h, tmp, a1);
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i)
      tmp[i] = y[i] + ws->z2[i];
    odeon_rhs(cx, t + ODEON_RADAU_C2 * h, tmp, a2);
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i)
      tmp[i] = y[i] + ws->z3[i];
    odeon_rhs(cx, t + h, tmp, a3);
    /* transform the f values and form the right-hand sides (SLVRAD) */
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i) {
      const odeon_real g1 = (odeon_real)odeon_radau_TI[0][0] * a1[i] +
                            (odeon_real)odeon_radau_TI[0][1] * a2[i] +
                            (odeon_real)odeon_radau_TI[0][2] * a3[i];
      const odeon_real g2 = (odeon_real)odeon_radau_TI[1][0] * a1[i] +
                            (odeon_real)odeon_radau_TI[1][1] * a2[i] +
                            (odeon_real)odeon_radau_TI[1][2] * a3[i];
      const odeon_real g3 = (odeon_real)odeon_radau_TI[2][0] * a1[i] +
                            (odeon_real)odeon_radau_TI[2][1] * a2[i] +
                            (odeon_real)odeon_radau_TI[2][2] * a3[i];
      a1[i] = g1 - f1[i] * fac1;
      a2[i] = g2 - f2[i] * alphn + f3[i] * betan;
      a3[i] = g3 - f3[i] * alphn - f2[i] * betan;
    }
    odeon_lu_solve(ODEON_N, ws->e1, ws->p1, a1);
    odeon_lu_solve_complex(ODEON_N, ws->e2r, ws->e2i, ws->p2, a2, a3);
    newt++;
    cx->cnt[ODEON_CNT_NEWTON]++;
    odeon_real s = ODEON_R(0.0);
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i) {
      const odeon_real d1 = a1[i] / scal[i], d2 = a2[i] / scal[i],
                       d3 = a3[i] / scal[i];
      s += d1 * d1 + d2 * d2 + d3 * d3;
    }
    const odeon_real dyno = odeon_sqrt(s / ODEON_R(3 * ODEON_N));
    if (!odeon_lu_finite(dyno))
      return ODEON_RUN_NEWTON_BIT;
    if (newt > 1 && newt < nit) {
      const odeon_real thq = dyno / dynold;
      theta = (newt == 2) ? thq : odeon_sqrt(thq * thqold);
      thqold = thq;
      if (theta < ODEON_R(0.99)) {
        faccon = theta / (ODEON_R(1.0) - theta);
        const odeon_real dyth = faccon * dyno *
                                odeon_pow(theta, (odeon_real)(nit - 1 - newt)) /
                                fnewt;
        if (dyth >= ODEON_R(1.0))
          return ODEON_RUN_NEWTON_BIT; /* would not converge in time */
      } else {
        return ODEON_RUN_NEWTON_BIT; /* diverging */
      }
    }
    dynold = odeon_fmax(dyno, ODEON_EPS);
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i) {
      f1[i] += a1[i];
      f2[i] += a2[i];
      f3[i] += a3[i];
      ws->z1[i] = (odeon_real)odeon_radau_T[0][0] * f1[i] +
                  (odeon_real)odeon_radau_T[0][1] * f2[i] +
                  (odeon_real)odeon_radau_T[0][2] * f3[i];
      ws->z2[i] = (odeon_real)odeon_radau_T[1][0] * f1[i] +
                  (odeon_real)odeon_radau_T[1][1] * f2[i] +
                  (odeon_real)odeon_radau_T[1][2] * f3[i];
      ws->z3[i] = (odeon_real)odeon_radau_T[2][0] * f1[i] + f2[i];
    }
    if (faccon * dyno <= fnewt)
      break;
  }
  ws->faccon = faccon;
  ws->newt = newt;
  ws->theta = theta;

  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i)
    y_new[i] = y[i] + ws->z3[i];
  if (!cx->adaptive)
    return 0u;

  /* error estimate (ESTRAD) */
  const odeon_real hee1 = ODEON_R(ODEON_RADAU_DD1) / hh;
  const odeon_real hee2 = ODEON_R(ODEON_RADAU_DD2) / hh;
  const odeon_real hee3 = ODEON_R(ODEON_RADAU_DD3) / hh;
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i) {
    f2[i] = hee1 * ws->z1[i] + hee2 * ws->z2[i] + hee3 * ws->z3[i];
    tmp[i] = f2[i] + ws->f0[i];
  }
  odeon_lu_solve(ODEON_N, ws->e1, ws->p1, tmp);
  odeon_real err = odeon_radau_err_norm(tmp, y, y_new, atol, rtol);
  if (err >= ODEON_R(1.0) && (first || reject)) {
    /* after a rejection the stiff components of the estimate can be
     * spurious: estimate again from f at the corrected point */
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i)
      tmp[i] += y[i];
    odeon_rhs(cx, t, tmp, f1);
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i)
      tmp[i] = f1[i] + f2[i];
    odeon_lu_solve(ODEON_N, ws->e1, ws->p1, tmp);
    err = odeon_radau_err_norm(tmp, y, y_new, atol, rtol);
  }
  *eest = odeon_fmax(err, ODEON_R(1e-10));
  return 0u;
}

ODEON_HD static inline void odeon_radau_accept(odeon_radau_ws *ws,
                                               odeon_ctx *cx, double t_new,
                                               const odeon_real *y_new) {
  const odeon_real C1 = ODEON_R(ODEON_RADAU_C1), C2 = ODEON_R(ODEON_RADAU_C2);
  const odeon_real C1M1 = C1 - ODEON_R(1.0), C2M1 = C2 - ODEON_R(1.0);
  const odeon_real C1MC2 = C1 - C2;
  /* the collocation polynomial of this step, for the next starting values */
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i) {
    const odeon_real z1i = ws->z1[i], z2i = ws->z2[i], z3i = ws->z3[i];
    const odeon_real c0 = (z2i - z3i) / C2M1;
    const odeon_real ak = (z1i - z2i) / C1MC2;
    const odeon_real acont3 = (ak - z1i / C1) / C2;
    const odeon_real c1 = (ak - c0) / C1M1;
    ws->cont[0][i] = c0;
    ws->cont[1][i] = c1;
    ws->cont[2][i] = c1 - acont3;
  }
  ws->h_old = t_new - ws->t_cur;
  ws->jac_keep = ws->theta <= ODEON_R(0.001);
  ws->pending = 0;
  odeon_rhs(cx, t_new, y_new, ws->f0);
}

/* Carry: f0, cont (3 rows), h_old, faccon, and the reused Jacobian with
 * its bookkeeping (jac, jac_t, h_lu, flags), so that a solve split into
 * time windows repeats the reuse decisions of one launch. The
 * factorisations are not carried: load refactors the same matrix for the
 * same step (same bits, not counted again). */
#define ODEON_RADAU_CARRY_LEN (4 * ODEON_N + ODEON_N * ODEON_N + 5)

ODEON_HD static inline void odeon_radau_save(const odeon_radau_ws *ws,
                                             double *carry, long long stride) {
  for (int i = 0; i < ODEON_N; ++i) {
    carry[i * stride] = (double)ws->f0[i];
    for (int k = 0; k < 3; ++k)
      carry[((k + 1) * ODEON_N + i) * stride] = (double)ws->cont[k][i];
  }
  for (int i = 0; i < ODEON_N * ODEON_N; ++i)
    carry[(4 * ODEON_N + i) * stride] = (double)ws->jac[i];
  const long long o = 4 * ODEON_N + ODEON_N * ODEON_N;
  carry[o * stride] = ws->h_old;
  carry[(o + 1) * stride] = (double)ws->faccon;
  carry[(o + 2) * stride] = ws->jac_t;
  carry[(o + 3) * stride] = ws->h_lu;
  carry[(o + 4) * stride] =
      (double)(ws->jac_valid + 2 * ws->jac_keep + 4 * ws->lu_valid);
}

ODEON_HD static inline void
odeon_radau_load(odeon_radau_ws *ws, const double *carry, long long stride) {
  for (int i = 0; i < ODEON_N; ++i) {
    ws->f0[i] = (odeon_real)carry[i * stride];
    for (int k = 0; k < 3; ++k)
      ws->cont[k][i] = (odeon_real)carry[((k + 1) * ODEON_N + i) * stride];
  }
  for (int i = 0; i < ODEON_N * ODEON_N; ++i)
    ws->jac[i] = (odeon_real)carry[(4 * ODEON_N + i) * stride];
  const long long o = 4 * ODEON_N + ODEON_N * ODEON_N;
  ws->h_old = carry[o * stride];
  ws->faccon = (odeon_real)carry[(o + 1) * stride];
  ws->jac_t = carry[(o + 2) * stride];
  ws->h_lu = carry[(o + 3) * stride];
  const int flags = (int)carry[(o + 4) * stride];
  ws->jac_valid = flags & 1;
  ws->jac_keep = (flags >> 1) & 1;
  ws->lu_valid = (flags >> 2) & 1;
  if (ws->lu_valid && odeon_radau_factor_h(ws, ws->h_lu))
    ws->lu_valid = 0;
  ws->pending = 0;
  ws->newt = 0;
  ws->theta = ODEON_R(1.0);
}

/* The state at t_old + theta*h inside the last accepted step: the step's
 * collocation polynomial (radau5's CONTR5), with s = theta - 1 measured
 * from the new point. */
ODEON_HD static inline void odeon_radau_dense(const odeon_radau_ws *ws,
                                              double theta,
                                              const odeon_real *y_new,
                                              odeon_real *out) {
  const odeon_real C1M1 = ODEON_R(ODEON_RADAU_C1) - ODEON_R(1.0);
  const odeon_real C2M1 = ODEON_R(ODEON_RADAU_C2) - ODEON_R(1.0);
  const odeon_real s = (odeon_real)(theta - 1.0);
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i)
    out[i] = y_new[i] +
             s * (ws->cont[0][i] +
                  (s - C2M1) * (ws->cont[1][i] + (s - C1M1) * ws->cont[2][i]));
}

/* radau5's safety factor for the next step, relative to the user's:
 * fac = min(safety, (1 + 2 nit) safety / (newt + 2 nit)), so a step whose
 * Newton iteration was slow grows less (OrdinaryDiffEq's
 * PredictiveController does the same). */
ODEON_HD static inline double
odeon_radau_safety_scale(const odeon_radau_ws *ws, const odeon_kernel_args *a) {
  const int nit = odeon_newton_max_iters(a, ODEON_RADAU_NEWTON_ITERS);
  const double r = (1.0 + 2.0 * nit) / ((double)ws->newt + 2.0 * nit);
  return r < 1.0 ? r : 1.0;
}

/* ---- the family contract (family.h) */
#if defined(ODEON_METHOD_ID) || defined(ODEON_METHOD_VARIANT)
#define ODEON_METHOD_ORDER 5
#define ODEON_METHOD_ERR_ORDER 3 /* radau5's error ~ h^4: ERR^(1/4) */
#define ODEON_METHOD_ADAPTIVE 1
#define ODEON_METHOD_DENSE 1
#define ODEON_STEP_CARRY_LEN ODEON_RADAU_CARRY_LEN
/* the loop's hook for Gustafsson's controller (controller.h) */
#define ODEON_STEP_SAFETY_SCALE(ws, a) odeon_radau_safety_scale((ws), (a))

typedef odeon_radau_ws odeon_step_ws;

ODEON_HD static inline void odeon_step_start(odeon_step_ws *ws, odeon_ctx *cx,
                                             double t, const odeon_real *y) {
  odeon_radau_start(ws, cx, t, y);
}
ODEON_HD static inline unsigned
odeon_step_try(odeon_step_ws *ws, odeon_ctx *cx, double t, double h,
               const odeon_real *y, odeon_real *y_new, odeon_real *eest) {
  return odeon_radau_try(ws, cx, t, h, y, y_new, eest);
}
ODEON_HD static inline void odeon_step_accept(odeon_step_ws *ws, odeon_ctx *cx,
                                              double t_new,
                                              const odeon_real *y_new) {
  odeon_radau_accept(ws, cx, t_new, y_new);
}
ODEON_HD static inline void odeon_step_dense(const odeon_step_ws *ws,
                                             double theta, double h,
                                             const odeon_real *y_old,
                                             const odeon_real *y_new,
                                             odeon_real *out) {
  (void)h;
  (void)y_old;
  odeon_radau_dense(ws, theta, y_new, out);
}
ODEON_HD static inline void odeon_step_save(const odeon_step_ws *ws,
                                            double *carry, long long stride) {
  odeon_radau_save(ws, carry, stride);
}
ODEON_HD static inline void
odeon_step_load(odeon_step_ws *ws, const double *carry, long long stride) {
  odeon_radau_load(ws, carry, stride);
}
#endif

#endif
