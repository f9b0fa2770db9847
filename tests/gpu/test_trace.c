/* test_trace.c - ODEON_TRACE writes a valid Chrome-trace JSON array while
 * many threads add stages at once, with every event present and the file
 * valid after each event (checked with python's json module). */
#include "test_util.h"

#include <pthread.h>
#include <unistd.h>

#include "backend/backend.h"
#include "util/trace.h"

enum { THREADS = 6, STAGES = 40 };

static void *stage_thread(void *arg) {
  long id = (long)(size_t)arg;
  char row[32];
  snprintf(row, sizeof row, "row \"%ld\"", id % 3); /* quotes get escaped */
  for (int i = 0; i < STAGES; i++) {
    odeon__trace_begin("upload", id * 1000 + i);
    double t = odeon__now();
    odeon__trace_end("upload", id * 1000 + i);
    odeon__trace_complete("kernel", i, t, t + 2.385e-4, row);
  }
  return NULL;
}

static int python_check(const char *path, int expected_min) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "python3 -c \"import json,sys; e=json.load(open('%s')); "
           "n=len([x for x in e if x['ph'] in 'BEX']); "
           "b=len([x for x in e if x['ph']=='B']); "
           "en=len([x for x in e if x['ph']=='E']); "
           "sys.exit(0 if n>=%d and b==en else 1)\"",
           path, expected_min);
  return system(cmd);
}

static void test_trace_threads(void **state) {
  (void)state;
  if (system("python3 -c 'import json' 2>/dev/null") != 0)
    skip();
  assert_true(odeon__trace_enabled());
  const char *path = getenv("ODEON_TRACE");
  /* Valid JSON even before any event. */
  assert_int_equal(python_check(path, 0), 0);
  pthread_t th[THREADS];
  for (long i = 0; i < THREADS; i++)
    assert_int_equal(
        pthread_create(&th[i], NULL, stage_thread, (void *)(size_t)i), 0);
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
  /* Valid while still open (a killed process leaves a readable trace). */
  assert_int_equal(python_check(path, THREADS * STAGES * 3), 0);
  odeon__trace_close();
  assert_int_equal(python_check(path, THREADS * STAGES * 3), 0);
  /* After close, events are dropped without harm. */
  odeon__trace_begin("late", 1);
  odeon__trace_end("late", 1);
  assert_int_equal(python_check(path, THREADS * STAGES * 3), 0);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  assert_non_null(strstr(buf, "\"thread_name\""));
  assert_non_null(strstr(buf, "\"upload\""));
}

int main(void) {
  char path[1024];
  snprintf(path, sizeof path, "%s/test-trace-%ld.json", ODEON_BINARY_DIR,
           (long)getpid());
  setenv("ODEON_TRACE", path, 1);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_trace_threads),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  unlink(path);
  return rc;
}
