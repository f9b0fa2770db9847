/* codegen.h - printing a model's system functions as C or CUDA C source.
 *
 * odeon__codegen_system appends text that is compiled after src/core/real.h
 * (odeon_real, ODEON_HD, ODEON_R) and defines exactly:
 *   ODEON_SYS_N_STATES, ODEON_SYS_N_PARAMS, ODEON_SYS_N_OBSERVABLES,
 *   ODEON_SYS_N_DRIVERS, ODEON_SYS_HAS_JACOBIAN (1, or 0 if not formed),
 *   ODEON_HD static inline void odeon_sys_rhs(odeon_real t,
 *       const odeon_real *y, const odeon_real *p, const odeon_real *drv,
 *       odeon_real *dy);
 *   ODEON_HD static inline void odeon_sys_jac(odeon_real t,
 *       const odeon_real *y, const odeon_real *p, const odeon_real *drv,
 *       odeon_real *jac, odeon_real *dfdt);
 *       jac is row-major n*n, jac[i*n+j] = d f_i / d y_j, every entry
 *       written (zeros as literals up to 32 states; beyond, a loop clears
 *       the matrix and only the structural non-zeros follow);
 *       dfdt[i] = partial f_i / partial t, drivers by chain rule.
 *   ODEON_HD static inline void odeon_sys_obs(odeon_real t,
 *       const odeon_real *y, const odeon_real *p, const odeon_real *drv,
 *       odeon_real *obs);
 * drv holds 2*n_drivers values: drv[2k] is driver k at t, drv[2k+1] its time
 * derivative (pass NULL when the model has no drivers). Constants are folded
 * to literals, common subexpressions are computed once per function, and the
 * only names emitted are y, p, drv, t, the outputs and locals a_<n>, so user
 * symbols never collide with anything. Single precision calls the float
 * functions (expf, ...) through ODEON_SYS_* macros chosen by
 * ODEON_REAL_IS_FLOAT. */
#ifndef ODEON_CODEGEN_CODEGEN_H
#define ODEON_CODEGEN_CODEGEN_H

#include "odeon.h"
#include "util/strbuf.h"

typedef enum odeon__lang {
  ODEON__LANG_C = 0,
  ODEON__LANG_CUDA = 1
} odeon__lang;

/* Append the model's system functions in `lang` to `out`. A model made from
 * C functions has no source: ODEON_E_INVAL. */
int odeon__codegen_system(const odeon_model_t *model, odeon__lang lang,
                          odeon__strbuf *out);

#endif
