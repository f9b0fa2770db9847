/* test_api.c - the public model API: counts, names, indices and defaults of
 * every symbol kind, argument checks, models from files and from C
 * functions (their pointers are stored and callable), and the internal
 * accessors the engine uses. */
#include <math.h>
#include <pthread.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "model/model.h"
#include "test_util.h"

static const char *hh_like = "states: V = -65, m = 0.05\n"
                             "parameters: I = 10, g = 120\n"
                             "constants: E = 50, C = 2.5*2\n"
                             "drivers: stim\n"
                             "observables: cur = g*m*(V - E), half = V/2\n"
                             "dV = (I + stim - cur) / C\n"
                             "dm = 0.1*(1 - m)\n";

static void queries(void **state) {
  (void)state;
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string(hh_like, "api.ode", &m));
  const int64_t want[5] = {2, 2, 2, 2, 1};
  for (int k = 0; k < 5; k++)
    assert_int_equal(odeon_model_count(m, (odeon_symbol_kind)k), want[k]);
  assert_string_equal(odeon_model_name(m, ODEON_SYM_STATE, 1), "m");
  assert_string_equal(odeon_model_name(m, ODEON_SYM_PARAMETER, 0), "I");
  assert_string_equal(odeon_model_name(m, ODEON_SYM_CONSTANT, 1), "C");
  assert_string_equal(odeon_model_name(m, ODEON_SYM_OBSERVABLE, 1), "half");
  assert_string_equal(odeon_model_name(m, ODEON_SYM_DRIVER, 0), "stim");
  assert_int_equal(odeon_model_index(m, ODEON_SYM_PARAMETER, "g"), 1);
  assert_int_equal(odeon_model_index(m, ODEON_SYM_STATE, "g"), -1);
  assert_int_equal(odeon_model_index(m, ODEON_SYM_OBSERVABLE, "cur"), 0);
  assert_int_equal(odeon_model_index(m, ODEON_SYM_STATE, NULL), -1);
  double v = 0;
  assert_ok(odeon_model_default(m, ODEON_SYM_STATE, 0, &v));
  assert_true(v == -65);
  assert_ok(odeon_model_default(m, ODEON_SYM_PARAMETER, 1, &v));
  assert_true(v == 120);
  assert_ok(odeon_model_default(m, ODEON_SYM_CONSTANT, 1, &v));
  assert_true(v == 5);

  /* errors */
  assert_null(odeon_model_name(m, ODEON_SYM_STATE, 2));
  assert_error_contains("state index 2 out of range [0, 2)");
  assert_null(odeon_model_name(m, ODEON_SYM_STATE, -1));
  assert_null(odeon_model_name(m, (odeon_symbol_kind)7, 0));
  assert_error_contains("symbol kind 7");
  assert_int_equal(odeon_model_count(m, (odeon_symbol_kind)-1), ODEON_E_INVAL);
  assert_int_equal(odeon_model_count(NULL, ODEON_SYM_STATE), ODEON_E_INVAL);
  assert_status(odeon_model_default(m, ODEON_SYM_OBSERVABLE, 0, &v),
                ODEON_E_INVAL);
  assert_error_contains("observables have no default value");
  assert_status(odeon_model_default(m, ODEON_SYM_DRIVER, 0, &v), ODEON_E_INVAL);
  assert_status(odeon_model_default(m, ODEON_SYM_STATE, 5, &v), ODEON_E_RANGE);
  assert_status(odeon_model_default(m, ODEON_SYM_STATE, 0, NULL),
                ODEON_E_INVAL);
  assert_false(odeon__model_is_functions(m));
  assert_null(odeon__model_rhs_fn(m));
  odeon_model_destroy(m);
  odeon_model_destroy(NULL);
}

static void from_file(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/test-model-api-%ld.ode", ODEON_BINARY_DIR,
           (long)getpid());
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(hh_like, f);
  fputs("dm = 3\n", f); /* a duplicate derivative on line 8 */
  fclose(f);
  odeon_model_t *m = NULL;
  assert_status(odeon_model_from_file(path, &m), ODEON_E_MODEL);
  /* the message names the file */
  char where[600];
  snprintf(where, sizeof where, "%s:8:1: error: duplicate derivative", path);
  assert_error_contains(where);
  remove(path);

  /* the examples load */
  const char *examples[] = {"lorenz", "hodgkin_huxley", "robertson",
                            "brusselator", "driven_oscillator"};
  for (size_t i = 0; i < 5; i++) {
    snprintf(path, sizeof path, "%s/examples/%s.ode", ODEON_SOURCE_DIR,
             examples[i]);
    assert_ok(odeon_model_from_file(path, &m));
    assert_true(odeon_model_count(m, ODEON_SYM_STATE) >= 2);
    assert_true(odeon__model_has_jacobian(m));
    odeon_model_destroy(m);
  }
}

/* A C model: y' = -k y (two states). */
static void decay_rhs(double t, const double *y, const double *p, double *dy,
                      void *user) {
  (void)t;
  int *calls = user;
  (*calls)++;
  dy[0] = -p[0] * y[0];
  dy[1] = -p[1] * y[1];
}

static void decay_jac(double t, const double *y, const double *p, double *jac,
                      void *user) {
  (void)t;
  (void)y;
  (void)user;
  jac[0] = -p[0];
  jac[1] = 0;
  jac[2] = 0;
  jac[3] = -p[1];
}

static void from_functions(void **state) {
  (void)state;
  int calls = 0;
  const char *names[2] = {"a", "b"};
  const double y0[2] = {2.385, 0.5}, p0[2] = {0.731, 1.5};
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_functions(2, names, y0, 2, NULL, p0, decay_rhs,
                                       decay_jac, &calls, &m));
  assert_true(odeon__model_is_functions(m));
  assert_true(odeon__model_has_jacobian(m));
  assert_int_equal(odeon_model_count(m, ODEON_SYM_STATE), 2);
  assert_int_equal(odeon_model_count(m, ODEON_SYM_PARAMETER), 2);
  assert_int_equal(odeon_model_count(m, ODEON_SYM_CONSTANT), 0);
  assert_int_equal(odeon_model_count(m, ODEON_SYM_OBSERVABLE), 0);
  assert_string_equal(odeon_model_name(m, ODEON_SYM_STATE, 1), "b");
  assert_string_equal(odeon_model_name(m, ODEON_SYM_PARAMETER, 1), "p1");
  double v;
  assert_ok(odeon_model_default(m, ODEON_SYM_PARAMETER, 0, &v));
  assert_true(v == 0.731);
  /* the stored pointers are the caller's, and callable */
  odeon_rhs_fn f = odeon__model_rhs_fn(m);
  assert_true(f == decay_rhs);
  assert_true(odeon__model_jac_fn(m) == decay_jac);
  assert_ptr_equal(odeon__model_user(m), &calls);
  double dy[2];
  f(0.0, y0, p0, dy, odeon__model_user(m));
  assert_int_equal(calls, 1);
  assert_true(dy[0] == -0.731 * 2.385);
  assert_int_equal(odeon__model_jac_nonzero(m, 1, 0), 1);
  /* no source to generate */
  odeon__strbuf b;
  odeon__strbuf_init(&b);
  assert_status(odeon__codegen_system(m, ODEON__LANG_C, &b), ODEON_E_INVAL);
  odeon__strbuf_free(&b);
  odeon_model_destroy(m);

  /* no Jacobian, default names, no parameters */
  assert_ok(odeon_model_from_functions(3, NULL, NULL, 0, NULL, NULL, decay_rhs,
                                       NULL, NULL, &m));
  assert_false(odeon__model_has_jacobian(m));
  assert_string_equal(odeon_model_name(m, ODEON_SYM_STATE, 2), "y2");
  assert_ok(odeon_model_default(m, ODEON_SYM_STATE, 2, &v));
  assert_true(v == 0.0);
  odeon_model_destroy(m);

  /* bad arguments */
  assert_status(odeon_model_from_functions(0, NULL, NULL, 0, NULL, NULL,
                                           decay_rhs, NULL, NULL, &m),
                ODEON_E_INVAL);
  assert_error_contains("n_states");
  assert_status(odeon_model_from_functions(2, NULL, NULL, -1, NULL, NULL,
                                           decay_rhs, NULL, NULL, &m),
                ODEON_E_INVAL);
  assert_error_contains("n_params");
  assert_status(odeon_model_from_functions(2, NULL, NULL, 0, NULL, NULL, NULL,
                                           NULL, NULL, &m),
                ODEON_E_INVAL);
  assert_error_contains("rhs is NULL");
  const char *dup[2] = {"a", "a"};
  assert_status(odeon_model_from_functions(2, dup, NULL, 0, NULL, NULL,
                                           decay_rhs, NULL, NULL, &m),
                ODEON_E_INVAL);
  assert_error_contains("duplicate state name 'a'");
  const char *hole[2] = {"a", NULL};
  assert_status(odeon_model_from_functions(2, hole, NULL, 0, NULL, NULL,
                                           decay_rhs, NULL, NULL, &m),
                ODEON_E_INVAL);
  assert_null(m);
  assert_status(odeon_model_from_functions(2, NULL, NULL, 0, NULL, NULL,
                                           decay_rhs, NULL, NULL, NULL),
                ODEON_E_INVAL);
}

/* Models are built and printed from several threads at once (the library
 * keeps no global state for them; ThreadSanitizer checks this in CI), and
 * every thread gets the same text. */
typedef struct job {
  const char *text;
  char *out;
  int rc;
} job;

static void *build_and_print(void *arg) {
  job *j = arg;
  for (int k = 0; k < 20 && j->rc == 0; k++) {
    odeon_model_t *m = NULL;
    j->rc = odeon_model_from_string(j->text, "thread.ode", &m);
    if (j->rc != 0)
      break;
    odeon__strbuf b;
    odeon__strbuf_init(&b);
    j->rc = odeon__codegen_system(m, ODEON__LANG_CUDA, &b);
    free(j->out);
    j->out = odeon__strbuf_take(&b);
    odeon_model_destroy(m);
    /* a failing model from each thread too: error messages are per thread */
    odeon_model_t *bad = NULL;
    if (odeon_model_from_string("states: x\ndx = lgamma(2.5) * nope\n",
                                "bad.ode", &bad) != ODEON_E_MODEL ||
        !strstr(odeon_last_error(), "bad.ode:2:20: error: undefined symbol"))
      j->rc = -100;
  }
  return NULL;
}

static void concurrent_models(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/examples/hodgkin_huxley.ode",
           ODEON_SOURCE_DIR);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char text[1 << 16];
  text[fread(text, 1, sizeof text - 1, f)] = '\0';
  fclose(f);
  job jobs[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    jobs[i].text = text;
    jobs[i].out = NULL;
    jobs[i].rc = 0;
    assert_int_equal(pthread_create(&th[i], NULL, build_and_print, &jobs[i]),
                     0);
  }
  for (int i = 0; i < 4; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(jobs[i].rc, 0);
    assert_non_null(jobs[i].out);
    assert_string_equal(jobs[i].out, jobs[0].out);
  }
  for (int i = 0; i < 4; i++)
    free(jobs[i].out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(queries),
      cmocka_unit_test(from_file),
      cmocka_unit_test(from_functions),
      cmocka_unit_test(concurrent_models),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
