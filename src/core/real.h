/* real.h - the portability prelude of the numerical core: one header that
 * both the system C compiler and NVRTC compile (Random123 habit). Defines
 * ODEON_HD (host/device inline), ODEON_REAL (float or double, chosen by the
 * generated source) and the math functions spelled for that precision. */
#ifndef ODEON_CORE_REAL_H
#define ODEON_CORE_REAL_H

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define ODEON_DEVICE_CODE 1
/* Not __forceinline__: that already says inline, and the core writes
   "ODEON_HD static inline", which NVRTC rejects as a duplicate specifier. */
#define ODEON_HD __device__ __attribute__((always_inline))
#define ODEON_RESTRICT __restrict__
/* Keep a cold loop rolled: NVVM would otherwise unroll a loop with a run
   time trip count (by 4), code that only costs compile time. */
#define ODEON_NO_UNROLL _Pragma("unroll 1")
#else
#define ODEON_DEVICE_CODE 0
#define ODEON_HD
#define ODEON_RESTRICT restrict
#define ODEON_NO_UNROLL
#include <math.h>
#endif

#ifndef ODEON_REAL_IS_FLOAT
#define ODEON_REAL_IS_FLOAT 0
#endif

#if ODEON_REAL_IS_FLOAT
typedef float odeon_real;
#define ODEON_R(x) ((float)(x))
#define ODEON_EPS 1.1920928955078125e-07f
#define odeon_fabs fabsf
#define odeon_sqrt sqrtf
#define odeon_pow powf
#define odeon_fmin fminf
#define odeon_fmax fmaxf
#else
typedef double odeon_real;
#define ODEON_R(x) ((double)(x))
#define ODEON_EPS 2.220446049250313e-16
#define odeon_fabs fabs
#define odeon_sqrt sqrt
#define odeon_pow pow
#define odeon_fmin fmin
#define odeon_fmax fmax
#endif

#endif
