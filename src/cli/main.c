/* main.c - the odeon program's entry: global flags and subcommand dispatch
 * (`odeon solve` lives in solve.c). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *to) {
  fprintf(to,
          "odeon %s - integrate one ODE system for very many runs at once\n"
          "\n"
          "usage:\n"
          "  odeon solve MODEL [options]   solve a model over a grid of runs\n"
          "  odeon solve --help            the options of solve\n"
          "  odeon --help                  this text\n"
          "  odeon --version               the version\n"
          "\n"
          "Exit status: 0 success, 1 a failed solve, 2 bad usage or input.\n",
          odeon_version());
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return ODEON_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
      strcmp(cmd, "help") == 0) {
    usage(stdout);
    return ODEON_EXIT_OK;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
    printf("odeon %s\n", odeon_version());
    return ODEON_EXIT_OK;
  }
  if (strcmp(cmd, "solve") == 0)
    return odeon__cli_solve(argc - 2, argv + 2);
  odeon__cli_fail("unknown command '%s' (try 'odeon --help')", cmd);
  return ODEON_EXIT_USAGE;
}
