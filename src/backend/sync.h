/* sync.h - condition variables on the monotonic clock, so that every blocking
 * wait in the engine and the CPU backend can carry an absolute deadline
 * (odeon__now() seconds) instead of sleeping in a poll loop. */
#ifndef ODEON_BACKEND_SYNC_H
#define ODEON_BACKEND_SYNC_H

#include <pthread.h>

/* Initialise a condition variable whose timed waits use CLOCK_MONOTONIC.
 * Returns 0 or an errno value. */
int odeon__cond_init(pthread_cond_t *cond);

/* Wait on `cond` (with `mutex` held) until signalled or until the absolute
 * monotonic `deadline` passes. Returns 0 when woken (the caller re-checks its
 * predicate) or ETIMEDOUT once the deadline has passed. */
int odeon__cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *mutex,
                           double deadline);

#endif
