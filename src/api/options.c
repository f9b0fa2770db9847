/* options.c - odeon_options_init: the documented defaults of every option
 * (include/odeon.h says the same values in its comments). */
#include <math.h>
#include <string.h>

#include "odeon.h"

void odeon_options_init(odeon_options_t *o) {
  if (!o)
    return;
  memset(o, 0, sizeof *o);
  o->struct_size = sizeof *o;
  o->algorithm = "dormand-prince-54";
  o->controller = NULL;
  o->precision = ODEON_FLOAT64;
  o->atol = 1e-6;
  o->rtol = 1e-6;
  o->dt = 0.0;
  o->dt_min = 1e-12;
  o->dt_max = 0.0;
  o->max_steps = 10000000;
  o->safety = NAN;
  o->gain_min = NAN;
  o->gain_max = NAN;
  o->beta1 = NAN;
  o->beta2 = NAN;
  o->beta3 = NAN;
  o->deadband_min = NAN;
  o->deadband_max = NAN;
  o->newton_max_iters = 0;
  o->newton_tol = NAN;
  o->t0 = 0.0;
  o->duration = 1.0;
  o->settling_time = 0.0;
  o->save_every = 0.0;
  o->summarise_every = 0.0;
  o->outputs = ODEON_OUT_STATE | ODEON_OUT_TIME | ODEON_OUT_STATUS;
  o->save = NULL;
  o->summaries = NULL;
  o->backend = ODEON_BACKEND_AUTO;
  o->threads = 0;
  o->device_memory = 0.0;
  o->pinned_memory = 0.0;
  o->chunk_runs = 0;
  o->slots = 0;
  o->timeout = 0.0;
  o->devices = NULL;
  o->block_size = 0;
  o->cache_dir = NULL;
  o->progress = NULL;
  o->progress_user = NULL;
}
