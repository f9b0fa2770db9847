/* write_tables.c - writes the outputs other than the saved samples: the
 * summaries as CSV (run,window,<metric(variable)>...) and the per-run table
 * (run,status,status_text,<counters>...), or each output as its own .npy. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "io/npy.h"
#include "util/error.h"

static FILE *open_out(const char *path) {
  return path ? fopen(path, "w") : stdout;
}

static int close_out(FILE *f, const char *path) {
  int bad = ferror(f);
  bad |= path ? fclose(f) != 0 : fflush(f) != 0;
  if (bad)
    return odeon__error(ODEON_E_IO, "%s: write failed: %s",
                        path ? path : "<stdout>", strerror(errno));
  return ODEON_OK;
}

int odeon__cli_write_summaries_csv(const odeon_result_t *r, const char *path,
                                   int float32) {
  odeon_array_view v;
  int st = odeon_result_output(r, "summaries", &v);
  if (st != ODEON_OK)
    return st;
  /* [window][row][run] */
  int64_t nw = v.shape[0], nrow = v.shape[1], nr = v.shape[2];
  FILE *f = open_out(path);
  if (!f)
    return odeon__error(ODEON_E_IO, "%s: cannot open: %s", path,
                        strerror(errno));
  const char *fmt = float32 ? ",%.9g" : ",%.17g";
  fputs("run,window", f);
  for (int64_t k = 0; k < nrow; k++)
    fprintf(f, ",%s", v.labels ? v.labels[k] : "?");
  fputc('\n', f);
  for (int64_t run = 0; run < nr; run++)
    for (int64_t w = 0; w < nw; w++) {
      fprintf(f, "%lld,%lld", (long long)run, (long long)w);
      for (int64_t k = 0; k < nrow; k++)
        fprintf(f, fmt, odeon_array_view_at(&v, (w * nrow + k) * nr + run));
      fputc('\n', f);
    }
  return close_out(f, path);
}

int odeon__cli_write_runs_csv(const odeon_result_t *r, const char *path) {
  odeon_array_view cnt;
  int have_counters = odeon_result_output(r, "counters", &cnt) == ODEON_OK;
  odeon_clear_error();
  int64_t nr = odeon_result_runs(r), nc = have_counters ? cnt.shape[0] : 0;
  FILE *f = open_out(path);
  if (!f)
    return odeon__error(ODEON_E_IO, "%s: cannot open: %s", path,
                        strerror(errno));
  fputs("run,status,status_text", f);
  for (int64_t k = 0; k < nc; k++)
    fprintf(f, ",%s", cnt.labels ? cnt.labels[k] : "?");
  fputc('\n', f);
  for (int64_t run = 0; run < nr; run++) {
    uint32_t w = odeon_result_run_status(r, run);
    char text[160];
    odeon_run_status_string(w, text, sizeof text);
    fprintf(f, "%lld,%u,%s", (long long)run, (unsigned)w, text);
    for (int64_t k = 0; k < nc; k++)
      fprintf(f, ",%lld", (long long)odeon_array_view_at(&cnt, k * nr + run));
    fputc('\n', f);
  }
  return close_out(f, path);
}

int odeon__cli_write_npy(const odeon_result_t *r, const char *name,
                         const char *path) {
  odeon_array_view v;
  int st = odeon_result_output(r, name, &v);
  if (st != ODEON_OK)
    return st;
  if (!v.data)
    return ODEON_OK; /* already streamed to its own file */
  static const char *descr[] = {"<f8", "<f4", "<u4", "<i8"};
  static const size_t size[] = {8, 4, 4, 8};
  size_t bytes = size[v.dtype];
  for (int k = 0; k < v.ndim; k++)
    bytes *= (size_t)v.shape[k];
  odeon__npy *f;
  if ((st = odeon__npy_create(path, descr[v.dtype], v.ndim, v.shape, &f)) !=
      ODEON_OK)
    return st;
  st = odeon__npy_write(f, 0, v.data, bytes);
  int st2 = odeon__npy_close(f);
  return st != ODEON_OK ? st : st2;
}
