/* SPDX-License-Identifier: MIT */
/* POSIX backend of topics: each role sleeps on its word in the control
 * area (a futex on Linux, a pause and a look elsewhere).
 *
 * Linux: a role is held as a presence (src/posix/live.c): a write lock on
 * the first byte of its peer word, through a description of its own, so
 * that two processes never hold one role, a dead holder's role is free at
 * once, and the others ask the kernel whether it is held (true across PID
 * namespaces, never fooled by a reused process id). Elsewhere the role is
 * the peer word itself, taken by CAS from a holder whose process is gone.
 *
 * The word a holder writes is its process id (high half) and a number of
 * this attachment (low half): the publisher frees a dead subscriber's slot
 * by CAS from the value it judged, which then never matches a new
 * holder's. */
#include "posix_internal.h"

/* The byte whose lock is role `role` (Linux): the first of its line. */
static uint64_t role_byte(int role) {
  return (uint64_t)offsetof(ipc_shm__topic_header_t, roles) +
         (uint64_t)sizeof(ipc_shm__topic_role_t) * (uint64_t)role;
}

/* This attachment as the role words hold it. */
static uint64_t attachment_value(void) {
  static uint32_t counter;
  uint64_t pid = (uint64_t)(uint32_t)getpid();
  uint32_t serial = ipc_shm__fetch_add_seq_cst32(&counter, 1u) + 1u;
  uint32_t low = (uint32_t)ipc_shm__os_now_ns() ^ (serial * 0x9E3779B9u);
  return pid << 32 | (low < 2 ? low + 2 : low); /* never NONE or LEFT */
}

int ipc_shm__os_topic_begin(struct ipc_shm_topic *t, uint64_t id, int global) {
  (void)id;
  (void)global;
  ipc_shm__posix_presence_init(&t->os.presence);
  t->self = attachment_value();
  return ipc_shm__posix_take_role(&t->os.presence, t->segment->handle, role_byte(t->role),
                                  &t->header->roles[t->role].peer, t->self);
}

void ipc_shm__os_topic_end(struct ipc_shm_topic *t) {
  ipc_shm__posix_presence_drop(&t->os.presence);
}

int ipc_shm__os_topic_alive(struct ipc_shm_topic *t, int role, uint64_t peer) {
#if IPC_SHM__LINUX
  (void)peer;
  /* Held by anybody: alive (the holder, or a new one taking over). */
  return ipc_shm__posix_presence_held(&t->os.presence, role_byte(role)) != 0;
#else
  (void)t;
  (void)role;
  return !ipc_shm__posix_process_gone((uint32_t)(peer >> 32));
#endif
}

int ipc_shm__os_topic_sleep(struct ipc_shm_topic *t, uint32_t *word, uint32_t expected,
                            int64_t ns, int watch, uint64_t watch_peer) {
  (void)t;
  (void)watch;
  (void)watch_peer;
  /* No death wakes a sleeper here: it looks after each slice. */
  if (ns > IPC_SHM__LIVENESS_SLICE_NS)
    ns = IPC_SHM__LIVENESS_SLICE_NS;
  return ipc_shm__posix_sleep_on(word, expected, ns);
}

int ipc_shm__os_topic_wake(struct ipc_shm_topic *t, int role, uint32_t *word) {
  (void)t;
  (void)role;
  return ipc_shm__posix_wake(word, 0);
}
