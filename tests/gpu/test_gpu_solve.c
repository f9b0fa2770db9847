/* test_gpu_solve.c - whole solves on the GPU through the public API:
 * the Lorenz equivalence protocol of the Julia reference (float32, every
 * explicit method, fixed and adaptive), CPU-versus-GPU differential tests
 * on several models and methods in both precisions, results bitwise
 * identical whatever the chunking, slots and budgets, several threads
 * solving at once, injected faults and a cancel that return promptly.
 *
 * usage: test_gpu_solve [--backend cuda|cpu] [--stress]
 * The backend under test defaults to cuda (skipped without a device unless
 * ODEON_REQUIRE_GPU=1); --backend cpu runs the same checks on the CPU,
 * which keeps the test itself honest on machines without a GPU. */
#include "test_util.h"

#include <math.h>
#include <pthread.h>

#include "backend/backend.h"
#include "backend/cuda/cuda_api.h"
#include "harness.h"
#include "util/bigmem.h"
#include "util/fault.h"

static odeon_backend_kind tested = ODEON_BACKEND_CUDA;
static int available;

static const char lorenz[] = ODEON_TEST_LORENZ;

static const char lorenz_obs[] = "states:      x = 1, y = 0, z = 0\n"
                                 "parameters:  rho = 21\n"
                                 "constants:   sigma = 10, beta = 8/3\n"
                                 "observables: r2 = x*x + y*y + z*z\n"
                                 "dx = sigma*(y - x)\n"
                                 "dy = x*(rho - z) - y\n"
                                 "dz = x*y - beta*z\n";

static const char vdp[] = "states:      x = 2, v = 0\n"
                          "parameters:  mu = 1\n"
                          "dx = v\n"
                          "dv = mu*(1 - x*x)*v - x\n";

static const char decay[] = "states:      u = 2.385\n"
                            "parameters:  k = 1\n"
                            "du = -k*u\n";

/* ------------------------------------------------------------- helpers */

typedef struct solve_spec {
  const char *model;
  const char *param; /* swept parameter */
  double lo, hi;     /* linspace */
  long long runs;
  const double *values; /* instead of linspace (runs values) */
  void *user_state;     /* the caller's state buffer, or NULL (memory) */
  size_t user_bytes;
  odeon_options_t o;
} solve_spec;

static void spec_init(solve_spec *s, const char *model, const char *param,
                      double lo, double hi, long long runs) {
  memset(s, 0, sizeof *s);
  s->model = model;
  s->param = param;
  s->lo = lo;
  s->hi = hi;
  s->runs = runs;
  odeon_options_init(&s->o);
  s->o.timeout = 120;
}

/* Solve on `backend`; returns the status, *out the result. */
static int run_solve(const solve_spec *s, odeon_backend_kind backend,
                     odeon_result_t **out) {
  odeon_model_t *m = NULL;
  int st = odeon_model_from_string(s->model, "model", &m);
  if (st)
    return st;
  odeon_options_t o = s->o;
  o.backend = backend;
  odeon_solver_t *sv = NULL;
  odeon_grid_t *g = NULL;
  double *v = NULL;
  st = odeon_solver_create(m, &o, &sv);
  if (!st)
    st = odeon_grid_create(m, &g);
  if (!st) {
    v = malloc((size_t)s->runs * sizeof *v);
    for (long long i = 0; i < s->runs; i++)
      v[i] = s->values ? s->values[i]
                       : s->lo + (s->hi - s->lo) * (double)i /
                                     (double)(s->runs > 1 ? s->runs - 1 : 1);
    st = odeon_grid_column(g, s->param, v, s->runs);
  }
  if (!st) {
    odeon_dest_t d;
    memset(&d, 0, sizeof d);
    d.kind = s->user_state ? ODEON_DEST_USER : ODEON_DEST_MEMORY;
    d.user_state = s->user_state;
    d.user_state_bytes = s->user_bytes;
    st = odeon_solve(sv, g, &d, out);
  }
  free(v);
  odeon_grid_destroy(g);
  odeon_solver_destroy(sv);
  odeon_model_destroy(m);
  return st;
}

/* max |a - b| / max(|b|, floor); NaN or a size mismatch is infinite. */
static double rel_diff(const odeon_result_t *a, const odeon_result_t *b,
                       const char *name) {
  size_t na = 0, nb = 0;
  double *x = output_doubles(a, name, &na), *y = output_doubles(b, name, &nb);
  double worst = 0, scale = 1e-30;
  if (!x || !y || na != nb) {
    worst = (x || y) ? INFINITY : 0;
  } else {
    for (size_t i = 0; i < na; i++) {
      double d = fabs(x[i] - y[i]);
      if (!(d <= worst))
        worst = isnan(d) ? INFINITY : d;
      scale = fmax(scale, fabs(y[i]));
    }
    worst /= scale;
  }
  free(x);
  free(y);
  return worst;
}

#define NEED_BACKEND()                                                         \
  do {                                                                         \
    if (!available)                                                            \
      skip();                                                                  \
  } while (0)

static int setup(void **state) {
  (void)state;
  if (tested == ODEON_BACKEND_CPU) {
    available = 1;
    return 0;
  }
  odeon__backend *be = NULL;
  odeon__backend_config cfg = {.timeout = 30};
  if (odeon__backend_cuda_create(&cfg, &be) == ODEON_OK) {
    be->ops->destroy(be);
    available = 1;
    return 0;
  }
  print_message("no CUDA device: %s\n", odeon_last_error());
  const char *req = getenv("ODEON_REQUIRE_GPU");
  return req && strcmp(req, "1") == 0 ? -1 : 0;
}

/* ------------------------------------------- Lorenz equivalence protocol */

#define NT 1024
static double g_rho[NT], g_x[NT], g_y[NT], g_z[NT], g_scale;

static double lorenz_error(const char *method, int adaptive, double param) {
  solve_spec s;
  spec_init(&s, lorenz, "rho", 0, 0, NT);
  s.values = g_rho;
  s.o.algorithm = method;
  s.o.precision = ODEON_FLOAT32;
  s.o.duration = 1.0;
  if (adaptive) {
    s.o.controller = "pi";
    s.o.atol = s.o.rtol = param;
    s.o.dt = 0.01;
    s.o.dt_min = 1e-6;
    s.o.dt_max = 0.5;
  } else {
    s.o.controller = "fixed";
    s.o.dt = param;
  }
  odeon_result_t *r = NULL;
  assert_ok(run_solve(&s, tested, &r));
  size_t n = 0;
  double *st = output_doubles(r, "state", &n);
  assert_non_null(st);
  assert_int_equal(n, 2 * 3 * NT);
  double err = 0;
  for (int i = 0; i < NT; i++) {
    double e = fmax(fabs(st[(3 + 0) * NT + i] - g_x[i]),
                    fmax(fabs(st[(3 + 1) * NT + i] - g_y[i]),
                         fabs(st[(3 + 2) * NT + i] - g_z[i])));
    err = fmax(err, e == e ? e / g_scale : INFINITY);
  }
  free(st);
  odeon_result_destroy(r);
  return err;
}

static void test_lorenz_equivalence(void **state) {
  (void)state;
  NEED_BACKEND();
  assert_int_equal(nh_lorenz_golden(g_rho, g_x, g_y, g_z), 0);
  g_scale = 0;
  for (int i = 0; i < NT; i++)
    g_scale =
        fmax(g_scale, fmax(fabs(g_x[i]), fmax(fabs(g_y[i]), fabs(g_z[i]))));
  static const char *const methods[] = {"euler",
                                        "heun-21",
                                        "bogacki-shampine-32",
                                        "classical-rk4",
                                        "dormand-prince-54",
                                        "cash-karp-54",
                                        "fehlberg-45",
                                        "dormand-prince-853",
                                        "tsit5",
                                        "vern7"};
  int compared = 0, failed = 0;
  for (size_t mi = 0; mi < sizeof methods / sizeof methods[0]; mi++)
    for (int adaptive = 0; adaptive < 2; adaptive++) {
      double params[13], julia[13];
      int n = nh_protocol_settings(methods[mi], adaptive, 13, 0, params, julia);
      for (int j = 0; j < n; j++) {
        double param = params[j], jul = julia[j];
        double ours = lorenz_error(methods[mi], adaptive, param);
        compared++;
        failed += !nh_within_julia(methods[mi], adaptive, param, ours, jul);
      }
    }
  print_message("Lorenz equivalence: %d settings compared, %d failed\n",
                compared, failed);
  assert_true(compared >= 20);
  assert_int_equal(failed, 0);
}

/* --------------------------------------------- CPU versus GPU, many models */

typedef struct diff_case {
  const char *model, *param;
  double lo, hi;
  const char *method;
  double tol; /* adaptive tolerance, 0 = fixed dt 1e-3 */
  const char *summaries;
  uint32_t outputs;
  double settle;    /* settling time */
  const char *save; /* saved states, NULL = all */
} diff_case;

static void test_cpu_vs_backend(void **state) {
  (void)state;
  NEED_BACKEND();
  const uint32_t so = ODEON_OUT_STATE | ODEON_OUT_STATUS;
  const uint32_t rich =
      so | ODEON_OUT_OBSERVABLES | ODEON_OUT_SUMMARIES | ODEON_OUT_TIME;
  const diff_case cases[] = {
      {lorenz, "rho", 0, 21, "classical-rk4", 0, NULL, so, 0, NULL},
      {lorenz, "rho", 0, 21, "tsit5", 1e-8, NULL, so, 0, NULL},
      {lorenz, "rho", 0, 21, "dormand-prince-54", 1e-7, NULL, so, 0, NULL},
      {lorenz, "rho", 0, 21, "vern9", 1e-9, NULL, so, 0, NULL},
      {lorenz_obs, "rho", 2.385, 21, "dormand-prince-853", 1e-8,
       "mean,max,extrema", rich, 0, NULL},
      {vdp, "mu", 0.5, 5, "tsit5", 1e-8, NULL, so, 0, NULL},
      {vdp, "mu", 0.5, 5, "rodas5p", 1e-7, NULL, so, 0, NULL},
      {vdp, "mu", 0.5, 5, "kvaerno5", 1e-7, NULL, so, 0, NULL},
      {decay, "k", 0.5, 2.385, "bogacki-shampine-32", 1e-8, NULL, so, 0, NULL},
      {lorenz, "rho", 0, 21, "tsit5", 1e-8, "mean,rms", rich, 0.385, "x,z"},
  };
  int bad = 0;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    for (int p = 0; p < 2; p++) {
      const diff_case *d = &cases[c];
      solve_spec s;
      spec_init(&s, d->model, d->param, d->lo, d->hi, 2001);
      s.o.algorithm = d->method;
      s.o.precision = p ? ODEON_FLOAT32 : ODEON_FLOAT64;
      s.o.save_every = 0.05;
      s.o.summaries = d->summaries;
      s.o.outputs = d->outputs;
      s.o.settling_time = d->settle;
      s.o.save = d->save;
      if (d->tol > 0) {
        s.o.atol = s.o.rtol = p ? fmax(d->tol, 1e-6) : d->tol;
      } else {
        s.o.dt = 1e-3;
      }
      odeon_result_t *ref = NULL, *got = NULL;
      assert_ok(run_solve(&s, ODEON_BACKEND_CPU, &ref));
      assert_ok(run_solve(&s, tested, &got));
      assert_int_equal(odeon_result_failed_runs(ref),
                       odeon_result_failed_runs(got));
      /* Fixed steps differ only by rounding (fused multiply-adds); an
         adaptive controller may take a different step now and then, which
         moves the result by about the tolerance. */
      double tol =
          p ? (d->tol > 0 ? 1e-3 : 1e-4) : (d->tol > 0 ? 1e3 * d->tol : 1e-10);
      const char *outs[] = {"state", "observables", "summaries"};
      for (int k = 0; k < 3; k++) {
        double rd = rel_diff(got, ref, outs[k]);
        if (!(rd <= tol)) {
          print_error("%s %s %s: %s differs from the CPU by %g (> %g)\n",
                      d->method, p ? "float32" : "float64", d->param, outs[k],
                      rd, tol);
          bad++;
        }
      }
      if (d->model == decay) {
        /* ... and both agree with the exact solution u = 2.385 e^{-k t}. */
        size_t n = 0;
        double *st = output_doubles(got, "state", &n);
        long long runs = 2001, samples = (long long)n / runs;
        double worst = 0;
        for (long long i = 0; i < runs; i++) {
          double k = d->lo + (d->hi - d->lo) * (double)i / (double)(runs - 1);
          double exact = 2.385 * exp(-k * 1.0);
          worst = fmax(worst, fabs(st[(samples - 1) * runs + i] - exact));
        }
        free(st);
        if (!(worst <= (p ? 1e-5 : 1e-6))) {
          print_error("decay %s: error %g against the exact solution\n",
                      p ? "float32" : "float64", worst);
          bad++;
        }
      }
      odeon_result_destroy(ref);
      odeon_result_destroy(got);
    }
  assert_int_equal(bad, 0);
}

/* ---------------------------------- chunking, slots, budgets: same bits */

static void lorenz_spec(solve_spec *s, long long runs) {
  spec_init(s, lorenz, "rho", 0, 21, runs);
  s->o.algorithm = "tsit5";
  s->o.precision = ODEON_FLOAT32;
  s->o.atol = s->o.rtol = 1e-6;
  s->o.save_every = 0.01;
  s->o.outputs = ODEON_OUT_STATE | ODEON_OUT_STATUS | ODEON_OUT_COUNTERS;
}

static void test_chunking_bitwise(void **state) {
  (void)state;
  NEED_BACKEND();
  solve_spec s;
  lorenz_spec(&s, 3001);
  odeon_result_t *ref = NULL;
  assert_ok(run_solve(&s, tested, &ref));
  struct {
    long long chunk;
    int slots;
    double dev, pinned;
  } plans[] = {
      {97, 1, 0, 0},       {1000, 3, 0, 0},    {1, 2, 0, 0},
      {0, 4, 262144.0, 0}, {0, 2, 0, 65536.0}, {3001, 1, 0, 0},
  };
  for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
    solve_spec t = s;
    t.o.chunk_runs = plans[i].chunk;
    t.o.slots = plans[i].slots;
    t.o.device_memory = plans[i].dev;
    t.o.pinned_memory = plans[i].pinned;
    odeon_result_t *r = NULL;
    int st = run_solve(&t, tested, &r);
    if (st)
      print_error("plan %zu: %s\n", i, odeon_last_error());
    assert_int_equal(st, ODEON_OK);
    if (!output_bits_equal(r, ref, "state") ||
        !output_bits_equal(r, ref, "status") ||
        !output_bits_equal(r, ref, "counters"))
      print_error("plan %zu (chunk %lld, slots %d, device %g, pinned %g) "
                  "changed the results\n",
                  i, plans[i].chunk, plans[i].slots, plans[i].dev,
                  plans[i].pinned);
    assert_true(output_bits_equal(r, ref, "state"));
    assert_true(output_bits_equal(r, ref, "status"));
    assert_true(output_bits_equal(r, ref, "counters"));
    odeon_result_destroy(r);
  }
  odeon_result_destroy(ref);
}

/* The caller's state buffer, pageable and then page-locked: on CUDA the
   second is written by the device directly (2D copies of each chunk's
   strips, no staging), on the CPU both are; all bitwise equal to results
   in memory. The backend recognises only a wholly page-locked range. */
static void test_user_destinations(void **state) {
  (void)state;
  NEED_BACKEND();
  solve_spec s;
  lorenz_spec(&s, 3001);
  s.o.chunk_runs = 97;
  odeon_result_t *ref = NULL;
  assert_ok(run_solve(&s, tested, &ref));
  odeon_array_view v;
  assert_ok(odeon_result_output(ref, "state", &v));
  size_t bytes = (size_t)(v.shape[0] * v.shape[1] * v.shape[2]) * 4;
  const odeon__cuda_api *api = NULL;
  if (tested == ODEON_BACKEND_CUDA) {
    int ast = ODEON_OK;
    api = odeon__cuda_api_get(&ast);
    assert_non_null(api);
  }
  for (int pinned = 0; pinned < 2; pinned++) {
    /* page-aligned, so that a registration covers exactly the buffer */
    void *buf = NULL;
    assert_int_equal(posix_memalign(&buf, 4096, bytes + 4096), 0);
    memset(buf, 0xa5, bytes + 4096);
    /* A registration lives as long as the (primary) context it was made
       in: the backend holds that context until the buffer is released. */
    odeon__backend *be = NULL;
    if (pinned && api) {
      odeon__backend_config cfg = {.timeout = 30};
      assert_ok(odeon__backend_cuda_create(&cfg, &be));
      assert_int_equal(be->ops->host_direct(be, buf, bytes), 0);
      assert_int_equal(api->cuMemHostRegister(buf, bytes, 1), 0);
      assert_int_equal(be->ops->host_direct(be, buf, bytes), 1);
      assert_int_equal(be->ops->host_direct(be, buf, bytes + 4096), 0);
    }
    solve_spec t = s;
    t.user_state = buf;
    t.user_bytes = bytes;
    odeon_result_t *r = NULL;
    assert_ok(run_solve(&t, tested, &r));
    assert_memory_equal(buf, v.data, bytes);
    /* nothing written past the state output */
    assert_int_equal(((unsigned char *)buf)[bytes], 0xa5);
    assert_true(output_bits_equal(r, ref, "status"));
    assert_true(output_bits_equal(r, ref, "counters"));
    odeon_result_destroy(r);
    if (be) {
      assert_int_equal(api->cuMemHostUnregister(buf), 0);
      be->ops->destroy(be);
    }
    free(buf);
  }
  odeon_result_destroy(ref);
}

/* Result memory one solver reuses (util/bigmem.c's kept mappings) is
   page-locked from its second solve on (the CUDA backend's host_pin), and
   the device then downloads into it directly: every solve gives the first
   (staged) solve's bits; the pin stays with the memory while it is kept,
   goes with the last solver, and a pinned result that outlives its solver
   (and every backend) is still read and freed cleanly, its registration
   undone in the context the pin itself holds. On the CPU backend nothing
   is pinned and the results are the same. */
static void test_reused_result_memory(void **state) {
  (void)state;
  NEED_BACKEND();
  const int cuda = tested == ODEON_BACKEND_CUDA;
  solve_spec s;
  lorenz_spec(&s, 16384); /* 101 samples: a 19.9 MB state output */
  odeon_model_t *m = NULL;
  assert_ok(odeon_model_from_string(s.model, "model", &m));
  odeon_options_t o = s.o;
  o.backend = tested;
  odeon_solver_t *sv = NULL;
  assert_ok(odeon_solver_create(m, &o, &sv));
  odeon_grid_t *g = NULL;
  assert_ok(odeon_grid_create(m, &g));
  double *rho = malloc((size_t)s.runs * sizeof *rho);
  for (long long i = 0; i < s.runs; i++)
    rho[i] = 21.0 * (double)i / (double)(s.runs - 1);
  assert_ok(odeon_grid_column(g, "rho", rho, s.runs));
  free(rho);
  odeon_dest_t d;
  memset(&d, 0, sizeof d);
  d.kind = ODEON_DEST_MEMORY;
  const odeon__cuda_api *api = NULL;
  if (cuda) {
    int ast = ODEON_OK;
    api = odeon__cuda_api_get(&ast);
    assert_non_null(api);
  }
  odeon_result_t *first = NULL;
  const void *mem = NULL;
  size_t bytes = 0;
  for (int rep = 0; rep < 4; rep++) {
    odeon_result_t *r = NULL;
    assert_ok(odeon_solve(sv, g, &d, &r));
    odeon_array_view v;
    assert_ok(odeon_result_output(r, "state", &v));
    unsigned int type = 0;
    int locked = api &&
                 api->cuPointerGetAttribute(
                     &type, ODEON__CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
                     (odeon__CUdeviceptr)(uintptr_t)v.data) == 0 &&
                 type == ODEON__CU_MEMORYTYPE_HOST;
    if (rep == 0) {
      first = r; /* fresh memory: staged, not pinned */
      mem = v.data;
      bytes = (size_t)(v.shape[0] * v.shape[1] * v.shape[2]) * 4;
      assert_true(bytes >= (size_t)8 << 20);
      assert_false(locked);
      continue;
    }
    /* the kept mapping of the solve before (first's is still alive for
       rep 1, so rep 1 gets fresh memory and reps 2, 3 the kept one) */
    if (rep >= 2) {
      assert_ptr_equal(v.data, mem);
      assert_int_equal(locked, cuda);
    }
    assert_true(output_bits_equal(r, first, "state"));
    assert_true(output_bits_equal(r, first, "status"));
    assert_true(output_bits_equal(r, first, "counters"));
    if (rep == 1) {
      mem = v.data;
      odeon_result_destroy(r); /* kept, unpinned */
      assert_int_equal(odeon__big_kept_pinned_bytes(), 0);
      continue;
    }
    if (rep == 3) {
      /* outlives the solver below */
      odeon_result_t *last = r;
      odeon_grid_destroy(g);
      odeon_solver_destroy(sv);
      odeon_model_destroy(m);
      assert_true(output_bits_equal(last, first, "state"));
      /* a known last error: freeing the pinned result must report no new
         one (an unregister in a dead context would) */
      assert_int_equal(odeon_result_runs(NULL), ODEON_E_INVAL);
      char before[512];
      snprintf(before, sizeof before, "%s", odeon_last_error());
      odeon_result_destroy(last);
      assert_string_equal(odeon_last_error(), before);
      assert_int_equal(odeon__big_kept_bytes(), 0);
      assert_int_equal(odeon__big_kept_pinned_bytes(), 0);
      break;
    }
    odeon_result_destroy(r); /* kept with its pin */
    assert_true(odeon__big_kept_pinned_bytes() >= (cuda ? bytes : 0));
    assert_true(odeon__big_kept_pinned_bytes() <= (cuda ? 2 * bytes : 0));
  }
  odeon_result_destroy(first);
}

/* Outputs drained piece by piece by the drain lanes ($ODEON_DRAIN, see
   src/engine/drain.c) give the staged path's every bit: into memory the
   result owns and into the caller's pageable buffer, with observables,
   pieces of 1 KiB (many a row) and of 64 KiB, several chunks, and time
   windows (a small device budget: a window's launch waits for the drain
   of the one before). */
static void test_drained(void **state) {
  (void)state;
  NEED_BACKEND();
  static const char *const how[] = {"on:4:1", "on:16:64", "on:3:1"};
  static const double dev[] = {0, 0, 262144.0};
  solve_spec s;
  lorenz_spec(&s, 3001);
  s.model = lorenz_obs;
  s.o.outputs |= ODEON_OUT_OBSERVABLES;
  s.o.chunk_runs = 1000;
  setenv("ODEON_DRAIN", "off", 1);
  odeon_result_t *ref = NULL;
  assert_ok(run_solve(&s, tested, &ref));
  odeon_array_view v;
  assert_ok(odeon_result_output(ref, "state", &v));
  size_t bytes = (size_t)(v.shape[0] * v.shape[1] * v.shape[2]) * 4;
  unsigned char *buf = malloc(bytes + 64);
  assert_non_null(buf);
  static const char *const names[] = {"state", "observables", "status",
                                      "counters"};
  for (size_t i = 0; i < sizeof how / sizeof how[0]; i++) {
    setenv("ODEON_DRAIN", how[i], 1);
    solve_spec t = s;
    t.o.device_memory = dev[i];
    for (int user = 0; user < 2; user++) {
      memset(buf, 0xa5, bytes + 64);
      t.user_state = user ? buf : NULL;
      t.user_bytes = user ? bytes : 0;
      odeon_result_t *r = NULL;
      int st = run_solve(&t, tested, &r);
      if (st)
        print_error("ODEON_DRAIN=%s: %s\n", how[i], odeon_last_error());
      assert_int_equal(st, ODEON_OK);
      for (int k = user; k < 4; k++) {
        if (!output_bits_equal(r, ref, names[k]))
          print_error("ODEON_DRAIN=%s, %s destination: %s differs\n", how[i],
                      user ? "caller's" : "result's", names[k]);
        assert_true(output_bits_equal(r, ref, names[k]));
      }
      if (user) {
        assert_memory_equal(buf, v.data, bytes);
        assert_int_equal(buf[bytes], 0xa5); /* nothing written past it */
      }
      odeon_result_destroy(r);
    }
  }
  unsetenv("ODEON_DRAIN");
  free(buf);
  odeon_result_destroy(ref);
}

/* ------------------------------------------ several threads at once */

typedef struct thread_job {
  long long runs;
  odeon_result_t *ref;
  int ok;
} thread_job;

static void *thread_main(void *arg) {
  thread_job *j = arg;
  j->ok = 1;
  for (int rep = 0; rep < 3; rep++) {
    solve_spec s;
    lorenz_spec(&s, j->runs);
    s.o.chunk_runs = 257; /* many chunks: the pipeline is busy */
    odeon_result_t *r = NULL;
    if (run_solve(&s, tested, &r) != ODEON_OK) {
      fprintf(stderr, "thread solve: %s\n", odeon_last_error());
      j->ok = 0;
      continue;
    }
    if (!output_bits_equal(r, j->ref, "state") ||
        !output_bits_equal(r, j->ref, "status"))
      j->ok = 0;
    odeon_result_destroy(r);
  }
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  NEED_BACKEND();
  enum { T = 4 };
  thread_job jobs[T];
  for (int i = 0; i < T; i++) {
    solve_spec s;
    jobs[i].runs = 1500 + 333 * i;
    lorenz_spec(&s, jobs[i].runs);
    assert_ok(run_solve(&s, tested, &jobs[i].ref));
  }
  /* then again with every solve's outputs drained in pieces of 16 KiB
     (on CUDA; results in memory are direct on the CPU): the lanes of four
     solves at once, and of three processes under --stress */
  for (int drained = 0; drained < 2; drained++) {
    if (drained)
      setenv("ODEON_DRAIN", "on:4:16", 1);
    pthread_t th[T];
    for (int i = 0; i < T; i++)
      assert_int_equal(pthread_create(&th[i], NULL, thread_main, &jobs[i]), 0);
    for (int i = 0; i < T; i++)
      assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < T; i++)
      assert_true(jobs[i].ok);
  }
  unsetenv("ODEON_DRAIN");
  for (int i = 0; i < T; i++)
    odeon_result_destroy(jobs[i].ref);
}

/* ------------------------------------------- faults and cancel, promptly */

static void test_faults(void **state) {
  (void)state;
  NEED_BACKEND();
  const odeon__fault_site sites[] = {ODEON__FAULT_ALLOC, ODEON__FAULT_COPY,
                                     ODEON__FAULT_LAUNCH,
                                     ODEON__FAULT_EVENT_WAIT};
  solve_spec s;
  lorenz_spec(&s, 5000);
  s.o.chunk_runs = 500;
  s.o.timeout = 20;
  odeon_result_t *ref = NULL;
  assert_ok(run_solve(&s, tested, &ref));
  for (size_t i = 0; i < sizeof sites / sizeof sites[0]; i++) {
    odeon_result_t *r = NULL;
    odeon__fault_arm(sites[i], 3, 1);
    double t0 = odeon__now();
    int st = run_solve(&s, tested, &r);
    double secs = odeon__now() - t0;
    long long fired = odeon__fault_fired(sites[i]);
    odeon__fault_reset();
    print_message("fault at %s: %s after %.3f s%s%s\n",
                  odeon__fault_name(sites[i]), odeon_status_name(st), secs,
                  st ? ": " : "", st ? odeon_last_error() : "");
    assert_true(fired >= 1);
    assert_true(secs < 15.0); /* includes the kernel compile or load */
    if (sites[i] == ODEON__FAULT_ALLOC && st == ODEON_OK) {
      /* An allocation failure may be absorbed by a smaller chunk; then
         the results must be exactly those of an undisturbed solve. */
      assert_true(output_bits_equal(r, ref, "state"));
      odeon_result_destroy(r);
    } else {
      assert_true(st != ODEON_OK);
      assert_null(r);
    }
    /* Nothing is left broken: the next solve works. */
    assert_ok(run_solve(&s, tested, &r));
    assert_true(output_bits_equal(r, ref, "state"));
    odeon_result_destroy(r);
  }
  odeon_result_destroy(ref);
}

static int cancel_after_first(int64_t done, int64_t total, int64_t bytes_done,
                              int64_t bytes_total, void *user) {
  (void)done, (void)total, (void)bytes_done, (void)bytes_total;
  int *calls = user;
  return ++*calls >= 1;
}

static void test_cancel(void **state) {
  (void)state;
  NEED_BACKEND();
  solve_spec s;
  lorenz_spec(&s, 20000);
  s.o.chunk_runs = 500;
  int calls = 0;
  s.o.progress = cancel_after_first;
  s.o.progress_user = &calls;
  odeon_result_t *r = NULL;
  assert_status(run_solve(&s, tested, &r), ODEON_E_CANCELLED);
  assert_null(r);
  assert_true(calls >= 1);
}

int main(int argc, char **argv) {
  int stress = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc)
      tested = strcmp(argv[i + 1], "cpu") == 0 ? ODEON_BACKEND_CPU
                                               : ODEON_BACKEND_CUDA;
    stress |= strcmp(argv[i], "--stress") == 0;
  }
  /* --stress: the pipeline parts only, for several processes at once on
     one GPU (registered several times; ctest -j runs them together). */
  const struct CMUnitTest stress_tests[] = {
      cmocka_unit_test(test_chunking_bitwise),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_chunking_bitwise),
  };
  if (stress)
    return cmocka_run_group_tests(stress_tests, setup, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lorenz_equivalence),
      cmocka_unit_test(test_cpu_vs_backend),
      cmocka_unit_test(test_chunking_bitwise),
      cmocka_unit_test(test_user_destinations),
      cmocka_unit_test(test_reused_result_memory),
      cmocka_unit_test(test_drained),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_faults),
      cmocka_unit_test(test_cancel),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
