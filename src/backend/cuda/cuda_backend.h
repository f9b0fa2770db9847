/* cuda_backend.h - what the CUDA backend offers beyond the common vtable:
 * device facts, per-module compile statistics and the raw handles that
 * benchmarks need to time kernels with CUDA events. */
#ifndef ODEON_BACKEND_CUDA_CUDA_BACKEND_H
#define ODEON_BACKEND_CUDA_CUDA_BACKEND_H

#include "backend/backend.h"
#include "backend/cuda/cuda_api.h"

typedef struct odeon__cuda_device_info {
  char name[256]; /* "NVIDIA H100 80GB HBM3" */
  int cc_major, cc_minor;
  char arch[16]; /* "sm_90" */
  int sm_count;
  int driver_version; /* 12040 */
  int nvrtc_version;  /* 12040 */
} odeon__cuda_device_info;

typedef struct odeon__cuda_module_stats {
  int from_cache;          /* CUBIN read from the disk cache */
  double compile_s;        /* NVRTC compile, or cache read */
  double kernel_compile_s; /* the kernel program's own part of it */
  double load_s;           /* cuModuleLoadData + symbol lookups */
  int registers;           /* per thread */
  int local_bytes;         /* local memory per thread (spills, stack arrays) */
  int block_size;          /* threads per block used by launches */
  int max_block_size;      /* the largest the kernel allows */
  /* the initial-step entry compiled apart (kernel_args.h), 0 if none: */
  int init_split;        /* 1 when there is one */
  double init_compile_s; /* its own compile or cache read, on a thread of
                            its own during the kernel's (compile_s covers
                            both) */
  int init_registers, init_local_bytes;
} odeon__cuda_module_stats;

/* Number of CUDA devices the driver sees (to expand --devices all).
 * ODEON_E_NODEVICE with the reason when there is no usable driver. */
int odeon__cuda_device_count(int *count);

/* Parse a device list for --devices: "all", or ordinals "0", "0,1", "2,0"
 * (no repeats). Writes up to `max` ordinals to ids and their number to
 * *n. Syntax errors are ODEON_E_INVAL (checked before the driver is
 * asked); ordinals the driver does not see, and "all" with no driver, are
 * ODEON_E_NODEVICE with the reason. */
int odeon__cuda_parse_devices(const char *spec, int *ids, int max, int *n);

/* Facts about the backend's device; be must be a CUDA backend. */
const odeon__cuda_device_info *odeon__cuda_device(const odeon__backend *be);
/* The backend's driver table (for benchmarks that time with CUDA events). */
const odeon__cuda_api *odeon__cuda_backend_api(const odeon__backend *be);
/* 1 if `be` is a CUDA backend. */
int odeon__backend_is_cuda(const odeon__backend *be);
/* The CUDA stream behind an odeon stream. */
odeon__CUstream odeon__cuda_stream_handle(const odeon__stream *s);
/* Compile and load statistics of a module. */
const odeon__cuda_module_stats *
odeon__cuda_module_stats_get(const odeon__module *m);
/* Set the block size of a module's later launches (0 = the occupancy
 * API's choice). Returns ODEON_E_INVAL beyond the kernel's maximum. */
int odeon__cuda_module_set_block(odeon__module *m, int block_size);

#endif
