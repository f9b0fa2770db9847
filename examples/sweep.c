/* sweep.c - a C program that uses the installed libodeon: solves the Lorenz
 * system for a sweep of rho with tsit5 and prints the final x of each run.
 * Build: cc sweep.c $(pkg-config --cflags --libs odeon) -o sweep
 * Run:   ./sweep path/to/lorenz.ode */
#include <stdio.h>

#include <odeon.h>

static int fail(const char *what, int status) {
  fprintf(stderr, "sweep: %s: %s: %s\n", what, odeon_strerror(status),
          odeon_last_error());
  return 1;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "lorenz.ode";
  odeon_model_t *model = NULL;
  odeon_grid_t *grid = NULL;
  odeon_solver_t *solver = NULL;
  odeon_result_t *result = NULL;
  int st, rc = 1;
  if ((st = odeon_model_from_file(path, &model)) != ODEON_OK)
    return fail("model", st);
  if ((st = odeon_grid_create(model, &grid)) != ODEON_OK) {
    rc = fail("grid", st);
    goto done;
  }
  double rho[] = {2.385, 10.0, 21.0};
  if ((st = odeon_grid_sweep(grid, "rho", rho, 3)) != ODEON_OK) {
    rc = fail("sweep", st);
    goto done;
  }
  odeon_options_t opts;
  odeon_options_init(&opts);
  opts.algorithm = "tsit5";
  opts.atol = opts.rtol = 1e-8;
  opts.backend = ODEON_BACKEND_CPU;
  if ((st = odeon_solver_create(model, &opts, &solver)) != ODEON_OK) {
    rc = fail("solver", st);
    goto done;
  }
  if ((st = odeon_solve(solver, grid, NULL, &result)) != ODEON_OK) {
    rc = fail("solve", st);
    goto done;
  }
  odeon_array_view state;
  if ((st = odeon_result_output(result, "state", &state)) != ODEON_OK) {
    rc = fail("output", st);
    goto done;
  }
  /* state is [sample][variable][run]; the last sample is t = 1 */
  const double *x = state.data;
  int64_t runs = state.shape[2], vars = state.shape[1];
  int64_t last = (state.shape[0] - 1) * vars * runs;
  for (int64_t r = 0; r < runs; r++)
    printf("rho=%g x(1)=%.9g status=%u\n", rho[r], x[last + r],
           odeon_result_run_status(result, r));
  rc = 0;
done:
  odeon_result_destroy(result);
  odeon_solver_destroy(solver);
  odeon_grid_destroy(grid);
  odeon_model_destroy(model);
  return rc;
}
