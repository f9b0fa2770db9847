/* cuda_backend.c - the CUDA backend's device, context and memory: opening the
 * device through the driver API, device and pinned host allocation, and the
 * vtable that ties streams, events and modules together. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "backend/cuda/cuda_internal.h"
#include "backend/cuda/nvrtc.h"
#include "util/bigmem.h"
#include "util/error.h"
#include "util/fault.h"

static odeon__cuda_backend *cb(odeon__backend *be) {
  return (odeon__cuda_backend *)be;
}

int odeon__cuda_bind(odeon__cuda_backend *be) {
  odeon__CUresult r = be->api->cuCtxSetCurrent(be->ctx);
  if (r != ODEON__CUDA_SUCCESS)
    return odeon__cu_fail(be->api, r, "cuCtxSetCurrent(primary context)");
  return ODEON_OK;
}

void odeon__cuda_warn(const char *context) {
  fprintf(stderr, "odeon: cuda: %s%s\n", context, odeon_last_error());
}

void odeon__cuda_bind_for_release(odeon__cuda_backend *be,
                                  const char *context) {
  if (odeon__cuda_bind(be) != ODEON_OK)
    odeon__cuda_warn(context);
}

void odeon__cuda_release_failed(const odeon__cuda_api *api, odeon__CUresult r,
                                const char *what) {
  if (r != ODEON__CUDA_SUCCESS) {
    odeon__cu_fail(api, r, what);
    odeon__cuda_warn("");
  }
}

static void cuda_destroy(odeon__backend *base) {
  if (!base)
    return;
  odeon__cuda_backend *be = cb(base);
  odeon__cuda_release_failed(be->api,
                             be->api->cuDevicePrimaryCtxRelease(be->dev),
                             "cuDevicePrimaryCtxRelease");
  pthread_mutex_destroy(&be->lock);
  free(be);
}

static int cuda_mem_info(odeon__backend *base, size_t *free_bytes,
                         size_t *total_bytes) {
  odeon__cuda_backend *be = cb(base);
  int st = odeon__cuda_bind(be);
  if (st)
    return st;
  size_t f = 0, t = 0;
  odeon__CUresult r = be->api->cuMemGetInfo(&f, &t);
  if (r != ODEON__CUDA_SUCCESS)
    return odeon__cu_fail(be->api, r, "cuMemGetInfo");
  if (free_bytes)
    *free_bytes = f;
  if (total_bytes)
    *total_bytes = t;
  return ODEON_OK;
}

static int cuda_dev_alloc(odeon__backend *base, size_t bytes, void **ptr) {
  odeon__cuda_backend *be = cb(base);
  *ptr = NULL;
  if (bytes == 0)
    return ODEON_OK;
  int st = odeon__cuda_bind(be);
  if (st)
    return st;
  if (odeon__fault_hit(ODEON__FAULT_ALLOC))
    return odeon__error(ODEON_E_NOMEM,
                        "cuMemAlloc(%zu bytes): injected allocation fault",
                        bytes);
  odeon__CUdeviceptr p = 0;
  odeon__CUresult r = be->api->cuMemAlloc(&p, bytes);
  if (r != ODEON__CUDA_SUCCESS) {
    char what[96];
    snprintf(what, sizeof what, "cuMemAlloc(%zu bytes)", bytes);
    /* CUDA_ERROR_OUT_OF_MEMORY becomes ODEON_E_NOMEM: the engine shrinks
       the chunk and tries again. */
    return odeon__cu_fail(be->api, r, what);
  }
  *ptr = (void *)(uintptr_t)p;
  return ODEON_OK;
}

static void cuda_dev_free(odeon__backend *base, void *ptr) {
  odeon__cuda_backend *be = cb(base);
  if (!ptr)
    return;
  odeon__cuda_bind_for_release(be, "");
  odeon__cuda_release_failed(
      be->api, be->api->cuMemFree((odeon__CUdeviceptr)(uintptr_t)ptr),
      "cuMemFree");
}

/* Pinned staging is an anonymous mapping (huge pages asked for) that
   cuMemHostRegister page-locks: the driver does that at 18-22 GB/s on the
   H100 host where cuMemHostAlloc runs at 1.7-2.0 GB/s (bench/NOTES.md,
   gpu_host_paths), and a solve's first staging of hundreds of megabytes is
   most of its time. Where registering fails (a platform without it, or
   short of lockable memory) cuMemHostAlloc is asked instead. Either way a
   header page before the buffer says which, and the length to unmap. */
#define PIN_MAGIC 0x6f64656f6e70696eULL /* "odeonpin" */

typedef struct pin_header {
  unsigned long long magic;
  size_t len;     /* of the whole allocation, header included */
  int registered; /* 1: mapped and registered; 0: cuMemHostAlloc's */
} pin_header;

/* Portable: pinned for every context, so a staging slot can serve any
   device of a multi-GPU solve. */
static void *pin_registered(odeon__cuda_backend *be, size_t len) {
  void *p = odeon__big_map(len);
  if (!p)
    return NULL;
  if (be->api->cuMemHostRegister(p, len, ODEON__CU_MEMHOSTREGISTER_PORTABLE) !=
      ODEON__CUDA_SUCCESS) {
    munmap(p, len);
    return NULL;
  }
  return p;
}

static int cuda_host_alloc(odeon__backend *base, size_t bytes, void **ptr) {
  odeon__cuda_backend *be = cb(base);
  *ptr = NULL;
  if (bytes == 0)
    return ODEON_OK;
  int st = odeon__cuda_bind(be);
  if (st)
    return st;
  if (odeon__fault_hit(ODEON__FAULT_ALLOC))
    return odeon__error(ODEON_E_NOMEM,
                        "cuMemHostAlloc(%zu bytes): injected allocation fault",
                        bytes);
  /* the header is a page, so that the buffer after it is page-aligned */
  const size_t page = odeon__page_size();
  if (bytes > SIZE_MAX - 2 * page)
    return odeon__error(ODEON_E_NOMEM, "pinned memory: %zu bytes", bytes);
  /* whole pages: what the mapping holds, and what older drivers register */
  size_t len = (bytes + 2 * page - 1) / page * page;
  void *p = pin_registered(be, len);
  int registered = p != NULL;
  if (!p) {
    odeon__CUresult r =
        be->api->cuMemHostAlloc(&p, len, ODEON__CU_MEMHOSTALLOC_PORTABLE);
    if (r != ODEON__CUDA_SUCCESS) {
      char what[96];
      snprintf(what, sizeof what, "cuMemHostAlloc(%zu bytes, pinned)", len);
      return odeon__cu_fail(be->api, r, what);
    }
  }
  pin_header *h = p;
  h->magic = PIN_MAGIC;
  h->len = len;
  h->registered = registered;
  *ptr = (unsigned char *)p + page;
  return ODEON_OK;
}

/* Result memory that a later solve reuses (util/bigmem.c's kept mappings)
   is page-locked once, so that this and later solves download into it
   directly, with no staging and no writeback copy (the engine asks for it:
   pin_reused_outputs in src/engine/outputs.c). The pin holds its own reference
   to the device's primary context: a result may outlive the solver that made
   it, and the registration must be undone before its memory is unmapped,
   in a context that is still alive. */
typedef struct cuda_pin {
  odeon__big_pin base; /* first: bigmem sees an odeon__big_pin */
  const odeon__cuda_api *api;
  odeon__CUdevice dev;
  odeon__CUcontext ctx; /* the primary context, retained for the pin */
  size_t len;
} cuda_pin;

/* Result memory page-locked by every backend of the process, held under
   odeon__big_pin_limit(): what is over it stays staged. */
static _Atomic size_t pinned_results;

static int cuda_unpin(odeon__big_pin *base, void *p, size_t len) {
  cuda_pin *pin = (cuda_pin *)base;
  (void)len; /* the registration is named by its start */
  const odeon__cuda_api *api = pin->api;
  /* Unregistering is tried even where binding fails: the registration is
     portable, any current context may undo it. */
  odeon__cuda_release_failed(api, api->cuCtxSetCurrent(pin->ctx),
                             "cuCtxSetCurrent(result memory)");
  odeon__CUresult r = api->cuMemHostUnregister(p);
  /* A failure is reported; bigmem then leaves the memory mapped, so that
     no later allocation gets addresses the driver may still take for
     page-locked (a context with a sticky error refuses to unregister). */
  odeon__cuda_release_failed(api, r, "cuMemHostUnregister(result memory)");
  odeon__cuda_release_failed(api, api->cuDevicePrimaryCtxRelease(pin->dev),
                             "cuDevicePrimaryCtxRelease(result memory)");
  if (r == ODEON__CUDA_SUCCESS)
    atomic_fetch_sub(&pinned_results, pin->len);
  free(pin);
  return r == ODEON__CUDA_SUCCESS ? 0 : -1;
}

static int cuda_host_pin(odeon__backend *base, void *p, size_t len,
                         odeon__big_pin **out) {
  odeon__cuda_backend *be = cb(base);
  *out = NULL;
  if (!p || !len)
    return odeon__error(ODEON_E_INVAL, "cuda: pin of an empty range");
  /* the bytes are reserved first, so that pins made at once on several
     threads stay under the limit together; every failure below gives
     them back */
  size_t before = atomic_fetch_add(&pinned_results, len);
  if (before + len > odeon__big_pin_limit()) {
    atomic_fetch_sub(&pinned_results, len);
    return odeon__error(ODEON_E_NOMEM,
                        "cuda: pinning %zu bytes of results would page-lock "
                        "more than %zu bytes",
                        len, odeon__big_pin_limit());
  }
  cuda_pin *pin = NULL;
  int st = odeon__cuda_bind(be);
  if (!st && !(pin = calloc(1, sizeof *pin)))
    st = odeon__error(ODEON_E_NOMEM, "cuda: pin: out of memory");
  odeon__CUresult r = ODEON__CUDA_SUCCESS;
  if (!st && (r = be->api->cuDevicePrimaryCtxRetain(&pin->ctx, be->dev)) !=
                 ODEON__CUDA_SUCCESS)
    st = odeon__cu_fail(be->api, r, "cuDevicePrimaryCtxRetain(pin)");
  const int retained = !st;
  /* portable: every device of a multi-GPU solve may download into it */
  if (!st &&
      (r = be->api->cuMemHostRegister(
           p, len, ODEON__CU_MEMHOSTREGISTER_PORTABLE)) != ODEON__CUDA_SUCCESS)
    st = odeon__cu_fail(be->api, r, "cuMemHostRegister(result memory)");
  if (st) {
    if (retained)
      odeon__cuda_release_failed(be->api,
                                 be->api->cuDevicePrimaryCtxRelease(be->dev),
                                 "cuDevicePrimaryCtxRelease(pin)");
    free(pin);
    atomic_fetch_sub(&pinned_results, len);
    return st;
  }
  pin->base.unpin = cuda_unpin;
  pin->api = be->api;
  pin->dev = be->dev;
  pin->len = len;
  *out = &pin->base;
  return ODEON_OK;
}

/* Page-locked host memory (cuMemHostAlloc'ed, or registered with
   cuMemHostRegister / cudaHostRegister) that covers all of [p, p + bytes):
   the driver's pointer attributes say so; pageable memory makes the query
   fail, which is the common answer, not an error. Without the context the
   answer is "no": the staged path then serves the buffer, and the failure
   is reported. */
static int cuda_host_direct(odeon__backend *base, const void *p, size_t bytes) {
  odeon__cuda_backend *be = (odeon__cuda_backend *)base;
  if (!p || !bytes)
    return 0;
  if (odeon__cuda_bind(be) != ODEON_OK) {
    odeon__cuda_warn("page-locked check (results are staged): ");
    return 0;
  }
  odeon__CUdeviceptr at = (odeon__CUdeviceptr)(uintptr_t)p;
  unsigned int type = 0;
  odeon__CUdeviceptr start = 0;
  size_t size = 0;
  if (be->api->cuPointerGetAttribute(
          &type, ODEON__CU_POINTER_ATTRIBUTE_MEMORY_TYPE, at) ||
      type != ODEON__CU_MEMORYTYPE_HOST ||
      be->api->cuPointerGetAttribute(
          &start, ODEON__CU_POINTER_ATTRIBUTE_RANGE_START_ADDR, at) ||
      be->api->cuPointerGetAttribute(
          &size, ODEON__CU_POINTER_ATTRIBUTE_RANGE_SIZE, at))
    return 0;
  return start <= at && at - start + bytes <= size;
}

static void cuda_host_free(odeon__backend *base, void *ptr) {
  odeon__cuda_backend *be = cb(base);
  if (!ptr)
    return;
  pin_header *h =
      (pin_header *)(void *)((unsigned char *)ptr - odeon__page_size());
  if (h->magic != PIN_MAGIC) {
    fprintf(stderr,
            "odeon: cuda: pinned free of %p: not odeon's pinned "
            "memory (left alone)\n",
            ptr);
    return;
  }
  h->magic = 0;
  odeon__cuda_bind_for_release(be, "");
  if (h->registered) {
    size_t len = h->len;
    /* unmapped even where unregistering failed (reported): the driver
       drops the registration of memory that is gone */
    odeon__cuda_release_failed(be->api, be->api->cuMemHostUnregister(h),
                               "cuMemHostUnregister");
    munmap(h, len);
  } else {
    odeon__cuda_release_failed(be->api, be->api->cuMemFreeHost(h),
                               "cuMemFreeHost");
  }
}

static const odeon__backend_ops cuda_ops = {
    .name = "cuda",
    .destroy = cuda_destroy,
    .mem_info = cuda_mem_info,
    .dev_alloc = cuda_dev_alloc,
    .dev_free = cuda_dev_free,
    .host_alloc = cuda_host_alloc,
    .host_free = cuda_host_free,
    .stream_create = odeon__cuda_stream_create,
    .stream_destroy = odeon__cuda_stream_destroy,
    .copy_h2d_async = odeon__cuda_copy_h2d,
    .copy_d2h_async = odeon__cuda_copy_d2h,
    .copy_d2h_2d_async = odeon__cuda_copy_d2h_2d,
    .host_direct = cuda_host_direct,
    .host_pin = cuda_host_pin,
    .fill32_async = odeon__cuda_fill32,
    .launch_async = odeon__cuda_launch,
    .event_create = odeon__cuda_event_create,
    .event_destroy = odeon__cuda_event_destroy,
    .event_record = odeon__cuda_event_record,
    .event_query = odeon__cuda_event_query,
    .event_wait = odeon__cuda_event_wait,
    .module_load = odeon__cuda_module_load,
    .module_unload = odeon__cuda_module_unload,
    .module_info = odeon__cuda_module_info,
    .module_windows = odeon__cuda_module_windows,
};

int odeon__backend_is_cuda(const odeon__backend *be) {
  return be && be->ops == &cuda_ops;
}

const odeon__cuda_device_info *odeon__cuda_device(const odeon__backend *be) {
  return &((const odeon__cuda_backend *)be)->info;
}

const odeon__cuda_api *odeon__cuda_backend_api(const odeon__backend *be) {
  return ((const odeon__cuda_backend *)be)->api;
}

static int device_attr(const odeon__cuda_api *api, odeon__CUdevice dev,
                       int attr, const char *name, int *value) {
  odeon__CUresult r = api->cuDeviceGetAttribute(value, attr, dev);
  if (r != ODEON__CUDA_SUCCESS) {
    char what[128];
    snprintf(what, sizeof what, "cuDeviceGetAttribute(%s)", name);
    return odeon__cu_fail(api, r, what);
  }
  return ODEON_OK;
}

/* Read the device's name and capability into info. */
static int device_facts(const odeon__cuda_api *api, odeon__CUdevice dev,
                        odeon__cuda_device_info *info) {
  odeon__CUresult r =
      api->cuDeviceGetName(info->name, (int)sizeof info->name, dev);
  if (r != ODEON__CUDA_SUCCESS)
    return odeon__cu_fail(api, r, "cuDeviceGetName");
  int st =
      device_attr(api, dev, ODEON__CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                  "COMPUTE_CAPABILITY_MAJOR", &info->cc_major);
  if (!st)
    st = device_attr(api, dev,
                     ODEON__CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                     "COMPUTE_CAPABILITY_MINOR", &info->cc_minor);
  if (!st)
    st = device_attr(api, dev, ODEON__CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                     "MULTIPROCESSOR_COUNT", &info->sm_count);
  if (st)
    return st;
  snprintf(info->arch, sizeof info->arch, "sm_%d%d", info->cc_major,
           info->cc_minor);
  info->driver_version = api->driver_version;
  return ODEON_OK;
}

int odeon__cuda_device_count(int *count) {
  *count = 0;
  int st;
  const odeon__cuda_api *api = odeon__cuda_api_get(&st);
  if (!api)
    return st;
  odeon__CUresult r = api->cuDeviceGetCount(count);
  if (r != ODEON__CUDA_SUCCESS)
    return odeon__cu_fail(api, r, "cuDeviceGetCount");
  return ODEON_OK;
}

int odeon__cuda_parse_devices(const char *spec, int *ids, int max, int *n) {
  *n = 0;
  if (!spec || !spec[0] || strcmp(spec, "all") == 0) {
    int count = 0;
    int st = odeon__cuda_device_count(&count);
    if (st)
      return st;
    if (count == 0)
      return odeon__error(ODEON_E_NODEVICE,
                          "--devices %s: the CUDA driver "
                          "sees no device",
                          spec ? spec : "all");
    for (int i = 0; i < count && i < max; i++)
      ids[(*n)++] = i;
    return ODEON_OK;
  }
  const char *p = spec;
  for (;;) {
    char *end = NULL;
    long v = strtol(p, &end, 10);
    if (end == p || v < 0 || v > 1023 || (*end && *end != ','))
      return odeon__error(ODEON_E_INVAL,
                          "--devices %s: expected \"all\" or device numbers "
                          "separated by commas, like 0,1",
                          spec);
    for (int i = 0; i < *n; i++)
      if (ids[i] == (int)v)
        return odeon__error(ODEON_E_INVAL,
                            "--devices %s: device %ld is "
                            "listed twice",
                            spec, v);
    if (*n == max)
      return odeon__error(ODEON_E_INVAL, "--devices %s: more than %d devices",
                          spec, max);
    ids[(*n)++] = (int)v;
    if (!*end)
      break;
    p = end + 1;
  }
  int count = 0;
  int st = odeon__cuda_device_count(&count);
  if (st)
    return st;
  for (int i = 0; i < *n; i++)
    if (ids[i] >= count)
      return odeon__error(ODEON_E_NODEVICE,
                          "--devices %s: CUDA device %d does not exist (the "
                          "driver sees %d)",
                          spec, ids[i], count);
  return ODEON_OK;
}

int odeon__backend_cuda_create(const odeon__backend_config *cfg,
                               odeon__backend **out) {
  if (!out)
    return odeon__error(ODEON_E_INVAL, "cuda backend: out must not be NULL");
  *out = NULL;
  int ordinal = cfg ? cfg->device : 0;
  int st;
  const odeon__cuda_api *api = odeon__cuda_api_get(&st);
  if (!api)
    return st;
  int count = 0;
  odeon__CUresult r = api->cuDeviceGetCount(&count);
  if (r != ODEON__CUDA_SUCCESS)
    return odeon__cu_fail(api, r, "cuDeviceGetCount");
  if (count == 0)
    return odeon__error(ODEON_E_NODEVICE,
                        "no CUDA device: the driver (%s, version %d) sees "
                        "none (check CUDA_VISIBLE_DEVICES)",
                        api->path, api->driver_version);
  if (ordinal < 0 || ordinal >= count)
    return odeon__error(ODEON_E_NODEVICE,
                        "CUDA device %d does not exist: the driver sees %d "
                        "device%s (0..%d)",
                        ordinal, count, count == 1 ? "" : "s", count - 1);
  odeon__CUdevice dev = 0;
  r = api->cuDeviceGet(&dev, ordinal);
  if (r != ODEON__CUDA_SUCCESS)
    return odeon__cu_fail(api, r, "cuDeviceGet");

  odeon__cuda_backend *be = calloc(1, sizeof *be);
  if (!be)
    return odeon__error(ODEON_E_NOMEM, "cuda backend: out of memory");
  be->base.ops = &cuda_ops;
  be->api = api;
  be->ordinal = ordinal;
  be->dev = dev;
  be->timeout = cfg && cfg->timeout > 0 ? cfg->timeout : 600.0;
  /* The option wins; the environment variable serves experiments. */
  const char *bs = getenv("ODEON_CUDA_BLOCK_SIZE");
  be->block_size = cfg && cfg->block_size > 0 ? cfg->block_size
                   : bs && bs[0]              ? atoi(bs)
                                              : 0;
  st = device_facts(api, dev, &be->info);
  if (st) {
    free(be);
    return st;
  }
  /* Without NVRTC no kernel can be compiled: say so now, as a missing
     device, so that --backend auto falls back to the CPU with the reason. */
  if (odeon__nvrtc_available() != ODEON_OK) {
    st = odeon__error_context(ODEON_E_NODEVICE,
                              "CUDA device %d (%s) found, but kernels cannot "
                              "be compiled: ",
                              ordinal, be->info.name);
    free(be);
    return st;
  }
  be->info.nvrtc_version = odeon__nvrtc_version();
  /* The primary context is shared with every other user of the device in
     this process (other solvers, the CUDA runtime), which is what a library
     should do: one context per device, no context switches. */
  r = api->cuDevicePrimaryCtxRetain(&be->ctx, dev);
  if (r != ODEON__CUDA_SUCCESS) {
    st = odeon__cu_fail(api, r, "cuDevicePrimaryCtxRetain");
    free(be);
    return st;
  }
  pthread_mutex_init(&be->lock, NULL);
  st = odeon__cuda_bind(be);
  if (st) {
    cuda_destroy(&be->base);
    return st;
  }
  const char *v = getenv("ODEON_VERBOSE");
  if (v && v[0] && strcmp(v, "0") != 0)
    fprintf(stderr,
            "odeon: cuda: device %d: %s (%s, %d SMs), driver %d (%s), NVRTC "
            "%d (%s)\n",
            ordinal, be->info.name, be->info.arch, be->info.sm_count,
            api->driver_version, api->path, be->info.nvrtc_version,
            odeon__nvrtc_path());
  *out = &be->base;
  return ODEON_OK;
}
