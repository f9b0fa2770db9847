/* cuda_api.c - loads the CUDA driver library with dlopen once per process and
 * turns driver results into odeon statuses with messages naming the call. */
#include "backend/cuda/cuda_api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* The oldest driver odeon needs: cuLaunchHostFunc came with CUDA 10.0. */
#define ODEON__CUDA_MIN_DRIVER 10000

static odeon__cuda_api odeon__api;
static int odeon__api_status;
static char odeon__api_reason[1024];
static pthread_once_t odeon__api_once = PTHREAD_ONCE_INIT;

static int api_fail(int status, const char *fmt, const char *a, const char *b) {
  snprintf(odeon__api_reason, sizeof odeon__api_reason, fmt, a, b);
  return status;
}

/* Resolve `name`, or the first of the fallbacks that exists (newer ABI
 * names first: cuEventElapsedTime_v2 appeared with CUDA 12.8). */
static int resolve(void *lib, void **slot, const char *name,
                   const char *fallback) {
  *slot = dlsym(lib, name);
  if (!*slot && fallback)
    *slot = dlsym(lib, fallback);
  return *slot != NULL;
}

static void api_load(void) {
  odeon__cuda_api *a = &odeon__api;
  const char *env = getenv("ODEON_LIBCUDA");
  const char *name = env && env[0] ? env : "libcuda.so.1";
  void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    odeon__api_status =
        api_fail(ODEON_E_NODEVICE, "no CUDA driver: cannot load %s (%s)", name,
                 why ? why : "unknown dlopen error");
    return;
  }
  snprintf(a->path, sizeof a->path, "%s", name);
  /* One table of (slot, ABI name, fallback) keeps the lookups in one place
     and lets the message name the first symbol a too-old driver lacks. */
  struct {
    void **slot;
    const char *name, *fallback;
  } syms[] = {
#define S(field, abi, fb) {(void **)&a->field, abi, fb}
      S(cuInit, "cuInit", NULL),
      S(cuDriverGetVersion, "cuDriverGetVersion", NULL),
      S(cuGetErrorName, "cuGetErrorName", NULL),
      S(cuGetErrorString, "cuGetErrorString", NULL),
      S(cuDeviceGetCount, "cuDeviceGetCount", NULL),
      S(cuDeviceGet, "cuDeviceGet", NULL),
      S(cuDeviceGetName, "cuDeviceGetName", NULL),
      S(cuDeviceGetAttribute, "cuDeviceGetAttribute", NULL),
      S(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", NULL),
      S(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2",
        "cuDevicePrimaryCtxRelease"),
      S(cuCtxSetCurrent, "cuCtxSetCurrent", NULL),
      S(cuMemGetInfo, "cuMemGetInfo_v2", NULL),
      S(cuMemAlloc, "cuMemAlloc_v2", NULL),
      S(cuMemFree, "cuMemFree_v2", NULL),
      S(cuMemHostAlloc, "cuMemHostAlloc", NULL),
      S(cuMemFreeHost, "cuMemFreeHost", NULL),
      S(cuMemcpyDtoH, "cuMemcpyDtoH_v2", NULL),
      S(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", NULL),
      S(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", NULL),
      S(cuMemHostRegister, "cuMemHostRegister_v2", "cuMemHostRegister"),
      S(cuMemHostUnregister, "cuMemHostUnregister", NULL),
      S(cuPointerGetAttribute, "cuPointerGetAttribute", NULL),
      S(cuMemcpy2DAsync, "cuMemcpy2DAsync_v2", NULL),
      S(cuMemsetD8Async, "cuMemsetD8Async", NULL),
      S(cuMemsetD2D32Async, "cuMemsetD2D32Async", NULL),
      S(cuStreamCreate, "cuStreamCreate", NULL),
      S(cuStreamDestroy, "cuStreamDestroy_v2", NULL),
      S(cuLaunchHostFunc, "cuLaunchHostFunc", NULL),
      S(cuEventCreate, "cuEventCreate", NULL),
      S(cuEventDestroy, "cuEventDestroy_v2", NULL),
      S(cuEventRecord, "cuEventRecord", NULL),
      S(cuEventQuery, "cuEventQuery", NULL),
      S(cuEventSynchronize, "cuEventSynchronize", NULL),
      S(cuEventElapsedTime, "cuEventElapsedTime_v2", "cuEventElapsedTime"),
      S(cuModuleLoadData, "cuModuleLoadData", NULL),
      S(cuModuleUnload, "cuModuleUnload", NULL),
      S(cuModuleGetFunction, "cuModuleGetFunction", NULL),
      S(cuModuleGetGlobal, "cuModuleGetGlobal_v2", NULL),
      S(cuFuncGetAttribute, "cuFuncGetAttribute", NULL),
      S(cuOccupancyMaxActiveBlocksPerMultiprocessor,
        "cuOccupancyMaxActiveBlocksPerMultiprocessor", NULL),
      S(cuOccupancyMaxPotentialBlockSize, "cuOccupancyMaxPotentialBlockSize",
        NULL),
      S(cuLaunchKernel, "cuLaunchKernel", NULL),
#undef S
  };
  for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
    if (!resolve(lib, syms[i].slot, syms[i].name, syms[i].fallback)) {
      odeon__api_status = api_fail(
          ODEON_E_NODEVICE,
          "CUDA driver too old: %s lacks %s (odeon needs CUDA 10.0 or newer)",
          name, syms[i].name);
      dlclose(lib);
      return;
    }
  }
  odeon__CUresult r = a->cuInit(0);
  if (r != ODEON__CUDA_SUCCESS) {
    const char *rn = NULL;
    if (a->cuGetErrorName(r, &rn) != ODEON__CUDA_SUCCESS || !rn)
      rn = "unknown CUresult";
    char what[96];
    snprintf(what, sizeof what, "%s (%d)", rn, (int)r);
    odeon__api_status = api_fail(ODEON_E_NODEVICE,
                                 "no usable CUDA device: cuInit(0) of %s "
                                 "failed with %s",
                                 name, what);
    dlclose(lib);
    return;
  }
  if (a->cuDriverGetVersion(&a->driver_version) != ODEON__CUDA_SUCCESS ||
      a->driver_version < ODEON__CUDA_MIN_DRIVER) {
    char v[32];
    snprintf(v, sizeof v, "%d", a->driver_version);
    odeon__api_status = api_fail(
        ODEON_E_NODEVICE,
        "CUDA driver too old: %s reports version %s, odeon needs 10000 "
        "(CUDA 10.0) or newer",
        name, v);
    dlclose(lib);
    return;
  }
  /* The library stays loaded for the life of the process: the driver keeps
     its own threads and contexts, and unloading it under them is unsafe. */
  odeon__api_status = ODEON_OK;
}

const odeon__cuda_api *odeon__cuda_api_get(int *status) {
  pthread_once(&odeon__api_once, api_load);
  if (odeon__api_status != ODEON_OK) {
    *status = odeon__error(odeon__api_status, "%s", odeon__api_reason);
    return NULL;
  }
  *status = ODEON_OK;
  return &odeon__api;
}

odeon__cuda_api *odeon__cuda_api_for_tests(int *status) {
  return odeon__cuda_api_get(status) ? &odeon__api : NULL;
}

const char *odeon__cu_name(const odeon__cuda_api *api, odeon__CUresult r) {
  const char *s = NULL;
  if (api && api->cuGetErrorName &&
      api->cuGetErrorName(r, &s) == ODEON__CUDA_SUCCESS && s)
    return s;
  return "unknown CUresult";
}

int odeon__cu_fail(const odeon__cuda_api *api, odeon__CUresult r,
                   const char *what) {
  const char *desc = NULL;
  if (!api || !api->cuGetErrorString ||
      api->cuGetErrorString(r, &desc) != ODEON__CUDA_SUCCESS || !desc)
    desc = "no description";
  int status = ODEON_E_BACKEND;
  if (r == ODEON__CUDA_ERROR_OUT_OF_MEMORY)
    status = ODEON_E_NOMEM;
  else if (r == ODEON__CUDA_ERROR_NO_DEVICE ||
           r == ODEON__CUDA_ERROR_INVALID_DEVICE)
    status = ODEON_E_NODEVICE;
  return odeon__error(status, "%s: %s (%d: %s)", what, odeon__cu_name(api, r),
                      (int)r, desc);
}
