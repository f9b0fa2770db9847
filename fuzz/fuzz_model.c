/* fuzz_model.c - libFuzzer harness for the model language: any bytes go
 * through the lexer, parser, checker, symbolic Jacobian and both code
 * generators. The sanitizers catch memory and undefined-behaviour bugs;
 * the invariants below catch wrong results (a failure without a message, a
 * model that then fails to print). Also linked into a normal test that
 * replays fuzz/seeds and fuzz/corpus (tests/model/test_fuzz_corpus.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codegen/codegen.h"
#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok) {
  if (!ok)
    __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* models are small; a huge input only measures the n^2 Jacobian */
  if (size > 1 << 16)
    return 0;
  odeon_clear_error();
  odeon_model_t *m = NULL;
  int rc = odeon__model_from_text((const char *)data, size, "fuzz.ode", &m);
  if (rc != ODEON_OK) {
    check(m == NULL);
    check(rc == ODEON_E_PARSE || rc == ODEON_E_MODEL || rc == ODEON_E_NOMEM);
    /* every failure explains itself with a position */
    check(rc == ODEON_E_NOMEM ||
          strstr(odeon_last_error(), "fuzz.ode:") != NULL);
    return 0;
  }
  int64_t n = odeon_model_count(m, ODEON_SYM_STATE);
  check(n >= 1);
  for (int k = 0; k < 5; k++) {
    int64_t c = odeon_model_count(m, (odeon_symbol_kind)k);
    check(c >= 0);
    for (int64_t i = 0; i < c; i++) {
      const char *name = odeon_model_name(m, (odeon_symbol_kind)k, i);
      check(name != NULL);
      check(odeon_model_index(m, (odeon_symbol_kind)k, name) == i);
    }
  }
  for (int lang = 0; lang < 2; lang++) {
    odeon__strbuf b;
    odeon__strbuf_init(&b);
    rc = odeon__codegen_system(m, (odeon__lang)lang, &b);
    check(rc == ODEON_OK || rc == ODEON_E_NOMEM);
    check(rc != ODEON_OK || strstr(b.data, "odeon_sys_jac") != NULL);
    odeon__strbuf_free(&b);
  }
  odeon_model_destroy(m);
  return 0;
}
