/* ctx.h - the per-run context every method family works in: the run's
 * parameters, its drivers, its counters and tolerances, and the helpers a
 * step function calls to evaluate the system (rhs, Jacobian, error norm).
 *
 * Included after real.h, kernel_args.h, spline.h and the generated system
 * functions (odeon_sys_rhs / odeon_sys_jac / odeon_sys_obs and the
 * ODEON_SYS_* sizes), before the method family header. */
#ifndef ODEON_CORE_CTX_H
#define ODEON_CORE_CTX_H

#include "real.h"
#include "kernel_args.h"
#include "spline.h"

/* Sizes of per-run arrays; at least 1 so that C accepts the declarations. */
#define ODEON_N (ODEON_SYS_N_STATES)
#define ODEON_NP_ALLOC ((ODEON_SYS_N_PARAMS) > 0 ? (ODEON_SYS_N_PARAMS) : 1)
#define ODEON_NOBS_ALLOC                                                       \
  ((ODEON_SYS_N_OBSERVABLES) > 0 ? (ODEON_SYS_N_OBSERVABLES) : 1)
#define ODEON_NDRV_ALLOC                                                       \
  ((ODEON_SYS_N_DRIVERS) > 0 ? 2 * (ODEON_SYS_N_DRIVERS) : 1)

/* Bits of the per-run status word; the same values as ODEON_RUN_* in
 * odeon.h (kernels do not include it; the host checks they agree). */
#define ODEON_RUN_DT_MIN_BIT 1u
#define ODEON_RUN_MAX_STEPS_BIT 2u
#define ODEON_RUN_NONFINITE_BIT 4u
#define ODEON_RUN_NEWTON_BIT 8u
#define ODEON_RUN_SINGULAR_BIT 16u
#define ODEON_RUN_DRIVER_RANGE_BIT 32u

/* Per-run counters, in the order of kernel_args.counters rows. The names
 * the host shows are in codegen/kernel_source.h (odeon__counter_names). */
enum odeon_counter_index {
  ODEON_CNT_ACCEPTED = 0, /* accepted steps */
  ODEON_CNT_REJECTED,     /* rejected steps (error or failed solve) */
  ODEON_CNT_RHS,          /* evaluations of the right-hand side */
  ODEON_CNT_JAC,          /* evaluations of the Jacobian */
  ODEON_CNT_LU,           /* matrix factorisations (implicit methods) */
  ODEON_CNT_NEWTON,       /* Newton iterations (implicit methods) */
  ODEON_N_COUNTERS
};

/* The type the counters are kept in while integrating: 32 bits where the
 * generated source knows that they cannot overflow (ODEON_SMALL_COUNTS: an
 * explicit method whose max_steps bounds every counter far below 2^31),
 * which makes the per-step adds and the max_steps compare single GPU
 * instructions and halves their registers; 64 bits otherwise. */
#if defined(ODEON_SMALL_COUNTS) && ODEON_SMALL_COUNTS
typedef int odeon_count;
#define ODEON_COUNT_MAX 0x3fffffff
#else
typedef long long odeon_count;
#define ODEON_COUNT_MAX 0x3fffffffffffffffLL
#endif

typedef struct odeon_ctx {
  const odeon_kernel_args *a; /* the launch's arguments (control constants) */
  long long run;              /* index of the run in the chunk */
  odeon_real p[ODEON_NP_ALLOC];
  const odeon_real *drivers; /* this run's driver spline block, or 0 */
  odeon_real atol, rtol;
  odeon_count cnt[ODEON_N_COUNTERS];
  unsigned int status; /* ODEON_RUN_* bits raised while evaluating */
  int adaptive;        /* the loop wants error estimates (not "fixed") */
} odeon_ctx;

/* Evaluate every driver (value and d/dt) at time t into drv[2*N_DRIVERS].
 * A time outside a non-periodic driver's samples raises DRIVER_RANGE. */
ODEON_HD static inline void odeon_ctx_drivers(odeon_ctx *cx, double t,
                                              odeon_real *drv) {
#if ODEON_SYS_N_DRIVERS > 0
  for (int d = 0; d < ODEON_SYS_N_DRIVERS; d++)
    if (!odeon_spline_eval(cx->drivers, d, t, &drv[2 * d]))
      cx->status |= ODEON_RUN_DRIVER_RANGE_BIT;
#else
  (void)cx;
  (void)t;
  drv[0] = ODEON_R(0);
#endif
}

/* dy = f(t, y) for this run; counts one evaluation. */
ODEON_HD static inline void odeon_rhs(odeon_ctx *cx, double t,
                                      const odeon_real *y, odeon_real *dy) {
  odeon_real drv[ODEON_NDRV_ALLOC];
  odeon_ctx_drivers(cx, t, drv);
  odeon_sys_rhs((odeon_real)t, y, cx->p, drv, dy);
  cx->cnt[ODEON_CNT_RHS]++;
}

/* jac = df/dy (row-major n*n) and dfdt = df/dt at (t, y); counts one
 * Jacobian evaluation. Only meaningful when ODEON_SYS_HAS_JACOBIAN. */
ODEON_HD static inline void odeon_jac(odeon_ctx *cx, double t,
                                      const odeon_real *y, odeon_real *jac,
                                      odeon_real *dfdt) {
  odeon_real drv[ODEON_NDRV_ALLOC];
  odeon_ctx_drivers(cx, t, drv);
  odeon_sys_jac((odeon_real)t, y, cx->p, drv, jac, dfdt);
  cx->cnt[ODEON_CNT_JAC]++;
}

/* OrdinaryDiffEq's error norm: the root mean square over the states of
 * err_i / (atol + rtol * max(|y0_i|, |y1_i|)). A non-finite error gives a
 * non-finite norm, which the loop treats as a rejection. */
ODEON_HD static inline odeon_real odeon_err_norm(const odeon_ctx *cx,
                                                 const odeon_real *err,
                                                 const odeon_real *y0,
                                                 const odeon_real *y1) {
  odeon_real s = ODEON_R(0);
  for (int i = 0; i < ODEON_N; i++) {
    odeon_real sc =
        cx->atol + cx->rtol * odeon_fmax(odeon_fabs(y0[i]), odeon_fabs(y1[i]));
    odeon_real e = err[i] / sc;
    s += e * e;
  }
  return odeon_sqrt(s / ODEON_R(ODEON_N));
}

/* Non-zero if x is finite: |x| <= the largest finite value is false for
 * infinities and NaNs. One compare on the GPU (|x| is an operand modifier),
 * where (x - x) == (x - x) takes a subtraction and a compare. */
ODEON_HD static inline int odeon_is_finite(odeon_real x) {
#if ODEON_REAL_IS_FLOAT
  return odeon_fabs(x) <= 0x1.fffffep+127f; /* FLT_MAX */
#else
  return odeon_fabs(x) <= 0x1.fffffffffffffp+1023; /* DBL_MAX */
#endif
}

#endif
