/* test_implicit_nvrtc.c - every implicit method's kernel, generated for the
 * GPU from a real model (Robertson, 3 states, in float32; and the biggest
 * kernels, Radau IIA 5 and Rodas5P on HIRES's 8 states, in float64), is
 * compiled by NVRTC for sm_90 without errors: the family headers are valid
 * CUDA C++ as well as C11. ptxas's register report is printed. No GPU is
 * needed; skips (passes) when NVRTC cannot be loaded unless
 * ODEON_REQUIRE_NVRTC=1. */
#include "test_util.h"

#include "backend/cuda/nvrtc.h"
#include "codegen/kernel_source.h"

static int have_nvrtc(void) {
  if (odeon__nvrtc_available() == ODEON_OK)
    return 1;
  const char *req = getenv("ODEON_REQUIRE_NVRTC");
  if (req && strcmp(req, "1") == 0) {
    print_error("NVRTC is required but: %s\n", odeon_last_error());
    fail();
  }
  print_message("skipping: %s\n", odeon_last_error());
  return 0;
}

static char *read_example(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/examples/%s", ODEON_SOURCE_DIR, name);
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)len + 1);
  if (s && fread(s, 1, (size_t)len, f) != (size_t)len) {
    free(s);
    s = NULL;
  }
  if (s)
    s[len] = '\0';
  fclose(f);
  return s;
}

/* The spill line of ptxas's report, for the message. */
static void print_resources(const char *what, const char *log) {
  const char *p = strstr(log, "Used ");
  char line[160] = "";
  if (p) {
    size_t n = strcspn(p, "\n");
    snprintf(line, sizeof line, "%.*s", (int)(n < 150 ? n : 150), p);
  }
  print_message("%-40s %s\n", what, line);
}

static void compile_all(const char *file, const char *const *methods,
                        size_t n_methods, odeon_precision prec) {
  char *text = read_example(file);
  assert_non_null(text);
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string(text, file, &m));
  for (size_t i = 0; i < n_methods; i++) {
    {
      odeon_options_t o;
      odeon_options_init(&o);
      o.algorithm = methods[i];
      o.precision = prec;
      odeon__kernel_config cfg;
      assert_ok(odeon__kernel_config_init(m, &o, &cfg));
      char *src = NULL;
      assert_ok(odeon__kernel_source(m, &cfg, ODEON__LANG_CUDA, &src));
      char *log = NULL;
      int rc = odeon__nvrtc_compile_check(src, "sm_90", &log);
      char what[128];
      snprintf(what, sizeof what, "%s %s %s", file, methods[i],
               prec == ODEON_FLOAT32 ? "float32" : "float64");
      if (rc != ODEON_OK)
        print_error("%s: %s\n", what, odeon_last_error());
      assert_int_equal(rc, ODEON_OK);
      print_resources(what, log ? log : "");
      free(log);
      free(src);
      odeon__kernel_config_free(&cfg);
    }
  }
  odeon_model_destroy(m);
  free(text);
}

static void test_robertson_kernels(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  static const char *const methods[] = {
      "backwards_euler",  "implicit_midpoint",  "crank_nicolson", "sdirk_2_2",
      "l_stable_sdirk_4", "kvaerno3",           "kvaerno5",       "ros3p",
      "rodas3p",          "rosenbrock23_sciml", "rodas4",         "rodas5p",
      "radau_iia_5"};
  compile_all("robertson.ode", methods, sizeof methods / sizeof methods[0],
              ODEON_FLOAT32);
}

static void test_hires_kernels(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  static const char *const methods[] = {"radau_iia_5", "rodas5p"};
  compile_all("hires.ode", methods, 2, ODEON_FLOAT64);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_robertson_kernels),
      cmocka_unit_test(test_hires_kernels),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
