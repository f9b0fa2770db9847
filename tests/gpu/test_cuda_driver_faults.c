/* test_cuda_driver_faults.c - every CUDA driver call odeon makes during a
 * solve fails in turn, and each failure ends as the rules say: the solve
 * returns promptly with a status whose message names the call, or (where
 * odeon can do without the call's result, as a smaller chunk after an
 * out-of-memory) completes with every bit of an undisturbed solve; no
 * driver object is left behind (allocations, streams, events, modules,
 * registrations, context references are counted through the driver's own
 * entry points), no thread is left running, and the next solve is exact.
 *
 * How: the driver's entry points are the table odeon loaded with dlopen
 * (backend/cuda/cuda_api.h). A wrapper is put in front of each one; it
 * counts the calls and the objects they create and release, and when armed
 * it makes the Nth call after arming fail without calling the driver (or,
 * for a call that releases something, after the driver has released it:
 * a failure reported on the way out). Everything else runs on the real
 * driver and GPU, for three destinations of the results (memory the result
 * owns, the caller's page-locked buffer written by the device directly,
 * and drained pieces). A failure a solve completes despite must be one odeon
 * can do without (an allocation that a smaller chunk replaces, the
 * pointer query whose error is its answer for pageable memory) or be
 * reported on stderr naming the call (a release, which cannot return a
 * status and cannot undo the results). The solve covers the CUDA backend's
 * paths at once: a split adaptive kernel (its initial-step entry), several
 * chunks and slots, time windows under a small device budget (the windowed
 * kernel variant, loaded on demand), staged downloads, status and counters.
 * Apart: the calls that page-lock result memory a solver reuses, and that
 * undo it when the result is freed after its solver (test_pin_faults).
 *
 * Needs a CUDA device (label gpu); skipped without one unless
 * ODEON_REQUIRE_GPU=1. */
#include "test_util.h"

#include <dirent.h>
#include <stdatomic.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/cuda/cuda_api.h"

static int available;
static odeon__cuda_api *api; /* the writable table */
static odeon__cuda_api real; /* the driver's own entry points */

/* --------------------------------------------- driver objects, counted */

enum {
  R_DEVMEM,  /* cuMemAlloc / cuMemFree */
  R_HOSTMEM, /* cuMemHostAlloc / cuMemFreeHost */
  R_HOSTREG, /* cuMemHostRegister / cuMemHostUnregister */
  R_STREAM,
  R_EVENT,
  R_MODULE,
  R_CTX, /* primary context references */
  R_KINDS
};
static const char *const resource_names[R_KINDS] = {
    "device allocations",
    "page-locked allocations",
    "host registrations",
    "streams",
    "events",
    "modules",
    "primary context references"};
static atomic_llong live[R_KINDS];

/* ------------------------------------------------ one wrapped entry point */

typedef struct entry {
  const char *name;
  atomic_llong calls;   /* since the last arm */
  atomic_llong fail_at; /* the call number that fails; 0: none */
  atomic_llong fired;
} entry;

/* A failing call's result: out of memory where the driver can say so
   (odeon may then try a smaller chunk), an unknown error elsewhere. */
#define FAIL_OOM 2
#define FAIL_OTHER 999

/* Failures a solve may absorb without a word: the allocations (a smaller
   chunk or staging buffer replaces them; a staging buffer that cannot be
   registered is allocated pinned instead) and the page-locked query (the
   driver answers pageable memory with an error). */
static int absorbable(const char *name) {
  return !strcmp(name, "cuMemAlloc") || !strcmp(name, "cuMemHostAlloc") ||
         !strcmp(name, "cuMemHostRegister") ||
         !strcmp(name, "cuPointerGetAttribute");
}

static int should_fail(entry *e) {
  long long n = atomic_fetch_add(&e->calls, 1) + 1;
  if (n == atomic_load(&e->fail_at)) {
    atomic_fetch_add(&e->fired, 1);
    return 1;
  }
  return 0;
}

#define ENTRIES(X)                                                             \
  X(cuDeviceGetCount)                                                          \
  X(cuDeviceGet)                                                               \
  X(cuDeviceGetName)                                                           \
  X(cuDeviceGetAttribute)                                                      \
  X(cuDevicePrimaryCtxRetain)                                                  \
  X(cuDevicePrimaryCtxRelease)                                                 \
  X(cuCtxSetCurrent)                                                           \
  X(cuMemGetInfo)                                                              \
  X(cuMemAlloc)                                                                \
  X(cuMemFree)                                                                 \
  X(cuMemHostAlloc)                                                            \
  X(cuMemFreeHost)                                                             \
  X(cuMemcpyDtoH)                                                              \
  X(cuMemcpyHtoDAsync)                                                         \
  X(cuMemcpyDtoHAsync)                                                         \
  X(cuMemHostRegister)                                                         \
  X(cuMemHostUnregister)                                                       \
  X(cuPointerGetAttribute)                                                     \
  X(cuMemcpy2DAsync)                                                           \
  X(cuMemsetD8Async)                                                           \
  X(cuMemsetD2D32Async)                                                        \
  X(cuStreamCreate)                                                            \
  X(cuStreamDestroy)                                                           \
  X(cuLaunchHostFunc)                                                          \
  X(cuEventCreate)                                                             \
  X(cuEventDestroy)                                                            \
  X(cuEventRecord)                                                             \
  X(cuEventQuery)                                                              \
  X(cuEventSynchronize)                                                        \
  X(cuEventElapsedTime)                                                        \
  X(cuModuleLoadData)                                                          \
  X(cuModuleUnload)                                                            \
  X(cuModuleGetFunction)                                                       \
  X(cuModuleGetGlobal)                                                         \
  X(cuFuncGetAttribute)                                                        \
  X(cuOccupancyMaxActiveBlocksPerMultiprocessor)                               \
  X(cuOccupancyMaxPotentialBlockSize)                                          \
  X(cuLaunchKernel)

#define ENUM(f) E_##f,
enum { ENTRIES(ENUM) N_ENTRIES };
#undef ENUM
#define INIT(f) {#f, 0, 0, 0},
static entry entries[N_ENTRIES] = {ENTRIES(INIT)};
#undef INIT

/* A call that acquires: fails before the driver is asked; counts the
   object when the driver made one. */
#define ACQUIRE(f, kind, code, params, args)                                   \
  static odeon__CUresult w_##f params {                                        \
    if (should_fail(&entries[E_##f]))                                          \
      return code;                                                             \
    odeon__CUresult r = real.f args;                                           \
    if (r == ODEON__CUDA_SUCCESS && (kind) >= 0)                               \
      atomic_fetch_add(&live[kind], 1);                                        \
    return r;                                                                  \
  }
/* A call that releases: the driver releases, then the failure is reported
   (so that a leak the test finds is odeon's, not the wrapper's). */
#define RELEASE(f, kind, params, args)                                         \
  static odeon__CUresult w_##f params {                                        \
    odeon__CUresult r = real.f args;                                           \
    if (r == ODEON__CUDA_SUCCESS)                                              \
      atomic_fetch_sub(&live[kind], 1);                                        \
    return should_fail(&entries[E_##f]) ? FAIL_OTHER : r;                      \
  }
#define PLAIN(f, params, args) ACQUIRE(f, -1, FAIL_OTHER, params, args)

PLAIN(cuDeviceGetCount, (int *c), (c))
PLAIN(cuDeviceGet, (odeon__CUdevice * d, int o), (d, o))
PLAIN(cuDeviceGetName, (char *n, int len, odeon__CUdevice d), (n, len, d))
PLAIN(cuDeviceGetAttribute, (int *v, int a, odeon__CUdevice d), (v, a, d))
ACQUIRE(cuDevicePrimaryCtxRetain, R_CTX, FAIL_OTHER,
        (odeon__CUcontext * c, odeon__CUdevice d), (c, d))
RELEASE(cuDevicePrimaryCtxRelease, R_CTX, (odeon__CUdevice d), (d))
PLAIN(cuCtxSetCurrent, (odeon__CUcontext c), (c))
PLAIN(cuMemGetInfo, (size_t * f, size_t *t), (f, t))
ACQUIRE(cuMemAlloc, R_DEVMEM, FAIL_OOM, (odeon__CUdeviceptr * p, size_t b),
        (p, b))
RELEASE(cuMemFree, R_DEVMEM, (odeon__CUdeviceptr p), (p))
ACQUIRE(cuMemHostAlloc, R_HOSTMEM, FAIL_OOM,
        (void **p, size_t b, unsigned int fl), (p, b, fl))
RELEASE(cuMemFreeHost, R_HOSTMEM, (void *p), (p))
PLAIN(cuMemcpyDtoH, (void *d, odeon__CUdeviceptr s, size_t b), (d, s, b))
PLAIN(cuMemcpyHtoDAsync,
      (odeon__CUdeviceptr d, const void *s, size_t b, odeon__CUstream st),
      (d, s, b, st))
PLAIN(cuMemcpyDtoHAsync,
      (void *d, odeon__CUdeviceptr s, size_t b, odeon__CUstream st),
      (d, s, b, st))
ACQUIRE(cuMemHostRegister, R_HOSTREG, FAIL_OTHER,
        (void *p, size_t b, unsigned int fl), (p, b, fl))
RELEASE(cuMemHostUnregister, R_HOSTREG, (void *p), (p))
PLAIN(cuPointerGetAttribute, (void *d, int a, odeon__CUdeviceptr p), (d, a, p))
PLAIN(cuMemcpy2DAsync, (const odeon__CUDA_MEMCPY2D *c, odeon__CUstream s),
      (c, s))
PLAIN(cuMemsetD8Async,
      (odeon__CUdeviceptr d, unsigned char v, size_t n, odeon__CUstream s),
      (d, v, n, s))
PLAIN(cuMemsetD2D32Async,
      (odeon__CUdeviceptr d, size_t p, unsigned int v, size_t w, size_t h,
       odeon__CUstream s),
      (d, p, v, w, h, s))
ACQUIRE(cuStreamCreate, R_STREAM, FAIL_OTHER,
        (odeon__CUstream * s, unsigned int fl), (s, fl))
RELEASE(cuStreamDestroy, R_STREAM, (odeon__CUstream s), (s))
PLAIN(cuLaunchHostFunc, (odeon__CUstream s, odeon__CUhostFn fn, void *u),
      (s, fn, u))
ACQUIRE(cuEventCreate, R_EVENT, FAIL_OTHER,
        (odeon__CUevent * e, unsigned int fl), (e, fl))
RELEASE(cuEventDestroy, R_EVENT, (odeon__CUevent e), (e))
PLAIN(cuEventRecord, (odeon__CUevent e, odeon__CUstream s), (e, s))
PLAIN(cuEventQuery, (odeon__CUevent e), (e))
PLAIN(cuEventSynchronize, (odeon__CUevent e), (e))
PLAIN(cuEventElapsedTime, (float *ms, odeon__CUevent a, odeon__CUevent b),
      (ms, a, b))
ACQUIRE(cuModuleLoadData, R_MODULE, FAIL_OTHER,
        (odeon__CUmodule * m, const void *img), (m, img))
RELEASE(cuModuleUnload, R_MODULE, (odeon__CUmodule m), (m))
PLAIN(cuModuleGetFunction,
      (odeon__CUfunction * f, odeon__CUmodule m, const char *n), (f, m, n))
PLAIN(cuModuleGetGlobal,
      (odeon__CUdeviceptr * p, size_t *b, odeon__CUmodule m, const char *n),
      (p, b, m, n))
PLAIN(cuFuncGetAttribute, (int *v, int a, odeon__CUfunction f), (v, a, f))
PLAIN(cuOccupancyMaxActiveBlocksPerMultiprocessor,
      (int *b, odeon__CUfunction f, int bs, size_t sm), (b, f, bs, sm))
PLAIN(cuOccupancyMaxPotentialBlockSize,
      (int *g, int *b, odeon__CUfunction f, odeon__CUoccupancyB2DSize fn,
       size_t sm, int lim),
      (g, b, f, fn, sm, lim))
PLAIN(cuLaunchKernel,
      (odeon__CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
       unsigned int bx, unsigned int by, unsigned int bz, unsigned int sm,
       odeon__CUstream s, void **p, void **x),
      (f, gx, gy, gz, bx, by, bz, sm, s, p, x))

static void install_wrappers(void) {
  real = *api;
#define SET(f) api->f = w_##f;
  ENTRIES(SET)
#undef SET
}

static void remove_wrappers(void) {
#define RESTORE(f) api->f = real.f;
  ENTRIES(RESTORE)
#undef RESTORE
}

static void arm(int i, long long nth) {
  for (int k = 0; k < N_ENTRIES; k++) {
    atomic_store(&entries[k].fail_at, 0);
    atomic_store(&entries[k].calls, 0);
    atomic_store(&entries[k].fired, 0);
  }
  if (i >= 0)
    atomic_store(&entries[i].fail_at, nth);
}

/* ---------------------------------------------------------------- solves */

static const char lorenz[] = ODEON_TEST_LORENZ;
#define RUNS 3001

/* Where a solve's results go: memory the result owns, the caller's
   page-locked buffer (written by the device directly, 2D copies), or
   memory the result owns drained in pieces by the drain lanes. */
typedef struct dest_config {
  const char *name;
  int pinned_user;   /* the caller's page-locked buffer */
  const char *drain; /* $ODEON_DRAIN, or NULL */
} dest_config;
static const dest_config configs[] = {
    {"results in memory", 0, NULL},
    {"the caller's page-locked buffer", 1, NULL},
    {"results drained in pieces", 0, "on:4:1"},
};
#define N_CONFIGS (int)(sizeof configs / sizeof configs[0])
static void *user_buf;    /* page-aligned, registered with the driver */
static size_t user_bytes; /* the state output's size */

/* The solves' method and outputs: tsit5 float32 on CUDA, 101 samples,
   status and counters. */
static void lorenz_options(odeon_options_t *o) {
  odeon_options_init(o);
  o->backend = ODEON_BACKEND_CUDA;
  o->algorithm = "tsit5";
  o->precision = ODEON_FLOAT32;
  o->atol = o->rtol = 1e-6;
  o->save_every = 0.01;
  o->outputs = ODEON_OUT_STATE | ODEON_OUT_STATUS | ODEON_OUT_COUNTERS;
}

/* tsit5 float32 with the automatic first step (the split kernel and its
   init entry), 101 samples, 3 chunks in 2 slots, and a device budget that
   splits each chunk into time windows (the windowed kernel variant). */
static int run_solve(const dest_config *c, odeon_result_t **out) {
  odeon_model_t *m = NULL;
  int st = odeon_model_from_string(lorenz, "lorenz", &m);
  if (st)
    return st;
  odeon_options_t o;
  lorenz_options(&o);
  o.chunk_runs = 1000;
  o.slots = 2;
  o.device_memory = 262144.0;
  o.timeout = 20;
  if (c->drain)
    setenv("ODEON_DRAIN", c->drain, 1);
  else
    unsetenv("ODEON_DRAIN");
  odeon_solver_t *sv = NULL;
  odeon_grid_t *g = NULL;
  st = odeon_solver_create(m, &o, &sv);
  if (!st)
    st = odeon_grid_create(m, &g);
  if (!st) {
    double v[RUNS];
    for (int i = 0; i < RUNS; i++)
      v[i] = 21.0 * i / (RUNS - 1);
    st = odeon_grid_column(g, "rho", v, RUNS);
  }
  if (!st) {
    odeon_dest_t d;
    memset(&d, 0, sizeof d);
    d.kind = c->pinned_user ? ODEON_DEST_USER : ODEON_DEST_MEMORY;
    if (c->pinned_user) {
      memset(user_buf, 0xa5, user_bytes);
      d.user_state = user_buf;
      d.user_state_bytes = user_bytes;
    }
    st = odeon_solve(sv, g, &d, out);
  }
  unsetenv("ODEON_DRAIN");
  odeon_grid_destroy(g);
  odeon_solver_destroy(sv);
  odeon_model_destroy(m);
  return st;
}

/* Every bit of the reference (memory destination): the states, in the
   result or in the caller's buffer, the status and the counters. */
static int same_result(const dest_config *c, const odeon_result_t *r,
                       const odeon_result_t *ref) {
  if (c->pinned_user) {
    odeon_array_view v;
    if (odeon_result_output(ref, "state", &v) ||
        memcmp(user_buf, v.data, user_bytes))
      return 0;
  } else if (!output_bits_equal(r, ref, "state")) {
    return 0;
  }
  return output_bits_equal(r, ref, "status") &&
         output_bits_equal(r, ref, "counters");
}

/* stderr into a temporary file while a solve runs (odeon reports there
   what it cannot return), then back; *text receives what was written. */
typedef struct capture {
  int saved;
  FILE *file;
} capture;

static void capture_begin(capture *c) {
  fflush(stderr);
  c->file = tmpfile();
  c->saved = c->file ? dup(2) : -1;
  if (c->saved >= 0)
    dup2(fileno(c->file), 2);
}

static void capture_end(capture *c, char *text, size_t size) {
  text[0] = '\0';
  if (c->saved < 0)
    return;
  fflush(stderr);
  dup2(c->saved, 2);
  close(c->saved);
  rewind(c->file);
  size_t n = fread(text, 1, size - 1, c->file);
  text[n] = '\0';
  fclose(c->file);
}

/* Threads of this process (odeon's and the driver's). */
static int thread_count(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d)
    return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* The objects alive now, and whether they are those of `before`. */
static void snapshot(long long *s) {
  for (int k = 0; k < R_KINDS; k++)
    s[k] = atomic_load(&live[k]);
}

static int check_nothing_left(const long long *before, const char *after) {
  int ok = 1;
  for (int k = 0; k < R_KINDS; k++) {
    long long now = atomic_load(&live[k]);
    if (now != before[k]) {
      print_error("after %s: %lld %s alive, %lld before\n", after, now,
                  resource_names[k], before[k]);
      ok = 0;
    }
  }
  return ok;
}

/* -------------------------------------------------------------- the test */

static int setup(void **state) {
  (void)state;
  odeon__backend *be = NULL;
  odeon__backend_config cfg = {.timeout = 30};
  if (odeon__backend_cuda_create(&cfg, &be) == ODEON_OK) {
    be->ops->destroy(be);
    int st = ODEON_OK;
    api = odeon__cuda_api_for_tests(&st);
    available = api != NULL;
    if (available)
      return 0;
  }
  print_message("no CUDA device: %s\n", odeon_last_error());
  const char *req = getenv("ODEON_REQUIRE_GPU");
  return req && strcmp(req, "1") == 0 ? -1 : 0;
}

/* The caller's buffer for the page-locked destination, sized from the
   reference's state output and registered with the driver (outside the
   wrappers' counts) in the context of `holder`, which keeps it alive. */
static void pin_user_buffer(const odeon_result_t *ref,
                            odeon__backend **holder) {
  odeon_array_view v;
  assert_ok(odeon_result_output(ref, "state", &v));
  user_bytes = (size_t)(v.shape[0] * v.shape[1] * v.shape[2]) * 4;
  assert_int_equal(posix_memalign(&user_buf, 4096, user_bytes), 0);
  odeon__backend_config cfg = {.timeout = 30};
  assert_ok(odeon__backend_cuda_create(&cfg, holder));
  assert_int_equal(api->cuMemHostRegister(user_buf, user_bytes, 1), 0);
}

static void unpin_user_buffer(odeon__backend *holder) {
  assert_int_equal(api->cuMemHostUnregister(user_buf), 0);
  holder->ops->destroy(holder);
  free(user_buf);
  user_buf = NULL;
}

/* The wrappers alone change nothing, and count every object back. */
static void test_wrapped_solve_is_exact(void **state) {
  (void)state;
  if (!available)
    skip();
  odeon_result_t *ref = NULL;
  assert_ok(run_solve(&configs[0], &ref)); /* compiles, or reads the cache */
  odeon__backend *holder = NULL;
  pin_user_buffer(ref, &holder);
  install_wrappers();
  for (int c = 0; c < N_CONFIGS; c++) {
    arm(-1, 0);
    long long before[R_KINDS];
    snapshot(before);
    odeon_result_t *r = NULL;
    assert_ok(run_solve(&configs[c], &r));
    assert_true(same_result(&configs[c], r, ref));
    assert_true(check_nothing_left(before, configs[c].name));
    long long used = 0;
    for (int k = 0; k < N_ENTRIES; k++)
      used += atomic_load(&entries[k].calls) > 0;
    print_message("%s: a solve called %lld of the %d wrapped driver entry "
                  "points\n",
                  configs[c].name, used, N_ENTRIES);
    /* the solves took the paths this test is about: the kernel, its init
       entry and the windowed variant; the fills of status and counters;
       launches in windows; the direct 2D copies into page-locked memory */
    assert_true(atomic_load(&entries[E_cuModuleLoadData].calls) >= 3);
    assert_true(atomic_load(&entries[E_cuMemsetD2D32Async].calls) >= 1);
    assert_true(atomic_load(&entries[E_cuLaunchKernel].calls) >= 6);
    if (configs[c].pinned_user)
      assert_true(atomic_load(&entries[E_cuMemcpy2DAsync].calls) >= 1);
    odeon_result_destroy(r);
  }
  remove_wrappers();
  unpin_user_buffer(holder);
  odeon_result_destroy(ref);
}

/* Each entry point fails at its 1st, 2nd, 3rd and 7th call of a solve,
   for each destination. */
static void test_each_call_fails(void **state) {
  (void)state;
  if (!available)
    skip();
  odeon_result_t *ref = NULL;
  assert_ok(run_solve(&configs[0], &ref));
  odeon__backend *holder = NULL;
  pin_user_buffer(ref, &holder);
  install_wrappers();
  arm(-1, 0);
  for (int c = 0; c < N_CONFIGS; c++) {
    odeon_result_t *warm = NULL; /* the driver's own threads start here */
    assert_ok(run_solve(&configs[c], &warm));
    odeon_result_destroy(warm);
  }
  const int threads0 = thread_count();
  long long before[R_KINDS];
  snapshot(before);
  static const long long nths[] = {1, 2, 3, 7};
  int failed = 0, absorbed = 0, unreached = 0, bad = 0;
  for (int c = 0; c < N_CONFIGS; c++) {
    const dest_config *cf = &configs[c];
    for (int i = 0; i < N_ENTRIES; i++) {
      for (size_t j = 0; j < sizeof nths / sizeof nths[0]; j++) {
        arm(i, nths[j]);
        odeon_result_t *r = NULL;
        capture cap;
        static char err_text[8192];
        capture_begin(&cap);
        const double t0 = odeon__now();
        const int st = run_solve(cf, &r);
        const double secs = odeon__now() - t0;
        capture_end(&cap, err_text, sizeof err_text);
        const long long fired = atomic_load(&entries[i].fired);
        const long long calls = atomic_load(&entries[i].calls);
        arm(-1, 0);
        char what[200];
        snprintf(what, sizeof what, "%s, %s failing at call %lld", cf->name,
                 entries[i].name, nths[j]);
        int ok = 1;
        if (st == ODEON_OK) {
          /* not reached, or done without: every bit as undisturbed */
          ok = r && same_result(cf, r, ref);
          if (!ok)
            print_error("%s: the solve succeeded with other results\n", what);
          if (fired && !absorbable(entries[i].name) &&
              !strstr(err_text, entries[i].name)) {
            print_error("%s: the solve succeeded and nothing reported the "
                        "failure\n",
                        what);
            ok = 0;
          }
          fired ? absorbed++ : unreached++;
        } else {
          failed++;
          const char *msg = odeon_last_error();
          if (r) {
            print_error("%s: %s with a result\n", what, odeon_status_name(st));
            ok = 0;
          }
          if (!fired) {
            print_error("%s: failed (%s) though the call did not: %s\n", what,
                        odeon_status_name(st), msg);
            ok = 0;
          }
          if (!strstr(msg, entries[i].name)) {
            print_error("%s: the message does not name the call: %s\n", what,
                        msg);
            ok = 0;
          }
        }
        /* an error known at once is returned at once, not at the deadline */
        if (secs > 10.0) {
          print_error("%s: %s after %.1f s\n", what, odeon_status_name(st),
                      secs);
          ok = 0;
        }
        ok &= check_nothing_left(before, what);
        const int threads = thread_count();
        if (threads != threads0) {
          print_error("%s: %d threads, %d before\n", what, threads, threads0);
          ok = 0;
        }
        if (fired || st)
          print_message("%-72s %s in %.3f s (%lld calls)%s%s\n", what,
                        odeon_status_name(st), secs, calls, st ? ": " : "",
                        st ? odeon_last_error() : "");
        if (err_text[0])
          print_message("  stderr: %s", err_text);
        bad += !ok;
        odeon_result_destroy(r);
        if (!fired)
          break; /* a later call number is not reached either */
      }
    }
    /* nothing is left broken: the next solve is exact */
    odeon_result_t *r = NULL;
    assert_ok(run_solve(cf, &r));
    assert_true(same_result(cf, r, ref));
    assert_true(check_nothing_left(before, "the sweep"));
    odeon_result_destroy(r);
  }
  remove_wrappers();
  unpin_user_buffer(holder);
  odeon_result_destroy(ref);
  print_message("driver faults: %d solves failed with the call named, %d "
                "completed exactly despite the failure, %d calls not "
                "reached; %d wrong\n",
                failed, absorbed, unreached, bad);
  assert_int_equal(bad, 0);
  assert_true(failed > 0);
}

/* Result memory a solver reuses is page-locked on its second solve
   (outputs.c's pin_reused_outputs, the backend's host_pin) and unpinned
   when it is freed, here after its solver (the pin's own context
   reference keeps the context alive for it). Each driver call of the
   pinning fails, then each of the unpinning: a failed pin leaves the solve
   staged and every bit exact; a failed unpin is reported on stderr naming
   the call; nothing is left registered or referenced either way. */
#define PIN_RUNS 8192 /* 101 samples: a 9.9 MB state output, mapped */

static int pin_solve(odeon_solver_t *sv, odeon_grid_t *g,
                     odeon_result_t **out) {
  odeon_dest_t d;
  memset(&d, 0, sizeof d);
  d.kind = ODEON_DEST_MEMORY;
  return odeon_solve(sv, g, &d, out);
}

static void pin_open(odeon_model_t **m, odeon_solver_t **sv, odeon_grid_t **g) {
  assert_ok(odeon_model_from_string(lorenz, "lorenz", m));
  odeon_options_t o;
  lorenz_options(&o);
  o.timeout = 20;
  assert_ok(odeon_solver_create(*m, &o, sv));
  assert_ok(odeon_grid_create(*m, g));
  static double v[PIN_RUNS];
  for (int i = 0; i < PIN_RUNS; i++)
    v[i] = 21.0 * i / (PIN_RUNS - 1);
  assert_ok(odeon_grid_column(*g, "rho", v, PIN_RUNS));
}

static int page_locked(const void *p) {
  unsigned int type = 0;
  return real.cuPointerGetAttribute(&type,
                                    ODEON__CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
                                    (odeon__CUdeviceptr)(uintptr_t)p) == 0 &&
         type == ODEON__CU_MEMORYTYPE_HOST;
}

static void test_pin_faults(void **state) {
  (void)state;
  if (!available)
    skip();
  odeon_model_t *m = NULL;
  odeon_solver_t *sv = NULL;
  odeon_grid_t *g = NULL;
  odeon_result_t *ref = NULL;
  pin_open(&m, &sv, &g);
  assert_ok(pin_solve(sv, g, &ref)); /* fresh memory, staged */
  odeon_grid_destroy(g);
  odeon_solver_destroy(sv); /* nothing kept: ref stays whole */
  odeon_model_destroy(m);
  install_wrappers();
  /* index -1: none fails (the pin is made and undone); then the pinning's
     calls, then the unpinning's */
  static const int pin_calls[] = {-1, E_cuMemHostRegister,
                                  E_cuDevicePrimaryCtxRetain};
  static const int unpin_calls[] = {E_cuCtxSetCurrent, E_cuMemHostUnregister,
                                    E_cuDevicePrimaryCtxRelease};
  const int n_pin = (int)(sizeof pin_calls / sizeof pin_calls[0]);
  const int n_unpin = (int)(sizeof unpin_calls / sizeof unpin_calls[0]);
  for (int k = 0; k < n_pin + n_unpin; k++) {
    const int fail = k < n_pin ? pin_calls[k] : unpin_calls[k - n_pin];
    const char *name = fail >= 0 ? entries[fail].name : "no call";
    arm(-1, 0);
    long long before[R_KINDS];
    snapshot(before);
    pin_open(&m, &sv, &g);
    odeon_result_t *first = NULL;
    assert_ok(pin_solve(sv, g, &first));
    odeon_result_destroy(first); /* kept for the next solve */
    if (k < n_pin)
      arm(fail, 1);
    odeon_result_t *r = NULL;
    int st = pin_solve(sv, g, &r);
    const long long fired_in_solve =
        fail >= 0 && k < n_pin ? atomic_load(&entries[fail].fired) : 0;
    arm(-1, 0);
    if (st)
      print_error("%s failing in the pinning solve: %s\n", name,
                  odeon_last_error());
    assert_ok(st); /* a pin that fails only leaves the output staged */
    assert_true(same_result(&configs[0], r, ref));
    odeon_array_view v;
    assert_ok(odeon_result_output(r, "state", &v));
    assert_int_equal(page_locked(v.data), !fired_in_solve);
    if (k < n_pin && fail >= 0)
      assert_int_equal(fired_in_solve, 1);
    odeon_grid_destroy(g);
    odeon_solver_destroy(sv); /* r outlives its solver */
    odeon_model_destroy(m);
    if (k >= n_pin)
      arm(fail, 1);
    capture cap;
    static char err_text[4096];
    capture_begin(&cap);
    odeon_result_destroy(r); /* unpinned, after its solver */
    capture_end(&cap, err_text, sizeof err_text);
    const long long fired_in_free =
        k >= n_pin ? atomic_load(&entries[fail].fired) : 0;
    arm(-1, 0);
    print_message("%s failing: the pinning solve %s, the free reported "
                  "\"%.*s\"\n",
                  name, fired_in_solve ? "staged" : "pinned",
                  (int)strcspn(err_text, "\n"), err_text);
    if (k >= n_pin) {
      assert_int_equal(fired_in_free, 1);
      assert_non_null(strstr(err_text, name));
    } else {
      assert_int_equal(err_text[0], '\0');
    }
    assert_true(check_nothing_left(before, name));
  }
  remove_wrappers();
  odeon_result_destroy(ref);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wrapped_solve_is_exact),
      cmocka_unit_test(test_each_call_fails),
      cmocka_unit_test(test_pin_faults),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
