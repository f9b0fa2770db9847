/* test_bigmem.c - the cache of freed result mappings (util/bigmem.c): kept
 * only while a holder (a solver) exists, taken by an allocation that fits
 * (its tail unmapped), bounded in count, all unmapped by the last holder's
 * end; and a solve into kept memory that held another solve's results
 * gives the same bits as a solve into fresh memory; a backend's pin of a
 * mapping stays with it while kept and is undone before it is cut or
 * unmapped (and a mapping whose pin cannot be undone stays mapped). */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#include "util/bigmem.h"

#define MIB ((size_t)1 << 20)

static void test_kept_while_held(void **state) {
  (void)state;
  int warm = -1;
  /* no holder: freed at once */
  void *p = odeon__big_alloc(16 * MIB, &warm, NULL);
  assert_non_null(p);
  assert_int_equal(warm, 0);
  memset(p, 1, 16 * MIB);
  odeon__big_free(p, 16 * MIB, NULL);
  assert_int_equal(odeon__big_kept_bytes(), 0);

  odeon__big_hold();
  p = odeon__big_alloc(16 * MIB, &warm, NULL);
  assert_int_equal(warm, 0);
  memset(p, 2, 16 * MIB);
  odeon__big_free(p, 16 * MIB, NULL);
  assert_int_equal(odeon__big_kept_bytes(), 16 * MIB);
  /* a smaller allocation takes it, the tail unmapped */
  void *q = odeon__big_alloc(12 * MIB + 1, &warm, NULL);
  assert_ptr_equal(q, p);
  assert_int_equal(warm, 1);
  assert_int_equal(odeon__big_kept_bytes(), 0);
  memset(q, 3, 12 * MIB + 1); /* every byte of it writable */
  odeon__big_free(q, 12 * MIB + 1, NULL);
  assert_true(odeon__big_kept_bytes() >= 12 * MIB + 1);
  assert_true(odeon__big_kept_bytes() < 13 * MIB);
  /* a larger one does not fit: a fresh mapping */
  void *r = odeon__big_alloc(32 * MIB, &warm, NULL);
  assert_int_equal(warm, 0);
  assert_ptr_not_equal(r, q);
  memset(r, 4, 32 * MIB);
  odeon__big_free(r, 32 * MIB, NULL);
  /* the smallest that fits is taken */
  void *s = odeon__big_alloc(10 * MIB, &warm, NULL);
  assert_ptr_equal(s, q);
  assert_int_equal(warm, 1);
  odeon__big_free(s, 10 * MIB, NULL);
  /* small sizes are malloc's, never kept */
  size_t before = odeon__big_kept_bytes();
  void *m = odeon__big_alloc(4096, &warm, NULL);
  assert_int_equal(warm, 0);
  odeon__big_free(m, 4096, NULL);
  assert_int_equal(odeon__big_kept_bytes(), before);
  /* at most 8 mappings: twelve freed, eight kept (the newest) */
  void *many[12];
  for (int i = 0; i < 12; i++) {
    many[i] = odeon__big_alloc(40 * MIB + (size_t)i * MIB, &warm, NULL);
    assert_non_null(many[i]);
  }
  for (int i = 0; i < 12; i++)
    odeon__big_free(many[i], 40 * MIB + (size_t)i * MIB, NULL);
  size_t newest = 0;
  for (int i = 4; i < 12; i++)
    newest += 40 * MIB + (size_t)i * MIB;
  assert_int_equal(odeon__big_kept_bytes(), newest);
  /* a second holder's end keeps them; the last one's end unmaps them */
  odeon__big_hold();
  odeon__big_unhold();
  assert_int_equal(odeon__big_kept_bytes(), newest);
  odeon__big_unhold();
  assert_int_equal(odeon__big_kept_bytes(), 0);
  /* no holder left: an extra end changes nothing */
  odeon__big_unhold();
  p = odeon__big_alloc(16 * MIB, &warm, NULL);
  odeon__big_free(p, 16 * MIB, NULL);
  assert_int_equal(odeon__big_kept_bytes(), 0);
}

/* A page-locking that records how it is undone (the contract a backend's
   pin keeps: util/bigmem.h's odeon__big_pin). */
typedef struct test_pin {
  odeon__big_pin base;
  int unpins, fail;
  void *p;
  size_t len;
} test_pin;

static int test_unpin(odeon__big_pin *base, void *p, size_t len) {
  test_pin *t = (test_pin *)base;
  t->unpins++;
  t->p = p;
  t->len = len;
  return t->fail ? -1 : 0;
}

static void test_pins_go_with_mappings(void **state) {
  (void)state;
  int warm = -1;
  test_pin a = {{test_unpin}, 0, 0, NULL, 0};
  odeon__big_pin *pin = NULL;
  odeon__big_hold();
  assert_int_equal(odeon__big_mapped_len(16 * MIB - 1), 16 * MIB);
  assert_int_equal(odeon__big_mapped_len(4096), 0); /* malloc'ed */
  assert_true(odeon__big_pin_limit() > 0);
  /* kept with its pin, and handed over with it */
  void *p = odeon__big_alloc(16 * MIB, &warm, &pin);
  assert_null(pin);
  memset(p, 1, 16 * MIB);
  odeon__big_free(p, 16 * MIB, &a.base);
  assert_int_equal(odeon__big_kept_pinned_bytes(), 16 * MIB);
  void *q = odeon__big_alloc(16 * MIB, &warm, &pin);
  assert_ptr_equal(q, p);
  assert_int_equal(warm, 1);
  assert_ptr_equal(pin, &a.base);
  assert_int_equal(a.unpins, 0);
  assert_int_equal(odeon__big_kept_pinned_bytes(), 0);
  odeon__big_free(q, 16 * MIB, pin);
  /* a caller that cannot take a pin does not get a pinned mapping */
  void *r = odeon__big_alloc(16 * MIB, &warm, NULL);
  assert_ptr_not_equal(r, p);
  assert_int_equal(warm, 0);
  assert_int_equal(a.unpins, 0);
  odeon__big_free(r, 16 * MIB, NULL);
  /* cut to a smaller size: unpinned first, the whole mapping */
  void *c = odeon__big_alloc(12 * MIB, &warm, &pin);
  assert_ptr_equal(c, p);
  assert_null(pin);
  assert_int_equal(a.unpins, 1);
  assert_ptr_equal(a.p, p);
  assert_int_equal(a.len, 16 * MIB);
  memset(c, 2, 12 * MIB);
  /* the last holder's end unpins what is kept */
  test_pin b = {{test_unpin}, 0, 0, NULL, 0};
  odeon__big_free(c, 12 * MIB, &b.base);
  odeon__big_unhold();
  assert_int_equal(b.unpins, 1);
  assert_ptr_equal(b.p, c);
  assert_int_equal(odeon__big_kept_pinned_bytes(), 0);
  assert_int_equal(odeon__big_kept_bytes(), 0);
  /* no holder: unpinned and unmapped at once; where unpinning fails, the
     memory stays mapped (writing it must not fault) */
  test_pin f = {{test_unpin}, 0, 1, NULL, 0};
  void *x = odeon__big_alloc(16 * MIB, &warm, &pin);
  odeon__big_free(x, 16 * MIB, &f.base);
  assert_int_equal(f.unpins, 1);
  memset(x, 3, 16 * MIB); /* still ours: left mapped, never handed out */
  void *y = odeon__big_alloc(16 * MIB, &warm, &pin);
  assert_ptr_not_equal(y, x);
  odeon__big_free(y, 16 * MIB, NULL);
}

static const char *lorenz = ODEON_TEST_LORENZ;

enum { RUNS = 1 << 18 }; /* 2 samples x 3 states x 8 bytes: 12 MiB */

static odeon_result_t *sweep(odeon_solver_t *s, odeon_model_t *m,
                             double scale) {
  odeon_grid_t *g;
  assert_ok(odeon_grid_create(m, &g));
  double *rho = malloc(RUNS * sizeof *rho);
  assert_non_null(rho);
  for (int i = 0; i < RUNS; i++)
    rho[i] = scale * i / (RUNS - 1);
  assert_ok(odeon_grid_sweep(g, "rho", rho, RUNS));
  free(rho);
  odeon_result_t *r = NULL;
  assert_ok(odeon_solve(s, g, NULL, &r));
  odeon_grid_destroy(g);
  return r;
}

/* The same sweep into fresh memory, then into memory that held another
   sweep's results: the same bits, every element written again. */
static void test_solve_into_kept_memory(void **state) {
  (void)state;
  odeon_model_t *m;
  assert_ok(odeon_model_from_string(lorenz, "bigmem", &m));
  odeon_options_t o;
  odeon_options_init(&o);
  o.algorithm = "classical-rk4";
  o.dt = 0.01;
  o.duration = 0.5;
  o.backend = ODEON_BACKEND_CPU;
  o.outputs = ODEON_OUT_STATE | ODEON_OUT_STATUS;
  odeon_solver_t *s;
  assert_ok(odeon_solver_create(m, &o, &s));
  assert_int_equal(odeon__big_kept_bytes(), 0);
  odeon_result_t *fresh = sweep(s, m, 21.0);
  odeon_result_t *other = sweep(s, m, 5.0);
  assert_false(output_bits_equal(fresh, other, "state"));
  odeon_result_destroy(other); /* kept, holding the other sweep's states */
  assert_true(odeon__big_kept_bytes() >= (size_t)RUNS * 6 * 8);
  odeon_result_t *again = sweep(s, m, 21.0);
  assert_true(odeon__big_kept_bytes() < (size_t)RUNS * 6 * 8);
  assert_true(output_bits_equal(fresh, again, "state"));
  assert_true(output_bits_equal(fresh, again, "status"));
  odeon_result_destroy(again);
  odeon_result_destroy(fresh);
  odeon_solver_destroy(s);
  /* the last solver's end unmaps what its results left */
  assert_int_equal(odeon__big_kept_bytes(), 0);
  odeon_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kept_while_held),
      cmocka_unit_test(test_pins_go_with_mappings),
      cmocka_unit_test(test_solve_into_kept_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
