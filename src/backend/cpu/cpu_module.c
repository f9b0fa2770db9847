/* cpu_module.c - kernels for the CPU backend: write the generated source
 * and the embedded core headers into the cache directory, compile them with
 * the system C compiler into a shared object named by a hash of everything
 * that shapes it, rename it into place atomically (safe when several
 * processes compile the same kernel at once), then dlopen it. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/api.h" /* odeon__cache_dir: the one place it is resolved */
#include "backend/cpu/cpu.h"
#include "codegen/embedded.h"
#include "util/error.h"
#include "util/strbuf.h"

#ifndef ODEON_C_COMPILER
#define ODEON_C_COMPILER "cc"
#endif

extern char **environ;

/* The flags every kernel is compiled with; part of the cache key. */
static const char *const kernel_flags[] = {"-O2", "-std=c11", "-fPIC",
                                           "-shared"};
#define N_FLAGS (sizeof kernel_flags / sizeof kernel_flags[0])
#define MAX_CC_WORDS 8
#define PATH_BUF 4608

static atomic_uint tmp_counter;

/* dlopen and dlclose are thread-safe in glibc, but through the dynamic
   loader's own lock, which ThreadSanitizer cannot see: it then reports the
   loader's internal allocations as races. Loading is rare, so one lock of
   ours around it costs nothing and keeps TSan runs clean. */
static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

/* snprintf for paths; a path that does not fit is an error, not a silently
   truncated file name. */
static int path_fmt(char *buf, size_t n, const char *fmt, ...)
    ODEON__PRINTF(3, 4);
static int path_fmt(char *buf, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(buf, n, fmt, ap);
  va_end(ap);
  if (len < 0 || (size_t)len >= n)
    return odeon__error(ODEON_E_IO, "path too long: %.200s...", buf);
  return ODEON_OK;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

static uint64_t fnv_str(uint64_t h, const char *s) {
  size_t n = strlen(s);
  h = fnv1a(h, &n, sizeof n); /* length first: "ab"+"c" != "a"+"bc" */
  return fnv1a(h, s, n);
}

/* A unique temporary name beside `final`, so concurrent writers (threads or
   processes) never share one and a reader never sees a partial file. */
static int tmp_name(char *buf, size_t n, const char *final) {
  return path_fmt(buf, n, "%s.tmp.%ld.%u", final, (long)getpid(),
                  atomic_fetch_add(&tmp_counter, 1));
}

static int write_atomically(const char *path, const char *text) {
  char tmp[PATH_BUF];
  if (tmp_name(tmp, sizeof tmp, path))
    return ODEON_E_IO;
  FILE *f = fopen(tmp, "wb");
  if (!f)
    return odeon__error(ODEON_E_IO, "cannot write %s: %s", tmp,
                        strerror(errno));
  size_t len = strlen(text);
  int ok = fwrite(text, 1, len, f) == len;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path)) {
    int err = errno;
    unlink(tmp);
    return odeon__error(ODEON_E_IO, "cannot write %s: %s", path, strerror(err));
  }
  return ODEON_OK;
}

static int file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Write the embedded core headers into a folder named by their hash, once. */
static int write_headers(const char *cache, odeon__strbuf *dir,
                         uint64_t *hash) {
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < odeon__core_file_count; i++) {
    h = fnv_str(h, odeon__core_files[i].name);
    h = fnv_str(h, odeon__core_files[i].text);
  }
  *hash = h;
  odeon__strbuf_printf(dir, "%s/core-%016llx", cache, (unsigned long long)h);
  int st = odeon__strbuf_ok(dir);
  if (!st && mkdir(dir->data, 0755) && errno != EEXIST)
    st = odeon__error(ODEON_E_IO, "cannot create directory %s: %s", dir->data,
                      strerror(errno));
  for (int i = 0; !st && i < odeon__core_file_count; i++) {
    char path[PATH_BUF];
    st = path_fmt(path, sizeof path, "%s/%s", dir->data,
                  odeon__core_files[i].name);
    if (!st && !file_exists(path))
      st = write_atomically(path, odeon__core_files[i].text);
  }
  return st;
}

/* Wait for the compiler with a deadline: a pidfd is pollable, so this is a
   blocking wait that can give up, not a poll loop. */
static int wait_child(pid_t pid, double timeout, int *wstatus) {
#ifdef SYS_pidfd_open
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ms = timeout * 1000 > 2e9 ? 2000000000 : (int)(timeout * 1000);
    int r;
    do
      r = poll(&p, 1, ms);
    while (r < 0 && errno == EINTR);
    close(fd);
    if (r == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, wstatus, 0);
      return odeon__error(ODEON_E_TIMEOUT,
                          "the C compiler did not finish within %g s (killed)",
                          timeout);
    }
  }
#else
  (void)timeout;
#endif
  while (waitpid(pid, wstatus, 0) < 0) {
    if (errno != EINTR)
      return odeon__error(ODEON_E_COMPILE, "waitpid on the C compiler: %s",
                          strerror(errno));
  }
  return ODEON_OK;
}

static void read_head(const char *path, char *buf, size_t n) {
  buf[0] = '\0';
  FILE *f = fopen(path, "rb");
  if (!f)
    return;
  size_t got = fread(buf, 1, n - 1, f);
  buf[got] = '\0';
  fclose(f);
}

/* Compile src_path, and src2_path when not NULL (a kernel's initial-step
   entry), into the shared object so_path. */
static int compile(const char *cc, const char *hdr_dir, const char *src_path,
                   const char *src2_path, const char *so_path, const char *name,
                   double timeout) {
  char tmp_so[PATH_BUF], err_path[PATH_BUF], inc[PATH_BUF];
  if (tmp_name(tmp_so, sizeof tmp_so, so_path) ||
      path_fmt(err_path, sizeof err_path, "%s.err", tmp_so) ||
      path_fmt(inc, sizeof inc, "-I%s", hdr_dir))
    return ODEON_E_IO;
  char ccbuf[512];
  snprintf(ccbuf, sizeof ccbuf, "%s", cc);
  char *argv[MAX_CC_WORDS + N_FLAGS + 8];
  int argc = 0;
  for (char *w = strtok(ccbuf, " "); w && argc < MAX_CC_WORDS;
       w = strtok(NULL, " "))
    argv[argc++] = w;
  if (!argc)
    return odeon__error(ODEON_E_COMPILE, "no C compiler configured");
  for (size_t i = 0; i < N_FLAGS; i++)
    argv[argc++] = (char *)kernel_flags[i];
  argv[argc++] = inc;
  argv[argc++] = "-o";
  argv[argc++] = tmp_so;
  argv[argc++] = (char *)src_path;
  if (src2_path)
    argv[argc++] = (char *)src2_path;
  argv[argc++] = "-lm";
  argv[argc] = NULL;

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, err_path,
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 2, 1);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc) {
    unlink(err_path);
    return odeon__error(ODEON_E_COMPILE, "cannot run the C compiler '%s': %s",
                        argv[0], strerror(rc));
  }
  int ws = 0;
  int st = wait_child(pid, timeout, &ws);
  char msg[2048];
  read_head(err_path, msg, sizeof msg);
  unlink(err_path);
  if (st) {
    unlink(tmp_so);
    return odeon__error_context(st, "compiling kernel '%s': ", name);
  }
  if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
    unlink(tmp_so);
    return odeon__error(ODEON_E_COMPILE,
                        "compiling kernel '%s' (%s) with '%s' failed (exit "
                        "%d):\n%s",
                        name, src_path, cc,
                        WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, msg);
  }
  if (rename(tmp_so, so_path)) {
    int err = errno;
    unlink(tmp_so);
    return odeon__error(ODEON_E_IO, "cannot move %s into place: %s", so_path,
                        strerror(err));
  }
  return ODEON_OK;
}

static void unload(void *dl) {
  pthread_mutex_lock(&dl_lock);
  dlclose(dl);
  pthread_mutex_unlock(&dl_lock);
}

static int open_module(const char *so_path, const odeon__module_source *src,
                       int split, odeon__module **out) {
  pthread_mutex_lock(&dl_lock);
  void *dl = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
  if (!dl) {
    int st = odeon__error(ODEON_E_COMPILE, "dlopen %s: %s", so_path, dlerror());
    pthread_mutex_unlock(&dl_lock);
    return st;
  }
  void *entry = dlsym(dl, "odeon_kernel_cpu");
  const long long *info = dlsym(dl, "odeon_kernel_info");
  void *init = split ? dlsym(dl, "odeon_init_cpu") : NULL;
  pthread_mutex_unlock(&dl_lock);
  if (split && (!init || !info || info[ODEON_INFO_INIT_ENTRY] != 1)) {
    unload(dl);
    return odeon__error(ODEON_E_COMPILE,
                        "kernel '%s' (%s): compiled with its initial step "
                        "apart, but lacks odeon_init_cpu or says so in its "
                        "info",
                        src->name, so_path);
  }
  if (!entry || !info) {
    unload(dl);
    return odeon__error(ODEON_E_COMPILE,
                        "kernel '%s' (%s) lacks odeon_kernel_cpu or "
                        "odeon_kernel_info",
                        src->name, so_path);
  }
  if (info[ODEON_INFO_ABI] != ODEON_KERNEL_ABI ||
      (src->real_bytes && info[ODEON_INFO_REAL_BYTES] != src->real_bytes)) {
    long long abi = info[ODEON_INFO_ABI], rb = info[ODEON_INFO_REAL_BYTES];
    unload(dl);
    return odeon__error(ODEON_E_COMPILE,
                        "kernel '%s': ABI %lld / real bytes %lld, expected "
                        "ABI %d / %d",
                        src->name, abi, rb, ODEON_KERNEL_ABI, src->real_bytes);
  }
  odeon__module *m = calloc(1, sizeof *m);
  if (!m) {
    unload(dl);
    return odeon__error(ODEON_E_NOMEM, "out of memory (module)");
  }
  m->dl = dl;
  /* ISO C forbids converting void* to a function pointer; POSIX allows it. */
  memcpy(&m->entry, &entry, sizeof m->entry);
  if (init)
    memcpy(&m->init_entry, &init, sizeof m->init_entry);
  memcpy(m->info, info, sizeof m->info);
  *out = m;
  return ODEON_OK;
}

int odeon__cpu_module_load(odeon__backend *be, const odeon__module_source *src,
                           const char *cache_dir, odeon__module **out) {
  if (!out)
    return odeon__error(ODEON_E_INVAL, "cpu module_load: out is NULL");
  *out = NULL;
  if (!src || !src->text)
    return odeon__error(ODEON_E_INVAL, "cpu module_load: no kernel source");
  odeon__cpu_backend *c = (odeon__cpu_backend *)be;
  /* Inline by default: on the CPU the split saves no compile time (one
     compiler process builds both); $ODEON_INIT_KERNEL=on splits it, as
     on the GPU, so the split kernels run without one (tests). */
  int split = 0;
  int st = odeon__init_entry_wanted(src, 0, &split);
  if (st)
    return st;
  const char *cc = getenv("CC");
  if (!cc || !*cc)
    cc = ODEON_C_COMPILER;

  /* a file-name-safe short name */
  char name[48];
  size_t k = 0;
  for (const char *p = src->name ? src->name : "kernel"; *p && k < 40; p++)
    name[k++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                               (*p >= '0' && *p <= '9') || *p == '-'
                           ? *p
                           : '_');
  name[k] = '\0';

  char *cache = NULL;
  odeon__strbuf hdr;
  odeon__strbuf_init(&hdr);
  uint64_t hh = 0;
  st = odeon__cache_dir(cache_dir, &cache);
  if (!st)
    st = write_headers(cache, &hdr, &hh);
  if (st) {
    free(cache);
    odeon__strbuf_free(&hdr);
    return odeon__error_context(st, "cpu backend: kernel cache: ");
  }
  uint64_t h = fnv_str(1469598103934665603ull, cc);
  for (size_t i = 0; i < N_FLAGS; i++)
    h = fnv_str(h, kernel_flags[i]);
  h = fnv1a(h, &hh, sizeof hh);
  h = fnv1a(h, &src->real_bytes, sizeof src->real_bytes);
  h = fnv_str(h, split ? "split initial step" : "");
  h = fnv_str(h, src->text);
  char src_path[PATH_BUF], init_path[PATH_BUF], so_path[PATH_BUF];
  st = path_fmt(src_path, sizeof src_path, "%s/%s-%016llx.c", cache, name,
                (unsigned long long)h);
  if (!st)
    st = path_fmt(init_path, sizeof init_path, "%s/%s-%016llx-init.c", cache,
                  name, (unsigned long long)h);
  if (!st)
    st = path_fmt(so_path, sizeof so_path, "%s/%s-%016llx.so", cache, name,
                  (unsigned long long)h);
  free(cache);
  if (st) {
    odeon__strbuf_free(&hdr);
    return st;
  }

  /* A cached object that fails to open (truncated by a crash in an older
     version, say) is rebuilt once rather than trusted. */
  if (file_exists(so_path) &&
      open_module(so_path, src, split, out) == ODEON_OK) {
    odeon__strbuf_free(&hdr);
    return ODEON_OK;
  }
  if (split) {
    /* two translation units of one source (kernel_args.h) */
    const char *const prefix[2] = {ODEON__SPLIT_INIT_LINE,
                                   ODEON__INIT_ENTRY_LINE};
    const char *const path[2] = {src_path, init_path};
    for (int i = 0; i < 2 && !st; i++) {
      char *text = odeon__source_with_line(prefix[i], src->text);
      st = text ? write_atomically(path[i], text) : ODEON_E_NOMEM;
      free(text);
    }
  } else {
    st = write_atomically(src_path, src->text);
  }
  if (!st)
    st = compile(cc, hdr.data, src_path, split ? init_path : NULL, so_path,
                 name, c->timeout);
  odeon__strbuf_free(&hdr);
  if (!st)
    st = open_module(so_path, src, split, out);
  if (st)
    return odeon__error_context(st, "cpu backend: ");
  return ODEON_OK;
}

void odeon__cpu_module_unload(odeon__backend *be, odeon__module *m) {
  if (!m)
    return;
  unload(m->dl);
  free(m);
}

int odeon__cpu_module_info(odeon__module *m, long long info[ODEON_INFO_LEN]) {
  if (!m)
    return odeon__error(ODEON_E_INVAL, "cpu module_info: no module");
  memcpy(info, m->info, sizeof m->info);
  return ODEON_OK;
}
