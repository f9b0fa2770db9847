/* multi.h - one solve split over several devices: each device (its own
 * backend, module, engine cache, streams and pipeline) computes a contiguous
 * range of the runs on its own host thread, all writing into one result. */
#ifndef ODEON_ENGINE_MULTI_H
#define ODEON_ENGINE_MULTI_H

#include "engine/engine.h"

#define ODEON__MAX_DEVICES 16

typedef struct odeon__multi_device {
  odeon__backend *backend;
  odeon__module *module;       /* the same kernel source, loaded on `backend` */
  odeon__engine_cache **cache; /* this device's slots between solves */
  const char *name;            /* "cuda:1", "cpu:0": messages and verbose */
  double weight;               /* its share of the runs (SM count, threads) */
} odeon__multi_device;

/* Split runs [0, runs) into n contiguous ranges proportional to weight[]
 * (all > 0): device i gets [begin[i], begin[i + 1]); begin has n + 1
 * entries, begin[0] = 0 and begin[n] = runs. A device may get no run. */
void odeon__multi_split(long long runs, int n, const double *weight,
                        long long *begin);

/* Solve req (its backend, module and cache are replaced by each device's)
 * on n devices at once, one thread each, every thread joined before it
 * returns. The first error on any device stops the others (through their
 * progress callbacks) and is returned naming the device; the result and
 * files are then as odeon__engine_solve leaves them on failure. The
 * caller's progress callback sees the sums over the devices, from one
 * thread at a time. With ODEON_VERBOSE=1 each device's runs and time go to
 * stderr. */
int odeon__engine_solve_multi(const odeon__engine_request *req,
                              const odeon__multi_device *dev, int n,
                              odeon_result_t **out);

#endif
