/* erk.h - the explicit Runge-Kutta method family: one generic step driven by
 * the table of erk_tableaus.h, with the error estimates and dense outputs
 * the tables name. Implements the contract of family.h. */
#ifndef ODEON_CORE_ERK_H
#define ODEON_CORE_ERK_H

#include "ctx.h"
#include "erk_tableaus.h"

/* Stage loops are unrolled so that the stage array k[][] lives in registers
 * (a runtime stage index would put it in local memory on the GPU). NVRTC
 * understands the pragma; cc with -Wall would warn about an unknown one. */
#ifndef ODEON_UNROLL
#if ODEON_DEVICE_CODE
#define ODEON_UNROLL _Pragma("unroll")
#else
#define ODEON_UNROLL
#endif
#endif

#define ODEON_METHOD_ORDER ODEON_ERK_ORDER
/* OrdinaryDiffEq's controller exponent for an explicit pair is 1/order. */
#define ODEON_METHOD_ERR_ORDER (ODEON_ERK_ORDER - 1)
#define ODEON_METHOD_ADAPTIVE (ODEON_ERK_ERR != ODEON_ERK_ERR_NONE)
#define ODEON_METHOD_DENSE (ODEON_ERK_DENSE_KIND != ODEON_ERK_DENSE_NONE)

/* The family counts only right-hand sides (and the loop its steps): no
 * Jacobians, factorisations or Newton iterations (loop.h). */
#define ODEON_STEP_COUNTERS 3
/* Right-hand sides per attempt (step_try: the stages after the first, and
 * with the RK4 residual estimate, which the loop asks for only when it is
 * adaptive, f(t + h, y_new) and the two Gauss points) and per accepted step
 * (step_accept: f(t + h, y_new) unless the attempt formed it). Fixed, so an
 * adaptive loop counts the evaluations from its step counts (loop.h). */
#define ODEON_STEP_RHS_PER_TRY                                                 \
  (ODEON_ERK_STAGES - 1 + (ODEON_ERK_ERR == ODEON_ERK_ERR_RK4_RESIDUAL ? 3 : 0))
#define ODEON_STEP_RHS_PER_ACCEPT                                              \
  ((ODEON_ERK_FSAL || ODEON_ERK_ERR == ODEON_ERK_ERR_RK4_RESIDUAL) ? 0 : 1)
#if defined(ODEON_SMALL_COUNTS) && ODEON_SMALL_COUNTS && ODEON_ERK_STAGES > 16
#error "32-bit counters assume at most 16 stages (codegen/kernel_source.c)"
#endif

/* Stage derivatives the dense output reads from the last step; none where
 * the loop never interpolates (only the start and the end saved). */
#if defined(ODEON_SAVE_ENDS) && ODEON_SAVE_ENDS
#define ODEON_ERK_DENSE_STAGES 0
#elif ODEON_ERK_DENSE_KIND == ODEON_ERK_DENSE_HERMITE
#define ODEON_ERK_DENSE_STAGES 1 /* f at the start of the step */
#elif ODEON_ERK_DENSE_KIND == ODEON_ERK_DENSE_NONE
#define ODEON_ERK_DENSE_STAGES 0
#else
#define ODEON_ERK_DENSE_STAGES ODEON_ERK_STAGES
#endif
/* carry: f at the current state, the dense stages, and a validity flag */
#define ODEON_STEP_CARRY_LEN (ODEON_N * (1 + ODEON_ERK_DENSE_STAGES) + 1)

typedef struct odeon_step_ws {
  odeon_real k[ODEON_ERK_STAGES][ODEON_N]; /* stage derivatives */
  odeon_real f0[ODEON_N];   /* f(t, y) at the current state (next k[0]) */
  odeon_real fnew[ODEON_N]; /* f(t + h, y_new) of the last attempt */
  int have_fnew;            /* fnew was computed by the last attempt */
} odeon_step_ws;

/* Weighted sums of stages below start from their first non-zero term
 * (the `started` flags) rather than from 0 + term, which the compiler may
 * not fold (0 + -0 is +0) and which costs an instruction per state and
 * stage on the GPU; the value is the same. With the tables constant and the
 * loops unrolled, the flags fold away at compile time. */

/* Non-zero if the row w[0..len) has exactly one non-zero weight. */
ODEON_HD static inline int odeon_erk_single_nz(const double *w, int len) {
  int nz = 0;
  for (int i = 0; i < len; i++)
    nz += w[i] != 0.0;
  return nz == 1;
}

ODEON_HD static inline void odeon_step_start(odeon_step_ws *ws, odeon_ctx *cx,
                                             double t, const odeon_real *y) {
  odeon_rhs(cx, t, y, ws->f0);
  ws->have_fnew = 0;
}

ODEON_HD static inline unsigned
odeon_step_try(odeon_step_ws *ws, odeon_ctx *cx, double t, double h,
               const odeon_real *y, odeon_real *y_new, odeon_real *eest) {
  const odeon_real hr = (odeon_real)h;
  odeon_real tmp[ODEON_N];
  /* f0 = f(t, y) is always valid here: set by odeon_step_start, by
   * odeon_step_accept after every accepted step and by odeon_step_load, so
   * the hot path checks no flag */
  for (int i = 0; i < ODEON_N; i++)
    ws->k[0][i] = ws->f0[i];
  ODEON_UNROLL
  for (int s = 1; s < ODEON_ERK_STAGES; s++) {
    if (odeon_erk_single_nz(odeon_erk_a[s], s)) {
      /* one weight a: y + (h a) k, as OrdinaryDiffEq writes such stages
       * (RK4's y + (h/2) k1): h a is formed once for all states */
      int j = 0;
      while (odeon_erk_a[s][j] == 0.0)
        j++;
      const odeon_real ha = hr * (odeon_real)odeon_erk_a[s][j];
      for (int i = 0; i < ODEON_N; i++)
        tmp[i] = y[i] + ha * ws->k[j][i];
      odeon_rhs(cx, t + odeon_erk_c[s] * h, tmp, ws->k[s]);
      continue;
    }
    for (int i = 0; i < ODEON_N; i++) {
      odeon_real acc = ODEON_R(0);
      int started = 0;
      ODEON_UNROLL
      for (int j = 0; j < s; j++)
        if (odeon_erk_a[s][j] != 0.0) {
          acc = started ? acc + (odeon_real)odeon_erk_a[s][j] * ws->k[j][i]
                        : (odeon_real)odeon_erk_a[s][j] * ws->k[j][i];
          started = 1;
        }
      tmp[i] = y[i] + hr * acc;
    }
    odeon_rhs(cx, t + odeon_erk_c[s] * h, tmp, ws->k[s]);
  }
  for (int i = 0; i < ODEON_N; i++) {
    odeon_real acc = ODEON_R(0);
    int started = 0;
    ODEON_UNROLL
    for (int j = 0; j < ODEON_ERK_STAGES; j++)
      if (odeon_erk_b[j] != 0.0) {
        acc = started ? acc + (odeon_real)odeon_erk_b[j] * ws->k[j][i]
                      : (odeon_real)odeon_erk_b[j] * ws->k[j][i];
        started = 1;
      }
    y_new[i] = y[i] + hr * acc;
  }
  ws->have_fnew = 0;
#if ODEON_ERK_FSAL
  for (int i = 0; i < ODEON_N; i++)
    ws->fnew[i] = ws->k[ODEON_ERK_STAGES - 1][i];
  ws->have_fnew = 1;
#endif

#if ODEON_ERK_ERR == ODEON_ERK_ERR_EMBEDDED
  for (int i = 0; i < ODEON_N; i++) {
    odeon_real acc = ODEON_R(0);
    int started = 0;
    ODEON_UNROLL
    for (int j = 0; j < ODEON_ERK_STAGES; j++)
      if (odeon_erk_e[j] != 0.0) {
        acc = started ? acc + (odeon_real)odeon_erk_e[j] * ws->k[j][i]
                      : (odeon_real)odeon_erk_e[j] * ws->k[j][i];
        started = 1;
      }
    tmp[i] = hr * acc;
  }
  *eest = odeon_err_norm(cx, tmp, y, y_new);
#elif ODEON_ERK_ERR == ODEON_ERK_ERR_DP8
  {
    /* Hairer's dop853: EEst = e5^2 / sqrt(e5^2 + 0.01 e3^2) */
    odeon_real t3[ODEON_N];
    for (int i = 0; i < ODEON_N; i++) {
      odeon_real a5 = ODEON_R(0), a3 = ODEON_R(0);
      ODEON_UNROLL
      for (int j = 0; j < ODEON_ERK_STAGES; j++) {
        if (odeon_erk_e[j] != 0.0)
          a5 += (odeon_real)odeon_erk_e[j] * ws->k[j][i];
        if (odeon_erk_e3[j] != 0.0)
          a3 += (odeon_real)odeon_erk_e3[j] * ws->k[j][i];
      }
      tmp[i] = hr * a5;
      t3[i] = hr * a3;
    }
    odeon_real e5 = odeon_err_norm(cx, tmp, y, y_new);
    odeon_real e3 = odeon_err_norm(cx, t3, y, y_new);
    odeon_real den = e5 * e5 + ODEON_R(0.01) * e3 * e3;
    *eest = den > ODEON_R(0) ? e5 * e5 / odeon_sqrt(den) : ODEON_R(0);
  }
#elif ODEON_ERK_ERR == ODEON_ERK_ERR_RK4_RESIDUAL
  {
    /* Shampine, "Solving ODEs and DDEs with residual control": the defect
     * of the Hermite interpolant at the two Gauss points of the step. */
    odeon_real e = ODEON_R(0);
    if (!cx->adaptive) {
      *eest = e;
      return 0u;
    }
    odeon_rhs(cx, t + h, y_new, ws->fnew);
    ws->have_fnew = 1;
    for (int q = 0; q < 2; q++) {
      const odeon_real s3 = odeon_sqrt(ODEON_R(3.0)) / ODEON_R(6.0);
      odeon_real sg = q == 0 ? ODEON_R(0.5) - s3 : ODEON_R(0.5) + s3;
      odeon_real pt[ODEON_N], dp[ODEON_N], fp[ODEON_N], res[ODEON_N];
      for (int i = 0; i < ODEON_N; i++) {
        /* OrdinaryDiffEq writes the interpolant with u0 and u1 apart
         * ((1 - s) u0 + s u1, "- 6 u0 ... + 6 u1"): in float32 that
         * cancels terms of size 6 |u| and leaves a defect of rounding
         * noise (about 0.3 at tol 1e-6) that never falls with h, so a
         * PI controller can shrink h to dt_min; how often depends on
         * how the compiler fuses the multiply-adds (the GPU's did, in
         * 195 of 1024 Lorenz runs). The same polynomial written in
         * d = u1 - u0 (exact: u1 and u0 are close) keeps the noise at
         * the rounding of u1 itself. */
        odeon_real k1 = ws->k[0][i], k5 = ws->fnew[i];
        odeon_real u0 = y[i], d = y_new[i] - y[i];
        pt[i] = u0 + (sg * d + sg * (sg - 1) *
                                   ((1 - 2 * sg) * d + (sg - 1) * hr * k1 +
                                    sg * hr * k5));
        dp[i] = k1 + sg *
                         (-4 * hr * k1 - 2 * hr * k5 + 6 * d +
                          sg * (3 * hr * k1 + 3 * hr * k5 - 6 * d)) /
                         hr;
      }
      odeon_rhs(cx, t + (double)sg * h, pt, fp);
      for (int i = 0; i < ODEON_N; i++)
        res[i] = hr * (fp[i] - dp[i]);
      odeon_real en = odeon_err_norm(cx, res, y, y_new);
      e = en > e || !(en == en) ? en : e;
    }
    *eest = ODEON_R(2.1342) * e;
  }
#else
  *eest = ODEON_R(0);
#endif
  return 0u;
}

ODEON_HD static inline void odeon_step_accept(odeon_step_ws *ws, odeon_ctx *cx,
                                              double t_new,
                                              const odeon_real *y_new) {
  /* f at the new state is the next step's first stage (FSAL where the
   * table has it) and the right end of the Hermite interpolant. */
  if (!ws->have_fnew)
    odeon_rhs(cx, t_new, y_new, ws->fnew);
  for (int i = 0; i < ODEON_N; i++)
    ws->f0[i] = ws->fnew[i];
  ws->have_fnew = 0;
}

#if ODEON_METHOD_DENSE
ODEON_HD static inline void odeon_step_dense(const odeon_step_ws *ws,
                                             double theta_d, double h_d,
                                             const odeon_real *y_old,
                                             const odeon_real *y_new,
                                             odeon_real *out) {
  const odeon_real th = (odeon_real)theta_d, h = (odeon_real)h_d;
#if ODEON_ERK_DENSE_KIND == ODEON_ERK_DENSE_HERMITE
  /* cubic Hermite through (y_old, f_old) and (y_new, f_new = ws->f0) */
  for (int i = 0; i < ODEON_N; i++) {
    odeon_real d = y_new[i] - y_old[i];
    out[i] = (1 - th) * y_old[i] + th * y_new[i] +
             th * (th - 1) *
                 ((1 - 2 * th) * d + (th - 1) * h * ws->k[0][i] +
                  th * h * ws->f0[i]);
  }
#elif ODEON_ERK_DENSE_KIND == ODEON_ERK_DENSE_DP5
  /* Hairer's contd5 for DOPRI5 (4th order continuous extension) */
  const odeon_real d1 = ODEON_R(-12715105075.0 / 11282082432.0),
                   d3 = ODEON_R(87487479700.0 / 32700410799.0),
                   d4 = ODEON_R(-10690763975.0 / 1880347072.0),
                   d5 = ODEON_R(701980252875.0 / 199316789632.0),
                   d6 = ODEON_R(-1453857185.0 / 822651844.0),
                   d7 = ODEON_R(69997945.0 / 29380423.0);
  for (int i = 0; i < ODEON_N; i++) {
    odeon_real r2 = y_new[i] - y_old[i];
    odeon_real r3 = h * ws->k[0][i] - r2;
    odeon_real r4 = r2 - h * ws->k[6][i] - r3;
    odeon_real r5 =
        h * (d1 * ws->k[0][i] + d3 * ws->k[2][i] + d4 * ws->k[3][i] +
             d5 * ws->k[4][i] + d6 * ws->k[5][i] + d7 * ws->k[6][i]);
    out[i] = y_old[i] + th * (r2 + (1 - th) * (r3 + th * (r4 + (1 - th) * r5)));
  }
#elif ODEON_ERK_DENSE_KIND == ODEON_ERK_DENSE_TSIT5
  /* Tsitouras (2011) continuous extension, as in OrdinaryDiffEq */
  const odeon_real t2 = th * th;
  odeon_real bt[7];
  bt[0] = ODEON_R(-1.0530884977290216) * th *
          (th - ODEON_R(1.3299890189751412)) *
          (t2 - ODEON_R(1.4364028541716351) * th + ODEON_R(0.7139816917074209));
  bt[1] = ODEON_R(0.1017) * t2 *
          (t2 - ODEON_R(2.1966568338249754) * th + ODEON_R(1.2949852507374631));
  bt[2] =
      ODEON_R(2.490627285651252793) * t2 *
      (t2 - ODEON_R(2.38535645472061657) * th + ODEON_R(1.57803468208092486));
  bt[3] = ODEON_R(-16.54810288924490272) * (th - ODEON_R(1.21712927295533244)) *
          (th - ODEON_R(0.61620406037800089)) * t2;
  bt[4] = ODEON_R(47.37952196281928122) * (th - ODEON_R(1.203071208372362603)) *
          (th - ODEON_R(0.658047292653547382)) * t2;
  bt[5] = ODEON_R(-34.87065786149660974) * (th - ODEON_R(1.2)) *
          (th - ODEON_R(0.666666666666666667)) * t2;
  bt[6] = ODEON_R(2.5) * (th - 1) * (th - ODEON_R(0.6)) * t2;
  for (int i = 0; i < ODEON_N; i++) {
    odeon_real acc = ODEON_R(0);
    ODEON_UNROLL
    for (int j = 0; j < 7; j++)
      acc += bt[j] * ws->k[j][i];
    out[i] = y_old[i] + h * acc;
  }
#endif
}
#endif

ODEON_HD static inline void odeon_step_save(const odeon_step_ws *ws,
                                            double *carry, long long stride) {
  int r = 0;
  for (int i = 0; i < ODEON_N; i++)
    carry[(long long)(r++) * stride] = (double)ws->f0[i];
  ODEON_UNROLL
  for (int s = 0; s < ODEON_ERK_DENSE_STAGES; s++)
    for (int i = 0; i < ODEON_N; i++)
      carry[(long long)(r++) * stride] = (double)ws->k[s][i];
  carry[(long long)r * stride] = 1.0; /* f0 valid (always, see step_try) */
}

ODEON_HD static inline void
odeon_step_load(odeon_step_ws *ws, const double *carry, long long stride) {
  int r = 0;
  for (int i = 0; i < ODEON_N; i++)
    ws->f0[i] = (odeon_real)carry[(long long)(r++) * stride];
  ODEON_UNROLL
  for (int s = 0; s < ODEON_ERK_DENSE_STAGES; s++)
    for (int i = 0; i < ODEON_N; i++)
      ws->k[s][i] = (odeon_real)carry[(long long)(r++) * stride];
  ws->have_fnew = 0;
}

#endif
