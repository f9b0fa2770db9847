/* grid.c - grids of runs: verbatim columns (paired run by run, length 1
 * broadcast) times Cartesian sweeps (last sweep fastest), with every unset
 * variable at its default. A run's values are computed from its 64-bit index
 * on demand. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/grid.h"
#include "util/error.h"

typedef enum var_source { SRC_DEFAULT, SRC_COLUMN, SRC_SWEEP } var_source;

typedef struct grid_var {
  char *name;
  double def;
  var_source src;
  double *values;
  int64_t n;
  int64_t stride; /* SRC_SWEEP: runs between consecutive values */
} grid_var;

struct odeon_grid {
  int64_t n_states, n_params;
  grid_var *vars;       /* n_states + n_params */
  int64_t rows;         /* verbatim rows (1 when there are no columns) */
  int64_t *sweep_order; /* indices of swept variables, in the order added */
  int64_t n_sweeps;
  int64_t runs;
  int64_t row_stride;                  /* product of all sweep lengths */
  struct odeon__grid_drivers *drivers; /* driver samples (api/drivers.c) */
};

int odeon__grid_create_vars(int64_t n_states, const char *const *state_names,
                            const double *state_defaults, int64_t n_params,
                            const char *const *param_names,
                            const double *param_defaults, odeon_grid_t **out) {
  ODEON__CHECK_ARG(out, "odeon_grid_create", "out is NULL");
  *out = NULL;
  ODEON__CHECK_ARG(n_states >= 0 && n_params >= 0, "odeon_grid_create",
                   "negative variable count (%lld states, %lld parameters)",
                   (long long)n_states, (long long)n_params);
  odeon_grid_t *g = calloc(1, sizeof *g);
  int64_t nv = n_states + n_params;
  if (!g)
    return odeon__error(ODEON_E_NOMEM, "odeon_grid_create: out of memory");
  g->vars = calloc((size_t)(nv ? nv : 1), sizeof *g->vars);
  g->sweep_order = calloc((size_t)(nv ? nv : 1), sizeof *g->sweep_order);
  g->n_states = n_states;
  g->n_params = n_params;
  g->rows = g->runs = g->row_stride = 1;
  if (!g->vars || !g->sweep_order) {
    odeon_grid_destroy(g);
    return odeon__error(ODEON_E_NOMEM, "odeon_grid_create: out of memory");
  }
  for (int64_t i = 0; i < nv; i++) {
    int is_state = i < n_states;
    int64_t k = is_state ? i : i - n_states;
    const char *const *names = is_state ? state_names : param_names;
    const double *defs = is_state ? state_defaults : param_defaults;
    char buf[32];
    const char *name = names ? names[k] : NULL;
    if (!name) {
      snprintf(buf, sizeof buf, "%s%lld", is_state ? "y" : "p", (long long)k);
      name = buf;
    }
    g->vars[i].name = malloc(strlen(name) + 1);
    if (!g->vars[i].name) {
      odeon_grid_destroy(g);
      return odeon__error(ODEON_E_NOMEM, "odeon_grid_create: out of memory");
    }
    strcpy(g->vars[i].name, name);
    g->vars[i].def = defs ? defs[k] : 0.0;
  }
  *out = g;
  return ODEON_OK;
}

void odeon_grid_destroy(odeon_grid_t *g) {
  if (!g)
    return;
  for (int64_t i = 0; g->vars && i < g->n_states + g->n_params; i++) {
    free(g->vars[i].name);
    free(g->vars[i].values);
  }
  free(g->vars);
  free(g->sweep_order);
  odeon__grid_drivers_free(g->drivers);
  free(g);
}

static int64_t find_var(const odeon_grid_t *g, const char *name) {
  for (int64_t i = 0; i < g->n_states + g->n_params; i++)
    if (!strcmp(g->vars[i].name, name))
      return i;
  return -1;
}

/* Recompute rows, strides and the run count; E_RANGE if the product does
   not fit a 64-bit run index. Nothing changes on failure. */
static int update_shape(odeon_grid_t *g, const char *fn) {
  int64_t rows = 1, total = 1;
  for (int64_t i = 0; i < g->n_states + g->n_params; i++)
    if (g->vars[i].src == SRC_COLUMN && g->vars[i].n > 1)
      rows = g->vars[i].n;
  int64_t prod = 1;
  for (int64_t s = g->n_sweeps - 1; s >= 0; s--) {
    int64_t n = g->vars[g->sweep_order[s]].n;
    if (prod > INT64_MAX / n)
      return odeon__error(ODEON_E_RANGE,
                          "%s: the sweeps multiply to more than 2^63 runs", fn);
    prod *= n;
  }
  if (rows > INT64_MAX / prod)
    return odeon__error(ODEON_E_RANGE,
                        "%s: %lld rows x %lld sweep combinations exceed 2^63 "
                        "runs",
                        fn, (long long)rows, (long long)prod);
  total = rows * prod;
  int64_t stride = 1;
  for (int64_t s = g->n_sweeps - 1; s >= 0; s--) {
    grid_var *v = &g->vars[g->sweep_order[s]];
    v->stride = stride;
    stride *= v->n;
  }
  g->rows = rows;
  g->row_stride = prod;
  g->runs = total;
  return ODEON_OK;
}

static int add_values(odeon_grid_t *g, const char *name, const double *values,
                      int64_t n, var_source src, const char *fn) {
  if (!g)
    return odeon__error(ODEON_E_INVAL, "%s: grid is NULL", fn);
  if (!name || !values)
    return odeon__error(ODEON_E_INVAL, "%s: name or values is NULL", fn);
  if (n < 1)
    return odeon__error(ODEON_E_INVAL,
                        "%s: '%s' needs at least one value, "
                        "got %lld",
                        fn, name, (long long)n);
  int64_t i = find_var(g, name);
  if (i < 0)
    return odeon__error(ODEON_E_INVAL,
                        "%s: '%s' is not a state or parameter of the model", fn,
                        name);
  grid_var *v = &g->vars[i];
  if (v->src != SRC_DEFAULT)
    return odeon__error(ODEON_E_INVAL, "%s: '%s' already has values (as a %s)",
                        fn, name, v->src == SRC_SWEEP ? "sweep" : "column");
  for (int64_t k = 0; k < n; k++)
    if (!isfinite(values[k]))
      return odeon__error(ODEON_E_INVAL, "%s: '%s' value %lld is not finite",
                          fn, name, (long long)k);
  if (src == SRC_COLUMN && n > 1)
    for (int64_t k = 0; k < g->n_states + g->n_params; k++)
      if (g->vars[k].src == SRC_COLUMN && g->vars[k].n > 1 && g->vars[k].n != n)
        return odeon__error(ODEON_E_INVAL,
                            "%s: '%s' has %lld values but column '%s' has "
                            "%lld; verbatim columns pair run by run, so they "
                            "need equal lengths (or length 1 to broadcast)",
                            fn, name, (long long)n, g->vars[k].name,
                            (long long)g->vars[k].n);
  if ((uint64_t)n > SIZE_MAX / sizeof(double))
    return odeon__error(ODEON_E_NOMEM, "%s: '%s': too many values", fn, name);
  double *copy = malloc((size_t)n * sizeof *copy);
  if (!copy)
    return odeon__error(ODEON_E_NOMEM, "%s: out of memory copying '%s'", fn,
                        name);
  memcpy(copy, values, (size_t)n * sizeof *copy);
  v->values = copy;
  v->n = n;
  v->src = src;
  if (src == SRC_SWEEP)
    g->sweep_order[g->n_sweeps++] = i;
  int st = update_shape(g, fn);
  if (st) { /* undo, so the grid stays as it was */
    if (src == SRC_SWEEP)
      g->n_sweeps--;
    v->src = SRC_DEFAULT;
    v->values = NULL;
    v->n = 0;
    free(copy);
    update_shape(g, fn);
    return st;
  }
  return ODEON_OK;
}

int odeon_grid_column(odeon_grid_t *g, const char *name, const double *values,
                      int64_t n) {
  return add_values(g, name, values, n, SRC_COLUMN, "odeon_grid_column");
}

int odeon_grid_sweep(odeon_grid_t *g, const char *name, const double *values,
                     int64_t n) {
  return add_values(g, name, values, n, SRC_SWEEP, "odeon_grid_sweep");
}

struct odeon__grid_drivers **odeon__grid_drivers_slot(odeon_grid_t *g) {
  return &g->drivers;
}

const struct odeon__grid_drivers *
odeon__grid_drivers_get(const odeon_grid_t *g) {
  return g->drivers;
}

int64_t odeon_grid_runs(const odeon_grid_t *g) {
  if (!g)
    return odeon__error(ODEON_E_INVAL, "odeon_grid_runs: grid is NULL");
  return g->runs;
}

int64_t odeon__grid_count(const odeon_grid_t *g, odeon_symbol_kind kind) {
  return kind == ODEON_SYM_STATE       ? g->n_states
         : kind == ODEON_SYM_PARAMETER ? g->n_params
                                       : 0;
}

static double value_at(const grid_var *v, const odeon_grid_t *g, int64_t run) {
  switch (v->src) {
  case SRC_COLUMN:
    return v->n == 1 ? v->values[0] : v->values[run / g->row_stride];
  case SRC_SWEEP:
    return v->values[(run / v->stride) % v->n];
  default:
    return v->def;
  }
}

int odeon_grid_value(const odeon_grid_t *g, const char *name, int64_t run,
                     double *value) {
  ODEON__CHECK_ARG(g && name && value, "odeon_grid_value",
                   "grid, name or value is NULL");
  int64_t i = find_var(g, name);
  if (i < 0)
    return odeon__error(ODEON_E_INVAL,
                        "odeon_grid_value: '%s' is not a state or parameter",
                        name);
  if (run < 0 || run >= g->runs)
    return odeon__error(ODEON_E_RANGE,
                        "odeon_grid_value: run %lld is outside [0, %lld)",
                        (long long)run, (long long)g->runs);
  *value = value_at(&g->vars[i], g, run);
  return ODEON_OK;
}

int odeon__grid_uniform(const odeon_grid_t *g, odeon_symbol_kind kind,
                        int64_t index, double *value) {
  if (index < 0 || index >= odeon__grid_count(g, kind))
    return 0;
  const grid_var *v =
      &g->vars[kind == ODEON_SYM_STATE ? index : g->n_states + index];
  if (v->src != SRC_DEFAULT && v->n != 1)
    return 0;
  *value = v->src == SRC_DEFAULT ? v->def : v->values[0];
  return 1;
}

int odeon__grid_fill(const odeon_grid_t *g, odeon_symbol_kind kind,
                     int64_t index, int64_t first, int64_t n, int real_bytes,
                     void *out) {
  int64_t count = odeon__grid_count(g, kind);
  if (index < 0 || index >= count || first < 0 || n < 0 ||
      first > g->runs - n || (real_bytes != 4 && real_bytes != 8))
    return odeon__error(ODEON_E_INTERNAL,
                        "grid fill: variable %lld of %lld, runs [%lld, +%lld) "
                        "of %lld, %d-byte reals",
                        (long long)index, (long long)count, (long long)first,
                        (long long)n, (long long)g->runs, real_bytes);
  const grid_var *v =
      &g->vars[kind == ODEON_SYM_STATE ? index : g->n_states + index];
  /* The common shapes as plain loops the compiler vectorises (a GPU chunk
     fills millions of values): one value for every run, and consecutive
     values one per run. */
  if (v->src == SRC_DEFAULT || (v->src == SRC_COLUMN && v->n == 1)) {
    double x = v->src == SRC_DEFAULT ? v->def : v->values[0];
    if (real_bytes == 8)
      for (int64_t r = 0; r < n; r++)
        ((double *)out)[r] = x;
    else
      for (int64_t r = 0; r < n; r++)
        ((float *)out)[r] = (float)x;
    return ODEON_OK;
  }
  int64_t step = v->src == SRC_SWEEP ? v->stride : g->row_stride;
  int64_t at = v->src == SRC_SWEEP ? first % v->n : first;
  if (step == 1 && at + n <= v->n) {
    const double *x = v->values + at;
    if (real_bytes == 8)
      memcpy(out, x, (size_t)n * sizeof *x);
    else
      for (int64_t r = 0; r < n; r++)
        ((float *)out)[r] = (float)x[r];
    return ODEON_OK;
  }
  /* Walk the run range with counters instead of dividing per run: the value
     index advances by one every `stride` runs (and wraps for sweeps). */
  int64_t stride = v->src == SRC_SWEEP ? v->stride : g->row_stride;
  int64_t idx = first / stride, rem = first % stride;
  int wraps = v->src == SRC_SWEEP;
  if (wraps)
    idx %= v->n;
  for (int64_t r = 0; r < n; r++) {
    double x = v->src == SRC_DEFAULT               ? v->def
               : v->src == SRC_COLUMN && v->n == 1 ? v->values[0]
                                                   : v->values[idx];
    if (real_bytes == 8)
      ((double *)out)[r] = x;
    else
      ((float *)out)[r] = (float)x;
    if (++rem == stride) {
      rem = 0;
      if (++idx == v->n && wraps)
        idx = 0;
    }
  }
  return ODEON_OK;
}
