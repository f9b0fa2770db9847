/* cli.h - shared pieces of the odeon program: strict parsing of option
 * values and the subcommands. */
#ifndef ODEON_CLI_CLI_H
#define ODEON_CLI_CLI_H

#include <stdint.h>

#include "odeon.h"

/* Exit statuses of the program. */
enum { ODEON_EXIT_OK = 0, ODEON_EXIT_FAILED = 1, ODEON_EXIT_USAGE = 2 };

/* Print "odeon: <message>" to stderr (one line). */
void odeon__cli_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Parse a whole string as a finite double / a non-negative integer; on
 * failure print "odeon: OPTION: ..." and return -1. */
int odeon__cli_double(const char *opt, const char *text, double *out);
int odeon__cli_int64(const char *opt, const char *text, int64_t *out);
/* Parse a byte count with an optional suffix (K, M, G, KiB, MiB, GiB) or a
 * fraction in (0, 1]. */
int odeon__cli_bytes(const char *opt, const char *text, double *out);

int odeon__cli_solve(int argc, char **argv);
void odeon__cli_solve_help(void);

/* Write the saved samples as CSV: header run,t,<saved states>[,<obs>]. */
int odeon__cli_write_csv(const odeon_result_t *result, const char *path,
                         int float32);

/* The summaries as CSV: run,window,<labels>; path NULL = stdout. */
int odeon__cli_write_summaries_csv(const odeon_result_t *result,
                                   const char *path, int float32);
/* The per-run table: run,status,status_text,<counters>; NULL = stdout. */
int odeon__cli_write_runs_csv(const odeon_result_t *result, const char *path);
/* One output as its own .npy file (nothing when it was streamed already). */
int odeon__cli_write_npy(const odeon_result_t *result, const char *name,
                         const char *path);

#endif
