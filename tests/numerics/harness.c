/* harness.c - the numerics tests' kernel builder and solve driver: real
 * code generation, the system C compiler, dlopen and the kernel's own entry
 * point, as the CPU backend uses them (see harness.h). */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

const char nh_lorenz_model[] = "states: x = 1, y = 0, z = 0\n"
                               "parameters: rho = 21\n"
                               "constants: sigma = 10, beta = 8/3\n"
                               "dx = sigma*(y - x)\n"
                               "dy = x*(rho - z) - y\n"
                               "dz = x*y - beta*z\n";

static unsigned long long fnv1a(unsigned long long h, const char *s) {
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ull;
  }
  return h;
}

/* Hash of the source and of every core header it may include, so that a
 * changed header never reuses a stale cached kernel. */
static unsigned long long source_hash(const char *src) {
  unsigned long long h = fnv1a(1469598103934665603ull, src);
  DIR *d = opendir(ODEON_SOURCE_DIR "/src/core");
  struct dirent *e;
  char path[2048], buf[4096];
  while (d && (e = readdir(d))) {
    if (!strstr(e->d_name, ".h"))
      continue;
    snprintf(path, sizeof path, "%s/src/core/%s", ODEON_SOURCE_DIR, e->d_name);
    h = fnv1a(h, e->d_name);
    FILE *f = fopen(path, "rb");
    size_t n;
    while (f && (n = fread(buf, 1, sizeof buf - 1, f)) > 0) {
      buf[n] = '\0';
      h = fnv1a(h, buf);
    }
    if (f)
      fclose(f);
  }
  if (d)
    closedir(d);
  return h;
}

int nh_build(const char *model_text, const odeon_options_t *o, nh_kernel *k) {
  memset(k, 0, sizeof *k);
  int rc = odeon_model_from_string(model_text, "test-model", &k->model);
  if (rc)
    return rc;
  rc = odeon__kernel_config_init(k->model, o, &k->cfg);
  if (rc)
    return rc;
  char *src = NULL;
  rc = odeon__kernel_source(k->model, &k->cfg, ODEON__LANG_C, &src);
  if (rc)
    return rc;
  char dir[1024], base[1200], cpath[1300], so[1300], tmp[1400], cmd[4096];
  snprintf(dir, sizeof dir, "%s/test-cache", ODEON_BINARY_DIR);
  mkdir(dir, 0755);
  snprintf(dir, sizeof dir, "%s/test-cache/numerics", ODEON_BINARY_DIR);
  mkdir(dir, 0755);
  snprintf(base, sizeof base, "%s/k%016llx", dir, source_hash(src));
  snprintf(so, sizeof so, "%s.so", base);
  if (access(so, R_OK) != 0) {
    snprintf(cpath, sizeof cpath, "%s.%d.c", base, (int)getpid());
    FILE *f = fopen(cpath, "w");
    if (!f) {
      free(src);
      return ODEON_E_IO;
    }
    fputs(src, f);
    fclose(f);
    snprintf(tmp, sizeof tmp, "%s.%d.so", base, (int)getpid());
    snprintf(cmd, sizeof cmd,
             "cc -std=c11 -O2 -fPIC -shared -Wall -Wextra -Werror "
             "-Wno-unused-parameter -Wno-unused-function -I%s/src/core -o %s "
             "%s -lm",
             ODEON_SOURCE_DIR, tmp, cpath);
    int st = system(cmd);
    if (st != 0) {
      fprintf(stderr, "harness: compile failed: %s\n", cmd);
      free(src);
      return ODEON_E_COMPILE;
    }
    rename(tmp, so);
    remove(cpath);
  }
  free(src);
  k->dl = dlopen(so, RTLD_NOW | RTLD_LOCAL);
  if (!k->dl) {
    fprintf(stderr, "harness: dlopen %s: %s\n", so, dlerror());
    return ODEON_E_COMPILE;
  }
  *(void **)(&k->cpu) = dlsym(k->dl, "odeon_kernel_cpu");
  k->info = (const long long *)dlsym(k->dl, "odeon_kernel_info");
  if (!k->cpu || !k->info)
    return ODEON_E_COMPILE;
  return ODEON_OK;
}

void nh_free(nh_kernel *k) {
  if (k->dl)
    dlclose(k->dl);
  odeon__kernel_config_free(&k->cfg);
  odeon_model_destroy(k->model);
  memset(k, 0, sizeof *k);
}

void nh_out_free(nh_out *o) {
  free(o->state);
  free(o->summary);
  free(o->obs);
  free(o->counters);
  free(o->status);
  memset(o, 0, sizeof *o);
}

/* real-precision array from doubles */
static void *to_real(const double *v, size_t count, int rb) {
  void *r = malloc(count * (size_t)rb + 8);
  for (size_t i = 0; i < count; i++) {
    if (rb == 4)
      ((float *)r)[i] = (float)v[i];
    else
      ((double *)r)[i] = v[i];
  }
  return r;
}

static double *to_double(const void *r, size_t count, int rb) {
  double *d = malloc(count * sizeof(double) + 8);
  for (size_t i = 0; i < count; i++)
    d[i] = rb == 4 ? (double)((const float *)r)[i] : ((const double *)r)[i];
  return d;
}

int nh_solve(nh_kernel *k, long long n, const double *y0, const double *p,
             const void *drivers, long long driver_stride, int pieces,
             nh_out *out) {
  const odeon__kernel_config *c = &k->cfg;
  const int rb = c->real_bytes;
  const long long ns = c->n_states, np = c->n_params;
  memset(out, 0, sizeof *out);
  out->n = n;
  double *y0d = malloc(sizeof(double) * (size_t)(ns * n));
  double *pd = malloc(sizeof(double) * (size_t)(np * n + 1));
  for (long long i = 0; i < ns; i++)
    for (long long r = 0; r < n; r++) {
      double v = 0;
      odeon_model_default(k->model, ODEON_SYM_STATE, i, &v);
      y0d[i * n + r] = y0 ? y0[i * n + r] : v;
    }
  for (long long i = 0; i < np; i++)
    for (long long r = 0; r < n; r++) {
      double v = 0;
      odeon_model_default(k->model, ODEON_SYM_PARAMETER, i, &v);
      pd[i * n + r] = p ? p[i * n + r] : v;
    }
  void *y0r = to_real(y0d, (size_t)(ns * n), rb);
  void *pr = to_real(pd, (size_t)(np * n), rb);
  free(y0d);
  free(pd);
  const long long S = c->n_samples, W = c->n_windows;
  const long long nsv = k->info[ODEON_INFO_N_SAVED];
  const long long nob = k->info[ODEON_INFO_N_OBS_SAVED];
  const long long nrow = k->info[ODEON_INFO_N_SUMMARY_ROWS];
  const long long ncar = k->info[ODEON_INFO_CARRY_LEN];
  const long long nct = k->info[ODEON_INFO_N_COUNTERS];
  void *st = calloc((size_t)(S * nsv * n + 1), (size_t)rb);
  void *ob = calloc((size_t)(S * nob * n + 1), (size_t)rb);
  void *sm = calloc((size_t)(W * nrow * n + 1), (size_t)rb);
  double *carry = calloc((size_t)(ncar * n + 1), sizeof(double));
  out->counters = calloc((size_t)(nct * n + 1), sizeof(long long));
  out->status = calloc((size_t)n, sizeof(uint32_t));
  odeon_kernel_args a;
  int rc = odeon__kernel_args_init(c, NULL, &a);
  if (rc)
    return rc;
  a.n = n;
  a.y0 = y0r;
  a.params = pr;
  a.drivers = drivers;
  a.driver_stride = driver_stride;
  a.status = out->status;
  a.counters = out->counters;
  a.carry = carry;
  const long long m = c->window_samples > 0 ? c->window_samples : 1;
  for (int piece = 0; piece < pieces; piece++) {
    long long sb = S * piece / pieces, se = S * (piece + 1) / pieces;
    if (se <= sb)
      continue;
    a.sample_begin = sb;
    a.sample_end = se;
    a.window_begin = sb >= 1 ? (sb - 1) / m : 0;
    a.window_end = (se - 1) / m;
    if (a.window_end > W)
      a.window_end = W;
    if (a.window_begin > a.window_end)
      a.window_begin = a.window_end;
    a.resume = piece > 0;
    a.out_state = nsv ? (char *)st + (size_t)(sb * nsv * n) * (size_t)rb : NULL;
    a.out_obs = nob ? (char *)ob + (size_t)(sb * nob * n) * (size_t)rb : NULL;
    a.out_summary =
        nrow ? (char *)sm + (size_t)(a.window_begin * nrow * n) * (size_t)rb
             : NULL;
    k->cpu(&a, 0, n);
  }
  out->state = to_double(st, (size_t)(S * nsv * n), rb);
  out->obs = to_double(ob, (size_t)(S * nob * n), rb);
  out->summary = to_double(sm, (size_t)(W * nrow * n), rb);
  free(st);
  free(ob);
  free(sm);
  free(carry);
  free(y0r);
  free(pr);
  return ODEON_OK;
}

int nh_lorenz_golden(double *rho, double *x, double *y, double *z) {
  FILE *f = fopen(ODEON_TEST_DATA "/lorenz/golden.csv", "r");
  if (!f)
    return ODEON_E_IO;
  char line[512];
  int n = 0;
  if (!fgets(line, sizeof line, f)) {
    fclose(f);
    return ODEON_E_IO;
  }
  while (n < 1024 && fgets(line, sizeof line, f)) {
    int t;
    if (sscanf(line, "%d,%lf,%lf,%lf,%lf", &t, &rho[n], &x[n], &y[n], &z[n]) !=
        5)
      break;
    n++;
  }
  fclose(f);
  return n == 1024 ? ODEON_OK : ODEON_E_IO;
}

int nh_protocol_settings(const char *method, int adaptive, int n_fixed,
                         int skip_unconverged, double *param, double *julia) {
  const char *mode = adaptive ? "adaptive" : "fixed";
  int n = 0;
  for (int j = 0; j < (adaptive ? 5 : n_fixed) && j < 13; j++) {
    double p = adaptive ? pow(10.0, -2 - j) : ldexp(1.0, -1 - j);
    double jul = nh_julia_error(method, mode, p);
    if (jul < 0 || !(jul >= 4 * 4e-6 && jul <= 3e-2))
      continue;
    if (skip_unconverged && !adaptive &&
        nh_julia_error(method, mode, p / 2) > 4 * jul)
      continue;
    param[n] = p;
    julia[n++] = jul;
  }
  return n;
}

int nh_within_julia(const char *method, int adaptive, double param, double ours,
                    double julia) {
  if (ours <= 2 * julia)
    return 1;
  fprintf(stderr, "%s %s %g: error %g > 2 x Julia's %g\n", method,
          adaptive ? "tol" : "dt", param, ours, julia);
  return 0;
}

double nh_julia_error(const char *method, const char *mode, double param) {
  FILE *f = fopen(ODEON_TEST_DATA "/lorenz/julia_errors.csv", "r");
  if (!f)
    return -1;
  char line[512], mt[128], md[32];
  double pv, e, found = -1;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "%127[^,],%31[^,],%lf,%lf", mt, md, &pv, &e) != 4)
      continue;
    if (strcmp(mt, method) == 0 && strcmp(md, mode) == 0 &&
        fabs(pv - param) <= 1e-6 * param)
      found = e;
  }
  fclose(f);
  return found;
}
