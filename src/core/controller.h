/* controller.h - step-size controllers with OrdinaryDiffEq's semantics:
 * fixed, I (integral), PI, PID (Söderlind's digital filter form) and
 * Gustafsson's predictive controller, chosen at compile time by
 * ODEON_CONTROLLER; plus Hairer's automatic initial step.
 *
 * Names follow odeon_options: safety = gamma, gain_min = qmin (the step
 * shrinks at most to qmin*h), gain_max = qmax (grows at most to qmax*h),
 * deadband [deadband_min, deadband_max] = OrdinaryDiffEq's qsteady band
 * inside which the step is kept, beta1..3 the gain exponents. */
#ifndef ODEON_CORE_CONTROLLER_H
#define ODEON_CORE_CONTROLLER_H

#include "ctx.h"

#define ODEON_CONTROLLER_FIXED 0
#define ODEON_CONTROLLER_I 1
#define ODEON_CONTROLLER_PI 2
#define ODEON_CONTROLLER_PID 3
#define ODEON_CONTROLLER_GUSTAFSSON 4

#ifndef ODEON_CONTROLLER
#define ODEON_CONTROLLER ODEON_CONTROLLER_PI
#endif

/* Number of doubles the controller keeps in the carry. */
#define ODEON_CTRL_CARRY_LEN 6

/* OrdinaryDiffEq's qoldinit and the PID controller's accept threshold. */
#define ODEON_QOLD_INIT 1e-4
/* odeon_ctrl_decide: an error estimate above it is treated as non-finite
 * (1e300; for float, FLT_MAX: (double)e > 1e300 only for e = +inf) */
#if ODEON_REAL_IS_FLOAT
#define ODEON_CTRL_HUGE 0x1.fffffep+127f
#else
#define ODEON_CTRL_HUGE 1e300
#endif
#define ODEON_PID_ACCEPT_SAFETY 0.81

typedef struct odeon_ctrl {
#if ODEON_CONTROLLER == ODEON_CONTROLLER_PI
  odeon_real qold; /* max(previous accepted EEst, 1e-4), in the precision
                      PI works in (below) */
#else
  double qold; /* Gustafsson: last q */
#endif
  double q11;           /* unused: PI's EEst^beta1 is formed and used within one
                           attempt, so it is no state (the carry keeps its row) */
  double e1, e2;        /* PID: 1/EEst of the last two accepted steps */
  double dtacc, erracc; /* Gustafsson: last accepted step and its error */
  int success;          /* Gustafsson: 1 after an accepted attempt; 0 at the
                           start, after a non-finite error and after a
                           rejection (PI keeps it as q_lo) */
#if ODEON_CONTROLLER == ODEON_CONTROLLER_PI
  /* PI: the lower bound of q (OrdinaryDiffEq's qmax_first_step):
   * (odeon_real)(1/qmax) after an accepted attempt, (odeon_real)1e-4 at the
   * start and after a non-finite error. The bound itself rather than a
   * success flag: an acceptance sets it with one move, and the step needs
   * no select between the two values. Carried in the q11 row. */
  odeon_real q_lo;
#endif
  /* Gustafsson: the safety factor's scale for this attempt, set by the
   * family through ODEON_STEP_SAFETY_SCALE (radau5 and OrdinaryDiffEq use
   * min(1, (1 + 2 nit)/(newt + 2 nit)) with newt the step's Newton
   * iterations); 1 otherwise. Not carried: it is set before each use. */
  double safety_scale;
} odeon_ctrl;

ODEON_HD static inline void odeon_ctrl_init(odeon_ctrl *c) {
  c->qold = ODEON_QOLD_INIT; /* PI in float: (float)1e-4, what it used */
  c->q11 = 1.0;
  c->e1 = 1.0;
  c->e2 = 1.0;
  c->dtacc = 1.0;
  c->erracc = 1.0;
  c->success = 0;
  c->safety_scale = 1.0;
#if ODEON_CONTROLLER == ODEON_CONTROLLER_PI
  c->q_lo = (odeon_real)(1.0 / 10000.0);
#endif
}

ODEON_HD static inline void odeon_ctrl_save(const odeon_ctrl *c, double *carry,
                                            long long stride) {
  carry[0] = c->qold;
#if ODEON_CONTROLLER == ODEON_CONTROLLER_PI
  carry[stride] = (double)c->q_lo; /* PI: q11 is not state (above) */
#else
  carry[stride] = c->q11;
#endif
  carry[2 * stride] = c->e1;
  carry[3 * stride] = c->e2;
  carry[4 * stride] = c->dtacc;
  carry[5 * stride] = c->erracc; /* success is folded into dtacc's sign */
  if (c->success == 0)
    carry[4 * stride] = -c->dtacc;
}

/* Reads back only the fields the compiled controller changes (success is
 * changed by every one): the others keep their initial values in the
 * carry, so reading them would only keep them live in GPU registers. */
ODEON_HD static inline void odeon_ctrl_load(odeon_ctrl *c, const double *carry,
                                            long long stride) {
  odeon_ctrl_init(c);
#if ODEON_CONTROLLER == ODEON_CONTROLLER_PI
  c->qold = (odeon_real)carry[0]; /* exact: saved from this type */
  c->q_lo = (odeon_real)carry[stride];
#elif ODEON_CONTROLLER == ODEON_CONTROLLER_GUSTAFSSON
  c->qold = carry[0];
#endif
#if ODEON_CONTROLLER == ODEON_CONTROLLER_PID
  c->e1 = carry[2 * stride];
  c->e2 = carry[3 * stride];
#endif
  const double dtacc = carry[4 * stride];
  c->success = dtacc < 0 ? 0 : 1;
#if ODEON_CONTROLLER == ODEON_CONTROLLER_GUSTAFSSON
  c->dtacc = dtacc < 0 ? -dtacc : dtacc;
  c->erracc = carry[5 * stride];
#endif
}

/* A controller setting: the compile-time constant K where the generated
 * source knows the settings (ODEON_CTRL_KNOWN, with ODEON_CTRL_BETA1 and
 * the like as exact hexadecimal literals, the same values as the launch's
 * arguments), else the launch's argument a->name. Constants let the
 * compiler fold 1/qmax and specialise pow for a constant exponent (the
 * checks for integer and special exponents vanish from the step loop). */
#if defined(ODEON_CTRL_KNOWN) && ODEON_CTRL_KNOWN
#define ODEON_CTRL_SET(a, name, K) (K)
#else
#define ODEON_CTRL_SET(a, name, K) ((a)->name)
#endif

ODEON_HD static inline double odeon_clamp(double x, double lo, double hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

/* Decide on an attempt of size h with scaled error eest (<= 1 is within
 * tolerance; NaN for a non-finite step). Returns 1 to accept, 0 to reject;
 * *h_next is the next step (after an acceptance) or the retry (after a
 * rejection), before the dt_max limit. A non-finite error rejects with the
 * largest cut. keep: an acceptance leaves the controller and *h_next as they
 * are (the loop's step shortened to land on a stop, so that stops do not
 * disturb the step sequence); a rejection is decided as without it. eest
 * comes in the kernel's precision: PI works in it (a float kernel then needs
 * no conversions or double compares per step), the other controllers in
 * double, from the same value. */
ODEON_HD static inline int odeon_ctrl_decide(odeon_ctrl *c,
                                             const odeon_kernel_args *a,
                                             odeon_real eest_r, double h,
                                             int keep, double *h_next) {
  const double eest = (double)eest_r;
  (void)eest; /* PI works on eest_r */
  const double qmin = ODEON_CTRL_SET(a, gain_min, ODEON_CTRL_GAIN_MIN),
               qmax = ODEON_CTRL_SET(a, gain_max, ODEON_CTRL_GAIN_MAX),
               gamma = ODEON_CTRL_SET(a, safety, ODEON_CTRL_SAFETY);
  const double beta1 = ODEON_CTRL_SET(a, beta1, ODEON_CTRL_BETA1),
               beta2 = ODEON_CTRL_SET(a, beta2, ODEON_CTRL_BETA2),
               beta3 = ODEON_CTRL_SET(a, beta3, ODEON_CTRL_BETA3);
  const double db_min = ODEON_CTRL_SET(a, deadband_min, ODEON_CTRL_DB_MIN),
               db_max = ODEON_CTRL_SET(a, deadband_max, ODEON_CTRL_DB_MAX);
  (void)beta1;
  (void)beta2;
  (void)beta3;
  (void)db_min;
  (void)db_max;
  const double expo = 1.0 / (double)(ODEON_METHOD_ERR_ORDER + 1);
  /* NaN or above 1e300 (one compare: false for NaN); in float,
   * (double)e > 1e300 only for e = +inf, i.e. e > FLT_MAX, a compare
   * without the conversion */
#if ODEON_CONTROLLER != ODEON_CONTROLLER_PI
  /* (PI tests it after e <= 1, which it implies: one test per accepted
   * step) */
  if (!(eest_r <= ODEON_CTRL_HUGE)) {
    *h_next = h * qmin;
    c->success = 0;
    return 0;
  }
#endif
#if ODEON_CONTROLLER == ODEON_CONTROLLER_FIXED
  (void)c;
  (void)qmin;
  (void)qmax;
  (void)gamma;
  (void)expo;
  if (!keep)
    *h_next = h;
  return 1;
#elif ODEON_CONTROLLER == ODEON_CONTROLLER_I
  double q = eest == 0.0
                 ? 1.0 / qmax
                 : odeon_clamp(pow(eest, expo) / gamma, 1.0 / qmax, 1.0 / qmin);
  if (eest <= 1.0) {
    if (keep)
      return 1;
    if (q >= db_min && q <= db_max)
      q = 1.0;
    *h_next = h / q;
    return 1;
  }
  *h_next = h / q;
  return 0;
#elif ODEON_CONTROLLER == ODEON_CONTROLLER_PI
  /* In the kernel's precision, as OrdinaryDiffEq computes it in the
   * solution's type: in float32 this reproduces Julia's step sequences
   * (tests/numerics/test_lorenz_equivalence.c). */
  (void)expo;
  /* The compares, the clamp and qold in odeon_real too: they give the same
   * results as in double (odeon_real values compare alike in either type,
   * and a clamp to bounds that are odeon_real values returns one of its
   * operands), and a float kernel keeps them out of its FP64 and
   * conversion units. */
  const odeon_real e = eest_r;
  /* EEst^beta1, formed before the branches that use it (the step size
   * after an acceptance with e != 0, the retry after a rejection, where
   * e > 1): one pow in the code; for e = 0 its value is not used */
  const odeon_real q11 = (odeon_real)odeon_pow(e, (odeon_real)beta1);
  if (e <= ODEON_R(1)) {
    if (keep)
      return 1;
    /* OrdinaryDiffEq's qmax_first_step: the first step may grow 10000x
     * (q_lo). 1/qmax and 1/qmin are the same on every step, so the compiler
     * forms them once, outside the step loop. */
    const odeon_real inv_qmx = c->q_lo;
    const odeon_real inv_qmn = (odeon_real)(1.0 / qmin);
    /* Quotients of two odeon_real values in odeon_real: the same value as
     * the double quotient rounded to odeon_real (double has more than
     * twice float's digits), without a double division on the GPU. */
    odeon_real qr = q11 / (odeon_real)odeon_pow(c->qold, (odeon_real)beta2);
    qr = qr / (odeon_real)gamma;
    /* odeon_clamp's order of tests (a NaN passes through) */
    const odeon_real qc =
        qr < inv_qmx ? inv_qmx : (qr > inv_qmn ? inv_qmn : qr);
    /* a zero estimate grows the step by qmax even on the first step: with
       the first-step bound here ROS3P (zero estimate on linear runs) jumps
       to dt_max, which the Julia reference does not do. A select after qc,
       formed for every estimate (its value unused for e = 0), rather than a
       branch around it: fewer instructions on the GPU's accepted step. */
    double q = e == ODEON_R(0) ? 1.0 / qmax : (double)qc;
    if (q >= db_min && q <= db_max)
      q = 1.0;
    /* in float, max(e, (float)1e-4) is (float)max((double)e, 1e-4): no
     * float lies between (float)1e-4 and 1e-4 */
    c->qold = e > (odeon_real)ODEON_QOLD_INIT ? e : (odeon_real)ODEON_QOLD_INIT;
    c->q_lo = (odeon_real)(1.0 / qmax); /* later steps grow at most by qmax */
    *h_next = (odeon_real)(h / q);
    return 1;
  }
  if (!(e <= ODEON_CTRL_HUGE)) {
    *h_next = h * qmin;
    c->q_lo = (odeon_real)(1.0 / 10000.0);
    return 0;
  }
  double r = (double)q11 / gamma;
  *h_next = h / (r < 1.0 / qmin ? r : 1.0 / qmin);
  return 0;
#elif ODEON_CONTROLLER == ODEON_CONTROLLER_PID
  /* Söderlind's filter with OrdinaryDiffEq's limiter 1 + atan(f - 1); the
   * limiter, not qmin/qmax/safety, bounds the change (0.21 .. 2.57). A zero
   * error counts as machine epsilon so that the product stays finite. */
  (void)expo;
  (void)gamma;
  (void)qmin;
  (void)qmax;
  const double k = (double)(ODEON_METHOD_ERR_ORDER + 1);
  const double err1 =
      1.0 / (eest > (double)ODEON_EPS ? eest : (double)ODEON_EPS);
  double f =
      pow(err1, beta1 / k) * pow(c->e1, beta2 / k) * pow(c->e2, beta3 / k);
  f = 1.0 + atan(f - 1.0);
  if (f >= ODEON_PID_ACCEPT_SAFETY) {
    if (keep)
      return 1;
    const double inv = 1.0 / f;
    if (inv >= db_min && inv <= db_max)
      f = 1.0;
    c->e2 = c->e1;
    c->e1 = err1;
    *h_next = h * f;
    return 1;
  }
  *h_next = h * f;
  return 0;
#elif ODEON_CONTROLLER == ODEON_CONTROLLER_GUSTAFSSON
  double q;
  if (eest == 0.0) {
    q = 1.0 / qmax;
  } else {
    q = odeon_clamp(pow(eest, expo) / (gamma * c->safety_scale), 1.0 / qmax,
                    1.0 / qmin);
  }
  if (eest <= 1.0) {
    if (keep)
      return 1;
    if (eest != 0.0)
      c->qold = q;
    double qacc = q;
    if (c->success > 0 && eest > 0.0) {
      double qgus = (c->dtacc / h) * pow(eest * eest / c->erracc, expo);
      qgus = odeon_clamp(qgus / gamma, 1.0 / qmax, 1.0 / qmin);
      qacc = q > qgus ? q : qgus;
    }
    if (qacc >= db_min && qacc <= db_max)
      qacc = 1.0;
    c->dtacc = h;
    c->erracc = eest > 1e-2 ? eest : 1e-2;
    c->success = 1;
    *h_next = h / qacc;
    return 1;
  }
  c->qold = q; /* eest > 1 here, so q is the clamp above */
  *h_next = c->success == 0 ? 0.1 * h : h / c->qold;
  c->success = 0;
  return 0;
#else
#error "unknown ODEON_CONTROLLER"
#endif
}

/* Hairer's initial step (Solving ODEs I, II.4; OrdinaryDiffEq's
 * ode_determine_initdt): from the sizes of y, f(y) and an estimate of the
 * second derivative; f0 = f(t, y) is given. Uses one evaluation. */
ODEON_HD static inline double odeon_initial_dt(odeon_ctx *cx, double t,
                                               const odeon_real *y,
                                               const odeon_real *f0,
                                               double span, double dt_max) {
  /* The three norms d0 = |y|, d1 = |f0| and |f1 - f0| (each scaled by
   * atol + rtol |y|) share one copy of the error norm in a rolled loop
   * over v = y, f0, f1 - f0: the same values as three calls, with a third
   * of the divisions and square roots for the compiler to expand. */
  odeon_real v[ODEON_N], zero[ODEON_N];
  for (int i = 0; i < ODEON_N; i++) {
    v[i] = y[i];
    zero[i] = ODEON_R(0);
  }
  double d0 = 0.0, d1 = 0.0, d2 = 0.0, h0 = 0.0;
  ODEON_NO_UNROLL
  for (int q = 0; q < 3; q++) {
    const double d = (double)odeon_err_norm(cx, v, y, zero);
    if (q == 0) {
      d0 = d;
      for (int i = 0; i < ODEON_N; i++)
        v[i] = f0[i];
    } else if (q == 1) {
      d1 = d;
      h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
      if (h0 > span)
        h0 = span;
      odeon_real y1[ODEON_N], f1[ODEON_N];
      for (int i = 0; i < ODEON_N; i++)
        y1[i] = y[i] + (odeon_real)h0 * f0[i];
      odeon_rhs(cx, t + h0, y1, f1);
      for (int i = 0; i < ODEON_N; i++)
        v[i] = f1[i] - f0[i];
    } else {
      d2 = d / h0;
    }
  }
  double m = d1 > d2 ? d1 : d2;
  double h1 = m <= 1e-15
                  ? (h0 * 1e-3 > 1e-6 ? h0 * 1e-3 : 1e-6)
                  : pow(0.01 / m, 1.0 / (double)(ODEON_METHOD_ORDER + 1));
  double h = 100.0 * h0;
  if (h1 < h)
    h = h1;
  if (span < h)
    h = span;
  if (dt_max < h)
    h = dt_max;
  return h;
}

#endif
