/* test_implicit_tableaus.c - checks the order conditions of every implicit
 * method's const table numerically: Butcher's rooted-tree conditions up to
 * order 5 for the DIRK tables (solution and embedded estimate), Hairer &
 * Wanner's Rosenbrock conditions up to order 4 after transforming the
 * tables back to (alpha, gamma) form, and Radau IIA 5's transformation
 * constants against its exact Butcher matrix. */
#include "test_util.h"

#include <math.h>

#include "radau_iia5_tables.h"
#include "rosenbrock_tables.h"
#include "sdirk_tables.h"

#define MS 8

/* Residuals of Butcher's conditions of exactly order q (q = 1..5) for the
 * RK method (A incl. diagonal, b, c) with s stages; returns the largest
 * absolute residual. */
static double rk_order_residual(int s, double A[MS][MS], const double *b,
                                const double *c, int q) {
  double Ac[MS] = {0}, Ac2[MS] = {0}, Ac3[MS] = {0}, AAc[MS] = {0};
  double AcAc[MS] = {0}, AAc2[MS] = {0}, AAAc[MS] = {0};
  double cAc[MS];
  for (int i = 0; i < s; i++)
    for (int j = 0; j < s; j++) {
      Ac[i] += A[i][j] * c[j];
      Ac2[i] += A[i][j] * c[j] * c[j];
      Ac3[i] += A[i][j] * c[j] * c[j] * c[j];
    }
  for (int i = 0; i < s; i++)
    cAc[i] = c[i] * Ac[i];
  for (int i = 0; i < s; i++)
    for (int j = 0; j < s; j++) {
      AAc[i] += A[i][j] * Ac[j];
      AcAc[i] += A[i][j] * cAc[j];
      AAc2[i] += A[i][j] * Ac2[j];
    }
  for (int i = 0; i < s; i++)
    for (int j = 0; j < s; j++)
      AAAc[i] += A[i][j] * AAc[j];
  double r[9] = {0};
  int n = 0;
  double sum[9] = {0};
  for (int i = 0; i < s; i++) {
    double ci = c[i];
    switch (q) {
    case 1:
      sum[0] += b[i];
      break;
    case 2:
      sum[0] += b[i] * ci;
      break;
    case 3:
      sum[0] += b[i] * ci * ci;
      sum[1] += b[i] * Ac[i];
      break;
    case 4:
      sum[0] += b[i] * ci * ci * ci;
      sum[1] += b[i] * ci * Ac[i];
      sum[2] += b[i] * Ac2[i];
      sum[3] += b[i] * AAc[i];
      break;
    case 5:
      sum[0] += b[i] * ci * ci * ci * ci;
      sum[1] += b[i] * ci * ci * Ac[i];
      sum[2] += b[i] * ci * Ac2[i];
      sum[3] += b[i] * ci * AAc[i];
      sum[4] += b[i] * Ac[i] * Ac[i];
      sum[5] += b[i] * Ac3[i];
      sum[6] += b[i] * AcAc[i];
      sum[7] += b[i] * AAc2[i];
      sum[8] += b[i] * AAAc[i];
      break;
    }
  }
  static const double want[6][9] = {{0},
                                    {1.0},
                                    {1.0 / 2},
                                    {1.0 / 3, 1.0 / 6},
                                    {1.0 / 4, 1.0 / 8, 1.0 / 12, 1.0 / 24},
                                    {1.0 / 5, 1.0 / 10, 1.0 / 15, 1.0 / 30,
                                     1.0 / 20, 1.0 / 20, 1.0 / 40, 1.0 / 60,
                                     1.0 / 120}};
  static const int count[6] = {0, 1, 1, 2, 4, 9};
  n = count[q];
  double worst = 0;
  for (int k = 0; k < n; k++) {
    r[k] = fabs(sum[k] - want[q][k]);
    if (r[k] > worst)
      worst = r[k];
  }
  return worst;
}

static void check_rk(const char *name, int s, double A[MS][MS], const double *b,
                     const double *c, int order, double tol) {
  for (int i = 0; i < s; i++) {
    double row = 0;
    for (int j = 0; j < s; j++)
      row += A[i][j];
    if (fabs(row - c[i]) > tol)
      print_error("%s: row %d sums to %.17g, c = %.17g\n", name, i, row, c[i]);
    assert_true(fabs(row - c[i]) <= tol);
  }
  for (int q = 1; q <= order; q++) {
    double r = rk_order_residual(s, A, b, c, q);
    if (r > tol)
      print_error("%s: order-%d condition residual %.3g\n", name, q, r);
    assert_true(r <= tol);
  }
  /* The stated order is the exact order: some condition of order + 1
   * fails (a wrong table would often claim too little). */
  if (order < 5) {
    double r = rk_order_residual(s, A, b, c, order + 1);
    if (!(r > 1e-6))
      print_error("%s: also satisfies order %d (%.3g)\n", name, order + 1, r);
    assert_true(r > 1e-6);
  }
}

static void test_dirk_tables(void **state) {
  (void)state;
  static const char *names[ODEON_DIRK_COUNT] = {
      "backward_euler",   "implicit_midpoint", "trapezoid", "sdirk_2_2",
      "l_stable_sdirk_4", "kvaerno3",          "kvaerno5"};
  for (int v = 0; v < ODEON_DIRK_COUNT; v++) {
    const odeon_dirk_tableau *t = odeon_dirk_table(v);
    double A[MS][MS] = {{0}}, bhat[MS] = {0};
    for (int i = 0; i < t->stages; i++) {
      for (int j = 0; j <= i; j++)
        A[i][j] = t->a[i][j];
      bhat[i] = t->b[i] + t->btilde[i];
      /* the diagonal is gamma everywhere (after an explicit first stage) */
      double want = (i == 0 && t->explicit_first) ? 0.0 : t->gamma;
      assert_true(fabs(t->a[i][i] - want) < 1e-15);
    }
    check_rk(names[v], t->stages, A, t->b, t->c, t->order, 1e-9);
    if (t->error_kind == ODEON_DIRK_ERR_EMBEDDED)
      check_rk(names[v], t->stages, A, bhat, t->c, t->err_order, 1e-9);
  }
}

/* Solve the lower-triangular system L x = e_k column by column: inverse of
 * a lower-triangular matrix. */
static void lower_inverse(int s, double L[MS][MS], double X[MS][MS]) {
  for (int k = 0; k < s; k++)
    for (int i = 0; i < s; i++) {
      double v = (i == k) ? 1.0 : 0.0;
      for (int j = 0; j < i; j++)
        v -= L[i][j] * X[j][k];
      X[i][k] = v / L[i][i];
    }
}

/* Hairer & Wanner IV.7 Table 7.1 conditions up to order `order` for the
 * Rosenbrock method in (alpha, beta = alpha + Gamma, b) form; returns the
 * worst residual. */
static double ros_residual(int s, double al[MS][MS], double be[MS][MS],
                           const double *b, double g, int order) {
  double a_[MS] = {0}, bp[MS] = {0}, bbp[MS] = {0}, ba2[MS] = {0};
  for (int i = 0; i < s; i++)
    for (int j = 0; j < i; j++) {
      a_[i] += al[i][j];
      bp[i] += be[i][j];
    }
  for (int i = 0; i < s; i++)
    for (int j = 0; j < i; j++) {
      bbp[i] += be[i][j] * bp[j];
      ba2[i] += be[i][j] * a_[j] * a_[j];
    }
  double s1 = 0, s2 = 0, s3a = 0, s3b = 0, s4a = 0, s4b = 0, s4c = 0, s4d = 0;
  for (int i = 0; i < s; i++) {
    double aab = 0, bbb = 0;
    for (int j = 0; j < i; j++) {
      aab += al[i][j] * bp[j];
      bbb += be[i][j] * bbp[j];
    }
    s1 += b[i];
    s2 += b[i] * bp[i];
    s3a += b[i] * a_[i] * a_[i];
    s3b += b[i] * bbp[i];
    s4a += b[i] * a_[i] * a_[i] * a_[i];
    s4b += b[i] * a_[i] * aab;
    s4c += b[i] * ba2[i];
    s4d += b[i] * bbb;
  }
  double r[8] = {fabs(s1 - 1),
                 fabs(s2 - (0.5 - g)),
                 fabs(s3a - 1.0 / 3),
                 fabs(s3b - (1.0 / 6 - g + g * g)),
                 fabs(s4a - 0.25),
                 fabs(s4b - (1.0 / 8 - g / 3)),
                 fabs(s4c - (1.0 / 12 - g / 3)),
                 fabs(s4d - (1.0 / 24 - g / 2 + 1.5 * g * g - g * g * g))};
  static const int upto[5] = {0, 1, 2, 4, 8};
  double worst = 0;
  for (int k = 0; k < upto[order > 4 ? 4 : order]; k++)
    if (r[k] > worst)
      worst = r[k];
  return worst;
}

static void test_rosenbrock_tables(void **state) {
  (void)state;
  static const char *names[ODEON_ROS_COUNT] = {
      "ros3p", "rodas3p", "rosenbrock23", "rodas4", "rodas5p"};
  for (int v = 0; v < ODEON_ROS_COUNT; v++) {
    const odeon_ros_tableau *t = odeon_ros_table(v);
    if (t->kind != ODEON_ROS_GENERIC)
      continue;
    const int s = t->stages;
    double Gi[MS][MS] = {{0}}, G[MS][MS] = {{0}}, al[MS][MS] = {{0}},
           be[MS][MS] = {{0}};
    /* Gamma^-1 = diag(1/gamma) - C */
    for (int i = 0; i < s; i++)
      for (int j = 0; j <= i; j++)
        Gi[i][j] = (i == j) ? 1.0 / t->gamma : -t->C[i][j];
    lower_inverse(s, Gi, G);
    for (int i = 0; i < s; i++)
      for (int j = 0; j < s; j++) {
        for (int k = 0; k < s; k++)
          al[i][j] += t->a[i][k] * G[k][j];
        be[i][j] = al[i][j] + G[i][j];
      }
    double bo[MS] = {0}, bho[MS] = {0};
    for (int j = 0; j < s; j++)
      for (int i = 0; i < s; i++) {
        bo[j] += t->b[i] * G[i][j];
        bho[j] += (t->b[i] + t->btilde[i]) * G[i][j];
      }
    /* c_i = alpha_i and d_i = gamma_i (row sums of Gamma) */
    for (int i = 0; i < s; i++) {
      double ai = 0, gi = 0;
      for (int j = 0; j < s; j++) {
        ai += al[i][j];
        gi += G[i][j];
      }
      if (fabs(ai - t->c[i]) > 1e-9 || fabs(gi - t->d[i]) > 1e-9)
        print_error("%s stage %d: alpha_i %.12g c %.12g gamma_i %.12g d "
                    "%.12g\n",
                    names[v], i, ai, t->c[i], gi, t->d[i]);
      assert_true(fabs(ai - t->c[i]) <= 1e-9);
      assert_true(fabs(gi - t->d[i]) <= 1e-9);
    }
    double r = ros_residual(s, al, be, bo, t->gamma, t->order);
    double re = ros_residual(s, al, be, bho, t->gamma, t->err_order);
    if (r > 1e-9 || re > 1e-9)
      print_error("%s: order residual %.3g, embedded %.3g\n", names[v], r, re);
    assert_true(r <= 1e-9);
    assert_true(re <= 1e-9);
  }
}

static void test_radau_constants(void **state) {
  (void)state;
  const double s6 = sqrt(6.0);
  const double A[3][3] = {
      {(88 - 7 * s6) / 360, (296 - 169 * s6) / 1800, (-2 + 3 * s6) / 225},
      {(296 + 169 * s6) / 1800, (88 + 7 * s6) / 360, (-2 - 3 * s6) / 225},
      {(16 - s6) / 36, (16 + s6) / 36, 1.0 / 9}};
  const double c[3] = {ODEON_RADAU_C1, ODEON_RADAU_C2, 1.0};
  double AA[MS][MS] = {{0}}, b[MS] = {0};
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++)
      AA[i][j] = A[i][j];
    b[i] = A[2][i];
  }
  check_rk("radau_iia_5", 3, AA, b, c, 5, 1e-13);
  /* T * TI = I */
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      double v = 0;
      for (int k = 0; k < 3; k++)
        v += odeon_radau_T[i][k] * odeon_radau_TI[k][j];
      assert_true(fabs(v - (i == j ? 1.0 : 0.0)) < 1e-14);
    }
  /* TI * A^-1 * T = L = [[u1, 0, 0], [0, alpha, -beta], [0, beta, alpha]]
   * (radau5's SLVRAD block form), i.e. A * T * L = T. */
  const double u1 = ODEON_RADAU_U1, al = ODEON_RADAU_ALPHA,
               be = ODEON_RADAU_BETA;
  const double D[3][3] = {{u1, 0, 0}, {0, al, -be}, {0, be, al}};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      double v = 0;
      for (int k = 0; k < 3; k++)
        for (int l = 0; l < 3; l++)
          v += A[i][k] * odeon_radau_T[k][l] * D[l][j];
      if (fabs(v - odeon_radau_T[i][j]) > 1e-13)
        print_error("A*T*D != T at (%d,%d): %.17g vs %.17g\n", i, j, v,
                    odeon_radau_T[i][j]);
      assert_true(fabs(v - odeon_radau_T[i][j]) < 1e-13);
    }
  /* the error-estimate weights: (DD1, DD2, DD3) . (c_i^k) reproduces the
   * first-order defect; check Hairer's closed forms */
  assert_true(fabs(ODEON_RADAU_DD1 + (13 + 7 * s6) / 3) < 1e-14);
  assert_true(fabs(ODEON_RADAU_DD2 - (-13 + 7 * s6) / 3) < 1e-14);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dirk_tables),
      cmocka_unit_test(test_rosenbrock_tables),
      cmocka_unit_test(test_radau_constants),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
