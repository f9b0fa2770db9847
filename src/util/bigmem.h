/* bigmem.h - large result arrays: mapped with transparent huge pages asked
 * for, so that the first touch of gigabytes of results (the writeback's
 * page faults) costs a fault per 2 MiB instead of per 4 KiB; freed ones
 * kept (bounded) for the next allocations, their pages already there. */
#ifndef ODEON_UTIL_BIGMEM_H
#define ODEON_UTIL_BIGMEM_H

#include <stddef.h>

/* A backend's page-locking of a mapping (the CUDA backend's
   cuMemHostRegister, so that the device downloads into it directly): it
   stays with the mapping through the cache and is undone, by unpin, before
   the mapping is unmapped or cut. unpin undoes the page-locking of
   [p, p + len) (len: the mapping's length, bytes rounded up to whole pages)
   and frees the pin; it must not call back into bigmem. It returns 0 when
   the page-locking is undone; else the mapping is left mapped for the rest
   of the process (reported by unpin), because addresses the driver may
   still take for page-locked must not be handed out again. */
typedef struct odeon__big_pin odeon__big_pin;
struct odeon__big_pin {
  int (*unpin)(odeon__big_pin *pin, void *p, size_t len);
};

/* `bytes` of uninitialised memory, or NULL. Large sizes are mapped (and
   freed) page-wise; small ones come from malloc. *warm (may be NULL) is 1
   where the memory is a kept mapping, whose pages were touched before (so
   faulting them in ahead is not needed), else 0. *pin (may be NULL) gets a
   kept mapping's page-locking, which the caller then owns (NULL when it
   has none; with pin NULL, a page-locked mapping is not taken). */
void *odeon__big_alloc(size_t bytes, int *warm, odeon__big_pin **pin);
/* A fresh anonymous mapping of `len` bytes (a multiple of the page size)
   with transparent huge pages asked for, or NULL; munmap frees it. Also
   the CUDA backend's pinned staging, before it is registered. */
void *odeon__big_map(size_t len);
/* The system's page size. */
size_t odeon__page_size(void);
/* The machine's memory in bytes, 0 where it is not known. */
size_t odeon__physical_memory(void);
/* Free memory from odeon__big_alloc of the same `bytes`, with its
   page-locking `pin` (NULL if none; only for a large mapping): while a
   holder exists, a large mapping is kept for a later allocation (at most 8
   mappings and a quarter of the memory the process may have, the oldest
   unmapped first), pin and all; else it is unpinned and unmapped. */
void odeon__big_free(void *p, size_t bytes, odeon__big_pin *pin);
/* The length of the mapping that odeon__big_alloc(bytes) gives (bytes
   rounded up to whole pages), what a pin covers; 0 below the size that is
   mapped (malloc'ed memory is never pinned). */
size_t odeon__big_mapped_len(size_t bytes);
/* A holder more (odeon_solver_create) or less (odeon_solver_destroy); the
   last one's end unmaps every kept mapping. */
void odeon__big_hold(void);
void odeon__big_unhold(void);
/* The most result memory a backend should keep page-locked at once: an
   eighth of the memory the process may have (page-locked memory cannot be
   swapped or reclaimed). */
size_t odeon__big_pin_limit(void);
/* Bytes held by kept mappings, and of those the page-locked ones (for
   tests). */
size_t odeon__big_kept_bytes(void);
size_t odeon__big_kept_pinned_bytes(void);

#endif
