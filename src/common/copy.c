/* SPDX-License-Identifier: MIT */
/* Copying message bytes into and out of a channel's ring. The C library's
 * memcpy unless the benchmark's copy-libc and copy-own rows (the same
 * copies, by turns, every size and page offset) show this platform's
 * memcpy losing to the library's own: see docs/PERFORMANCE.md. */
#include "copy.h"

#include <string.h>

#if defined(__x86_64__) || (defined(_MSC_VER) && defined(_M_X64))
#include <emmintrin.h>
#define COPY_OWN_SSE2 1
#else
#define COPY_OWN_SSE2 0
#endif

void ipc_shm__copy_libc(void *dest, const void *src, size_t size) { memcpy(dest, src, size); }

/* 128 bytes at a time through SSE2 registers, every load of a block before
 * its stores, so that a destination just ahead of the source in page
 * offset (4K aliasing, which a ring meets at every offset) does not stall
 * each load on the store before it. */
void ipc_shm__copy_own(void *dest, const void *src, size_t size) {
#if COPY_OWN_SSE2
  unsigned char *d = (unsigned char *)dest;
  const unsigned char *s = (const unsigned char *)src;
  while (size >= 128) {
    __m128i block[8];
    int i;
    for (i = 0; i < 8; i++)
      block[i] = _mm_loadu_si128((const __m128i *)(const void *)(s + 16 * i));
    for (i = 0; i < 8; i++)
      _mm_storeu_si128((__m128i *)(void *)(d + 16 * i), block[i]);
    s += 128;
    d += 128;
    size -= 128;
  }
  memcpy(d, s, size);
#else
  memcpy(dest, src, size);
#endif
}

void ipc_shm__channel_copy(void *dest, const void *src, size_t size) {
#if IPC_SHM__COPY_OWN
  if (size >= IPC_SHM__COPY_OWN_FROM) {
    ipc_shm__copy_own(dest, src, size);
    return;
  }
#endif
  memcpy(dest, src, size);
}
