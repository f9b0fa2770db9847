/* parallel.h - run one job in a few parts on short-lived threads (the
 * caller takes part 0 and joins the rest), or in many small grains that a
 * few threads claim as they go: the engine's large input fills and
 * writebacks, which one thread cannot do at the speed of a GPU. */
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

/* Grains per thread in odeon__run_shared: enough that a late or stalled
   thread leaves little for the others to wait for, few enough that a
   grain stays large next to the cost of claiming it. */
#define ODEON__GRAINS_PER_THREAD 4

/* The grains odeon__run_shared splits a job over `threads` into: 1 for one
   thread, else threads * ODEON__GRAINS_PER_THREAD. */
int odeon__grains_for(int threads);

/* Run fn(ctx, g, grains) for g in 0..grains-1 (grains from
   odeon__grains_for(threads)) on this thread and threads - 1 others, each
   taking the next grain not yet taken until none is left: a thread that
   starts late (starting one costs tens of microseconds) or stalls (the
   host takes its CPU) holds one grain, not a share fixed in advance, so
   the others do the rest and the job ends soon after its last grain. A
   thread that cannot be started leaves its grains to the others. Every
   grain runs exactly once. Returns the status of the lowest-numbered
   failing grain, with that grain's message as this thread's
   odeon_last_error(). */
int odeon__run_shared(odeon__part_fn fn, void *ctx, int threads);

#endif
