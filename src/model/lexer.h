/* lexer.h - splits model text into tokens (names, numbers, operators,
 * newlines), reporting bad characters and malformed numbers. */
#ifndef ODEON_MODEL_LEXER_H
#define ODEON_MODEL_LEXER_H

#include <stddef.h>

#include "model/diag.h"

typedef enum odeon__tok {
  ODEON__T_EOF = 0,
  ODEON__T_NEWLINE, /* also ';' */
  ODEON__T_IDENT,
  ODEON__T_NUMBER,
  ODEON__T_PLUS,
  ODEON__T_MINUS,
  ODEON__T_STAR,
  ODEON__T_SLASH,
  ODEON__T_POW, /* ^ or ** */
  ODEON__T_LPAREN,
  ODEON__T_RPAREN,
  ODEON__T_COMMA,
  ODEON__T_COLON,
  ODEON__T_ASSIGN, /* = */
  ODEON__T_LT,
  ODEON__T_LE,
  ODEON__T_GT,
  ODEON__T_GE,
  ODEON__T_EQ,   /* == */
  ODEON__T_NE,   /* != */
  ODEON__T_AND,  /* && */
  ODEON__T_OR,   /* || */
  ODEON__T_NOT,  /* ! */
  ODEON__T_PRIME /* ' */
} odeon__tok;

typedef struct odeon__token {
  int type; /* odeon__tok */
  odeon__pos pos;
  double value; /* NUMBER */
} odeon__token;

/* Tokenise text[0..len) into a malloc'd array ending with an EOF token.
 * Lexical errors go to diag (the bad bytes are skipped). Returns ODEON_OK
 * or ODEON_E_NOMEM. */
int odeon__lex(const char *text, size_t len, odeon__diag *diag,
               odeon__token **out, size_t *count);

/* A readable spelling of a token type for messages ("')'"). */
const char *odeon__tok_name(int type);

#endif
