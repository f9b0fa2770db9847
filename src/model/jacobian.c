/* jacobian.c - forms a text model's exact Jacobian df/dy and df/dt (time
 * and drivers by the chain rule) from its expression graph. */
#include <stdlib.h>

#include "model/model.h"
#include "util/error.h"

#define ODEON__JAC_MAX_STATES 4096

typedef struct seed_state {
  int32_t var; /* the state index differentiated by, or -1 for time */
} seed_state;

/* d(leaf)/d(y_j): 1 for y_j, zero for everything else. */
static int32_t seed_y(odeon__xpool *p, const odeon__xnode *leaf, void *user) {
  const seed_state *s = user;
  if (leaf->op == ODEON__X_STATE && leaf->index == s->var)
    return odeon__x_const(p, 1.0);
  return -2;
}

/* d(leaf)/dt with the states held fixed: t' = 1, a driver's derivative is
 * its sampled time derivative (drv[2k+1]). */
static int32_t seed_t(odeon__xpool *p, const odeon__xnode *leaf, void *user) {
  (void)user;
  if (leaf->op == ODEON__X_TIME)
    return odeon__x_const(p, 1.0);
  if (leaf->op == ODEON__X_DRIVER)
    return odeon__x_sym(p, ODEON__X_DRIVER_DT, leaf->index);
  return -2;
}

int odeon__model_derive(odeon_model_t *m) {
  int64_t n = m->count[ODEON_SYM_STATE];
  /* A dense n*n Jacobian per run is useless (and its table huge) for very
     large systems: no implicit method will be offered for them. */
  if (n > ODEON__JAC_MAX_STATES) {
    m->has_jacobian = 0;
    return ODEON_OK;
  }
  int32_t limit = m->pool.n;
  m->jac = malloc((size_t)(n * n + 1) * sizeof *m->jac);
  m->dfdt = malloc((size_t)(n + 1) * sizeof *m->dfdt);
  int32_t *d = malloc(((size_t)limit + 1) * sizeof *d);
  int no_jacobian = 0;
  int rc = (m->jac && m->dfdt && d) ? 0 : -1;
  for (int64_t j = 0; j < n && rc == 0; j++) {
    seed_state s = {(int32_t)j};
    rc = odeon__x_derive(&m->pool, limit, seed_y, &s, d, &no_jacobian);
    for (int64_t i = 0; i < n && rc == 0; i++)
      m->jac[i * n + j] = d[m->rhs[i]];
  }
  if (rc == 0) {
    seed_state s = {-1};
    rc = odeon__x_derive(&m->pool, limit, seed_t, &s, d, &no_jacobian);
    for (int64_t i = 0; i < n && rc == 0; i++)
      m->dfdt[i] = d[m->rhs[i]];
  }
  free(d);
  if (rc != 0 || m->pool.failed)
    return odeon__error(ODEON_E_NOMEM,
                        "model: out of memory forming the Jacobian");
  m->has_jacobian = !no_jacobian;
  return ODEON_OK;
}
