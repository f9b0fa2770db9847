/* cubin_cache.h - compiled CUDA kernels cached on disk, keyed by a hash of
 * the source, the core headers, the NVRTC options and version and the GPU
 * architecture; safe when several processes compile the same kernel. */
#ifndef ODEON_BACKEND_CUDA_CUBIN_CACHE_H
#define ODEON_BACKEND_CUDA_CUBIN_CACHE_H

#include <stddef.h>

typedef struct odeon__cubin_info {
  int from_cache;  /* 1 if the image came from the disk cache */
  double seconds;  /* time to get the image (compile or read) */
  char key[33];    /* the cache key (32 hex digits) */
  char path[1024]; /* the cache file ("" when caching was not possible) */
} odeon__cubin_info;

/* The cache directory: `dir` if given, else $ODEON_CACHE_DIR, else
 * $XDG_CACHE_HOME/odeon, else $HOME/.cache/odeon, else
 * /tmp/odeon-cache-<uid> (the order of odeon_options_t.cache_dir and of
 * src/api/cache_dir.c). Writes into buf; returns 0. */
int odeon__cache_dir_resolve(const char *dir, char *buf, size_t size);

/* The cache key of a kernel source for an architecture (32 hex digits + NUL
 * into key[33]). Needs NVRTC (its version is part of the key). */
int odeon__cubin_key(const char *source, const char *arch, char key[33]);

/* Get the CUBIN of `source` for `arch` ("sm_90"): read from
 * <cache>/cuda/<key>.cubin when present and intact, else compiled with
 * NVRTC while holding <key>.lock (flock), written to a temporary file and
 * renamed into place, so readers see a whole file or none. `timeout`
 * bounds the wait for another process's lock; past it this process
 * compiles on its own (the rename keeps that safe). A cache directory that
 * cannot be created or written only costs the caching, never the compile.
 * *cubin is malloc'd; the caller frees it. */
int odeon__cubin_get(const char *source, const char *name, const char *arch,
                     const char *cache_dir, double timeout, void **cubin,
                     size_t *size, odeon__cubin_info *info);

#endif
