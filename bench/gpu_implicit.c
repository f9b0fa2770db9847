/* gpu_implicit.c - benchmarks of the implicit methods through the public
 * API (issue 7): a Robertson sweep of 2^20 runs (k1 swept) to t = 1e5 with
 * rodas5p and radau_iia_5 in float64, and the Lorenz sweep of 2^20 runs
 * (rho swept over [0, 21]) to t = 1 with radau_iia_5 at atol = rtol =
 * 1e-6 in float32; each solve timed whole (after one warm-up solve that
 * compiles the kernel), with runs per second, mean accepted steps and
 * Newton iterations per run, and failed runs. Prints a table last.
 *
 * usage: gpu_implicit [--backend cuda|cpu] [--runs N]
 * (--backend cpu measures the CPU backend on this machine's cores). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "odeon.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *read_file(const char *path) {
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

typedef struct row {
  char what[96];
  double seconds, runs_per_s, steps, newton;
  long long failed;
} row;

/* Solve once to warm up (compile, load), then time one solve. */
static int bench(const char *model_text, const char *param, double lo,
                 double hi, long long runs, const odeon_options_t *o,
                 row *out) {
  odeon_model_t *m = NULL;
  odeon_solver_t *sv = NULL;
  odeon_grid_t *g = NULL;
  odeon_result_t *r = NULL;
  double *v = malloc(sizeof(double) * (size_t)runs);
  int st = v ? odeon_model_from_string(model_text, "bench", &m) : ODEON_E_NOMEM;
  if (!st)
    st = odeon_solver_create(m, o, &sv);
  if (!st)
    st = odeon_grid_create(m, &g);
  for (long long i = 0; !st && i < runs; i++)
    v[i] = lo + (hi - lo) * (double)i / (double)(runs > 1 ? runs - 1 : 1);
  if (!st)
    st = odeon_grid_column(g, param, v, runs);
  odeon_dest_t d;
  memset(&d, 0, sizeof d);
  d.kind = ODEON_DEST_MEMORY;
  if (!st) {
    st = odeon_solve(sv, g, &d, &r); /* warm-up: compile and load */
    odeon_result_destroy(r);
    r = NULL;
  }
  double t0 = now();
  if (!st)
    st = odeon_solve(sv, g, &d, &r);
  double t1 = now();
  if (!st) {
    out->seconds = t1 - t0;
    out->runs_per_s = (double)runs / (t1 - t0);
    out->failed = odeon_result_failed_runs(r);
    odeon_array_view cv;
    out->steps = out->newton = NAN;
    if (odeon_result_output(r, "counters", &cv) == ODEON_OK && cv.data) {
      const int64_t *c = cv.data;
      double acc = 0, nw = 0;
      for (long long i = 0; i < runs; i++) {
        acc += (double)c[0 * runs + i];
        nw += (double)c[5 * runs + i];
      }
      out->steps = acc / (double)runs;
      out->newton = nw / (double)runs;
    }
  } else {
    fprintf(stderr, "gpu_implicit: %s: %s\n", out->what, odeon_last_error());
  }
  odeon_result_destroy(r);
  odeon_grid_destroy(g);
  odeon_solver_destroy(sv);
  odeon_model_destroy(m);
  free(v);
  return st;
}

int main(int argc, char **argv) {
  odeon_backend_kind backend = ODEON_BACKEND_CUDA;
  long long runs = 1LL << 20;
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--backend") == 0)
      backend = strcmp(argv[i + 1], "cpu") == 0 ? ODEON_BACKEND_CPU
                                                : ODEON_BACKEND_CUDA;
    if (strcmp(argv[i], "--runs") == 0)
      runs = atoll(argv[i + 1]);
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/examples/robertson.ode", ODEON_SOURCE_DIR);
  char *rober = read_file(path);
  snprintf(path, sizeof path, "%s/examples/lorenz.ode", ODEON_SOURCE_DIR);
  char *lorenz = read_file(path);
  if (!rober || !lorenz) {
    fprintf(stderr, "gpu_implicit: cannot read the example models\n");
    return 1;
  }
  row rows[3];
  int n = 0, rc = 0;
  static const char *const rober_methods[] = {"rodas5p", "radau_iia_5"};
  for (int k = 0; k < 2; k++) {
    odeon_options_t o;
    odeon_options_init(&o);
    o.backend = backend;
    o.algorithm = rober_methods[k];
    o.duration = 1e5;
    o.atol = 1e-10;
    o.rtol = 1e-6;
    o.outputs |= ODEON_OUT_COUNTERS;
    o.timeout = 600;
    snprintf(rows[n].what, sizeof rows[n].what,
             "robertson t=1e5 %s f64 tol 1e-6", rober_methods[k]);
    rc |= bench(rober, "k1", 0.02, 0.08, runs, &o, &rows[n]);
    n++;
  }
  {
    odeon_options_t o;
    odeon_options_init(&o);
    o.backend = backend;
    o.algorithm = "radau_iia_5";
    o.precision = ODEON_FLOAT32;
    o.duration = 1.0;
    o.atol = o.rtol = 1e-6;
    o.outputs |= ODEON_OUT_COUNTERS;
    o.timeout = 600;
    snprintf(rows[n].what, sizeof rows[n].what,
             "lorenz t=1 radau_iia_5 f32 tol 1e-6");
    rc |= bench(lorenz, "rho", 0.0, 21.0, runs, &o, &rows[n]);
    n++;
  }
  printf("\n%-40s %10s %10s %12s %10s %10s %8s\n", "benchmark", "runs",
         "seconds", "runs/s", "steps/run", "newton/run", "failed");
  for (int i = 0; i < n; i++)
    printf("%-40s %10lld %10.3f %12.4g %10.1f %10.1f %8lld\n", rows[i].what,
           runs, rows[i].seconds, rows[i].runs_per_s, rows[i].steps,
           rows[i].newton, rows[i].failed);
  free(rober);
  free(lorenz);
  return rc ? 1 : 0;
}
