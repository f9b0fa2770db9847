/* csv.c - strict numeric CSV reader used for run inputs and driver samples. */
#include "io/csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

void odeon__csv_free(odeon__csv_table *t) {
  if (!t)
    return;
  for (int64_t i = 0; i < t->n_cols; i++) {
    if (t->names)
      free(t->names[i]);
    if (t->cols)
      free(t->cols[i]);
  }
  free(t->names);
  free(t->cols);
  memset(t, 0, sizeof *t);
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  char *e = s + strlen(s);
  while (e > s &&
         (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
    *--e = '\0';
  return s;
}

/* Reads one whole line of any length; returns NULL at end of file. */
static char *read_line(FILE *f, char **buf, size_t *cap, int *nomem) {
  size_t len = 0;
  int c;
  while ((c = fgetc(f)) != EOF) {
    if (len + 2 > *cap) {
      size_t ncap = *cap ? *cap * 2 : 256;
      char *p = realloc(*buf, ncap);
      if (!p) {
        *nomem = 1;
        return NULL;
      }
      *buf = p;
      *cap = ncap;
    }
    if (c == '\n')
      break;
    (*buf)[len++] = (char)c;
  }
  if (c == EOF && len == 0)
    return NULL;
  (*buf)[len] = '\0';
  return *buf;
}

int odeon__csv_read(const char *path, odeon__csv_table *out) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "r");
  if (!f)
    return odeon__error(ODEON_E_IO, "%s: cannot open: %s", path,
                        strerror(errno));
  char *buf = NULL;
  size_t cap = 0;
  int nomem = 0, st = ODEON_OK;
  int64_t line_no = 0, row_cap = 0;
  char *line;
  while ((line = read_line(f, &buf, &cap, &nomem)) != NULL) {
    line_no++;
    char *t = trim(line);
    if (*t == '\0' || *t == '#')
      continue;
    if (!out->names) {
      /* header */
      int64_t n = 1;
      for (char *p = t; *p; p++)
        n += *p == ',';
      out->names = calloc((size_t)n, sizeof *out->names);
      out->cols = calloc((size_t)n, sizeof *out->cols);
      if (!out->names || !out->cols) {
        nomem = 1;
        break;
      }
      out->n_cols = n;
      char *tok = t;
      for (int64_t i = 0; i < n; i++) {
        char *comma = strchr(tok, ',');
        if (comma)
          *comma = '\0';
        char *name = trim(tok);
        if (!*name) {
          st = odeon__error(ODEON_E_INVAL, "%s:%lld: empty column name %lld",
                            path, (long long)line_no, (long long)i + 1);
          goto done;
        }
        for (int64_t j = 0; j < i; j++)
          if (strcmp(out->names[j], name) == 0) {
            st = odeon__error(ODEON_E_INVAL,
                              "%s:%lld: column '%s' appears twice", path,
                              (long long)line_no, name);
            goto done;
          }
        out->names[i] = strdup(name);
        if (!out->names[i]) {
          nomem = 1;
          goto done;
        }
        tok = comma ? comma + 1 : tok + strlen(tok);
      }
      continue;
    }
    if (out->n_rows == row_cap) {
      int64_t ncap = row_cap ? row_cap * 2 : 64;
      for (int64_t i = 0; i < out->n_cols; i++) {
        double *p = realloc(out->cols[i], (size_t)ncap * sizeof(double));
        if (!p) {
          nomem = 1;
          goto done;
        }
        out->cols[i] = p;
      }
      row_cap = ncap;
    }
    char *tok = t;
    for (int64_t i = 0; i < out->n_cols; i++) {
      char *comma = strchr(tok, ',');
      if (!comma && i + 1 < out->n_cols) {
        st = odeon__error(
            ODEON_E_INVAL, "%s:%lld: expected %lld fields, found %lld", path,
            (long long)line_no, (long long)out->n_cols, (long long)i + 1);
        goto done;
      }
      if (comma && i + 1 == out->n_cols) {
        st =
            odeon__error(ODEON_E_INVAL,
                         "%s:%lld:%lld: more fields than the %lld header "
                         "columns",
                         path, (long long)line_no,
                         (long long)(comma - line) + 1, (long long)out->n_cols);
        goto done;
      }
      if (comma)
        *comma = '\0';
      int64_t col = (int64_t)(tok - line) + 1;
      char *field = trim(tok);
      char *end = NULL;
      errno = 0;
      double v = strtod(field, &end);
      if (!*field || *end || !isfinite(v)) {
        st = odeon__error(ODEON_E_INVAL,
                          "%s:%lld:%lld: column '%s': not a finite number: "
                          "'%s'",
                          path, (long long)line_no, (long long)col,
                          out->names[i], field);
        goto done;
      }
      out->cols[i][out->n_rows] = v;
      tok = comma ? comma + 1 : tok + strlen(tok);
    }
    out->n_rows++;
  }
  if (!nomem && ferror(f))
    st = odeon__error(ODEON_E_IO, "%s: read error", path);
  else if (!nomem && !out->names)
    st = odeon__error(ODEON_E_INVAL, "%s: empty file: no header line", path);
  else if (!nomem && out->n_rows == 0)
    st = odeon__error(ODEON_E_INVAL, "%s: header but no data rows", path);
done:
  if (nomem)
    st = odeon__error(ODEON_E_NOMEM, "%s: out of memory reading", path);
  free(buf);
  fclose(f);
  if (st != ODEON_OK)
    odeon__csv_free(out);
  return st;
}
