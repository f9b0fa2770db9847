/* grid.h - the engine's side of odeon_grid_t: build a grid from variable
 * names and defaults, and generate the values of one variable for a range of
 * runs on demand (a grid of 10^8 runs is never materialised). */
#ifndef ODEON_ENGINE_GRID_H
#define ODEON_ENGINE_GRID_H

#include <stdint.h>

#include "odeon.h"

/* A grid over explicit variables: states first, then parameters, each in
 * model order, with their default values (odeon_grid_create calls this with
 * the model's symbols). Names may be NULL ("y0".., "p0"..). */
int odeon__grid_create_vars(int64_t n_states, const char *const *state_names,
                            const double *state_defaults, int64_t n_params,
                            const char *const *param_names,
                            const double *param_defaults, odeon_grid_t **out);

/* Number of states (kind ODEON_SYM_STATE) or parameters the grid holds. */
int64_t odeon__grid_count(const odeon_grid_t *grid, odeon_symbol_kind kind);

/* 1 and *value when variable `index` of `kind` has one value for every run
 * (its default, or a column or sweep of length 1), else 0. */
int odeon__grid_uniform(const odeon_grid_t *grid, odeon_symbol_kind kind,
                        int64_t index, double *value);

/* Values of variable `index` of `kind` for runs [first, first + n), written
 * as doubles (real_bytes 8) or floats (4) to out[0..n). */
int odeon__grid_fill(const odeon_grid_t *grid, odeon_symbol_kind kind,
                     int64_t index, int64_t first, int64_t n, int real_bytes,
                     void *out);

/* Driver samples attached to the grid (api/drivers.c owns the type): the
 * slot where odeon_grid_driver keeps them, read access for the solve, and
 * the free called by odeon_grid_destroy. */
struct odeon__grid_drivers;
struct odeon__grid_drivers **odeon__grid_drivers_slot(odeon_grid_t *grid);
const struct odeon__grid_drivers *
odeon__grid_drivers_get(const odeon_grid_t *grid);
void odeon__grid_drivers_free(struct odeon__grid_drivers *d);

#endif
