/* pipeline_cpu.c - benchmark: what the chunked pipeline costs on the CPU
 * against one plain loop of the same kernel over the same runs (goal: within
 * 5 %), and the .npy file sink's write throughput against dd writing the
 * same number of bytes to the same folder, measured in the same run.
 * usage: pipeline_cpu [runs_log2 (16)] [sink MiB (512)] [dir (.)]
 * Prints a table last. */
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tests/pipeline/pipeline_kernel.h"
#include "engine/sink.h"

#define REPS 5

typedef struct row {
  char what[64];
  double seconds;
  double cpu;  /* CPU seconds of the whole process (all threads), or 0 */
  double rate; /* runs/s or MB/s */
  const char *unit;
  double ratio;
} row;

static row rows[16];
static int n_rows;

/* CPU seconds used so far by every thread of this process: on a shared,
   loaded machine the work a case does is steadier than its wall time. */
static double cpu_now(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec +
         (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

static double last_cpu; /* CPU seconds of the last timed case */

static void add(const char *what, double s, double rate, const char *unit,
                double ratio) {
  row *r = &rows[n_rows++];
  snprintf(r->what, sizeof r->what, "%s", what);
  r->seconds = s;
  r->cpu = 0;
  r->rate = rate;
  r->unit = unit;
  r->ratio = ratio;
}

/* The plain loop: the kernel over every run, split over `threads` threads
   by contiguous ranges, outputs written in place (no chunks, no copies). */
typedef struct plain {
  odeon__module *mod;
  odeon_kernel_args a;
  long long b, e;
} plain;

static void *plain_main(void *p) {
  plain *w = p;
  w->mod->entry(&w->a, w->b, w->e);
  return NULL;
}

static double plain_loop(pk_env *env, long long rows_, long long nk,
                         long long nc, double dt, int threads) {
  long long n = rows_ * nk * nc;
  size_t nn = (size_t)n;
  double *y0 = malloc(2 * nn * 8), *p = malloc(2 * nn * 8);
  double *carry = malloc(6 * nn * 8), *state = malloc(PK_SAMPLES * 2 * nn * 8);
  double *obs = malloc(PK_SAMPLES * nn * 8),
         *sum = malloc(PK_WINDOWS * 2 * nn * 8);
  unsigned *status = malloc(nn * 4);
  long long *cnt = malloc(nn * 8);
  for (long long r = 0; r < n; r++) {
    y0[r] = pk_x0(r / (nk * nc));
    y0[n + r] = PK_V0;
    p[r] = pk_k((r / nc) % nk);
    p[n + r] = pk_c(r % nc);
  }
  odeon_kernel_args a = {0};
  a.n = n;
  a.y0 = y0;
  a.params = p;
  a.t0 = PK_T0;
  a.settle = PK_SETTLE;
  a.duration = PK_DURATION;
  a.save_every = PK_SAVE;
  a.summarise_every = PK_SUMMARISE;
  a.dt = dt;
  a.n_samples = PK_SAMPLES;
  a.n_windows = PK_WINDOWS;
  a.sample_end = PK_SAMPLES;
  a.window_end = PK_WINDOWS;
  a.out_state = state;
  a.out_obs = obs;
  a.out_summary = sum;
  a.status = status;
  a.counters = cnt;
  a.carry = carry;
  pthread_t tid[64];
  plain w[64];
  double c0 = cpu_now();
  double t = odeon__now();
  for (int i = 0; i < threads; i++) {
    w[i] = (plain){env->mod, a, n * i / threads, n * (i + 1) / threads};
    pthread_create(&tid[i], NULL, plain_main, &w[i]);
  }
  for (int i = 0; i < threads; i++)
    pthread_join(tid[i], NULL);
  t = odeon__now() - t;
  last_cpu = cpu_now() - c0;
  free(y0);
  free(p);
  free(carry);
  free(state);
  free(obs);
  free(sum);
  free(status);
  free(cnt);
  return t;
}

static double pipeline(pk_env *env, const odeon_grid_t *g, double dt,
                       const odeon_dest_t *dest) {
  odeon__engine_request req;
  pk_request(&req, env, g);
  req.base.dt = dt;
  req.dest = dest;
  req.timeout = 600;
  odeon_result_t *res = NULL;
  double c0 = cpu_now();
  double t = odeon__now();
  int st = odeon__engine_solve(&req, &res);
  t = odeon__now() - t;
  last_cpu = cpu_now() - c0;
  if (st) {
    fprintf(stderr, "solve failed: %s\n", odeon_last_error());
    exit(1);
  }
  odeon_result_destroy(res);
  return t;
}

/* Best of `reps` alternating runs of two cases: alternating keeps a load
   change on this shared machine from favouring either side. */
static void best_of_pair(int reps, double (*fa)(void *), double (*fb)(void *),
                         void *ctx, double *ta, double *tb, double *ca,
                         double *cb) {
  *ta = *tb = *ca = *cb = 1e300;
  for (int i = 0; i < reps; i++) {
    double a = fa(ctx), a_cpu = last_cpu;
    double b = fb(ctx), b_cpu = last_cpu;
    *ta = a < *ta ? a : *ta;
    *tb = b < *tb ? b : *tb;
    *ca = a_cpu < *ca ? a_cpu : *ca;
    *cb = b_cpu < *cb ? b_cpu : *cb;
  }
}

typedef struct cfg {
  pk_env *env;
  const odeon_grid_t *g;
  long long rows, nk, nc;
  double dt;
  int threads;
} cfg;

static double run_plain(void *c_) {
  cfg *c = c_;
  return plain_loop(c->env, c->rows, c->nk, c->nc, c->dt, c->threads);
}
static double run_pipe(void *c_) {
  cfg *c = c_;
  return pipeline(c->env, c->g, c->dt, NULL);
}

/* The sink: an array [rows][runs] of doubles written chunk by chunk the way
   the writeback thread writes it, then flushed to disk (fsync), as dd's
   conv=fdatasync does. */
static double sink_write(const char *path, long long mib, long long chunk) {
  long long runs = 1 << 20, nrows = mib * (1 << 20) / 8 / runs;
  int64_t shape[2] = {nrows, runs};
  double *buf = malloc((size_t)(nrows * chunk) * 8);
  for (long long i = 0; i < nrows * chunk; i++)
    buf[i] = 2.385 * (double)i;
  odeon__sink s;
  double t = odeon__now();
  if (odeon__sink_file(&s, path, "<f8", 2, shape, 8)) {
    fprintf(stderr, "%s\n", odeon_last_error());
    exit(1);
  }
  for (long long first = 0; first < runs; first += chunk)
    for (long long r = 0; r < nrows; r++)
      if (odeon__sink_write(&s, (uint64_t)(r * runs + first), buf + r * chunk,
                            (size_t)chunk)) {
        fprintf(stderr, "%s\n", odeon_last_error());
        exit(1);
      }
  if (odeon__sink_close(&s, 1)) {
    fprintf(stderr, "%s\n", odeon_last_error());
    exit(1);
  }
  int fd = open(path, O_RDONLY);
  fsync(fd);
  close(fd);
  t = odeon__now() - t;
  free(buf);
  unlink(path);
  return t;
}

static double dd_write(const char *path, long long mib) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "dd if=/dev/zero of='%s' bs=1M count=%lld conv=fdatasync "
           "status=none",
           path, mib);
  double t = odeon__now();
  if (system(cmd)) {
    fprintf(stderr, "dd failed\n");
    exit(1);
  }
  t = odeon__now() - t;
  unlink(path);
  return t;
}

int main(int argc, char **argv) {
  int lg = argc > 1 ? atoi(argv[1]) : 16;
  long long mib = argc > 2 ? atoll(argv[2]) : 512;
  const char *dir = argc > 3 ? argv[3] : ".";
  long long nc = 64, nk = 64, rws = (1LL << lg) / (nk * nc);
  if (rws < 1)
    rws = 1;
  long long runs = rws * nk * nc;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  printf("pipeline_cpu: %lld runs, %d samples, %ld cores\n", runs, PK_SAMPLES,
         ncpu);
  odeon_grid_t *g = pk_grid(rws, nk, nc);
  char label[64];
  int thread_counts[2] = {1, (int)ncpu};
  for (int ti = 0; ti < (ncpu > 1 ? 2 : 1); ti++) {
    int th = thread_counts[ti];
    pk_env env;
    if (pk_open(&env, th, 0, 8, 600)) {
      fprintf(stderr, "%s\n", odeon_last_error());
      return 1;
    }
    double dts[2] = {PK_DT, PK_DT / 10};
    for (int di = 0; di < 2; di++) {
      cfg c = {&env, g, rws, nk, nc, dts[di], th};
      double tp, te, cp, ce;
      best_of_pair(REPS, run_plain, run_pipe, &c, &tp, &te, &cp, &ce);
      snprintf(label, sizeof label, "plain loop, %d thr, %s", th,
               di ? "2000 steps" : "200 steps");
      add(label, tp, (double)runs / tp, "runs/s", 1.0);
      rows[n_rows - 1].cpu = cp;
      snprintf(label, sizeof label, "pipeline,   %d thr, %s", th,
               di ? "2000 steps" : "200 steps");
      add(label, te, (double)runs / te, "runs/s", te / tp);
      rows[n_rows - 1].cpu = ce;
    }
    pk_close(&env);
  }
  char path[900];
  snprintf(path, sizeof path, "%s/pipeline_cpu_sink_%ld.npy", dir,
           (long)getpid());
  {
    /* the whole pipeline into a .npy file sink, against the same solve
       into memory */
    pk_env env;
    if (pk_open(&env, (int)ncpu, 0, 8, 600)) {
      fprintf(stderr, "%s\n", odeon_last_error());
      return 1;
    }
    odeon_dest_t dest = {0};
    dest.kind = ODEON_DEST_FILE;
    dest.path = path;
    double tm = 1e300, tf = 1e300;
    for (int i = 0; i < REPS; i++) {
      double a = pipeline(&env, g, PK_DT, NULL);
      double b = pipeline(&env, g, PK_DT, &dest);
      tm = a < tm ? a : tm;
      tf = b < tf ? b : tf;
    }
    /* the file sink writes the observables and summaries beside it */
    static const char *const sides[] = {"", "-observables", "-summaries"};
    for (int k = 0; k < 3; k++) {
      char side[960];
      snprintf(side, sizeof side, "%.*s%s.npy", (int)strlen(path) - 4, path,
               sides[k]);
      unlink(side);
    }
    snprintf(label, sizeof label, "pipeline -> memory, %ld thr", ncpu);
    add(label, tm, (double)runs / tm, "runs/s", 1.0);
    snprintf(label, sizeof label, "pipeline -> .npy file, %ld thr", ncpu);
    add(label, tf, (double)runs / tf, "runs/s", tf / tm);
    pk_close(&env);
  }
  double tdd = 1e300, ts[2] = {1e300, 1e300};
  long long chunks[2] = {4096, 65536};
  for (int r = 0; r < REPS; r++) {
    double t = dd_write(path, mib);
    tdd = t < tdd ? t : tdd;
    for (int i = 0; i < 2; i++) {
      t = sink_write(path, mib, chunks[i]);
      ts[i] = t < ts[i] ? t : ts[i];
    }
  }
  add("dd bs=1M conv=fdatasync", tdd, (double)mib / tdd, "MiB/s", 1.0);
  for (int i = 0; i < 2; i++) {
    snprintf(label, sizeof label, "npy sink, chunks of %lld runs", chunks[i]);
    add(label, ts[i], (double)mib / ts[i], "MiB/s", ts[i] / tdd);
  }
  odeon_grid_destroy(g);

  /* "vs base": wall time over the row above it that has ratio 1; "cpu vs
     base": the same for CPU seconds (pipeline rows only). */
  printf("\n%-36s %10s %14s %8s %9s %11s\n", "case", "seconds", "rate",
         "vs base", "cpu s", "cpu vs base");
  double base_cpu = 0;
  for (int i = 0; i < n_rows; i++) {
    if (rows[i].ratio == 1.0)
      base_cpu = rows[i].cpu;
    printf("%-36s %10.4f %10.4g %-6s %7.3f", rows[i].what, rows[i].seconds,
           rows[i].rate, rows[i].unit, rows[i].ratio);
    if (rows[i].cpu > 0)
      printf(" %9.4f %11.3f", rows[i].cpu,
             base_cpu > 0 ? rows[i].cpu / base_cpu : 0.0);
    printf("\n");
  }
  return 0;
}
