/* system_user.c - prints the system functions of a model made from C
 * function pointers: the generated kernel reaches the user's rhs/jac
 * through a thread-local pointer that odeon_kernel_cpu sets from the
 * kernel argument user_system (so one cached kernel serves every such model
 * of the same shape, and concurrent solves do not share state). */
#include "codegen/system_user.h"

#include "model/model.h"

int odeon__codegen_user_system(const odeon_model_t *m, odeon__lang lang,
                               odeon__strbuf *out) {
  if (!m || !out)
    return odeon__error(ODEON_E_INVAL, "codegen: model or buffer is NULL");
  if (lang != ODEON__LANG_C)
    return odeon__error(ODEON_E_UNSUPPORTED,
                        "a model made from C function pointers runs on the "
                        "CPU backend only (use --backend cpu)");
  long long n = (long long)odeon_model_count(m, ODEON_SYM_STATE);
  long long np = (long long)odeon_model_count(m, ODEON_SYM_PARAMETER);
  int has_jac = odeon__model_jac_fn(m) != NULL;
  odeon__strbuf_printf(
      out,
      "/* system functions of a model from C function pointers */\n"
      "#define ODEON_USER_SYSTEM 1\n"
      "#define ODEON_SYS_N_STATES %lld\n"
      "#define ODEON_SYS_N_PARAMS %lld\n"
      "#define ODEON_SYS_N_OBSERVABLES 0\n"
      "#define ODEON_SYS_N_DRIVERS 0\n"
      "#define ODEON_SYS_HAS_JACOBIAN %d\n"
      "typedef void (*odeon_user_fn)(double, const double *, const double *,\n"
      "                              double *, void *);\n"
      "typedef struct odeon_user_system {\n"
      "  odeon_user_fn rhs, jac;\n"
      "  void *user;\n"
      "} odeon_user_system;\n"
      "static _Thread_local const odeon_user_system "
      "*odeon_user_system_current;\n"
      "static inline void odeon_user_in(const odeon_real *y,\n"
      "    const odeon_real *p, double *yd, double *pd) {\n"
      "  for (int i = 0; i < %lld; i++) yd[i] = (double)y[i];\n"
      "  for (int i = 0; i < %lld; i++) pd[i] = (double)p[i];\n"
      "}\n"
      "static inline void odeon_sys_rhs(odeon_real t, const odeon_real *y,\n"
      "    const odeon_real *p, const odeon_real *drv, odeon_real *dy) {\n"
      "  double yd[%lld], pd[%lld], out[%lld];\n"
      "  (void)drv;\n"
      "  odeon_user_in(y, p, yd, pd);\n"
      "  odeon_user_system_current->rhs((double)t, yd, pd, out,\n"
      "                                 odeon_user_system_current->user);\n"
      "  for (int i = 0; i < %lld; i++) dy[i] = (odeon_real)out[i];\n"
      "}\n",
      n, np, has_jac, n, np, n, np + 1, n, n);
  /* The Jacobian from the user's function; df/dt (only Rosenbrock methods
     use it) by a forward difference, since the user gives no t-derivative. */
  odeon__strbuf_printf(
      out,
      "static inline void odeon_sys_jac(odeon_real t, const odeon_real *y,\n"
      "    const odeon_real *p, const odeon_real *drv, odeon_real *jac,\n"
      "    odeon_real *dfdt) {\n"
      "  double yd[%lld], pd[%lld], j[%lld], f0[%lld], f1[%lld];\n"
      "  const odeon_user_system *u = odeon_user_system_current;\n"
      "  (void)drv;\n"
      "  odeon_user_in(y, p, yd, pd);\n"
      "  for (int i = 0; i < %lld; i++) j[i] = 0.0;\n"
      "  if (u->jac) u->jac((double)t, yd, pd, j, u->user);\n"
      "  for (int i = 0; i < %lld; i++) jac[i] = (odeon_real)j[i];\n"
      "  double td = (double)t, h = 1.4901161193847656e-08 *\n"
      "      (td < 0 ? (td < -1 ? -td : 1) : (td > 1 ? td : 1));\n"
      "  u->rhs(td, yd, pd, f0, u->user);\n"
      "  u->rhs(td + h, yd, pd, f1, u->user);\n"
      "  for (int i = 0; i < %lld; i++)\n"
      "    dfdt[i] = (odeon_real)((f1[i] - f0[i]) / h);\n"
      "}\n"
      "static inline void odeon_sys_obs(odeon_real t, const odeon_real *y,\n"
      "    const odeon_real *p, const odeon_real *drv, odeon_real *obs) {\n"
      "  (void)t; (void)y; (void)p; (void)drv; (void)obs;\n"
      "}\n",
      n, np + 1, n * n, n, n, n * n, n * n, n);
  return odeon__strbuf_ok(out);
}
