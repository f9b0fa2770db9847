/* npy.h - a .npy file written piece by piece: the header (dtype, shape) is
 * written first at a fixed size, the file is sized to its final length, and
 * data lands at element offsets in any order, so a result larger than RAM
 * streams to disk chunk by chunk and numpy.load(path, mmap_mode="r") reads
 * it. */
#ifndef ODEON_IO_NPY_H
#define ODEON_IO_NPY_H

#include <stddef.h>
#include <stdint.h>

typedef struct odeon__npy odeon__npy;

/* Create (truncate) `path` for an array of `descr` ("<f8", "<f4", "<u4",
 * "<i8") with the given C-order shape. */
int odeon__npy_create(const char *path, const char *descr, int ndim,
                      const int64_t *shape, odeon__npy **out);
/* Write `bytes` bytes at element offset `elem` (C order). Thread-safe for
 * disjoint ranges (pwrite). */
int odeon__npy_write(odeon__npy *f, uint64_t elem, const void *data,
                     size_t bytes);
/* Flush and close; returns the first error of the close. Frees f. */
int odeon__npy_close(odeon__npy *f);
/* Bytes of the header (data starts there). */
size_t odeon__npy_header_bytes(const odeon__npy *f);

#endif
