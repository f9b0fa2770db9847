/* trace.h - ODEON_TRACE=FILE: a Chrome-trace JSON (chrome://tracing,
 * ui.perfetto.dev) of every pipeline stage with timestamps, so that overlap
 * between upload, compute, download and writeback can be seen.
 *
 * All calls are thread-safe and cost one branch when tracing is off. The
 * file is a JSON array kept valid after every event (the closing bracket
 * is rewritten each time), so a crashed or killed process still leaves a
 * readable trace. Times are odeon__now() seconds; the file shows
 * microseconds since the first event. */
#ifndef ODEON_UTIL_TRACE_H
#define ODEON_UTIL_TRACE_H

/* Non-zero when $ODEON_TRACE names a file that could be opened. */
int odeon__trace_enabled(void);

/* A stage on the calling thread's row: begin and end must be called on the
 * same thread with the same name ("upload", "writeback") and chunk. */
void odeon__trace_begin(const char *name, long long chunk);
void odeon__trace_end(const char *name, long long chunk);

/* A finished stage with explicit times, on a named row ("cuda stream 0"),
 * for work measured elsewhere (device work timed by stream callbacks). */
void odeon__trace_complete(const char *name, long long chunk, double t_begin,
                           double t_end, const char *row);

/* Close the file, leaving valid JSON (later events reopen nothing: tracing
 * ends for the process). Called at exit automatically as well. */
void odeon__trace_close(void);

#endif
