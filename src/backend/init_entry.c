/* init_entry.c - what the backends share about a kernel compiled in parts
 * (kernel_args.h: ODEON_SPLIT_INIT, ODEON_INIT_ENTRY, ODEON_NO_CARRY):
 * whether to compile its initial step apart ($ODEON_INIT_KERNEL), each
 * part's source, when a launch runs the initial-step entry, and the
 * arguments a launch must carry for it. */
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "util/error.h"

int odeon__init_entry_wanted(const odeon__module_source *src, int dflt,
                             int *split) {
  *split = 0;
  const char *v = getenv("ODEON_INIT_KERNEL");
  int want = dflt;
  if (v && v[0] && strcmp(v, "auto") != 0) {
    if (strcmp(v, "on") == 0)
      want = 1;
    else if (strcmp(v, "off") == 0)
      want = 0;
    else
      return odeon__error(ODEON_E_INVAL,
                          "ODEON_INIT_KERNEL=%s: expected \"auto\", \"on\" "
                          "or \"off\"",
                          v);
  }
  *split = want && src->init_entry;
  return ODEON_OK;
}

int odeon__init_entry_runs(const odeon_kernel_args *a) {
  return !a->resume && !(a->dt > 0.0);
}

char *odeon__source_with_line(const char *line, const char *text) {
  size_t a = strlen(line), b = strlen(text);
  char *s = malloc(a + b + 1);
  if (!s) {
    odeon__error(ODEON_E_NOMEM, "out of memory for a %zu-byte kernel source",
                 a + b + 1);
    return NULL;
  }
  memcpy(s, line, a);
  memcpy(s + a, text, b + 1);
  return s;
}

int odeon__launch_check(int reads_h0, int has_entry, const odeon_kernel_args *a,
                        const char *who) {
  if (a->resume && !a->carry)
    return odeon__error(
        ODEON_E_INVAL, "%s launch: resume without a carry to resume from", who);
  if (!reads_h0 || !odeon__init_entry_runs(a))
    return ODEON_OK;
  if (!has_entry)
    return odeon__error(ODEON_E_INVAL,
                        "%s launch: the kernel was compiled for a given dt "
                        "(no initial-step entry); its runs cannot start "
                        "without one (args.dt = %g)",
                        who, a->dt);
  if (!a->h0)
    return odeon__error(ODEON_E_INVAL,
                        "%s launch: the kernel reads its initial steps from "
                        "args.h0 ([n] doubles), which is NULL",
                        who);
  return ODEON_OK;
}
