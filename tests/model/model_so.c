/* model_so.c - compile generated system functions into a shared object with
 * the system C compiler (strict warnings, as the CPU backend does) and load
 * them with dlopen. */
#include "model_so.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codegen/codegen.h"

#ifndef ODEON_TEST_CC
#define ODEON_TEST_CC "cc"
#endif

/* Wrappers exported by the shared object: double in, the build's precision
 * inside, double out. */
static const char *const wrappers =
    "#define NS_ (ODEON_SYS_N_STATES + 1)\n"
    "#define NP_ (ODEON_SYS_N_PARAMS + 1)\n"
    "#define NO_ (ODEON_SYS_N_OBSERVABLES + 1)\n"
    "#define ND_ (2 * ODEON_SYS_N_DRIVERS + 1)\n"
    "typedef struct { odeon_real y[NS_], p[NP_], d[ND_]; } in_;\n"
    "static void load_(in_ *v, const double *y, const double *p,\n"
    "                  const double *drv) {\n"
    "  for (int i = 0; i < ODEON_SYS_N_STATES; i++) v->y[i] = "
    "(odeon_real)y[i];\n"
    "  for (int i = 0; i < ODEON_SYS_N_PARAMS; i++) v->p[i] = "
    "(odeon_real)p[i];\n"
    "  for (int i = 0; i < 2 * ODEON_SYS_N_DRIVERS; i++) v->d[i] = "
    "(odeon_real)drv[i];\n"
    "}\n"
    "void w_rhs(double t, const double *y, const double *p, const double "
    "*drv,\n"
    "           double *out, double *out2);\n"
    "void w_rhs(double t, const double *y, const double *p, const double "
    "*drv,\n"
    "           double *out, double *out2) {\n"
    "  in_ v; odeon_real r[NS_];\n"
    "  (void)out2;\n"
    "  load_(&v, y, p, drv);\n"
    "  odeon_sys_rhs((odeon_real)t, v.y, v.p, v.d, r);\n"
    "  for (int i = 0; i < ODEON_SYS_N_STATES; i++) out[i] = r[i];\n"
    "}\n"
    "void w_jac(double t, const double *y, const double *p, const double "
    "*drv,\n"
    "           double *out, double *out2);\n"
    "void w_jac(double t, const double *y, const double *p, const double "
    "*drv,\n"
    "           double *out, double *out2) {\n"
    "  in_ v; static odeon_real j[NS_ * NS_]; odeon_real d[NS_];\n"
    "  load_(&v, y, p, drv);\n"
    "  odeon_sys_jac((odeon_real)t, v.y, v.p, v.d, j, d);\n"
    "  for (int i = 0; i < ODEON_SYS_N_STATES * ODEON_SYS_N_STATES; i++)\n"
    "    out[i] = j[i];\n"
    "  for (int i = 0; i < ODEON_SYS_N_STATES; i++) out2[i] = d[i];\n"
    "}\n"
    "void w_obs(double t, const double *y, const double *p, const double "
    "*drv,\n"
    "           double *out, double *out2);\n"
    "void w_obs(double t, const double *y, const double *p, const double "
    "*drv,\n"
    "           double *out, double *out2) {\n"
    "  in_ v; odeon_real o[NO_];\n"
    "  (void)out2;\n"
    "  load_(&v, y, p, drv);\n"
    "  odeon_sys_obs((odeon_real)t, v.y, v.p, v.d, o);\n"
    "  for (int i = 0; i < ODEON_SYS_N_OBSERVABLES; i++) out[i] = o[i];\n"
    "}\n"
    "const long long w_info[5] = {ODEON_SYS_N_STATES, ODEON_SYS_N_PARAMS,\n"
    "  ODEON_SYS_N_OBSERVABLES, ODEON_SYS_N_DRIVERS, "
    "ODEON_SYS_HAS_JACOBIAN};\n";

char *model_so_source(const odeon_model_t *m, int is_float) {
  odeon__strbuf b;
  odeon__strbuf_init(&b);
  odeon__strbuf_printf(
      &b, "#define ODEON_REAL_IS_FLOAT %d\n#include \"real.h\"\n", is_float);
  if (odeon__codegen_system(m, ODEON__LANG_C, &b) != ODEON_OK) {
    fprintf(stderr, "codegen failed: %s\n", odeon_last_error());
    odeon__strbuf_free(&b);
    return NULL;
  }
  odeon__strbuf_append(&b, wrappers);
  if (odeon__strbuf_ok(&b) != ODEON_OK) {
    odeon__strbuf_free(&b);
    return NULL;
  }
  return odeon__strbuf_take(&b);
}

int model_so_build(const odeon_model_t *m, int is_float, model_so *out) {
  static int counter;
  memset(out, 0, sizeof *out);
  char *src = model_so_source(m, is_float);
  if (!src)
    return -1;
  char dir[512], base[700], cmd[2400];
  snprintf(dir, sizeof dir, "%s/test-model-so", ODEON_BINARY_DIR);
  mkdir(dir, 0755);
  snprintf(base, sizeof base, "%s/m%ld_%d_%d", dir, (long)getpid(), counter++,
           is_float);
  char c_path[720], so_path[720], log_path[720];
  snprintf(c_path, sizeof c_path, "%s.c", base);
  snprintf(so_path, sizeof so_path, "%s.so", base);
  snprintf(log_path, sizeof log_path, "%s.log", base);
  FILE *f = fopen(c_path, "w");
  if (!f) {
    free(src);
    return -1;
  }
  fputs(src, f);
  fclose(f);
  free(src);
  /* $ODEON_TEST_CC overrides the compiler (a second run with clang) */
  const char *cc = getenv("ODEON_TEST_CC");
  if (!cc || !*cc)
    cc = ODEON_TEST_CC;
  snprintf(cmd, sizeof cmd,
           "%s -std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -fPIC -shared "
           "-I%s/src/core %s -o %s -lm > %s 2>&1",
           cc, ODEON_SOURCE_DIR, c_path, so_path, log_path);
  if (system(cmd) != 0) {
    fprintf(stderr, "compiling %s failed:\n", c_path);
    snprintf(cmd, sizeof cmd, "head -c 4000 %s 1>&2", log_path);
    if (system(cmd) != 0)
      fprintf(stderr, "(no log)\n");
    return -1;
  }
  out->handle = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
  if (!out->handle) {
    fprintf(stderr, "dlopen %s: %s\n", so_path, dlerror());
    return -1;
  }
  /* POSIX: function pointers round-trip through void * (dlsym's contract) */
  *(void **)&out->rhs = dlsym(out->handle, "w_rhs");
  *(void **)&out->jac = dlsym(out->handle, "w_jac");
  *(void **)&out->obs = dlsym(out->handle, "w_obs");
  const long long *info = dlsym(out->handle, "w_info");
  if (!out->rhs || !out->jac || !out->obs || !info) {
    fprintf(stderr, "dlsym in %s failed\n", so_path);
    model_so_close(out);
    return -1;
  }
  out->n_states = info[0];
  out->n_params = info[1];
  out->n_obs = info[2];
  out->n_drivers = info[3];
  out->has_jacobian = info[4];
  remove(c_path);
  remove(so_path);
  remove(log_path);
  return 0;
}

void model_so_close(model_so *so) {
  if (so->handle)
    dlclose(so->handle);
  memset(so, 0, sizeof *so);
}
