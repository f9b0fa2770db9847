/* grid_model.c - odeon_grid_create: a grid over a model's states and
 * parameters, with the model's defaults (kept apart from grid.c so the grid
 * logic builds and tests without the model library). */
#include <stdlib.h>

#include "engine/grid.h"
#include "util/error.h"

int odeon_grid_create(const odeon_model_t *model, odeon_grid_t **out) {
  ODEON__CHECK_ARG(out, "odeon_grid_create", "out is NULL");
  *out = NULL;
  ODEON__CHECK_ARG(model, "odeon_grid_create", "model is NULL");
  int64_t ns = odeon_model_count(model, ODEON_SYM_STATE);
  int64_t np = odeon_model_count(model, ODEON_SYM_PARAMETER);
  if (ns < 0 || np < 0)
    return odeon__error_context(ns < 0 ? (int)ns : (int)np,
                                "odeon_grid_create: ");
  int64_t nv = ns + np;
  const char **names = calloc((size_t)(nv ? nv : 1), sizeof *names);
  double *defs = calloc((size_t)(nv ? nv : 1), sizeof *defs);
  int st = names && defs ? ODEON_OK
                         : odeon__error(ODEON_E_NOMEM,
                                        "odeon_grid_create: out of memory");
  for (int64_t i = 0; !st && i < nv; i++) {
    odeon_symbol_kind kind = i < ns ? ODEON_SYM_STATE : ODEON_SYM_PARAMETER;
    int64_t k = i < ns ? i : i - ns;
    names[i] = odeon_model_name(model, kind, k);
    st = names[i] ? odeon_model_default(model, kind, k, &defs[i])
                  : odeon__error_context(
                        ODEON_E_INTERNAL,
                        "odeon_grid_create: symbol %lld: ", (long long)i);
  }
  if (!st)
    st = odeon__grid_create_vars(ns, names, defs, np, names + ns, defs + ns,
                                 out);
  free(names);
  free(defs);
  return st;
}
