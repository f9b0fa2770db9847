/* test_cli.c - the command-line contract of `odeon`: help and version, exit
 * status 2 with a clear one-line message for every kind of bad usage or
 * input, exit 1 for a failed solve, and real solves written as CSV and .npy
 * checked against the Lorenz golden values. */
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_program.h"
#include "test_util.h"

#define ODEON_BIN ODEON_BINARY_DIR "/odeon"
#define LORENZ ODEON_SOURCE_DIR "/examples/lorenz.ode"

static char tmpdir[256];

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/odeon-cli-%d", (int)getpid());
  mkdir(tmpdir, 0700);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Run odeon with up to 30 arguments; the list ends with NULL. */
static program_result odeon(const char *first, ...) {
  char *argv[32];
  int n = 0;
  argv[n++] = (char *)ODEON_BIN;
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a && n < 31; a = va_arg(ap, const char *))
    argv[n++] = (char *)a;
  va_end(ap);
  argv[n] = NULL;
  program_result r;
  assert_int_equal(run_program(argv, 120.0, &r), 0);
  return r;
}

static void write_text(const char *name, const char *text, char *path,
                       size_t size) {
  snprintf(path, size, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* Expect an exit code and a message fragment on stderr. */
#define EXPECT(r, code, fragment)                                              \
  do {                                                                         \
    if ((r).exit_code != (code) || !strstr((r).err, (fragment)))               \
      print_error("exit %d (want %d), stderr:\n%s\nwanted \"%s\"\n",           \
                  (r).exit_code, (code), (r).err, (fragment));                 \
    assert_int_equal((r).exit_code, (code));                                   \
    assert_non_null(strstr((r).err, (fragment)));                              \
    program_result_free(&(r));                                                 \
  } while (0)

static void test_help_and_version(void **state) {
  (void)state;
  program_result r = odeon("--version", NULL);
  assert_int_equal(r.exit_code, 0);
  assert_non_null(strstr(r.out, "odeon " ODEON_VERSION_STRING));
  program_result_free(&r);
  r = odeon("--help", NULL);
  assert_int_equal(r.exit_code, 0);
  assert_non_null(strstr(r.out, "odeon solve MODEL"));
  program_result_free(&r);
  r = odeon("solve", "--help", NULL);
  assert_int_equal(r.exit_code, 0);
  assert_non_null(strstr(r.out, "--sweep NAME=LO:HI:N"));
  program_result_free(&r);
  r = odeon(NULL);
  EXPECT(r, 2, "usage");
  r = odeon("frobnicate", NULL);
  EXPECT(r, 2, "unknown command 'frobnicate'");
}

static void test_bad_usage(void **state) {
  (void)state;
  program_result r;
  r = odeon("solve", NULL);
  EXPECT(r, 2, "missing MODEL");
  r = odeon("solve", LORENZ, "--frobnicate", "3", NULL);
  EXPECT(r, 2, "unknown option '--frobnicate'");
  r = odeon("solve", LORENZ, "--dt", "abc", NULL);
  EXPECT(r, 2, "--dt: not a finite number: 'abc'");
  r = odeon("solve", LORENZ, "--dt=1e999", NULL);
  EXPECT(r, 2, "--dt: not a finite number");
  r = odeon("solve", LORENZ, "--duration", NULL);
  EXPECT(r, 2, "--duration: missing value");
  r = odeon("solve", LORENZ, "--precision", "float16", NULL);
  EXPECT(r, 2, "--precision: expected float32 or float64");
  r = odeon("solve", LORENZ, "--backend", "opencl", NULL);
  EXPECT(r, 2, "--backend: expected auto, cpu or cuda");
  r = odeon("solve", LORENZ, "--sweep", "rho=", NULL);
  EXPECT(r, 2, "empty sweep");
  r = odeon("solve", LORENZ, "--sweep", "rho=0:1:0", NULL);
  EXPECT(r, 2, "empty sweep");
  r = odeon("solve", LORENZ, "--sweep", "rho=0:1", NULL);
  EXPECT(r, 2, "expected LO:HI:N");
  r = odeon("solve", LORENZ, "--sweep", "rho=1,,2", NULL);
  EXPECT(r, 2, "empty value at position 2");
  r = odeon("solve", LORENZ, "--set", "rho", NULL);
  EXPECT(r, 2, "--set: expected NAME=VALUE");
  r = odeon("solve", LORENZ, "--threads", "2.5", NULL);
  EXPECT(r, 2, "--threads: expected a whole number");
  r = odeon("solve", LORENZ, "--device-memory", "12XB", NULL);
  EXPECT(r, 2, "unknown size suffix");
  r = odeon("solve", LORENZ, "extra.ode", NULL);
  EXPECT(r, 2, "unexpected argument 'extra.ode'");
  r = odeon("solve", LORENZ, "--out", "result.txt", "--backend", "cpu", NULL);
  EXPECT(r, 2, "expected a .csv or .npy file name");
}

static void test_bad_input_files(void **state) {
  (void)state;
  program_result r;
  char model[300], csv[300];
  r = odeon("solve", "/nonexistent/model.ode", NULL);
  EXPECT(r, 2, "/nonexistent/model.ode");
  write_text("bad.ode", "states: x = 1\ndx = x +* 2\n", model, sizeof model);
  r = odeon("solve", model, "--backend", "cpu", NULL);
  EXPECT(r, 2, "bad.ode:2:");
  write_text("undef.ode", "states: x = 1\ndx = -k*x\n", model, sizeof model);
  r = odeon("solve", model, "--backend", "cpu", NULL);
  EXPECT(r, 2, "undef.ode:2:7");
  r = odeon("solve", LORENZ, "--backend", "cpu", "--sweep", "nosuch=1,2", NULL);
  EXPECT(r, 2, "nosuch");
  r = odeon("solve", LORENZ, "--backend", "cpu", "--inputs",
            "/nonexistent/runs.csv", NULL);
  EXPECT(r, 2, "/nonexistent/runs.csv: cannot open");
  write_text("runs.csv", "rho,x\n1,2\n3,oops\n", csv, sizeof csv);
  r = odeon("solve", LORENZ, "--backend", "cpu", "--inputs", csv, NULL);
  EXPECT(r, 2, "runs.csv:3:3: column 'x'");
  r = odeon("solve", LORENZ, "--backend", "cpu", "--algorithm", "rk99", NULL);
  EXPECT(r, 2, "rk99");
  r = odeon("solve", LORENZ, "--backend", "cpu", "--atol", "-1", NULL);
  EXPECT(r, 2, "atol");
}

/* Golden final states of the Lorenz reference for rho = 21 (traj 1023). */
static const double golden_x = -6.4505791473189191,
                    golden_y = -8.8952114786678109,
                    golden_z = 14.649145866604451;

static void read_last_row(const char *path, double *row, int n) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[4096], last[4096] = "";
  while (fgets(line, sizeof line, f))
    strcpy(last, line);
  fclose(f);
  char *p = last;
  for (int i = 0; i < n; i++) {
    row[i] = strtod(p, &p);
    if (*p == ',')
      p++;
  }
}

static void test_solve_csv(void **state) {
  (void)state;
  char out[300];
  snprintf(out, sizeof out, "%s/lorenz.csv", tmpdir);
  program_result r =
      odeon("solve", LORENZ, "--backend", "cpu", "--algorithm", "classical-rk4",
            "--dt", "0.001", "--precision", "float32", "--sweep",
            "rho=0:21:1024", "--out", out, NULL);
  if (r.exit_code != 0)
    print_error("stderr: %s\n", r.err);
  assert_int_equal(r.exit_code, 0);
  assert_non_null(strstr(r.err, "1024 runs x 2 samples"));
  program_result_free(&r);
  FILE *f = fopen(out, "r");
  assert_non_null(f);
  char line[4096];
  assert_non_null(fgets(line, sizeof line, f));
  assert_string_equal(line, "run,t,x,y,z\n");
  assert_non_null(fgets(line, sizeof line, f));
  assert_string_equal(line, "0,0,1,0,0\n");
  int rows = 1;
  while (fgets(line, sizeof line, f))
    rows++;
  fclose(f);
  assert_int_equal(rows, 2 * 1024);
  double row[5];
  read_last_row(out, row, 5);
  assert_true(row[0] == 1023 && row[1] == 1);
  double scale = 25.0; /* about max |golden| */
  assert_true(fabs(row[2] - golden_x) / scale < 1e-4);
  assert_true(fabs(row[3] - golden_y) / scale < 1e-4);
  assert_true(fabs(row[4] - golden_z) / scale < 1e-4);

  /* adaptive DP5 in float64 to stdout, --set and a list sweep */
  r = odeon("solve", LORENZ, "--backend", "cpu", "--atol", "1e-10", "--rtol",
            "1e-10", "--set", "x=1", "--sweep", "rho=2.385,21", "--quiet",
            NULL);
  assert_int_equal(r.exit_code, 0);
  assert_string_equal(r.err, "");
  char *last = strrchr(r.out, '\n');
  assert_non_null(last);
  *last = '\0';
  last = strrchr(r.out, '\n');
  assert_non_null(last);
  double v[5];
  char *p = last + 1;
  for (int i = 0; i < 5; i++) {
    v[i] = strtod(p, &p);
    if (*p == ',')
      p++;
  }
  assert_true(v[0] == 1 && v[1] == 1);
  assert_true(fabs(v[2] - golden_x) < 1e-6);
  assert_true(fabs(v[4] - golden_z) < 1e-6);
  program_result_free(&r);
}

static void test_solve_inputs_and_npy(void **state) {
  (void)state;
  char csv[300], out[300];
  write_text("runs.csv", "rho,x\n21,1\n2.385,0.5\n", csv, sizeof csv);
  snprintf(out, sizeof out, "%s/lorenz.npy", tmpdir);
  program_result r = odeon("solve", LORENZ, "--backend", "cpu", "--inputs", csv,
                           "--save-every", "0.125", "--out", out, NULL);
  if (r.exit_code != 0)
    print_error("stderr: %s\n", r.err);
  assert_int_equal(r.exit_code, 0);
  assert_non_null(strstr(r.err, "2 runs x 9 samples"));
  program_result_free(&r);
  struct stat sb;
  assert_int_equal(stat(out, &sb), 0);
  /* header + 9 samples x 3 states x 2 runs float64 */
  assert_true(sb.st_size >= 9 * 3 * 2 * 8);
  if (access("/usr/bin/python3", X_OK) == 0) {
    char cmd[700];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import numpy as n; a = n.load('%s', "
             "mmap_mode='r'); assert a.shape == (9, 3, 2), a.shape; "
             "assert abs(a[8, 0, 0] + 6.4505791473189) < 1e-4, a[8, 0, 0]\"",
             out);
    assert_int_equal(system(cmd), 0);
  }
}

static int count_lines(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  int n = 0, c;
  while ((c = fgetc(f)) != EOF)
    n += c == '\n';
  fclose(f);
  return n;
}

static void test_other_outputs(void **state) {
  (void)state;
  char out[300], path[300];
  snprintf(out, sizeof out, "%s/o.csv", tmpdir);
  program_result r =
      odeon("solve", LORENZ, "--backend", "cpu", "--sweep", "rho=2.385,21",
            "--save-every", "0.1", "--outputs",
            "state,counters,mean,max,peaks[2]", "--out", out, NULL);
  if (r.exit_code != 0)
    print_error("stderr: %s\n", r.err);
  assert_int_equal(r.exit_code, 0);
  program_result_free(&r);
  assert_int_equal(count_lines(out), 1 + 2 * 11);
  snprintf(path, sizeof path, "%s/o-summaries.csv", tmpdir);
  assert_int_equal(count_lines(path), 1 + 2);
  FILE *f = fopen(path, "r");
  char line[2048];
  assert_non_null(fgets(line, sizeof line, f));
  fclose(f);
  assert_non_null(strstr(line, "run,window,mean(x),mean(y),mean(z),max(x)"));
  assert_non_null(strstr(line, "peaks[2](z)"));
  snprintf(path, sizeof path, "%s/o-runs.csv", tmpdir);
  assert_int_equal(count_lines(path), 1 + 2);
  f = fopen(path, "r");
  assert_non_null(fgets(line, sizeof line, f));
  assert_non_null(fgets(line, sizeof line, f));
  fclose(f);
  assert_non_null(strstr(line, "0,0,ok,"));

  /* summaries alone go to stdout */
  r = odeon("solve", LORENZ, "--backend", "cpu", "--sweep", "rho=2.385,21",
            "--save-every", "0.01", "--outputs", "mean,rms", "--quiet", NULL);
  assert_int_equal(r.exit_code, 0);
  assert_non_null(strstr(r.out, "run,window,mean(x)"));
  assert_non_null(strstr(r.out, "rms(z)"));
  program_result_free(&r);
  r = odeon("solve", LORENZ, "--backend", "cpu", "--outputs", "meen", NULL);
  EXPECT(r, 2, "meen");

  /* .npy: each output in its own file */
  snprintf(out, sizeof out, "%s/o.npy", tmpdir);
  r = odeon("solve", LORENZ, "--backend", "cpu", "--sweep", "rho=2.385,21",
            "--save-every", "0.25", "--outputs", "state,time,status,max",
            "--out", out, NULL);
  assert_int_equal(r.exit_code, 0);
  program_result_free(&r);
  const char *files[] = {"o.npy", "o-time.npy", "o-summaries.npy",
                         "o-status.npy"};
  for (int i = 0; i < 4; i++) {
    snprintf(path, sizeof path, "%s/%s", tmpdir, files[i]);
    assert_int_equal(access(path, R_OK), 0);
  }
}

static void test_drivers(void **state) {
  (void)state;
  char model[300], drv[300], bad[300];
  write_text("int.ode", "states: x = 0\ndrivers: u\ndx = u\n", model,
             sizeof model);
  /* u = 2t sampled every 0.25 on [0, 2]: x(1) = 1 */
  write_text("u.csv",
             "t,u\n0,0\n0.25,0.5\n0.5,1\n0.75,1.5\n1,2\n1.25,2.5\n"
             "1.5,3\n1.75,3.5\n2,4\n",
             drv, sizeof drv);
  program_result r =
      odeon("solve", model, "--backend", "cpu", "--driver", drv, NULL);
  EXPECT(r, 2, "--driver: expected NAME=VALUE");
  char arg[400];
  snprintf(arg, sizeof arg, "u=%s", drv);
  r = odeon("solve", model, "--backend", "cpu", "--driver", arg,
            "--spline-ends", "not-a-knot", "--quiet", NULL);
  if (r.exit_code != 0)
    print_error("stderr: %s\n", r.err);
  assert_int_equal(r.exit_code, 0);
  char *last = strstr(r.out, "\n0,1,");
  assert_non_null(last);
  assert_true(fabs(strtod(last + 5, NULL) - 1.0) < 1e-6);
  program_result_free(&r);
  r = odeon("solve", model, "--backend", "cpu", NULL);
  EXPECT(r, 2, "driver 'u' has no samples");
  write_text("bad.csv", "t,u\n0,0\n0.25,1\n0.7,2\n", bad, sizeof bad);
  snprintf(arg, sizeof arg, "u=%s", bad);
  r = odeon("solve", model, "--backend", "cpu", "--driver", arg, NULL);
  EXPECT(r, 2, "bad.csv");
  snprintf(arg, sizeof arg, "u=%s", drv);
  r = odeon("solve", model, "--backend", "cpu", "--driver", arg,
            "--spline-ends", "wobbly", NULL);
  EXPECT(r, 2, "wobbly");
}

static void test_cuda_without_gpu(void **state) {
  (void)state;
  program_result r = odeon("solve", LORENZ, "--backend", "cuda", NULL);
  if (r.exit_code == 0) { /* a machine with a GPU: fine */
    program_result_free(&r);
    return;
  }
  EXPECT(r, 1, "cuda");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_help_and_version),
      cmocka_unit_test(test_bad_usage),
      cmocka_unit_test(test_bad_input_files),
      cmocka_unit_test(test_solve_csv),
      cmocka_unit_test(test_solve_inputs_and_npy),
      cmocka_unit_test(test_other_outputs),
      cmocka_unit_test(test_drivers),
      cmocka_unit_test(test_cuda_without_gpu),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
