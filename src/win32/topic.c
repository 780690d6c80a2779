/* SPDX-License-Identifier: MIT */
/* Windows backend of topics: each role sleeps on an auto-reset event named
 * after the topic's id and the role ("Local\ipcshm.topic.ID.N", N = 0 for
 * the publisher, 1..64 for the subscribers' slots), opened or made when
 * first needed; a sleeper also waits on the process it depends on (a
 * subscriber's publisher, the publisher's slowest subscriber), whose end
 * wakes it at once. The role is its peer word, taken by CAS from a holder
 * that is gone; the word names the process by id and creation time. */
#include "win32_internal.h"

#include <stdio.h>


/* The event of `role`, opened or made on first use. */
static int waker_of(struct ipc_shm_topic *t, int role, HANDLE *out) {
  char name[48];
  int err;
  if (t->os.wakers[role] == IPC_SHM__NO_HANDLE) {
    snprintf(name, sizeof(name), "ipcshm.topic.%016llx.%d", (unsigned long long)t->os.id,
             role);
    err = ipc_shm__win_wake_event(name, t->os.global, &t->os.wakers[role]);
    if (err != 0)
      return err;
  }
  *out = t->os.wakers[role];
  return 0;
}

int ipc_shm__os_topic_begin(struct ipc_shm_topic *t, uint64_t id, int global) {
  HANDLE own;
  int role, err;
  for (role = 0; role < IPC_SHM__TP_ROLES; role++)
    t->os.wakers[role] = IPC_SHM__NO_HANDLE;
  t->os.id = id;
  t->os.global = global;
  ipc_shm__win_peer_init(&t->os.peer);
  err = ipc_shm__win_self_process(&t->self);
  if (err == 0) /* free, left, or held by a process that is gone */
    err = ipc_shm__win_take_role(&t->header->roles[t->role].peer, t->self);
  if (err == 0) {
    err = waker_of(t, t->role, &own);
    if (err != 0) {
      uint64_t self = t->self;
      (void)ipc_shm__cas_seq_cst64(&t->header->roles[t->role].peer, &self,
                                   IPC_SHM__TP_PEER_LEFT);
    }
  }
  if (err != 0)
    ipc_shm__os_topic_end(t);
  return err;
}

void ipc_shm__os_topic_end(struct ipc_shm_topic *t) {
  int role;
  ipc_shm__win_peer_close(&t->os.peer);
  for (role = 0; role < IPC_SHM__TP_ROLES; role++)
    if (t->os.wakers[role] != IPC_SHM__NO_HANDLE) {
      ipc_shm__os_close_quietly(t->os.wakers[role]);
      t->os.wakers[role] = IPC_SHM__NO_HANDLE;
    }
}

int ipc_shm__os_topic_alive(struct ipc_shm_topic *t, int role, uint64_t peer) {
  (void)role;
  return ipc_shm__win_peer_alive(&t->os.peer, peer);
}

int ipc_shm__os_topic_sleep(struct ipc_shm_topic *t, uint32_t *word, uint32_t expected,
                            int64_t ns, int watch, uint64_t watch_peer) {
  HANDLE waker;
  int err;
  /* The event carries the wake-up; the word says whether one came. */
  if (ipc_shm__load_seq_cst32(word) != expected)
    return 0;
  err = waker_of(t, t->role, &waker);
  if (err != 0)
    return err;
  /* A publisher is woken once half the slots are free (topic.c); it looks
   * for a free slot after each slice, as on POSIX. */
  if (t->role == IPC_SHM__TP_PUBLISHER && ns > IPC_SHM__LIVENESS_SLICE_NS)
    ns = IPC_SHM__LIVENESS_SLICE_NS;
  return ipc_shm__win_sleep_watching(waker, &t->os.peer, watch >= 0 ? watch_peer : 0, ns);
}

int ipc_shm__os_topic_wake(struct ipc_shm_topic *t, int role, uint32_t *word) {
  HANDLE event;
  int err;
  (void)word;
  err = waker_of(t, role, &event);
  if (err != 0)
    return err;
  return SYS.SetEvent(event) ? 0 : ipc_shm__fail_last("SetEvent");
}
