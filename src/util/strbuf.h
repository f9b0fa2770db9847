/* strbuf.h - a growable string used to print generated source and messages.
 * An allocation failure is sticky: later appends do nothing and
 * odeon__strbuf_ok() reports it once at the end. */
#ifndef ODEON_UTIL_STRBUF_H
#define ODEON_UTIL_STRBUF_H

#include <stddef.h>

#include "util/error.h"

typedef struct odeon__strbuf {
  char *data; /* always NUL-terminated when len > 0 or after init */
  size_t len;
  size_t cap;
  int failed;
} odeon__strbuf;

void odeon__strbuf_init(odeon__strbuf *b);
void odeon__strbuf_free(odeon__strbuf *b);
void odeon__strbuf_append(odeon__strbuf *b, const char *s);
void odeon__strbuf_appendn(odeon__strbuf *b, const char *s, size_t n);
void odeon__strbuf_printf(odeon__strbuf *b, const char *fmt, ...)
    ODEON__PRINTF(2, 3);
/* ODEON_OK, or ODEON_E_NOMEM (with last error set) if any append failed. */
int odeon__strbuf_ok(const odeon__strbuf *b);
/* Take ownership of the text; the buffer is left empty. */
char *odeon__strbuf_take(odeon__strbuf *b);

#endif
