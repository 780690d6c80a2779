/* SPDX-License-Identifier: MIT */
/* The library's two copies, the C library's memcpy (copy-libc) and its own
 * block copy (copy-own), by turns at every message size and several page
 * offsets of the destination from the source, as a channel's ring meets
 * them: a message copied into a 4 MiB ring at its next place, wrapping
 * around, and out of it. The channel uses the one that wins here (see
 * src/common/copy.h); these rows keep that choice measured. */
#include "bench.h"

#include "../src/common/copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING ((size_t)4 << 20)
#define COPY_ROUNDS 5

static const size_t copy_sizes[] = {64, 4096, 65536, 1048576};
static const size_t offsets[] = {0, 8, 16, 56, 64, 2048, 4088};
#define COPY_SIZES (sizeof(copy_sizes) / sizeof(copy_sizes[0]))
#define OFFSETS (sizeof(offsets) / sizeof(offsets[0]))

typedef void (*copy_fn)(void *dest, const void *src, size_t size);

/* GB/s of one routine copying `size`-byte messages from a page-aligned
 * message buffer to successive places of a ring `offset` bytes past a page
 * boundary, for a fixed time. */
static double copy_gbps(copy_fn copy, unsigned char *ring, const unsigned char *message,
                        size_t size, size_t offset) {
  double start = now_seconds(), elapsed, seconds = bench_quick ? 0.02 : 0.05;
  size_t at = 0, step = (size + 4095) & ~(size_t)4095;
  long count = 0;
  do {
    int i;
    for (i = 0; i < 16; i++) {
      if (at + step + offset > RING)
        at = 0;
      copy(ring + at + offset, message, size);
      at += step;
    }
    count += 16;
    elapsed = now_seconds() - start;
  } while (elapsed < seconds);
  if (ring[offset] == 0xEE)
    puts(""); /* keep the copies */
  return (double)count * (double)size / elapsed / 1e9;
}

void copy_rows(void) {
  static const char *const names[2] = {"copy-libc", "copy-own"};
  static const copy_fn routines[2] = {ipc_shm__copy_libc, ipc_shm__copy_own};
  unsigned char *ring = allocate(RING + 8192), *message = allocate(((size_t)1 << 20) + 8192);
  unsigned char *ring_page = ring + (4096 - ((uintptr_t)ring & 4095));
  unsigned char *message_page = message + (4096 - ((uintptr_t)message & 4095));
  size_t s, o;
  memset(ring, 0, RING + 8192);
  memset(message, 3, ((size_t)1 << 20) + 8192);
  section("copies by turns: own / libc (GB/s of the median round [worst ratio])");
  for (s = 0; s < COPY_SIZES; s++)
    for (o = 0; o < OFFSETS; o++) {
      double gbps[2][COPY_ROUNDS], ratio_worst = 1e9, mid[2], worst[2];
      char transport[40], label[96];
      int r, which;
      for (r = 0; r < COPY_ROUNDS; r++) {
        for (which = 0; which < 2; which++) {
          /* Which goes first alternates, so that neither always follows. */
          int w = (r + which) % 2;
          gbps[w][r] = copy_gbps(routines[w], ring_page, message_page, copy_sizes[s],
                                 offsets[o]);
        }
        if (gbps[1][r] / gbps[0][r] < ratio_worst)
          ratio_worst = gbps[1][r] / gbps[0][r];
      }
      for (which = 0; which < 2; which++) {
        bench_measure_t m;
        mid[which] = median(gbps[which], COPY_ROUNDS); /* sorts */
        worst[which] = gbps[which][0];
        snprintf(transport, sizeof(transport), "%s/%zu", names[which], offsets[o]);
        m.kind = "copy";
        m.transport = transport;
        m.condition = "idle";
        m.msg_bytes = (double)copy_sizes[s];
        m.total_bytes = m.seconds = m.msgs_per_s = m.p50_us = m.p99_us = NA;
        m.gb_per_s = mid[which];
        m.worst_gb_per_s = worst[which];
        m.worst_msgs_per_s = m.worst_p50_us = NA;
        m.rounds = COPY_ROUNDS;
        csv_measure(&m);
      }
      snprintf(label, sizeof(label), "  %zu B at +%zu: own %.1f / libc %.1f [%.2f]",
               copy_sizes[s], offsets[o], mid[1], mid[0], ratio_worst);
      info_row(label, mid[1] / mid[0], "x");
    }
  free(ring);
  free(message);
}
