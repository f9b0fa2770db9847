/* test_pipeline.c - the chunked pipeline on the CPU backend gives results
 * bitwise identical to one plain loop over every run, whatever the chunk
 * size, time windows, slots and threads; destinations (memory, caller's
 * buffer, .npy file, automatic), progress, cancel and the memory plan. */
#include <unistd.h>

#include "test_util.h"

#include "engine/plan.h"
#include "util/fault.h"
#include "pipeline_kernel.h"

#define ROWS 2
#define NK 3
#define NC 4
#define RUNS (ROWS * NK * NC)

typedef struct fixture {
  pk_env env[2]; /* float64, float32 */
  pk_ref ref[2];
  odeon_grid_t *grid;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  for (int p = 0; p < 2; p++) {
    if (pk_open(&f->env[p], 3, 0, p ? 4 : 8, 30)) {
      print_error("setup: %s\n", odeon_last_error());
      return -1;
    }
    if (pk_reference(&f->env[p], ROWS, NK, NC, &f->ref[p]))
      return -1;
  }
  f->grid = pk_grid(ROWS, NK, NC);
  *state = f;
  return f->grid ? 0 : -1;
}

static int teardown(void **state) {
  fixture *f = *state;
  for (int p = 0; p < 2; p++) {
    pk_ref_free(&f->ref[p]);
    pk_close(&f->env[p]);
  }
  odeon_grid_destroy(f->grid);
  free(f);
  return 0;
}

static void solve_and_compare(fixture *f, int p, long long chunk,
                              long long window, int slots) {
  odeon__engine_request req;
  pk_request(&req, &f->env[p], f->grid);
  req.chunk_runs = chunk;
  req.window_samples = window;
  req.slots = slots;
  odeon_result_t *res = NULL;
  assert_ok(odeon__engine_solve(&req, &res));
  int diff = pk_compare(res, &f->ref[p], f->env[p].rb);
  if (diff)
    print_error("output %d differs: precision %d, chunk %lld, window %lld, "
                "slots %d\n",
                diff, p ? 32 : 64, chunk, window, slots);
  assert_int_equal(diff, 0);
  assert_int_equal(odeon_result_runs(res), RUNS);
  assert_int_equal(odeon_result_samples(res), PK_SAMPLES);
  assert_int_equal(odeon_result_failed_runs(res), 0);
  odeon_result_destroy(res);
}

static void every_chunk_size(void **state) {
  for (long long c = 1; c <= RUNS; c++)
    solve_and_compare(*state, 0, c, 0, 2);
  solve_and_compare(*state, 0, RUNS + 7, 0, 2);
}

static void every_time_window(void **state) {
  for (long long w = 1; w <= PK_SAMPLES; w++) {
    solve_and_compare(*state, 0, 5, w, 2);
    solve_and_compare(*state, 1, 7, w, 3);
  }
}

static void slots_and_threads(void **state) {
  fixture *f = *state;
  int base_threads = pk_threads();
  for (int t = 1; t <= 4; t++) {
    pk_env env;
    assert_ok(pk_open(&env, t, 0, 8, 30));
    pk_env saved = f->env[0];
    f->env[0] = env;
    for (int s = 1; s <= 4; s++) {
      solve_and_compare(f, 0, 3, 4, s);
      solve_and_compare(f, 0, 10, 0, s);
    }
    f->env[0] = saved;
    pk_close(&env);
  }
  assert_int_equal(pk_threads_settled(base_threads), base_threads);
}

static void float32_configs(void **state) {
  solve_and_compare(*state, 1, 1, 0, 1);
  solve_and_compare(*state, 1, 4, 3, 4);
  solve_and_compare(*state, 1, RUNS, PK_SAMPLES, 2);
}

static void result_views(void **state) {
  fixture *f = *state;
  odeon__engine_request req;
  pk_request(&req, &f->env[0], f->grid);
  odeon_result_t *res = NULL;
  assert_ok(odeon__engine_solve(&req, &res));
  odeon_array_view v;
  assert_ok(odeon_result_output(res, "state", &v));
  assert_int_equal(v.ndim, 3);
  assert_int_equal(v.shape[0], PK_SAMPLES);
  assert_int_equal(v.shape[1], 2);
  assert_int_equal(v.shape[2], RUNS);
  assert_string_equal(v.axes[0], "sample");
  assert_string_equal(v.axes[2], "run");
  assert_string_equal(v.labels[1], "v");
  assert_int_equal(v.dtype, ODEON_DTYPE_F64);
  assert_ok(odeon_result_output(res, "time", &v));
  assert_int_equal(v.shape[0], PK_SAMPLES);
  assert_true(((const double *)v.data)[3] == f->env[0].times[3]);
  assert_ok(odeon_result_output(res, "summaries", &v));
  assert_string_equal(v.axes[0], "window");
  assert_string_equal(v.labels[0], "mean(x)");
  assert_int_equal(v.shape[0], PK_WINDOWS);
  assert_ok(odeon_result_output(res, "counters", &v));
  assert_int_equal(v.dtype, ODEON_DTYPE_I64);
  assert_int_equal(((const long long *)v.data)[5],
                   (long long)(PK_SETTLE / PK_DT + 0.5) +
                       (PK_SAMPLES - 1) * (long long)(PK_SAVE / PK_DT + 0.5));
  assert_status(odeon_result_output(res, "nonsense", &v), ODEON_E_INVAL);
  assert_error_contains("nonsense");
  assert_int_equal(odeon_result_run_status(res, 7), 0);
  assert_int_equal(odeon_result_run_status(res, RUNS), UINT32_MAX);
  assert_null(odeon_result_file(res, "state"));
  odeon_result_destroy(res);

  /* an output not asked for is absent */
  req.outputs = ODEON_OUT_STATE;
  assert_ok(odeon__engine_solve(&req, &res));
  assert_status(odeon_result_output(res, "observables", &v), ODEON_E_INVAL);
  assert_error_contains("not produced");
  assert_ok(odeon_result_output(res, "status", &v));
  odeon_result_destroy(res);
}

/* A .npy file holds exactly `want` (bytes after its header, nothing more)
 * and numpy loads it memory-mapped with the shape (rows, vars, RUNS). */
static void check_npy(const char *path, const void *want, long rows,
                      long vars) {
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  unsigned char head[10];
  assert_int_equal(fread(head, 1, 10, fp), 10);
  size_t hl = 10 + (size_t)head[8] + 256 * (size_t)head[9];
  size_t bytes = (size_t)(rows * vars * RUNS * 8);
  unsigned char *data = malloc(bytes);
  fseek(fp, (long)hl, SEEK_SET);
  assert_int_equal(fread(data, 1, bytes, fp), bytes);
  assert_int_equal(fgetc(fp), EOF);
  fclose(fp);
  assert_memory_equal(data, want, bytes);
  free(data);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 -c \"import numpy, sys; a = numpy.load('%s', "
           "mmap_mode='r'); sys.exit(0 if a.shape == (%ld, %ld, %d) and "
           "a.dtype == numpy.float64 and float(a[%ld, %ld, 5]) == %.17g "
           "else 1)\"",
           path, rows, vars, RUNS, rows - 1, vars - 1,
           ((const double *)want)[(rows * vars - 1) * RUNS + 5]);
  int rc = system(cmd);
  if (rc)
    print_error("numpy check failed (rc %d): %s\n", rc, cmd);
  assert_int_equal(rc, 0);
}

/* The state, observables and summaries of a file destination. */
static void check_files(const odeon_result_t *res, const char *path,
                        const pk_ref *ref) {
  char obs[600], sum[600];
  snprintf(obs, sizeof obs, "%.*s-observables.npy", (int)strlen(path) - 4,
           path);
  snprintf(sum, sizeof sum, "%.*s-summaries.npy", (int)strlen(path) - 4, path);
  const char *names[3] = {"state", "observables", "summaries"};
  const char *files[3] = {path, obs, sum};
  for (int i = 0; i < 3; i++) {
    odeon_array_view v;
    assert_ok(odeon_result_output(res, names[i], &v));
    assert_null(v.data);
    assert_string_equal(odeon_result_file(res, names[i]), files[i]);
  }
  check_npy(path, ref->state, PK_SAMPLES, 2);
  check_npy(obs, ref->obs, PK_SAMPLES, 1);
  check_npy(sum, ref->sum, PK_WINDOWS, 2);
  /* status and counters stay in memory */
  odeon_array_view v;
  assert_ok(odeon_result_output(res, "status", &v));
  assert_memory_equal(v.data, ref->status, RUNS * 4);
  assert_ok(odeon_result_output(res, "counters", &v));
  assert_memory_equal(v.data, ref->cnt, RUNS * 8);
  for (int i = 0; i < 3; i++) {
    char inc[700];
    snprintf(inc, sizeof inc, "%s.incomplete", files[i]);
    assert_int_equal(access(inc, F_OK), -1);
    unlink(files[i]);
  }
}

/* A float64 request of the fixture's grid into .npy files at
   dir/NAME-PID.npy (path receives it), 5-run chunks, 6-sample windows. */
static void file_request(fixture *f, const char *name, char path[512],
                         odeon_dest_t *dest, odeon__engine_request *req) {
  snprintf(path, 512, "%s/%s-%ld.npy", ODEON_BINARY_DIR, name, (long)getpid());
  pk_request(req, &f->env[0], f->grid);
  memset(dest, 0, sizeof *dest);
  dest->kind = ODEON_DEST_FILE;
  dest->path = path;
  req->dest = dest;
  req->chunk_runs = 5;
  req->window_samples = 6;
}

static void file_destination(void **state) {
  fixture *f = *state;
  char path[512];
  odeon_dest_t dest;
  odeon__engine_request req;
  file_request(f, "pipeline-test", path, &dest, &req);
  odeon_result_t *res = NULL;
  assert_ok(odeon__engine_solve(&req, &res));
  check_files(res, path, &f->ref[0]);
  odeon_result_destroy(res);

  /* automatic: above the RAM limit the outputs go to files */
  dest.kind = ODEON_DEST_AUTO;
  dest.ram_limit = 1000;
  assert_ok(odeon__engine_solve(&req, &res));
  check_files(res, path, &f->ref[0]);
  odeon_result_destroy(res);
  /* below it, memory */
  dest.ram_limit = 1e9;
  assert_ok(odeon__engine_solve(&req, &res));
  assert_null(odeon_result_file(res, "state"));
  assert_int_equal(pk_compare(res, &f->ref[0], 8), 0);
  odeon_result_destroy(res);
  assert_int_equal(access(path, F_OK), -1);
}

static void user_destination(void **state) {
  fixture *f = *state;
  size_t bytes = PK_SAMPLES * 2 * RUNS * 8;
  double *buf = malloc(bytes);
  odeon__engine_request req;
  pk_request(&req, &f->env[0], f->grid);
  odeon_dest_t dest = {0};
  dest.kind = ODEON_DEST_USER;
  dest.user_state = buf;
  dest.user_state_bytes = bytes;
  req.dest = &dest;
  req.chunk_runs = 7;
  odeon_result_t *res = NULL;
  assert_ok(odeon__engine_solve(&req, &res));
  assert_memory_equal(buf, f->ref[0].state, bytes);
  odeon_array_view v;
  assert_ok(odeon_result_output(res, "state", &v));
  assert_ptr_equal(v.data, buf);
  odeon_result_destroy(res); /* must not free the caller's buffer */
  dest.user_state_bytes = bytes - 8;
  assert_status(odeon__engine_solve(&req, &res), ODEON_E_INVAL);
  assert_error_contains("caller's state buffer");
  assert_null(res);
  free(buf);
}

typedef struct progress_log {
  int calls;
  int64_t last_runs, last_bytes, total_runs, total_bytes;
  int monotone;
  int cancel_at;      /* 0 = never */
  int64_t runs_at[8]; /* runs done at the first calls */
} progress_log;

static int on_progress(int64_t runs, int64_t runs_total, int64_t bytes,
                       int64_t bytes_total, void *user) {
  progress_log *p = user;
  if (p->calls < 8)
    p->runs_at[p->calls] = runs;
  p->calls++;
  if (runs < p->last_runs || bytes < p->last_bytes)
    p->monotone = 0;
  p->last_runs = runs;
  p->last_bytes = bytes;
  p->total_runs = runs_total;
  p->total_bytes = bytes_total;
  return p->cancel_at && p->calls >= p->cancel_at;
}

static void progress_and_cancel(void **state) {
  fixture *f = *state;
  odeon__engine_request req;
  pk_request(&req, &f->env[0], f->grid);
  progress_log log = {0};
  log.monotone = 1;
  req.progress = on_progress;
  req.progress_user = &log;
  req.chunk_runs = 5;
  req.window_samples = 10;
  odeon_result_t *res = NULL;
  assert_ok(odeon__engine_solve(&req, &res));
  assert_int_equal(log.calls, 5 * 3); /* 5 chunks x 3 time windows */
  assert_true(log.monotone);
  assert_int_equal(log.last_runs, RUNS);
  assert_int_equal(log.total_runs, RUNS);
  assert_int_equal(log.last_bytes, log.total_bytes);
  odeon_result_destroy(res);

  int threads = pk_threads();
  for (int at = 1; at <= 15; at++) {
    progress_log c = {0};
    c.cancel_at = at;
    req.progress_user = &c;
    assert_status(odeon__engine_solve(&req, &res), ODEON_E_CANCELLED);
    assert_null(res);
    assert_error_contains("progress callback");
    assert_int_equal(pk_threads_settled(threads), threads);
  }
}

static void tiny_budgets(void **state) {
  fixture *f = *state;
  /* A backend whose whole "device" holds only a few runs: the chunk
     shrinks and time windows appear, the results stay identical. */
  for (size_t budget = 2000; budget <= 64000; budget *= 4) {
    pk_env env;
    assert_ok(pk_open(&env, 2, budget, 8, 30));
    pk_env saved = f->env[0];
    f->env[0] = env;
    solve_and_compare(f, 0, 0, 0, 2);
    f->env[0] = saved;
    pk_close(&env);
  }
  /* the pinned cap alone (it bounds the staging: the outputs staged) */
  odeon__engine_request req;
  pk_request(&req, &f->env[0], f->grid);
  req.staged = 1;
  req.pinned_cap = 3000;
  odeon_result_t *res = NULL;
  assert_ok(odeon__engine_solve(&req, &res));
  assert_int_equal(pk_compare(res, &f->ref[0], 8), 0);
  odeon_result_destroy(res);
  req.pinned_cap = 50; /* less than one run of one sample */
  assert_status(odeon__engine_solve(&req, &res), ODEON_E_NOMEM);
  assert_error_contains("cannot hold one run");
}

/* A cache keeps the slots between solves: the second solve allocates
   nothing (every allocation is made to fail and it still succeeds), a
   bigger plan releases the cache and allocates afresh. */
static void slot_cache(void **state) {
  fixture *f = *state;
  odeon__engine_cache *cache = NULL;
  odeon__engine_request req;
  pk_request(&req, &f->env[0], f->grid);
  req.cache = &cache;
  req.chunk_runs = 6;
  odeon_result_t *res = NULL;
  assert_ok(odeon__engine_solve(&req, &res));
  assert_non_null(cache);
  odeon_result_destroy(res);
  odeon__fault_arm(ODEON__FAULT_ALLOC, 1, 1000000);
  for (long long c = 1; c <= 6; c++) { /* smaller chunks fit the cache */
    req.chunk_runs = c;
    assert_ok(odeon__engine_solve(&req, &res));
    assert_int_equal(pk_compare(res, &f->ref[0], 8), 0);
    odeon_result_destroy(res);
  }
  assert_int_equal(odeon__fault_fired(ODEON__FAULT_ALLOC), 0);
  req.chunk_runs = 12; /* needs more: the cache goes, allocation fails */
  assert_status(odeon__engine_solve(&req, &res), ODEON_E_NOMEM);
  assert_null(cache);
  odeon__fault_reset();
  assert_ok(odeon__engine_solve(&req, &res));
  assert_int_equal(pk_compare(res, &f->ref[0], 8), 0);
  odeon_result_destroy(res);
  assert_non_null(cache);
  odeon__engine_cache_destroy(cache);
}

/* A writeback large enough to be split over helper threads (into memory
   and into a file) still gives every bit of the plain loop. */
static void split_writeback(void **state) {
  fixture *f = *state;
  pk_ref ref;
  assert_ok(pk_reference(&f->env[0], 4, 64, 64, &ref)); /* 16384 runs */
  odeon_grid_t *g = pk_grid(4, 64, 64);
  odeon__engine_request req;
  pk_request(&req, &f->env[0], g);
  req.staged = 1; /* through staging and the writeback, not direct */
  req.writeback_threads = 3;
  req.chunk_runs = 16384; /* one item of about 9 MiB: three shares */
  odeon_result_t *res = NULL;
  assert_ok(odeon__engine_solve(&req, &res));
  assert_int_equal(pk_compare(res, &ref, 8), 0);
  odeon_result_destroy(res);
  char path[512];
  snprintf(path, sizeof path, "%s/split-%ld.npy", ODEON_BINARY_DIR,
           (long)getpid());
  odeon_dest_t dest = {0};
  dest.kind = ODEON_DEST_FILE;
  dest.path = path;
  req.dest = &dest;
  assert_ok(odeon__engine_solve(&req, &res));
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  size_t bytes = (size_t)PK_SAMPLES * 2 * 16384 * 8;
  unsigned char *data = malloc(bytes);
  fseek(fp, 128, SEEK_SET);
  assert_int_equal(fread(data, 1, bytes, fp), bytes);
  fclose(fp);
  assert_memory_equal(data, ref.state, bytes);
  free(data);
  odeon_result_destroy(res);
  static const char *const sides[] = {"", "-observables", "-summaries"};
  for (int i = 0; i < 3; i++) {
    char p[600];
    snprintf(p, sizeof p, "%.*s%s.npy", (int)strlen(path) - 4, path, sides[i]);
    unlink(p);
  }
  /* a failing write in one share fails the solve with its message */
  req.dest = NULL;
  odeon__fault_arm(ODEON__FAULT_SINK_WRITE, 20, 1);
  assert_status(odeon__engine_solve(&req, &res), ODEON_E_IO);
  odeon__fault_reset();
  assert_error_contains("injected");
  assert_null(res);
  odeon_grid_destroy(g);
  pk_ref_free(&ref);
}

/* One probe chunk, then chunks of the planned size: the producer waits
   for the probe's launch time instead of queuing probes into every slot. */
static void one_probe_chunk(void **state) {
  fixture *f = *state;
  odeon__engine_request req;
  pk_request(&req, &f->env[0], f->grid);
  req.chunk_runs = 10;
  req.probe_runs = 3;
  req.slots = 3;
  progress_log log = {0};
  req.progress = on_progress;
  req.progress_user = &log;
  odeon_result_t *res = NULL;
  assert_ok(odeon__engine_solve(&req, &res));
  assert_int_equal(pk_compare(res, &f->ref[0], 8), 0);
  odeon_result_destroy(res);
  assert_int_equal(log.calls, 4); /* 3, 13, 23, 24 runs */
  assert_int_equal(log.runs_at[0], 3);
  assert_int_equal(log.runs_at[1], 13);
  assert_int_equal(log.runs_at[2], 23);
  assert_int_equal(log.runs_at[3], RUNS);
}

/* The last chunk, where it is more than half a chunk and at least twice
   65536 runs, runs as two halves (its download and writeback are the tail
   nothing overlaps); a shorter one does not. Bit for bit the same either
   way. (A solve that fits in one chunk after its probe counts its runs as
   the chunk: its rest is split too.) */
static void split_last_chunk(void **state) {
  fixture *f = *state;
  pk_ref ref;
  assert_ok(pk_reference(&f->env[0], 16, 128, 72, &ref)); /* 147456 runs */
  odeon_grid_t *g = pk_grid(16, 128, 72);
  odeon__engine_request req;
  pk_request(&req, &f->env[0], g);
  req.probe_runs = 7456;
  req.pinned_cap = (size_t)1 << 30; /* chunks as asked, not by staging */
  /* nor by the probe's time (an eighth of the timeout: under a sanitizer
     30 s would cap the chunks below 140000 runs) */
  req.timeout = 3600;
  static const struct {
    long long chunk;
    int calls;
    int64_t at[3];
  } cases[] = {
      /* 7456, then 140000 left, a whole chunk: two halves */
      {140000, 3, {7456, 77456, 147456}},
      /* 7456, 100000, then 40000 left: one */
      {100000, 3, {7456, 107456, 147456}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    req.chunk_runs = cases[c].chunk;
    progress_log log = {0};
    req.progress = on_progress;
    req.progress_user = &log;
    odeon_result_t *res = NULL;
    assert_ok(odeon__engine_solve(&req, &res));
    assert_int_equal(pk_compare(res, &ref, 8), 0);
    odeon_result_destroy(res);
    assert_int_equal(log.calls, cases[c].calls);
    for (int k = 0; k < cases[c].calls; k++)
      assert_int_equal(log.runs_at[k], cases[c].at[k]);
  }
  odeon_grid_destroy(g);
  pk_ref_free(&ref);
}

/* Items with few rows split by runs over the helpers: still bit for bit
   the plain loop's values. */
static void helpers_by_runs(void **state) {
  fixture *f = *state;
  pk_ref ref;
  assert_ok(pk_reference(&f->env[0], 16, 128, 64, &ref)); /* 131072 runs */
  odeon_grid_t *g = pk_grid(16, 128, 64);
  odeon__engine_request req;
  pk_request(&req, &f->env[0], g);
  req.staged = 1; /* through staging and the writeback, not direct */
  req.writeback_threads = 5;
  req.window_samples = 1; /* items of one sample: 5 rows of 1 MiB */
  /* chunks of 4096 runs: one part per item; of all runs: items of 5.2
     and 6.8 MB in two parts, split by runs (5 and 7 rows) */
  for (int whole = 0; whole < 2; whole++) {
    req.chunk_runs = whole ? 131072 : 4096;
    odeon_result_t *res = NULL;
    assert_ok(odeon__engine_solve(&req, &res));
    assert_int_equal(pk_compare(res, &ref, 8), 0);
    odeon_result_destroy(res);
  }
  pk_ref_free(&ref);
  odeon_grid_destroy(g);
}

static void plan_math(void **state) {
  (void)state;
  odeon__plan_input in = {0};
  in.runs = 100000000LL;
  in.n_samples = 1001;
  in.n_windows = 10;
  in.samples_per_window = 100;
  in.in_bytes = 4 * 8;
  in.carry_bytes = 20 * 8;
  in.final_bytes = 4 + 3 * 8;
  in.sample_bytes = 3 * 8;
  in.window_bytes = 2 * 8;
  in.device_bytes = (size_t)1 << 30;
  in.pinned_bytes = (size_t)256 << 20;
  in.slots = 2;
  odeon__plan p;
  assert_ok(odeon__plan_make(&in, &p));
  assert_int_equal(p.window_samples, 1001); /* whole series fits */
  assert_true(p.chunk_runs * 2 * p.pinned_per_run <= in.pinned_bytes);
  assert_int_equal(p.n_chunks, (in.runs + p.chunk_runs - 1) / p.chunk_runs);
  /* very long series: time windows, aligned to summary windows */
  in.n_samples = 10000001;
  in.n_windows = 100000;
  assert_ok(odeon__plan_make(&in, &p));
  assert_true(p.window_samples < in.n_samples);
  assert_int_equal(p.window_samples % 100, 0);
  assert_true(p.chunk_runs >= 256);
  assert_true(p.chunk_runs * 2 * p.device_per_run <= in.device_bytes);
  assert_int_equal(odeon__plan_windows_done(&in, 1), 0);
  assert_int_equal(odeon__plan_windows_done(&in, 101), 1);
  assert_int_equal(odeon__plan_windows_done(&in, 100), 0);
  assert_int_equal(odeon__plan_windows_done(&in, in.n_samples), 100000);
  /* a forced chunk is an upper bound */
  in.force_chunk = 77;
  assert_ok(odeon__plan_make(&in, &p));
  assert_int_equal(p.chunk_runs, 77);
  /* nothing fits */
  in.device_bytes = 100;
  assert_status(odeon__plan_make(&in, &p), ODEON_E_NOMEM);
  assert_error_contains("cannot hold one run");
}

static void bad_requests(void **state) {
  fixture *f = *state;
  odeon__engine_request req;
  pk_request(&req, &f->env[0], f->grid);
  odeon_result_t *res = NULL;
  odeon_grid_t *g = NULL;
  double d[3] = {0, 0, 0};
  assert_ok(odeon__grid_create_vars(3, NULL, d, 2, NULL, d, &g));
  req.grid = g;
  assert_status(odeon__engine_solve(&req, &res), ODEON_E_INVAL);
  assert_error_contains("3 states");
  odeon_grid_destroy(g);
  pk_request(&req, &f->env[0], f->grid);
  req.slots = 99;
  assert_status(odeon__engine_solve(&req, &res), ODEON_E_INVAL);
  assert_error_contains("slots");
  pk_request(&req, &f->env[0], f->grid);
  req.base.driver_stride = 4; /* per-run drivers, but none given */
  assert_status(odeon__engine_solve(&req, &res), ODEON_E_INVAL);
  assert_error_contains("one block per run");
  pk_request(&req, &f->env[0], f->grid);
  req.timeout = -1;
  assert_status(odeon__engine_solve(&req, &res), ODEON_E_INVAL);
  assert_status(odeon__engine_solve(&req, NULL), ODEON_E_INVAL);
  assert_null(res);
}

/* Inputs with one value in every run (v0 in the fixture's grid) are set on
   the device instead of staged and uploaded: bit for bit what uploading
   them gives, in both precisions (a double whose two halves differ takes
   two strided fills); a grid whose every input is uniform stages
   nothing at all. */
static void uniform_inputs(void **state) {
  fixture *f = *state;
  for (int p = 0; p < 2; p++)
    for (int upload = 0; upload < 2; upload++) {
      odeon__engine_request req;
      pk_request(&req, &f->env[p], f->grid);
      req.chunk_runs = 7;
      req.upload_uniform = upload;
      odeon_result_t *res = NULL;
      assert_ok(odeon__engine_solve(&req, &res));
      assert_int_equal(pk_compare(res, &f->ref[p], f->env[p].rb), 0);
      odeon_result_destroy(res);
    }
  odeon_grid_t *g = pk_grid(1, 1, 1);
  assert_non_null(g);
  for (int p = 0; p < 2; p++) {
    pk_ref ref;
    assert_ok(pk_reference(&f->env[p], 1, 1, 1, &ref));
    odeon__engine_request req;
    pk_request(&req, &f->env[p], g);
    odeon_result_t *res = NULL;
    assert_ok(odeon__engine_solve(&req, &res));
    assert_int_equal(pk_compare(res, &ref, f->env[p].rb), 0);
    odeon_result_destroy(res);
    pk_ref_free(&ref);
  }
  odeon_grid_destroy(g);
}

/* Drained outputs (the saved states, observables and summaries pulled from
   the device piece by piece by the drain lanes) give every bit of the
   plain loop: both precisions; pieces shorter than a row, spanning rows
   and ending with an output; one lane to more lanes than pieces; chunks
   and time windows (a window's launch waits for the previous window's
   drain); staging caps too small for the lanes; memory and .npy files. */
static void drained_outputs(void **state) {
  fixture *f = *state;
  static const struct {
    long long chunk, window;
    int lanes;
    size_t piece;
  } cfg[] = {{5, 0, 1, 64},   {7, 4, 3, 64},       {24, 0, 2, 192},
             {3, 21, 16, 64}, {24, 1, 4, 1 << 20}, {11, 5, 5, 128}};
  for (int p = 0; p < 2; p++)
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
      odeon__engine_request req;
      pk_request(&req, &f->env[p], f->grid);
      req.staged = 1;
      req.drain = 1;
      req.chunk_runs = cfg[c].chunk;
      req.window_samples = cfg[c].window;
      req.drain_lanes = cfg[c].lanes;
      req.drain_piece = cfg[c].piece;
      odeon_result_t *res = NULL;
      assert_ok(odeon__engine_solve(&req, &res));
      int diff = pk_compare(res, &f->ref[p], f->env[p].rb);
      if (diff)
        print_error("output %d differs: precision %d, config %zu\n", diff,
                    p ? 32 : 64, c);
      assert_int_equal(diff, 0);
      odeon_result_destroy(res);
    }
  /* A staging cap too small for the lanes asked for: fewer lanes (600
     bytes: two lanes of 64-byte pieces in its half), or none and the
     outputs staged (200 bytes). */
  static const size_t caps[] = {600, 200};
  for (size_t c = 0; c < 2; c++) {
    odeon__engine_request req;
    pk_request(&req, &f->env[0], f->grid);
    req.staged = 1;
    req.drain = 1;
    req.drain_lanes = 5;
    req.pinned_cap = caps[c];
    odeon_result_t *res = NULL;
    assert_ok(odeon__engine_solve(&req, &res));
    assert_int_equal(pk_compare(res, &f->ref[0], 8), 0);
    odeon_result_destroy(res);
  }
  char path[512];
  odeon_dest_t dest;
  odeon__engine_request req;
  file_request(f, "pipeline-drain", path, &dest, &req);
  req.drain = 1;
  req.drain_lanes = 3;
  req.drain_piece = 64;
  odeon_result_t *res = NULL;
  assert_ok(odeon__engine_solve(&req, &res));
  check_files(res, path, &f->ref[0]);
  odeon_result_destroy(res);
}

/* A drained slot that takes longer to deliver than the timeout, its
   pieces landing steadily, is not a hang: the producer waiting for the
   slot and the writeback waiting for its drain restart their deadlines
   at every landed piece. (9216 runs in two chunks on one slot, 64-byte
   pieces through one lane: about 75000 pieces, far longer than the
   timeout of 0.2 s; the timeout is long enough for any one piece or
   launch under the sanitizers.) */
static void long_drain_no_timeout(void **state) {
  fixture *f = *state;
  pk_ref ref;
  assert_ok(pk_reference(&f->env[0], 4, 48, 48, &ref)); /* 9216 runs */
  odeon_grid_t *g = pk_grid(4, 48, 48);
  odeon__engine_request req;
  pk_request(&req, &f->env[0], g);
  req.staged = 1;
  req.drain = 1;
  req.drain_lanes = 1;
  req.drain_piece = 64;
  req.chunk_runs = 4608;
  req.slots = 1;
  req.timeout = 0.2;
  odeon_result_t *res = NULL;
  double t0 = odeon__now();
  int st = odeon__engine_solve(&req, &res);
  double took = odeon__now() - t0;
  if (st)
    print_error("%s\n", odeon_last_error());
  assert_ok(st);
  assert_true(took > 3 * req.timeout); /* the case this is about */
  assert_int_equal(pk_compare(res, &ref, 8), 0);
  odeon_result_destroy(res);
  odeon_grid_destroy(g);
  pk_ref_free(&ref);
}

/* The lanes are kept in the slot cache: a second solve with the same lanes
   allocates nothing (every allocation would fail), one with other pieces
   replaces them. $ODEON_DRAIN turns draining on or off and sets lanes and
   pieces; a bad value is refused, naming the variable. */
static void drain_cache_and_env(void **state) {
  fixture *f = *state;
  odeon__engine_cache *cache = NULL;
  odeon__engine_request req;
  pk_request(&req, &f->env[0], f->grid);
  req.cache = &cache;
  req.staged = 1;
  req.drain = 1;
  req.drain_lanes = 3;
  req.drain_piece = 128;
  req.chunk_runs = 6;
  odeon_result_t *res = NULL;
  for (int round = 0; round < 3; round++) {
    if (round == 1)
      odeon__fault_arm(ODEON__FAULT_ALLOC, 1, 1000000);
    if (round == 2)
      req.drain_piece = 64;
    assert_ok(odeon__engine_solve(&req, &res));
    assert_int_equal(pk_compare(res, &f->ref[0], 8), 0);
    odeon_result_destroy(res);
    if (round == 1) {
      assert_int_equal(odeon__fault_fired(ODEON__FAULT_ALLOC), 0);
      odeon__fault_reset();
    }
  }
  odeon__engine_cache_destroy(cache);

  static const char *const good[] = {"on",     "off",    "auto",
                                     "on:2:1", "on:0:0", "auto:16:4096"};
  static const char *const bad[] = {"yes",     "on:",     "on:2", "on:17:1",
                                    "on:2:1x", "on:-1:4", ""};
  pk_request(&req, &f->env[0], f->grid);
  req.staged = 1;
  req.chunk_runs = 7;
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    setenv("ODEON_DRAIN", good[i], 1);
    assert_ok(odeon__engine_solve(&req, &res));
    assert_int_equal(pk_compare(res, &f->ref[0], 8), 0);
    odeon_result_destroy(res);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv("ODEON_DRAIN", bad[i], 1);
    int st = odeon__engine_solve(&req, &res);
    if (!*bad[i]) { /* empty: as if unset */
      assert_ok(st);
      odeon_result_destroy(res);
      continue;
    }
    assert_status(st, ODEON_E_INVAL);
    assert_error_contains("ODEON_DRAIN");
    assert_null(res);
  }
  unsetenv("ODEON_DRAIN");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_chunk_size),
      cmocka_unit_test(every_time_window),
      cmocka_unit_test(slots_and_threads),
      cmocka_unit_test(float32_configs),
      cmocka_unit_test(result_views),
      cmocka_unit_test(file_destination),
      cmocka_unit_test(user_destination),
      cmocka_unit_test(progress_and_cancel),
      cmocka_unit_test(split_last_chunk),
      cmocka_unit_test(tiny_budgets),
      cmocka_unit_test(slot_cache),
      cmocka_unit_test(split_writeback),
      cmocka_unit_test(one_probe_chunk),
      cmocka_unit_test(helpers_by_runs),
      cmocka_unit_test(uniform_inputs),
      cmocka_unit_test(drained_outputs),
      cmocka_unit_test(drain_cache_and_env),
      cmocka_unit_test(long_drain_no_timeout),
      cmocka_unit_test(plan_math),
      cmocka_unit_test(bad_requests),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
