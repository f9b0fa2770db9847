/* embedded.h - the core headers, embedded in the library at build time
 * (tools/embed.c), named as the generated source includes them:
 * by bare file name ("real.h"); core headers include each other that way. */
#ifndef ODEON_CODEGEN_EMBEDDED_H
#define ODEON_CODEGEN_EMBEDDED_H

typedef struct odeon__embedded_file {
  const char *name; /* "real.h" */
  const char *text;
} odeon__embedded_file;

extern const odeon__embedded_file odeon__core_files[];
extern const int odeon__core_file_count;

#endif
