/* multi.c - odeon__engine_solve_multi: the runs of one solve split into
 * contiguous ranges over several devices, one host thread per device, each
 * running its own engine pipeline into the shared outputs. */
#include "engine/multi.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "util/parallel.h"

void odeon__multi_split(long long runs, int n, const double *weight,
                        long long *begin) {
  double total = 0;
  for (int i = 0; i < n; i++)
    total += weight[i] > 0 ? weight[i] : 0;
  double cum = 0;
  begin[0] = 0;
  for (int i = 0; i < n; i++) {
    cum += weight[i] > 0 ? weight[i] : 0;
    /* cumulative rounding: the ranges stay contiguous and cover every run */
    long long b =
        total > 0 ? (long long)floor((double)runs * (cum / total) + 0.5) : 0;
    if (b < begin[i])
      b = begin[i];
    begin[i + 1] = i + 1 == n || b > runs ? runs : b;
  }
}

/* What the device threads share. */
typedef struct multi {
  const odeon__engine_request *req;
  pthread_mutex_t mu;
  atomic_int stop; /* set with the first error or a cancel */
  int status;      /* the first error */
  int failed;      /* the device that had it */
  char msg[ODEON__ENGINE_MSG];
  long long runs_total, bytes_total;
  long long runs_done[ODEON__MAX_DEVICES], bytes_done[ODEON__MAX_DEVICES];
} multi;

typedef struct job {
  multi *m;
  int index;
  const char *name;
  odeon__engine_request req;
  int status;
  double seconds;
} job;

/* Record the first error (naming the device) and stop every device. */
static void record(multi *m, const job *j, int status, const char *what) {
  pthread_mutex_lock(&m->mu);
  if (!m->status) {
    m->status = status;
    m->failed = j->index;
    snprintf(m->msg, sizeof m->msg, "device %s (runs %lld..%lld): %s", j->name,
             j->req.run_begin, j->req.run_end - 1, what);
  }
  atomic_store(&m->stop, 1);
  pthread_mutex_unlock(&m->mu);
}

/* Each device's progress callback: sums the devices for the caller's
   callback (called from one thread at a time), and says stop once any
   device failed or the caller cancelled. */
static int progress(int64_t runs_done, int64_t runs_total, int64_t bytes_done,
                    int64_t bytes_total, void *user) {
  (void)runs_total;
  (void)bytes_total;
  job *j = user;
  multi *m = j->m;
  if (atomic_load(&m->stop))
    return 1;
  pthread_mutex_lock(&m->mu);
  m->runs_done[j->index] = runs_done;
  m->bytes_done[j->index] = bytes_done;
  int stop = atomic_load(&m->stop);
  if (!stop && m->req->progress) {
    long long rd = 0, bd = 0;
    for (int i = 0; i < ODEON__MAX_DEVICES; i++) {
      rd += m->runs_done[i];
      bd += m->bytes_done[i];
    }
    stop = m->req->progress(rd, m->runs_total, bd, m->bytes_total,
                            m->req->progress_user) != 0;
    if (stop)
      atomic_store(&m->stop, 1);
  }
  pthread_mutex_unlock(&m->mu);
  return stop;
}

static void *device_main(void *arg) {
  job *j = arg;
  double t0 = odeon__now();
  odeon_result_t *none = NULL;
  j->status = odeon__engine_solve(&j->req, &none);
  j->seconds = odeon__now() - t0;
  if (j->status)
    record(j->m, j, j->status, odeon_last_error());
  return NULL;
}

static int verbose(void) {
  const char *v = getenv("ODEON_VERBOSE");
  return v && *v && strcmp(v, "0") != 0;
}

int odeon__engine_solve_multi(const odeon__engine_request *req,
                              const odeon__multi_device *dev, int n,
                              odeon_result_t **out) {
  if (!out)
    return odeon__error(ODEON_E_INVAL, "multi-device solve: out is NULL");
  *out = NULL;
  if (!req || !dev || n < 1 || n > ODEON__MAX_DEVICES || !req->grid ||
      req->into)
    return odeon__error(ODEON_E_INVAL,
                        "multi-device solve: needs a request, a grid and 1 "
                        "to %d devices (got %d)",
                        ODEON__MAX_DEVICES, n);
  for (int i = 0; i < n; i++)
    if (!dev[i].backend || !dev[i].module || !(dev[i].weight > 0))
      return odeon__error(ODEON_E_INVAL,
                          "multi-device solve: device %d lacks a backend, "
                          "a module or a positive weight",
                          i);
  long long runs = odeon_grid_runs(req->grid);
  double weight[ODEON__MAX_DEVICES];
  long long begin[ODEON__MAX_DEVICES + 1];
  for (int i = 0; i < n; i++)
    weight[i] = dev[i].weight;
  odeon__multi_split(runs, n, weight, begin);

  odeon__engine_request first = *req;
  first.backend = dev[0].backend;
  first.module = dev[0].module;
  odeon__engine_outputs *outs = NULL;
  int st = odeon__engine_outputs_open(&first, &outs);
  if (st)
    return st;

  multi *m = calloc(1, sizeof *m);
  job *jobs = calloc((size_t)n, sizeof *jobs);
  pthread_t *tid = calloc((size_t)n, sizeof *tid);
  int *started = calloc((size_t)n, sizeof *started);
  if (!m || !jobs || !tid || !started || pthread_mutex_init(&m->mu, NULL)) {
    int mu_ok = m && jobs && tid && started;
    if (mu_ok)
      st = odeon__error(ODEON_E_BACKEND, "multi-device solve: mutex init");
    else
      st = odeon__error(ODEON_E_NOMEM, "multi-device solve: out of memory");
    free(m);
    free(jobs);
    free(tid);
    free(started);
    odeon__engine_outputs_close(outs, 0, NULL);
    return st;
  }
  m->req = req;
  atomic_init(&m->stop, 0);
  m->runs_total = runs;
  m->bytes_total = outs->bytes_total;
  for (int i = 0; i < n; i++) {
    job *j = &jobs[i];
    j->m = m;
    j->index = i;
    j->name = dev[i].name ? dev[i].name : "?";
    j->req = *req;
    j->req.backend = dev[i].backend;
    j->req.module = dev[i].module;
    j->req.cache = dev[i].cache;
    j->req.run_begin = begin[i];
    j->req.run_end = begin[i + 1];
    j->req.into = outs;
    j->req.progress = progress;
    j->req.progress_user = j;
    if (begin[i] == begin[i + 1] || atomic_load(&m->stop))
      continue; /* no run for this device (fewer runs than devices) */
    int rc = odeon__thread_start(&tid[i], device_main, j);
    if (rc) {
      char what[96];
      snprintf(what, sizeof what, "cannot start its thread (errno %d)", rc);
      record(m, j, ODEON_E_BACKEND, what);
    } else {
      started[i] = 1;
    }
  }
  for (int i = 0; i < n; i++)
    if (started[i])
      pthread_join(tid[i], NULL);
  if (verbose())
    for (int i = 0; i < n; i++)
      fprintf(stderr, "odeon: device %s: %lld runs (%lld..%lld) in %.3f s%s\n",
              jobs[i].name, begin[i + 1] - begin[i], begin[i], begin[i + 1] - 1,
              jobs[i].seconds,
              m->status && m->failed == i ? " (failed: the first error)"
              : !started[i]               ? " (not started)"
              : jobs[i].status            ? " (stopped)"
                                          : "");
  st = m->status;
  /* close first: a failed close must not hide the device's message */
  int cst = odeon__engine_outputs_close(outs, !st, out);
  if (st)
    odeon__error(st, "%s", m->msg);
  else
    st = cst;
  pthread_mutex_destroy(&m->mu);
  free(m);
  free(jobs);
  free(tid);
  free(started);
  return st;
}
