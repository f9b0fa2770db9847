/* test_nvrtc.c - the NVRTC step without a GPU: kernels compile for real
 * architectures with no register spills, compile errors come back with the
 * compiler's log, and the CUBIN disk cache hits, repairs damaged files and
 * stays correct when several processes compile the same kernel at once.
 * Skips (passes) when NVRTC cannot be loaded unless ODEON_REQUIRE_NVRTC=1. */
#include "test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/cuda/cubin_cache.h"
#include "backend/cuda/nvrtc.h"
#include "gpu_kernels.h"

static int have_nvrtc(void) {
  if (odeon__nvrtc_available() == ODEON_OK)
    return 1;
  const char *req = getenv("ODEON_REQUIRE_NVRTC");
  if (req && strcmp(req, "1") == 0) {
    print_error("NVRTC is required (ODEON_REQUIRE_NVRTC=1) but: %s\n",
                odeon_last_error());
    fail();
  }
  print_message("skipping: %s\n", odeon_last_error());
  return 0;
}

/* A fresh directory for one test's cache. */
static void make_temp_dir(char *buf, size_t size, const char *tag) {
  snprintf(buf, size, "%s/test-nvrtc-%s-XXXXXX", ODEON_BINARY_DIR, tag);
  assert_non_null(mkdtemp(buf));
}

static int count_files(const char *dir, const char *suffix) {
  DIR *d = opendir(dir);
  if (!d)
    return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name), sl = strlen(suffix);
    if (len >= sl && strcmp(e->d_name + len - sl, suffix) == 0)
      n++;
  }
  closedir(d);
  return n;
}

static void test_lorenz_compiles_without_spills(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  const char *archs[] = {"sm_90", "sm_80"};
  for (int rb = 4; rb <= 8; rb += 4) {
    char *src = gpu_lorenz_source(rb);
    assert_non_null(src);
    for (size_t a = 0; a < sizeof archs / sizeof archs[0]; a++) {
      char *log = NULL;
      assert_ok(odeon__nvrtc_compile_check(src, archs[a], &log));
      assert_non_null(log);
      /* ptxas's resource report must be there, and must show no spills:
         the issue asks for state and stages in registers. */
      if (!strstr(log, "registers") || !strstr(log, "0 bytes spill stores"))
        print_error("%s real_bytes=%d log:\n%s\n", archs[a], rb, log);
      assert_non_null(strstr(log, "registers"));
      assert_non_null(strstr(log, "0 bytes spill stores"));
      free(log);
    }
    free(src);
  }
}

static void test_compile_error_has_log(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  char *log = NULL;
  assert_status(odeon__nvrtc_compile_check(gpu_broken_source, "sm_90", &log),
                ODEON_E_COMPILE);
  /* NVRTC names the file and line: "odeon_check.cu(3): error: ..." */
  assert_error_contains("odeon_check.cu(3)");
  assert_error_contains("error");
  assert_non_null(log);
  assert_non_null(strstr(log, "(3)"));
  free(log);
}

static void test_bad_arch(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  char *src = gpu_lorenz_source(8);
  assert_status(odeon__nvrtc_compile_check(src, "compute_90", NULL),
                ODEON_E_INVAL);
  assert_error_contains("compute_90");
  assert_status(odeon__nvrtc_compile_check(src, "sm_7", NULL), ODEON_E_COMPILE);
  free(src);
}

static void test_cache_key(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  char *s4 = gpu_lorenz_source(4), *s8 = gpu_lorenz_source(8);
  char k1[33], k2[33], k3[33], k4[33];
  assert_ok(odeon__cubin_key(s8, "sm_90", k1));
  assert_ok(odeon__cubin_key(s8, "sm_90", k2));
  assert_ok(odeon__cubin_key(s4, "sm_90", k3));
  assert_ok(odeon__cubin_key(s8, "sm_80", k4));
  assert_int_equal(strlen(k1), 32);
  assert_string_equal(k1, k2);
  assert_string_not_equal(k1, k3);
  assert_string_not_equal(k1, k4);
  free(s4);
  free(s8);
}

static void test_cache_hit_and_repair(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  char dir[1024];
  make_temp_dir(dir, sizeof dir, "cache");
  char *src = gpu_lorenz_source(4);
  void *a = NULL, *b = NULL, *c = NULL;
  size_t na = 0, nb = 0, nc = 0;
  odeon__cubin_info ia, ib, ic;
  assert_ok(odeon__cubin_get(src, "lorenz", "sm_90", dir, 60, &a, &na, &ia));
  assert_int_equal(ia.from_cache, 0);
  assert_true(na > 1000);
  assert_ok(odeon__cubin_get(src, "lorenz", "sm_90", dir, 60, &b, &nb, &ib));
  assert_int_equal(ib.from_cache, 1);
  assert_int_equal(na, nb);
  assert_memory_equal(a, b, na);
  assert_string_equal(ia.path, ib.path);
  print_message("cold compile %.1f ms, cache read %.2f ms\n", ia.seconds * 1e3,
                ib.seconds * 1e3);
  assert_true(ib.seconds < ia.seconds);

  /* Damage one byte in the middle: the checksum must catch it, the kernel
     be compiled again and the file repaired. */
  FILE *f = fopen(ib.path, "r+b");
  assert_non_null(f);
  assert_int_equal(fseek(f, (long)(na / 2), SEEK_SET), 0);
  int ch = fgetc(f);
  assert_int_equal(fseek(f, (long)(na / 2), SEEK_SET), 0);
  fputc(ch ^ 0x5a, f);
  fclose(f);
  assert_ok(odeon__cubin_get(src, "lorenz", "sm_90", dir, 60, &c, &nc, &ic));
  assert_int_equal(ic.from_cache, 0);
  assert_int_equal(nc, na);
  assert_memory_equal(a, c, na);
  free(c);
  c = NULL;
  assert_ok(odeon__cubin_get(src, "lorenz", "sm_90", dir, 60, &c, &nc, &ic));
  assert_int_equal(ic.from_cache, 1);

  /* Truncated to its header only: also a miss, never a crash. */
  assert_int_equal(truncate(ic.path, 20), 0);
  free(c);
  c = NULL;
  assert_ok(odeon__cubin_get(src, "lorenz", "sm_90", dir, 60, &c, &nc, &ic));
  assert_int_equal(ic.from_cache, 0);
  assert_memory_equal(a, c, na);
  free(a);
  free(b);
  free(c);
  free(src);
}

static void test_cache_dir_unusable(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  /* A cache "directory" below a regular file cannot exist: the kernel must
     still compile, only uncached. */
  char dir[1024], file[1100], bad[1200];
  make_temp_dir(dir, sizeof dir, "nodir");
  snprintf(file, sizeof file, "%s/plain-file", dir);
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fputs("not a directory\n", f);
  fclose(f);
  snprintf(bad, sizeof bad, "%s/sub", file);
  char *src = gpu_lorenz_source(8);
  void *img = NULL;
  size_t n = 0;
  odeon__cubin_info info;
  assert_ok(odeon__cubin_get(src, "lorenz", "sm_80", bad, 60, &img, &n, &info));
  assert_int_equal(info.from_cache, 0);
  assert_string_equal(info.path, "");
  assert_true(n > 1000);
  free(img);
  free(src);
}

/* Several processes compile the same new kernel into one cache at once:
 * the lock lets one compile, the others read its file; all get the same
 * image and no temporary file is left behind. */
static void test_cache_concurrent_processes(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  char dir[1024];
  make_temp_dir(dir, sizeof dir, "procs");
  char *base = gpu_lorenz_source(4);
  char *src = malloc(strlen(base) + 128);
  assert_non_null(src);
  /* A comment unique to this run makes a key no earlier run has cached. */
  sprintf(src, "// run %ld %ld\n%s", (long)getpid(), (long)time(NULL), base);
  enum { PROCS = 4 };
  int fds[PROCS][2];
  pid_t pids[PROCS];
  for (int p = 0; p < PROCS; p++) {
    assert_int_equal(pipe(fds[p]), 0);
    pids[p] = fork();
    assert_true(pids[p] >= 0);
    if (pids[p] == 0) {
      alarm(120); /* a hung child dies rather than hangs the test */
      close(fds[p][0]);
      void *img = NULL;
      size_t n = 0;
      odeon__cubin_info info;
      int st =
          odeon__cubin_get(src, "lorenz", "sm_90", dir, 100, &img, &n, &info);
      unsigned long long h = 1469598103934665603ull;
      for (size_t i = 0; i < n; i++)
        h = (h ^ ((unsigned char *)img)[i]) * 1099511628211ull;
      char line[128];
      int len = snprintf(line, sizeof line, "%d %d %zu %llx\n", st,
                         info.from_cache, n, h);
      ssize_t w = write(fds[p][1], line, (size_t)len);
      _exit(w == len && st == 0 ? 0 : 1);
    }
    close(fds[p][1]);
  }
  int compiled = 0;
  char first[128] = "";
  for (int p = 0; p < PROCS; p++) {
    int status = 0;
    assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
    char line[128] = "";
    ssize_t r = read(fds[p][0], line, sizeof line - 1);
    close(fds[p][0]);
    assert_true(r > 0);
    line[r] = '\0';
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int st = -1, from_cache = -1;
    char rest[100];
    assert_int_equal(sscanf(line, "%d %d %99[^\n]", &st, &from_cache, rest), 3);
    assert_int_equal(st, 0);
    compiled += from_cache == 0;
    if (p == 0)
      snprintf(first, sizeof first, "%s", rest);
    else
      assert_string_equal(first, rest);
  }
  assert_int_equal(compiled, 1);
  char sub[1100];
  snprintf(sub, sizeof sub, "%s/cuda", dir);
  assert_int_equal(count_files(sub, ".cubin"), 1);
  DIR *d = opendir(sub);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    assert_null(strstr(e->d_name, ".tmp."));
  closedir(d);
  free(src);
  free(base);
}

/* A lock held by someone else (here: this process, by flock on another
 * descriptor) delays a compile only until the deadline; then the kernel is
 * compiled without the lock, and still published atomically. */
static void test_cache_lock_deadline(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  char dir[1024], sub[1100], lock[1200];
  make_temp_dir(dir, sizeof dir, "lock");
  char *src = gpu_lorenz_source(8);
  char key[33];
  assert_ok(odeon__cubin_key(src, "sm_80", key));
  snprintf(sub, sizeof sub, "%s/cuda", dir);
  assert_int_equal(mkdir(sub, 0755), 0);
  snprintf(lock, sizeof lock, "%s/%s.lock", sub, key);
  int fd = open(lock, O_RDWR | O_CREAT, 0644);
  assert_true(fd >= 0);
  assert_int_equal(flock(fd, LOCK_EX), 0);
  void *img = NULL;
  size_t n = 0;
  odeon__cubin_info info;
  double t0 = odeon__now();
  assert_ok(
      odeon__cubin_get(src, "lorenz", "sm_80", dir, 0.4, &img, &n, &info));
  double secs = odeon__now() - t0;
  print_message("compiled after waiting %.3f s for a held lock\n", secs);
  assert_true(secs >= 0.35);
  assert_int_equal(info.from_cache, 0);
  assert_true(n > 1000);
  free(img);
  flock(fd, LOCK_UN);
  close(fd);
  /* Published despite the lock: the next one reads it. */
  img = NULL;
  assert_ok(
      odeon__cubin_get(src, "lorenz", "sm_80", dir, 0.4, &img, &n, &info));
  assert_int_equal(info.from_cache, 1);
  free(img);
  free(src);
}

/* NVRTC is loaded once per process (and this one has it loaded), so the
 * "missing" case runs in a fresh process: this program re-executed with
 * ODEON_NVRTC pointing nowhere. */
static int missing_nvrtc_child(void) {
  int st = odeon__nvrtc_compile_check("x", "sm_90", NULL);
  int ok = st == ODEON_E_NODEVICE &&
           strstr(odeon_last_error(), "/nonexistent/libnvrtc.so.99") &&
           strstr(odeon_last_error(), "ODEON_NVRTC") &&
           odeon__nvrtc_version() == 0;
  if (!ok)
    fprintf(stderr, "got %s: %s\n", odeon_status_name(st), odeon_last_error());
  return ok ? 0 : 1;
}

static void test_missing_nvrtc_message(void **state) {
  (void)state;
  char self[1024];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  assert_true(len > 0);
  self[len] = '\0';
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    alarm(30);
    setenv("ODEON_NVRTC", "/nonexistent/libnvrtc.so.99", 1);
    execl(self, self, "--missing-nvrtc-child", (char *)NULL);
    _exit(99);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

/* $ODEON_NVRTC_OPTIONS, read once per process, so each case is this
 * program re-executed with it set: mode "apply" (the options reach NVRTC
 * and the cache key's options string), "bad" (NVRTC's own rejection,
 * named), "many" (more than 16: refused, not cut short), "long" (more
 * characters than fit: refused). */
static const char options_probe[] =
    "#ifndef ODEON_TEST_EXTRA\n#error the extra options did not arrive\n"
    "#endif\nextern \"C\" __global__ void k(float *x) { x[0] = 1.0f; }\n";

static int nvrtc_options_child(const char *mode) {
  int st = odeon__nvrtc_compile_check(options_probe, "sm_90", NULL);
  const char *msg = odeon_last_error(), *opts = odeon__nvrtc_options_string();
  int ok = 0;
  if (!strcmp(mode, "apply"))
    ok = st == ODEON_OK && strstr(opts, "-std=c++17 --fmad=true") == opts &&
         strstr(opts, " -maxrregcount=32 -DODEON_TEST_EXTRA=1");
  else if (!strcmp(mode, "bad"))
    ok = st == ODEON_E_COMPILE && strstr(msg, "--no-such-option");
  else if (!strcmp(mode, "many"))
    ok = st == ODEON_E_INVAL && strstr(msg, "ODEON_NVRTC_OPTIONS") &&
         strstr(msg, "more than 16 options");
  else if (!strcmp(mode, "long"))
    ok = st == ODEON_E_INVAL && strstr(msg, "ODEON_NVRTC_OPTIONS") &&
         strstr(msg, "characters");
  if (!ok)
    fprintf(stderr, "%s: got %s: %s (options \"%s\")\n", mode,
            odeon_status_name(st), msg, opts);
  return ok ? 0 : 1;
}

static void test_extra_options(void **state) {
  (void)state;
  if (!have_nvrtc())
    skip();
  char self[1024];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  assert_true(len > 0);
  self[len] = '\0';
  char many[400] = "", lng[700];
  for (int i = 0; i < 17; i++)
    snprintf(many + strlen(many), sizeof many - strlen(many), "-DX%d=1 ", i);
  memset(lng, 'D', sizeof lng - 1);
  lng[0] = '-';
  lng[sizeof lng - 1] = '\0';
  const char *modes[][2] = {{"apply", "-maxrregcount=32 -DODEON_TEST_EXTRA=1"},
                            {"bad", "-DODEON_TEST_EXTRA=1 --no-such-option"},
                            {"many", many},
                            {"long", lng}};
  for (int m = 0; m < 4; m++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      alarm(60);
      setenv("ODEON_NVRTC_OPTIONS", modes[m][1], 1);
      execl(self, self, "--nvrtc-options-child", modes[m][0], (char *)NULL);
      _exit(99);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--missing-nvrtc-child") == 0)
    return missing_nvrtc_child();
  if (argc > 2 && strcmp(argv[1], "--nvrtc-options-child") == 0)
    return nvrtc_options_child(argv[2]);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lorenz_compiles_without_spills),
      cmocka_unit_test(test_compile_error_has_log),
      cmocka_unit_test(test_bad_arch),
      cmocka_unit_test(test_cache_key),
      cmocka_unit_test(test_cache_hit_and_repair),
      cmocka_unit_test(test_cache_dir_unusable),
      cmocka_unit_test(test_cache_concurrent_processes),
      cmocka_unit_test(test_cache_lock_deadline),
      cmocka_unit_test(test_missing_nvrtc_message),
      cmocka_unit_test(test_extra_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
