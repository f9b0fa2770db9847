/* gpu_ring_probe.c - results into pageable memory through small pinned
 * buffers that stay in the CPU's cache: can the staged path beat its three
 * passes through host memory? Each of T threads owns one pinned buffer of S
 * bytes and one stream; it downloads piece after piece into its buffer,
 * waits for the piece, and copies it (non-temporal stores) into a touched,
 * pageable destination, so a piece is read back while the DMA's writes may
 * still sit in the last-level cache (Intel's DDIO puts them there). The
 * large-buffer staged path (bench/gpu_host_paths) reaches 32-42 GB/s on the
 * H100 host, 0.59-0.76x of the pinned D2H bandwidth.
 *
 * usage: gpu_ring_probe [--gib G]   (default 4) */
#include <pthread.h>
#include <sys/mman.h>

#include "gpu_common.h"
#include "util/stream_copy.h"

static odeon__CUcontext ctx;
static odeon__CUdeviceptr d_src;
static unsigned char *dest;
static size_t total, piece;
static int threads;
/* how a worker waits and delivers:
   0 raw: a blocking-sync CUDA event, cuEventSynchronize (no deadline);
   1 odeon: the backend's own stream and event (host function + condition
     variable, waited with a deadline), as the engine would use them;
   2 odeon2: the same with two buffers per worker, the next piece's
     download queued before the current one is copied;
   3 rows: odeon2 into strided rows, as a chunk of 1 MiB rows (262144
     float runs) lands in a destination of 4 MiB rows */
static int mode;
#define ROW ((size_t)1 << 20)
#define DEST_PITCH ((size_t)4 << 20)

typedef struct worker {
  int id;
  void *buf[2];
  odeon__CUstream s;
  odeon__CUevent ev;
  odeon__stream *os;
  odeon__event *oe[2];
} worker;

/* Where byte `off` of the device buffer goes: contiguous, or (mode 3) the
   device buffer as rows of ROW bytes, chunk c = rows [c*4 .. ) of a
   destination whose rows are DEST_PITCH apart, the chunk's columns at
   (c % 4) * ROW. */
static unsigned char *dest_of(size_t off) {
  if (mode != 3)
    return dest + off;
  size_t row = off / ROW, rows_per_chunk = total / DEST_PITCH;
  size_t chunk = row / rows_per_chunk, r = row % rows_per_chunk;
  return dest + r * DEST_PITCH + chunk * ROW + off % ROW;
}

static void deliver(size_t off, const unsigned char *from, size_t len) {
  if (mode != 3) {
    odeon__stream_copy(dest_of(off), from, len);
    return;
  }
  for (size_t done = 0; done < len;) {
    size_t n = ROW - (off + done) % ROW;
    n = n < len - done ? n : len - done;
    odeon__stream_copy(dest_of(off + done), from + done, n);
    done += n;
  }
}

static void fail(const char *what) {
  fprintf(stderr, "ring probe: %s failed: %s\n", what, odeon_last_error());
  exit(1);
}

static void *work(void *arg) {
  worker *w = arg;
  gb_api->cuCtxSetCurrent(ctx);
  size_t pieces = total / piece, step = (size_t)threads;
  const odeon__backend_ops *ops = gb_be->ops;
  if (mode == 0) {
    for (size_t p = (size_t)w->id; p < pieces; p += step) {
      if (gb_api->cuMemcpyDtoHAsync(w->buf[0], d_src + p * piece, piece,
                                    w->s) ||
          gb_api->cuEventRecord(w->ev, w->s) ||
          gb_api->cuEventSynchronize(w->ev))
        fail("a download");
      deliver(p * piece, w->buf[0], piece);
    }
  } else if (mode == 1) {
    for (size_t p = (size_t)w->id; p < pieces; p += step) {
      if (ops->copy_d2h_async(w->os, w->buf[0],
                              (const void *)(uintptr_t)(d_src + p * piece),
                              piece) ||
          ops->event_record(w->oe[0], w->os) ||
          ops->event_wait(w->oe[0], odeon__now() + 60))
        fail("a download");
      deliver(p * piece, w->buf[0], piece);
    }
  } else {
    int b = 0;
    size_t p = (size_t)w->id;
    if (p < pieces &&
        (ops->copy_d2h_async(w->os, w->buf[0],
                             (const void *)(uintptr_t)(d_src + p * piece),
                             piece) ||
         ops->event_record(w->oe[0], w->os)))
      fail("a download");
    for (; p < pieces; p += step, b ^= 1) {
      size_t q = p + step;
      if (q < pieces &&
          (ops->copy_d2h_async(w->os, w->buf[b ^ 1],
                               (const void *)(uintptr_t)(d_src + q * piece),
                               piece) ||
           ops->event_record(w->oe[b ^ 1], w->os)))
        fail("a download");
      if (ops->event_wait(w->oe[b], odeon__now() + 60))
        fail("a wait");
      deliver(p * piece, w->buf[b], piece);
    }
  }
  odeon__stream_fence();
  return NULL;
}

static double run(int t, size_t s, worker *ws) {
  threads = t;
  piece = s;
  pthread_t tid[64];
  double t0 = odeon__now();
  for (int i = 0; i < t; i++)
    pthread_create(&tid[i], NULL, work, &ws[i]);
  for (int i = 0; i < t; i++)
    pthread_join(tid[i], NULL);
  return odeon__now() - t0;
}

static void print_cpu(void) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[512];
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "model name", 10)) {
      printf("host CPU: %s", strchr(line, ':') + 2);
      break;
    }
  if (f)
    fclose(f);
  f = fopen("/sys/devices/system/cpu/cpu0/cache/index3/size", "r");
  if (f && fgets(line, sizeof line, f))
    printf("last-level cache (cpu0, index3): %s", line);
  if (f)
    fclose(f);
}

int main(int argc, char **argv) {
  double gib = 4;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--gib") && i + 1 < argc)
      gib = atof(argv[++i]);
  gb_open();
  print_cpu();
  odeon__CUdevice dev;
  GB_CHECK(gb_api->cuDeviceGet(&dev, 0), "cuDeviceGet");
  GB_CHECK(gb_api->cuDevicePrimaryCtxRetain(&ctx, dev), "ctx retain");
  /* whole chunks of 4 MiB destination rows (mode 3) */
  total = (size_t)(gib * (double)(1u << 30)) & ~(((size_t)1 << 24) - 1);
  GB_CHECK(gb_api->cuMemAlloc(&d_src, total), "cuMemAlloc");
  GB_CHECK(gb_api->cuMemsetD8Async(d_src, 0x5a, total, NULL), "memset");
  if (posix_memalign((void **)&dest, (size_t)2 << 20, total))
    gb_die("posix_memalign");
  madvise(dest, total, MADV_HUGEPAGE);
  memset(dest, 0, total);
  enum { MAXT = 16 };
  worker ws[MAXT];
  for (int i = 0; i < MAXT; i++) {
    ws[i].id = i;
    for (int b = 0; b < 2; b++)
      GB_OK(gb_be->ops->host_alloc(gb_be, (size_t)16 << 20, &ws[i].buf[b]),
            "host_alloc");
    GB_OK(gb_be->ops->stream_create(gb_be, &ws[i].os), "stream_create");
    for (int b = 0; b < 2; b++)
      GB_OK(gb_be->ops->event_create(gb_be, &ws[i].oe[b]), "event_create");
    GB_CHECK(gb_api->cuStreamCreate(&ws[i].s, 1), "cuStreamCreate");
    GB_CHECK(gb_api->cuEventCreate(&ws[i].ev, 3), /* blocking, no timing */
             "cuEventCreate");
  }
  /* the pinned bandwidth, one stream, for the ratio */
  void *big = NULL;
  GB_OK(gb_be->ops->host_alloc(gb_be, (size_t)512 << 20, &big), "host_alloc");
  double best = 1e30;
  for (int r = 0; r < 5; r++) {
    double t0 = odeon__now();
    GB_CHECK(gb_api->cuMemcpyDtoHAsync(big, d_src, (size_t)512 << 20, ws[0].s),
             "D2H");
    GB_CHECK(gb_api->cuEventRecord(ws[0].ev, ws[0].s), "record");
    GB_CHECK(gb_api->cuEventSynchronize(ws[0].ev), "sync");
    double t = odeon__now() - t0;
    best = t < best ? t : best;
  }
  double bw = (double)(512 << 20) / best / 1e9;
  printf("pinned D2H: %.1f GB/s\n", bw);
  static const char *names[] = {"raw", "odeon", "odeon2", "rows"};
  static const int tcount[] = {8, 15};
  static const size_t sizes[] = {(size_t)1 << 20, (size_t)2 << 20,
                                 (size_t)4 << 20, (size_t)8 << 20};
  /* $RING_MODES: the modes to run (digits, default "0123") */
  const char *modes = getenv("RING_MODES");
  for (mode = 0; mode < 4; mode++)
    for (size_t a = 0; a < sizeof tcount / sizeof tcount[0]; a++)
      for (size_t b = 0; b < sizeof sizes / sizeof sizes[0]; b++) {
        if (modes && !strchr(modes, '0' + mode))
          continue;
        double tbest = 1e30;
        for (int r = 0; r < 3; r++) {
          double t = run(tcount[a], sizes[b], ws);
          tbest = t < tbest ? t : tbest;
        }
        double g = (double)total / tbest / 1e9;
        printf("ring %-6s: %2d threads x %5zu KiB pieces: %.1f GB/s "
               "delivered (%.3fx of pinned D2H)\n",
               names[mode], tcount[a], sizes[b] >> 10, g, g / bw);
      }
  size_t bad = 0;
  for (size_t i = 0; i < total; i += 4093)
    bad += dest[i] != 0x5a;
  printf("spot check: %zu wrong bytes\n", bad);
  return 0;
}
