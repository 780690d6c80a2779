/* SPDX-License-Identifier: MIT */
/* Copying message bytes into and out of a channel's ring: the C library's
 * memcpy, except where the benchmark's copy-libc and copy-own rows (the
 * same copies by turns, every size and page offset; docs/PERFORMANCE.md)
 * show it losing to the library's own.
 *
 * One such place is known: glibc on x86-64, whose memcpy (rep movsb at
 * these sizes) runs many times slower when the destination lies 1 to 63
 * bytes ahead of the source in page offset (4K aliasing: each load waits
 * on the store before it), for messages of 2 KiB to 512 KiB; a ring's
 * records meet every offset. Above that glibc's non-temporal stores take
 * over and do not stall; elsewhere, and under Wine's C runtime, memcpy is
 * as fast or faster (figures: docs/PERFORMANCE.md). */
#include "copy.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GLIBC__)
#define OWN_IN_ALIASING_WINDOW 1
#else
#define OWN_IN_ALIASING_WINDOW 0
#endif
#define OWN_FROM ((size_t)2048)
#define OWN_BELOW ((size_t)512 * 1024)
#define ALIASING_WINDOW 64u

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
#if OWN_IN_ALIASING_WINDOW
  uintptr_t ahead = ((uintptr_t)dest - (uintptr_t)src) & 4095u;
  if (size >= OWN_FROM && size < OWN_BELOW && ahead != 0 && ahead < ALIASING_WINDOW) {
    ipc_shm__copy_own(dest, src, size);
    return;
  }
#endif
  memcpy(dest, src, size);
}
