/* parse.c - strict parsing of command-line values: a value is accepted only
 * when the whole text is a finite number of the expected kind. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void odeon__cli_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("odeon: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

int odeon__cli_double(const char *opt, const char *text, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (!*text || *end || errno == ERANGE || !isfinite(v)) {
    odeon__cli_fail("%s: not a finite number: '%s'", opt, text);
    return -1;
  }
  *out = v;
  return 0;
}

int odeon__cli_int64(const char *opt, const char *text, int64_t *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (!*text || *end || errno == ERANGE || v < 0) {
    odeon__cli_fail("%s: not a non-negative integer: '%s'", opt, text);
    return -1;
  }
  *out = (int64_t)v;
  return 0;
}

int odeon__cli_bytes(const char *opt, const char *text, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (!*text || end == text || errno == ERANGE || !isfinite(v) || v <= 0) {
    odeon__cli_fail("%s: not a positive size or fraction: '%s'", opt, text);
    return -1;
  }
  static const struct {
    const char *suffix;
    double scale;
  } units[] = {{"", 1},
               {"B", 1},
               {"K", 1024.0},
               {"KiB", 1024.0},
               {"KB", 1e3},
               {"M", 1048576.0},
               {"MiB", 1048576.0},
               {"MB", 1e6},
               {"G", 1073741824.0},
               {"GiB", 1073741824.0},
               {"GB", 1e9},
               {"T", 1099511627776.0},
               {"TiB", 1099511627776.0},
               {"TB", 1e12}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (strcmp(end, units[i].suffix) == 0) {
      if (*end == '\0' && v <= 1.0) {
        *out = v; /* a fraction of free memory */
        return 0;
      }
      if (*end != '\0' || v > 1.0) {
        *out = v * units[i].scale;
        if (*out < 1.0 + 1e-9 && *end) {
          odeon__cli_fail("%s: size too small: '%s'", opt, text);
          return -1;
        }
        return 0;
      }
    }
  }
  odeon__cli_fail("%s: unknown size suffix '%s' in '%s' (use K, M, G, KiB, "
                  "MiB, GiB or a fraction in (0, 1])",
                  opt, end, text);
  return -1;
}
