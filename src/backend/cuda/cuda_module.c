/* cuda_module.c - kernel modules on CUDA: get the CUBIN (disk cache or
 * NVRTC; an adaptive kernel's initial-step entry compiled at the same time
 * on a thread of its own), load it, find odeon_kernel_cuda and read
 * odeon_kernel_info, and pick the launch block size from the occupancy
 * API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cubin_cache.h"
#include "backend/cuda/cuda_internal.h"
#include "backend/cuda/nvrtc.h"
#include "util/error.h"
#include "util/parallel.h"

static int verbose(void) {
  const char *v = getenv("ODEON_VERBOSE");
  return v && v[0] && strcmp(v, "0") != 0;
}

/* Load failures that mean "this CUBIN is newer than the driver". */
static int image_too_new(odeon__CUresult r) {
  return r == 200 /* CUDA_ERROR_INVALID_IMAGE */ ||
         r == 209 /* CUDA_ERROR_NO_BINARY_FOR_GPU */ ||
         r == 222 /* CUDA_ERROR_UNSUPPORTED_PTX_VERSION */ ||
         r == 218 /* CUDA_ERROR_INVALID_PTX */;
}

/* Attribute `attr` (named `name`) of function f (named `fname`). */
static int func_attr(const odeon__cuda_api *api, odeon__CUfunction f,
                     const char *fname, int attr, const char *name,
                     int *value) {
  odeon__CUresult r = api->cuFuncGetAttribute(value, attr, f);
  if (r != ODEON__CUDA_SUCCESS) {
    char what[128];
    snprintf(what, sizeof what, "cuFuncGetAttribute(%s, %s)", fname, name);
    return odeon__cu_fail(api, r, what);
  }
  return ODEON_OK;
}

/* Look up the entry point and the info table, and size the launches. */
static int module_setup(odeon__cuda_backend *be, odeon__module *m,
                        const char *kname) {
  const odeon__cuda_api *api = be->api;
  odeon__CUresult r =
      api->cuModuleGetFunction(&m->fn, m->handle, "odeon_kernel_cuda");
  if (r != ODEON__CUDA_SUCCESS)
    return odeon__error_context(
        odeon__cu_fail(api, r, "cuModuleGetFunction(\"odeon_kernel_cuda\")"),
        "kernel '%s' has no extern \"C\" __global__ odeon_kernel_cuda: ",
        kname);
  odeon__CUdeviceptr info_ptr = 0;
  size_t info_bytes = 0;
  r = api->cuModuleGetGlobal(&info_ptr, &info_bytes, m->handle,
                             "odeon_kernel_info");
  if (r != ODEON__CUDA_SUCCESS)
    return odeon__error_context(
        odeon__cu_fail(api, r, "cuModuleGetGlobal(\"odeon_kernel_info\")"),
        "kernel '%s': ", kname);
  if (info_bytes != sizeof m->info)
    return odeon__error(ODEON_E_COMPILE,
                        "kernel '%s': odeon_kernel_info has %zu bytes, "
                        "expected %zu (ODEON_INFO_LEN long longs)",
                        kname, info_bytes, sizeof m->info);
  r = api->cuMemcpyDtoH(m->info, info_ptr, sizeof m->info);
  if (r != ODEON__CUDA_SUCCESS)
    return odeon__cu_fail(api, r, "cuMemcpyDtoH(odeon_kernel_info)");
  if (m->info[ODEON_INFO_ABI] != ODEON_KERNEL_ABI)
    return odeon__error(ODEON_E_COMPILE,
                        "kernel '%s': kernel ABI %lld, the library expects %d",
                        kname, m->info[ODEON_INFO_ABI], ODEON_KERNEL_ABI);

  odeon__cuda_module_stats *s = &m->stats;
  int st =
      func_attr(api, m->fn, "odeon_kernel_cuda",
                ODEON__CU_FUNC_ATTRIBUTE_NUM_REGS, "NUM_REGS", &s->registers);
  if (!st)
    st = func_attr(api, m->fn, "odeon_kernel_cuda",
                   ODEON__CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES,
                   "LOCAL_SIZE_BYTES", &s->local_bytes);
  if (!st)
    st = func_attr(api, m->fn, "odeon_kernel_cuda",
                   ODEON__CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
                   "MAX_THREADS_PER_BLOCK", &s->max_block_size);
  if (st)
    return st;
  /* One thread per run, no shared memory: the occupancy API's block size
     gives the most resident threads for the kernel's register count. Of
     the block sizes that keep that many threads resident, take the
     smallest from 128 up: runs of an adaptive method end at different
     times, and a small block hands its multiprocessor's share back as
     soon as its own runs are done (tsit5 on an H100: block 128 runs 3 %
     faster than 1024 at the same occupancy; rk4 alike or better). */
  int min_grid = 0, block = 0;
  r = api->cuOccupancyMaxPotentialBlockSize(&min_grid, &block, m->fn, NULL, 0,
                                            0);
  if (r != ODEON__CUDA_SUCCESS)
    return odeon__cu_fail(api, r, "cuOccupancyMaxPotentialBlockSize");
  int best = 0;
  if (block > 0) {
    r = api->cuOccupancyMaxActiveBlocksPerMultiprocessor(&best, m->fn, block,
                                                         0);
    if (r != ODEON__CUDA_SUCCESS)
      return odeon__cu_fail(api, r,
                            "cuOccupancyMaxActiveBlocksPerMultiprocessor");
    best *= block; /* resident threads per multiprocessor */
    for (int b = 128; b < block; b += 32) {
      int n = 0;
      r = api->cuOccupancyMaxActiveBlocksPerMultiprocessor(&n, m->fn, b, 0);
      if (r != ODEON__CUDA_SUCCESS)
        return odeon__cu_fail(api, r,
                              "cuOccupancyMaxActiveBlocksPerMultiprocessor");
      if (n * b >= best) {
        block = b;
        break;
      }
    }
  }
  s->block_size = block > 0 ? block : 128;
  m->occupancy_block = s->block_size;
  if (be->block_size > 0) {
    st = odeon__cuda_module_set_block(m, be->block_size);
    if (st)
      return odeon__error_context(st, "block size option: ");
  }
  return ODEON_OK;
}

/* One program to get from the cache or NVRTC: the kernel, or its
   initial-step entry, each on its own thread (odeon__run_parts). */
typedef struct cubin_job {
  char *text; /* the source behind its ODEON_SPLIT_INIT / ODEON_INIT_ENTRY */
  char name[96];
  const char *arch, *cache_dir;
  double timeout;
  void *cubin;
  size_t size;
  odeon__cubin_info ci;
} cubin_job;

static int job_part(void *ctx, int part, int parts) {
  (void)parts;
  cubin_job *j = (cubin_job *)ctx + part;
  int st = odeon__cubin_get(j->text, j->name, j->arch, j->cache_dir, j->timeout,
                            &j->cubin, &j->size, &j->ci);
  if (st && part == 1)
    st = odeon__error_context(st, "initial-step entry: ");
  return st;
}

/* Load a CUBIN as a module; a load failure of an image newer than the
   driver says so. */
static int load_image(odeon__cuda_backend *be, const void *cubin,
                      odeon__CUmodule *out) {
  odeon__CUresult r = be->api->cuModuleLoadData(out, cubin);
  if (r == ODEON__CUDA_SUCCESS)
    return ODEON_OK;
  int st = odeon__cu_fail(be->api, r, "cuModuleLoadData");
  if (image_too_new(r))
    st = odeon__error_context(
        ODEON_E_NODEVICE,
        "cuda: the driver (version %d) cannot load a CUBIN made by NVRTC "
        "%d for %s; the driver is too old for this NVRTC (set ODEON_NVRTC "
        "to a libnvrtc no newer than the driver): ",
        be->api->driver_version, be->info.nvrtc_version, be->info.arch);
  return st;
}

/* The initial-step entry of a split kernel: its function, resources and
   block size (the occupancy API's; it runs once per run). */
static int init_setup(odeon__cuda_backend *be, odeon__module *m,
                      const char *kname) {
  const odeon__cuda_api *api = be->api;
  odeon__CUresult r =
      api->cuModuleGetFunction(&m->init_fn, m->init_handle, "odeon_init_cuda");
  if (r != ODEON__CUDA_SUCCESS)
    return odeon__error_context(
        odeon__cu_fail(api, r, "cuModuleGetFunction(\"odeon_init_cuda\")"),
        "kernel '%s', initial-step entry: ", kname);
  odeon__cuda_module_stats *s = &m->stats;
  int st = func_attr(api, m->init_fn, "odeon_init_cuda",
                     ODEON__CU_FUNC_ATTRIBUTE_NUM_REGS, "NUM_REGS",
                     &s->init_registers);
  if (!st)
    st = func_attr(api, m->init_fn, "odeon_init_cuda",
                   ODEON__CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES,
                   "LOCAL_SIZE_BYTES", &s->init_local_bytes);
  if (st)
    return st;
  int min_grid = 0, block = 0;
  r = api->cuOccupancyMaxPotentialBlockSize(&min_grid, &block, m->init_fn, NULL,
                                            0, 0);
  if (r != ODEON__CUDA_SUCCESS)
    return odeon__cu_fail(api, r, "cuOccupancyMaxPotentialBlockSize(init)");
  m->init_block = block > 0 ? block : 128;
  s->init_split = 1;
  return ODEON_OK;
}

/* Unload a module's programs (the windowed variant's too) and free it;
   the first unload failure is returned with its message. */
static int module_free(odeon__cuda_backend *be, odeon__module *m) {
  int st = ODEON_OK;
  if (m->win)
    st = module_free(be, m->win);
  odeon__CUmodule h[2] = {m->handle, m->init_handle};
  for (int i = 0; i < 2; i++) {
    odeon__CUresult r = h[i] ? be->api->cuModuleUnload(h[i]) : 0;
    if (r != ODEON__CUDA_SUCCESS && !st)
      st = odeon__cu_fail(be->api, r, "cuModuleUnload");
  }
  if (m->win_text)
    pthread_mutex_destroy(&m->win_mu);
  free(m->win_text);
  free(m->cache_dir);
  free(m);
  return st;
}

int odeon__cuda_module_load(odeon__backend *base,
                            const odeon__module_source *src,
                            const char *cache_dir, odeon__module **out) {
  odeon__cuda_backend *be = (odeon__cuda_backend *)base;
  *out = NULL;
  if (!src || !src->text)
    return odeon__error(ODEON_E_INVAL, "cuda module_load: no kernel source");
  const char *kname = src->name ? src->name : "kernel";
  int split = 0;
  /* two programs at once need two CPUs; on one they would only take
     longer than the kernel inline. Where every launch gives dt the entry
     is never run: one program, smaller than the inline kernel, on any
     number of CPUs. */
  int st = odeon__init_entry_wanted(
      src, src->fixed_dt || odeon__cpus_available() >= 2, &split);
  if (st)
    return st;
  const int entry = split && !src->fixed_dt;
  st = odeon__cuda_bind(be);
  if (st)
    return st;
  odeon__module *m = calloc(1, sizeof *m);
  if (!m)
    return odeon__error(ODEON_E_NOMEM, "cuda module: out of memory");

  /* A split kernel is two programs from one source: the kernel without the
     automatic initial step, and the entry that computes it (kernel_args.h).
     NVRTC compiles them at once, the entry on a thread of its own: the
     kernel's cold compile loses the initial step's share (about a quarter
     of an adaptive kernel's; bench/NOTES.md). Both are cached apart. */
  cubin_job job[2];
  memset(job, 0, sizeof job);
  for (int i = 0; i < 2; i++) {
    job[i].arch = be->info.arch;
    job[i].cache_dir = cache_dir;
    job[i].timeout = be->timeout;
  }
  snprintf(job[0].name, sizeof job[0].name, "%s", kname);
  snprintf(job[1].name, sizeof job[1].name, "%s-init", kname);
  /* ... and the kernel is loaded without the carry: a fifth less to
     compile before the first result (bench/NOTES.md); the one with it
     only when a solve is split into time windows (module_windows). */
  job[0].text = odeon__source_with_line(
      split ? ODEON__SPLIT_INIT_LINE ODEON__NO_CARRY_LINE : "", src->text);
  st = job[0].text ? ODEON_OK : ODEON_E_NOMEM;
  if (!st && entry &&
      !(job[1].text =
            odeon__source_with_line(ODEON__INIT_ENTRY_LINE, src->text)))
    st = ODEON_E_NOMEM;
  if (!st && split) {
    char *win = odeon__source_with_line(ODEON__SPLIT_INIT_LINE, src->text);
    snprintf(m->win_name, sizeof m->win_name, "%s-windows", kname);
    if (!win || (cache_dir && !(m->cache_dir = strdup(cache_dir))))
      st = odeon__error(ODEON_E_NOMEM, "cuda module: out of memory");
    else if (pthread_mutex_init(&m->win_mu, NULL))
      st = odeon__error(ODEON_E_BACKEND, "cuda module: pthread_mutex_init");
    if (!st)
      m->win_text = win;
    else
      free(win);
  }
  double t0 = odeon__now();
  if (!st)
    st = odeon__run_parts(job_part, job, entry ? 2 : 1);
  m->stats.compile_s = odeon__now() - t0;
  m->stats.from_cache =
      job[0].ci.from_cache && (!entry || job[1].ci.from_cache);
  m->stats.kernel_compile_s = job[0].ci.seconds;
  m->stats.init_compile_s = entry ? job[1].ci.seconds : 0.0;
  free(job[0].text);
  free(job[1].text);

  double t1 = odeon__now();
  if (!st)
    st = load_image(be, job[0].cubin, &m->handle);
  if (!st && entry)
    st = load_image(be, job[1].cubin, &m->init_handle);
  free(job[0].cubin);
  free(job[1].cubin);
  if (st) {
    st = odeon__error_context(st, "cuda: kernel '%s' for %s (%s): ", kname,
                              be->info.arch, be->info.name);
    module_free(be, m);
    return st;
  }
  st = module_setup(be, m, kname);
  if (!st && m->info[ODEON_INFO_INIT_ENTRY] != split)
    st = odeon__error(ODEON_E_INTERNAL,
                      "kernel '%s': its info says it reads its initial step "
                      "from h0: %lld; the backend compiled it %s",
                      kname, m->info[ODEON_INFO_INIT_ENTRY],
                      split ? "apart" : "inline");
  if (!st && entry)
    st = init_setup(be, m, kname);
  if (st) {
    module_free(be, m);
    return st;
  }
  m->stats.load_s = odeon__now() - t1;
  if (verbose()) {
    fprintf(stderr,
            "odeon: cuda: kernel '%s' on %s (%s): %s %.1f ms, module load "
            "%.1f ms; %d registers, %d bytes local memory%s, block %d\n",
            kname, be->info.name, be->info.arch,
            m->stats.from_cache ? "cache read" : "NVRTC compile (cold)",
            m->stats.compile_s * 1e3, m->stats.load_s * 1e3, m->stats.registers,
            m->stats.local_bytes,
            m->stats.local_bytes ? " (spills or stack arrays)" : "",
            m->stats.block_size);
    if (entry)
      fprintf(stderr,
              "odeon: cuda: kernel '%s': initial-step entry %s %.1f ms on "
              "its own thread; %d registers, %d bytes local memory, block "
              "%d\n",
              kname, job[1].ci.from_cache ? "cache read" : "compiled",
              m->stats.init_compile_s * 1e3, m->stats.init_registers,
              m->stats.init_local_bytes, m->init_block);
  }
  *out = m;
  return ODEON_OK;
}

void odeon__cuda_module_unload(odeon__backend *base, odeon__module *m) {
  odeon__cuda_backend *be = (odeon__cuda_backend *)base;
  if (!m)
    return;
  /* Unload cannot return a status: failures are reported, and the modules
     are still unloaded. */
  odeon__cuda_bind_for_release(be, "module unload: ");
  if (module_free(be, m) != ODEON_OK)
    odeon__cuda_warn("");
}

int odeon__cuda_module_windows(odeon__backend *base, odeon__module *m) {
  odeon__cuda_backend *be = (odeon__cuda_backend *)base;
  if (!m)
    return odeon__error(ODEON_E_INVAL, "cuda module_windows: no module");
  if (!m->win_text)
    return ODEON_OK; /* the kernel has the carry */
  pthread_mutex_lock(&m->win_mu);
  int st = m->win ? ODEON_OK : odeon__cuda_bind(be);
  if (!m->win && !st) {
    odeon__module *w = calloc(1, sizeof *w);
    void *cubin = NULL;
    size_t size = 0;
    odeon__cubin_info ci;
    if (!w)
      st = odeon__error(ODEON_E_NOMEM, "cuda module: out of memory");
    if (!st)
      st = odeon__cubin_get(m->win_text, m->win_name, be->info.arch,
                            m->cache_dir, be->timeout, &cubin, &size, &ci);
    if (!st)
      st = load_image(be, cubin, &w->handle);
    free(cubin);
    if (!st)
      st = module_setup(be, w, m->win_name);
    /* the same kernel but for the carry: it must say the same */
    if (!st && memcmp(w->info, m->info, sizeof w->info) != 0)
      st = odeon__error(ODEON_E_INTERNAL,
                        "kernel '%s': the variant with time windows reports "
                        "other facts than the kernel",
                        m->win_name);
    if (!st) {
      w->stats.from_cache = ci.from_cache;
      w->stats.compile_s = ci.seconds;
      m->win = w;
      if (verbose())
        fprintf(stderr,
                "odeon: cuda: kernel '%s': %s %.1f ms; %d registers, block "
                "%d\n",
                m->win_name, ci.from_cache ? "cache read" : "compiled",
                ci.seconds * 1e3, w->stats.registers, w->stats.block_size);
    } else if (w) {
      st = odeon__error_context(
          st, "cuda: kernel '%s' for time windows: ", m->win_name);
      module_free(be, w);
    }
  }
  pthread_mutex_unlock(&m->win_mu);
  return st;
}

int odeon__cuda_module_info(odeon__module *m, long long info[ODEON_INFO_LEN]) {
  if (!m || !info)
    return odeon__error(ODEON_E_INVAL, "cuda module_info: NULL argument");
  memcpy(info, m->info, sizeof m->info);
  return ODEON_OK;
}

const odeon__cuda_module_stats *
odeon__cuda_module_stats_get(const odeon__module *m) {
  return &m->stats;
}

int odeon__cuda_module_set_block(odeon__module *m, int block_size) {
  if (block_size == 0) {
    m->stats.block_size = m->occupancy_block;
    return ODEON_OK;
  }
  if (block_size < 0 || block_size > m->stats.max_block_size ||
      (block_size % 32) != 0)
    return odeon__error(ODEON_E_INVAL,
                        "cuda block size %d: must be a multiple of 32 "
                        "between 32 and %d for this kernel",
                        block_size, m->stats.max_block_size);
  m->stats.block_size = block_size;
  return ODEON_OK;
}
