/* cuda_internal.h - the CUDA backend's private structures, shared by its
 * files (device and memory, streams and events, modules). */
#ifndef ODEON_BACKEND_CUDA_CUDA_INTERNAL_H
#define ODEON_BACKEND_CUDA_CUDA_INTERNAL_H

#include <pthread.h>

#include "backend/backend.h"
#include "backend/cuda/cuda_api.h"
#include "backend/cuda/cuda_backend.h"

typedef struct odeon__cuda_backend {
  odeon__backend base; /* first: the engine sees an odeon__backend */
  const odeon__cuda_api *api;
  int ordinal;
  odeon__CUdevice dev;
  odeon__CUcontext ctx; /* the device's primary context, retained */
  odeon__cuda_device_info info;
  double timeout; /* seconds an internal wait may take */
  int block_size; /* 0 = occupancy API; else $ODEON_CUDA_BLOCK_SIZE */
  int next_lane;  /* trace lanes for streams */
  pthread_mutex_t lock;
} odeon__cuda_backend;

struct odeon__stream {
  odeon__cuda_backend *be;
  odeon__CUstream handle;
  int lane;      /* trace lane (a "thread" row in the Chrome trace) */
  long long seq; /* operations enqueued, names trace slices */
  int error;     /* sticky: the first failure of an enqueue, or 0 */
};

struct odeon__event {
  odeon__cuda_backend *be;
  odeon__CUevent handle;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  unsigned long long recorded; /* generation of the latest record */
  unsigned long long done;     /* highest generation whose host func ran */
  int refs;  /* the owner + pending host funcs; the last one frees */
  int error; /* sticky status copied from the stream at record time */
};

struct odeon__module {
  odeon__CUmodule handle;
  odeon__CUfunction fn;
  /* the initial-step entry's program (kernel_args.h), when the kernel's
     info says ODEON_INFO_INIT_ENTRY; else 0 */
  odeon__CUmodule init_handle;
  odeon__CUfunction init_fn;
  int init_block;
  /* A split kernel is loaded without the carry (ODEON_NO_CARRY); the one
     with it, for chunks split into time windows, is compiled from
     win_text on first need (odeon__cuda_module_windows) into win, under
     win_mu. win_text is NULL where the kernel has the carry itself. */
  char *win_text;
  char win_name[96];
  char *cache_dir;
  pthread_mutex_t win_mu;
  struct odeon__module *win;
  long long info[ODEON_INFO_LEN];
  odeon__cuda_module_stats stats;
  int occupancy_block; /* the occupancy API's block size */
};

/* Make the backend's context current on the calling thread (driver API
 * calls act on the thread's current context; engine threads vary). */
int odeon__cuda_bind(odeon__cuda_backend *be);
/* A failure that cannot be returned (a release: free, destroy, unload) is
   printed rather than lost: "odeon: cuda: <context><the last error>". */
void odeon__cuda_warn(const char *context);
/* Make the context current before such a release; a failure is printed
   and the release is still made (skipping it would add a leak to the
   failure). */
void odeon__cuda_bind_for_release(odeon__cuda_backend *be, const char *context);
/* Print a release's failed result r (nothing for success), naming it. */
void odeon__cuda_release_failed(const odeon__cuda_api *api, odeon__CUresult r,
                                const char *what);

/* Wait for an event with the odeon deadline; `what` names the wait in a
 * timeout message. Used by event_wait and stream_destroy. */
int odeon__cuda_event_wait_what(odeon__event *e, double deadline,
                                const char *what);

/* The stream, event and module entry points of the vtable. */
int odeon__cuda_stream_create(odeon__backend *be, odeon__stream **out);
int odeon__cuda_stream_destroy(odeon__backend *be, odeon__stream *s);
int odeon__cuda_copy_h2d(odeon__stream *s, void *dst, const void *src,
                         size_t bytes);
int odeon__cuda_copy_d2h_2d(odeon__stream *s, void *dst, size_t dst_pitch,
                            const void *src, size_t src_pitch, size_t width,
                            size_t rows);
int odeon__cuda_copy_d2h(odeon__stream *s, void *dst, const void *src,
                         size_t bytes);
int odeon__cuda_fill32(odeon__stream *s, void *dst, size_t pitch,
                       unsigned int value, size_t width, size_t rows);
int odeon__cuda_launch(odeon__stream *s, odeon__module *m,
                       const odeon_kernel_args *args);
int odeon__cuda_event_create(odeon__backend *be, odeon__event **out);
void odeon__cuda_event_destroy(odeon__backend *be, odeon__event *e);
int odeon__cuda_event_record(odeon__event *e, odeon__stream *s);
int odeon__cuda_event_query(odeon__event *e);
int odeon__cuda_event_wait(odeon__event *e, double deadline);
int odeon__cuda_module_load(odeon__backend *be, const odeon__module_source *src,
                            const char *cache_dir, odeon__module **out);
void odeon__cuda_module_unload(odeon__backend *be, odeon__module *m);
int odeon__cuda_module_info(odeon__module *m, long long info[ODEON_INFO_LEN]);
int odeon__cuda_module_windows(odeon__backend *be, odeon__module *m);

#endif
