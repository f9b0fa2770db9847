/* deriv.c - symbolic differentiation of the expression graph: one forward
 * pass over the nodes (children first), the chain rule at every node, the
 * result simplified by the graph's own constructors. */
#include <math.h>
#include <stdlib.h>

#include "model/expr.h"
#include "model/functions.h"

static int32_t C(odeon__xpool *p, double v) { return odeon__x_const(p, v); }
static int32_t add(odeon__xpool *p, int32_t a, int32_t b) {
  return odeon__x_binary(p, ODEON__X_ADD, a, b);
}
static int32_t sub(odeon__xpool *p, int32_t a, int32_t b) {
  return odeon__x_binary(p, ODEON__X_SUB, a, b);
}
static int32_t mul(odeon__xpool *p, int32_t a, int32_t b) {
  return odeon__x_binary(p, ODEON__X_MUL, a, b);
}
static int32_t dvd(odeon__xpool *p, int32_t a, int32_t b) {
  return odeon__x_binary(p, ODEON__X_DIV, a, b);
}
static int32_t call1(odeon__xpool *p, int fn, int32_t a) {
  int32_t args[1] = {a};
  return odeon__x_call(p, fn, args);
}

/* f'(a) for a one-argument function f at node `self` = f(a). */
static int32_t fn_prime(odeon__xpool *p, int fn, int32_t self, int32_t a,
                        int *no_jacobian) {
  const double ln2 = 0.693147180559945309417, ln10 = 2.30258509299404568402;
  switch ((odeon__fn)fn) {
  case ODEON__FN_EXP:
    return self;
  case ODEON__FN_LOG:
    return dvd(p, C(p, 1.0), a);
  case ODEON__FN_LOG10:
    return dvd(p, C(p, 1.0), mul(p, C(p, ln10), a));
  case ODEON__FN_LOG2:
    return dvd(p, C(p, 1.0), mul(p, C(p, ln2), a));
  case ODEON__FN_LOG1P:
    return dvd(p, C(p, 1.0), add(p, C(p, 1.0), a));
  case ODEON__FN_EXPM1:
    return call1(p, ODEON__FN_EXP, a);
  case ODEON__FN_SQRT:
    return dvd(p, C(p, 0.5), self);
  case ODEON__FN_CBRT:
    return dvd(p, C(p, 1.0), mul(p, C(p, 3.0), mul(p, self, self)));
  case ODEON__FN_ABS:
    return call1(p, ODEON__FN_SIGN, a);
  case ODEON__FN_SIGN:
  case ODEON__FN_FLOOR:
  case ODEON__FN_CEIL:
  case ODEON__FN_TRUNC:
    return C(p, 0.0); /* piecewise constant */
  case ODEON__FN_SIN:
    return call1(p, ODEON__FN_COS, a);
  case ODEON__FN_COS:
    return odeon__x_unary(p, ODEON__X_NEG, call1(p, ODEON__FN_SIN, a));
  case ODEON__FN_TAN:
    return add(p, C(p, 1.0), mul(p, self, self));
  case ODEON__FN_ASIN:
    return dvd(p, C(p, 1.0),
               call1(p, ODEON__FN_SQRT, sub(p, C(p, 1.0), mul(p, a, a))));
  case ODEON__FN_ACOS:
    return dvd(p, C(p, -1.0),
               call1(p, ODEON__FN_SQRT, sub(p, C(p, 1.0), mul(p, a, a))));
  case ODEON__FN_ATAN:
    return dvd(p, C(p, 1.0), add(p, C(p, 1.0), mul(p, a, a)));
  case ODEON__FN_SINH:
    return call1(p, ODEON__FN_COSH, a);
  case ODEON__FN_COSH:
    return call1(p, ODEON__FN_SINH, a);
  case ODEON__FN_TANH:
    return sub(p, C(p, 1.0), mul(p, self, self));
  case ODEON__FN_ASINH:
    return dvd(p, C(p, 1.0),
               call1(p, ODEON__FN_SQRT, add(p, mul(p, a, a), C(p, 1.0))));
  case ODEON__FN_ACOSH:
    return dvd(p, C(p, 1.0),
               call1(p, ODEON__FN_SQRT, sub(p, mul(p, a, a), C(p, 1.0))));
  case ODEON__FN_ATANH:
    return dvd(p, C(p, 1.0), sub(p, C(p, 1.0), mul(p, a, a)));
  case ODEON__FN_ERF:
  case ODEON__FN_ERFC: {
    /* d erf = 2/sqrt(pi) exp(-a^2) */
    int32_t g = mul(
        p,
        C(p, fn == ODEON__FN_ERF ? 1.12837916709551257390
                                 : -1.12837916709551257390),
        call1(p, ODEON__FN_EXP, odeon__x_unary(p, ODEON__X_NEG, mul(p, a, a))));
    return g;
  }
  case ODEON__FN_TGAMMA:
    return mul(p, self, call1(p, ODEON__FN_DIGAMMA, a));
  case ODEON__FN_LGAMMA:
    return call1(p, ODEON__FN_DIGAMMA, a);
  default:
    /* digamma's own derivative (trigamma) is never needed: only first
       derivatives are formed, and users cannot call digamma. */
    *no_jacobian = 1;
    return C(p, 0.0);
  }
}

/* The derivative of a two-argument call f(a, b) given da and db. */
static int32_t fn2_derive(odeon__xpool *p, int fn, int32_t self, int32_t a,
                          int32_t b, int32_t da, int32_t db, int *no_jacobian) {
  switch ((odeon__fn)fn) {
  case ODEON__FN_MIN:
    return odeon__x_if(p, odeon__x_binary(p, ODEON__X_LT, a, b), da, db);
  case ODEON__FN_MAX:
    return odeon__x_if(p, odeon__x_binary(p, ODEON__X_GT, a, b), da, db);
  case ODEON__FN_HYPOT:
    return dvd(p, add(p, mul(p, a, da), mul(p, b, db)), self);
  case ODEON__FN_ATAN2: /* atan2(a, b): (b da - a db) / (a^2 + b^2) */
    return dvd(p, sub(p, mul(p, b, da), mul(p, a, db)),
               add(p, mul(p, a, a), mul(p, b, b)));
  case ODEON__FN_FMOD: /* fmod(a, b) = a - trunc(a/b) b */
    return sub(p, da, mul(p, call1(p, ODEON__FN_TRUNC, dvd(p, a, b)), db));
  default:
    *no_jacobian = 1;
    return C(p, 0.0);
  }
}

int odeon__x_derive(odeon__xpool *p, int32_t limit, odeon__x_seed_fn seed,
                    void *user, int32_t *d, int *no_jacobian) {
  unsigned char *dep = calloc((size_t)limit + 1, 1);
  if (!dep)
    return -1;
  int32_t zero = odeon__x_const(p, 0.0);
  for (int32_t i = 0; i < limit && zero >= 0; i++) {
    odeon__xnode x = p->nodes[i]; /* a copy: constructors may move nodes */
    d[i] = zero;
    if (x.op == ODEON__X_CONST)
      continue;
    if (x.nargs == 0) {
      int32_t s = seed(p, &x, user);
      if (s == -2)
        continue;
      if (s < 0)
        goto nomem;
      d[i] = s;
      dep[i] = (unsigned char)(s != zero);
      continue;
    }
    int any = 0;
    for (int k = 0; k < x.nargs; k++)
      any |= dep[x.a[k]];
    if (!any)
      continue;
    int32_t a = x.a[0], b = x.a[1], c = x.a[2];
    int32_t da = d[a], db = x.nargs > 1 ? d[b] : zero;
    int32_t r;
    switch ((odeon__xop)x.op) {
    case ODEON__X_ADD:
      r = add(p, da, db);
      break;
    case ODEON__X_SUB:
      r = sub(p, da, db);
      break;
    case ODEON__X_NEG:
      r = odeon__x_unary(p, ODEON__X_NEG, da);
      break;
    case ODEON__X_MUL:
      r = add(p, mul(p, da, b), mul(p, a, db));
      break;
    case ODEON__X_DIV: /* (da - (a/b) db) / b, reusing this node as a/b */
      r = dvd(p, sub(p, da, mul(p, i, db)), b);
      break;
    case ODEON__X_POW:
      if (!dep[b]) { /* b a^(b-1) da */
        int32_t e = sub(p, b, C(p, 1.0));
        r = mul(p, mul(p, b, odeon__x_binary(p, ODEON__X_POW, a, e)), da);
      } else { /* a^b (db log a + b da / a) */
        r = mul(p, i,
                add(p, mul(p, db, call1(p, ODEON__FN_LOG, a)),
                    dvd(p, mul(p, b, da), a)));
      }
      break;
    case ODEON__X_CALL:
      if (x.nargs == 1)
        r = mul(p, fn_prime(p, x.fn, i, a, no_jacobian), da);
      else
        r = fn2_derive(p, x.fn, i, a, b, da, db, no_jacobian);
      break;
    case ODEON__X_IF:
      r = odeon__x_if(p, a, d[b], d[c]);
      break;
    default: /* comparisons and logic are piecewise constant */
      r = zero;
      break;
    }
    if (r < 0)
      goto nomem;
    d[i] = r;
    dep[i] = (unsigned char)(r != zero);
  }
  free(dep);
  return zero < 0 ? -1 : 0;
nomem:
  free(dep);
  return -1;
}
