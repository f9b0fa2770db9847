/* write_csv.c - writes a result's saved samples as CSV: header
 * run,t,<saved states>[,<observables>], one row per run per saved time, runs
 * in input order, full precision (%.17g for float64, %.9g for float32). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/error.h"

/* The shortest text that reads back as the same double (times like 0.1
 * print as "0.1", not "0.10000000000000001"). */
static const char *shortest(double v, char *buf, size_t size) {
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(buf, size, "%.*g", digits, v);
    if (strtod(buf, NULL) == v)
      break;
  }
  return buf;
}

int odeon__cli_write_csv(const odeon_result_t *result, const char *path,
                         int float32) {
  odeon_array_view state, time, obs;
  int st = odeon_result_output(result, "state", &state);
  if (st != ODEON_OK)
    return st;
  if ((st = odeon_result_output(result, "time", &time)) != ODEON_OK)
    return st;
  int have_obs = odeon_result_output(result, "observables", &obs) == ODEON_OK;
  odeon_clear_error();
  if (!state.data || !time.data)
    return odeon__error(ODEON_E_INVAL,
                        "csv: the result lives in a file sink; write .npy");
  /* state: [sample][variable][run] */
  int64_t ns = state.shape[0], nv = state.shape[1], nr = state.shape[2];
  int64_t no = have_obs ? obs.shape[1] : 0;
  FILE *f = path ? fopen(path, "w") : stdout;
  if (!f)
    return odeon__error(ODEON_E_IO, "--out %s: cannot open: %s", path,
                        strerror(errno));
  const char *fmt = float32 ? ",%.9g" : ",%.17g";
  char tbuf[40];
  fputs("run,t", f);
  for (int64_t v = 0; v < nv; v++)
    fprintf(f, ",%s", state.labels ? state.labels[v] : "?");
  for (int64_t v = 0; v < no; v++)
    fprintf(f, ",%s", obs.labels ? obs.labels[v] : "?");
  fputc('\n', f);
  for (int64_t r = 0; r < nr; r++)
    for (int64_t s = 0; s < ns; s++) {
      fprintf(f, "%lld", (long long)r);
      fprintf(f, ",%s",
              shortest(odeon_array_view_at(&time, s), tbuf, sizeof tbuf));
      for (int64_t v = 0; v < nv; v++)
        fprintf(f, fmt, odeon_array_view_at(&state, (s * nv + v) * nr + r));
      for (int64_t v = 0; v < no; v++)
        fprintf(f, fmt, odeon_array_view_at(&obs, (s * no + v) * nr + r));
      fputc('\n', f);
    }
  int bad = ferror(f);
  if (path)
    bad |= fclose(f) != 0;
  else
    bad |= fflush(f) != 0;
  if (bad)
    return odeon__error(ODEON_E_IO, "--out %s: write failed: %s",
                        path ? path : "<stdout>", strerror(errno));
  return ODEON_OK;
}
