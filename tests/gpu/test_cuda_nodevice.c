/* test_cuda_nodevice.c - without a usable driver the CUDA backend returns
 * ODEON_E_NODEVICE with the reason (what it tried to load), never crashes,
 * and keeps saying so on every later call. Runs on any machine: the driver
 * is made "missing" by pointing ODEON_LIBCUDA at a file that does not
 * exist, or at a library that is not a CUDA driver. */
#include "test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/cuda/cuda_backend.h"

/* The driver is loaded once per process, so each case runs in a child. */
static int child_case(const char *libcuda, const char *expect1,
                      const char *expect2) {
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    alarm(30);
    setenv("ODEON_LIBCUDA", libcuda, 1);
    odeon__backend_config cfg = {.timeout = 5.0};
    int ok = 1;
    for (int round = 0; round < 2; round++) {
      odeon__backend *be = (odeon__backend *)0x1;
      int st = odeon__backend_cuda_create(&cfg, &be);
      const char *msg = odeon_last_error();
      if (st != ODEON_E_NODEVICE || be != NULL || !strstr(msg, expect1) ||
          !strstr(msg, expect2)) {
        fprintf(stderr, "round %d: got %s: \"%s\"\n", round,
                odeon_status_name(st), msg);
        ok = 0;
      }
      odeon_clear_error();
    }
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_no_library(void **state) {
  (void)state;
  assert_int_equal(child_case("/nonexistent/libcuda.so.1", "no CUDA driver",
                              "/nonexistent/libcuda.so.1"),
                   0);
}

static void test_not_a_driver(void **state) {
  (void)state;
  /* libm loads fine but has no cuInit: reported as a driver too old. */
  assert_int_equal(child_case("libm.so.6", "too old", "cuInit"), 0);
}

/* Device lists: syntax errors before any driver call; without a driver a
 * well-formed list is "no device", with the reason. */
static void test_parse_devices(void **state) {
  (void)state;
  int ids[8], n = -1;
  assert_status(odeon__cuda_parse_devices("0,x", ids, 8, &n), ODEON_E_INVAL);
  assert_error_contains("0,x");
  assert_status(odeon__cuda_parse_devices("1,1", ids, 8, &n), ODEON_E_INVAL);
  assert_error_contains("twice");
  assert_status(odeon__cuda_parse_devices("0,", ids, 8, &n), ODEON_E_INVAL);
  assert_status(odeon__cuda_parse_devices("-1", ids, 8, &n), ODEON_E_INVAL);
  assert_status(odeon__cuda_parse_devices("0,1,2", ids, 2, &n), ODEON_E_INVAL);
  assert_error_contains("more than 2");
  /* Well-formed: parsed in order, then checked against the driver. */
  int st = odeon__cuda_parse_devices("2,0", ids, 8, &n);
  assert_int_equal(n, 2);
  assert_int_equal(ids[0], 2);
  assert_int_equal(ids[1], 0);
  assert_true(st == ODEON_OK || st == ODEON_E_NODEVICE);
}

/* The toolkit's stub driver exports every entry point of the real one but
 * has no device: every symbol odeon looks up must resolve (so the message
 * is about cuInit, not a missing symbol), and the result is "no device". */
static void test_stub_driver(void **state) {
  (void)state;
  const char *stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (access(stub, R_OK) != 0) {
    print_message("skipping: no %s\n", stub);
    skip();
  }
  assert_int_equal(child_case(stub, "cuInit(0)", "no usable CUDA device"), 0);
}

static void test_null_out(void **state) {
  (void)state;
  assert_status(odeon__backend_cuda_create(NULL, NULL), ODEON_E_INVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_library),  cmocka_unit_test(test_not_a_driver),
      cmocka_unit_test(test_stub_driver), cmocka_unit_test(test_parse_devices),
      cmocka_unit_test(test_null_out),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
