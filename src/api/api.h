/* api.h - internals of the public solver API (src/api): the solver handle
 * and the cache directory. */
#ifndef ODEON_API_API_H
#define ODEON_API_API_H

#include "backend/backend.h"
#include "codegen/kernel_source.h"
#include "codegen/system_user.h"
#include "engine/multi.h"
#include "odeon.h"

struct odeon_solver {
  const odeon_model_t *model;
  odeon_options_t opts; /* strings below are owned copies */
  char *algorithm, *controller, *save, *summaries, *devices, *cache_dir;
  odeon__kernel_config cfg;
  odeon__backend *backend;
  odeon__module *module;
  long long info[ODEON_INFO_LEN];
  const char *backend_name;
  char backend_reason[512];
  double compile_seconds;
  odeon__user_system usys; /* models from C function pointers */
  /* the engine's slots, kept between solves (engine.h) */
  struct odeon__engine_cache *engine_cache;
  /* Several devices (--devices 0,1 | all | cpu:N): device 0 is backend,
     module and engine_cache above; devices 1..n_devices-1 live in the
     arrays below (their entry 0 is unused). */
  int n_devices;
  odeon__backend *dev_backend[ODEON__MAX_DEVICES];
  odeon__module *dev_module[ODEON__MAX_DEVICES];
  struct odeon__engine_cache *dev_cache[ODEON__MAX_DEVICES];
  char dev_name[ODEON__MAX_DEVICES][16]; /* "cuda:1", "cpu:0" */
  double dev_weight[ODEON__MAX_DEVICES]; /* share of the runs */
};

/* Resolve and create the kernel cache directory (see cache_dir.c). */
int odeon__cache_dir(const char *option, char **out);

#endif
