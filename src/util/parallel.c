/* parallel.c - odeon__run_parts: a job split over short-lived threads, each
 * part's status and message carried back to the calling thread; starting
 * a thread (with its fault site); and how many CPUs the process may use. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "util/parallel.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
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
