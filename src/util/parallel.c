/* parallel.c - odeon__run_parts: a job split over short-lived threads, each
 * part's status and message carried back to the calling thread;
 * odeon__run_shared: a job in grains claimed by a few threads as they go;
 * starting a thread (with its fault site); and how many CPUs the process
 * may use. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "util/parallel.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "odeon.h"
#include "util/error.h"
#include "util/fault.h"

int odeon__thread_start(pthread_t *thread, void *(*fn)(void *), void *arg) {
  if (odeon__fault_hit(ODEON__FAULT_THREAD))
    return EAGAIN;
  return pthread_create(thread, NULL, fn, arg);
}

int odeon__cpus_available(void) {
#ifdef CPU_COUNT
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return CPU_COUNT(&set);
#endif
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

typedef struct part_run {
  odeon__part_fn fn;
  void *ctx;
  int part, parts, status;
  char msg[512]; /* the part's odeon_last_error(), thread-local otherwise */
} part_run;

static void *part_main(void *arg) {
  part_run *r = arg;
  r->status = r->fn(r->ctx, r->part, r->parts);
  if (r->status)
    snprintf(r->msg, sizeof r->msg, "%s", odeon_last_error());
  return NULL;
}

int odeon__parts_for(size_t bytes, size_t grain, int max_parts) {
  if (max_parts > ODEON__MAX_PARTS)
    max_parts = ODEON__MAX_PARTS;
  size_t p = grain ? bytes / grain + 1 : 1;
  return p > (size_t)max_parts ? (max_parts > 1 ? max_parts : 1) : (int)p;
}

int odeon__run_parts(odeon__part_fn fn, void *ctx, int parts) {
  if (parts < 1)
    parts = 1;
  if (parts > ODEON__MAX_PARTS)
    parts = ODEON__MAX_PARTS;
  part_run run[ODEON__MAX_PARTS];
  pthread_t tid[ODEON__MAX_PARTS];
  int started[ODEON__MAX_PARTS] = {0};
  for (int p = 0; p < parts; p++)
    run[p] = (part_run){fn, ctx, p, parts, ODEON_OK, ""};
  for (int p = 1; p < parts; p++)
    started[p] = odeon__thread_start(&tid[p], part_main, &run[p]) == 0;
  part_main(&run[0]);
  for (int p = 1; p < parts; p++)
    if (!started[p])
      part_main(&run[p]); /* no thread: this one does the part */
  for (int p = 1; p < parts; p++)
    if (started[p])
      pthread_join(tid[p], NULL);
  for (int p = 0; p < parts; p++)
    if (run[p].status)
      return odeon__error(run[p].status, "%s", run[p].msg);
  return ODEON_OK;
}

int odeon__grains_for(int threads) {
  if (threads > ODEON__MAX_PARTS)
    threads = ODEON__MAX_PARTS;
  return threads > 1 ? threads * ODEON__GRAINS_PER_THREAD : 1;
}

typedef struct shared_run {
  odeon__part_fn fn;
  void *ctx;
  int grains;
  atomic_int next; /* the next grain not yet taken */
  pthread_mutex_t mu;
  int failed; /* the lowest failing grain, or grains when none */
  int status;
  char msg[512];
} shared_run;

static void *shared_main(void *arg) {
  shared_run *r = arg;
  for (;;) {
    int g = atomic_fetch_add_explicit(&r->next, 1, memory_order_relaxed);
    if (g >= r->grains)
      break;
    int st = r->fn(r->ctx, g, r->grains);
    if (st) {
      pthread_mutex_lock(&r->mu);
      if (g < r->failed) {
        r->failed = g;
        r->status = st;
        snprintf(r->msg, sizeof r->msg, "%s", odeon_last_error());
      }
      pthread_mutex_unlock(&r->mu);
    }
  }
  return NULL;
}

int odeon__run_shared(odeon__part_fn fn, void *ctx, int threads) {
  if (threads < 1)
    threads = 1;
  if (threads > ODEON__MAX_PARTS)
    threads = ODEON__MAX_PARTS;
  shared_run r = {.fn = fn, .ctx = ctx, .grains = odeon__grains_for(threads)};
  atomic_init(&r.next, 0);
  pthread_mutex_init(&r.mu, NULL);
  r.failed = r.grains;
  pthread_t tid[ODEON__MAX_PARTS];
  int started[ODEON__MAX_PARTS] = {0};
  for (int t = 1; t < threads; t++)
    started[t] = odeon__thread_start(&tid[t], shared_main, &r) == 0;
  shared_main(&r); /* returns once every grain is taken */
  for (int t = 1; t < threads; t++)
    if (started[t])
      pthread_join(tid[t], NULL);
  pthread_mutex_destroy(&r.mu);
  if (r.status)
    return odeon__error(r.status, "%s", r.msg);
  return ODEON_OK;
}
