/* test_implicit_lu.c - the small dense LU of src/core/lu.h: solutions of
 * real and complex systems that need row interchanges (checked through
 * their residuals against the original matrix), exact singularity and
 * non-finite pivots detected with the failing column, and a matrix sized
 * like a real model's (HIRES, 8 states). */
#include "test_util.h"

#include <math.h>

#include "lu.h"

#define NMAX 8

/* A deterministic, non-symmetric matrix with a zero on the diagonal so
 * that the factorisation must pivot: a[i][j] = sin(2.385 (i+1) + 1.7 j). */
static void fill(int n, double *a, double *ai) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      a[i * n + j] = sin(2.385 * (i + 1) + 1.7 * j) + (i == j ? 0.5 : 0.0);
      if (ai)
        ai[i * n + j] = cos(1.3 * (i + 2) - 0.9 * j);
    }
  a[0] = 0.0; /* forces a row interchange in the first column */
  if (ai)
    ai[0] = 0.0;
}

static void test_real_solve(void **state) {
  (void)state;
  for (int n = 1; n <= NMAX; n++) {
    double a[NMAX * NMAX], lu[NMAX * NMAX], b[NMAX], x[NMAX];
    int piv[NMAX];
    fill(n, a, NULL);
    if (n == 1)
      a[0] = 2.385;
    for (int i = 0; i < n * n; i++)
      lu[i] = a[i];
    for (int i = 0; i < n; i++)
      x[i] = b[i] = 1.0 + 0.25 * i;
    assert_int_equal(odeon_lu_factor(n, lu, piv), 0);
    odeon_lu_solve(n, lu, piv, x);
    double worst = 0;
    for (int i = 0; i < n; i++) {
      double r = -b[i];
      for (int j = 0; j < n; j++)
        r += a[i * n + j] * x[j];
      worst = fmax(worst, fabs(r));
    }
    if (worst > 1e-12)
      print_error("n=%d: residual %.3g\n", n, worst);
    assert_true(worst <= 1e-12);
    if (n > 1)
      assert_int_not_equal(piv[0], 0); /* it did pivot */
  }
}

static void test_complex_solve(void **state) {
  (void)state;
  for (int n = 1; n <= NMAX; n++) {
    double ar[NMAX * NMAX], ai[NMAX * NMAX], lr[NMAX * NMAX], li[NMAX * NMAX],
        xr[NMAX], xi[NMAX];
    int piv[NMAX];
    fill(n, ar, ai);
    if (n == 1) {
      ar[0] = 2.385;
      ai[0] = -1.5;
    }
    for (int i = 0; i < n * n; i++) {
      lr[i] = ar[i];
      li[i] = ai[i];
    }
    for (int i = 0; i < n; i++) {
      xr[i] = 1.0 + 0.25 * i;
      xi[i] = 0.5 - 0.125 * i;
    }
    assert_int_equal(odeon_lu_factor_complex(n, lr, li, piv), 0);
    odeon_lu_solve_complex(n, lr, li, piv, xr, xi);
    double worst = 0;
    for (int i = 0; i < n; i++) {
      double rr = -(1.0 + 0.25 * i), ri = -(0.5 - 0.125 * i);
      for (int j = 0; j < n; j++) {
        rr += ar[i * n + j] * xr[j] - ai[i * n + j] * xi[j];
        ri += ar[i * n + j] * xi[j] + ai[i * n + j] * xr[j];
      }
      worst = fmax(worst, fabs(rr) + fabs(ri));
    }
    if (worst > 1e-12)
      print_error("complex n=%d: residual %.3g\n", n, worst);
    assert_true(worst <= 1e-12);
  }
}

static void test_singular(void **state) {
  (void)state;
  /* rank 2: row 2 = row 0 + row 1 */
  double a[9] = {2.385, 1.0, -0.5, 0.75, 3.0, 1.25, 3.135, 4.0, 0.75};
  int piv[3];
  assert_int_equal(odeon_lu_factor(3, a, piv), 3);
  /* a zero column: column 1 has no pivot */
  double b[9] = {2.385, 0.0, 1.0, 1.5, 0.0, 2.0, -0.5, 0.0, 3.0};
  assert_int_equal(odeon_lu_factor(3, b, piv), 2);
  /* a NaN in the matrix is not a usable pivot */
  double c[4] = {NAN, 1.0, NAN, 2.0};
  assert_int_not_equal(odeon_lu_factor(2, c, piv), 0);
  double d[4] = {INFINITY, 1.0, 0.5, 2.0};
  assert_int_equal(odeon_lu_factor(2, d, piv), 1);
  /* complex: the zero matrix */
  double zr[4] = {0, 0, 0, 0}, zi[4] = {0, 0, 0, 0};
  assert_int_equal(odeon_lu_factor_complex(2, zr, zi, piv), 1);
  /* complex but not real-singular: [[i, 1], [1, i]] has det -2 */
  double er[4] = {0, 1, 1, 0}, ei[4] = {1, 0, 0, 1};
  assert_int_equal(odeon_lu_factor_complex(2, er, ei, piv), 0);
  double xr[2] = {1.0, 0.0}, xi[2] = {0.0, 0.0};
  odeon_lu_solve_complex(2, er, ei, piv, xr, xi);
  /* inverse of [[i,1],[1,i]] is [[i,1],[1,i]] * (-1/2) ... times e1:
   * x = (-i/2, -1/2)... check A x = e1 directly */
  double r0r = 0 * xr[0] - 1 * xi[0] + xr[1], r0i = 0 * xi[0] + xr[0] + xi[1];
  double r1r = xr[0] - xi[1], r1i = xi[0] + xr[1];
  assert_true(fabs(r0r - 1.0) < 1e-15 && fabs(r0i) < 1e-15);
  assert_true(fabs(r1r) < 1e-15 && fabs(r1i) < 1e-15);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_real_solve),
      cmocka_unit_test(test_complex_solve),
      cmocka_unit_test(test_singular),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
