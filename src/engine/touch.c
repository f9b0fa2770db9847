/* touch.c - faults in, ahead of the writeback, the pages of the result
 * memory that one chunk will fill. Fresh pages are zeroed by the operating
 * system at their first touch, which costs about as much as the copy of
 * the results into them (bench/gpu_host_paths on the H100 host: 20 GB/s
 * from 16 threads with 4 KiB pages); done by the producer while the GPU
 * computes the chunk, it leaves the writeback only the copy.
 *
 * Safe by construction: it writes only inside the chunk's own strips (the
 * columns first..first+n-1 of every row), which the chunk's writeback
 * overwrites afterwards, and it runs before the chunk is posted to the
 * writeback thread. Outputs the device writes directly (e->direct) are
 * left alone: their download is already queued and may be running. */
#include "engine/engine_internal.h"
#include "util/parallel.h"

/* A part per this many bytes of strips; below TOUCH_MIN_BYTES the
   writeback's own faults cost less than a pass here (a probe chunk). */
#define TOUCH_PART_BYTES ((size_t)4 << 20)
#define TOUCH_MIN_BYTES ((size_t)4 << 20)
/* Work is dealt out in blocks aligned to huge pages: two threads touching
   one huge page would wait for each other while one of them zeroes it. */
#define TOUCH_BLOCK ((size_t)2 << 20)
#define TOUCH_PAGE 4096

typedef struct touch_job {
  odeon__engine *e;
  long long first, n;
} touch_job;

/* One store per 4 KiB page of [p, p + len): the first byte, then every
   page start. */
static void touch_range(unsigned char *p, size_t len) {
  volatile unsigned char *v = p;
  if (len)
    v[0] = 0;
  for (size_t o = TOUCH_PAGE - (size_t)((uintptr_t)p % TOUCH_PAGE); o < len;
       o += TOUCH_PAGE)
    v[o] = 0;
}

static int touch_part(void *ctx, int part, int parts) {
  const touch_job *j = ctx;
  odeon__engine *e = j->e;
  size_t block = 0; /* running block index over every strip */
  for (int id = 0; id < ODEON__OUT_COUNT; id++) {
    const odeon__sink *s = &e->sink[id];
    if (!s->mem || !s->fresh || e->direct[id])
      continue;
    long long rows = (long long)(odeon__result_bytes(e->result, id) / s->esize /
                                 (uint64_t)e->runs);
    for (long long r = 0; r < rows; r++) {
      uintptr_t a = (uintptr_t)(s->mem + ((size_t)r * (size_t)e->runs +
                                          (size_t)j->first) *
                                             s->esize);
      uintptr_t b = a + (size_t)j->n * s->esize;
      for (uintptr_t x = a; x < b; block++) {
        uintptr_t y = (x / TOUCH_BLOCK + 1) * TOUCH_BLOCK;
        if (y > b)
          y = b;
        if (block % (size_t)parts == (size_t)part)
          touch_range((unsigned char *)x, (size_t)(y - x));
        x = y;
      }
    }
  }
  return ODEON_OK;
}

void odeon__engine_touch(odeon__engine *e, long long first, long long n) {
  size_t bytes = 0;
  for (int id = 0; id < ODEON__OUT_COUNT; id++) {
    const odeon__sink *s = &e->sink[id];
    if (s->mem && s->fresh && !e->direct[id])
      bytes +=
          (size_t)(odeon__result_bytes(e->result, id) / (uint64_t)e->runs) *
          (size_t)n;
  }
  if (bytes < TOUCH_MIN_BYTES)
    return;
  touch_job j = {e, first, n};
  (void)odeon__run_parts(
      touch_part, &j,
      odeon__parts_for(bytes, TOUCH_PART_BYTES, e->helpers + 1));
}
