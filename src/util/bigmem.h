/* bigmem.h - large result arrays: mapped with transparent huge pages asked
 * for, so that the first touch of gigabytes of results (the writeback's
 * page faults) costs a fault per 2 MiB instead of per 4 KiB; freed ones
 * kept (bounded) for the next allocations, their pages already there. */
#ifndef ODEON_UTIL_BIGMEM_H
#define ODEON_UTIL_BIGMEM_H

#include <stddef.h>

/* `bytes` of uninitialised memory, or NULL. Large sizes are mapped (and
   freed) page-wise; small ones come from malloc. *warm (may be NULL) is 1
   where the memory is a kept mapping, whose pages were touched before (so
   faulting them in ahead is not needed), else 0. */
void *odeon__big_alloc(size_t bytes, int *warm);
/* A fresh anonymous mapping of `len` bytes (a multiple of the page size)
   with transparent huge pages asked for, or NULL; munmap frees it. Also
   the CUDA backend's pinned staging, before it is registered. */
void *odeon__big_map(size_t len);
/* The system's page size. */
size_t odeon__page_size(void);
/* The machine's memory in bytes, 0 where it is not known. */
size_t odeon__physical_memory(void);
/* Free memory from odeon__big_alloc of the same `bytes`: while a holder
   exists, a large mapping is kept for a later allocation (at most 8
   mappings and a quarter of the memory the process may have, the oldest
   unmapped first); else it is unmapped. */
void odeon__big_free(void *p, size_t bytes);
/* A holder more (odeon_solver_create) or less (odeon_solver_destroy); the
   last one's end unmaps every kept mapping. */
void odeon__big_hold(void);
void odeon__big_unhold(void);
/* Bytes held by kept mappings (for tests). */
size_t odeon__big_kept_bytes(void);

#endif
