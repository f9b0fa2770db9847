/* cuda_stream.c - the CUDA backend's streams, asynchronous copies, kernel
 * launches and events, with deadline-bounded waits that do not busy-poll.
 *
 * How event_wait waits: event_record enqueues, after cuEventRecord, a host
 * function (cuLaunchHostFunc) that the driver runs when the stream reaches
 * it; it marks the event's generation done and broadcasts a condition
 * variable. event_wait sleeps on that condition variable with
 * pthread_cond_timedwait, so completion wakes it at once and the deadline
 * is exact, with no thread per wait and no polling of cuEventQuery.
 * One wrinkle: the driver does not run host functions once the context has
 * a sticky error (a faulting kernel), so the waiter also wakes every
 * ERROR_CHECK_S seconds to ask cuEventQuery whether the stream failed;
 * that check is for errors only, the normal path is the wake-up. The
 * alternative, a CU_EVENT_BLOCKING_SYNC event waited on by a helper
 * thread, would need a thread per wait that cannot be interrupted at the
 * deadline (cuEventSynchronize has no timeout) and so cannot be joined in
 * time: the host function is the design that keeps every rule.
 * An event is reference-counted: each pending host function holds a
 * reference, so destroying an event while the stream still has to reach
 * it is safe. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_internal.h"
#include "backend/sync.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/trace.h"

#define ERROR_CHECK_S 0.05

static odeon__CUdeviceptr dptr(const void *p) {
  return (odeon__CUdeviceptr)(uintptr_t)p;
}

/* ----------------------------------------------------------------- trace */

/* With ODEON_TRACE set, each operation is bracketed by two host functions
 * that take the time when the stream reaches them: the slices show when
 * the device really copied or computed, so overlap between streams is
 * visible. They serialise the stream slightly, so they run only when
 * tracing. */
typedef struct trace_mark {
  const char *name;
  long long seq;
  double t_begin;
  char row[32];
} trace_mark;

static void trace_mark_begin(void *user) {
  ((trace_mark *)user)->t_begin = odeon__now();
}

static void trace_mark_end(void *user) {
  trace_mark *m = user;
  odeon__trace_complete(m->name, m->seq, m->t_begin, odeon__now(), m->row);
  free(m);
}

static trace_mark *trace_open_op(odeon__stream *s, const char *name) {
  if (!odeon__trace_enabled())
    return NULL;
  trace_mark *m = calloc(1, sizeof *m);
  if (!m)
    return NULL; /* tracing is best effort; the operation still runs */
  m->name = name;
  m->seq = s->seq;
  snprintf(m->row, sizeof m->row, "cuda%d stream %d", s->be->ordinal, s->lane);
  if (s->be->api->cuLaunchHostFunc(s->handle, trace_mark_begin, m) !=
      ODEON__CUDA_SUCCESS) {
    free(m);
    return NULL;
  }
  return m;
}

static void trace_close_op(odeon__stream *s, trace_mark *m, int op_ok) {
  if (!m)
    return;
  /* The begin mark is already queued and will write into m, so m is
     freed by a host function behind it even when the operation failed. */
  (void)op_ok;
  odeon__CUresult r =
      s->be->api->cuLaunchHostFunc(s->handle, trace_mark_end, m);
  if (r != ODEON__CUDA_SUCCESS) {
    /* Cannot free m here: the begin mark may still run. The stream is
       broken anyway; record the error so later waits report it. */
    if (!s->error)
      s->error = odeon__cu_fail(s->be->api, r, "cuLaunchHostFunc(trace)");
  }
}

/* --------------------------------------------------------------- streams */

/* Fail an enqueue: the first failure sticks to the stream so that waits on
 * its later events report it too (backend.h rules). */
static int stream_fail(odeon__stream *s, int status) {
  if (!s->error)
    s->error = status;
  return status;
}

static int stream_ready(odeon__stream *s) {
  if (s->error)
    return odeon__error(s->error,
                        "cuda stream %d: an earlier operation failed (%s); "
                        "no more work is accepted",
                        s->lane, odeon_status_name(s->error));
  return odeon__cuda_bind(s->be);
}

int odeon__cuda_stream_create(odeon__backend *base, odeon__stream **out) {
  odeon__cuda_backend *be = (odeon__cuda_backend *)base;
  *out = NULL;
  int st = odeon__cuda_bind(be);
  if (st)
    return st;
  odeon__stream *s = calloc(1, sizeof *s);
  if (!s)
    return odeon__error(ODEON_E_NOMEM, "cuda stream: out of memory");
  /* Non-blocking: the stream never waits for the legacy default stream, so
     other users of the device (the CUDA runtime) cannot serialise it. */
  odeon__CUresult r =
      be->api->cuStreamCreate(&s->handle, ODEON__CU_STREAM_NON_BLOCKING);
  if (r != ODEON__CUDA_SUCCESS) {
    free(s);
    return odeon__cu_fail(be->api, r, "cuStreamCreate");
  }
  s->be = be;
  pthread_mutex_lock(&be->lock);
  s->lane = be->next_lane++;
  pthread_mutex_unlock(&be->lock);
  *out = s;
  return ODEON_OK;
}

int odeon__cuda_stream_destroy(odeon__backend *base, odeon__stream *s) {
  (void)base;
  if (!s)
    return ODEON_OK;
  odeon__cuda_backend *be = s->be;
  int st = odeon__cuda_bind(be);
  /* Drain with a deadline: an event at the tail, waited on like any other.
     cuStreamSynchronize would have no deadline. */
  if (!st) {
    odeon__event *e = NULL;
    st = odeon__cuda_event_create(base ? base : &be->base, &e);
    if (!st) {
      int saved = s->error;
      s->error = 0; /* record even on a failed stream, to drain it */
      st = odeon__cuda_event_record(e, s);
      s->error = saved;
      if (!st) {
        char what[64];
        snprintf(what, sizeof what, "draining cuda stream %d", s->lane);
        st = odeon__cuda_event_wait_what(e, odeon__now() + be->timeout, what);
      }
      odeon__cuda_event_destroy(base, e);
    }
  }
  /* Destroy even after a failed drain: the driver releases the stream's
     resources once its queued work is done or abandoned. */
  odeon__CUresult r = be->api->cuStreamDestroy(s->handle);
  if (r != ODEON__CUDA_SUCCESS && !st)
    st = odeon__cu_fail(be->api, r, "cuStreamDestroy");
  free(s);
  return st;
}

odeon__CUstream odeon__cuda_stream_handle(const odeon__stream *s) {
  return s->handle;
}

int odeon__cuda_copy_h2d(odeon__stream *s, void *dst, const void *src,
                         size_t bytes) {
  int st = stream_ready(s);
  if (st || bytes == 0)
    return st;
  if (odeon__fault_hit(ODEON__FAULT_COPY))
    return stream_fail(s, odeon__error(ODEON_E_BACKEND,
                                       "cuMemcpyHtoDAsync(%zu bytes): "
                                       "injected fault",
                                       bytes));
  s->seq++;
  trace_mark *m = trace_open_op(s, "h2d");
  odeon__CUresult r =
      s->be->api->cuMemcpyHtoDAsync(dptr(dst), src, bytes, s->handle);
  trace_close_op(s, m, r == ODEON__CUDA_SUCCESS);
  if (r != ODEON__CUDA_SUCCESS) {
    char what[96];
    snprintf(what, sizeof what, "cuMemcpyHtoDAsync(%zu bytes)", bytes);
    return stream_fail(s, odeon__cu_fail(s->be->api, r, what));
  }
  return ODEON_OK;
}

int odeon__cuda_copy_d2h(odeon__stream *s, void *dst, const void *src,
                         size_t bytes) {
  int st = stream_ready(s);
  if (st || bytes == 0)
    return st;
  if (odeon__fault_hit(ODEON__FAULT_COPY))
    return stream_fail(s, odeon__error(ODEON_E_BACKEND,
                                       "cuMemcpyDtoHAsync(%zu bytes): "
                                       "injected fault",
                                       bytes));
  s->seq++;
  trace_mark *m = trace_open_op(s, "d2h");
  odeon__CUresult r =
      s->be->api->cuMemcpyDtoHAsync(dst, dptr(src), bytes, s->handle);
  trace_close_op(s, m, r == ODEON__CUDA_SUCCESS);
  if (r != ODEON__CUDA_SUCCESS) {
    char what[96];
    snprintf(what, sizeof what, "cuMemcpyDtoHAsync(%zu bytes)", bytes);
    return stream_fail(s, odeon__cu_fail(s->be->api, r, what));
  }
  return ODEON_OK;
}

int odeon__cuda_copy_d2h_2d(odeon__stream *s, void *dst, size_t dst_pitch,
                            const void *src, size_t src_pitch, size_t width,
                            size_t rows) {
  int st = stream_ready(s);
  if (st || width == 0 || rows == 0)
    return st;
  if (odeon__fault_hit(ODEON__FAULT_COPY))
    return stream_fail(s, odeon__error(ODEON_E_BACKEND,
                                       "cuMemcpy2DAsync(%zu x %zu bytes): "
                                       "injected fault",
                                       rows, width));
  odeon__CUDA_MEMCPY2D c;
  memset(&c, 0, sizeof c);
  c.srcMemoryType = ODEON__CU_MEMORYTYPE_DEVICE;
  c.srcDevice = dptr(src);
  c.srcPitch = src_pitch;
  c.dstMemoryType = ODEON__CU_MEMORYTYPE_HOST;
  c.dstHost = dst;
  c.dstPitch = dst_pitch;
  c.WidthInBytes = width;
  c.Height = rows;
  s->seq++;
  trace_mark *m = trace_open_op(s, "d2h");
  odeon__CUresult r = s->be->api->cuMemcpy2DAsync(&c, s->handle);
  trace_close_op(s, m, r == ODEON__CUDA_SUCCESS);
  if (r != ODEON__CUDA_SUCCESS) {
    char what[96];
    snprintf(what, sizeof what, "cuMemcpy2DAsync(%zu rows of %zu bytes)", rows,
             width);
    return stream_fail(s, odeon__cu_fail(s->be->api, r, what));
  }
  return ODEON_OK;
}

int odeon__cuda_fill32(odeon__stream *s, void *dst, size_t pitch,
                       unsigned int value, size_t width, size_t rows) {
  int st = stream_ready(s);
  if (st || width == 0 || rows == 0)
    return st;
  s->seq++;
  trace_mark *m = trace_open_op(s, "fill32");
  odeon__CUresult r = s->be->api->cuMemsetD2D32Async(
      dptr(dst), rows > 1 ? pitch : width * 4, value, width, rows, s->handle);
  trace_close_op(s, m, r == ODEON__CUDA_SUCCESS);
  if (r != ODEON__CUDA_SUCCESS) {
    char what[112];
    snprintf(what, sizeof what,
             "cuMemsetD2D32Async(%zu rows of %zu words, pitch %zu)", rows,
             width, pitch);
    return stream_fail(s, odeon__cu_fail(s->be->api, r, what));
  }
  return ODEON_OK;
}

/* One launch of `fn` over args->n runs, `block` threads a block. */
static int launch_fn(odeon__stream *s, odeon__CUfunction fn, const char *fname,
                     const char *trace_name, long long block,
                     const odeon_kernel_args *args) {
  long long grid = (args->n + block - 1) / block;
  if (grid > 2147483647LL)
    return odeon__error(ODEON_E_RANGE,
                        "cuda launch: %lld runs need %lld blocks of %lld, "
                        "more than a grid holds (2^31-1); use smaller chunks",
                        args->n, grid, block);
  /* Kernel parameters are copied by cuLaunchKernel at the call, so the
     caller's args may change right after it returns. */
  void *params[1] = {(void *)args};
  s->seq++;
  trace_mark *tm = trace_open_op(s, trace_name);
  odeon__CUresult r =
      s->be->api->cuLaunchKernel(fn, (unsigned)grid, 1, 1, (unsigned)block, 1,
                                 1, 0, s->handle, params, NULL);
  trace_close_op(s, tm, r == ODEON__CUDA_SUCCESS);
  if (r != ODEON__CUDA_SUCCESS) {
    char what[160];
    snprintf(what, sizeof what,
             "cuLaunchKernel(%s, %lld blocks x %lld threads, %lld runs)", fname,
             grid, block, args->n);
    return stream_fail(s, odeon__cu_fail(s->be->api, r, what));
  }
  return ODEON_OK;
}

int odeon__cuda_launch(odeon__stream *s, odeon__module *m,
                       const odeon_kernel_args *args) {
  int st = stream_ready(s);
  if (st)
    return st;
  if (!m || !args)
    return odeon__error(ODEON_E_INVAL, "cuda launch: module and args must "
                                       "not be NULL");
  if (args->n <= 0)
    return ODEON_OK;
  if ((st = odeon__launch_check(m->info[ODEON_INFO_INIT_ENTRY] != 0,
                                m->init_fn != NULL, args, "cuda")))
    return st;
  if (odeon__fault_hit(ODEON__FAULT_LAUNCH))
    return stream_fail(s, odeon__error(ODEON_E_BACKEND,
                                       "cuLaunchKernel(%lld runs): injected "
                                       "fault",
                                       args->n));
  /* A launch with a carry (a chunk split into time windows) runs the
     kernel that saves and reloads the run state, where the module was
     loaded without it (module_windows compiled it before the solve). */
  const odeon__module *k = m;
  if (args->carry && m->win_text) {
    pthread_mutex_lock(&m->win_mu);
    k = m->win;
    pthread_mutex_unlock(&m->win_mu);
    if (!k)
      return odeon__error(ODEON_E_INVAL,
                          "cuda launch: a launch with a carry needs the "
                          "kernel for time windows, which module_windows "
                          "has not compiled");
  }
  /* A kernel whose automatic initial step was compiled apart reads it from
     h0: its entry runs first, in the same stream, where a run starts from
     y0 without a given dt (the condition under which the kernel reads h0). */
  if (m->init_fn && odeon__init_entry_runs(args)) {
    st = launch_fn(s, m->init_fn, "odeon_init_cuda", "initial step",
                   m->init_block, args);
    if (st)
      return st;
  }
  return launch_fn(s, k->fn, "odeon_kernel_cuda", "kernel", k->stats.block_size,
                   args);
}

/* ---------------------------------------------------------------- events */

typedef struct event_mark {
  odeon__event *e;
  unsigned long long gen;
} event_mark;

/* Drop one reference (caller holds e->mu); frees on the last and returns
 * 1 then, so the caller must not touch e or unlock its mutex. */
static int event_unref_locked(odeon__event *e) {
  if (--e->refs > 0)
    return 0;
  pthread_mutex_unlock(&e->mu);
  pthread_mutex_destroy(&e->mu);
  pthread_cond_destroy(&e->cv);
  free(e);
  return 1;
}

/* Runs on a driver thread when the stream reaches the mark. It only
 * touches odeon memory (host functions must not call CUDA). */
static void event_reached(void *user) {
  event_mark *mk = user;
  odeon__event *e = mk->e;
  pthread_mutex_lock(&e->mu);
  if (mk->gen > e->done)
    e->done = mk->gen;
  pthread_cond_broadcast(&e->cv);
  if (!event_unref_locked(e))
    pthread_mutex_unlock(&e->mu);
  free(mk);
}

int odeon__cuda_event_create(odeon__backend *base, odeon__event **out) {
  odeon__cuda_backend *be = (odeon__cuda_backend *)base;
  *out = NULL;
  int st = odeon__cuda_bind(be);
  if (st)
    return st;
  odeon__event *e = calloc(1, sizeof *e);
  if (!e)
    return odeon__error(ODEON_E_NOMEM, "cuda event: out of memory");
  /* Timing off: such events are the cheapest to record and query. */
  odeon__CUresult r =
      be->api->cuEventCreate(&e->handle, ODEON__CU_EVENT_DISABLE_TIMING);
  if (r != ODEON__CUDA_SUCCESS) {
    free(e);
    return odeon__cu_fail(be->api, r, "cuEventCreate");
  }
  int err = odeon__cond_init(&e->cv);
  if (err) {
    be->api->cuEventDestroy(e->handle);
    free(e);
    return odeon__error(ODEON_E_INTERNAL,
                        "cuda event: pthread_cond_init "
                        "failed (%d)",
                        err);
  }
  pthread_mutex_init(&e->mu, NULL);
  e->be = be;
  e->refs = 1;
  *out = e;
  return ODEON_OK;
}

void odeon__cuda_event_destroy(odeon__backend *base, odeon__event *e) {
  (void)base;
  if (!e)
    return;
  odeon__cuda_backend *be = e->be;
  /* A failure cannot be returned: it is reported, and the event is still
     destroyed (legal with work pending: the driver frees it once
     reached). */
  odeon__cuda_bind_for_release(be, "");
  odeon__cuda_release_failed(be->api, be->api->cuEventDestroy(e->handle),
                             "cuEventDestroy");
  pthread_mutex_lock(&e->mu);
  if (!event_unref_locked(e))
    pthread_mutex_unlock(&e->mu);
}

int odeon__cuda_event_record(odeon__event *e, odeon__stream *s) {
  int st = stream_ready(s);
  if (st) {
    pthread_mutex_lock(&e->mu);
    e->error = st;
    e->recorded++; /* a wait must not report the older record's success */
    pthread_mutex_unlock(&e->mu);
    return st;
  }
  const odeon__cuda_api *api = s->be->api;
  odeon__CUresult r = api->cuEventRecord(e->handle, s->handle);
  if (r != ODEON__CUDA_SUCCESS)
    return stream_fail(s, odeon__cu_fail(api, r, "cuEventRecord"));
  event_mark *mk = malloc(sizeof *mk);
  if (!mk)
    return stream_fail(s, odeon__error(ODEON_E_NOMEM, "cuda event record: "
                                                      "out of memory"));
  pthread_mutex_lock(&e->mu);
  mk->e = e;
  mk->gen = ++e->recorded;
  e->error = 0;
  e->refs++;
  pthread_mutex_unlock(&e->mu);
  r = api->cuLaunchHostFunc(s->handle, event_reached, mk);
  if (r != ODEON__CUDA_SUCCESS) {
    pthread_mutex_lock(&e->mu);
    e->error = odeon__cu_fail(api, r, "cuLaunchHostFunc(event)");
    st = e->error;
    if (!event_unref_locked(e))
      pthread_mutex_unlock(&e->mu);
    free(mk);
    return stream_fail(s, st);
  }
  return ODEON_OK;
}

/* The stream's failure as seen through the event, or 0. */
static int event_device_error(odeon__event *e) {
  const odeon__cuda_api *api = e->be->api;
  if (odeon__cuda_bind(e->be) != ODEON_OK)
    return ODEON_E_BACKEND;
  odeon__CUresult r = api->cuEventQuery(e->handle);
  if (r == ODEON__CUDA_SUCCESS || r == ODEON__CUDA_ERROR_NOT_READY)
    return 0;
  return odeon__cu_fail(api, r,
                        "cuEventQuery (work queued before the event failed)");
}

int odeon__cuda_event_query(odeon__event *e) {
  pthread_mutex_lock(&e->mu);
  int err = e->error;
  int done = e->done >= e->recorded;
  pthread_mutex_unlock(&e->mu);
  if (err)
    return odeon__error(err, "cuda event: recorded on a failed stream (%s)",
                        odeon_status_name(err));
  if (done)
    return 1;
  int dev = event_device_error(e);
  return dev ? dev : 0;
}

int odeon__cuda_event_wait_what(odeon__event *e, double deadline,
                                const char *what) {
  if (odeon__fault_hit(ODEON__FAULT_EVENT_WAIT))
    return odeon__error(ODEON_E_BACKEND, "%s: injected event wait fault", what);
  pthread_mutex_lock(&e->mu);
  unsigned long long target = e->recorded;
  int st = ODEON_OK;
  while (e->done < target && !e->error) {
    double now = odeon__now();
    if (now >= deadline) {
      st = ODEON_E_TIMEOUT;
      break;
    }
    double until =
        now + ERROR_CHECK_S < deadline ? now + ERROR_CHECK_S : deadline;
    odeon__cond_wait_until(&e->cv, &e->mu, until);
    if (e->done >= target)
      break;
    /* Woken by the slice, not the host function: has the stream failed?
       (cuEventQuery does not block, so asking under our lock is fine.) */
    int dev = event_device_error(e);
    if (dev) {
      st = dev;
      break;
    }
  }
  /* Reached: one more query, so that a failure of the work before the
     event is never taken for success even if the driver ran the host
     function anyway (it does not, by its documentation). */
  if (st == ODEON_OK && !e->error)
    st = event_device_error(e);
  int err = e->error;
  pthread_mutex_unlock(&e->mu);
  if (st == ODEON_E_TIMEOUT)
    return odeon__error(ODEON_E_TIMEOUT,
                        "%s: the device did not reach the event before the "
                        "deadline",
                        what);
  if (st)
    return odeon__error_context(st, "%s: ", what);
  if (err)
    return odeon__error(err,
                        "%s: the event was recorded on a failed stream "
                        "(%s)",
                        what, odeon_status_name(err));
  return ODEON_OK;
}

int odeon__cuda_event_wait(odeon__event *e, double deadline) {
  return odeon__cuda_event_wait_what(e, deadline, "cuda event wait");
}
