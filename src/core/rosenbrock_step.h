/* rosenbrock_step.h - the Rosenbrock family (family 2 of family.h): one
 * step of a linearly implicit method from rosenbrock_tables.h with the
 * exact Jacobian and df/dt, and the family contract functions the per-run
 * loop calls.
 *
 * No Newton iteration: every stage is one linear solve with the same
 * matrix I - h gamma J (factored once per attempt; a retry after a
 * rejection reuses J and df/dt, which are still at (t, y)). With
 * W = I/(h gamma) - J the transformed stages are
 *   W k_i = f(t + c_i h, u_i) + h d_i df/dt + sum_{j<i} (C_ij/h) k_j,
 * solved as (I - h gamma J) k_i = h gamma * (right-hand side).
 *
 * The internal functions take the tableau as an argument, so tests can run
 * every method from one translation unit; a kernel selects its method at
 * compile time with ODEON_METHOD_VARIANT (enum odeon_ros_variant). */
#ifndef ODEON_CORE_ROSENBROCK_STEP_H
#define ODEON_CORE_ROSENBROCK_STEP_H

#include "implicit_common.h"
#include "rosenbrock_tables.h"

typedef struct odeon_ros_ws {
  odeon_real f0[ODEON_N];   /* f(t, y) at the run's current state */
  odeon_real fnew[ODEON_N]; /* f(t + h, y_new) when the attempt made it */
  odeon_real jac[ODEON_N * ODEON_N];
  odeon_real dfdt[ODEON_N];
  odeon_real lu[ODEON_N * ODEON_N];
  int piv[ODEON_N];
  odeon_real k[ODEON_ROS_MAX_STAGES][ODEON_N];
  /* dense output of the last accepted step: f at its start, and the
   * continuous-extension vectors (see odeon_ros_dense) */
  odeon_real f_prev[ODEON_N];
  odeon_real dk[3][ODEON_N];
  double t_cur;
  int jac_valid;  /* jac, dfdt are at (t_cur, y) */
  int fnew_valid; /* fnew belongs to the last attempt */
} odeon_ros_ws;

ODEON_HD static inline void odeon_ros_start(odeon_ros_ws *ws, odeon_ctx *cx,
                                            double t, const odeon_real *y) {
  odeon_rhs(cx, t, y, ws->f0);
  odeon_implicit_copy(ws->f_prev, ws->f0);
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i)
    ws->dk[0][i] = ws->dk[1][i] = ws->dk[2][i] = ODEON_R(0.0);
  ws->t_cur = t;
  ws->jac_valid = 0;
  ws->fnew_valid = 0;
}

/* Shampine & Reichelt's ode23s step (OrdinaryDiffEq Rosenbrock23), with
 * W = I - h d J:
 *   k1 = W^-1 (f0 + h d T),  f1 = f(t + h/2, y + h/2 k1),
 *   k2 = W^-1 (f1 - k1) + k1,  y_new = y + h k2,
 *   k3 = W^-1 (f(t+h, y_new) - e32 (k2 - f1) - 2 (k1 - f0) + h d T),
 *   error = h/6 (k1 - 2 k2 + k3). */
ODEON_HD static inline void
odeon_ros23_stages(odeon_ros_ws *ws, odeon_ctx *cx, double t, double h,
                   const odeon_real *y, odeon_real *y_new, odeon_real *err) {
  const odeon_real hh = (odeon_real)h;
  const odeon_real hd = hh * ODEON_R(ODEON_ROS23_D);
  odeon_real *k1 = ws->k[0], *k2 = ws->k[1], *k3 = ws->k[2];
  odeon_real u[ODEON_N], f1[ODEON_N];
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i)
    k1[i] = ws->f0[i] + hd * ws->dfdt[i];
  odeon_lu_solve(ODEON_N, ws->lu, ws->piv, k1);
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i)
    u[i] = y[i] + ODEON_R(0.5) * hh * k1[i];
  odeon_rhs(cx, t + 0.5 * h, u, f1);
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i)
    k2[i] = f1[i] - k1[i];
  odeon_lu_solve(ODEON_N, ws->lu, ws->piv, k2);
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i) {
    k2[i] += k1[i];
    y_new[i] = y[i] + hh * k2[i];
  }
  odeon_rhs(cx, t + h, y_new, ws->fnew);
  ws->fnew_valid = 1;
  if (!cx->adaptive) /* fixed steps: the estimate is not wanted */
    return;
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i)
    k3[i] = ws->fnew[i] - ODEON_R(ODEON_ROS23_E32) * (k2[i] - f1[i]) -
            ODEON_R(2.0) * (k1[i] - ws->f0[i]) + hd * ws->dfdt[i];
  odeon_lu_solve(ODEON_N, ws->lu, ws->piv, k3);
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i)
    err[i] = hh / ODEON_R(6.0) * (k1[i] - ODEON_R(2.0) * k2[i] + k3[i]);
}

/* The generic transformed Rosenbrock step. */
ODEON_HD static inline void
odeon_ros_generic_stages(const odeon_ros_tableau *tb, odeon_ros_ws *ws,
                         odeon_ctx *cx, double t, double h, const odeon_real *y,
                         odeon_real *y_new, odeon_real *err) {
  const int S = tb->stages;
  const odeon_real hh = (odeon_real)h;
  const odeon_real hg = hh * (odeon_real)tb->gamma;
  odeon_real fu[ODEON_N], u[ODEON_N];
  /* stage 0's f (set before the loop, so that a compiler that cannot see
   * through a tableau read at run time knows fu is set before any use) */
  odeon_implicit_copy(fu, ws->f0);
  ODEON_UNROLL
  for (int s = 0; s < ODEON_ROS_MAX_STAGES; ++s) {
    if (s >= S)
      break;
    const int reuse = tb->reuse[s];
    if (s == 0) {
      /* fu = f0, above */
    } else if (reuse == ODEON_ROS_USE_F0) {
      odeon_implicit_copy(fu, ws->f0);
    } else if (reuse == ODEON_ROS_EVAL) {
      ODEON_UNROLL
      for (int i = 0; i < ODEON_N; ++i) {
        odeon_real v = y[i];
        ODEON_UNROLL
        for (int j = 0; j < ODEON_ROS_MAX_STAGES; ++j)
          if (j < s)
            v += (odeon_real)tb->a[s][j] * ws->k[j][i];
        u[i] = v;
      }
      odeon_rhs(cx, t + tb->c[s] * h, u, fu);
    } /* ODEON_ROS_USE_PREV: fu still holds the previous stage's f */
    const odeon_real hds = hh * (odeon_real)tb->d[s];
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i) {
      odeon_real v = fu[i] + hds * ws->dfdt[i];
      ODEON_UNROLL
      for (int j = 0; j < ODEON_ROS_MAX_STAGES; ++j)
        if (j < s)
          v += (odeon_real)tb->C[s][j] / hh * ws->k[j][i];
      ws->k[s][i] = hg * v;
    }
    odeon_lu_solve(ODEON_N, ws->lu, ws->piv, ws->k[s]);
  }
  ODEON_UNROLL
  for (int i = 0; i < ODEON_N; ++i) {
    odeon_real v = y[i], e = ODEON_R(0.0);
    ODEON_UNROLL
    for (int j = 0; j < ODEON_ROS_MAX_STAGES; ++j)
      if (j < S) {
        v += (odeon_real)tb->b[j] * ws->k[j][i];
        e += (odeon_real)tb->btilde[j] * ws->k[j][i];
      }
    y_new[i] = v;
    err[i] = e;
  }
  ws->fnew_valid = 0;
}

/* One attempt of size h from (t, y): see family.h, odeon_step_try. */
ODEON_HD static inline unsigned
odeon_ros_try(const odeon_ros_tableau *tb, odeon_ros_ws *ws, odeon_ctx *cx,
              double t, double h, const odeon_real *y, odeon_real *y_new,
              odeon_real *eest) {
  odeon_real err[ODEON_N];
  *eest = ODEON_R(0.0);
  if (!ws->jac_valid || ws->t_cur != t) {
    odeon_jac(cx, t, y, ws->jac, ws->dfdt);
    ws->jac_valid = 1;
    ws->t_cur = t;
  }
  const unsigned st = odeon_implicit_factor(
      cx, ws->jac, (odeon_real)h * (odeon_real)tb->gamma, ws->lu, ws->piv);
  if (st)
    return st;
  if (tb->kind == ODEON_ROS_ODE23S)
    odeon_ros23_stages(ws, cx, t, h, y, y_new, err);
  else
    odeon_ros_generic_stages(tb, ws, cx, t, h, y, y_new, err);
  if (cx->adaptive)
    *eest = odeon_err_norm(cx, err, y, y_new);
  return 0u;
}

ODEON_HD static inline void odeon_ros_accept(const odeon_ros_tableau *tb,
                                             odeon_ros_ws *ws, odeon_ctx *cx,
                                             double t_new,
                                             const odeon_real *y_new) {
  odeon_implicit_copy(ws->f_prev, ws->f0);
  if (ws->fnew_valid)
    odeon_implicit_copy(ws->f0, ws->fnew);
  else
    odeon_rhs(cx, t_new, y_new, ws->f0);
  ws->jac_valid = 0;
  ws->fnew_valid = 0;
  /* the continuous extension's vectors, from this step's stages */
  const int rows = tb->dense == ODEON_ROS_DENSE_RODAS    ? 2
                   : tb->dense == ODEON_ROS_DENSE_RODAS5 ? 3
                                                         : 0;
  if (tb->dense == ODEON_ROS_DENSE_ODE23S) {
    odeon_implicit_copy(ws->dk[0], ws->k[0]);
    odeon_implicit_copy(ws->dk[1], ws->k[1]);
  }
  ODEON_UNROLL
  for (int r = 0; r < 3; ++r) {
    if (r >= rows)
      break;
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i) {
      odeon_real v = ODEON_R(0.0);
      ODEON_UNROLL
      for (int j = 0; j < ODEON_ROS_MAX_STAGES; ++j)
        if (j < tb->stages)
          v += (odeon_real)tb->H[r][j] * ws->k[j][i];
      ws->dk[r][i] = v;
    }
  }
}

/* The state at t_old + theta*h inside the last accepted step (after
 * odeon_ros_accept): OrdinaryDiffEq's interpolants for the Rodas methods
 * and for Rosenbrock23, a cubic Hermite interpolant otherwise. */
ODEON_HD static inline void
odeon_ros_dense(const odeon_ros_tableau *tb, const odeon_ros_ws *ws,
                double theta, double h, const odeon_real *y_old,
                const odeon_real *y_new, odeon_real *out) {
  const odeon_real th = (odeon_real)theta, hh = (odeon_real)h;
  const odeon_real s1 = ODEON_R(1.0) - th;
  if (tb->dense == ODEON_ROS_DENSE_RODAS) {
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i)
      out[i] = s1 * y_old[i] +
               th * (y_new[i] + s1 * (ws->dk[0][i] + th * ws->dk[1][i]));
  } else if (tb->dense == ODEON_ROS_DENSE_RODAS5) {
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i)
      out[i] = s1 * y_old[i] +
               th * (y_new[i] + s1 * (ws->dk[0][i] +
                                      th * (ws->dk[1][i] + th * ws->dk[2][i])));
  } else if (tb->dense == ODEON_ROS_DENSE_ODE23S) {
    const odeon_real d = ODEON_R(ODEON_ROS23_D);
    const odeon_real c1 = th * s1 / (ODEON_R(1.0) - ODEON_R(2.0) * d);
    const odeon_real c2 =
        th * (th - ODEON_R(2.0) * d) / (ODEON_R(1.0) - ODEON_R(2.0) * d);
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i)
      out[i] = y_old[i] + hh * (c1 * ws->dk[0][i] + c2 * ws->dk[1][i]);
  } else {
    ODEON_UNROLL
    for (int i = 0; i < ODEON_N; ++i) {
      const odeon_real d = y_new[i] - y_old[i];
      out[i] =
          s1 * y_old[i] + th * y_new[i] +
          th * (th - ODEON_R(1.0)) *
              ((ODEON_R(1.0) - ODEON_R(2.0) * th) * d +
               (th - ODEON_R(1.0)) * hh * ws->f_prev[i] + th * hh * ws->f0[i]);
    }
  }
}

/* Carry: f0, f_prev, dk (3 rows): what the next step and the dense output
 * of the last one need. */
#define ODEON_ROS_CARRY_LEN (5 * ODEON_N)

ODEON_HD static inline void odeon_ros_save(const odeon_ros_ws *ws,
                                           double *carry, long long stride) {
  for (int i = 0; i < ODEON_N; ++i) {
    carry[i * stride] = (double)ws->f0[i];
    carry[(ODEON_N + i) * stride] = (double)ws->f_prev[i];
    for (int r = 0; r < 3; ++r)
      carry[((2 + r) * ODEON_N + i) * stride] = (double)ws->dk[r][i];
  }
}

ODEON_HD static inline void
odeon_ros_load(odeon_ros_ws *ws, const double *carry, long long stride) {
  for (int i = 0; i < ODEON_N; ++i) {
    ws->f0[i] = (odeon_real)carry[i * stride];
    ws->f_prev[i] = (odeon_real)carry[(ODEON_N + i) * stride];
    for (int r = 0; r < 3; ++r)
      ws->dk[r][i] = (odeon_real)carry[((2 + r) * ODEON_N + i) * stride];
  }
  ws->jac_valid = 0;
  ws->fnew_valid = 0;
}

/* ---- the family contract (family.h), for a kernel that names a method */
#if !defined(ODEON_METHOD_VARIANT) && defined(ODEON_METHOD_ID)
#define ODEON_METHOD_VARIANT (ODEON_METHOD_ID - ODEON_ROS_ID_BASE)
#endif
#ifdef ODEON_METHOD_VARIANT

#if ODEON_METHOD_VARIANT == ODEON_ROS_ROS3P ||                                 \
    ODEON_METHOD_VARIANT == ODEON_ROS_RODAS3P
#define ODEON_METHOD_ORDER 3
#define ODEON_METHOD_ERR_ORDER 2
#elif ODEON_METHOD_VARIANT == ODEON_ROS_ROSENBROCK23
#define ODEON_METHOD_ORDER 2
#define ODEON_METHOD_ERR_ORDER 1
#elif ODEON_METHOD_VARIANT == ODEON_ROS_RODAS4
#define ODEON_METHOD_ORDER 4
#define ODEON_METHOD_ERR_ORDER 3
#elif ODEON_METHOD_VARIANT == ODEON_ROS_RODAS5P
#define ODEON_METHOD_ORDER 5
#define ODEON_METHOD_ERR_ORDER 4
#else
#error "rosenbrock_step.h: unknown ODEON_METHOD_VARIANT"
#endif
#define ODEON_METHOD_ADAPTIVE 1
#define ODEON_METHOD_DENSE 1
#define ODEON_STEP_CARRY_LEN ODEON_ROS_CARRY_LEN

typedef odeon_ros_ws odeon_step_ws;
#define ODEON_ROS_TAB (&odeon_ros_tableaus[ODEON_METHOD_VARIANT])

ODEON_HD static inline void odeon_step_start(odeon_step_ws *ws, odeon_ctx *cx,
                                             double t, const odeon_real *y) {
  odeon_ros_start(ws, cx, t, y);
}
ODEON_HD static inline unsigned
odeon_step_try(odeon_step_ws *ws, odeon_ctx *cx, double t, double h,
               const odeon_real *y, odeon_real *y_new, odeon_real *eest) {
  return odeon_ros_try(ODEON_ROS_TAB, ws, cx, t, h, y, y_new, eest);
}
ODEON_HD static inline void odeon_step_accept(odeon_step_ws *ws, odeon_ctx *cx,
                                              double t_new,
                                              const odeon_real *y_new) {
  odeon_ros_accept(ODEON_ROS_TAB, ws, cx, t_new, y_new);
}
ODEON_HD static inline void odeon_step_dense(const odeon_step_ws *ws,
                                             double theta, double h,
                                             const odeon_real *y_old,
                                             const odeon_real *y_new,
                                             odeon_real *out) {
  odeon_ros_dense(ODEON_ROS_TAB, ws, theta, h, y_old, y_new, out);
}
ODEON_HD static inline void odeon_step_save(const odeon_step_ws *ws,
                                            double *carry, long long stride) {
  odeon_ros_save(ws, carry, stride);
}
ODEON_HD static inline void
odeon_step_load(odeon_step_ws *ws, const double *carry, long long stride) {
  odeon_ros_load(ws, carry, stride);
}
#endif /* ODEON_METHOD_VARIANT */

#endif
