/* drain.c - drained outputs: results pulled from the device piece by
 * piece. Into pageable memory every result byte crosses host memory three
 * times (the download into pinned staging, the copy's read and its write);
 * with a slot's whole download landing before its first byte is copied,
 * the copy reads it back from DRAM. A drain lane instead downloads a piece
 * of a few MiB into one of its two pinned buffers on its own stream while
 * it copies the previous piece out; the piece is read back while the DMA's
 * writes are still in the last-level cache, and the lanes' downloads and
 * copies overlap piece by piece. The lanes are threads of the writeback
 * stage, alive for the whole solve. On the H100 host (bench/NOTES.md,
 * output-bound into a caller's pageable buffer): 0.83-0.94x of the pinned
 * download bandwidth, where whole slots through staging reach 0.5-0.76x. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/sync.h"
#include "engine/engine_internal.h"
#include "util/stream_copy.h"
#include "util/parallel.h"
#include "util/trace.h"

#define PIECE_DEFAULT ((size_t)4 << 20)
/* Pieces are whole elements: a multiple of the largest element size. */
#define PIECE_ALIGN 64

/* Outputs that can be drained: those whose rows grow with the samples or
   windows (the per-run finals are small and stay staged), when they go
   through staging to memory or a file. */
static int drainable(const odeon__engine *e, int id) {
  return (id == ODEON__OUT_STATE || id == ODEON__OUT_OBS ||
          id == ODEON__OUT_SUMMARIES) &&
         !e->direct[id] && (e->sink[id].mem || e->sink[id].npy);
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

void odeon__engine_drain_none(odeon__engine *e) {
  memset(e->drain, 0, sizeof e->drain);
  e->draining = 0;
  e->n_lanes = 0;
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
  odeon__engine_drain_none(e);
  if (mode < 0)
    return ODEON_OK;
  /* The staged bytes of the drainable outputs over this solve's runs. */
  double bytes = 0;
  double share = (double)(e->run_end - e->run_begin) / (double)e->runs;
  for (int id = 0; id < ODEON__OUT_COUNT; id++)
    if (drainable(e, id))
      bytes += (double)odeon__result_bytes(e->result, id) * share;
  size_t cap = req->pinned_cap ? req->pinned_cap : (size_t)256 << 20;
  /* Automatic: on a GPU, when the results outgrow the staging (a slot's
     whole download is no longer small enough to stay in the cache). */
  int gpu = strcmp(e->ops->name, "cpu") != 0;
  if (!bytes || (mode == 0 && (!gpu || bytes < (double)cap)))
    return ODEON_OK;
  /* The lanes' buffers take at most half the staging cap: fewer lanes
     when even the smallest pieces do not fit, none when one lane's do
     not. */
  int n_lanes = lanes > 0 ? lanes : e->helpers + 1;
  if (n_lanes > ODEON__MAX_LANES)
    n_lanes = ODEON__MAX_LANES;
  while (n_lanes > 1 && 2 * PIECE_ALIGN * (size_t)n_lanes > cap / 2)
    n_lanes--;
  if (2 * PIECE_ALIGN * (size_t)n_lanes > cap / 2)
    return ODEON_OK;
  for (int id = 0; id < ODEON__OUT_COUNT; id++)
    e->drain[id] = drainable(e, id);
  e->draining = 1;
  e->n_lanes = n_lanes;
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
   of their device rows ([rows][n], one block), numbered output by output.
   The lanes are threads that live as long as the writeback thread; each
   takes the oldest untaken piece of any submitted slot, so that the lanes
   move on to the next slot's pieces while the last ones of a slot are
   still landing, and a lane the operating system holds back leaves its
   share to the others. Counters under e->mu. */
struct odeon__drain_job {
  const odeon__slot *s;
  odeon__item_out out[ODEON__ITEM_MAX];
  size_t bytes[ODEON__ITEM_MAX];
  size_t first[ODEON__ITEM_MAX + 1]; /* the first piece of each output */
  int n;
  size_t total, taken, done; /* pieces */
  int status;                /* the first failure */
  char msg[ODEON__ENGINE_MSG];
  double submitted; /* for the trace */
};
typedef struct odeon__drain_job drain_job;

/* The output and byte range of piece g (pieces of `piece` bytes). */
static int piece_of(const drain_job *j, size_t piece, size_t g, size_t *at,
                    size_t *len) {
  int k = 0;
  while (g >= j->first[k + 1])
    k++;
  *at = (g - j->first[k]) * piece;
  *len = j->bytes[k] - *at < piece ? j->bytes[k] - *at : piece;
  return k;
}

static drain_job *job_of(const odeon__engine *e, const odeon__slot *s) {
  return &e->jobs[s - e->slots];
}

static int queue_piece(odeon__engine *e, odeon__lane *l, const drain_job *j,
                       size_t g, int b) {
  size_t at, len;
  const odeon__item_out *o = &j->out[piece_of(j, e->piece, g, &at, &len)];
  int st = e->ops->copy_d2h_async(l->stream, l->buf[b],
                                  (const unsigned char *)o->dev + at, len);
  if (!st)
    st = e->ops->event_record(l->event[b], l->stream);
  return st;
}

/* Copy piece g, landed in `from`, to its destination rows: the device's
   rows hold the slot's n runs, the destination's all runs. */
static int deliver_piece(odeon__engine *e, const drain_job *j, size_t g,
                         const unsigned char *from) {
  size_t at, len;
  const odeon__item_out *o = &j->out[piece_of(j, e->piece, g, &at, &len)];
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

/* With mu held: the oldest untaken piece of a submitted job, if any (a job
   that has failed gives none). */
static int take(odeon__engine *e, int *job, size_t *g) {
  while (e->jq_len) {
    int k = e->job_queue[e->jq_head];
    drain_job *j = &e->jobs[k];
    int got = j->taken < j->total && !j->status;
    if (got) {
      *job = k;
      *g = j->taken++;
    }
    if (!got || j->taken == j->total) { /* nothing left to take in it */
      e->jq_head = (e->jq_head + 1) % ODEON__MAX_SLOTS;
      e->jq_len--;
    }
    if (got)
      return 1;
  }
  return 0;
}

/* Piece g of job k has been delivered, or has failed with st. */
static void finish_piece(odeon__engine *e, int lane, int k, size_t g, int st) {
  drain_job *j = &e->jobs[k];
  char why[ODEON__ENGINE_MSG - 256] = ""; /* room for the lane's words */
  if (st)
    snprintf(why, sizeof why, "%s", odeon_last_error());
  pthread_mutex_lock(&e->mu);
  j->done++;
  e->pieces_done++;
  if (st && !j->status) {
    size_t at, len;
    int o = piece_of(j, e->piece, g, &at, &len);
    j->status = st;
    snprintf(j->msg, sizeof j->msg,
             "drain lane %d, %.32s bytes %zu..%zu of %zu: %s", lane,
             odeon__out_name(j->out[o].id), at, at + len - 1, j->bytes[o], why);
  }
  if (st || j->done == j->total)
    pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
}

typedef struct lane_arg {
  odeon__engine *e;
  int index;
} lane_arg;

/* A lane: takes a piece and queues its download; while it waits for it,
   it queues the next piece's download (from whichever slot) into its other
   buffer; then it copies the landed piece out. Idle, it waits for work
   until the writeback thread stops it or the engine fails. */
static void *lane_main(void *arg) {
  const lane_arg *a = arg;
  odeon__engine *e = a->e;
  odeon__lane *l = &e->lanes[a->index];
  int k = -1;
  size_t g = 0;
  pthread_mutex_lock(&e->mu);
  for (;;) {
    while (!e->lanes_quit && !e->status && !take(e, &k, &g))
      (void)odeon__cond_wait_until(&e->cv, &e->mu, odeon__now() + e->timeout);
    if (e->lanes_quit || e->status)
      break;
    pthread_mutex_unlock(&e->mu);
    int b = 0, st = queue_piece(e, l, &e->jobs[k], g, 0);
    for (;;) {
      int k2 = -1, more = 0, st2 = ODEON_OK;
      size_t g2 = 0;
      if (!st) {
        pthread_mutex_lock(&e->mu);
        more = !e->status && take(e, &k2, &g2);
        pthread_mutex_unlock(&e->mu);
      }
      if (more) /* the next piece downloads while this one is copied */
        st2 = queue_piece(e, l, &e->jobs[k2], g2, b ^ 1);
      if (!st)
        st = e->ops->event_wait(l->event[b], odeon__now() + e->timeout);
      if (!st)
        st = deliver_piece(e, &e->jobs[k], g, l->buf[b]);
      /* the copies' streamed stores are complete before the slot can be
         released */
      odeon__stream_fence();
      finish_piece(e, a->index, k, g, st);
      if (!more)
        break;
      k = k2;
      g = g2;
      st = st2;
      b ^= 1;
    }
    pthread_mutex_lock(&e->mu);
  }
  pthread_mutex_unlock(&e->mu);
  return NULL;
}

int odeon__engine_lanes_start(odeon__engine *e) {
  if (!e->draining || !e->n_lanes)
    return ODEON_OK;
  /* the jobs (one per slot), then the lanes' arguments, in one block */
  size_t jb = sizeof(drain_job) * (size_t)e->n_slots;
  unsigned char *mem = calloc(1, jb + sizeof(lane_arg) * ODEON__MAX_LANES);
  if (!mem)
    return odeon__error(ODEON_E_NOMEM, "engine: drain jobs: out of memory");
  e->jobs = (drain_job *)(void *)mem;
  lane_arg *args = (lane_arg *)(void *)(mem + jb);
  for (int i = 0; i < e->n_lanes; i++) {
    args[i] = (lane_arg){e, i};
    if (odeon__thread_start(&e->lane_threads[i], lane_main, &args[i]))
      break; /* fewer lanes; none at all is an error */
    e->lanes_started++;
  }
  if (!e->lanes_started)
    return odeon__error(ODEON_E_BACKEND,
                        "engine: cannot start a drain lane thread");
  return ODEON_OK;
}

void odeon__engine_lanes_stop(odeon__engine *e) {
  pthread_mutex_lock(&e->mu);
  e->lanes_quit = 1;
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
  for (int i = 0; i < e->lanes_started; i++)
    pthread_join(e->lane_threads[i], NULL);
  e->lanes_started = 0;
  free(e->jobs);
  e->jobs = NULL;
}

int odeon__engine_drain_submit(odeon__engine *e, const odeon__slot *s,
                               const odeon__item_out *out, int n_out) {
  drain_job *j = job_of(e, s);
  memset(j, 0, sizeof *j);
  j->s = s;
  for (int k = 0; k < n_out; k++) {
    if (!e->drain[out[k].id])
      continue;
    j->out[j->n] = out[k];
    j->bytes[j->n] = (size_t)out[k].rows * (size_t)s->n * out[k].esize;
    j->first[j->n + 1] =
        j->first[j->n] + (j->bytes[j->n] + e->piece - 1) / e->piece;
    j->n++;
  }
  j->total = j->first[j->n];
  if (!j->total)
    return 0;
  j->submitted = odeon__now();
  pthread_mutex_lock(&e->mu);
  e->job_queue[(e->jq_head + e->jq_len) % ODEON__MAX_SLOTS] =
      (int)(s - e->slots);
  e->jq_len++;
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
  return 1;
}

int odeon__engine_drained(const odeon__engine *e, const odeon__slot *s) {
  const drain_job *j = job_of(e, s);
  return j->done == j->total || j->status;
}

int odeon__engine_drain_wait(odeon__engine *e, const odeon__slot *s) {
  drain_job *j = job_of(e, s);
  pthread_mutex_lock(&e->mu);
  double deadline = odeon__now() + e->timeout;
  size_t seen = j->done;
  int st = ODEON_OK;
  while (j->done < j->total && !j->status && !e->status) {
    int rc = odeon__cond_wait_until(&e->cv, &e->mu, deadline);
    if (j->done != seen) {
      seen = j->done;
      deadline = odeon__now() + e->timeout;
    } else if (rc && j->done < j->total && !j->status && !e->status) {
      st = odeon__error(ODEON_E_TIMEOUT,
                        "drain: no piece landed within %g s (%zu of %zu "
                        "delivered)",
                        e->timeout, j->done, j->total);
      break;
    }
  }
  if (!st && j->status)
    st = odeon__error(j->status, "%s", j->msg);
  else if (!st && e->status)
    st = e->status; /* failed elsewhere: the engine has that message */
  double t0 = j->submitted;
  pthread_mutex_unlock(&e->mu);
  if (!st)
    odeon__trace_complete("drain", s->chunk, t0, odeon__now(), "drain lanes");
  return st;
}
