/* test_parallel.c - util/parallel.c's job runners: odeon__run_shared runs
 * every grain exactly once, on real threads, whether or not its threads
 * start (the thread fault site) and whatever order they claim grains in;
 * a failing grain's status and message reach the caller (the lowest
 * failing grain's, where several fail); one thread runs one grain; and
 * odeon__run_parts still runs exactly the parts it is given. */
#include <stdatomic.h>
#include <time.h>

#include "test_util.h"

#include "util/error.h"
#include "util/fault.h"
#include "util/parallel.h"

#define MAX_GRAINS (ODEON__MAX_PARTS * ODEON__GRAINS_PER_THREAD)

typedef struct job {
  atomic_int runs[MAX_GRAINS]; /* how often each grain ran */
  atomic_int seen_grains;      /* the grains count each call was given */
  int fail_from;               /* grains >= this fail (MAX_GRAINS: none) */
  int slow_grain;              /* this grain sleeps a little (-1: none) */
} job;

static int grain_fn(void *ctx, int g, int grains) {
  job *j = ctx;
  atomic_store(&j->seen_grains, grains);
  if (g < 0 || g >= MAX_GRAINS)
    return odeon__error(ODEON_E_INTERNAL, "grain %d out of range", g);
  atomic_fetch_add(&j->runs[g], 1);
  if (g == j->slow_grain) {
    /* a stalled thread: the others must take the grains it would have
       had under a fixed split */
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (g >= j->fail_from)
    return odeon__error(ODEON_E_IO, "grain %d of %d failed on purpose", g,
                        grains);
  return ODEON_OK;
}

static void job_init(job *j) {
  for (int g = 0; g < MAX_GRAINS; g++)
    atomic_init(&j->runs[g], 0);
  atomic_init(&j->seen_grains, 0);
  j->fail_from = MAX_GRAINS;
  j->slow_grain = -1;
}

static void assert_each_once(job *j, int grains) {
  for (int g = 0; g < MAX_GRAINS; g++)
    assert_int_equal(atomic_load(&j->runs[g]), g < grains ? 1 : 0);
}

static void test_grains_for(void **state) {
  (void)state;
  assert_int_equal(odeon__grains_for(1), 1);
  assert_int_equal(odeon__grains_for(0), 1);
  assert_int_equal(odeon__grains_for(2), 2 * ODEON__GRAINS_PER_THREAD);
  assert_int_equal(odeon__grains_for(ODEON__MAX_PARTS + 5),
                   ODEON__MAX_PARTS * ODEON__GRAINS_PER_THREAD);
}

static void test_every_grain_once(void **state) {
  (void)state;
  for (int threads = 1; threads <= ODEON__MAX_PARTS; threads++) {
    for (int rep = 0; rep < 20; rep++) {
      job j;
      job_init(&j);
      j.slow_grain = rep == 0 ? 0 : -1; /* the caller's first grain stalls */
      assert_ok(odeon__run_shared(grain_fn, &j, threads));
      int grains = odeon__grains_for(threads);
      assert_int_equal(atomic_load(&j.seen_grains), grains);
      assert_each_once(&j, grains);
    }
  }
  /* out-of-range thread counts are clamped, not trusted */
  job j;
  job_init(&j);
  assert_ok(odeon__run_shared(grain_fn, &j, 0));
  assert_each_once(&j, 1);
  job_init(&j);
  assert_ok(odeon__run_shared(grain_fn, &j, 1000));
  assert_each_once(&j, MAX_GRAINS);
}

static void test_threads_that_do_not_start(void **state) {
  (void)state;
  /* the first 3 thread starts fail, then all of them: every grain still
     runs once, on the threads that did start and the caller */
  for (int failing = 3; failing <= ODEON__MAX_PARTS; failing += 12) {
    job j;
    job_init(&j);
    odeon__fault_arm(ODEON__FAULT_THREAD, 1, failing);
    assert_ok(odeon__run_shared(grain_fn, &j, 8));
    odeon__fault_reset();
    assert_each_once(&j, odeon__grains_for(8));
  }
}

static void test_failure_reaches_the_caller(void **state) {
  (void)state;
  job j;
  job_init(&j);
  int grains = odeon__grains_for(6);
  j.fail_from = grains - 5; /* the last five grains fail */
  int st = odeon__run_shared(grain_fn, &j, 6);
  assert_int_equal(st, ODEON_E_IO);
  char want[128];
  snprintf(want, sizeof want, "grain %d of %d failed on purpose", grains - 5,
           grains);
  assert_error_contains(want);
  assert_each_once(&j, grains); /* a failure stops no other grain */
}

static void test_run_parts_exact(void **state) {
  (void)state;
  /* odeon__run_parts is for distinct jobs (a kernel and its initial-step
     entry): exactly `parts` parts, never split further */
  job j;
  job_init(&j);
  assert_ok(odeon__run_parts(grain_fn, &j, 2));
  assert_int_equal(atomic_load(&j.seen_grains), 2);
  assert_each_once(&j, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grains_for),
      cmocka_unit_test(test_every_grain_once),
      cmocka_unit_test(test_threads_that_do_not_start),
      cmocka_unit_test(test_failure_reaches_the_caller),
      cmocka_unit_test(test_run_parts_exact),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
