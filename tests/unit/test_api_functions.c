/* test_api_functions.c - models made from C function pointers run on the
 * CPU backend: they match the same model written as text, their Jacobian
 * serves implicit methods, each solve reaches its own user data even when
 * two solve concurrently, and the CUDA backend refuses them clearly. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "test_util.h"

typedef struct lorenz_user {
  double sigma, beta;
  atomic_int calls_seen; /* proves `user` reached the function; the rhs
                           runs on several worker threads at once */
} lorenz_user;

static void lorenz_rhs(double t, const double *y, const double *p, double *dy,
                       void *user) {
  (void)t;
  lorenz_user *u = user;
  dy[0] = u->sigma * (y[1] - y[0]);
  dy[1] = y[0] * (p[0] - y[2]) - y[1];
  dy[2] = y[0] * y[1] - u->beta * y[2];
  atomic_store_explicit(&u->calls_seen, 1, memory_order_relaxed);
}

static void lorenz_jac(double t, const double *y, const double *p, double *j,
                       void *user) {
  (void)t;
  lorenz_user *u = user;
  j[0] = -u->sigma, j[1] = u->sigma, j[2] = 0;
  j[3] = p[0] - y[2], j[4] = -1, j[5] = -y[0];
  j[6] = y[1], j[7] = y[0], j[8] = -u->beta;
}

static const char *names[] = {"x", "y", "z"};
static const double y0v[] = {1, 0, 0};
static const char *pnames[] = {"rho"};
static const double p0v[] = {21};

static const double *final_state(odeon_model_t *m, const char *alg,
                                 const double *rho, int64_t n,
                                 odeon_result_t **res) {
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = alg;
  o.atol = o.rtol = 1e-9;
  odeon_grid_t *g;
  odeon_solver_t *s;
  assert_ok(odeon_grid_create(m, &g));
  assert_ok(odeon_grid_sweep(g, "rho", rho, n));
  assert_ok(odeon_solver_create(m, &o, &s));
  assert_string_equal(odeon_solver_backend(s), "cpu");
  assert_ok(odeon_solve(s, g, NULL, res));
  odeon_solver_destroy(s);
  odeon_grid_destroy(g);
  odeon_array_view v;
  assert_ok(odeon_result_output(*res, "state", &v));
  assert_int_equal(odeon_result_failed_runs(*res), 0);
  return (const double *)v.data + 3 * n; /* sample 1 */
}

static void test_matches_text_model(void **state) {
  (void)state;
  lorenz_user u = {10.0, 8.0 / 3.0, 0};
  odeon_model_t *fm, *tm;
  assert_ok(odeon_model_from_functions(3, names, y0v, 1, pnames, p0v,
                                       lorenz_rhs, lorenz_jac, &u, &fm));
  assert_int_equal(odeon_model_count(fm, ODEON_SYM_STATE), 3);
  assert_string_equal(odeon_model_name(fm, ODEON_SYM_PARAMETER, 0), "rho");
  assert_ok(odeon_model_from_string(ODEON_TEST_LORENZ, "lorenz", &tm));
  double rho[] = {2.385, 13.7, 21.0, 28.0};
  const char *algs[] = {"classical-rk4", "tsit5", "dormand-prince-54"};
  for (int a = 0; a < 3; a++) {
    odeon_result_t *r1, *r2;
    const double *f = final_state(fm, algs[a], rho, 4, &r1);
    const double *t = final_state(tm, algs[a], rho, 4, &r2);
    for (int i = 0; i < 12; i++)
      assert_true(fabs(f[i] - t[i]) <= 1e-9 * (1 + fabs(t[i])));
    odeon_result_destroy(r1);
    odeon_result_destroy(r2);
  }
  assert_int_equal(atomic_load(&u.calls_seen), 1);
  odeon_model_destroy(fm);
  odeon_model_destroy(tm);
}

static void test_implicit_uses_user_jacobian(void **state) {
  (void)state;
  lorenz_user u = {10.0, 8.0 / 3.0, 0};
  odeon_model_t *fm;
  assert_ok(odeon_model_from_functions(3, names, y0v, 1, pnames, p0v,
                                       lorenz_rhs, lorenz_jac, &u, &fm));
  double rho[] = {21.0};
  odeon_result_t *r1, *r2;
  const double *imp = final_state(fm, "rodas5p", rho, 1, &r1);
  const double *exp_ = final_state(fm, "vern7", rho, 1, &r2);
  for (int i = 0; i < 3; i++)
    assert_true(fabs(imp[i] - exp_[i]) <= 1e-5 * (1 + fabs(exp_[i])));
  odeon_result_destroy(r1);
  odeon_result_destroy(r2);
  odeon_model_destroy(fm);

  /* without a Jacobian an implicit method is refused with a clear error */
  assert_ok(odeon_model_from_functions(3, NULL, y0v, 1, NULL, p0v, lorenz_rhs,
                                       NULL, &u, &fm));
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = "rodas5p";
  odeon_solver_t *s = NULL;
  assert_status(odeon_solver_create(fm, &o, &s), ODEON_E_UNSUPPORTED);
  assert_error_contains("Jacobian");
  odeon_model_destroy(fm);
}

typedef struct job {
  odeon_model_t *m;
  double result;
} job;

static void *solve_thread(void *arg) {
  job *j = arg;
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = "classical-rk4";
  o.dt = 1e-3;
  o.threads = 2;
  odeon_grid_t *g = NULL;
  odeon_solver_t *s = NULL;
  odeon_result_t *r = NULL;
  j->result = NAN;
  if (odeon_grid_create(j->m, &g) == ODEON_OK &&
      odeon_solver_create(j->m, &o, &s) == ODEON_OK &&
      odeon_solve(s, g, NULL, &r) == ODEON_OK) {
    odeon_array_view v;
    if (odeon_result_output(r, "state", &v) == ODEON_OK)
      j->result = ((const double *)v.data)[3]; /* x at the end */
  }
  odeon_result_destroy(r);
  odeon_solver_destroy(s);
  odeon_grid_destroy(g);
  return NULL;
}

static void test_concurrent_user_data(void **state) {
  (void)state;
  /* two models, same shape (so the same cached kernel), different sigma */
  lorenz_user u1 = {10.0, 8.0 / 3.0, 0}, u2 = {2.385, 8.0 / 3.0, 0};
  job j1 = {NULL, 0}, j2 = {NULL, 0};
  assert_ok(odeon_model_from_functions(3, names, y0v, 1, pnames, p0v,
                                       lorenz_rhs, NULL, &u1, &j1.m));
  assert_ok(odeon_model_from_functions(3, names, y0v, 1, pnames, p0v,
                                       lorenz_rhs, NULL, &u2, &j2.m));
  pthread_t t1, t2;
  assert_int_equal(pthread_create(&t1, NULL, solve_thread, &j1), 0);
  assert_int_equal(pthread_create(&t2, NULL, solve_thread, &j2), 0);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  /* each alone gives the same numbers */
  job s1 = {j1.m, 0}, s2 = {j2.m, 0};
  solve_thread(&s1);
  solve_thread(&s2);
  assert_true(isfinite(j1.result) && isfinite(j2.result));
  assert_true(j1.result == s1.result);
  assert_true(j2.result == s2.result);
  assert_true(j1.result != j2.result);
  odeon_model_destroy(j1.m);
  odeon_model_destroy(j2.m);
}

static void test_cuda_refused(void **state) {
  (void)state;
  lorenz_user u = {10.0, 8.0 / 3.0, 0};
  odeon_model_t *fm;
  assert_ok(odeon_model_from_functions(3, names, y0v, 1, pnames, p0v,
                                       lorenz_rhs, NULL, &u, &fm));
  odeon_options_t o;
  odeon_options_init(&o);
  o.backend = ODEON_BACKEND_CUDA;
  odeon_solver_t *s = NULL;
  assert_status(odeon_solver_create(fm, &o, &s), ODEON_E_UNSUPPORTED);
  assert_error_contains("CPU backend only");
  odeon_model_destroy(fm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matches_text_model),
      cmocka_unit_test(test_implicit_uses_user_jacobian),
      cmocka_unit_test(test_concurrent_user_data),
      cmocka_unit_test(test_cuda_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
