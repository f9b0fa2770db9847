/* gpu_kernels.h - hand-written CUDA kernel sources for the backend tests,
 * obeying src/core/kernel_args.h: a real classical-RK4 Lorenz integration
 * per run (with its host twin for checking), a kernel that spins for a
 * given time (deadline tests) and one that faults (error tests). */
#ifndef ODEON_TESTS_GPU_KERNELS_H
#define ODEON_TESTS_GPU_KERNELS_H

#include "kernel_args.h"

/* Lorenz (sigma = 10, beta = 8/3, rho = params[0][run]) by classical RK4
 * with step args.dt, samples every args.save_every (or start and end when
 * 0) written to out_state [sample][3][n]; status[run] = 0. real_bytes 4
 * or 8. Returns a malloc'd source (caller frees). */
char *gpu_lorenz_source(int real_bytes);

/* The same integration on the host, in double, for run `run` of a chunk:
 * writes n_samples x 3 values to out (sample-major). */
void gpu_lorenz_host(const odeon_kernel_args *a, double x0, double y0,
                     double z0, double rho, double *out);

/* A kernel that spins for args.max_steps nanoseconds (globaltimer), then
 * writes status[run] = 7. */
extern const char gpu_spin_source[];

/* A kernel that stores through a null pointer: CUDA_ERROR_ILLEGAL_ADDRESS. */
extern const char gpu_fault_source[];

/* A kernel with a syntax error on line 3 of its text. */
extern const char gpu_broken_source[];

#endif
