/* gpu_common.h - helpers shared by the GPU benchmarks: the CUDA backend and
 * its driver table, checked driver calls, CUDA-event timers, the
 * hand-written floor kernels of bench/peers/ compiled by NVRTC, and the
 * table every benchmark prints last. Header-only so that every benchmark
 * stays one source file (bench/CMakeLists.txt builds each file alone). */
#ifndef ODEON_BENCH_GPU_COMMON_H
#define ODEON_BENCH_GPU_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/nvrtc.h"
#include "util/error.h"

static const odeon__cuda_api *gb_api;
static odeon__backend *gb_be;

static inline void gb_die(const char *what) {
  fprintf(stderr, "bench: %s: %s\n", what, odeon_last_error());
  exit(1);
}

#define GB_CHECK(call, what)                                                   \
  do {                                                                         \
    odeon__CUresult r_ = (call);                                               \
    if (r_ != ODEON__CUDA_SUCCESS) {                                           \
      odeon__cu_fail(gb_api, r_, what);                                        \
      gb_die(what);                                                            \
    }                                                                          \
  } while (0)

#define GB_OK(call, what)                                                      \
  do {                                                                         \
    if ((call) != ODEON_OK)                                                    \
      gb_die(what);                                                            \
  } while (0)

/* Open device 0; exits with status 2 and the reason when there is none. */
static inline void gb_open(void) {
  odeon__backend_config cfg = {.timeout = 600.0};
  if (odeon__backend_cuda_create(&cfg, &gb_be) != ODEON_OK) {
    fprintf(stderr, "bench: no CUDA device: %s\n", odeon_last_error());
    exit(2);
  }
  gb_api = odeon__cuda_backend_api(gb_be);
}

/* A pair of timing events on a stream. */
typedef struct gb_timer {
  odeon__CUevent a, b;
  odeon__CUstream s;
} gb_timer;

static inline gb_timer gb_timer_make(odeon__CUstream s) {
  gb_timer t;
  t.s = s;
  GB_CHECK(gb_api->cuEventCreate(&t.a, ODEON__CU_EVENT_DEFAULT),
           "cuEventCreate");
  GB_CHECK(gb_api->cuEventCreate(&t.b, ODEON__CU_EVENT_DEFAULT),
           "cuEventCreate");
  return t;
}

static inline void gb_timer_start(gb_timer *t) {
  GB_CHECK(gb_api->cuEventRecord(t->a, t->s), "cuEventRecord");
}

/* Stop, wait for the stream to get there and return the milliseconds. */
static inline double gb_timer_stop(gb_timer *t) {
  float ms = 0;
  GB_CHECK(gb_api->cuEventRecord(t->b, t->s), "cuEventRecord");
  GB_CHECK(gb_api->cuEventSynchronize(t->b), "cuEventSynchronize");
  GB_CHECK(gb_api->cuEventElapsedTime(&ms, t->a, t->b), "cuEventElapsedTime");
  return ms;
}

static inline void gb_timer_free(gb_timer *t) {
  GB_CHECK(gb_api->cuEventDestroy(t->a), "cuEventDestroy");
  GB_CHECK(gb_api->cuEventDestroy(t->b), "cuEventDestroy");
}

static inline char *gb_read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "bench: cannot open %s\n", path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  char *s = calloc(1, (size_t)n + 1);
  if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "bench: cannot read %s\n", path);
    exit(1);
  }
  fclose(f);
  return s;
}

/* A floor kernel from bench/peers/, compiled by NVRTC for the device with
 * the same options odeon uses, loaded and looked up. */
typedef struct gb_floor {
  odeon__CUmodule mod;
  odeon__CUfunction fn;
  double compile_s, load_s;
  int block;
} gb_floor;

static inline gb_floor gb_floor_load(const char *dir, const char *file,
                                     const char *entry) {
  gb_floor fl;
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  char *src = gb_read_file(path);
  void *cubin = NULL;
  size_t size = 0;
  double t0 = odeon__now();
  GB_OK(odeon__nvrtc_compile(src, file, odeon__cuda_device(gb_be)->arch, 0,
                             &cubin, &size, NULL),
        path);
  double t1 = odeon__now();
  GB_CHECK(gb_api->cuModuleLoadData(&fl.mod, cubin), "cuModuleLoadData");
  GB_CHECK(gb_api->cuModuleGetFunction(&fl.fn, fl.mod, entry),
           "cuModuleGetFunction");
  fl.compile_s = t1 - t0;
  fl.load_s = odeon__now() - t1;
  /* What a careful hand-written kernel would use: 256 threads per block. */
  fl.block = 256;
  free(cubin);
  free(src);
  return fl;
}

static inline void gb_launch(const gb_floor *fl, long long n, odeon__CUstream s,
                             void **params) {
  unsigned grid = (unsigned)((n + fl->block - 1) / fl->block);
  GB_CHECK(gb_api->cuLaunchKernel(fl->fn, grid, 1, 1, (unsigned)fl->block, 1, 1,
                                  0, s, params, NULL),
           "cuLaunchKernel(floor)");
}

/* ------------------------------------------------------------- the table */

typedef struct gb_row {
  char name[96];
  char odeon[32], floor[32], ratio[24], goal[24], verdict[8];
} gb_row;

static gb_row gb_rows[64];
static int gb_n_rows;

/* A row comparing odeon with its floor; `lower_better` picks how the ratio
 * is read against the goal. odeon < 0 means "not measured". */
static inline void gb_add(const char *name, double odeon, double floor,
                          const char *unit, double goal, int lower_better) {
  if (gb_n_rows == 64)
    return;
  gb_row *r = &gb_rows[gb_n_rows++];
  snprintf(r->name, sizeof r->name, "%s", name);
  if (odeon >= 0)
    snprintf(r->odeon, sizeof r->odeon, "%.3f %s", odeon, unit);
  else
    snprintf(r->odeon, sizeof r->odeon, "n/a");
  if (floor >= 0)
    snprintf(r->floor, sizeof r->floor, "%.3f %s", floor, unit);
  else
    snprintf(r->floor, sizeof r->floor, "-");
  if (odeon >= 0 && floor > 0) {
    double ratio = odeon / floor;
    snprintf(r->ratio, sizeof r->ratio, "%.3fx", ratio);
    int pass = lower_better ? ratio <= goal : ratio >= goal;
    snprintf(r->goal, sizeof r->goal, "%s %.2fx",
             lower_better ? "<=" : ">=", goal);
    snprintf(r->verdict, sizeof r->verdict, "%s", pass ? "PASS" : "MISS");
  } else if (odeon >= 0 && goal > 0) {
    int pass = lower_better ? odeon <= goal : odeon >= goal;
    snprintf(r->ratio, sizeof r->ratio, "-");
    snprintf(r->goal, sizeof r->goal, "%s %g %s",
             lower_better ? "<=" : ">=", goal, unit);
    snprintf(r->verdict, sizeof r->verdict, "%s", pass ? "PASS" : "MISS");
  } else {
    snprintf(r->ratio, sizeof r->ratio, "-");
    snprintf(r->goal, sizeof r->goal, "-");
    snprintf(r->verdict, sizeof r->verdict, "-");
  }
}

static inline void gb_print_table(const char *title) {
  printf("\n%s\n", title);
  printf("%-46s %16s %16s %9s %12s %6s\n", "benchmark", "odeon", "floor",
         "ratio", "goal", "");
  for (int i = 0; i < gb_n_rows; i++) {
    gb_row *r = &gb_rows[i];
    printf("%-46s %16s %16s %9s %12s %6s\n", r->name, r->odeon, r->floor,
           r->ratio, r->goal, r->verdict);
  }
  fflush(stdout);
}

#endif
