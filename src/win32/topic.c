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

/* Longest single wait: INFINITE is 0xFFFFFFFF. */
#define WAIT_MAX_MS 0xFFFFFFFEu

/* The event of `role`, opened or made on first use. */
static int waker_of(struct ipc_shm_topic *t, int role, HANDLE *out) {
  WCHAR wide_name[IPC_SHM__WIDE_NAME_MAX];
  char name[48];
  HANDLE event;
  int err;
  if (t->os.wakers[role] != IPC_SHM__NO_HANDLE) {
    *out = t->os.wakers[role];
    return 0;
  }
  snprintf(name, sizeof(name), "ipcshm.topic.%016llx.%d", (unsigned long long)t->os.id, role);
  err = ipc_shm__wide_name(wide_name, t->os.global ? L"Global\\" : L"Local\\", name);
  if (err != 0)
    return err;
  /* Open first: making an object in Global\ needs a privilege. */
  event = SYS.OpenEventW(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, wide_name);
  if (event == NULL) {
    if (GetLastError() != ERROR_FILE_NOT_FOUND)
      return ipc_shm__fail_last("OpenEventW");
    event = SYS.CreateEventW(NULL, FALSE, FALSE, wide_name);
    if (event == NULL)
      return ipc_shm__fail_last("CreateEventW");
  }
  t->os.wakers[role] = event;
  *out = event;
  return 0;
}

static int take_role(struct ipc_shm_topic *t) {
  uint64_t *peer = &t->header->roles[t->role].peer;
  ipc_shm__win_peer_t holder_process;
  int attempt, err = IPC_SHM_E_EXISTS;
  ipc_shm__win_peer_init(&holder_process);
  for (attempt = 0; attempt < 16; attempt++) {
    uint64_t holder = ipc_shm__load_acquire64(peer);
    if (holder > IPC_SHM__TP_PEER_LEFT && ipc_shm__win_peer_alive(&holder_process, holder))
      break;
    if (ipc_shm__cas_seq_cst64(peer, &holder, t->self)) {
      err = 0;
      break;
    }
  }
  ipc_shm__win_peer_close(&holder_process);
  return err == 0 ? 0 : ipc_shm__fail_arg(err);
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
  if (err == 0)
    err = take_role(t);
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
  HANDLE objects[2];
  DWORD ms, result, count = 1;
  int err;
  /* The event carries the wake-up; the word says whether one came. */
  if (ipc_shm__load_seq_cst32(word) != expected)
    return 0;
  err = waker_of(t, t->role, &objects[0]);
  if (err != 0)
    return err;
  if (watch >= 0 && watch_peer != 0 &&
      (watch_peer == t->os.peer.value || ipc_shm__win_peer_open(&t->os.peer, watch_peer) > 0)) {
    objects[1] = t->os.peer.process; /* its end wakes this side */
    count = 2;
  } else if (ns > IPC_SHM__LIVENESS_SLICE_NS) {
    ns = IPC_SHM__LIVENESS_SLICE_NS; /* nothing would wake it: it looks */
  }
  /* A publisher is woken once half the slots are free (topic.c); it looks
   * for a free slot after each slice, as on POSIX. */
  if (t->role == IPC_SHM__TP_PUBLISHER && ns > IPC_SHM__LIVENESS_SLICE_NS)
    ns = IPC_SHM__LIVENESS_SLICE_NS;
  ms = ns == INT64_MAX               ? INFINITE
       : ns / 1000000 >= WAIT_MAX_MS ? WAIT_MAX_MS
                                     : (DWORD)((ns + 999999) / 1000000);
  result = SYS.WaitForMultipleObjects(count, objects, FALSE, ms);
  if (result == WAIT_OBJECT_0)
    return 0;
  if (result == WAIT_OBJECT_0 + 1)
    return 2;
  if (result == WAIT_TIMEOUT)
    return 1;
  return ipc_shm__fail_last("WaitForMultipleObjects");
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
