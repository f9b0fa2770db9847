/* engine.h - the batch engine's entry point for the solver (src/api): plan
 * chunks from the memory budgets, run the asynchronous chunked pipeline on a
 * backend and deliver the outputs to memory, the caller's buffer or a .npy
 * file sink.
 *
 * The time-window contract with the kernels (src/core): one launch writes
 * samples [sample_begin, sample_end) and summary windows [window_begin,
 * window_end). A launch whose sample_end < n_samples stops right after it
 * records sample sample_end - 1 and leaves the whole run state in `carry`;
 * the next launch (resume = 1) continues from there. The engine sets
 * window_end to the number of summary windows complete at that sample:
 * with r = summarise_every / save_every samples per window (an integer),
 * window w is complete once sample (w + 1) * r is recorded. The final launch
 * has sample_end = n_samples and window_end = n_windows. The kernel gets
 * `carry` only when the chunk has several launches, and `counters` only
 * when they are an output (kernel_args.h: any output may be 0). */
#ifndef ODEON_ENGINE_ENGINE_H
#define ODEON_ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "odeon.h"

/* Slot resources (device buffers, pinned staging, streams, events) kept
 * between the solves of one solver, which solves from one thread at a time.
 * Destroy it before the backend it was made on. */
typedef struct odeon__engine_cache odeon__engine_cache;
void odeon__engine_cache_destroy(odeon__engine_cache *cache);

typedef struct odeon__engine_request {
  odeon__backend *backend;
  odeon__module *module;
  long long info[ODEON_INFO_LEN]; /* the module's odeon_kernel_info */
  /* Scalars filled by the caller (timing, control, n_samples, n_windows);
     the engine fills geometry, pointers and windows per launch. */
  odeon_kernel_args base;
  /* y0 rows = the grid's states in model order, params rows = its
     parameters in model order; counts must match info. */
  const odeon_grid_t *grid;
  const double *sample_times; /* [n_samples], exact, host-computed */
  long long n_samples;
  long long n_windows;
  /* Labels along the variable axis of each output (copied): n_saved state
     names, n_obs_saved observable names, n_counters counter names,
     n_summary_rows summary names. Any may be NULL (then "v0", "v1", ...). */
  const char *const *state_labels;
  const char *const *obs_labels;
  const char *const *counter_labels;
  const char *const *summary_labels;
  /* ODEON_OUT_* bits: which outputs the result holds. STATUS is always
     computed (odeon_result_run_status needs it). */
  uint32_t outputs;
  /* Driver spline data, copied to the device once, or NULL: one block
     shared by all runs (base.driver_stride 0), or one block of
     driver_stride reals per run of the grid (each chunk's kernel sees the
     blocks from its first run on). */
  const void *drivers;
  size_t drivers_bytes;
  const odeon_dest_t *dest; /* NULL = ODEON_DEST_AUTO */
  double device_budget;     /* >1 bytes, (0,1] fraction of free; 0 = 0.8 */
  size_t pinned_cap;        /* staging bytes; 0 = 256 MiB */
  long long chunk_runs;     /* 0 = planned; else at most this many per chunk */
  long long window_samples; /* 0 = planned; else at most this many samples
                               per launch (forces time windows) */
  int slots;                /* pipeline depth; 0 = 2 */
  int writeback_threads;    /* helper threads that split a large input
                               fill or writeback; 0 = half the cores - 1
                               on the CPU backend, all but 2 on a GPU, at
                               most 15 */
  int staged;         /* 1: every output through staging and the writeback, even
                         where the device could write the destination directly
                         (tests of that path) */
  int upload_uniform; /* 1: upload inputs that are the same in every run as
                         rows like the others (tests of that path) */
  /* Drained outputs (the saved states, observables and summaries that go
     through staging) are pulled from the device piece by piece by drain
     lanes, each downloading on its own stream into two small pinned
     buffers and copying pieces out as they land, instead of downloaded
     whole into the slot's staging and copied after. 0 = automatic (a GPU
     whose staged results outgrow the staging cap; $ODEON_DRAIN may say
     otherwise), 1 = always (tests of that path), -1 = never. */
  int drain;
  int drain_lanes;      /* 0 = the helpers + 1, at most 16 */
  size_t drain_piece;   /* bytes per piece; 0 = 4 MiB (less when the staging
                           cap is small) */
  long long probe_runs; /* runs per chunk until a launch has been timed;
                           0 = 16384. Later chunks are sized so one launch
                           takes about timeout / 8. */
  double timeout;       /* seconds any single wait may take; 0 = 600 */
  odeon_progress_fn progress;
  void *progress_user;
  /* Optional: where the slots are kept between solves (*cache starts NULL;
     the engine takes what fits and stores what it used after a success). */
  odeon__engine_cache **cache;
  /* Several devices (multi.c): solve only runs [run_begin, run_end) of the
     grid (both 0 = every run) and write them into the outputs `into`
     (opened by odeon__engine_outputs_open) instead of a new result. */
  long long run_begin, run_end;
  struct odeon__engine_outputs *into;
} odeon__engine_request;

/* Solve every run of req->grid. On success *out is a new result. On failure
 * *out is NULL, every thread and buffer of the call is released, a file
 * sink is left as PATH.incomplete, and the status's message names the stage
 * and the chunk. */
int odeon__engine_solve(const odeon__engine_request *req, odeon_result_t **out);

/* The outputs of one solve shared by several engine solves that each write
 * their own run range (several devices): the result and its sinks (memory,
 * the caller's buffer or .npy files, written concurrently at disjoint
 * ranges). With req->into set, odeon__engine_solve writes into them and
 * leaves *out NULL; it neither closes the sinks nor finishes the result. */
typedef struct odeon__engine_outputs odeon__engine_outputs;
/* Declare the result's outputs for every run of req->grid and open their
   destinations, as odeon__engine_solve would (req as for it, into unset). */
int odeon__engine_outputs_open(const odeon__engine_request *req,
                               odeon__engine_outputs **out);
/* Close the destinations: ok != 0 renames the files into place, finishes the
   result and hands it to *result; ok == 0 (or a failed close) leaves the
   files as PATH.incomplete and destroys the result. Frees `o`. Returns the
   first error of closing (ODEON_OK when ok == 0 and nothing else failed). */
int odeon__engine_outputs_close(odeon__engine_outputs *o, int ok,
                                odeon_result_t **result);

#endif
