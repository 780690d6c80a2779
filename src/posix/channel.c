/* SPDX-License-Identifier: MIT */
/* POSIX backend of channels: the sides sleep on words of the control area
 * (a futex on Linux, a pause and a look elsewhere).
 *
 * Linux: a side holds its role as a presence (src/posix/live.c): a write
 * lock on the first byte of its peer word (offset 256 for the receiver,
 * 264 for the sender), through a description of its own. Taking it is how
 * the role is taken, so two processes never hold one role, and a role
 * whose holder died is free at once; its peer asks the kernel whether it
 * is held, which is true across PID namespaces and cannot be fooled by a
 * reused process id. Elsewhere the role is the peer word itself, taken by
 * CAS from a holder whose process is gone (by its id). */
#include "posix_internal.h"


/* The byte whose lock is the role `side` (Linux): the first of its peer
 * word. */
static uint64_t role_byte(int side) {
  return (uint64_t)offsetof(ipc_shm__channel_header_t, peers) + 8u * (uint64_t)side;
}

int ipc_shm__os_self_process(uint64_t *self) {
  uint64_t pid = (uint64_t)(uint32_t)getpid();
  *self = pid << 32 | pid;
  return 0;
}

int ipc_shm__os_channel_begin(struct ipc_shm_channel *ch, uint64_t id, int global) {
  (void)id;
  (void)global;
  ipc_shm__posix_presence_init(&ch->os.presence);
  return ipc_shm__posix_take_role(&ch->os.presence, ch->segment->handle, role_byte(ch->side),
                                  &ch->header->peers[ch->side], ch->self);
}

void ipc_shm__os_channel_end(struct ipc_shm_channel *ch) {
  ipc_shm__posix_presence_drop(&ch->os.presence);
}

int ipc_shm__os_channel_peer_alive(struct ipc_shm_channel *ch, uint64_t peer) {
#if IPC_SHM__LINUX
  (void)peer;
  /* Held by anybody: alive (the holder is the peer, or a new one taking
   * over). Cannot tell: alive. */
  return ipc_shm__posix_presence_held(&ch->os.presence, role_byte(1 - ch->side)) != 0;
#else
  (void)ch;
  return !ipc_shm__posix_process_gone((uint32_t)(peer >> 32));
#endif
}

int ipc_shm__os_channel_role_alive(const struct ipc_shm *segment, int side, uint64_t peer) {
#if IPC_SHM__LINUX
  /* Through the segment's own description, which holds no role lock: any
   * lock on the role's byte is another description's, a live holder's. */
  ipc_shm__presence_t look;
  (void)peer;
  ipc_shm__posix_presence_init(&look);
  look.fd = segment->handle;
  return ipc_shm__posix_presence_held(&look, role_byte(side)) != 0;
#else
  (void)segment;
  (void)side;
  return !ipc_shm__posix_process_gone((uint32_t)(peer >> 32));
#endif
}

int ipc_shm__os_channel_sleep(struct ipc_shm_channel *ch, int side, uint32_t *word,
                              uint32_t expected, int64_t ns) {
  (void)ch;
  (void)side;
  /* No death wakes a sleeper here: it looks after each slice. */
  if (ns > IPC_SHM__LIVENESS_SLICE_NS)
    ns = IPC_SHM__LIVENESS_SLICE_NS;
  return ipc_shm__posix_sleep_on(word, expected, ns);
}

int ipc_shm__os_channel_wake(struct ipc_shm_channel *ch, int side, uint32_t *word) {
  (void)ch;
  (void)side;
  return ipc_shm__posix_wake(word, 0);
}
