/* test_fuzz_corpus.c - replays the fuzzer's seeds and regression corpus
 * (fuzz/seeds, fuzz/corpus: inputs that once crashed or found new paths)
 * through the same harness, in the normal build and under the CI's
 * sanitizers, so that a fixed bug stays fixed. */
#include <dirent.h>

#include "test_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_dir(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    /* a crash here aborts the test; the input's name is printed first */
    print_message("replay %s (%zu bytes)\n", e->d_name, len);
    assert_int_equal(LLVMFuzzerTestOneInput(buf, len), 0);
    n++;
  }
  closedir(d);
  return n;
}

static void seeds(void **state) {
  (void)state;
  assert_true(replay_dir(ODEON_SOURCE_DIR "/fuzz/seeds") >= 5);
}

static void regression_corpus(void **state) {
  (void)state;
  assert_true(replay_dir(ODEON_SOURCE_DIR "/fuzz/corpus") >= 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(seeds),
      cmocka_unit_test(regression_corpus),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
