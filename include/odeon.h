/* odeon.h - the public C API of libodeon: batched ODE integration of one
 * system over very many independent runs, on NVIDIA GPUs or CPU cores.
 *
 * Conventions (libuv/SUNDIALS style):
 *  - Every call returns an odeon_status (0 = success, negative = error) or a
 *    value documented otherwise. No call aborts or exits on bad input.
 *  - After any failing call, odeon_last_error() returns a message with the
 *    detail (which argument, which model line, which chunk). The message is
 *    thread-local and stays valid until the next failing call on that thread.
 *  - Handles are opaque and come in _create/_destroy pairs. _destroy accepts
 *    NULL. Strings passed in are copied; strings returned are owned by the
 *    handle that returned them and live as long as it does.
 *  - Batched data is laid out with the run index varying fastest: an array of
 *    shape [a][b][runs] is stored as data[(a*B + b)*runs + run].
 */
#ifndef ODEON_H
#define ODEON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ODEON_VERSION_MAJOR 0
#define ODEON_VERSION_MINOR 1
#define ODEON_VERSION_PATCH 0
#define ODEON_VERSION_STRING "0.1.0"

#if defined(_WIN32) || !defined(__GNUC__)
#define ODEON_API
#else
#define ODEON_API __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------- status */

/* The one list of status codes: X(NAME, value, description). */
#define ODEON_STATUS_MAP(X)                                                    \
  X(OK, 0, "success")                                                          \
  X(E_INVAL, -1, "invalid argument")                                           \
  X(E_NOMEM, -2, "out of memory")                                              \
  X(E_PARSE, -3, "model syntax error")                                         \
  X(E_MODEL, -4, "model semantic error")                                       \
  X(E_COMPILE, -5, "kernel compilation failed")                                \
  X(E_IO, -6, "file input/output error")                                       \
  X(E_BACKEND, -7, "backend (device or driver) error")                         \
  X(E_NODEVICE, -8, "no usable device or driver")                              \
  X(E_TIMEOUT, -9, "a wait exceeded its deadline")                             \
  X(E_CANCELLED, -10, "cancelled by the caller")                               \
  X(E_UNSUPPORTED, -11, "not supported by this build, backend or method")      \
  X(E_RANGE, -12, "value out of range")                                        \
  X(E_STATE, -13, "call not valid in the handle's current state")              \
  X(E_INTERNAL, -14, "internal error (a bug in odeon; please report it)")

typedef enum odeon_status {
#define ODEON__STATUS_ENUM(name, value, desc) ODEON_##name = value,
  ODEON_STATUS_MAP(ODEON__STATUS_ENUM)
#undef ODEON__STATUS_ENUM
} odeon_status;

/* A short description of a status code ("invalid argument"); never NULL. */
ODEON_API const char *odeon_strerror(int status);
/* The code's name without prefix ("E_INVAL"); never NULL. */
ODEON_API const char *odeon_status_name(int status);
/* The detailed message of the last failing call on this thread, or "" if
 * none. Owned by the library; valid until the next failing call. */
ODEON_API const char *odeon_last_error(void);
/* Forget the last error message of this thread. */
ODEON_API void odeon_clear_error(void);

ODEON_API const char *odeon_version(void);

/* --------------------------------------------------------- per-run status */

/* Bits of the per-run status word (MAGMA-style second level of status: the
 * call succeeded, but individual runs may have stopped). 0 = run completed. */
#define ODEON_RUN_STATUS_MAP(X)                                                \
  X(DT_MIN, 1u << 0, "step size fell below dt_min")                            \
  X(MAX_STEPS, 1u << 1, "maximum number of steps exceeded")                    \
  X(NONFINITE, 1u << 2, "state became NaN or infinite")                        \
  X(NEWTON, 1u << 3, "Newton iteration failed to converge")                    \
  X(SINGULAR, 1u << 4, "iteration matrix is singular")                         \
  X(DRIVER_RANGE, 1u << 5, "driver evaluated outside its samples")

enum odeon_run_status_bits {
#define ODEON__RUN_ENUM(name, value, desc) ODEON_RUN_##name = value,
  ODEON_RUN_STATUS_MAP(ODEON__RUN_ENUM)
#undef ODEON__RUN_ENUM
};

/* Write a human-readable decoding of a per-run status word into buf
 * ("ok" or "dt_min|nonfinite"). Returns the length it needed, like snprintf. */
ODEON_API size_t odeon_run_status_string(uint32_t word, char *buf, size_t size);

/* ------------------------------------------------------------------ model */

typedef struct odeon_model odeon_model_t;

/* Symbol roles in a model. */
typedef enum odeon_symbol_kind {
  ODEON_SYM_STATE = 0,
  ODEON_SYM_PARAMETER = 1,
  ODEON_SYM_CONSTANT = 2,
  ODEON_SYM_OBSERVABLE = 3,
  ODEON_SYM_DRIVER = 4
} odeon_symbol_kind;

/* Parse and check a model from text. `origin` names it in messages (a file
 * name, or NULL for "<string>"). On a syntax or semantic error returns
 * ODEON_E_PARSE or ODEON_E_MODEL and odeon_last_error() lists every error as
 * "origin:line:col: message" with the line and a caret. */
ODEON_API int odeon_model_from_string(const char *text, const char *origin,
                                      odeon_model_t **out);
/* Same, reading the text from a file. */
ODEON_API int odeon_model_from_file(const char *path, odeon_model_t **out);
ODEON_API void odeon_model_destroy(odeon_model_t *model);

/* Number of symbols of a kind, or a negative status on bad arguments. */
ODEON_API int64_t odeon_model_count(const odeon_model_t *model,
                                    odeon_symbol_kind kind);
/* Name of symbol i of a kind, or NULL (with last error set). */
ODEON_API const char *odeon_model_name(const odeon_model_t *model,
                                       odeon_symbol_kind kind, int64_t i);
/* Index of a named symbol of a kind, or -1 if there is none. */
ODEON_API int64_t odeon_model_index(const odeon_model_t *model,
                                    odeon_symbol_kind kind, const char *name);
/* Default value (initial value for states, value for parameters and
 * constants) of symbol i of a kind. */
ODEON_API int odeon_model_default(const odeon_model_t *model,
                                  odeon_symbol_kind kind, int64_t i,
                                  double *value);

/* A model from C functions, for the CPU backend. `rhs` computes dy = f(t, y)
 * for one run with parameters p; `jac` (optional, may be NULL) computes the
 * row-major n*n Jacobian J[i*n+j] = d f_i / d y_j. `user` is passed through.
 * Names may be NULL (then "y0".."yN", "p0".."pN"). */
typedef void (*odeon_rhs_fn)(double t, const double *y, const double *p,
                             double *dy, void *user);
typedef void (*odeon_jac_fn)(double t, const double *y, const double *p,
                             double *jac, void *user);
ODEON_API int odeon_model_from_functions(
    int64_t n_states, const char *const *state_names, const double *y0_default,
    int64_t n_params, const char *const *param_names, const double *p_default,
    odeon_rhs_fn rhs, odeon_jac_fn jac, void *user, odeon_model_t **out);

/* ---------------------------------------------------------------- options */

typedef enum odeon_precision {
  ODEON_FLOAT64 = 0,
  ODEON_FLOAT32 = 1
} odeon_precision;

typedef enum odeon_backend_kind {
  ODEON_BACKEND_AUTO = 0,
  ODEON_BACKEND_CPU = 1,
  ODEON_BACKEND_CUDA = 2
} odeon_backend_kind;

/* Outputs a solve may produce (bit mask). */
#define ODEON_OUTPUT_MAP(X)                                                    \
  X(STATE, 1u << 0, "state")                                                   \
  X(OBSERVABLES, 1u << 1, "observables")                                       \
  X(TIME, 1u << 2, "time")                                                     \
  X(STATUS, 1u << 3, "status")                                                 \
  X(COUNTERS, 1u << 4, "counters")                                             \
  X(SUMMARIES, 1u << 5, "summaries")

enum odeon_output_bits {
#define ODEON__OUT_ENUM(name, value, str) ODEON_OUT_##name = value,
  ODEON_OUTPUT_MAP(ODEON__OUT_ENUM)
#undef ODEON__OUT_ENUM
};

/* Progress callback: runs and bytes finished so far, of the totals. Called
 * from the engine's writeback thread; must be quick and thread-safe.
 * Returning non-zero cancels the solve (it then returns ODEON_E_CANCELLED). */
typedef int (*odeon_progress_fn)(int64_t runs_done, int64_t runs_total,
                                 int64_t bytes_done, int64_t bytes_total,
                                 void *user);

/* Solver options. Always start from odeon_options_init(), which sets the
 * documented defaults below, then change fields. A value of 0 (or NULL) for
 * a field documented "0 = auto" lets odeon choose. */
typedef struct odeon_options {
  size_t struct_size; /* set by odeon_options_init; for ABI checks */

  /* --- method and control --- */
  const char *algorithm;  /* "dormand-prince-54"; case-insensitive, aliases */
  const char *controller; /* NULL = the method's default ("fixed" for
                             fixed-step methods, else "pi") */
  odeon_precision precision; /* ODEON_FLOAT64 */
  double atol;               /* 1e-6 absolute tolerance */
  double rtol;               /* 1e-6 relative tolerance */
  double dt;         /* fixed step, or initial step for adaptive: 0 = auto
                        (fixed methods then use duration/1000) */
  double dt_min;     /* 1e-12 */
  double dt_max;     /* 0 = the whole duration */
  int64_t max_steps; /* 10000000 per run */
  /* Controller settings; NaN = the method's default (see
     controller_constants in the docs). */
  double safety, gain_min, gain_max, beta1, beta2, beta3;
  double deadband_min, deadband_max;
  /* Implicit methods: Newton iteration cap (0 = the method's default, 7 for
     DIRK, 10 for Radau) and tolerance relative to the error norm (NaN =
     default, 0.03 for DIRK; must be > 0 when given). */
  int newton_max_iters;
  double newton_tol;

  /* --- timing --- */
  double t0;              /* 0 */
  double duration;        /* 1 */
  double settling_time;   /* 0: integrated but not recorded */
  double save_every;      /* 0 = save the start and the end only */
  double summarise_every; /* 0 = one summary window over the whole duration */

  /* --- outputs --- */
  uint32_t outputs;      /* ODEON_OUT_STATE|ODEON_OUT_TIME|ODEON_OUT_STATUS */
  const char *save;      /* NULL = all states; else "x,z" */
  const char *summaries; /* NULL = none; else "mean,max,peaks[3]" */

  /* --- execution --- */
  odeon_backend_kind backend; /* ODEON_BACKEND_AUTO */
  int threads;                /* 0 = all cores (CPU backend) */
  double device_memory;  /* budget: >1 bytes, (0,1] fraction of free; 0 = 0.8 */
  double pinned_memory;  /* staging cap in bytes; 0 = 256 MiB */
  int64_t chunk_runs;    /* 0 = planned from the budget */
  int slots;             /* pipeline depth: 0 = 2 */
  double timeout;        /* seconds any single wait may take: 0 = 600 */
  const char *devices;   /* CUDA: "0", "0,1" or "all"; NULL = "0". Several
                            split the runs; "cpu:N" = N CPU backends */
  int block_size;        /* CUDA: threads per block, 0 = occupancy API */
  const char *cache_dir; /* NULL = $ODEON_CACHE_DIR, else $XDG_CACHE_HOME/odeon,
                            else ~/.cache/odeon */
  odeon_progress_fn progress; /* NULL = none */
  void *progress_user;
} odeon_options_t;

ODEON_API void odeon_options_init(odeon_options_t *opts);

/* ------------------------------------------------------------------- grid */

/* A grid is the (variable x run) table of inputs. Unset states and
 * parameters take the model's defaults. Columns added with
 * odeon_grid_column are paired run by run (verbatim); a column of length 1
 * is broadcast. Sweeps added with odeon_grid_sweep multiply: the runs are
 * the Cartesian product verbatim-rows x sweep1 x sweep2 x ..., with the
 * last sweep varying fastest. */
typedef struct odeon_grid odeon_grid_t;

ODEON_API int odeon_grid_create(const odeon_model_t *model, odeon_grid_t **out);
ODEON_API void odeon_grid_destroy(odeon_grid_t *grid);
ODEON_API int odeon_grid_column(odeon_grid_t *grid, const char *name,
                                const double *values, int64_t n);
ODEON_API int odeon_grid_sweep(odeon_grid_t *grid, const char *name,
                               const double *values, int64_t n);
/* Number of runs the grid describes (>= 1), or a negative status. */
ODEON_API int64_t odeon_grid_runs(const odeon_grid_t *grid);
/* Samples of a driver (a named time-dependent input of the model) for the
 * solves of this grid: samples[k] at time t_first + k*dt, k = 0..n-1
 * (n >= 2), interpolated by a cubic spline. n_series = 1 shares one series
 * with every run; n_series = odeon_grid_runs() gives run r the series at
 * samples + r*n. `ends`: "natural" (NULL), "clamped" (slopes estimated from
 * the end samples), "not-a-knot" or "periodic" (the last sample must equal
 * the first; time wraps). The samples are copied. Giving a driver again
 * replaces it. Every driver of the model needs samples before a solve. */
ODEON_API int odeon_grid_driver(odeon_grid_t *grid, const char *name,
                                double t_first, double dt,
                                const double *samples, int64_t n,
                                int64_t n_series, const char *ends);
/* Value of a state or parameter for a run (for checks and tools). */
ODEON_API int odeon_grid_value(const odeon_grid_t *grid, const char *name,
                               int64_t run, double *value);

/* ----------------------------------------------------------------- solver */

/* A solver compiles the model for one set of options once and can then
 * solve many grids, from one thread at a time; several solvers may solve
 * concurrently in different threads. */
typedef struct odeon_solver odeon_solver_t;

ODEON_API int odeon_solver_create(const odeon_model_t *model,
                                  const odeon_options_t *opts,
                                  odeon_solver_t **out);
ODEON_API void odeon_solver_destroy(odeon_solver_t *solver);
/* The backend the solver runs on ("cpu" or "cuda"), and why it was picked. */
ODEON_API const char *odeon_solver_backend(const odeon_solver_t *solver);
ODEON_API const char *odeon_solver_backend_reason(const odeon_solver_t *solver);

/* --------------------------------------------------------------- results */

typedef struct odeon_result odeon_result_t;

typedef enum odeon_dtype {
  ODEON_DTYPE_F64 = 0,
  ODEON_DTYPE_F32 = 1,
  ODEON_DTYPE_U32 = 2,
  ODEON_DTYPE_I64 = 3
} odeon_dtype;

#define ODEON_MAX_DIMS 4

/* A view of one output array, owned by the result. */
typedef struct odeon_array_view {
  const char *name; /* "state", "time", "status", "counters", ... */
  const void *data; /* NULL if the output lives in a file sink */
  odeon_dtype dtype;
  int ndim;
  int64_t shape[ODEON_MAX_DIMS];
  const char *axes[ODEON_MAX_DIMS]; /* "sample", "variable", "run", ... */
  /* Labels along the "variable" axis (names of states, observables,
     counters or metrics), or NULL where the axis has none. */
  const char *const *labels;
} odeon_array_view;

/* Element i (flat index, C order over the view's shape) of a view held in
 * memory, converted to double; NaN if the view has no data in memory or i
 * is out of range. */
ODEON_API double odeon_array_view_at(const odeon_array_view *view, int64_t i);

/* Where results go. The default (dest == NULL) is memory the result owns,
 * or a .npy file sink when the result would exceed the RAM threshold. */
typedef enum odeon_dest_kind {
  ODEON_DEST_AUTO = 0,   /* RAM, or file when above ram_limit */
  ODEON_DEST_MEMORY = 1, /* memory owned by the result */
  ODEON_DEST_USER = 2,   /* the caller's buffer for the state output */
  ODEON_DEST_FILE = 3    /* a .npy file written chunk by chunk */
} odeon_dest_kind;

typedef struct odeon_dest {
  odeon_dest_kind kind;
  void *user_state; /* DEST_USER: [sample][saved var][run] of the
                       solve's precision; caller owns it. On a GPU, a
                       buffer the caller page-locked (cudaHostRegister
                       or cudaMallocHost, the whole range) is written by
                       the device directly, without staging or a host
                       copy: the fastest way to take large results */
  size_t user_state_bytes;
  const char *path; /* DEST_FILE / AUTO: the .npy path for the state
                       output ("odeon-result.npy" if NULL); the
                       observables and summaries then go beside it
                       (STEM-observables.npy, STEM-summaries.npy) */
  double ram_limit; /* AUTO: bytes; 0 = half of physical memory */
} odeon_dest_t;

/* Solve every run of the grid. On success *out holds the results (status
 * per run included: runs that stopped early are not an error of the call).
 * On failure nothing is returned in *out and every thread, buffer and file
 * handle the call started is released; a file sink is left marked
 * incomplete (renamed to PATH.incomplete). */
ODEON_API int odeon_solve(odeon_solver_t *solver, const odeon_grid_t *grid,
                          const odeon_dest_t *dest, odeon_result_t **out);
/* While any solver exists, a destroyed result's large arrays (8 MiB and
 * up) stay mapped for the next solve's, which then skips the page faults
 * of fresh memory (at most 8 arrays and a quarter of the memory the process
 * may have, its cgroup's limit counted); the last odeon_solver_destroy
 * unmaps them. On a GPU, a solve that reuses such an array page-locks it
 * (at most an eighth of that memory in all), so that the device writes
 * results into it directly; it stays page-locked, and keeps the device's
 * CUDA context alive, until it is unmapped. */
ODEON_API void odeon_result_destroy(odeon_result_t *result);

ODEON_API int64_t odeon_result_runs(const odeon_result_t *result);
ODEON_API int64_t odeon_result_samples(const odeon_result_t *result);
/* Get an output by name ("state", "observables", "time", "status",
 * "counters", "summaries"). Returns ODEON_E_INVAL if not produced. */
ODEON_API int odeon_result_output(const odeon_result_t *result,
                                  const char *name, odeon_array_view *view);
/* Per-run status word (0 = completed). */
ODEON_API uint32_t odeon_result_run_status(const odeon_result_t *result,
                                           int64_t run);
/* Number of runs whose status is non-zero. */
ODEON_API int64_t odeon_result_failed_runs(const odeon_result_t *result);
/* The .npy file holding an output whose view has data == NULL (a file
 * sink), or NULL when the output is in memory or absent. Owned by the
 * result. */
ODEON_API const char *odeon_result_file(const odeon_result_t *result,
                                        const char *name);

#ifdef __cplusplus
}
#endif
#endif /* ODEON_H */
