/* test_faults.c - fault injection: the Nth allocation, copy, launch, event
 * wait, sink write or thread start fails, or the caller cancels at a random
 * point, or a wait passes its deadline. Each time: the right status, a message
 * naming the stage and the chunk, back within a second, no thread left behind,
 * no result, and a file destination left as PATH.incomplete. (Leaks are
 * checked by the AddressSanitizer build of this same test.) */
#include <unistd.h>

#include "test_util.h"

#include "pipeline_kernel.h"
#include "util/fault.h"

#define ROWS 3
#define NK 2
#define NC 3
#define RUNS (ROWS * NK * NC)

typedef struct fixture {
  pk_env env;
  pk_ref ref;
  odeon_grid_t *grid;
  int threads;
  char path[512], inc[600];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (pk_open(&f->env, 2, 0, 8, 30) ||
      pk_reference(&f->env, ROWS, NK, NC, &f->ref)) {
    print_error("setup: %s\n", odeon_last_error());
    return -1;
  }
  f->grid = pk_grid(ROWS, NK, NC);
  f->threads = pk_threads();
  snprintf(f->path, sizeof f->path, "%s/faults-%ld.npy", ODEON_BINARY_DIR,
           (long)getpid());
  snprintf(f->inc, sizeof f->inc, "%s.incomplete", f->path);
  *state = f;
  return 0;
}

/* The state file and the observables and summaries beside it, complete or
   not. */
static void remove_outputs(fixture *f) {
  static const char *const sides[] = {"", "-observables", "-summaries"};
  for (int i = 0; i < 3; i++) {
    char p[700];
    snprintf(p, sizeof p, "%.*s%s.npy", (int)strlen(f->path) - 4, f->path,
             sides[i]);
    unlink(p);
    strcat(p, ".incomplete");
    unlink(p);
  }
}

static int teardown(void **state) {
  fixture *f = *state;
  odeon__fault_reset();
  pk_ref_free(&f->ref);
  pk_close(&f->env);
  odeon_grid_destroy(f->grid);
  remove_outputs(f);
  free(f);
  return 0;
}

/* Solves drain their outputs through drain lanes (drain.c) when set, and
   failures whose message names a lane are counted; g_timeout > 0 replaces
   the solve's deadline. */
static int g_drain, g_lane_failures;
static double g_timeout;

/* One solve with a file destination, 6 chunks x 2 time windows, 3 slots. */
static int solve(fixture *f, odeon_result_t **res, double *seconds,
                 odeon_progress_fn progress, void *user) {
  odeon__engine_request req;
  pk_request(&req, &f->env, f->grid);
  odeon_dest_t dest = {0};
  dest.kind = ODEON_DEST_FILE;
  dest.path = f->path;
  req.dest = &dest;
  req.chunk_runs = 3;
  req.window_samples = 11;
  req.slots = 3;
  req.progress = progress;
  req.progress_user = user;
  if (g_drain) {
    req.drain = 1;
    req.drain_lanes = 3;
    req.drain_piece = 64; /* pieces of 8 values: 3 to 11 per output */
  }
  if (g_timeout > 0)
    req.timeout = g_timeout;
  remove_outputs(f);
  double t = odeon__now();
  int st = odeon__engine_solve(&req, res);
  *seconds = odeon__now() - t;
  return st;
}

static void check_failed(fixture *f, int st, int want, odeon_result_t *res,
                         double seconds, const char *what) {
  if (st != want)
    print_error("%s: got %s (%s), want %s\n", what, odeon_status_name(st),
                odeon_last_error(), odeon_status_name(want));
  assert_int_equal(st, want);
  assert_null(res);
  assert_true(seconds < 1.0);
  assert_int_equal(pk_threads_settled(f->threads), f->threads);
  /* never silently partial: the file is only there as .incomplete */
  assert_int_equal(access(f->path, F_OK), -1);
  assert_int_equal(access(f->inc, F_OK), 0);
}

static void check_complete(fixture *f, odeon_result_t *res) {
  FILE *fp = fopen(f->path, "rb");
  assert_non_null(fp);
  fseek(fp, 128, SEEK_SET); /* this header is 128 bytes */
  size_t bytes = PK_SAMPLES * 2 * RUNS * 8;
  unsigned char *data = malloc(bytes);
  assert_int_equal(fread(data, 1, bytes, fp), bytes);
  fclose(fp);
  assert_memory_equal(data, f->ref.state, bytes);
  free(data);
  assert_int_equal(access(f->inc, F_OK), -1);
  odeon_result_destroy(res);
}

static void stage_faults(void **state, odeon__fault_site site, int want,
                         const char *fragment, int hits) {
  fixture *f = *state;
  int failures = 0;
  for (int nth = 1; nth <= hits; nth++) {
    odeon__fault_arm(site, nth, 1);
    odeon_result_t *res = NULL;
    double sec;
    int st = solve(f, &res, &sec, NULL, NULL);
    long long fired = odeon__fault_fired(site);
    odeon__fault_reset();
    if (!fired) { /* fewer hits than nth in this solve: it must succeed */
      assert_int_equal(st, ODEON_OK);
      check_complete(f, res);
      continue;
    }
    char what[64];
    snprintf(what, sizeof what, "%s fault at hit %d", odeon__fault_name(site),
             nth);
    check_failed(f, st, want, res, sec, what);
    assert_error_contains(fragment);
    assert_error_contains("chunk");
    g_lane_failures += strstr(odeon_last_error(), "drain lane") != NULL;
    failures++;
  }
  assert_true(failures > hits / 2); /* the site was really exercised */
}

static void copy_faults(void **state) {
  stage_faults(state, ODEON__FAULT_COPY, ODEON_E_BACKEND, "copy", 60);
}

static void launch_faults(void **state) {
  stage_faults(state, ODEON__FAULT_LAUNCH, ODEON_E_BACKEND, "launch", 13);
}

static void event_wait_faults(void **state) {
  stage_faults(state, ODEON__FAULT_EVENT_WAIT, ODEON_E_BACKEND, "event wait",
               13);
}

static void sink_write_faults(void **state) {
  stage_faults(state, ODEON__FAULT_SINK_WRITE, ODEON_E_IO, "sink write", 40);
}

/* A single failed allocation shrinks the chunk and the solve still
   succeeds; allocations that keep failing end in E_NOMEM. */
static void alloc_faults(void **state) {
  fixture *f = *state;
  for (int nth = 1; nth <= 40; nth++) {
    odeon__fault_arm(ODEON__FAULT_ALLOC, nth, 1);
    odeon_result_t *res = NULL;
    double sec;
    int st = solve(f, &res, &sec, NULL, NULL);
    odeon__fault_reset();
    assert_status(st, ODEON_OK);
    check_complete(f, res);
  }
  odeon__fault_arm(ODEON__FAULT_ALLOC, 3, 1000000);
  odeon_result_t *res = NULL;
  double sec;
  int st = solve(f, &res, &sec, NULL, NULL);
  odeon__fault_reset();
  check_failed(f, st, ODEON_E_NOMEM, res, sec, "persistent alloc faults");
  assert_error_contains("allocating");
}

/* The same faults with the outputs drained: a failed download, wait or
   write in a lane fails the solve with the lane, the output and the bytes
   named, the other lanes stop, nothing waits past its deadline; a lane
   whose pinned buffers cannot be allocated leaves the outputs to the
   slots' staging (alloc_faults: every solve still succeeds). */
static void drain_faults(void **state) {
  g_drain = 1;
  g_lane_failures = 0;
  stage_faults(state, ODEON__FAULT_COPY, ODEON_E_BACKEND, "copy", 60);
  int copies = g_lane_failures;
  stage_faults(state, ODEON__FAULT_EVENT_WAIT, ODEON_E_BACKEND, "event wait",
               40);
  int waits = g_lane_failures - copies;
  stage_faults(state, ODEON__FAULT_SINK_WRITE, ODEON_E_IO, "sink write", 80);
  int writes = g_lane_failures - copies - waits;
  alloc_faults(state);
  g_drain = 0;
  if (!copies || !waits || !writes)
    print_error("failures in a lane: %d copies, %d waits, %d writes\n", copies,
                waits, writes);
  assert_true(copies > 0 && waits > 0 && writes > 0);
}

/* A thread that cannot be started (a stream's, the writeback's, a drain
   lane's): the solve carries on with what it has where it can (fewer
   lanes) and otherwise fails at once with a message naming the thread;
   never a hang, a partial file or a thread left behind. */
static void thread_faults(void **state) {
  fixture *f = *state;
  int fired_total = 0, failures = 0;
  for (int drain = 0; drain < 2; drain++) {
    g_drain = drain;
    for (int nth = 1; nth <= 12; nth++) {
      odeon__fault_arm(ODEON__FAULT_THREAD, nth, 1);
      odeon_result_t *res = NULL;
      double sec;
      int st = solve(f, &res, &sec, NULL, NULL);
      long long fired = odeon__fault_fired(ODEON__FAULT_THREAD);
      odeon__fault_reset();
      fired_total += fired > 0;
      if (st == ODEON_OK) {
        check_complete(f, res);
        continue;
      }
      if (!fired)
        print_error("no thread fault, yet: %s\n", odeon_last_error());
      assert_true(fired > 0);
      assert_null(res);
      assert_true(sec < 1.0);
      assert_int_equal(pk_threads_settled(f->threads), f->threads);
      assert_int_equal(access(f->path, F_OK), -1);
      assert_error_contains("thread");
      failures++;
    }
  }
  g_drain = 0;
  print_message("thread faults: %d solves hit, %d failed\n", fired_total,
                failures);
  assert_true(fired_total >= 8);
  assert_true(failures > 0);
  /* no thread at all */
  odeon__fault_arm(ODEON__FAULT_THREAD, 1, 1000000);
  odeon_result_t *res = NULL;
  double sec;
  int st = solve(f, &res, &sec, NULL, NULL);
  odeon__fault_reset();
  assert_int_not_equal(st, ODEON_OK);
  assert_null(res);
  assert_true(sec < 1.0);
  assert_int_equal(pk_threads_settled(f->threads), f->threads);
  assert_error_contains("thread");
}

/* A drain lane's write of results that stalls past the deadline (a slow
   disk): the writeback's wait for the slot's pieces, or the producer's
   for the slot, ends the solve with E_TIMEOUT, and the stalled lane is
   joined once its write returns. */
static void drain_stall(void **state) {
  fixture *f = *state;
  int drain_timeouts = 0;
  g_drain = 1;
  g_timeout = 0.1;
  for (int nth = 2; nth <= 10; nth += 4) {
    odeon__fault_arm_stall(ODEON__FAULT_SINK_WRITE, nth, 0.4);
    odeon_result_t *res = NULL;
    double sec;
    int st = solve(f, &res, &sec, NULL, NULL);
    odeon__fault_reset();
    check_failed(f, st, ODEON_E_TIMEOUT, res, sec, "stalled drain write");
    assert_error_contains("within");
    drain_timeouts += strstr(odeon_last_error(), "no piece landed") != NULL;
  }
  g_drain = 0;
  g_timeout = 0;
  print_message("stalled drain writes: %d timed out in the drain wait\n",
                drain_timeouts);
}

typedef struct cancel_at {
  int calls, at;
} cancel_at;

static int cancel_cb(int64_t runs, int64_t total, int64_t bytes,
                     int64_t bytes_total, void *user) {
  cancel_at *c = user;
  return ++c->calls >= c->at && c->at > 0;
}

static void random_cancel(void **state) {
  fixture *f = *state;
  srand(2385);
  for (int i = 0; i < 30; i++) {
    cancel_at c = {0, 1 + rand() % 12}; /* 12 items: 6 chunks x 2 windows */
    odeon_result_t *res = NULL;
    double sec;
    int st = solve(f, &res, &sec, cancel_cb, &c);
    check_failed(f, st, ODEON_E_CANCELLED, res, sec, "cancel");
    assert_error_contains("cancelled by the progress callback");
  }
}

/* A kernel slower than the deadline: the wait gives up with E_TIMEOUT and
   the solve still returns promptly (blocks not started are skipped). */
static void deadline(void **state) {
  fixture *f = *state;
  odeon__engine_request req;
  pk_request(&req, &f->env, f->grid);
  req.base.dt = 2e-6; /* ~50k RK4 steps per sample per run */
  req.timeout = 0.1;
  odeon_result_t *res = NULL;
  double t = odeon__now();
  int st = odeon__engine_solve(&req, &res);
  double sec = odeon__now() - t;
  assert_status(st, ODEON_E_TIMEOUT);
  assert_error_contains("within");
  assert_null(res);
  assert_true(sec < 1.0);
  assert_int_equal(pk_threads_settled(f->threads), f->threads);
}

/* A model slower than the timeout allows for one big chunk: probe chunks
   are timed and the later chunks sized to stay well inside the deadline,
   so the solve completes; the same solve forced into one chunk times out. */
static void chunks_sized_by_time(void **state) {
  fixture *f = *state;
  odeon_grid_t *g = pk_grid(4, 6, 8); /* 192 runs */
  odeon__engine_request req;
  pk_request(&req, &f->env, g);
  req.base.dt = 5e-6; /* tens of ms per run: ~2 s for all on 2 threads */
  req.timeout = 1.0;
  req.probe_runs = 4;
  req.slots = 2;       /* the next chunk is filled while the probe runs, */
  req.chunk_runs = 48; /* at the planned size, then at the timed one */
  cancel_at calls = {0, 0};
  req.progress = cancel_cb;
  req.progress_user = &calls;
  odeon_result_t *res = NULL;
  assert_ok(odeon__engine_solve(&req, &res));
  assert_int_equal(odeon_result_runs(res), 192);
  assert_int_equal(odeon_result_failed_runs(res), 0);
  assert_true(calls.calls >= 8); /* many chunks, not one */
  /* The chunk after the probe was filled at full size while the probe was
     timed, then filled again for the shorter launch the time asked for:
     every value is the one chunk's of an unhurried solve. */
  req.chunk_runs = 192;
  req.probe_runs = 1LL << 40; /* no probe: one chunk of every run */
  req.progress = NULL;
  req.timeout = 60;
  odeon_result_t *whole = NULL;
  assert_ok(odeon__engine_solve(&req, &whole));
  static const odeon__out_id ids[] = {ODEON__OUT_STATE, ODEON__OUT_OBS,
                                      ODEON__OUT_STATUS, ODEON__OUT_COUNTERS};
  for (int i = 0; i < 4; i++) {
    size_t bytes = odeon__result_bytes(res, ids[i]);
    assert_int_equal(bytes, odeon__result_bytes(whole, ids[i]));
    assert_memory_equal(res->out[ids[i]].data, whole->out[ids[i]].data, bytes);
  }
  odeon_result_destroy(whole);
  odeon_result_destroy(res);
  req.timeout = 1.0;
  assert_status(odeon__engine_solve(&req, &res), ODEON_E_TIMEOUT);
  assert_null(res);
  assert_int_equal(pk_threads_settled(f->threads), f->threads);
  /* a probe that itself outlasts the timeout: the next chunk, waiting for
     the probe's launch time, gives up with the solve within the deadline */
  req.probe_runs = 128;
  double t0 = odeon__now();
  assert_status(odeon__engine_solve(&req, &res), ODEON_E_TIMEOUT);
  assert_true(odeon__now() - t0 < 3 * req.timeout);
  assert_null(res);
  assert_int_equal(pk_threads_settled(f->threads), f->threads);
  odeon_grid_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(copy_faults),
      cmocka_unit_test(launch_faults),
      cmocka_unit_test(event_wait_faults),
      cmocka_unit_test(sink_write_faults),
      cmocka_unit_test(alloc_faults),
      cmocka_unit_test(drain_faults),
      cmocka_unit_test(thread_faults),
      cmocka_unit_test(drain_stall),
      cmocka_unit_test(random_cancel),
      cmocka_unit_test(deadline),
      cmocka_unit_test(chunks_sized_by_time),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
