/* system.c - prints a text model's right-hand side, Jacobian and observables
 * as C / CUDA C functions over odeon_real (see codegen.h for the contract).
 * Every node of the expression graph that a function needs becomes one
 * local, in index order (children before parents), so shared subexpressions
 * are computed once and no recursion or allocation happens at run time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/codegen.h"
#include "model/functions.h"
#include "model/model.h"

/* Up to this many states the Jacobian is printed entry by entry. */
#define ODEON__DENSE_JAC_MAX 32

/* Math spellings per precision, guarded so that the block may be pasted
 * more than once into a translation unit. */
static void emit_prelude(odeon__strbuf *o) {
  odeon__strbuf_append(o, "#ifndef ODEON_SYS_PRELUDE\n"
                          "#define ODEON_SYS_PRELUDE 1\n"
                          "#if ODEON_REAL_IS_FLOAT\n");
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1)
      odeon__strbuf_append(o, "#else\n");
    for (int i = 0; i < ODEON__FN_COUNT; i++) {
      const odeon__fn_info *f = &odeon__fn_table[i];
      if (f->c64)
        odeon__strbuf_printf(o, "#define %s %s\n", f->macro,
                             pass == 0 ? f->c32 : f->c64);
    }
    odeon__strbuf_printf(o, "#define ODEON_SYS_POW %s\n",
                         pass == 0 ? "powf" : "pow");
  }
  odeon__strbuf_append(o, "#endif\n#endif\n");
}

/* Helper functions, emitted only when called: compilers warn about unused
 * static functions (clang even for inline ones), and warnings are errors. */
static void emit_helpers(odeon__strbuf *o, int sign, int digamma) {
  if (sign)
    odeon__strbuf_append(
        o, "#ifndef ODEON_SYS_HAVE_SIGN\n"
           "#define ODEON_SYS_HAVE_SIGN 1\n"
           "ODEON_HD static inline odeon_real odeon_sys_sign(odeon_real x) {\n"
           "  return x > ODEON_R(0.0) ? ODEON_R(1.0)\n"
           "                          : x < ODEON_R(0.0) ? ODEON_R(-1.0) : "
           "ODEON_R(0.0);\n"
           "}\n"
           "#endif\n");
  if (digamma)
    odeon__strbuf_append(
        o,
        "#ifndef ODEON_SYS_HAVE_DIGAMMA\n"
        "#define ODEON_SYS_HAVE_DIGAMMA 1\n"
        "/* digamma (the derivative of lgamma): recurrence up to x >= 6, then\n"
        "   the asymptotic series; reflection for negative x. */\n"
        "ODEON_HD static inline odeon_real odeon_sys_digamma(odeon_real x) {\n"
        "  odeon_real r = ODEON_R(0.0);\n"
        "  if (x <= ODEON_R(0.0) && ODEON_SYS_FLOOR(x) == x)\n"
        "    return (x - x) / (x - x); /* a pole: NaN */\n"
        "  if (x < ODEON_R(0.0)) {\n"
        "    r = -ODEON_R(3.14159265358979323846) /\n"
        "        ODEON_SYS_TAN(ODEON_R(3.14159265358979323846) * x);\n"
        "    x = ODEON_R(1.0) - x;\n"
        "  }\n"
        "  while (x < ODEON_R(6.0)) {\n"
        "    r -= ODEON_R(1.0) / x;\n"
        "    x += ODEON_R(1.0);\n"
        "  }\n"
        "  const odeon_real f = ODEON_R(1.0) / (x * x);\n"
        "  return r + ODEON_SYS_LOG(x) - ODEON_R(0.5) / x -\n"
        "         f * (ODEON_R(1.0) / 12 - f * (ODEON_R(1.0) / 120 -\n"
        "         f * (ODEON_R(1.0) / 252 - f * (ODEON_R(1.0) / 240 -\n"
        "         f / 132))));\n"
        "}\n"
        "#endif\n");
}

/* Which helpers the model's functions call: a walk from every output. */
static int helpers_used(const odeon_model_t *m, int *sign, int *digamma) {
  const odeon__xpool *p = &m->pool;
  int64_t n = m->count[ODEON_SYM_STATE], n_obs = m->count[ODEON_SYM_OBSERVABLE];
  unsigned char *need = calloc((size_t)p->n + 1, 1);
  if (!need)
    return -1;
  for (int64_t i = 0; i < n; i++)
    need[m->rhs[i]] = 1;
  for (int64_t i = 0; i < n_obs; i++)
    need[m->obs[i]] = 1;
  if (m->jac && m->dfdt) {
    for (int64_t i = 0; i < n * n; i++)
      need[m->jac[i]] = 1;
    for (int64_t i = 0; i < n; i++)
      need[m->dfdt[i]] = 1;
  }
  *sign = *digamma = 0;
  for (int32_t i = p->n - 1; i >= 0; i--) {
    if (!need[i])
      continue;
    const odeon__xnode *x = &p->nodes[i];
    for (int k = 0; k < x->nargs; k++)
      need[x->a[k]] = 1;
    if (x->op == ODEON__X_CALL && x->fn == ODEON__FN_SIGN)
      *sign = 1;
    if (x->op == ODEON__X_CALL && x->fn == ODEON__FN_DIGAMMA)
      *digamma = 1;
  }
  free(need);
  return 0;
}

/* A literal that is valid C whatever printf chose ("2" -> "2.0"). */
static void emit_literal(odeon__strbuf *o, double v) {
  char buf[40];
  snprintf(buf, sizeof buf, "%.17g", v);
  if (!strpbrk(buf, ".eE"))
    strcat(buf, ".0");
  odeon__strbuf_printf(o, "ODEON_R(%s)", buf);
}

/* How a function refers to node i: leaves inline, others by their local. */
static void emit_ref(odeon__strbuf *o, const odeon__xpool *p, int32_t i) {
  const odeon__xnode *x = &p->nodes[i];
  switch ((odeon__xop)x->op) {
  case ODEON__X_CONST:
    emit_literal(o, x->value);
    return;
  case ODEON__X_TIME:
    odeon__strbuf_append(o, "t");
    return;
  case ODEON__X_STATE:
    odeon__strbuf_printf(o, "y[%d]", (int)x->index);
    return;
  case ODEON__X_PARAM:
    odeon__strbuf_printf(o, "p[%d]", (int)x->index);
    return;
  case ODEON__X_DRIVER:
    odeon__strbuf_printf(o, "drv[%d]", 2 * (int)x->index);
    return;
  case ODEON__X_DRIVER_DT:
    odeon__strbuf_printf(o, "drv[%d]", 2 * (int)x->index + 1);
    return;
  default:
    odeon__strbuf_printf(o, "a_%d", (int)i);
    return;
  }
}

static const char *infix(int op) {
  switch (op) {
  case ODEON__X_ADD:
    return " + ";
  case ODEON__X_SUB:
    return " - ";
  case ODEON__X_MUL:
    return " * ";
  case ODEON__X_DIV:
    return " / ";
  case ODEON__X_LT:
    return " < ";
  case ODEON__X_LE:
    return " <= ";
  case ODEON__X_GT:
    return " > ";
  case ODEON__X_GE:
    return " >= ";
  case ODEON__X_EQ:
    return " == ";
  case ODEON__X_NE:
    return " != ";
  default:
    return NULL;
  }
}

/* The right-hand side of node i's local. */
static void emit_node(odeon__strbuf *o, const odeon__xpool *p, int32_t i) {
  const odeon__xnode *x = &p->nodes[i];
  const char *op = infix(x->op);
  odeon__strbuf_printf(o, "  const odeon_real a_%d = ", (int)i);
  if (op && x->op >= ODEON__X_LT) { /* comparisons give 0 or 1 */
    odeon__strbuf_append(o, "(odeon_real)(");
    emit_ref(o, p, x->a[0]);
    odeon__strbuf_append(o, op);
    emit_ref(o, p, x->a[1]);
    odeon__strbuf_append(o, ")");
  } else if (op) {
    emit_ref(o, p, x->a[0]);
    odeon__strbuf_append(o, op);
    emit_ref(o, p, x->a[1]);
  } else {
    switch ((odeon__xop)x->op) {
    case ODEON__X_NEG:
      odeon__strbuf_append(o, "-");
      emit_ref(o, p, x->a[0]);
      break;
    case ODEON__X_POW:
    case ODEON__X_CALL:
      odeon__strbuf_append(o, x->op == ODEON__X_POW
                                  ? "ODEON_SYS_POW"
                                  : odeon__fn_table[x->fn].macro);
      odeon__strbuf_append(o, "(");
      for (int k = 0; k < x->nargs; k++) {
        if (k)
          odeon__strbuf_append(o, ", ");
        emit_ref(o, p, x->a[k]);
      }
      odeon__strbuf_append(o, ")");
      break;
    case ODEON__X_AND:
    case ODEON__X_OR:
      odeon__strbuf_append(o, "(odeon_real)(");
      emit_ref(o, p, x->a[0]);
      odeon__strbuf_append(o, x->op == ODEON__X_AND ? " != ODEON_R(0.0) && "
                                                    : " != ODEON_R(0.0) || ");
      emit_ref(o, p, x->a[1]);
      odeon__strbuf_append(o, " != ODEON_R(0.0))");
      break;
    case ODEON__X_NOT:
      odeon__strbuf_append(o, "(odeon_real)(");
      emit_ref(o, p, x->a[0]);
      odeon__strbuf_append(o, " == ODEON_R(0.0))");
      break;
    case ODEON__X_IF:
      emit_ref(o, p, x->a[0]);
      odeon__strbuf_append(o, " != ODEON_R(0.0) ? ");
      emit_ref(o, p, x->a[1]);
      odeon__strbuf_append(o, " : ");
      emit_ref(o, p, x->a[2]);
      break;
    default:
      break;
    }
  }
  odeon__strbuf_append(o, ";\n");
}

/* Emit the locals that the roots need, children first. */
static int emit_locals(odeon__strbuf *o, const odeon__xpool *p,
                       const int32_t *roots, int64_t n_roots) {
  unsigned char *need = calloc((size_t)p->n + 1, 1);
  if (!need)
    return -1;
  int32_t top = -1;
  for (int64_t r = 0; r < n_roots; r++) {
    need[roots[r]] = 1;
    if (roots[r] > top)
      top = roots[r];
  }
  for (int32_t i = top; i >= 0; i--)
    if (need[i])
      for (int k = 0; k < p->nodes[i].nargs; k++)
        need[p->nodes[i].a[k]] = 1;
  for (int32_t i = 0; i <= top; i++)
    if (need[i] && p->nodes[i].nargs > 0)
      emit_node(o, p, i);
  free(need);
  return 0;
}

static const char *const sig_args =
    "(odeon_real t, const odeon_real *y,\n"
    "    const odeon_real *p, const odeon_real *drv, ";

static const char *const unused =
    "  (void)t;\n  (void)y;\n  (void)p;\n  (void)drv;\n";

int odeon__codegen_system(const odeon_model_t *m, odeon__lang lang,
                          odeon__strbuf *o) {
  if (!m || !o)
    return odeon__error(ODEON_E_INVAL, "codegen: model or output is NULL");
  if (m->kind != ODEON__MODEL_TEXT)
    return odeon__error(ODEON_E_INVAL,
                        "codegen: a model made from C functions has no "
                        "source to generate");
  const odeon__xpool *p = &m->pool;
  int64_t n = m->count[ODEON_SYM_STATE];
  int64_t n_obs = m->count[ODEON_SYM_OBSERVABLE];
  odeon__strbuf_printf(o,
                       "/* system functions generated by odeon for %s "
                       "from the model's expression graph */\n",
                       lang == ODEON__LANG_CUDA ? "CUDA" : "C");
  emit_prelude(o);
  int sign, digamma;
  if (helpers_used(m, &sign, &digamma) != 0)
    return odeon__error(ODEON_E_NOMEM, "codegen: out of memory");
  emit_helpers(o, sign, digamma);
  odeon__strbuf_printf(o,
                       "#define ODEON_SYS_N_STATES %lld\n"
                       "#define ODEON_SYS_N_PARAMS %lld\n"
                       "#define ODEON_SYS_N_OBSERVABLES %lld\n"
                       "#define ODEON_SYS_N_DRIVERS %lld\n"
                       "#define ODEON_SYS_HAS_JACOBIAN %d\n",
                       (long long)n, (long long)m->count[ODEON_SYM_PARAMETER],
                       (long long)n_obs, (long long)m->count[ODEON_SYM_DRIVER],
                       m->has_jacobian ? 1 : 0);
  int rc = 0;

  /* right-hand side */
  odeon__strbuf_printf(o,
                       "ODEON_HD static inline void odeon_sys_rhs%s"
                       "odeon_real *dy) {\n%s",
                       sig_args, unused);
  rc |= emit_locals(o, p, m->rhs, n);
  for (int64_t i = 0; i < n; i++) {
    odeon__strbuf_printf(o, "  dy[%lld] = ", (long long)i);
    emit_ref(o, p, m->rhs[i]);
    odeon__strbuf_printf(o, "; /* d%s/dt */\n", m->names[ODEON_SYM_STATE][i]);
  }
  odeon__strbuf_append(o, "}\n");

  /* Jacobian and df/dt share one set of locals */
  odeon__strbuf_printf(o,
                       "ODEON_HD static inline void odeon_sys_jac%s"
                       "odeon_real *jac,\n    odeon_real *dfdt) {\n%s",
                       sig_args, unused);
  int32_t *roots = malloc((size_t)(n * n + n + 1) * sizeof *roots);
  if (!roots)
    return odeon__error(ODEON_E_NOMEM, "codegen: out of memory");
  if (m->jac && m->dfdt) {
    memcpy(roots, m->jac, (size_t)(n * n) * sizeof *roots);
    memcpy(roots + n * n, m->dfdt, (size_t)n * sizeof *roots);
    rc |= emit_locals(o, p, roots, n * n + n);
    /* Small systems write every entry, zeros as literals (after inlining
       the compiler folds them through the LU); large ones clear the matrix
       with a loop and write only the structural non-zeros, so a sparse
       system's source and Jacobian cost grow with its non-zeros, not n^2. */
    int sparse = n > ODEON__DENSE_JAC_MAX;
    if (sparse)
      odeon__strbuf_printf(o,
                           "  for (int k = 0; k < %lld; k++)\n"
                           "    jac[k] = ODEON_R(0.0);\n",
                           (long long)(n * n));
    for (int64_t k = 0; k < n * n; k++) {
      if (sparse && odeon__x_is_const(p, m->jac[k], 0.0))
        continue;
      odeon__strbuf_printf(o, "  jac[%lld] = ", (long long)k);
      emit_ref(o, p, m->jac[k]);
      odeon__strbuf_append(o, ";\n");
    }
    for (int64_t i = 0; i < n; i++) {
      odeon__strbuf_printf(o, "  dfdt[%lld] = ", (long long)i);
      emit_ref(o, p, m->dfdt[i]);
      odeon__strbuf_append(o, ";\n");
    }
  } else { /* not formed (ODEON_SYS_HAS_JACOBIAN 0): defined, all zero */
    odeon__strbuf_printf(o,
                         "  for (int k = 0; k < %lld; k++)\n"
                         "    jac[k] = ODEON_R(0.0);\n"
                         "  for (int k = 0; k < %lld; k++)\n"
                         "    dfdt[k] = ODEON_R(0.0);\n",
                         (long long)(n * n), (long long)n);
  }
  free(roots);
  odeon__strbuf_append(o, "}\n");

  /* observables */
  odeon__strbuf_printf(o,
                       "ODEON_HD static inline void odeon_sys_obs%s"
                       "odeon_real *obs) {\n%s",
                       sig_args, unused);
  if (n_obs == 0)
    odeon__strbuf_append(o, "  (void)obs;\n");
  rc |= emit_locals(o, p, m->obs, n_obs);
  for (int64_t i = 0; i < n_obs; i++) {
    odeon__strbuf_printf(o, "  obs[%lld] = ", (long long)i);
    emit_ref(o, p, m->obs[i]);
    odeon__strbuf_printf(o, "; /* %s */\n", m->names[ODEON_SYM_OBSERVABLE][i]);
  }
  odeon__strbuf_append(o, "}\n");
  if (rc != 0)
    return odeon__error(ODEON_E_NOMEM, "codegen: out of memory");
  return odeon__strbuf_ok(o);
}
