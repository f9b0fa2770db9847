/* slots.c - the engine's slots (each a stream, an event, device buffers
 * and staging memory, sized from the plan, allocated shrinking the chunk
 * when memory is short) and drain lanes (a stream, two events, two pinned
 * buffers): allocated or taken from the solver's cache, released streams
 * first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

/* The buffers of a slot, in the order of slot_sizes(). */
enum { B_IN, B_STATE, B_OBS, B_SUM, B_STATUS, B_CNT, B_CARRY, B_HIN, B_HOUT };
_Static_assert(B_HOUT + 1 == ODEON__SLOT_BUFFERS, "slot buffer count");

static void *buffer_get(const odeon__slot *s, int b) {
  void *const p[ODEON__SLOT_BUFFERS] = {s->d_in,    s->d_state,  s->d_obs,
                                        s->d_sum,   s->d_status, s->d_cnt,
                                        s->d_carry, s->h_in,     s->h_out};
  return p[b];
}

static void buffer_set(odeon__slot *s, int b, void *ptr) {
  switch (b) {
  case B_IN:
    s->d_in = ptr;
    break;
  case B_STATE:
    s->d_state = ptr;
    break;
  case B_OBS:
    s->d_obs = ptr;
    break;
  case B_SUM:
    s->d_sum = ptr;
    break;
  case B_STATUS:
    s->d_status = ptr;
    break;
  case B_CNT:
    s->d_cnt = ptr;
    break;
  case B_CARRY:
    s->d_carry = ptr;
    break;
  case B_HIN:
    s->h_in = ptr;
    break;
  default:
    s->h_out = ptr;
    break;
  }
}

/* Slots kept between the solves of one solver (see engine.h): allocating
   device buffers, pinned staging, streams and events costs more than a
   small solve on a GPU. */
struct odeon__engine_cache {
  odeon__backend *be;
  int n_slots;
  size_t sizes[ODEON__SLOT_BUFFERS];
  odeon__slot slots[ODEON__MAX_SLOTS];
  int n_lanes;
  size_t piece;
  odeon__lane lanes[ODEON__MAX_LANES];
};

/* Destroy a stream whose work is over. A failure cannot undo the solve's
   results and the release cannot be retried: it is reported, as the
   backends report a failed free, rather than lost. */
void odeon__engine_stream_release(odeon__backend *be, odeon__stream *s) {
  if (s && be->ops->stream_destroy(be, s) != ODEON_OK)
    fprintf(stderr, "odeon: %s: %s\n", be->ops->name, odeon_last_error());
}

static void release_slots(odeon__backend *be, odeon__slot *slots, int n) {
  const odeon__backend_ops *ops = be->ops;
  /* Streams first: their threads may still touch the buffers. */
  for (int i = 0; i < n; i++) {
    odeon__engine_stream_release(be, slots[i].stream);
    slots[i].stream = NULL;
  }
  for (int i = 0; i < n; i++) {
    odeon__slot *s = &slots[i];
    if (s->event)
      ops->event_destroy(be, s->event);
    for (int b = 0; b < ODEON__SLOT_BUFFERS; b++) {
      void *ptr = buffer_get(s, b);
      if (ptr && b < B_HIN)
        ops->dev_free(be, ptr);
      else if (ptr)
        ops->host_free(be, ptr);
    }
    memset(s, 0, sizeof *s);
  }
}

static void release_lanes(odeon__backend *be, odeon__lane *lanes, int n) {
  const odeon__backend_ops *ops = be->ops;
  for (int i = 0; i < n; i++) {
    odeon__engine_stream_release(be, lanes[i].stream);
    lanes[i].stream = NULL;
  }
  for (int i = 0; i < n; i++) {
    for (int b = 0; b < 2; b++) {
      if (lanes[i].event[b])
        ops->event_destroy(be, lanes[i].event[b]);
      if (lanes[i].buf[b])
        ops->host_free(be, lanes[i].buf[b]);
    }
    memset(&lanes[i], 0, sizeof lanes[i]);
  }
}

void odeon__engine_cache_destroy(odeon__engine_cache *c) {
  if (!c)
    return;
  release_lanes(c->be, c->lanes, c->n_lanes);
  release_slots(c->be, c->slots, c->n_slots);
  free(c);
}

void odeon__engine_free_slots(odeon__engine *e) {
  release_slots(e->be, e->slots, e->n_slots);
}

void odeon__engine_free_lanes(odeon__engine *e) {
  release_lanes(e->be, e->lanes, e->n_lanes);
}

int odeon__engine_setup_lanes(odeon__engine *e) {
  odeon__engine_cache *c = e->req->cache ? *e->req->cache : NULL;
  if (c && c->n_lanes) {
    if (c->be == e->be && c->n_lanes == e->n_lanes && c->piece == e->piece) {
      memcpy(e->lanes, c->lanes, sizeof(odeon__lane) * (size_t)c->n_lanes);
      memset(c->lanes, 0, sizeof c->lanes);
      c->n_lanes = 0;
      return ODEON_OK;
    }
    release_lanes(c->be, c->lanes, c->n_lanes);
    c->n_lanes = 0;
  }
  const odeon__backend_ops *ops = e->ops;
  int st = ODEON_OK;
  for (int i = 0; i < e->n_lanes && !st; i++) {
    odeon__lane *l = &e->lanes[i];
    for (int b = 0; b < 2 && !st; b++) {
      st = ops->host_alloc(e->be, e->piece, (void **)&l->buf[b]);
      if (!st)
        st = ops->event_create(e->be, &l->event[b]);
    }
    if (!st)
      st = ops->stream_create(e->be, &l->stream);
  }
  if (st)
    odeon__engine_free_lanes(e);
  return st;
}

/* Where h0 starts in d_in for a chunk of n runs: after the inputs, 8-byte
   aligned. */
static size_t h0_offset(const odeon__engine *e, size_t n) {
  size_t in = (size_t)(e->ns + e->np) * n * (size_t)e->rb;
  return (in + 7) / 8 * 8;
}

double *odeon__engine_h0(const odeon__engine *e, const odeon__slot *s,
                         long long n) {
  return (double *)(void *)((unsigned char *)s->d_in + h0_offset(e, (size_t)n));
}

/* Bytes of each slot buffer for the current plan; also sets the staging
   layout (offsets into h_out). */
static void slot_sizes(odeon__engine *e, size_t sz[ODEON__SLOT_BUFFERS]) {
  size_t c = (size_t)e->plan.chunk_runs, rb = (size_t)e->rb;
  size_t k = (size_t)e->plan.window_samples;
  size_t wpl = (size_t)e->plan.windows_per_launch;
  sz[B_IN] = e->h0 ? h0_offset(e, c) + c * 8 /* the inputs, then h0 */
                   : (size_t)(e->ns + e->np) * c * rb;
  sz[B_STATE] = e->want_state ? k * (size_t)e->nsav * c * rb : 0;
  sz[B_OBS] = e->want_obs ? k * (size_t)e->nobs * c * rb : 0;
  sz[B_SUM] = e->want_sum ? wpl * (size_t)e->nsum * c * rb : 0;
  sz[B_STATUS] = c * 4;
  /* The kernel gets the counters only when they are an output and the
     carry only when a later window resumes from it (run_chunk). */
  sz[B_CNT] = e->want_cnt ? (size_t)e->ncnt * c * 8 : 0;
  sz[B_CARRY] = e->plan.launches_per_chunk > 1 ? (size_t)e->ncarry * c * 8 : 0;
  /* staging holds only the staged outputs (odeon__engine_staged) */
  size_t off = 0;
  e->off_state = off;
  off += odeon__engine_staged(e, ODEON__OUT_STATE) ? sz[B_STATE] : 0;
  e->off_obs = off;
  off += odeon__engine_staged(e, ODEON__OUT_OBS) ? sz[B_OBS] : 0;
  e->off_sum = off;
  off += odeon__engine_staged(e, ODEON__OUT_SUMMARIES) ? sz[B_SUM] : 0;
  e->off_status = off;
  off += odeon__engine_staged(e, ODEON__OUT_STATUS) ? sz[B_STATUS] : 0;
  e->off_cnt = off;
  off += odeon__engine_staged(e, ODEON__OUT_COUNTERS) ? sz[B_CNT] : 0;
  e->out_bytes = off;
  sz[B_HIN] = (size_t)e->in_rows * c * rb; /* uniform inputs unstaged */
  sz[B_HOUT] = e->out_bytes;
}

static int alloc_slots(odeon__engine *e, const size_t sz[ODEON__SLOT_BUFFERS]) {
  for (int i = 0; i < e->n_slots; i++) {
    odeon__slot *s = &e->slots[i];
    int st = ODEON_OK;
    for (int b = 0; !st && b < ODEON__SLOT_BUFFERS; b++) {
      void *p = NULL;
      if (sz[b])
        st = b < B_HIN ? e->ops->dev_alloc(e->be, sz[b], &p)
                       : e->ops->host_alloc(e->be, sz[b], &p);
      buffer_set(s, b, p);
    }
    if (!st)
      st = e->ops->event_create(e->be, &s->event);
    if (!st)
      st = e->ops->stream_create(e->be, &s->stream);
    if (st)
      return st;
  }
  return ODEON_OK;
}

/* Take the cached slots when they are this backend's, at least as many, and at
   least as large as this plan needs (sz then becomes their real sizes, which
   is what a later reuse must compare with); otherwise release them. */
static int reuse_cache(odeon__engine *e, size_t sz[ODEON__SLOT_BUFFERS]) {
  odeon__engine_cache *c = e->req->cache ? *e->req->cache : NULL;
  if (!c)
    return 0;
  int fits = c->be == e->be && c->n_slots >= e->n_slots;
  for (int b = 0; fits && b < ODEON__SLOT_BUFFERS; b++)
    fits = sz[b] <= c->sizes[b];
  if (fits) { /* extra cached slots only deepen the pipeline */
    e->n_slots = c->n_slots;
    memcpy(e->slots, c->slots, sizeof(odeon__slot) * (size_t)c->n_slots);
    memcpy(sz, c->sizes, sizeof c->sizes);
  } else
    release_slots(c->be, c->slots, c->n_slots);
  /* lanes setup_lanes did not take (it runs first) */
  release_lanes(c->be, c->lanes, c->n_lanes);
  free(c);
  *e->req->cache = NULL;
  return fits;
}

/* Keep the slots of a successful solve for the next one. */
void odeon__engine_store_cache(odeon__engine *e,
                               const size_t sz[ODEON__SLOT_BUFFERS]) {
  odeon__engine_cache *c = calloc(1, sizeof *c);
  if (!c) {
    /* no room to keep them: not an error */
    odeon__engine_free_lanes(e);
    odeon__engine_free_slots(e);
    return;
  }
  c->be = e->be;
  c->n_slots = e->n_slots;
  c->n_lanes = e->n_lanes;
  c->piece = e->piece;
  memcpy(c->lanes, e->lanes, sizeof(odeon__lane) * (size_t)e->n_lanes);
  memset(e->lanes, 0, sizeof e->lanes);
  memcpy(c->sizes, sz, sizeof c->sizes);
  memcpy(c->slots, e->slots, sizeof(odeon__slot) * (size_t)e->n_slots);
  memset(e->slots, 0, sizeof e->slots);
  *e->req->cache = c;
}

/* Allocate the slots (or take them from the cache); when memory is short,
   halve the chunk and retry rather than fail (the plan's budget is an
   estimate of what is free). */
int odeon__engine_setup_slots(odeon__engine *e,
                              size_t sz[ODEON__SLOT_BUFFERS]) {
  for (;;) {
    slot_sizes(e, sz);
    if (reuse_cache(e, sz))
      return ODEON_OK;
    int st = alloc_slots(e, sz);
    if (!st)
      return ODEON_OK;
    odeon__engine_free_slots(e);
    if (st != ODEON_E_NOMEM || e->plan.chunk_runs <= 1)
      return odeon__error_context(st,
                                  "engine: allocating %d slots of %lld "
                                  "runs: ",
                                  e->n_slots, e->plan.chunk_runs);
    e->plan.chunk_runs = (e->plan.chunk_runs + 1) / 2;
  }
}

/* Device bytes held by a cache for this backend: free for this solve. */
size_t odeon__engine_cached_device_bytes(const odeon__engine *e) {
  const odeon__engine_cache *c = e->req->cache ? *e->req->cache : NULL;
  size_t n = 0;
  for (int b = 0; c && c->be == e->be && b < B_HIN; b++)
    n += c->sizes[b] * (size_t)c->n_slots;
  return n;
}
