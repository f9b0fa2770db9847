/* trace.c - the ODEON_TRACE Chrome-trace writer: one process-wide file, one
 * lock, events appended as they happen and the array closed after each. */
#include "util/trace.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"

static pthread_once_t trace_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *trace_file;
static int trace_on;     /* read without the lock: set once, in the once */
static int trace_events; /* events written so far */
static double trace_origin;
static int trace_next_tid = 1;
static _Thread_local int trace_tid; /* this thread's row, 0 = unnamed yet */

static void trace_open(void) {
  const char *path = getenv("ODEON_TRACE");
  if (!path || !path[0])
    return;
  trace_file = fopen(path, "w");
  if (!trace_file) {
    fprintf(stderr, "odeon: ODEON_TRACE: cannot open %s for writing\n", path);
    return;
  }
  trace_origin = odeon__now();
  fputs("[\n]\n", trace_file);
  fflush(trace_file);
  trace_on = 1;
  atexit(odeon__trace_close);
}

int odeon__trace_enabled(void) {
  pthread_once(&trace_once, trace_open);
  return trace_on;
}

/* Names may come from callers; keep the JSON valid whatever they contain. */
static void put_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

/* Append one event object and close the array again. Caller holds the lock.
 * The file always ends in "\n]\n" (3 bytes), overwritten by the next event. */
static void emit(const char *ph, const char *name, long long chunk, double t,
                 double dur, int tid, const char *row) {
  if (!trace_file)
    return;
  if (fseek(trace_file, -3, SEEK_END) != 0)
    return;
  fputs(trace_events ? ",\n" : "\n", trace_file);
  fputs("{\"name\":", trace_file);
  put_json_string(trace_file, name);
  fprintf(trace_file, ",\"cat\":\"odeon\",\"ph\":\"%s\",\"ts\":%.3f", ph,
          (t - trace_origin) * 1e6);
  if (dur >= 0)
    fprintf(trace_file, ",\"dur\":%.3f", dur * 1e6);
  fprintf(trace_file, ",\"pid\":%ld,\"tid\":%d", (long)getpid(), tid);
  if (row) {
    fputs(",\"args\":{\"name\":", trace_file);
    put_json_string(trace_file, row);
    fputs("}}", trace_file);
  } else {
    fprintf(trace_file, ",\"args\":{\"chunk\":%lld}}", chunk);
  }
  fputs("\n]\n", trace_file);
  fflush(trace_file);
  trace_events++;
}

/* Named rows ("cuda stream 0") get numeric ids from 1000 up and a
   thread_name metadata event, which is how Chrome labels a row. */
#define TRACE_ROWS 64
static char trace_row_names[TRACE_ROWS][48];
static int trace_rows;

static int row_tid(const char *row) {
  for (int i = 0; i < trace_rows; i++)
    if (strcmp(trace_row_names[i], row) == 0)
      return 1000 + i;
  if (trace_rows == TRACE_ROWS)
    return 1000 + TRACE_ROWS; /* an unnamed overflow row */
  snprintf(trace_row_names[trace_rows], sizeof trace_row_names[0], "%s", row);
  int tid = 1000 + trace_rows++;
  emit("M", "thread_name", 0, trace_origin, -1, tid, row);
  return tid;
}

static int my_tid(void) {
  if (trace_tid == 0)
    trace_tid = trace_next_tid++; /* under trace_lock */
  return trace_tid;
}

void odeon__trace_begin(const char *name, long long chunk) {
  if (!odeon__trace_enabled())
    return;
  double t = odeon__now();
  pthread_mutex_lock(&trace_lock);
  emit("B", name, chunk, t, -1, my_tid(), NULL);
  pthread_mutex_unlock(&trace_lock);
}

void odeon__trace_end(const char *name, long long chunk) {
  if (!odeon__trace_enabled())
    return;
  double t = odeon__now();
  pthread_mutex_lock(&trace_lock);
  emit("E", name, chunk, t, -1, my_tid(), NULL);
  pthread_mutex_unlock(&trace_lock);
}

void odeon__trace_complete(const char *name, long long chunk, double t_begin,
                           double t_end, const char *row) {
  if (!odeon__trace_enabled())
    return;
  pthread_mutex_lock(&trace_lock);
  int tid = row_tid(row ? row : "device");
  emit("X", name, chunk, t_begin, t_end > t_begin ? t_end - t_begin : 0, tid,
       NULL);
  pthread_mutex_unlock(&trace_lock);
}

void odeon__trace_close(void) {
  pthread_mutex_lock(&trace_lock);
  if (trace_file) {
    fclose(trace_file);
    trace_file = NULL;
  }
  pthread_mutex_unlock(&trace_lock);
}
