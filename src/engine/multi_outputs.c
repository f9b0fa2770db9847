/* multi_outputs.c - the outputs one solve shares between the engine solves
 * of several devices: declared and opened once for the whole grid, written
 * by each device at its own run range, closed once when all have ended. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

int odeon__engine_outputs_open(const odeon__engine_request *req,
                               odeon__engine_outputs **out) {
  if (!out)
    return odeon__error(ODEON_E_INVAL, "engine outputs: out is NULL");
  *out = NULL;
  if (!req || req->into)
    return odeon__error(ODEON_E_INVAL,
                        "engine outputs: the request is NULL or already "
                        "writes into shared outputs");
  /* A scratch engine reuses the checks and the output setup of a solve
     (outputs.c), so one device and several declare the same result. */
  odeon__engine *e = calloc(1, sizeof *e);
  odeon__engine_outputs *o = calloc(1, sizeof *o);
  if (!e || !o) {
    free(e);
    free(o);
    return odeon__error(ODEON_E_NOMEM, "engine outputs: out of memory");
  }
  e->req = req;
  e->be = req->backend;
  e->ops = req->backend ? req->backend->ops : NULL;
  int st = odeon__engine_check_request(e);
  if (!st)
    st = odeon__engine_setup_outputs(e);
  o->result = e->result;
  memcpy(o->sink, e->sink, sizeof o->sink);
  o->bytes_total = e->bytes_total;
  free(e);
  if (st) {
    odeon__engine_outputs_close(o, 0, NULL);
    return st;
  }
  *out = o;
  return ODEON_OK;
}

int odeon__engine_outputs_close(odeon__engine_outputs *o, int ok,
                                odeon_result_t **result) {
  if (result)
    *result = NULL;
  if (!o)
    return ODEON_OK;
  int st = ODEON_OK;
  for (int i = 0; i < ODEON__OUT_COUNT; i++) {
    int cst = odeon__sink_close(&o->sink[i], ok && !st);
    if (cst && !st)
      st = odeon__error_context(cst, "engine: closing the output file: ");
  }
  if (ok && !st && result) {
    *result = o->result;
  } else {
    odeon_result_destroy(o->result);
  }
  free(o);
  return st;
}
