/* check.c - the semantic checker: resolves names, orders definitions
 * (constants, observables, auxiliaries) by their dependencies, reports every
 * semantic error with "did you mean", and builds the model's expression
 * graph. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ast.h"
#include "model/functions.h"
#include "model/model.h"

enum { K_STATE, K_PARAM, K_CONST, K_OBS, K_DRIVER, K_AUX };
/* K_* and ODEON_SYM_* agree for the section kinds */

typedef struct sym {
  const char *name;
  size_t len;
  int kind;
  int index; /* within its kind (sections) */
  const odeon__stmt *st;
  int def; /* index into defs, or -1 */
} sym;

typedef struct def {
  int sym;
  const odeon__pnode *expr;
  int mark;     /* 0 new, 1 on the DFS stack, 2 done */
  int32_t node; /* built value; -1 if it failed */
  int bad;      /* part of a cycle or otherwise broken */
  size_t dep_begin, dep_end;
} def;

typedef struct checker {
  const odeon__program *prog;
  odeon__diag *diag;
  odeon_model_t *m;
  odeon__xpool *pool;
  sym *syms;
  int n_syms, cap_syms;
  int *table; /* hash of syms by name, -1 empty */
  size_t tcap;
  def *defs;
  int n_defs;
  int *deps;
  size_t n_deps, cap_deps;
  const odeon__stmt **deriv; /* [n_states] derivative statement */
  int nomem;
} checker;

static const char *kind_word(int kind) {
  static const char *w[] = {"state",      "parameter", "constant",
                            "observable", "driver",    "auxiliary"};
  return w[kind];
}

/* ------------------------------------------------------ symbol table */

static uint64_t hash_name(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ull;
  }
  return h;
}

static int find(const checker *C, const char *name, size_t len) {
  if (!C->tcap)
    return -1;
  size_t h = (size_t)hash_name(name, len) & (C->tcap - 1);
  while (C->table[h] >= 0) {
    const sym *s = &C->syms[C->table[h]];
    if (s->len == len && memcmp(s->name, name, len) == 0)
      return C->table[h];
    h = (h + 1) & (C->tcap - 1);
  }
  return -1;
}

static int rehash(checker *C) {
  size_t cap = C->tcap ? C->tcap * 2 : 256;
  int *t = malloc(cap * sizeof *t);
  if (!t)
    return -1;
  for (size_t i = 0; i < cap; i++)
    t[i] = -1;
  for (int i = 0; i < C->n_syms; i++) {
    size_t h = (size_t)hash_name(C->syms[i].name, C->syms[i].len) & (cap - 1);
    while (t[h] >= 0)
      h = (h + 1) & (cap - 1);
    t[h] = i;
  }
  free(C->table);
  C->table = t;
  C->tcap = cap;
  return 0;
}

static int add_sym(checker *C, const odeon__stmt *st, int kind, int index) {
  if (C->n_syms == C->cap_syms) {
    int cap = C->cap_syms ? C->cap_syms * 2 : 64;
    sym *s = realloc(C->syms, (size_t)cap * sizeof *s);
    if (!s) {
      C->nomem = 1;
      return -1;
    }
    C->syms = s;
    C->cap_syms = cap;
  }
  if ((size_t)(C->n_syms + 1) * 2 > C->tcap && rehash(C) != 0) {
    C->nomem = 1;
    return -1;
  }
  sym *s = &C->syms[C->n_syms];
  s->name = st->name;
  s->len = st->name_len;
  s->kind = kind;
  s->index = index;
  s->st = st;
  s->def = -1;
  size_t h = (size_t)hash_name(s->name, s->len) & (C->tcap - 1);
  while (C->table[h] >= 0)
    h = (h + 1) & (C->tcap - 1);
  C->table[h] = C->n_syms;
  return C->n_syms++;
}

/* ------------------------------------------------------------- errors */

static int name_is(const char *s, size_t n, const char *w) {
  return strlen(w) == n && memcmp(s, w, n) == 0;
}

/* Names the language keeps for itself. */
static const char *reserved_why(const char *s, size_t n) {
  if (name_is(s, n, "t"))
    return "it is time";
  if (name_is(s, n, "pi"))
    return "it is the constant pi";
  if (name_is(s, n, "if") || name_is(s, n, "piecewise") ||
      name_is(s, n, "and") || name_is(s, n, "or") || name_is(s, n, "not") ||
      name_is(s, n, "pow"))
    return "it is a keyword of the language";
  if (odeon__fn_lookup(s, n) >= 0)
    return "it is a built-in function";
  return NULL;
}

static int suggestion_cap(size_t len) {
  return len <= 1 ? 0 : len <= 4 ? 1 : len <= 8 ? 2 : 3;
}

/* The closest known name to s (a symbol, or a function when `functions`),
 * or NULL; used to say "did you mean". */
static const char *closest(const checker *C, const char *s, size_t n,
                           int functions, size_t *out_len) {
  int cap = suggestion_cap(n);
  int best = cap + 1;
  const char *pick = NULL;
  size_t pick_len = 0;
  *out_len = 0;
  /* errors past those kept for the message need no suggestion: skipping
     the search keeps a file full of errors linear */
  if (C->diag->count >= 4 * ODEON__DIAG_MAX_SHOWN)
    return NULL;
  if (functions) {
    static const char *extra[] = {"if", "piecewise", "pow"};
    for (int i = 0; i < ODEON__FN_COUNT + 3; i++) {
      const char *f = i < ODEON__FN_COUNT ? odeon__fn_table[i].name
                                          : extra[i - ODEON__FN_COUNT];
      if (i < ODEON__FN_COUNT && !odeon__fn_table[i].user_callable)
        continue;
      int dist = odeon__edit_distance(s, n, f, strlen(f), cap);
      /* on a tie prefer a prefix of the typed name ("sinn" -> "sin") */
      if (dist < best || (dist == best && pick && strlen(f) < n &&
                          memcmp(f, s, strlen(f)) == 0)) {
        best = dist;
        pick = f;
        pick_len = strlen(f);
      }
    }
  } else {
    for (int i = 0; i < C->n_syms; i++) {
      const sym *y = &C->syms[i];
      int dist = odeon__edit_distance(s, n, y->name, y->len, cap);
      /* a different case only ("X" for "x") is always worth saying */
      if (dist > 0 && n == y->len) {
        size_t k = 0;
        while (k < n && (s[k] | 32) == (y->name[k] | 32))
          k++;
        if (k == n)
          dist = 0;
      }
      if (dist < best) {
        best = dist;
        pick = y->name;
        pick_len = y->len;
      }
    }
  }
  *out_len = pick_len;
  return pick;
}

static void err(checker *C, odeon__pos pos, const char *fmt, ...)
    ODEON__PRINTF(3, 4);
static void err(checker *C, odeon__pos pos, const char *fmt, ...) {
  char buf[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  odeon__diag_error(C->diag, ODEON_E_MODEL, pos, "%s", buf);
}

static void where(const odeon__stmt *st, char *buf, size_t size) {
  snprintf(buf, size, "line %d, column %d", st->pos.line, st->pos.col);
}

static void duplicate(checker *C, const odeon__stmt *st, int other) {
  char at[64];
  where(C->syms[other].st, at, sizeof at);
  err(C, st->pos,
      "duplicate definition of '%.*s' (first defined at %s as %s %s)",
      (int)st->name_len, st->name, at,
      C->syms[other].kind == K_AUX ? "an" : "a",
      kind_word(C->syms[other].kind));
}

/* --------------------------------------------------- declarations */

/* 1 if name is "d" followed by the name of a state (reserved for its
 * derivative); sets *state. */
static int is_d_state(const checker *C, const char *s, size_t n, int *state) {
  if (n < 2 || s[0] != 'd')
    return 0;
  int k = find(C, s + 1, n - 1);
  if (k < 0)
    return 0;
  *state = k;
  return C->syms[k].kind == K_STATE;
}

static void declare_sections(checker *C) {
  int index[5] = {0, 0, 0, 0, 0};
  for (size_t i = 0; i < C->prog->n_stmts && !C->nomem; i++) {
    const odeon__stmt *st = &C->prog->stmts[i];
    if (st->kind != ODEON__S_DECL)
      continue;
    const char *why = reserved_why(st->name, st->name_len);
    if (why) {
      err(C, st->pos, "'%.*s' is a reserved name (%s); choose another name",
          (int)st->name_len, st->name, why);
      continue;
    }
    int other = find(C, st->name, st->name_len);
    if (other >= 0) {
      duplicate(C, st, other);
      continue;
    }
    int kind = st->section;
    if (kind == K_CONST && !st->expr)
      err(C, st->pos, "constant '%.*s' needs a value ('%.*s = ...')",
          (int)st->name_len, st->name, (int)st->name_len, st->name);
    if (kind == K_OBS && !st->expr)
      err(C, st->pos, "observable '%.*s' needs an expression ('%.*s = ...')",
          (int)st->name_len, st->name, (int)st->name_len, st->name);
    if (kind == K_DRIVER && st->expr)
      err(C, st->pos,
          "driver '%.*s' takes no value; its samples are supplied at solve "
          "time",
          (int)st->name_len, st->name);
    add_sym(C, st, kind, index[kind]++);
  }
  /* "dx" names the derivative of state x, so no symbol may be called so */
  for (int i = 0; i < C->n_syms; i++) {
    int s;
    if (is_d_state(C, C->syms[i].name, C->syms[i].len, &s))
      err(C, C->syms[i].st->pos,
          "'%.*s' is a reserved name (it is the derivative of state '%.*s')",
          (int)C->syms[i].len, C->syms[i].name, (int)C->syms[s].len,
          C->syms[s].name);
  }
}

static void derivative_of(checker *C, const odeon__stmt *st, int s) {
  int idx = C->syms[s].index;
  if (C->deriv[idx]) {
    char at[64];
    where(C->deriv[idx], at, sizeof at);
    err(C, st->pos, "duplicate derivative of state '%.*s' (first given at %s)",
        (int)C->syms[s].len, C->syms[s].name, at);
    return;
  }
  C->deriv[idx] = st;
}

static void declare_equations(checker *C) {
  for (size_t i = 0; i < C->prog->n_stmts && !C->nomem; i++) {
    const odeon__stmt *st = &C->prog->stmts[i];
    const char *s = st->name;
    size_t n = st->name_len;
    if (st->kind == ODEON__S_DERIV) {
      int k = find(C, s, n);
      if (k < 0) {
        size_t hl;
        const char *hint = closest(C, s, n, 0, &hl);
        err(C, st->pos, "derivative of undefined symbol '%.*s'%s%.*s%s", (int)n,
            s, hint ? "; did you mean '" : "", (int)hl, hint ? hint : "",
            hint ? "'?" : "");
      } else if (C->syms[k].kind != K_STATE) {
        err(C, st->pos,
            "derivative of a non-state: '%.*s' is %s %s; only states have "
            "derivative equations",
            (int)n, s, C->syms[k].kind == K_AUX ? "an" : "a",
            kind_word(C->syms[k].kind));
      } else {
        derivative_of(C, st, k);
      }
      continue;
    }
    if (st->kind != ODEON__S_ASSIGN)
      continue;
    int state;
    if (is_d_state(C, s, n, &state)) {
      derivative_of(C, st, state);
      continue;
    }
    int k = find(C, s, n);
    if (k >= 0 && C->syms[k].kind != K_AUX && C->syms[k].kind != K_OBS) {
      static const char *hint[] = {
          "write its derivative as 'd%.*s = ...'",
          "parameters are inputs given per run; define an auxiliary with "
          "another name",
          "a constant gets its value in the constants: section", "",
          "drivers are supplied as samples at solve time"};
      char h[160];
      snprintf(h, sizeof h, hint[C->syms[k].kind], (int)n, s);
      err(C, st->pos, "cannot assign to %s '%.*s': %s",
          kind_word(C->syms[k].kind), (int)n, s, h);
      continue;
    }
    if (k >= 0) {
      duplicate(C, st, k);
      continue;
    }
    /* dX = ... where X is a declared non-state */
    if (n >= 2 && s[0] == 'd') {
      int x = find(C, s + 1, n - 1);
      if (x >= 0 && C->syms[x].kind != K_AUX) {
        err(C, st->pos,
            "derivative of a non-state: '%.*s' is a %s; only states have "
            "derivative equations",
            (int)n - 1, s + 1, kind_word(C->syms[x].kind));
        continue;
      }
    }
    const char *why = reserved_why(s, n);
    if (why) {
      err(C, st->pos, "'%.*s' is a reserved name (%s); choose another name",
          (int)n, s, why);
      continue;
    }
    add_sym(C, st, K_AUX, 0);
  }
}

/* ------------------------------------------------- dependency order */

static int add_dep(checker *C, int d) {
  if (C->n_deps == C->cap_deps) {
    size_t cap = C->cap_deps ? C->cap_deps * 2 : 256;
    int *p = realloc(C->deps, cap * sizeof *p);
    if (!p) {
      C->nomem = 1;
      return -1;
    }
    C->deps = p;
    C->cap_deps = cap;
  }
  C->deps[C->n_deps++] = d;
  return 0;
}

/* Walk a tree iteratively down left-leaning chains (a+b+c+... can be long);
 * other nesting is bounded by the parser's depth limit. */
static void collect_deps(checker *C, const odeon__pnode *x) {
  while (x) {
    if (x->kind == ODEON__P_NAME) {
      int k = find(C, x->name, x->name_len);
      if (k >= 0 && C->syms[k].def >= 0)
        add_dep(C, C->syms[k].def);
      return;
    }
    if (x->kind == ODEON__P_NUM || x->nargs == 0)
      return;
    for (int i = 1; i < x->nargs; i++)
      collect_deps(C, x->args[i]);
    x = x->args[0];
  }
}

static void make_defs(checker *C) {
  C->defs = calloc((size_t)C->n_syms + 1, sizeof *C->defs);
  if (!C->defs) {
    C->nomem = 1;
    return;
  }
  for (int i = 0; i < C->n_syms; i++) {
    sym *s = &C->syms[i];
    if ((s->kind == K_CONST || s->kind == K_OBS || s->kind == K_AUX) &&
        s->st->expr) {
      def *d = &C->defs[C->n_defs];
      d->sym = i;
      d->expr = s->st->expr;
      d->node = -1;
      s->def = C->n_defs++;
    }
  }
  for (int i = 0; i < C->n_defs && !C->nomem; i++) {
    C->defs[i].dep_begin = C->n_deps;
    collect_deps(C, C->defs[i].expr);
    C->defs[i].dep_end = C->n_deps;
  }
}

/* Depth-first order over definitions with an explicit stack; a back edge is
 * a cycle, reported once with its whole path. Fills order[] (dependencies
 * first). */
static void order_defs(checker *C, int *order) {
  int n_order = 0;
  int *stack = malloc(((size_t)C->n_defs + 1) * sizeof *stack);
  size_t *next = malloc(((size_t)C->n_defs + 1) * sizeof *next);
  if (!stack || !next) {
    C->nomem = 1;
    free(stack);
    free(next);
    return;
  }
  for (int r = 0; r < C->n_defs; r++) {
    if (C->defs[r].mark)
      continue;
    int top = 0;
    stack[0] = r;
    next[0] = C->defs[r].dep_begin;
    C->defs[r].mark = 1;
    while (top >= 0) {
      def *d = &C->defs[stack[top]];
      if (next[top] < d->dep_end) {
        int e = C->deps[next[top]++];
        if (C->defs[e].mark == 0) {
          C->defs[e].mark = 1;
          stack[++top] = e;
          next[top] = C->defs[e].dep_begin;
        } else if (C->defs[e].mark == 1) {
          /* the cycle is the stack from e to the top */
          int from = top;
          while (stack[from] != e)
            from--;
          char path[300];
          size_t len = 0;
          path[0] = '\0';
          for (int k = from; k <= top + 1 && len < sizeof path - 40; k++) {
            const sym *s = &C->syms[C->defs[k <= top ? stack[k] : e].sym];
            len += (size_t)snprintf(path + len, sizeof path - len, "%s%.*s",
                                    k == from ? "" : " -> ",
                                    (int)(s->len > 30 ? 30 : s->len), s->name);
          }
          const sym *s = &C->syms[C->defs[e].sym];
          if (!C->defs[e].bad)
            err(C, s->st->pos, "cycle among definitions: %s", path);
          for (int k = from; k <= top; k++)
            C->defs[stack[k]].bad = 1;
        }
      } else {
        d->mark = 2;
        order[n_order++] = stack[top];
        top--;
      }
    }
  }
  free(stack);
  free(next);
}

/* ------------------------------------------------------------ building */

#define BAD (-1) /* an error already reported: no cascade of messages */

enum { MODE_CONST, MODE_DYNAMIC };

static int32_t build(checker *C, const odeon__pnode *x, int mode,
                     const char *what);

static int32_t build_name(checker *C, const odeon__pnode *x, int mode,
                          const char *what) {
  odeon__xpool *p = C->pool;
  const char *s = x->name;
  size_t n = x->name_len;
  if (name_is(s, n, "pi"))
    return odeon__x_const(p, 3.14159265358979323846);
  if (name_is(s, n, "t")) {
    if (mode == MODE_CONST) {
      err(C, x->pos, "%s must be a constant expression, but 't' is time", what);
      return BAD;
    }
    return odeon__x_sym(p, ODEON__X_TIME, 0);
  }
  int k = find(C, s, n);
  if (k < 0) {
    if (odeon__fn_lookup(s, n) >= 0 || name_is(s, n, "if") ||
        name_is(s, n, "pow") || name_is(s, n, "piecewise")) {
      err(C, x->pos, "'%.*s' is a function; call it as %.*s(...)", (int)n, s,
          (int)n, s);
      return BAD;
    }
    size_t hl;
    const char *hint = closest(C, s, n, 0, &hl);
    int state;
    if (!hint && is_d_state(C, s, n, &state))
      err(C, x->pos,
          "undefined symbol '%.*s' (derivatives cannot be used in "
          "expressions)",
          (int)n, s);
    else
      err(C, x->pos, "undefined symbol '%.*s'%s%.*s%s", (int)n, s,
          hint ? "; did you mean '" : "", (int)hl, hint ? hint : "",
          hint ? "'?" : "");
    return BAD;
  }
  const sym *y = &C->syms[k];
  if (mode == MODE_CONST && y->kind != K_CONST) {
    err(C, x->pos, "%s must be a constant expression, but '%.*s' is %s %s",
        what, (int)n, s, y->kind == K_AUX ? "an" : "a", kind_word(y->kind));
    return BAD;
  }
  switch (y->kind) {
  case K_STATE:
    return odeon__x_sym(p, ODEON__X_STATE, y->index);
  case K_PARAM:
    return odeon__x_sym(p, ODEON__X_PARAM, y->index);
  case K_DRIVER:
    return odeon__x_sym(p, ODEON__X_DRIVER, y->index);
  default:
    if (y->def < 0 || C->defs[y->def].bad)
      return BAD;
    return C->defs[y->def].node;
  }
}

static void arity(checker *C, const odeon__pnode *x, const char *rule) {
  err(C, x->pos, "wrong number of arguments: '%.*s' takes %s, got %d",
      (int)x->name_len, x->name, rule, x->nargs);
}

static int32_t build_call(checker *C, const odeon__pnode *x, int mode,
                          const char *what) {
  odeon__xpool *p = C->pool;
  int32_t v[64];
  int bad = 0;
  for (int i = 0; i < x->nargs; i++) {
    v[i] = build(C, x->args[i], mode, what);
    if (v[i] < 0)
      bad = 1;
  }
  const char *s = x->name;
  size_t n = x->name_len;
  if (name_is(s, n, "if")) {
    if (x->nargs != 3) {
      arity(C, x, "3 (if(condition, then, else))");
      return BAD;
    }
    return bad ? BAD : odeon__x_if(p, v[0], v[1], v[2]);
  }
  if (name_is(s, n, "piecewise")) {
    if (x->nargs < 3 || x->nargs % 2 == 0) {
      arity(C, x, "an odd number >= 3 (piecewise(c1, v1, c2, v2, ..., else))");
      return BAD;
    }
    if (bad)
      return BAD;
    int32_t r = v[x->nargs - 1];
    for (int i = x->nargs - 3; i >= 0; i -= 2)
      r = odeon__x_if(p, v[i], v[i + 1], r);
    return r;
  }
  if (name_is(s, n, "pow")) {
    if (x->nargs != 2) {
      arity(C, x, "2");
      return BAD;
    }
    return bad ? BAD : odeon__x_binary(p, ODEON__X_POW, v[0], v[1]);
  }
  int fn = odeon__fn_lookup(s, n);
  if (fn < 0) {
    int k = find(C, s, n);
    if (k >= 0) {
      err(C, x->pos,
          "'%.*s' is %s %s, not a function (write '%.*s*(...)' to multiply)",
          (int)n, s, C->syms[k].kind == K_AUX ? "an" : "a",
          kind_word(C->syms[k].kind), (int)n, s);
    } else {
      size_t hl;
      const char *hint = closest(C, s, n, 1, &hl);
      err(C, x->pos, "unknown function '%.*s'%s%.*s%s", (int)n, s,
          hint ? "; did you mean '" : "", (int)hl, hint ? hint : "",
          hint ? "'?" : "");
    }
    return BAD;
  }
  int variadic = fn == ODEON__FN_MIN || fn == ODEON__FN_MAX;
  int want = odeon__fn_table[fn].arity;
  if (variadic ? x->nargs < 2 : x->nargs != want) {
    arity(C, x, variadic ? "at least 2" : want == 1 ? "1" : "2");
    return BAD;
  }
  if (bad)
    return BAD;
  if (variadic) { /* min(a, b, c) = min(min(a, b), c) */
    int32_t r = v[0];
    for (int i = 1; i < x->nargs; i++) {
      int32_t pair[2] = {r, v[i]};
      r = odeon__x_call(p, fn, pair);
    }
    return r;
  }
  return odeon__x_call(p, fn, v);
}

static int32_t combine(checker *C, const odeon__pnode *x, int32_t a,
                       int32_t b) {
  if (a < 0 || b < 0)
    return BAD;
  return odeon__x_binary(C->pool, (odeon__xop)x->op, a, b);
}

/* Build the graph of an expression. Left-leaning chains of binary operators
 * are walked with a loop (they can be long); everything else recurses at
 * most ODEON__MAX_DEPTH levels. Returns BAD after reporting an error, and
 * -1 with pool->failed set when memory ran out. */
static int32_t build(checker *C, const odeon__pnode *x, int mode,
                     const char *what) {
  switch (x->kind) {
  case ODEON__P_NUM:
    return odeon__x_const(C->pool, x->value);
  case ODEON__P_NAME:
    return build_name(C, x, mode, what);
  case ODEON__P_CALL:
    return build_call(C, x, mode, what);
  case ODEON__P_UNARY: {
    int32_t a = build(C, x->args[0], mode, what);
    return a < 0 ? BAD : odeon__x_unary(C->pool, (odeon__xop)x->op, a);
  }
  default:
    break;
  }
  /* a binary chain: collect the left spine, then fold it bottom-up */
  size_t n = 0, cap = 16;
  const odeon__pnode **spine = malloc(cap * sizeof *spine);
  if (!spine) {
    C->nomem = 1;
    return BAD;
  }
  const odeon__pnode *y = x;
  while (y->kind == ODEON__P_BINARY) {
    if (n == cap) {
      cap *= 2;
      const odeon__pnode **s = realloc(spine, cap * sizeof *s);
      if (!s) {
        free(spine);
        C->nomem = 1;
        return BAD;
      }
      spine = s;
    }
    spine[n++] = y;
    y = y->args[0];
  }
  int32_t r = build(C, y, mode, what);
  while (n > 0) {
    const odeon__pnode *b = spine[--n];
    r = combine(C, b, r, build(C, b->args[1], mode, what));
  }
  free(spine);
  return r;
}

/* ------------------------------------------------------------ driver */

static int alloc_tables(checker *C) {
  odeon_model_t *m = C->m;
  for (int k = 0; k < ODEON__SYM_KINDS; k++) {
    m->names[k] = calloc((size_t)m->count[k] + 1, sizeof(char *));
    if (!m->names[k])
      return -1;
    if (k == K_STATE || k == K_PARAM || k == K_CONST) {
      m->defaults[k] = calloc((size_t)m->count[k] + 1, sizeof(double));
      if (!m->defaults[k])
        return -1;
    }
  }
  m->rhs = calloc((size_t)m->count[K_STATE] + 1, sizeof *m->rhs);
  m->obs = calloc((size_t)m->count[K_OBS] + 1, sizeof *m->obs);
  if (!m->rhs || !m->obs)
    return -1;
  for (int i = 0; i < C->n_syms; i++) {
    const sym *s = &C->syms[i];
    if (s->kind == K_AUX)
      continue;
    char *name = malloc(s->len + 1);
    if (!name)
      return -1;
    memcpy(name, s->name, s->len);
    name[s->len] = '\0';
    m->names[s->kind][s->index] = name;
  }
  return 0;
}

/* A constant expression must fold to one finite number. */
static int fold_default(checker *C, const odeon__stmt *st, const char *what,
                        double *out) {
  int32_t v = build(C, st->expr, MODE_CONST, what);
  if (v < 0)
    return -1;
  const odeon__xnode *x = &C->pool->nodes[v];
  if (x->op != ODEON__X_CONST) {
    err(C, st->expr->pos,
        "%s is not a finite number (division by zero, or "
        "outside a function's domain?)",
        what);
    return -1;
  }
  *out = x->value;
  return 0;
}

static void build_all(checker *C) {
  odeon_model_t *m = C->m;
  int *order = malloc(((size_t)C->n_defs + 1) * sizeof *order);
  if (!order) {
    C->nomem = 1;
    return;
  }
  order_defs(C, order);
  char what[128];
  for (int i = 0; i < C->n_defs && !C->nomem; i++) {
    def *d = &C->defs[order[i]];
    const sym *s = &C->syms[d->sym];
    if (d->bad)
      continue;
    snprintf(what, sizeof what, "the value of constant '%.*s'",
             (int)(s->len > 60 ? 60 : s->len), s->name);
    if (s->kind == K_CONST) {
      double v;
      if (fold_default(C, s->st, what, &v) == 0) {
        m->defaults[K_CONST][s->index] = v;
        d->node = odeon__x_const(C->pool, v);
      } else {
        d->bad = 1;
      }
    } else {
      d->node = build(C, d->expr, MODE_DYNAMIC, "");
      if (d->node < 0)
        d->bad = 1;
      else if (s->kind == K_OBS)
        m->obs[s->index] = d->node;
    }
  }
  free(order);
  for (int i = 0; i < C->n_syms && !C->nomem; i++) {
    const sym *s = &C->syms[i];
    if ((s->kind == K_STATE || s->kind == K_PARAM) && s->st->expr) {
      snprintf(what, sizeof what, "the default of %s '%.*s'",
               kind_word(s->kind), (int)(s->len > 60 ? 60 : s->len), s->name);
      double v = 0;
      if (fold_default(C, s->st, what, &v) == 0)
        m->defaults[s->kind][s->index] = v;
    }
    if (s->kind == K_STATE) {
      const odeon__stmt *eq = C->deriv[s->index];
      if (!eq) {
        err(C, s->st->pos,
            "state '%.*s' has no derivative equation (write 'd%.*s = ...')",
            (int)s->len, s->name, (int)s->len, s->name);
        continue;
      }
      m->rhs[s->index] = build(C, eq->expr, MODE_DYNAMIC, "");
    }
  }
}

int odeon__check(const odeon__program *prog, odeon__diag *diag,
                 odeon_model_t *m) {
  checker C;
  memset(&C, 0, sizeof C);
  C.prog = prog;
  C.diag = diag;
  C.m = m;
  C.pool = &m->pool;
  declare_sections(&C);
  for (int i = 0; i < C.n_syms; i++)
    m->count[C.syms[i].kind]++; /* only sections so far: no K_AUX yet */
  C.deriv = calloc((size_t)m->count[K_STATE] + 1, sizeof *C.deriv);
  if (!C.deriv)
    C.nomem = 1;
  if (!C.nomem)
    declare_equations(&C);
  if (!C.nomem && m->count[K_STATE] == 0 && diag->count == 0) {
    odeon__pos pos = {1, 1, 0, 0};
    err(&C, pos,
        "the model has no states (declare them with 'states: x = "
        "1, ...')");
  }
  if (!C.nomem && alloc_tables(&C) != 0)
    C.nomem = 1;
  if (!C.nomem)
    make_defs(&C);
  if (!C.nomem)
    build_all(&C);
  free(C.syms);
  free(C.table);
  free(C.defs);
  free(C.deps);
  free(C.deriv);
  if (C.nomem || m->pool.failed)
    return odeon__error(ODEON_E_NOMEM, "model: out of memory checking");
  return ODEON_OK;
}
