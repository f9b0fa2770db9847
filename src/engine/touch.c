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
 * writeback thread. */
#include "engine/engine_internal.h"
#include "util/parallel.h"

/* A part per this many bytes of strips. */
#define TOUCH_PART_BYTES ((size_t)8 << 20)
#define TOUCH_PAGE 4096

typedef struct touch_job {
  odeon__engine *e;
  long long first, n, rows; /* rows of every fresh output together */
  int by_runs;
} touch_job;

static void touch_range(unsigned char *p, size_t len) {
  /* one store per page: the first in the range, then every page start */
  volatile unsigned char *v = p;
  size_t skip = TOUCH_PAGE - (size_t)((uintptr_t)p % TOUCH_PAGE);
  if (len)
    v[0] = 0;
  for (size_t o = skip; o < len; o += TOUCH_PAGE)
    v[o] = 0;
}

static int touch_part(void *ctx, int part, int parts) {
  const touch_job *j = ctx;
  odeon__engine *e = j->e;
  long long lo = j->by_runs ? j->n * part / parts : 0;
  long long hi = j->by_runs ? j->n * (part + 1) / parts : j->n;
  long long row = 0;
  for (int id = 0; id < ODEON__OUT_COUNT; id++) {
    const odeon__sink *s = &e->sink[id];
    if (!s->mem || !s->fresh)
      continue;
    long long rows = (long long)(odeon__result_bytes(e->result, id) / s->esize /
                                 (uint64_t)e->runs);
    for (long long r = 0; r < rows; r++, row++) {
      if (!j->by_runs && row % parts != part)
        continue;
      size_t at = ((size_t)r * (size_t)e->runs + (size_t)(j->first + lo));
      touch_range(s->mem + at * s->esize, (size_t)(hi - lo) * s->esize);
    }
  }
  return ODEON_OK;
}

void odeon__engine_touch(odeon__engine *e, long long first, long long n) {
  long long rows = 0;
  size_t bytes = 0;
  for (int id = 0; id < ODEON__OUT_COUNT; id++) {
    const odeon__sink *s = &e->sink[id];
    if (!s->mem || !s->fresh)
      continue;
    long long r = (long long)(odeon__result_bytes(e->result, id) / s->esize /
                              (uint64_t)e->runs);
    rows += r;
    bytes += (size_t)r * (size_t)n * s->esize;
  }
  if (!rows)
    return;
  int parts = odeon__parts_for(bytes, TOUCH_PART_BYTES, e->helpers + 1);
  touch_job j = {e, first, n, rows, rows < 4LL * parts};
  (void)odeon__run_parts(touch_part, &j, parts);
}
