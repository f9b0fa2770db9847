/* npy.c - the .npy writer (format version 1.0, or 2.0 when the header needs
 * more than 65535 bytes): fixed-size header, then pwrite at offsets. */
#include "io/npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

struct odeon__npy {
  int fd;
  size_t header;
  size_t esize;
  uint64_t elems;
  char *path;
};

int odeon__npy_create(const char *path, const char *descr, int ndim,
                      const int64_t *shape, odeon__npy **out) {
  *out = NULL;
  size_t esize = descr && strlen(descr) == 3 ? (size_t)(descr[2] - '0') : 0;
  if (!path || (esize != 4 && esize != 8) || ndim < 0 || ndim > 8)
    return odeon__error(ODEON_E_INVAL, "npy: bad arguments for %s",
                        path ? path : "(null)");
  char dict[512];
  int len =
      snprintf(dict, sizeof dict,
               "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  uint64_t elems = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0)
      return odeon__error(ODEON_E_INVAL, "npy: negative extent for %s", path);
    len += snprintf(dict + len, sizeof dict - (size_t)len, "%lld%s",
                    (long long)shape[i], ndim == 1 || i + 1 < ndim ? ", " : "");
    elems *= (uint64_t)shape[i];
  }
  len += snprintf(dict + len, sizeof dict - (size_t)len, "), }");
  /* magic(6) + version(2) + length(2 or 4) + dict + padding + '\n', padded
     to a multiple of 64 so the data is aligned for mmap readers. */
  size_t pre = 10, dl = (size_t)len + 1;
  size_t total = (pre + dl + 63) / 64 * 64;
  if (total - pre > 65535) {
    pre = 12;
    total = (pre + dl + 63) / 64 * 64;
  }
  unsigned char hdr[640];
  memcpy(hdr, "\x93NUMPY", 6);
  hdr[6] = pre == 10 ? 1 : 2;
  hdr[7] = 0;
  size_t hl = total - pre;
  hdr[8] = (unsigned char)(hl & 0xff);
  hdr[9] = (unsigned char)((hl >> 8) & 0xff);
  if (pre == 12) {
    hdr[10] = (unsigned char)((hl >> 16) & 0xff);
    hdr[11] = (unsigned char)((hl >> 24) & 0xff);
  }
  memcpy(hdr + pre, dict, (size_t)len);
  memset(hdr + pre + len, ' ', total - pre - (size_t)len - 1);
  hdr[total - 1] = '\n';

  odeon__npy *f = calloc(1, sizeof *f);
  char *p = malloc(strlen(path) + 1);
  if (!f || !p) {
    free(f);
    free(p);
    return odeon__error(ODEON_E_NOMEM, "npy: out of memory");
  }
  strcpy(p, path);
  f->path = p;
  f->header = total;
  f->esize = esize;
  f->elems = elems;
  f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (f->fd < 0) {
    int err = errno;
    free(p);
    free(f);
    return odeon__error(ODEON_E_IO, "npy: cannot create %s: %s", path,
                        strerror(err));
  }
  int st = ODEON_OK;
  if (pwrite(f->fd, hdr, total, 0) != (ssize_t)total)
    st = odeon__error(ODEON_E_IO, "npy: cannot write the header of %s: %s",
                      path, strerror(errno));
  /* Size the file now: a reader that maps it sees the final shape, and a
     full disk shows up here rather than halfway through a day-long run
     (posix_fallocate reserves the blocks where the file system can). */
  off_t size = (off_t)(total + elems * esize);
  if (!st) {
    int rc = posix_fallocate(f->fd, 0, size);
    if (rc == EOPNOTSUPP || rc == EINVAL)
      rc = ftruncate(f->fd, size) ? errno : 0;
    if (rc)
      st = odeon__error(ODEON_E_IO, "npy: cannot size %s to %lld bytes: %s",
                        path, (long long)size, strerror(rc));
  }
  if (st) {
    close(f->fd);
    unlink(path);
    free(p);
    free(f);
    return st;
  }
  *out = f;
  return ODEON_OK;
}

int odeon__npy_write(odeon__npy *f, uint64_t elem, const void *data,
                     size_t bytes) {
  if (bytes == 0)
    return ODEON_OK;
  if (bytes % f->esize || elem + bytes / f->esize > f->elems)
    return odeon__error(ODEON_E_INTERNAL,
                        "npy: write of %zu bytes at element %llu outside %s",
                        bytes, (unsigned long long)elem, f->path);
  const char *p = data;
  off_t off = (off_t)(f->header + elem * f->esize);
  while (bytes) {
    ssize_t w = pwrite(f->fd, p, bytes, off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return odeon__error(ODEON_E_IO, "npy: write to %s at byte %lld: %s",
                          f->path, (long long)off,
                          w < 0 ? strerror(errno) : "no progress");
    p += w;
    off += w;
    bytes -= (size_t)w;
  }
  return ODEON_OK;
}

size_t odeon__npy_header_bytes(const odeon__npy *f) { return f->header; }

int odeon__npy_close(odeon__npy *f) {
  if (!f)
    return ODEON_OK;
  int st = ODEON_OK;
  if (close(f->fd))
    st = odeon__error(ODEON_E_IO, "npy: closing %s: %s", f->path,
                      strerror(errno));
  free(f->path);
  free(f);
  return st;
}
