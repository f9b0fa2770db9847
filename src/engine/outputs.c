/* outputs.c - the result's outputs for one solve: shapes, axis names,
 * labels, and where each goes (the result's memory, the caller's buffer,
 * or .npy files for a file destination). */
#include <stdio.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "util/bigmem.h"

/* The machine's memory (4 GiB where it is not known). */
static size_t physical_memory(void) {
  size_t mem = odeon__physical_memory();
  return mem ? mem : (size_t)1 << 32;
}

/* Declare output `id` and open its sink: the .npy file `file` when not
   NULL, else the caller's memory `user`, else memory the result owns. */
static int open_output(odeon__engine *e, odeon__out_id id, odeon_dtype dtype,
                       int ndim, const int64_t *shape, const char *const *axes,
                       const char *const *labels, int64_t n_labels, void *user,
                       const char *file) {
  static const char *const descr[] = {"<f8", "<f4", "<u4", "<i8"};
  int st = odeon__result_add(e->result, id, dtype, ndim, shape, axes, labels,
                             n_labels, user, file);
  const odeon__output *o = &e->result->out[id];
  if (!st && file)
    st = odeon__sink_file(&e->sink[id], file, descr[dtype], ndim, shape,
                          o->esize);
  else if (!st)
    odeon__sink_memory(&e->sink[id], o->data, o->esize);
  return st;
}

/* "dir/big.npy" + "observables" -> "dir/big-observables.npy" (the names
   the command-line program gives the outputs beside --out). */
static int sibling(const char *path, const char *what, char *buf, size_t size) {
  size_t n = strlen(path);
  if (n >= 4 && !strcmp(path + n - 4, ".npy"))
    n -= 4;
  int len = snprintf(buf, size, "%.*s-%s.npy", (int)n, path, what);
  if (len < 0 || (size_t)len >= size)
    return odeon__error(ODEON_E_INVAL, "engine: output path too long: %s",
                        path);
  return ODEON_OK;
}

/* Page-lock the result memory this solve reuses from an earlier one (a
   kept mapping, util/bigmem.c), where the backend can: from then on the
   device downloads into it directly (choose_direct in pipeline.c sees it
   page-locked), with no staging and no writeback copy, in this solve and
   every later one that reuses it; the pin stays with the memory. Fresh
   memory is not pinned: registering it would fault its pages in at the
   driver's 18-22 GB/s, on the solve's critical path, where the first solve
   touches them while the GPU computes; a caller that solves once never
   gains. A failure only leaves the output staged. */
static void pin_reused_outputs(odeon__engine *e) {
  if (!e->ops || !e->ops->host_pin || e->req->staged)
    return;
  for (int id = 0; id < ODEON__OUT_COUNT; id++) {
    odeon__output *o = &e->result->out[id];
    size_t len = odeon__big_mapped_len(o->owned);
    if (id == ODEON__OUT_TIME || !o->owned || !o->warm || o->pin || !len)
      continue;
    if (e->ops->host_pin(e->be, o->data, len, &o->pin) != ODEON_OK)
      o->pin = NULL;
  }
}

/* Declare the outputs and open their destinations. When the state goes to
   a file, the observables and summaries (as large, per sample or window)
   go to files beside it; time, status and counters stay in memory. */
int odeon__engine_setup_outputs(odeon__engine *e) {
  const odeon__engine_request *req = e->req;
  odeon_dest_t auto_dest = {0};
  const odeon_dest_t *d = req->dest ? req->dest : &auto_dest;
  odeon_dtype rt = e->rb == 4 ? ODEON_DTYPE_F32 : ODEON_DTYPE_F64;
  static const char *const ax3[] = {"sample", "variable", "run"};
  static const char *const axw[] = {"window", "variable", "run"};
  static const char *const ax2[] = {"variable", "run"};
  static const char *const ax1r[] = {"run"};
  static const char *const ax1s[] = {"sample"};
  int st = odeon__result_create(e->runs, req->n_samples, &e->result);
  if (st)
    return st;
  int64_t sh[3] = {req->n_samples, e->nsav, e->runs};
  uint64_t state_bytes =
      (uint64_t)sh[0] * (uint64_t)sh[1] * (uint64_t)sh[2] * (uint64_t)e->rb;
  const char *path = d->path ? d->path : "odeon-result.npy";
  int to_file = 0;
  if (e->want_state) {
    to_file = d->kind == ODEON_DEST_FILE;
    if (d->kind == ODEON_DEST_AUTO) {
      double limit =
          d->ram_limit > 0 ? d->ram_limit : 0.5 * (double)physical_memory();
      to_file = (double)state_bytes > limit;
    }
    void *user = NULL;
    if (d->kind == ODEON_DEST_USER) {
      if (!d->user_state || d->user_state_bytes < state_bytes)
        return odeon__error(ODEON_E_INVAL,
                            "engine: the caller's state buffer holds %zu "
                            "bytes, the state output needs %llu "
                            "([%lld samples][%lld vars][%lld runs] of %d "
                            "bytes)",
                            d->user_state ? d->user_state_bytes : 0,
                            (unsigned long long)state_bytes, (long long)sh[0],
                            (long long)sh[1], (long long)sh[2], e->rb);
      user = d->user_state;
    }
    st = open_output(e, ODEON__OUT_STATE, rt, 3, sh, ax3, req->state_labels,
                     e->nsav, user, to_file ? path : NULL);
  } else if (d->kind == ODEON_DEST_USER || d->kind == ODEON_DEST_FILE) {
    return odeon__error(ODEON_E_INVAL,
                        "engine: a %s destination needs the state output "
                        "(outputs include 'state' and at least one saved "
                        "state)",
                        d->kind == ODEON_DEST_USER ? "caller-buffer" : "file");
  }
  char side[4200];
  if (!st && e->want_obs) {
    int64_t s[3] = {req->n_samples, e->nobs, e->runs};
    if (to_file)
      st = sibling(path, "observables", side, sizeof side);
    if (!st)
      st = open_output(e, ODEON__OUT_OBS, rt, 3, s, ax3, req->obs_labels,
                       e->nobs, NULL, to_file ? side : NULL);
  }
  if (!st && e->want_sum) {
    int64_t s[3] = {req->n_windows, e->nsum, e->runs};
    if (to_file)
      st = sibling(path, "summaries", side, sizeof side);
    if (!st)
      st = open_output(e, ODEON__OUT_SUMMARIES, rt, 3, s, axw,
                       req->summary_labels, e->nsum, NULL,
                       to_file ? side : NULL);
  }
  if (!st && (req->outputs & ODEON_OUT_TIME) && req->n_samples > 0) {
    int64_t s[1] = {req->n_samples};
    st = open_output(e, ODEON__OUT_TIME, ODEON_DTYPE_F64, 1, s, ax1s, NULL, 0,
                     NULL, NULL);
    if (!st)
      memcpy(e->result->out[ODEON__OUT_TIME].data, req->sample_times,
             (size_t)req->n_samples * sizeof(double));
  }
  if (!st) {
    int64_t s[1] = {e->runs};
    st = open_output(e, ODEON__OUT_STATUS, ODEON_DTYPE_U32, 1, s, ax1r, NULL, 0,
                     NULL, NULL);
  }
  if (!st && e->want_cnt) {
    int64_t s[2] = {e->ncnt, e->runs};
    st = open_output(e, ODEON__OUT_COUNTERS, ODEON_DTYPE_I64, 2, s, ax2,
                     req->counter_labels, e->ncnt, NULL, NULL);
  }
  if (st)
    return st;
  pin_reused_outputs(e);
  e->bytes_total = 0;
  for (int i = 0; i < ODEON__OUT_COUNT; i++)
    if (i != ODEON__OUT_TIME)
      e->bytes_total +=
          (long long)odeon__result_bytes(e->result, (odeon__out_id)i);
  return ODEON_OK;
}
