/* clock.c - odeon__now: the monotonic clock every deadline is measured on. */
#include <time.h>

#include "backend/backend.h"

double odeon__now(void) {
  struct timespec ts;
  /* CLOCK_MONOTONIC never jumps with wall-clock changes, so a deadline set
     from it cannot fire early or late when the system time is adjusted. */
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
