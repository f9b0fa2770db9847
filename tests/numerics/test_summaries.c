/* test_summaries.c - the summary statistics accumulated while integrating
 * match the same statistics computed here, independently, from the saved
 * series of the same solve (summary.h gives the definitions), for states
 * and observables, several windows, float64 and float32. */
#include <math.h>

#include "harness.h"
#include "test_util.h"

#define NR 8
static const char model[] = "states: x = 1, y = 0, z = 0\n"
                            "parameters: rho = 21\n"
                            "constants: sigma = 10, beta = 8/3\n"
                            "observables: E = x*x + y*y + z*z\n"
                            "dx = sigma*(y - x)\n"
                            "dy = x*(rho - z) - y\n"
                            "dz = x*y - beta*z\n";

/* statistics of one variable over samples k0+1 .. k0+m of series v[k] */
static void reference(const double *v, long long k0, long long m, double S,
                      double t0, int np, double *out /* see order below */) {
  double sum = 0, sq = 0, mn = INFINITY, mx = -INFINITY, mm = 0;
  double dmx = -INFINITY, dmn = INFINITY, d2mx = -INFINITY, d2mn = INFINITY;
  double pk[8], npk[8];
  int npks = 0, nnp = 0;
  for (long long k = k0 + 1; k <= k0 + m; k++) {
    double x = v[k];
    sum += x;
    sq += x * x;
    mn = fmin(mn, x);
    mx = fmax(mx, x);
    mm = fmax(mm, fabs(x));
    double d = (x - v[k - 1]) / S;
    dmx = fmax(dmx, d);
    dmn = fmin(dmn, d);
    if (k >= 2) {
      double d2 = (x - 2 * v[k - 1] + v[k - 2]) / (S * S);
      d2mx = fmax(d2mx, d2);
      d2mn = fmin(d2mn, d2);
      if (v[k - 2] < v[k - 1] && v[k - 1] > x && npks < np)
        pk[npks++] = t0 + (double)(k - 1) * S;
      if (v[k - 2] > v[k - 1] && v[k - 1] < x && nnp < np)
        npk[nnp++] = t0 + (double)(k - 1) * S;
    }
  }
  double mean = sum / (double)m, var = 0;
  for (long long k = k0 + 1; k <= k0 + m; k++)
    var += (v[k] - mean) * (v[k] - mean);
  int o = 0;
  out[o++] = mean;
  out[o++] = mn;
  out[o++] = mx;
  out[o++] = sqrt(sq / (double)m);
  out[o++] = sqrt(var / (double)m);
  out[o++] = mx; /* extrema: max, min */
  out[o++] = mn;
  out[o++] = mm;
  for (int j = 0; j < np; j++)
    out[o++] = j < npks ? pk[j] : NAN;
  for (int j = 0; j < np; j++)
    out[o++] = j < nnp ? npk[j] : NAN;
  out[o++] = dmx;
  out[o++] = dmn;
  out[o++] = d2mx; /* d2xdt2_extrema */
  out[o++] = d2mn;
}

static void compare(odeon_precision prec, double rel) {
  const int NP = 3;
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = "tsit5";
  o.precision = prec;
  o.atol = o.rtol = 1e-8;
  o.t0 = 2.385;
  o.duration = 3.0;
  o.save_every = 0.005;
  o.summarise_every = 0.75;
  o.outputs |= ODEON_OUT_OBSERVABLES;
  o.summaries = "mean,min,max,rms,std,extrema,max_magnitude,peaks[3],"
                "negative_peaks[3],dxdt_max,dxdt_min,d2xdt2_extrema";
  nh_kernel k;
  assert_ok(nh_build(model, &o, &k));
  const long long S = k.cfg.n_samples, W = k.cfg.n_windows,
                  R = k.cfg.n_summary_rows, m = k.cfg.window_samples;
  assert_int_equal(S, 601);
  assert_int_equal(W, 4);
  assert_int_equal(m, 150);
  const int nv = 4, width = 8 + 2 * NP + 4;
  assert_int_equal(R, (long long)nv * width);
  assert_string_equal(k.cfg.summary_labels[3], "mean(E)");
  assert_string_equal(k.cfg.summary_labels[4 * 5], "extrema_max(x)");
  assert_string_equal(k.cfg.summary_labels[4 * 5 + 1], "extrema_min(x)");
  assert_string_equal(k.cfg.summary_labels[4 * 8], "peaks[1](x)");
  double rho[NR];
  for (int i = 0; i < NR; i++)
    rho[i] = 13.5 + 2.385 * i;
  nh_out r;
  assert_ok(nh_solve(&k, NR, NULL, rho, NULL, 0, 1, &r));
  double *v = malloc(sizeof(double) * (size_t)S);
  int peaks_seen = 0;
  double worst = 0;
  for (int run = 0; run < NR; run++) {
    assert_int_equal(r.status[run], 0);
    for (int var = 0; var < nv; var++) {
      for (long long s = 0; s < S; s++)
        v[s] = var < 3 ? r.state[(s * 3 + var) * NR + run]
                       : r.obs[(s * 1 + 0) * NR + run];
      for (long long w = 0; w < W; w++) {
        double ref[32];
        reference(v, w * m, m, o.save_every, o.t0, NP, ref);
        /* the kernel's row of metric j for this variable: metrics of width
         * 1 at base + var, extrema (width 2) at base + 2 var + i, ... */
        int col = 0;
        long long base = 0;
        const int widths[] = {1, 1, 1, 1, 1, 2, 1, NP, NP, 1, 1, 2};
        for (int mt = 0; mt < 12; mt++) {
          for (int j = 0; j < widths[mt]; j++, col++) {
            long long row = base + (long long)var * widths[mt] + j;
            double got = r.summary[(w * R + row) * NR + run];
            double want = ref[col];
            if (isnan(want)) {
              assert_true(isnan(got));
              continue;
            }
            if (mt == 7)
              peaks_seen++;
            double scale = fmax(1.0, fabs(want));
            double d = fabs(got - want) / scale;
            worst = fmax(worst, d);
            if (!(d <= rel))
              fail_msg("run %d var %d window %lld %s: kernel %.17g, "
                       "independent %.17g",
                       run, var, w, k.cfg.summary_labels[row], got, want);
          }
          base += (long long)nv * widths[mt];
        }
      }
    }
  }
  printf("  worst relative difference %.3g, %d peak times compared\n", worst,
         peaks_seen);
  assert_true(peaks_seen > 0);
  free(v);
  nh_out_free(&r);
  nh_free(&k);
}

static void summaries_f64(void **s) {
  (void)s;
  compare(ODEON_FLOAT64, 1e-9);
}

/* In float32 the saved series is rounded to float; the statistics are
 * accumulated in double from the float samples, so they agree closely. */
static void summaries_f32(void **s) {
  (void)s;
  compare(ODEON_FLOAT32, 1e-5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(summaries_f64),
      cmocka_unit_test(summaries_f32),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
