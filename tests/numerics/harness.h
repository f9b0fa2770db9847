/* harness.h - builds a real kernel for the numerics tests (model text ->
 * odeon__kernel_source -> system cc -> dlopen) and runs whole solves on it,
 * optionally split into several time windows, with outputs in double. */
#ifndef ODEON_TESTS_NUMERICS_HARNESS_H
#define ODEON_TESTS_NUMERICS_HARNESS_H

#include <stdint.h>

#include "codegen/kernel_source.h"
#include "core/kernel_args.h"
#include "odeon.h"

typedef void (*nh_cpu_fn)(const odeon_kernel_args *a, long long begin,
                          long long end);

typedef struct nh_kernel {
  odeon_model_t *model;
  odeon__kernel_config cfg;
  void *dl;
  nh_cpu_fn cpu;
  const long long *info;
} nh_kernel;

/* Outputs of a solve, in double (state [sample][saved][n], summary
 * [window][rows][n], obs [sample][n_obs][n], counters [6][n], status [n]). */
typedef struct nh_out {
  long long n;
  double *state, *summary, *obs;
  long long *counters;
  uint32_t *status;
} nh_out;

/* Parse the model, validate options, generate, compile (cached by a hash of
 * the source under the build dir) and load. Returns an odeon status. */
int nh_build(const char *model_text, const odeon_options_t *o, nh_kernel *k);
void nh_free(nh_kernel *k);

/* Solve n runs. y0 [n_states][n] and params [n_params][n] in double (NULL =
 * model defaults for every run); drivers: a spline block in the kernel's
 * precision or NULL. The solve is split into `pieces` time windows (1 =
 * one launch), carrying the integrator state between them. */
int nh_solve(nh_kernel *k, long long n, const double *y0, const double *p,
             const void *drivers, long long driver_stride, int pieces,
             nh_out *out);
void nh_out_free(nh_out *out);

/* Read tests/data/lorenz/golden.csv: rho, x, y, z for 1024 trajectories. */
int nh_lorenz_golden(double *rho, double *x, double *y, double *z);
/* Julia's error for (method, mode "fixed"/"adaptive", param), or -1. */
double nh_julia_error(const char *method, const char *mode, double param);

/* The settings the Lorenz reference protocol checks for a method: fixed dt
 * 2^-1 .. 2^-n_fixed, or adaptive tol 1e-2 .. 1e-6, where Julia's error
 * lies in [4x the float32 floor (4e-6), 3e-2]. With skip_unconverged, fixed
 * steps where Julia's own error grows more than 4x when dt halves are left
 * out: Julia's fixed-step implicit runs solved their stages loosely
 * (reltol 1e-3) and some did not converge, so its value there is an
 * artefact of that solve, not a fair bound (a converged solve of a
 * convergent method cannot do that). Writes at most 13 settings to param[]
 * and julia[]; returns how many. */
int nh_protocol_settings(const char *method, int adaptive, int n_fixed,
                         int skip_unconverged, double *param, double *julia);

/* The protocol's rule at one setting: our error at most twice Julia's.
 * Returns 1 when met; otherwise prints the failing setting to stderr and
 * returns 0 (NaN fails). */
int nh_within_julia(const char *method, int adaptive, double param, double ours,
                    double julia);

extern const char nh_lorenz_model[];

#endif
