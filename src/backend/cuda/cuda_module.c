/* cuda_module.c - kernel modules on CUDA: get the CUBIN (disk cache or
 * NVRTC), load it, find odeon_kernel_cuda and read odeon_kernel_info, and
 * pick the launch block size from the occupancy API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cubin_cache.h"
#include "backend/cuda/cuda_internal.h"
#include "backend/cuda/nvrtc.h"
#include "util/error.h"

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

static int func_attr(const odeon__cuda_api *api, odeon__CUfunction f, int attr,
                     const char *name, int *value) {
  odeon__CUresult r = api->cuFuncGetAttribute(value, attr, f);
  if (r != ODEON__CUDA_SUCCESS) {
    char what[128];
    snprintf(what, sizeof what, "cuFuncGetAttribute(odeon_kernel_cuda, %s)",
             name);
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
  int st = func_attr(api, m->fn, ODEON__CU_FUNC_ATTRIBUTE_NUM_REGS, "NUM_REGS",
                     &s->registers);
  if (!st)
    st = func_attr(api, m->fn, ODEON__CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES,
                   "LOCAL_SIZE_BYTES", &s->local_bytes);
  if (!st)
    st = func_attr(api, m->fn, ODEON__CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
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
  if (block > 0 && api->cuOccupancyMaxActiveBlocksPerMultiprocessor(
                       &best, m->fn, block, 0) == ODEON__CUDA_SUCCESS) {
    best *= block; /* resident threads per multiprocessor */
    for (int b = 128; b < block; b += 32) {
      int n = 0;
      if (api->cuOccupancyMaxActiveBlocksPerMultiprocessor(&n, m->fn, b, 0) ==
              ODEON__CUDA_SUCCESS &&
          n * b >= best) {
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

int odeon__cuda_module_load(odeon__backend *base,
                            const odeon__module_source *src,
                            const char *cache_dir, odeon__module **out) {
  odeon__cuda_backend *be = (odeon__cuda_backend *)base;
  *out = NULL;
  if (!src || !src->text)
    return odeon__error(ODEON_E_INVAL, "cuda module_load: no kernel source");
  const char *kname = src->name ? src->name : "kernel";
  int st = odeon__cuda_bind(be);
  if (st)
    return st;
  odeon__module *m = calloc(1, sizeof *m);
  if (!m)
    return odeon__error(ODEON_E_NOMEM, "cuda module: out of memory");

  void *cubin = NULL;
  size_t size = 0;
  odeon__cubin_info ci;
  st = odeon__cubin_get(src->text, kname, be->info.arch, cache_dir, be->timeout,
                        &cubin, &size, &ci);
  if (st) {
    free(m);
    return odeon__error_context(st, "cuda: kernel '%s' for %s (%s): ", kname,
                                be->info.arch, be->info.name);
  }
  m->stats.from_cache = ci.from_cache;
  m->stats.compile_s = ci.seconds;

  double t0 = odeon__now();
  odeon__CUresult r = be->api->cuModuleLoadData(&m->handle, cubin);
  free(cubin);
  if (r != ODEON__CUDA_SUCCESS) {
    st = odeon__cu_fail(be->api, r, "cuModuleLoadData");
    if (image_too_new(r))
      st = odeon__error_context(
          ODEON_E_NODEVICE,
          "cuda: the driver (version %d) cannot load a CUBIN made by NVRTC "
          "%d for %s; the driver is too old for this NVRTC (set ODEON_NVRTC "
          "to a libnvrtc no newer than the driver): ",
          be->api->driver_version, be->info.nvrtc_version, be->info.arch);
    free(m);
    return st;
  }
  st = module_setup(be, m, kname);
  if (st) {
    be->api->cuModuleUnload(m->handle);
    free(m);
    return st;
  }
  m->stats.load_s = odeon__now() - t0;
  if (verbose())
    fprintf(stderr,
            "odeon: cuda: kernel '%s' on %s (%s): %s %.1f ms, module load "
            "%.1f ms; %d registers, %d bytes local memory%s, block %d\n",
            kname, be->info.name, be->info.arch,
            ci.from_cache ? "cache read" : "NVRTC compile (cold)",
            ci.seconds * 1e3, m->stats.load_s * 1e3, m->stats.registers,
            m->stats.local_bytes,
            m->stats.local_bytes ? " (spills or stack arrays)" : "",
            m->stats.block_size);
  *out = m;
  return ODEON_OK;
}

void odeon__cuda_module_unload(odeon__backend *base, odeon__module *m) {
  odeon__cuda_backend *be = (odeon__cuda_backend *)base;
  if (!m)
    return;
  if (odeon__cuda_bind(be) == ODEON_OK) {
    odeon__CUresult r = be->api->cuModuleUnload(m->handle);
    if (r != ODEON__CUDA_SUCCESS) {
      odeon__cu_fail(be->api, r, "cuModuleUnload");
      fprintf(stderr, "odeon: cuda: %s\n", odeon_last_error());
    }
  }
  free(m);
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
