/* solver.c - the public solver: checks the options, picks the backend
 * (falling back from CUDA to the CPU with a reason), generates and compiles
 * the kernel once, and runs each solve through the batch engine. */
#include "api/api.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/drivers.h"
#include "backend/cuda/cuda_backend.h"
#include "engine/engine.h"
#include "engine/multi.h"
#include "model/model.h"
#include "util/bigmem.h"
#include "util/error.h"
#include "util/parallel.h"
#include "util/trace.h"

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

/* Release every device: the cached slots first (they belong to their
   backend), then the module, then the backend. */
static void release_devices(odeon_solver_t *s) {
  for (int i = s->n_devices - 1; i >= 1; i--) {
    odeon__engine_cache_destroy(s->dev_cache[i]);
    if (s->dev_module[i])
      s->dev_backend[i]->ops->module_unload(s->dev_backend[i],
                                            s->dev_module[i]);
    if (s->dev_backend[i])
      s->dev_backend[i]->ops->destroy(s->dev_backend[i]);
    s->dev_cache[i] = NULL;
    s->dev_module[i] = NULL;
    s->dev_backend[i] = NULL;
  }
  odeon__engine_cache_destroy(s->engine_cache);
  if (s->module)
    s->backend->ops->module_unload(s->backend, s->module);
  if (s->backend)
    s->backend->ops->destroy(s->backend);
  s->engine_cache = NULL;
  s->module = NULL;
  s->backend = NULL;
  s->n_devices = 0;
}

/* "cpu:N" (N CPU backends sharing the threads): N in *n, else 0. */
static int parse_cpu_devices(const char *devices, int *n) {
  *n = 0;
  if (!devices || strncmp(devices, "cpu:", 4) != 0)
    return ODEON_OK;
  char *end = NULL;
  long v = strtol(devices + 4, &end, 10);
  if (end == devices + 4 || *end || v < 1 || v > ODEON__MAX_DEVICES)
    return odeon__error(ODEON_E_INVAL,
                        "devices: \"cpu:N\" needs N from 1 to %d, got \"%s\"",
                        ODEON__MAX_DEVICES, devices);
  *n = (int)v;
  return ODEON_OK;
}

/* The syntax of a CUDA device list ("all", "0", "0,1"), checked before any
   backend is tried, so a bad list is an error on every backend. */
static int check_device_list(const char *devices) {
  if (!devices || strcmp(devices, "all") == 0)
    return ODEON_OK;
  const char *p = devices;
  for (;;) {
    char *end = NULL;
    long v = strtol(p, &end, 10);
    if (end == p || *p == '-' || *p == '+' || v > 1023 || (*end && *end != ','))
      return odeon__error(ODEON_E_INVAL,
                          "devices: expected \"all\", CUDA device numbers "
                          "like 0 or 0,1, or cpu:N, got \"%s\"",
                          devices);
    if (!*end)
      return ODEON_OK;
    p = end + 1;
  }
}

/* The CUDA backends of devices ids[0..n): the first in s->backend, the
   others in s->dev_backend[1..]. */
static int create_cuda(odeon_solver_t *s, odeon__backend_config *bc,
                       const int *ids, int n) {
  int st = ODEON_OK;
  for (int i = 0; i < n; i++) {
    bc->device = ids[i];
    odeon__backend *be = NULL;
    if ((st = odeon__backend_cuda_create(bc, &be)) != ODEON_OK)
      return n > 1 ? odeon__error_context(st, "device cuda:%d: ", ids[i]) : st;
    if (i == 0)
      s->backend = be;
    else
      s->dev_backend[i] = be;
    s->n_devices = i + 1;
    snprintf(s->dev_name[i], sizeof s->dev_name[i], "cuda:%d", ids[i]);
    /* runs in proportion to the multiprocessors */
    int sms = odeon__cuda_device(be)->sm_count;
    s->dev_weight[i] = sms > 0 ? sms : 1;
  }
  return ODEON_OK;
}

/* n CPU backends, the worker threads split between them. */
static int create_cpu(odeon_solver_t *s, odeon__backend_config *bc, int n) {
  int total = bc->threads > 0 ? bc->threads : odeon__cpus_available();
  if (total < 1)
    total = 1;
  for (int i = 0; i < n; i++) {
    odeon__backend_config c = *bc;
    if (n > 1) {
      c.threads = total / n + (i < total % n);
      if (c.threads < 1)
        c.threads = 1;
    }
    odeon__backend *be = NULL;
    int st = odeon__backend_cpu_create(&c, &be);
    if (st != ODEON_OK)
      return n > 1 ? odeon__error_context(st, "device cpu:%d: ", i) : st;
    if (i == 0)
      s->backend = be;
    else
      s->dev_backend[i] = be;
    s->n_devices = i + 1;
    snprintf(s->dev_name[i], sizeof s->dev_name[i], "cpu:%d", i);
    s->dev_weight[i] = n > 1 ? c.threads : 1;
  }
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
  int n_cpu = 0;
  int st = parse_cpu_devices(o->devices, &n_cpu);
  if (st == ODEON_OK && !n_cpu)
    st = check_device_list(o->devices);
  if (st != ODEON_OK)
    return st;
  if (n_cpu && o->backend == ODEON_BACKEND_CUDA)
    return odeon__error(ODEON_E_INVAL,
                        "devices %s: CPU devices need the cpu (or auto) "
                        "backend, not cuda",
                        o->devices);
  if (odeon__model_is_functions(s->model)) {
    /* host function pointers cannot run on a GPU */
    if (o->backend == ODEON_BACKEND_CUDA)
      return odeon__error(ODEON_E_UNSUPPORTED,
                          "backend cuda: a model made from C function "
                          "pointers runs on the CPU backend only");
    snprintf(s->backend_reason, sizeof s->backend_reason,
             "a model from C function pointers runs on the CPU");
  } else if (n_cpu) {
    snprintf(s->backend_reason, sizeof s->backend_reason,
             "devices %s requested", o->devices);
  } else if (o->backend == ODEON_BACKEND_CUDA ||
             o->backend == ODEON_BACKEND_AUTO) {
    int ids[ODEON__MAX_DEVICES], n = 1, count = 0;
    ids[0] = 0;
    if (o->devices) {
      st = odeon__cuda_parse_devices(o->devices, ids, ODEON__MAX_DEVICES, &n);
      /* a list the driver rejects is no reason to use the CPU instead */
      if (st == ODEON_E_INVAL ||
          (st == ODEON_E_NODEVICE &&
           odeon__cuda_device_count(&count) == ODEON_OK && count > 0))
        return odeon__error_context(st, "backend cuda: ");
    }
    if (st == ODEON_OK)
      st = create_cuda(s, &bc, ids, n);
    if (st == ODEON_OK) {
      s->backend_name = "cuda";
      int len = snprintf(s->backend_reason, sizeof s->backend_reason, "%s",
                         o->backend == ODEON_BACKEND_CUDA
                             ? "requested"
                             : "a CUDA device is present");
      /* name the devices a solve is split over */
      for (int i = 0; s->n_devices > 1 && i < s->n_devices && len > 0 &&
                      (size_t)len < sizeof s->backend_reason;
           i++)
        len += snprintf(s->backend_reason + len,
                        sizeof s->backend_reason - (size_t)len, "%s%s",
                        i ? "," : "; runs split over ", s->dev_name[i]);
      return ODEON_OK;
    }
    if (o->backend == ODEON_BACKEND_CUDA)
      return odeon__error_context(st, "backend cuda: ");
    release_devices(s);
    snprintf(s->backend_reason, sizeof s->backend_reason,
             "no usable CUDA device (%s)", odeon_last_error());
    odeon_clear_error();
  } else {
    snprintf(s->backend_reason, sizeof s->backend_reason, "requested");
  }
  st = create_cpu(s, &bc, n_cpu ? n_cpu : 1);
  if (st != ODEON_OK)
    return odeon__error_context(st, "backend cpu: ");
  s->backend_name = "cpu";
  return ODEON_OK;
}

/* Compile (or load from the cache) the kernel on every device after the
   first. */
static int load_extra_modules(odeon_solver_t *s,
                              const odeon__module_source *src) {
  for (int i = 1; i < s->n_devices; i++) {
    odeon__backend *be = s->dev_backend[i];
    int st = be->ops->module_load(be, src, s->cache_dir, &s->dev_module[i]);
    long long info[ODEON_INFO_LEN];
    if (st == ODEON_OK)
      st = be->ops->module_info(s->dev_module[i], info);
    if (st != ODEON_OK)
      return odeon__error_context(st, "device %s: ", s->dev_name[i]);
    if (memcmp(info, s->info, sizeof info) != 0)
      return odeon__error(ODEON_E_INTERNAL,
                          "device %s: the kernel reports other facts than on "
                          "device %s",
                          s->dev_name[i], s->dev_name[0]);
  }
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
  /* while a solver exists, freed result arrays are kept for the next
     solve's (util/bigmem.c) */
  odeon__big_hold();
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
  odeon__module_source src = {text, "model", s->cfg.real_bytes,
                              odeon__kernel_config_init_entry(&s->cfg),
                              s->cfg.dt > 0.0};
  double t0 = odeon__now();
  st = s->backend->ops->module_load(s->backend, &src, s->cache_dir, &s->module);
  if (st == ODEON_OK)
    st = s->backend->ops->module_info(s->module, s->info);
  if (st == ODEON_OK)
    st = load_extra_modules(s, &src);
  s->compile_seconds = odeon__now() - t0;
  free(text);
  if (st != ODEON_OK)
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
  release_devices(s);
  odeon__kernel_config_free(&s->cfg);
  free(s->algorithm);
  free(s->controller);
  free(s->save);
  free(s->summaries);
  free(s->devices);
  free(s->cache_dir);
  free(s);
  odeon__big_unhold();
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
  /* the request's arrays (sample times, drivers), in a trace */
  odeon__trace_begin("prepare", -1);
  double *times = malloc((size_t)cfg->n_samples * sizeof(double));
  if (!times) {
    odeon__trace_end("prepare", -1);
    return odeon__error(ODEON_E_NOMEM, "out of memory for %lld sample times",
                        (long long)cfg->n_samples);
  }
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
    odeon__trace_end("prepare", -1);
    return odeon__error_context(st, "odeon_solve: ");
  }
  req.drivers = drivers;
  req.drivers_bytes = drivers_bytes;
  req.base.driver_stride = stride;
  odeon__trace_end("prepare", -1);
  if (s->n_devices > 1) {
    odeon__multi_device dev[ODEON__MAX_DEVICES];
    for (int i = 0; i < s->n_devices; i++) {
      dev[i].backend = i ? s->dev_backend[i] : s->backend;
      dev[i].module = i ? s->dev_module[i] : s->module;
      dev[i].cache = i ? &s->dev_cache[i] : &s->engine_cache;
      dev[i].name = s->dev_name[i];
      dev[i].weight = s->dev_weight[i];
    }
    st = odeon__engine_solve_multi(&req, dev, s->n_devices, out);
  } else {
    st = odeon__engine_solve(&req, out);
  }
  free(drivers);
  free(times);
  return st;
}
