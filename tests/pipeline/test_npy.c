/* test_npy.c - the .npy writer and the file sink: arrays of every dtype the
 * results use, written in pieces out of order, load with numpy (mmap) and
 * equal what was written; a failed sink stays PATH.incomplete, a finished
 * one replaces a stale PATH; bad writes and paths are reported. */
#include <unistd.h>

#include "test_util.h"

#include "engine/sink.h"
#include "io/npy.h"
#include "util/fault.h"

static void path_for(char *buf, size_t n, const char *stem, const char *ext) {
  snprintf(buf, n, "%s/npy-%s-%ld%s", ODEON_BINARY_DIR, stem, (long)getpid(),
           ext);
}

/* numpy loads `npy` memory-mapped with `shape` and equals the raw `bin`. */
static void numpy_agrees(const char *npy, const char *bin, const char *shape,
                         const char *dtype) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 -c \"import numpy, sys; a = numpy.load('%s', "
           "mmap_mode='r'); b = numpy.fromfile('%s', dtype='%s'); "
           "sys.exit(0 if a.shape == %s and a.dtype == numpy.dtype('%s') and "
           "numpy.array_equal(numpy.asarray(a).ravel(), b) else 1)\"",
           npy, bin, dtype, shape, dtype);
  int rc = system(cmd);
  if (rc)
    print_error("numpy disagrees (rc %d): %s\n", rc, cmd);
  assert_int_equal(rc, 0);
}

static void write_bin(const char *path, const void *data, size_t bytes) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, bytes, f), bytes);
  fclose(f);
}

static void pieces_out_of_order(void **state) {
  (void)state;
  enum { S = 7, V = 3, R = 1000 };
  static double d[S * V * R];
  static float fl[S * V * R];
  static uint32_t u[R];
  static int64_t i8[V * R];
  for (int i = 0; i < S * V * R; i++) {
    d[i] = 2.385 * i - 17.25;
    fl[i] = (float)(0.5 * i + 0.125);
  }
  for (int i = 0; i < R; i++)
    u[i] = (uint32_t)(i * 2654435761u);
  for (int i = 0; i < V * R; i++)
    i8[i] = (int64_t)i * 1000003 - 42;
  struct {
    const char *descr, *dtype, *shape;
    int ndim;
    int64_t sh[3];
    const void *data;
    size_t esize, elems;
  } cases[] = {
      {"<f8", "<f8", "(7, 3, 1000)", 3, {S, V, R}, d, 8, S * V * R},
      {"<f4", "<f4", "(7, 3, 1000)", 3, {S, V, R}, fl, 4, S * V * R},
      {"<u4", "<u4", "(1000,)", 1, {R}, u, 4, R},
      {"<i8", "<i8", "(3, 1000)", 2, {V, R}, i8, 8, V * R},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char npy[512], bin[512];
    path_for(npy, sizeof npy, cases[c].descr + 1, ".npy");
    path_for(bin, sizeof bin, cases[c].descr + 1, ".bin");
    odeon__npy *f = NULL;
    assert_ok(
        odeon__npy_create(npy, cases[c].descr, cases[c].ndim, cases[c].sh, &f));
    assert_int_equal(odeon__npy_header_bytes(f) % 64, 0);
    /* runs in chunks of 93, last chunk first, as a pipeline could */
    int64_t rows = (int64_t)cases[c].elems / R;
    for (int64_t first = (R - 1) / 93 * 93; first >= 0; first -= 93) {
      int64_t n = R - first < 93 ? R - first : 93;
      for (int64_t r = rows - 1; r >= 0; r--) {
        uint64_t elem = (uint64_t)(r * R + first);
        assert_ok(odeon__npy_write(
            f, elem, (const char *)cases[c].data + elem * cases[c].esize,
            (size_t)n * cases[c].esize));
      }
    }
    assert_status(odeon__npy_write(f, cases[c].elems - 1, cases[c].data,
                                   2 * cases[c].esize),
                  ODEON_E_INTERNAL);
    assert_ok(odeon__npy_close(f));
    write_bin(bin, cases[c].data, cases[c].elems * cases[c].esize);
    numpy_agrees(npy, bin, cases[c].shape, cases[c].dtype);
    unlink(npy);
    unlink(bin);
  }
}

static void bad_paths(void **state) {
  (void)state;
  odeon__npy *f = NULL;
  int64_t sh[1] = {4};
  assert_status(odeon__npy_create("/nonexistent-dir/x.npy", "<f8", 1, sh, &f),
                ODEON_E_IO);
  assert_error_contains("/nonexistent-dir/x.npy");
  assert_null(f);
  assert_status(odeon__npy_create("/tmp/x.npy", "<c16", 1, sh, &f),
                ODEON_E_INVAL);
}

static void sink_marks_incomplete(void **state) {
  (void)state;
  char path[512], inc[600];
  path_for(path, sizeof path, "sink", ".npy");
  snprintf(inc, sizeof inc, "%s.incomplete", path);
  write_bin(path, "stale", 5); /* an old result under the final name */
  int64_t sh[2] = {2, 8};
  double v[16];
  for (int i = 0; i < 16; i++)
    v[i] = 2.385 + i;
  odeon__sink s;
  assert_ok(odeon__sink_file(&s, path, "<f8", 2, sh, 8));
  assert_int_equal(access(path, F_OK), -1); /* stale result gone */
  assert_int_equal(access(inc, F_OK), 0);
  assert_ok(odeon__sink_write(&s, 0, v, 8));
  odeon__fault_arm(ODEON__FAULT_SINK_WRITE, 1, 1);
  assert_status(odeon__sink_write(&s, 8, v + 8, 8), ODEON_E_IO);
  odeon__fault_reset();
  assert_ok(odeon__sink_close(&s, 0));
  assert_int_equal(access(path, F_OK), -1);
  assert_int_equal(access(inc, F_OK), 0);
  /* a complete one gets the real name */
  assert_ok(odeon__sink_file(&s, path, "<f8", 2, sh, 8));
  assert_int_equal(access(inc, F_OK), 0);
  assert_ok(odeon__sink_write(&s, 8, v + 8, 8));
  assert_ok(odeon__sink_write(&s, 0, v, 8));
  assert_ok(odeon__sink_close(&s, 1));
  assert_int_equal(access(inc, F_OK), -1);
  char bin[512];
  path_for(bin, sizeof bin, "sink", ".bin");
  write_bin(bin, v, sizeof v);
  numpy_agrees(path, bin, "(2, 8)", "<f8");
  unlink(path);
  unlink(bin);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pieces_out_of_order),
      cmocka_unit_test(bad_paths),
      cmocka_unit_test(sink_marks_incomplete),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
