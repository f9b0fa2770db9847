/* gpu_hmm_probe.c - can the GPU write results straight into ordinary
 * (pageable, malloc'ed) host memory, and how fast? The staged path moves
 * every byte three times through host memory (bench/NOTES.md: 0.59-0.76x of
 * the pinned device-to-host bandwidth); a device that reaches pageable
 * memory itself (HMM, CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS) could
 * store the results there with one pass. This program prints the device's
 * pageable-access attributes and, where they allow it, times a copy kernel
 * whose destination is a malloc'ed, already touched buffer (with
 * cuMemAdvise asking to keep its pages on the host and map them for the
 * device), beside the pinned cuMemcpyDtoH and a cuMemcpyDtoH into the same
 * pageable buffer.
 *
 * usage: gpu_hmm_probe [--gib G]   (default 2) */
#include <dlfcn.h>
#include <stdint.h>
#include <sys/mman.h>

#include "gpu_common.h"

#define ATTR_PAGEABLE_MEMORY_ACCESS 88
#define ATTR_CONCURRENT_MANAGED_ACCESS 89
#define ATTR_PAGEABLE_USES_HOST_PAGE_TABLES 100
#define ADVISE_SET_PREFERRED_LOCATION 3
#define ADVISE_SET_ACCESSED_BY 5
#define DEVICE_CPU (-1)

typedef odeon__CUresult (*mem_advise_fn)(odeon__CUdeviceptr p, size_t bytes,
                                         int advice, int device);

static const char copy_src[] =
    "extern \"C\" __global__ void copy4(const float4 *__restrict__ s,\n"
    "                                   float4 *d, unsigned long long n) {\n"
    "  for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x"
    " + threadIdx.x; i < n; i += (unsigned long long)gridDim.x * blockDim.x)\n"
    "    d[i] = s[i];\n"
    "}\n";

int main(int argc, char **argv) {
  double gib = 2;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--gib") && i + 1 < argc)
      gib = atof(argv[++i]);
  gb_open();
  const odeon__cuda_device_info *di = odeon__cuda_device(gb_be);
  odeon__CUdevice dev;
  GB_CHECK(gb_api->cuDeviceGet(&dev, 0), "cuDeviceGet");
  int pageable = 0, managed = 0, host_pt = 0;
  GB_CHECK(
      gb_api->cuDeviceGetAttribute(&pageable, ATTR_PAGEABLE_MEMORY_ACCESS, dev),
      "cuDeviceGetAttribute");
  GB_CHECK(gb_api->cuDeviceGetAttribute(&managed,
                                        ATTR_CONCURRENT_MANAGED_ACCESS, dev),
           "cuDeviceGetAttribute");
  GB_CHECK(gb_api->cuDeviceGetAttribute(
               &host_pt, ATTR_PAGEABLE_USES_HOST_PAGE_TABLES, dev),
           "cuDeviceGetAttribute");
  printf("device: %s (%s), driver %d\n", di->name, di->arch,
         di->driver_version);
  printf("pageable memory access %d, concurrent managed access %d, "
         "pageable access through host page tables (ATS) %d\n",
         pageable, managed, host_pt);

  size_t bytes = (size_t)(gib * (double)(1u << 30)) & ~(size_t)15;
  odeon__CUdeviceptr d_src;
  GB_CHECK(gb_api->cuMemAlloc(&d_src, bytes), "cuMemAlloc");
  odeon__CUstream s;
  GB_CHECK(gb_api->cuStreamCreate(&s, 1), "cuStreamCreate");
  gb_timer t = gb_timer_make(s);
  void *pinned = NULL;
  GB_OK(gb_be->ops->host_alloc(gb_be, bytes, &pinned), "host_alloc");
  unsigned char *user = NULL;
  if (posix_memalign((void **)&user, (size_t)2 << 20, bytes))
    gb_die("posix_memalign");
  madvise(user, bytes, MADV_HUGEPAGE);
  memset(user, 0, bytes);
  GB_CHECK(gb_api->cuMemsetD8Async(d_src, 0x5a, bytes, s), "cuMemsetD8Async");

  double best_pinned = 1e30, best_pageable_copy = 1e30;
  for (int r = 0; r < 3; r++) {
    gb_timer_start(&t);
    GB_CHECK(gb_api->cuMemcpyDtoHAsync(pinned, d_src, bytes, s),
             "cuMemcpyDtoHAsync(pinned)");
    double ms = gb_timer_stop(&t);
    best_pinned = ms < best_pinned ? ms : best_pinned;
    gb_timer_start(&t);
    GB_CHECK(gb_api->cuMemcpyDtoHAsync(user, d_src, bytes, s),
             "cuMemcpyDtoHAsync(pageable)");
    ms = gb_timer_stop(&t);
    best_pageable_copy = ms < best_pageable_copy ? ms : best_pageable_copy;
  }
  double gb = (double)bytes / 1e9;
  printf("cuMemcpyDtoH into pinned memory:   %.1f GB/s\n",
         gb / (best_pinned * 1e-3));
  printf("cuMemcpyDtoH into pageable memory: %.1f GB/s\n",
         gb / (best_pageable_copy * 1e-3));

  if (!pageable) {
    printf("the device cannot reach pageable memory: no kernel stores into "
           "it\n");
    return 0;
  }
  void *cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  void *sym = cuda ? dlsym(cuda, "cuMemAdvise") : NULL;
  mem_advise_fn advise = NULL;
  memcpy(&advise, &sym, sizeof advise); /* a data pointer to a function's */
  if (advise) {
    odeon__CUresult r1 = advise((odeon__CUdeviceptr)(uintptr_t)user, bytes,
                                ADVISE_SET_PREFERRED_LOCATION, DEVICE_CPU);
    odeon__CUresult r2 = advise((odeon__CUdeviceptr)(uintptr_t)user, bytes,
                                ADVISE_SET_ACCESSED_BY, (int)dev);
    printf("cuMemAdvise: preferred location host -> %d, accessed by the "
           "device -> %d\n",
           (int)r1, (int)r2);
  }
  void *cubin = NULL;
  size_t cubin_size = 0;
  GB_OK(odeon__nvrtc_compile(copy_src, "copy4", di->arch, 0, &cubin,
                             &cubin_size, NULL),
        "nvrtc copy4");
  odeon__CUmodule mod;
  odeon__CUfunction fn;
  GB_CHECK(gb_api->cuModuleLoadData(&mod, cubin), "cuModuleLoadData");
  GB_CHECK(gb_api->cuModuleGetFunction(&fn, mod, "copy4"),
           "cuModuleGetFunction");
  free(cubin);
  unsigned long long n4 = bytes / 16;
  void *dst = user;
  void *params[] = {&d_src, &dst, &n4};
  for (int r = 0; r < 4; r++) {
    gb_timer_start(&t);
    GB_CHECK(gb_api->cuLaunchKernel(fn, (unsigned)di->sm_count * 8, 1, 1, 512,
                                    1, 1, 0, s, params, NULL),
             "cuLaunchKernel(copy4 into pageable memory)");
    double ms = gb_timer_stop(&t);
    printf("kernel stores into pageable memory, pass %d: %.1f GB/s\n", r + 1,
           gb / (ms * 1e-3));
  }
  size_t bad = 0;
  for (size_t i = 0; i < bytes; i += 4093)
    bad += user[i] != 0x5a;
  printf("spot check of the pageable buffer: %zu wrong bytes\n", bad);
  gb_timer_free(&t);
  free(user);
  gb_be->ops->host_free(gb_be, pinned);
  return 0;
}
