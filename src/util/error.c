/* error.c - status strings (from the one X-macro list) and the thread-local
 * last-error message. */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ODEON__ERRBUF 8192
static _Thread_local char odeon__errbuf[ODEON__ERRBUF];

const char *odeon_strerror(int status) {
  switch (status) {
#define ODEON__CASE(name, value, desc)                                         \
  case value:                                                                  \
    return desc;
    ODEON_STATUS_MAP(ODEON__CASE)
#undef ODEON__CASE
  default:
    return "unknown status code";
  }
}

const char *odeon_status_name(int status) {
  switch (status) {
#define ODEON__CASE(name, value, desc)                                         \
  case value:                                                                  \
    return #name;
    ODEON_STATUS_MAP(ODEON__CASE)
#undef ODEON__CASE
  default:
    return "UNKNOWN";
  }
}

const char *odeon_last_error(void) { return odeon__errbuf; }

void odeon_clear_error(void) { odeon__errbuf[0] = '\0'; }

const char *odeon_version(void) { return ODEON_VERSION_STRING; }

int odeon__error(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(odeon__errbuf, sizeof odeon__errbuf, fmt, ap);
  va_end(ap);
  return status;
}

int odeon__error_context(int status, const char *fmt, ...) {
  char old[ODEON__ERRBUF];
  memcpy(old, odeon__errbuf, sizeof old);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(odeon__errbuf, sizeof odeon__errbuf, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n < sizeof odeon__errbuf)
    snprintf(odeon__errbuf + n, sizeof odeon__errbuf - (size_t)n, "%s", old);
  return status;
}

size_t odeon_run_status_string(uint32_t word, char *buf, size_t size) {
  static const struct {
    uint32_t bit;
    const char *name;
  } bits[] = {
#define ODEON__BIT(name, value, desc) {value, #name},
      ODEON_RUN_STATUS_MAP(ODEON__BIT)
#undef ODEON__BIT
  };
  char tmp[256];
  size_t len = 0;
  tmp[0] = '\0';
  if (word == 0) {
    len = (size_t)snprintf(tmp, sizeof tmp, "ok");
  } else {
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
      if (!(word & bits[i].bit))
        continue;
      len += (size_t)snprintf(tmp + len, sizeof tmp - len, "%s%s",
                              len ? "|" : "", bits[i].name);
      word &= ~bits[i].bit;
    }
    if (word)
      len += (size_t)snprintf(tmp + len, sizeof tmp - len, "%s0x%x",
                              len ? "|" : "", (unsigned)word);
  }
  /* lower-case the names: "DT_MIN" -> "dt_min" */
  for (size_t i = 0; i < len; i++)
    if (tmp[i] >= 'A' && tmp[i] <= 'Z')
      tmp[i] = (char)(tmp[i] - 'A' + 'a');
  if (size)
    snprintf(buf, size, "%s", tmp);
  return len;
}
