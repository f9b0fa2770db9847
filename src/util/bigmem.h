/* bigmem.h - large result arrays: mapped with transparent huge pages asked
 * for, so that the first touch of gigabytes of results (the writeback's
 * page faults) costs a fault per 2 MiB instead of per 4 KiB. */
#ifndef ODEON_UTIL_BIGMEM_H
#define ODEON_UTIL_BIGMEM_H

#include <stddef.h>

/* `bytes` of uninitialised memory, or NULL. Large sizes are mapped (and
   freed) page-wise; small ones come from malloc. */
void *odeon__big_alloc(size_t bytes);
/* Free memory from odeon__big_alloc of the same `bytes`. */
void odeon__big_free(void *p, size_t bytes);

#endif
