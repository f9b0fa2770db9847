/* nvrtc.c - loads NVRTC with dlopen and compiles kernel sources to CUBIN for
 * one GPU architecture, with the core headers handed over in memory. */
#include "backend/cuda/nvrtc.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/embedded.h"
#include "util/error.h"

typedef int nvrtc_result;
#define NV_MAX_EXTRA 16
typedef struct nvrtc_prog *nvrtc_program;

static struct {
  nvrtc_result (*Version)(int *major, int *minor);
  const char *(*GetErrorString)(nvrtc_result r);
  nvrtc_result (*CreateProgram)(nvrtc_program *p, const char *src,
                                const char *name, int n_headers,
                                const char *const *headers,
                                const char *const *include_names);
  nvrtc_result (*DestroyProgram)(nvrtc_program *p);
  nvrtc_result (*CompileProgram)(nvrtc_program p, int n_opts,
                                 const char *const *opts);
  nvrtc_result (*GetProgramLogSize)(nvrtc_program p, size_t *size);
  nvrtc_result (*GetProgramLog)(nvrtc_program p, char *log);
  nvrtc_result (*GetCUBINSize)(nvrtc_program p, size_t *size);
  nvrtc_result (*GetCUBIN)(nvrtc_program p, char *cubin);
  int version;
  char path[512];
  /* $ODEON_NVRTC_OPTIONS, split at blanks (read once, with the library). */
  char extra_buf[512];
  const char *extra[NV_MAX_EXTRA];
  int n_extra;
  char extra_error[160]; /* why $ODEON_NVRTC_OPTIONS is refused, or "" */
  char options[768];     /* every option as one string: part of the cache key */
} nv;
static int nv_status;
static char nv_reason[2048];
static pthread_once_t nv_once = PTHREAD_ONCE_INIT;
/* NVRTC compiles distinct programs on several threads at once from
   release 12 on (the CUDA backend compiles a kernel and its initial-step
   entry together: cuda_module.c); older releases take this lock, one
   compile at a time. */
static pthread_mutex_t nv_lock = PTHREAD_MUTEX_INITIALIZER;
#define NV_CONCURRENT_SINCE 12000

/* Every kernel is compiled with these: IEEE division and square root (no
   --use_fast_math, so GPU and CPU results stay comparable); fused
   multiply-add stays on, as any optimising CUDA compiler would do. */
static const char *const nv_options[] = {"-std=c++17", "--fmad=true",
                                         "-DODEON_NVRTC=1"};
#define NV_N_OPTIONS (int)(sizeof nv_options / sizeof nv_options[0])
/* From NVRTC 12.4 on, --minimal leaves out of the builtin headers what the
   kernels never use (textures, surfaces, the device runtime, the runtime
   API's types): the front end then takes about 0.13 s less per kernel
   (tools/kernel_report, bench/NOTES.md), a third of a cold compile. */
#define NV_MINIMAL_SINCE 12040

static int try_open(const char *path) {
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    size_t len = strlen(nv_reason);
    snprintf(nv_reason + len, sizeof nv_reason - len, "%s%s", len ? ", " : "",
             path);
    return 0;
  }
  struct {
    void **slot;
    const char *name;
  } syms[] = {
#define S(f) {(void **)&nv.f, "nvrtc" #f}
      S(Version),        S(GetErrorString), S(CreateProgram),
      S(DestroyProgram), S(CompileProgram), S(GetProgramLogSize),
      S(GetProgramLog),  S(GetCUBINSize),   S(GetCUBIN),
#undef S
  };
  for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
    *syms[i].slot = dlsym(lib, syms[i].name);
    if (!*syms[i].slot) {
      /* nvrtcGetCUBIN appeared in CUDA 11.1; an older NVRTC is too old. */
      size_t len = strlen(nv_reason);
      snprintf(nv_reason + len, sizeof nv_reason - len,
               "%s%s (lacks %s: NVRTC older than 11.1)", len ? ", " : "", path,
               syms[i].name);
      dlclose(lib);
      return 0;
    }
  }
  int major = 0, minor = 0;
  if (nv.Version(&major, &minor) != 0) {
    dlclose(lib);
    return 0;
  }
  nv.version = major * 1000 + minor * 10;
  snprintf(nv.path, sizeof nv.path, "%s", path);
  return 1;
}

/* Extra compile options for experiments (a register cap, another
   optimisation level): $ODEON_NVRTC_OPTIONS, blank-separated. They join the
   cache key, so a cached kernel never stands in for a differently compiled
   one; NVRTC itself rejects a bad option with its log in the message, and
   more options or characters than fit are refused at every compile, never
   cut short. */
static void nv_read_extra(void) {
  const char *env = getenv("ODEON_NVRTC_OPTIONS");
  nv.n_extra = 0;
  nv.extra_error[0] = '\0';
  if (env && strlen(env) >= sizeof nv.extra_buf)
    snprintf(nv.extra_error, sizeof nv.extra_error,
             "$ODEON_NVRTC_OPTIONS: %zu characters, more than the %zu "
             "allowed",
             strlen(env), sizeof nv.extra_buf - 1);
  else if (env)
    snprintf(nv.extra_buf, sizeof nv.extra_buf, "%s", env);
  char *save = NULL;
  for (char *tok = env && !nv.extra_error[0]
                       ? strtok_r(nv.extra_buf, " \t", &save)
                       : NULL;
       tok; tok = strtok_r(NULL, " \t", &save)) {
    if (nv.n_extra == NV_MAX_EXTRA) {
      snprintf(nv.extra_error, sizeof nv.extra_error,
               "$ODEON_NVRTC_OPTIONS: more than %d options", NV_MAX_EXTRA);
      nv.n_extra = 0;
      break;
    }
    nv.extra[nv.n_extra++] = tok;
  }
  /* the options compile_program passes, but the architecture's */
  size_t len = 0;
  for (int i = 0; i < NV_N_OPTIONS; i++)
    len += (size_t)snprintf(nv.options + len, sizeof nv.options - len, "%s%s",
                            i ? " " : "", nv_options[i]);
  if (nv.version >= NV_MINIMAL_SINCE)
    len += (size_t)snprintf(nv.options + len, sizeof nv.options - len,
                            " --minimal");
  for (int i = 0; i < nv.n_extra && len < sizeof nv.options; i++)
    len += (size_t)snprintf(nv.options + len, sizeof nv.options - len, " %s",
                            nv.extra[i]);
}

static void nv_load(void) {
  static const char *const names[] = {"libnvrtc.so.13", "libnvrtc.so.12",
                                      "libnvrtc.so.11.2", "libnvrtc.so"};
  const char *env = getenv("ODEON_NVRTC");
  nv_status = ODEON_OK;
  if (env && env[0]) {
    /* An explicit choice is the only one tried, so a test can make NVRTC
       "missing" on a machine that has it. */
    if (!try_open(env))
      nv_status = ODEON_E_NODEVICE;
    return;
  }
  const char *dirs[3] = {"", "/usr/local/cuda/lib64/", NULL};
  char cuda_home[300];
  const char *home = getenv("CUDA_HOME");
  if (home && home[0]) {
    snprintf(cuda_home, sizeof cuda_home, "%s/lib64/", home);
    dirs[2] = cuda_home;
  }
  for (int d = 0; d < 3; d++) {
    if (!dirs[d])
      continue;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      char path[400];
      snprintf(path, sizeof path, "%s%s", dirs[d], names[i]);
      if (try_open(path))
        return;
    }
  }
  nv_status = ODEON_E_NODEVICE;
}

static void nv_init(void) {
  nv_load();
  if (nv_status == ODEON_OK)
    nv_read_extra();
}

int odeon__nvrtc_available(void) {
  pthread_once(&nv_once, nv_init);
  if (nv_status != ODEON_OK)
    return odeon__error(ODEON_E_NODEVICE,
                        "NVRTC not found (tried %s); set ODEON_NVRTC to the "
                        "path of libnvrtc.so",
                        nv_reason);
  return ODEON_OK;
}

int odeon__nvrtc_version(void) {
  return odeon__nvrtc_available() == ODEON_OK ? nv.version : 0;
}

const char *odeon__nvrtc_path(void) {
  return odeon__nvrtc_available() == ODEON_OK ? nv.path : "";
}

const char *odeon__nvrtc_options_string(void) {
  return odeon__nvrtc_available() == ODEON_OK ? nv.options : "";
}

/* The first lines of a compiler log, for an error message. */
static void log_head(const char *log, char *buf, size_t size) {
  size_t n = 0;
  int lines = 0;
  while (log[n] && lines < 25 && n + 1 < size) {
    if (log[n] == '\n')
      lines++;
    n++;
  }
  memcpy(buf, log, n);
  buf[n] = '\0';
}

static int nv_call(nvrtc_result r, const char *what) {
  if (r == 0)
    return ODEON_OK;
  return odeon__error(ODEON_E_COMPILE, "%s failed: %s (%d)", what,
                      nv.GetErrorString ? nv.GetErrorString(r) : "?", r);
}

static int compile_program(const char *source, const char *name,
                           const char *arch, int verbose, void **cubin,
                           size_t *cubin_size, char **log_out) {
  int n_headers = odeon__core_file_count;
  const char **texts = calloc((size_t)n_headers + 1, sizeof *texts);
  const char **names = calloc((size_t)n_headers + 1, sizeof *names);
  if (!texts || !names) {
    free(texts);
    free(names);
    return odeon__error(ODEON_E_NOMEM, "nvrtc: out of memory for headers");
  }
  for (int i = 0; i < n_headers; i++) {
    texts[i] = odeon__core_files[i].text;
    names[i] = odeon__core_files[i].name;
  }
  nvrtc_program prog = NULL;
  int st =
      nv_call(nv.CreateProgram(&prog, source, name, n_headers, texts, names),
              "nvrtcCreateProgram");
  free(texts);
  free(names);
  if (st)
    return st;

  char arch_opt[64];
  snprintf(arch_opt, sizeof arch_opt, "--gpu-architecture=%s", arch);
  const char *opts[NV_N_OPTIONS + NV_MAX_EXTRA + 3];
  int n_opts = 0;
  for (int i = 0; i < NV_N_OPTIONS; i++)
    opts[n_opts++] = nv_options[i];
  if (nv.version >= NV_MINIMAL_SINCE)
    opts[n_opts++] = "--minimal";
  opts[n_opts++] = arch_opt;
  for (int i = 0; i < nv.n_extra; i++)
    opts[n_opts++] = nv.extra[i];
  if (verbose)
    opts[n_opts++] = "--ptxas-options=-v"; /* registers and spills in log */

  nvrtc_result cr = nv.CompileProgram(prog, n_opts, opts);
  size_t log_size = 0;
  char *log = NULL;
  if (nv.GetProgramLogSize(prog, &log_size) == 0 && log_size > 0) {
    log = malloc(log_size + 1);
    if (log && nv.GetProgramLog(prog, log) == 0)
      log[log_size] = '\0';
    else if (log)
      log[0] = '\0';
  }
  if (cr != 0) {
    char head[4096];
    log_head(log ? log : "", head, sizeof head);
    st = odeon__error(ODEON_E_COMPILE,
                      "nvrtcCompileProgram of kernel '%s' for %s failed: %s "
                      "(%d)\n%s",
                      name, arch, nv.GetErrorString(cr), cr, head);
  } else if (cubin) {
    size_t size = 0;
    st = nv_call(nv.GetCUBINSize(prog, &size), "nvrtcGetCUBINSize");
    if (!st && size == 0)
      st = odeon__error(ODEON_E_COMPILE,
                        "nvrtcGetCUBINSize: empty image for kernel '%s' (was "
                        "%s a virtual architecture? use sm_XY, not compute_XY)",
                        name, arch);
    void *img = st ? NULL : malloc(size);
    if (!st && !img)
      st = odeon__error(ODEON_E_NOMEM,
                        "nvrtc: out of memory for a %zu-byte "
                        "CUBIN",
                        size);
    if (!st)
      st = nv_call(nv.GetCUBIN(prog, img), "nvrtcGetCUBIN");
    if (st) {
      free(img);
    } else {
      *cubin = img;
      *cubin_size = size;
    }
  }
  nv.DestroyProgram(&prog);
  if (log_out)
    *log_out = log;
  else
    free(log);
  return st;
}

int odeon__nvrtc_compile(const char *source, const char *name, const char *arch,
                         int verbose, void **cubin, size_t *cubin_size,
                         char **log) {
  if (log)
    *log = NULL;
  if (cubin) /* NULL on every failure, never a stale image */
    *cubin = NULL;
  if (cubin_size)
    *cubin_size = 0;
  if (!source || !arch)
    return odeon__error(ODEON_E_INVAL, "nvrtc compile: source and arch must "
                                       "not be NULL");
  if (strncmp(arch, "sm_", 3) != 0)
    return odeon__error(ODEON_E_INVAL,
                        "nvrtc compile: arch must be a real architecture "
                        "like sm_90, got '%s'",
                        arch);
  int st = odeon__nvrtc_available();
  if (st)
    return st;
  if (nv.extra_error[0])
    return odeon__error(ODEON_E_INVAL, "nvrtc compile: %s", nv.extra_error);
  const int serial = nv.version < NV_CONCURRENT_SINCE;
  if (serial)
    pthread_mutex_lock(&nv_lock);
  st = compile_program(source, name ? name : "odeon_kernel.cu", arch, verbose,
                       cubin, cubin_size, log);
  if (serial)
    pthread_mutex_unlock(&nv_lock);
  return st;
}

int odeon__nvrtc_compile_check(const char *source, const char *arch,
                               char **log) {
  void *cubin = NULL;
  size_t size = 0;
  int st = odeon__nvrtc_compile(source, "odeon_check.cu", arch ? arch : "sm_90",
                                1, &cubin, &size, log);
  free(cubin);
  return st;
}
