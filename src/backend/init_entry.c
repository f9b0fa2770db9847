/* init_entry.c - what the backends share about a kernel's initial-step
 * entry (kernel_args.h: ODEON_SPLIT_INIT, ODEON_INIT_ENTRY): whether to
 * compile it apart ($ODEON_INIT_KERNEL) and when a launch runs it. */
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
