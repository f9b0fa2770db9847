/* result.c - odeon_result_*: the public view of a solve's outputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/result.h"
#include "util/bigmem.h"
#include "util/error.h"

static const char *const out_names[ODEON__OUT_COUNT] = {
    "state", "observables", "time", "status", "counters", "summaries"};

const char *odeon__out_name(odeon__out_id id) {
  return (unsigned)id < ODEON__OUT_COUNT ? out_names[id] : "?";
}

static size_t dtype_size(odeon_dtype t) {
  return t == ODEON_DTYPE_F32 || t == ODEON_DTYPE_U32 ? 4 : 8;
}

static char *dup_str(const char *s) {
  char *d = malloc(strlen(s) + 1);
  if (d)
    strcpy(d, s);
  return d;
}

int odeon__result_create(int64_t runs, int64_t samples, odeon_result_t **out) {
  *out = calloc(1, sizeof **out);
  if (!*out)
    return odeon__error(ODEON_E_NOMEM, "result: out of memory");
  (*out)->runs = runs;
  (*out)->samples = samples;
  return ODEON_OK;
}

uint64_t odeon__result_bytes(const odeon_result_t *r, odeon__out_id id) {
  const odeon__output *o = &r->out[id];
  if (!o->present)
    return 0;
  uint64_t n = o->esize;
  for (int i = 0; i < o->ndim; i++)
    n *= (uint64_t)o->shape[i];
  return n;
}

int odeon__result_add(odeon_result_t *r, odeon__out_id id, odeon_dtype dtype,
                      int ndim, const int64_t *shape, const char *const *axes,
                      const char *const *labels, int64_t n_labels, void *user,
                      const char *file) {
  odeon__output *o = &r->out[id];
  o->present = 1;
  o->dtype = dtype;
  o->esize = dtype_size(dtype);
  o->ndim = ndim;
  for (int i = 0; i < ndim; i++) {
    o->shape[i] = shape[i];
    o->axes[i] = axes[i];
  }
  uint64_t bytes = odeon__result_bytes(r, id);
  if (n_labels > 0) {
    o->labels = calloc((size_t)n_labels + 1, sizeof *o->labels);
    if (!o->labels)
      return odeon__error(ODEON_E_NOMEM, "result: out of memory (labels)");
    for (int64_t i = 0; i < n_labels; i++) {
      char buf[32];
      const char *l = labels && labels[i] ? labels[i] : NULL;
      if (!l) {
        snprintf(buf, sizeof buf, "v%lld", (long long)i);
        l = buf;
      }
      if (!(o->labels[i] = dup_str(l)))
        return odeon__error(ODEON_E_NOMEM, "result: out of memory (labels)");
    }
  }
  if (file) {
    if (!(o->file = dup_str(file)))
      return odeon__error(ODEON_E_NOMEM, "result: out of memory");
  } else if (user) {
    o->data = user;
  } else if (bytes) {
    if (bytes > SIZE_MAX ||
        !(o->data = odeon__big_alloc((size_t)bytes, &o->warm, &o->pin)))
      return odeon__error(ODEON_E_NOMEM,
                          "result: cannot allocate %llu bytes for the '%s' "
                          "output (use a file destination for results larger "
                          "than memory)",
                          (unsigned long long)bytes, out_names[id]);
    o->owned = (size_t)bytes;
  }
  return ODEON_OK;
}

void odeon__result_count_failed(odeon_result_t *r, int64_t n) {
  /* counted while the status rows are written back, in parallel, rather
     than in one more pass over every run at the end */
  atomic_fetch_add(&r->failed, n);
}

void odeon_result_destroy(odeon_result_t *r) {
  if (!r)
    return;
  for (int i = 0; i < ODEON__OUT_COUNT; i++) {
    odeon__output *o = &r->out[i];
    for (char **l = o->labels; l && *l; l++)
      free(*l);
    free(o->labels);
    if (o->owned)
      odeon__big_free(o->data, o->owned, o->pin);
    free(o->file);
  }
  free(r);
}

int64_t odeon_result_runs(const odeon_result_t *r) {
  return r ? r->runs
           : odeon__error(ODEON_E_INVAL, "odeon_result_runs: result is NULL");
}

int64_t odeon_result_samples(const odeon_result_t *r) {
  return r ? r->samples
           : odeon__error(ODEON_E_INVAL,
                          "odeon_result_samples: result is NULL");
}

static int find_output(const odeon_result_t *r, const char *name) {
  for (int i = 0; i < ODEON__OUT_COUNT; i++)
    if (!strcmp(out_names[i], name))
      return i;
  return -1;
}

int odeon_result_output(const odeon_result_t *r, const char *name,
                        odeon_array_view *view) {
  ODEON__CHECK_ARG(r && name && view, "odeon_result_output",
                   "result, name or view is NULL");
  int i = find_output(r, name);
  if (i < 0)
    return odeon__error(ODEON_E_INVAL,
                        "odeon_result_output: no output named '%s' (state, "
                        "observables, time, status, counters, summaries)",
                        name);
  const odeon__output *o = &r->out[i];
  if (!o->present)
    return odeon__error(ODEON_E_INVAL,
                        "odeon_result_output: '%s' was not produced by this "
                        "solve (see the outputs option)",
                        name);
  memset(view, 0, sizeof *view);
  view->name = out_names[i];
  view->data = o->data;
  view->dtype = o->dtype;
  view->ndim = o->ndim;
  for (int k = 0; k < o->ndim; k++) {
    view->shape[k] = o->shape[k];
    view->axes[k] = o->axes[k];
  }
  view->labels = (const char *const *)o->labels;
  return ODEON_OK;
}

const char *odeon_result_file(const odeon_result_t *r, const char *name) {
  if (!r || !name) {
    odeon__error(ODEON_E_INVAL, "odeon_result_file: result or name is NULL");
    return NULL;
  }
  int i = find_output(r, name);
  return i >= 0 ? r->out[i].file : NULL;
}

uint32_t odeon_result_run_status(const odeon_result_t *r, int64_t run) {
  if (!r || run < 0 || run >= r->runs || !r->out[ODEON__OUT_STATUS].data) {
    odeon__error(ODEON_E_RANGE,
                 "odeon_result_run_status: run %lld is outside the result",
                 (long long)run);
    return UINT32_MAX;
  }
  return ((const uint32_t *)r->out[ODEON__OUT_STATUS].data)[run];
}

int64_t odeon_result_failed_runs(const odeon_result_t *r) {
  return r ? atomic_load(&r->failed)
           : odeon__error(ODEON_E_INVAL,
                          "odeon_result_failed_runs: result is NULL");
}
