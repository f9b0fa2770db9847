/* kernel_entry.h - the exported entry points of a compiled kernel
 * (kernel_args.h describes the ABI): odeon_kernel_cpu loops over a range
 * of runs, odeon_kernel_cuda runs one thread per run, and
 * odeon_kernel_info tells the host the kernel's shapes; with
 * ODEON_INIT_ENTRY defined, only odeon_init_cpu / odeon_init_cuda, which
 * compute the automatic initial steps of a kernel compiled with
 * ODEON_SPLIT_INIT. Included last by the generated source. */
#ifndef ODEON_CORE_KERNEL_ENTRY_H
#define ODEON_CORE_KERNEL_ENTRY_H

#include "loop.h"

#define ODEON_KERNEL_INFO_INIT                                                 \
  {                                                                            \
    ODEON_KERNEL_ABI, (long long)sizeof(odeon_real), ODEON_SYS_N_STATES,       \
        ODEON_SYS_N_PARAMS, ODEON_SYS_N_OBSERVABLES, ODEON_SYS_N_DRIVERS,      \
        ODEON_N_SAVED, ODEON_N_OBS_SAVED, ODEON_SUM_ROWS, ODEON_N_COUNTERS,    \
        ODEON_CARRY_LEN, ODEON_METHOD_ORDER, ODEON_METHOD_ADAPTIVE,            \
        ODEON_KERNEL_SPLIT_INIT, 0, 0                                          \
  }

/* 1 when the kernel reads its automatic first step from h0 (kernel_args.h) */
#if defined(ODEON_SPLIT_INIT) && ODEON_LOOP_ADAPTIVE
#define ODEON_KERNEL_SPLIT_INIT 1
#else
#define ODEON_KERNEL_SPLIT_INIT 0
#endif

#if !ODEON_DEVICE_CODE
#if defined(__GNUC__)
#define ODEON_EXPORT __attribute__((visibility("default")))
#else
#define ODEON_EXPORT
#endif
#endif

#if defined(ODEON_INIT_ENTRY)
/* The companion program of a kernel compiled with ODEON_SPLIT_INIT: only
   the entry that fills h0. */
#if !ODEON_LOOP_ADAPTIVE
#error "ODEON_INIT_ENTRY: the method has no automatic initial step"
#endif
#if ODEON_DEVICE_CODE
extern "C" __global__ void odeon_init_cuda(odeon_kernel_args a) {
  const long long r = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (r < a.n)
    odeon_init_run(&a, r);
}
#else
ODEON_EXPORT void odeon_init_cpu(const odeon_kernel_args *a, long long begin,
                                 long long end);
ODEON_EXPORT void odeon_init_cpu(const odeon_kernel_args *a, long long begin,
                                 long long end) {
#ifdef ODEON_USER_SYSTEM
  odeon_user_system_current = (const odeon_user_system *)a->user_system;
#endif
  for (long long r = begin; r < end; r++)
    odeon_init_run(a, r);
}
#endif
#elif ODEON_DEVICE_CODE

extern "C" __device__ const long long odeon_kernel_info[ODEON_INFO_LEN] =
    ODEON_KERNEL_INFO_INIT;

extern "C" __global__ void odeon_kernel_cuda(odeon_kernel_args a) {
  const long long r = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (r < a.n)
    odeon_run(&a, r);
}

#else

ODEON_EXPORT extern const long long odeon_kernel_info[ODEON_INFO_LEN];
ODEON_EXPORT const long long odeon_kernel_info[ODEON_INFO_LEN] =
    ODEON_KERNEL_INFO_INIT;

ODEON_EXPORT void odeon_kernel_cpu(const odeon_kernel_args *a, long long begin,
                                   long long end);
ODEON_EXPORT void odeon_kernel_cpu(const odeon_kernel_args *a, long long begin,
                                   long long end) {
#ifdef ODEON_USER_SYSTEM
  /* A model from C function pointers: each worker thread points its
     trampolines at this solve's functions before running its runs. */
  odeon_user_system_current = (const odeon_user_system *)a->user_system;
#endif
  for (long long r = begin; r < end; r++)
    odeon_run(a, r);
}

#endif

#endif
