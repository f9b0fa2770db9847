/* solver.c - the public solver: checks the options, picks the backend
 * (falling back from CUDA to the CPU with a reason), generates and compiles
 * the kernel once, and runs each solve through the batch engine. */
#include "api/api.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/drivers.h"
#include "engine/engine.h"
#include "model/model.h"
#include "util/error.h"

static int dup_opt(const char *in, char **out, const char **field) {
  *out = NULL;
  if (!in) {
    *field = NULL;
    return ODEON_OK;
  }
  *out = strdup(in);
  if (!*out)
    return odeon__error(ODEON_E_NOMEM, "out of memory copying options");
  *field = *out;
  return ODEON_OK;
}

/* Options of execution (the numerical ones are checked by the kernel
 * configuration). */
static int check_exec_options(const odeon_options_t *o) {
  if (o->backend != ODEON_BACKEND_AUTO && o->backend != ODEON_BACKEND_CPU &&
      o->backend != ODEON_BACKEND_CUDA)
    return odeon__error(ODEON_E_INVAL, "backend: unknown value %d",
                        (int)o->backend);
  if (o->threads < 0 || o->threads > 4096)
    return odeon__error(ODEON_E_INVAL, "threads: must be 0..4096, got %d",
                        o->threads);
  if (!(o->device_memory >= 0) || !isfinite(o->device_memory))
    return odeon__error(ODEON_E_INVAL,
                        "device_memory: must be bytes (> 1) or a fraction in "
                        "(0, 1], got %g",
                        o->device_memory);
  if (!(o->pinned_memory >= 0) || !isfinite(o->pinned_memory))
    return odeon__error(ODEON_E_INVAL,
                        "pinned_memory: must be a byte count >= 0, got %g",
                        o->pinned_memory);
  if (o->chunk_runs < 0)
    return odeon__error(ODEON_E_INVAL, "chunk_runs: must be >= 0, got %lld",
                        (long long)o->chunk_runs);
  if (o->slots < 0 || o->slots > 64)
    return odeon__error(ODEON_E_INVAL, "slots: must be 0..64, got %d",
                        o->slots);
  if (!(o->timeout >= 0) || !isfinite(o->timeout))
    return odeon__error(ODEON_E_INVAL, "timeout: must be >= 0 seconds, got %g",
                        o->timeout);
  if (o->block_size < 0 || o->block_size > 1024 || (o->block_size % 32) != 0)
    return odeon__error(ODEON_E_INVAL,
                        "block_size: must be 0 or a multiple of 32 up to "
                        "1024, got %d",
                        o->block_size);
  return ODEON_OK;
}

/* Parse the CUDA device list ("0", "1", "all"): one device per solver for
 * now; several devices need one solver each. */
static int parse_device(const char *devices, int *device) {
  *device = 0;
  if (!devices || strcmp(devices, "all") == 0)
    return ODEON_OK;
  char *end = NULL;
  long v = strtol(devices, &end, 10);
  if (end == devices || *end || v < 0 || v > 1024)
    return odeon__error(ODEON_E_INVAL,
                        "devices: expected a device number or \"all\", got "
                        "\"%s\"",
                        devices);
  *device = (int)v;
  return ODEON_OK;
}

static int create_backend(odeon_solver_t *s) {
  const odeon_options_t *o = &s->opts;
  odeon__backend_config bc;
  memset(&bc, 0, sizeof bc);
  bc.threads = o->threads;
  bc.mem_budget = o->device_memory > 1.0 ? (size_t)o->device_memory : 0;
  bc.timeout = o->timeout > 0 ? o->timeout : 600.0;
  bc.block_size = o->block_size;
  int st = parse_device(o->devices, &bc.device);
  if (st != ODEON_OK)
    return st;
  if (odeon__model_is_functions(s->model)) {
    /* host function pointers cannot run on a GPU */
    if (o->backend == ODEON_BACKEND_CUDA)
      return odeon__error(ODEON_E_UNSUPPORTED,
                          "backend cuda: a model made from C function "
                          "pointers runs on the CPU backend only");
    snprintf(s->backend_reason, sizeof s->backend_reason,
             "a model from C function pointers runs on the CPU");
  } else if (o->backend == ODEON_BACKEND_CUDA ||
             o->backend == ODEON_BACKEND_AUTO) {
    st = odeon__backend_cuda_create(&bc, &s->backend);
    if (st == ODEON_OK) {
      s->backend_name = "cuda";
      snprintf(s->backend_reason, sizeof s->backend_reason,
               o->backend == ODEON_BACKEND_CUDA ? "requested"
                                                : "a CUDA device is present");
      return ODEON_OK;
    }
    if (o->backend == ODEON_BACKEND_CUDA)
      return odeon__error_context(st, "backend cuda: ");
    snprintf(s->backend_reason, sizeof s->backend_reason,
             "no usable CUDA device (%s)", odeon_last_error());
    odeon_clear_error();
  } else {
    snprintf(s->backend_reason, sizeof s->backend_reason, "requested");
  }
  st = odeon__backend_cpu_create(&bc, &s->backend);
  if (st != ODEON_OK)
    return odeon__error_context(st, "backend cpu: ");
  s->backend_name = "cpu";
  return ODEON_OK;
}

int odeon_solver_create(const odeon_model_t *model, const odeon_options_t *opts,
                        odeon_solver_t **out) {
  ODEON__CHECK_ARG(out, "odeon_solver_create", "out is NULL");
  *out = NULL;
  ODEON__CHECK_ARG(model, "odeon_solver_create", "model is NULL");
  ODEON__CHECK_ARG(opts, "odeon_solver_create", "opts is NULL");
  ODEON__CHECK_ARG(opts->struct_size == sizeof(odeon_options_t),
                   "odeon_solver_create",
                   "opts was not set up by odeon_options_init (struct_size "
                   "%zu, expected %zu)",
                   opts->struct_size, sizeof(odeon_options_t));
  int st = check_exec_options(opts);
  if (st != ODEON_OK)
    return st;
  odeon_solver_t *s = calloc(1, sizeof *s);
  if (!s)
    return odeon__error(ODEON_E_NOMEM, "out of memory");
  s->model = model;
  s->usys.rhs = odeon__model_rhs_fn(model);
  s->usys.jac = odeon__model_jac_fn(model);
  s->usys.user = odeon__model_user(model);
  s->opts = *opts;
  odeon_options_t *o = &s->opts;
  if ((st = dup_opt(opts->algorithm, &s->algorithm, &o->algorithm)) ||
      (st = dup_opt(opts->controller, &s->controller, &o->controller)) ||
      (st = dup_opt(opts->save, &s->save, &o->save)) ||
      (st = dup_opt(opts->summaries, &s->summaries, &o->summaries)) ||
      (st = dup_opt(opts->devices, &s->devices, &o->devices)))
    goto fail;
  o->cache_dir = NULL;
  o->progress = opts->progress;
  if ((st = odeon__kernel_config_init(model, o, &s->cfg)) != ODEON_OK)
    goto fail;
  if ((st = odeon__cache_dir(opts->cache_dir, &s->cache_dir)) != ODEON_OK)
    goto fail;
  if ((st = create_backend(s)) != ODEON_OK)
    goto fail;
  char *text = NULL;
  odeon__lang lang =
      strcmp(s->backend_name, "cuda") == 0 ? ODEON__LANG_CUDA : ODEON__LANG_C;
  if ((st = odeon__kernel_source(model, &s->cfg, lang, &text)) != ODEON_OK)
    goto fail;
  odeon__module_source src = {text, "model", s->cfg.real_bytes};
  double t0 = odeon__now();
  st = s->backend->ops->module_load(s->backend, &src, s->cache_dir, &s->module);
  s->compile_seconds = odeon__now() - t0;
  free(text);
  if (st != ODEON_OK)
    goto fail;
  if ((st = s->backend->ops->module_info(s->module, s->info)) != ODEON_OK)
    goto fail;
  if (s->info[ODEON_INFO_ABI] != ODEON_KERNEL_ABI ||
      s->info[ODEON_INFO_REAL_BYTES] != s->cfg.real_bytes) {
    st = odeon__error(ODEON_E_INTERNAL,
                      "compiled kernel reports ABI %lld and %lld-byte reals, "
                      "expected ABI %d and %d-byte reals",
                      s->info[ODEON_INFO_ABI], s->info[ODEON_INFO_REAL_BYTES],
                      ODEON_KERNEL_ABI, s->cfg.real_bytes);
    goto fail;
  }
  *out = s;
  return ODEON_OK;
fail:
  odeon_solver_destroy(s);
  return st;
}

void odeon_solver_destroy(odeon_solver_t *s) {
  if (!s)
    return;
  /* the cached slots belong to the backend: release them first */
  odeon__engine_cache_destroy(s->engine_cache);
  if (s->module)
    s->backend->ops->module_unload(s->backend, s->module);
  if (s->backend)
    s->backend->ops->destroy(s->backend);
  odeon__kernel_config_free(&s->cfg);
  free(s->algorithm);
  free(s->controller);
  free(s->save);
  free(s->summaries);
  free(s->devices);
  free(s->cache_dir);
  free(s);
}

const char *odeon_solver_backend(const odeon_solver_t *s) {
  return s && s->backend_name ? s->backend_name : "";
}

const char *odeon_solver_backend_reason(const odeon_solver_t *s) {
  return s ? s->backend_reason : "";
}

int odeon_solve(odeon_solver_t *s, const odeon_grid_t *grid,
                const odeon_dest_t *dest, odeon_result_t **out) {
  ODEON__CHECK_ARG(out, "odeon_solve", "out is NULL");
  *out = NULL;
  ODEON__CHECK_ARG(s, "odeon_solve", "solver is NULL");
  ODEON__CHECK_ARG(grid, "odeon_solve", "grid is NULL");
  const odeon__kernel_config *cfg = &s->cfg;
  odeon__engine_request req;
  memset(&req, 0, sizeof req);
  int st = odeon__kernel_args_init(cfg, &s->opts, &req.base);
  if (st != ODEON_OK)
    return st;
  double *times = malloc((size_t)cfg->n_samples * sizeof(double));
  if (!times)
    return odeon__error(ODEON_E_NOMEM, "out of memory for %lld sample times",
                        (long long)cfg->n_samples);
  for (int64_t k = 0; k < cfg->n_samples; k++)
    times[k] = odeon__sample_time(cfg, k);
  int64_t count;
  if (odeon__model_is_functions(s->model))
    req.base.user_system = &s->usys;
  req.backend = s->backend;
  req.module = s->module;
  memcpy(req.info, s->info, sizeof req.info);
  req.grid = grid;
  req.sample_times = times;
  req.n_samples = cfg->n_samples;
  req.n_windows = cfg->n_windows;
  req.state_labels = odeon__kernel_labels(cfg, "state", &count);
  req.obs_labels = odeon__kernel_labels(cfg, "observables", &count);
  req.counter_labels = odeon__kernel_labels(cfg, "counters", &count);
  req.summary_labels = odeon__kernel_labels(cfg, "summaries", &count);
  req.outputs = cfg->outputs;
  req.dest = dest;
  req.device_budget = s->opts.device_memory;
  req.pinned_cap = (size_t)s->opts.pinned_memory;
  req.chunk_runs = s->opts.chunk_runs;
  req.slots = s->opts.slots;
  req.timeout = s->opts.timeout;
  req.progress = s->opts.progress;
  req.progress_user = s->opts.progress_user;
  req.cache = &s->engine_cache;
  void *drivers = NULL;
  size_t drivers_bytes = 0;
  long long stride = 0;
  st = odeon__drivers_build(s->model, grid, s->cfg.real_bytes, &drivers,
                            &drivers_bytes, &stride);
  if (st != ODEON_OK) {
    free(times);
    return odeon__error_context(st, "odeon_solve: ");
  }
  req.drivers = drivers;
  req.drivers_bytes = drivers_bytes;
  req.base.driver_stride = stride;
  st = odeon__engine_solve(&req, out);
  free(drivers);
  free(times);
  return st;
}
