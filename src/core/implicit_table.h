/* implicit_table.h - the storage class of the implicit methods' const
 * coefficient tables, for cc and NVRTC alike. */
#ifndef ODEON_CORE_IMPLICIT_TABLE_H
#define ODEON_CORE_IMPLICIT_TABLE_H

#include "real.h"

/* Constant tables live in device memory on the GPU (a file-scope const
 * without __device__ is not visible to device code) and are plain static
 * consts on the host. With the stage loops unrolled every index is a
 * constant, so both compilers fold the loads into immediates. */
#ifndef ODEON_TABLE
#if ODEON_DEVICE_CODE
#define ODEON_TABLE static __device__ const
#else
#define ODEON_TABLE static const
#endif
#endif

#endif
