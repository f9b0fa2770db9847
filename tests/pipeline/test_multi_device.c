/* test_multi_device.c - one solve split over several CPU "devices"
 * (devices = "cpu:N": N CPU backends, each with its own thread pool, module,
 * engine cache and pipeline, one host thread each) against one device: the
 * outputs must be bit for bit the same in memory, in the caller's buffer and
 * in .npy files; an injected fault on one device stops all and names it; a
 * cancel stops all; no thread is left behind. With --gpu (label gpu) it
 * checks every CUDA device against device 0 instead. */
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#include "backend/cuda/cuda_backend.h"
#include "engine/multi.h"
#include "util/bigmem.h"
#include "util/fault.h"

static const char *const model_text = "states: x = 1.385, y = -0.25, z = 2.5\n"
                                      "parameters: rho = 21, sigma = 10\n"
                                      "constants: beta = 8/3\n"
                                      "observables: r = x*x + y*y\n"
                                      "dx = sigma*(y - x)\n"
                                      "dy = x*(rho - z) - y\n"
                                      "dz = x*y - beta*z\n";

static const char *const compared[] = {"state",    "observables", "status",
                                       "counters", "summaries",   "time"};
#define N_COMPARED 6

static odeon_model_t *model;

static int setup(void **state) {
  (void)state;
  return odeon_model_from_string(model_text, "lorenz", &model);
}

static int teardown(void **state) {
  (void)state;
  odeon_model_destroy(model);
  return 0;
}

static int threads_now(void) {
  DIR *d = opendir("/proc/self/task");
  int n = 0;
  if (!d)
    return -1;
  for (struct dirent *e; (e = readdir(d));)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* The count once joined threads have left /proc (reaped shortly after
   pthread_join returns; allow 5 s on a loaded machine under TSan). */
static int threads_settled(int expected) {
  int n = threads_now();
  for (int i = 0; i < 5000 && n > expected; i++) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    n = threads_now();
  }
  return n;
}

static void set_options(odeon_options_t *o, const char *devices) {
  odeon_options_init(o);
  o->algorithm = "tsit5";
  o->atol = o->rtol = 1e-7;
  o->duration = 1.5;
  o->save_every = 0.05;
  o->summarise_every = 0.25;
  o->outputs = ODEON_OUT_STATE | ODEON_OUT_OBSERVABLES | ODEON_OUT_STATUS |
               ODEON_OUT_COUNTERS | ODEON_OUT_SUMMARIES | ODEON_OUT_TIME;
  o->summaries = "mean,max";
  o->backend = ODEON_BACKEND_CPU;
  o->threads = 4;
  o->timeout = 60;
  o->devices = devices;
}

/* A sweep of `runs` runs over rho (2.385 .. 30) and two sigmas where the
   count allows, so every run differs. */
static odeon_grid_t *make_grid(int64_t runs) {
  odeon_grid_t *g = NULL;
  assert_ok(odeon_grid_create(model, &g));
  int64_t nsig = runs % 2 == 0 ? 2 : 1, nrho = runs / nsig;
  double *rho = malloc((size_t)nrho * sizeof *rho);
  assert_non_null(rho);
  for (int64_t i = 0; i < nrho; i++)
    rho[i] = 2.385 + 27.615 * (double)i / (double)(nrho > 1 ? nrho - 1 : 1);
  double sig[2] = {10.0, 7.25};
  assert_ok(odeon_grid_sweep(g, "rho", rho, nrho));
  assert_ok(odeon_grid_sweep(g, "sigma", sig, nsig));
  free(rho);
  assert_int_equal(odeon_grid_runs(g), runs);
  return g;
}

static size_t esize(odeon_dtype t) {
  return t == ODEON_DTYPE_F32 || t == ODEON_DTYPE_U32 ? 4 : 8;
}

static size_t view_bytes(const odeon_array_view *v) {
  size_t n = esize(v->dtype);
  for (int i = 0; i < v->ndim; i++)
    n *= (size_t)v->shape[i];
  return n;
}

/* Bytes of a .npy file after its header (v1 or v2), in a new buffer. */
static unsigned char *npy_data(const char *path, size_t *bytes) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc((size_t)size);
  size_t got = buf ? fread(buf, 1, (size_t)size, f) : 0;
  fclose(f);
  if (!buf || got != (size_t)size || size < 12) {
    free(buf);
    return NULL;
  }
  size_t off = buf[6] == 1
                   ? 10u + (size_t)(buf[8] | buf[9] << 8)
                   : 12u + (size_t)(buf[8] | buf[9] << 8 | buf[10] << 16 |
                                    (size_t)buf[11] << 24);
  *bytes = (size_t)size - off;
  memmove(buf, buf + off, *bytes);
  return buf;
}

/* Compare every output of `got` with `want` bit for bit; outputs of `got`
   that live in files are read from them. */
static void assert_same(const odeon_result_t *want, const odeon_result_t *got,
                        const char *what) {
  assert_int_equal(odeon_result_runs(want), odeon_result_runs(got));
  assert_int_equal(odeon_result_failed_runs(want),
                   odeon_result_failed_runs(got));
  for (int i = 0; i < N_COMPARED; i++) {
    odeon_array_view a, b;
    assert_ok(odeon_result_output(want, compared[i], &a));
    assert_ok(odeon_result_output(got, compared[i], &b));
    assert_int_equal(a.ndim, b.ndim);
    for (int k = 0; k < a.ndim; k++)
      assert_int_equal(a.shape[k], b.shape[k]);
    size_t n = view_bytes(&a);
    const void *data = b.data;
    unsigned char *file = NULL;
    if (!data) {
      const char *path = odeon_result_file(got, compared[i]);
      assert_non_null(path);
      size_t fb = 0;
      file = npy_data(path, &fb);
      assert_non_null(file);
      assert_int_equal(fb, n);
      data = file;
    }
    if (memcmp(a.data, data, n)) {
      print_error("%s: output '%s' differs from one device\n", what,
                  compared[i]);
      fail();
    }
    free(file);
  }
}

static odeon_result_t *solve(const char *devices, const odeon_grid_t *g,
                             const odeon_dest_t *dest, long long chunk) {
  odeon_options_t o;
  set_options(&o, devices);
  o.chunk_runs = chunk;
  odeon_solver_t *s = NULL;
  assert_ok(odeon_solver_create(model, &o, &s));
  assert_string_equal(odeon_solver_backend(s), "cpu");
  odeon_result_t *r = NULL;
  assert_ok(odeon_solve(s, g, dest, &r));
  odeon_solver_destroy(s);
  return r;
}

/* 1, 2, 7 and 1000 runs on 2, 3 and 4 devices: the same bits as one. */
static void test_identical_to_one_device(void **state) {
  (void)state;
  static const int64_t counts[] = {1, 2, 7, 1000};
  static const char *const devs[] = {"cpu:2", "cpu:3", "cpu:4"};
  int before = threads_now();
  for (int c = 0; c < 4; c++) {
    odeon_grid_t *g = make_grid(counts[c]);
    odeon_result_t *ref = solve(NULL, g, NULL, 0);
    for (int d = 0; d < 3; d++) {
      char what[64];
      snprintf(what, sizeof what, "%lld runs on %s", (long long)counts[c],
               devs[d]);
      /* one chunk per device, then several small chunks per device */
      odeon_result_t *r = solve(devs[d], g, NULL, 0);
      assert_same(ref, r, what);
      odeon_result_destroy(r);
      r = solve(devs[d], g, NULL, 37);
      assert_same(ref, r, what);
      odeon_result_destroy(r);
    }
    odeon_result_destroy(ref);
    odeon_grid_destroy(g);
  }
  assert_int_equal(threads_settled(before), before);
}

/* The caller's buffer and a .npy file destination: each device writes its
   own run range of the same buffer and of the same files. */
static void test_user_and_file_destinations(void **state) {
  (void)state;
  odeon_grid_t *g = make_grid(1000);
  odeon_result_t *ref = solve(NULL, g, NULL, 0);
  odeon_array_view v;
  assert_ok(odeon_result_output(ref, "state", &v));
  size_t bytes = view_bytes(&v);
  void *buf = malloc(bytes);
  assert_non_null(buf);
  memset(buf, 0xAB, bytes);
  odeon_dest_t d = {ODEON_DEST_USER, buf, bytes, NULL, 0};
  odeon_result_t *r = solve("cpu:3", g, &d, 101);
  assert_ptr_equal(((const odeon_array_view *)&v)->data != NULL, 1);
  odeon_array_view rv;
  assert_ok(odeon_result_output(r, "state", &rv));
  assert_ptr_equal(rv.data, buf);
  assert_same(ref, r, "caller's buffer on cpu:3");
  odeon_result_destroy(r);
  free(buf);

  char path[] = "/tmp/odeon-multi-XXXXXX";
  assert_non_null(mkdtemp(path));
  char file[256];
  snprintf(file, sizeof file, "%s/sweep.npy", path);
  odeon_dest_t fd = {ODEON_DEST_FILE, NULL, 0, file, 0};
  r = solve("cpu:4", g, &fd, 64);
  assert_non_null(odeon_result_file(r, "state"));
  assert_same(ref, r, ".npy files on cpu:4");
  odeon_result_destroy(r);
  char side[300];
  remove(file);
  snprintf(side, sizeof side, "%s/sweep-observables.npy", path);
  remove(side);
  snprintf(side, sizeof side, "%s/sweep-summaries.npy", path);
  remove(side);
  assert_int_equal(rmdir(path), 0);
  odeon_result_destroy(ref);
  odeon_grid_destroy(g);
}

/* A launch that fails on one device stops every device; the error names
   the device and its runs, the files stay PATH.incomplete, no thread is
   left. */
static void test_fault_stops_all(void **state) {
  (void)state;
  odeon_grid_t *g = make_grid(1000);
  char path[] = "/tmp/odeon-multi-XXXXXX";
  assert_non_null(mkdtemp(path));
  char file[256], inc[300];
  snprintf(file, sizeof file, "%s/f.npy", path);
  snprintf(inc, sizeof inc, "%s.incomplete", file);
  static const odeon__fault_site sites[] = {
      ODEON__FAULT_LAUNCH, ODEON__FAULT_COPY, ODEON__FAULT_SINK_WRITE,
      ODEON__FAULT_EVENT_WAIT, ODEON__FAULT_ALLOC};
  for (int k = 0; k < 5; k++) {
    for (int nth = 1; nth <= 9; nth += 4) {
      /* results in memory are copied straight from the CPU "device" into
         the result (no sink writes): sink faults need the file sink */
      if (sites[k] == ODEON__FAULT_SINK_WRITE && nth != 5)
        continue;
      odeon_options_t o;
      set_options(&o, "cpu:3");
      o.chunk_runs = 40;
      /* threads are counted around the solver's life: a device that
         finished before the fault keeps its streams in its cache */
      int before = threads_now();
      odeon_solver_t *s = NULL;
      assert_ok(odeon_solver_create(model, &o, &s));
      odeon_dest_t fd = {ODEON_DEST_FILE, NULL, 0, file, 0};
      odeon_result_t *r = NULL;
      /* a failed allocation is retried with smaller chunks: make every
         allocation from the nth on fail */
      odeon__fault_arm(sites[k], nth,
                       sites[k] == ODEON__FAULT_ALLOC ? 1000000 : 1);
      int st = odeon_solve(s, g, nth == 5 ? &fd : NULL, &r);
      long long fired = odeon__fault_fired(sites[k]);
      odeon__fault_reset();
      assert_true(fired > 0);
      if (st == ODEON_OK)
        print_error("fault at %s, hit %d: the solve succeeded\n",
                    odeon__fault_name(sites[k]), nth);
      assert_true(st != ODEON_OK);
      assert_null(r);
      assert_error_contains("device cpu:");
      assert_error_contains("injected");
      if (nth == 5) {
        assert_int_equal(access(file, F_OK), -1);
        assert_int_equal(access(inc, F_OK), 0);
      }
      /* the solver still works after the failure, and gives the same */
      odeon_result_t *again = NULL;
      assert_ok(odeon_solve(s, g, NULL, &again));
      odeon_result_t *ref = solve(NULL, g, NULL, 0);
      assert_same(ref, again, "after a fault");
      odeon_result_destroy(ref);
      odeon_result_destroy(again);
      odeon_solver_destroy(s);
      assert_int_equal(threads_settled(before), before);
    }
  }
  char side[300];
  remove(inc);
  snprintf(side, sizeof side, "%s/f-observables.npy.incomplete", path);
  remove(side);
  snprintf(side, sizeof side, "%s/f-summaries.npy.incomplete", path);
  remove(side);
  assert_int_equal(rmdir(path), 0);
  odeon_grid_destroy(g);
}

/* A thread that cannot be started, the devices' own among them: the solve
   fails naming it or completes with the same results, and the solver
   works afterwards. */
static void test_thread_fault(void **state) {
  (void)state;
  odeon_grid_t *g = make_grid(1000);
  odeon_result_t *ref = solve(NULL, g, NULL, 0);
  int failed = 0;
  for (int nth = 1; nth <= 8; nth++) {
    odeon_options_t o;
    set_options(&o, "cpu:3");
    o.chunk_runs = 40;
    int before = threads_now();
    odeon_solver_t *s = NULL;
    assert_ok(odeon_solver_create(model, &o, &s));
    odeon_result_t *r = NULL;
    odeon__fault_arm(ODEON__FAULT_THREAD, nth, 1);
    int st = odeon_solve(s, g, NULL, &r);
    long long fired = odeon__fault_fired(ODEON__FAULT_THREAD);
    odeon__fault_reset();
    assert_true(fired > 0);
    if (st == ODEON_OK) {
      assert_same(ref, r, "a thread fault the solve worked around");
      odeon_result_destroy(r);
    } else {
      assert_null(r);
      assert_error_contains("thread");
      failed++;
    }
    odeon_result_t *again = NULL;
    assert_ok(odeon_solve(s, g, NULL, &again));
    assert_same(ref, again, "after a thread fault");
    odeon_result_destroy(again);
    odeon_solver_destroy(s);
    assert_int_equal(threads_settled(before), before);
  }
  assert_true(failed > 0);
  odeon_result_destroy(ref);
  odeon_grid_destroy(g);
}

typedef struct prog {
  long long calls, last_runs, total, cancel_at;
  int in_call, overlapped, decreased;
} prog;

/* The progress callback sees sums over the devices, one call at a time. */
static int on_progress(int64_t runs_done, int64_t runs_total,
                       int64_t bytes_done, int64_t bytes_total, void *user) {
  prog *p = user;
  if (p->in_call++)
    p->overlapped = 1;
  p->calls++;
  if (runs_done < p->last_runs || bytes_done > bytes_total)
    p->decreased = 1;
  p->last_runs = runs_done;
  p->total = runs_total;
  int stop = p->cancel_at > 0 && runs_done >= p->cancel_at;
  p->in_call--;
  return stop;
}

static void test_progress_and_cancel(void **state) {
  (void)state;
  odeon_grid_t *g = make_grid(1000);
  odeon_options_t o;
  set_options(&o, "cpu:3");
  o.chunk_runs = 25;
  prog p = {0};
  o.progress = on_progress;
  o.progress_user = &p;
  int before = threads_now();
  odeon_solver_t *s = NULL;
  assert_ok(odeon_solver_create(model, &o, &s));
  odeon_result_t *r = NULL;
  assert_ok(odeon_solve(s, g, NULL, &r));
  assert_true(p.calls >= 3);
  assert_int_equal(p.last_runs, 1000);
  assert_int_equal(p.total, 1000);
  assert_false(p.overlapped);
  assert_false(p.decreased);
  odeon_result_destroy(r);

  memset(&p, 0, sizeof p);
  p.cancel_at = 100;
  r = NULL;
  assert_status(odeon_solve(s, g, NULL, &r), ODEON_E_CANCELLED);
  assert_null(r);
  assert_error_contains("device cpu:");
  assert_error_contains("cancelled");
  assert_true(p.last_runs < 1000);
  odeon_solver_destroy(s);
  assert_int_equal(threads_settled(before), before);
  odeon_grid_destroy(g);
}

/* Per-run driver series: each device holds only the blocks of its own runs,
   and run r still sees series r (the same bits as one device). */
static void test_per_run_drivers(void **state) {
  (void)state;
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string("states: x = 0.5\n"
                                    "parameters: k = 1.25\n"
                                    "drivers: u\n"
                                    "dx = k*u - 0.385*x\n",
                                    "driven", &m));
  enum { RUNS = 203, N = 9 };
  odeon_grid_t *g = NULL;
  assert_ok(odeon_grid_create(m, &g));
  double k[RUNS];
  for (int r = 0; r < RUNS; r++)
    k[r] = 0.5 + 0.01 * r;
  assert_ok(odeon_grid_column(g, "k", k, RUNS));
  double *u = malloc(sizeof(double) * RUNS * N);
  assert_non_null(u);
  for (int r = 0; r < RUNS; r++)
    for (int i = 0; i < N; i++)
      u[r * N + i] = 2.385 * (double)((r * 7 + i * 3) % 11) - 0.5 * r;
  assert_ok(odeon_grid_driver(g, "u", 0.0, 0.25, u, N, RUNS, NULL));
  free(u);
  odeon_result_t *res[2] = {NULL, NULL};
  for (int d = 0; d < 2; d++) {
    odeon_options_t o;
    odeon_options_init(&o);
    o.algorithm = "tsit5";
    o.duration = 2.0;
    o.save_every = 0.1;
    o.backend = ODEON_BACKEND_CPU;
    o.threads = 3;
    o.timeout = 60;
    o.chunk_runs = 30;
    o.devices = d ? "cpu:3" : NULL;
    odeon_solver_t *s = NULL;
    assert_ok(odeon_solver_create(m, &o, &s));
    assert_ok(odeon_solve(s, g, NULL, &res[d]));
    odeon_solver_destroy(s);
  }
  odeon_array_view a, b;
  assert_ok(odeon_result_output(res[0], "state", &a));
  assert_ok(odeon_result_output(res[1], "state", &b));
  size_t n = view_bytes(&a);
  assert_int_equal(n, view_bytes(&b));
  assert_memory_equal(a.data, b.data, n);
  /* the runs really differ (a mix-up of series would show) */
  const double *y = a.data;
  assert_true(y[20 * RUNS + 0] != y[20 * RUNS + 150]);
  odeon_result_destroy(res[0]);
  odeon_result_destroy(res[1]);
  odeon_grid_destroy(g);
  odeon_model_destroy(m);
}

/* ODEON_VERBOSE=1: each device's run range and time on stderr. */
static void test_verbose(void **state) {
  (void)state;
  odeon_grid_t *g = make_grid(1000);
  char path[] = "/tmp/odeon-multi-err-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  fflush(stderr);
  int saved = dup(2);
  assert_true(saved >= 0);
  assert_int_equal(dup2(fd, 2), 2);
  setenv("ODEON_VERBOSE", "1", 1);
  odeon_result_t *r = solve("cpu:2", g, NULL, 0);
  unsetenv("ODEON_VERBOSE");
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  odeon_result_destroy(r);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char text[4096] = "";
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = 0;
  fclose(f);
  remove(path);
  if (!strstr(text, "device cpu:0: 500 runs (0..499) in ") ||
      !strstr(text, "device cpu:1: 500 runs (500..999) in ")) {
    print_error("stderr was:\n%s\n", text);
    fail();
  }
  odeon_grid_destroy(g);
}

/* Device lists that cannot work are clear errors on every backend. */
static void test_bad_device_lists(void **state) {
  (void)state;
  static const char *const bad[] = {
      "cpu:0", "cpu:x", "cpu:99", "cpu:", "0,x", "-1", "1,,2", "zero"};
  for (int i = 0; i < 8; i++) {
    odeon_options_t o;
    set_options(&o, bad[i]);
    odeon_solver_t *s = NULL;
    assert_status(odeon_solver_create(model, &o, &s), ODEON_E_INVAL);
    assert_error_contains("devices");
    assert_null(s);
  }
  odeon_options_t o;
  set_options(&o, "cpu:2");
  o.backend = ODEON_BACKEND_CUDA;
  odeon_solver_t *s = NULL;
  assert_status(odeon_solver_create(model, &o, &s), ODEON_E_INVAL);
  assert_error_contains("cpu:2");
  /* a CUDA device that cannot exist: no device, on any machine (with a
     driver: it names the device; without: the driver's absence) */
  o.devices = "0,1023";
  assert_status(odeon_solver_create(model, &o, &s), ODEON_E_NODEVICE);
  assert_error_contains("backend cuda");
  assert_null(s);
  o.devices = "cpu:2";
  /* auto with CPU devices takes the CPU and says why */
  o.backend = ODEON_BACKEND_AUTO;
  assert_ok(odeon_solver_create(model, &o, &s));
  assert_string_equal(odeon_solver_backend(s), "cpu");
  assert_non_null(strstr(odeon_solver_backend_reason(s), "cpu:2"));
  odeon_solver_destroy(s);
}

/* On a GPU machine (run with --gpu, label gpu): every CUDA device against
   device 0, bit for bit, also twice more into the first multi-device
   result's kept memory, which the second solve page-locks; and a device
   number beyond the count named as missing. Skipped where the driver sees
   no device. */
static void test_cuda_devices(void **state) {
  (void)state;
  int count = 0;
  if (odeon__cuda_device_count(&count) != ODEON_OK || count < 1) {
    print_message("skipping: no CUDA device (%s)\n", odeon_last_error());
    odeon_clear_error();
    skip();
  }
  odeon_grid_t *g = make_grid(100000);
  odeon_options_t o;
  set_options(&o, NULL);
  o.backend = ODEON_BACKEND_CUDA;
  odeon_solver_t *s = NULL;
  assert_ok(odeon_solver_create(model, &o, &s));
  odeon_result_t *ref = NULL;
  assert_ok(odeon_solve(s, g, NULL, &ref));
  odeon_solver_destroy(s);
  o.devices = "all";
  assert_ok(odeon_solver_create(model, &o, &s));
  assert_string_equal(odeon_solver_backend(s), "cuda");
  odeon_result_t *r = NULL;
  assert_ok(odeon_solve(s, g, NULL, &r));
  assert_same(ref, r, "every CUDA device");
  odeon_result_destroy(r);
  /* Twice more into the first one's kept memory, which the second solve
     page-locks (src/engine/outputs.c): every device downloads its runs
     into the same page-locked arrays, the same bits. */
  for (int again = 0; again < 2; again++) {
    assert_ok(odeon_solve(s, g, NULL, &r));
    assert_same(ref, r, "every CUDA device, into reused page-locked memory");
    odeon_result_destroy(r);
    assert_true(odeon__big_kept_pinned_bytes() > 0);
  }
  odeon_solver_destroy(s);
  assert_int_equal(odeon__big_kept_pinned_bytes(), 0);
  char list[32];
  snprintf(list, sizeof list, "0,%d", count);
  o.devices = list;
  assert_status(odeon_solver_create(model, &o, &s), ODEON_E_NODEVICE);
  assert_error_contains("does not exist");
  o.backend = ODEON_BACKEND_AUTO;
  assert_status(odeon_solver_create(model, &o, &s), ODEON_E_NODEVICE);
  assert_error_contains("does not exist");
  odeon_result_destroy(ref);
  odeon_grid_destroy(g);
}

/* The split: contiguous, covering, in proportion to the weights. */
static void test_split(void **state) {
  (void)state;
  long long b[5];
  double w[4] = {132, 132, 66, 2.385};
  odeon__multi_split(1000, 4, w, b);
  assert_int_equal(b[0], 0);
  assert_int_equal(b[4], 1000);
  for (int i = 0; i < 4; i++)
    assert_true(b[i] <= b[i + 1]);
  /* 1000 * 132 / 332.385 = 397.1, cumulative 794.3, 992.8 */
  assert_int_equal(b[1], 397);
  assert_int_equal(b[2], 794);
  assert_int_equal(b[3], 993);
  double eq[3] = {1, 1, 1};
  odeon__multi_split(7, 3, eq, b);
  assert_int_equal(b[1], 2);
  assert_int_equal(b[2], 5);
  assert_int_equal(b[3], 7);
  odeon__multi_split(1, 3, eq, b);
  assert_int_equal(b[3], 1);
  assert_int_equal((b[1] - b[0]) + (b[2] - b[1]) + (b[3] - b[2]), 1);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--gpu")) {
    const struct CMUnitTest gpu[] = {cmocka_unit_test(test_cuda_devices)};
    return cmocka_run_group_tests(gpu, setup, teardown);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_split),
      cmocka_unit_test(test_bad_device_lists),
      cmocka_unit_test(test_identical_to_one_device),
      cmocka_unit_test(test_user_and_file_destinations),
      cmocka_unit_test(test_fault_stops_all),
      cmocka_unit_test(test_thread_fault),
      cmocka_unit_test(test_progress_and_cancel),
      cmocka_unit_test(test_per_run_drivers),
      cmocka_unit_test(test_verbose),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
