/* run_program.h - runs a program with arguments, captures its stdout and
 * stderr, and kills it if it outlives a deadline (a hang is a failure). */
#ifndef ODEON_TEST_RUN_PROGRAM_H
#define ODEON_TEST_RUN_PROGRAM_H

typedef struct program_result {
  int exit_code; /* exit status, or 128+signal, or -1 if it timed out */
  char *out;     /* captured stdout (NUL-terminated, caller frees) */
  char *err;     /* captured stderr */
} program_result;

/* argv[0] is the program path; argv ends with NULL. */
int run_program(char *const argv[], double timeout_s, program_result *r);
void program_result_free(program_result *r);

#endif
