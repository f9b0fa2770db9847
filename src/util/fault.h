/* fault.h - fault injection for tests: make the Nth allocation, copy,
 * launch, event wait, sink write or thread start fail, or stall, so that
 * every error path and deadline of the engine and the backends runs on
 * purpose. Disarmed (the default) a hook costs one relaxed atomic load. The
 * counters are process-wide. */
#ifndef ODEON_UTIL_FAULT_H
#define ODEON_UTIL_FAULT_H

typedef enum odeon__fault_site {
  ODEON__FAULT_ALLOC = 0, /* device or pinned allocation */
  ODEON__FAULT_COPY,      /* a host<->device copy when it executes */
  ODEON__FAULT_LAUNCH,    /* a kernel launch when it executes */
  ODEON__FAULT_EVENT_WAIT,
  ODEON__FAULT_SINK_WRITE, /* a write of results to their destination */
  ODEON__FAULT_THREAD,     /* starting a thread (odeon__thread_start) */
  ODEON__FAULT_SITES
} odeon__fault_site;

/* Arm a site: the `nth` hit from now (1 = the next one) and the `count` - 1
 * hits after it fail. nth <= 0 disarms the site. */
void odeon__fault_arm(odeon__fault_site site, long long nth, long long count);
/* Arm a stall: the `nth` hit from now sleeps `seconds` and then goes ahead
 * (odeon__fault_hit returns 0), as a slow disk or copy would; deadlines
 * that span it are what it tests. */
void odeon__fault_arm_stall(odeon__fault_site site, long long nth,
                            double seconds);
/* Disarm every site. */
void odeon__fault_reset(void);
/* Called by the code under test at the site: 1 if this hit must fail. */
int odeon__fault_hit(odeon__fault_site site);
/* Number of injected failures so far at a site (for tests). */
long long odeon__fault_fired(odeon__fault_site site);
/* The site's name for messages ("alloc", "copy", ...). */
const char *odeon__fault_name(odeon__fault_site site);

#endif
