/* cuda_api.h - the few CUDA driver API types and functions odeon uses, loaded
 * from libcuda.so.1 with dlopen, so that libodeon builds without any CUDA
 * header or toolkit and runs on machines with no driver at all.
 *
 * The values below are copied from cuda.h (they are part of the driver's
 * stable ABI); the function pointers are looked up by their versioned ABI
 * names (cuMemAlloc_v2, ...) exactly as cuda.h's #defines map them. */
#ifndef ODEON_BACKEND_CUDA_CUDA_API_H
#define ODEON_BACKEND_CUDA_CUDA_API_H

#include <stddef.h>

typedef int odeon__CUresult;
typedef int odeon__CUdevice;
typedef unsigned long long odeon__CUdeviceptr;
typedef struct odeon__CUctx_st *odeon__CUcontext;
typedef struct odeon__CUmod_st *odeon__CUmodule;
typedef struct odeon__CUfunc_st *odeon__CUfunction;
typedef struct odeon__CUstream_st *odeon__CUstream;
typedef struct odeon__CUevent_st *odeon__CUevent;
typedef void (*odeon__CUhostFn)(void *user);
typedef size_t (*odeon__CUoccupancyB2DSize)(int block_size);

enum {
  ODEON__CUDA_SUCCESS = 0,
  ODEON__CUDA_ERROR_OUT_OF_MEMORY = 2,
  ODEON__CUDA_ERROR_NOT_INITIALIZED = 3,
  ODEON__CUDA_ERROR_NO_DEVICE = 100,
  ODEON__CUDA_ERROR_INVALID_DEVICE = 101,
  ODEON__CUDA_ERROR_NOT_READY = 600,
  ODEON__CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
  ODEON__CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
  ODEON__CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  ODEON__CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  ODEON__CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
  ODEON__CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3,
  ODEON__CU_FUNC_ATTRIBUTE_NUM_REGS = 4,
  ODEON__CU_STREAM_NON_BLOCKING = 1,
  ODEON__CU_EVENT_DEFAULT = 0,
  ODEON__CU_EVENT_DISABLE_TIMING = 2,
  ODEON__CU_MEMHOSTALLOC_PORTABLE = 1,
  ODEON__CU_MEMHOSTREGISTER_PORTABLE = 1,
  ODEON__CU_MEMORYTYPE_HOST = 1,
  ODEON__CU_POINTER_ATTRIBUTE_MEMORY_TYPE = 2,
  ODEON__CU_POINTER_ATTRIBUTE_RANGE_START_ADDR = 11,
  ODEON__CU_POINTER_ATTRIBUTE_RANGE_SIZE = 12,
  ODEON__CU_MEMORYTYPE_DEVICE = 2
};

/* cuda.h's CUDA_MEMCPY2D (the _v2 ABI): a strided copy, used to move a
   chunk's [row][chunk runs] block straight into [row][all runs] memory. */
typedef struct odeon__CUDA_MEMCPY2D {
  size_t srcXInBytes, srcY;
  int srcMemoryType;
  const void *srcHost;
  odeon__CUdeviceptr srcDevice;
  void *srcArray;
  size_t srcPitch;
  size_t dstXInBytes, dstY;
  int dstMemoryType;
  void *dstHost;
  odeon__CUdeviceptr dstDevice;
  void *dstArray;
  size_t dstPitch;
  size_t WidthInBytes, Height;
} odeon__CUDA_MEMCPY2D;

/* The driver entry points odeon calls, filled by odeon__cuda_api_load(). */
typedef struct odeon__cuda_api {
  odeon__CUresult (*cuInit)(unsigned int flags);
  odeon__CUresult (*cuDriverGetVersion)(int *version);
  odeon__CUresult (*cuGetErrorName)(odeon__CUresult r, const char **s);
  odeon__CUresult (*cuGetErrorString)(odeon__CUresult r, const char **s);
  odeon__CUresult (*cuDeviceGetCount)(int *count);
  odeon__CUresult (*cuDeviceGet)(odeon__CUdevice *dev, int ordinal);
  odeon__CUresult (*cuDeviceGetName)(char *name, int len, odeon__CUdevice d);
  odeon__CUresult (*cuDeviceGetAttribute)(int *value, int attrib,
                                          odeon__CUdevice dev);
  odeon__CUresult (*cuDevicePrimaryCtxRetain)(odeon__CUcontext *ctx,
                                              odeon__CUdevice dev);
  odeon__CUresult (*cuDevicePrimaryCtxRelease)(odeon__CUdevice dev);
  odeon__CUresult (*cuCtxSetCurrent)(odeon__CUcontext ctx);
  odeon__CUresult (*cuMemGetInfo)(size_t *free_bytes, size_t *total_bytes);
  odeon__CUresult (*cuMemAlloc)(odeon__CUdeviceptr *p, size_t bytes);
  odeon__CUresult (*cuMemFree)(odeon__CUdeviceptr p);
  odeon__CUresult (*cuMemHostAlloc)(void **p, size_t bytes, unsigned int flags);
  odeon__CUresult (*cuMemFreeHost)(void *p);
  odeon__CUresult (*cuMemcpyDtoH)(void *dst, odeon__CUdeviceptr src,
                                  size_t bytes);
  odeon__CUresult (*cuMemcpyHtoDAsync)(odeon__CUdeviceptr dst, const void *src,
                                       size_t bytes, odeon__CUstream s);
  odeon__CUresult (*cuMemcpyDtoHAsync)(void *dst, odeon__CUdeviceptr src,
                                       size_t bytes, odeon__CUstream s);
  odeon__CUresult (*cuMemHostRegister)(void *p, size_t bytes,
                                       unsigned int flags);
  odeon__CUresult (*cuMemHostUnregister)(void *p);
  odeon__CUresult (*cuPointerGetAttribute)(void *data, int attribute,
                                           odeon__CUdeviceptr p);
  odeon__CUresult (*cuMemcpy2DAsync)(const odeon__CUDA_MEMCPY2D *copy,
                                     odeon__CUstream s);
  /* (cuMemsetD8Async and cuEventElapsedTime: the benchmarks' own use) */
  odeon__CUresult (*cuMemsetD8Async)(odeon__CUdeviceptr dst,
                                     unsigned char value, size_t n,
                                     odeon__CUstream s);
  odeon__CUresult (*cuMemsetD2D32Async)(odeon__CUdeviceptr dst, size_t pitch,
                                        unsigned int value, size_t width,
                                        size_t height, odeon__CUstream s);
  odeon__CUresult (*cuStreamCreate)(odeon__CUstream *s, unsigned int flags);
  odeon__CUresult (*cuStreamDestroy)(odeon__CUstream s);
  odeon__CUresult (*cuLaunchHostFunc)(odeon__CUstream s, odeon__CUhostFn fn,
                                      void *user);
  odeon__CUresult (*cuEventCreate)(odeon__CUevent *e, unsigned int flags);
  odeon__CUresult (*cuEventDestroy)(odeon__CUevent e);
  odeon__CUresult (*cuEventRecord)(odeon__CUevent e, odeon__CUstream s);
  odeon__CUresult (*cuEventQuery)(odeon__CUevent e);
  odeon__CUresult (*cuEventSynchronize)(odeon__CUevent e);
  odeon__CUresult (*cuEventElapsedTime)(float *ms, odeon__CUevent a,
                                        odeon__CUevent b);
  odeon__CUresult (*cuModuleLoadData)(odeon__CUmodule *m, const void *image);
  odeon__CUresult (*cuModuleUnload)(odeon__CUmodule m);
  odeon__CUresult (*cuModuleGetFunction)(odeon__CUfunction *f,
                                         odeon__CUmodule m, const char *name);
  odeon__CUresult (*cuModuleGetGlobal)(odeon__CUdeviceptr *p, size_t *bytes,
                                       odeon__CUmodule m, const char *name);
  odeon__CUresult (*cuFuncGetAttribute)(int *value, int attrib,
                                        odeon__CUfunction f);
  odeon__CUresult (*cuOccupancyMaxActiveBlocksPerMultiprocessor)(
      int *blocks, odeon__CUfunction f, int block_size, size_t smem);
  odeon__CUresult (*cuOccupancyMaxPotentialBlockSize)(
      int *min_grid, int *block, odeon__CUfunction f,
      odeon__CUoccupancyB2DSize smem_fn, size_t smem, int block_limit);
  odeon__CUresult (*cuLaunchKernel)(odeon__CUfunction f, unsigned int gx,
                                    unsigned int gy, unsigned int gz,
                                    unsigned int bx, unsigned int by,
                                    unsigned int bz, unsigned int smem,
                                    odeon__CUstream s, void **params,
                                    void **extra);
  int driver_version; /* e.g. 12040 for CUDA 12.4 */
  char path[256];     /* the library that was opened */
} odeon__cuda_api;

/* Open libcuda.so.1 (or $ODEON_LIBCUDA), resolve every entry point and call
 * cuInit, once per process. Returns the table, or NULL with
 * ODEON_E_NODEVICE and a message saying why (no library, a missing symbol
 * meaning the driver is too old, cuInit failed). Thread-safe. */
const odeon__cuda_api *odeon__cuda_api_get(int *status);

/* For tests only: the same table, writable, so that a test can put a
 * wrapper in front of a driver entry point and make that call fail, with
 * the real driver behind every other call
 * (tests/gpu/test_cuda_driver_faults.c). Swap entries only while no odeon
 * backend exists. NULL as odeon__cuda_api_get. */
odeon__cuda_api *odeon__cuda_api_for_tests(int *status);

/* Turn a failed driver call into an odeon status with a message naming the
 * call and the CUresult ("cuMemAlloc(4096 bytes): CUDA_ERROR_OUT_OF_MEMORY
 * (out of memory)"). `what` names the call and its arguments.
 * CUDA_ERROR_OUT_OF_MEMORY maps to ODEON_E_NOMEM, no-device errors to
 * ODEON_E_NODEVICE, everything else to ODEON_E_BACKEND. */
int odeon__cu_fail(const odeon__cuda_api *api, odeon__CUresult r,
                   const char *what);
/* The CUresult's name ("CUDA_ERROR_OUT_OF_MEMORY"), never NULL. */
const char *odeon__cu_name(const odeon__cuda_api *api, odeon__CUresult r);

#endif
