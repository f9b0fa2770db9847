/* model_so.h - test helper: print a model's system functions, compile them
 * with the system C compiler into a shared object and load it with dlopen,
 * the real path (no interpreter stands in for the generated code). The
 * loaded wrappers take doubles and convert to the build's precision. */
#ifndef ODEON_TEST_MODEL_SO_H
#define ODEON_TEST_MODEL_SO_H

#include "odeon.h"

typedef void (*model_so_fn)(double t, const double *y, const double *p,
                            const double *drv, double *out, double *out2);

typedef struct model_so {
  void *handle;
  model_so_fn rhs; /* out = dy */
  model_so_fn jac; /* out = jac (n*n), out2 = dfdt (n) */
  model_so_fn obs; /* out = obs */
  long long n_states, n_params, n_obs, n_drivers, has_jacobian;
} model_so;

/* Generate, compile (float when is_float) and load. 0 on success; on
 * failure prints the compiler's output and returns -1. */
int model_so_build(const odeon_model_t *m, int is_float, model_so *out);
void model_so_close(model_so *so);

/* Write the generated C source (with real.h included) for model m into a
 * malloc'd string, or NULL. */
char *model_so_source(const odeon_model_t *m, int is_float);

#endif
