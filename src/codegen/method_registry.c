/* method_registry.c - the table of integration methods the host knows, with
 * their aliases and default controller constants (see method_registry.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "codegen/method_registry.h"

/* PI defaults follow OrdinaryDiffEq: beta1 = 7/(10 p), beta2 = 2/(5 p)
 * unless the method overrides them (controller_constants.csv). */
#define ERK(name, aliases, id, order, adaptive, ctrl, b1, b2, qmin, qmax)      \
  {                                                                            \
    name, aliases, id, 1, "erk.h", order, adaptive, ctrl, b1, b2, qmin, qmax,  \
        0.9, 1.0, 1.0, 0, 0.0                                                  \
  }

/* Implicit methods: OrdinaryDiffEq's implicit defaults (qsteady band
 * [1, 1.2]), with the Newton iteration cap and tolerance. */
#define IMP(name, aliases, id, family, header, order, adaptive, ctrl, b1, b2,  \
            qmin, qmax, nit, ntol)                                             \
  {                                                                            \
    name, aliases, id, family, header, order, adaptive, ctrl, b1, b2, qmin,    \
        qmax, 0.9, 1.0, 1.2, nit, ntol                                         \
  }

static const odeon__method_info methods[] = {
    ERK("euler", "explicit-euler,forward-euler", 1, 1, 0, ODEON__CTRL_FIXED,
        0.7, 0.4, 0.2, 10.0),
    ERK("heun-21", "heun", 2, 2, 1, ODEON__CTRL_PI, 0.35, 0.2, 0.2, 10.0),
    ERK("ralston-33", "ralston,ralston3", 3, 3, 0, ODEON__CTRL_FIXED,
        7.0 / 30.0, 2.0 / 15.0, 0.2, 10.0),
    ERK("bogacki-shampine-32", "bs3,ode23,rk23", 4, 3, 1, ODEON__CTRL_PI,
        0.23333333, 0.13333334, 0.2, 10.0),
    ERK("classical-rk4", "rk4", 5, 4, 1, ODEON__CTRL_FIXED, 0.175, 0.1, 0.2,
        10.0),
    ERK("cash-karp-54", "cash-karp,cashkarp,rkck", 6, 5, 1, ODEON__CTRL_PI,
        0.14, 0.08, 0.2, 10.0),
    ERK("fehlberg-45", "fehlberg,rkf45", 7, 5, 1, ODEON__CTRL_PI, 0.14, 0.08,
        0.2, 10.0),
    ERK("dormand-prince-54", "dp5,dopri5,rk45,ode45", 8, 5, 1, ODEON__CTRL_PI,
        0.17, 0.04, 0.2, 10.0),
    ERK("tsit5", "tsitouras-5", 9, 5, 1, ODEON__CTRL_PI, 0.14, 0.08, 0.2, 10.0),
    ERK("vern7", "verner-7", 10, 7, 1, ODEON__CTRL_PI, 0.1, 0.057142857, 0.2,
        10.0),
    ERK("dormand-prince-853", "dp8,dop853", 11, 8, 1, ODEON__CTRL_PI, 0.125,
        0.0, 0.33333334, 6.0),
    ERK("vern9", "verner-9", 12, 9, 1, ODEON__CTRL_PI, 7.0 / 90.0, 2.0 / 45.0,
        0.2, 10.0),
    /* implicit families (src/core/sdirk_step.h, rosenbrock_step.h,
     * radau_iia5_step.h): id = family base + variant; OrdinaryDiffEq's
     * qsteady band [1, 1.2] for implicit methods */
    IMP("backwards_euler",
        "backward_euler,backward-euler,implicit-euler,implicit_euler", 100, 3,
        "sdirk_step.h", 1, 1, ODEON__CTRL_PI, 0.7, 0.4, 0.2, 10.0, 7, 0.03),
    IMP("implicit_midpoint", "implicit-midpoint,midpoint", 101, 3,
        "sdirk_step.h", 2, 0, ODEON__CTRL_FIXED, 0.35, 0.2, 0.2, 10.0, 7, 0.03),
    IMP("crank_nicolson", "crank-nicolson,trapezoid,trapezoidal", 102, 3,
        "sdirk_step.h", 2, 1, ODEON__CTRL_PI, 0.35, 0.2, 0.2, 10.0, 7, 0.03),
    IMP("trapezoidal_dirk", "trapezoidal-dirk", 102, 3, "sdirk_step.h", 2, 1,
        ODEON__CTRL_PI, 0.35, 0.2, 0.2, 10.0, 7, 0.03),
    IMP("sdirk_2_2", "sdirk22,sdirk-2-2,alexander2", 103, 3, "sdirk_step.h", 2,
        1, ODEON__CTRL_PI, 0.35, 0.2, 0.2, 10.0, 7, 0.03),
    IMP("l_stable_sdirk_4", "l-stable-sdirk-4,sdirk4,hairer4", 104, 3,
        "sdirk_step.h", 4, 1, ODEON__CTRL_PI, 0.175, 0.1, 0.2, 10.0, 7, 0.03),
    IMP("kvaerno3", "kvaerno-3", 105, 3, "sdirk_step.h", 3, 1, ODEON__CTRL_PI,
        0.23333333, 0.13333334, 0.2, 10.0, 7, 0.03),
    IMP("kvaerno5", "kvaerno-5", 106, 3, "sdirk_step.h", 5, 1, ODEON__CTRL_PI,
        0.14, 0.08, 0.2, 10.0, 7, 0.03),
    IMP("ros3p", "ros-3p", 110, 2, "rosenbrock_step.h", 3, 1, ODEON__CTRL_PI,
        0.23333333, 0.13333334, 0.2, 10.0, 0, 0.03),
    IMP("rodas3p", "rodas-3p", 111, 2, "rosenbrock_step.h", 3, 1,
        ODEON__CTRL_PI, 0.23333333, 0.13333334, 0.2, 10.0, 0, 0.03),
    IMP("rosenbrock23_sciml", "rosenbrock23,rosenbrock-23,ode23s", 112, 2,
        "rosenbrock_step.h", 2, 1, ODEON__CTRL_PI, 0.35, 0.2, 0.2, 10.0, 0,
        0.03),
    IMP("rodas4", "rodas-4", 113, 2, "rosenbrock_step.h", 4, 1, ODEON__CTRL_PI,
        0.175, 0.1, 0.2, 10.0, 0, 0.03),
    IMP("rodas5p", "rodas-5p", 114, 2, "rosenbrock_step.h", 5, 1,
        ODEON__CTRL_PI, 0.14, 0.08, 0.2, 10.0, 0, 0.03),
    /* Radau: newton_tol NaN = radau5's FNEWT formula inside the kernel */
    IMP("radau_iia_5", "radau-iia-5,radau5,radauiia5,radau", 120, 4,
        "radau_iia5_step.h", 5, 1, ODEON__CTRL_GUSTAFSSON, 0.0, 0.0, 0.2, 8.0,
        10, NAN),
};

int odeon__method_count(void) {
  return (int)(sizeof methods / sizeof methods[0]);
}

const odeon__method_info *odeon__method_at(int i) {
  return i >= 0 && i < odeon__method_count() ? &methods[i] : NULL;
}

/* Is `name` one of the comma-separated words of `list` (any case)? */
static int in_list(const char *list, const char *name) {
  size_t len = strlen(name);
  const char *p = list;
  while (*p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n == len && strncasecmp(p, name, n) == 0)
      return 1;
    if (!e)
      break;
    p = e + 1;
  }
  return 0;
}

const odeon__method_info *odeon__method_find(const char *name) {
  if (!name || !*name)
    return NULL;
  for (int i = 0; i < odeon__method_count(); i++)
    if (strcasecmp(methods[i].name, name) == 0 ||
        in_list(methods[i].aliases, name))
      return &methods[i];
  return NULL;
}

void odeon__method_list(char *buf, size_t size) {
  size_t off = 0;
  if (size)
    buf[0] = '\0';
  for (int i = 0; i < odeon__method_count() && off < size; i++)
    off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? ", " : "",
                            methods[i].name);
}

static const char *const controller_names[] = {"fixed", "i", "pi", "pid",
                                               "gustafsson"};

int odeon__controller_find(const char *name) {
  if (!name)
    return -1;
  for (int i = 0; i < 5; i++)
    if (strcasecmp(name, controller_names[i]) == 0)
      return i;
  if (strcasecmp(name, "integral") == 0)
    return ODEON__CTRL_I;
  if (strcasecmp(name, "predictive") == 0)
    return ODEON__CTRL_GUSTAFSSON;
  return -1;
}

const char *odeon__controller_name(int kind) {
  return kind >= 0 && kind < 5 ? controller_names[kind] : "?";
}
