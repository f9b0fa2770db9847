/* drain.c - drained outputs: results pulled from the device piece by
 * piece. Into pageable memory every result byte crosses host memory three
 * times (the download into pinned staging, the copy's read and its write);
 * with a slot's whole download landing before its first byte is copied,
 * the copy reads it back from DRAM. A drain lane instead downloads a piece
 * of a few MiB into one of its two pinned buffers on its own stream while
 * it copies the previous piece out; the piece is read back while the DMA's
 * writes are still in the last-level cache, and the lanes' downloads and
 * copies overlap piece by piece. bench/gpu_ring_probe on the H100 host:
 * 0.92-0.97x of the pinned download bandwidth into pageable memory, where
 * the whole-slot path reaches 0.6-0.76x. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "util/parallel.h"
#include "util/stream_copy.h"
#include "util/trace.h"

#define PIECE_DEFAULT ((size_t)4 << 20)
/* Pieces are whole elements: a multiple of the largest element size. */
#define PIECE_ALIGN 64

/* Outputs that can be drained: the ones whose rows grow with the samples
   or windows (the per-run finals are small and stay staged). */
static int drainable(odeon__out_id id) {
  return id == ODEON__OUT_STATE || id == ODEON__OUT_OBS ||
         id == ODEON__OUT_SUMMARIES;
}

/* $ODEON_DRAIN: "off", "on" or "auto", optionally followed by
   ":LANES:PIECE_KIB" (0 keeps the default). Sets *mode (-1, 1, 0). */
static int parse_env(const char *v, int *mode, int *lanes, size_t *piece) {
  char word[8] = {0};
  int n = 0, l = 0;
  long long kib = 0;
  size_t len = strcspn(v, ":");
  if (len < sizeof word)
    memcpy(word, v, len);
  if (!strcmp(word, "off"))
    *mode = -1;
  else if (!strcmp(word, "on"))
    *mode = 1;
  else if (!strcmp(word, "auto"))
    *mode = 0;
  else
    len = 0;
  if (len && v[len] == ':' &&
      (sscanf(v + len, ":%d:%lld%n", &l, &kib, &n) != 2 || v[len + n] ||
       l < 0 || l > ODEON__MAX_LANES || kib < 0 || kib > (1LL << 30)))
    len = 0;
  if (!len)
    return odeon__error(ODEON_E_INVAL,
                        "ODEON_DRAIN=\"%s\": expected off, on or auto, "
                        "optionally followed by :LANES:PIECE_KIB (lanes 0 "
                        "to %d, 0 = default)",
                        v, ODEON__MAX_LANES);
  if (l)
    *lanes = l;
  if (kib)
    *piece = (size_t)kib << 10;
  return ODEON_OK;
}

int odeon__engine_choose_drain(odeon__engine *e) {
  const odeon__engine_request *req = e->req;
  int mode = req->drain, lanes = req->drain_lanes;
  size_t piece = req->drain_piece;
  const char *env = getenv("ODEON_DRAIN");
  if (env && *env) {
    int em = 0, el = 0;
    size_t ep = 0;
    int st = parse_env(env, &em, &el, &ep);
    if (st)
      return st;
    if (!mode)
      mode = em;
    if (!lanes)
      lanes = el;
    if (!piece)
      piece = ep;
  }
  memset(e->drain, 0, sizeof e->drain);
  e->draining = 0;
  e->n_lanes = 0;
  if (mode < 0)
    return ODEON_OK;
  /* The staged bytes of the drainable outputs over this solve's runs. */
  double bytes = 0;
  double share = (double)(e->run_end - e->run_begin) / (double)e->runs;
  for (int id = 0; id < ODEON__OUT_COUNT; id++)
    if (drainable(id) && !e->direct[id] && (e->sink[id].mem || e->sink[id].npy))
      bytes += (double)odeon__result_bytes(e->result, id) * share;
  size_t cap = req->pinned_cap ? req->pinned_cap : (size_t)256 << 20;
  /* Automatic: on a GPU, when the results outgrow the staging (a slot's
     whole download is no longer small enough to stay in the cache). */
  int gpu = strcmp(e->ops->name, "cpu") != 0;
  if (!bytes || (mode == 0 && (!gpu || bytes < (double)cap)))
    return ODEON_OK;
  for (int id = 0; id < ODEON__OUT_COUNT; id++)
    e->drain[id] =
        drainable(id) && !e->direct[id] && (e->sink[id].mem || e->sink[id].npy);
  e->draining = 1;
  e->n_lanes = lanes > 0 ? lanes : e->helpers + 1;
  if (e->n_lanes > ODEON__MAX_LANES)
    e->n_lanes = ODEON__MAX_LANES;
  /* The lanes' buffers take at most half the staging cap. */
  size_t most = cap / 2 / (2 * (size_t)e->n_lanes);
  e->piece = piece ? piece : PIECE_DEFAULT;
  if (e->piece > most)
    e->piece = most;
  e->piece -= e->piece % PIECE_ALIGN;
  if (e->piece < PIECE_ALIGN)
    e->piece = PIECE_ALIGN;
  return ODEON_OK;
}

size_t odeon__engine_lane_bytes(const odeon__engine *e) {
  return (size_t)e->n_lanes * 2 * e->piece;
}

/* One slot's drain: its drained outputs cut into pieces of e->piece bytes
   of their device rows ([rows][n], one block), numbered output by output;
   each lane takes the next piece not yet taken, so that a lane the
   operating system holds back leaves its share to the others instead of
   keeping them all waiting at the end of the slot. */
typedef struct drain_job {
  odeon__engine *e;
  const odeon__slot *s;
  const odeon__item_out *out[ODEON__ITEM_MAX];
  size_t bytes[ODEON__ITEM_MAX];
  size_t first[ODEON__ITEM_MAX + 1]; /* the first piece of each output */
  int n;
  atomic_size_t next; /* the next piece not yet taken */
  atomic_int stop;    /* a lane has failed: the others stop too */
} drain_job;

/* The output and byte range of piece g. */
static int piece_of(const drain_job *j, size_t g, size_t *at, size_t *len) {
  int k = 0;
  while (g >= j->first[k + 1])
    k++;
  *at = (g - j->first[k]) * j->e->piece;
  *len = j->bytes[k] - *at < j->e->piece ? j->bytes[k] - *at : j->e->piece;
  return k;
}

static int queue_piece(const drain_job *j, odeon__lane *l, size_t g, int b) {
  size_t at, len;
  const odeon__item_out *o = j->out[piece_of(j, g, &at, &len)];
  const odeon__backend_ops *ops = j->e->ops;
  int st = ops->copy_d2h_async(l->stream, l->buf[b],
                               (const unsigned char *)o->dev + at, len);
  if (!st)
    st = ops->event_record(l->event[b], l->stream);
  return st;
}

/* Copy piece g, landed in `from`, to its destination rows: the device's
   rows hold the slot's n runs, the destination's all runs. */
static int deliver_piece(const drain_job *j, size_t g,
                         const unsigned char *from) {
  size_t at, len;
  const odeon__item_out *o = j->out[piece_of(j, g, &at, &len)];
  odeon__engine *e = j->e;
  size_t n = (size_t)j->s->n, elem = at / o->esize, count = len / o->esize;
  int st = ODEON_OK;
  while (count && !st) {
    size_t r = elem / n, c = elem % n, m = n - c < count ? n - c : count;
    uint64_t dst = (uint64_t)(o->row0 + (long long)r) * (uint64_t)e->runs +
                   (uint64_t)j->s->first + c;
    st = odeon__sink_write(&e->sink[o->id], dst, from, m);
    from += m * o->esize;
    elem += m;
    count -= m;
  }
  return st;
}

static int drain_lane(void *ctx, int part, int parts) {
  drain_job *j = ctx;
  odeon__engine *e = j->e;
  odeon__lane *l = &e->lanes[part];
  (void)parts;
  size_t total = j->first[j->n], g = atomic_fetch_add(&j->next, 1);
  size_t bad = g; /* the piece a failure is reported for */
  int pending[2] = {0, 0}, b = 0, st = ODEON_OK;
  odeon__trace_begin("drain", j->s->chunk);
  if (g < total && !(st = queue_piece(j, l, g, 0)))
    pending[0] = 1;
  while (g < total && !st) {
    /* the next piece downloads while this one is copied */
    size_t q = atomic_fetch_add(&j->next, 1);
    bad = q;
    if (q < total && !(st = queue_piece(j, l, q, b ^ 1)))
      pending[b ^ 1] = 1;
    if (!st) {
      bad = g;
      st = e->ops->event_wait(l->event[b], odeon__now() + e->timeout);
      pending[b] = 0;
    }
    if (!st)
      st = deliver_piece(j, g, l->buf[b]);
    if (!st)
      st = odeon__engine_failed(e); /* another stage failed */
    if (!st && atomic_load(&j->stop))
      break; /* another lane failed: its status is the drain's */
    g = q;
    b ^= 1;
  }
  char why[ODEON__ENGINE_MSG] = "";
  if (st) {
    atomic_store(&j->stop, 1);
    snprintf(why, sizeof why, "%s", odeon_last_error());
  }
  /* Nothing may land in the buffers after the lane returns. */
  for (int q = 0; q < 2; q++)
    if (pending[q])
      (void)e->ops->event_wait(l->event[q], odeon__now() + e->timeout);
  if (st) {
    size_t at, len;
    int k = piece_of(j, bad, &at, &len);
    odeon__error(st, "drain lane %d, %s bytes %zu..%zu of %zu: %s", part,
                 odeon__out_name(j->out[k]->id), at, at + len - 1, j->bytes[k],
                 why);
  }
  odeon__stream_fence(); /* before the join, like the writeback's copies */
  odeon__trace_end("drain", j->s->chunk);
  return st;
}

int odeon__engine_drain(odeon__engine *e, const odeon__slot *s,
                        const odeon__item_out *out, int n_out) {
  drain_job j;
  memset(&j, 0, sizeof j);
  atomic_init(&j.next, 0);
  atomic_init(&j.stop, 0);
  j.e = e;
  j.s = s;
  for (int k = 0; k < n_out; k++) {
    if (!e->drain[out[k].id])
      continue;
    j.out[j.n] = &out[k];
    j.bytes[j.n] = (size_t)out[k].rows * (size_t)s->n * out[k].esize;
    j.first[j.n + 1] = j.first[j.n] + (j.bytes[j.n] + e->piece - 1) / e->piece;
    j.n++;
  }
  if (!j.n)
    return ODEON_OK;
  size_t pieces = j.first[j.n];
  int lanes = pieces < (size_t)e->n_lanes ? (int)pieces : e->n_lanes;
  return odeon__run_parts(drain_lane, &j, lanes);
}
