/* kernel_entry.h - the exported entry points of a compiled kernel
 * (kernel_args.h describes the ABI): odeon_kernel_cpu loops over a range
 * of runs, odeon_kernel_cuda runs one thread per run, and
 * odeon_kernel_info tells the host the kernel's shapes. Included last by
 * the generated source. */
#ifndef ODEON_CORE_KERNEL_ENTRY_H
#define ODEON_CORE_KERNEL_ENTRY_H

#include "loop.h"

#define ODEON_KERNEL_INFO_INIT                                                 \
  {                                                                            \
    ODEON_KERNEL_ABI, (long long)sizeof(odeon_real), ODEON_SYS_N_STATES,       \
        ODEON_SYS_N_PARAMS, ODEON_SYS_N_OBSERVABLES, ODEON_SYS_N_DRIVERS,      \
        ODEON_N_SAVED, ODEON_N_OBS_SAVED, ODEON_SUM_ROWS, ODEON_N_COUNTERS,    \
        ODEON_CARRY_LEN, ODEON_METHOD_ORDER, ODEON_METHOD_ADAPTIVE, 0, 0, 0    \
  }

#if ODEON_DEVICE_CODE

extern "C" __device__ const long long odeon_kernel_info[ODEON_INFO_LEN] =
    ODEON_KERNEL_INFO_INIT;

extern "C" __global__ void odeon_kernel_cuda(odeon_kernel_args a) {
  const long long r = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (r < a.n)
    odeon_run(&a, r);
}

#else

#if defined(__GNUC__)
#define ODEON_EXPORT __attribute__((visibility("default")))
#else
#define ODEON_EXPORT
#endif

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
