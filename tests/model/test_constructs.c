/* test_constructs.c - every construct of the model language, checked by
 * value: one model whose derivatives each exercise a construct (precedence,
 * powers, logic, conditionals, sections, derivative forms, auxiliaries in
 * any order, drivers, observables, comments, continuation lines) is compiled
 * through cc + dlopen and evaluated at a point; plus the shape of the
 * generated code (integer powers as products, half powers as sqrt, folded
 * constants, shared subexpressions, sparse Jacobian, no name collisions). */
#include <math.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "model/model.h"
#include "model_so.h"
#include "test_util.h"

static const char *constructs =
    "# every construct, one per derivative\n"
    "states:\n"
    "    x = 2.385        # a default\n"
    "    y1 = c, y2       # a constant default; y2 defaults to 0\n"
    "    y3 = -2*c + 1,\n"
    "    y4, y5, y6, y7, y8, y9, y10, y11, y12, y13, y14, y15, y16, y17\n"
    "    y18, y19, y20, y21, y22, y23\n"
    "params: k = 0.731   // a C++ comment\n"
    "constants: c = 8/3, c2 = 2*c,   # trailing comma continues\n"
    "           c3 = sqrt(c2 + c) - pi\n"
    "drivers: u\n"
    "observables: ob = x*k + aux1\n"
    "dx = -x^2\n"
    "dy1 = 2^3^2\n"
    "dy2 = 10 - 4 - 3\n"
    "dy3 = 2 ** 3 * 2\n"
    "dy4 = x/2/4\n"
    "dy5 = if(x > 2 and not (k > 1), 1.5, -2.5)\n"
    "dy6 = if(x < 2 or k == 0.731, 3, 4)\n"
    "dy7 = piecewise(x < 1, 1, x < 2, 2, x < 3, 3, 4)\n"
    "dy8 = min(x, k, 5) + max(x, k, 0.25)\n"
    "dy9 = 1e-3 + 2.5E+2 + .5 + 5.\n"
    "dy10 = c2 + c\n"
    "dy11 = aux2   # auxiliaries may come later\n"
    "d(y12)/dt = u + t\n"
    "y13' = ob\n"
    "dy14 = pi\n"
    "dy15 = x^0.5 + x^-1 + x^1.5 + x^-2.5\n"
    "dy16 = !(x < 1) && (x >= 2.385) || 0\n"
    "dy17 = pow(x, 2.7) + x**-2\n"
    "dy18 = -(-x) + +x - -k\n"
    "dy19 = x != 2.385\n"
    "dy20 = (x +\n"
    "        k)    # continuation inside parentheses\n"
    "dy21 = ln(exp(1)); dy22 = c3\n"
    "dy23 = -x.^-2 .* 3 ./ -k + (~(x ~= 2.385))\n"
    "aux2 = aux1 * 2\n"
    "aux1 = x + 1\n";

static void values_of_constructs(void **state) {
  (void)state;
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string(constructs, "constructs.ode", &m));
  assert_int_equal(odeon_model_count(m, ODEON_SYM_STATE), 24);
  assert_int_equal(odeon_model_count(m, ODEON_SYM_PARAMETER), 1);
  assert_int_equal(odeon_model_count(m, ODEON_SYM_CONSTANT), 3);
  assert_int_equal(odeon_model_count(m, ODEON_SYM_OBSERVABLE), 1);
  assert_int_equal(odeon_model_count(m, ODEON_SYM_DRIVER), 1);
  double v;
  assert_ok(odeon_model_default(m, ODEON_SYM_STATE, 0, &v));
  assert_true(v == 2.385);
  assert_ok(odeon_model_default(m, ODEON_SYM_STATE, 1, &v));
  assert_true(v == 8.0 / 3.0);
  assert_ok(odeon_model_default(m, ODEON_SYM_STATE, 2, &v));
  assert_true(v == 0.0);
  assert_ok(odeon_model_default(m, ODEON_SYM_STATE, 3, &v));
  assert_true(v == -2 * (8.0 / 3.0) + 1);
  assert_ok(odeon_model_default(m, ODEON_SYM_CONSTANT, 2, &v));
  assert_true(fabs(v - (sqrt(8.0) - M_PI)) < 1e-15);
  assert_int_equal(odeon_model_index(m, ODEON_SYM_STATE, "y23"), 23);

  for (int is_float = 0; is_float < 2; is_float++) {
    model_so so;
    assert_int_equal(model_so_build(m, is_float, &so), 0);
    double y[24], dy[24], ob[1];
    for (int i = 0; i < 24; i++)
      y[i] = 0.5 + i;
    y[0] = 2.385;
    const double x = 2.385, k = 0.731, c = 8.0 / 3.0, t = 1.25;
    const double p[1] = {k}, drv[2] = {0.375, -1.5};
    so.rhs(t, y, p, drv, dy, NULL);
    so.obs(t, y, p, drv, ob, NULL);
    const double want[24] = {
        -(x * x),
        512,
        3,
        16,
        x / 8,
        1.5,
        3,
        3,
        k + x,
        1e-3 + 250 + 0.5 + 5,
        8,
        (x + 1) * 2,
        0.375 + t,
        x * k + x + 1,
        M_PI,
        sqrt(x) + 1 / x + x * sqrt(x) + 1 / (x * x * sqrt(x)),
        1,
        pow(x, 2.7) + 1 / (x * x),
        2 * x + k,
        0,
        x + k,
        1,
        sqrt(8.0) - M_PI,
        -(1 / (x * x)) * 3 / -k + 1,
    };
    (void)c;
    double tol = is_float ? 2e-6 : 1e-14;
    for (int i = 0; i < 24; i++) {
      if (!(fabs(dy[i] - want[i]) <= tol * (1 + fabs(want[i]))))
        fail_msg("%s: derivative %d is %.17g, want %.17g",
                 is_float ? "float32" : "float64", i, dy[i], want[i]);
    }
    assert_true(fabs(ob[0] - (x * k + x + 1)) <= tol * 10);
    model_so_close(&so);
  }
  odeon_model_destroy(m);
}

static char *source_of(const char *text) {
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string(text, "src.ode", &m));
  odeon__strbuf b;
  odeon__strbuf_init(&b);
  assert_ok(odeon__codegen_system(m, ODEON__LANG_C, &b));
  odeon_model_destroy(m);
  return odeon__strbuf_take(&b);
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* Integer powers become products, half powers square roots; only a
 * genuinely real exponent calls pow. */
static void powers_in_generated_code(void **state) {
  (void)state;
  char *s = source_of("states: x = 2.385\ndx = x^3 + x^8\n");
  assert_int_equal(count(s, "ODEON_SYS_POW("), 0);
  /* x^8 by squaring: x*x, then squares of that: 3 products for x^8 */
  assert_non_null(strstr(s, "y[0] * y[0]"));
  free(s);
  s = source_of("states: x = 2.385\ndx = x^0.5 + x^-1.5\n");
  assert_int_equal(count(s, "ODEON_SYS_POW("), 0);
  assert_int_equal(count(s, "ODEON_SYS_SQRT(y[0])"), 2); /* rhs and jac */
  free(s);
  s = source_of("states: x = 2.385\ndx = x^2.7\n");
  assert_true(count(s, "ODEON_SYS_POW(") >= 1);
  free(s);
}

/* Constants are folded to literals; nothing of their names survives. */
static void constants_folded(void **state) {
  (void)state;
  char *s = source_of("states: x = 1\nconstants: sigma = 10, beta = 8/3,\n"
                      "  gamma = sigma * beta\ndx = gamma * x + sigma\n");
  assert_non_null(strstr(s, "ODEON_R(26.666666666666664)"));
  assert_null(strstr(s, "sigma"));
  assert_null(strstr(s, "beta"));
  free(s);
}

/* A subexpression used several times is computed once per function. */
static void common_subexpressions(void **state) {
  (void)state;
  char *s = source_of("states: x = 2.385, y = 1\n"
                      "e = exp(x)\n"
                      "dx = exp(x)*exp(x) + sin(exp(x))\n"
                      "dy = e + cos(x*y) * sin(x*y)\n");
  /* once in the rhs, once in the Jacobian */
  assert_int_equal(count(s, "ODEON_SYS_EXP(y[0])"), 2);
  assert_int_equal(count(s, "y[1] * y[0]") + count(s, "y[0] * y[1]"), 2);
  free(s);
}

/* The Jacobian's zero entries are literals, and the structure is known. */
static void sparse_jacobian(void **state) {
  (void)state;
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_file(ODEON_SOURCE_DIR "/examples/lorenz.ode", &m));
  assert_true(odeon__model_has_jacobian(m));
  const int nz[9] = {1, 1, 0, 1, 1, 1, 1, 1, 1};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      assert_int_equal(odeon__model_jac_nonzero(m, i, j), nz[i * 3 + j]);
  assert_int_equal(odeon__model_jac_nonzero(m, 3, 0), 0);
  odeon__strbuf b;
  odeon__strbuf_init(&b);
  assert_ok(odeon__codegen_system(m, ODEON__LANG_C, &b));
  assert_non_null(strstr(b.data, "jac[2] = ODEON_R(0.0);"));
  assert_non_null(strstr(b.data, "jac[0] = ODEON_R(-10.0);"));
  assert_non_null(strstr(b.data, "#define ODEON_SYS_N_STATES 3\n"));
  assert_non_null(strstr(b.data, "#define ODEON_SYS_N_PARAMS 1\n"));
  assert_non_null(strstr(b.data, "#define ODEON_SYS_HAS_JACOBIAN 1\n"));
  odeon__strbuf_free(&b);
  odeon_model_destroy(m);
}

/* User names that are C keywords, or the very names generated code uses,
 * cannot collide: generated code never prints a user name as code. */
static void no_name_collisions(void **state) {
  (void)state;
  const char *text = "states: y = 2.385, a_1 = 0.5, double = 1.5\n"
                     "parameters: p = 0.25, t0 = 3, drv = 0.5, jac = 2\n"
                     "constants: odeon_real = 2, ODEON_R = 3, int = 4\n"
                     "observables: return = y * p\n"
                     "dy = -p*y + a_1\n"
                     "da_1 = double * t0 - drv + odeon_real\n"
                     "ddouble = jac * ODEON_R + int + return\n";
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string(text, "names.ode", &m));
  model_so so;
  assert_int_equal(model_so_build(m, 0, &so), 0);
  double y[3] = {2.385, 0.5, 1.5}, p[4] = {0.25, 3, 0.5, 2}, dy[3];
  so.rhs(0.0, y, p, NULL, dy, NULL);
  assert_true(fabs(dy[0] - (-0.25 * 2.385 + 0.5)) < 1e-15);
  assert_true(fabs(dy[1] - (1.5 * 3 - 0.5 + 2)) < 1e-15);
  assert_true(fabs(dy[2] - (2 * 3 + 4 + 2.385 * 0.25)) < 1e-15);
  model_so_close(&so);
  odeon_model_destroy(m);
}

/* Drivers enter df/dt through their sampled derivatives: d/dt of u*x is
 * du/dt * x. */
static void drivers_in_dfdt(void **state) {
  (void)state;
  odeon_model_t *m = NULL;
  /* (written with Windows line ends after a byte order mark) */
  assert_ok(odeon_model_from_string(
      "\xef\xbb\xbfstates: x = 2.385\r\ndrivers: u, w\r\n"
      "dx = u*x + sin(t) + w\r\n",
      "d.ode", &m));
  model_so so;
  assert_int_equal(model_so_build(m, 0, &so), 0);
  double y[1] = {2.385}, drv[4] = {0.5, -1.25, 2.0, 0.75}, jac[1], dfdt[1];
  so.jac(0.3, y, NULL, drv, jac, dfdt);
  assert_true(fabs(jac[0] - 0.5) < 1e-15);
  assert_true(fabs(dfdt[0] - (-1.25 * 2.385 + cos(0.3) + 0.75)) < 1e-15);
  model_so_close(&so);
  odeon_model_destroy(m);
}

/* Large models stay linear: a chain of ten thousand auxiliaries and a sum
 * of ten thousand terms (no recursion over their length). */
static void long_chains(void **state) {
  (void)state;
  size_t cap = 1 << 20, n = 0;
  char *s = malloc(cap);
  assert_non_null(s);
  n += (size_t)snprintf(s + n, cap - n, "states: x = 0.5\na0 = x\n");
  for (int i = 1; i < 10000; i++)
    n += (size_t)snprintf(s + n, cap - n, "a%d = a%d * 1.0001 + 0.5\n", i,
                          i - 1);
  n += (size_t)snprintf(s + n, cap - n, "dx = a9999");
  for (int i = 0; i < 10000; i++)
    n += (size_t)snprintf(s + n, cap - n, " + x");
  n += (size_t)snprintf(s + n, cap - n, "\n");
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string(s, "long.ode", &m));
  odeon_model_destroy(m);
  free(s);
}

/* Past 32 states the Jacobian is cleared by a loop and only its
 * structural non-zeros are printed; the values are still exact and every
 * entry is written. */
static void large_sparse_jacobian(void **state) {
  (void)state;
  enum { N = 40 };
  char text[8192];
  size_t n = 0;
  n += (size_t)snprintf(text + n, sizeof text - n,
                        "parameters: k = 0.731\nstates: x0 = 2.385");
  for (int i = 1; i < N; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, ", x%d", i);
  n += (size_t)snprintf(text + n, sizeof text - n, "\n");
  for (int i = 0; i < N; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "dx%d = -k*x%d + x%d^2\n",
                          i, i, (i + N - 1) % N);
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string(text, "chain.ode", &m));
  odeon__strbuf b;
  odeon__strbuf_init(&b);
  assert_ok(odeon__codegen_system(m, ODEON__LANG_C, &b));
  assert_non_null(strstr(b.data, "k < 1600; k++)\n    jac[k] = ODEON_R(0.0);"));
  assert_null(strstr(b.data, "jac[1] ="));      /* a structural zero */
  assert_non_null(strstr(b.data, "jac[39] =")); /* d f0 / d x39 */
  odeon__strbuf_free(&b);
  model_so so;
  assert_int_equal(model_so_build(m, 0, &so), 0);
  double y[N], p[1] = {0.731}, J[N * N], dt[N];
  for (int i = 0; i < N; i++)
    y[i] = 0.5 + 0.05 * i;
  for (int i = 0; i < N * N; i++)
    J[i] = 12345.0; /* every entry must be overwritten */
  so.jac(0.0, y, p, NULL, J, dt);
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      double want = 0.0;
      if (j == i)
        want -= 0.731;
      if (j == (i + N - 1) % N)
        want += 2 * y[j];
      assert_true(fabs(J[i * N + j] - want) < 1e-15);
      assert_int_equal(odeon__model_jac_nonzero(m, i, j), want != 0.0);
    }
  model_so_close(&so);
  odeon_model_destroy(m);
}

/* Beyond 4096 states no dense Jacobian is formed: the model still loads
 * and says so, and its jac function is defined (all zeros). */
static void huge_model_without_jacobian(void **state) {
  (void)state;
  size_t cap = 1 << 20, n = 0;
  char *s = malloc(cap);
  assert_non_null(s);
  n += (size_t)snprintf(s + n, cap - n, "states: s0 = 2.385");
  for (int i = 1; i < 5000; i++)
    n += (size_t)snprintf(s + n, cap - n, ", s%d", i);
  n += (size_t)snprintf(s + n, cap - n, "\n");
  for (int i = 0; i < 5000; i++)
    n += (size_t)snprintf(s + n, cap - n, "ds%d = -s%d\n", i, (i + 1) % 5000);
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string(s, "huge.ode", &m));
  free(s);
  assert_false(odeon__model_has_jacobian(m));
  odeon__strbuf b;
  odeon__strbuf_init(&b);
  assert_ok(odeon__codegen_system(m, ODEON__LANG_C, &b));
  assert_non_null(strstr(b.data, "#define ODEON_SYS_HAS_JACOBIAN 0\n"));
  assert_non_null(
      strstr(b.data, "k < 25000000; k++)\n    jac[k] = ODEON_R(0.0);"));
  assert_non_null(strstr(b.data, " = -y[0];\n"));
  assert_non_null(strstr(b.data, "dy[4999] = a_"));
  odeon__strbuf_free(&b);
  odeon_model_destroy(m);
}

/* A float32 build calls the float functions (expf, ...), never the double
 * ones: compiled without builtins, its imports say which were called. */
static void float_build_calls_float_functions(void **state) {
  (void)state;
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string(
      "states: x = 0.385, y = 1.5\n"
      "dx = exp(x) + log(y) + sin(x) + tgamma(y) + y^x + atan2(x, y)\n"
      "dy = sqrt(y) + erf(x) + fmod(y, x) + abs(x) + lgamma(y)\n",
      "f.ode", &m));
  char *src = model_so_source(m, 1);
  assert_non_null(src);
  char c_path[600], so_path[640], cmd[2200];
  snprintf(c_path, sizeof c_path, "%s/test-model-float-%ld.c", ODEON_BINARY_DIR,
           (long)getpid());
  snprintf(so_path, sizeof so_path, "%s.so", c_path);
  FILE *f = fopen(c_path, "w");
  assert_non_null(f);
  fputs(src, f);
  fclose(f);
  free(src);
  snprintf(cmd, sizeof cmd,
           "%s -std=c11 -O0 -fno-builtin -fPIC -shared -I%s/src/core %s -o %s "
           "-lm && nm -D --undefined-only %s",
           ODEON_TEST_CC, ODEON_SOURCE_DIR, c_path, so_path, so_path);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char line[256], all[8192] = "";
  while (fgets(line, sizeof line, p))
    if (strlen(all) + strlen(line) < sizeof all)
      strcat(all, line);
  assert_int_equal(pclose(p), 0);
  remove(c_path);
  remove(so_path);
  const char *want[] = {" expf",   " logf",  " sinf", " tgammaf", " powf",
                        " atan2f", " sqrtf", " erff", " fmodf",   " lgammaf"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    if (!strstr(all, want[i]))
      fail_msg("float build does not call%s; imports:\n%s", want[i], all);
  const char *never[] = {" exp@", " log@",    " sin@",
                         " pow@", " tgamma@", " sqrt@"};
  for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
    if (strstr(all, never[i]))
      fail_msg("float build calls double%s", never[i]);
  odeon_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(values_of_constructs),
      cmocka_unit_test(powers_in_generated_code),
      cmocka_unit_test(constants_folded),
      cmocka_unit_test(common_subexpressions),
      cmocka_unit_test(sparse_jacobian),
      cmocka_unit_test(no_name_collisions),
      cmocka_unit_test(drivers_in_dfdt),
      cmocka_unit_test(long_chains),
      cmocka_unit_test(float_build_calls_float_functions),
      cmocka_unit_test(huge_model_without_jacobian),
      cmocka_unit_test(large_sparse_jacobian),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
