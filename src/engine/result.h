/* result.h - the engine's side of odeon_result_t: the outputs of a solve
 * with their shapes, axis names and labels, in memory the result owns, in
 * the caller's buffer, or in a .npy file. */
#ifndef ODEON_ENGINE_RESULT_H
#define ODEON_ENGINE_RESULT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "odeon.h"
#include "util/bigmem.h"

typedef enum odeon__out_id {
  ODEON__OUT_STATE = 0,
  ODEON__OUT_OBS,
  ODEON__OUT_TIME,
  ODEON__OUT_STATUS,
  ODEON__OUT_COUNTERS,
  ODEON__OUT_SUMMARIES,
  ODEON__OUT_COUNT
} odeon__out_id;

typedef struct odeon__output {
  int present;
  odeon_dtype dtype;
  size_t esize;
  int ndim;
  int64_t shape[ODEON_MAX_DIMS];
  const char *axes[ODEON_MAX_DIMS];
  char **labels;       /* NULL-terminated copy, or NULL */
  void *data;          /* NULL when the output lives in a file */
  size_t owned;        /* bytes of data allocated by the result (0: not ours) */
  int warm;            /* the allocation's pages were touched before (a kept
                          mapping, util/bigmem.c): no faulting in ahead */
  odeon__big_pin *pin; /* the allocation's page-locking by a backend (kept
                          with it), or NULL */
  char *file;          /* the .npy path when in a file */
} odeon__output;

struct odeon_result {
  int64_t runs, samples;
  odeon__output out[ODEON__OUT_COUNT];
  _Atomic int64_t failed; /* counted by the writeback as status rows
                             arrive (odeon__result_count_failed) */
};

/* An empty result for `runs` runs and `samples` samples. */
int odeon__result_create(int64_t runs, int64_t samples, odeon_result_t **out);

/* Declare output `id`: dtype, shape (run axis last), labels along the
 * "variable" axis (n_labels names, or NULL for "v0".."vN"). Storage:
 * user != NULL -> the caller's memory; file != NULL -> the data is in that
 * file (data stays NULL); else the result allocates it (E_NOMEM with the
 * size when it cannot). */
int odeon__result_add(odeon_result_t *r, odeon__out_id id, odeon_dtype dtype,
                      int ndim, const int64_t *shape, const char *const *axes,
                      const char *const *labels, int64_t n_labels, void *user,
                      const char *file);

/* The output's name ("state", "observables", ...). */
const char *odeon__out_name(odeon__out_id id);

/* Bytes of output `id` (product of the shape times the element size). */
uint64_t odeon__result_bytes(const odeon_result_t *r, odeon__out_id id);

/* Add `n` failed runs seen in a delivered status row (any thread). */
void odeon__result_count_failed(odeon_result_t *r, int64_t n);

#endif
