/* expr.c - the hash-consed expression graph and its simplifying
 * constructors. */
#include "model/expr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/functions.h"

/* Integer powers up to this size become multiplications (x^n costs at most
 * 2*log2(n) products); larger ones stay calls to pow. */
#define ODEON__POW_UNROLL 64

void odeon__xpool_init(odeon__xpool *p) { memset(p, 0, sizeof *p); }

void odeon__xpool_free(odeon__xpool *p) {
  free(p->nodes);
  free(p->table);
  memset(p, 0, sizeof *p);
}

static uint64_t hash_node(const odeon__xnode *x) {
  uint64_t h = 1469598103934665603ull;
  uint64_t bits;
  memcpy(&bits, &x->value, sizeof bits);
  uint64_t parts[7] = {x->op,
                       x->fn,
                       x->nargs,
                       (uint64_t)x->a[0],
                       (uint64_t)x->a[1],
                       (uint64_t)x->a[2],
                       bits ^ ((uint64_t)(uint32_t)x->index << 17)};
  for (int i = 0; i < 7; i++) {
    h ^= parts[i];
    h *= 1099511628211ull;
    h ^= h >> 29;
  }
  return h;
}

static int same_node(const odeon__xnode *x, const odeon__xnode *y) {
  return x->op == y->op && x->fn == y->fn && x->nargs == y->nargs &&
         x->a[0] == y->a[0] && x->a[1] == y->a[1] && x->a[2] == y->a[2] &&
         x->index == y->index &&
         memcmp(&x->value, &y->value, sizeof x->value) == 0;
}

static int grow_table(odeon__xpool *p) {
  size_t cap = p->tcap ? p->tcap * 2 : 1024;
  int32_t *t = malloc(cap * sizeof *t);
  if (!t)
    return -1;
  for (size_t i = 0; i < cap; i++)
    t[i] = -1;
  for (int32_t i = 0; i < p->n; i++) {
    size_t h = (size_t)hash_node(&p->nodes[i]) & (cap - 1);
    while (t[h] >= 0)
      h = (h + 1) & (cap - 1);
    t[h] = i;
  }
  free(p->table);
  p->table = t;
  p->tcap = cap;
  return 0;
}

/* Find or add a node: the heart of common-subexpression elimination. */
static int32_t intern(odeon__xpool *p, const odeon__xnode *x) {
  if (p->failed)
    return -1;
  if ((size_t)(p->n + 1) * 2 > p->tcap && grow_table(p) != 0) {
    p->failed = 1;
    return -1;
  }
  size_t h = (size_t)hash_node(x) & (p->tcap - 1);
  while (p->table[h] >= 0) {
    if (same_node(&p->nodes[p->table[h]], x))
      return p->table[h];
    h = (h + 1) & (p->tcap - 1);
  }
  if (p->n == p->cap) {
    if (p->cap > INT32_MAX / 4) {
      p->failed = 1;
      return -1;
    }
    int32_t cap = p->cap ? p->cap * 2 : 256;
    odeon__xnode *nn = realloc(p->nodes, (size_t)cap * sizeof *nn);
    if (!nn) {
      p->failed = 1;
      return -1;
    }
    p->nodes = nn;
    p->cap = cap;
  }
  p->nodes[p->n] = *x;
  p->table[h] = p->n;
  return p->n++;
}

static odeon__xnode blank(odeon__xop op) {
  odeon__xnode x;
  memset(&x, 0, sizeof x);
  x.op = (uint8_t)op;
  x.a[0] = x.a[1] = x.a[2] = -1;
  return x;
}

int32_t odeon__x_const(odeon__xpool *p, double v) {
  odeon__xnode x = blank(ODEON__X_CONST);
  x.value = v == 0.0 ? 0.0 : v; /* one zero: -0 and +0 fold together */
  return intern(p, &x);
}

int32_t odeon__x_sym(odeon__xpool *p, odeon__xop op, int32_t index) {
  odeon__xnode x = blank(op);
  x.index = op == ODEON__X_TIME ? 0 : index;
  return intern(p, &x);
}

static int is_const(const odeon__xpool *p, int32_t i) {
  return i >= 0 && p->nodes[i].op == ODEON__X_CONST;
}

int odeon__x_is_const(const odeon__xpool *p, int32_t i, double v) {
  return is_const(p, i) && p->nodes[i].value == v;
}

static double cval(const odeon__xpool *p, int32_t i) {
  return p->nodes[i].value;
}

/* A folded constant must be finite: an inf or NaN cannot be printed as a C
 * literal, so such an expression is kept for run time instead. */
static int32_t fold(odeon__xpool *p, double v, int32_t keep) {
  return isfinite(v) ? odeon__x_const(p, v) : keep;
}

static int32_t make(odeon__xpool *p, odeon__xop op, int nargs, int32_t a,
                    int32_t b, int32_t c, int fn) {
  if (a < 0 || (nargs > 1 && b < 0) || (nargs > 2 && c < 0))
    return -1;
  odeon__xnode x = blank(op);
  x.nargs = (uint8_t)nargs;
  x.fn = (uint8_t)fn;
  x.a[0] = a;
  if (nargs > 1)
    x.a[1] = b;
  if (nargs > 2)
    x.a[2] = c;
  return intern(p, &x);
}

static int32_t pow_int(odeon__xpool *p, int32_t a, long n);

int32_t odeon__x_unary(odeon__xpool *p, odeon__xop op, int32_t a) {
  if (a < 0)
    return -1;
  if (op == ODEON__X_NEG) {
    if (is_const(p, a))
      return odeon__x_const(p, -cval(p, a));
    const odeon__xnode *x = &p->nodes[a];
    if (x->op == ODEON__X_NEG)
      return x->a[0];
    if (x->op == ODEON__X_SUB)
      return odeon__x_binary(p, ODEON__X_SUB, x->a[1], x->a[0]);
    return make(p, op, 1, a, -1, -1, 0);
  }
  /* NOT */
  if (is_const(p, a))
    return odeon__x_const(p, cval(p, a) == 0.0 ? 1.0 : 0.0);
  if (p->nodes[a].op == ODEON__X_NOT) {
    /* not(not(x)) is x != 0, not x itself */
    int32_t z = odeon__x_const(p, 0.0);
    return odeon__x_binary(p, ODEON__X_NE, p->nodes[a].a[0], z);
  }
  return make(p, op, 1, a, -1, -1, 0);
}

static int32_t simplify_add(odeon__xpool *p, int32_t a, int32_t b) {
  if (is_const(p, a) && is_const(p, b))
    return fold(p, cval(p, a) + cval(p, b),
                make(p, ODEON__X_ADD, 2, a, b, -1, 0));
  if (odeon__x_is_const(p, a, 0.0))
    return b;
  if (odeon__x_is_const(p, b, 0.0))
    return a;
  if (a == b)
    return odeon__x_binary(p, ODEON__X_MUL, odeon__x_const(p, 2.0), a);
  if (p->nodes[b].op == ODEON__X_NEG)
    return odeon__x_binary(p, ODEON__X_SUB, a, p->nodes[b].a[0]);
  if (p->nodes[a].op == ODEON__X_NEG)
    return odeon__x_binary(p, ODEON__X_SUB, b, p->nodes[a].a[0]);
  /* addition commutes exactly in IEEE arithmetic: one order, one node */
  return a < b ? make(p, ODEON__X_ADD, 2, a, b, -1, 0)
               : make(p, ODEON__X_ADD, 2, b, a, -1, 0);
}

static int32_t simplify_sub(odeon__xpool *p, int32_t a, int32_t b) {
  if (is_const(p, a) && is_const(p, b))
    return fold(p, cval(p, a) - cval(p, b),
                make(p, ODEON__X_SUB, 2, a, b, -1, 0));
  if (odeon__x_is_const(p, b, 0.0))
    return a;
  if (odeon__x_is_const(p, a, 0.0))
    return odeon__x_unary(p, ODEON__X_NEG, b);
  if (a == b)
    return odeon__x_const(p, 0.0);
  if (p->nodes[b].op == ODEON__X_NEG)
    return odeon__x_binary(p, ODEON__X_ADD, a, p->nodes[b].a[0]);
  if (is_const(p, b) && cval(p, b) < 0) /* x - (-c) is exactly x + c */
    return odeon__x_binary(p, ODEON__X_ADD, a, odeon__x_const(p, -cval(p, b)));
  return make(p, ODEON__X_SUB, 2, a, b, -1, 0);
}

static int32_t simplify_mul(odeon__xpool *p, int32_t a, int32_t b) {
  if (is_const(p, a) && is_const(p, b))
    return fold(p, cval(p, a) * cval(p, b),
                make(p, ODEON__X_MUL, 2, a, b, -1, 0));
  if (is_const(p, b)) { /* constant first */
    int32_t s = a;
    a = b;
    b = s;
  }
  if (is_const(p, a)) {
    double c = cval(p, a);
    if (c == 0.0)
      return a;
    if (c == 1.0)
      return b;
    if (c == -1.0)
      return odeon__x_unary(p, ODEON__X_NEG, b);
    /* b's fields copied: a new constant may move the pool's nodes (the
       model fuzzer found the read through a pointer after one) */
    const odeon__xop y_op = (odeon__xop)p->nodes[b].op;
    const int32_t y0 = p->nodes[b].a[0], y1 = p->nodes[b].a[1];
    /* c1 * (c2 * x) -> (c1*c2) * x */
    if (y_op == ODEON__X_MUL && is_const(p, y0) && isfinite(c * cval(p, y0))) {
      const int32_t k = odeon__x_const(p, c * cval(p, y0));
      return odeon__x_binary(p, ODEON__X_MUL, k, y1);
    }
    if (y_op == ODEON__X_NEG) {
      const int32_t k = odeon__x_const(p, -c);
      return odeon__x_binary(p, ODEON__X_MUL, k, y0);
    }
    return make(p, ODEON__X_MUL, 2, a, b, -1, 0);
  }
  if (p->nodes[a].op == ODEON__X_NEG)
    return odeon__x_unary(
        p, ODEON__X_NEG, odeon__x_binary(p, ODEON__X_MUL, p->nodes[a].a[0], b));
  if (p->nodes[b].op == ODEON__X_NEG)
    return odeon__x_unary(
        p, ODEON__X_NEG, odeon__x_binary(p, ODEON__X_MUL, a, p->nodes[b].a[0]));
  return a < b ? make(p, ODEON__X_MUL, 2, a, b, -1, 0)
               : make(p, ODEON__X_MUL, 2, b, a, -1, 0);
}

static int32_t simplify_div(odeon__xpool *p, int32_t a, int32_t b) {
  if (is_const(p, a) && is_const(p, b))
    return fold(p, cval(p, a) / cval(p, b),
                make(p, ODEON__X_DIV, 2, a, b, -1, 0));
  if (odeon__x_is_const(p, b, 1.0))
    return a;
  if (odeon__x_is_const(p, b, -1.0))
    return odeon__x_unary(p, ODEON__X_NEG, a);
  if (odeon__x_is_const(p, a, 0.0) && !is_const(p, b))
    return a;
  if (a == b)
    return odeon__x_const(p, 1.0);
  if (p->nodes[a].op == ODEON__X_NEG)
    return odeon__x_unary(
        p, ODEON__X_NEG, odeon__x_binary(p, ODEON__X_DIV, p->nodes[a].a[0], b));
  if (p->nodes[b].op == ODEON__X_NEG)
    return odeon__x_unary(
        p, ODEON__X_NEG, odeon__x_binary(p, ODEON__X_DIV, a, p->nodes[b].a[0]));
  return make(p, ODEON__X_DIV, 2, a, b, -1, 0);
}

/* a^n for an integer n by repeated squaring; the squares are shared nodes. */
static int32_t pow_int(odeon__xpool *p, int32_t a, long n) {
  if (n < 0)
    return odeon__x_binary(p, ODEON__X_DIV, odeon__x_const(p, 1.0),
                           pow_int(p, a, -n));
  int32_t result = odeon__x_const(p, 1.0);
  int32_t sq = a;
  while (n > 0 && result >= 0) {
    if (n & 1)
      result = odeon__x_binary(p, ODEON__X_MUL, result, sq);
    n >>= 1;
    if (n)
      sq = odeon__x_binary(p, ODEON__X_MUL, sq, sq);
  }
  return result;
}

static int32_t simplify_pow(odeon__xpool *p, int32_t a, int32_t b) {
  if (is_const(p, a) && is_const(p, b))
    return fold(p, pow(cval(p, a), cval(p, b)),
                make(p, ODEON__X_POW, 2, a, b, -1, 0));
  if (is_const(p, b)) {
    double e = cval(p, b);
    if (e == 0.0 || odeon__x_is_const(p, a, 1.0))
      return odeon__x_const(p, 1.0);
    if (e == floor(e) && fabs(e) <= ODEON__POW_UNROLL)
      return pow_int(p, a, (long)e);
    double h = e - 0.5; /* half powers: x^(k+1/2) = x^k * sqrt(x) */
    if (h == floor(h) && fabs(h) <= ODEON__POW_UNROLL) {
      int32_t arg[1] = {a};
      int32_t s = odeon__x_call(p, ODEON__FN_SQRT, arg);
      long k = (long)h;
      if (k >= 0)
        return odeon__x_binary(p, ODEON__X_MUL, pow_int(p, a, k), s);
      /* x^(-k-1/2) = 1 / (x^(k) * sqrt(x)) with k = -h-1 */
      return odeon__x_binary(
          p, ODEON__X_DIV, odeon__x_const(p, 1.0),
          odeon__x_binary(p, ODEON__X_MUL, pow_int(p, a, -k - 1), s));
    }
  }
  return make(p, ODEON__X_POW, 2, a, b, -1, 0);
}

static int32_t simplify_cmp(odeon__xpool *p, odeon__xop op, int32_t a,
                            int32_t b) {
  if (is_const(p, a) && is_const(p, b)) {
    double x = cval(p, a), y = cval(p, b);
    int r = op == ODEON__X_LT   ? x < y
            : op == ODEON__X_LE ? x <= y
            : op == ODEON__X_GT ? x > y
            : op == ODEON__X_GE ? x >= y
            : op == ODEON__X_EQ ? x == y
                                : x != y;
    return odeon__x_const(p, r ? 1.0 : 0.0);
  }
  return make(p, op, 2, a, b, -1, 0);
}

static int32_t simplify_logic(odeon__xpool *p, odeon__xop op, int32_t a,
                              int32_t b) {
  int ca = is_const(p, a), cb = is_const(p, b);
  if (ca && cb) {
    int x = cval(p, a) != 0.0, y = cval(p, b) != 0.0;
    return odeon__x_const(p, (op == ODEON__X_AND ? (x && y) : (x || y)) ? 1.0
                                                                        : 0.0);
  }
  /* a false operand decides AND, a true one decides OR */
  if ((ca && op == ODEON__X_AND && cval(p, a) == 0.0) ||
      (cb && op == ODEON__X_AND && cval(p, b) == 0.0))
    return odeon__x_const(p, 0.0);
  if ((ca && op == ODEON__X_OR && cval(p, a) != 0.0) ||
      (cb && op == ODEON__X_OR && cval(p, b) != 0.0))
    return odeon__x_const(p, 1.0);
  return make(p, op, 2, a, b, -1, 0);
}

int32_t odeon__x_binary(odeon__xpool *p, odeon__xop op, int32_t a, int32_t b) {
  if (a < 0 || b < 0)
    return -1;
  switch (op) {
  case ODEON__X_ADD:
    return simplify_add(p, a, b);
  case ODEON__X_SUB:
    return simplify_sub(p, a, b);
  case ODEON__X_MUL:
    return simplify_mul(p, a, b);
  case ODEON__X_DIV:
    return simplify_div(p, a, b);
  case ODEON__X_POW:
    return simplify_pow(p, a, b);
  case ODEON__X_LT:
  case ODEON__X_LE:
  case ODEON__X_GT:
  case ODEON__X_GE:
  case ODEON__X_EQ:
  case ODEON__X_NE:
    return simplify_cmp(p, op, a, b);
  case ODEON__X_AND:
  case ODEON__X_OR:
    return simplify_logic(p, op, a, b);
  default:
    return -1;
  }
}

int32_t odeon__x_if(odeon__xpool *p, int32_t c, int32_t a, int32_t b) {
  if (c < 0 || a < 0 || b < 0)
    return -1;
  if (is_const(p, c))
    return cval(p, c) != 0.0 ? a : b;
  if (a == b)
    return a;
  return make(p, ODEON__X_IF, 3, c, a, b, 0);
}

int32_t odeon__x_call(odeon__xpool *p, int fn, const int32_t *args) {
  int n = odeon__fn_table[fn].arity;
  double v[2] = {0, 0};
  int all_const = 1;
  for (int i = 0; i < n; i++) {
    if (args[i] < 0)
      return -1;
    if (!is_const(p, args[i]))
      all_const = 0;
    else
      v[i] = cval(p, args[i]);
  }
  int32_t node =
      make(p, ODEON__X_CALL, n, args[0], n > 1 ? args[1] : -1, -1, fn);
  if (all_const)
    return fold(p, odeon__fn_eval(fn, v), node);
  return node;
}
