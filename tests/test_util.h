/* test_util.h - helpers shared by the tests: cmocka includes, reading files
 * from tests/data, and assertions on odeon status codes that print the
 * library's last-error message when they fail. */
#ifndef ODEON_TEST_UTIL_H
#define ODEON_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "odeon.h"

/* The Lorenz system most tests solve: sigma 10, beta 8/3, rho a parameter
 * (21 unless swept), from (1, 0, 0), as in the reference data of
 * ../shared/reference/lorenz-julia (tests/data/lorenz). */
#define ODEON_TEST_LORENZ                                                      \
  "states:      x = 1, y = 0, z = 0\n"                                         \
  "parameters:  rho = 21\n"                                                    \
  "constants:   sigma = 10, beta = 8/3\n"                                      \
  "dx = sigma*(y - x)\n"                                                       \
  "dy = x*(rho - z) - y\n"                                                     \
  "dz = x*y - beta*z\n"

/* Assert that a call returned `expected`, printing the last error if not. */
#define assert_status(call, expected)                                          \
  do {                                                                         \
    int st_ = (call);                                                          \
    if (st_ != (expected))                                                     \
      print_error("%s returned %s (%d), expected %s: %s\n", #call,             \
                  odeon_status_name(st_), st_, odeon_status_name(expected),    \
                  odeon_last_error());                                         \
    assert_int_equal(st_, (expected));                                         \
  } while (0)
#define assert_ok(call) assert_status((call), ODEON_OK)

/* Assert that the last error message contains a fragment. */
#define assert_error_contains(fragment)                                        \
  do {                                                                         \
    if (!strstr(odeon_last_error(), (fragment)))                               \
      print_error("last error \"%s\" lacks \"%s\"\n", odeon_last_error(),      \
                  (fragment));                                                 \
    assert_non_null(strstr(odeon_last_error(), (fragment)));                   \
  } while (0)

/* 1 if output `name` of a and b is the same bit for bit (same type and
 * shape; absent from both counts as the same), else 0. */
static inline int output_bits_equal(const odeon_result_t *a,
                                    const odeon_result_t *b, const char *name) {
  odeon_array_view va, vb;
  int ha = odeon_result_output(a, name, &va) == ODEON_OK;
  int hb = odeon_result_output(b, name, &vb) == ODEON_OK;
  if (ha != hb)
    return 0;
  if (!ha)
    return 1;
  if (va.ndim != vb.ndim || va.dtype != vb.dtype)
    return 0;
  size_t bytes =
      va.dtype == ODEON_DTYPE_F32 || va.dtype == ODEON_DTYPE_U32 ? 4 : 8;
  for (int d = 0; d < va.ndim; d++) {
    if (va.shape[d] != vb.shape[d])
      return 0;
    bytes *= (size_t)va.shape[d];
  }
  return memcmp(va.data, vb.data, bytes) == 0;
}

/* An output of a result as a malloc'ed array of doubles (NULL if absent or
 * out of memory); *count elements. */
static inline double *output_doubles(const odeon_result_t *r, const char *name,
                                     size_t *count) {
  odeon_array_view v;
  *count = 0;
  if (odeon_result_output(r, name, &v) != ODEON_OK || !v.data)
    return NULL;
  size_t n = 1;
  for (int d = 0; d < v.ndim; d++)
    n *= (size_t)v.shape[d];
  double *x = malloc(n * sizeof *x);
  if (!x)
    return NULL;
  for (size_t i = 0; i < n; i++)
    x[i] = odeon_array_view_at(&v, (int64_t)i);
  *count = n;
  return x;
}

#endif
