/* sdirk_tables.h - the const Butcher tableaus of the diagonally implicit
 * Runge-Kutta family (backward Euler, implicit midpoint, trapezoid /
 * Crank-Nicolson, Alexander's SDIRK 2(2), Hairer-Wanner's L-stable SDIRK4,
 * Kvaerno's ESDIRK 3(2) and 5(4)), one table per method (GSL habit).
 *
 * Every method here has one diagonal value gamma (after an explicit first
 * stage for the ESDIRKs), so one factorisation of I - h*gamma*J serves all
 * stages of a step. Coefficients are from the papers, cross-checked against
 * OrdinaryDiffEq's sdirk_tableaus.jl; tests/implicit checks their order
 * conditions numerically. */
#ifndef ODEON_CORE_SDIRK_TABLES_H
#define ODEON_CORE_SDIRK_TABLES_H

#include "implicit_table.h"

#define ODEON_DIRK_MAX_STAGES 7

/* How a DIRK method estimates its local error. */
enum odeon_dirk_error_kind {
  ODEON_DIRK_ERR_NONE = 0,     /* fixed steps only */
  ODEON_DIRK_ERR_EMBEDDED = 1, /* sum btilde_i z_i, smoothed by
                                  (I - h gamma J)^-1 (Shampine) */
  ODEON_DIRK_ERR_DD2 = 2,      /* OrdinaryDiffEq ImplicitEuler: second
                                  divided differences of accepted states */
  ODEON_DIRK_ERR_DD3 = 3       /* OrdinaryDiffEq Trapezoid: third divided
                                  differences */
};

/* Method variants of the family (ODEON_METHOD_VARIANT in a kernel; macros,
 * not an enum, because the family header tests them with #if). Kernels get
 * the variant from the registry id: ODEON_METHOD_ID - ODEON_DIRK_ID_BASE. */
#define ODEON_DIRK_ID_BASE 100
#define ODEON_DIRK_BACKWARD_EULER 0
#define ODEON_DIRK_IMPLICIT_MIDPOINT 1
#define ODEON_DIRK_TRAPEZOID 2 /* crank_nicolson, trapezoidal_dirk */
#define ODEON_DIRK_SDIRK_2_2 3
#define ODEON_DIRK_SDIRK4_HW 4 /* l_stable_sdirk_4 */
#define ODEON_DIRK_KVAERNO3 5
#define ODEON_DIRK_KVAERNO5 6
#define ODEON_DIRK_COUNT 7

typedef struct odeon_dirk_tableau {
  int stages;
  int order;          /* of the solution */
  int err_order;      /* of the embedded estimate (0: none) */
  int explicit_first; /* a11 = 0: the first stage is f(t, y) (ESDIRK) */
  int error_kind;     /* enum odeon_dirk_error_kind */
  double gamma;       /* the diagonal a_ii (i > 1 for ESDIRK) */
  double c[ODEON_DIRK_MAX_STAGES];
  double a[ODEON_DIRK_MAX_STAGES][ODEON_DIRK_MAX_STAGES]; /* incl. diagonal */
  double b[ODEON_DIRK_MAX_STAGES];
  double btilde[ODEON_DIRK_MAX_STAGES]; /* bhat - b */
} odeon_dirk_tableau;

/* Alexander's SDIRK 2(2): gamma = 1 - 1/sqrt(2), L-stable, stiffly
 * accurate. */
#define ODEON__ALEX_G 0.29289321881345247560
/* Kvaerno's ESDIRK 3(2) (BIT 44, 2004): gamma = 0.4358665215. */
#define ODEON__KV3_G 0.4358665215

ODEON_TABLE odeon_dirk_tableau odeon_dirk_tableaus[ODEON_DIRK_COUNT] = {
    /* backward Euler (OrdinaryDiffEq ImplicitEuler) */
    {1, 1, 0, 0, ODEON_DIRK_ERR_DD2, 1.0, {1.0}, {{1.0}}, {1.0}, {0.0}},
    /* implicit midpoint: a fixed-step symmetric method of order 2 */
    {1, 2, 0, 0, ODEON_DIRK_ERR_NONE, 0.5, {0.5}, {{0.5}}, {1.0}, {0.0}},
    /* trapezoid rule as an ESDIRK (OrdinaryDiffEq Trapezoid) */
    {2,
     2,
     0,
     1,
     ODEON_DIRK_ERR_DD3,
     0.5,
     {0.0, 1.0},
     {{0.0}, {0.5, 0.5}},
     {0.5, 0.5},
     {0.0}},
    /* Alexander (1977) SDIRK 2(2); embedded first-order solution is the
     * first stage (bhat = (1, 0)). */
    {2,
     2,
     1,
     0,
     ODEON_DIRK_ERR_EMBEDDED,
     ODEON__ALEX_G,
     {ODEON__ALEX_G, 1.0},
     {{ODEON__ALEX_G}, {1.0 - ODEON__ALEX_G, ODEON__ALEX_G}},
     {1.0 - ODEON__ALEX_G, ODEON__ALEX_G},
     {1.0 - (1.0 - ODEON__ALEX_G), -ODEON__ALEX_G}},
    /* Hairer & Wanner, Solving ODEs II, Table IV.6.5: SDIRK4, gamma = 1/4,
     * L-stable, stiffly accurate, embedded order 3 (OrdinaryDiffEq
     * Hairer4). */
    {5,
     4,
     3,
     0,
     ODEON_DIRK_ERR_EMBEDDED,
     0.25,
     {0.25, 0.75, 11.0 / 20.0, 0.5, 1.0},
     {{0.25},
      {0.5, 0.25},
      {17.0 / 50.0, -1.0 / 25.0, 0.25},
      {371.0 / 1360.0, -137.0 / 2720.0, 15.0 / 544.0, 0.25},
      {25.0 / 24.0, -49.0 / 48.0, 125.0 / 16.0, -85.0 / 12.0, 0.25}},
     {25.0 / 24.0, -49.0 / 48.0, 125.0 / 16.0, -85.0 / 12.0, 0.25},
     {3.0 / 16.0, 27.0 / 32.0, -25.0 / 32.0, 0.0, -0.25}},
    /* Kvaerno ESDIRK 3(2), stiffly accurate; bhat is the third row. */
    {4,
     3,
     2,
     1,
     ODEON_DIRK_ERR_EMBEDDED,
     ODEON__KV3_G,
     {0.0, 2.0 * ODEON__KV3_G, 1.0, 1.0},
     {{0.0},
      {ODEON__KV3_G, ODEON__KV3_G},
      {0.490563388419108, 0.073570090080892, ODEON__KV3_G},
      {0.308809969973036, 1.490563388254106, -1.235239879727145, ODEON__KV3_G}},
     {0.308809969973036, 1.490563388254106, -1.235239879727145, ODEON__KV3_G},
     {0.181753418446072, -1.416993298173214, 1.671106401227145, -ODEON__KV3_G}},
    /* Kvaerno ESDIRK 5(4), gamma = 0.26, stiffly accurate; bhat is the
     * sixth row. */
    {7,
     5,
     4,
     1,
     ODEON_DIRK_ERR_EMBEDDED,
     0.26,
     {0.0, 0.52, 1.230333209967908, 0.8957659843500759, 0.43639360985864756,
      1.0, 1.0},
     {{0.0},
      {0.26, 0.26},
      {0.13, 0.84033320996790809, 0.26},
      {0.22371961478320505, 0.47675532319799699, -0.06470895363112615, 0.26},
      {0.16648564323248321, 0.10450018841591720, 0.03631482272098715,
       -0.13090704451073998, 0.26},
      {0.13855640231268224, 0.0, -0.04245337201752043, 0.02446657898003141,
       0.61943039072480676, 0.26},
      {0.13659751177640291, 0.0, -0.05496908796538376, -0.04118626728321046,
       0.62993304899016403, 0.06962479448202728, 0.26}},
     {0.13659751177640291, 0.0, -0.05496908796538376, -0.04118626728321046,
      0.62993304899016403, 0.06962479448202728, 0.26},
     {0.00195889053627933, 0.0, 0.01251571594786333, 0.06565284626324187,
      -0.01050265826535727, 0.19037520551797272, -0.26}},
};

/* The table of a variant (tests and host code use it with any index). */
ODEON_HD static inline const odeon_dirk_tableau *odeon_dirk_table(int v) {
  return &odeon_dirk_tableaus[v];
}

#endif
