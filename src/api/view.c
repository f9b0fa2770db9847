/* view.c - odeon_array_view_at: one element of an output view as a double,
 * whatever the view's dtype (the CLI writers and the tests read views so). */
#include <math.h>

#include "odeon.h"

double odeon_array_view_at(const odeon_array_view *v, int64_t i) {
  if (!v || !v->data || i < 0)
    return NAN;
  int64_t n = 1;
  for (int d = 0; d < v->ndim; d++)
    n *= v->shape[d];
  if (i >= n)
    return NAN;
  switch (v->dtype) {
  case ODEON_DTYPE_F32:
    return ((const float *)v->data)[i];
  case ODEON_DTYPE_F64:
    return ((const double *)v->data)[i];
  case ODEON_DTYPE_U32:
    return ((const uint32_t *)v->data)[i];
  case ODEON_DTYPE_I64:
    return (double)((const int64_t *)v->data)[i];
  }
  return NAN;
}
