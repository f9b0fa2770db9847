/* parser.c - recursive-descent parser from tokens to the syntax tree of
 * ast.h. A syntax error is recorded and the parser skips to the next line, so
 * one run reports every syntax error of a file. */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "model/ast.h"
#include "model/expr.h"
#include "model/lexer.h"
#include "odeon.h"

/* ------------------------------------------------------------- arena */

struct odeon__arena_block {
  struct odeon__arena_block *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
};

void *odeon__arena_alloc(odeon__arena *a, size_t bytes) {
  bytes = (bytes + 15) & ~(size_t)15;
  struct odeon__arena_block *b = a->head;
  if (!b || b->cap - b->used < bytes) {
    size_t cap = bytes > 16384 ? bytes : 16384;
    b = malloc(sizeof *b + cap);
    if (!b) {
      a->failed = 1;
      return NULL;
    }
    b->next = a->head;
    b->used = 0;
    b->cap = cap;
    a->head = b;
  }
  void *p = b->data + b->used;
  b->used += bytes;
  return p;
}

void odeon__arena_free(odeon__arena *a) {
  while (a->head) {
    struct odeon__arena_block *n = a->head->next;
    free(a->head);
    a->head = n;
  }
  a->failed = 0;
}

void odeon__program_free(odeon__program *prog) {
  odeon__arena_free(&prog->arena);
  free(prog->stmts);
  prog->stmts = NULL;
  prog->n_stmts = prog->cap_stmts = 0;
}

/* ------------------------------------------------------------ parser */

typedef struct parser {
  const char *text;
  const odeon__token *t;
  size_t n, i;
  int parens; /* inside (...) newlines are spaces */
  int depth;
  odeon__diag *diag;
  odeon__program *prog;
  jmp_buf fail; /* a syntax error abandons the statement */
  int nomem;
} parser;

static int is_binary_op(const parser *P, const odeon__token *tok) {
  switch (tok->type) {
  case ODEON__T_PLUS:
  case ODEON__T_MINUS:
  case ODEON__T_STAR:
  case ODEON__T_SLASH:
  case ODEON__T_POW:
  case ODEON__T_LT:
  case ODEON__T_LE:
  case ODEON__T_GT:
  case ODEON__T_GE:
  case ODEON__T_EQ:
  case ODEON__T_NE:
  case ODEON__T_AND:
  case ODEON__T_OR:
    return 1;
  case ODEON__T_IDENT:
    return (tok->pos.len == 3 &&
            memcmp(P->text + tok->pos.off, "and", 3) == 0) ||
           (tok->pos.len == 2 && memcmp(P->text + tok->pos.off, "or", 2) == 0);
  default:
    return 0;
  }
}

/* A newline is a space when the next line is indented and the expression
 * clearly goes on: inside parentheses, after a trailing operator, or before
 * a leading one. An unindented line always starts a new statement, so an
 * unclosed '(' is reported on its own line, not after swallowing the next
 * equation. */
static int continues(const parser *P, size_t i) {
  if (P->t[i].type != ODEON__T_NEWLINE || P->t[i + 1].type == ODEON__T_EOF ||
      P->t[i + 1].type == ODEON__T_NEWLINE || P->t[i + 1].pos.col == 1)
    return 0;
  return P->parens > 0 || (i > 0 && is_binary_op(P, &P->t[i - 1])) ||
         is_binary_op(P, &P->t[i + 1]);
}

static const odeon__token *peek_at(parser *P, size_t k) {
  size_t i = P->i;
  for (;;) {
    while (continues(P, i))
      i++;
    if (k == 0 || P->t[i].type == ODEON__T_EOF)
      return &P->t[i];
    i++;
    k--;
  }
}
static const odeon__token *peek(parser *P) { return peek_at(P, 0); }

static const odeon__token *next(parser *P) {
  while (continues(P, P->i))
    P->i++;
  const odeon__token *tok = &P->t[P->i];
  if (tok->type != ODEON__T_EOF)
    P->i++;
  return tok;
}

static _Noreturn void fail(parser *P) { longjmp(P->fail, 1); }

static int is_word(parser *P, const odeon__token *tok, const char *w) {
  return tok->type == ODEON__T_IDENT && tok->pos.len == strlen(w) &&
         memcmp(P->text + tok->pos.off, w, tok->pos.len) == 0;
}

static _Noreturn void expected(parser *P, const char *what) {
  const odeon__token *tok = peek(P);
  if (tok->type == ODEON__T_IDENT || tok->type == ODEON__T_NUMBER)
    odeon__diag_error(P->diag, ODEON_E_PARSE, tok->pos,
                      "expected %s, found '%.*s'", what, (int)tok->pos.len,
                      P->text + tok->pos.off);
  else
    odeon__diag_error(P->diag, ODEON_E_PARSE, tok->pos, "expected %s, found %s",
                      what, odeon__tok_name(tok->type));
  fail(P);
}

static const odeon__token *expect(parser *P, int type, const char *what) {
  if (peek(P)->type != type)
    expected(P, what);
  return next(P);
}

static void *alloc(parser *P, size_t bytes) {
  void *p = odeon__arena_alloc(&P->prog->arena, bytes);
  if (!p) {
    P->nomem = 1;
    fail(P);
  }
  return p;
}

static odeon__pnode *node(parser *P, int kind, int op, odeon__pos pos,
                          int nargs) {
  odeon__pnode *x = alloc(P, sizeof *x);
  memset(x, 0, sizeof *x);
  x->kind = kind;
  x->op = op;
  x->pos = pos;
  x->nargs = nargs;
  if (nargs > 0)
    x->args = alloc(P, (size_t)nargs * sizeof *x->args);
  return x;
}

static odeon__pnode *binary(parser *P, int op, odeon__pos pos, odeon__pnode *a,
                            odeon__pnode *b) {
  odeon__pnode *x = node(P, ODEON__P_BINARY, op, pos, 2);
  x->args[0] = a;
  x->args[1] = b;
  return x;
}

static void enter(parser *P) {
  if (++P->depth > ODEON__MAX_DEPTH) {
    odeon__diag_error(P->diag, ODEON_E_PARSE, peek(P)->pos,
                      "expression nested too deeply (more than %d levels)",
                      ODEON__MAX_DEPTH);
    fail(P);
  }
}

static odeon__pnode *parse_expr(parser *P);

static odeon__pnode *parse_call(parser *P, const odeon__token *name) {
  next(P); /* ( */
  P->parens++;
  odeon__pnode *argv[64];
  int n = 0;
  if (peek(P)->type != ODEON__T_RPAREN) {
    for (;;) {
      if (n == 64) {
        odeon__diag_error(P->diag, ODEON_E_PARSE, peek(P)->pos,
                          "too many arguments (more than 64)");
        fail(P);
      }
      argv[n++] = parse_expr(P);
      if (peek(P)->type != ODEON__T_COMMA)
        break;
      next(P);
    }
  }
  expect(P, ODEON__T_RPAREN, "',' or ')' after a function argument");
  P->parens--;
  odeon__pnode *x = node(P, ODEON__P_CALL, 0, name->pos, n);
  x->name = P->text + name->pos.off;
  x->name_len = name->pos.len;
  if (n > 0) /* f(): no arguments, and no args array to copy into */
    memcpy(x->args, argv, (size_t)n * sizeof *argv);
  return x;
}

static odeon__pnode *parse_primary(parser *P) {
  const odeon__token *tok = peek(P);
  if (tok->type == ODEON__T_NUMBER) {
    next(P);
    odeon__pnode *x = node(P, ODEON__P_NUM, 0, tok->pos, 0);
    x->value = tok->value;
    return x;
  }
  if (tok->type == ODEON__T_IDENT) {
    next(P);
    if (peek(P)->type == ODEON__T_LPAREN)
      return parse_call(P, tok);
    odeon__pnode *x = node(P, ODEON__P_NAME, 0, tok->pos, 0);
    x->name = P->text + tok->pos.off;
    x->name_len = tok->pos.len;
    return x;
  }
  if (tok->type == ODEON__T_LPAREN) {
    next(P);
    P->parens++;
    odeon__pnode *x = parse_expr(P);
    expect(P, ODEON__T_RPAREN, "')'");
    P->parens--;
    return x;
  }
  expected(P, "a number, a name or '('");
}

static odeon__pnode *parse_unary(parser *P);

/* a ^ b binds tighter than unary minus on its left (-x^2 = -(x^2)) and is
 * right-associative (2^3^2 = 2^9); its exponent may carry a sign (x^-1). */
static odeon__pnode *parse_power(parser *P) {
  enter(P);
  odeon__pnode *base = parse_primary(P);
  if (peek(P)->type == ODEON__T_POW) {
    odeon__pos pos = next(P)->pos;
    odeon__pnode *e = parse_unary(P);
    base = binary(P, ODEON__X_POW, pos, base, e);
  }
  P->depth--;
  return base;
}

static odeon__pnode *parse_unary(parser *P) {
  const odeon__token *tok = peek(P);
  if (tok->type == ODEON__T_MINUS || tok->type == ODEON__T_PLUS) {
    enter(P);
    next(P);
    odeon__pnode *a = parse_unary(P);
    P->depth--;
    if (tok->type == ODEON__T_PLUS)
      return a;
    odeon__pnode *x = node(P, ODEON__P_UNARY, ODEON__X_NEG, tok->pos, 1);
    x->args[0] = a;
    return x;
  }
  return parse_power(P);
}

static odeon__pnode *parse_mul(parser *P) {
  odeon__pnode *a = parse_unary(P);
  for (;;) {
    int type = peek(P)->type;
    if (type != ODEON__T_STAR && type != ODEON__T_SLASH)
      return a;
    odeon__pos pos = next(P)->pos;
    a = binary(P, type == ODEON__T_STAR ? ODEON__X_MUL : ODEON__X_DIV, pos, a,
               parse_unary(P));
  }
}

static odeon__pnode *parse_add(parser *P) {
  odeon__pnode *a = parse_mul(P);
  for (;;) {
    int type = peek(P)->type;
    if (type != ODEON__T_PLUS && type != ODEON__T_MINUS)
      return a;
    odeon__pos pos = next(P)->pos;
    a = binary(P, type == ODEON__T_PLUS ? ODEON__X_ADD : ODEON__X_SUB, pos, a,
               parse_mul(P));
  }
}

static int cmp_op(int type) {
  switch (type) {
  case ODEON__T_LT:
    return ODEON__X_LT;
  case ODEON__T_LE:
    return ODEON__X_LE;
  case ODEON__T_GT:
    return ODEON__X_GT;
  case ODEON__T_GE:
    return ODEON__X_GE;
  case ODEON__T_EQ:
    return ODEON__X_EQ;
  case ODEON__T_NE:
    return ODEON__X_NE;
  default:
    return -1;
  }
}

static void no_assign(parser *P) {
  if (peek(P)->type == ODEON__T_ASSIGN) {
    odeon__diag_error(P->diag, ODEON_E_PARSE, peek(P)->pos,
                      "'=' inside an expression; use '==' to compare");
    fail(P);
  }
}

static odeon__pnode *parse_cmp(parser *P) {
  odeon__pnode *a = parse_add(P);
  no_assign(P);
  int op = cmp_op(peek(P)->type);
  if (op < 0)
    return a;
  odeon__pos pos = next(P)->pos;
  a = binary(P, op, pos, a, parse_add(P));
  if (cmp_op(peek(P)->type) >= 0) {
    odeon__diag_error(P->diag, ODEON_E_PARSE, peek(P)->pos,
                      "comparisons cannot be chained; write 'a < b and b < c'");
    fail(P);
  }
  no_assign(P);
  return a;
}

static odeon__pnode *parse_not(parser *P) {
  const odeon__token *tok = peek(P);
  if (tok->type == ODEON__T_NOT || is_word(P, tok, "not")) {
    enter(P);
    next(P);
    odeon__pnode *x = node(P, ODEON__P_UNARY, ODEON__X_NOT, tok->pos, 1);
    x->args[0] = parse_not(P);
    P->depth--;
    return x;
  }
  return parse_cmp(P);
}

static odeon__pnode *parse_and(parser *P) {
  odeon__pnode *a = parse_not(P);
  while (peek(P)->type == ODEON__T_AND || is_word(P, peek(P), "and")) {
    odeon__pos pos = next(P)->pos;
    a = binary(P, ODEON__X_AND, pos, a, parse_not(P));
  }
  return a;
}

static odeon__pnode *parse_expr(parser *P) {
  enter(P);
  odeon__pnode *a = parse_and(P);
  while (peek(P)->type == ODEON__T_OR || is_word(P, peek(P), "or")) {
    odeon__pos pos = next(P)->pos;
    a = binary(P, ODEON__X_OR, pos, a, parse_and(P));
  }
  P->depth--;
  return a;
}

/* ---------------------------------------------------------- statements */

static void add_stmt(parser *P, int kind, int section, const odeon__token *name,
                     odeon__pnode *expr) {
  odeon__program *g = P->prog;
  if (g->n_stmts == g->cap_stmts) {
    size_t cap = g->cap_stmts ? g->cap_stmts * 2 : 32;
    odeon__stmt *s = realloc(g->stmts, cap * sizeof *s);
    if (!s) {
      P->nomem = 1;
      fail(P);
    }
    g->stmts = s;
    g->cap_stmts = cap;
  }
  odeon__stmt *s = &g->stmts[g->n_stmts++];
  s->kind = kind;
  s->section = section;
  s->name = P->text + name->pos.off;
  s->name_len = name->pos.len;
  s->pos = name->pos;
  s->expr = expr;
}

/* Section names, with the singular and short forms people type. */
static int section_kind(parser *P, const odeon__token *tok) {
  static const struct {
    const char *word;
    int kind;
  } words[] = {{"states", ODEON_SYM_STATE},
               {"state", ODEON_SYM_STATE},
               {"parameters", ODEON_SYM_PARAMETER},
               {"parameter", ODEON_SYM_PARAMETER},
               {"params", ODEON_SYM_PARAMETER},
               {"constants", ODEON_SYM_CONSTANT},
               {"constant", ODEON_SYM_CONSTANT},
               {"observables", ODEON_SYM_OBSERVABLE},
               {"observable", ODEON_SYM_OBSERVABLE},
               {"drivers", ODEON_SYM_DRIVER},
               {"driver", ODEON_SYM_DRIVER}};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (is_word(P, tok, words[i].word))
      return words[i].kind;
  return -1;
}

static int at_line_end(parser *P) {
  int type = peek(P)->type;
  return type == ODEON__T_NEWLINE || type == ODEON__T_EOF;
}

/* One item of a section: name [= expr]. */
static void parse_item(parser *P, int kind) {
  const odeon__token *name = expect(P, ODEON__T_IDENT, "a name");
  odeon__pnode *value = NULL;
  if (peek(P)->type == ODEON__T_ASSIGN) {
    next(P);
    value = parse_expr(P);
  }
  add_stmt(P, ODEON__S_DECL, kind, name, value);
}

/* A section: `states: x = 1, y = 2` continuing after a trailing comma, or a
 * header alone on its line followed by indented lines of items. */
static void parse_section(parser *P, int kind) {
  next(P); /* name */
  next(P); /* : */
  int block = at_line_end(P);
  for (;;) {
    if (at_line_end(P)) {
      if (!block || peek(P)->type == ODEON__T_EOF)
        return;
      /* block form: continue while the next line starts indented */
      size_t j = P->i;
      while (P->t[j].type == ODEON__T_NEWLINE)
        j++;
      if (P->t[j].type != ODEON__T_IDENT || P->t[j].pos.col == 1)
        return;
      P->i = j;
    }
    parse_item(P, kind);
    if (peek(P)->type == ODEON__T_COMMA) {
      next(P);
      while (peek(P)->type == ODEON__T_NEWLINE) /* a trailing comma goes on */
        next(P);
      continue;
    }
    if (!at_line_end(P))
      expected(P, "',' or the end of the line after a section item");
  }
}

static void parse_statement(parser *P) {
  const odeon__token *tok = peek(P);
  if (tok->type != ODEON__T_IDENT)
    expected(P, "a name (an equation 'name = ...', a derivative 'dx = ...' "
                "or a section 'states:')");
  if (peek_at(P, 1)->type == ODEON__T_COLON) {
    int kind = section_kind(P, tok);
    if (kind < 0) {
      odeon__diag_error(P->diag, ODEON_E_PARSE, tok->pos,
                        "unknown section '%.*s:'; sections are states, "
                        "parameters, constants, observables and drivers",
                        (int)tok->pos.len, P->text + tok->pos.off);
      fail(P);
    }
    parse_section(P, kind);
    return;
  }
  /* x' = ... */
  if (peek_at(P, 1)->type == ODEON__T_PRIME) {
    next(P);
    next(P);
    expect(P, ODEON__T_ASSIGN, "'=' after x'");
    add_stmt(P, ODEON__S_DERIV, 0, tok, parse_expr(P));
    return;
  }
  /* d(x)/dt = ... */
  if (is_word(P, tok, "d") && peek_at(P, 1)->type == ODEON__T_LPAREN &&
      peek_at(P, 2)->type == ODEON__T_IDENT &&
      peek_at(P, 3)->type == ODEON__T_RPAREN &&
      peek_at(P, 4)->type == ODEON__T_SLASH &&
      is_word(P, peek_at(P, 5), "dt") &&
      peek_at(P, 6)->type == ODEON__T_ASSIGN) {
    const odeon__token *x = peek_at(P, 2);
    for (int k = 0; k < 7; k++)
      next(P);
    add_stmt(P, ODEON__S_DERIV, 0, x, parse_expr(P));
    return;
  }
  next(P);
  expect(P, ODEON__T_ASSIGN, "'=' after the name of an equation");
  add_stmt(P, ODEON__S_ASSIGN, 0, tok, parse_expr(P));
}

int odeon__parse(const char *text, size_t len, odeon__diag *diag,
                 odeon__program *prog) {
  memset(prog, 0, sizeof *prog);
  odeon__token *toks = NULL;
  size_t n = 0;
  int rc = odeon__lex(text, len, diag, &toks, &n);
  if (rc != ODEON_OK)
    return rc;
  parser P;
  memset(&P, 0, sizeof P);
  P.text = text;
  P.t = toks;
  P.n = n;
  P.diag = diag;
  P.prog = prog;
  while (peek(&P)->type != ODEON__T_EOF) {
    if (peek(&P)->type == ODEON__T_NEWLINE) {
      next(&P);
      continue;
    }
    if (setjmp(P.fail) == 0) {
      parse_statement(&P);
      if (!at_line_end(&P))
        expected(&P, "the end of the line");
    } else {
      if (P.nomem)
        break;
      /* skip the rest of the broken statement */
      P.parens = 0;
      P.depth = 0;
      while (!at_line_end(&P))
        next(&P);
    }
  }
  free(toks);
  if (P.nomem) {
    odeon__program_free(prog);
    return odeon__error(ODEON_E_NOMEM, "model: out of memory parsing");
  }
  return ODEON_OK;
}
