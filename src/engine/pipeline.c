/* pipeline.c - odeon__engine_solve: the asynchronous chunked pipeline.
 *
 * A ring of slots, each with its own stream, event, device buffers and
 * staging memory. The calling thread (the producer) fills a chunk's inputs
 * from the grid, enqueues upload, launch and download on the slot's stream,
 * records the slot's event and posts the slot to the writeback thread. The
 * writeback thread waits for that event (a blocking wait with a deadline),
 * moves the staging data to the destination and frees the slot. Chunk i+1
 * computes while chunk i downloads and chunk i-1 is written back.
 *
 * Errors: the first error anywhere is recorded once (status + a message
 * naming the stage and the chunk) and broadcast; every wait re-checks it, so
 * nothing keeps waiting. Streams are destroyed (queued work discarded,
 * events signalled, running blocks finished) before the writeback thread is
 * joined and before any buffer is freed. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/sync.h"
#include "engine/engine.h"
#include "engine/grid.h"
#include "engine/plan.h"
#include "engine/result.h"
#include "engine/sink.h"
#include "util/error.h"
#include "util/trace.h"

#define MAX_SLOTS 64
#define MAX_HELPERS 7 /* writeback helper threads for large items */
/* Until the first launch has been timed, chunks hold at most this many runs
   (by default), so that a slow model cannot make the first chunks outlast
   the timeout. */
#define PROBE_RUNS 16384
#define MSG_LEN 2048

typedef struct slot {
  odeon__stream *stream;
  odeon__event *event;
  void *d_in, *d_state, *d_obs, *d_sum, *d_status, *d_cnt, *d_carry;
  unsigned char *h_in, *h_out;
  int busy; /* an item is posted and not yet written back */
  /* the posted item */
  long long chunk, first, n, launch, sb, se, wb, we;
  int last;
  double posted; /* odeon__now() when its launch was queued */
} slot;

typedef struct engine {
  const odeon__engine_request *req;
  odeon__backend *be;
  const odeon__backend_ops *ops;
  long long runs;
  int rb;
  long long ns, np, nsav, nobs, nsum, ncnt, ncarry;
  int want_state, want_obs, want_sum, want_cnt;
  double timeout;
  odeon__plan_input pin;
  odeon__plan plan;
  int n_slots;
  slot slots[MAX_SLOTS];
  /* staging layout (offsets into h_out, for the chunk capacity) */
  size_t off_state, off_obs, off_sum, off_status, off_cnt, out_bytes;
  void *d_drivers;
  odeon_result_t *result;
  odeon__sink sink[ODEON__OUT_COUNT];
  /* shared between the producer and the writeback thread */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int queue[MAX_SLOTS];
  int q_head, q_len;
  int producer_done;
  int status;
  char msg[MSG_LEN];
  long long runs_done;
  long long bytes_done, bytes_total;
  long long time_cap;   /* runs per chunk that keep one launch well inside the
                           timeout, from measured launch times */
  long long items_done; /* launches written back, for deadline renewal */
  pthread_t writeback;
  int writeback_started;
  int helpers; /* writeback helper threads a large item may use */
} engine;

/* Record the first error (status + context + this thread's last message)
   and wake every waiter. Later errors are consequences and are dropped. */
static int fail(engine *e, int status, const char *fmt, ...)
    ODEON__PRINTF(3, 4);
static int fail(engine *e, int status, const char *fmt, ...) {
  char ctx[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx, sizeof ctx, fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&e->mu);
  if (!e->status) {
    e->status = status;
    snprintf(e->msg, sizeof e->msg, "%s%s", ctx, odeon_last_error());
  }
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
  return status;
}

static int failed(engine *e) {
  pthread_mutex_lock(&e->mu);
  int st = e->status;
  pthread_mutex_unlock(&e->mu);
  return st;
}

/* ------------------------------------------------------------ writeback */

/* One share of a writeback: the rows whose running index is congruent to
   `part` modulo `parts` (rows are whole runs of one sample and variable, so
   shares never touch the same bytes). */
typedef struct share {
  engine *e;
  const slot *s;
  int part, parts;
  long long row; /* running row index */
  int status;
  char msg[512]; /* the failing share's message (thread-local otherwise) */
} share;

static int deliver_rows(share *sh, odeon__out_id id, const unsigned char *src,
                        long long rows, long long row0, size_t esize) {
  /* staging [rows][n] -> destination [row0 + row][runs] at column first */
  engine *e = sh->e;
  long long first = sh->s->first, n = sh->s->n;
  for (long long r = 0; r < rows; r++) {
    if (sh->row++ % sh->parts != sh->part)
      continue;
    uint64_t elem = (uint64_t)(row0 + r) * (uint64_t)e->runs + (uint64_t)first;
    int st = odeon__sink_write(&e->sink[id], elem,
                               src + (size_t)r * (size_t)n * esize, (size_t)n);
    if (st)
      return st;
  }
  return ODEON_OK;
}

/* Bytes a slot's item delivers. */
static long long item_bytes(const engine *e, const slot *s) {
  long long n = s->n, rb = e->rb, ns = s->se - s->sb, nw = s->we - s->wb;
  long long b = 0;
  if (e->want_state)
    b += ns * e->nsav * n * rb;
  if (e->want_obs)
    b += ns * e->nobs * n * rb;
  if (e->want_sum)
    b += nw * e->nsum * n * rb;
  if (s->last)
    b += n * 4 + (e->want_cnt ? e->ncnt * n * 8 : 0);
  return b;
}

static void *deliver_share(void *arg) {
  share *sh = arg;
  engine *e = sh->e;
  const slot *s = sh->s;
  long long ns = s->se - s->sb, nw = s->we - s->wb;
  size_t rb = (size_t)e->rb;
  int st = ODEON_OK;
  if (e->want_state && !st)
    st = deliver_rows(sh, ODEON__OUT_STATE, s->h_out + e->off_state,
                      ns * e->nsav, s->sb * e->nsav, rb);
  if (e->want_obs && !st)
    st = deliver_rows(sh, ODEON__OUT_OBS, s->h_out + e->off_obs, ns * e->nobs,
                      s->sb * e->nobs, rb);
  if (e->want_sum && !st)
    st = deliver_rows(sh, ODEON__OUT_SUMMARIES, s->h_out + e->off_sum,
                      nw * e->nsum, s->wb * e->nsum, rb);
  if (s->last && !st)
    st = deliver_rows(sh, ODEON__OUT_STATUS, s->h_out + e->off_status, 1, 0, 4);
  if (s->last && e->want_cnt && !st)
    st = deliver_rows(sh, ODEON__OUT_COUNTERS, s->h_out + e->off_cnt, e->ncnt,
                      0, 8);
  sh->status = st;
  if (st)
    snprintf(sh->msg, sizeof sh->msg, "%s", odeon_last_error());
  return NULL;
}

/* A share per this many bytes: below it a helper thread costs more than it
   saves. */
#define SHARE_BYTES ((long long)4 << 20)

/* Move a slot's staging data to the destination. Large items are split
   over helper threads (started and joined here): one thread copying, and
   faulting in fresh result pages, cannot keep up with a GPU's downloads. */
static int deliver(engine *e, const slot *s) {
  share sh[MAX_HELPERS + 1];
  long long bytes = item_bytes(e, s);
  int parts = (int)(bytes / SHARE_BYTES) + 1;
  if (parts > e->helpers + 1)
    parts = e->helpers + 1;
  pthread_t tid[MAX_HELPERS];
  int started = 0;
  for (int p = 0; p < parts; p++)
    sh[p] = (share){e, s, p, parts, 0, 0, ""};
  for (int p = 1; p < parts; p++) {
    if (pthread_create(&tid[p - 1], NULL, deliver_share, &sh[p]))
      break; /* fewer helpers: this thread does their shares below */
    started++;
  }
  deliver_share(&sh[0]);
  for (int p = started + 1; p < parts; p++)
    deliver_share(&sh[p]);
  for (int p = 0; p < started; p++)
    pthread_join(tid[p], NULL);
  for (int p = 0; p < parts; p++)
    if (sh[p].status)
      return odeon__error(sh[p].status, "%s", sh[p].msg);
  return ODEON_OK;
}

static void *writeback_main(void *arg) {
  engine *e = arg;
  const odeon__engine_request *req = e->req;
  pthread_mutex_lock(&e->mu);
  for (;;) {
    double deadline = odeon__now() + e->timeout;
    while (!e->q_len && !e->producer_done && !e->status) {
      if (odeon__cond_wait_until(&e->cv, &e->mu, deadline) && !e->q_len &&
          !e->producer_done && !e->status) {
        pthread_mutex_unlock(&e->mu);
        odeon__error(ODEON_E_TIMEOUT, "no chunk was posted within %g s",
                     e->timeout);
        fail(e, ODEON_E_TIMEOUT, "engine: writeback: ");
        pthread_mutex_lock(&e->mu);
      }
    }
    if (e->status || !e->q_len)
      break; /* failed, or the producer is done and the queue is empty */
    slot *s = &e->slots[e->queue[e->q_head]];
    e->q_head = (e->q_head + 1) % MAX_SLOTS;
    e->q_len--;
    pthread_mutex_unlock(&e->mu);

    int st = e->ops->event_wait(s->event, odeon__now() + e->timeout);
    if (st) {
      fail(e, st,
           "engine: chunk %lld (runs %lld..%lld), time window %lld: waiting "
           "for its upload, launch and download: ",
           s->chunk, s->first, s->first + s->n - 1, s->launch);
      pthread_mutex_lock(&e->mu);
      break;
    }
    /* A launch that took a large part of the timeout would fail a
       longer-running sweep one day: keep later chunks to about an eighth
       of it, measured from queueing the launch to its completion (waiting
       behind other slots included, which only errs towards smaller
       chunks). */
    double took = odeon__now() - s->posted;
    if (took > 0) {
      double per_run = took / (double)s->n;
      double cap = e->timeout / 8 / per_run;
      pthread_mutex_lock(&e->mu);
      e->time_cap = cap < 1 ? 1 : cap > 1e18 ? (long long)1e18 : (long long)cap;
      pthread_mutex_unlock(&e->mu);
    }
    long long bytes = item_bytes(e, s);
    odeon__trace_begin("writeback", s->chunk);
    st = deliver(e, s);
    odeon__trace_end("writeback", s->chunk);
    if (st) {
      fail(e, st,
           "engine: writeback of chunk %lld (runs %lld..%lld), time window "
           "%lld: ",
           s->chunk, s->first, s->first + s->n - 1, s->launch);
      pthread_mutex_lock(&e->mu);
      break;
    }
    pthread_mutex_lock(&e->mu);
    e->items_done++;
    if (s->last)
      e->runs_done += s->n;
    e->bytes_done += bytes;
    long long rd = e->runs_done, bd = e->bytes_done;
    pthread_mutex_unlock(&e->mu);
    if (req->progress &&
        req->progress(rd, e->runs, bd, e->bytes_total, req->progress_user)) {
      odeon__error(ODEON_E_CANCELLED,
                   "cancelled by the progress callback after %lld of %lld "
                   "runs",
                   rd, e->runs);
      fail(e, ODEON_E_CANCELLED, "engine: chunk %lld: ", s->chunk);
    }
    pthread_mutex_lock(&e->mu);
    s->busy = 0;
    pthread_cond_broadcast(&e->cv);
  }
  pthread_mutex_unlock(&e->mu);
  return NULL;
}

/* ------------------------------------------------------------- producer */

/* Wait until the writeback thread has released `s`, or an error. The
   deadline restarts whenever any launch is written back: the slot's turn
   comes after the launches queued before it, each bounded by the timeout. */
static int wait_slot(engine *e, slot *s, int index) {
  pthread_mutex_lock(&e->mu);
  double deadline = odeon__now() + e->timeout;
  long long seen = e->items_done;
  int st = ODEON_OK;
  while (s->busy && !e->status) {
    int rc = odeon__cond_wait_until(&e->cv, &e->mu, deadline);
    if (e->items_done != seen) {
      seen = e->items_done;
      deadline = odeon__now() + e->timeout;
    } else if (rc && s->busy && !e->status) {
      st = ODEON_E_TIMEOUT;
      break;
    }
  }
  long long chunk = s->chunk;
  if (!st)
    st = e->status;
  pthread_mutex_unlock(&e->mu);
  if (st == ODEON_E_TIMEOUT && !failed(e)) {
    odeon__error(ODEON_E_TIMEOUT,
                 "slot %d (chunk %lld) was not written back within %g s", index,
                 chunk, e->timeout);
    return fail(e, st, "engine: ");
  }
  return st;
}

/* Hand slot `index` to the writeback thread; `launched` is when its launch
   was queued (the start of what the writeback thread times). */
static void post(engine *e, int index, double launched) {
  e->slots[index].posted = launched;
  pthread_mutex_lock(&e->mu);
  e->slots[index].busy = 1;
  e->queue[(e->q_head + e->q_len) % MAX_SLOTS] = index;
  e->q_len++;
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
}

/* Queue chunk c, starting at run `first`; returns its run count in *n_out
   (the slot's capacity, less when the runs left or the measured launch time
   say so). */
static int run_chunk(engine *e, long long c, long long first,
                     long long *n_out) {
  const odeon__engine_request *req = e->req;
  int index = (int)(c % e->n_slots);
  slot *s = &e->slots[index];
  int st = wait_slot(e, s, index);
  if (st)
    return st;
  long long n = e->runs - first < e->plan.chunk_runs ? e->runs - first
                                                     : e->plan.chunk_runs;
  pthread_mutex_lock(&e->mu);
  if (e->time_cap > 0 && n > e->time_cap)
    n = e->time_cap;
  pthread_mutex_unlock(&e->mu);
  *n_out = n;
  size_t rb = (size_t)e->rb, nn = (size_t)n;
  /* The slot is free: its stream has finished everything of its last
     chunk, so the input staging can be refilled. */
  odeon__trace_begin("fill", c);
  for (long long i = 0; !st && i < e->ns; i++)
    st = odeon__grid_fill(req->grid, ODEON_SYM_STATE, i, first, n, e->rb,
                          s->h_in + (size_t)i * nn * rb);
  for (long long i = 0; !st && i < e->np; i++)
    st = odeon__grid_fill(req->grid, ODEON_SYM_PARAMETER, i, first, n, e->rb,
                          s->h_in + (size_t)(e->ns + i) * nn * rb);
  odeon__trace_end("fill", c);
  size_t in_bytes = (size_t)(e->ns + e->np) * nn * rb;
  if (!st && in_bytes)
    st = e->ops->copy_h2d_async(s->stream, s->d_in, s->h_in, in_bytes);
  if (st)
    return fail(e, st, "engine: chunk %lld (runs %lld..%lld): upload: ", c,
                first, first + n - 1);

  long long ns_total = req->n_samples, k = e->plan.window_samples;
  long long launches = e->plan.launches_per_chunk;
  long long wb = 0;
  for (long long j = 0; j < launches; j++) {
    long long sb = j * k;
    long long se =
        j + 1 == launches ? ns_total : (sb + k < ns_total ? sb + k : ns_total);
    long long we = odeon__plan_windows_done(&e->pin, se);
    if (we - wb > e->plan.windows_per_launch || se - sb > k)
      return fail(e,
                  odeon__error(ODEON_E_INTERNAL,
                               "launch %lld writes %lld windows, %lld "
                               "samples (room for %lld, %lld)",
                               j, we - wb, se - sb, e->plan.windows_per_launch,
                               k),
                  "engine: chunk %lld: ", c);
    int last = j + 1 == launches;
    odeon_kernel_args a = req->base;
    a.n = n;
    a.run_offset = first;
    a.y0 = s->d_in;
    a.params = (const unsigned char *)s->d_in + (size_t)e->ns * nn * rb;
    /* per-run driver blocks: the whole grid's blocks are on the device,
       this chunk's start at its first run */
    a.drivers = e->d_drivers && req->base.driver_stride
                    ? (const void *)((const unsigned char *)e->d_drivers +
                                     (size_t)first *
                                         (size_t)req->base.driver_stride * rb)
                    : e->d_drivers;
    a.n_samples = ns_total;
    a.n_windows = req->n_windows;
    a.sample_begin = sb;
    a.sample_end = se;
    a.window_begin = wb;
    a.window_end = we;
    a.resume = j > 0;
    a.out_state = e->want_state ? s->d_state : NULL;
    a.out_obs = e->want_obs ? s->d_obs : NULL;
    a.out_summary = e->want_sum ? s->d_sum : NULL;
    a.status = s->d_status;
    /* Only what is read back: the counters when asked for, the carry when
       a later window of this chunk resumes from it (on the GPU each costs
       8 bytes of writes per row and run that the result would not show). */
    a.counters = e->want_cnt ? s->d_cnt : NULL;
    a.carry = launches > 1 ? s->d_carry : NULL;
    double launched = odeon__now();
    st = e->ops->launch_async(s->stream, req->module, &a);
    if (st)
      return fail(e, st,
                  "engine: chunk %lld (runs %lld..%lld), time window "
                  "%lld: launch: ",
                  c, first, first + n - 1, j);
    /* The launch is queued; its download may only overwrite the staging
       once the previous window of this slot is written back. */
    if (j > 0 && (st = wait_slot(e, s, index)))
      return st;
    size_t b;
    if (!st && e->want_state && (b = (size_t)((se - sb) * e->nsav) * nn * rb))
      st = e->ops->copy_d2h_async(s->stream, s->h_out + e->off_state,
                                  s->d_state, b);
    if (!st && e->want_obs && (b = (size_t)((se - sb) * e->nobs) * nn * rb))
      st =
          e->ops->copy_d2h_async(s->stream, s->h_out + e->off_obs, s->d_obs, b);
    if (!st && e->want_sum && (b = (size_t)((we - wb) * e->nsum) * nn * rb))
      st =
          e->ops->copy_d2h_async(s->stream, s->h_out + e->off_sum, s->d_sum, b);
    if (!st && last)
      st = e->ops->copy_d2h_async(s->stream, s->h_out + e->off_status,
                                  s->d_status, nn * 4);
    if (!st && last && e->want_cnt)
      st = e->ops->copy_d2h_async(s->stream, s->h_out + e->off_cnt, s->d_cnt,
                                  (size_t)e->ncnt * nn * 8);
    if (!st)
      st = e->ops->event_record(s->event, s->stream);
    if (st)
      return fail(e, st,
                  "engine: chunk %lld (runs %lld..%lld), time window "
                  "%lld: download: ",
                  c, first, first + n - 1, j);
    s->chunk = c;
    s->first = first;
    s->n = n;
    s->launch = j;
    s->sb = sb;
    s->se = se;
    s->wb = wb;
    s->we = we;
    s->last = last;
    post(e, index, launched);
    wb = we;
  }
  return ODEON_OK;
}

/* -------------------------------------------------------- setup/teardown */

/* The buffers of a slot, in the order of slot_sizes(). */
enum {
  B_IN,
  B_STATE,
  B_OBS,
  B_SUM,
  B_STATUS,
  B_CNT,
  B_CARRY,
  B_HIN,
  B_HOUT,
  N_BUF
};

static void **slot_buffer(slot *s, int b) {
  void **p[N_BUF] = {&s->d_in,    &s->d_state,       &s->d_obs,
                     &s->d_sum,   &s->d_status,      &s->d_cnt,
                     &s->d_carry, (void **)&s->h_in, (void **)&s->h_out};
  return p[b];
}

/* Slots kept between the solves of one solver (see engine.h): allocating
   device buffers, pinned staging, streams and events costs more than a
   small solve on a GPU. */
struct odeon__engine_cache {
  odeon__backend *be;
  int n_slots;
  size_t sizes[N_BUF];
  slot slots[MAX_SLOTS];
};

static void release_slots(odeon__backend *be, slot *slots, int n) {
  const odeon__backend_ops *ops = be->ops;
  /* Streams first: their threads may still touch the buffers. */
  for (int i = 0; i < n; i++) {
    if (slots[i].stream)
      ops->stream_destroy(be, slots[i].stream);
    slots[i].stream = NULL;
  }
  for (int i = 0; i < n; i++) {
    slot *s = &slots[i];
    if (s->event)
      ops->event_destroy(be, s->event);
    for (int b = 0; b < N_BUF; b++) {
      void *ptr = *slot_buffer(s, b);
      if (ptr && b < B_HIN)
        ops->dev_free(be, ptr);
      else if (ptr)
        ops->host_free(be, ptr);
    }
    memset(s, 0, sizeof *s);
  }
}

void odeon__engine_cache_destroy(odeon__engine_cache *c) {
  if (!c)
    return;
  release_slots(c->be, c->slots, c->n_slots);
  free(c);
}

static void free_slots(engine *e) {
  release_slots(e->be, e->slots, e->n_slots);
}

/* Bytes of each slot buffer for the current plan; also sets the staging
   layout (offsets into h_out). */
static void slot_sizes(engine *e, size_t sz[N_BUF]) {
  size_t c = (size_t)e->plan.chunk_runs, rb = (size_t)e->rb;
  size_t k = (size_t)e->plan.window_samples;
  size_t wpl = (size_t)e->plan.windows_per_launch;
  sz[B_IN] = (size_t)(e->ns + e->np) * c * rb;
  sz[B_STATE] = e->want_state ? k * (size_t)e->nsav * c * rb : 0;
  sz[B_OBS] = e->want_obs ? k * (size_t)e->nobs * c * rb : 0;
  sz[B_SUM] = e->want_sum ? wpl * (size_t)e->nsum * c * rb : 0;
  sz[B_STATUS] = c * 4;
  /* The kernel gets the counters only when they are an output and the
     carry only when a later window resumes from it (run_chunk). */
  sz[B_CNT] = e->want_cnt ? (size_t)e->ncnt * c * 8 : 0;
  sz[B_CARRY] = e->plan.launches_per_chunk > 1 ? (size_t)e->ncarry * c * 8 : 0;
  e->off_state = 0;
  e->off_obs = sz[B_STATE];
  e->off_sum = e->off_obs + sz[B_OBS];
  e->off_status = e->off_sum + sz[B_SUM];
  e->off_cnt = e->off_status + c * 4;
  e->out_bytes = e->off_cnt + sz[B_CNT];
  sz[B_HIN] = sz[B_IN];
  sz[B_HOUT] = e->out_bytes;
}

static int alloc_slots(engine *e, const size_t sz[N_BUF]) {
  for (int i = 0; i < e->n_slots; i++) {
    slot *s = &e->slots[i];
    int st = ODEON_OK;
    for (int b = 0; !st && b < N_BUF; b++) {
      void **p = slot_buffer(s, b);
      if (sz[b])
        st = b < B_HIN ? e->ops->dev_alloc(e->be, sz[b], p)
                       : e->ops->host_alloc(e->be, sz[b], p);
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
static int reuse_cache(engine *e, size_t sz[N_BUF]) {
  odeon__engine_cache *c = e->req->cache ? *e->req->cache : NULL;
  if (!c)
    return 0;
  int fits = c->be == e->be && c->n_slots >= e->n_slots;
  for (int b = 0; fits && b < N_BUF; b++)
    fits = sz[b] <= c->sizes[b];
  if (fits) { /* extra cached slots only deepen the pipeline */
    e->n_slots = c->n_slots;
    memcpy(e->slots, c->slots, sizeof(slot) * (size_t)c->n_slots);
    memcpy(sz, c->sizes, sizeof c->sizes);
  } else
    release_slots(c->be, c->slots, c->n_slots);
  free(c);
  *e->req->cache = NULL;
  return fits;
}

/* Keep the slots of a successful solve for the next one. */
static void store_cache(engine *e, const size_t sz[N_BUF]) {
  odeon__engine_cache *c = calloc(1, sizeof *c);
  if (!c) {
    free_slots(e); /* no room to keep them: not an error */
    return;
  }
  c->be = e->be;
  c->n_slots = e->n_slots;
  memcpy(c->sizes, sz, sizeof c->sizes);
  memcpy(c->slots, e->slots, sizeof(slot) * (size_t)e->n_slots);
  memset(e->slots, 0, sizeof e->slots);
  *e->req->cache = c;
}

/* Allocate the slots (or take them from the cache); when memory is short,
   halve the chunk and retry rather than fail (the plan's budget is an
   estimate of what is free). */
static int setup_slots(engine *e, size_t sz[N_BUF]) {
  for (;;) {
    slot_sizes(e, sz);
    if (reuse_cache(e, sz))
      return ODEON_OK;
    int st = alloc_slots(e, sz);
    if (!st)
      return ODEON_OK;
    free_slots(e);
    if (st != ODEON_E_NOMEM || e->plan.chunk_runs <= 1)
      return odeon__error_context(st,
                                  "engine: allocating %d slots of %lld "
                                  "runs: ",
                                  e->n_slots, e->plan.chunk_runs);
    e->plan.chunk_runs = (e->plan.chunk_runs + 1) / 2;
  }
}

/* Device bytes held by a cache for this backend: free for this solve. */
static size_t cached_device_bytes(const engine *e) {
  const odeon__engine_cache *c = e->req->cache ? *e->req->cache : NULL;
  size_t n = 0;
  for (int b = 0; c && c->be == e->be && b < B_HIN; b++)
    n += c->sizes[b] * (size_t)c->n_slots;
  return n;
}

static size_t physical_memory(void) {
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (size_t)pages * (size_t)size : (size_t)1 << 32;
}

/* Declare output `id` and open its sink: the .npy file `file` when not
   NULL, else the caller's memory `user`, else memory the result owns. */
static int open_output(engine *e, odeon__out_id id, odeon_dtype dtype, int ndim,
                       const int64_t *shape, const char *const *axes,
                       const char *const *labels, int64_t n_labels, void *user,
                       const char *file) {
  static const char *const descr[] = {"<f8", "<f4", "<u4", "<i8"};
  int st = odeon__result_add(e->result, id, dtype, ndim, shape, axes, labels,
                             n_labels, user, file);
  const odeon__output *o = &e->result->out[id];
  if (!st && file)
    st = odeon__sink_file(&e->sink[id], file, descr[dtype], ndim, shape,
                          o->esize);
  else if (!st)
    odeon__sink_memory(&e->sink[id], o->data, o->esize);
  return st;
}

/* "dir/big.npy" + "observables" -> "dir/big-observables.npy" (the names
   the command-line program gives the outputs beside --out). */
static int sibling(const char *path, const char *what, char *buf, size_t size) {
  size_t n = strlen(path);
  if (n >= 4 && !strcmp(path + n - 4, ".npy"))
    n -= 4;
  int len = snprintf(buf, size, "%.*s-%s.npy", (int)n, path, what);
  if (len < 0 || (size_t)len >= size)
    return odeon__error(ODEON_E_INVAL, "engine: output path too long: %s",
                        path);
  return ODEON_OK;
}

/* Declare the outputs and open their destinations. When the state goes to
   a file, the observables and summaries (as large, per sample or window)
   go to files beside it; time, status and counters stay in memory. */
static int setup_outputs(engine *e) {
  const odeon__engine_request *req = e->req;
  odeon_dest_t auto_dest = {0};
  const odeon_dest_t *d = req->dest ? req->dest : &auto_dest;
  odeon_dtype rt = e->rb == 4 ? ODEON_DTYPE_F32 : ODEON_DTYPE_F64;
  static const char *const ax3[] = {"sample", "variable", "run"};
  static const char *const axw[] = {"window", "variable", "run"};
  static const char *const ax2[] = {"variable", "run"};
  static const char *const ax1r[] = {"run"};
  static const char *const ax1s[] = {"sample"};
  int st = odeon__result_create(e->runs, req->n_samples, &e->result);
  if (st)
    return st;
  int64_t sh[3] = {req->n_samples, e->nsav, e->runs};
  uint64_t state_bytes =
      (uint64_t)sh[0] * (uint64_t)sh[1] * (uint64_t)sh[2] * (uint64_t)e->rb;
  const char *path = d->path ? d->path : "odeon-result.npy";
  int to_file = 0;
  if (e->want_state) {
    to_file = d->kind == ODEON_DEST_FILE;
    if (d->kind == ODEON_DEST_AUTO) {
      double limit =
          d->ram_limit > 0 ? d->ram_limit : 0.5 * (double)physical_memory();
      to_file = (double)state_bytes > limit;
    }
    void *user = NULL;
    if (d->kind == ODEON_DEST_USER) {
      if (!d->user_state || d->user_state_bytes < state_bytes)
        return odeon__error(ODEON_E_INVAL,
                            "engine: the caller's state buffer holds %zu "
                            "bytes, the state output needs %llu "
                            "([%lld samples][%lld vars][%lld runs] of %d "
                            "bytes)",
                            d->user_state ? d->user_state_bytes : 0,
                            (unsigned long long)state_bytes, (long long)sh[0],
                            (long long)sh[1], (long long)sh[2], e->rb);
      user = d->user_state;
    }
    st = open_output(e, ODEON__OUT_STATE, rt, 3, sh, ax3, req->state_labels,
                     e->nsav, user, to_file ? path : NULL);
  } else if (d->kind == ODEON_DEST_USER || d->kind == ODEON_DEST_FILE) {
    return odeon__error(ODEON_E_INVAL,
                        "engine: a %s destination needs the state output "
                        "(outputs include 'state' and at least one saved "
                        "state)",
                        d->kind == ODEON_DEST_USER ? "caller-buffer" : "file");
  }
  char side[4200];
  if (!st && e->want_obs) {
    int64_t s[3] = {req->n_samples, e->nobs, e->runs};
    if (to_file)
      st = sibling(path, "observables", side, sizeof side);
    if (!st)
      st = open_output(e, ODEON__OUT_OBS, rt, 3, s, ax3, req->obs_labels,
                       e->nobs, NULL, to_file ? side : NULL);
  }
  if (!st && e->want_sum) {
    int64_t s[3] = {req->n_windows, e->nsum, e->runs};
    if (to_file)
      st = sibling(path, "summaries", side, sizeof side);
    if (!st)
      st = open_output(e, ODEON__OUT_SUMMARIES, rt, 3, s, axw,
                       req->summary_labels, e->nsum, NULL,
                       to_file ? side : NULL);
  }
  if (!st && (req->outputs & ODEON_OUT_TIME) && req->n_samples > 0) {
    int64_t s[1] = {req->n_samples};
    st = open_output(e, ODEON__OUT_TIME, ODEON_DTYPE_F64, 1, s, ax1s, NULL, 0,
                     NULL, NULL);
    if (!st)
      memcpy(e->result->out[ODEON__OUT_TIME].data, req->sample_times,
             (size_t)req->n_samples * sizeof(double));
  }
  if (!st) {
    int64_t s[1] = {e->runs};
    st = open_output(e, ODEON__OUT_STATUS, ODEON_DTYPE_U32, 1, s, ax1r, NULL, 0,
                     NULL, NULL);
  }
  if (!st && e->want_cnt) {
    int64_t s[2] = {e->ncnt, e->runs};
    st = open_output(e, ODEON__OUT_COUNTERS, ODEON_DTYPE_I64, 2, s, ax2,
                     req->counter_labels, e->ncnt, NULL, NULL);
  }
  if (st)
    return st;
  e->bytes_total = 0;
  for (int i = 0; i < ODEON__OUT_COUNT; i++)
    if (i != ODEON__OUT_TIME)
      e->bytes_total +=
          (long long)odeon__result_bytes(e->result, (odeon__out_id)i);
  return ODEON_OK;
}

static int check_request(engine *e) {
  const odeon__engine_request *req = e->req;
  if (!req->backend || !req->module || !req->grid)
    return odeon__error(ODEON_E_INVAL,
                        "engine: request lacks a backend, module or grid");
  const long long *info = req->info;
  e->rb = (int)info[ODEON_INFO_REAL_BYTES];
  if (info[ODEON_INFO_ABI] != ODEON_KERNEL_ABI || (e->rb != 4 && e->rb != 8))
    return odeon__error(ODEON_E_INVAL,
                        "engine: kernel info has ABI %lld and %d-byte reals "
                        "(expected ABI %d, 4 or 8)",
                        info[ODEON_INFO_ABI], e->rb, ODEON_KERNEL_ABI);
  e->ns = info[ODEON_INFO_N_STATES];
  e->np = info[ODEON_INFO_N_PARAMS];
  e->nsav = info[ODEON_INFO_N_SAVED];
  e->nobs = info[ODEON_INFO_N_OBS_SAVED];
  e->nsum = info[ODEON_INFO_N_SUMMARY_ROWS];
  e->ncnt = info[ODEON_INFO_N_COUNTERS];
  e->ncarry = info[ODEON_INFO_CARRY_LEN];
  if (e->ns < 0 || e->np < 0 || e->nsav < 0 || e->nobs < 0 || e->nsum < 0 ||
      e->ncnt < 0 || e->ncarry < 0)
    return odeon__error(ODEON_E_INVAL, "engine: negative counts in kernel "
                                       "info");
  if (odeon__grid_count(req->grid, ODEON_SYM_STATE) != e->ns ||
      odeon__grid_count(req->grid, ODEON_SYM_PARAMETER) != e->np)
    return odeon__error(
        ODEON_E_INVAL,
        "engine: the grid has %lld states and %lld parameters, the kernel "
        "%lld and %lld",
        (long long)odeon__grid_count(req->grid, ODEON_SYM_STATE),
        (long long)odeon__grid_count(req->grid, ODEON_SYM_PARAMETER), e->ns,
        e->np);
  if (req->n_samples < 0 || req->n_windows < 0 ||
      (req->n_samples > 0 && (req->outputs & ODEON_OUT_TIME) &&
       !req->sample_times))
    return odeon__error(ODEON_E_INVAL,
                        "engine: %lld samples, %lld windows, sample times %s",
                        req->n_samples, req->n_windows,
                        req->sample_times ? "given" : "missing");
  if (req->base.driver_stride < 0 ||
      (req->base.driver_stride > 0 &&
       req->drivers_bytes < (size_t)req->base.driver_stride *
                                (size_t)odeon_grid_runs(req->grid) *
                                (size_t)req->info[ODEON_INFO_REAL_BYTES]))
    return odeon__error(ODEON_E_INVAL,
                        "engine: per-run driver blocks of %lld reals need "
                        "one block per run (%zu bytes given)",
                        req->base.driver_stride, req->drivers_bytes);
  if (req->slots < 0 || req->slots > MAX_SLOTS)
    return odeon__error(ODEON_E_INVAL,
                        "engine: slots must be 0 (= 2) to %d, "
                        "got %d",
                        MAX_SLOTS, req->slots);
  if (req->chunk_runs < 0 || req->window_samples < 0 || req->timeout < 0 ||
      req->probe_runs < 0 || req->writeback_threads < 0 ||
      !(req->device_budget >= 0))
    return odeon__error(ODEON_E_INVAL,
                        "engine: chunk runs %lld, window samples %lld, "
                        "timeout %g and device budget %g must not be negative",
                        req->chunk_runs, req->window_samples, req->timeout,
                        req->device_budget);
  e->runs = odeon_grid_runs(req->grid);
  e->want_state = (req->outputs & ODEON_OUT_STATE) && e->nsav > 0;
  e->want_obs = (req->outputs & ODEON_OUT_OBSERVABLES) && e->nobs > 0;
  e->want_sum =
      (req->outputs & ODEON_OUT_SUMMARIES) && e->nsum > 0 && req->n_windows > 0;
  e->want_cnt = (req->outputs & ODEON_OUT_COUNTERS) && e->ncnt > 0;
  e->timeout = req->timeout > 0 ? req->timeout : 600.0;
  /* Helpers for large writebacks: half the cores (the rest compute or feed
     the device), at most MAX_HELPERS. */
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  e->helpers = req->writeback_threads > 0 ? req->writeback_threads
               : ncpu > 2                 ? (int)(ncpu / 2) - 1
                                          : 0;
  if (e->helpers > MAX_HELPERS)
    e->helpers = MAX_HELPERS;
  e->n_slots = req->slots ? req->slots : 2;
  return ODEON_OK;
}

static int make_plan(engine *e) {
  const odeon__engine_request *req = e->req;
  size_t free_b = 0, total_b = 0;
  int st = e->ops->mem_info(e->be, &free_b, &total_b);
  if (st)
    return odeon__error_context(st, "engine: memory info: ");
  free_b += cached_device_bytes(e);
  double b = req->device_budget;
  size_t budget = b > 1.0   ? (size_t)b
                  : b > 0.0 ? (size_t)(b * (double)free_b)
                            : (size_t)(0.8 * (double)free_b);
  if (budget > free_b)
    budget = free_b;
  if (budget <= req->drivers_bytes)
    return odeon__error(ODEON_E_NOMEM,
                        "engine: device budget of %zu bytes (%zu free) "
                        "leaves nothing after %zu bytes of driver data",
                        budget, free_b, req->drivers_bytes);
  odeon__plan_input *p = &e->pin;
  size_t rb = (size_t)e->rb;
  p->runs = e->runs;
  p->n_samples = req->n_samples;
  p->n_windows = req->n_windows;
  double se = req->base.save_every, sw = req->base.summarise_every;
  p->samples_per_window =
      se > 0 && sw > 0 ? (long long)floor(sw / se + 0.5) : 0;
  p->in_bytes = (size_t)(e->ns + e->np) * rb;
  p->carry_bytes = (size_t)e->ncarry * 8;
  p->final_bytes = 4 + (e->want_cnt ? (size_t)e->ncnt * 8 : 0);
  p->sample_bytes = ((e->want_state ? (size_t)e->nsav : 0) +
                     (e->want_obs ? (size_t)e->nobs : 0)) *
                    rb;
  p->window_bytes = e->want_sum ? (size_t)e->nsum * rb : 0;
  p->device_bytes = budget - req->drivers_bytes;
  p->pinned_bytes = req->pinned_cap ? req->pinned_cap : (size_t)256 << 20;
  p->slots = e->n_slots;
  p->force_chunk = req->chunk_runs;
  p->force_window = req->window_samples;
  st = odeon__plan_make(p, &e->plan);
  if (!st)
    e->n_slots = e->plan.slots;
  return st;
}

int odeon__engine_solve(const odeon__engine_request *req,
                        odeon_result_t **out) {
  if (!out)
    return odeon__error(ODEON_E_INVAL, "engine: out is NULL");
  *out = NULL;
  if (!req)
    return odeon__error(ODEON_E_INVAL, "engine: request is NULL");
  engine *e = calloc(1, sizeof *e);
  if (!e)
    return odeon__error(ODEON_E_NOMEM, "engine: out of memory");
  e->req = req;
  e->be = req->backend;
  e->ops = req->backend ? req->backend->ops : NULL;
  if (pthread_mutex_init(&e->mu, NULL)) {
    free(e);
    return odeon__error(ODEON_E_BACKEND, "engine: pthread_mutex_init");
  }
  if (odeon__cond_init(&e->cv)) {
    pthread_mutex_destroy(&e->mu);
    free(e);
    return odeon__error(ODEON_E_BACKEND, "engine: pthread_cond_init");
  }
  int st = check_request(e);
  if (!st)
    st = make_plan(e);
  if (!st)
    st = setup_outputs(e);
  if (!st && req->drivers && req->drivers_bytes)
    st = e->ops->dev_alloc(e->be, req->drivers_bytes, &e->d_drivers);
  size_t sizes[N_BUF] = {0};
  if (!st)
    st = setup_slots(e, sizes);
  long long probe = req->probe_runs > 0 ? req->probe_runs : PROBE_RUNS;
  if (!st && e->plan.chunk_runs > probe)
    e->time_cap = probe;
  if (!st && e->d_drivers) {
    /* The drivers go up once, and the upload is waited for before any
       chunk is queued on any stream. */
    slot *s0 = &e->slots[0];
    st = e->ops->copy_h2d_async(s0->stream, e->d_drivers, req->drivers,
                                req->drivers_bytes);
    if (!st)
      st = e->ops->event_record(s0->event, s0->stream);
    if (!st)
      st = e->ops->event_wait(s0->event, odeon__now() + e->timeout);
    if (st)
      odeon__error_context(st, "engine: uploading driver data: ");
  }
  if (!st) {
    int rc = pthread_create(&e->writeback, NULL, writeback_main, e);
    if (rc)
      st = odeon__error(ODEON_E_BACKEND,
                        "engine: cannot start the writeback thread (errno %d)",
                        rc);
    else
      e->writeback_started = 1;
  }
  if (st) {
    fail(e, st, "%s", "");
  } else {
    long long first = 0, n = 0;
    for (long long c = 0; first < e->runs; c++, first += n)
      if (run_chunk(e, c, first, &n) || failed(e))
        break;
  }
  pthread_mutex_lock(&e->mu);
  e->producer_done = 1;
  pthread_cond_broadcast(&e->cv);
  int err = e->status;
  pthread_mutex_unlock(&e->mu);
  if (err) {
    /* Stop the streams first: queued work is discarded and its events are
       signalled, which wakes a writeback thread waiting on one. */
    for (int i = 0; i < e->n_slots; i++) {
      if (e->slots[i].stream)
        e->ops->stream_destroy(e->be, e->slots[i].stream);
      e->slots[i].stream = NULL;
    }
  }
  if (e->writeback_started)
    pthread_join(e->writeback, NULL);
  if (!e->status && req->cache)
    store_cache(e, sizes);
  else
    free_slots(e);
  if (e->d_drivers)
    e->ops->dev_free(e->be, e->d_drivers);
  err = e->status; /* the writeback thread has ended: no lock needed */
  for (int i = 0; i < ODEON__OUT_COUNT; i++) {
    int cst = odeon__sink_close(&e->sink[i], !err);
    if (cst && !err)
      err = fail(e, cst, "engine: closing the output file: ");
  }
  if (err) {
    odeon_result_destroy(e->result);
    st = odeon__error(err, "%s", e->msg);
  } else {
    odeon__result_finish(e->result);
    *out = e->result;
    st = ODEON_OK;
  }
  pthread_cond_destroy(&e->cv);
  pthread_mutex_destroy(&e->mu);
  free(e);
  return st;
}
