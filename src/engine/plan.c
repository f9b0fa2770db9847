/* plan.c - chunk and time-window sizes from the memory budgets. */
#include "engine/plan.h"

#include "odeon.h"
#include "util/error.h"

/* Below this many runs per chunk a launch underuses a GPU (and pays its
   fixed costs too often), so the plan splits time before it shrinks the
   chunk further. */
#define PLAN_MIN_RUNS 256
/* Without a forced size, cap chunks so the pipeline has at least two chunks
   per slot to overlap, but never below this many runs: smaller launches
   cost more in fixed overhead (a GPU launch, a pool hand-off) than the
   overlap gains. */
#define PLAN_OVERLAP_MIN 32768

long long odeon__plan_windows_done(const odeon__plan_input *in,
                                   long long sample_end) {
  if (sample_end >= in->n_samples)
    return in->n_windows;
  if (in->samples_per_window <= 0 || sample_end <= 0)
    return 0;
  long long w = (sample_end - 1) / in->samples_per_window;
  return w < in->n_windows ? w : in->n_windows;
}

static long long windows_per_launch(const odeon__plan_input *in, long long k) {
  if (k >= in->n_samples || in->samples_per_window <= 0)
    return in->n_windows;
  /* A launch of k samples completes at most k/r + 1 windows, and the last
     launch one more when the final window is partial. */
  long long w = k / in->samples_per_window + 2;
  return w < in->n_windows ? w : in->n_windows;
}

static void per_run(const odeon__plan_input *in, long long k, size_t *dev,
                    size_t *pin) {
  size_t w = (size_t)windows_per_launch(in, k);
  size_t out =
      in->final_bytes + (size_t)k * in->sample_bytes + w * in->window_bytes;
  *pin = in->staged_in_bytes + in->staged_final_bytes +
         (size_t)k * in->staged_sample_bytes + w * in->staged_window_bytes;
  /* the carry lives on the device only, and only when time is split */
  *dev = in->in_bytes + out + (k < in->n_samples ? in->carry_bytes : 0);
}

static long long runs_fitting(const odeon__plan_input *in, long long k) {
  size_t dev, pin;
  per_run(in, k, &dev, &pin);
  size_t s = (size_t)in->slots;
  unsigned long long a = dev ? in->device_bytes / s / dev : (1ull << 62);
  unsigned long long b = pin ? in->pinned_bytes / s / pin : (1ull << 62);
  unsigned long long n = a < b ? a : b;
  return n < (unsigned long long)in->runs ? (long long)n : in->runs;
}

int odeon__plan_make(const odeon__plan_input *in_given, odeon__plan *out) {
  odeon__plan_input copy = *in_given, *in = &copy;
  if (in->runs < 1 || in->n_samples < 0 || in->slots < 1)
    return odeon__error(ODEON_E_INTERNAL,
                        "plan: %lld runs, %lld samples, %d slots", in->runs,
                        in->n_samples, in->slots);
  long long ns = in->n_samples > 0 ? in->n_samples : 1;
  long long k = ns;
  if (in->force_window > 0 && in->force_window < ns)
    k = in->force_window;
  /* When memory is short the pipeline gets shallower before it fails: one
     run of one sample per slot must fit. */
  while (in->slots > 1 && runs_fitting(in, 1) < 1)
    in->slots--;
  long long want = in->runs < PLAN_MIN_RUNS ? in->runs : PLAN_MIN_RUNS;
  if (runs_fitting(in, k) < want) {
    /* The time series of `want` runs does not fit: find the longest launch
       that still fits them (the runs that fit fall as k grows). */
    long long lo = 1, hi = k;
    while (lo < hi) {
      long long mid = lo + (hi - lo + 1) / 2;
      if (runs_fitting(in, mid) >= want)
        lo = mid;
      else
        hi = mid - 1;
    }
    k = lo;
    /* Launches that end on summary-window boundaries keep each window's
       accumulation inside one launch where possible. */
    if (in->samples_per_window > 1 && k > in->samples_per_window)
      k -= k % in->samples_per_window;
  }
  long long n = runs_fitting(in, k);
  if (n < 1) {
    size_t dev, pin;
    per_run(in, k, &dev, &pin);
    return odeon__error(ODEON_E_NOMEM,
                        "plan: the budgets cannot hold one run: %zu device "
                        "bytes and %zu staging bytes per run, budget %zu "
                        "device / %zu pinned bytes",
                        dev, pin, in->device_bytes, in->pinned_bytes);
  }
  if (in->force_chunk > 0) {
    if (n > in->force_chunk)
      n = in->force_chunk;
  } else {
    long long overlap = (in->runs + 2LL * in->slots - 1) / (2LL * in->slots);
    if (overlap < PLAN_OVERLAP_MIN)
      overlap = PLAN_OVERLAP_MIN;
    if (n > overlap)
      n = overlap;
  }
  /* More slots than chunks would only hold memory. */
  long long chunks = (in->runs + n - 1) / n;
  out->slots = chunks < in->slots ? (int)chunks : in->slots;
  out->chunk_runs = n;
  out->window_samples = k;
  out->n_chunks = (in->runs + n - 1) / n;
  out->launches_per_chunk = (ns + k - 1) / k;
  out->windows_per_launch = windows_per_launch(in, k);
  per_run(in, k, &out->device_per_run, &out->pinned_per_run);
  return ODEON_OK;
}
