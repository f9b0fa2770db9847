/* cpu.h - internals shared by the files of the CPU backend: the backend
 * object, the worker pool that runs launched chunks, and the module type. */
#ifndef ODEON_BACKEND_CPU_CPU_H
#define ODEON_BACKEND_CPU_CPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "backend/backend.h"

/* A persistent pool of worker threads. A job splits [0, n) into blocks that
 * idle workers claim one at a time, so several streams can have jobs queued
 * and every worker stays busy. */
typedef struct odeon__cpu_pool odeon__cpu_pool;

typedef void (*odeon__cpu_block_fn)(void *ctx, long long begin, long long end);

int odeon__cpu_pool_create(int threads, odeon__cpu_pool **out);
/* Stops and joins every worker; jobs must have finished. */
void odeon__cpu_pool_destroy(odeon__cpu_pool *pool);
int odeon__cpu_pool_threads(const odeon__cpu_pool *pool);
/* Run fn over [0, n) on the pool and wait until every block has run. The
 * wait gives up (ODEON_E_TIMEOUT) only when no block finished for `timeout`
 * seconds; it then skips the blocks not yet started and still waits for
 * the running ones, because they write memory the caller will free.
 * `*cancel` (may be NULL), set by another thread, also skips the blocks not
 * yet started (ODEON_E_CANCELLED). */
int odeon__cpu_pool_run(odeon__cpu_pool *pool, odeon__cpu_block_fn fn,
                        void *ctx, long long n, double timeout,
                        const _Atomic int *cancel);
/* Wake every waiter in odeon__cpu_pool_run so it re-reads its cancel flag. */
void odeon__cpu_pool_kick(odeon__cpu_pool *pool);

typedef struct odeon__cpu_backend {
  odeon__backend base;
  pthread_mutex_t mu;
  size_t budget; /* "device memory" limit in bytes; 0 = unlimited */
  size_t used;
  double timeout;
  odeon__cpu_pool *pool;
} odeon__cpu_backend;

typedef void (*odeon__cpu_kernel_fn)(const odeon_kernel_args *a,
                                     long long begin, long long end);

struct odeon__module {
  void *dl;
  odeon__cpu_kernel_fn entry;
  /* odeon_init_cpu of a kernel whose initial step was compiled apart
     ($ODEON_INIT_KERNEL=on; kernel_args.h), else NULL */
  odeon__cpu_kernel_fn init_entry;
  long long info[ODEON_INFO_LEN];
};

/* streams and events (cpu_stream.c) */
int odeon__cpu_stream_create(odeon__backend *be, odeon__stream **out);
int odeon__cpu_stream_destroy(odeon__backend *be, odeon__stream *s);
int odeon__cpu_copy_h2d(odeon__stream *s, void *dst, const void *src,
                        size_t bytes);
int odeon__cpu_copy_d2h_2d(odeon__stream *s, void *dst, size_t dst_pitch,
                           const void *src, size_t src_pitch, size_t width,
                           size_t rows);
int odeon__cpu_copy_d2h(odeon__stream *s, void *dst, const void *src,
                        size_t bytes);
int odeon__cpu_fill32(odeon__stream *s, void *dst, size_t pitch,
                      unsigned int value, size_t width, size_t rows);
int odeon__cpu_launch(odeon__stream *s, odeon__module *m,
                      const odeon_kernel_args *args);
int odeon__cpu_event_create(odeon__backend *be, odeon__event **out);
void odeon__cpu_event_destroy(odeon__backend *be, odeon__event *e);
int odeon__cpu_event_record(odeon__event *e, odeon__stream *s);
int odeon__cpu_event_query(odeon__event *e);
int odeon__cpu_event_wait(odeon__event *e, double deadline);

/* kernels (cpu_module.c) */
int odeon__cpu_module_load(odeon__backend *be, const odeon__module_source *src,
                           const char *cache_dir, odeon__module **out);
void odeon__cpu_module_unload(odeon__backend *be, odeon__module *m);
int odeon__cpu_module_info(odeon__module *m, long long info[ODEON_INFO_LEN]);

#endif
