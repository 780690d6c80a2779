/* SPDX-License-Identifier: MIT */
/* What channel.c and ring.c share: the control area (layout 1) and the
 * waiting, waking and copying that sending and receiving use. */
#ifndef IPC_SHM_CHANNEL_INTERNAL_H
#define IPC_SHM_CHANNEL_INTERNAL_H

#include "copy.h"
#include "shm_internal.h"

#include <stddef.h>

#define IPC_SHM__CH_LAYOUT 1u
/* Records: a u32 length and a u32 kind, then the message, 8-byte aligned. */
#define IPC_SHM__CH_RECORD 8u
#define IPC_SHM__CH_MESSAGE 1u
#define IPC_SHM__CH_PADDING 2u
/* What a peer word holds besides a process. */
#define IPC_SHM__CH_PEER_NONE 0u /* never attached */
#define IPC_SHM__CH_PEER_LEFT 1u /* closed its end */
#define IPC_SHM__CH_FLAG_GLOBAL 1u
/* Ring sizes: from one page to what a size_t and the checks can hold. */
#define IPC_SHM__CH_RING_MIN 4096u
#define IPC_SHM__CH_RING_MAX ((uint64_t)1 << 40)
/* A record's length is a u32. */
#define IPC_SHM__CH_MESSAGE_MAX ((uint64_t)IPC_SHM_CHANNEL_MESSAGE_MAX)
/* A sender spinning for room waits for this much at least (a quarter of a
 * smaller ring), so that the two sides keep apart in the ring. */
#define IPC_SHM__CH_SPIN_ROOM 4096u
/* On one CPU a sender hands the CPU to its receiver once this much waits
 * in the ring (or half a smaller ring): the receiver then copies it out
 * while it is still in the cache, not a ring later, and a hand-off costs
 * little beside the copies (measured: docs/PERFORMANCE.md). */
#define IPC_SHM__CH_HANDOFF ((uint64_t)2048 * 1024)

/* The control area, layout 1. For each field: who writes it, who reads
 * it, and what the access pairs with.
 *   magic .. flags  The creator, before the magic; the magic last, with a
 *            release store. An attacher loads the magic (acquire) first,
 *            then reads the rest once and checks it.
 *   write_index  Bytes ever committed. The sender only, with a seq_cst
 *            store once the record is written (release for the record; the
 *            receiver's acquire load pairs with it), then it loads the
 *            receiver's waiting flag: seq_cst on both sides, so that a
 *            receiver that raised its flag and then looked for records
 *            either sees the record or is seen and woken.
 *   read_index   Bytes ever released. The receiver only, the same way
 *            round for room.
 *   waiting[2]   Raised (seq_cst store) by a side about to sleep, before
 *            its last look; taken by the other side with an exchange, so
 *            that one sleep gets one wake-up; lowered by the sleeper when
 *            it runs again.
 *   words[2]     What each side sleeps on (Linux: a futex word): the waker
 *            adds one (seq_cst) before waking; the sleeper loaded it before
 *            raising its flag and sleeps only while it is unchanged.
 *   peers[2]     Each side's own: its process once it holds the role
 *            (seq_cst store), PEER_LEFT when it closes (CAS from its
 *            own value); the other side loads it (acquire). Linux holds the
 *            role itself as a lock on the first byte of this word (see
 *            src/posix/channel.c).
 *   attaches[2]  Each role's attachments so far, added to (seq_cst) by
 *            each attacher once it holds the role: the other side learns
 *            that a peer came and went between two of its calls. */
typedef struct ipc_shm__channel_header {
  uint64_t magic; /* "ipcchan\0" */
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
  uint64_t peers[2];
  uint32_t attaches[2];
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
                              offsetof(channel_header_t, peers) == 256 &&
                              offsetof(channel_header_t, attaches) == 272
                          ? 1
                          : -1];

/* The magic as the u64 the control area starts with. */
uint64_t ipc_shm__channel_magic(void);

static inline uint64_t ipc_shm__round_record(uint64_t size) {
  return (size + IPC_SHM__CH_RECORD - 1) & ~(uint64_t)(IPC_SHM__CH_RECORD - 1);
}

static inline int ipc_shm__check_timeout(int64_t timeout_ms) {
  return timeout_ms < 0 && timeout_ms != IPC_SHM_FOREVER ? IPC_SHM_E_INVAL : 0;
}

/* What a verdict on the peer is about: this attachment of this process
 * (the peer word, mixed with the other role's attach count: processes of
 * two PID namespaces may share an id). */
static inline uint64_t ipc_shm__channel_peer_key(const struct ipc_shm_channel *ch,
                                                 uint64_t peer) {
  return peer ^ (uint64_t)ipc_shm__load_relaxed32(&ch->header->attaches[1 - ch->side]) << 1;
}

/* The part of ipc_shm__channel_peer_gone() past the cached verdict: a
 * peer that left or never came, or one the system is asked about. */
int ipc_shm__channel_peer_gone_slow(struct ipc_shm_channel *ch, uint64_t peer, int ask);

/* Is the peer gone: it left, or its process ended? A receiver has nothing
 * more to wait for once its sender left; a sender that has not seen a
 * receiver yet fills the ring for the one to come. The system is asked
 * only as the cached verdict ages, or at once with `ask`. Inline: every
 * send and every poll looks. */
static inline int ipc_shm__channel_peer_gone(struct ipc_shm_channel *ch, int ask) {
  int other = 1 - ch->side, alive;
  uint64_t peer = ipc_shm__load_acquire64(&ch->header->peers[other]);
  if (!ask && peer > IPC_SHM__CH_PEER_LEFT &&
      ipc_shm__verdict_cached(&ch->verdict, ipc_shm__channel_peer_key(ch, peer),
                              ch->other_index, &alive))
    return !alive;
  return ipc_shm__channel_peer_gone_slow(ch, peer, ask);
}

/* Wait until ready(ch, spinning) says yes: spin while that can pay off,
 * then sleep flagged as waiting; give up at the deadline (TIMEOUT) or when
 * the peer is gone (DISCONNECTED). `spinning` is 1 while spinning after a
 * first no: ready may then ask for more than it needs, never while
 * sleeping. */
int ipc_shm__channel_wait_until(struct ipc_shm_channel *ch, int (*ready)(void *ch, int spinning),
                                int64_t timeout_ms);

/* Wake the other side if it sleeps (or is about to), once per sleep. */
int ipc_shm__channel_wake_other(struct ipc_shm_channel *ch);

#endif
