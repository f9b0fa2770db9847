/* sdirk_step.h - the diagonally implicit Runge-Kutta family (family 3 of
 * family.h): one step of a DIRK/SDIRK/ESDIRK method from sdirk_tables.h,
 * with simplified Newton iterations on the exact Jacobian, and the family
 * contract functions the per-run loop calls.
 *
 * Stages are solved for z_i = h f(t + c_i h, Y_i), with
 *   Y_i = y + sum_{j<i} a_ij z_j + gamma z_i,
 * by Newton on G(z) = z - h f(Y(z)) with the matrix M = I - h gamma J,
 * J = df/dy at (t, y). All stages share gamma, so M is factored once per
 * attempt; a retry after a rejection reuses J (it is still at (t, y)).
 * Convergence follows Hairer & Wanner (IV.8): with theta the contraction
 * rate, the iteration stops when theta/(1-theta)*|dz| <= kappa and fails
 * when theta >= 1 or after the iteration cap; a failure makes the loop
 * halve h.
 *
 * The internal functions take the tableau as an argument, so tests can run
 * every method from one translation unit; a kernel selects its method at
 * compile time with ODEON_METHOD_VARIANT (enum odeon_dirk_variant) and the
 * constant index folds the table into immediates. */
#ifndef ODEON_CORE_SDIRK_STEP_H
#define ODEON_CORE_SDIRK_STEP_H

#include "implicit_common.h"
#include "sdirk_tables.h"

#define ODEON_DIRK_NEWTON_ITERS 7
#define ODEON_DIRK_NEWTON_TOL 0.03

typedef struct odeon_dirk_ws {
  odeon_real f0[ODEON_N];     /* f(t, y) at the run's current state */
  odeon_real f_prev[ODEON_N]; /* f at the start of the last accepted step */
  odeon_real jac[ODEON_N * ODEON_N];
  odeon_real dfdt[ODEON_N];
  odeon_real lu[ODEON_N * ODEON_N];
  int piv[ODEON_N];
  odeon_real z[ODEON_DIRK_MAX_STAGES][ODEON_N];
  /* the state the last attempt started from, and the two accepted states
   * before it (the divided-difference error estimates need them) */
  odeon_real y_cur[ODEON_N], y_prev[ODEON_N], y_prev2[ODEON_N];
  double t_cur, t_prev, t_prev2;
  long long n_accepted;
  int jac_valid; /* jac is at (t_cur, y_cur) */
} odeon_dirk_ws;

ODEON_HD static inline void odeon_dirk_start(odeon_dirk_ws *ws, odeon_ctx *cx,
                                             double t, const odeon_real *y) {
  odeon_rhs(cx, t, y, ws->f0);
  odeon_implicit_copy(ws->f_prev, ws->f0);
  odeon_implicit_copy(ws->y_cur, y);
  odeon_implicit_copy(ws->y_prev, y);
  odeon_implicit_copy(ws->y_prev2, y);
  ws->t_cur = ws->t_prev = ws->t_prev2 = t;
  ws->n_accepted = 0;
  ws->jac_valid = 0;
}

/* Solve stage s for ws->z[s] given the earlier stages. Returns 0 or
 * ODEON_RUN_NEWTON_BIT. */
ODEON_HD static inline unsigned
odeon_dirk_stage(const odeon_dirk_tableau *tb, odeon_dirk_ws *ws, odeon_ctx *cx,
                 double t, double h, const odeon_real *y,
                 const odeon_real *scale, int s, int maxit, odeon_real kappa) {
  const odeon_real hh = (odeon_real)h;
  const odeon_real g = (odeon_real)tb->gamma;
  odeon_real base[ODEON_N], yy[ODEON_N], r[ODEON_N];
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i) {
    odeon_real v = y[i];
    ODEON_UNROLL
    for (int j = 0; j < ODEON_DIRK_MAX_STAGES; ++j)
      if (j < s)
        v += (odeon_real)tb->a[s][j] * ws->z[j][i];
    base[i] = v;
    /* initial guess: the previous stage, or h f(t, y) for the first */
    ws->z[s][i] = (s == 0) ? hh * ws->f0[i] : ws->z[s > 0 ? s - 1 : 0][i];
  }
  const double ts = t + tb->c[s] * h;
  odeon_real ndz_old = ODEON_R(1.0);
  for (int k = 0; k < maxit; ++k) {
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i)
      yy[i] = base[i] + g * ws->z[s][i];
    odeon_rhs(cx, ts, yy, r);
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i)
      r[i] = hh * r[i] - ws->z[s][i];
    odeon_lu_solve(ODEON_N, ws->lu, ws->piv, r);
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i)
      ws->z[s][i] += r[i];
    cx->cnt[ODEON_CNT_NEWTON]++;
    const odeon_real ndz = odeon_implicit_norm(r, scale);
    if (!odeon_lu_finite(ndz))
      return ODEON_RUN_NEWTON_BIT;
    if (k == 0) {
      /* No rate is known yet: accept only a negligible first correction. */
      if (ndz <= ODEON_R(0.1) * kappa)
        return 0u;
    } else {
      const odeon_real theta = ndz / ndz_old;
      if (!(theta < ODEON_R(1.0)))
        return ODEON_RUN_NEWTON_BIT; /* diverging */
      if (theta / (ODEON_R(1.0) - theta) * ndz <= kappa)
        return 0u;
    }
    if (ndz == ODEON_R(0.0))
      return 0u;
    ndz_old = ndz;
  }
  return ODEON_RUN_NEWTON_BIT;
}

/* Divided-difference error estimates of OrdinaryDiffEq's ImplicitEuler
 * (dd = 2) and Trapezoid (dd = 3), after SPICE and Shampine: the local
 * error is bounded through divided differences of accepted states. The
 * first steps, which lack the history, report an error of exactly 1
 * (accepted, as OrdinaryDiffEq does). */
ODEON_HD static inline odeon_real
odeon_dirk_dd_error(const odeon_dirk_ws *ws, const odeon_ctx *cx, int dd,
                    double t, double h, const odeon_real *y,
                    const odeon_real *y_new) {
  odeon_real err[ODEON_N];
  const double c = 7.0 / 12.0; /* SPICE's correction: DD overestimates */
  if (dd == 2) {
    if (ws->n_accepted < 1)
      return ODEON_R(1.0);
    const double dt1 = h * (t + h - ws->t_prev);
    const double dt2 = (t - ws->t_prev) * (t + h - ws->t_prev);
    const odeon_real r = (odeon_real)(c * h * h);
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i)
      err[i] = r * odeon_fabs((y_new[i] - y[i]) / (odeon_real)dt1 -
                              (y[i] - ws->y_prev[i]) / (odeon_real)dt2);
  } else {
    if (ws->n_accepted < 2)
      return ODEON_R(1.0);
    const double tp = ws->t_prev, tp2 = ws->t_prev2;
    const odeon_real dt1 = (odeon_real)(h * (t + h - tp));
    const odeon_real dt2 = (odeon_real)((t - tp) * (t + h - tp));
    const odeon_real dt3 = (odeon_real)((t - tp) * (t - tp2));
    const odeon_real dt4 = (odeon_real)((tp - tp2) * (t - tp2));
    const odeon_real dt5 = (odeon_real)(t + h - tp2);
    const odeon_real r = (odeon_real)(c * h * h * h / 2.0);
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i) {
      const odeon_real dd31 =
          (y_new[i] - y[i]) / dt1 - (y[i] - ws->y_prev[i]) / dt2;
      const odeon_real dd30 =
          (y[i] - ws->y_prev[i]) / dt3 - (ws->y_prev[i] - ws->y_prev2[i]) / dt4;
      err[i] = r * odeon_fabs((dd31 - dd30) / dt5);
    }
  }
  return odeon_err_norm(cx, err, y, y_new);
}

/* One attempt of size h from (t, y): see family.h, odeon_step_try. */
ODEON_HD static inline unsigned
odeon_dirk_try(const odeon_dirk_tableau *tb, odeon_dirk_ws *ws, odeon_ctx *cx,
               double t, double h, const odeon_real *y, odeon_real *y_new,
               odeon_real *eest) {
  const int S = tb->stages;
  const odeon_real hh = (odeon_real)h;
  odeon_real scale[ODEON_N];
  *eest = ODEON_R(0.0);
  if (!ws->jac_valid || ws->t_cur != t) {
    odeon_jac(cx, t, y, ws->jac, ws->dfdt);
    ws->jac_valid = 1;
  }
  ws->t_cur = t;
  odeon_implicit_copy(ws->y_cur, y);
  unsigned st = odeon_implicit_factor(cx, ws->jac, hh * (odeon_real)tb->gamma,
                                      ws->lu, ws->piv);
  if (st)
    return st;
  odeon_implicit_scale(cx->atol, cx->rtol, y, scale);
  const int maxit = odeon_newton_max_iters(cx->a, ODEON_DIRK_NEWTON_ITERS);
  const odeon_real kappa =
      odeon_newton_kappa(cx->a, ODEON_DIRK_NEWTON_TOL, cx->rtol);
  ODEON_UNROLL
  for (int s = 0; s < ODEON_DIRK_MAX_STAGES; ++s) {
    if (s >= S)
      break;
    if (s == 0 && tb->explicit_first) {
      ODEON_UNROLL
      for (int i = 0; i < ODEON_N; ++i)
        ws->z[0][i] = hh * ws->f0[i];
      continue;
    }
    st = odeon_dirk_stage(tb, ws, cx, t, h, y, scale, s, maxit, kappa);
    if (st)
      return st;
  }
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i) {
    odeon_real v = y[i];
    ODEON_UNROLL
    for (int j = 0; j < ODEON_DIRK_MAX_STAGES; ++j)
      if (j < S)
        v += (odeon_real)tb->b[j] * ws->z[j][i];
    y_new[i] = v;
  }
  if (!cx->adaptive) {
    /* fixed steps: no estimate wanted */
  } else if (tb->error_kind == ODEON_DIRK_ERR_EMBEDDED) {
    odeon_real err[ODEON_N];
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i) {
      odeon_real v = ODEON_R(0.0);
      ODEON_UNROLL
      for (int j = 0; j < ODEON_DIRK_MAX_STAGES; ++j)
        if (j < S)
          v += (odeon_real)tb->btilde[j] * ws->z[j][i];
      err[i] = v;
    }
    /* Shampine's smoothing: (I - h gamma J)^-1 damps the stiff components
     * that the raw difference overstates. */
    odeon_lu_solve(ODEON_N, ws->lu, ws->piv, err);
    *eest = odeon_err_norm(cx, err, y, y_new);
  } else if (tb->error_kind == ODEON_DIRK_ERR_DD2) {
    *eest = odeon_dirk_dd_error(ws, cx, 2, t, h, y, y_new);
  } else if (tb->error_kind == ODEON_DIRK_ERR_DD3) {
    *eest = odeon_dirk_dd_error(ws, cx, 3, t, h, y, y_new);
  }
  return 0u;
}

ODEON_HD static inline void odeon_dirk_accept(odeon_dirk_ws *ws, odeon_ctx *cx,
                                              double t_new,
                                              const odeon_real *y_new) {
  odeon_implicit_copy(ws->y_prev2, ws->y_prev);
  odeon_implicit_copy(ws->y_prev, ws->y_cur);
  ws->t_prev2 = ws->t_prev;
  ws->t_prev = ws->t_cur;
  ws->n_accepted++;
  ws->jac_valid = 0;
  odeon_implicit_copy(ws->f_prev, ws->f0);
  odeon_rhs(cx, t_new, y_new, ws->f0);
}

/* The state at t_old + theta*h inside the last accepted step: the cubic
 * Hermite interpolant on (y_old, f_old) and (y_new, f_new), OrdinaryDiffEq's
 * interpolant for its SDIRK methods. */
ODEON_HD static inline void odeon_dirk_dense(const odeon_dirk_ws *ws,
                                             double theta, double h,
                                             const odeon_real *y_old,
                                             const odeon_real *y_new,
                                             odeon_real *out) {
  const odeon_real th = (odeon_real)theta, hh = (odeon_real)h;
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i) {
    const odeon_real d = y_new[i] - y_old[i];
    out[i] =
        (ODEON_R(1.0) - th) * y_old[i] + th * y_new[i] +
        th * (th - ODEON_R(1.0)) *
            ((ODEON_R(1.0) - ODEON_R(2.0) * th) * d +
             (th - ODEON_R(1.0)) * hh * ws->f_prev[i] + th * hh * ws->f0[i]);
  }
}

/* Carry: f0, y_prev, y_prev2, f_prev, t_prev, t_prev2, n_accepted. */
#define ODEON_DIRK_CARRY_LEN (4 * ODEON_N + 3)

ODEON_HD static inline void odeon_dirk_save(const odeon_dirk_ws *ws,
                                            double *carry, long long stride) {
  for (int i = 0; i < ODEON_N; ++i) {
    carry[i * stride] = (double)ws->f0[i];
    carry[(ODEON_N + i) * stride] = (double)ws->y_prev[i];
    carry[(2 * ODEON_N + i) * stride] = (double)ws->y_prev2[i];
    carry[(3 * ODEON_N + i) * stride] = (double)ws->f_prev[i];
  }
  carry[(4 * ODEON_N) * stride] = ws->t_prev;
  carry[(4 * ODEON_N + 1) * stride] = ws->t_prev2;
  carry[(4 * ODEON_N + 2) * stride] = (double)ws->n_accepted;
}

ODEON_HD static inline void
odeon_dirk_load(odeon_dirk_ws *ws, const double *carry, long long stride) {
  for (int i = 0; i < ODEON_N; ++i) {
    ws->f0[i] = (odeon_real)carry[i * stride];
    ws->y_prev[i] = (odeon_real)carry[(ODEON_N + i) * stride];
    ws->y_prev2[i] = (odeon_real)carry[(2 * ODEON_N + i) * stride];
    ws->f_prev[i] = (odeon_real)carry[(3 * ODEON_N + i) * stride];
  }
  ws->t_prev = carry[(4 * ODEON_N) * stride];
  ws->t_prev2 = carry[(4 * ODEON_N + 1) * stride];
  ws->n_accepted = (long long)carry[(4 * ODEON_N + 2) * stride];
  ws->t_cur = ws->t_prev;
  ws->jac_valid = 0;
}

/* ---- the family contract (family.h), for a kernel that names a method */
#if !defined(ODEON_METHOD_VARIANT) && defined(ODEON_METHOD_ID)
#define ODEON_METHOD_VARIANT (ODEON_METHOD_ID - ODEON_DIRK_ID_BASE)
#endif
#ifdef ODEON_METHOD_VARIANT

#if ODEON_METHOD_VARIANT == ODEON_DIRK_BACKWARD_EULER
#define ODEON_METHOD_ORDER 1
#define ODEON_METHOD_ERR_ORDER 1
#define ODEON_METHOD_ADAPTIVE 1
#elif ODEON_METHOD_VARIANT == ODEON_DIRK_IMPLICIT_MIDPOINT
#define ODEON_METHOD_ORDER 2
#define ODEON_METHOD_ERR_ORDER 1
#define ODEON_METHOD_ADAPTIVE 0
#elif ODEON_METHOD_VARIANT == ODEON_DIRK_TRAPEZOID ||                          \
    ODEON_METHOD_VARIANT == ODEON_DIRK_SDIRK_2_2
#define ODEON_METHOD_ORDER 2
#define ODEON_METHOD_ERR_ORDER 1
#define ODEON_METHOD_ADAPTIVE 1
#elif ODEON_METHOD_VARIANT == ODEON_DIRK_SDIRK4_HW
#define ODEON_METHOD_ORDER 4
#define ODEON_METHOD_ERR_ORDER 3
#define ODEON_METHOD_ADAPTIVE 1
#elif ODEON_METHOD_VARIANT == ODEON_DIRK_KVAERNO3
#define ODEON_METHOD_ORDER 3
#define ODEON_METHOD_ERR_ORDER 2
#define ODEON_METHOD_ADAPTIVE 1
#elif ODEON_METHOD_VARIANT == ODEON_DIRK_KVAERNO5
#define ODEON_METHOD_ORDER 5
#define ODEON_METHOD_ERR_ORDER 4
#define ODEON_METHOD_ADAPTIVE 1
#else
#error "sdirk_step.h: unknown ODEON_METHOD_VARIANT"
#endif
#define ODEON_METHOD_DENSE 1
#define ODEON_STEP_CARRY_LEN ODEON_DIRK_CARRY_LEN

typedef odeon_dirk_ws odeon_step_ws;
#define ODEON_DIRK_TAB (&odeon_dirk_tableaus[ODEON_METHOD_VARIANT])

ODEON_HD static inline void odeon_step_start(odeon_step_ws *ws, odeon_ctx *cx,
                                             double t, const odeon_real *y) {
  odeon_dirk_start(ws, cx, t, y);
}
ODEON_HD static inline unsigned
odeon_step_try(odeon_step_ws *ws, odeon_ctx *cx, double t, double h,
               const odeon_real *y, odeon_real *y_new, odeon_real *eest) {
  return odeon_dirk_try(ODEON_DIRK_TAB, ws, cx, t, h, y, y_new, eest);
}
ODEON_HD static inline void odeon_step_accept(odeon_step_ws *ws, odeon_ctx *cx,
                                              double t_new,
                                              const odeon_real *y_new) {
  odeon_dirk_accept(ws, cx, t_new, y_new);
}
ODEON_HD static inline void odeon_step_dense(const odeon_step_ws *ws,
                                             double theta, double h,
                                             const odeon_real *y_old,
                                             const odeon_real *y_new,
                                             odeon_real *out) {
  odeon_dirk_dense(ws, theta, h, y_old, y_new, out);
}
ODEON_HD static inline void odeon_step_save(const odeon_step_ws *ws,
                                            double *carry, long long stride) {
  odeon_dirk_save(ws, carry, stride);
}
ODEON_HD static inline void
odeon_step_load(odeon_step_ws *ws, const double *carry, long long stride) {
  odeon_dirk_load(ws, carry, stride);
}
#endif /* ODEON_METHOD_VARIANT */

#endif
