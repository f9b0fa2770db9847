/* csv.h - a strict reader for numeric CSV tables (run inputs, driver
 * samples): a header of names, then rows of numbers. */
#ifndef ODEON_IO_CSV_H
#define ODEON_IO_CSV_H

#include <stdint.h>

typedef struct odeon__csv_table {
  int64_t n_cols;
  int64_t n_rows;
  char **names;  /* [n_cols] */
  double **cols; /* [n_cols][n_rows] */
} odeon__csv_table;

/* Read a CSV file. Blank lines and lines starting with '#' are skipped.
 * Every data row must have as many fields as the header, each a finite
 * number. Errors name "path:line:column" and the offending text. */
int odeon__csv_read(const char *path, odeon__csv_table *out);
void odeon__csv_free(odeon__csv_table *t);

#endif
