/* solve.c - `odeon solve`: reads the options, builds the grid of runs, solves
 * and writes the results (CSV or .npy). Usage errors exit 2, a failed solve
 * exits 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "codegen/spline_host.h"
#include "io/csv.h"

#define MAX_LIST 256

typedef struct named_values {
  const char *opt; /* the option it came from, for messages */
  char *name;
  double *values;
  int64_t n;
} named_values;

typedef struct solve_args {
  const char *model_path;
  odeon_options_t o;
  const char *inputs;
  const char *out;
  named_values sets[MAX_LIST];
  int n_sets;
  named_values sweeps[MAX_LIST];
  int n_sweeps;
  struct {
    char *name;
    const char *path;
  } drivers[MAX_LIST];
  int n_drivers;
  const char *spline_ends;
  int quiet;
  int explicit_outputs; /* --outputs was given */
  char *summaries;      /* built from --outputs / --summaries */
} solve_args;

void odeon__cli_solve_help(void) {
  printf(
      "usage: odeon solve MODEL [options]\n"
      "\n"
      "Method and control:\n"
      "  --algorithm NAME      integration method (default dormand-prince-54;\n"
      "                        classical-rk4, tsit5, rk4, ode45, ...)\n"
      "  --controller NAME     fixed, i, pi, pid, gustafsson (method default)\n"
      "  --atol A, --rtol R    tolerances of adaptive methods (1e-6, 1e-6)\n"
      "  --dt H                fixed step, or initial step of adaptive "
      "methods\n"
      "  --dt-min H, --dt-max H  step limits (1e-12, the duration)\n"
      "  --max-steps N         steps per run before it stops (10000000)\n"
      "  --safety X, --gain-min X, --gain-max X, --beta1 X, --beta2 X,\n"
      "  --beta3 X, --deadband-min X, --deadband-max X   controller settings\n"
      "  --newton-max-iters N, --newton-tol X   implicit methods\n"
      "  --precision P         float64 (default) or float32\n"
      "Timing:\n"
      "  --t0 T0               start time (0)\n"
      "  --duration T          recorded span (1)\n"
      "  --settling-time T     integrated before t0+T, not recorded (0)\n"
      "  --save-every S        save at t0+settle+k*S (default: start and end)\n"
      "  --summarise-every S   summary window length (default: whole span)\n"
      "Runs:\n"
      "  --set NAME=VALUE      a state's initial value or a parameter, all "
      "runs\n"
      "  --sweep NAME=LO:HI:N  N values from LO to HI (linspace)\n"
      "  --sweep NAME=V1,V2,.. listed values; several sweeps combine as a\n"
      "                        Cartesian product, the last varying fastest\n"
      "  --inputs RUNS.csv     one row per run; header names "
      "states/parameters\n"
      "Outputs:\n"
      "  --out FILE.csv|FILE.npy  where results go (CSV to stdout by default)\n"
      "  --outputs LIST        state,observables,time,status,counters and\n"
      "                        summary metrics (mean,max,peaks[3],...)\n"
      "  --save NAMES          save only these states (x,z)\n"
      "Execution:\n"
      "  --backend B           auto (default), cpu or cuda\n"
      "  --threads N           CPU worker threads (all cores)\n"
      "  --device-memory B|F   device budget in bytes (K/M/G) or fraction\n"
      "  --pinned-memory B     staging memory cap\n"
      "  --chunk-runs N        force the runs per chunk\n"
      "  --slots N             pipeline depth (2)\n"
      "  --timeout S           deadline of any single wait, seconds (600)\n"
      "  --devices LIST        CUDA devices: 0 | 0,1 | all (runs split\n"
      "                        over them); cpu:N = N CPU backends\n"
      "  --block-size N        CUDA threads per block (occupancy API)\n"
      "  --quiet               no summary or progress on stderr\n");
}

static void free_named(named_values *v) {
  free(v->name);
  free(v->values);
}

static void free_args(solve_args *a) {
  for (int i = 0; i < a->n_sets; i++)
    free_named(&a->sets[i]);
  for (int i = 0; i < a->n_sweeps; i++)
    free_named(&a->sweeps[i]);
  for (int i = 0; i < a->n_drivers; i++)
    free(a->drivers[i].name);
  free(a->summaries);
}

/* NAME=rest: split and check the name is not empty. */
static int split_assignment(const char *opt, const char *text, char **name,
                            const char **rest) {
  const char *eq = strchr(text, '=');
  if (!eq || eq == text) {
    odeon__cli_fail("%s: expected NAME=VALUE, got '%s'", opt, text);
    return -1;
  }
  *name = strndup(text, (size_t)(eq - text));
  if (!*name) {
    odeon__cli_fail("out of memory");
    return -1;
  }
  *rest = eq + 1;
  return 0;
}

static int parse_set(solve_args *a, const char *text) {
  if (a->n_sets == MAX_LIST) {
    odeon__cli_fail("--set: more than %d given", MAX_LIST);
    return -1;
  }
  named_values *v = &a->sets[a->n_sets];
  const char *rest;
  if (split_assignment("--set", text, &v->name, &rest))
    return -1;
  v->opt = "--set";
  v->values = malloc(sizeof(double));
  v->n = 1;
  a->n_sets++;
  if (!v->values) {
    odeon__cli_fail("out of memory");
    return -1;
  }
  return odeon__cli_double("--set", rest, v->values);
}

static int parse_sweep(solve_args *a, const char *text) {
  if (a->n_sweeps == MAX_LIST) {
    odeon__cli_fail("--sweep: more than %d given", MAX_LIST);
    return -1;
  }
  named_values *v = &a->sweeps[a->n_sweeps];
  const char *rest;
  if (split_assignment("--sweep", text, &v->name, &rest))
    return -1;
  v->opt = "--sweep";
  a->n_sweeps++;
  if (*rest == '\0') {
    odeon__cli_fail("--sweep %s: empty sweep (give LO:HI:N or V1,V2,...)",
                    v->name);
    return -1;
  }
  char *copy = strdup(rest);
  if (!copy) {
    odeon__cli_fail("out of memory");
    return -1;
  }
  int rc = -1;
  char opt[300];
  snprintf(opt, sizeof opt, "--sweep %s", v->name);
  if (strchr(copy, ':')) {
    char *p1 = strchr(copy, ':');
    char *p2 = strchr(p1 + 1, ':');
    if (!p2 || strchr(p2 + 1, ':')) {
      odeon__cli_fail("%s: expected LO:HI:N, got '%s'", opt, rest);
      goto out;
    }
    *p1 = *p2 = '\0';
    double lo, hi;
    int64_t n;
    if (odeon__cli_double(opt, copy, &lo) ||
        odeon__cli_double(opt, p1 + 1, &hi) ||
        odeon__cli_int64(opt, p2 + 1, &n))
      goto out;
    if (n < 1) {
      odeon__cli_fail("%s: empty sweep: N must be at least 1", opt);
      goto out;
    }
    if (n > ((int64_t)1 << 40)) {
      odeon__cli_fail("%s: N = %lld is too large", opt, (long long)n);
      goto out;
    }
    v->values = malloc((size_t)n * sizeof(double));
    if (!v->values) {
      odeon__cli_fail("%s: out of memory for %lld values", opt, (long long)n);
      goto out;
    }
    v->n = n;
    for (int64_t i = 0; i < n; i++)
      v->values[i] =
          n == 1 ? lo : lo + (hi - lo) * ((double)i / (double)(n - 1));
    if (n > 1)
      v->values[n - 1] = hi;
  } else {
    int64_t n = 1;
    for (char *p = copy; *p; p++)
      n += *p == ',';
    v->values = malloc((size_t)n * sizeof(double));
    if (!v->values) {
      odeon__cli_fail("out of memory");
      goto out;
    }
    char *tok = copy;
    for (int64_t i = 0; i < n; i++) {
      char *comma = strchr(tok, ',');
      if (comma)
        *comma = '\0';
      if (*tok == '\0') {
        odeon__cli_fail("%s: empty value at position %lld", opt,
                        (long long)i + 1);
        goto out;
      }
      if (odeon__cli_double(opt, tok, &v->values[i]))
        goto out;
      tok = comma ? comma + 1 : tok;
    }
    v->n = n;
  }
  rc = 0;
out:
  free(copy);
  return rc;
}

/* Split --outputs into output bits and summary metrics. */
static int parse_outputs(solve_args *a, const char *text) {
  static const struct {
    const char *name;
    uint32_t bit;
  } outs[] = {
#define ODEON__OUT_ROW(name, value, str) {str, value},
      ODEON_OUTPUT_MAP(ODEON__OUT_ROW)
#undef ODEON__OUT_ROW
          {"states", ODEON_OUT_STATE},
      {"observable", ODEON_OUT_OBSERVABLES}};
  char *copy = strdup(text);
  size_t cap = strlen(text) + 2;
  char *metrics = calloc(1, cap);
  if (!copy || !metrics) {
    free(copy);
    free(metrics);
    odeon__cli_fail("out of memory");
    return -1;
  }
  uint32_t bits = 0;
  int rc = 0;
  for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
    int found = 0;
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++)
      if (strcmp(tok, outs[i].name) == 0) {
        bits |= outs[i].bit;
        found = 1;
      }
    if (!found) {
      /* anything else is a summary metric, checked by the library */
      if (*metrics)
        strcat(metrics, ",");
      strcat(metrics, tok);
      bits |= ODEON_OUT_SUMMARIES;
    }
  }
  if (bits == 0) {
    odeon__cli_fail("--outputs: empty list");
    rc = -1;
  }
  /* the CSV's t column needs the times; the status word is always kept */
  if (bits & (ODEON_OUT_STATE | ODEON_OUT_OBSERVABLES))
    bits |= ODEON_OUT_TIME;
  bits |= ODEON_OUT_STATUS;
  a->o.outputs = bits;
  a->explicit_outputs = 1;
  free(a->summaries);
  a->summaries = *metrics ? metrics : NULL;
  if (!*metrics)
    free(metrics);
  a->o.summaries = a->summaries;
  free(copy);
  return rc;
}

enum { V_DOUBLE, V_INT, V_STRING, V_BYTES, V_SPECIAL };

static int parse_args(solve_args *a, int argc, char **argv) {
  odeon_options_t *o = &a->o;
  double threads = 0, slots = 0, block = 0, newton_iters = 0;
  const struct {
    const char *name;
    int kind;
    void *target;
  } table[] = {
      {"--algorithm", V_STRING, &o->algorithm},
      {"--controller", V_STRING, &o->controller},
      {"--duration", V_DOUBLE, &o->duration},
      {"--t0", V_DOUBLE, &o->t0},
      {"--dt", V_DOUBLE, &o->dt},
      {"--atol", V_DOUBLE, &o->atol},
      {"--rtol", V_DOUBLE, &o->rtol},
      {"--dt-min", V_DOUBLE, &o->dt_min},
      {"--dt-max", V_DOUBLE, &o->dt_max},
      {"--max-steps", V_INT, &o->max_steps},
      {"--safety", V_DOUBLE, &o->safety},
      {"--gain-min", V_DOUBLE, &o->gain_min},
      {"--gain-max", V_DOUBLE, &o->gain_max},
      {"--beta1", V_DOUBLE, &o->beta1},
      {"--beta2", V_DOUBLE, &o->beta2},
      {"--beta3", V_DOUBLE, &o->beta3},
      {"--deadband-min", V_DOUBLE, &o->deadband_min},
      {"--deadband-max", V_DOUBLE, &o->deadband_max},
      {"--newton-max-iters", V_DOUBLE, &newton_iters},
      {"--newton-tol", V_DOUBLE, &o->newton_tol},
      {"--save-every", V_DOUBLE, &o->save_every},
      {"--summarise-every", V_DOUBLE, &o->summarise_every},
      {"--summarize-every", V_DOUBLE, &o->summarise_every},
      {"--settling-time", V_DOUBLE, &o->settling_time},
      {"--precision", V_SPECIAL, NULL},
      {"--set", V_SPECIAL, NULL},
      {"--sweep", V_SPECIAL, NULL},
      {"--inputs", V_STRING, &a->inputs},
      {"--driver", V_SPECIAL, NULL},
      {"--spline-ends", V_STRING, &a->spline_ends},
      {"--out", V_STRING, &a->out},
      {"--outputs", V_SPECIAL, NULL},
      {"--save", V_STRING, &o->save},
      {"--backend", V_SPECIAL, NULL},
      {"--threads", V_DOUBLE, &threads},
      {"--device-memory", V_BYTES, &o->device_memory},
      {"--pinned-memory", V_BYTES, &o->pinned_memory},
      {"--chunk-runs", V_INT, &o->chunk_runs},
      {"--slots", V_DOUBLE, &slots},
      {"--timeout", V_DOUBLE, &o->timeout},
      {"--devices", V_STRING, &o->devices},
      {"--block-size", V_DOUBLE, &block},
  };
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      odeon__cli_solve_help();
      return 1;
    }
    if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0) {
      a->quiet = 1;
      continue;
    }
    if (strncmp(arg, "--", 2) != 0) {
      if (a->model_path) {
        odeon__cli_fail("unexpected argument '%s' (the model is '%s')", arg,
                        a->model_path);
        return -1;
      }
      a->model_path = arg;
      continue;
    }
    /* --name=value or --name value */
    char name[64];
    const char *value = NULL;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (len >= sizeof name) {
      odeon__cli_fail("unknown option '%s' (try 'odeon solve --help')", arg);
      return -1;
    }
    memcpy(name, arg, len);
    name[len] = '\0';
    size_t k = 0;
    for (; k < sizeof table / sizeof table[0]; k++)
      if (strcmp(table[k].name, name) == 0)
        break;
    if (k == sizeof table / sizeof table[0]) {
      odeon__cli_fail("unknown option '%s' (try 'odeon solve --help')", name);
      return -1;
    }
    if (eq)
      value = eq + 1;
    else if (i + 1 < argc)
      value = argv[++i];
    else {
      odeon__cli_fail("%s: missing value", name);
      return -1;
    }
    switch (table[k].kind) {
    case V_DOUBLE:
      if (odeon__cli_double(name, value, table[k].target))
        return -1;
      break;
    case V_INT:
      if (odeon__cli_int64(name, value, table[k].target))
        return -1;
      break;
    case V_BYTES:
      if (odeon__cli_bytes(name, value, table[k].target))
        return -1;
      break;
    case V_STRING:
      if (!*value) {
        odeon__cli_fail("%s: empty value", name);
        return -1;
      }
      *(const char **)table[k].target = value;
      break;
    default:
      if (strcmp(name, "--precision") == 0) {
        if (strcmp(value, "float64") == 0 || strcmp(value, "double") == 0)
          o->precision = ODEON_FLOAT64;
        else if (strcmp(value, "float32") == 0 || strcmp(value, "float") == 0)
          o->precision = ODEON_FLOAT32;
        else {
          odeon__cli_fail("--precision: expected float32 or float64, got '%s'",
                          value);
          return -1;
        }
      } else if (strcmp(name, "--backend") == 0) {
        if (strcmp(value, "auto") == 0)
          o->backend = ODEON_BACKEND_AUTO;
        else if (strcmp(value, "cpu") == 0)
          o->backend = ODEON_BACKEND_CPU;
        else if (strcmp(value, "cuda") == 0 || strcmp(value, "gpu") == 0)
          o->backend = ODEON_BACKEND_CUDA;
        else {
          odeon__cli_fail("--backend: expected auto, cpu or cuda, got '%s'",
                          value);
          return -1;
        }
      } else if (strcmp(name, "--set") == 0) {
        if (parse_set(a, value))
          return -1;
      } else if (strcmp(name, "--sweep") == 0) {
        if (parse_sweep(a, value))
          return -1;
      } else if (strcmp(name, "--driver") == 0) {
        if (a->n_drivers == MAX_LIST) {
          odeon__cli_fail("--driver: more than %d given", MAX_LIST);
          return -1;
        }
        const char *path;
        if (split_assignment("--driver", value, &a->drivers[a->n_drivers].name,
                             &path))
          return -1;
        a->drivers[a->n_drivers++].path = path;
        if (!*path) {
          odeon__cli_fail("--driver %s: expected NAME=FILE.csv",
                          a->drivers[a->n_drivers - 1].name);
          return -1;
        }
      } else if (strcmp(name, "--outputs") == 0) {
        if (parse_outputs(a, value))
          return -1;
      }
    }
  }
  const struct {
    const char *name;
    double v;
    double max;
  } ints[] = {{"--threads", threads, 4096},
              {"--slots", slots, 64},
              {"--block-size", block, 1024},
              {"--newton-max-iters", newton_iters, 1000}};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    if (ints[i].v < 0 || ints[i].v > ints[i].max ||
        ints[i].v != floor(ints[i].v)) {
      odeon__cli_fail("%s: expected a whole number in 0..%g, got %g",
                      ints[i].name, ints[i].max, ints[i].v);
      return -1;
    }
  o->threads = (int)threads;
  o->slots = (int)slots;
  o->block_size = (int)block;
  o->newton_max_iters = (int)newton_iters;
  if (!a->model_path) {
    odeon__cli_fail("missing MODEL (usage: odeon solve MODEL [options])");
    return -1;
  }
  return 0;
}

static int progress_line(int64_t runs_done, int64_t runs_total,
                         int64_t bytes_done, int64_t bytes_total, void *user) {
  (void)bytes_done;
  (void)bytes_total;
  (void)user;
  fprintf(stderr, "\rodeon: %lld/%lld runs (%.0f%%)", (long long)runs_done,
          (long long)runs_total,
          runs_total ? 100.0 * (double)runs_done / (double)runs_total : 100.0);
  if (runs_done == runs_total)
    fputc('\n', stderr);
  return 0;
}

/* --driver NAME=FILE.csv: a column t (uniformly spaced) and either one
 * value column (shared by every run) or one column per run. */
static int add_driver(odeon_grid_t *grid, const char *name, const char *path,
                      const char *ends) {
  odeon__csv_table t;
  if (odeon__csv_read(path, &t) != ODEON_OK) {
    odeon__cli_fail("--driver %s: %s", name, odeon_last_error());
    return -1;
  }
  int rc = -1;
  double t_first, h;
  char what[300];
  snprintf(what, sizeof what, "--driver %s (%s)", name, path);
  if (t.n_cols < 2 || strcmp(t.names[0], "t") != 0) {
    odeon__cli_fail("%s: expected a header 't,%s' (or t and one column per "
                    "run)",
                    what, name);
    goto out;
  }
  if (odeon__spline_uniform(t.cols[0], t.n_rows, &t_first, &h, what) !=
      ODEON_OK) {
    odeon__cli_fail("%s", odeon_last_error());
    goto out;
  }
  int64_t ns = t.n_cols - 1, n = t.n_rows;
  double *samples = malloc((size_t)(ns * n) * sizeof *samples);
  if (!samples) {
    odeon__cli_fail("%s: out of memory", what);
    goto out;
  }
  for (int64_t c = 0; c < ns; c++)
    memcpy(samples + c * n, t.cols[c + 1], (size_t)n * sizeof *samples);
  if (odeon_grid_driver(grid, name, t_first, h, samples, n, ns, ends) !=
      ODEON_OK)
    odeon__cli_fail("%s: %s", what, odeon_last_error());
  else
    rc = 0;
  free(samples);
out:
  odeon__csv_free(&t);
  return rc;
}

static int build_grid(const solve_args *a, const odeon_model_t *model,
                      odeon_grid_t **out) {
  odeon_grid_t *grid = NULL;
  if (odeon_grid_create(model, &grid) != ODEON_OK) {
    odeon__cli_fail("%s", odeon_last_error());
    return ODEON_EXIT_FAILED;
  }
  if (a->inputs) {
    odeon__csv_table t;
    if (odeon__csv_read(a->inputs, &t) != ODEON_OK) {
      odeon__cli_fail("--inputs: %s", odeon_last_error());
      odeon_grid_destroy(grid);
      return ODEON_EXIT_USAGE;
    }
    for (int64_t c = 0; c < t.n_cols; c++)
      if (odeon_grid_column(grid, t.names[c], t.cols[c], t.n_rows) !=
          ODEON_OK) {
        odeon__cli_fail("--inputs %s: column '%s': %s", a->inputs, t.names[c],
                        odeon_last_error());
        odeon__csv_free(&t);
        odeon_grid_destroy(grid);
        return ODEON_EXIT_USAGE;
      }
    odeon__csv_free(&t);
  }
  for (int i = 0; i < a->n_sets; i++)
    if (odeon_grid_column(grid, a->sets[i].name, a->sets[i].values, 1) !=
        ODEON_OK) {
      odeon__cli_fail("--set %s: %s", a->sets[i].name, odeon_last_error());
      odeon_grid_destroy(grid);
      return ODEON_EXIT_USAGE;
    }
  for (int i = 0; i < a->n_sweeps; i++)
    if (odeon_grid_sweep(grid, a->sweeps[i].name, a->sweeps[i].values,
                         a->sweeps[i].n) != ODEON_OK) {
      odeon__cli_fail("--sweep %s: %s", a->sweeps[i].name, odeon_last_error());
      odeon_grid_destroy(grid);
      return ODEON_EXIT_USAGE;
    }
  for (int i = 0; i < a->n_drivers; i++)
    if (add_driver(grid, a->drivers[i].name, a->drivers[i].path,
                   a->spline_ends) != 0) {
      odeon_grid_destroy(grid);
      return ODEON_EXIT_USAGE;
    }
  *out = grid;
  return ODEON_EXIT_OK;
}

static int has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A character device or pipe (/dev/null, /dev/stdout, a FIFO) takes CSV. */
static int is_device(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode));
}

/* Usage-type failures (bad input) exit 2, everything else 1. */
static int exit_for(int status) {
  switch (status) {
  case ODEON_E_INVAL:
  case ODEON_E_PARSE:
  case ODEON_E_MODEL:
  case ODEON_E_RANGE:
  case ODEON_E_UNSUPPORTED:
    return ODEON_EXIT_USAGE;
  case ODEON_E_IO:
    return ODEON_EXIT_USAGE;
  default:
    return ODEON_EXIT_FAILED;
  }
}

/* "out.csv" -> "out-<what>.<ext>" */
static void sibling(const char *out, const char *what, const char *ext,
                    char *buf, size_t size) {
  size_t n = strlen(out);
  if (has_suffix(out, ".csv") || has_suffix(out, ".npy"))
    n -= 4;
  snprintf(buf, size, "%.*s-%s.%s", (int)n, out, what, ext);
}

/* The primary output goes to --out (or stdout): the samples, else the
 * summaries, else the per-run table. With --out, every other requested
 * output goes to a file beside it. */
static int write_outputs(const solve_args *a, const odeon_result_t *res,
                         int to_npy) {
  uint32_t outs = a->o.outputs;
  int f32 = a->o.precision == ODEON_FLOAT32, st = ODEON_OK;
  int runs_table =
      a->explicit_outputs && (outs & (ODEON_OUT_STATUS | ODEON_OUT_COUNTERS));
  char path[4096];
  const char *primary = (outs & ODEON_OUT_STATE)       ? "state"
                        : (outs & ODEON_OUT_SUMMARIES) ? "summaries"
                                                       : "runs";
  if (!to_npy) {
    if (!strcmp(primary, "state"))
      st = odeon__cli_write_csv(res, a->out, f32);
    else if (!strcmp(primary, "summaries"))
      st = odeon__cli_write_summaries_csv(res, a->out, f32);
    else
      st = odeon__cli_write_runs_csv(res, a->out);
    if (st != ODEON_OK || !a->out || is_device(a->out))
      return st;
    if (strcmp(primary, "summaries") && (outs & ODEON_OUT_SUMMARIES)) {
      sibling(a->out, "summaries", "csv", path, sizeof path);
      if ((st = odeon__cli_write_summaries_csv(res, path, f32)) != ODEON_OK)
        return st;
    }
    if (strcmp(primary, "runs") && runs_table) {
      sibling(a->out, "runs", "csv", path, sizeof path);
      st = odeon__cli_write_runs_csv(res, path);
    }
    return st;
  }
  /* .npy: the samples were streamed by the solve; the rest beside them */
  static const struct {
    uint32_t bit;
    const char *name;
  } extra[] = {{ODEON_OUT_OBSERVABLES, "observables"},
               {ODEON_OUT_TIME, "time"},
               {ODEON_OUT_SUMMARIES, "summaries"},
               {ODEON_OUT_STATUS, "status"},
               {ODEON_OUT_COUNTERS, "counters"}};
  for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
    if (!(outs & extra[i].bit))
      continue;
    if (extra[i].bit & (ODEON_OUT_STATUS | ODEON_OUT_COUNTERS) && !runs_table)
      continue;
    if (!(outs & ODEON_OUT_STATE) && !strcmp(extra[i].name, primary))
      snprintf(path, sizeof path, "%s", a->out);
    else
      sibling(a->out, extra[i].name, "npy", path, sizeof path);
    if ((st = odeon__cli_write_npy(res, extra[i].name, path)) != ODEON_OK)
      return st;
  }
  return ODEON_OK;
}

int odeon__cli_solve(int argc, char **argv) {
  solve_args a;
  memset(&a, 0, sizeof a);
  odeon_options_init(&a.o);
  int pr = parse_args(&a, argc, argv);
  if (pr != 0) {
    free_args(&a);
    return pr > 0 ? ODEON_EXIT_OK : ODEON_EXIT_USAGE;
  }
  if (!a.quiet && isatty(2)) {
    a.o.progress = progress_line;
  }
  int rc = ODEON_EXIT_OK, st;
  odeon_model_t *model = NULL;
  odeon_grid_t *grid = NULL;
  odeon_solver_t *solver = NULL;
  odeon_result_t *result = NULL;
  struct timespec t_start, t_end;
  clock_gettime(CLOCK_MONOTONIC, &t_start);

  if ((st = odeon_model_from_file(a.model_path, &model)) != ODEON_OK) {
    /* model errors are multi-line (one per error, with line and caret) */
    fprintf(stderr, "odeon: %s\n", odeon_last_error());
    rc = exit_for(st);
    goto done;
  }
  if ((rc = build_grid(&a, model, &grid)) != ODEON_EXIT_OK)
    goto done;
  if ((st = odeon_solver_create(model, &a.o, &solver)) != ODEON_OK) {
    odeon__cli_fail("%s", odeon_last_error());
    rc = exit_for(st);
    goto done;
  }
  odeon_dest_t dest;
  memset(&dest, 0, sizeof dest);
  int to_npy = a.out && has_suffix(a.out, ".npy");
  if (a.out && !to_npy && !has_suffix(a.out, ".csv") && !is_device(a.out)) {
    odeon__cli_fail("--out: '%s': expected a .csv or .npy file name", a.out);
    rc = ODEON_EXIT_USAGE;
    goto done;
  }
  int want_state = (a.o.outputs & ODEON_OUT_STATE) != 0;
  /* the samples stream to the .npy file chunk by chunk */
  dest.kind = to_npy && want_state ? ODEON_DEST_FILE : ODEON_DEST_MEMORY;
  dest.path = dest.kind == ODEON_DEST_FILE ? a.out : NULL;
  if ((st = odeon_solve(solver, grid, &dest, &result)) != ODEON_OK) {
    odeon__cli_fail("%s", odeon_last_error());
    rc = st == ODEON_E_INVAL ? ODEON_EXIT_USAGE : ODEON_EXIT_FAILED;
    goto done;
  }
  if ((st = write_outputs(&a, result, to_npy)) != ODEON_OK) {
    odeon__cli_fail("%s", odeon_last_error());
    rc = ODEON_EXIT_FAILED;
    goto done;
  }
  clock_gettime(CLOCK_MONOTONIC, &t_end);
  int64_t failed = odeon_result_failed_runs(result);
  if (!a.quiet) {
    double secs = (double)(t_end.tv_sec - t_start.tv_sec) +
                  1e-9 * (double)(t_end.tv_nsec - t_start.tv_nsec);
    fprintf(stderr,
            "odeon: %lld runs x %lld samples, %s on %s (%s), %.3f s%s%s\n",
            (long long)odeon_result_runs(result),
            (long long)odeon_result_samples(result), a.o.algorithm,
            odeon_solver_backend(solver), odeon_solver_backend_reason(solver),
            secs, a.out ? " -> " : "", a.out ? a.out : "");
  }
  if (failed > 0) {
    int64_t shown = 0, runs = odeon_result_runs(result);
    fprintf(stderr, "odeon: warning: %lld of %lld runs stopped early:",
            (long long)failed, (long long)runs);
    for (int64_t r = 0; r < runs && shown < 5; r++) {
      uint32_t w = odeon_result_run_status(result, r);
      if (!w)
        continue;
      char buf[128];
      odeon_run_status_string(w, buf, sizeof buf);
      fprintf(stderr, " run %lld (%s)", (long long)r, buf);
      shown++;
    }
    fprintf(stderr, "%s\n", failed > shown ? " ..." : "");
  }
done:
  odeon_result_destroy(result);
  odeon_solver_destroy(solver);
  odeon_grid_destroy(grid);
  odeon_model_destroy(model);
  free_args(&a);
  return rc;
}
