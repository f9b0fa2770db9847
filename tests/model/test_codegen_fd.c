/* test_codegen_fd.c - generated code against independent references: many
 * random models (random expressions over states, parameters, constants,
 * drivers, time, auxiliaries and observables) are printed as model text,
 * compiled through the real path (codegen -> cc -> dlopen) in float64 and
 * float32, and checked at random points: the right-hand side and the
 * observables against this file's own evaluator of the random trees, the
 * Jacobian and df/dt against central finite differences of the compiled
 * right-hand side. */
#include <math.h>

#include "model_so.h"
#include "test_util.h"

#define NS 8   /* states per random model */
#define NP 3   /* parameters */
#define NK 2   /* constants */
#define ND 2   /* drivers */
#define NA 3   /* auxiliaries */
#define NO 2   /* observables */
#define NPTS 3 /* evaluation points per model */
#define NMODELS 6

/* ------------------------------------------------------ random trees */

enum {
  G_NUM,
  G_STATE,
  G_PARAM,
  G_CONST,
  G_DRIVER,
  G_TIME,
  G_AUX, /* leaves */
  G_ADD,
  G_SUB,
  G_MUL,
  G_DIV,
  G_NEG,
  G_POWI,
  G_POWH,
  G_POWR,
  G_FN1,
  G_FN2,
  G_IF,
  G_LOGIC
};

static const char *fn1_names[] = {
    "exp",    "log",   "log10", "log2",  "log1p", "expm1", "sqrt", "cbrt",
    "abs",    "sin",   "cos",   "tan",   "asin",  "acos",  "atan", "sinh",
    "cosh",   "tanh",  "asinh", "acosh", "atanh", "erf",   "erfc", "tgamma",
    "lgamma", "floor", "ceil",  "sign",  "trunc"};
#define N_FN1 ((int)(sizeof fn1_names / sizeof fn1_names[0]))
static const char *fn2_names[] = {"min",   "max",  "hypot",
                                  "atan2", "fmod", "pow"};
#define N_FN2 ((int)(sizeof fn2_names / sizeof fn2_names[0]))

typedef struct gx {
  int op, which; /* which leaf / function / comparison */
  double c;      /* number, or exponent */
  struct gx *a, *b, *d;
} gx;

static unsigned long long rng_state;
static double urand(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}
static int irand(int n) { return (int)(urand() * n) % n; }

static gx *gnew(int op) {
  gx *x = calloc(1, sizeof *x);
  assert_non_null(x);
  x->op = op;
  return x;
}

static void gfree(gx *x) {
  if (!x)
    return;
  gfree(x->a);
  gfree(x->b);
  gfree(x->d);
  free(x);
}

/* A random expression; n_aux auxiliaries may be referenced. */
static gx *gen(int depth, int n_aux) {
  if (depth <= 0 || urand() < 0.25) {
    int k = irand(n_aux > 0 ? 7 : 6);
    gx *x = gnew(G_NUM + k);
    switch (x->op) {
    case G_NUM:
      x->c = round((urand() * 4.0 - 2.0) * 1000.0) / 1000.0 + 0.0005;
      /* 4 decimals: printed "%.4f" and "%.6e" give the same double */
      break;
    case G_STATE:
      x->which = irand(NS);
      break;
    case G_PARAM:
      x->which = irand(NP);
      break;
    case G_CONST:
      x->which = irand(NK);
      break;
    case G_DRIVER:
      x->which = irand(ND);
      break;
    case G_AUX:
      x->which = irand(n_aux);
      break;
    default:
      break;
    }
    return x;
  }
  int op = G_ADD + irand(G_LOGIC - G_ADD + 1);
  gx *x = gnew(op);
  switch (op) {
  case G_NEG:
    x->a = gen(depth - 1, n_aux);
    break;
  case G_POWI:
    x->a = gen(depth - 1, n_aux);
    x->c = (double)(irand(7) - 3); /* -3 .. 3 */
    break;
  case G_POWH:
    x->a = gen(depth - 1, n_aux);
    x->c = (double)(irand(4) - 2) + 0.5; /* -1.5 .. 1.5 */
    break;
  case G_POWR:
    x->a = gen(depth - 1, n_aux);
    x->b = gen(depth - 2, n_aux);
    break;
  case G_FN1:
    x->which = irand(N_FN1);
    x->a = gen(depth - 1, n_aux);
    break;
  case G_FN2:
    x->which = irand(N_FN2);
    x->a = gen(depth - 1, n_aux);
    x->b = gen(depth - 1, n_aux);
    break;
  case G_IF: /* if(a <op> b, d1, d2): comparison 0..5 */
    x->which = irand(6);
    x->a = gen(depth - 2, n_aux);
    x->b = gen(depth - 2, n_aux);
    x->d = gnew(G_ADD); /* holder of the two branches */
    x->d->a = gen(depth - 1, n_aux);
    x->d->b = gen(depth - 1, n_aux);
    break;
  case G_LOGIC: /* (a > 0.3) and/or/not (b < 0.7) times an expression */
    x->which = irand(3);
    x->a = gen(depth - 2, n_aux);
    x->b = gen(depth - 2, n_aux);
    x->d = gen(depth - 1, n_aux);
    break;
  default:
    x->a = gen(depth - 1, n_aux);
    x->b = gen(depth - 1, n_aux);
    break;
  }
  return x;
}

/* ------------------------------------------------------ the evaluator */

typedef struct env {
  double t, y[NS], p[NP], k[NK], drv[2 * ND], aux[NA];
  double mag; /* largest magnitude met: the scale of rounding errors */
  int bad;    /* near a singularity, a kink or a domain edge */
} env;

static void near(env *e, int cond) {
  if (cond)
    e->bad = 1;
}

static double dist_int(double v) { return fabs(v - round(v)); }

static double eval(const gx *x, env *e);

static double eval_fn1(int which, double a, env *e) {
  const char *f = fn1_names[which];
  if (!strcmp(f, "exp")) {
    near(e, a > 8);
    return exp(a);
  }
  if (!strcmp(f, "log")) {
    near(e, a < 0.1);
    return log(a);
  }
  if (!strcmp(f, "log10")) {
    near(e, a < 0.1);
    return log10(a);
  }
  if (!strcmp(f, "log2")) {
    near(e, a < 0.1);
    return log2(a);
  }
  if (!strcmp(f, "log1p")) {
    near(e, a < -0.9);
    return log1p(a);
  }
  if (!strcmp(f, "expm1")) {
    near(e, a > 8);
    return expm1(a);
  }
  if (!strcmp(f, "sqrt")) {
    near(e, a < 0.05);
    return sqrt(a);
  }
  if (!strcmp(f, "cbrt")) {
    near(e, fabs(a) < 0.05);
    return cbrt(a);
  }
  if (!strcmp(f, "abs")) {
    near(e, fabs(a) < 0.05);
    return fabs(a);
  }
  if (!strcmp(f, "sin"))
    return sin(a);
  if (!strcmp(f, "cos"))
    return cos(a);
  if (!strcmp(f, "tan")) {
    near(e, fabs(cos(a)) < 0.15);
    return tan(a);
  }
  if (!strcmp(f, "asin")) {
    near(e, fabs(a) > 0.9);
    return asin(a);
  }
  if (!strcmp(f, "acos")) {
    near(e, fabs(a) > 0.9);
    return acos(a);
  }
  if (!strcmp(f, "atan"))
    return atan(a);
  if (!strcmp(f, "sinh")) {
    near(e, fabs(a) > 8);
    return sinh(a);
  }
  if (!strcmp(f, "cosh")) {
    near(e, fabs(a) > 8);
    return cosh(a);
  }
  if (!strcmp(f, "tanh"))
    return tanh(a);
  if (!strcmp(f, "asinh"))
    return asinh(a);
  if (!strcmp(f, "acosh")) {
    near(e, a < 1.1);
    return acosh(a);
  }
  if (!strcmp(f, "atanh")) {
    near(e, fabs(a) > 0.9);
    return atanh(a);
  }
  if (!strcmp(f, "erf"))
    return erf(a);
  if (!strcmp(f, "erfc"))
    return erfc(a);
  if (!strcmp(f, "tgamma")) {
    near(e, a < 0.2 || a > 12);
    return tgamma(a);
  }
  if (!strcmp(f, "lgamma")) {
    near(e, a < 0.2 || a > 50);
    return lgamma(a);
  }
  if (!strcmp(f, "floor")) {
    near(e, dist_int(a) < 0.05);
    return floor(a);
  }
  if (!strcmp(f, "ceil")) {
    near(e, dist_int(a) < 0.05);
    return ceil(a);
  }
  if (!strcmp(f, "trunc")) {
    near(e, dist_int(a) < 0.05);
    return trunc(a);
  }
  /* sign */
  near(e, fabs(a) < 0.05);
  return a > 0 ? 1.0 : a < 0 ? -1.0 : 0.0;
}

static double eval_fn2(int which, double a, double b, env *e) {
  switch (which) {
  case 0:
    near(e, fabs(a - b) < 0.05);
    return fmin(a, b);
  case 1:
    near(e, fabs(a - b) < 0.05);
    return fmax(a, b);
  case 2:
    near(e, fabs(a) + fabs(b) < 0.1);
    return hypot(a, b);
  case 3:
    near(e, a * a + b * b < 0.04);
    return atan2(a, b);
  case 4:
    near(e, fabs(b) < 0.2 || dist_int(a / b) < 0.05 || fabs(a / b) > 1e3);
    return fmod(a, b);
  default:
    near(e, a < 0.1 || fabs(b) > 4);
    return pow(a, b);
  }
}

static int compare(int which, double a, double b, env *e) {
  near(e, fabs(a - b) < 0.05);
  switch (which) {
  case 0:
    return a < b;
  case 1:
    return a <= b;
  case 2:
    return a > b;
  case 3:
    return a >= b;
  case 4:
    return a != b; /* == and != are tested away from equality */
  default:
    return !(a != b);
  }
}

static double eval(const gx *x, env *e) {
  double v = 0, a, b;
  switch (x->op) {
  case G_NUM:
    v = x->c;
    break;
  case G_STATE:
    v = e->y[x->which];
    break;
  case G_PARAM:
    v = e->p[x->which];
    break;
  case G_CONST:
    v = e->k[x->which];
    break;
  case G_DRIVER:
    v = e->drv[2 * x->which];
    break;
  case G_TIME:
    v = e->t;
    break;
  case G_AUX:
    v = e->aux[x->which];
    break;
  case G_ADD:
    v = eval(x->a, e) + eval(x->b, e);
    break;
  case G_SUB:
    v = eval(x->a, e) - eval(x->b, e);
    break;
  case G_MUL:
    v = eval(x->a, e) * eval(x->b, e);
    break;
  case G_DIV:
    a = eval(x->a, e);
    b = eval(x->b, e);
    near(e, fabs(b) < 0.1);
    v = a / b;
    break;
  case G_NEG:
    v = -eval(x->a, e);
    break;
  case G_POWI:
  case G_POWH:
    a = eval(x->a, e);
    near(e, (x->c < 0 && fabs(a) < 0.1) || (x->op == G_POWH && a < 0.05));
    v = pow(a, x->c);
    break;
  case G_POWR:
    a = eval(x->a, e);
    b = eval(x->b, e);
    near(e, a < 0.1 || fabs(b) > 4);
    v = pow(a, b);
    break;
  case G_FN1:
    v = eval_fn1(x->which, eval(x->a, e), e);
    break;
  case G_FN2:
    a = eval(x->a, e);
    b = eval(x->b, e);
    v = eval_fn2(x->which, a, b, e);
    break;
  case G_IF: {
    a = eval(x->a, e);
    b = eval(x->b, e);
    int c = compare(x->which, a, b, e);
    double t1 = eval(x->d->a, e), t2 = eval(x->d->b, e);
    v = c ? t1 : t2;
    break;
  }
  case G_LOGIC: {
    a = eval(x->a, e);
    b = eval(x->b, e);
    near(e, fabs(a - 0.3) < 0.05 || fabs(b - 0.7) < 0.05);
    int p = a > 0.3, q = b < 0.7;
    int r = x->which == 0 ? (p && q) : x->which == 1 ? (p || q) : !p;
    v = r * eval(x->d, e);
    break;
  }
  }
  if (!isfinite(v) || fabs(v) > 1e4)
    e->bad = 1;
  if (fabs(v) > e->mag)
    e->mag = fabs(v);
  return v;
}

/* -------------------------------------------------------- printing */

static void put(char **s, size_t *n, size_t *cap, const char *fmt, ...) {
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    int k = vsnprintf(*s + *n, *cap - *n, fmt, ap);
    va_end(ap);
    if ((size_t)k < *cap - *n) {
      *n += (size_t)k;
      return;
    }
    *cap = *cap * 2 + (size_t)k;
    *s = realloc(*s, *cap);
    assert_non_null(*s);
  }
}

static const char *cmp_text[] = {"<", "<=", ">", ">=", "!=", "=="};

/* Print in one of the language's spellings, chosen at random, fully
 * parenthesised (precedence has its own tests). */
static void print(const gx *x, char **s, size_t *n, size_t *cap) {
  static const char *leaf[] = {"", "y", "p", "k", "u", "t", "a"};
  switch (x->op) {
  case G_NUM: /* exact in both spellings: c has 4 decimals */
    put(s, n, cap, x->c < 0 ? "(" : "");
    put(s, n, cap, urand() < 0.3 ? "%.6e" : "%.4f", x->c);
    put(s, n, cap, x->c < 0 ? ")" : "");
    return;
  case G_TIME:
    put(s, n, cap, "t");
    return;
  case G_STATE:
  case G_PARAM:
  case G_CONST:
  case G_DRIVER:
  case G_AUX:
    put(s, n, cap, "%s%d", leaf[x->op], x->which);
    return;
  case G_NEG:
    put(s, n, cap, "(-");
    print(x->a, s, n, cap);
    put(s, n, cap, ")");
    return;
  case G_POWI:
  case G_POWH: {
    const char *form = urand() < 0.5 ? "^" : "**";
    put(s, n, cap, "(");
    print(x->a, s, n, cap);
    put(s, n, cap, ")%s(%g)", form, x->c);
    return;
  }
  case G_POWR:
    if (urand() < 0.5) {
      put(s, n, cap, "pow(");
      print(x->a, s, n, cap);
      put(s, n, cap, ", ");
      print(x->b, s, n, cap);
      put(s, n, cap, ")");
    } else {
      put(s, n, cap, "(");
      print(x->a, s, n, cap);
      put(s, n, cap, urand() < 0.5 ? ")^(" : ")**(");
      print(x->b, s, n, cap);
      put(s, n, cap, ")");
    }
    return;
  default:
    break;
  }
  if (x->op >= G_ADD && x->op <= G_DIV) {
    static const char ops[] = "+-*/";
    put(s, n, cap, "(");
    print(x->a, s, n, cap);
    put(s, n, cap, " %c ", ops[x->op - G_ADD]);
    print(x->b, s, n, cap);
    put(s, n, cap, ")");
  } else if (x->op == G_FN1) {
    put(s, n, cap, "%s(", fn1_names[x->which]);
    print(x->a, s, n, cap);
    put(s, n, cap, ")");
  } else if (x->op == G_FN2) {
    put(s, n, cap, "%s(", fn2_names[x->which]);
    print(x->a, s, n, cap);
    put(s, n, cap, ", ");
    print(x->b, s, n, cap);
    put(s, n, cap, ")");
  } else if (x->op == G_IF) {
    put(s, n, cap, "if(");
    print(x->a, s, n, cap);
    put(s, n, cap, " %s ", cmp_text[x->which]);
    print(x->b, s, n, cap);
    put(s, n, cap, ", ");
    print(x->d->a, s, n, cap);
    put(s, n, cap, ", ");
    print(x->d->b, s, n, cap);
    put(s, n, cap, ")");
  } else if (x->op == G_LOGIC) {
    int words = urand() < 0.5;
    put(s, n, cap, "((");
    if (x->which == 2)
      put(s, n, cap, words ? "not " : "!");
    put(s, n, cap, "(");
    print(x->a, s, n, cap);
    put(s, n, cap, " > 0.3)");
    if (x->which != 2) {
      put(s, n, cap,
          x->which == 0 ? (words ? " and " : " && ")
                        : (words ? " or " : " || "));
      put(s, n, cap, "(");
      print(x->b, s, n, cap);
      put(s, n, cap, " < 0.7)");
    }
    put(s, n, cap, ") * ");
    print(x->d, s, n, cap);
    put(s, n, cap, ")");
  }
}

/* ------------------------------------------------------ random models */

typedef struct rmodel {
  gx *aux[NA], *obs[NO], *rhs[NS];
  env pts[NPTS]; /* the points, aux values filled in */
  double mag_aux;
  char *text;
} rmodel;

/* c*y_k + x: an argument that certainly depends on a state, so that the
 * forced function's derivative shows in the Jacobian. */
static gx *with_state(gx *x) {
  gx *c = gnew(G_NUM), *y = gnew(G_STATE), *m = gnew(G_MUL), *s = gnew(G_ADD);
  c->c = round((urand() - 0.5) * 2000.0) / 1000.0 + 0.0005;
  y->which = irand(NS);
  m->a = c;
  m->b = y;
  s->a = m;
  s->b = x;
  return s;
}

/* Draw expressions until one is well away from every singularity and kink
 * at all points (so finite differences are meaningful there). The top node
 * can be forced to an operator and a function, to cover every one. */
static gx *draw(rmodel *m, int n_aux, int force_op, int force_which,
                double *mag) {
  *mag = 0; /* set on every path: fail_msg below returns */
  for (int attempt = 0; attempt < 20000; attempt++) {
    gx *x;
    if (force_op < 0) {
      x = gen(4, n_aux);
    } else {
      x = gnew(force_op);
      x->which = force_which;
      x->a = with_state(gen(1, n_aux));
      if (force_op == G_FN2)
        x->b = gen(2, n_aux);
      if (force_op == G_IF || force_op == G_LOGIC) {
        x->b = gen(1, n_aux);
        x->d = force_op == G_IF ? gnew(G_ADD) : gen(2, n_aux);
        if (force_op == G_IF) {
          x->d->a = gen(2, n_aux);
          x->d->b = gen(2, n_aux);
        }
      }
    }
    int ok = 1;
    double mg = 0;
    for (int k = 0; k < NPTS && ok; k++) {
      env *e = &m->pts[k];
      e->mag = 0;
      e->bad = 0;
      eval(x, e);
      ok = !e->bad;
      if (e->mag > mg)
        mg = e->mag;
    }
    if (ok) {
      *mag = mg;
      return x;
    }
    gfree(x);
  }
  fail_msg("could not draw a well-conditioned expression");
  return NULL;
}

static void random_points(rmodel *m) {
  double k[NK];
  for (int i = 0; i < NK; i++)
    k[i] =
        round((0.4 + 2.0 * urand()) * 1000) / 1000 * (urand() < 0.3 ? -1 : 1);
  for (int q = 0; q < NPTS; q++) {
    env *e = &m->pts[q];
    memset(e, 0, sizeof *e);
    e->t = 0.3 + 2.1 * urand();
    for (int i = 0; i < NS; i++)
      e->y[i] = (0.4 + 2.0 * urand()) * (urand() < 0.3 ? -1 : 1);
    for (int i = 0; i < NP; i++)
      e->p[i] = (0.4 + 2.0 * urand()) * (urand() < 0.3 ? -1 : 1);
    for (int i = 0; i < NK; i++)
      e->k[i] = k[i];
    for (int i = 0; i < 2 * ND; i++)
      e->drv[i] = (0.4 + 2.0 * urand()) * (urand() < 0.3 ? -1 : 1);
  }
}

/* force: -1 random; else the operator for all rhs, with which = base + i */
static void make_model(rmodel *m, int force_op, int force_base) {
  memset(m, 0, sizeof *m);
  random_points(m);
  for (int a = 0; a < NA; a++) {
    double mg;
    m->aux[a] = draw(m, a, -1, 0, &mg);
    for (int q = 0; q < NPTS; q++)
      m->pts[q].aux[a] = eval(m->aux[a], &m->pts[q]);
    if (mg > m->mag_aux)
      m->mag_aux = mg;
  }
  double mg;
  for (int o = 0; o < NO; o++)
    m->obs[o] = draw(m, NA, -1, 0, &mg);
  for (int i = 0; i < NS; i++) {
    int which = force_base + i;
    int op = force_op;
    if (op == G_FN1 && which >= N_FN1)
      op = -1;
    if (op == G_FN2 && which >= N_FN2)
      op = which % 2 ? G_IF : G_LOGIC, which = which % 6 % 3;
    m->rhs[i] = draw(m, NA, op, which, &mg);
  }
  /* the text: sections, then the equations (auxiliaries last in some
     models, which the checker must order by itself) */
  char *s = malloc(1024);
  size_t n = 0, cap = 1024;
  s[0] = '\0';
  put(&s, &n, &cap, "# random model\nstates: ");
  for (int i = 0; i < NS; i++)
    put(&s, &n, &cap, "%sy%d = %.3f", i ? ", " : "", i, 0.25 * i + 0.385);
  put(&s, &n, &cap, "\nparameters:\n");
  for (int i = 0; i < NP; i++)
    put(&s, &n, &cap, "    p%d = %.1f\n", i, 1.5 + i);
  put(&s, &n, &cap, "constants: ");
  for (int i = 0; i < NK; i++)
    put(&s, &n, &cap, "%sk%d = %.3f", i ? ",\n    " : "", i, m->pts[0].k[i]);
  put(&s, &n, &cap, "\ndrivers: u0, u1\nobservables: ");
  for (int o = 0; o < NO; o++) {
    put(&s, &n, &cap, "%so%d = ", o ? ", " : "", o);
    print(m->obs[o], &s, &n, &cap);
  }
  put(&s, &n, &cap, "\n");
  int aux_last = urand() < 0.5;
  for (int pass = 0; pass < 2; pass++) {
    if (pass == aux_last)
      for (int a = NA - 1; a >= 0; a--) {
        put(&s, &n, &cap, "a%d = ", a);
        print(m->aux[a], &s, &n, &cap);
        put(&s, &n, &cap, "\n");
      }
    else
      for (int i = 0; i < NS; i++) {
        put(&s, &n, &cap, "dy%d = ", i);
        print(m->rhs[i], &s, &n, &cap);
        put(&s, &n, &cap, "\n");
      }
  }
  m->text = s;
}

static void free_model(rmodel *m) {
  for (int i = 0; i < NA; i++)
    gfree(m->aux[i]);
  for (int i = 0; i < NO; i++)
    gfree(m->obs[i]);
  for (int i = 0; i < NS; i++)
    gfree(m->rhs[i]);
  free(m->text);
}

/* ------------------------------------------------------------ checks */

static int checked_fd, skipped_fd;

static void fail_at(const rmodel *m, const char *what, int q, int i, int j,
                    double got, double want, double tol) {
  print_error("%s mismatch at point %d, entry (%d,%d): got %.17g want %.17g "
              "(tol %.3g)\nmodel:\n%s\n",
              what, q, i, j, got, want, tol, m->text);
  fail();
}

static void check_point(const rmodel *m, const model_so *d, const model_so *f,
                        int q) {
  const env *e = &m->pts[q];
  double y[NS], dy[NS], dyf[NS], ob[NO], obf[NO];
  double J[NS * NS], Jf[NS * NS], dt[NS], dtf[NS], fp[NS], fm[NS];
  memcpy(y, e->y, sizeof y);
  d->rhs(e->t, y, e->p, e->drv, dy, NULL);
  f->rhs(e->t, y, e->p, e->drv, dyf, NULL);
  d->obs(e->t, y, e->p, e->drv, ob, NULL);
  f->obs(e->t, y, e->p, e->drv, obf, NULL);
  d->jac(e->t, y, e->p, e->drv, J, dt);
  f->jac(e->t, y, e->p, e->drv, Jf, dtf);
  double mag[NS];
  for (int i = 0; i < NS; i++) {
    env x = *e;
    x.mag = m->mag_aux;
    double ref = eval(m->rhs[i], &x);
    mag[i] = x.mag;
    double tol = 1e-9 * (1 + mag[i]);
    if (!(fabs(dy[i] - ref) <= tol))
      fail_at(m, "rhs float64", q, i, -1, dy[i], ref, tol);
    tol = 1e-3 * (1 + mag[i]);
    if (!(fabs(dyf[i] - ref) <= tol))
      fail_at(m, "rhs float32", q, i, -1, dyf[i], ref, tol);
  }
  for (int o = 0; o < NO; o++) {
    env x = *e;
    x.mag = m->mag_aux;
    double ref = eval(m->obs[o], &x);
    if (!(fabs(ob[o] - ref) <= 1e-9 * (1 + x.mag)))
      fail_at(m, "observable float64", q, o, -1, ob[o], ref, 1e-9);
    if (!(fabs(obf[o] - ref) <= 1e-3 * (1 + x.mag)))
      fail_at(m, "observable float32", q, o, -1, obf[o], ref, 1e-3);
  }
  /* Jacobian columns by central differences of the compiled rhs */
  for (int j = 0; j < NS; j++) {
    double h = 1e-6 * (1 + fabs(y[j]));
    y[j] = e->y[j] + h;
    d->rhs(e->t, y, e->p, e->drv, fp, NULL);
    y[j] = e->y[j] - h;
    d->rhs(e->t, y, e->p, e->drv, fm, NULL);
    y[j] = e->y[j];
    for (int i = 0; i < NS; i++) {
      double fd = (fp[i] - fm[i]) / (2 * h);
      double tol = 1e-5 * (1 + mag[i]);
      if (!(fabs(J[i * NS + j] - fd) <= tol))
        fail_at(m, "jacobian float64 vs finite differences", q, i, j,
                J[i * NS + j], fd, tol);
      tol = 1e-3 * (1 + fabs(J[i * NS + j]) + mag[i]);
      if (!(fabs(Jf[i * NS + j] - J[i * NS + j]) <= tol))
        fail_at(m, "jacobian float32 vs float64", q, i, j, Jf[i * NS + j],
                J[i * NS + j], tol);
    }
    /* float32 finite differences need a larger step; where the float64
       difference at that step is not already close to the exact value
       (curvature), the step is too coarse to judge and is skipped */
    double H = 3e-3 * (1 + fabs(y[j]));
    double gp[NS], gm[NS], gpf[NS], gmf[NS];
    y[j] = e->y[j] + H;
    d->rhs(e->t, y, e->p, e->drv, gp, NULL);
    f->rhs(e->t, y, e->p, e->drv, gpf, NULL);
    y[j] = e->y[j] - H;
    d->rhs(e->t, y, e->p, e->drv, gm, NULL);
    f->rhs(e->t, y, e->p, e->drv, gmf, NULL);
    y[j] = e->y[j];
    for (int i = 0; i < NS; i++) {
      double fdd = (gp[i] - gm[i]) / (2 * H);
      double scale = 1 + fabs(J[i * NS + j]) + mag[i];
      if (fabs(fdd - J[i * NS + j]) > 1e-3 * scale) {
        skipped_fd++;
        continue;
      }
      double fdf = (gpf[i] - gmf[i]) / (2 * H);
      double tol = 2e-2 * scale;
      if (!(fabs(Jf[i * NS + j] - fdf) <= tol))
        fail_at(m, "jacobian float32 vs float32 finite differences", q, i, j,
                Jf[i * NS + j], fdf, tol);
      checked_fd++;
    }
  }
  /* df/dt: time and drivers move together (drv[2k] + h drv[2k+1]) */
  double h = 1e-6, dp[2 * ND], dm[2 * ND];
  for (int k = 0; k < ND; k++) {
    dp[2 * k] = e->drv[2 * k] + h * e->drv[2 * k + 1];
    dm[2 * k] = e->drv[2 * k] - h * e->drv[2 * k + 1];
    dp[2 * k + 1] = dm[2 * k + 1] = e->drv[2 * k + 1];
  }
  d->rhs(e->t + h, y, e->p, dp, fp, NULL);
  d->rhs(e->t - h, y, e->p, dm, fm, NULL);
  for (int i = 0; i < NS; i++) {
    double fd = (fp[i] - fm[i]) / (2 * h);
    double tol = 1e-5 * (1 + mag[i]);
    if (!(fabs(dt[i] - fd) <= tol))
      fail_at(m, "df/dt float64 vs finite differences", q, i, -1, dt[i], fd,
              tol);
    tol = 1e-3 * (1 + fabs(dt[i]) + mag[i]);
    if (!(fabs(dtf[i] - dt[i]) <= tol))
      fail_at(m, "df/dt float32 vs float64", q, i, -1, dtf[i], dt[i], tol);
  }
}

static void run_model(int force_op, int force_base) {
  rmodel m;
  make_model(&m, force_op, force_base);
  odeon_model_t *om = NULL;
  int rc = odeon_model_from_string(m.text, "random.ode", &om);
  if (rc != ODEON_OK)
    print_error("model:\n%s\nerror: %s\n", m.text, odeon_last_error());
  assert_int_equal(rc, ODEON_OK);
  assert_int_equal(odeon_model_count(om, ODEON_SYM_STATE), NS);
  assert_int_equal(odeon_model_count(om, ODEON_SYM_DRIVER), ND);
  model_so d, f;
  assert_int_equal(model_so_build(om, 0, &d), 0);
  assert_int_equal(model_so_build(om, 1, &f), 0);
  assert_int_equal(d.n_states, NS);
  assert_int_equal(d.n_params, NP);
  assert_int_equal(d.n_obs, NO);
  assert_int_equal(d.n_drivers, ND);
  assert_int_equal(d.has_jacobian, 1);
  for (int q = 0; q < NPTS; q++)
    check_point(&m, &d, &f, q);
  model_so_close(&d);
  model_so_close(&f);
  odeon_model_destroy(om);
  free_model(&m);
}

static void random_models(void **state) {
  (void)state;
  rng_state = 2385;
  for (int k = 0; k < NMODELS; k++)
    run_model(-1, 0);
}

/* Every function and operator at the top of some right-hand side. */
static void every_function(void **state) {
  (void)state;
  rng_state = 7311;
  for (int base = 0; base < N_FN1; base += NS)
    run_model(G_FN1, base);
  run_model(G_FN2, 0); /* 6 functions, then if() and logic */
  assert_true(checked_fd > 100);
  print_message("float32 finite differences: %d checked, %d skipped as "
                "too coarse\n",
                checked_fd, skipped_fd);
}

/* The example models: compiled Jacobian and df/dt against central finite
 * differences near their default state (nudged off exact zeros). */
static void example_jacobians(void **state) {
  (void)state;
  const char *names[] = {"lorenz", "hodgkin_huxley", "robertson",
                         "brusselator"};
  for (int e = 0; e < 4; e++) {
    char path[512];
    snprintf(path, sizeof path, "%s/examples/%s.ode", ODEON_SOURCE_DIR,
             names[e]);
    odeon_model_t *m = NULL;
    assert_ok(odeon_model_from_file(path, &m));
    model_so so;
    assert_int_equal(model_so_build(m, 0, &so), 0);
    int n = (int)so.n_states, np = (int)so.n_params;
    assert_true(n <= 8 && np <= 8);
    double y[8], p[8], J[64], dt[8], fp[8], fm[8], drv[2] = {0, 0};
    for (int i = 0; i < n; i++) {
      assert_ok(odeon_model_default(m, ODEON_SYM_STATE, i, &y[i]));
      y[i] = y[i] * 1.0103 + 0.0137;
    }
    for (int i = 0; i < np; i++)
      assert_ok(odeon_model_default(m, ODEON_SYM_PARAMETER, i, &p[i]));
    so.jac(0.25, y, p, drv, J, dt);
    for (int j = 0; j < n; j++) {
      double y0 = y[j], h = 1e-7 * (1 + fabs(y0));
      y[j] = y0 + h;
      so.rhs(0.25, y, p, drv, fp, NULL);
      y[j] = y0 - h;
      so.rhs(0.25, y, p, drv, fm, NULL);
      y[j] = y0;
      for (int i = 0; i < n; i++) {
        double fd = (fp[i] - fm[i]) / (2 * h);
        double tol = 1e-6 * (1 + fabs(fd));
        if (!(fabs(J[i * n + j] - fd) <= tol))
          fail_msg("%s: J[%d][%d] = %.17g, finite differences %.17g", names[e],
                   i, j, J[i * n + j], fd);
      }
    }
    for (int i = 0; i < n; i++)
      assert_true(dt[i] == 0.0); /* autonomous, no drivers */
    model_so_close(&so);
    odeon_model_destroy(m);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(random_models),
      cmocka_unit_test(every_function),
      cmocka_unit_test(example_jacobians),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
