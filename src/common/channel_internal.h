/* SPDX-License-Identifier: MIT */
/* What channel.c and ring.c share: the control area (layout 1) and the
 * waiting, waking and copying that sending and receiving use. */
#ifndef IPC_SHM_CHANNEL_INTERNAL_H
#define IPC_SHM_CHANNEL_INTERNAL_H

#include "shm_internal.h"

#include <stddef.h>

#define HEADER_MAGIC "ipcchan"
#define LAYOUT 1u
#define RECORD 8u
#define KIND_MESSAGE 1u
#define KIND_PADDING 2u
#define PEER_NONE 0u /* never attached */
#define PEER_LEFT 1u /* closed its end */
#define FLAG_GLOBAL 1u
/* Ring sizes: from one page to what a size_t and the checks can hold. */
#define RING_MIN 4096u
#define RING_MAX ((uint64_t)1 << 40)

/* Spinning before sleeping: longer than one large message's copy, and
 * than a sleep and a wake-up cost (Wine's are round trips to its server). */
#define SPIN_NS 200000LL
/* While spinning, the pauses between looks double up to this many (about
 * 25 ns each here): a look takes the line the peer writes away from it. */
#define SPIN_PAUSES_MAX 16u
/* A sender spinning for room waits for this much at least (a quarter of a
 * smaller ring), so that the two sides keep apart in the ring. */
#define SPIN_ROOM 4096u
/* A sleeper asks whether its peer lives after each slice. */
#define SLICE_NS 50000000LL

typedef struct ipc_shm__channel_header {
  char magic[8];
  uint32_t layout;
  uint32_t header_size;
  uint64_t capacity;
  uint64_t max_message;
  uint64_t id;
  uint32_t flags;
  uint32_t unused0;
  unsigned char pad0[64 - 48];
  /* Each index on a cache line of its own, written by one side only. */
  uint64_t write_index;
  unsigned char pad1[56];
  uint64_t read_index;
  unsigned char pad2[56];
  /* Waiting flags and the words the sides sleep on, apart from the
   * indices. */
  uint32_t waiting[2]; /* IPC_SHM__CHANNEL_RECEIVER, _SENDER */
  uint32_t words[2];
  unsigned char pad3[48];
  uint64_t peers[2]; /* PEER_NONE, PEER_LEFT or the attached process */
} channel_header_t;

/* Layout 1 as README.md documents it: the indices, the waiting flags and
 * words, and the peers each start a cache line of their own. */
typedef char header_fits[sizeof(channel_header_t) <= IPC_SHM_CHANNEL_HEADER ? 1 : -1];
typedef char layout_1[offsetof(channel_header_t, layout) == 8 &&
                              offsetof(channel_header_t, header_size) == 12 &&
                              offsetof(channel_header_t, capacity) == 16 &&
                              offsetof(channel_header_t, max_message) == 24 &&
                              offsetof(channel_header_t, id) == 32 &&
                              offsetof(channel_header_t, flags) == 40 &&
                              offsetof(channel_header_t, write_index) == 64 &&
                              offsetof(channel_header_t, read_index) == 128 &&
                              offsetof(channel_header_t, waiting) == 192 &&
                              offsetof(channel_header_t, words) == 200 &&
                              offsetof(channel_header_t, peers) == 256
                          ? 1
                          : -1];


static inline uint64_t ipc_shm__round_record(uint64_t size) {
  return (size + RECORD - 1) & ~(uint64_t)(RECORD - 1);
}

static inline int ipc_shm__check_timeout(int64_t timeout_ms) {
  return timeout_ms < 0 && timeout_ms != IPC_SHM_FOREVER ? IPC_SHM_E_INVAL : 0;
}

/* Is the peer gone: it left, or (asking the system) its process ended? A
 * receiver has nothing more to wait for once its sender left; a sender
 * that has not seen a receiver yet fills the ring for the one to come. */
int ipc_shm__channel_peer_gone(struct ipc_shm_channel *ch, int ask_system);

/* Wait until ready(ch, spinning) says yes: spin, then sleep flagged as
 * waiting; give up at the deadline (TIMEOUT) or when the peer is gone
 * (DISCONNECTED). `spinning` is 1 while spinning after a first no: ready
 * may then ask for more than it needs, never while sleeping. */
int ipc_shm__channel_wait_until(struct ipc_shm_channel *ch,
                                int (*ready)(struct ipc_shm_channel *, int spinning),
                                int64_t timeout_ms);

/* Wake the other side if it sleeps (or is about to). */
int ipc_shm__channel_wake_other(struct ipc_shm_channel *ch);

/* The library's copy of message bytes. */
void ipc_shm__channel_copy(void *dest, const void *src, size_t size);

#endif
