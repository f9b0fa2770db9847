/* stream_copy.h - copies of results that the CPU will not read again soon
 * (staging -> result memory): non-temporal stores where the processor has
 * them, so the copy neither reads the destination's lines first nor
 * evicts the cache, which leaves the memory bandwidth to the GPU's
 * downloads. */
#ifndef ODEON_UTIL_STREAM_COPY_H
#define ODEON_UTIL_STREAM_COPY_H

#include <stddef.h>

/* Copy `bytes` from src to dst (not overlapping); large copies bypass the
   cache. Call odeon__stream_fence() before another thread may read dst. */
void odeon__stream_copy(void *dst, const void *src, size_t bytes);
/* Order this thread's streamed stores before its later stores. */
void odeon__stream_fence(void);

#endif
