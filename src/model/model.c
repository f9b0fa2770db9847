/* model.c - the public model API: building a model from text, a file or C
 * functions, and querying its symbols. */
#include "model/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ast.h"
#include "model/diag.h"
#include "util/error.h"

/* Files larger than this are not model files (and would only exhaust
 * memory). */
#define ODEON__MODEL_MAX_BYTES ((size_t)64 << 20)

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

void odeon_model_destroy(odeon_model_t *m) {
  if (!m)
    return;
  for (int k = 0; k < ODEON__SYM_KINDS; k++) {
    if (m->names[k])
      for (int64_t i = 0; i < m->count[k]; i++)
        free(m->names[k][i]);
    free(m->names[k]);
    free(m->defaults[k]);
  }
  odeon__xpool_free(&m->pool);
  free(m->rhs);
  free(m->obs);
  free(m->jac);
  free(m->dfdt);
  free(m->origin);
  free(m);
}

int odeon__model_from_text(const char *text, size_t len, const char *origin,
                           odeon_model_t **out) {
  *out = NULL;
  /* a private NUL-terminated copy: the lexer may then use C string calls,
     and callers may pass bytes that are not a C string (the fuzzer) */
  char *copy = malloc(len + 1);
  odeon_model_t *m = calloc(1, sizeof *m);
  char *org = dup_str(origin ? origin : "<string>");
  if (!copy || !m || !org) {
    free(copy);
    free(m);
    free(org);
    return odeon__error(ODEON_E_NOMEM, "model: out of memory");
  }
  memcpy(copy, text, len);
  copy[len] = '\0';
  m->kind = ODEON__MODEL_TEXT;
  m->origin = org;
  odeon__xpool_init(&m->pool);

  odeon__diag diag;
  odeon__diag_init(&diag, org, copy, len);
  odeon__program prog;
  int rc = odeon__parse(copy, len, &diag, &prog);
  /* semantic checks only on a syntactically clean model: on a broken one
     they would mostly repeat the syntax errors in other words */
  if (rc == ODEON_OK && diag.count == 0)
    rc = odeon__check(&prog, &diag, m);
  if (rc == ODEON_OK)
    rc = odeon__diag_finish(&diag);
  if (rc == ODEON_OK)
    rc = odeon__model_derive(m);
  odeon__program_free(&prog);
  odeon__diag_free(&diag);
  free(copy);
  if (rc != ODEON_OK) {
    odeon_model_destroy(m);
    return rc;
  }
  *out = m;
  return ODEON_OK;
}

int odeon_model_from_string(const char *text, const char *origin,
                            odeon_model_t **out) {
  ODEON__CHECK_ARG(out != NULL, "odeon_model_from_string", "out is NULL");
  *out = NULL;
  ODEON__CHECK_ARG(text != NULL, "odeon_model_from_string", "text is NULL");
  return odeon__model_from_text(text, strlen(text), origin, out);
}

int odeon_model_from_file(const char *path, odeon_model_t **out) {
  ODEON__CHECK_ARG(out != NULL, "odeon_model_from_file", "out is NULL");
  *out = NULL;
  ODEON__CHECK_ARG(path != NULL, "odeon_model_from_file", "path is NULL");
  FILE *f = fopen(path, "rb");
  if (!f)
    return odeon__error(ODEON_E_IO, "model file '%s': cannot open: %s", path,
                        strerror(errno));
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int rc = ODEON_OK;
  for (;;) {
    if (len == cap) {
      if (cap >= ODEON__MODEL_MAX_BYTES) {
        rc = odeon__error(ODEON_E_IO,
                          "model file '%s': larger than %zu MiB; not a "
                          "model file?",
                          path, ODEON__MODEL_MAX_BYTES >> 20);
        break;
      }
      cap = cap ? cap * 2 : 4096;
      char *nb = realloc(buf, cap);
      if (!nb) {
        rc =
            odeon__error(ODEON_E_NOMEM, "model file '%s': out of memory", path);
        break;
      }
      buf = nb;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f))
        rc = odeon__error(ODEON_E_IO, "model file '%s': read error", path);
      break;
    }
  }
  fclose(f);
  if (rc == ODEON_OK)
    rc = odeon__model_from_text(buf ? buf : "", len, path, out);
  free(buf);
  return rc;
}

static int check_kind(const odeon_model_t *m, int kind, const char *fn) {
  if (!m)
    return odeon__error(ODEON_E_INVAL, "%s: model is NULL", fn);
  if (kind < 0 || kind >= ODEON__SYM_KINDS)
    return odeon__error(ODEON_E_INVAL,
                        "%s: symbol kind %d is not one of ODEON_SYM_*", fn,
                        kind);
  return ODEON_OK;
}

int64_t odeon_model_count(const odeon_model_t *m, odeon_symbol_kind kind) {
  int rc = check_kind(m, (int)kind, "odeon_model_count");
  return rc != ODEON_OK ? rc : m->count[kind];
}

static const char *kind_name(int kind) {
  static const char *names[] = {"state", "parameter", "constant", "observable",
                                "driver"};
  return names[kind];
}

const char *odeon_model_name(const odeon_model_t *m, odeon_symbol_kind kind,
                             int64_t i) {
  if (check_kind(m, (int)kind, "odeon_model_name") != ODEON_OK)
    return NULL;
  if (i < 0 || i >= m->count[kind]) {
    odeon__error(ODEON_E_RANGE,
                 "odeon_model_name: %s index %lld out of range [0, %lld)",
                 kind_name(kind), (long long)i, (long long)m->count[kind]);
    return NULL;
  }
  return m->names[kind][i];
}

int64_t odeon_model_index(const odeon_model_t *m, odeon_symbol_kind kind,
                          const char *name) {
  if (check_kind(m, (int)kind, "odeon_model_index") != ODEON_OK || !name)
    return -1;
  for (int64_t i = 0; i < m->count[kind]; i++)
    if (strcmp(m->names[kind][i], name) == 0)
      return i;
  return -1;
}

int odeon_model_default(const odeon_model_t *m, odeon_symbol_kind kind,
                        int64_t i, double *value) {
  int rc = check_kind(m, (int)kind, "odeon_model_default");
  if (rc != ODEON_OK)
    return rc;
  ODEON__CHECK_ARG(value != NULL, "odeon_model_default", "value is NULL");
  if (!m->defaults[kind])
    return odeon__error(ODEON_E_INVAL,
                        "odeon_model_default: %ss have no default value",
                        kind_name(kind));
  if (i < 0 || i >= m->count[kind])
    return odeon__error(
        ODEON_E_RANGE,
        "odeon_model_default: %s index %lld out of range [0, %lld)",
        kind_name(kind), (long long)i, (long long)m->count[kind]);
  *value = m->defaults[kind][i];
  return ODEON_OK;
}

/* Copy n names (or make "y0".."yN" when names is NULL) and defaults. */
static int fill_symbols(odeon_model_t *m, int kind, int64_t n,
                        const char *const *names, const double *defaults,
                        const char *prefix) {
  m->count[kind] = n;
  m->names[kind] = calloc((size_t)(n ? n : 1), sizeof(char *));
  m->defaults[kind] = calloc((size_t)(n ? n : 1), sizeof(double));
  if (!m->names[kind] || !m->defaults[kind])
    return odeon__error(ODEON_E_NOMEM, "odeon_model_from_functions: out of "
                                       "memory");
  for (int64_t i = 0; i < n; i++) {
    char tmp[32];
    const char *s = names ? names[i] : NULL;
    if (names && !s)
      return odeon__error(ODEON_E_INVAL,
                          "odeon_model_from_functions: %s name %lld is NULL",
                          kind_name(kind), (long long)i);
    if (!s) {
      snprintf(tmp, sizeof tmp, "%s%lld", prefix, (long long)i);
      s = tmp;
    }
    for (int64_t j = 0; j < i; j++)
      if (strcmp(m->names[kind][j], s) == 0)
        return odeon__error(ODEON_E_INVAL,
                            "odeon_model_from_functions: duplicate %s name "
                            "'%s' (indices %lld and %lld)",
                            kind_name(kind), s, (long long)j, (long long)i);
    if (!(m->names[kind][i] = dup_str(s)))
      return odeon__error(ODEON_E_NOMEM, "odeon_model_from_functions: out of "
                                         "memory");
    m->defaults[kind][i] = defaults ? defaults[i] : 0.0;
  }
  return ODEON_OK;
}

int odeon_model_from_functions(int64_t n_states, const char *const *state_names,
                               const double *y0_default, int64_t n_params,
                               const char *const *param_names,
                               const double *p_default, odeon_rhs_fn rhs,
                               odeon_jac_fn jac, void *user,
                               odeon_model_t **out) {
  const char *fn = "odeon_model_from_functions";
  ODEON__CHECK_ARG(out != NULL, "odeon_model_from_functions", "out is NULL");
  *out = NULL;
  if (n_states < 1 || n_states > (int64_t)1 << 24)
    return odeon__error(ODEON_E_INVAL,
                        "%s: n_states must be in [1, 2^24], "
                        "got %lld",
                        fn, (long long)n_states);
  if (n_params < 0 || n_params > (int64_t)1 << 24)
    return odeon__error(ODEON_E_INVAL,
                        "%s: n_params must be in [0, 2^24], "
                        "got %lld",
                        fn, (long long)n_params);
  ODEON__CHECK_ARG(rhs != NULL, "odeon_model_from_functions", "rhs is NULL");
  odeon_model_t *m = calloc(1, sizeof *m);
  if (!m)
    return odeon__error(ODEON_E_NOMEM, "%s: out of memory", fn);
  m->kind = ODEON__MODEL_FUNCTIONS;
  m->rhs_fn = rhs;
  m->jac_fn = jac;
  m->user = user;
  m->has_jacobian = jac != NULL;
  int rc = (m->origin = dup_str("<functions>")) ? ODEON_OK
                                                : odeon__error(ODEON_E_NOMEM,
                                                               "%s: out of "
                                                               "memory",
                                                               fn);
  if (rc == ODEON_OK)
    rc = fill_symbols(m, ODEON_SYM_STATE, n_states, state_names, y0_default,
                      "y");
  if (rc == ODEON_OK)
    rc = fill_symbols(m, ODEON_SYM_PARAMETER, n_params, param_names, p_default,
                      "p");
  if (rc == ODEON_OK)
    rc = fill_symbols(m, ODEON_SYM_CONSTANT, 0, NULL, NULL, "c");
  if (rc != ODEON_OK) {
    odeon_model_destroy(m);
    return rc;
  }
  *out = m;
  return ODEON_OK;
}

int odeon__model_is_functions(const odeon_model_t *m) {
  return m && m->kind == ODEON__MODEL_FUNCTIONS;
}
odeon_rhs_fn odeon__model_rhs_fn(const odeon_model_t *m) {
  return odeon__model_is_functions(m) ? m->rhs_fn : NULL;
}
odeon_jac_fn odeon__model_jac_fn(const odeon_model_t *m) {
  return odeon__model_is_functions(m) ? m->jac_fn : NULL;
}
void *odeon__model_user(const odeon_model_t *m) {
  return odeon__model_is_functions(m) ? m->user : NULL;
}
int odeon__model_has_jacobian(const odeon_model_t *m) {
  return m && m->has_jacobian;
}

int odeon__model_jac_nonzero(const odeon_model_t *m, int64_t i, int64_t j) {
  int64_t n = m ? m->count[ODEON_SYM_STATE] : 0;
  if (i < 0 || j < 0 || i >= n || j >= n)
    return 0;
  if (m->kind == ODEON__MODEL_FUNCTIONS || !m->jac)
    return 1;
  return !odeon__x_is_const(&m->pool, m->jac[i * n + j], 0.0);
}
