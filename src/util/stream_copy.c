/* stream_copy.c - odeon__stream_copy: SSE2 non-temporal stores on x86-64
 * (every x86-64 processor has SSE2), plain memcpy elsewhere and for small
 * copies, where the cache is the faster place to leave the data. */
#include "util/stream_copy.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__SSE2__)
#include <emmintrin.h>
#define HAVE_STREAM 1
#else
#define HAVE_STREAM 0
#endif

/* Below this a copy stays in the cache (memcpy). */
#define STREAM_MIN ((size_t)16 << 10)

void odeon__stream_copy(void *dst, const void *src, size_t bytes) {
#if HAVE_STREAM
  if (bytes >= STREAM_MIN) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    size_t head = (size_t)(-(uintptr_t)d & 15u);
    memcpy(d, s, head);
    d += head;
    s += head;
    bytes -= head;
    size_t blocks = bytes / 64;
    for (size_t i = 0; i < blocks; i++, d += 64, s += 64) {
      __m128i a = _mm_loadu_si128((const __m128i *)(const void *)s);
      __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + 16));
      __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s + 32));
      __m128i e = _mm_loadu_si128((const __m128i *)(const void *)(s + 48));
      _mm_stream_si128((__m128i *)(void *)d, a);
      _mm_stream_si128((__m128i *)(void *)(d + 16), b);
      _mm_stream_si128((__m128i *)(void *)(d + 32), c);
      _mm_stream_si128((__m128i *)(void *)(d + 48), e);
    }
    memcpy(d, s, bytes % 64);
    return;
  }
#endif
  memcpy(dst, src, bytes);
}

void odeon__stream_fence(void) {
#if HAVE_STREAM
  _mm_sfence();
#endif
}
