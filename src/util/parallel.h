/* parallel.h - run one job in a few parts on short-lived threads (the
 * caller takes part 0 and joins the rest): the engine's large input fills
 * and writebacks, which one thread cannot do at the speed of a GPU. */
#ifndef ODEON_UTIL_PARALLEL_H
#define ODEON_UTIL_PARALLEL_H

#include <pthread.h>
#include <stddef.h>

/* pthread_create with default attributes, except that the fault site
   ODEON__FAULT_THREAD (util/fault.h) makes it fail with EAGAIN, so that
   every thread odeon starts has its failure path tested. Returns 0 or an
   errno value. */
int odeon__thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

/* CPUs this process may run on (its affinity mask, so taskset and cpusets
   count; else the CPUs online), at least 1. */
int odeon__cpus_available(void);

/* The most parts a job is split into (threads started: parts - 1). */
#define ODEON__MAX_PARTS 16

/* One part: returns an odeon status. */
typedef int (*odeon__part_fn)(void *ctx, int part, int parts);

/* Parts worth starting for `bytes` of work: one per `grain` bytes, at
   least 1, at most max_parts (and ODEON__MAX_PARTS). */
int odeon__parts_for(size_t bytes, size_t grain, int max_parts);

/* Run fn(ctx, p, parts) for p in 0..parts-1, part 0 on this thread. A
   thread that cannot be started leaves its part to this thread, so every
   part runs exactly once. Returns the first failing part's status, with
   that part's message as this thread's odeon_last_error(). */
int odeon__run_parts(odeon__part_fn fn, void *ctx, int parts);

#endif
