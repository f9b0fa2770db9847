/* method_registry.h - the host's list of integration methods: names and
 * aliases (matched case-insensitively), the id and family header the kernel
 * is compiled with, and OrdinaryDiffEq's default controller constants.
 *
 * To add a method: add its table (erk_tableaus.h) or family header, and
 * one row to the table in method_registry.c (implicit families: family
 * 2..4, their own header, ids from 100). */
#ifndef ODEON_CODEGEN_METHOD_REGISTRY_H
#define ODEON_CODEGEN_METHOD_REGISTRY_H

#include <stddef.h>

/* Controller ids, the same as ODEON_CONTROLLER_* in core/controller.h. */
enum odeon__controller_kind {
  ODEON__CTRL_FIXED = 0,
  ODEON__CTRL_I = 1,
  ODEON__CTRL_PI = 2,
  ODEON__CTRL_PID = 3,
  ODEON__CTRL_GUSTAFSSON = 4
};

typedef struct odeon__method_info {
  const char *name;    /* canonical name ("dormand-prince-54") */
  const char *aliases; /* comma-separated lower-case aliases, or "" */
  int id;              /* ODEON_METHOD_ID */
  int family;          /* 1 explicit RK, 2 Rosenbrock, 3 DIRK, 4 FIRK */
  const char *header;  /* the family header the kernel includes */
  int order;
  int adaptive;           /* 1 if the method estimates its error */
  int default_controller; /* odeon__controller_kind */
  /* OrdinaryDiffEq defaults (controller_constants.csv) */
  double beta1, beta2, qmin, qmax, gamma, qsteady_min, qsteady_max;
  int newton_max_iters; /* implicit methods; 0 for explicit */
  double newton_tol;    /* implicit methods; 0 for explicit */
} odeon__method_info;

/* The method called `name` (canonical or alias, any case), or NULL. */
const odeon__method_info *odeon__method_find(const char *name);
/* Method i of odeon__method_count(), for listings and tests. */
const odeon__method_info *odeon__method_at(int i);
int odeon__method_count(void);
/* Write "euler, heun-21, ..." (for messages) into buf. */
void odeon__method_list(char *buf, size_t size);

/* The controller called `name` ("fixed", "i", "pi", "pid", "gustafsson"
 * and aliases "integral", "predictive"), or -1. */
int odeon__controller_find(const char *name);
const char *odeon__controller_name(int kind);

#endif
