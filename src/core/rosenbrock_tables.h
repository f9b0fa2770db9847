/* rosenbrock_tables.h - the const tables of the Rosenbrock family (ROS3P,
 * Rodas3P, Rodas4, Rodas5P and Shampine's Rosenbrock 2(3) of ode23s), one
 * table per method (GSL habit).
 *
 * Tables use Hairer & Wanner's transformed form (Solving ODEs II, IV.7),
 * which is also OrdinaryDiffEq's: with W = I/(h*gamma) - J,
 *   u_i = y + sum_{j<i} a_ij k_j,
 *   W k_i = f(t + c_i h, u_i) + h d_i df/dt + sum_{j<i} (C_ij / h) k_j,
 *   y_new = y + sum b_i k_i,   error = sum btilde_i k_i.
 * The Rodas methods are stiffly accurate: b is the last row of a plus the
 * last stage, and the error is the last stage. Coefficients are from the
 * papers (Lang & Verwer 2001; Steinebach 2023 for Rodas3P and Rodas5P;
 * Hairer & Wanner for Rodas4), cross-checked against OrdinaryDiffEq's
 * rosenbrock_tableaus.jl; tests/implicit checks the order conditions. */
#ifndef ODEON_CORE_ROSENBROCK_TABLES_H
#define ODEON_CORE_ROSENBROCK_TABLES_H

#include "implicit_table.h"

#define ODEON_ROS_MAX_STAGES 8

/* Where a stage's f value comes from. */
enum odeon_ros_reuse {
  ODEON_ROS_EVAL = 0,    /* evaluate f at (t + c_i h, u_i) */
  ODEON_ROS_USE_F0 = 1,  /* u_i = y and c_i = 0: f(t, y) */
  ODEON_ROS_USE_PREV = 2 /* same point as the previous stage */
};

/* The continuous extension of a step (odeon_step_dense): a cubic Hermite
 * interpolant on f(t, y) and f(t + h, y_new); the Rodas form
 * (1-s) y0 + s (y1 + (1-s)(d1 + s d2)), or with (d1 + s (d2 + s d3)) for
 * Rodas5P; Shampine's y0 + h (c1 k1 + c2 k2) for Rosenbrock23. */
#define ODEON_ROS_DENSE_HERMITE 0
#define ODEON_ROS_DENSE_RODAS 1
#define ODEON_ROS_DENSE_RODAS5 2
#define ODEON_ROS_DENSE_ODE23S 3

/* How the step is computed. */
enum odeon_ros_kind {
  ODEON_ROS_GENERIC = 0, /* the transformed form above */
  ODEON_ROS_ODE23S = 1   /* Shampine & Reichelt's Rosenbrock 2(3) */
};

/* Method variants (ODEON_METHOD_VARIANT in a kernel; macros because the
 * family header tests them with #if): ODEON_METHOD_ID - ODEON_ROS_ID_BASE. */
#define ODEON_ROS_ID_BASE 110
#define ODEON_ROS_ROS3P 0
#define ODEON_ROS_RODAS3P 1
#define ODEON_ROS_ROSENBROCK23 2 /* rosenbrock23_sciml */
#define ODEON_ROS_RODAS4 3
#define ODEON_ROS_RODAS5P 4
#define ODEON_ROS_COUNT 5

typedef struct odeon_ros_tableau {
  int stages;
  int order;     /* of the solution */
  int err_order; /* of the embedded solution */
  int kind;      /* enum odeon_ros_kind */
  double gamma;
  double a[ODEON_ROS_MAX_STAGES][ODEON_ROS_MAX_STAGES]; /* strictly lower */
  double C[ODEON_ROS_MAX_STAGES][ODEON_ROS_MAX_STAGES]; /* strictly lower */
  double c[ODEON_ROS_MAX_STAGES];
  double d[ODEON_ROS_MAX_STAGES];
  double b[ODEON_ROS_MAX_STAGES];
  double btilde[ODEON_ROS_MAX_STAGES];
  int reuse[ODEON_ROS_MAX_STAGES]; /* enum odeon_ros_reuse */
  int dense;                       /* ODEON_ROS_DENSE_* */
  /* dense output: d_r = sum_i H[r][i] k_i (OrdinaryDiffEq's H matrices) */
  double H[3][ODEON_ROS_MAX_STAGES];
} odeon_ros_tableau;

/* ode23s constants: d = 1/(2 + sqrt(2)), e32 = 6 + sqrt(2). */
#define ODEON_ROS23_D 0.29289321881345247560
#define ODEON_ROS23_E32 7.4142135623730950488

/* Rodas5P's stage-6 row, shared by the stiffly accurate last stages. */
#define ODEON__R5P_A6                                                          \
  -7.502846399306121, 2.561846144803919, -11.627539656261098,                  \
      -0.18268767659942256, 0.030198172008377946
/* Rodas4's stage-5 row. */
#define ODEON__R4_A5                                                           \
  1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950

ODEON_TABLE odeon_ros_tableau odeon_ros_tableaus[ODEON_ROS_COUNT] = {
    /* ROS3P (Lang & Verwer, BIT 41, 2001): gamma = 1/2 + sqrt(3)/6. */
    {3,
     3,
     2,
     ODEON_ROS_GENERIC,
     0.7886751345948129,
     {{0.0}, {1.2679491924311228}, {1.2679491924311228, 0.0}},
     {{0.0}, {-1.6076951545867364}, {-3.4641016151377553, -1.7320508075688774}},
     {0.0, 1.0, 1.0},
     {0.7886751345948129, -0.2113248654051871, -1.077350269189626},
     {2.0, 0.5773502691896257, 0.42264973081037427},
     {-0.1132486540518709, -0.42264973081037427, 0.0},
     {ODEON_ROS_EVAL, ODEON_ROS_EVAL, ODEON_ROS_USE_PREV},
     ODEON_ROS_DENSE_HERMITE,
     {{0.0}}},
    /* Rodas3P (Steinebach 2023): gamma = 1/3; the order-2 solution is
     * u_4 + k_4, the order-3 one u_4 + k_5. */
    {5,
     3,
     2,
     ODEON_ROS_GENERIC,
     1.0 / 3.0,
     {{0.0},
      {4.0 / 3.0},
      {0.0, 0.0},
      {2.90625, 3.375, 0.40625},
      {2.90625, 3.375, 0.40625, 0.0}},
     {{0.0},
      {-4.0},
      {8.25, 6.75},
      {1.21875, -5.0625, -1.96875},
      {4.03125, -15.1875, -4.03125, 6.0}},
     {0.0, 4.0 / 9.0, 0.0, 1.0, 1.0},
     {1.0 / 3.0, -1.0 / 9.0, 1.0, 0.0, 0.0},
     {2.90625, 3.375, 0.40625, 0.0, 1.0},
     {0.0, 0.0, 0.0, -1.0, 1.0},
     {ODEON_ROS_EVAL, ODEON_ROS_EVAL, ODEON_ROS_USE_F0, ODEON_ROS_EVAL,
      ODEON_ROS_USE_PREV},
     ODEON_ROS_DENSE_RODAS,
     {{1.78125, 6.75, 0.15625, -6.0, -1.0},
      {4.21875, -15.1875, -3.09375, 9.0, 0.0}}},
    /* Rosenbrock 2(3) of ode23s (Shampine & Reichelt 1997), as
     * OrdinaryDiffEq's Rosenbrock23: computed by its own code path; only
     * gamma (= d) is read from here. */
    {3,
     2,
     3,
     ODEON_ROS_ODE23S,
     ODEON_ROS23_D,
     {{0.0}},
     {{0.0}},
     {0.0, 0.5, 1.0},
     {ODEON_ROS23_D},
     {0.0},
     {0.0},
     {ODEON_ROS_EVAL},
     ODEON_ROS_DENSE_ODE23S,
     {{0.0}}},
    /* RODAS4 (Hairer & Wanner): gamma = 1/4, 6 stages. */
    {6,
     4,
     3,
     ODEON_ROS_GENERIC,
     0.25,
     {{0.0},
      {1.544},
      {0.9466785280815826, 0.2557011698983284},
      {3.314825187068521, 2.896124015972201, 0.9986419139977817},
      {ODEON__R4_A5},
      {ODEON__R4_A5, 1.0}},
     {{0.0},
      {-5.6688},
      {-2.430093356833875, -0.2063599157091915},
      {-0.1073529058151375, -9.594562251023355, -20.47028614809616},
      {7.496443313967647, -10.24680431464352, -33.99990352819905,
       11.70890893206160},
      {8.083246795921522, -7.981132988064893, -31.52159432874371,
       16.31930543123136, -6.058818238834054}},
     {0.0, 0.386, 0.21, 0.63, 1.0, 1.0},
     {0.25, -0.1043, 0.1035, -0.0362, 0.0, 0.0},
     {ODEON__R4_A5, 1.0, 1.0},
     {0.0, 0.0, 0.0, 0.0, 0.0, 1.0},
     {ODEON_ROS_EVAL, ODEON_ROS_EVAL, ODEON_ROS_EVAL, ODEON_ROS_EVAL,
      ODEON_ROS_EVAL, ODEON_ROS_EVAL},
     ODEON_ROS_DENSE_RODAS,
     {{10.12623508344586, -7.487995877610167, -34.80091861555747,
       -7.992771707568823, 1.025137723295662, 0.0},
      {-0.6762803392801253, 6.087714651680015, 16.43084320892478,
       24.76722511418386, -6.594389125716872, 0.0}}},
    /* Rodas5P (Steinebach 2023): 8 stages, order 5(4). */
    {8,
     5,
     4,
     ODEON_ROS_GENERIC,
     0.21193756319429014,
     {{0.0},
      {3.0},
      {2.849394379747939, 0.45842242204463923},
      {-6.954028509809101, 2.489845061869568, -10.358996098473584},
      {2.8029986275628964, 0.5072464736228206, -0.3988312541770524,
       -0.04721187230404641},
      {ODEON__R5P_A6},
      {ODEON__R5P_A6, 1.0},
      {ODEON__R5P_A6, 1.0, 1.0}},
     {{0.0},
      {-14.155112264123755},
      {-17.97296035885952, -2.859693295451294},
      {147.12150275711716, -1.41221402718213, 71.68940251302358},
      {165.43517024871676, -0.4592823456491126, 42.90938336958603,
       -5.961986721573306},
      {24.854864614690072, -3.0009227002832186, 47.4931110020768,
       5.5814197821558125, -0.6610691825249471},
      {30.91273214028599, -3.1208243349937974, 77.79954646070892,
       34.28646028294783, -19.097331116725623, -28.087943162872662},
      {37.80277123390563, -3.2571969029072276, 112.26918849496327,
       66.9347231244047, -40.06618937091002, -54.66780262877968,
       -9.48861652309627}},
     {0.0, 0.6358126895828704, 0.4095798393397535, 0.9769306725060716,
      0.4288403609558664, 1.0, 1.0, 1.0},
     {0.21193756319429014, -0.42387512638858027, -0.3384627126235924,
      1.8046452872882734, 2.325825639765069, 0.0, 0.0, 0.0},
     {ODEON__R5P_A6, 1.0, 1.0, 1.0},
     {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0},
     {ODEON_ROS_EVAL, ODEON_ROS_EVAL, ODEON_ROS_EVAL, ODEON_ROS_EVAL,
      ODEON_ROS_EVAL, ODEON_ROS_EVAL, ODEON_ROS_EVAL, ODEON_ROS_EVAL},
     ODEON_ROS_DENSE_RODAS5,
     {{25.948786856663858, -2.5579724845846235, 10.433815404888879,
       -2.3679251022685204, 0.524948541321073, 1.1241088310450404,
       0.4272876194431874, -0.17202221070155493},
      {-9.91568850695171, -0.9689944594115154, 3.0438037242978453,
       -24.495224566215796, 20.176138334709044, 15.98066361424651,
       -6.789040303419874, -6.710236069923372},
      {11.419903575922262, 2.8879645146136994, 72.92137995996029,
       80.12511834622643, -52.072871366152654, -59.78993625266729,
       -0.15582684282751913, 4.883087185713722}}},
};

/* The table of a variant (tests and host code use it with any index). */
ODEON_HD static inline const odeon_ros_tableau *odeon_ros_table(int v) {
  return &odeon_ros_tableaus[v];
}

#endif
