/* pipeline_kernel.h - a real kernel for the pipeline tests and benchmark,
 * written to the kernel_args.h contract (windows, carry, resume) and built
 * through the CPU backend's real module_load path (system cc + dlopen): a
 * forced, damped oscillator x'' = -k x - c x' + F cos(t) integrated with
 * classical RK4 at a fixed step, saving both states, one observable (the
 * energy), two summaries per window (mean x, max |v|) and a step counter.
 * Also: a plain single-loop reference over the same runs, with the inputs
 * computed independently of the grid code, for bitwise comparisons. */
#ifndef ODEON_TESTS_PIPELINE_KERNEL_H
#define ODEON_TESTS_PIPELINE_KERNEL_H

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "backend/cpu/cpu.h"
#include "engine/engine.h"
#include "engine/grid.h"
#include "engine/result.h"

static const char pk_kernel_body[] =
    "#include \"real.h\"\n"
    "#include \"kernel_args.h\"\n"
    "#define F_AMP 0.3\n"
    "const long long odeon_kernel_info[ODEON_INFO_LEN] = {\n"
    "  ODEON_KERNEL_ABI, (long long)sizeof(odeon_real), 2, 2, 1, 0, 2, 1,\n"
    "  2, 1, 6, 4, 0};\n"
    "static void rhs(double t, const odeon_real *y, odeon_real k,\n"
    "                odeon_real c, odeon_real *dy) {\n"
    "  dy[0] = y[1];\n"
    "  dy[1] = -k * y[0] - c * y[1] + (odeon_real)(F_AMP * cos(t));\n"
    "}\n"
    "static void rk4(double t, double h, odeon_real *y, odeon_real k,\n"
    "                odeon_real c) {\n"
    "  odeon_real k1[2], k2[2], k3[2], k4[2], tmp[2];\n"
    "  odeon_real hr = (odeon_real)h;\n"
    "  rhs(t, y, k, c, k1);\n"
    "  for (int j = 0; j < 2; j++) tmp[j] = y[j] + hr * 0.5f * k1[j];\n"
    "  rhs(t + 0.5 * h, tmp, k, c, k2);\n"
    "  for (int j = 0; j < 2; j++) tmp[j] = y[j] + hr * 0.5f * k2[j];\n"
    "  rhs(t + 0.5 * h, tmp, k, c, k3);\n"
    "  for (int j = 0; j < 2; j++) tmp[j] = y[j] + hr * k3[j];\n"
    "  rhs(t + h, tmp, k, c, k4);\n"
    "  for (int j = 0; j < 2; j++)\n"
    "    y[j] += hr / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);\n"
    "}\n"
    "void odeon_kernel_cpu(const odeon_kernel_args *a, long long begin,\n"
    "                      long long end) {\n"
    "  const odeon_real *y0 = a->y0, *p = a->params;\n"
    "  odeon_real *os = a->out_state, *oo = a->out_obs, *om = a->out_summary;\n"
    "  long long n = a->n, ns = a->n_samples;\n"
    "  double start = a->t0 + a->settle, h = a->dt;\n"
    "  double gap = a->save_every > 0 ? a->save_every : a->duration;\n"
    "  long long m = (long long)floor(gap / h + 0.5);\n"
    "  long long r = a->save_every > 0 && a->summarise_every > 0\n"
    "      ? (long long)floor(a->summarise_every / a->save_every + 0.5)\n"
    "      : ns - 1;\n"
    "  for (long long i = begin; i < end; i++) {\n"
    "    odeon_real y[2], k = p[i], c = p[n + i];\n"
    "    long long next, steps;\n"
    "    double acc, mx;\n"
    "    if (!a->resume) {\n"
    "      y[0] = y0[i]; y[1] = y0[n + i];\n"
    "      long long ms = (long long)floor(a->settle / h + 0.5);\n"
    "      for (long long s = 0; s < ms; s++) rk4(a->t0 + s * h, h, y, k, c);\n"
    "      next = 0; steps = ms; acc = 0; mx = 0;\n"
    "    } else {\n"
    "      y[0] = (odeon_real)a->carry[i]; y[1] = (odeon_real)a->carry[n + "
    "i];\n"
    "      next = (long long)a->carry[2 * n + i];\n"
    "      steps = (long long)a->carry[3 * n + i];\n"
    "      acc = a->carry[4 * n + i]; mx = a->carry[5 * n + i];\n"
    "    }\n"
    "    for (; next < a->sample_end; next++) {\n"
    "      if (next > 0) {\n"
    "        double tb = a->save_every > 0 ? start + (next - 1) * "
    "a->save_every\n"
    "                                      : start;\n"
    "        for (long long s = 0; s < m; s++) rk4(tb + s * h, h, y, k, c);\n"
    "        steps += m;\n"
    "      }\n"
    "      long long row = next - a->sample_begin;\n"
    "      if (os) { os[(row * 2) * n + i] = y[0];\n"
    "                os[(row * 2 + 1) * n + i] = y[1]; }\n"
    "      if (oo) oo[row * n + i] = 0.5f * y[1] * y[1] + 0.5f * k * y[0] * "
    "y[0];\n"
    "      if (next > 0 && r > 0) {\n"
    "        acc += y[0];\n"
    "        mx = fmax(mx, fabs((double)y[1]));\n"
    "        if (next % r == 0) {\n"
    "          long long w = next / r - 1;\n"
    "          if (om && w >= a->window_begin && w < a->window_end) {\n"
    "            om[((w - a->window_begin) * 2) * n + i] = (odeon_real)(acc / "
    "r);\n"
    "            om[((w - a->window_begin) * 2 + 1) * n + i] = "
    "(odeon_real)mx;\n"
    "          }\n"
    "          acc = 0; mx = 0;\n"
    "        }\n"
    "      }\n"
    "    }\n"
    "    if (a->carry) {\n"
    "      a->carry[i] = y[0]; a->carry[n + i] = y[1];\n"
    "      a->carry[2 * n + i] = (double)next; a->carry[3 * n + i] = "
    "(double)steps;\n"
    "      a->carry[4 * n + i] = acc; a->carry[5 * n + i] = mx;\n"
    "    }\n"
    "    a->status[i] = isfinite(y[0]) && isfinite(y[1]) ? 0u : 4u;\n"
    "    if (a->counters) a->counters[i] = steps;\n"
    "  }\n"
    "}\n";

/* The solve every pipeline test uses: 2 states, 2 parameters. */
#define PK_T0 0.25
#define PK_SETTLE 0.5
#define PK_DURATION 2.0
#define PK_SAVE 0.1
#define PK_SUMMARISE 0.5
#define PK_DT 0.0125
#define PK_SAMPLES 21
#define PK_WINDOWS 4

typedef struct pk_env {
  odeon__backend *be;
  odeon__module *mod;
  long long info[ODEON_INFO_LEN];
  int rb;
  double times[PK_SAMPLES];
} pk_env;

/* Build the kernel source for a precision; caller frees. */
static inline char *pk_source(int real_bytes) {
  const char *pre = real_bytes == 4 ? "#define ODEON_REAL_IS_FLOAT 1\n" : "";
  char *s = malloc(strlen(pre) + sizeof pk_kernel_body);
  if (s) {
    strcpy(s, pre);
    strcat(s, pk_kernel_body);
  }
  return s;
}

static inline int pk_open(pk_env *env, int threads, size_t budget,
                          int real_bytes, double timeout) {
  memset(env, 0, sizeof *env);
  odeon__backend_config cfg = {0};
  cfg.threads = threads;
  cfg.mem_budget = budget;
  cfg.timeout = timeout;
  int st = odeon__backend_cpu_create(&cfg, &env->be);
  if (st)
    return st;
  char *text = pk_source(real_bytes);
  odeon__module_source src = {text, "pipeline-test", real_bytes, 0, 0};
  st = env->be->ops->module_load(env->be, &src, NULL, &env->mod);
  free(text);
  if (!st)
    st = env->be->ops->module_info(env->mod, env->info);
  env->rb = real_bytes;
  for (int k = 0; k < PK_SAMPLES; k++)
    env->times[k] = PK_T0 + PK_SETTLE + k * PK_SAVE;
  return st;
}

static inline void pk_close(pk_env *env) {
  if (env->mod)
    env->be->ops->module_unload(env->be, env->mod);
  if (env->be)
    env->be->ops->destroy(env->be);
  memset(env, 0, sizeof *env);
}

/* The test grid: x0 a verbatim column of `rows` values, v0 broadcast,
 * k swept over nk values, c swept over nc values (fastest). */
static const char *const pk_names[] = {"x", "v", "k", "c"};
static inline double pk_x0(long long row) {
  return 1.385 - 0.0173 * (double)row;
}
static inline double pk_k(long long i) { return 2.385 + 0.731 * (double)i; }
static inline double pk_c(long long i) { return 0.0375 + 0.0519 * (double)i; }
#define PK_V0 (-0.4125)

static inline odeon_grid_t *pk_grid(long long rows, long long nk,
                                    long long nc) {
  odeon_grid_t *g = NULL;
  double sd[2] = {0.0, 0.0}, pd[2] = {1.0, 0.1};
  if (odeon__grid_create_vars(2, pk_names, sd, 2, pk_names + 2, pd, &g))
    return NULL;
  double *buf = malloc(sizeof(double) * (size_t)(rows + nk + nc + 1));
  for (long long i = 0; i < rows; i++)
    buf[i] = pk_x0(i);
  int st = odeon_grid_column(g, "x", buf, rows);
  double v0 = PK_V0;
  st = st ? st : odeon_grid_column(g, "v", &v0, 1);
  for (long long i = 0; i < nk; i++)
    buf[i] = pk_k(i);
  st = st ? st : odeon_grid_sweep(g, "k", buf, nk);
  for (long long i = 0; i < nc; i++)
    buf[i] = pk_c(i);
  st = st ? st : odeon_grid_sweep(g, "c", buf, nc);
  free(buf);
  if (st) {
    odeon_grid_destroy(g);
    return NULL;
  }
  return g;
}

static inline void pk_request(odeon__engine_request *req, pk_env *env,
                              const odeon_grid_t *grid) {
  static const char *const state_labels[] = {"x", "v"};
  static const char *const obs_labels[] = {"energy"};
  static const char *const cnt_labels[] = {"steps"};
  static const char *const sum_labels[] = {"mean(x)", "max_abs(v)"};
  memset(req, 0, sizeof *req);
  req->backend = env->be;
  req->module = env->mod;
  memcpy(req->info, env->info, sizeof req->info);
  req->base.t0 = PK_T0;
  req->base.settle = PK_SETTLE;
  req->base.duration = PK_DURATION;
  req->base.save_every = PK_SAVE;
  req->base.summarise_every = PK_SUMMARISE;
  req->base.dt = PK_DT;
  req->base.n_samples = PK_SAMPLES;
  req->base.n_windows = PK_WINDOWS;
  req->grid = grid;
  req->sample_times = env->times;
  req->n_samples = PK_SAMPLES;
  req->n_windows = PK_WINDOWS;
  req->state_labels = state_labels;
  req->obs_labels = obs_labels;
  req->counter_labels = cnt_labels;
  req->summary_labels = sum_labels;
  req->outputs = ODEON_OUT_STATE | ODEON_OUT_OBSERVABLES | ODEON_OUT_TIME |
                 ODEON_OUT_STATUS | ODEON_OUT_COUNTERS | ODEON_OUT_SUMMARIES;
  req->timeout = 30;
}

/* The reference: one plain call of the kernel over every run, inputs made
 * here from the grid's definition (not from the grid code). Arrays are
 * malloc'ed in *ref (state, obs, summary, status, counters). */
typedef struct pk_ref {
  long long runs;
  void *state, *obs, *sum;
  unsigned *status;
  long long *cnt;
} pk_ref;

static inline int pk_reference(const pk_env *env, long long rows, long long nk,
                               long long nc, pk_ref *ref) {
  long long n = rows * nk * nc;
  size_t rb = (size_t)env->rb, nn = (size_t)n;
  memset(ref, 0, sizeof *ref);
  ref->runs = n;
  unsigned char *y0 = malloc(2 * nn * rb), *p = malloc(2 * nn * rb);
  double *carry = malloc(6 * nn * sizeof(double));
  ref->state = malloc(PK_SAMPLES * 2 * nn * rb);
  ref->obs = malloc(PK_SAMPLES * nn * rb);
  ref->sum = malloc(PK_WINDOWS * 2 * nn * rb);
  ref->status = malloc(nn * 4);
  ref->cnt = malloc(nn * 8);
  if (!y0 || !p || !carry || !ref->state || !ref->obs || !ref->sum ||
      !ref->status || !ref->cnt)
    return ODEON_E_NOMEM;
  for (long long r = 0; r < n; r++) {
    double v[4] = {pk_x0(r / (nk * nc)), PK_V0, pk_k((r / nc) % nk),
                   pk_c(r % nc)};
    for (int j = 0; j < 4; j++) {
      unsigned char *dst = (j < 2 ? y0 : p) + ((size_t)(j % 2) * nn + r) * rb;
      if (rb == 8)
        memcpy(dst, &v[j], 8);
      else {
        float f = (float)v[j];
        memcpy(dst, &f, 4);
      }
    }
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
  a.dt = PK_DT;
  a.n_samples = PK_SAMPLES;
  a.n_windows = PK_WINDOWS;
  a.sample_end = PK_SAMPLES;
  a.window_end = PK_WINDOWS;
  a.out_state = ref->state;
  a.out_obs = ref->obs;
  a.out_summary = ref->sum;
  a.status = ref->status;
  a.counters = ref->cnt;
  a.carry = carry;
  env->mod->entry(&a, 0, n);
  free(y0);
  free(p);
  free(carry);
  return ODEON_OK;
}

static inline void pk_ref_free(pk_ref *ref) {
  free(ref->state);
  free(ref->obs);
  free(ref->sum);
  free(ref->status);
  free(ref->cnt);
  memset(ref, 0, sizeof *ref);
}

/* 0 when every output of the result equals the reference bit for bit;
 * else the number of the first output that differs (1 state .. 5 counters). */
static inline int pk_compare(const odeon_result_t *res, const pk_ref *ref,
                             int rb) {
  size_t nn = (size_t)ref->runs;
  struct {
    odeon__out_id id;
    const void *want;
    size_t bytes;
  } outs[] = {
      {ODEON__OUT_STATE, ref->state, PK_SAMPLES * 2 * nn * (size_t)rb},
      {ODEON__OUT_OBS, ref->obs, PK_SAMPLES * nn * (size_t)rb},
      {ODEON__OUT_SUMMARIES, ref->sum, PK_WINDOWS * 2 * nn * (size_t)rb},
      {ODEON__OUT_STATUS, ref->status, nn * 4},
      {ODEON__OUT_COUNTERS, ref->cnt, nn * 8},
  };
  for (int i = 0; i < 5; i++) {
    const void *got = res->out[outs[i].id].data;
    if (!got || odeon__result_bytes(res, outs[i].id) != outs[i].bytes ||
        memcmp(got, outs[i].want, outs[i].bytes))
      return i + 1;
  }
  return 0;
}

/* Threads of this process (entries of /proc/self/task). */
static inline int pk_threads(void) {
  DIR *d = opendir("/proc/self/task");
  int n = 0;
  if (!d)
    return -1;
  for (struct dirent *e; (e = readdir(d));)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* Threads of this process once joined threads have left /proc: the kernel
 * reaps a thread shortly after pthread_join returns, so the count is read
 * again for up to a second until it drops to `expected`. */
static inline int pk_threads_settled(int expected) {
  int n = pk_threads();
  for (int i = 0; i < 1000 && n > expected; i++) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    n = pk_threads();
  }
  return n;
}

#endif
