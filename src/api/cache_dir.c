/* cache_dir.c - where compiled kernels are cached: the option, else
 * $ODEON_CACHE_DIR, else $XDG_CACHE_HOME/odeon, else ~/.cache/odeon, else
 * /tmp/odeon-cache-<uid>; created (like mkdir -p) on first use. */
#include "api/api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

static int mkdir_p(const char *path) {
  char buf[4096];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof buf)
    return odeon__error(ODEON_E_INVAL, "cache directory path is empty or too "
                                       "long");
  memcpy(buf, path, n + 1);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
      return odeon__error(ODEON_E_IO,
                          "cache directory %s: cannot create %s: %s", path, buf,
                          strerror(errno));
    *p = '/';
  }
  if (mkdir(buf, 0755) != 0 && errno != EEXIST)
    return odeon__error(ODEON_E_IO, "cache directory %s: cannot create: %s",
                        path, strerror(errno));
  struct stat sb;
  if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return odeon__error(ODEON_E_IO, "cache directory %s: not a directory",
                        path);
  if (access(buf, W_OK) != 0)
    return odeon__error(ODEON_E_IO, "cache directory %s: not writable: %s",
                        path, strerror(errno));
  return ODEON_OK;
}

int odeon__cache_dir(const char *option, char **out) {
  char buf[4096];
  const char *env;
  if (option && *option)
    snprintf(buf, sizeof buf, "%s", option);
  else if ((env = getenv("ODEON_CACHE_DIR")) && *env)
    snprintf(buf, sizeof buf, "%s", env);
  else if ((env = getenv("XDG_CACHE_HOME")) && *env)
    snprintf(buf, sizeof buf, "%s/odeon", env);
  else if ((env = getenv("HOME")) && *env)
    snprintf(buf, sizeof buf, "%s/.cache/odeon", env);
  else
    snprintf(buf, sizeof buf, "/tmp/odeon-cache-%ld", (long)getuid());
  int st = mkdir_p(buf);
  if (st != ODEON_OK)
    return st;
  *out = strdup(buf);
  if (!*out)
    return odeon__error(ODEON_E_NOMEM, "out of memory");
  return ODEON_OK;
}
