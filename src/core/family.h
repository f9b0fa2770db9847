/* family.h - the contract between the per-run loop (loop.h) and a method
 * family (explicit RK in erk.h; Rosenbrock, SDIRK, Radau in their own
 * headers): what a family header defines, and checks that it did.
 *
 * The generated kernel source includes, in this order:
 *   real.h, kernel_args.h, spline.h, <the system functions>, ctx.h,
 *   <the family header named by the method registry>, loop.h, kernel_entry.h
 * and defines before them ODEON_REAL_IS_FLOAT, ODEON_METHOD_ID (the method's
 * id in codegen/method_registry.c) and the output/summary configuration.
 * Exactly one family header is included per kernel, so the family is chosen
 * at compile time by which header the registry names (ODEON_METHOD_FAMILY is
 * also defined: 1 = explicit RK, 2 = Rosenbrock, 3 = DIRK/SDIRK, 4 = FIRK).
 *
 * A family header defines these macros (integer constants):
 *   ODEON_METHOD_ORDER      order of the solution (for the initial dt and
 *                           the I/PID/Gustafsson exponents)
 *   ODEON_METHOD_ERR_ORDER  order used in controller exponents,
 *                           exponent = 1/(ODEON_METHOD_ERR_ORDER + 1)
 *                           (OrdinaryDiffEq: alg_adaptive_order + 1 = order)
 *   ODEON_METHOD_ADAPTIVE   1 if odeon_step_try returns an error estimate
 *   ODEON_METHOD_DENSE      1 if odeon_step_dense interpolates inside the
 *                           last step (else the loop truncates steps to land
 *                           on save times)
 *   ODEON_STEP_CARRY_LEN    doubles odeon_step_save writes per run (>= 1)
 * and this type and these functions (all ODEON_HD static inline):
 *
 *   typedef struct { ... } odeon_step_ws;
 *       Per-run scratch and state that lives on the loop's stack (stage
 *       derivatives, FSAL derivative, Jacobian and LU, dense-output data).
 *       Size arrays with ODEON_N (= ODEON_SYS_N_STATES), a compile-time
 *       constant.
 *
 *   void odeon_step_start(odeon_step_ws *ws, odeon_ctx *cx, double t,
 *                         const odeon_real *y);
 *       Called once when a run starts at (t, y) (not on resume): e.g.
 *       evaluate f(t, y) for FSAL methods.
 *
 *   unsigned odeon_step_try(odeon_step_ws *ws, odeon_ctx *cx, double t,
 *                           double h, const odeon_real *y,
 *                           odeon_real *y_new, odeon_real *eest);
 *       Attempt one step of size h from (t, y); write the result to y_new
 *       and, if ODEON_METHOD_ADAPTIVE, the scaled error norm to *eest
 *       (use odeon_err_norm(cx, err, y, y_new); accept iff *eest <= 1).
 *       Call odeon_rhs / odeon_jac for evaluations (they count); count LU
 *       factorisations and Newton iterations in cx->cnt. Return 0, or the
 *       ODEON_RUN_* bits (NEWTON, SINGULAR) of a failed attempt: the loop
 *       then halves h (OrdinaryDiffEq's failfactor 2) and counts a
 *       rejection; if h falls below dt_min the run stops with those bits
 *       and DT_MIN. Must not modify y; may keep what it needs in ws.
 *
 *   void odeon_step_accept(odeon_step_ws *ws, odeon_ctx *cx, double t_new,
 *                          const odeon_real *y_new);
 *       The last attempt was accepted (the loop copies y_new into y after
 *       this call): e.g. move the last stage to the FSAL slot.
 *
 *   void odeon_step_dense(const odeon_step_ws *ws, double theta, double h,
 *                         const odeon_real *y_old, const odeon_real *y_new,
 *                         odeon_real *out);
 *       Only if ODEON_METHOD_DENSE: the state at t_old + theta*h,
 *       0 < theta <= 1, of the last accepted step (t_old, y_old) ->
 *       (t_old + h, y_new), after odeon_step_accept was called.
 *
 *   void odeon_step_save(const odeon_step_ws *ws, double *carry,
 *                        long long stride);
 *   void odeon_step_load(odeon_step_ws *ws, const double *carry,
 *                        long long stride);
 *       Write / read everything the family needs to continue exactly after
 *       a launch boundary (FSAL derivative, dense data, Jacobian age, ...)
 *       as ODEON_STEP_CARRY_LEN doubles carry[k*stride]. A solve split into
 *       time windows must be bitwise identical to one window.
 *
 * The loop owns the time, the step size, the step controller, the status
 * bits, the counters of accepted/rejected steps, saving and summaries.
 */
#ifndef ODEON_CORE_FAMILY_H
#define ODEON_CORE_FAMILY_H

#if !defined(ODEON_METHOD_ORDER) || !defined(ODEON_METHOD_ERR_ORDER) ||        \
    !defined(ODEON_METHOD_ADAPTIVE) || !defined(ODEON_METHOD_DENSE) ||         \
    !defined(ODEON_STEP_CARRY_LEN)
#error "method family header incomplete: see family.h for the contract"
#endif

#endif
