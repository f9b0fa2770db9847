/* sink.c - output destinations: memory, or a .npy file that only gets its
 * real name once the whole solve succeeded. */
#include "engine/sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/fault.h"
#include "util/stream_copy.h"

void odeon__sink_memory(odeon__sink *s, void *mem, size_t esize) {
  memset(s, 0, sizeof *s);
  s->mem = mem;
  s->esize = esize;
}

int odeon__sink_file(odeon__sink *s, const char *path, const char *descr,
                     int ndim, const int64_t *shape, size_t esize) {
  memset(s, 0, sizeof *s);
  s->esize = esize;
  size_t n = strlen(path);
  s->path = malloc(n + 1);
  s->tmp_path = malloc(n + sizeof ".incomplete");
  if (!s->path || !s->tmp_path) {
    odeon__sink_close(s, 0);
    return odeon__error(ODEON_E_NOMEM, "file sink: out of memory");
  }
  memcpy(s->path, path, n + 1);
  memcpy(s->tmp_path, path, n);
  memcpy(s->tmp_path + n, ".incomplete", sizeof ".incomplete");
  /* A stale result under the final name would read as this solve's. */
  if (remove(path) && errno != ENOENT) {
    int err = errno;
    odeon__sink_close(s, 0);
    return odeon__error(ODEON_E_IO, "file sink: cannot replace %s: %s", path,
                        strerror(err));
  }
  int st = odeon__npy_create(s->tmp_path, descr, ndim, shape, &s->npy);
  if (st)
    odeon__sink_close(s, 0);
  return st;
}

int odeon__sink_write(odeon__sink *s, uint64_t elem, const void *src,
                      size_t count) {
  if (odeon__fault_hit(ODEON__FAULT_SINK_WRITE))
    return odeon__error(ODEON_E_IO, "sink write: injected fault");
  size_t bytes = count * s->esize;
  if (s->npy)
    return odeon__npy_write(s->npy, elem, src, bytes);
  if (s->mem)
    odeon__stream_copy(s->mem + elem * s->esize, src, bytes);
  return ODEON_OK;
}

int odeon__sink_close(odeon__sink *s, int ok) {
  int st = ODEON_OK;
  if (s->npy) {
    st = odeon__npy_close(s->npy);
    s->npy = NULL;
    if (ok && !st && rename(s->tmp_path, s->path))
      st = odeon__error(ODEON_E_IO, "file sink: cannot rename %s to %s: %s",
                        s->tmp_path, s->path, strerror(errno));
  }
  free(s->path);
  free(s->tmp_path);
  s->path = s->tmp_path = NULL;
  return st;
}
