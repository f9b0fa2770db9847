/* writeback.c - the engine's writeback thread: waits (with a deadline) for
 * each posted slot's event, moves its staging data to the destinations,
 * split over helper threads when large, drains its drained outputs
 * (drain.c), reports progress, frees the slot. */
#include <stdio.h>
#include <string.h>

#include "backend/sync.h"
#include "engine/engine_internal.h"
#include "util/parallel.h"
#include "util/stream_copy.h"
#include "util/trace.h"

/* One writeback, split into parts. With many rows (a row is the chunk's
   runs of one sample and variable), part p takes the rows whose running
   index is congruent to p modulo the parts; with fewer rows than that
   spreads well (a start-and-end solve has 2 x states + 1 rows of millions
   of runs), part p takes its share of the runs of every row. Parts never
   touch the same bytes. Outputs the device copied straight into their
   destination (e->direct) only have their failed runs counted. */
typedef struct wb_job {
  odeon__engine *e;
  const odeon__slot *s;
  odeon__item_out out[ODEON__ITEM_MAX];
  int n_out, by_runs;
} wb_job;

static int deliver_part(void *ctx, int part, int parts) {
  const wb_job *j = ctx;
  odeon__engine *e = j->e;
  long long first = j->s->first, n = j->s->n, row = 0;
  long long lo = j->by_runs ? n * part / parts : 0;
  long long hi = j->by_runs ? n * (part + 1) / parts : n;
  int st = ODEON_OK;
  for (int k = 0; k < j->n_out && !st; k++) {
    const odeon__item_out *o = &j->out[k];
    odeon__sink *sink = &e->sink[o->id];
    int direct = e->direct[o->id];
    if ((direct && o->id != ODEON__OUT_STATUS) || e->drain[o->id])
      continue; /* nothing to copy here, no failed runs to count */
    for (long long r = 0; r < o->rows && !st; r++) {
      if (!j->by_runs && row++ % parts != part)
        continue;
      /* staging [rows][n] -> destination [row0 + r][runs] at first */
      uint64_t elem =
          (uint64_t)(o->row0 + r) * (uint64_t)e->runs + (uint64_t)(first + lo);
      const unsigned char *from =
          direct ? sink->mem + elem * o->esize
                 : j->s->h_out + o->off +
                       ((size_t)r * (size_t)n + (size_t)lo) * o->esize;
      if (!direct)
        st = odeon__sink_write(sink, elem, from, (size_t)(hi - lo));
      if (!st && o->id == ODEON__OUT_STATUS) {
        int64_t failed = 0;
        for (long long i = 0; i < hi - lo; i++)
          failed += ((const uint32_t *)(const void *)from)[i] != 0;
        odeon__result_count_failed(e->result, failed);
      }
    }
  }
  /* the memory sinks' streamed stores are complete before the join */
  odeon__stream_fence();
  return st;
}

/* Bytes a slot's item delivers: all of them, or only those that go
   through the slot's staging (staged_only). */
static long long item_bytes(const odeon__engine *e, const odeon__slot *s,
                            int staged_only) {
  odeon__item_out out[ODEON__ITEM_MAX];
  int k = odeon__item_outputs(e, s, s->sb, s->se, s->wb, s->we, s->last, out);
  long long b = 0;
  for (int i = 0; i < k; i++)
    if (!staged_only || odeon__engine_staged(e, out[i].id))
      b += out[i].rows * s->n * (long long)out[i].esize;
  return b;
}

/* A thread per this many bytes: below it a helper thread costs more than it
   saves. */
#define PART_BYTES ((size_t)4 << 20)

/* Move a slot's staging data to the destination. Large items are split
   over helper threads: one thread copying, and faulting in fresh result
   pages, cannot keep up with a GPU's downloads. Drained outputs are left
   to the lanes (out[0..*n_out) receives the item's outputs). */
static int deliver(odeon__engine *e, const odeon__slot *s,
                   odeon__item_out out[ODEON__ITEM_MAX], int *n_out) {
  wb_job j = {e, s, {{0}}, 0, 0};
  j.n_out =
      odeon__item_outputs(e, s, s->sb, s->se, s->wb, s->we, s->last, j.out);
  memcpy(out, j.out, sizeof j.out);
  *n_out = j.n_out;
  long long rows = 0;
  for (int k = 0; k < j.n_out; k++)
    rows += j.out[k].rows;
  int threads =
      odeon__parts_for((size_t)item_bytes(e, s, 1), PART_BYTES, e->helpers + 1);
  /* by rows where there are enough of them to share out evenly, else each
     grain takes a range of runs of every row */
  j.by_runs = rows < 4LL * odeon__grains_for(threads);
  return odeon__run_shared(deliver_part, &j, threads);
}

/* Slot s's item is wholly delivered: count it, report progress (the
   callback may cancel) and release the slot to the producer. */
static void finish_slot(odeon__engine *e, odeon__slot *s) {
  const odeon__engine_request *req = e->req;
  long long bytes = item_bytes(e, s, 0);
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
    odeon__engine_fail(e, ODEON_E_CANCELLED, "engine: chunk %lld: ", s->chunk);
  }
  pthread_mutex_lock(&e->mu);
  s->busy = 0;
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
}

static void fail_writeback(odeon__engine *e, const odeon__slot *s, int st) {
  odeon__engine_fail(e, st,
                     "engine: writeback of chunk %lld (runs %lld..%lld), time "
                     "window %lld: ",
                     s->chunk, s->first, s->first + s->n - 1, s->launch);
}

/* The writeback thread. Slots whose outputs are being drained wait in
   `pend` (oldest first) while the next posted slot is already taken and
   handed to the lanes; each is released once its drain ends. */
void *odeon__engine_writeback_main(void *arg) {
  odeon__engine *e = arg;
  int pend[ODEON__MAX_SLOTS], p_head = 0, p_len = 0;
  int st = odeon__engine_lanes_start(e);
  if (st)
    odeon__engine_fail(e, st, "engine: writeback: ");
  pthread_mutex_lock(&e->mu);
  for (;;) {
    odeon__slot *head = p_len ? &e->slots[pend[p_head]] : NULL;
    double deadline = odeon__now() + e->timeout;
    while (!e->q_len && !e->producer_done && !e->status &&
           !(head && odeon__engine_drained(e, head))) {
      if (odeon__cond_wait_until(&e->cv, &e->mu, deadline) && !e->q_len &&
          !e->producer_done && !e->status) {
        if (head)
          break; /* the drain in flight has its own deadline */
        pthread_mutex_unlock(&e->mu);
        odeon__error(ODEON_E_TIMEOUT, "no chunk was posted within %g s",
                     e->timeout);
        odeon__engine_fail(e, ODEON_E_TIMEOUT, "engine: writeback: ");
        pthread_mutex_lock(&e->mu);
      }
    }
    if (e->status)
      break;
    if (head && (!e->q_len || odeon__engine_drained(e, head))) {
      pthread_mutex_unlock(&e->mu);
      st = odeon__engine_drain_wait(e, head);
      if (st)
        fail_writeback(e, head, st);
      else
        finish_slot(e, head);
      p_head = (p_head + 1) % ODEON__MAX_SLOTS;
      p_len--;
      pthread_mutex_lock(&e->mu);
      continue;
    }
    if (!e->q_len)
      break; /* the producer is done and every slot is written back */
    odeon__slot *s = &e->slots[e->queue[e->q_head]];
    e->q_head = (e->q_head + 1) % ODEON__MAX_SLOTS;
    e->q_len--;
    pthread_mutex_unlock(&e->mu);

    odeon__trace_begin("wait event", s->chunk);
    st = e->ops->event_wait(s->event, odeon__now() + e->timeout);
    odeon__trace_end("wait event", s->chunk);
    if (st) {
      odeon__engine_fail(
          e, st,
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
    pthread_mutex_lock(&e->mu);
    s->gpu_busy = 0; /* the producer may refill its inputs (wait_slot_for) */
    if (took > 0) {
      double cap = e->timeout / 8 / (took / (double)s->n);
      e->time_cap = cap < 1 ? 1 : cap > 1e18 ? (long long)1e18 : (long long)cap;
    }
    e->time_measured = 1; /* the producer may be waiting for it */
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    odeon__item_out out[ODEON__ITEM_MAX];
    int n_out = 0;
    odeon__trace_begin("writeback", s->chunk);
    st = deliver(e, s, out, &n_out);
    odeon__trace_end("writeback", s->chunk);
    if (st) {
      fail_writeback(e, s, st);
      pthread_mutex_lock(&e->mu);
      break;
    }
    if (e->draining && odeon__engine_drain_submit(e, s, out, n_out)) {
      pend[(p_head + p_len) % ODEON__MAX_SLOTS] = (int)(s - e->slots);
      p_len++;
    } else {
      finish_slot(e, s);
    }
    pthread_mutex_lock(&e->mu);
  }
  pthread_mutex_unlock(&e->mu);
  odeon__engine_lanes_stop(e);
  return NULL;
}
