/* touch.c - faults in, ahead of the writeback, the pages of the result
 * memory that one launch will fill. Fresh pages are zeroed by the operating
 * system at their first touch, which costs about as much as the copy of
 * the results into them (bench/gpu_host_paths on the H100 host: 20 GB/s
 * from 16 threads with 4 KiB pages); done by the producer while the GPU
 * computes, it leaves the writeback only the copy.
 *
 * Only memory the result owns is touched (a caller's buffer is the
 * caller's: already touched, or not ours to write early). Safe by
 * construction: it writes only inside the launch's own strips (its rows,
 * columns first..first+n-1), which the launch's writeback overwrites
 * afterwards, and it runs before the launch is posted to the writeback
 * thread. Outputs the device writes directly (e->direct) are left alone:
 * their download is already queued and may be running. */
#include "engine/engine_internal.h"
#include "util/parallel.h"

/* A thread per this many bytes of strips; below TOUCH_MIN_BYTES the
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
  const odeon__item_out *io;
  int n_io;
} touch_job;

/* Whether the writeback of output `o` goes to fresh pages of the result's
   own memory (not a kept mapping, whose pages are there already), staged
   (not downloaded there directly). */
static int touched(const odeon__engine *e, const odeon__item_out *o) {
  const odeon__output *r = &e->result->out[o->id];
  return e->sink[o->id].mem && r->owned && !r->warm && !e->direct[o->id];
}

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
  for (int k = 0; k < j->n_io; k++) {
    const odeon__item_out *o = &j->io[k];
    if (!touched(e, o))
      continue;
    unsigned char *mem = e->sink[o->id].mem;
    for (long long r = o->row0; r < o->row0 + o->rows; r++) {
      uintptr_t a =
          (uintptr_t)(mem + ((size_t)r * (size_t)e->runs + (size_t)j->first) *
                                o->esize);
      uintptr_t b = a + (size_t)j->n * o->esize;
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

void odeon__engine_touch(odeon__engine *e, long long first, long long n,
                         const odeon__item_out *io, int n_io) {
  size_t bytes = 0;
  for (int k = 0; k < n_io; k++)
    if (touched(e, &io[k]))
      bytes += (size_t)io[k].rows * (size_t)n * io[k].esize;
  if (bytes < TOUCH_MIN_BYTES)
    return;
  touch_job j = {e, first, n, io, n_io};
  (void)odeon__run_shared(
      touch_part, &j,
      odeon__parts_for(bytes, TOUCH_PART_BYTES, e->helpers + 1));
}
