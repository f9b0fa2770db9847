/* manufactured_system.h - a nonlinear, non-autonomous 3-state system with
 * a known exact solution, written by hand the way the model compiler
 * writes systems (ODEON_SYS_* sizes, odeon_sys_rhs, odeon_sys_jac), and
 * the core headers included in the generated source's order. The step
 * tests measure convergence orders against the exact solution.
 *
 * f(t, y) = F(y) + g(t) with F nonlinear and g chosen so that
 *   y(t) = (1/(1+t), 1.5 + sin t, exp(-0.4 t) cos(0.8 t))
 * solves it; the parameter p[0] scales F's stiff part (p[0] = -2.385 keeps
 * the problem mildly stiff, large negative values make it stiff). */
#ifndef ODEON_TEST_MANUFACTURED_SYSTEM_H
#define ODEON_TEST_MANUFACTURED_SYSTEM_H

#include <math.h>

#include "real.h"
#include "kernel_args.h"
#include "spline.h"

#define ODEON_SYS_N_STATES 3
#define ODEON_SYS_N_PARAMS 1
#define ODEON_SYS_N_OBSERVABLES 0
#define ODEON_SYS_N_DRIVERS 0
#define ODEON_SYS_HAS_JACOBIAN 1

static inline void ms_exact(double t, double *e, double *de, double *dde) {
  const double ex = exp(-0.4 * t), c = cos(0.8 * t), s = sin(0.8 * t);
  e[0] = 1.0 / (1.0 + t);
  e[1] = 1.5 + sin(t);
  e[2] = ex * c;
  de[0] = -1.0 / ((1.0 + t) * (1.0 + t));
  de[1] = cos(t);
  de[2] = ex * (-0.4 * c - 0.8 * s);
  dde[0] = 2.0 / ((1.0 + t) * (1.0 + t) * (1.0 + t));
  dde[1] = -sin(t);
  dde[2] = ex * (-0.48 * c + 0.64 * s);
}

static inline void ms_F(double k, const double *y, double *F) {
  F[0] = k * y[0] * y[0] + 0.5 * y[1] * y[2];
  F[1] = -0.7 * y[0] * y[1] + 0.3 * y[2];
  F[2] = k * y[2] + 0.4 * y[0] * y[1];
}

static inline void ms_dF(double k, const double *y, double *J) {
  J[0] = 2.0 * k * y[0];
  J[1] = 0.5 * y[2];
  J[2] = 0.5 * y[1];
  J[3] = -0.7 * y[1];
  J[4] = -0.7 * y[0];
  J[5] = 0.3;
  J[6] = 0.4 * y[1];
  J[7] = 0.4 * y[0];
  J[8] = k;
}

static inline void odeon_sys_rhs(odeon_real t, const odeon_real *y,
                                 const odeon_real *p, const odeon_real *drv,
                                 odeon_real *dy) {
  double e[3], de[3], dde[3], Fe[3], Fy[3], yy[3];
  (void)drv;
  ms_exact((double)t, e, de, dde);
  ms_F((double)p[0], e, Fe);
  for (int i = 0; i < 3; i++)
    yy[i] = (double)y[i];
  ms_F((double)p[0], yy, Fy);
  for (int i = 0; i < 3; i++)
    dy[i] = (odeon_real)(Fy[i] + de[i] - Fe[i]);
}

static inline void odeon_sys_jac(odeon_real t, const odeon_real *y,
                                 const odeon_real *p, const odeon_real *drv,
                                 odeon_real *jac, odeon_real *dfdt) {
  double e[3], de[3], dde[3], Je[9], Jy[9], yy[3];
  (void)drv;
  ms_exact((double)t, e, de, dde);
  for (int i = 0; i < 3; i++)
    yy[i] = (double)y[i];
  ms_dF((double)p[0], yy, Jy);
  ms_dF((double)p[0], e, Je);
  for (int i = 0; i < 9; i++)
    jac[i] = (odeon_real)Jy[i];
  /* dg/dt = e'' - dF(e) e' */
  for (int i = 0; i < 3; i++) {
    double v = dde[i];
    for (int j = 0; j < 3; j++)
      v -= Je[i * 3 + j] * de[j];
    dfdt[i] = (odeon_real)v;
  }
}

#include "ctx.h"

#endif
