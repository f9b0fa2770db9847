/* nvrtc.h - run-time compilation of kernel sources to CUBIN with NVRTC,
 * loaded with dlopen (no toolkit needed to build libodeon; NVRTC needs no
 * driver or GPU, so CI can check that every generated kernel compiles). */
#ifndef ODEON_BACKEND_CUDA_NVRTC_H
#define ODEON_BACKEND_CUDA_NVRTC_H

#include <stddef.h>

/* Open NVRTC once per process: $ODEON_NVRTC if set, else libnvrtc.so.13,
 * .12, .11.2, libnvrtc.so, each also under /usr/local/cuda/lib64 and
 * $CUDA_HOME/lib64. Returns ODEON_OK, or ODEON_E_NODEVICE with a message
 * listing what was tried. Thread-safe. */
int odeon__nvrtc_available(void);
/* NVRTC's version as major*1000 + minor*10 (12040), or 0 if unavailable. */
int odeon__nvrtc_version(void);
/* The file NVRTC was loaded from ("" if unavailable). */
const char *odeon__nvrtc_path(void);

/* The options odeon compiles every kernel with (the architecture's aside),
 * $ODEON_NVRTC_OPTIONS included, as one space-separated string: part of the
 * cache key ("" if NVRTC is unavailable). */
const char *odeon__nvrtc_options_string(void);

/* Compile `source` (which includes the core headers by bare name; they are
 * handed to NVRTC from odeon__core_files) for `arch` ("sm_90") into a CUBIN.
 * On success *cubin (malloc'd, caller frees) holds the image; on failure
 * *cubin is NULL and *cubin_size 0. *log (may be
 * NULL; malloc'd, caller frees) receives NVRTC's log, including ptxas's
 * resource report (registers, spill stores) when `verbose` is non-zero.
 * On a compile error returns ODEON_E_COMPILE with the first lines of the log
 * in the message; ODEON_E_NODEVICE if NVRTC cannot be loaded. */
int odeon__nvrtc_compile(const char *source, const char *name, const char *arch,
                         int verbose, void **cubin, size_t *cubin_size,
                         char **log);

/* Compile a kernel source without any GPU, only to check that it compiles.
 * `arch` may be NULL for "sm_90". *log (may be NULL; caller frees) receives
 * the compiler log with ptxas's resource report. Returns ODEON_OK,
 * ODEON_E_COMPILE (message has the log) or ODEON_E_NODEVICE (no NVRTC). */
int odeon__nvrtc_compile_check(const char *source, const char *arch,
                               char **log);

#endif
