/* test_nvrtc_codegen.c - the generated CUDA text compiles under NVRTC (the
 * compiler the CUDA backend uses at run time) in float32 and float64, for
 * the examples and a model that calls every function of the language. No
 * GPU is needed: this compiles to PTX only. Skipped, saying so, only where
 * the CUDA toolkit's libnvrtc was not found at configure time. */
#include "test_util.h"

#ifdef ODEON_HAVE_NVRTC
#include <nvrtc.h>

#include "codegen/codegen.h"
#include "codegen/embedded.h"

static const char *every_function =
    "states: x = 0.385, y = 1.5\n"
    "parameters: k = 0.731\n"
    "drivers: u\n"
    "observables: o = x*y + u\n"
    "dx = exp(x) + log(y) + log10(y) + log2(y) + log1p(x) + expm1(x)\n"
    "   + sqrt(y) + cbrt(x) + abs(x) + sign(x) + floor(y) + ceil(y)\n"
    "   + trunc(y) + min(x, y) + max(x, y, k) + hypot(x, y) + atan2(x, y)\n"
    "   + sin(x) + cos(x) + tan(x) + asin(x) + acos(x) + atan(x)\n"
    "dy = sinh(x) + cosh(x) + tanh(x) + asinh(x) + acosh(y) + atanh(x)\n"
    "   + erf(x) + erfc(x) + tgamma(y) + lgamma(y) + fmod(y, x)\n"
    "   + pow(y, k) + y^2.5 + x**3 + if(x < y and not (k > 1) or x == y,\n"
    "   1, 2) + piecewise(x > 1, 3, x >= 0.5, 4, 5) + u * t\n";

/* A kernel that calls the three system functions, as the core's loop
 * does. */
static const char *kernel =
    "extern \"C\" __global__ void probe(const odeon_real *y,\n"
    "    const odeon_real *p, const odeon_real *drv, odeon_real *out) {\n"
    "  odeon_real dy[ODEON_SYS_N_STATES];\n"
    "  odeon_real jac[ODEON_SYS_N_STATES * ODEON_SYS_N_STATES];\n"
    "  odeon_real dfdt[ODEON_SYS_N_STATES];\n"
    "  odeon_real obs[ODEON_SYS_N_OBSERVABLES + 1];\n"
    "  odeon_sys_rhs(ODEON_R(0.5), y, p, drv, dy);\n"
    "  odeon_sys_jac(ODEON_R(0.5), y, p, drv, jac, dfdt);\n"
    "  odeon_sys_obs(ODEON_R(0.5), y, p, drv, obs);\n"
    "  out[threadIdx.x] = dy[0] + jac[0] + dfdt[0] + obs[0];\n"
    "}\n";

static void compile_cuda(const char *model_text, const char *name) {
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string(model_text, name, &m));
  for (int is_float = 0; is_float < 2; is_float++) {
    odeon__strbuf b;
    odeon__strbuf_init(&b);
    odeon__strbuf_printf(&b,
                         "#define ODEON_REAL_IS_FLOAT %d\n"
                         "#include \"real.h\"\n",
                         is_float);
    assert_ok(odeon__codegen_system(m, ODEON__LANG_CUDA, &b));
    odeon__strbuf_append(&b, kernel);
    assert_ok(odeon__strbuf_ok(&b));

    const char *hdr_text[64], *hdr_name[64];
    int nh = 0;
    for (int i = 0; i < odeon__core_file_count && nh < 64; i++, nh++) {
      hdr_text[nh] = odeon__core_files[i].text;
      hdr_name[nh] = odeon__core_files[i].name;
    }
    nvrtcProgram prog;
    assert_int_equal(
        nvrtcCreateProgram(&prog, b.data, name, nh, hdr_text, hdr_name),
        NVRTC_SUCCESS);
    const char *opts[] = {"--gpu-architecture=compute_80", "-std=c++17"};
    nvrtcResult r = nvrtcCompileProgram(prog, 2, opts);
    size_t log_size = 0;
    nvrtcGetProgramLogSize(prog, &log_size);
    char *log = malloc(log_size + 1);
    assert_non_null(log);
    log[0] = '\0';
    nvrtcGetProgramLog(prog, log);
    if (r != NVRTC_SUCCESS) {
      print_error("NVRTC failed for %s (%s): %s\nlog:\n%s\nsource:\n%s\n", name,
                  is_float ? "float32" : "float64", nvrtcGetErrorString(r), log,
                  b.data);
      fail();
    }
    size_t ptx_size = 0;
    assert_int_equal(nvrtcGetPTXSize(prog, &ptx_size), NVRTC_SUCCESS);
    char *ptx = malloc(ptx_size + 1);
    assert_non_null(ptx);
    assert_int_equal(nvrtcGetPTX(prog, ptx), NVRTC_SUCCESS);
    assert_non_null(strstr(ptx, ".entry probe"));
    free(ptx);
    free(log);
    nvrtcDestroyProgram(&prog);
    odeon__strbuf_free(&b);
  }
  odeon_model_destroy(m);
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *s = malloc(1 << 16);
  assert_non_null(s);
  size_t n = fread(s, 1, (1 << 16) - 1, f);
  s[n] = '\0';
  fclose(f);
  return s;
}

static void examples_compile(void **state) {
  (void)state;
  const char *examples[] = {"lorenz", "hodgkin_huxley", "robertson",
                            "brusselator", "driven_oscillator"};
  for (int i = 0; i < 5; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/examples/%s.ode", ODEON_SOURCE_DIR,
             examples[i]);
    char *text = read_file(path);
    compile_cuda(text, examples[i]);
    free(text);
  }
}

static void every_function_compiles(void **state) {
  (void)state;
  compile_cuda(every_function, "every_function");
}

/* A 40-state chain: the large-system form of the Jacobian (a clearing loop
 * and the structural non-zeros). */
static void large_sparse_compiles(void **state) {
  (void)state;
  char text[8192];
  size_t n = 0;
  n += (size_t)snprintf(text + n, sizeof text - n,
                        "parameters: k = 0.731\nstates: x0 = 2.385");
  for (int i = 1; i < 40; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, ", x%d", i);
  n += (size_t)snprintf(text + n, sizeof text - n, "\n");
  for (int i = 0; i < 40; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "dx%d = -k*x%d + x%d^2\n",
                          i, i, (i + 39) % 40);
  compile_cuda(text, "chain40");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(examples_compile),
      cmocka_unit_test(every_function_compiles),
      cmocka_unit_test(large_sparse_compiles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

static void nvrtc_absent(void **state) {
  (void)state;
  print_message("SKIPPED: libnvrtc was not found at configure time (no CUDA "
                "toolkit in /usr/local/cuda/lib64); the generated CUDA text "
                "is not compiled\n");
  skip();
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(nvrtc_absent)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
