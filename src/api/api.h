/* api.h - internals of the public solver API (src/api): the solver handle
 * and the cache directory. */
#ifndef ODEON_API_API_H
#define ODEON_API_API_H

#include "backend/backend.h"
#include "codegen/kernel_source.h"
#include "codegen/system_user.h"
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
};

/* Resolve and create the kernel cache directory (see cache_dir.c). */
int odeon__cache_dir(const char *option, char **out);

#endif
