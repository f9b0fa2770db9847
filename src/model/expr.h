/* expr.h - the model's expression graph: hash-consed nodes (identical
 * subexpressions are one node, which is common-subexpression elimination for
 * free) built by constructors that simplify as they go.
 *
 * Nodes live in one growable array and are referred to by index. A node's
 * children always have smaller indices than the node, so walking indices
 * upwards visits every child before its parents: derivatives and code
 * generation are plain loops, never recursion, whatever the model's depth.
 * Every constructor returns -1 (and sets pool->failed) when memory runs out,
 * and returns -1 whenever one of its arguments is -1, so a failure travels up
 * without checks at every step. */
#ifndef ODEON_MODEL_EXPR_H
#define ODEON_MODEL_EXPR_H

#include <stddef.h>
#include <stdint.h>

typedef enum odeon__xop {
  ODEON__X_CONST = 0, /* value */
  ODEON__X_TIME,      /* t */
  ODEON__X_STATE,     /* y[index] */
  ODEON__X_PARAM,     /* p[index] */
  ODEON__X_DRIVER,    /* drv[2*index] */
  ODEON__X_DRIVER_DT, /* drv[2*index+1]: the driver's time derivative */
  ODEON__X_ADD,
  ODEON__X_SUB,
  ODEON__X_MUL,
  ODEON__X_DIV,
  ODEON__X_NEG,
  ODEON__X_POW,
  ODEON__X_CALL, /* fn, args */
  ODEON__X_LT,
  ODEON__X_LE,
  ODEON__X_GT,
  ODEON__X_GE,
  ODEON__X_EQ,
  ODEON__X_NE,
  ODEON__X_AND,
  ODEON__X_OR,
  ODEON__X_NOT,
  ODEON__X_IF, /* cond, then, else */
  ODEON__X_COUNT
} odeon__xop;

typedef struct odeon__xnode {
  uint8_t op;    /* odeon__xop */
  uint8_t fn;    /* odeon__fn for CALL */
  uint8_t nargs; /* children used in a[] */
  int32_t a[3];  /* children (smaller indices) */
  int32_t index; /* symbol index for STATE/PARAM/DRIVER/DRIVER_DT */
  double value;  /* CONST */
} odeon__xnode;

typedef struct odeon__xpool {
  odeon__xnode *nodes;
  int32_t n, cap;
  int32_t *table; /* open-addressing hash of node indices, -1 = empty */
  size_t tcap;
  int failed; /* an allocation failed: every later constructor returns -1 */
} odeon__xpool;

void odeon__xpool_init(odeon__xpool *p);
void odeon__xpool_free(odeon__xpool *p);

/* Leaves. */
int32_t odeon__x_const(odeon__xpool *p, double v);
int32_t odeon__x_sym(odeon__xpool *p, odeon__xop op, int32_t index);

/* Operators; each simplifies (constant folding, x+0, x*1, x^2 -> x*x, ...). */
int32_t odeon__x_unary(odeon__xpool *p, odeon__xop op, int32_t a);
int32_t odeon__x_binary(odeon__xpool *p, odeon__xop op, int32_t a, int32_t b);
int32_t odeon__x_if(odeon__xpool *p, int32_t c, int32_t a, int32_t b);
int32_t odeon__x_call(odeon__xpool *p, int fn, const int32_t *args);

/* 1 if node i is the constant v. */
int odeon__x_is_const(const odeon__xpool *p, int32_t i, double v);

/* Derivatives of every node below `limit` with respect to a linear
 * combination of leaves: seed(leaf) returns the leaf's derivative node, or
 * -2 for zero. On return d[i] holds the derivative of node i (nodes that do
 * not depend on any seeded leaf get the zero constant). `d` must hold
 * `limit` entries. Sets *no_jacobian when a derivative cannot be formed.
 * Returns 0, or -1 when memory ran out. */
typedef int32_t (*odeon__x_seed_fn)(odeon__xpool *p, const odeon__xnode *leaf,
                                    void *user);
int odeon__x_derive(odeon__xpool *p, int32_t limit, odeon__x_seed_fn seed,
                    void *user, int32_t *d, int *no_jacobian);

#endif
