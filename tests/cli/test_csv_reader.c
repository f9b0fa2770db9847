/* test_csv_reader.c - the strict CSV reader: good tables, and every kind of
 * bad file named with path:line:column. */
#include <unistd.h>

#include "io/csv.h"
#include "test_util.h"

static char path[256];

static void write_file(const char *text) {
  snprintf(path, sizeof path, "/tmp/odeon-csv-%d.csv", (int)getpid());
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void test_reads_columns(void **state) {
  (void)state;
  write_file("# runs\nrho, x\n2.385,1e-3\n\n21 , -4.5\n");
  odeon__csv_table t;
  assert_ok(odeon__csv_read(path, &t));
  assert_int_equal(t.n_cols, 2);
  assert_int_equal(t.n_rows, 2);
  assert_string_equal(t.names[0], "rho");
  assert_string_equal(t.names[1], "x");
  assert_true(t.cols[0][0] == 2.385);
  assert_true(t.cols[1][1] == -4.5);
  odeon__csv_free(&t);
  unlink(path);
}

static void expect_error(const char *text, int status, const char *fragment) {
  write_file(text);
  odeon__csv_table t;
  assert_status(odeon__csv_read(path, &t), status);
  assert_error_contains(fragment);
  unlink(path);
}

static void test_bad_files(void **state) {
  (void)state;
  expect_error("", ODEON_E_INVAL, "no header");
  expect_error("a,b\n", ODEON_E_INVAL, "no data rows");
  expect_error("a,b\n1,2\n3\n", ODEON_E_INVAL, ":3: expected 2 fields");
  expect_error("a,b\n1,2,3\n", ODEON_E_INVAL, ":2:4: more fields");
  expect_error("a,b\n1,zz\n", ODEON_E_INVAL, ":2:3: column 'b'");
  expect_error("a,b\n1,nan\n", ODEON_E_INVAL, "not a finite number");
  expect_error("a,a\n1,2\n", ODEON_E_INVAL, "appears twice");
  expect_error("a,,b\n1,2,3\n", ODEON_E_INVAL, "empty column name");
  odeon__csv_table t;
  assert_status(odeon__csv_read("/nonexistent/dir/x.csv", &t), ODEON_E_IO);
  assert_error_contains("/nonexistent/dir/x.csv: cannot open");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reads_columns),
      cmocka_unit_test(test_bad_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
