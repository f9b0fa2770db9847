/* test_check.c - every error the model parser and checker report, triggered
 * on purpose: the status (ODEON_E_PARSE for syntax, ODEON_E_MODEL for
 * meaning), the message, the origin:line:col and the caret under the
 * culprit. docs/model-language.md lists these rows by name. */
#include "test_util.h"

typedef struct err_case {
  const char *name; /* the row's name in the docs' table */
  const char *text;
  int status;
  const char *where;    /* "origin:line:col" */
  const char *fragment; /* part of the message */
} err_case;

#define HEAD "states: x = 1\n"

static const err_case cases[] = {
    /* ---- syntax (ODEON_E_PARSE) ---- */
    {"unexpected_character", HEAD "dx = 2 $ x\n", ODEON_E_PARSE, "m.ode:2:8",
     "unexpected character '$'"},
    {"unexpected_byte", HEAD "dx = 2 \x01 x\n", ODEON_E_PARSE, "m.ode:2:8",
     "unexpected byte 0x01"},
    {"malformed_number", HEAD "dx = 2x\n", ODEON_E_PARSE, "m.ode:2:6",
     "malformed number '2x'"},
    {"malformed_exponent", HEAD "dx = 1.5e+\n", ODEON_E_PARSE, "m.ode:2:6",
     "malformed number '1.5e+'"},
    {"number_out_of_range", HEAD "dx = 1e999\n", ODEON_E_PARSE, "m.ode:2:6",
     "out of range"},
    {"expected_token", HEAD "dx = (x + 1\n", ODEON_E_PARSE, "m.ode:2:12",
     "expected ')'"},
    {"expected_operand", HEAD "dx = x * \n", ODEON_E_PARSE, "m.ode:2:10",
     "expected a number, a name or '('"},
    {"expected_assignment", HEAD "dx 2\n", ODEON_E_PARSE, "m.ode:2:4",
     "expected '=' after the name of an equation, found '2'"},
    {"statement_start", HEAD "dx = x\n+ 3\n", ODEON_E_PARSE, "m.ode:3:1",
     "expected a name"},
    {"trailing_tokens", HEAD "dx = x y\n", ODEON_E_PARSE, "m.ode:2:8",
     "expected the end of the line, found 'y'"},
    {"unknown_section", "stats: x = 1\ndx = 1\n", ODEON_E_PARSE, "m.ode:1:1",
     "unknown section 'stats:'"},
    {"section_item", "states: x = 1 y = 2\ndx = 1\n", ODEON_E_PARSE,
     "m.ode:1:15", "expected ',' or the end of the line"},
    {"chained_comparison", HEAD "dx = if(1 < x < 2, 1, 0)\n", ODEON_E_PARSE,
     "m.ode:2:15", "comparisons cannot be chained"},
    {"assign_in_expression", HEAD "dx = if(x = 1, 1, 0)\n", ODEON_E_PARSE,
     "m.ode:2:11", "use '==' to compare"},
    {"nested_too_deeply", NULL, ODEON_E_PARSE, "m.ode:2:", "nested too deeply"},
    {"too_many_arguments", NULL, ODEON_E_PARSE,
     "m.ode:2:", "too many arguments"},

    /* ---- meaning (ODEON_E_MODEL) ---- */
    {"undefined_symbol", HEAD "dx = -x*k\n", ODEON_E_MODEL, "m.ode:2:9",
     "undefined symbol 'k'"},
    {"did_you_mean", "states: x = 1\nparameters: sigma = 2\ndx = sigmaa*x\n",
     ODEON_E_MODEL, "m.ode:3:6",
     "undefined symbol 'sigmaa'; did you mean "
     "'sigma'?"},
    {"did_you_mean_case", "states: x = 1\nparameters: Rho = 2\ndx = rho*x\n",
     ODEON_E_MODEL, "m.ode:3:6", "did you mean 'Rho'?"},
    {"duplicate_definition", "states: x = 1\nparameters: x = 2\ndx = x\n",
     ODEON_E_MODEL, "m.ode:2:13",
     "duplicate definition of 'x' (first defined at line 1, column 9 as a "
     "state)"},
    {"duplicate_auxiliary", HEAD "a = 1\na = 2\ndx = a\n", ODEON_E_MODEL,
     "m.ode:3:1", "duplicate definition of 'a'"},
    {"missing_derivative", "states: x = 1, y = 2\ndx = y\n", ODEON_E_MODEL,
     "m.ode:1:16", "state 'y' has no derivative equation (write 'dy = ...')"},
    {"derivative_of_parameter", HEAD "parameters: k = 2\ndx = k\ndk = 1\n",
     ODEON_E_MODEL, "m.ode:4:1",
     "derivative of a non-state: 'k' is a parameter"},
    {"derivative_prime_non_state", HEAD "parameters: k = 2\ndx = k\nk' = 1\n",
     ODEON_E_MODEL, "m.ode:4:1",
     "derivative of a non-state: 'k' is a "
     "parameter"},
    {"derivative_of_undefined", HEAD "dx = 1\nd(z)/dt = 1\n", ODEON_E_MODEL,
     "m.ode:3:3", "derivative of undefined symbol 'z'"},
    {"duplicate_derivative", HEAD "dx = 1\nx' = 2\n", ODEON_E_MODEL,
     "m.ode:3:1", "duplicate derivative of state 'x' (first given at line 2"},
    {"cycle", HEAD "a = b + 1\nb = 2*c\nc = a\ndx = a\n", ODEON_E_MODEL,
     "m.ode:2:1", "cycle among definitions: a -> b -> c -> a"},
    {"self_cycle", HEAD "a = a + 1\ndx = a\n", ODEON_E_MODEL, "m.ode:2:1",
     "cycle among definitions: a -> a"},
    {"assign_parameter", HEAD "parameters: k = 2\nk = 3\ndx = k\n",
     ODEON_E_MODEL, "m.ode:3:1", "cannot assign to parameter 'k'"},
    {"assign_constant", HEAD "constants: c = 2\nc = 3\ndx = c\n", ODEON_E_MODEL,
     "m.ode:3:1", "cannot assign to constant 'c'"},
    {"assign_state", HEAD "x = 3\ndx = 1\n", ODEON_E_MODEL, "m.ode:2:1",
     "cannot assign to state 'x': write its derivative as 'dx = ...'"},
    {"assign_driver", HEAD "drivers: u\nu = 3\ndx = u\n", ODEON_E_MODEL,
     "m.ode:3:1", "cannot assign to driver 'u'"},
    {"wrong_arity", HEAD "dx = atan2(x)\n", ODEON_E_MODEL, "m.ode:2:6",
     "wrong number of arguments: 'atan2' takes 2, got 1"},
    {"wrong_arity_if", HEAD "dx = if(x > 1, 2)\n", ODEON_E_MODEL, "m.ode:2:6",
     "'if' takes 3"},
    {"wrong_arity_piecewise", HEAD "dx = piecewise(x > 1, 2)\n", ODEON_E_MODEL,
     "m.ode:2:6", "'piecewise' takes an odd number"},
    {"wrong_arity_min", HEAD "dx = min(x)\n", ODEON_E_MODEL, "m.ode:2:6",
     "'min' takes at least 2"},
    {"reserved_time", "states: x = 1, t = 2\ndx = 1\ndt = 1\n", ODEON_E_MODEL,
     "m.ode:1:16", "'t' is a reserved name (it is time)"},
    {"reserved_function", HEAD "exp = 2\ndx = 1\n", ODEON_E_MODEL, "m.ode:2:1",
     "'exp' is a reserved name (it is a built-in function)"},
    {"reserved_keyword", "parameters: if = 1\nstates: x\ndx = 1\n",
     ODEON_E_MODEL, "m.ode:1:13", "'if' is a reserved name"},
    {"reserved_derivative_name", HEAD "parameters: dx = 1\nx' = 1\n",
     ODEON_E_MODEL, "m.ode:2:13",
     "'dx' is a reserved name (it is the derivative of state 'x')"},
    {"unknown_function", HEAD "dx = sinn(x)\n", ODEON_E_MODEL, "m.ode:2:6",
     "unknown function 'sinn'; did you mean 'sin'?"},
    {"not_a_function", HEAD "parameters: k = 2\ndx = k(x + 1)\n", ODEON_E_MODEL,
     "m.ode:3:6", "'k' is a parameter, not a function"},
    {"function_as_value", HEAD "dx = exp * x\n", ODEON_E_MODEL, "m.ode:2:6",
     "'exp' is a function; call it as exp(...)"},
    {"constant_not_constant",
     HEAD "parameters: k = 2\nconstants: c = 2*k\n"
          "dx = c\n",
     ODEON_E_MODEL, "m.ode:3:18",
     "the value of constant 'c' must be a constant expression, but 'k' is a "
     "parameter"},
    {"default_not_constant", "states: x = 1, y = x\ndx = 1\ndy = 1\n",
     ODEON_E_MODEL, "m.ode:1:20",
     "the default of state 'y' must be a constant expression, but 'x' is a "
     "state"},
    {"time_in_constant", HEAD "constants: c = t\ndx = c\n", ODEON_E_MODEL,
     "m.ode:2:16", "but 't' is time"},
    {"not_finite", HEAD "constants: c = 1/0\ndx = c\n", ODEON_E_MODEL,
     "m.ode:2:17", "the value of constant 'c' is not a finite number"},
    {"default_not_finite", "states: x = log(0)\ndx = 1\n", ODEON_E_MODEL,
     "m.ode:1:13", "the default of state 'x' is not a finite number"},
    {"constant_without_value", HEAD "constants: c\ndx = 1\n", ODEON_E_MODEL,
     "m.ode:2:12", "constant 'c' needs a value"},
    {"observable_without_expression", HEAD "observables: v\ndx = 1\n",
     ODEON_E_MODEL, "m.ode:2:14", "observable 'v' needs an expression"},
    {"driver_with_value", HEAD "drivers: u = 2\ndx = u\n", ODEON_E_MODEL,
     "m.ode:2:10", "driver 'u' takes no value"},
    {"no_states", "parameters: k = 1\n", ODEON_E_MODEL, "m.ode:1:1",
     "the model has no states"},
};

/* Build the inputs that are too long to write inline. */
static char *long_case(const char *name) {
  size_t n = 64 * 1024;
  char *s = malloc(n);
  assert_non_null(s);
  size_t len = (size_t)snprintf(s, n, HEAD "dx = ");
  if (!strcmp(name, "nested_too_deeply")) {
    for (int i = 0; i < 300; i++)
      s[len++] = '(';
    s[len++] = 'x';
    for (int i = 0; i < 300; i++)
      s[len++] = ')';
  } else {
    len += (size_t)snprintf(s + len, n - len, "max(x");
    for (int i = 0; i < 70; i++)
      len += (size_t)snprintf(s + len, n - len, ", %d", i);
    s[len++] = ')';
  }
  s[len++] = '\n';
  s[len] = '\0';
  return s;
}

static void each_error(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const err_case *c = &cases[i];
    char *owned = c->text ? NULL : long_case(c->name);
    odeon_model_t *m = (odeon_model_t *)(uintptr_t)1;
    int rc = odeon_model_from_string(c->text ? c->text : owned, "m.ode", &m);
    const char *msg = odeon_last_error();
    if (rc != c->status || !strstr(msg, c->where) ||
        !strstr(msg, c->fragment)) {
      print_error("case %s: status %s (want %s)\nmessage:\n%s\nwant \"%s\" "
                  "and \"%s\"\n",
                  c->name, odeon_status_name(rc), odeon_status_name(c->status),
                  msg, c->where, c->fragment);
      fail();
    }
    assert_null(m);
    /* the message shows the line and a caret under the culprit */
    assert_non_null(strstr(msg, "\n    "));
    assert_non_null(strchr(msg, '^'));
    free(owned);
  }
}

/* The caret sits under the culprit's column, and the line is quoted. */
static void caret_position(void **state) {
  (void)state;
  odeon_model_t *m = NULL;
  assert_status(
      odeon_model_from_string("states: x = 1\ndx = x + nope\n", "c.ode", &m),
      ODEON_E_MODEL);
  assert_error_contains("c.ode:2:10: error: undefined symbol 'nope'\n"
                        "    dx = x + nope\n"
                        "             ^~~~\n");
}

/* Every error of a file is reported, in line order, with a count. */
static void all_errors_reported(void **state) {
  (void)state;
  odeon_model_t *m = NULL;
  const char *text = "states: x = 1, y = 2, z = 3\n"
                     "dz = q3 + 1\n"
                     "dx = q1\n"
                     "dy = q2\n";
  assert_status(odeon_model_from_string(text, "all.ode", &m), ODEON_E_MODEL);
  const char *msg = odeon_last_error();
  const char *a = strstr(msg, "all.ode:2:6: error: undefined symbol 'q3'");
  const char *b = strstr(msg, "all.ode:3:6: error: undefined symbol 'q1'");
  const char *c = strstr(msg, "all.ode:4:6: error: undefined symbol 'q2'");
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  assert_true(a < b && b < c);
  assert_error_contains("3 errors in all.ode");

  /* syntax errors on several lines, too */
  assert_status(odeon_model_from_string("states: x\ndx = (1\ndy = 2 $\n"
                                        "dz = 3 +\n",
                                        "syn.ode", &m),
                ODEON_E_PARSE);
  assert_error_contains("syn.ode:2:8: error: expected ')', found end of line");
  assert_error_contains("syn.ode:3:8: error: unexpected character '$'");
  assert_error_contains("syn.ode:4:9: error: expected a number");
}

/* Hundreds of errors: the message stays bounded and says how many. */
static void many_errors_bounded(void **state) {
  (void)state;
  char *text = malloc(100000);
  assert_non_null(text);
  size_t n = (size_t)sprintf(text, "states: x\ndx = 0");
  for (int i = 0; i < 500; i++)
    n += (size_t)sprintf(text + n, " + u%d", i);
  text[n++] = '\n';
  text[n] = '\0';
  odeon_model_t *m = NULL;
  assert_status(odeon_model_from_string(text, "many.ode", &m), ODEON_E_MODEL);
  assert_error_contains("500 errors in many.ode");
  assert_error_contains("... and 480 more errors");
  free(text);
}

static void bad_arguments(void **state) {
  (void)state;
  odeon_model_t *m = NULL;
  assert_status(odeon_model_from_string(NULL, NULL, &m), ODEON_E_INVAL);
  assert_error_contains("text is NULL");
  assert_status(odeon_model_from_string("states: x\ndx=1\n", NULL, NULL),
                ODEON_E_INVAL);
  assert_status(odeon_model_from_file(NULL, &m), ODEON_E_INVAL);
  assert_status(odeon_model_from_file("/nonexistent/dir/m.ode", &m),
                ODEON_E_IO);
  assert_error_contains("/nonexistent/dir/m.ode");
  assert_null(m);
  /* a directory is not a model file */
  assert_true(odeon_model_from_file("/", &m) != ODEON_OK);
  assert_null(m);
  /* the string form names "<string>" when no origin is given */
  assert_status(odeon_model_from_string("states: x\n", NULL, &m),
                ODEON_E_MODEL);
  assert_error_contains("<string>:1:9: error: state 'x' has no derivative");
  /* an empty model has no states */
  assert_status(odeon_model_from_string("", "e.ode", &m), ODEON_E_MODEL);
  assert_error_contains("no states");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(each_error),
      cmocka_unit_test(caret_position),
      cmocka_unit_test(all_errors_reported),
      cmocka_unit_test(many_errors_bounded),
      cmocka_unit_test(bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
