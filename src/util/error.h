/* error.h - internal error reporting: every failing path sets the thread's
 * last-error message through odeon__error() and returns its status. */
#ifndef ODEON_UTIL_ERROR_H
#define ODEON_UTIL_ERROR_H

#include "odeon.h"

#if defined(__GNUC__)
#define ODEON__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ODEON__PRINTF(a, b)
#endif

/* Set the last-error message of this thread and return `status`. The message
 * should say what was wrong and where ("--dt: must be positive, got -1"). */
int odeon__error(int status, const char *fmt, ...) ODEON__PRINTF(2, 3);
/* Like odeon__error, but prefixes the current message with a context line
 * ("solve: chunk 3: " + old message) and keeps the status. */
int odeon__error_context(int status, const char *fmt, ...) ODEON__PRINTF(2, 3);

/* Check a public pointer argument at entry (SUNDIALS cvode_io.c habit). */
#define ODEON__CHECK_ARG(cond, fn, ...)                                        \
  do {                                                                         \
    if (!(cond))                                                               \
      return odeon__error(ODEON_E_INVAL, fn ": " __VA_ARGS__);                 \
  } while (0)

#endif
