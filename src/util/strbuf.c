/* strbuf.c - growable strings for generated source and messages. */
#include "util/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void odeon__strbuf_init(odeon__strbuf *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->failed = 0;
}

void odeon__strbuf_free(odeon__strbuf *b) {
  free(b->data);
  odeon__strbuf_init(b);
}

static int reserve(odeon__strbuf *b, size_t extra) {
  if (b->failed)
    return 0;
  if (b->len + extra + 1 <= b->cap)
    return 1;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) {
    if (cap > ((size_t)-1) / 2) {
      b->failed = 1;
      return 0;
    }
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (!p) {
    b->failed = 1;
    return 0;
  }
  b->data = p;
  b->cap = cap;
  return 1;
}

void odeon__strbuf_appendn(odeon__strbuf *b, const char *s, size_t n) {
  if (!reserve(b, n))
    return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void odeon__strbuf_append(odeon__strbuf *b, const char *s) {
  odeon__strbuf_appendn(b, s, strlen(s));
}

void odeon__strbuf_printf(odeon__strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = 1;
    va_end(ap2);
    return;
  }
  if (reserve(b, (size_t)n)) {
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    b->len += (size_t)n;
  }
  va_end(ap2);
}

int odeon__strbuf_ok(const odeon__strbuf *b) {
  if (b->failed)
    return odeon__error(ODEON_E_NOMEM, "out of memory building a string");
  return ODEON_OK;
}

char *odeon__strbuf_take(odeon__strbuf *b) {
  char *p = b->data;
  if (!p)
    p = calloc(1, 1);
  odeon__strbuf_init(b);
  return p;
}
