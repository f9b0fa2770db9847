/* test_gpu_trace.c - the pipeline really overlaps on the GPU, as the
 * ODEON_TRACE Chrome trace shows: a solve in several chunks over two or
 * three slots has a kernel on one stream running while another stream
 * downloads, and the host delivering results while a kernel computes:
 * the writeback of whole slots through staging (ODEON_DRAIN=off), and the
 * drain lanes of the same solve drained (its 1.3 GB of results outgrow
 * the staging). The trace is the evidence a user sees, so the test reads
 * the same file. Skips without a device unless ODEON_REQUIRE_GPU=1. */
#include "test_util.h"

#include <unistd.h>

#include "backend/backend.h"
#include "util/trace.h"

static char trace_path[1024];

typedef struct slice {
  char name[32];
  double t0, t1; /* microseconds */
  int tid;
} slice;

/* Read the trace: X slices as they are, B/E pairs joined per thread row. */
static int read_slices(slice **out) {
  FILE *f = fopen(trace_path, "r");
  if (!f)
    return -1;
  int cap = 1024, n = 0;
  slice *s = malloc((size_t)cap * sizeof *s);
  char line[1024];
  while (s && fgets(line, sizeof line, f)) {
    char name[32] = "", ph[4] = "";
    double ts = 0, dur = 0;
    int tid = 0;
    const char *p = strstr(line, "\"name\":\"");
    const char *q = strstr(line, "\"ph\":\"");
    const char *t = strstr(line, "\"ts\":");
    const char *d = strstr(line, "\"dur\":");
    const char *r = strstr(line, "\"tid\":");
    if (!p || !q || !t || !r)
      continue;
    sscanf(p + 8, "%31[^\"]", name);
    sscanf(q + 6, "%3[^\"]", ph);
    ts = atof(t + 5);
    dur = d ? atof(d + 6) : 0;
    tid = atoi(r + 6);
    if (strcmp(ph, "X") == 0 || strcmp(ph, "B") == 0) {
      if (n == cap) {
        cap *= 2;
        slice *grown = realloc(s, (size_t)cap * sizeof *s);
        if (!grown)
          break;
        s = grown;
      }
      snprintf(s[n].name, sizeof s[n].name, "%s", name);
      s[n].t0 = ts;
      s[n].t1 = ph[0] == 'X' ? ts + dur : -1;
      s[n].tid = tid;
      n++;
    } else if (strcmp(ph, "E") == 0) {
      for (int i = n - 1; i >= 0; i--)
        if (s[i].t1 < 0 && s[i].tid == tid && strcmp(s[i].name, name) == 0) {
          s[i].t1 = ts;
          break;
        }
    }
  }
  fclose(f);
  *out = s;
  return n;
}

static int overlap(const slice *a, const slice *b) {
  double lo = a->t0 > b->t0 ? a->t0 : b->t0;
  double hi = a->t1 < b->t1 ? a->t1 : b->t1;
  return a->t1 > 0 && b->t1 > 0 && hi > lo;
}

static void test_overlap(void **state) {
  (void)state;
  odeon__backend *be = NULL;
  odeon__backend_config cfg = {.timeout = 30};
  if (odeon__backend_cuda_create(&cfg, &be) != ODEON_OK) {
    const char *req = getenv("ODEON_REQUIRE_GPU");
    print_message("no CUDA device: %s\n", odeon_last_error());
    if (req && strcmp(req, "1") == 0)
      fail();
    skip();
  }
  be->ops->destroy(be);
  assert_true(odeon__trace_enabled());

  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string(ODEON_TEST_LORENZ, "lorenz", &m));
  odeon_options_t o;
  odeon_options_init(&o);
  o.backend = ODEON_BACKEND_CUDA;
  o.algorithm = "tsit5";
  o.precision = ODEON_FLOAT32;
  o.atol = o.rtol = 1e-7;
  o.save_every = 0.005; /* 201 samples: downloads take real time */
  o.chunk_runs = 1 << 16;
  o.slots = 3;
  odeon_solver_t *s = NULL;
  assert_ok(odeon_solver_create(m, &o, &s));
  odeon_grid_t *g = NULL;
  assert_ok(odeon_grid_create(m, &g));
  enum { N = 1 << 19 };
  double *rho = malloc(N * sizeof *rho);
  for (int i = 0; i < N; i++)
    rho[i] = 21.0 * i / (N - 1);
  assert_ok(odeon_grid_sweep(g, "rho", rho, N));
  free(rho);
  /* Both results stay alive until both solves are done: a second solve
     into the first one's kept memory would page-lock it and download into
     it directly (util/bigmem.c, outputs.c), with neither writeback nor
     drain to see. */
  odeon_result_t *r[2] = {NULL, NULL};
  for (int drained = 0; drained < 2; drained++) {
    setenv("ODEON_DRAIN", drained ? "auto" : "off", 1);
    assert_ok(odeon_solve(s, g, NULL, &r[drained]));
    assert_int_equal(odeon_result_failed_runs(r[drained]), 0);
  }
  unsetenv("ODEON_DRAIN");
  odeon_result_destroy(r[0]);
  odeon_result_destroy(r[1]);
  odeon_grid_destroy(g);
  odeon_solver_destroy(s);
  odeon_model_destroy(m);
  odeon__trace_close();

  slice *sl = NULL;
  int n = read_slices(&sl);
  assert_true(n > 0);
  int kernels = 0, rows[8] = {0}, n_rows = 0;
  int kernel_vs_d2h = 0, kernel_vs_writeback = 0, kernel_vs_drain = 0;
  for (int i = 0; i < n; i++) {
    if (strcmp(sl[i].name, "kernel") != 0)
      continue;
    kernels++;
    int seen = 0;
    for (int k = 0; k < n_rows; k++)
      seen |= rows[k] == sl[i].tid;
    if (!seen && n_rows < 8)
      rows[n_rows++] = sl[i].tid;
    for (int j = 0; j < n; j++) {
      if (strcmp(sl[j].name, "d2h") == 0 && sl[j].tid != sl[i].tid &&
          overlap(&sl[i], &sl[j]))
        kernel_vs_d2h++;
      if (strcmp(sl[j].name, "writeback") == 0 && overlap(&sl[i], &sl[j]))
        kernel_vs_writeback++;
      if (strcmp(sl[j].name, "drain") == 0 && overlap(&sl[i], &sl[j]))
        kernel_vs_drain++;
    }
  }
  print_message("trace: %d slices, %d kernels on %d streams; kernel/download "
                "overlaps %d, kernel/writeback overlaps %d, kernel/drain "
                "overlaps %d\n",
                n, kernels, n_rows, kernel_vs_d2h, kernel_vs_writeback,
                kernel_vs_drain);
  free(sl);
  assert_true(kernels >= 16); /* twice 2^19 runs in chunks of 2^16 */
  assert_true(n_rows >= 2);
  assert_true(kernel_vs_d2h > 0);
  assert_true(kernel_vs_writeback > 0);
  assert_true(kernel_vs_drain > 0);
}

int main(void) {
  snprintf(trace_path, sizeof trace_path, "%s/test-gpu-trace-%ld.json",
           ODEON_BINARY_DIR, (long)getpid());
  setenv("ODEON_TRACE", trace_path, 1);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_overlap),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  unlink(trace_path);
  return rc;
}
