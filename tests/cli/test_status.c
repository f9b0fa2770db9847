/* test_status.c - the status X-macro: every code has a name and a text,
 * per-run status words decode, and the last-error message is per thread. */
#include <pthread.h>

#include "test_util.h"
#include "util/error.h"

static void test_every_status_has_text(void **state) {
  (void)state;
#define CHECK(name, value, desc)                                               \
  assert_string_equal(odeon_strerror(value), desc);                            \
  assert_string_equal(odeon_status_name(value), #name);
  ODEON_STATUS_MAP(CHECK)
#undef CHECK
  assert_string_equal(odeon_strerror(-9999), "unknown status code");
  assert_string_equal(odeon_status_name(12345), "UNKNOWN");
}

static void test_run_status_string(void **state) {
  (void)state;
  char buf[128];
  odeon_run_status_string(0, buf, sizeof buf);
  assert_string_equal(buf, "ok");
  odeon_run_status_string(ODEON_RUN_DT_MIN | ODEON_RUN_NONFINITE, buf,
                          sizeof buf);
  assert_string_equal(buf, "dt_min|nonfinite");
  odeon_run_status_string(1u << 30, buf, sizeof buf);
  assert_string_equal(buf, "0x40000000");
  /* truncation is safe and reports the needed length */
  size_t need = odeon_run_status_string(ODEON_RUN_MAX_STEPS, buf, 4);
  assert_int_equal(need, strlen("max_steps"));
  assert_string_equal(buf, "max");
}

static void *other_thread(void *arg) {
  (void)arg;
  odeon__error(ODEON_E_IO, "message of the other thread");
  return NULL;
}

static void test_last_error_is_per_thread(void **state) {
  (void)state;
  assert_int_equal(odeon__error(ODEON_E_RANGE, "x = %d", 7), ODEON_E_RANGE);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
  pthread_join(t, NULL);
  assert_string_equal(odeon_last_error(), "x = 7");
  odeon__error_context(ODEON_E_RANGE, "chunk %d: ", 3);
  assert_string_equal(odeon_last_error(), "chunk 3: x = 7");
  odeon_clear_error();
  assert_string_equal(odeon_last_error(), "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_status_has_text),
      cmocka_unit_test(test_run_status_string),
      cmocka_unit_test(test_last_error_is_per_thread),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
