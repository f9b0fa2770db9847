/* kernel_args.h - the argument block every compiled kernel takes (the CPU
 * shared object and the CUDA module alike): the one contract between the
 * host engine and the generated device code. Compiled by cc and NVRTC, so it
 * uses no headers and only 8-byte fields (identical layout on both sides).
 *
 * Arrays are laid out with the run index fastest: a [v][run] array holds
 * element (v, i) at v*n + i, where n is the chunk's run count. "real" arrays
 * hold float or double, the precision the kernel was compiled for.
 *
 * Entry points a compiled kernel exports:
 *   CPU:  void odeon_kernel_cpu(const odeon_kernel_args *a,
 *                               long long begin, long long end);
 *         integrates runs [begin, end) of the chunk;
 *         const long long odeon_kernel_info[ODEON_INFO_LEN];
 *   CUDA: extern "C" __global__ void odeon_kernel_cuda(odeon_kernel_args a);
 *         one thread per run, run = blockIdx.x*blockDim.x + threadIdx.x < n;
 *         extern "C" __device__ const long long odeon_kernel_info[...];
 *
 * A source compiled with ODEON_SPLIT_INIT defined leaves the automatic
 * initial step out: its kernel reads each run's first step from h0
 * (odeon_kernel_info[ODEON_INFO_INIT_ENTRY] = 1). The same source compiled
 * with ODEON_INIT_ENTRY defined exports only the entry that fills h0:
 *   CPU:  void odeon_init_cpu(const odeon_kernel_args *a, long long begin,
 *                             long long end);
 *   CUDA: extern "C" __global__ void odeon_init_cuda(odeon_kernel_args a);
 * launched before the kernel's first time window when dt is 0 (automatic).
 * The CUDA backend compiles the two programs at once, on two threads: the
 * initial step (Hairer's, with a double pow) is about a quarter of an
 * adaptive kernel's code and of its compile time (loop.h). It also loads
 * such a kernel with ODEON_NO_CARRY defined (no resume, no carry saved)
 * and compiles the one with the carry when a solve is split into time
 * windows (backend.h: module_windows); a launch with a carry runs that.
 */
#ifndef ODEON_CORE_KERNEL_ARGS_H
#define ODEON_CORE_KERNEL_ARGS_H

#define ODEON_KERNEL_ABI 2

/* Indices into odeon_kernel_info: what the host must know about a kernel. */
enum odeon_kernel_info_index {
  ODEON_INFO_ABI = 0,    /* ODEON_KERNEL_ABI */
  ODEON_INFO_REAL_BYTES, /* 4 or 8 */
  ODEON_INFO_N_STATES,
  ODEON_INFO_N_PARAMS,
  ODEON_INFO_N_OBSERVABLES,
  ODEON_INFO_N_DRIVERS,
  ODEON_INFO_N_SAVED,        /* states written per sample */
  ODEON_INFO_N_OBS_SAVED,    /* observables written per sample */
  ODEON_INFO_N_SUMMARY_ROWS, /* rows of out_summary per window */
  ODEON_INFO_N_COUNTERS,     /* rows of counters */
  ODEON_INFO_CARRY_LEN,      /* rows of carry (doubles) */
  ODEON_INFO_ORDER,          /* method order */
  ODEON_INFO_ADAPTIVE,       /* 1 if the method has an error estimate */
  ODEON_INFO_INIT_ENTRY,     /* 1: the automatic first step is read from h0,
                                filled by the init entry (above) */
  ODEON_INFO_LEN = 16
};

typedef struct odeon_kernel_args {
  /* --- chunk geometry --- */
  long long n;          /* runs in this chunk; stride of every [.][run] array */
  long long run_offset; /* global index of the chunk's first run */

  /* --- inputs (device memory) --- */
  const void *y0;          /* real [n_states][n]: initial states */
  const void *params;      /* real [n_params][n] */
  const void *drivers;     /* real: driver spline block (core/spline.h), or 0 */
  long long driver_stride; /* 0 = drivers shared by all runs */

  /* --- timing (host doubles; the kernel converts) --- */
  double t0;              /* start of integration */
  double settle;          /* settling time: integrated, not recorded */
  double duration;        /* recorded span after the settling time */
  double save_every;      /* 0 = samples at start and end only */
  double summarise_every; /* length of a summary window */
  long long n_samples;    /* samples in the whole solve */
  long long n_windows;    /* summary windows in the whole solve */

  /* --- step control --- */
  double dt; /* fixed step, or initial step for adaptive (0 = auto) */
  double dt_min, dt_max, atol, rtol;
  double safety, gain_min, gain_max, beta1, beta2, beta3;
  double deadband_min, deadband_max;
  long long max_steps;
  long long newton_max_iters; /* implicit methods */
  double newton_tol;

  /* --- this launch's time window --- */
  long long sample_begin, sample_end; /* samples written: [begin, end) */
  long long window_begin, window_end; /* summary windows written */
  long long resume; /* 0: start from y0; 1: continue from carry */

  /* --- outputs (device memory; any may be 0 when not requested) --- */
  void *out_state;      /* real [sample - sample_begin][n_saved][n] */
  void *out_obs;        /* real [sample - sample_begin][n_obs_saved][n] */
  void *out_summary;    /* real [window - window_begin][n_summary_rows][n] */
  unsigned int *status; /* [n] per-run status word (ODEON_RUN_* bits) */
  long long *counters;  /* [n_counters][n]: accepted, rejected, f evals, ... */
  double *carry;        /* [carry_len][n]: the whole integrator state */
  double *h0; /* [n]: each run's automatic first step, written by the init
                 entry and read by a kernel with ODEON_INFO_INIT_ENTRY; 0
                 for the others */

  /* --- models from C function pointers (CPU only) --- */
  const void *user_system; /* an odeon_user_system (codegen/system_user.c)
                              the CPU entry hands to the generated
                              trampolines; 0 for models from text */
} odeon_kernel_args;

#endif
