/* test_cuda_backend.c - the CUDA backend on a real device: memory (with
 * out-of-memory as ODEON_E_NOMEM), copies, events with deadlines, a real
 * RK4 Lorenz kernel checked against the same integration on the host in
 * float64 and float32, the kernel cache across loads, several threads each
 * with its own stream at once, and a faulting kernel reported as an error
 * (in a child process, since a fault poisons the context).
 * Skips without a device unless ODEON_REQUIRE_GPU=1. With --concurrent it
 * is one of several processes sharing the GPU (ctest -j). */
#include "test_util.h"

#include <math.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/cuda/cuda_backend.h"
#include "codegen/kernel_source.h"
#include "gpu_kernels.h"
#include "util/parallel.h"

static odeon__backend *be;
static int concurrent;

static int setup(void **state) {
  (void)state;
  odeon__backend_config cfg = {.timeout = 60.0};
  int st = odeon__backend_cuda_create(&cfg, &be);
  if (st == ODEON_OK) {
    const odeon__cuda_device_info *d = odeon__cuda_device(be);
    print_message("device: %s (%s, %d SMs), driver %d, NVRTC %d\n", d->name,
                  d->arch, d->sm_count, d->driver_version, d->nvrtc_version);
    return 0;
  }
  const char *req = getenv("ODEON_REQUIRE_GPU");
  print_message("no CUDA device: %s\n", odeon_last_error());
  be = NULL;
  return req && strcmp(req, "1") == 0 ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  if (be)
    be->ops->destroy(be);
  be = NULL;
  return 0;
}

#define NEED_DEVICE()                                                          \
  do {                                                                         \
    if (!be)                                                                   \
      skip();                                                                  \
  } while (0)

static void test_memory(void **state) {
  (void)state;
  NEED_DEVICE();
  size_t free_b = 0, total_b = 0;
  assert_ok(be->ops->mem_info(be, &free_b, &total_b));
  assert_true(total_b > 0 && free_b <= total_b);
  void *d = NULL, *h = NULL;
  assert_ok(be->ops->dev_alloc(be, 2385 * 8, &d));
  assert_non_null(d);
  assert_ok(be->ops->host_alloc(be, 2385 * 8, &h));
  assert_non_null(h);
  be->ops->dev_free(be, d);
  be->ops->host_free(be, h);
  /* More than the device has: ODEON_E_NOMEM (the engine shrinks the
     chunk), with the call named in the message. */
  void *huge = NULL;
  assert_status(be->ops->dev_alloc(be, total_b * 2, &huge), ODEON_E_NOMEM);
  assert_null(huge);
  assert_error_contains("cuMemAlloc");
  assert_error_contains("CUDA_ERROR_OUT_OF_MEMORY");
  /* Pinned memory whose size with its header page would overflow: refused
     before any call, not wrapped round to a small buffer. */
  void *pinned = (void *)1;
  assert_status(be->ops->host_alloc(be, SIZE_MAX - 4096, &pinned),
                ODEON_E_NOMEM);
  assert_null(pinned);
  assert_error_contains("pinned memory");
  /* The backend still works after the failures. */
  assert_ok(be->ops->dev_alloc(be, 4096, &d));
  be->ops->dev_free(be, d);
  assert_ok(be->ops->host_alloc(be, 4096, &h));
  be->ops->host_free(be, h);
}

static void test_copy_roundtrip(void **state) {
  (void)state;
  NEED_DEVICE();
  enum { N = 100003 };
  size_t bytes = N * sizeof(double);
  double *h_in = NULL, *h_out = NULL;
  void *d = NULL;
  odeon__stream *s = NULL;
  odeon__event *e = NULL;
  assert_ok(be->ops->host_alloc(be, bytes, (void **)&h_in));
  assert_ok(be->ops->host_alloc(be, bytes, (void **)&h_out));
  assert_ok(be->ops->dev_alloc(be, bytes, &d));
  assert_ok(be->ops->stream_create(be, &s));
  assert_ok(be->ops->event_create(be, &e));
  for (int i = 0; i < N; i++) {
    h_in[i] = 2.385 * i - 7.25;
    h_out[i] = -1;
  }
  assert_ok(be->ops->copy_h2d_async(s, d, h_in, bytes));
  assert_ok(be->ops->copy_d2h_async(s, h_out, d, bytes));
  assert_ok(be->ops->event_record(e, s));
  assert_ok(be->ops->event_wait(e, odeon__now() + 30));
  assert_int_equal(be->ops->event_query(e), 1);
  assert_memory_equal(h_in, h_out, bytes);
  /* a fill then download: bytes of 0xab everywhere. */
  assert_ok(be->ops->fill32_async(s, d, 0, 0xababababu, bytes / 4, 1));
  assert_ok(be->ops->copy_d2h_async(s, h_out, d, bytes));
  assert_ok(be->ops->event_record(e, s));
  assert_ok(be->ops->event_wait(e, odeon__now() + 30));
  const unsigned char *b = (const unsigned char *)h_out;
  for (size_t i = 0; i < bytes; i += 997)
    assert_int_equal(b[i], 0xab);
  /* 32-bit fills: a double in every slot as two strided word fills (the
     engine's uniform inputs), then a float in the first half's words. */
  double y = -0.4125;
  unsigned int w[2];
  memcpy(w, &y, 8);
  assert_ok(be->ops->fill32_async(s, d, 8, w[0], 1, N));
  assert_ok(be->ops->fill32_async(s, (unsigned char *)d + 4, 8, w[1], 1, N));
  assert_ok(be->ops->copy_d2h_async(s, h_out, d, bytes));
  assert_ok(be->ops->event_record(e, s));
  assert_ok(be->ops->event_wait(e, odeon__now() + 30));
  for (int i = 0; i < N; i++)
    assert_true(h_out[i] == y);
  float x = 2.385f;
  unsigned int xb;
  memcpy(&xb, &x, 4);
  assert_ok(be->ops->fill32_async(s, d, 0, xb, N, 1));
  assert_ok(be->ops->copy_d2h_async(s, h_out, d, bytes));
  assert_ok(be->ops->event_record(e, s));
  assert_ok(be->ops->event_wait(e, odeon__now() + 30));
  const float *fl = (const float *)h_out;
  for (int i = 0; i < N; i++)
    assert_true(fl[i] == x);
  assert_true(h_out[N - 1] == y); /* past the float words: untouched */
  be->ops->event_destroy(be, e);
  assert_ok(be->ops->stream_destroy(be, s));
  be->ops->dev_free(be, d);
  be->ops->host_free(be, h_in);
  be->ops->host_free(be, h_out);
}

/* Integrate n Lorenz runs on the device and compare with the host. */
static void run_lorenz(int real_bytes, long long n, double rel_tol) {
  char *src = gpu_lorenz_source(real_bytes);
  assert_non_null(src);
  odeon__module_source ks = {src, real_bytes == 4 ? "lorenz_f32" : "lorenz_f64",
                             real_bytes, 0, 0};
  odeon__module *m = NULL;
  assert_ok(be->ops->module_load(be, &ks, NULL, &m));
  long long info[ODEON_INFO_LEN];
  assert_ok(be->ops->module_info(m, info));
  assert_int_equal(info[ODEON_INFO_ABI], ODEON_KERNEL_ABI);
  assert_int_equal(info[ODEON_INFO_REAL_BYTES], real_bytes);
  assert_int_equal(info[ODEON_INFO_N_STATES], 3);
  const odeon__cuda_module_stats *ms = odeon__cuda_module_stats_get(m);
  print_message("lorenz f%d: %s %.1f ms, load %.1f ms, %d regs, %d local "
                "bytes, block %d\n",
                real_bytes * 8, ms->from_cache ? "cache" : "compile",
                ms->compile_s * 1e3, ms->load_s * 1e3, ms->registers,
                ms->local_bytes, ms->block_size);
  assert_int_equal(ms->local_bytes, 0); /* no spills: all in registers */

  const long long samples = 11;
  size_t rb = (size_t)real_bytes;
  size_t in_bytes = (size_t)n * 4 * rb,
         out_bytes = (size_t)(samples * 3 * n) * rb;
  unsigned char *h_in = NULL, *h_out = NULL;
  unsigned int *h_status = NULL;
  void *d_in = NULL, *d_out = NULL, *d_status = NULL;
  assert_ok(be->ops->host_alloc(be, in_bytes, (void **)&h_in));
  assert_ok(be->ops->host_alloc(be, out_bytes, (void **)&h_out));
  assert_ok(be->ops->host_alloc(be, (size_t)n * 4, (void **)&h_status));
  assert_ok(be->ops->dev_alloc(be, in_bytes, &d_in));
  assert_ok(be->ops->dev_alloc(be, out_bytes, &d_out));
  assert_ok(be->ops->dev_alloc(be, (size_t)n * 4, &d_status));
  /* y0 rows x, y, z then the rho row: inputs like 2.385, not 0 or 1. */
  for (long long i = 0; i < n; i++) {
    double v[4] = {1.0 + 0.001 * (double)(i % 97), 0.385, 2.385,
                   21.0 * (double)i / (double)(n > 1 ? n - 1 : 1)};
    for (int r = 0; r < 4; r++) {
      if (real_bytes == 4)
        ((float *)h_in)[r * n + i] = (float)v[r];
      else
        ((double *)h_in)[r * n + i] = v[r];
    }
    h_status[i] = 0xdeadu;
  }
  odeon__stream *s = NULL;
  odeon__event *e = NULL;
  assert_ok(be->ops->stream_create(be, &s));
  assert_ok(be->ops->event_create(be, &e));
  assert_ok(be->ops->copy_h2d_async(s, d_in, h_in, in_bytes));
  assert_ok(be->ops->copy_h2d_async(s, d_status, h_status, (size_t)n * 4));
  odeon_kernel_args a;
  memset(&a, 0, sizeof a);
  a.n = n;
  a.y0 = d_in;
  a.params = (unsigned char *)d_in + (size_t)(3 * n) * rb;
  a.t0 = 0;
  a.duration = 1.0;
  a.save_every = 0.1;
  a.dt = 1e-3;
  a.n_samples = samples;
  a.sample_begin = 0;
  a.sample_end = samples;
  a.out_state = d_out;
  a.status = d_status;
  assert_ok(be->ops->launch_async(s, m, &a));
  assert_ok(be->ops->copy_d2h_async(s, h_out, d_out, out_bytes));
  assert_ok(be->ops->copy_d2h_async(s, h_status, d_status, (size_t)n * 4));
  assert_ok(be->ops->event_record(e, s));
  assert_ok(be->ops->event_wait(e, odeon__now() + 60));

  double worst = 0;
  double ref[11 * 3];
  for (long long i = 0; i < n; i += (n > 5000 ? 37 : 1)) {
    assert_int_equal(h_status[i], 0);
    double in[4];
    for (int r = 0; r < 4; r++)
      in[r] = real_bytes == 4 ? (double)((float *)h_in)[r * n + i]
                              : ((double *)h_in)[r * n + i];
    gpu_lorenz_host(&a, in[0], in[1], in[2], in[3], ref);
    for (long long smp = 0; smp < samples; smp++)
      for (int v = 0; v < 3; v++) {
        size_t k = (size_t)((smp * 3 + v) * n + i);
        double got = real_bytes == 4 ? (double)((float *)h_out)[k]
                                     : ((double *)h_out)[k];
        double want = ref[smp * 3 + v];
        double err = fabs(got - want) / (1.0 + fabs(want));
        assert_true(isfinite(got));
        if (err > worst)
          worst = err;
      }
  }
  print_message("lorenz f%d, %lld runs: worst relative difference from the "
                "host %.3g (tolerance %.3g)\n",
                real_bytes * 8, n, worst, rel_tol);
  assert_true(worst <= rel_tol);

  be->ops->event_destroy(be, e);
  assert_ok(be->ops->stream_destroy(be, s));
  be->ops->dev_free(be, d_in);
  be->ops->dev_free(be, d_out);
  be->ops->dev_free(be, d_status);
  be->ops->host_free(be, h_in);
  be->ops->host_free(be, h_out);
  be->ops->host_free(be, h_status);
  be->ops->module_unload(be, m);
  free(src);
}

static void test_lorenz_f64(void **state) {
  (void)state;
  NEED_DEVICE();
  /* Same arithmetic up to fused multiply-adds: tiny differences only. */
  run_lorenz(8, 4099, 1e-9);
}

static void test_lorenz_f32(void **state) {
  (void)state;
  NEED_DEVICE();
  run_lorenz(4, 65537, 2e-3);
}

static void test_cached_load(void **state) {
  (void)state;
  NEED_DEVICE();
  char *src = gpu_lorenz_source(4);
  odeon__module_source ks = {src, "lorenz_f32", 4, 0, 0};
  odeon__module *m1 = NULL, *m2 = NULL;
  assert_ok(be->ops->module_load(be, &ks, NULL, &m1));
  assert_ok(be->ops->module_load(be, &ks, NULL, &m2));
  const odeon__cuda_module_stats *s2 = odeon__cuda_module_stats_get(m2);
  assert_int_equal(s2->from_cache, 1);
  print_message("cached load: read %.2f ms + module load %.2f ms\n",
                s2->compile_s * 1e3, s2->load_s * 1e3);
  assert_ok(odeon__cuda_module_set_block(m2, 64));
  assert_int_equal(s2->block_size, 64);
  assert_status(odeon__cuda_module_set_block(m2, 100), ODEON_E_INVAL);
  be->ops->module_unload(be, m1);
  be->ops->module_unload(be, m2);
  free(src);
}

/* One generated tsit5 float32 Lorenz solve of n runs (the automatic first
   step, or dt given: `dt` > 0; start and end saved) with the module
   compiled under $ODEON_INIT_KERNEL=`mode`, in one launch or in two time
   windows (the second resuming from the carry); the final states and
   status words into out[4n]. The split module says so and refuses a
   launch without h0; compiled for a given dt, it has no initial-step entry
   and refuses a launch without dt. */
static void split_solve(const char *mode, double dt, int windows, long long n,
                        float *out) {
  odeon_model_t *model = NULL;
  assert_ok(odeon_model_from_string("states: x = 1, y = 0, z = 0\n"
                                    "parameters: rho = 21\n"
                                    "dx = 10*(y - x)\n"
                                    "dy = x*(rho - z) - y\n"
                                    "dz = x*y - 8/3*z\n",
                                    "split", &model));
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = "tsit5";
  o.precision = ODEON_FLOAT32;
  o.dt = dt;
  odeon__kernel_config cfg;
  assert_ok(odeon__kernel_config_init(model, &o, &cfg));
  char *text = NULL;
  assert_ok(odeon__kernel_source(model, &cfg, ODEON__LANG_CUDA, &text));
  const int fixed = dt > 0.0;
  odeon__module_source ks = {text, "split", 4,
                             odeon__kernel_config_init_entry(&cfg), fixed};
  assert_int_equal(ks.init_entry, 1);
  setenv("ODEON_INIT_KERNEL", mode, 1);
  odeon__module *m = NULL;
  assert_ok(be->ops->module_load(be, &ks, NULL, &m));
  unsetenv("ODEON_INIT_KERNEL");
  /* what the backend chose: "auto" splits on two CPUs or more, and where
     dt is given on any number */
  const int split =
      strcmp(mode, "on") == 0 ||
      (strcmp(mode, "auto") == 0 && (fixed || odeon__cpus_available() >= 2));
  const odeon__cuda_module_stats *ms = odeon__cuda_module_stats_get(m);
  long long info[ODEON_INFO_LEN];
  assert_ok(be->ops->module_info(m, info));
  assert_int_equal(info[ODEON_INFO_INIT_ENTRY], split);
  assert_int_equal(ms->init_split, split && !fixed); /* its entry */
  print_message("%s: kernel %d registers, %d local bytes; init entry %d "
                "registers, %d local bytes; %.1f ms\n",
                split ? "split" : "inline", ms->registers, ms->local_bytes,
                ms->init_registers, ms->init_local_bytes, ms->compile_s * 1e3);
  assert_int_equal(ms->local_bytes, 0);
  assert_int_equal(ms->init_local_bytes, 0);

  odeon_kernel_args a;
  assert_ok(odeon__kernel_args_init(&cfg, &o, &a));
  assert_int_equal(a.n_samples, 2);
  size_t in_b = (size_t)n * 4 * 4, out_b = (size_t)n * 2 * 3 * 4;
  float *h_in = NULL, *h_out = NULL;
  unsigned int *h_status = NULL;
  void *d_in = NULL, *d_out = NULL, *d_status = NULL, *d_h0 = NULL,
       *d_carry = NULL;
  assert_ok(be->ops->host_alloc(be, in_b, (void **)&h_in));
  assert_ok(be->ops->host_alloc(be, out_b, (void **)&h_out));
  assert_ok(be->ops->host_alloc(be, (size_t)n * 4, (void **)&h_status));
  assert_ok(be->ops->dev_alloc(be, in_b, &d_in));
  assert_ok(be->ops->dev_alloc(be, out_b, &d_out));
  assert_ok(be->ops->dev_alloc(be, (size_t)n * 4, &d_status));
  assert_ok(be->ops->dev_alloc(be, (size_t)n * 8, &d_h0));
  size_t carry_b = (size_t)info[ODEON_INFO_CARRY_LEN] * (size_t)n * 8;
  assert_ok(be->ops->dev_alloc(be, carry_b, &d_carry));
  for (long long i = 0; i < n; i++) {
    h_in[i] = 1.0f + 0.001f * (float)(i % 97);
    h_in[n + i] = 0.0f;
    h_in[2 * n + i] = 0.0f;
    h_in[3 * n + i] = (float)(21.0 * (double)i / (double)(n - 1));
  }
  odeon__stream *s = NULL;
  odeon__event *e = NULL;
  assert_ok(be->ops->stream_create(be, &s));
  assert_ok(be->ops->event_create(be, &e));
  assert_ok(be->ops->copy_h2d_async(s, d_in, h_in, in_b));
  a.n = n;
  a.y0 = d_in;
  a.params = (unsigned char *)d_in + (size_t)n * 3 * 4;
  a.out_state = d_out;
  a.status = d_status;
  a.h0 = NULL;
  if (split && !fixed) {
    assert_status(be->ops->launch_async(s, m, &a), ODEON_E_INVAL);
    assert_error_contains("args.h0");
  }
  if (split && fixed) { /* no entry: a run cannot start without dt */
    a.dt = 0.0;
    assert_status(be->ops->launch_async(s, m, &a), ODEON_E_INVAL);
    assert_error_contains("compiled for a given dt");
    a.dt = dt;
  }
  a.resume = 1; /* nothing to resume from */
  assert_status(be->ops->launch_async(s, m, &a), ODEON_E_INVAL);
  assert_error_contains("resume without a carry");
  a.resume = 0;
  a.h0 = d_h0;
  if (windows == 1) {
    assert_ok(be->ops->launch_async(s, m, &a));
    assert_ok(be->ops->copy_d2h_async(s, h_out, d_out, out_b));
  } else {
    /* sample 0, then sample 1 resumed from the carry: the kernel for time
       windows, compiled on demand where the module was loaded without */
    a.carry = d_carry;
    a.sample_begin = 0;
    a.sample_end = 1;
    if (split)
      assert_status(be->ops->launch_async(s, m, &a), ODEON_E_INVAL);
    assert_ok(be->ops->module_windows(be, m));
    assert_ok(be->ops->module_windows(be, m)); /* once is enough */
    assert_ok(be->ops->launch_async(s, m, &a));
    a.sample_begin = 1;
    a.sample_end = 2;
    a.resume = 1;
    a.out_state = (unsigned char *)d_out + (size_t)n * 3 * 4;
    assert_ok(be->ops->launch_async(s, m, &a));
    assert_ok(be->ops->copy_d2h_async(s, h_out, d_out, out_b / 2));
    assert_ok(be->ops->copy_d2h_async(
        s, h_out + 3 * n, (unsigned char *)d_out + out_b / 2, out_b / 2));
  }
  assert_ok(be->ops->copy_d2h_async(s, h_status, d_status, (size_t)n * 4));
  assert_ok(be->ops->event_record(e, s));
  assert_ok(be->ops->event_wait(e, odeon__now() + 60));
  memcpy(out, h_out + 3 * n, (size_t)n * 3 * 4); /* the end sample */
  memcpy(out + 3 * n, h_status, (size_t)n * 4);
  be->ops->event_destroy(be, e);
  assert_ok(be->ops->stream_destroy(be, s));
  be->ops->dev_free(be, d_in);
  be->ops->dev_free(be, d_out);
  be->ops->dev_free(be, d_status);
  be->ops->dev_free(be, d_h0);
  be->ops->dev_free(be, d_carry);
  be->ops->host_free(be, h_in);
  be->ops->host_free(be, h_out);
  be->ops->host_free(be, h_status);
  be->ops->module_unload(be, m);
  odeon__kernel_config_free(&cfg);
  free(text);
  odeon_model_destroy(model);
}

/* The automatic initial step compiled apart (kernel_args.h), and the
   kernel loaded without the carry and its windowed variant, give the
   inline kernel's states and status words, bit for bit. */
static void test_split_initial_step(void **state) {
  (void)state;
  NEED_DEVICE();
  const long long n = 4099;
  float *ref = malloc((size_t)n * 4 * 4), *got = malloc((size_t)n * 4 * 4);
  assert_non_null(ref);
  assert_non_null(got);
  /* the automatic first step, then dt given (a kernel without an entry,
     split under "auto" whatever the CPUs) */
  const double dts[] = {0.0, 1e-3};
  const char *modes[] = {"on", "off", "on", "auto"};
  const int windows[] = {1, 2, 2, 2};
  for (int d = 0; d < 2; d++) {
    split_solve("off", dts[d], 1, n, ref);
    for (int k = 0; k < 4; k++) {
      split_solve(modes[k], dts[d], windows[k], n, got);
      long long differ = 0;
      for (long long i = 0; i < 4 * n; i++)
        differ += memcmp(&ref[i], &got[i], 4) != 0;
      if (differ)
        print_error("dt %g, %s in %d window(s) against inline in one: %lld "
                    "of %lld values differ\n",
                    dts[d], modes[k], windows[k], differ, 4 * n);
      assert_int_equal(differ, 0);
    }
  }
  free(ref);
  free(got);
}

static void test_compile_error(void **state) {
  (void)state;
  NEED_DEVICE();
  odeon__module_source ks = {gpu_broken_source, "broken", 8, 0, 0};
  odeon__module *m = NULL;
  assert_status(be->ops->module_load(be, &ks, NULL, &m), ODEON_E_COMPILE);
  assert_null(m);
  assert_error_contains("broken");
}

/* A kernel that runs 400 ms: a wait with a 50 ms deadline times out in
 * about 50 ms, a later wait succeeds, and event_query says pending first. */
static void test_event_deadline(void **state) {
  (void)state;
  NEED_DEVICE();
  odeon__module_source ks = {gpu_spin_source, "spin", 8, 0, 0};
  odeon__module *m = NULL;
  assert_ok(be->ops->module_load(be, &ks, NULL, &m));
  void *d_status = NULL;
  unsigned int *h_status = NULL;
  assert_ok(be->ops->dev_alloc(be, 32 * 4, &d_status));
  assert_ok(be->ops->host_alloc(be, 32 * 4, (void **)&h_status));
  odeon__stream *s = NULL;
  odeon__event *e = NULL;
  assert_ok(be->ops->stream_create(be, &s));
  assert_ok(be->ops->event_create(be, &e));
  odeon_kernel_args a;
  memset(&a, 0, sizeof a);
  a.n = 32;
  a.max_steps = 400000000LL; /* ns */
  a.status = d_status;
  assert_ok(be->ops->launch_async(s, m, &a));
  assert_ok(be->ops->copy_d2h_async(s, h_status, d_status, 32 * 4));
  assert_ok(be->ops->event_record(e, s));
  assert_int_equal(be->ops->event_query(e), 0);
  double t0 = odeon__now();
  assert_status(be->ops->event_wait(e, t0 + 0.05), ODEON_E_TIMEOUT);
  double waited = odeon__now() - t0;
  assert_true(waited >= 0.045 && waited < 0.3);
  assert_error_contains("deadline");
  assert_ok(be->ops->event_wait(e, odeon__now() + 30));
  assert_true(odeon__now() - t0 >= 0.35);
  for (int i = 0; i < 32; i++)
    assert_int_equal(h_status[i], 7);
  /* Destroying an event whose host function is still queued is safe. */
  odeon__event *e2 = NULL;
  assert_ok(be->ops->event_create(be, &e2));
  a.max_steps = 50000000LL;
  assert_ok(be->ops->launch_async(s, m, &a));
  assert_ok(be->ops->event_record(e2, s));
  be->ops->event_destroy(be, e2);
  assert_ok(be->ops->event_record(e, s));
  assert_ok(be->ops->event_wait(e, odeon__now() + 30));
  be->ops->event_destroy(be, e);
  assert_ok(be->ops->stream_destroy(be, s));
  be->ops->dev_free(be, d_status);
  be->ops->host_free(be, h_status);
  be->ops->module_unload(be, m);
}

static void *lorenz_thread(void *arg) {
  (void)arg;
  for (int k = 0; k < 3; k++)
    run_lorenz(k % 2 ? 4 : 8, 3001 + 17 * k, k % 2 ? 2e-3 : 1e-9);
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  NEED_DEVICE();
  /* cmocka's assertions are not thread-safe to fail, but they abort the
     whole test on failure, which is what a failure here should do. */
  enum { T = 4 };
  pthread_t th[T];
  for (int i = 0; i < T; i++)
    assert_int_equal(pthread_create(&th[i], NULL, lorenz_thread, NULL), 0);
  for (int i = 0; i < T; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
}

/* In a child (a fault poisons the process's context): a kernel that
 * stores through a bad pointer makes the wait return an error naming the
 * CUDA failure within a second, not hang until the deadline. */
static void test_fault_reported(void **state) {
  (void)state;
  NEED_DEVICE();
  char self[1024];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  assert_true(len > 0);
  self[len] = '\0';
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    alarm(60);
    execl(self, self, "--fault-child", (char *)NULL);
    _exit(99);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

static int fault_child(void) {
  odeon__backend_config cfg = {.timeout = 60.0};
  odeon__backend *b = NULL;
  if (odeon__backend_cuda_create(&cfg, &b) != ODEON_OK)
    return 2;
  odeon__module_source ks = {gpu_fault_source, "fault", 8, 0, 0};
  odeon__module *m = NULL;
  if (b->ops->module_load(b, &ks, NULL, &m) != ODEON_OK)
    return 3;
  odeon__stream *s = NULL;
  odeon__event *e = NULL;
  if (b->ops->stream_create(b, &s) || b->ops->event_create(b, &e))
    return 4;
  odeon_kernel_args a;
  memset(&a, 0, sizeof a);
  a.n = 64;
  a.max_steps = 16; /* the bad address */
  if (b->ops->launch_async(s, m, &a) || b->ops->event_record(e, s))
    return 5;
  double t0 = odeon__now();
  int st = b->ops->event_wait(e, t0 + 30);
  double waited = odeon__now() - t0;
  fprintf(stderr, "fault child: %s after %.3f s: %s\n", odeon_status_name(st),
          waited, odeon_last_error());
  if (st != ODEON_E_BACKEND || waited > 1.0 ||
      !strstr(odeon_last_error(), "CUDA_ERROR"))
    return 6;
  if (b->ops->event_query(e) >= 0)
    return 7;
  b->ops->event_destroy(b, e);
  b->ops->stream_destroy(b, s); /* reports the error; must not hang */
  if (odeon__now() - t0 > 5.0)
    return 8;
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--fault-child") == 0)
    return fault_child();
  concurrent = argc > 1 && strcmp(argv[1], "--concurrent") == 0;
  const struct CMUnitTest all[] = {
      cmocka_unit_test(test_memory),
      cmocka_unit_test(test_copy_roundtrip),
      cmocka_unit_test(test_lorenz_f64),
      cmocka_unit_test(test_lorenz_f32),
      cmocka_unit_test(test_cached_load),
      cmocka_unit_test(test_split_initial_step),
      cmocka_unit_test(test_compile_error),
      cmocka_unit_test(test_event_deadline),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_fault_reported),
  };
  /* As one of several concurrent processes: the work that shares the
     device (kernels, copies, threads), not the fault child. */
  const struct CMUnitTest some[] = {
      cmocka_unit_test(test_copy_roundtrip),
      cmocka_unit_test(test_lorenz_f64),
      cmocka_unit_test(test_lorenz_f32),
      cmocka_unit_test(test_threads),
  };
  if (concurrent)
    return cmocka_run_group_tests(some, setup, teardown);
  return cmocka_run_group_tests(all, setup, teardown);
}
