/* test_nvrtc_generated.c - every kernel odeon generates compiles with NVRTC
 * for sm_90 without a GPU: each registered method in float32 and float64
 * on Lorenz, and a model with drivers, observables and summaries, with
 * ptxas's resource report checked for register spills (issue 6: state and
 * stages in registers for small systems). Skips (passes) when NVRTC cannot
 * be loaded unless ODEON_REQUIRE_NVRTC=1.
 * By default (label nvrtc) one method of each family and the benchmarked
 * ones, which takes seconds; with --all (label slow) every method in both
 * precisions, the rich model, and also sm_80. */
#include "test_util.h"

#include "backend/backend.h"
#include "backend/cuda/nvrtc.h"
#include "codegen/kernel_source.h"
#include "codegen/method_registry.h"

static const char lorenz[] = ODEON_TEST_LORENZ;

/* Drivers, observables, functions of time: the rest of the generator. */
static const char rich[] = "states:      x = 1, y = 0.385, z = 2.385\n"
                           "parameters:  rho = 21, k = 0.5\n"
                           "constants:   sigma = 10, beta = 8/3\n"
                           "drivers:     u\n"
                           "observables: r2 = x*x + y*y + z*z, ux = u*x\n"
                           "dx = sigma*(y - x) + k*u\n"
                           "dy = x*(rho - z) - y\n"
                           "dz = x*y - beta*z + exp(-t)*sin(x)\n";

static int all_methods;

/* The quick set: every family, and the methods the benchmarks time. */
static int in_quick_set(const char *name) {
  static const char *const quick[] = {
      "classical-rk4", "tsit5",   "dormand-prince-853",
      "kvaerno5",      "rodas5p", "radau_iia_5"};
  for (size_t i = 0; i < sizeof quick / sizeof quick[0]; i++)
    if (strcmp(quick[i], name) == 0)
      return 1;
  return 0;
}

static int have_nvrtc(void) {
  if (odeon__nvrtc_available() == ODEON_OK)
    return 1;
  const char *req = getenv("ODEON_REQUIRE_NVRTC");
  if (req && strcmp(req, "1") == 0) {
    print_error("NVRTC is required (ODEON_REQUIRE_NVRTC=1) but: %s\n",
                odeon_last_error());
    fail();
  }
  print_message("skipping: %s\n", odeon_last_error());
  return 0;
}

/* The largest "N bytes spill stores" in a ptxas log. */
static long spill_bytes(const char *log) {
  long worst = 0;
  for (const char *p = log; (p = strstr(p, "bytes spill stores")) != NULL;
       p++) {
    const char *q = p;
    while (q > log && q[-1] == ' ')
      q--;
    while (q > log && q[-1] >= '0' && q[-1] <= '9')
      q--;
    long v = strtol(q, NULL, 10);
    if (v > worst)
      worst = v;
  }
  return worst;
}

static long registers_used(const char *log) {
  const char *p = strstr(log, "Used ");
  return p ? strtol(p + 5, NULL, 10) : -1;
}

/* "N bytes stack frame": local arrays the compiler could not keep in
   registers (slower than registers, but not a spill). */
static long stack_bytes(const char *log) {
  const char *p = strstr(log, "bytes stack frame");
  if (!p)
    return -1;
  while (p > log && p[-1] == ' ')
    p--;
  while (p > log && p[-1] >= '0' && p[-1] <= '9')
    p--;
  return strtol(p, NULL, 10);
}

static long last_stack;
static int inline_only; /* compile adaptive kernels with the initial step
                           inline ($ODEON_INIT_KERNEL=off) */

/* Generate and compile one kernel; returns the spill bytes (and leaves the
 * stack frame size in last_stack). */
static long compile_one(const char *model_text, const char *algorithm,
                        odeon_precision prec, const char *summaries,
                        const char *save, uint32_t outputs, const char *arch) {
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string(model_text, "model", &m));
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = algorithm;
  o.precision = prec;
  o.summaries = summaries;
  o.save = save;
  o.save_every = 0.01;
  if (outputs)
    o.outputs = outputs;
  odeon__kernel_config cfg;
  int st = odeon__kernel_config_init(m, &o, &cfg);
  if (st != ODEON_OK)
    print_error("%s: %s\n", algorithm, odeon_last_error());
  assert_int_equal(st, ODEON_OK);
  char *text = NULL;
  assert_ok(odeon__kernel_source(m, &cfg, ODEON__LANG_CUDA, &text));
  /* What the CUDA backend compiles: an adaptive kernel split from its
     initial-step entry (kernel_args.h), the kernel without the carry and,
     for time windows, with it: all three programs checked; the report kept
     is the last one's, the kernel without the carry (the one most solves
     run). With $ODEON_INIT_KERNEL=off the backend compiles the source
     inline: test_inline_compiles checks that form. */
  const int split = odeon__kernel_config_init_entry(&cfg) && !inline_only;
  char *log = NULL;
  double t0 = odeon__now();
  static const char *const lines[3] = {
      ODEON__SPLIT_INIT_LINE ODEON__NO_CARRY_LINE, ODEON__INIT_ENTRY_LINE,
      ODEON__SPLIT_INIT_LINE};
  static const char *const parts[3] = {" (split kernel)",
                                       " (initial-step entry)",
                                       " (split kernel for time windows)"};
  for (int part = split ? 2 : 0; part >= 0; part--) {
    char *prog = text;
    if (split) {
      prog = odeon__source_with_line(lines[part], text);
      assert_non_null(prog);
    }
    free(log);
    log = NULL;
    st = odeon__nvrtc_compile_check(prog, arch, &log);
    if (st != ODEON_OK)
      print_error("%s %s for %s%s does not compile: %s\n", algorithm,
                  prec == ODEON_FLOAT32 ? "float32" : "float64", arch,
                  split ? parts[part] : "", odeon_last_error());
    if (prog != text)
      free(prog);
    assert_int_equal(st, ODEON_OK);
  }
  double secs = odeon__now() - t0;
  long spills = spill_bytes(log ? log : "");
  last_stack = stack_bytes(log ? log : "");
  print_message(
      "%-20s %s %-6s %4ld registers, %4ld bytes stack, %3ld bytes "
      "spilled, %.2f s%s%s\n",
      algorithm, prec == ODEON_FLOAT32 ? "f32" : "f64", arch,
      registers_used(log ? log : ""), stack_bytes(log ? log : ""), spills, secs,
      summaries ? " (drivers, observables, summaries)" : "",
      split ? " (split: kernel, initial-step entry, windowed kernel)" : "");
  free(log);
  free(text);
  odeon__kernel_config_free(&cfg);
  odeon_model_destroy(m);
  return spills;
}

static void test_every_method_compiles(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  const char *archs[3] = {"sm_90", "sm_80", NULL};
  int n_archs = all_methods ? 2 : 1;
  int explicit_spills = 0;
  for (int a = 0; a < n_archs; a++)
    for (int i = 0; i < odeon__method_count(); i++) {
      const odeon__method_info *mi = odeon__method_at(i);
      if (!all_methods && !in_quick_set(mi->name))
        continue;
      for (int p = 0; p < 2; p++) {
        /* float64 on sm_90 only; quick: float64 for the first one only. */
        if (p == 1 &&
            (a > 0 || (!all_methods && strcmp(mi->name, "classical-rk4") != 0)))
          continue;
        long spills =
            compile_one(lorenz, mi->name, p ? ODEON_FLOAT64 : ODEON_FLOAT32,
                        NULL, NULL, 0, archs[a]);
        /* Explicit methods on 3 states must keep everything in registers
           (no spills and no local-memory stack frame); implicit ones are
           reported (their LU workspaces are larger). */
        if (mi->family == 1 && (spills > 0 || last_stack != 0)) {
          print_error("%s: %ld bytes spilled, %ld bytes of stack frame\n",
                      mi->name, spills, last_stack);
          explicit_spills++;
        }
      }
    }
  assert_int_equal(explicit_spills, 0);
}

/* The inline form ($ODEON_INIT_KERNEL=off) of an explicit and an implicit
   adaptive method. */
static void test_inline_compiles(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  inline_only = 1;
  const char *methods[] = {"tsit5", "rosenbrock23"};
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    compile_one(lorenz, methods[i], ODEON_FLOAT32, NULL, NULL, 0, "sm_90");
  inline_only = 0;
}

static void test_rich_model_compiles(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  const char *methods[] = {"tsit5", "classical-rk4", "dormand-prince-853"};
  size_t n = all_methods ? sizeof methods / sizeof methods[0] : 1;
  for (size_t i = 0; i < n; i++)
    for (int p = 0; p < (all_methods ? 2 : 1); p++)
      compile_one(rich, methods[i], p ? ODEON_FLOAT64 : ODEON_FLOAT32,
                  "mean,max,std,extrema,peaks[3],dxdt_max", "x,z",
                  ODEON_OUT_STATE | ODEON_OUT_OBSERVABLES | ODEON_OUT_TIME |
                      ODEON_OUT_STATUS | ODEON_OUT_COUNTERS |
                      ODEON_OUT_SUMMARIES,
                  "sm_90");
}

/* A ring of 16 coupled states: the issue asks for no register spills for
 * systems of up to about 16 states. */
static void sixteen_states_model(char *buf, size_t size) {
  size_t len = (size_t)snprintf(buf, size, "states: ");
  for (int i = 1; i <= 16; i++)
    len += (size_t)snprintf(buf + len, size - len, "%sx%d = %.3f",
                            i > 1 ? ", " : "", i, 0.385 + 0.1 * i);
  len += (size_t)snprintf(buf + len, size - len,
                          "\nparameters: k = 0.5, c = 2.385\n");
  for (int i = 1; i <= 16; i++)
    len += (size_t)snprintf(buf + len, size - len,
                            "dx%d = -k*x%d + c*(x%d - x%d) + 0.1*sin(x%d)\n", i,
                            i, i > 1 ? i - 1 : 16, i, i % 16 + 1);
}

/* 16 states must compile for every explicit method family member timed
 * here; spills are reported, not failed: the goal (none up to ~16
 * states) is not met yet (tsit5 float32: ~16 bytes, float64: kilobytes,
 * with 254 registers), and the report is what shows progress. Slow (tens
 * of seconds per kernel), so only with --all. */
static void test_sixteen_states(void **state) {
  (void)state;
  if (!have_nvrtc() || !all_methods)
    skip();
  char model[4096];
  sixteen_states_model(model, sizeof model);
  const char *methods[] = {"tsit5", "classical-rk4", "dormand-prince-54",
                           "vern7"};
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    for (int p = 0; p < 2; p++) {
      long spills =
          compile_one(model, methods[i], p ? ODEON_FLOAT64 : ODEON_FLOAT32,
                      NULL, NULL, 0, "sm_90");
      if (spills > 0)
        print_message("16 states, %s %s: %ld bytes spilled (goal: 0)\n",
                      methods[i], p ? "float64" : "float32", spills);
    }
}

int main(int argc, char **argv) {
  all_methods = argc > 1 && strcmp(argv[1], "--all") == 0;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_method_compiles),
      cmocka_unit_test(test_inline_compiles),
      cmocka_unit_test(test_rich_model_compiles),
      cmocka_unit_test(test_sixteen_states),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
