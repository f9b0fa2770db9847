/* diag.h - diagnostics of the model language: every error with
 * origin:line:col, the source line and a caret, collected so that all errors
 * of a model are reported at once through odeon_last_error(). */
#ifndef ODEON_MODEL_DIAG_H
#define ODEON_MODEL_DIAG_H

#include <stddef.h>

#include "util/error.h"
#include "util/strbuf.h"

/* A place in the model text: 1-based line and column (in bytes), and the
 * byte span [off, off+len) that the caret underlines. */
typedef struct odeon__pos {
  int line, col;
  size_t off, len;
} odeon__pos;

typedef struct odeon__diag {
  const char *origin; /* "model.ode" or "<string>" */
  const char *text;   /* the whole model text */
  size_t text_len;
  struct odeon__diag_entry *entries; /* formatted errors, in order seen */
  int n_entries, cap_entries;
  int nomem;
  int count;  /* errors seen (all, also those not formatted) */
  int status; /* ODEON_E_PARSE if any syntax error, else E_MODEL */
} odeon__diag;

#define ODEON__DIAG_MAX_SHOWN 20

void odeon__diag_init(odeon__diag *d, const char *origin, const char *text,
                      size_t len);
void odeon__diag_free(odeon__diag *d);
/* Record an error of `status` (ODEON_E_PARSE or ODEON_E_MODEL) at pos. */
void odeon__diag_error(odeon__diag *d, int status, odeon__pos pos,
                       const char *fmt, ...) ODEON__PRINTF(4, 5);
/* ODEON_OK if no error was recorded; otherwise set the last error to all
 * messages and return the status (syntax errors outrank semantic ones). */
int odeon__diag_finish(odeon__diag *d);

/* Levenshtein distance of two names, capped at `cap` + 1 (for "did you
 * mean"). */
int odeon__edit_distance(const char *a, size_t la, const char *b, size_t lb,
                         int cap);

#endif
