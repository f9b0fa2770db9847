/* backend.h - the private backend interface (ggml-backend-impl habit): one
 * vtable that the CPU and CUDA backends implement and the engine drives.
 *
 * Rules every implementation keeps (ARCHITECTURE.md, "Rules for the
 * asynchronous engine"):
 *  - *_async calls enqueue and return before the work is done.
 *  - Work on one stream runs in FIFO order; an event recorded on a stream is
 *    signalled when the stream reaches it.
 *  - event_wait blocks (no sleep-and-poll) until the event is signalled or
 *    the absolute deadline (odeon__now() seconds) passes, then returns
 *    ODEON_E_TIMEOUT with a message naming what was waited for.
 *  - An error in queued work is sticky on its stream: later waits on that
 *    stream's events return it (with the stage named in the message).
 *  - stream_destroy drains or discards queued work and joins any thread the
 *    stream owns, within the backend's deadline; nothing outlives it.
 */
#ifndef ODEON_BACKEND_BACKEND_H
#define ODEON_BACKEND_BACKEND_H

#include <stddef.h>

#include "core/kernel_args.h"
#include "odeon.h"
#include "util/bigmem.h"

typedef struct odeon__backend odeon__backend;
typedef struct odeon__stream odeon__stream;
typedef struct odeon__event odeon__event;
typedef struct odeon__module odeon__module;

/* Source of a kernel to compile: the generated translation unit plus the
 * core headers it includes (embedded in the library at build time). */
typedef struct odeon__module_source {
  const char *text; /* the generated source */
  const char *name; /* a short name for messages and cache files */
  int real_bytes;   /* 4 or 8 */
  /* 1: the method steps adaptively, so the source has an automatic initial
     step that a backend may compile apart (kernel_args.h: ODEON_SPLIT_INIT,
     ODEON_INIT_ENTRY); 0: it has none (or a backend must not split it) */
  int init_entry;
  /* 1: every launch gives dt > 0, so no run starts from the automatic
     step: a kernel compiled without it needs no entry to compute it (CUDA
     then compiles one program, smaller than the inline kernel, on any
     number of CPUs) */
  int fixed_dt;
} odeon__module_source;

typedef struct odeon__backend_ops {
  const char *name; /* "cpu", "cuda" */
  void (*destroy)(odeon__backend *be);

  /* device information and memory */
  int (*mem_info)(odeon__backend *be, size_t *free_bytes, size_t *total_bytes);
  int (*dev_alloc)(odeon__backend *be, size_t bytes, void **ptr);
  void (*dev_free)(odeon__backend *be, void *ptr);
  int (*host_alloc)(odeon__backend *be, size_t bytes, void **ptr); /* pinned */
  void (*host_free)(odeon__backend *be, void *ptr);

  /* streams */
  int (*stream_create)(odeon__backend *be, odeon__stream **out);
  int (*stream_destroy)(odeon__backend *be, odeon__stream *s);
  int (*copy_h2d_async)(odeon__stream *s, void *dst, const void *src,
                        size_t bytes);
  int (*copy_d2h_async)(odeon__stream *s, void *dst, const void *src,
                        size_t bytes);
  /* rows x width bytes from src (rows src_pitch apart) to host memory dst
     (rows dst_pitch apart); dst must be memory host_direct accepted */
  int (*copy_d2h_2d_async)(odeon__stream *s, void *dst, size_t dst_pitch,
                           const void *src, size_t src_pitch, size_t width,
                           size_t rows);
  /* 1 when the device can copy straight into all of [p, p + bytes) (CPU:
     any memory; CUDA: page-locked memory, e.g. cudaHostRegister'ed), so
     results need no staging and no host copy; 0 otherwise */
  int (*host_direct)(odeon__backend *be, const void *p, size_t bytes);
  /* Optional (NULL: the backend has no use for it): page-lock the
     mapping [p, p + len) (from util/bigmem.c) so that host_direct accepts
     it; *pin (kept with the mapping) undoes it. Memory the result owns and
     a later solve reuses is pinned this way once, so that its results are
     downloaded into it directly. A failure only means the results are
     staged. */
  int (*host_pin)(odeon__backend *be, void *p, size_t len,
                  odeon__big_pin **pin);
  /* rows x width 32-bit words of device memory, rows pitch bytes apart,
     set to `value` (a float's bits, or every other word of a double's) */
  int (*fill32_async)(odeon__stream *s, void *dst, size_t pitch,
                      unsigned int value, size_t width, size_t rows);
  int (*launch_async)(odeon__stream *s, odeon__module *m,
                      const odeon_kernel_args *args);

  /* events */
  int (*event_create)(odeon__backend *be, odeon__event **out);
  void (*event_destroy)(odeon__backend *be, odeon__event *e);
  int (*event_record)(odeon__event *e, odeon__stream *s);
  /* 1 = signalled, 0 = pending, negative = the stream's sticky error */
  int (*event_query)(odeon__event *e);
  int (*event_wait)(odeon__event *e, double deadline);

  /* kernels: compile (or load from the on-disk cache) and unload */
  int (*module_load)(odeon__backend *be, const odeon__module_source *src,
                     const char *cache_dir, odeon__module **out);
  void (*module_unload)(odeon__backend *be, odeon__module *m);
  int (*module_info)(odeon__module *m, long long info[ODEON_INFO_LEN]);
  /* Make m ready for launches with a carry (a chunk split into time
     windows): a module loaded with a kernel that has none (CUDA, for a
     faster first result: ODEON_NO_CARRY) compiles the one that has it
     now, once; ODEON_OK at once where the kernel has it. Thread-safe. */
  int (*module_windows)(odeon__backend *be, odeon__module *m);
} odeon__backend_ops;

struct odeon__backend {
  const odeon__backend_ops *ops;
};

/* The lines put before a split kernel's source: the kernel without its
 * automatic initial step, and the entry that computes it (kernel_args.h). */
#define ODEON__SPLIT_INIT_LINE "#define ODEON_SPLIT_INIT 1\n"
#define ODEON__INIT_ENTRY_LINE "#define ODEON_INIT_ENTRY 1\n"
/* ... and the line of a kernel without the carry (loop.h), which starts
 * runs but never resumes or saves them: what the CUDA backend loads first
 * for a split kernel, the windowed one compiled when a solve needs it. */
#define ODEON__NO_CARRY_LINE "#define ODEON_NO_CARRY 1\n"

/* Whether to compile the automatic initial step of `src` apart
 * (kernel_args.h): $ODEON_INIT_KERNEL "on" or "off", else ("auto" or
 * unset) the backend's default `dflt` (CUDA 1: the two programs compile at
 * once; CPU 0); never for a source without one (init_entry 0). A malformed
 * value is ODEON_E_INVAL naming the variable. */
int odeon__init_entry_wanted(const odeon__module_source *src, int dflt,
                             int *split);
/* 1 when a launch of a split kernel runs the initial-step entry first: a
 * first time window (no resume) without a given dt, where the kernel reads
 * args.h0. */
int odeon__init_entry_runs(const odeon_kernel_args *a);
/* `line` followed by `text`, malloc'd (the caller frees): one part's
 * source. NULL with ODEON_E_NOMEM set when memory is short. */
char *odeon__source_with_line(const char *line, const char *text);
/* What every backend's launch_async refuses before it queues anything: a
 * resume without a carry, and, for a kernel that reads h0 (`reads_h0`),
 * a launch that starts runs without a given dt where the module has no
 * initial-step entry (`has_entry`: it was compiled for a given dt) or
 * without h0. `who` names the backend in the message. */
int odeon__launch_check(int reads_h0, int has_entry, const odeon_kernel_args *a,
                        const char *who);

/* Monotonic clock in seconds, the time base of every deadline. */
double odeon__now(void);

/* Constructors (each returns ODEON_E_NODEVICE with a reason when its
 * hardware or driver is missing). */
typedef struct odeon__backend_config {
  int threads;       /* CPU: worker threads, 0 = all cores */
  size_t mem_budget; /* CPU: "device memory" budget in bytes, 0 = unlimited */
  int device;        /* CUDA: device ordinal */
  double timeout;    /* seconds any single internal wait may take */
  int block_size;    /* CUDA: threads per block, 0 = occupancy API */
} odeon__backend_config;

int odeon__backend_cpu_create(const odeon__backend_config *cfg,
                              odeon__backend **out);
int odeon__backend_cuda_create(const odeon__backend_config *cfg,
                               odeon__backend **out);

#endif
