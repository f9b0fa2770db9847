/* cpu_stream.c - streams and events of the CPU backend: each stream is a
 * worker thread executing a FIFO queue of copies, fills and launches; an
 * event is signalled when its stream reaches it. Nothing here polls: every
 * wait is a monotonic condition variable with a deadline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "backend/sync.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/parallel.h"

#define MSG_LEN 1024
/* An idle stream thread re-checks its queue at this interval; wake-ups
   normally come from the condition variable at once. */
#define STREAM_IDLE_WAIT 5.0

typedef enum op_kind {
  OP_H2D,
  OP_D2H,
  OP_D2H_2D,
  OP_FILL32,
  OP_LAUNCH,
  OP_RECORD
} op_kind;

static const char *const op_names[] = {
    "host-to-device copy", "device-to-host copy", "strided device-to-host copy",
    "32-bit fill",         "kernel launch",       "event record"};

typedef struct stream_op {
  op_kind kind;
  void *dst;
  const void *src;
  size_t bytes;                /* copies: the width of a row */
  size_t rows, dpitch, spitch; /* copies: rows (1: plain), pitches */
  int value;
  odeon__module *module;
  odeon_kernel_args args;
  odeon__event *event;
  unsigned long long gen;
  struct stream_op *next;
} stream_op;

struct odeon__stream {
  odeon__cpu_backend *be;
  pthread_mutex_t mu;
  pthread_cond_t work;
  stream_op *head, *tail;
  int stop;
  int status; /* sticky error of executed work, 0 = none */
  char msg[MSG_LEN];
  _Atomic int cancel; /* set by destroy: skip the rest of a running launch */
  pthread_t thread;
};

struct odeon__event {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  unsigned long long gen; /* bumped by each record */
  int signalled;
  int status;
  char msg[MSG_LEN];
};

static void event_signal(odeon__event *e, unsigned long long gen, int status,
                         const char *msg) {
  pthread_mutex_lock(&e->mu);
  /* Only the latest record signals: like CUDA, re-recording an event makes
     it track the new point in the stream. */
  if (gen == e->gen) {
    e->signalled = 1;
    e->status = status;
    snprintf(e->msg, sizeof e->msg, "%s", status ? msg : "");
    pthread_cond_broadcast(&e->cv);
  }
  pthread_mutex_unlock(&e->mu);
}

typedef struct launch_ctx {
  odeon__cpu_kernel_fn init, entry; /* init: NULL unless it runs */
  const odeon_kernel_args *args;
} launch_ctx;

static void launch_block(void *ctx, long long begin, long long end) {
  const launch_ctx *l = ctx;
  /* each run's initial step before the run, as the GPU's init launch
     precedes its kernel launch: h0[r] is run r's alone */
  if (l->init)
    l->init(l->args, begin, end);
  l->entry(l->args, begin, end);
}

/* Execute one op on the stream thread; returns a status and leaves the
   message in this thread's last error. */
static int op_execute(odeon__stream *s, stream_op *op) {
  switch (op->kind) {
  case OP_H2D:
  case OP_D2H:
  case OP_D2H_2D:
    if (odeon__fault_hit(ODEON__FAULT_COPY))
      return odeon__error(ODEON_E_BACKEND,
                          "injected copy fault (%zu rows of %zu bytes)",
                          op->rows, op->bytes);
    for (size_t r = 0; r < op->rows; r++)
      memcpy((unsigned char *)op->dst + r * op->dpitch,
             (const unsigned char *)op->src + r * op->spitch, op->bytes);
    return ODEON_OK;
  case OP_FILL32:
    for (size_t r = 0; r < op->rows; r++) {
      unsigned int *p =
          (unsigned int *)(void *)((unsigned char *)op->dst + r * op->dpitch);
      for (size_t w = 0; w < op->bytes / 4; w++)
        p[w] = (unsigned int)op->value;
    }
    return ODEON_OK;
  case OP_LAUNCH: {
    if (odeon__fault_hit(ODEON__FAULT_LAUNCH))
      return odeon__error(ODEON_E_BACKEND, "injected launch fault (%lld runs)",
                          op->args.n);
    launch_ctx l = {odeon__init_entry_runs(&op->args) ? op->module->init_entry
                                                      : NULL,
                    op->module->entry, &op->args};
    return odeon__cpu_pool_run(s->be->pool, launch_block, &l, op->args.n,
                               s->be->timeout, &s->cancel);
  }
  case OP_RECORD:
    return ODEON_OK;
  }
  return odeon__error(ODEON_E_INTERNAL, "cpu stream: unknown op %d",
                      (int)op->kind);
}

static void *stream_main(void *arg) {
  odeon__stream *s = arg;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (!s->head && !s->stop)
      odeon__cond_wait_until(&s->work, &s->mu, odeon__now() + STREAM_IDLE_WAIT);
    stream_op *op = s->head;
    if (!op)
      break; /* stopped and drained */
    s->head = op->next;
    if (!s->head)
      s->tail = NULL;
    if (s->stop && !s->status) {
      /* Destroy discards queued work; waiters on its events must still wake,
         with an error that says why. */
      s->status = ODEON_E_CANCELLED;
      snprintf(s->msg, sizeof s->msg,
               "cpu stream: destroyed with work still queued");
    }
    int failed = s->status;
    char msg[MSG_LEN];
    if (op->kind == OP_RECORD)
      snprintf(msg, sizeof msg, "%s", s->msg);
    pthread_mutex_unlock(&s->mu);
    if (op->kind == OP_RECORD) {
      event_signal(op->event, op->gen, failed, msg);
    } else if (!failed) {
      int st = op_execute(s, op);
      if (st) {
        pthread_mutex_lock(&s->mu);
        if (!s->status) {
          s->status = st;
          snprintf(s->msg, sizeof s->msg, "%s failed: %s", op_names[op->kind],
                   odeon_last_error());
        }
        pthread_mutex_unlock(&s->mu);
      }
    }
    free(op);
    pthread_mutex_lock(&s->mu);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

int odeon__cpu_stream_create(odeon__backend *be, odeon__stream **out) {
  *out = NULL;
  odeon__stream *s = calloc(1, sizeof *s);
  if (!s)
    return odeon__error(ODEON_E_NOMEM, "cpu backend: out of memory (stream)");
  s->be = (odeon__cpu_backend *)be;
  atomic_init(&s->cancel, 0);
  if (pthread_mutex_init(&s->mu, NULL)) {
    free(s);
    return odeon__error(ODEON_E_BACKEND, "cpu backend: pthread_mutex_init");
  }
  if (odeon__cond_init(&s->work)) {
    pthread_mutex_destroy(&s->mu);
    free(s);
    return odeon__error(ODEON_E_BACKEND, "cpu backend: pthread_cond_init");
  }
  int rc = odeon__thread_start(&s->thread, stream_main, s);
  if (rc) {
    pthread_cond_destroy(&s->work);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return odeon__error(ODEON_E_BACKEND,
                        "cpu backend: cannot start stream thread (errno %d)",
                        rc);
  }
  *out = s;
  return ODEON_OK;
}

int odeon__cpu_stream_destroy(odeon__backend *be, odeon__stream *s) {
  if (!s)
    return ODEON_OK;
  pthread_mutex_lock(&s->mu);
  s->stop = 1;
  pthread_cond_broadcast(&s->work);
  pthread_mutex_unlock(&s->mu);
  /* A launch in progress skips its blocks not yet started; the blocks that
     are running finish (they write memory the caller frees next). */
  atomic_store(&s->cancel, 1);
  odeon__cpu_pool_kick(((odeon__cpu_backend *)be)->pool);
  pthread_join(s->thread, NULL);
  pthread_cond_destroy(&s->work);
  pthread_mutex_destroy(&s->mu);
  free(s);
  return ODEON_OK;
}

static int enqueue(odeon__stream *s, stream_op *op) {
  pthread_mutex_lock(&s->mu);
  if (s->stop) {
    pthread_mutex_unlock(&s->mu);
    free(op);
    return odeon__error(ODEON_E_STATE, "cpu stream: enqueue after destroy");
  }
  op->next = NULL;
  if (s->tail)
    s->tail->next = op;
  else
    s->head = op;
  s->tail = op;
  pthread_cond_signal(&s->work);
  pthread_mutex_unlock(&s->mu);
  return ODEON_OK;
}

static stream_op *op_new(op_kind kind) {
  stream_op *op = calloc(1, sizeof *op);
  if (!op)
    odeon__error(ODEON_E_NOMEM, "cpu stream: out of memory queueing a %s",
                 op_names[kind]);
  else
    op->kind = kind;
  return op;
}

/* A copy of `rows` rows of `width` bytes (one row: a plain copy). */
static int copy_async(op_kind kind, odeon__stream *s, void *dst,
                      size_t dst_pitch, const void *src, size_t src_pitch,
                      size_t width, size_t rows) {
  if (!dst || !src)
    return odeon__error(ODEON_E_INVAL, "cpu stream: %s with a NULL pointer",
                        op_names[kind]);
  stream_op *op = op_new(kind);
  if (!op)
    return ODEON_E_NOMEM;
  op->dst = dst;
  op->src = src;
  op->bytes = width;
  op->rows = rows;
  op->dpitch = dst_pitch;
  op->spitch = src_pitch;
  return enqueue(s, op);
}

int odeon__cpu_copy_h2d(odeon__stream *s, void *dst, const void *src,
                        size_t bytes) {
  return copy_async(OP_H2D, s, dst, bytes, src, bytes, bytes, 1);
}

int odeon__cpu_copy_d2h(odeon__stream *s, void *dst, const void *src,
                        size_t bytes) {
  return copy_async(OP_D2H, s, dst, bytes, src, bytes, bytes, 1);
}

int odeon__cpu_copy_d2h_2d(odeon__stream *s, void *dst, size_t dst_pitch,
                           const void *src, size_t src_pitch, size_t width,
                           size_t rows) {
  return copy_async(OP_D2H_2D, s, dst, dst_pitch, src, src_pitch, width, rows);
}

int odeon__cpu_fill32(odeon__stream *s, void *dst, size_t pitch,
                      unsigned int value, size_t width, size_t rows) {
  if (!dst || ((uintptr_t)dst | (rows > 1 ? pitch : 0)) % 4)
    return odeon__error(ODEON_E_INVAL,
                        "cpu stream: 32-bit fill of %p, pitch %zu: NULL or "
                        "not 4-byte aligned",
                        dst, pitch);
  stream_op *op = op_new(OP_FILL32);
  if (!op)
    return ODEON_E_NOMEM;
  op->dst = dst;
  op->dpitch = pitch;
  op->value = (int)value;
  op->bytes = width * 4; /* a row's width, as for copies */
  op->rows = rows;
  return enqueue(s, op);
}

int odeon__cpu_launch(odeon__stream *s, odeon__module *m,
                      const odeon_kernel_args *args) {
  if (!m || !args)
    return odeon__error(ODEON_E_INVAL, "cpu stream: launch without a module "
                                       "or arguments");
  int st = odeon__launch_check(m->init_entry != NULL, m->init_entry != NULL,
                               args, "cpu");
  if (st)
    return st;
  stream_op *op = op_new(OP_LAUNCH);
  if (!op)
    return ODEON_E_NOMEM;
  op->module = m;
  op->args = *args; /* by value, like a CUDA launch: the caller may reuse it */
  return enqueue(s, op);
}

int odeon__cpu_event_create(odeon__backend *be, odeon__event **out) {
  *out = NULL;
  odeon__event *e = calloc(1, sizeof *e);
  if (!e)
    return odeon__error(ODEON_E_NOMEM, "cpu backend: out of memory (event)");
  if (pthread_mutex_init(&e->mu, NULL)) {
    free(e);
    return odeon__error(ODEON_E_BACKEND, "cpu backend: pthread_mutex_init");
  }
  if (odeon__cond_init(&e->cv)) {
    pthread_mutex_destroy(&e->mu);
    free(e);
    return odeon__error(ODEON_E_BACKEND, "cpu backend: pthread_cond_init");
  }
  e->signalled = 1; /* never recorded: complete, as in CUDA */
  *out = e;
  return ODEON_OK;
}

void odeon__cpu_event_destroy(odeon__backend *be, odeon__event *e) {
  if (!e)
    return;
  pthread_cond_destroy(&e->cv);
  pthread_mutex_destroy(&e->mu);
  free(e);
}

int odeon__cpu_event_record(odeon__event *e, odeon__stream *s) {
  stream_op *op = op_new(OP_RECORD);
  if (!op)
    return ODEON_E_NOMEM;
  pthread_mutex_lock(&e->mu);
  unsigned long long gen = op->gen = ++e->gen;
  e->signalled = 0;
  e->status = 0;
  pthread_mutex_unlock(&e->mu);
  op->event = e;
  int st = enqueue(s, op);
  if (st) /* never reached by the stream: do not leave waiters hanging */
    event_signal(e, gen, st, odeon_last_error());
  return st;
}

int odeon__cpu_event_query(odeon__event *e) {
  pthread_mutex_lock(&e->mu);
  int r = e->signalled ? (e->status ? e->status : 1) : 0;
  pthread_mutex_unlock(&e->mu);
  return r;
}

int odeon__cpu_event_wait(odeon__event *e, double deadline) {
  if (odeon__fault_hit(ODEON__FAULT_EVENT_WAIT))
    return odeon__error(ODEON_E_BACKEND, "event wait: injected fault");
  double start = odeon__now();
  pthread_mutex_lock(&e->mu);
  while (!e->signalled) {
    if (odeon__cond_wait_until(&e->cv, &e->mu, deadline) == ETIMEDOUT &&
        !e->signalled) {
      pthread_mutex_unlock(&e->mu);
      return odeon__error(ODEON_E_TIMEOUT,
                          "event wait: the stream did not reach the event "
                          "within %.3g s",
                          odeon__now() - start);
    }
  }
  int st = e->status;
  char msg[MSG_LEN];
  if (st)
    snprintf(msg, sizeof msg, "%s", e->msg);
  pthread_mutex_unlock(&e->mu);
  if (st)
    return odeon__error(st, "%s", msg);
  return ODEON_OK;
}
