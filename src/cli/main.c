/* main.c - the odeon program: parses the command line and calls the
 * library (see src/cli/solve.c for `odeon solve`). */
#include <stdio.h>
#include <string.h>

#include "odeon.h"

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    printf("odeon %s\n", odeon_version());
    return 0;
  }
  fprintf(stderr, "usage: odeon solve MODEL [options] | odeon --help\n");
  return 2;
}
