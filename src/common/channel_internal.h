/* SPDX-License-Identifier: MIT */
/* What channel.c and ring.c share: the waiting, waking and copying that
 * sending and receiving use. The control area's layout is in object.h,
 * since the backends look into it too. */
#ifndef IPC_SHM_CHANNEL_INTERNAL_H
#define IPC_SHM_CHANNEL_INTERNAL_H

#include "common.h"
#include "copy.h"

#include <stddef.h>

/* A sender spinning for room waits for this much at least (a quarter of a
 * smaller ring), so that the two sides keep apart in the ring. */
#define IPC_SHM__CH_SPIN_ROOM 4096u
/* On one CPU a sender hands the CPU to its receiver once this much waits
 * in the ring (or half a smaller ring): the receiver then copies it out
 * while it is still in the cache, not a ring later, and a hand-off costs
 * little beside the copies (measured: docs/PERFORMANCE.md). */
#define IPC_SHM__CH_HANDOFF ((uint64_t)2048 * 1024)

/* The magic as the u64 the control area starts with. */
uint64_t ipc_shm__channel_magic(void);

static inline uint64_t ipc_shm__round_record(uint64_t size) {
  return (size + IPC_SHM__CH_RECORD - 1) & ~(uint64_t)(IPC_SHM__CH_RECORD - 1);
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

/* For ipc_shm_wait_any(): 1 if the next receive (receiver) or send of
 * `room` bytes (sender) would not wait, because a message or the room is
 * there or the peer has gone; else 0. `ask`: ask the system about the
 * peer rather than trust the cached verdict. */
int ipc_shm__channel_ready(struct ipc_shm_channel *ch, size_t room, int ask);

/* Wake the other side if it sleeps (or is about to), once per sleep. */
int ipc_shm__channel_wake_other(struct ipc_shm_channel *ch);

#endif
