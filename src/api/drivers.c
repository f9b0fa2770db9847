/* drivers.c - odeon_grid_driver keeps a driver's samples on the grid; at
 * solve time odeon__drivers_build turns them into cubic-spline coefficients
 * (codegen/spline_host.c) packed in the block layout of core/spline.h: one
 * block shared by every run, or one per run when any driver has a series
 * per run. */
#include "api/drivers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/spline_host.h"
#include "engine/grid.h"
#include "util/error.h"

typedef struct grid_driver {
  char *name;
  double t_first, dt;
  int64_t n, n_series;
  odeon__spline_end end;
  double *samples; /* [n_series][n] */
} grid_driver;

struct odeon__grid_drivers {
  int count;
  grid_driver *d;
};

void odeon__grid_drivers_free(struct odeon__grid_drivers *ds) {
  if (!ds)
    return;
  for (int i = 0; i < ds->count; i++) {
    free(ds->d[i].name);
    free(ds->d[i].samples);
  }
  free(ds->d);
  free(ds);
}

int odeon_grid_driver(odeon_grid_t *grid, const char *name, double t_first,
                      double dt, const double *samples, int64_t n,
                      int64_t n_series, const char *ends) {
  ODEON__CHECK_ARG(grid, "odeon_grid_driver", "grid is NULL");
  ODEON__CHECK_ARG(name && *name, "odeon_grid_driver", "name is empty");
  ODEON__CHECK_ARG(samples, "odeon_grid_driver", "driver '%s': samples is NULL",
                   name);
  ODEON__CHECK_ARG(n >= 2, "odeon_grid_driver",
                   "driver '%s': need at least 2 samples, got %lld", name,
                   (long long)n);
  ODEON__CHECK_ARG(isfinite(t_first) && isfinite(dt) && dt > 0,
                   "odeon_grid_driver",
                   "driver '%s': the sample spacing must be positive and "
                   "finite (t_first %g, dt %g)",
                   name, t_first, dt);
  ODEON__CHECK_ARG(n_series >= 1, "odeon_grid_driver",
                   "driver '%s': n_series must be 1 or the number of runs, "
                   "got %lld",
                   name, (long long)n_series);
  odeon__spline_end end = ODEON__SPLINE_NATURAL;
  int st = ends ? odeon__spline_end_parse(ends, &end) : ODEON_OK;
  if (st != ODEON_OK)
    return odeon__error_context(st, "odeon_grid_driver: driver '%s': ", name);
  if ((double)n * (double)n_series > 1e12)
    return odeon__error(ODEON_E_RANGE,
                        "odeon_grid_driver: driver '%s': %lld x %lld samples "
                        "is too many",
                        name, (long long)n_series, (long long)n);
  size_t count = (size_t)n * (size_t)n_series;
  for (size_t i = 0; i < count; i++)
    if (!isfinite(samples[i]))
      return odeon__error(ODEON_E_INVAL,
                          "odeon_grid_driver: driver '%s': sample %zu of "
                          "series %zu is not finite",
                          name, i % (size_t)n, i / (size_t)n);
  if (end == ODEON__SPLINE_PERIODIC)
    for (int64_t s = 0; s < n_series; s++) {
      const double *y = samples + s * n;
      if (fabs(y[n - 1] - y[0]) > 1e-12 * (fabs(y[0]) + fabs(y[n - 1]) + 1))
        return odeon__error(ODEON_E_INVAL,
                            "odeon_grid_driver: driver '%s': periodic, but "
                            "series %lld ends at %g, not at its first "
                            "sample %g",
                            name, (long long)s, y[n - 1], y[0]);
    }
  struct odeon__grid_drivers **slot = odeon__grid_drivers_slot(grid);
  if (!*slot && !(*slot = calloc(1, sizeof **slot)))
    return odeon__error(ODEON_E_NOMEM, "odeon_grid_driver: out of memory");
  struct odeon__grid_drivers *ds = *slot;
  int k = 0;
  while (k < ds->count && strcmp(ds->d[k].name, name) != 0)
    k++;
  double *copy = malloc(count * sizeof *copy);
  char *nm = strdup(name);
  if (!copy || !nm) {
    free(copy);
    free(nm);
    return odeon__error(ODEON_E_NOMEM, "odeon_grid_driver: out of memory");
  }
  memcpy(copy, samples, count * sizeof *copy);
  if (k == ds->count) {
    grid_driver *d = realloc(ds->d, (size_t)(ds->count + 1) * sizeof *d);
    if (!d) {
      free(copy);
      free(nm);
      return odeon__error(ODEON_E_NOMEM, "odeon_grid_driver: out of memory");
    }
    ds->d = d;
    ds->count++;
  } else {
    free(ds->d[k].name);
    free(ds->d[k].samples);
  }
  ds->d[k] = (grid_driver){nm, t_first, dt, n, n_series, end, copy};
  return ODEON_OK;
}

int odeon__drivers_build(const odeon_model_t *model, const odeon_grid_t *grid,
                         int real_bytes, void **block, size_t *bytes,
                         long long *stride) {
  *block = NULL;
  *bytes = 0;
  *stride = 0;
  int64_t nd = odeon_model_count(model, ODEON_SYM_DRIVER);
  const struct odeon__grid_drivers *ds = odeon__grid_drivers_get(grid);
  if (nd <= 0) {
    if (ds && ds->count)
      return odeon__error(ODEON_E_INVAL,
                          "driver '%s': the model has no drivers",
                          ds->d[0].name);
    return ODEON_OK;
  }
  int64_t runs = odeon_grid_runs(grid);
  /* match the given drivers to the model's, in model order */
  const grid_driver **by_model = calloc((size_t)nd, sizeof *by_model);
  if (!by_model)
    return odeon__error(ODEON_E_NOMEM, "drivers: out of memory");
  int st = ODEON_OK, per_run = 0;
  for (int i = 0; ds && i < ds->count && !st; i++) {
    int64_t k = odeon_model_index(model, ODEON_SYM_DRIVER, ds->d[i].name);
    if (k < 0)
      st = odeon__error(ODEON_E_INVAL,
                        "driver '%s': the model has no driver of that name",
                        ds->d[i].name);
    else if (ds->d[i].n_series != 1 && ds->d[i].n_series != runs)
      st = odeon__error(ODEON_E_INVAL,
                        "driver '%s': %lld series for a grid of %lld runs "
                        "(give 1, shared, or one per run)",
                        ds->d[i].name, (long long)ds->d[i].n_series,
                        (long long)runs);
    else {
      by_model[k] = &ds->d[i];
      per_run |= ds->d[i].n_series > 1;
    }
  }
  for (int64_t k = 0; k < nd && !st; k++)
    if (!by_model[k])
      st = odeon__error(ODEON_E_INVAL,
                        "driver '%s' has no samples (give them with "
                        "odeon_grid_driver or --driver %s=FILE.csv)",
                        odeon_model_name(model, ODEON_SYM_DRIVER, k),
                        odeon_model_name(model, ODEON_SYM_DRIVER, k));
  odeon__driver_spline *spl = calloc((size_t)nd, sizeof *spl);
  double **coef = calloc((size_t)nd, sizeof *coef);
  if (!st && (!spl || !coef))
    st = odeon__error(ODEON_E_NOMEM, "drivers: out of memory");
  int64_t n_blocks = per_run ? runs : 1, len = 0;
  unsigned char *out = NULL;
  for (int64_t b = 0; b < n_blocks && !st; b++) {
    for (int64_t k = 0; k < nd && !st; k++) {
      const grid_driver *d = by_model[k];
      /* a shared series is computed once and reused for every block */
      if (b > 0 && d->n_series == 1)
        continue;
      if (!coef[k] &&
          !(coef[k] = malloc((size_t)(d->n - 1) * 4 * sizeof(double))))
        st = odeon__error(ODEON_E_NOMEM, "drivers: out of memory");
      if (!st)
        st = odeon__spline_coeffs(d->samples + (d->n_series > 1 ? b : 0) * d->n,
                                  d->n, d->dt, d->end, NAN, NAN, coef[k],
                                  d->name);
      spl[k] =
          (odeon__driver_spline){d->t_first, d->dt, d->n - 1,
                                 d->end == ODEON__SPLINE_PERIODIC, coef[k]};
    }
    if (st)
      break;
    if (b == 0) {
      len = odeon__driver_block_len(spl, (int)nd);
      size_t total = (size_t)len * (size_t)real_bytes * (size_t)n_blocks;
      if ((double)len * real_bytes * (double)n_blocks > 64e9 ||
          !(out = malloc(total))) {
        st = odeon__error(ODEON_E_NOMEM,
                          "drivers: %lld blocks of %lld values do not fit in "
                          "memory",
                          (long long)n_blocks, (long long)len);
        break;
      }
      *bytes = total;
    }
    odeon__driver_block_fill(
        spl, (int)nd, out + (size_t)b * (size_t)len * real_bytes, real_bytes);
  }
  for (int64_t k = 0; coef && k < nd; k++)
    free(coef[k]);
  free(coef);
  free(spl);
  free(by_model);
  if (st) {
    free(out);
    *bytes = 0;
    return st;
  }
  *block = out;
  *stride = per_run ? len : 0;
  return ODEON_OK;
}
