/* system_user.h - system functions for a model made from C function
 * pointers (odeon_model_from_functions): trampolines that convert to double,
 * call the user's functions and convert back; CPU backend only. */
#ifndef ODEON_CODEGEN_SYSTEM_USER_H
#define ODEON_CODEGEN_SYSTEM_USER_H

#include "codegen/codegen.h"
#include "odeon.h"
#include "util/strbuf.h"

/* What the kernel's user_system argument points to (the same layout is
 * printed into the generated source). */
typedef struct odeon__user_system {
  odeon_rhs_fn rhs;
  odeon_jac_fn jac; /* may be NULL */
  void *user;
} odeon__user_system;

/* Append the trampolines for a function model. ODEON_E_UNSUPPORTED for
 * ODEON__LANG_CUDA: a host function pointer cannot run on the GPU. */
int odeon__codegen_user_system(const odeon_model_t *m, odeon__lang lang,
                               odeon__strbuf *out);

#endif
