/* bigmem.c - odeon__big_alloc: anonymous mappings with MADV_HUGEPAGE for
 * large arrays (bench/gpu_host_paths: first touch with 16 threads 19 GB/s
 * in 4 KiB pages, 35 GB/s with huge pages, on the H100 host), and a small
 * cache of freed mappings that the next allocations reuse.
 *
 * Why the cache: a fresh mapping's pages are zeroed by the operating system
 * at their first touch, which costs as much host time as copying the
 * results into them; a caller solving again and again (a fit, a sweep in
 * batches) would pay it on every solve. A freed mapping is kept instead,
 * and an allocation that fits in one takes it, its pages already there.
 * Bounded: only while a solver exists (odeon__big_hold, from each solver's
 * create, to odeon__big_unhold, from its destroy: a result freed after the
 * last solver is unmapped at once), at most BIG_KEEP mappings and a quarter
 * of the memory the process may have (the machine's, or its cgroup's limit),
 * the oldest unmapped first. A kept mapping keeps its page-locking (a
 * backend's pin: the CUDA backend registers the kept result memory that a
 * later solve reuses, so that the device downloads into it directly); the
 * pin is undone before the mapping is unmapped or its tail cut. */
#include "util/bigmem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Below this a mapping's system calls cost more than its faults save. */
#define BIG_BYTES ((size_t)8 << 20)
/* A result holds a few arrays (state, status, counters, ...). */
#define BIG_KEEP 8

typedef struct kept {
  void *p;
  size_t len;          /* mapped bytes, a multiple of the page size */
  odeon__big_pin *pin; /* its page-locking, or NULL */
} kept;

static pthread_mutex_t big_lock = PTHREAD_MUTEX_INITIALIZER;
static kept big_kept[BIG_KEEP]; /* oldest first */
static int big_n;
static size_t big_total, big_pinned;
static long big_holders; /* live solvers */

size_t odeon__page_size(void) {
  long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? (size_t)p : 4096;
}

static size_t page_round(size_t bytes) {
  size_t pg = odeon__page_size();
  return (bytes + pg - 1) / pg * pg;
}

size_t odeon__physical_memory(void) {
  long pages = sysconf(_SC_PHYS_PAGES);
  return pages > 0 ? (size_t)pages * odeon__page_size() : 0;
}

/* The memory this process may have: the machine's, or its cgroup's limit
   where that is lower (a container); 0 where neither is known. */
static size_t memory_limit(void) {
  size_t mem = odeon__physical_memory();
  FILE *f = fopen("/sys/fs/cgroup/memory.max", "r"); /* cgroup v2 */
  if (!f)
    f = fopen("/sys/fs/cgroup/memory/memory.limit_in_bytes", "r"); /* v1 */
  if (f) {
    unsigned long long lim = 0;
    if (fscanf(f, "%llu", &lim) == 1 && lim > 0 && (!mem || lim < mem))
      mem = (size_t)lim; /* "max" (no limit) reads as no number */
    fclose(f);
  }
  return mem;
}

/* A quarter of the memory this process may have (1 GiB where it is not
   known), looked up once. Called with big_lock held. */
static size_t keep_cap(void) {
  static size_t cap;
  if (!cap) {
    size_t mem = memory_limit();
    cap = mem ? mem / 4 : (size_t)1 << 30;
  }
  return cap;
}

size_t odeon__big_pin_limit(void) {
  pthread_mutex_lock(&big_lock);
  size_t cap = keep_cap();
  pthread_mutex_unlock(&big_lock);
  return cap / 2;
}

static void drop(int i) {
  big_total -= big_kept[i].len;
  if (big_kept[i].pin)
    big_pinned -= big_kept[i].len;
  for (int k = i; k + 1 < big_n; k++)
    big_kept[k] = big_kept[k + 1];
  big_n--;
}

/* Undo a mapping's page-locking, then unmap it. Called without big_lock:
   both may take a while for gigabytes. */
static void release(kept k) {
  if (k.pin && k.pin->unpin(k.pin, k.p, k.len) != 0)
    return; /* still page-locked: left mapped (odeon__big_pin) */
  munmap(k.p, k.len);
}

/* The smallest kept mapping of at least len bytes (page-locked ones only
   where the caller can take the pin), taken out of the cache, its tail
   beyond len unmapped (a page-locked one unpinned first: its pin covers
   the whole mapping); NULL if none. */
static void *take(size_t len, odeon__big_pin **pin) {
  pthread_mutex_lock(&big_lock);
  int best = -1;
  for (int i = 0; i < big_n; i++)
    if (big_kept[i].len >= len && (pin || !big_kept[i].pin) &&
        (best < 0 || big_kept[i].len < big_kept[best].len))
      best = i;
  kept k = {NULL, 0, NULL};
  if (best >= 0) {
    k = big_kept[best];
    drop(best);
  }
  pthread_mutex_unlock(&big_lock);
  if (k.p && k.len > len) {
    if (k.pin && k.pin->unpin(k.pin, k.p, k.len) != 0)
      return NULL; /* still page-locked: left mapped, a fresh one instead */
    k.pin = NULL;
    munmap((char *)k.p + len, k.len - len);
  }
  if (pin)
    *pin = k.pin;
  return k.p;
}

void *odeon__big_map(size_t len) {
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED)
    return NULL;
#ifdef MADV_HUGEPAGE
  /* advice only: where transparent huge pages are off, 4 KiB pages */
  (void)madvise(p, len, MADV_HUGEPAGE);
#endif
  return p;
}

size_t odeon__big_mapped_len(size_t bytes) {
  return bytes < BIG_BYTES ? 0 : page_round(bytes);
}

void *odeon__big_alloc(size_t bytes, int *warm, odeon__big_pin **pin) {
  if (warm)
    *warm = 0;
  if (pin)
    *pin = NULL;
  if (bytes < BIG_BYTES)
    return malloc(bytes ? bytes : 1);
  size_t len = page_round(bytes);
  void *p = take(len, pin);
  if (p && warm)
    *warm = 1;
  return p ? p : odeon__big_map(len);
}

void odeon__big_free(void *p, size_t bytes, odeon__big_pin *pin) {
  if (!p)
    return;
  if (bytes < BIG_BYTES) {
    free(p); /* never pinned: odeon__big_mapped_len says 0 */
    return;
  }
  size_t len = page_round(bytes);
  /* Keep it; unmap the oldest until the cache is within its bounds. The
     unmaps happen outside the lock (they may take a while for gigabytes). */
  kept out[BIG_KEEP + 1];
  int n_out = 0;
  pthread_mutex_lock(&big_lock);
  const size_t cap = keep_cap();
  if (big_holders > 0 && len <= cap) {
    while (big_n > 0 && (big_n == BIG_KEEP || big_total + len > cap)) {
      out[n_out++] = big_kept[0];
      drop(0);
    }
    big_kept[big_n++] = (kept){p, len, pin};
    big_total += len;
    if (pin)
      big_pinned += len;
  } else {
    out[n_out++] = (kept){p, len, pin};
  }
  pthread_mutex_unlock(&big_lock);
  for (int i = 0; i < n_out; i++)
    release(out[i]);
}

void odeon__big_hold(void) {
  pthread_mutex_lock(&big_lock);
  big_holders++;
  pthread_mutex_unlock(&big_lock);
}

void odeon__big_unhold(void) {
  kept out[BIG_KEEP];
  int n = 0;
  pthread_mutex_lock(&big_lock);
  if (big_holders > 0 && --big_holders == 0) {
    n = big_n;
    for (int i = 0; i < n; i++)
      out[i] = big_kept[i];
    big_n = 0;
    big_total = 0;
    big_pinned = 0;
  }
  pthread_mutex_unlock(&big_lock);
  for (int i = 0; i < n; i++)
    release(out[i]);
}

size_t odeon__big_kept_bytes(void) {
  pthread_mutex_lock(&big_lock);
  size_t b = big_total;
  pthread_mutex_unlock(&big_lock);
  return b;
}

size_t odeon__big_kept_pinned_bytes(void) {
  pthread_mutex_lock(&big_lock);
  size_t b = big_pinned;
  pthread_mutex_unlock(&big_lock);
  return b;
}
