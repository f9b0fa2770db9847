/* gpu_host_paths.c - the host-side ceilings of delivering GPU results: pinned
 * device-to-host bandwidth, copy bandwidth from pinned staging into ordinary
 * (pageable) memory with 1..16 threads, alone and while the copy engine
 * downloads, the cost of page-locking memory (cuMemHostRegister, the
 * pinned allocator) and of first-touch page faults, and the bandwidth of
 * downloads straight into registered memory, plain and strided (2D).
 * These bound what odeon's writeback can reach (issue 6's output-bound
 * goal) and say which delivery path to use.
 *
 * usage: gpu_host_paths [--gib G]   (pageable buffer size, default 4) */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gpu_common.h"
#include "util/stream_copy.h"

static odeon__CUstream st;
static size_t big;       /* pageable buffer bytes */
static size_t piece;     /* one staging buffer / device buffer */
static unsigned char *B; /* pageable, touched */
static unsigned char *P; /* pinned staging */
static unsigned char *P2;
static odeon__CUdeviceptr D;

static double now(void) { return odeon__now(); }

typedef struct copy_job {
  unsigned char *dst;
  const unsigned char *src;
  size_t bytes;
  int reps;
} copy_job;

static int use_stream; /* copy with odeon__stream_copy, not memcpy */

static void *copy_main(void *arg) {
  copy_job *j = arg;
  for (int r = 0; r < j->reps; r++) {
    if (use_stream) {
      odeon__stream_copy(j->dst, j->src, j->bytes);
      odeon__stream_fence();
    } else {
      memcpy(j->dst, j->src, j->bytes);
    }
  }
  return NULL;
}

typedef struct reg_job {
  unsigned char *p;
  size_t bytes;
  int unreg;
} reg_job;

static odeon__CUcontext ctx; /* device 0's primary context, for threads */

static void *reg_main(void *arg) {
  reg_job *j = arg;
  gb_api->cuCtxSetCurrent(ctx);
  if (j->unreg)
    gb_api->cuMemHostUnregister(j->p);
  else if (gb_api->cuMemHostRegister(j->p, j->bytes, 0))
    fprintf(stderr, "cuMemHostRegister failed in a thread\n");
  return NULL;
}

/* Register (then unregister) B in `threads` equal pieces at once; returns
   the registration's GB/s and puts the unregistration's in *unreg_gbps. */
static double parallel_register(int threads, double *unreg_gbps) {
  pthread_t tid[64];
  reg_job job[64];
  size_t share = big / (size_t)threads / 4096 * 4096;
  double gbps[2];
  for (int u = 0; u < 2; u++) {
    double t0 = now();
    for (int i = 0; i < threads; i++) {
      job[i] = (reg_job){B + (size_t)i * share, share, u};
      pthread_create(&tid[i], NULL, reg_main, &job[i]);
    }
    for (int i = 0; i < threads; i++)
      pthread_join(tid[i], NULL);
    gbps[u] = (double)share * threads / (now() - t0) / 1e9;
  }
  *unreg_gbps = gbps[1];
  return gbps[0];
}

/* T threads copy `piece` bytes from P into consecutive pieces of B, reps
   times over; returns GB/s. */
static double threaded_copy(int threads, int reps) {
  pthread_t tid[64];
  copy_job job[64];
  size_t share = piece / (size_t)threads;
  double t0 = now();
  for (int i = 0; i < threads; i++) {
    job[i] = (copy_job){B + (size_t)i * share * 2 % (big - share),
                        P + (size_t)i * share, share, reps};
    pthread_create(&tid[i], NULL, copy_main, &job[i]);
  }
  for (int i = 0; i < threads; i++)
    pthread_join(tid[i], NULL);
  double s = now() - t0;
  return (double)share * threads * reps / s / 1e9;
}

/* Downloads straight into pageable memory registered just in time: T
   threads register B's 256 MiB pieces in order while this thread queues
   each piece's download as soon as it is registered (the way a pipeline
   of time windows could deliver without a host copy); returns the GB/s of
   the whole (registration start to last byte), unregistration excluded
   and reported in *unreg_s. */
typedef struct jit_reg {
  _Atomic int next, done[64];
  int pieces;
} jit_reg;

static void *jit_main(void *arg) {
  jit_reg *j = arg;
  gb_api->cuCtxSetCurrent(ctx);
  for (;;) {
    int i = atomic_fetch_add(&j->next, 1);
    if (i >= j->pieces)
      break;
    if (gb_api->cuMemHostRegister(B + (size_t)i * piece, piece, 0))
      fprintf(stderr, "cuMemHostRegister failed (jit)\n");
    atomic_store(&j->done[i], 1);
  }
  return NULL;
}

static double jit_register_d2h(int threads, double *unreg_s) {
  static jit_reg j;
  j.pieces = (int)(big / piece) < 64 ? (int)(big / piece) : 64;
  atomic_store(&j.next, 0);
  for (int i = 0; i < 64; i++)
    atomic_store(&j.done[i], 0);
  pthread_t tid[64];
  double t0 = now();
  for (int i = 0; i < threads; i++)
    pthread_create(&tid[i], NULL, jit_main, &j);
  for (int i = 0; i < j.pieces; i++) {
    while (!atomic_load(&j.done[i]))
      sched_yield();
    GB_CHECK(gb_api->cuMemcpyDtoHAsync(B + (size_t)i * piece, D, piece, st),
             "cuMemcpyDtoHAsync");
  }
  odeon__CUevent ev;
  GB_CHECK(gb_api->cuEventCreate(&ev, ODEON__CU_EVENT_DEFAULT), "event");
  GB_CHECK(gb_api->cuEventRecord(ev, st), "record");
  GB_CHECK(gb_api->cuEventSynchronize(ev), "sync");
  gb_api->cuEventDestroy(ev);
  double s = now() - t0;
  for (int i = 0; i < threads; i++)
    pthread_join(tid[i], NULL);
  double t1 = now();
  for (int i = 0; i < j.pieces; i++)
    gb_api->cuMemHostUnregister(B + (size_t)i * piece);
  *unreg_s = now() - t1;
  return (double)piece * j.pieces / s / 1e9;
}

/* Queue `count` D2H copies of `piece` bytes into dst (pinned or
   registered) and time them with events. */
static double d2h_gbps(void *dst, int count) {
  gb_timer t = gb_timer_make(st);
  gb_timer_start(&t);
  for (int i = 0; i < count; i++)
    GB_CHECK(gb_api->cuMemcpyDtoHAsync(dst, D, piece, st), "cuMemcpyDtoHAsync");
  double ms = gb_timer_stop(&t);
  gb_timer_free(&t);
  return (double)piece * count / (ms * 1e-3) / 1e9;
}

/* Strided download: `rows` rows of `width` bytes from a dense device block
   into dst with pitch `pitch`. */
static double d2h_2d_gbps(unsigned char *dst, size_t width, size_t pitch,
                          size_t rows) {
  odeon__CUDA_MEMCPY2D c;
  memset(&c, 0, sizeof c);
  c.srcMemoryType = ODEON__CU_MEMORYTYPE_DEVICE;
  c.srcDevice = D;
  c.srcPitch = width;
  c.dstMemoryType = ODEON__CU_MEMORYTYPE_HOST;
  c.dstHost = dst;
  c.dstPitch = pitch;
  c.WidthInBytes = width;
  c.Height = rows;
  gb_timer t = gb_timer_make(st);
  gb_timer_start(&t);
  for (int i = 0; i < 4; i++)
    GB_CHECK(gb_api->cuMemcpy2DAsync(&c, st), "cuMemcpy2DAsync");
  double ms = gb_timer_stop(&t);
  gb_timer_free(&t);
  return (double)(width * rows * 4) / (ms * 1e-3) / 1e9;
}

typedef struct touch_job {
  unsigned char *p;
  size_t bytes;
} touch_job;

static void *touch_main(void *arg) {
  touch_job *j = arg;
  for (size_t o = 0; o < j->bytes; o += 4096)
    j->p[o] = 1;
  return NULL;
}

/* First-touch faults of a fresh mapping with T threads (huge: ask for
   transparent huge pages); returns GB/s. */
static double touch_fresh(size_t bytes, int threads, int huge) {
  unsigned char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return -1;
  if (huge)
    madvise(m, bytes, MADV_HUGEPAGE);
  pthread_t tid[64];
  touch_job job[64];
  size_t share = bytes / (size_t)threads;
  double t0 = now();
  for (int i = 0; i < threads; i++) {
    job[i] = (touch_job){m + (size_t)i * share, share};
    pthread_create(&tid[i], NULL, touch_main, &job[i]);
  }
  for (int i = 0; i < threads; i++)
    pthread_join(tid[i], NULL);
  double s = now() - t0;
  munmap(m, bytes);
  return (double)bytes / s / 1e9;
}

int main(int argc, char **argv) {
  double gib = 4;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--gib") == 0 && i + 1 < argc)
      gib = atof(argv[++i]);
    else {
      fprintf(stderr, "usage: gpu_host_paths [--gib G]\n");
      return 1;
    }
  }
  gb_open();
  odeon__stream *bs = NULL;
  GB_OK(gb_be->ops->stream_create(gb_be, &bs), "stream_create");
  st = odeon__cuda_stream_handle(bs);
  big = (size_t)(gib * (double)(1u << 30));
  piece = (size_t)256 << 20;
  B = malloc(big);
  if (!B)
    gb_die("malloc");
  memset(B, 1, big);
  GB_OK(gb_be->ops->host_alloc(gb_be, piece, (void **)&P), "host_alloc");
  GB_OK(gb_be->ops->host_alloc(gb_be, piece, (void **)&P2), "host_alloc");
  memset(P, 2, piece);
  memset(P2, 2, piece);
  void *d = NULL;
  GB_OK(gb_be->ops->dev_alloc(gb_be, piece, &d), "dev_alloc");
  D = (odeon__CUdeviceptr)(uintptr_t)d;
  printf("host paths: %.1f GiB pageable buffer, 256 MiB pieces, %ld cores\n",
         gib, sysconf(_SC_NPROCESSORS_ONLN));

  double d2h = d2h_gbps(P, 8);
  printf("pinned D2H: %.2f GB/s\n", d2h);

  int tc[] = {1, 2, 4, 8, 12, 16};
  for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++)
    printf("memcpy pinned -> pageable, %2d threads: %6.2f GB/s alone\n", tc[i],
           threaded_copy(tc[i], 4));
  /* the same while the copy engine downloads into another pinned buffer,
     with memcpy and then with odeon's streamed (non-temporal) copy */
  for (use_stream = 0; use_stream < 2; use_stream++)
    for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++) {
      gb_timer t = gb_timer_make(st);
      gb_timer_start(&t);
      for (int k = 0; k < 24; k++)
        GB_CHECK(gb_api->cuMemcpyDtoHAsync(P2, D, piece, st), "d2h");
      double gbps = threaded_copy(tc[i], 8);
      double ms = gb_timer_stop(&t);
      printf("%s pinned -> pageable, %2d threads: %6.2f GB/s while D2H runs "
             "at %.2f GB/s\n",
             use_stream ? "streamed copy" : "memcpy", tc[i], gbps,
             (double)piece * 24 / (ms * 1e-3) / 1e9);
      gb_timer_free(&t);
    }
  use_stream = 0;
  odeon__CUdevice dev0;
  GB_CHECK(gb_api->cuDeviceGet(&dev0, 0), "cuDeviceGet");
  GB_CHECK(gb_api->cuDevicePrimaryCtxRetain(&ctx, dev0), "ctx retain");
  for (int th = 1; th <= 8; th *= 2) {
    double us = 0, gbps = jit_register_d2h(th, &us);
    printf("just-in-time registration (%d threads) + D2H into it, 256 MiB "
           "pieces: %.2f GB/s, then unregistering %.3f s\n",
           th, gbps, us);
  }
  for (int th = 1; th <= 16; th *= 4) {
    double ug = 0, rg = parallel_register(th, &ug);
    printf("cuMemHostRegister of %.1f GiB touched memory from %2d threads: "
           "%.1f GB/s (unregister %.1f GB/s)\n",
           gib, th, rg, ug);
  }
  /* page-locking the touched pageable buffer */
  double t0 = now();
  GB_CHECK(
      gb_api->cuMemHostRegister(B, big, ODEON__CU_MEMHOSTREGISTER_PORTABLE),
      "cuMemHostRegister");
  double reg_s = now() - t0;
  printf("cuMemHostRegister of %.1f GiB touched memory: %.3f s (%.1f GB/s)\n",
         gib, reg_s, (double)big / reg_s / 1e9);
  printf("D2H into registered memory: %.2f GB/s\n", d2h_gbps(B, 8));
  size_t width = (size_t)32768 * 4;
  printf("2D D2H into registered memory, rows of %zu bytes, pitch 8x: %.2f "
         "GB/s\n",
         width, d2h_2d_gbps(B, width, width * 8, piece / width));
  width = (size_t)1 << 20;
  printf("2D D2H into registered memory, rows of %zu bytes, pitch 4x: %.2f "
         "GB/s\n",
         width, d2h_2d_gbps(B, width, width * 4, piece / width));
  t0 = now();
  GB_CHECK(gb_api->cuMemHostUnregister(B), "cuMemHostUnregister");
  printf("cuMemHostUnregister: %.3f s\n", now() - t0);

  /* registering in 256 MiB pieces (what a pipeline could overlap) */
  t0 = now();
  for (size_t o = 0; o + piece <= big; o += piece)
    GB_CHECK(gb_api->cuMemHostRegister(B + o, piece, 0), "cuMemHostRegister");
  reg_s = now() - t0;
  printf("cuMemHostRegister in 256 MiB pieces: %.3f s (%.1f GB/s)\n", reg_s,
         (double)(big / piece * piece) / reg_s / 1e9);
  t0 = now();
  for (size_t o = 0; o + piece <= big; o += piece)
    GB_CHECK(gb_api->cuMemHostUnregister(B + o), "cuMemHostUnregister");
  printf("  unregistering them: %.3f s\n", now() - t0);

  /* registering fresh (never touched) memory */
  unsigned char *F = mmap(NULL, big, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (F != MAP_FAILED) {
    t0 = now();
    odeon__CUresult r = gb_api->cuMemHostRegister(F, big, 0);
    reg_s = now() - t0;
    printf("cuMemHostRegister of %.1f GiB fresh memory: %.3f s (%.1f GB/s)%s\n",
           gib, reg_s, (double)big / reg_s / 1e9, r ? " FAILED" : "");
    if (!r)
      gb_api->cuMemHostUnregister(F);
    munmap(F, big);
  }
  /* the pinned allocator */
  void *H = NULL;
  t0 = now();
  odeon__CUresult r = gb_api->cuMemHostAlloc(&H, big, 0);
  double a_s = now() - t0;
  if (!r) {
    t0 = now();
    gb_api->cuMemFreeHost(H);
    printf("cuMemHostAlloc of %.1f GiB: %.3f s (%.1f GB/s), free %.3f s\n", gib,
           a_s, (double)big / a_s / 1e9, now() - t0);
  }
  /* first-touch faults */
  for (int huge = 0; huge < 2; huge++)
    for (int i = 0; i < 4; i++) {
      int th = i == 0 ? 1 : i == 1 ? 4 : i == 2 ? 8 : 16;
      printf("first touch of 1 GiB fresh memory, %2d threads%s: %.2f GB/s\n",
             th, huge ? ", MADV_HUGEPAGE" : "",
             touch_fresh((size_t)1 << 30, th, huge));
    }
  gb_be->ops->dev_free(gb_be, d);
  gb_be->ops->host_free(gb_be, P);
  gb_be->ops->host_free(gb_be, P2);
  free(B);
  GB_OK(gb_be->ops->stream_destroy(gb_be, bs), "stream_destroy");
  gb_be->ops->destroy(gb_be);
  return 0;
}
