/* sync.c - monotonic-clock condition variables with absolute deadlines. */
#include "backend/sync.h"

#include <errno.h>
#include <math.h>
#include <time.h>

#include "backend/backend.h"

int odeon__cond_init(pthread_cond_t *cond) {
  pthread_condattr_t attr;
  int rc = pthread_condattr_init(&attr);
  if (rc)
    return rc;
  rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  if (!rc)
    rc = pthread_cond_init(cond, &attr);
  pthread_condattr_destroy(&attr);
  return rc;
}

int odeon__cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *mutex,
                           double deadline) {
  if (odeon__now() >= deadline)
    return ETIMEDOUT;
  struct timespec ts;
  double whole = floor(deadline);
  ts.tv_sec = (time_t)whole;
  ts.tv_nsec = (long)((deadline - whole) * 1e9);
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1000000000L;
  }
  int rc = pthread_cond_timedwait(cond, mutex, &ts);
  return rc == ETIMEDOUT ? ETIMEDOUT : 0;
}
