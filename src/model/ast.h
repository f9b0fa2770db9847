/* ast.h - the syntax tree of a model file as the parser leaves it: sections,
 * assignments and derivative equations, each expression with the source
 * positions that error messages point at. Names are not resolved yet (the
 * checker does that, building the expression graph of expr.h). */
#ifndef ODEON_MODEL_AST_H
#define ODEON_MODEL_AST_H

#include <stddef.h>

#include "model/diag.h"

typedef enum odeon__pkind {
  ODEON__P_NUM = 0, /* value */
  ODEON__P_NAME,    /* name */
  ODEON__P_UNARY,   /* op (ODEON__X_NEG or _NOT), args[0] */
  ODEON__P_BINARY,  /* op (an odeon__xop), args[0..1] */
  ODEON__P_CALL     /* name(args...) */
} odeon__pkind;

typedef struct odeon__pnode {
  int kind; /* odeon__pkind */
  int op;
  double value;
  const char *name; /* points into the model text; not NUL-terminated */
  size_t name_len;
  odeon__pos pos; /* the operator, number, name or call name */
  int nargs;
  struct odeon__pnode **args;
} odeon__pnode;

typedef enum odeon__skind {
  ODEON__S_DECL = 0, /* an item of a section: name [= expr] */
  ODEON__S_ASSIGN,   /* name = expr (an auxiliary, or dX = ... ) */
  ODEON__S_DERIV     /* x' = expr or d(x)/dt = expr */
} odeon__skind;

typedef struct odeon__stmt {
  int kind;    /* odeon__skind */
  int section; /* odeon_symbol_kind of a DECL */
  const char *name;
  size_t name_len;
  odeon__pos pos;     /* of the name */
  odeon__pnode *expr; /* NULL for a DECL without value */
} odeon__stmt;

/* Memory for the tree: blocks freed all at once. */
typedef struct odeon__arena {
  struct odeon__arena_block *head;
  int failed;
} odeon__arena;

void *odeon__arena_alloc(odeon__arena *a, size_t bytes);
void odeon__arena_free(odeon__arena *a);

typedef struct odeon__program {
  odeon__arena arena;
  odeon__stmt *stmts;
  size_t n_stmts, cap_stmts;
} odeon__program;

/* Parse text (len bytes, NUL-terminated at text[len]) into prog; every
 * syntax error goes to diag. Returns ODEON_OK or ODEON_E_NOMEM; syntax
 * errors are counted in diag, not returned. */
int odeon__parse(const char *text, size_t len, odeon__diag *diag,
                 odeon__program *prog);
void odeon__program_free(odeon__program *prog);

/* Nesting deeper than this is a syntax error (it bounds every recursion
 * over the tree). */
#define ODEON__MAX_DEPTH 200

#endif
