/* engine_internal.h - the state one solve shares between the files of the
 * engine (pipeline.c: the producer and the solve; writeback.c: the
 * writeback thread; slots.c: slot resources and their cache; outputs.c:
 * the result's outputs and sinks). Not for use outside src/engine/. */
#ifndef ODEON_ENGINE_ENGINE_INTERNAL_H
#define ODEON_ENGINE_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>

#include "engine/engine.h"
#include "engine/plan.h"
#include "engine/result.h"
#include "engine/sink.h"
#include "util/error.h"

#define ODEON__MAX_SLOTS 64
#define ODEON__MAX_HELPERS 15 /* fill and writeback helpers, large items */
#define ODEON__ENGINE_MSG 2048
/* device buffers of a slot (7) and its two staging areas */
#define ODEON__SLOT_BUFFERS 9

typedef struct odeon__slot {
  odeon__stream *stream;
  odeon__event *event;
  void *d_in, *d_state, *d_obs, *d_sum, *d_status, *d_cnt, *d_carry;
  unsigned char *h_in, *h_out;
  int busy;     /* an item is posted and not yet written back */
  int gpu_busy; /* an item is posted and its device work (upload, launch,
                   download) not yet seen complete by the writeback */
  /* the posted item */
  long long chunk, first, n, launch, sb, se, wb, we;
  int last;
  double posted; /* odeon__now() when its launch was queued */
} odeon__slot;

#define ODEON__UNIFORM_MAX 64
/* drain lanes: at most one per part of util/parallel.h */
#define ODEON__MAX_LANES 16

/* A drain lane (drain.c): its own stream, two events and two pinned
   buffers of one piece each, so that it downloads its next piece while it
   copies the last one out. */
typedef struct odeon__lane {
  odeon__stream *stream;
  odeon__event *event[2];
  unsigned char *buf[2];
} odeon__lane;

typedef struct odeon__engine {
  const odeon__engine_request *req;
  odeon__backend *be;
  const odeon__backend_ops *ops;
  long long runs;               /* of the whole grid (the outputs' run axis) */
  long long run_begin, run_end; /* the runs this solve computes */
  int rb;
  long long ns, np, nsav, nobs, nsum, ncnt, ncarry;
  /* the kernel reads its automatic first steps from args.h0 (kernel_args.h;
     no dt given): a chunk's device inputs end with [n] doubles its init
     entry writes */
  int h0;
  int want_state, want_obs, want_sum, want_cnt;
  double timeout;
  odeon__plan_input pin;
  odeon__plan plan;
  int n_slots;
  odeon__slot slots[ODEON__MAX_SLOTS];
  /* staging layout (offsets into h_out, for the chunk capacity) */
  size_t off_state, off_obs, off_sum, off_status, off_cnt, out_bytes;
  void *d_drivers;
  const void *drivers;  /* the driver data of runs [run_begin, run_end) */
  size_t drivers_bytes; /* (or the one block all runs share) */
  odeon_result_t *result;
  odeon__sink sink[ODEON__OUT_COUNT];
  /* outputs the device copies straight into their destination memory
     (backend host_direct): no staging, no writeback copy */
  int direct[ODEON__OUT_COUNT];
  /* input columns (states, then parameters; the first
     ODEON__UNIFORM_MAX) with one value in every run: set on the device,
     not staged; in_rows of the ns + np columns are staged */
  /* outputs drained piece by piece from the device by the drain lanes
     (drain.c) instead of downloaded whole into the slot's staging */
  int drain[ODEON__OUT_COUNT];
  int draining; /* any output is drained */
  odeon__lane lanes[ODEON__MAX_LANES];
  int n_lanes;
  size_t piece; /* bytes a lane downloads at once */
  /* the drain lanes' threads and work (drain.c), shared under mu */
  struct odeon__drain_job *jobs;   /* one per slot */
  int job_queue[ODEON__MAX_SLOTS]; /* submitted jobs with pieces untaken */
  int jq_head, jq_len;
  pthread_t lane_threads[ODEON__MAX_LANES];
  int lanes_started, lanes_quit;
  unsigned long long uniform;
  double uniform_values[ODEON__UNIFORM_MAX];
  long long in_rows;
  /* shared between the producer and the writeback thread */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int queue[ODEON__MAX_SLOTS];
  int q_head, q_len;
  int producer_done;
  int status;
  char msg[ODEON__ENGINE_MSG];
  long long runs_done;
  long long bytes_done, bytes_total;
  long long time_cap;    /* runs per chunk that keep one launch well inside the
                            timeout, from measured launch times */
  long long items_done;  /* launches written back, for deadline renewal */
  long long pieces_done; /* drained pieces delivered, likewise (a drained
                            slot can take long to deliver) */
  pthread_t writeback;
  int writeback_started;
  int helpers;       /* helper threads a large fill or writeback may use */
  int probing;       /* the first chunk is a probe: later ones wait for
                        its launch time (time_cap) */
  int time_measured; /* a launch has been timed */
} odeon__engine;

/* Outputs shared by the engine solves of several devices (engine.h). */
struct odeon__engine_outputs {
  odeon_result_t *result;
  odeon__sink sink[ODEON__OUT_COUNT];
  long long bytes_total;
};

/* Whether output `id` goes through the slots' staging: it is neither
   downloaded straight into its destination (e->direct) nor drained by the
   lanes (e->drain). */
static inline int odeon__engine_staged(const odeon__engine *e, int id) {
  return !e->direct[id] && !e->drain[id];
}

/* pipeline.c: check the request and fill the engine's counts, run range and
   options from it and the kernel info. */
int odeon__engine_check_request(odeon__engine *e);

/* Record the first error (status + context + this thread's last message)
   and wake every waiter; returns status. Later errors are dropped. */
int odeon__engine_fail(odeon__engine *e, int status, const char *fmt, ...)
    ODEON__PRINTF(3, 4);
/* The recorded status (0 while all is well). */
int odeon__engine_failed(odeon__engine *e);

/* writeback.c: the writeback thread's body (arg: the engine). */
void *odeon__engine_writeback_main(void *arg);

/* slots.c: allocate the slots for the plan, or take them from the cache,
   halving the chunk when memory is short; sz receives the buffer sizes. */
int odeon__engine_setup_slots(odeon__engine *e, size_t sz[ODEON__SLOT_BUFFERS]);
/* Destroy the streams, then free events and buffers. */
void odeon__engine_free_slots(odeon__engine *e);
/* Destroy a stream (NULL: nothing) whose work is over; a failure is
   reported on stderr, since it can neither be returned nor retried. */
void odeon__engine_stream_release(odeon__backend *be, odeon__stream *s);
/* Hand the slots of a successful solve to the request's cache. */
void odeon__engine_store_cache(odeon__engine *e,
                               const size_t sz[ODEON__SLOT_BUFFERS]);
/* Device bytes a cache holds on this backend (free for this solve). */
size_t odeon__engine_cached_device_bytes(const odeon__engine *e);

/* slots.c: where the h0 of a chunk of n runs lies in slot s (after its
   inputs, in d_in; only when e->h0). */
double *odeon__engine_h0(const odeon__engine *e, const odeon__slot *s,
                         long long n);
/* slots.c: the drain lanes (e->n_lanes of e->piece bytes), taken from the
   cache when it holds such lanes, else allocated; cached lanes this solve
   does not use are released. */
int odeon__engine_setup_lanes(odeon__engine *e);
/* Destroy the lanes' streams, then their events and buffers. */
void odeon__engine_free_lanes(odeon__engine *e);

/* drain.c: which outputs are drained and with how many lanes of what
   piece size (the request, $ODEON_DRAIN, the backend and the outputs'
   size decide); ODEON_E_INVAL for a bad $ODEON_DRAIN. */
int odeon__engine_choose_drain(odeon__engine *e);
/* Nothing drained, no lanes (also the fallback when the lanes' pinned
   memory cannot be allocated: the outputs are then staged). */
void odeon__engine_drain_none(odeon__engine *e);
/* Pinned bytes the lanes take from the staging cap. */
size_t odeon__engine_lane_bytes(const odeon__engine *e);

/* outputs.c: declare the result's outputs and open their sinks. */
int odeon__engine_setup_outputs(odeon__engine *e);

/* item.c: the outputs an item carries. An output goes from `dev` (rows of
   the chunk's n runs) to staging at h_out + off, then to the destination
   rows row0.. at the chunk's first run; or straight from dev to the
   destination when e->direct[id]. */
#define ODEON__ITEM_MAX 5
typedef struct odeon__item_out {
  odeon__out_id id;
  size_t off;
  void *dev;
  long long rows, row0;
  size_t esize;
} odeon__item_out;
int odeon__item_outputs(const odeon__engine *e, const odeon__slot *s,
                        long long sb, long long se, long long wb, long long we,
                        int last, odeon__item_out out[ODEON__ITEM_MAX]);

/* drain.c, called by the writeback thread. Start the lanes' threads (when
   draining) and, at the end, stop and join them. */
int odeon__engine_lanes_start(odeon__engine *e);
void odeon__engine_lanes_stop(odeon__engine *e);
/* Hand the drained outputs of the item (of out[0..n_out)) of slot s, whose
   launch is complete, to the lanes; returns 1 when there is something to
   drain (the slot is then released once odeon__engine_drained says so), 0
   when not. */
int odeon__engine_drain_submit(odeon__engine *e, const odeon__slot *s,
                               const odeon__item_out *out, int n_out);
/* With mu held: 1 when slot s's drain has ended (every piece delivered,
   or a lane failed). */
int odeon__engine_drained(const odeon__engine *e, const odeon__slot *s);
/* Wait (mu not held) until slot s's drain ends; its status, with the
   failing lane's message. The deadline restarts whenever a piece lands. */
int odeon__engine_drain_wait(odeon__engine *e, const odeon__slot *s);

/* touch.c: fault in the pages of the result's own memory that the
   launch's staged outputs io[0..n_io) will fill for runs first..first+n-1,
   before the launch is posted. */
void odeon__engine_touch(odeon__engine *e, long long first, long long n,
                         const odeon__item_out *io, int n_io);

#endif
