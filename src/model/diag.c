/* diag.c - formatting and collecting model errors (file:line:col, the line,
 * a caret), and the edit distance behind "did you mean". */
#include "model/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One formatted error; they are sorted by position before printing, so the
 * report reads top to bottom whichever pass found each error. */
struct odeon__diag_entry {
  int line, col, seq;
  char *text;
};

void odeon__diag_init(odeon__diag *d, const char *origin, const char *text,
                      size_t len) {
  d->origin = origin ? origin : "<string>";
  d->text = text;
  d->text_len = len;
  d->entries = NULL;
  d->n_entries = d->cap_entries = 0;
  d->nomem = 0;
  d->count = 0;
  d->status = ODEON_OK;
}

void odeon__diag_free(odeon__diag *d) {
  for (int i = 0; i < d->n_entries; i++)
    free(d->entries[i].text);
  free(d->entries);
  d->entries = NULL;
  d->n_entries = d->cap_entries = 0;
}

/* Print the source line around pos and a caret under its span. Control
 * characters print as spaces so the caret stays aligned; tabs are kept. */
static void show_line(odeon__diag *d, odeon__strbuf *out, odeon__pos pos) {
  size_t off = pos.off > d->text_len ? d->text_len : pos.off;
  size_t start = off;
  while (start > 0 && d->text[start - 1] != '\n')
    start--;
  size_t end = off;
  while (end < d->text_len && d->text[end] != '\n')
    end++;
  const size_t max_shown = 160;
  if (end - start > max_shown) { /* long lines: show a window around pos */
    if (off - start > max_shown / 2)
      start = off - max_shown / 2;
    if (end - start > max_shown)
      end = start + max_shown;
  }
  char line[200], caret[200];
  size_t n = 0;
  for (size_t i = start; i < end; i++, n++) {
    unsigned char c = (unsigned char)d->text[i];
    line[n] = c == '\t' ? '\t' : (c < 0x20 || c >= 0x7f) ? ' ' : (char)c;
    caret[n] = c == '\t' ? '\t' : ' ';
  }
  line[n] = '\0';
  size_t cpos = off - start;
  size_t clen = pos.len ? pos.len : 1;
  if (cpos > n)
    cpos = n;
  size_t m = cpos;
  caret[m++] = '^';
  for (size_t i = 1; i < clen && m < n; i++)
    caret[m++] = '~';
  caret[m] = '\0';
  odeon__strbuf_printf(out, "    %s\n    %s\n", line, caret);
}

void odeon__diag_error(odeon__diag *d, int status, odeon__pos pos,
                       const char *fmt, ...) {
  d->count++;
  if (status == ODEON_E_PARSE || d->status == ODEON_OK)
    d->status = status;
  /* keep a few more than shown: sorting may move later finds up */
  if (d->count > 4 * ODEON__DIAG_MAX_SHOWN)
    return;
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  odeon__strbuf b;
  odeon__strbuf_init(&b);
  odeon__strbuf_printf(&b, "%s:%d:%d: error: %s\n", d->origin, pos.line,
                       pos.col, text);
  show_line(d, &b, pos);
  if (d->n_entries == d->cap_entries) {
    int cap = d->cap_entries ? d->cap_entries * 2 : 16;
    struct odeon__diag_entry *e = realloc(d->entries, (size_t)cap * sizeof *e);
    if (!e) {
      d->nomem = 1;
      odeon__strbuf_free(&b);
      return;
    }
    d->entries = e;
    d->cap_entries = cap;
  }
  if (b.failed) {
    d->nomem = 1;
    odeon__strbuf_free(&b);
    return;
  }
  struct odeon__diag_entry *e = &d->entries[d->n_entries];
  e->line = pos.line;
  e->col = pos.col;
  e->seq = d->n_entries;
  e->text = odeon__strbuf_take(&b);
  d->n_entries++;
}

static int by_position(const void *pa, const void *pb) {
  const struct odeon__diag_entry *a = pa, *b = pb;
  if (a->line != b->line)
    return a->line < b->line ? -1 : 1;
  if (a->col != b->col)
    return a->col < b->col ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int odeon__diag_finish(odeon__diag *d) {
  if (d->count == 0)
    return ODEON_OK;
  if (d->nomem)
    return odeon__error(ODEON_E_NOMEM, "model: out of memory reporting errors");
  qsort(d->entries, (size_t)d->n_entries, sizeof *d->entries, by_position);
  odeon__strbuf msg;
  odeon__strbuf_init(&msg);
  for (int i = 0; i < d->n_entries && i < ODEON__DIAG_MAX_SHOWN; i++)
    odeon__strbuf_append(&msg, d->entries[i].text);
  if (d->count > ODEON__DIAG_MAX_SHOWN)
    odeon__strbuf_printf(&msg, "... and %d more errors\n",
                         d->count - ODEON__DIAG_MAX_SHOWN);
  odeon__strbuf_printf(&msg, "%d error%s in %s", d->count,
                       d->count == 1 ? "" : "s", d->origin);
  int rc = odeon__strbuf_ok(&msg);
  if (rc == ODEON_OK)
    rc = odeon__error(d->status, "%s", msg.data);
  odeon__strbuf_free(&msg);
  return rc;
}

int odeon__edit_distance(const char *a, size_t la, const char *b, size_t lb,
                         int cap) {
  if (la > 64 || lb > 64)
    return cap + 1;
  int row[65];
  for (size_t j = 0; j <= lb; j++)
    row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int diag = row[0], best = (int)i;
    row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int up = row[j];
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int v = diag + cost;
      if (up + 1 < v)
        v = up + 1;
      if (row[j - 1] + 1 < v)
        v = row[j - 1] + 1;
      row[j] = v;
      diag = up;
      if (v < best)
        best = v;
    }
    if (best > cap)
      return cap + 1;
  }
  return row[lb] > cap ? cap + 1 : row[lb];
}
