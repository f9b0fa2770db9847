/* lexer.c - tokenises model text: names, numbers with exponents, operators,
 * newlines; skips spaces and comments ('#' or '//' to the end of a line). */
#include "model/lexer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *odeon__tok_name(int type) {
  static const char *names[] = {
      "end of input", "end of line", "name", "number", "'+'", "'-'",
      "'*'",          "'/'",         "'^'",  "'('",    "')'", "','",
      "':'",          "'='",         "'<'",  "'<='",   "'>'", "'>='",
      "'=='",         "'!='",        "'&&'", "'||'",   "'!'", "'''"};
  if (type < 0 || (size_t)type >= sizeof names / sizeof names[0])
    return "token";
  return names[type];
}

static int is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_digit(char c) { return c >= '0' && c <= '9'; }

typedef struct lexer {
  const char *s;
  size_t len, i;
  int line;
  size_t line_start;
  odeon__diag *diag;
  odeon__token *toks;
  size_t n, cap;
} lexer;

static odeon__pos pos_at(const lexer *L, size_t off, size_t len) {
  odeon__pos p;
  p.line = L->line;
  p.col = (int)(off - L->line_start + 1);
  p.off = off;
  p.len = len;
  return p;
}

static int push(lexer *L, int type, size_t off, size_t len, double value) {
  if (L->n == L->cap) {
    size_t cap = L->cap ? L->cap * 2 : 64;
    odeon__token *t = realloc(L->toks, cap * sizeof *t);
    if (!t)
      return -1;
    L->toks = t;
    L->cap = cap;
  }
  odeon__token *t = &L->toks[L->n++];
  t->type = type;
  t->pos = pos_at(L, off, len);
  t->value = value;
  return 0;
}

/* Scan a number at L->i; reports malformed ones ("2x", "1e", "1e999"). */
static int lex_number(lexer *L) {
  size_t start = L->i, i = L->i;
  while (i < L->len && is_digit(L->s[i]))
    i++;
  if (i < L->len && L->s[i] == '.') {
    i++;
    while (i < L->len && is_digit(L->s[i]))
      i++;
  }
  int bad = 0;
  if (i < L->len && (L->s[i] == 'e' || L->s[i] == 'E')) {
    size_t j = i + 1;
    if (j < L->len && (L->s[j] == '+' || L->s[j] == '-'))
      j++;
    if (j < L->len && is_digit(L->s[j])) {
      while (j < L->len && is_digit(L->s[j]))
        j++;
      i = j;
    } else {
      bad = 1; /* "1e" or "1e+" */
      i = j;
    }
  }
  /* a name glued to a number ("2x") is an error, not an implicit product */
  while (i < L->len &&
         (is_alpha(L->s[i]) || is_digit(L->s[i]) || L->s[i] == '.')) {
    bad = 1;
    i++;
  }
  L->i = i;
  if (bad) {
    odeon__diag_error(L->diag, ODEON_E_PARSE, pos_at(L, start, i - start),
                      "malformed number '%.*s'", (int)(i - start),
                      L->s + start);
    return push(L, ODEON__T_NUMBER, start, i - start, 1.0);
  }
  char buf[128];
  size_t n = i - start;
  double v;
  if (n >= sizeof buf) {
    v = HUGE_VAL; /* more digits than any double needs */
    errno = ERANGE;
  } else {
    memcpy(buf, L->s + start, n);
    buf[n] = '\0';
    errno = 0;
    v = strtod(buf, NULL);
  }
  if (!isfinite(v) || (errno == ERANGE && v != 0.0 && fabs(v) > 1.0)) {
    odeon__diag_error(L->diag, ODEON_E_PARSE, pos_at(L, start, n),
                      "number '%.*s' is out of range for a double",
                      (int)(n > 40 ? 40 : n), L->s + start);
    v = 1.0;
  }
  return push(L, ODEON__T_NUMBER, start, n, v);
}

int odeon__lex(const char *text, size_t len, odeon__diag *diag,
               odeon__token **out, size_t *count) {
  lexer L = {text, len, 0, 1, 0, diag, NULL, 0, 0};
  int rc = 0;
  /* a UTF-8 byte order mark, as some editors write, is not model text */
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
    L.i = L.line_start = 3;
  while (L.i < L.len && rc == 0) {
    char c = L.s[L.i];
    size_t at = L.i;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      L.i++;
    } else if (c == '\n') {
      rc = push(&L, ODEON__T_NEWLINE, at, 1, 0);
      L.i++;
      L.line++;
      L.line_start = L.i;
    } else if (c == '#' || (c == '/' && at + 1 < L.len && L.s[at + 1] == '/')) {
      while (L.i < L.len && L.s[L.i] != '\n')
        L.i++;
    } else if (is_alpha(c)) {
      while (L.i < L.len && (is_alpha(L.s[L.i]) || is_digit(L.s[L.i])))
        L.i++;
      rc = push(&L, ODEON__T_IDENT, at, L.i - at, 0);
    } else if (is_digit(c) ||
               (c == '.' && at + 1 < L.len && is_digit(L.s[at + 1]))) {
      rc = lex_number(&L);
    } else {
      char d = at + 1 < L.len ? L.s[at + 1] : '\0';
      int type = -1;
      size_t n = 1;
      switch (c) {
      case '+':
        type = ODEON__T_PLUS;
        break;
      case '-':
        type = ODEON__T_MINUS;
        break;
      case '*':
        if (d == '*') {
          type = ODEON__T_POW;
          n = 2;
        } else {
          type = ODEON__T_STAR;
        }
        break;
      case '/':
        type = ODEON__T_SLASH;
        break;
      case '^':
        type = ODEON__T_POW;
        break;
      case '(':
        type = ODEON__T_LPAREN;
        break;
      case ')':
        type = ODEON__T_RPAREN;
        break;
      case ',':
        type = ODEON__T_COMMA;
        break;
      case ':':
        type = ODEON__T_COLON;
        break;
      case ';':
        type = ODEON__T_NEWLINE;
        break;
      case '\'':
        type = ODEON__T_PRIME;
        break;
      case '=':
        type = d == '=' ? ODEON__T_EQ : ODEON__T_ASSIGN;
        n = d == '=' ? 2 : 1;
        break;
      case '<':
        type = d == '=' ? ODEON__T_LE : ODEON__T_LT;
        n = d == '=' ? 2 : 1;
        break;
      case '>':
        type = d == '=' ? ODEON__T_GE : ODEON__T_GT;
        n = d == '=' ? 2 : 1;
        break;
      case '!':
      case '~': /* MATLAB spells not and != with a tilde */
        type = d == '=' ? ODEON__T_NE : ODEON__T_NOT;
        n = d == '=' ? 2 : 1;
        break;
      case '.': /* MATLAB's element-wise .* ./ .^ are the plain operators */
        if (d == '*' || d == '/' || d == '^') {
          type = d == '*'   ? ODEON__T_STAR
                 : d == '/' ? ODEON__T_SLASH
                            : ODEON__T_POW;
          n = 2;
        }
        break;
      case '&':
        if (d == '&') {
          type = ODEON__T_AND;
          n = 2;
        }
        break;
      case '|':
        if (d == '|') {
          type = ODEON__T_OR;
          n = 2;
        }
        break;
      default:
        break;
      }
      if (type < 0) {
        unsigned char u = (unsigned char)c;
        if (u >= 0x20 && u < 0x7f)
          odeon__diag_error(diag, ODEON_E_PARSE, pos_at(&L, at, 1),
                            "unexpected character '%c'", c);
        else
          odeon__diag_error(diag, ODEON_E_PARSE, pos_at(&L, at, 1),
                            "unexpected byte 0x%02x (model files are ASCII "
                            "text)",
                            u);
        L.i++;
      } else {
        rc = push(&L, type, at, n, 0);
        L.i += n;
      }
    }
  }
  if (rc == 0)
    rc = push(&L, ODEON__T_EOF, L.i, 0, 0);
  if (rc != 0) {
    free(L.toks);
    return odeon__error(ODEON_E_NOMEM, "model: out of memory reading tokens");
  }
  *out = L.toks;
  *count = L.n;
  return ODEON_OK;
}
