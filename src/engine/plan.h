/* plan.h - the memory plan: from the device budget and the pinned-memory
 * cap, how many runs go in one chunk and how many samples in one launch
 * (time windows, when one run's outputs are too long for the budget). */
#ifndef ODEON_ENGINE_PLAN_H
#define ODEON_ENGINE_PLAN_H

#include <stddef.h>

typedef struct odeon__plan_input {
  long long runs, n_samples, n_windows;
  long long samples_per_window; /* r: window w ends at sample (w+1)*r; 0 =
                                   not aligned (windows only at the end) */
  /* bytes per run */
  size_t in_bytes;        /* y0 + params on the device */
  size_t staged_in_bytes; /* of them staged (uniform inputs are not) */
  size_t carry_bytes;     /* device only, when a chunk has several launches */
  size_t final_bytes;     /* status + counters (device and staging) */
  size_t sample_bytes;    /* per sample: saved states + observables */
  size_t window_bytes;    /* per summary window */
  /* the parts of the three above that go through staging (outputs the
     device writes straight into their destination need none) */
  size_t staged_final_bytes, staged_sample_bytes, staged_window_bytes;
  size_t device_bytes; /* budget for all slots together */
  size_t pinned_bytes; /* cap for all slots together */
  int slots;
  long long force_chunk;  /* 0 = planned, else an upper bound */
  long long force_window; /* 0 = planned, else an upper bound on the
                             samples per launch */
} odeon__plan_input;

typedef struct odeon__plan {
  int slots;                /* pipeline depth (fewer than asked when even one
                               run per slot does not fit) */
  long long chunk_runs;     /* runs per chunk */
  long long window_samples; /* samples per launch */
  long long n_chunks;
  long long launches_per_chunk;
  long long windows_per_launch; /* buffer rows for summary windows */
  size_t device_per_run, pinned_per_run;
} odeon__plan;

/* Fill *out; ODEON_E_NOMEM with the numbers when not even one run of one
 * sample fits the budgets with one slot. */
int odeon__plan_make(const odeon__plan_input *in, odeon__plan *out);

/* Summary windows complete once samples [0, sample_end) are recorded (the
 * window_end of a launch; see engine.h for the contract). */
long long odeon__plan_windows_done(const odeon__plan_input *in,
                                   long long sample_end);

#endif
