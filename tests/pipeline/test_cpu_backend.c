/* test_cpu_backend.c - the CPU backend on its own: the device budget, truly
 * asynchronous streams (enqueue returns before the work is done), FIFO
 * order, events with deadlines, sticky errors, destroying a busy stream,
 * and module_load (compile errors with the compiler's message, the on-disk
 * cache, several threads compiling one new kernel at once). */
#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

#include "test_util.h"

#include "backend/backend.h"
#include "pipeline_kernel.h"
#include "util/fault.h"

/* Busy work per run: max_steps additions, then status[i] = i + 1. */
static const char slow_src[] =
    "#include \"kernel_args.h\"\n"
    "const long long odeon_kernel_info[ODEON_INFO_LEN] = {ODEON_KERNEL_ABI, "
    "8};\n"
    "void odeon_kernel_cpu(const odeon_kernel_args *a, long long b, long long "
    "e) {\n"
    "  for (long long i = b; i < e; i++) {\n"
    "    volatile double x = 0;\n"
    "    for (long long k = 0; k < a->max_steps; k++) x += 1e-9 * k;\n"
    "    a->status[i] = (unsigned)(i + 1);\n"
    "  }\n"
    "}\n";

typedef struct fixture {
  odeon__backend *be;
  odeon__module *slow;
  char cache[512];
  int threads;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->threads = pk_threads();
  odeon__backend_config cfg = {0};
  cfg.threads = 2;
  cfg.mem_budget = 100000;
  cfg.timeout = 30;
  snprintf(f->cache, sizeof f->cache, "%s/cpu-backend-cache-%ld",
           ODEON_BINARY_DIR, (long)getpid());
  odeon__module_source src = {slow_src, "slow", 8, 0, 0};
  if (odeon__backend_cpu_create(&cfg, &f->be) ||
      f->be->ops->module_load(f->be, &src, f->cache, &f->slow)) {
    print_error("setup: %s\n", odeon_last_error());
    return -1;
  }
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  f->be->ops->module_unload(f->be, f->slow);
  f->be->ops->destroy(f->be);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->cache);
  int rc = system(cmd);
  (void)rc;
  int left = pk_threads_settled(f->threads);
  free(f);
  return left == pk_threads() ? 0 : -1;
}

static void device_budget(void **state) {
  fixture *f = *state;
  const odeon__backend_ops *o = f->be->ops;
  void *a = NULL, *b = NULL;
  size_t fr, tot;
  assert_ok(o->dev_alloc(f->be, 60000, &a));
  assert_ok(o->mem_info(f->be, &fr, &tot));
  assert_int_equal(tot, 100000);
  assert_true(fr <= 40000);
  assert_status(o->dev_alloc(f->be, 60000, &b), ODEON_E_NOMEM);
  assert_error_contains("exceeds the budget");
  assert_null(b);
  o->dev_free(f->be, a);
  assert_ok(o->dev_alloc(f->be, 60000, &b));
  o->dev_free(f->be, b);
  /* pinned memory is not counted against the device */
  assert_ok(o->host_alloc(f->be, 1 << 20, &a));
  o->host_free(f->be, a);
}

static void asynchronous_with_deadlines(void **state) {
  fixture *f = *state;
  const odeon__backend_ops *o = f->be->ops;
  odeon__stream *s;
  odeon__event *ev;
  unsigned *st = NULL;
  assert_ok(o->stream_create(f->be, &s));
  assert_ok(o->event_create(f->be, &ev));
  assert_int_equal(o->event_query(ev), 1); /* never recorded: complete */
  void *mem = NULL;
  assert_ok(o->dev_alloc(f->be, 8 * sizeof *st, &mem));
  st = mem;
  memset(st, 0, 8 * sizeof *st);
  odeon_kernel_args a = {0};
  a.n = 8;
  a.max_steps = 30000000; /* tens of ms per run */
  a.status = st;
  double t = odeon__now();
  assert_ok(o->launch_async(s, f->slow, &a));
  assert_ok(o->event_record(ev, s));
  double enqueue = odeon__now() - t;
  assert_true(enqueue < 0.05); /* the work itself takes over 0.1 s */
  assert_int_equal(o->event_query(ev), 0); /* still running */
  t = odeon__now();
  assert_status(o->event_wait(ev, odeon__now() + 0.02), ODEON_E_TIMEOUT);
  double waited = odeon__now() - t;
  assert_true(waited >= 0.015 && waited < 0.5);
  assert_error_contains("did not reach the event");
  assert_ok(o->event_wait(ev, odeon__now() + 30));
  assert_int_equal(o->event_query(ev), 1);
  for (unsigned i = 0; i < 8; i++)
    assert_int_equal(st[i], i + 1);
  o->event_destroy(f->be, ev);
  assert_ok(o->stream_destroy(f->be, s));
  o->dev_free(f->be, st);
}

/* 32-bit fills, plain and strided: a float row, and a double row set as
   two interleaved word fills (the engine's uniform inputs). */
static void fill32(void **state) {
  fixture *f = *state;
  const odeon__backend_ops *o = f->be->ops;
  odeon__stream *s;
  odeon__event *ev;
  assert_ok(o->stream_create(f->be, &s));
  assert_ok(o->event_create(f->be, &ev));
  float fl[37];
  double db[41];
  void *d;
  assert_ok(o->dev_alloc(f->be, sizeof fl + sizeof db, &d));
  float x = -0.4125f;
  double y = 2.385;
  unsigned int xb, yw[2];
  memcpy(&xb, &x, 4);
  memcpy(yw, &y, 8);
  unsigned char *df = d, *dd = (unsigned char *)d + sizeof fl;
  assert_ok(o->fill32_async(s, df, 0, xb, 37, 1));
  assert_ok(o->fill32_async(s, dd, 8, yw[0], 1, 41));
  assert_ok(o->fill32_async(s, dd + 4, 8, yw[1], 1, 41));
  assert_ok(o->copy_d2h_async(s, fl, df, sizeof fl));
  assert_ok(o->copy_d2h_async(s, db, dd, sizeof db));
  assert_ok(o->event_record(ev, s));
  assert_ok(o->event_wait(ev, odeon__now() + 10));
  for (int i = 0; i < 37; i++)
    assert_true(fl[i] == x);
  for (int i = 0; i < 41; i++)
    assert_true(db[i] == y);
  assert_status(o->fill32_async(s, df + 2, 0, xb, 1, 1), ODEON_E_INVAL);
  assert_error_contains("not 4-byte aligned");
  o->event_destroy(f->be, ev);
  assert_ok(o->stream_destroy(f->be, s));
  o->dev_free(f->be, d);
}

static void fifo_order_and_sticky_errors(void **state) {
  fixture *f = *state;
  const odeon__backend_ops *o = f->be->ops;
  odeon__stream *s;
  odeon__event *ev;
  assert_ok(o->stream_create(f->be, &s));
  assert_ok(o->event_create(f->be, &ev));
  double src[64], back[64], zero[64];
  for (int i = 0; i < 64; i++)
    src[i] = 2.385 * i;
  void *d;
  assert_ok(o->dev_alloc(f->be, sizeof src, &d));
  for (int round = 0; round < 20; round++) {
    memset(back, 0xff, sizeof back);
    memset(zero, 0xff, sizeof zero);
    assert_ok(o->copy_h2d_async(s, d, src, sizeof src));
    assert_ok(o->copy_d2h_async(s, back, d, sizeof back));
    assert_ok(o->fill32_async(s, d, 0, 0u, sizeof src / 4, 1));
    assert_ok(o->copy_d2h_async(s, zero, d, sizeof zero));
    assert_ok(o->event_record(ev, s));
    assert_ok(o->event_wait(ev, odeon__now() + 10));
    assert_memory_equal(back, src, sizeof src);
    for (int i = 0; i < 64; i++)
      assert_true(zero[i] == 0.0);
  }
  /* a failed copy is sticky: this and every later event report it */
  odeon__fault_arm(ODEON__FAULT_COPY, 1, 1);
  assert_ok(o->copy_h2d_async(s, d, src, sizeof src));
  assert_ok(o->event_record(ev, s));
  assert_status(o->event_wait(ev, odeon__now() + 10), ODEON_E_BACKEND);
  assert_error_contains("host-to-device copy failed");
  odeon__fault_reset();
  assert_ok(o->fill32_async(s, d, 0, 0u, sizeof src / 4, 1));
  assert_ok(o->event_record(ev, s));
  assert_status(o->event_wait(ev, odeon__now() + 10), ODEON_E_BACKEND);
  assert_true(o->event_query(ev) < 0);
  o->event_destroy(f->be, ev);
  assert_ok(o->stream_destroy(f->be, s));
  o->dev_free(f->be, d);
}

static void destroy_busy_stream(void **state) {
  fixture *f = *state;
  const odeon__backend_ops *o = f->be->ops;
  odeon__stream *s;
  odeon__event *ev;
  assert_ok(o->stream_create(f->be, &s));
  assert_ok(o->event_create(f->be, &ev));
  unsigned *st;
  void *mem = NULL;
  assert_ok(o->dev_alloc(f->be, 64 * sizeof *st, &mem));
  st = mem;
  odeon_kernel_args a = {0};
  a.n = 64;
  a.max_steps = 4000000; /* blocks of 4 runs: tens of ms each */
  a.status = st;
  for (int i = 0; i < 5; i++)
    assert_ok(o->launch_async(s, f->slow, &a)); /* about a second of work */
  assert_ok(o->event_record(ev, s));
  double t = odeon__now();
  assert_ok(o->stream_destroy(f->be, s));
  assert_true(odeon__now() - t < 1.0);
  /* the discarded record still wakes its waiters, with a reason: the
     running launch was cancelled, or (not started yet) the queue dropped */
  assert_status(o->event_wait(ev, odeon__now() + 1), ODEON_E_CANCELLED);
  assert_true(strstr(odeon_last_error(), "destroyed") ||
              strstr(odeon_last_error(), "launch cancelled"));
  o->event_destroy(f->be, ev);
  o->dev_free(f->be, st);
}

static int count_files(const char *dir, const char *suffix) {
  DIR *d = opendir(dir);
  int n = 0;
  size_t ls = strlen(suffix);
  for (struct dirent *e; d && (e = readdir(d));) {
    size_t l = strlen(e->d_name);
    n += l > ls && !strcmp(e->d_name + l - ls, suffix);
  }
  if (d)
    closedir(d);
  return n;
}

static void compile_errors(void **state) {
  fixture *f = *state;
  odeon__module *m = NULL;
  odeon__module_source bad = {"int odeon_kernel_cpu(void) { return oops; }\n",
                              "broken", 8, 0, 0};
  assert_status(f->be->ops->module_load(f->be, &bad, f->cache, &m),
                ODEON_E_COMPILE);
  assert_null(m);
  assert_error_contains("broken");
  assert_error_contains("oops"); /* the compiler's own message */
  odeon__module_source noentry = {"int unrelated_symbol = 2385;\n", "noentry",
                                  8, 0, 0};
  assert_status(f->be->ops->module_load(f->be, &noentry, f->cache, &m),
                ODEON_E_COMPILE);
  assert_error_contains("lacks odeon_kernel_cpu");
  /* a compiler that is not there ($CC wins over the configured one; the
     source is new, so no cached object hides the missing compiler) */
  char fresh[1024];
  snprintf(fresh, sizeof fresh, "%s\nconst int no_cc_%ld = 1;\n", slow_src,
           (long)getpid());
  odeon__module_source nocc = {fresh, "no-compiler", 8, 0, 0};
  setenv("CC", "/nonexistent/odeon-test-cc", 1);
  int st = f->be->ops->module_load(f->be, &nocc, f->cache, &m);
  unsetenv("CC");
  assert_status(st, ODEON_E_COMPILE);
  assert_error_contains("cannot run the C compiler");
  odeon__module_source wrong = {slow_src, "wrong-precision", 4, 0, 0};
  assert_status(f->be->ops->module_load(f->be, &wrong, f->cache, &m),
                ODEON_E_COMPILE);
  assert_error_contains("real bytes");
}

typedef struct compile_job {
  odeon__backend *be;
  const char *cache;
  const char *text;
  int status;
  long long info1;
} compile_job;

static void *compile_main(void *arg) {
  compile_job *j = arg;
  odeon__module_source src = {j->text, "race", 8, 0, 0};
  odeon__module *m = NULL;
  j->status = j->be->ops->module_load(j->be, &src, j->cache, &m);
  if (!j->status) {
    long long info[ODEON_INFO_LEN];
    j->be->ops->module_info(m, info);
    j->info1 = info[ODEON_INFO_REAL_BYTES];
    j->be->ops->module_unload(j->be, m);
  }
  return NULL;
}

static void cache_and_concurrent_compiles(void **state) {
  fixture *f = *state;
  int before = count_files(f->cache, ".so");
  /* a kernel nobody compiled before (a fresh constant in its text) */
  char text[1024];
  snprintf(text, sizeof text, "%s\nconst long long fresh_%ld_%ld = 1;\n",
           slow_src, (long)getpid(), (long)(odeon__now() * 1e6));
  compile_job jobs[4];
  pthread_t tid[4];
  for (int i = 0; i < 4; i++) {
    jobs[i] = (compile_job){f->be, f->cache, text, -1, 0};
    assert_int_equal(pthread_create(&tid[i], NULL, compile_main, &jobs[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(tid[i], NULL);
    assert_ok(jobs[i].status);
    assert_int_equal(jobs[i].info1, 8);
  }
  assert_int_equal(count_files(f->cache, ".so"), before + 1);
  assert_int_equal(count_files(f->cache, ".tmp"), 0);
  /* the second load is a cache hit: no compiler, so fast */
  double t = odeon__now();
  compile_job again = {f->be, f->cache, text, -1, 0};
  compile_main(&again);
  assert_ok(again.status);
  assert_true(odeon__now() - t < 0.05);
  assert_int_equal(count_files(f->cache, ".so"), before + 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(device_budget),
      cmocka_unit_test(asynchronous_with_deadlines),
      cmocka_unit_test(fifo_order_and_sticky_errors),
      cmocka_unit_test(fill32),
      cmocka_unit_test(destroy_busy_stream),
      cmocka_unit_test(compile_errors),
      cmocka_unit_test(cache_and_concurrent_compiles),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
