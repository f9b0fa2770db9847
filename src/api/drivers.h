/* drivers.h - driver samples given at solve time (odeon_grid_driver) and
 * their packing into the spline block the kernels evaluate. */
#ifndef ODEON_API_DRIVERS_H
#define ODEON_API_DRIVERS_H

#include <stddef.h>
#include <stdint.h>

#include "odeon.h"

/* The spline block(s) for a solve: the model's drivers in model order.
 * *block is malloc'ed (NULL when the model has no drivers); *stride is 0
 * for one block shared by every run, else the reals of each run's block. */
int odeon__drivers_build(const odeon_model_t *model, const odeon_grid_t *grid,
                         int real_bytes, void **block, size_t *bytes,
                         long long *stride);

#endif
