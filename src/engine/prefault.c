/* prefault.c - faults in the pages of a solve's in-memory results in the
 * background while the first chunks compute, so that the writeback copies
 * into memory that is already there: fresh pages are zeroed by the
 * operating system at first touch, and on a GPU host that costs as much
 * as the copy itself (bench/gpu_host_paths, bench/NOTES.md). */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "util/bigmem.h"

/* Below this the result's faults cost less than a thread. */
#define PREFAULT_MIN_BYTES ((size_t)64 << 20)

static void *prefault_main(void *arg) {
  odeon__engine *e = arg;
  int parts = e->helpers / 2 + 1;
  for (int i = 0; i < ODEON__OUT_COUNT && !atomic_load(&e->prefault_stop);
       i++) {
    const odeon__output *o = &e->result->out[i];
    if (o->owned && o->data &&
        odeon__big_populate(o->data, o->owned, parts, &e->prefault_stop))
      break; /* the kernel cannot: the writeback faults them instead */
  }
  return NULL;
}

void odeon__engine_prefault_start(odeon__engine *e) {
  size_t owned = 0;
  for (int i = 0; i < ODEON__OUT_COUNT; i++)
    owned += e->result ? e->result->out[i].owned : 0;
  /* On the CPU backend the cores compute; there the writeback's faults
     overlap the workers anyway. */
  int want = e->req->prefault > 0 ||
             (e->req->prefault == 0 && e->ops &&
              strcmp(e->ops->name, "cpu") != 0 && e->helpers >= 2);
  if (owned < PREFAULT_MIN_BYTES || !want)
    return;
  atomic_store(&e->prefault_stop, 0);
  e->prefault_started =
      pthread_create(&e->prefault, NULL, prefault_main, e) == 0;
}

void odeon__engine_prefault_join(odeon__engine *e) {
  if (!e->prefault_started)
    return;
  atomic_store(&e->prefault_stop, 1);
  pthread_join(e->prefault, NULL);
  e->prefault_started = 0;
}
