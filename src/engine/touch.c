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

/* Below this many blocks the writeback's own faults cost less than
   starting threads here. */
#define TOUCH_MIN_BLOCKS 2
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
   own memory, staged (not downloaded there directly). */
static int touched(const odeon__engine *e, const odeon__item_out *o) {
  return e->sink[o->id].mem && e->result->out[o->id].owned && !e->direct[o->id];
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

/* Walk the launch's strips in TOUCH_BLOCK-aligned pieces: with `part` >= 0
   touch the pieces dealt to that part (round robin), else only count them.
   Returns the number of pieces. */
static size_t walk(const touch_job *j, int part, int parts) {
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
        if (part >= 0 && block % (size_t)parts == (size_t)part)
          touch_range((unsigned char *)x, (size_t)(y - x));
        x = y;
      }
    }
  }
  return block;
}

static int touch_part(void *ctx, int part, int parts) {
  (void)walk(ctx, part, parts);
  return ODEON_OK;
}

void odeon__engine_touch(odeon__engine *e, long long first, long long n,
                         const odeon__item_out *io, int n_io) {
  touch_job j = {e, first, n, io, n_io};
  /* The cost is the pages' first touch: with huge pages a whole 2 MiB page
     is zeroed however few of its bytes the launch fills, so the work is
     counted in blocks, not bytes (a probe chunk's short strips, one per
     row, each fault a page of their own). One block goes to one thread. */
  size_t blocks = walk(&j, -1, 1);
  if (blocks < TOUCH_MIN_BLOCKS)
    return;
  int parts = blocks < (size_t)e->helpers + 1 ? (int)blocks : e->helpers + 1;
  (void)odeon__run_parts(touch_part, &j, parts);
}
