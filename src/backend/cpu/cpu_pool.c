/* cpu_pool.c - the CPU backend's persistent worker pool: a launched chunk is
 * split into blocks of runs that the workers claim one by one. */
#include <errno.h>
#include <stdlib.h>

#include "backend/cpu/cpu.h"
#include "backend/sync.h"
#include "util/error.h"
#include "util/parallel.h"

typedef struct pool_job {
  odeon__cpu_block_fn fn;
  void *ctx;
  long long n, block;
  long long next;      /* first run not yet claimed */
  long long running;   /* blocks claimed and not finished */
  long long finished;  /* runs finished */
  int skip;            /* set by the waiter: claim nothing more */
  pthread_cond_t done; /* signalled whenever a block finishes */
  struct pool_job *qnext;
} pool_job;

struct odeon__cpu_pool {
  pthread_mutex_t mu;
  pthread_cond_t work; /* a job was queued, or stop */
  pool_job *head, *tail;
  int stop;
  int threads;
  int started;
  pthread_t *tid;
};

/* Idle workers re-check their queue at this interval. It bounds how long a
   worker can stay blocked if a wake-up were ever lost; normal wake-ups come
   from the condition variable at once. */
#define POOL_IDLE_WAIT 5.0

static void pool_unlink(odeon__cpu_pool *p, pool_job *j) {
  pool_job **pp = &p->head;
  pool_job *prev = NULL;
  while (*pp && *pp != j) {
    prev = *pp;
    pp = &(*pp)->qnext;
  }
  if (!*pp)
    return;
  *pp = j->qnext;
  if (p->tail == j)
    p->tail = prev;
  j->qnext = NULL;
}

static void *pool_main(void *arg) {
  odeon__cpu_pool *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && !p->head)
      odeon__cond_wait_until(&p->work, &p->mu, odeon__now() + POOL_IDLE_WAIT);
    if (p->stop && !p->head)
      break;
    pool_job *j = p->head;
    long long b = j->next;
    long long e = b + j->block < j->n ? b + j->block : j->n;
    j->next = e;
    j->running++;
    /* The job leaves the queue once its last block is claimed; its waiter
       keeps it alive until `running` drops to zero. */
    if (j->next >= j->n)
      pool_unlink(p, j);
    pthread_mutex_unlock(&p->mu);
    j->fn(j->ctx, b, e);
    pthread_mutex_lock(&p->mu);
    j->running--;
    j->finished += e - b;
    pthread_cond_broadcast(&j->done);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

int odeon__cpu_pool_create(int threads, odeon__cpu_pool **out) {
  *out = NULL;
  if (threads < 1)
    return odeon__error(ODEON_E_INVAL,
                        "cpu backend: thread count must be >= 1, got %d",
                        threads);
  odeon__cpu_pool *p = calloc(1, sizeof *p);
  if (!p)
    return odeon__error(ODEON_E_NOMEM, "cpu backend: out of memory (pool)");
  p->tid = calloc((size_t)threads, sizeof *p->tid);
  if (!p->tid || pthread_mutex_init(&p->mu, NULL)) {
    free(p->tid);
    free(p);
    return odeon__error(ODEON_E_NOMEM, "cpu backend: out of memory (pool)");
  }
  if (odeon__cond_init(&p->work)) {
    pthread_mutex_destroy(&p->mu);
    free(p->tid);
    free(p);
    return odeon__error(ODEON_E_BACKEND, "cpu backend: pthread_cond_init");
  }
  p->threads = threads;
  for (int i = 0; i < threads; i++) {
    int rc = odeon__thread_start(&p->tid[i], pool_main, p);
    if (rc) {
      odeon__cpu_pool_destroy(p);
      return odeon__error(ODEON_E_BACKEND,
                          "cpu backend: cannot start worker thread %d of %d "
                          "(errno %d)",
                          i + 1, threads, rc);
    }
    p->started++;
  }
  *out = p;
  return ODEON_OK;
}

void odeon__cpu_pool_destroy(odeon__cpu_pool *p) {
  if (!p)
    return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->started; i++)
    pthread_join(p->tid[i], NULL);
  pthread_cond_destroy(&p->work);
  pthread_mutex_destroy(&p->mu);
  free(p->tid);
  free(p);
}

void odeon__cpu_pool_kick(odeon__cpu_pool *p) {
  pthread_mutex_lock(&p->mu);
  for (pool_job *j = p->head; j; j = j->qnext)
    pthread_cond_broadcast(&j->done);
  pthread_mutex_unlock(&p->mu);
}

int odeon__cpu_pool_threads(const odeon__cpu_pool *p) { return p->threads; }

int odeon__cpu_pool_run(odeon__cpu_pool *p, odeon__cpu_block_fn fn, void *ctx,
                        long long n, double timeout,
                        const _Atomic int *cancel) {
  if (n <= 0)
    return ODEON_OK;
  pool_job j = {0};
  j.fn = fn;
  j.ctx = ctx;
  j.n = n;
  /* About eight blocks per worker balances uneven runs (stiff ones take
     longer) without making the claim lock hot. */
  j.block = n / ((long long)p->threads * 8);
  if (j.block < 1)
    j.block = 1;
  if (odeon__cond_init(&j.done))
    return odeon__error(ODEON_E_BACKEND, "cpu backend: pthread_cond_init");
  int status = ODEON_OK;
  pthread_mutex_lock(&p->mu);
  if (p->tail)
    p->tail->qnext = &j;
  else
    p->head = &j;
  p->tail = &j;
  pthread_cond_broadcast(&p->work);
  long long seen = 0;
  double deadline = odeon__now() + timeout;
  while (j.finished < n) {
    if (!j.skip && cancel && atomic_load(cancel)) {
      status = odeon__error(ODEON_E_CANCELLED,
                            "cpu backend: launch cancelled after %lld of %lld "
                            "runs",
                            j.finished, n);
      j.skip = 1;
    }
    if (j.skip) {
      /* Nothing new is claimed; wait only for the blocks already running. */
      pool_unlink(p, &j);
      if (j.running == 0)
        break;
    }
    int rc = odeon__cond_wait_until(&j.done, &p->mu, deadline);
    if (j.finished != seen) {
      seen = j.finished;
      deadline = odeon__now() + timeout;
    } else if (rc == ETIMEDOUT && !j.skip) {
      status = odeon__error(ODEON_E_TIMEOUT,
                            "cpu backend: launch: no block of runs finished "
                            "within %g s (%lld of %lld runs done)",
                            timeout, j.finished, n);
      j.skip = 1;
    } else if (rc == ETIMEDOUT) {
      deadline = odeon__now() + timeout;
    }
  }
  pool_unlink(p, &j);
  pthread_mutex_unlock(&p->mu);
  pthread_cond_destroy(&j.done);
  return status;
}
