/* functions.h - the table of built-in functions of the model language: their
 * names, argument counts, C spellings in both precisions and a double
 * evaluator used to fold constant calls. */
#ifndef ODEON_MODEL_FUNCTIONS_H
#define ODEON_MODEL_FUNCTIONS_H

#include <stddef.h>

typedef enum odeon__fn {
  ODEON__FN_EXP = 0,
  ODEON__FN_LOG,
  ODEON__FN_LOG10,
  ODEON__FN_LOG2,
  ODEON__FN_LOG1P,
  ODEON__FN_EXPM1,
  ODEON__FN_SQRT,
  ODEON__FN_CBRT,
  ODEON__FN_ABS,
  ODEON__FN_SIGN,
  ODEON__FN_FLOOR,
  ODEON__FN_CEIL,
  ODEON__FN_TRUNC,
  ODEON__FN_MIN,
  ODEON__FN_MAX,
  ODEON__FN_HYPOT,
  ODEON__FN_ATAN2,
  ODEON__FN_SIN,
  ODEON__FN_COS,
  ODEON__FN_TAN,
  ODEON__FN_ASIN,
  ODEON__FN_ACOS,
  ODEON__FN_ATAN,
  ODEON__FN_SINH,
  ODEON__FN_COSH,
  ODEON__FN_TANH,
  ODEON__FN_ASINH,
  ODEON__FN_ACOSH,
  ODEON__FN_ATANH,
  ODEON__FN_ERF,
  ODEON__FN_ERFC,
  ODEON__FN_TGAMMA,
  ODEON__FN_LGAMMA,
  ODEON__FN_FMOD,
  ODEON__FN_DIGAMMA, /* internal: the derivative of lgamma; not callable */
  ODEON__FN_COUNT
} odeon__fn;

typedef struct odeon__fn_info {
  const char *name;  /* as written in models ("abs") */
  int arity;         /* 1 or 2 */
  const char *macro; /* the generated code's spelling ("ODEON_SYS_ABS") */
  const char *c64;   /* C function for double ("fabs") */
  const char *c32;   /* C function for float ("fabsf") */
  int user_callable; /* 0 for internal helpers */
} odeon__fn_info;

extern const odeon__fn_info odeon__fn_table[ODEON__FN_COUNT];

/* The function called `name` (len bytes), or -1. Only callable ones. */
int odeon__fn_lookup(const char *name, size_t len);
/* Evaluate a function in double precision (for constant folding). */
double odeon__fn_eval(int fn, const double *args);

#endif
