/* SPDX-License-Identifier: MIT */
/* Windows backend of waiting on several objects: one
 * WaitForMultipleObjects over the events', semaphores' and mutexes' kernel
 * objects, which the wait itself takes, and the wake-up events of
 * channels (with their peers' processes) and topics, which only end the
 * sleep. */
#include "win32_internal.h"

#include <stdint.h>

/* The longest wait the system takes (INFINITE is one more). */
#define WAIT_MAX_MS 0xFFFFFFFEu

void ipc_shm__os_wait_arm(ipc_shm__wait_entry_t *entries, size_t count) {
  (void)entries;
  (void)count;
}

void ipc_shm__os_wait_disarm(ipc_shm__wait_entry_t *entries, size_t count) {
  (void)entries;
  (void)count;
}

void ipc_shm__os_wait_pass_on(ipc_shm__wait_entry_t *entries, size_t count, size_t except) {
  (void)entries;
  (void)count;
  (void)except; /* kernel objects hand each release to one waiter */
}

int ipc_shm__os_wait_sleep(ipc_shm__wait_entry_t *entries, size_t count, int64_t ns,
                           size_t *taken) {
  HANDLE handles[2 * IPC_SHM_WAIT_MAX];
  size_t owner[2 * IPC_SHM_WAIT_MAX]; /* the entry of each handle */
  DWORD n = 0, ms, result, index;
  size_t i;
  *taken = SIZE_MAX;
  for (i = 0; i < count; i++) {
    struct ipc_shm_channel *ch = entries[i].channel;
    struct ipc_shm_topic *t = entries[i].topic;
    if (t != NULL) {
      /* A wake-up since the look is in the word: do not sleep. */
      if (ipc_shm__load_seq_cst32(entries[i].word) != entries[i].seen)
        return 0;
      owner[n] = i;
      handles[n++] = t->os.wakers[t->role]; /* opened at attach */
      if (ns > IPC_SHM__LIVENESS_SLICE_NS)
        ns = IPC_SHM__LIVENESS_SLICE_NS; /* deaths are looked for */
      continue;
    }
    if (ch == NULL) {
      owner[n] = i;
      handles[n++] = entries[i].sync->handle;
      continue;
    }
    {
      uint64_t peer = ipc_shm__load_acquire64(&ch->header->peers[1 - ch->side]);
      /* A wake-up since the look is in the word: do not sleep. */
      if (ipc_shm__load_seq_cst32(entries[i].word) != entries[i].seen)
        return 0;
      if (ch->os.wakers[ch->side] != IPC_SHM__NO_HANDLE) {
        owner[n] = i;
        handles[n++] = ch->os.wakers[ch->side];
      }
      if (peer > IPC_SHM__CH_PEER_LEFT &&
          (peer == ch->os.peer.value || ipc_shm__win_peer_open(&ch->os.peer, peer) > 0)) {
        owner[n] = i;
        handles[n++] = ch->os.peer.process; /* its end wakes this side */
      } else if (ns > IPC_SHM__LIVENESS_SLICE_NS) {
        ns = IPC_SHM__LIVENESS_SLICE_NS; /* nothing would wake it: it looks */
      }
    }
  }
  ms = ns == INT64_MAX               ? INFINITE
       : ns / 1000000 >= WAIT_MAX_MS ? WAIT_MAX_MS
                                     : (DWORD)((ns + 999999) / 1000000);
  if (n == 0) { /* nothing to wait on (an attached channel has its event) */
    ipc_shm__os_sleep_ns(ns < IPC_SHM__LIVENESS_SLICE_NS ? ns : IPC_SHM__LIVENESS_SLICE_NS);
    return 0;
  }
  result = SYS.WaitForMultipleObjects(n, handles, FALSE, ms);
  if (result == WAIT_TIMEOUT)
    return 0;
  if (result == WAIT_FAILED)
    return ipc_shm__fail_last("WaitForMultipleObjects");
  if (result >= WAIT_ABANDONED_0 && result < WAIT_ABANDONED_0 + n)
    index = result - WAIT_ABANDONED_0;
  else if (result < WAIT_OBJECT_0 + n)
    index = result - WAIT_OBJECT_0;
  else
    return ipc_shm__fail_arg(IPC_SHM_E_SYSTEM);
  i = owner[index];
  if (entries[i].channel != NULL || entries[i].topic != NULL)
    return 0; /* woken: common looks again */
  *taken = i;
  if (entries[i].kind == IPC_SHM_WAIT_MUTEX)
    return ipc_shm__win_mutex_acquired(entries[i].sync, result >= WAIT_ABANDONED_0);
  return 0;
}
