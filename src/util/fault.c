/* fault.c - the fault injection counters (process-wide atomics) and
 * stalls. */
#include "util/fault.h"

#include <stdatomic.h>
#include <time.h>

/* Hits still to pass before the first failure (0 = disarmed), failures left
   to inject once it is reached, and failures injected so far. */
static atomic_llong fault_skip[ODEON__FAULT_SITES];
static atomic_llong fault_left[ODEON__FAULT_SITES];
static atomic_llong fault_fired[ODEON__FAULT_SITES];
/* > 0: the armed hits stall this many microseconds and then succeed */
static atomic_llong fault_stall_us[ODEON__FAULT_SITES];

void odeon__fault_arm(odeon__fault_site site, long long nth, long long count) {
  if ((int)site < 0 || site >= ODEON__FAULT_SITES)
    return;
  atomic_store(&fault_left[site], 0);
  atomic_store(&fault_fired[site], 0);
  atomic_store(&fault_stall_us[site], 0);
  if (nth <= 0 || count <= 0) {
    atomic_store(&fault_skip[site], 0);
    return;
  }
  atomic_store(&fault_skip[site], nth);
  atomic_store(&fault_left[site], count);
}

void odeon__fault_arm_stall(odeon__fault_site site, long long nth,
                            double seconds) {
  odeon__fault_arm(site, nth, 1);
  if ((int)site >= 0 && site < ODEON__FAULT_SITES && nth > 0)
    atomic_store(&fault_stall_us[site], (long long)(seconds * 1e6));
}

void odeon__fault_reset(void) {
  for (int s = 0; s < ODEON__FAULT_SITES; s++)
    odeon__fault_arm((odeon__fault_site)s, 0, 0);
}

int odeon__fault_hit(odeon__fault_site site) {
  if (atomic_load_explicit(&fault_left[site], memory_order_relaxed) <= 0)
    return 0;
  /* Count down to the nth hit; from then on consume `count` failures. Each
     decrement is atomic, so concurrent hits fail exactly `count` times. */
  if (atomic_load(&fault_skip[site]) > 1 &&
      atomic_fetch_sub(&fault_skip[site], 1) > 1)
    return 0;
  if (atomic_fetch_sub(&fault_left[site], 1) > 0) {
    atomic_fetch_add(&fault_fired[site], 1);
    long long us = atomic_load(&fault_stall_us[site]);
    if (us <= 0)
      return 1;
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL); /* a stall, then the operation goes ahead */
  }
  return 0;
}

long long odeon__fault_fired(odeon__fault_site site) {
  return atomic_load(&fault_fired[site]);
}

const char *odeon__fault_name(odeon__fault_site site) {
  static const char *const names[] = {"alloc",      "copy",       "launch",
                                      "event wait", "sink write", "thread"};
  return (int)site >= 0 && site < ODEON__FAULT_SITES ? names[site] : "?";
}
