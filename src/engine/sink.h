/* sink.h - where one output's chunks land: plain memory (the result's or
 * the caller's) or a .npy file written piece by piece. A failed file sink is
 * renamed PATH.incomplete so a partial file is never mistaken for a result. */
#ifndef ODEON_ENGINE_SINK_H
#define ODEON_ENGINE_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "io/npy.h"

typedef struct odeon__sink {
  unsigned char *mem; /* memory destination, or NULL */
  odeon__npy *npy;    /* file destination, or NULL */
  size_t esize;
  char *path;     /* final path of a file sink */
  char *tmp_path; /* PATH.incomplete, written until the solve succeeds */
} odeon__sink;

void odeon__sink_memory(odeon__sink *s, void *mem, size_t esize);
/* Open a file sink: writes PATH.incomplete; odeon__sink_close renames it to
 * PATH on success. */
int odeon__sink_file(odeon__sink *s, const char *path, const char *descr,
                     int ndim, const int64_t *shape, size_t esize);
/* Write `count` elements at element offset `elem` of the output. */
int odeon__sink_write(odeon__sink *s, uint64_t elem, const void *src,
                      size_t count);
/* Finish: ok != 0 renames a file sink into place; ok == 0 leaves it as
 * PATH.incomplete. Returns the first error (a failed close or rename). */
int odeon__sink_close(odeon__sink *s, int ok);

#endif
