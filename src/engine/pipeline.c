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
#include "engine/engine_internal.h"
#include "engine/grid.h"
#include "util/parallel.h"
#include "util/trace.h"

/* Until the first launch has been timed, chunks hold at most this many runs
   (by default), so that a slow model cannot make the first chunks outlast
   the timeout. */
#define PROBE_RUNS 16384

int odeon__engine_fail(odeon__engine *e, int status, const char *fmt, ...) {
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

int odeon__engine_failed(odeon__engine *e) {
  pthread_mutex_lock(&e->mu);
  int st = e->status;
  pthread_mutex_unlock(&e->mu);
  return st;
}

/* ------------------------------------------------------------- producer */

/* Wait until the writeback thread has released `s` (gpu_only: until it
   has seen the slot's device work complete, which frees the input staging
   while the results are still being written back), or an error. The
   deadline restarts whenever any launch is written back or any drained
   piece delivered: the slot's turn comes after the launches queued before
   it, each bounded by the timeout, and a drained slot's pieces each are. */
static int wait_slot_for(odeon__engine *e, odeon__slot *s, int index,
                         int gpu_only) {
  const int *busy = gpu_only ? &s->gpu_busy : &s->busy;
  pthread_mutex_lock(&e->mu);
  double deadline = odeon__now() + e->timeout;
  long long seen = e->items_done + e->pieces_done;
  int st = ODEON_OK;
  while (*busy && !e->status) {
    int rc = odeon__cond_wait_until(&e->cv, &e->mu, deadline);
    if (e->items_done + e->pieces_done != seen) {
      seen = e->items_done + e->pieces_done;
      deadline = odeon__now() + e->timeout;
    } else if (rc && *busy && !e->status) {
      st = ODEON_E_TIMEOUT;
      break;
    }
  }
  long long chunk = s->chunk;
  if (!st)
    st = e->status;
  pthread_mutex_unlock(&e->mu);
  if (st == ODEON_E_TIMEOUT && !odeon__engine_failed(e)) {
    odeon__error(ODEON_E_TIMEOUT, "slot %d (chunk %lld) was not %s within %g s",
                 index, chunk, gpu_only ? "done on the device" : "written back",
                 e->timeout);
    return odeon__engine_fail(e, st, "engine: ");
  }
  return st;
}

static int wait_slot(odeon__engine *e, odeon__slot *s, int index) {
  return wait_slot_for(e, s, index, 0);
}

/* Wait until the probe chunk's launch has been timed (so that the next
   chunk gets its full size rather than another probe's), or an error. A
   launch is timed when its event completes, bounded like any launch. */
static int wait_measured(odeon__engine *e) {
  pthread_mutex_lock(&e->mu);
  double deadline = odeon__now() + e->timeout;
  int st = ODEON_OK;
  while (!e->time_measured && !e->status) {
    if (odeon__cond_wait_until(&e->cv, &e->mu, deadline) && !e->time_measured &&
        !e->status) {
      st = ODEON_E_TIMEOUT;
      break;
    }
  }
  if (!st)
    st = e->status;
  pthread_mutex_unlock(&e->mu);
  if (st == ODEON_E_TIMEOUT && !odeon__engine_failed(e)) {
    odeon__error(ODEON_E_TIMEOUT,
                 "the first chunk's launch did not finish within %g s",
                 e->timeout);
    return odeon__engine_fail(e, st, "engine: ");
  }
  return st;
}

/* Hand slot `index` to the writeback thread; `launched` is when its launch
   was queued (the start of what the writeback thread times). */
static void post(odeon__engine *e, int index, double launched) {
  e->slots[index].posted = launched;
  pthread_mutex_lock(&e->mu);
  e->slots[index].busy = 1;
  e->slots[index].gpu_busy = 1;
  e->queue[(e->q_head + e->q_len) % ODEON__MAX_SLOTS] = index;
  e->q_len++;
  pthread_cond_broadcast(&e->cv);
  pthread_mutex_unlock(&e->mu);
}

/* A chunk's input fill, split by runs into parts (a GPU's chunk holds
   millions of runs; one thread fills them slower than the GPU computes). */
typedef struct fill_job {
  odeon__engine *e;
  odeon__slot *s;
  long long first, n;
} fill_job;

/* Whether input column i (states, then parameters) is uniform. */
static int uniform_col(const odeon__engine *e, long long i) {
  return i < ODEON__UNIFORM_MAX && ((e->uniform >> i) & 1u);
}

/* A thread per this many bytes of inputs. */
#define FILL_PART_BYTES ((size_t)512 << 10)

static int fill_part(void *ctx, int part, int parts) {
  const fill_job *j = ctx;
  odeon__engine *e = j->e;
  const odeon__engine_request *req = e->req;
  long long lo = j->n * part / parts, hi = j->n * (part + 1) / parts;
  size_t rb = (size_t)e->rb, nn = (size_t)j->n;
  int st = ODEON_OK;
  size_t row = 0; /* uniform columns have no row */
  for (long long i = 0; !st && i < e->ns + e->np; i++) {
    if (uniform_col(e, i))
      continue;
    st = odeon__grid_fill(req->grid,
                          i < e->ns ? ODEON_SYM_STATE : ODEON_SYM_PARAMETER,
                          i < e->ns ? i : i - e->ns, j->first + lo, hi - lo,
                          e->rb, j->s->h_in + (row++ * nn + (size_t)lo) * rb);
  }
  return st;
}

/* The last chunk of a solve in several is split in two halves when it is
   more than half a chunk: its download and writeback are the part of the
   solve nothing overlaps, and halving it halves that tail (H100, A/B:
   whole solves 3-4% faster, tsit5 and rk4 at 2^22 and 2^23 runs). Not
   below this many runs a half, where a launch's fixed costs would eat
   the gain. */
#define TAIL_SPLIT_MIN_RUNS 65536

/* The runs of the chunk starting at `first`: the slot's capacity, less when
   the runs left or (unless `ignore_cap`) the measured launch time say so,
   and the first half of a last chunk split in two (TAIL_SPLIT_MIN_RUNS). */
static long long chunk_runs(odeon__engine *e, long long first, int ignore_cap) {
  long long c = e->plan.chunk_runs;
  pthread_mutex_lock(&e->mu);
  if (!ignore_cap && e->time_cap > 0 && c > e->time_cap)
    c = e->time_cap;
  pthread_mutex_unlock(&e->mu);
  const long long rem = e->run_end - first;
  if (rem > c)
    return c;
  if (first > e->run_begin && rem >= 2 * TAIL_SPLIT_MIN_RUNS && 2 * rem > c)
    return rem - rem / 2;
  return rem;
}

/* Fill slot s's input staging with runs first..first+n-1 (column-major by
   run, n the stride), split over the helper threads. */
static int fill(odeon__engine *e, odeon__slot *s, long long c, long long first,
                long long n) {
  size_t in_bytes = (size_t)e->in_rows * (size_t)n * (size_t)e->rb;
  odeon__trace_begin("fill", c);
  fill_job fj = {e, s, first, n};
  int st = odeon__run_shared(
      fill_part, &fj,
      odeon__parts_for(in_bytes, FILL_PART_BYTES, e->helpers + 1));
  odeon__trace_end("fill", c);
  return st;
}

/* The bits of x rounded to float, the kernel's input. */
static unsigned int float_bits(double x) {
  float f = (float)x;
  unsigned int bits;
  memcpy(&bits, &f, sizeof bits);
  return bits;
}

/* The chunk's inputs into the slot's device rows ([ns + np][n]): the staged
   rows uploaded (consecutive ones in one copy), the uniform ones set on the
   device (consecutive equal ones in one fill), so that the kernel reads
   every input as a row of its own. The uploads are queued first: a fill is
   a kernel, which waits for room on the GPU behind the other slot's
   running launch, where a copy runs beside it. */
static int upload_inputs(odeon__engine *e, odeon__slot *s, long long n) {
  const size_t nn = (size_t)n, rb = (size_t)e->rb, row_bytes = nn * rb;
  const long long cols = e->ns + e->np;
  int st = ODEON_OK;
  size_t staged = 0; /* staged rows passed */
  for (long long i = 0; !st && i < cols;) {
    long long j = i + 1;
    if (!uniform_col(e, i)) {
      while (j < cols && !uniform_col(e, j))
        j++;
      st = e->ops->copy_h2d_async(
          s->stream, (unsigned char *)s->d_in + (size_t)i * row_bytes,
          s->h_in + staged * row_bytes, (size_t)(j - i) * row_bytes);
      staged += (size_t)(j - i);
    }
    i = j;
  }
  for (long long i = 0; !st && i < cols;) {
    unsigned char *dst = (unsigned char *)s->d_in + (size_t)i * row_bytes;
    long long j = i + 1;
    if (!uniform_col(e, i)) {
      i = j; /* uploaded above */
      continue;
    }
    if (rb == 4) {
      unsigned int bits = float_bits(e->uniform_values[i]);
      while (j < cols && uniform_col(e, j) &&
             float_bits(e->uniform_values[j]) == bits)
        j++;
      st = e->ops->fill32_async(s->stream, dst, 0, bits, (size_t)(j - i) * nn,
                                1);
    } else {
      /* a double is two words: every other word, twice (one fill when its
         halves agree, as for 0.0) */
      unsigned int w[2];
      memcpy(w, &e->uniform_values[i], 8);
      if (w[0] == w[1])
        st = e->ops->fill32_async(s->stream, dst, 0, w[0], 2 * nn, 1);
      else
        for (int h = 0; h < 2 && !st; h++)
          st = e->ops->fill32_async(s->stream, dst + 4 * h, 8, w[h], 1, nn);
    }
    i = j;
  }
  return st;
}

/* Queue chunk c, starting at run `first`; returns its run count in *n_out
   (the slot's capacity, less when the runs left or the measured launch time
   say so). */
static int run_chunk(odeon__engine *e, long long c, long long first,
                     long long *n_out) {
  const odeon__engine_request *req = e->req;
  int index = (int)(c % e->n_slots);
  odeon__slot *s = &e->slots[index];
  /* The input staging and the device buffers are free once the slot's
     last item is done on the device: its results may still be being
     written back from the output staging, which the downloads below wait
     for, after the launch is queued (the GPU then computes this chunk while
     the host copies that one out). Drain lanes read the device buffers of
     a slot after its launch: a drained slot is waited for whole. */
  odeon__trace_begin("wait slot", c);
  int st = wait_slot_for(e, s, index, !e->draining);
  odeon__trace_end("wait slot", c);
  if (st)
    return st;
  /* While the probe's launch is still being timed, the chunk after it is
     filled at full size (the fill then overlaps the probe instead of
     following it), and filled again in the rare case that the measured
     time asks for fewer runs. */
  pthread_mutex_lock(&e->mu);
  int speculate = c > 0 && e->probing && !e->time_measured;
  pthread_mutex_unlock(&e->mu);
  long long n = chunk_runs(e, first, speculate);
  /* The slot is free: its stream has finished everything of its last
     chunk, so the input staging can be refilled. */
  st = fill(e, s, c, first, n);
  if (!st && speculate) {
    if ((st = wait_measured(e)))
      return st; /* it has failed the engine, with its message */
    long long m = chunk_runs(e, first, 0);
    if (m < n) {
      n = m;
      st = fill(e, s, c, first, n);
    }
  }
  *n_out = n;
  size_t nn = (size_t)n, rb = (size_t)e->rb;
  if (!st)
    st = upload_inputs(e, s, n);
  if (st)
    return odeon__engine_fail(
        e, st, "engine: chunk %lld (runs %lld..%lld): upload: ", c, first,
        first + n - 1);

  long long ns_total = req->n_samples, k = e->plan.window_samples;
  long long launches = e->plan.launches_per_chunk;
  long long wb = 0;
  for (long long j = 0; j < launches; j++) {
    long long sb = j * k;
    long long se =
        j + 1 == launches ? ns_total : (sb + k < ns_total ? sb + k : ns_total);
    long long we = odeon__plan_windows_done(&e->pin, se);
    if (we - wb > e->plan.windows_per_launch || se - sb > k)
      return odeon__engine_fail(
          e,
          odeon__error(ODEON_E_INTERNAL,
                       "launch %lld writes %lld windows, %lld "
                       "samples (room for %lld, %lld)",
                       j, we - wb, se - sb, e->plan.windows_per_launch, k),
          "engine: chunk %lld: ", c);
    int last = j + 1 == launches;
    odeon_kernel_args a = req->base;
    a.n = n;
    a.run_offset = first;
    a.y0 = s->d_in;
    a.params = (const unsigned char *)s->d_in + (size_t)e->ns * nn * rb;
    /* per-run driver blocks: those of this solve's runs are on the
       device, this chunk's start at its first run */
    a.drivers = e->d_drivers && req->base.driver_stride
                    ? (const void *)((const unsigned char *)e->d_drivers +
                                     (size_t)(first - e->run_begin) *
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
    a.h0 = e->h0 ? odeon__engine_h0(e, s, n) : NULL;
    /* Drained outputs are read from the device buffers after the launch
       completes: the next window may only overwrite them once the
       previous one is drained. */
    if (j > 0 && e->draining && (st = wait_slot(e, s, index)))
      return st;
    double launched = odeon__now();
    st = e->ops->launch_async(s->stream, req->module, &a);
    if (st)
      return odeon__engine_fail(
          e, st,
          "engine: chunk %lld (runs %lld..%lld), time window "
          "%lld: launch: ",
          c, first, first + n - 1, j);
    /* The launch is queued; its download may only overwrite the staging
       once the slot's previous item (the last chunk's or this chunk's
       previous window) is written back (a drained one has waited for that
       before its launch). */
    if (!e->draining) {
      odeon__trace_begin("wait staging", c);
      st = wait_slot(e, s, index);
      odeon__trace_end("wait staging", c);
      if (st)
        return st;
    }
    /* Each output straight into its destination where the device can
       write there (e->direct), else into the slot's staging; drained ones
       are left on the device for the drain lanes (drain.c). */
    odeon__item_out io[ODEON__ITEM_MAX];
    int n_io = odeon__item_outputs(e, s, sb, se, wb, we, last, io);
    for (int q = 0; q < n_io && !st; q++) {
      const odeon__item_out *o = &io[q];
      size_t w = nn * o->esize;
      if (e->drain[o->id])
        continue;
      if (e->direct[o->id])
        st = e->ops->copy_d2h_2d_async(
            s->stream,
            e->sink[o->id].mem +
                ((size_t)o->row0 * (size_t)e->runs + (size_t)first) * o->esize,
            (size_t)e->runs * o->esize, o->dev, w, w, (size_t)o->rows);
      else
        st = e->ops->copy_d2h_async(s->stream, s->h_out + o->off, o->dev,
                                    (size_t)o->rows * w);
    }
    if (!st)
      st = e->ops->event_record(s->event, s->stream);
    if (st)
      return odeon__engine_fail(
          e, st,
          "engine: chunk %lld (runs %lld..%lld), time window "
          "%lld: download: ",
          c, first, first + n - 1, j);
    /* While the GPU computes, fault in the result pages this launch will
       fill, so that its writeback only copies (touch.c). */
    odeon__trace_begin("touch", c);
    odeon__engine_touch(e, first, n, io, n_io);
    odeon__trace_end("touch", c);
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

int odeon__engine_check_request(odeon__engine *e) {
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
  /* the kernel reads h0 only where a run starts without a given dt
     (odeon__init_entry_runs): with one, no room is kept for it */
  e->h0 = info[ODEON_INFO_INIT_ENTRY] != 0 && !(req->base.dt > 0.0);
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
  if (req->slots < 0 || req->slots > ODEON__MAX_SLOTS)
    return odeon__error(ODEON_E_INVAL,
                        "engine: slots must be 0 (= 2) to %d, "
                        "got %d",
                        ODEON__MAX_SLOTS, req->slots);
  if (req->chunk_runs < 0 || req->window_samples < 0 || req->timeout < 0 ||
      req->probe_runs < 0 || req->writeback_threads < 0 ||
      !(req->device_budget >= 0))
    return odeon__error(ODEON_E_INVAL,
                        "engine: chunk runs %lld, window samples %lld, "
                        "timeout %g and device budget %g must not be negative",
                        req->chunk_runs, req->window_samples, req->timeout,
                        req->device_budget);
  e->runs = odeon_grid_runs(req->grid);
  e->run_begin = req->run_begin;
  e->run_end = req->run_begin || req->run_end ? req->run_end : e->runs;
  if (e->run_begin < 0 || e->run_begin >= e->run_end || e->run_end > e->runs)
    return odeon__error(ODEON_E_INVAL,
                        "engine: run range %lld..%lld is empty or outside "
                        "the grid's %lld runs",
                        req->run_begin, req->run_end, e->runs);
  /* Per-run driver blocks: only those of this solve's runs go to the
     device (several devices each hold their own range). */
  e->drivers = req->drivers;
  e->drivers_bytes = req->drivers_bytes;
  if (req->drivers && req->base.driver_stride > 0) {
    size_t block = (size_t)req->base.driver_stride * (size_t)e->rb;
    e->drivers =
        (const unsigned char *)req->drivers + (size_t)e->run_begin * block;
    e->drivers_bytes = (size_t)(e->run_end - e->run_begin) * block;
  }
  e->want_state = (req->outputs & ODEON_OUT_STATE) && e->nsav > 0;
  e->want_obs = (req->outputs & ODEON_OUT_OBSERVABLES) && e->nobs > 0;
  e->want_sum =
      (req->outputs & ODEON_OUT_SUMMARIES) && e->nsum > 0 && req->n_windows > 0;
  e->want_cnt = (req->outputs & ODEON_OUT_COUNTERS) && e->ncnt > 0;
  e->timeout = req->timeout > 0 ? req->timeout : 600.0;
  /* Helpers for large fills and writebacks: on the CPU backend half the
     cores (the rest compute), on a GPU all of them but the producer (the
     CPU has nothing else to do, and the host copies are what a GPU solve
     waits for), at most ODEON__MAX_HELPERS. */
  long ncpu = odeon__cpus_available();
  int gpu = e->ops && strcmp(e->ops->name, "cpu") != 0;
  e->helpers = req->writeback_threads > 0 ? req->writeback_threads
               : ncpu <= 2                ? 0
               : gpu                      ? (int)ncpu - 2
                                          : (int)(ncpu / 2) - 1;
  if (e->helpers > ODEON__MAX_HELPERS)
    e->helpers = ODEON__MAX_HELPERS;
  e->n_slots = req->slots ? req->slots : 2;
  return ODEON_OK;
}

/* Outputs the device can copy straight into their destination memory: on
   the CPU backend any memory, on CUDA page-locked memory (a caller's
   buffer registered with cudaHostRegister, say). They skip the staging
   and the writeback's copy, the one pass over the results the host would
   otherwise make. */
static void choose_direct(odeon__engine *e) {
  if (e->req->staged || !e->ops->host_direct || !e->ops->copy_d2h_2d_async)
    return;
  for (int id = 0; id < ODEON__OUT_COUNT; id++) {
    const odeon__sink *s = &e->sink[id];
    e->direct[id] =
        id != ODEON__OUT_TIME && s->mem && !s->npy &&
        e->ops->host_direct(e->be, s->mem,
                            (size_t)odeon__result_bytes(e->result, id));
  }
}

/* Inputs with one value in every run are set on the device instead of
   filled on the host and uploaded (a sweep of one parameter from fixed
   initial states stages and uploads one row instead of n_states + 1). */
static void choose_uniform(odeon__engine *e) {
  const odeon__engine_request *req = e->req;
  e->uniform = 0;
  e->in_rows = e->ns + e->np;
  for (long long i = 0; i < e->ns + e->np && i < ODEON__UNIFORM_MAX; i++) {
    double v = 0;
    if (req->upload_uniform ||
        !odeon__grid_uniform(req->grid,
                             i < e->ns ? ODEON_SYM_STATE : ODEON_SYM_PARAMETER,
                             i < e->ns ? i : i - e->ns, &v))
      continue;
    e->uniform |= 1ull << i;
    e->uniform_values[i] = v;
    e->in_rows--;
  }
}

static int make_plan(odeon__engine *e) {
  const odeon__engine_request *req = e->req;
  size_t free_b = 0, total_b = 0;
  int st = e->ops->mem_info(e->be, &free_b, &total_b);
  if (st)
    return odeon__error_context(st, "engine: memory info: ");
  free_b += odeon__engine_cached_device_bytes(e);
  double b = req->device_budget;
  size_t budget = b > 1.0   ? (size_t)b
                  : b > 0.0 ? (size_t)(b * (double)free_b)
                            : (size_t)(0.8 * (double)free_b);
  if (budget > free_b)
    budget = free_b;
  if (budget <= e->drivers_bytes)
    return odeon__error(ODEON_E_NOMEM,
                        "engine: device budget of %zu bytes (%zu free) "
                        "leaves nothing after %zu bytes of driver data",
                        budget, free_b, e->drivers_bytes);
  odeon__plan_input *p = &e->pin;
  size_t rb = (size_t)e->rb;
  p->runs = e->run_end - e->run_begin;
  p->n_samples = req->n_samples;
  p->n_windows = req->n_windows;
  double se = req->base.save_every, sw = req->base.summarise_every;
  p->samples_per_window =
      se > 0 && sw > 0 ? (long long)floor(sw / se + 0.5) : 0;
  p->in_bytes = (size_t)(e->ns + e->np) * rb + (e->h0 ? 8 : 0);
  p->staged_in_bytes = (size_t)e->in_rows * rb;
  p->carry_bytes = (size_t)e->ncarry * 8;
  p->final_bytes = 4 + (e->want_cnt ? (size_t)e->ncnt * 8 : 0);
  p->sample_bytes = ((e->want_state ? (size_t)e->nsav : 0) +
                     (e->want_obs ? (size_t)e->nobs : 0)) *
                    rb;
  p->window_bytes = e->want_sum ? (size_t)e->nsum * rb : 0;
  p->staged_final_bytes =
      (odeon__engine_staged(e, ODEON__OUT_STATUS) ? 4 : 0) +
      (e->want_cnt && odeon__engine_staged(e, ODEON__OUT_COUNTERS)
           ? (size_t)e->ncnt * 8
           : 0);
  p->staged_sample_bytes =
      ((e->want_state && odeon__engine_staged(e, ODEON__OUT_STATE)
            ? (size_t)e->nsav
            : 0) +
       (e->want_obs && odeon__engine_staged(e, ODEON__OUT_OBS) ? (size_t)e->nobs
                                                               : 0)) *
      rb;
  p->staged_window_bytes =
      e->want_sum && odeon__engine_staged(e, ODEON__OUT_SUMMARIES)
          ? (size_t)e->nsum * rb
          : 0;
  p->device_bytes = budget - e->drivers_bytes;
  p->pinned_bytes = req->pinned_cap ? req->pinned_cap : (size_t)256 << 20;
  p->pinned_bytes -= odeon__engine_lane_bytes(e); /* at most half of it */
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
  odeon__engine *e = calloc(1, sizeof *e);
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
  /* "setup" (outputs, plan, slots, threads) and "finish" (joins, the
     result closed) frame the chunks' stages in a trace: what a whole solve
     spends outside them */
  odeon__trace_begin("setup", -1);
  /* The outputs first: which of them the device writes directly decides
     how much staging a run needs, and so the plan. */
  int st = odeon__engine_check_request(e);
  if (!st && req->into) {
    /* several devices: the outputs are shared, and stay open */
    e->result = req->into->result;
    memcpy(e->sink, req->into->sink, sizeof e->sink);
    e->bytes_total = req->into->bytes_total;
  } else if (!st) {
    st = odeon__engine_setup_outputs(e);
  }
  if (!st) {
    choose_direct(e);
    choose_uniform(e);
    st = odeon__engine_choose_drain(e);
  }
  if (!st) {
    /* No pinned memory for the lanes: staged, slower into pageable memory,
       not wrong. Any other failure (a stream or event the backend could
       not make) is the solve's. */
    const int lanes_st = odeon__engine_setup_lanes(e);
    if (lanes_st == ODEON_E_NOMEM)
      odeon__engine_drain_none(e);
    else if (lanes_st)
      st = odeon__error_context(lanes_st, "engine: drain lanes: ");
  }
  if (!st)
    st = make_plan(e);
  if (!st && e->drivers && e->drivers_bytes)
    st = e->ops->dev_alloc(e->be, e->drivers_bytes, &e->d_drivers);
  size_t sizes[ODEON__SLOT_BUFFERS] = {0};
  if (!st)
    st = odeon__engine_setup_slots(e, sizes);
  /* Time windows need the kernel that saves and reloads the run state; a
     module loaded without it compiles it now, before any thread of the
     solve waits on the producer or any launch is timed. */
  if (!st && e->plan.launches_per_chunk > 1 && e->ops->module_windows)
    st = e->ops->module_windows(e->be, req->module);
  long long probe = req->probe_runs > 0 ? req->probe_runs : PROBE_RUNS;
  if (!st && e->plan.chunk_runs > probe) {
    e->time_cap = probe;
    e->probing = 1;
  }
  if (!st && e->d_drivers) {
    /* The drivers go up once, and the upload is waited for before any
       chunk is queued on any stream. */
    odeon__slot *s0 = &e->slots[0];
    st = e->ops->copy_h2d_async(s0->stream, e->d_drivers, e->drivers,
                                e->drivers_bytes);
    if (!st)
      st = e->ops->event_record(s0->event, s0->stream);
    if (!st)
      st = e->ops->event_wait(s0->event, odeon__now() + e->timeout);
    if (st)
      odeon__error_context(st, "engine: uploading driver data: ");
  }
  if (!st) {
    int rc =
        odeon__thread_start(&e->writeback, odeon__engine_writeback_main, e);
    if (rc)
      st = odeon__error(ODEON_E_BACKEND,
                        "engine: cannot start the writeback thread (errno %d)",
                        rc);
    else
      e->writeback_started = 1;
  }
  odeon__trace_end("setup", -1);
  if (st) {
    odeon__engine_fail(e, st, "%s", "");
  } else {
    long long first = e->run_begin, n = 0;
    for (long long c = 0; first < e->run_end; c++, first += n)
      if (run_chunk(e, c, first, &n) || odeon__engine_failed(e))
        break;
  }
  odeon__trace_begin("finish", -1);
  pthread_mutex_lock(&e->mu);
  e->producer_done = 1;
  pthread_cond_broadcast(&e->cv);
  int err = e->status;
  pthread_mutex_unlock(&e->mu);
  if (err) {
    /* Stop the streams first: queued work is discarded and its events are
       signalled, which wakes a writeback thread waiting on one. */
    for (int i = 0; i < e->n_slots; i++) {
      odeon__engine_stream_release(e->be, e->slots[i].stream);
      e->slots[i].stream = NULL;
    }
  }
  if (e->writeback_started)
    pthread_join(e->writeback, NULL);
  if (!e->status && req->cache) {
    odeon__engine_store_cache(e, sizes);
  } else {
    odeon__engine_free_lanes(e);
    odeon__engine_free_slots(e);
  }
  if (e->d_drivers)
    e->ops->dev_free(e->be, e->d_drivers);
  err = e->status; /* the writeback thread has ended: no lock needed */
  if (req->into) {
    /* the outputs belong to the caller (odeon__engine_outputs_close) */
    st = err ? odeon__error(err, "%s", e->msg) : ODEON_OK;
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    free(e);
    odeon__trace_end("finish", -1);
    return st;
  }
  for (int i = 0; i < ODEON__OUT_COUNT; i++) {
    int cst = odeon__sink_close(&e->sink[i], !err);
    if (cst && !err)
      err = odeon__engine_fail(e, cst, "engine: closing the output file: ");
  }
  if (err) {
    odeon_result_destroy(e->result);
    st = odeon__error(err, "%s", e->msg);
  } else {
    *out = e->result;
    st = ODEON_OK;
  }
  pthread_cond_destroy(&e->cv);
  pthread_mutex_destroy(&e->mu);
  free(e);
  odeon__trace_end("finish", -1);
  return st;
}
