/* item.c - what one posted item (a launch's outputs for one chunk) carries:
 * which outputs, their rows, where they sit in the slot's staging and on
 * the device, and where they go in the destination. One list that the
 * producer's downloads and the writeback's copies both walk. */
#include "engine/engine_internal.h"

int odeon__item_outputs(const odeon__engine *e, const odeon__slot *s,
                        long long sb, long long se, long long wb, long long we,
                        int last, odeon__item_out out[ODEON__ITEM_MAX]) {
  int k = 0;
  long long ns = se - sb, nw = we - wb;
  size_t rb = (size_t)e->rb;
  if (e->want_state && ns * e->nsav > 0)
    out[k++] = (odeon__item_out){ODEON__OUT_STATE, e->off_state, s->d_state,
                                 ns * e->nsav,     sb * e->nsav, rb};
  if (e->want_obs && ns * e->nobs > 0)
    out[k++] = (odeon__item_out){ODEON__OUT_OBS, e->off_obs,   s->d_obs,
                                 ns * e->nobs,   sb * e->nobs, rb};
  if (e->want_sum && nw * e->nsum > 0)
    out[k++] = (odeon__item_out){ODEON__OUT_SUMMARIES, e->off_sum,   s->d_sum,
                                 nw * e->nsum,         wb * e->nsum, rb};
  if (last)
    out[k++] = (odeon__item_out){
        ODEON__OUT_STATUS, e->off_status, s->d_status, 1, 0, 4};
  if (last && e->want_cnt)
    out[k++] = (odeon__item_out){
        ODEON__OUT_COUNTERS, e->off_cnt, s->d_cnt, e->ncnt, 0, 8};
  return k;
}
