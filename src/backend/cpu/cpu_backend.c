/* cpu_backend.c - the CPU backend object: its vtable, "device memory" as
 * ordinary memory under an enforced budget, and pinned memory as ordinary
 * memory. Streams, events and kernels live in the files beside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/cpu/cpu.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/parallel.h"

/* Every allocation carries a header holding its size, so dev_free can give
   the bytes back to the budget; 64 keeps the data cache-line aligned. */
#define HDR 64

static size_t physical_available(void) {
  long pages = sysconf(_SC_AVPHYS_PAGES);
  long size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || size <= 0)
    return (size_t)1 << 30;
  return (size_t)pages * (size_t)size;
}

static int cpu_mem_info(odeon__backend *be, size_t *free_bytes,
                        size_t *total_bytes) {
  odeon__cpu_backend *c = (odeon__cpu_backend *)be;
  size_t avail = physical_available();
  pthread_mutex_lock(&c->mu);
  size_t used = c->used, budget = c->budget;
  pthread_mutex_unlock(&c->mu);
  if (budget) {
    size_t left = budget > used ? budget - used : 0;
    *free_bytes = left < avail ? left : avail;
    *total_bytes = budget;
  } else {
    *free_bytes = avail;
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    *total_bytes = pages > 0 && size > 0 ? (size_t)pages * (size_t)size : avail;
  }
  return ODEON_OK;
}

static int cpu_alloc(odeon__cpu_backend *c, size_t bytes, int device,
                     void **ptr) {
  *ptr = NULL;
  const char *what = device ? "device" : "pinned host";
  if (odeon__fault_hit(ODEON__FAULT_ALLOC))
    return odeon__error(ODEON_E_NOMEM,
                        "cpu backend: injected %s allocation fault (%zu bytes)",
                        what, bytes);
  if (bytes > SIZE_MAX - 2 * HDR)
    return odeon__error(ODEON_E_NOMEM,
                        "cpu backend: %s allocation of %zu "
                        "bytes is too large",
                        what, bytes);
  if (device) {
    pthread_mutex_lock(&c->mu);
    int over = c->budget && (bytes > c->budget || c->used > c->budget - bytes);
    if (!over)
      c->used += bytes;
    size_t used = c->used;
    pthread_mutex_unlock(&c->mu);
    if (over)
      return odeon__error(ODEON_E_NOMEM,
                          "cpu backend: device allocation of %zu bytes exceeds "
                          "the budget (%zu of %zu bytes in use)",
                          bytes, used, c->budget);
  }
  void *raw = NULL;
  size_t total = (bytes + HDR + HDR - 1) / HDR * HDR;
  if (posix_memalign(&raw, HDR, total)) {
    if (device) {
      pthread_mutex_lock(&c->mu);
      c->used -= bytes;
      pthread_mutex_unlock(&c->mu);
    }
    return odeon__error(ODEON_E_NOMEM,
                        "cpu backend: out of memory allocating %zu bytes of "
                        "%s memory",
                        bytes, what);
  }
  memcpy(raw, &bytes, sizeof bytes);
  *ptr = (unsigned char *)raw + HDR;
  return ODEON_OK;
}

static void cpu_free(odeon__cpu_backend *c, void *ptr, int device) {
  if (!ptr)
    return;
  unsigned char *p = (unsigned char *)ptr - HDR;
  size_t bytes;
  memcpy(&bytes, p, sizeof bytes);
  if (device) {
    pthread_mutex_lock(&c->mu);
    c->used -= bytes;
    pthread_mutex_unlock(&c->mu);
  }
  free(p);
}

static int cpu_dev_alloc(odeon__backend *be, size_t bytes, void **ptr) {
  return cpu_alloc((odeon__cpu_backend *)be, bytes, 1, ptr);
}
static void cpu_dev_free(odeon__backend *be, void *ptr) {
  cpu_free((odeon__cpu_backend *)be, ptr, 1);
}
static int cpu_host_alloc(odeon__backend *be, size_t bytes, void **ptr) {
  return cpu_alloc((odeon__cpu_backend *)be, bytes, 0, ptr);
}
static void cpu_host_free(odeon__backend *be, void *ptr) {
  cpu_free((odeon__cpu_backend *)be, ptr, 0);
}

static void cpu_destroy(odeon__backend *be) {
  odeon__cpu_backend *c = (odeon__cpu_backend *)be;
  if (!c)
    return;
  odeon__cpu_pool_destroy(c->pool);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

/* The CPU's "device" memory is host memory: results can be copied straight
   from it into any destination memory. */
static int cpu_host_direct(odeon__backend *be, const void *p, size_t bytes) {
  (void)be;
  return p && bytes;
}

static const odeon__backend_ops cpu_ops = {
    .name = "cpu",
    .destroy = cpu_destroy,
    .mem_info = cpu_mem_info,
    .dev_alloc = cpu_dev_alloc,
    .dev_free = cpu_dev_free,
    .host_alloc = cpu_host_alloc,
    .host_free = cpu_host_free,
    .stream_create = odeon__cpu_stream_create,
    .stream_destroy = odeon__cpu_stream_destroy,
    .copy_h2d_async = odeon__cpu_copy_h2d,
    .copy_d2h_async = odeon__cpu_copy_d2h,
    .copy_d2h_2d_async = odeon__cpu_copy_d2h_2d,
    .host_direct = cpu_host_direct,
    .fill32_async = odeon__cpu_fill32,
    .launch_async = odeon__cpu_launch,
    .event_create = odeon__cpu_event_create,
    .event_destroy = odeon__cpu_event_destroy,
    .event_record = odeon__cpu_event_record,
    .event_query = odeon__cpu_event_query,
    .event_wait = odeon__cpu_event_wait,
    .module_load = odeon__cpu_module_load,
    .module_unload = odeon__cpu_module_unload,
    .module_info = odeon__cpu_module_info,
    .module_windows = NULL, /* every CPU kernel has the carry */
};

int odeon__backend_cpu_create(const odeon__backend_config *cfg,
                              odeon__backend **out) {
  if (!out)
    return odeon__error(ODEON_E_INVAL, "cpu backend: out is NULL");
  *out = NULL;
  int threads = cfg ? cfg->threads : 0;
  if (threads < 0)
    return odeon__error(ODEON_E_INVAL,
                        "cpu backend: threads must be >= 0 (0 = all cores), "
                        "got %d",
                        threads);
  if (threads == 0) {
    threads = odeon__cpus_available();
  }
  double timeout = cfg && cfg->timeout > 0 ? cfg->timeout : 600.0;
  odeon__cpu_backend *c = calloc(1, sizeof *c);
  if (!c)
    return odeon__error(ODEON_E_NOMEM, "cpu backend: out of memory");
  if (pthread_mutex_init(&c->mu, NULL)) {
    free(c);
    return odeon__error(ODEON_E_BACKEND, "cpu backend: pthread_mutex_init");
  }
  c->base.ops = &cpu_ops;
  c->budget = cfg ? cfg->mem_budget : 0;
  c->timeout = timeout;
  int st = odeon__cpu_pool_create(threads, &c->pool);
  if (st) {
    pthread_mutex_destroy(&c->mu);
    free(c);
    return st;
  }
  *out = &c->base;
  return ODEON_OK;
}
