/* gpu_kernels.c - the test kernel sources of gpu_kernels.h and the host twin
 * of the Lorenz kernel. */
#include "gpu_kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The body shared by the device kernel and written out once; the host twin
 * below mirrors it step for step in double. */
static const char lorenz_body[] =
    "#include \"real.h\"\n"
    "#include \"kernel_args.h\"\n"
    "\n"
    "__device__ static void lorenz_f(const odeon_real *y, odeon_real rho,\n"
    "                                odeon_real *dy) {\n"
    "  const odeon_real sigma = ODEON_R(10.0), beta = ODEON_R(8.0 / 3.0);\n"
    "  dy[0] = sigma * (y[1] - y[0]);\n"
    "  dy[1] = y[0] * (rho - y[2]) - y[1];\n"
    "  dy[2] = y[0] * y[1] - beta * y[2];\n"
    "}\n"
    "\n"
    "extern \"C\" __device__ const long long odeon_kernel_info[ODEON_INFO_LEN] "
    "= {\n"
    "    ODEON_KERNEL_ABI, (long long)sizeof(odeon_real), 3, 1, 0, 0, 3, 0,\n"
    "    0, 0, 0, 4, 0};\n"
    "\n"
    "extern \"C\" __global__ void odeon_kernel_cuda(odeon_kernel_args a) {\n"
    "  long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;\n"
    "  if (i >= a.n)\n"
    "    return;\n"
    "  const long long n = a.n;\n"
    "  const odeon_real *y0 = (const odeon_real *)a.y0;\n"
    "  const odeon_real *p = (const odeon_real *)a.params;\n"
    "  odeon_real *out = (odeon_real *)a.out_state;\n"
    "  odeon_real y[3] = {y0[i], y0[n + i], y0[2 * n + i]};\n"
    "  const odeon_real rho = p[i];\n"
    "  const odeon_real h = (odeon_real)a.dt;\n"
    "  double span = a.save_every > 0 ? a.save_every : a.duration;\n"
    "  long long steps = (long long)(span / a.dt + 0.5);\n"
    "  for (long long s = 0; s < a.n_samples; s++) {\n"
    "    if (s > 0) {\n"
    "      for (long long k = 0; k < steps; k++) {\n"
    "        odeon_real k1[3], k2[3], k3[3], k4[3], t[3];\n"
    "        lorenz_f(y, rho, k1);\n"
    "        for (int v = 0; v < 3; v++) t[v] = y[v] + h / 2 * k1[v];\n"
    "        lorenz_f(t, rho, k2);\n"
    "        for (int v = 0; v < 3; v++) t[v] = y[v] + h / 2 * k2[v];\n"
    "        lorenz_f(t, rho, k3);\n"
    "        for (int v = 0; v < 3; v++) t[v] = y[v] + h * k3[v];\n"
    "        lorenz_f(t, rho, k4);\n"
    "        for (int v = 0; v < 3; v++)\n"
    "          y[v] += h / 6 * (k1[v] + 2 * k2[v] + 2 * k3[v] + k4[v]);\n"
    "      }\n"
    "    }\n"
    "    if (out && s >= a.sample_begin && s < a.sample_end)\n"
    "      for (int v = 0; v < 3; v++)\n"
    "        out[((s - a.sample_begin) * 3 + v) * n + i] = y[v];\n"
    "  }\n"
    "  if (a.status)\n"
    "    a.status[i] = 0u;\n"
    "}\n";

char *gpu_lorenz_source(int real_bytes) {
  size_t size = sizeof lorenz_body + 64;
  char *s = malloc(size);
  if (s)
    snprintf(s, size, "#define ODEON_REAL_IS_FLOAT %d\n%s",
             real_bytes == 4 ? 1 : 0, lorenz_body);
  return s;
}

static void lorenz_f(const double *y, double rho, double *dy) {
  const double sigma = 10.0, beta = 8.0 / 3.0;
  dy[0] = sigma * (y[1] - y[0]);
  dy[1] = y[0] * (rho - y[2]) - y[1];
  dy[2] = y[0] * y[1] - beta * y[2];
}

void gpu_lorenz_host(const odeon_kernel_args *a, double x0, double y0,
                     double z0, double rho, double *out) {
  double y[3] = {x0, y0, z0};
  double h = a->dt;
  double span = a->save_every > 0 ? a->save_every : a->duration;
  long long steps = (long long)(span / a->dt + 0.5);
  for (long long s = 0; s < a->n_samples; s++) {
    if (s > 0) {
      for (long long k = 0; k < steps; k++) {
        double k1[3], k2[3], k3[3], k4[3], t[3];
        lorenz_f(y, rho, k1);
        for (int v = 0; v < 3; v++)
          t[v] = y[v] + h / 2 * k1[v];
        lorenz_f(t, rho, k2);
        for (int v = 0; v < 3; v++)
          t[v] = y[v] + h / 2 * k2[v];
        lorenz_f(t, rho, k3);
        for (int v = 0; v < 3; v++)
          t[v] = y[v] + h * k3[v];
        lorenz_f(t, rho, k4);
        for (int v = 0; v < 3; v++)
          y[v] += h / 6 * (k1[v] + 2 * k2[v] + 2 * k3[v] + k4[v]);
      }
    }
    for (int v = 0; v < 3; v++)
      out[s * 3 + v] = y[v];
  }
}

const char gpu_spin_source[] =
    "#include \"kernel_args.h\"\n"
    "extern \"C\" __device__ const long long odeon_kernel_info[ODEON_INFO_LEN] "
    "= {ODEON_KERNEL_ABI, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};\n"
    "extern \"C\" __global__ void odeon_kernel_cuda(odeon_kernel_args a) {\n"
    "  long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;\n"
    "  if (i >= a.n) return;\n"
    "  unsigned long long t0, t;\n"
    "  asm volatile(\"mov.u64 %0, %%globaltimer;\" : \"=l\"(t0));\n"
    "  do {\n"
    "    asm volatile(\"mov.u64 %0, %%globaltimer;\" : \"=l\"(t));\n"
    "  } while (t - t0 < (unsigned long long)a.max_steps);\n"
    "  if (a.status) a.status[i] = 7u;\n"
    "}\n";

const char gpu_fault_source[] =
    "#include \"kernel_args.h\"\n"
    "extern \"C\" __device__ const long long odeon_kernel_info[ODEON_INFO_LEN] "
    "= {ODEON_KERNEL_ABI, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};\n"
    "extern \"C\" __global__ void odeon_kernel_cuda(odeon_kernel_args a) {\n"
    "  volatile unsigned int *bad = (volatile unsigned int *)"
    "(unsigned long long)a.max_steps;\n"
    "  bad[threadIdx.x] = 1u;\n"
    "}\n";

const char gpu_broken_source[] =
    "#include \"kernel_args.h\"\n"
    "extern \"C\" __global__ void odeon_kernel_cuda(odeon_kernel_args a) {\n"
    "  this is not C;\n"
    "}\n";
