/* kernel_report.c - measures, without a GPU, what the generated kernels of
 * the two GPU benchmarks (bench/gpu_lorenz.c) cost next to the hand-written
 * floor kernels (bench/peers/), and of the time-to-first-result kernel
 * (tsit5 float32, every other option at its default): registers, stack
 * frame and spill bytes from ptxas's report, SASS instructions of the kernel
 * (from the CUBIN's text section) and NVRTC compile time (best of several),
 * all through odeon's own NVRTC path with odeon's compile options. An
 * adaptive kernel is measured both with its initial step inline and split
 * (kernel_args.h): the kernel and its init entry compiled at once on two
 * threads, as the CUDA backend does; the time is the pair's wall time.
 *
 * usage: kernel_report [--arch sm_90] [--reps 3] [--peers DIR] [--dump DIR]
 *                      [--save-every S] [--only LABEL]
 *   --dump DIR      also writes each kernel's source (.cu) and CUBIN
 *                   (.cubin) there, for nvdisasm / cuobjdump -sass
 *   --save-every S  the odeon kernels save every S instead of the start and
 *                   the end only (the interpolating loop; the floors do not
 *                   change)
 * Exits 3 when a kernel uses local memory (a stack frame or spills), 1 when
 * something could not be measured. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/cuda/nvrtc.h"
#include "codegen/kernel_source.h"
#include "odeon.h"
#include "util/parallel.h"

#ifndef ODEON_SOURCE_DIR
#define ODEON_SOURCE_DIR "."
#endif

static const char lorenz_model[] = "states:      x = 1, y = 0, z = 0\n"
                                   "parameters:  rho = 21\n"
                                   "constants:   sigma = 10, beta = 8/3\n"
                                   "dx = sigma*(y - x)\n"
                                   "dy = x*(rho - z) - y\n"
                                   "dz = x*y - beta*z\n";

typedef struct report {
  long registers, stack, spill_stores, spill_loads;
  long sass; /* instructions in the kernel's text section, NOP padding too */
  double best_s;
  double alone_s; /* a split pair's program compiled alone (best), or -1 */
} report;

/* The number before `what` in the part of the log about `fn`: ptxas writes
   "Function properties for FN\n    N bytes stack frame, N bytes spill
   stores, N bytes spill loads" and "Compiling entry function 'FN'...
   Used N registers". */
static long log_number(const char *log, const char *fn, const char *what) {
  char key[256];
  snprintf(key, sizeof key, "for %s\n", fn);
  const char *p = strstr(log, key);
  if (!p) {
    snprintf(key, sizeof key, "function '%s'", fn);
    p = strstr(log, key);
  }
  if (!p)
    return -1;
  const char *w = strstr(p, what);
  if (!w)
    return -1;
  if (strcmp(what, "Used ") == 0)
    return strtol(w + 5, NULL, 10);
  const char *q = w;
  while (q > p && q[-1] == ' ')
    q--;
  while (q > p && q[-1] >= '0' && q[-1] <= '9')
    q--;
  return strtol(q, NULL, 10);
}

/* SASS instructions of `fn`: the size of ELF section ".text.FN" divided by
   the 16 bytes every instruction takes on sm_70 and later. */
static long sass_count(const unsigned char *img, size_t size, const char *fn) {
  if (size < 64 || memcmp(img, "\177ELF", 4) != 0 || img[4] != 2)
    return -1; /* not a 64-bit ELF */
  uint64_t shoff;
  uint16_t shentsize, shnum, shstrndx;
  memcpy(&shoff, img + 0x28, 8);
  memcpy(&shentsize, img + 0x3a, 2);
  memcpy(&shnum, img + 0x3c, 2);
  memcpy(&shstrndx, img + 0x3e, 2);
  if (shentsize < 64 || shoff + (uint64_t)shnum * shentsize > size ||
      shstrndx >= shnum)
    return -1;
  const unsigned char *strsh = img + shoff + (uint64_t)shstrndx * shentsize;
  uint64_t stroff, strsize;
  memcpy(&stroff, strsh + 0x18, 8);
  memcpy(&strsize, strsh + 0x20, 8);
  if (stroff + strsize > size)
    return -1;
  char want[256];
  snprintf(want, sizeof want, ".text.%s", fn);
  for (uint16_t i = 0; i < shnum; i++) {
    const unsigned char *sh = img + shoff + (uint64_t)i * shentsize;
    uint32_t name;
    uint64_t sz;
    memcpy(&name, sh, 4);
    memcpy(&sz, sh + 0x20, 8);
    if (name < strsize && strcmp((const char *)img + stroff + name, want) == 0)
      return (long)(sz / 16);
  }
  return -1;
}

static void dump(const char *dir, const char *label, const char *ext,
                 const void *data, size_t size) {
  if (!dir)
    return;
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.%s", dir, label, ext);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size)
    fprintf(stderr, "kernel_report: cannot write %s\n", path);
  if (f)
    fclose(f);
}

/* One program of a timed compile (odeon__run_parts: the programs of a
   split kernel compile at once, as the CUDA backend compiles them). */
typedef struct timed_job {
  const char *src, *label, *arch;
} timed_job;

static int compile_part(void *ctx, int part, int parts) {
  (void)parts;
  const timed_job *j = (const timed_job *)ctx + part;
  void *cubin = NULL;
  size_t size = 0;
  int st =
      odeon__nvrtc_compile(j->src, j->label, j->arch, 0, &cubin, &size, NULL);
  free(cubin);
  return st;
}

/* Compile each of the n_prog programs src[i] (entry fn[i]) once with
   ptxas's report into r[i], then all of them at once `reps` times; the
   best of those wall times goes to r[0].best_s (the others' is -1). */
static int measure(const char *const *src, const char *const *fn, int n_prog,
                   const char *arch, int reps, const char *dump_dir,
                   const char *label, report *r) {
  for (int i = 0; i < n_prog; i++) {
    char lab[96];
    snprintf(lab, sizeof lab, "%s%s", label, i ? "_init" : "");
    void *cubin = NULL;
    size_t cubin_size = 0;
    char *log = NULL;
    int st =
        odeon__nvrtc_compile(src[i], lab, arch, 1, &cubin, &cubin_size, &log);
    if (st) {
      fprintf(stderr, "kernel_report: %s: %s\n", lab, odeon_last_error());
      free(log);
      return st;
    }
    const char *l = log ? log : "";
    r[i].registers = log_number(l, fn[i], "Used ");
    r[i].stack = log_number(l, fn[i], "bytes stack frame");
    r[i].spill_stores = log_number(l, fn[i], "bytes spill stores");
    r[i].spill_loads = log_number(l, fn[i], "bytes spill loads");
    r[i].sass = sass_count(cubin, cubin_size, fn[i]);
    r[i].best_s = -1.0; /* -1: not timed (--reps 0, or not the first) */
    r[i].alone_s = -1.0;
    dump(dump_dir, lab, "cu", src[i], strlen(src[i]));
    dump(dump_dir, lab, "cubin", cubin, cubin_size);
    if (dump_dir)
      dump(dump_dir, lab, "log", l, strlen(l));
    free(cubin);
    free(log);
  }
  /* Each timed compile gets a source of its own: on the GPU host a repeat
     of a source NVRTC had just compiled came back in 10-30 ms where a new
     one takes 0.3 s, also when only a first comment line differed
     (bench/NOTES.md); so the tag is a declaration, which survives the
     preprocessor. */
  char *unique[2] = {NULL, NULL};
  timed_job job[2];
  int st = ODEON_OK;
  for (int i = 0; i < n_prog && !st; i++) {
    size_t len = strlen(src[i]) + 96;
    if (!(unique[i] = malloc(len)))
      st = ODEON_E_NOMEM;
    job[i] = (timed_job){unique[i], label, arch};
  }
  for (int k = 0; k < reps && !st; k++) {
    for (int i = 0; i < n_prog; i++)
      snprintf(unique[i], strlen(src[i]) + 96,
               "__device__ int odeon_kernel_report_tag_%ld_%d_%lld;\n%s",
               (long)getpid(), k, (long long)(odeon__now() * 1e6), src[i]);
    double t0 = odeon__now();
    st = odeon__run_parts(compile_part, job, n_prog);
    double dt = odeon__now() - t0;
    if (st)
      fprintf(stderr, "kernel_report: %s, timed compile %d: %s\n", label, k + 1,
              odeon_last_error());
    else if (r[0].best_s < 0 || dt < r[0].best_s)
      r[0].best_s = dt;
    /* a pair's programs also one at a time (new tags), to tell how far
       the two compiles overlapped */
    for (int i = 0; n_prog > 1 && i < n_prog && !st; i++) {
      snprintf(unique[i], strlen(src[i]) + 96,
               "__device__ int odeon_kernel_report_tag_%ld_%d_%d_%lld;\n%s",
               (long)getpid(), k, i, (long long)(odeon__now() * 1e6), src[i]);
      t0 = odeon__now();
      st = compile_part(job, i, 1);
      dt = odeon__now() - t0;
      if (!st && (r[i].alone_s < 0 || dt < r[i].alone_s))
        r[i].alone_s = dt;
    }
  }
  free(unique[0]);
  free(unique[1]);
  return st;
}

/* The generated source for the benchmark's options (bench/gpu_lorenz.c,
   odeon_kernel_ms): float32, t in [0, 1], start and end saved; with
   defaults set, the time-to-first-result kernel instead (ttfr_source: every
   option at its default but tsit5 and float32). */
static double save_every = 0.0;

static int odeon_source(const char *algorithm, int defaults, char **text) {
  odeon_model_t *m = NULL;
  int st = odeon_model_from_string(lorenz_model, "lorenz", &m);
  if (st)
    return st;
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = algorithm;
  o.precision = ODEON_FLOAT32;
  o.save_every = save_every;
  if (defaults) {
    /* nothing else set */
  } else if (strcmp(algorithm, "tsit5") == 0) {
    o.atol = o.rtol = 1e-8;
    o.dt = 0.01;
  } else {
    o.dt = 1e-3;
  }
  if (!defaults) {
    o.duration = 1.0;
    o.outputs = ODEON_OUT_STATE | ODEON_OUT_STATUS | ODEON_OUT_COUNTERS;
  }
  odeon__kernel_config cfg;
  st = odeon__kernel_config_init(m, &o, &cfg);
  if (!st)
    st = odeon__kernel_source(m, &cfg, ODEON__LANG_CUDA, text);
  odeon__kernel_config_free(&cfg);
  odeon_model_destroy(m);
  return st;
}

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long len = ftell(f);
    if (len >= 0 && fseek(f, 0, SEEK_SET) == 0) {
      buf = malloc((size_t)len + 1);
      if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
      } else if (buf) {
        buf[len] = '\0';
      }
    }
  }
  fclose(f);
  return buf;
}

static void print_row(const char *label, const report *r) {
  printf("| %-26s | %9ld | %11ld | %13ld/%-4ld | %16ld | %10.3f |\n", label,
         r->registers, r->stack, r->spill_stores, r->spill_loads, r->sass,
         r->best_s);
}

int main(int argc, char **argv) {
  const char *arch = "sm_90", *peers = ODEON_SOURCE_DIR "/bench/peers",
             *dump_dir = NULL, *only = NULL;
  int reps = 3;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--arch") == 0 && i + 1 < argc)
      arch = argv[++i];
    else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
      reps = atoi(argv[++i]);
    else if (strcmp(argv[i], "--peers") == 0 && i + 1 < argc)
      peers = argv[++i];
    else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
      dump_dir = argv[++i];
    else if (strcmp(argv[i], "--save-every") == 0 && i + 1 < argc)
      save_every = atof(argv[++i]);
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      only = argv[++i];
    else {
      fprintf(stderr, "usage: kernel_report [--arch sm_90] [--reps 3] "
                      "[--peers DIR] [--dump DIR] [--save-every S] "
                      "[--only LABEL]\n");
      return 2;
    }
  }
  if (reps < 0)
    reps = 0;
  if (odeon__nvrtc_available() != ODEON_OK) {
    fprintf(stderr, "kernel_report: %s\n", odeon_last_error());
    return 1;
  }
  /* split 1: the kernel without its initial step and the entry that
     computes it, compiled at once (kernel_args.h; the CUDA backend's way
     for adaptive methods without a given dt); split 2: the kernel alone
     (dt given: no entry); 0: inline, for comparison. */
  struct {
    const char *label, *fn, *algorithm, *peer;
    int defaults, split;
  } cases[] = {
      {"odeon classical-rk4 f32", "odeon_kernel_cuda", "classical-rk4", NULL, 0,
       0},
      {"floor lorenz_rk4.cu", "lorenz_rk4_floor", NULL, "lorenz_rk4.cu", 0, 0},
      {"odeon tsit5 f32 1e-8", "odeon_kernel_cuda", "tsit5", NULL, 0, 2},
      {"floor lorenz_tsit5.cu", "lorenz_tsit5_floor", NULL, "lorenz_tsit5.cu",
       0, 0},
      {"odeon tsit5 defaults inline", "odeon_kernel_cuda", "tsit5", NULL, 1, 0},
      {"odeon tsit5 defaults split", "odeon_kernel_cuda", "tsit5", NULL, 1, 1},
  };
  const int n_cases = (int)(sizeof cases / sizeof cases[0]);
  report rep[sizeof cases / sizeof cases[0]][2];
  int failed = 0;
  for (int c = 0; c < n_cases; c++)
    rep[c][0].registers = rep[c][1].registers = -2; /* not measured */
  for (int c = 0; c < n_cases; c++) {
    if (only && !strstr(cases[c].label, only))
      continue;
    char *src = NULL;
    if (cases[c].algorithm) {
      if (odeon_source(cases[c].algorithm, cases[c].defaults, &src)) {
        fprintf(stderr, "kernel_report: %s: %s\n", cases[c].label,
                odeon_last_error());
        failed = 1;
        continue;
      }
    } else {
      char path[1024];
      snprintf(path, sizeof path, "%s/%s", peers, cases[c].peer);
      if (!(src = read_text(path))) {
        fprintf(stderr, "kernel_report: cannot read %s\n", path);
        failed = 1;
        continue;
      }
    }
    char label[64];
    snprintf(label, sizeof label, "%s_%s%s",
             cases[c].algorithm ? cases[c].algorithm : "floor",
             cases[c].algorithm ? (cases[c].defaults ? "defaults" : "odeon")
                                : cases[c].peer,
             cases[c].split ? "_split" : "");
    for (char *p = label; *p; p++)
      if (*p == '.' || *p == '-')
        *p = '_';
    const char *fns[2] = {cases[c].fn, "odeon_init_cuda"};
    char *texts[2] = {NULL, NULL};
    if (cases[c].split) {
      /* what the CUDA backend compiles up front: the kernel without the
         carry (its variant for time windows comes when a solve needs it) */
      const char *line[2] = {ODEON__SPLIT_INIT_LINE ODEON__NO_CARRY_LINE,
                             ODEON__INIT_ENTRY_LINE};
      for (int i = 0; i < (cases[c].split == 1 ? 2 : 1); i++)
        texts[i] = odeon__source_with_line(line[i], src);
    }
    const char *progs[2] = {cases[c].split ? texts[0] : src, texts[1]};
    int n_prog = cases[c].split == 1 ? 2 : 1;
    if ((cases[c].split && (!texts[0] || (n_prog == 2 && !texts[1]))) ||
        measure(progs, fns, n_prog, arch, reps, dump_dir, label, rep[c]))
      failed = 1;
    if (n_prog == 1)
      rep[c][1].registers = -2;
    free(texts[0]);
    free(texts[1]);
    free(src);
  }
  if (failed)
    return 1;
  printf("NVRTC %d (%s), %s, compile options: %s; compile time best of %d\n\n",
         odeon__nvrtc_version(), odeon__nvrtc_path(), arch,
         odeon__nvrtc_options_string(), reps);
  printf("| %-26s | %9s | %11s | %18s | %16s | %10s |\n", "kernel", "registers",
         "stack bytes", "spill st/ld bytes", "SASS instructions", "compile s");
  printf("|%s|%s|%s|%s|%s|%s|\n", "----------------------------", "-----------",
         "-------------", "--------------------", "------------------",
         "------------");
  int local = 0;
  for (int c = 0; c < n_cases; c++) {
    for (int i = 0; i < 2; i++) {
      const report *r = &rep[c][i];
      if (r->registers == -2)
        continue;
      print_row(i ? "  + its init entry" : cases[c].label, r);
      if (r->stack != 0 || r->spill_stores != 0 || r->spill_loads != 0)
        local = 1;
    }
  }
  for (int c = 0; c < n_cases; c++)
    if (cases[c].split == 1 && rep[c][0].registers != -2 &&
        rep[c][0].alone_s > 0)
      printf("%s: kernel alone %.3f s, init entry alone %.3f s, both at once "
             "%.3f s (one after the other would be %.3f s)\n",
             cases[c].label, rep[c][0].alone_s, rep[c][1].alone_s,
             rep[c][0].best_s, rep[c][0].alone_s + rep[c][1].alone_s);
  /* issue 6: no local memory for systems of up to ~16 states */
  if (local) {
    fprintf(stderr, "kernel_report: a kernel uses local memory (stack frame "
                    "or spills)\n");
    return 3;
  }
  return 0;
}
