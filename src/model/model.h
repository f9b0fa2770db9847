/* model.h - the inside of odeon_model_t: symbol tables, and either the
 * checked expression graph of a text model (right-hand side, observables,
 * symbolic Jacobian and df/dt) or the C function pointers of a function
 * model. Code generation and the engine read it through this header. */
#ifndef ODEON_MODEL_MODEL_H
#define ODEON_MODEL_MODEL_H

#include <stdint.h>

#include "model/expr.h"
#include "odeon.h"

#define ODEON__SYM_KINDS 5 /* odeon_symbol_kind values */

typedef enum odeon__model_kind {
  ODEON__MODEL_TEXT = 0,     /* parsed from the model language */
  ODEON__MODEL_FUNCTIONS = 1 /* odeon_model_from_functions */
} odeon__model_kind;

struct odeon_model {
  int kind; /* odeon__model_kind */
  char *origin;
  int64_t count[ODEON__SYM_KINDS];
  char **names[ODEON__SYM_KINDS];
  /* defaults of states, parameters and constants (NULL for the others) */
  double *defaults[ODEON__SYM_KINDS];

  /* --- text models --- */
  odeon__xpool pool;
  int32_t *rhs;  /* [n_states] node of dx_i/dt */
  int32_t *obs;  /* [n_observables] */
  int32_t *jac;  /* [n_states * n_states] row-major d f_i / d y_j */
  int32_t *dfdt; /* [n_states] partial f / partial t, drivers by chain rule */
  int has_jacobian;

  /* --- function models --- */
  odeon_rhs_fn rhs_fn;
  odeon_jac_fn jac_fn; /* may be NULL */
  void *user;
};

/* 1 for a model made by odeon_model_from_functions, 0 for a text model. */
int odeon__model_is_functions(const odeon_model_t *m);
/* The function model's pointers (NULL for a text model). */
odeon_rhs_fn odeon__model_rhs_fn(const odeon_model_t *m);
odeon_jac_fn odeon__model_jac_fn(const odeon_model_t *m);
void *odeon__model_user(const odeon_model_t *m);
/* 1 if an exact Jacobian is available (symbolic, or a user jac function). */
int odeon__model_has_jacobian(const odeon_model_t *m);
/* 1 if Jacobian entry (i, j) may be non-zero (always 1 for function models
 * and out-of-range indices are 0): the sparsity structure. */
int odeon__model_jac_nonzero(const odeon_model_t *m, int64_t i, int64_t j);

/* Build a text model's graph from parsed text (model/check.c). Fills every
 * field of a zeroed model except origin; reports every error to diag.
 * Returns ODEON_OK (check diag->count for model errors) or ODEON_E_NOMEM. */
struct odeon__program;
struct odeon__diag;
int odeon__check(const struct odeon__program *prog, struct odeon__diag *diag,
                 odeon_model_t *m);
/* Form the symbolic Jacobian and df/dt of a checked text model. */
int odeon__model_derive(odeon_model_t *m);

/* Parse and check a model from len bytes (need not be NUL-terminated):
 * the common path of odeon_model_from_string/_file and of the fuzzer. */
int odeon__model_from_text(const char *text, size_t len, const char *origin,
                           odeon_model_t **out);

#endif
