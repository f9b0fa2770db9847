/* test_implicit_steps.c - the DIRK and Rosenbrock step functions on their
 * own: the observed convergence order of every method against an exact
 * solution (catches a wrong coefficient, a wrong d_i or a dropped df/dt
 * term), the order of the embedded error estimates, the Newton failure and
 * singular-matrix paths with their status bits, and the counters. */
#include "test_util.h"

#include <math.h>

#include "manufactured_system.h"

#include "radau_iia5_step.h"
#include "rosenbrock_step.h"
#include "sdirk_step.h"

static odeon_kernel_args make_args(double tol) {
  odeon_kernel_args a;
  memset(&a, 0, sizeof a);
  a.atol = tol;
  a.rtol = tol;
  a.newton_max_iters = 0;
  a.newton_tol = NAN;
  return a;
}

static void make_ctx(odeon_ctx *cx, const odeon_kernel_args *a, double k,
                     int adaptive) {
  memset(cx, 0, sizeof *cx);
  cx->a = a;
  cx->p[0] = (odeon_real)k;
  cx->atol = (odeon_real)a->atol;
  cx->rtol = (odeon_real)a->rtol;
  cx->adaptive = adaptive;
}

/* Integrate [0, 1] with n fixed steps of a DIRK (family 3), Rosenbrock
 * (family 2) or Radau (family 4) variant; returns the max-norm global error at
 * t = 1, or a negative value if a step failed. */
static double run_fixed(int family, int v, int n, odeon_ctx *cx) {
  double e[3], de[3], dde[3];
  odeon_real y[3], y_new[3], eest;
  static odeon_dirk_ws dws;
  static odeon_ros_ws rws;
  static odeon_radau_ws qws;
  ms_exact(0.0, e, de, dde);
  for (int i = 0; i < 3; i++)
    y[i] = (odeon_real)e[i];
  const double h = 1.0 / n;
  if (family == 3)
    odeon_dirk_start(&dws, cx, 0.0, y);
  else if (family == 2)
    odeon_ros_start(&rws, cx, 0.0, y);
  else
    odeon_radau_start(&qws, cx, 0.0, y);
  for (int k = 0; k < n; k++) {
    const double t = k * h;
    unsigned st;
    if (family == 3)
      st = odeon_dirk_try(odeon_dirk_table(v), &dws, cx, t, h, y, y_new, &eest);
    else if (family == 2)
      st = odeon_ros_try(odeon_ros_table(v), &rws, cx, t, h, y, y_new, &eest);
    else
      st = odeon_radau_try(&qws, cx, t, h, y, y_new, &eest);
    if (st)
      return -1.0;
    if (family == 3)
      odeon_dirk_accept(&dws, cx, t + h, y_new);
    else if (family == 2)
      odeon_ros_accept(odeon_ros_table(v), &rws, cx, t + h, y_new);
    else
      odeon_radau_accept(&qws, cx, t + h, y_new);
    for (int i = 0; i < 3; i++)
      y[i] = y_new[i];
  }
  ms_exact(1.0, e, de, dde);
  double err = 0;
  for (int i = 0; i < 3; i++)
    err = fmax(err, fabs((double)y[i] - e[i]));
  return err;
}

static void check_order(const char *name, int family, int v, int order,
                        int n0) {
  /* tight, so that Newton's residual stays below the truncation errors the
   * order check measures */
  odeon_kernel_args a = make_args(1e-12);
  odeon_ctx cx;
  make_ctx(&cx, &a, -2.385, 0);
  double e1 = run_fixed(family, v, n0, &cx);
  double e2 = run_fixed(family, v, 2 * n0, &cx);
  double e3 = run_fixed(family, v, 4 * n0, &cx);
  assert_true(e1 > 0 && e2 > 0 && e3 > 0);
  const double p1 = log2(e1 / e2), p2 = log2(e2 / e3);
  print_message("%-18s order %d: errors %.3e %.3e %.3e, observed %.2f %.2f\n",
                name, order, e1, e2, e3, p1, p2);
  /* the observed order settles at the method's order: within 0.35 on the
   * finer pair, and not a whole order above (which would mean the table
   * is not the method we claim) */
  if (!(fabs(p2 - order) < 0.35))
    print_error("%s: observed order %.2f, expected %d\n", name, p2, order);
  assert_true(fabs(p2 - order) < 0.35);
}

static void test_dirk_orders(void **state) {
  (void)state;
  check_order("backward_euler", 3, ODEON_DIRK_BACKWARD_EULER, 1, 64);
  check_order("implicit_midpoint", 3, ODEON_DIRK_IMPLICIT_MIDPOINT, 2, 32);
  check_order("trapezoid", 3, ODEON_DIRK_TRAPEZOID, 2, 32);
  check_order("sdirk_2_2", 3, ODEON_DIRK_SDIRK_2_2, 2, 32);
  check_order("l_stable_sdirk_4", 3, ODEON_DIRK_SDIRK4_HW, 4, 16);
  check_order("kvaerno3", 3, ODEON_DIRK_KVAERNO3, 3, 16);
  check_order("kvaerno5", 3, ODEON_DIRK_KVAERNO5, 5, 8);
}

static void test_rosenbrock_orders(void **state) {
  (void)state;
  check_order("ros3p", 2, ODEON_ROS_ROS3P, 3, 16);
  check_order("rodas3p", 2, ODEON_ROS_RODAS3P, 3, 16);
  check_order("rosenbrock23", 2, ODEON_ROS_ROSENBROCK23, 2, 32);
  check_order("rodas4", 2, ODEON_ROS_RODAS4, 4, 16);
  check_order("rodas5p", 2, ODEON_ROS_RODAS5P, 5, 8);
}

static void test_radau_order(void **state) {
  (void)state;
  check_order("radau_iia_5", 4, 0, 5, 8);
}

/* The embedded estimate of one step from the exact state shrinks like
 * h^(q+1) with q the estimate's order. */
static void check_estimate(const char *name, int family, int v, int q) {
  odeon_kernel_args a = make_args(1e-6);
  odeon_ctx cx;
  static odeon_dirk_ws dws;
  static odeon_ros_ws rws;
  static odeon_radau_ws qws;
  double e[3], de[3], dde[3], est[2];
  odeon_real y[3], y_new[3], eest = 0;
  make_ctx(&cx, &a, -2.385, 1);
  ms_exact(0.3, e, de, dde);
  for (int i = 0; i < 3; i++)
    y[i] = (odeon_real)e[i];
  for (int k = 0; k < 2; k++) {
    const double h = 0.05 / (1 << k);
    unsigned st;
    if (family == 3) {
      odeon_dirk_start(&dws, &cx, 0.3, y);
      st = odeon_dirk_try(odeon_dirk_table(v), &dws, &cx, 0.3, h, y, y_new,
                          &eest);
    } else if (family == 2) {
      odeon_ros_start(&rws, &cx, 0.3, y);
      st =
          odeon_ros_try(odeon_ros_table(v), &rws, &cx, 0.3, h, y, y_new, &eest);
    } else {
      odeon_radau_start(&qws, &cx, 0.3, y);
      st = odeon_radau_try(&qws, &cx, 0.3, h, y, y_new, &eest);
    }
    assert_int_equal(st, 0);
    est[k] = (double)eest;
  }
  const double p = log2(est[0] / est[1]);
  print_message("%-18s estimate %.3e -> %.3e: order %.2f (want %d)\n", name,
                est[0], est[1], p, q + 1);
  assert_true(est[0] > 0 && est[1] > 0);
  assert_true(fabs(p - (q + 1)) < 0.5);
}

static void test_estimates(void **state) {
  (void)state;
  check_estimate("sdirk_2_2", 3, ODEON_DIRK_SDIRK_2_2, 1);
  check_estimate("l_stable_sdirk_4", 3, ODEON_DIRK_SDIRK4_HW, 3);
  check_estimate("kvaerno3", 3, ODEON_DIRK_KVAERNO3, 2);
  check_estimate("kvaerno5", 3, ODEON_DIRK_KVAERNO5, 4);
  check_estimate("ros3p", 2, ODEON_ROS_ROS3P, 2);
  check_estimate("rodas3p", 2, ODEON_ROS_RODAS3P, 2);
  check_estimate("rosenbrock23", 2, ODEON_ROS_ROSENBROCK23, 2);
  check_estimate("rodas4", 2, ODEON_ROS_RODAS4, 3);
  check_estimate("rodas5p", 2, ODEON_ROS_RODAS5P, 4);
  check_estimate("radau_iia_5", 4, 0, 3);
}

/* The continuous extension of one step from the exact state: its error at
 * t0 + 0.4 h against the exact solution shrinks like h^(q+1), with q the
 * interpolant's order; at theta = 1 it returns the step's end point. */
static void check_dense(const char *name, int family, int v, int q) {
  odeon_kernel_args a = make_args(1e-12);
  odeon_ctx cx;
  static odeon_dirk_ws dws;
  static odeon_ros_ws rws;
  static odeon_radau_ws qws;
  double e[3], de[3], dde[3], err[2];
  odeon_real y[3], y_new[3], out[3], eest = 0;
  make_ctx(&cx, &a, -2.385, 1);
  const double t0 = 0.3;
  ms_exact(t0, e, de, dde);
  for (int i = 0; i < 3; i++)
    y[i] = (odeon_real)e[i];
  for (int k = 0; k < 2; k++) {
    const double h = 0.1 / (1 << k);
    unsigned st;
    if (family == 3) {
      odeon_dirk_start(&dws, &cx, t0, y);
      st = odeon_dirk_try(odeon_dirk_table(v), &dws, &cx, t0, h, y, y_new,
                          &eest);
      odeon_dirk_accept(&dws, &cx, t0 + h, y_new);
      odeon_dirk_dense(&dws, 0.4, h, y, y_new, out);
    } else if (family == 2) {
      odeon_ros_start(&rws, &cx, t0, y);
      st = odeon_ros_try(odeon_ros_table(v), &rws, &cx, t0, h, y, y_new, &eest);
      odeon_ros_accept(odeon_ros_table(v), &rws, &cx, t0 + h, y_new);
      odeon_ros_dense(odeon_ros_table(v), &rws, 0.4, h, y, y_new, out);
    } else {
      odeon_radau_start(&qws, &cx, t0, y);
      st = odeon_radau_try(&qws, &cx, t0, h, y, y_new, &eest);
      odeon_radau_accept(&qws, &cx, t0 + h, y_new);
      odeon_radau_dense(&qws, 0.4, y_new, out);
    }
    assert_int_equal(st, 0);
    ms_exact(t0 + 0.4 * h, e, de, dde);
    err[k] = 0;
    for (int i = 0; i < 3; i++)
      err[k] = fmax(err[k], fabs((double)out[i] - e[i]));
    /* the end point */
    odeon_real end[3];
    if (family == 3)
      odeon_dirk_dense(&dws, 1.0, h, y, y_new, end);
    else if (family == 2)
      odeon_ros_dense(odeon_ros_table(v), &rws, 1.0, h, y, y_new, end);
    else
      odeon_radau_dense(&qws, 1.0, y_new, end);
    for (int i = 0; i < 3; i++)
      assert_true(fabs((double)(end[i] - y_new[i])) <=
                  1e-12 * (1.0 + fabs((double)y_new[i])));
  }
  const double p = log2(err[0] / err[1]);
  print_message("%-18s dense error %.3e -> %.3e: order %.2f (want >= %d)\n",
                name, err[0], err[1], p, q + 1);
  assert_true(err[1] > 0);
  assert_true(p > q + 1 - 0.4);
}

static void test_dense(void **state) {
  (void)state;
  check_dense("backward_euler", 3, ODEON_DIRK_BACKWARD_EULER, 1);
  check_dense("l_stable_sdirk_4", 3, ODEON_DIRK_SDIRK4_HW, 3);
  check_dense("kvaerno5", 3, ODEON_DIRK_KVAERNO5, 3);
  check_dense("ros3p", 2, ODEON_ROS_ROS3P, 3);
  check_dense("rodas3p", 2, ODEON_ROS_RODAS3P, 2);
  check_dense("rosenbrock23", 2, ODEON_ROS_ROSENBROCK23, 2);
  check_dense("rodas4", 2, ODEON_ROS_RODAS4, 3);
  check_dense("rodas5p", 2, ODEON_ROS_RODAS5P, 4);
  check_dense("radau_iia_5", 4, 0, 3);
}

/* A stiff version (p = -2385) converges with few Newton iterations, and
 * the counters add up: one Jacobian and one factorisation per step. */
static void test_stiff_counters(void **state) {
  (void)state;
  odeon_kernel_args a = make_args(1e-6);
  odeon_ctx cx;
  make_ctx(&cx, &a, -2385.0, 0);
  const int n = 50;
  double err = run_fixed(3, ODEON_DIRK_KVAERNO5, n, &cx);
  print_message("kvaerno5 stiff: error %.3e, %lld Newton iterations, %lld "
                "rhs\n",
                err, cx.cnt[ODEON_CNT_NEWTON], cx.cnt[ODEON_CNT_RHS]);
  assert_true(err > 0 && err < 1e-4);
  assert_int_equal(cx.cnt[ODEON_CNT_JAC], n);
  assert_int_equal(cx.cnt[ODEON_CNT_LU], n);
  /* 6 implicit stages, at least 1 and at most 7 iterations each */
  assert_true(cx.cnt[ODEON_CNT_NEWTON] >= 6 * n);
  assert_true(cx.cnt[ODEON_CNT_NEWTON] <= 4 * 6 * n);
  make_ctx(&cx, &a, -2385.0, 0);
  err = run_fixed(2, ODEON_ROS_RODAS5P, n, &cx);
  assert_true(err > 0 && err < 1e-4);
  assert_int_equal(cx.cnt[ODEON_CNT_JAC], n);
  assert_int_equal(cx.cnt[ODEON_CNT_LU], n);
  assert_int_equal(cx.cnt[ODEON_CNT_NEWTON], 0);
  /* 8 stages: f(t, y) once per step (accept) plus 7 stage evaluations */
  assert_int_equal(cx.cnt[ODEON_CNT_RHS], 1 + 8 * n);
}

/* An iteration cap of 1 cannot meet the tolerance on a nonlinear stage:
 * the step fails with the NEWTON bit (the loop then halves h). */
static void test_newton_failure(void **state) {
  (void)state;
  odeon_kernel_args a = make_args(1e-6);
  a.newton_max_iters = 1;
  odeon_ctx cx;
  make_ctx(&cx, &a, -2.385, 0);
  assert_true(run_fixed(3, ODEON_DIRK_KVAERNO3, 4, &cx) < 0);
  static odeon_dirk_ws ws;
  odeon_real y[3] = {1.0, 1.5, 1.0}, y_new[3], eest;
  odeon_dirk_start(&ws, &cx, 0.0, y);
  unsigned st = odeon_dirk_try(odeon_dirk_table(ODEON_DIRK_KVAERNO3), &ws, &cx,
                               0.0, 0.25, y, y_new, &eest);
  assert_int_equal(st, ODEON_RUN_NEWTON_BIT);
  /* with the default cap the same step converges */
  a.newton_max_iters = 0;
  st = odeon_dirk_try(odeon_dirk_table(ODEON_DIRK_KVAERNO3), &ws, &cx, 0.0,
                      0.25, y, y_new, &eest);
  assert_int_equal(st, 0);
  /* a negative tolerance is "use the default" inside the kernel (the host
   * rejects it before compiling) */
  a.newton_tol = -1.0;
  assert_true(odeon_newton_kappa(&a, 0.03, 1e-6) == (odeon_real)0.03);
  a.newton_tol = 0.5;
  assert_true(odeon_newton_kappa(&a, 0.03, 1e-6) == (odeon_real)0.5);
}

/* A step whose iteration matrix I - h gamma J is exactly singular reports
 * the SINGULAR bit instead of dividing by zero. Backward Euler, gamma = 1:
 * with J[2][2] = k the matrix is singular when h = 1/k. */
static void test_singular(void **state) {
  (void)state;
  odeon_kernel_args a = make_args(1e-6);
  odeon_ctx cx;
  make_ctx(&cx, &a, 4.0, 0);
  static odeon_dirk_ws ws;
  static odeon_ros_ws rws;
  /* y0 = y1 = 0 makes row 2 of J = (0, 0, k) and the rest harmless */
  odeon_real y[3] = {0.0, 0.0, 2.385}, y_new[3], eest;
  odeon_dirk_start(&ws, &cx, 0.0, y);
  unsigned st = odeon_dirk_try(odeon_dirk_table(ODEON_DIRK_BACKWARD_EULER), &ws,
                               &cx, 0.0, 0.25, y, y_new, &eest);
  assert_int_equal(st, ODEON_RUN_SINGULAR_BIT);
  /* Rodas4 (gamma = 1/4) is singular at h = 1 */
  odeon_ros_start(&rws, &cx, 0.0, y);
  st = odeon_ros_try(odeon_ros_table(ODEON_ROS_RODAS4), &rws, &cx, 0.0, 1.0, y,
                     y_new, &eest);
  assert_int_equal(st, ODEON_RUN_SINGULAR_BIT);
  /* a slightly different step is fine */
  st = odeon_ros_try(odeon_ros_table(ODEON_ROS_RODAS4), &rws, &cx, 0.0, 0.9, y,
                     y_new, &eest);
  assert_int_equal(st, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dirk_orders),
      cmocka_unit_test(test_rosenbrock_orders),
      cmocka_unit_test(test_radau_order),
      cmocka_unit_test(test_estimates),
      cmocka_unit_test(test_dense),
      cmocka_unit_test(test_stiff_counters),
      cmocka_unit_test(test_newton_failure),
      cmocka_unit_test(test_singular),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
