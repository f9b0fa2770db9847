/* functions.c - the built-in function table and its double evaluator. */
#include "model/functions.h"

#include <math.h>
#include <string.h>

const odeon__fn_info odeon__fn_table[ODEON__FN_COUNT] = {
    [ODEON__FN_EXP] = {"exp", 1, "ODEON_SYS_EXP", "exp", "expf", 1},
    [ODEON__FN_LOG] = {"log", 1, "ODEON_SYS_LOG", "log", "logf", 1},
    [ODEON__FN_LOG10] = {"log10", 1, "ODEON_SYS_LOG10", "log10", "log10f", 1},
    [ODEON__FN_LOG2] = {"log2", 1, "ODEON_SYS_LOG2", "log2", "log2f", 1},
    [ODEON__FN_LOG1P] = {"log1p", 1, "ODEON_SYS_LOG1P", "log1p", "log1pf", 1},
    [ODEON__FN_EXPM1] = {"expm1", 1, "ODEON_SYS_EXPM1", "expm1", "expm1f", 1},
    [ODEON__FN_SQRT] = {"sqrt", 1, "ODEON_SYS_SQRT", "sqrt", "sqrtf", 1},
    [ODEON__FN_CBRT] = {"cbrt", 1, "ODEON_SYS_CBRT", "cbrt", "cbrtf", 1},
    [ODEON__FN_ABS] = {"abs", 1, "ODEON_SYS_ABS", "fabs", "fabsf", 1},
    [ODEON__FN_SIGN] = {"sign", 1, "odeon_sys_sign", NULL, NULL, 1},
    [ODEON__FN_FLOOR] = {"floor", 1, "ODEON_SYS_FLOOR", "floor", "floorf", 1},
    [ODEON__FN_CEIL] = {"ceil", 1, "ODEON_SYS_CEIL", "ceil", "ceilf", 1},
    [ODEON__FN_TRUNC] = {"trunc", 1, "ODEON_SYS_TRUNC", "trunc", "truncf", 1},
    [ODEON__FN_MIN] = {"min", 2, "ODEON_SYS_MIN", "fmin", "fminf", 1},
    [ODEON__FN_MAX] = {"max", 2, "ODEON_SYS_MAX", "fmax", "fmaxf", 1},
    [ODEON__FN_HYPOT] = {"hypot", 2, "ODEON_SYS_HYPOT", "hypot", "hypotf", 1},
    [ODEON__FN_ATAN2] = {"atan2", 2, "ODEON_SYS_ATAN2", "atan2", "atan2f", 1},
    [ODEON__FN_SIN] = {"sin", 1, "ODEON_SYS_SIN", "sin", "sinf", 1},
    [ODEON__FN_COS] = {"cos", 1, "ODEON_SYS_COS", "cos", "cosf", 1},
    [ODEON__FN_TAN] = {"tan", 1, "ODEON_SYS_TAN", "tan", "tanf", 1},
    [ODEON__FN_ASIN] = {"asin", 1, "ODEON_SYS_ASIN", "asin", "asinf", 1},
    [ODEON__FN_ACOS] = {"acos", 1, "ODEON_SYS_ACOS", "acos", "acosf", 1},
    [ODEON__FN_ATAN] = {"atan", 1, "ODEON_SYS_ATAN", "atan", "atanf", 1},
    [ODEON__FN_SINH] = {"sinh", 1, "ODEON_SYS_SINH", "sinh", "sinhf", 1},
    [ODEON__FN_COSH] = {"cosh", 1, "ODEON_SYS_COSH", "cosh", "coshf", 1},
    [ODEON__FN_TANH] = {"tanh", 1, "ODEON_SYS_TANH", "tanh", "tanhf", 1},
    [ODEON__FN_ASINH] = {"asinh", 1, "ODEON_SYS_ASINH", "asinh", "asinhf", 1},
    [ODEON__FN_ACOSH] = {"acosh", 1, "ODEON_SYS_ACOSH", "acosh", "acoshf", 1},
    [ODEON__FN_ATANH] = {"atanh", 1, "ODEON_SYS_ATANH", "atanh", "atanhf", 1},
    [ODEON__FN_ERF] = {"erf", 1, "ODEON_SYS_ERF", "erf", "erff", 1},
    [ODEON__FN_ERFC] = {"erfc", 1, "ODEON_SYS_ERFC", "erfc", "erfcf", 1},
    [ODEON__FN_TGAMMA] = {"tgamma", 1, "ODEON_SYS_TGAMMA", "tgamma", "tgammaf",
                          1},
    [ODEON__FN_LGAMMA] = {"lgamma", 1, "ODEON_SYS_LGAMMA", "lgamma", "lgammaf",
                          1},
    [ODEON__FN_FMOD] = {"fmod", 2, "ODEON_SYS_FMOD", "fmod", "fmodf", 1},
    [ODEON__FN_DIGAMMA] = {"digamma", 1, "odeon_sys_digamma", NULL, NULL, 0},
};

int odeon__fn_lookup(const char *name, size_t len) {
  if (len == 2 && memcmp(name, "ln", 2) == 0) /* the natural log's other name */
    return ODEON__FN_LOG;
  for (int i = 0; i < ODEON__FN_COUNT; i++) {
    const odeon__fn_info *f = &odeon__fn_table[i];
    if (f->user_callable && strlen(f->name) == len &&
        memcmp(f->name, name, len) == 0)
      return i;
  }
  return -1;
}

/* The same series the generated code uses (see codegen/system.c), so that a
 * folded constant and a computed value agree. */
static double digamma(double x) {
  double r = 0.0;
  if (x <= 0.0 && floor(x) == x)
    return NAN;
  if (x < 0.0) {
    /* reflection: psi(x) = psi(1 - x) - pi / tan(pi x) */
    r = -3.14159265358979323846 / tan(3.14159265358979323846 * x);
    x = 1.0 - x;
  }
  while (x < 6.0) {
    r -= 1.0 / x;
    x += 1.0;
  }
  double f = 1.0 / (x * x);
  return r + log(x) - 0.5 / x -
         f * (1.0 / 12 -
              f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

static double sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }

double odeon__fn_eval(int fn, const double *a) {
  switch ((odeon__fn)fn) {
  case ODEON__FN_EXP:
    return exp(a[0]);
  case ODEON__FN_LOG:
    return log(a[0]);
  case ODEON__FN_LOG10:
    return log10(a[0]);
  case ODEON__FN_LOG2:
    return log2(a[0]);
  case ODEON__FN_LOG1P:
    return log1p(a[0]);
  case ODEON__FN_EXPM1:
    return expm1(a[0]);
  case ODEON__FN_SQRT:
    return sqrt(a[0]);
  case ODEON__FN_CBRT:
    return cbrt(a[0]);
  case ODEON__FN_ABS:
    return fabs(a[0]);
  case ODEON__FN_SIGN:
    return sign(a[0]);
  case ODEON__FN_FLOOR:
    return floor(a[0]);
  case ODEON__FN_CEIL:
    return ceil(a[0]);
  case ODEON__FN_TRUNC:
    return trunc(a[0]);
  case ODEON__FN_MIN:
    return fmin(a[0], a[1]);
  case ODEON__FN_MAX:
    return fmax(a[0], a[1]);
  case ODEON__FN_HYPOT:
    return hypot(a[0], a[1]);
  case ODEON__FN_ATAN2:
    return atan2(a[0], a[1]);
  case ODEON__FN_SIN:
    return sin(a[0]);
  case ODEON__FN_COS:
    return cos(a[0]);
  case ODEON__FN_TAN:
    return tan(a[0]);
  case ODEON__FN_ASIN:
    return asin(a[0]);
  case ODEON__FN_ACOS:
    return acos(a[0]);
  case ODEON__FN_ATAN:
    return atan(a[0]);
  case ODEON__FN_SINH:
    return sinh(a[0]);
  case ODEON__FN_COSH:
    return cosh(a[0]);
  case ODEON__FN_TANH:
    return tanh(a[0]);
  case ODEON__FN_ASINH:
    return asinh(a[0]);
  case ODEON__FN_ACOSH:
    return acosh(a[0]);
  case ODEON__FN_ATANH:
    return atanh(a[0]);
  case ODEON__FN_ERF:
    return erf(a[0]);
  case ODEON__FN_ERFC:
    return erfc(a[0]);
  case ODEON__FN_TGAMMA:
    return tgamma(a[0]);
  case ODEON__FN_LGAMMA: {
#if defined(__GLIBC__) || defined(__APPLE__)
    int sign; /* lgamma() writes the global signgam: a race between threads */
    return lgamma_r(a[0], &sign);
#else
    return lgamma(a[0]);
#endif
  }
  case ODEON__FN_FMOD:
    return fmod(a[0], a[1]);
  case ODEON__FN_DIGAMMA:
    return digamma(a[0]);
  case ODEON__FN_COUNT:
    break;
  }
  return NAN;
}
