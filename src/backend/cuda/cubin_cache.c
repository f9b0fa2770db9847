/* cubin_cache.c - the on-disk cache of compiled CUDA kernels: hashing, the
 * cross-process lock, atomic publication and integrity checks on read. */
#include "backend/cuda/cubin_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/cuda/nvrtc.h"
#include "codegen/embedded.h"
#include "util/error.h"

#define CACHE_MAGIC "ODNCUBN1"
#define CACHE_HEADER 32 /* magic[8], u64 size, u64 payload hash, u64 0 */

/* 64-bit FNV-1a; two passes with different offsets make a 128-bit key, so
   an accidental collision between two kernels is out of the question. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

typedef struct key_hash {
  uint64_t a, b;
} key_hash;

/* Hash one part preceded by its length, so that ("ab","c") != ("a","bc"). */
static void hash_part(key_hash *k, const void *data, size_t n) {
  uint64_t len = n;
  k->a = fnv1a(k->a, &len, sizeof len);
  k->b = fnv1a(k->b, &len, sizeof len);
  k->a = fnv1a(k->a, data, n);
  k->b = fnv1a(k->b, data, n);
}

static void hash_str(key_hash *k, const char *s) { hash_part(k, s, strlen(s)); }

int odeon__cubin_key(const char *source, const char *arch, char key[33]) {
  int st = odeon__nvrtc_available();
  if (st)
    return st;
  key_hash k = {14695981039346656037ull, 0x9e3779b97f4a7c15ull};
  char ver[32];
  snprintf(ver, sizeof ver, "nvrtc %d", odeon__nvrtc_version());
  hash_str(&k, "odeon cubin key 1");
  hash_str(&k, ver);
  hash_str(&k, arch);
  hash_str(&k, odeon__nvrtc_options_string());
  hash_str(&k, source);
  /* The core headers are part of the translation unit: a changed header
     must not load a stale kernel. */
  for (int i = 0; i < odeon__core_file_count; i++) {
    hash_str(&k, odeon__core_files[i].name);
    hash_str(&k, odeon__core_files[i].text);
  }
  snprintf(key, 33, "%016llx%016llx", (unsigned long long)k.a,
           (unsigned long long)k.b);
  return ODEON_OK;
}

int odeon__cache_dir_resolve(const char *dir, char *buf, size_t size) {
  const char *e;
  if (dir && dir[0])
    snprintf(buf, size, "%s", dir);
  else if ((e = getenv("ODEON_CACHE_DIR")) && e[0])
    snprintf(buf, size, "%s", e);
  else if ((e = getenv("XDG_CACHE_HOME")) && e[0])
    snprintf(buf, size, "%s/odeon", e);
  else if ((e = getenv("HOME")) && e[0])
    snprintf(buf, size, "%s/.cache/odeon", e);
  else
    snprintf(buf, size, "/tmp/odeon-cache-%ld", (long)getuid());
  return 0;
}

/* mkdir -p; returns 0 when the directory exists afterwards. */
static int make_dirs(const char *path) {
  char tmp[1024];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
      return -1;
    *p = '/';
  }
  if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
    return -1;
  struct stat sb;
  return stat(tmp, &sb) == 0 && S_ISDIR(sb.st_mode) ? 0 : -1;
}

static void put_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* Read an intact cache file; 1 = hit, 0 = missing or damaged. */
static int cache_read(const char *path, void **cubin, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return 0;
  unsigned char hdr[CACHE_HEADER];
  int ok = 0;
  void *img = NULL;
  if (fread(hdr, 1, sizeof hdr, f) == sizeof hdr &&
      memcmp(hdr, CACHE_MAGIC, 8) == 0) {
    uint64_t n = get_u64(hdr + 8), h = get_u64(hdr + 16);
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 &&
        (uint64_t)sb.st_size == n + CACHE_HEADER && n > 0 &&
        (img = malloc((size_t)n)) != NULL && fread(img, 1, (size_t)n, f) == n &&
        fnv1a(14695981039346656037ull, img, (size_t)n) == h) {
      *cubin = img;
      *size = (size_t)n;
      ok = 1;
    }
  }
  if (!ok)
    free(img);
  fclose(f);
  return ok;
}

/* Write to a temporary file beside `path` and rename it into place. */
static int cache_write(const char *path, const void *cubin, size_t size) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0)
    return -1;
  unsigned char hdr[CACHE_HEADER] = {0};
  memcpy(hdr, CACHE_MAGIC, 8);
  put_u64(hdr + 8, size);
  put_u64(hdr + 16, fnv1a(14695981039346656037ull, cubin, size));
  FILE *f = fdopen(fd, "wb");
  if (!f) {
    close(fd);
    unlink(tmp);
    return -1;
  }
  int ok = fwrite(hdr, 1, sizeof hdr, f) == sizeof hdr &&
           fwrite(cubin, 1, size, f) == size;
  ok = (fclose(f) == 0) && ok;
  /* mkstemp makes 0600 files; a shared cache wants them readable. */
  if (ok)
    ok = chmod(tmp, 0644) == 0 && rename(tmp, path) == 0;
  if (!ok)
    unlink(tmp);
  return ok ? 0 : -1;
}

/* Take an exclusive flock on the key's lock file before `deadline`.
 * flock has no timed form and no condition variable spans processes, so
 * this retries the non-blocking lock with a growing pause (1 ms to 50 ms):
 * the only wait in odeon that sleeps, bounded by its deadline. Returns the
 * locked descriptor, or -1 (then the caller compiles without the lock). */
static int lock_acquire(const char *path, double deadline) {
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  long pause_us = 1000;
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
      return fd;
    if (errno != EWOULDBLOCK && errno != EINTR)
      break;
    if (odeon__now() >= deadline)
      break;
    struct timespec ts = {0, pause_us * 1000};
    nanosleep(&ts, NULL);
    if (pause_us < 50000)
      pause_us *= 2;
  }
  close(fd);
  return -1;
}

static int verbose(void) {
  const char *v = getenv("ODEON_VERBOSE");
  return v && v[0] && strcmp(v, "0") != 0;
}

int odeon__cubin_get(const char *source, const char *name, const char *arch,
                     const char *cache_dir, double timeout, void **cubin,
                     size_t *size, odeon__cubin_info *info) {
  odeon__cubin_info local;
  if (!info)
    info = &local;
  memset(info, 0, sizeof *info);
  double t_start = odeon__now();
  int st = odeon__cubin_key(source, arch, info->key);
  if (st)
    return st;

  char dir[900];
  int cache_ok = odeon__cache_dir_resolve(cache_dir, dir, sizeof dir) == 0;
  if (cache_ok) {
    size_t len = strlen(dir);
    snprintf(dir + len, sizeof dir - len, "/cuda");
    cache_ok = make_dirs(dir) == 0;
  }
  if (!cache_ok && verbose())
    fprintf(stderr, "odeon: cuda: no usable kernel cache directory; "
                    "compiling without caching\n");
  char path[1024] = "", lock_path[1100] = "";
  if (cache_ok) {
    snprintf(path, sizeof path, "%s/%s.cubin", dir, info->key);
    snprintf(lock_path, sizeof lock_path, "%s/%s.lock", dir, info->key);
    snprintf(info->path, sizeof info->path, "%s", path);
    if (cache_read(path, cubin, size)) {
      info->from_cache = 1;
      info->seconds = odeon__now() - t_start;
      return ODEON_OK;
    }
  }

  int lock_fd = -1;
  if (cache_ok) {
    lock_fd = lock_acquire(lock_path, t_start + (timeout > 0 ? timeout : 600));
    /* Another process may have published it while we waited. */
    if (lock_fd >= 0 && cache_read(path, cubin, size)) {
      flock(lock_fd, LOCK_UN);
      close(lock_fd);
      info->from_cache = 1;
      info->seconds = odeon__now() - t_start;
      return ODEON_OK;
    }
  }
  char *log = NULL;
  st = odeon__nvrtc_compile(source, name, arch, verbose(), cubin, size, &log);
  if (!st && verbose() && log && log[0])
    fprintf(stderr, "odeon: cuda: nvrtc log for %s (%s):\n%s\n",
            name ? name : "kernel", arch, log);
  free(log);
  if (!st && cache_ok && cache_write(path, *cubin, *size) != 0 && verbose())
    fprintf(stderr, "odeon: cuda: could not write the kernel cache file %s\n",
            path);
  if (lock_fd >= 0) {
    flock(lock_fd, LOCK_UN);
    close(lock_fd);
  }
  info->seconds = odeon__now() - t_start;
  return st;
}
