/* SPDX-License-Identifier: MIT */
/* Windows backend of mutexes: kernel mutexes, with the recovery state
 * every user maps (src/win32/sync.c), so that an abandonment is seen by
 * every later owner until it is made consistent. */
#include "win32_internal.h"

/* The recovery state every user maps (src/win32/sync.c): written
 * by the owner only, read by each new owner. */
static uint32_t *state_of(struct ipc_shm *mutex) {
  return (uint32_t *)mutex->os.block;
}

/* The holder is this process's own record of which thread holds the mutex
 * through this object: a thread serial, never reused, so that a thread
 * that got the id of one that ended holding it is not taken for it. */
static uint64_t holder_of(struct ipc_shm *mutex) {
  return ipc_shm__load_relaxed64(&mutex->holder);
}

static void set_holder(struct ipc_shm *mutex, uint64_t thread) {
  ipc_shm__store_relaxed64(&mutex->holder, thread);
}

int ipc_shm__os_mutex_lock(struct ipc_shm *mutex, int64_t timeout_ms) {
  uint64_t self = ipc_shm__thread_serial();
  DWORD result;
  int failed = 0;
  if (holder_of(mutex) == self)
    return ipc_shm__fail_arg(IPC_SHM_E_DEADLOCK);
  if (ipc_shm__load_acquire32(state_of(mutex)) == IPC_SHM__WIN_STATE_NOT_RECOVERABLE)
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_RECOVERABLE);
  result = ipc_shm__win_wait_for(mutex->handle, timeout_ms, &failed);
  if (result == WAIT_TIMEOUT)
    return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
  if (result == WAIT_FAILED)
    return failed;
  if (result != WAIT_OBJECT_0 && result != WAIT_ABANDONED)
    return ipc_shm__fail_arg(IPC_SHM_E_SYSTEM);
  return ipc_shm__win_mutex_acquired(mutex, result == WAIT_ABANDONED);
}

int ipc_shm__win_mutex_acquired(struct ipc_shm *mutex, int abandoned) {
  uint64_t self = ipc_shm__thread_serial();
  uint32_t state = ipc_shm__load_acquire32(state_of(mutex));
  if (state == IPC_SHM__WIN_STATE_NOT_RECOVERABLE) {
    (void)SYS.ReleaseMutex(mutex->handle);
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_RECOVERABLE);
  }
  set_holder(mutex, self);
  if (abandoned || state != IPC_SHM__WIN_STATE_CONSISTENT) {
    ipc_shm__store_seq_cst32(state_of(mutex), IPC_SHM__WIN_STATE_OWNER_DIED);
    return ipc_shm__fail_arg(IPC_SHM_E_OWNER_DEAD);
  }
  return 0;
}

int ipc_shm__os_mutex_unlock(struct ipc_shm *mutex) {
  uint32_t died = IPC_SHM__WIN_STATE_OWNER_DIED;
  if (holder_of(mutex) != ipc_shm__thread_serial())
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_OWNER);
  /* Unlocked without ipc_shm_mutex_consistent() after OWNER_DEAD: nobody
   * may use it again. */
  (void)ipc_shm__cas_seq_cst32(state_of(mutex), &died, IPC_SHM__WIN_STATE_NOT_RECOVERABLE);
  set_holder(mutex, 0);
  if (!SYS.ReleaseMutex(mutex->handle)) {
    if (GetLastError() == ERROR_NOT_OWNER)
      return ipc_shm__fail_as(ERROR_NOT_OWNER, "ReleaseMutex", IPC_SHM_E_NOT_OWNER);
    return ipc_shm__fail_last("ReleaseMutex");
  }
  return 0;
}

int ipc_shm__os_mutex_consistent(struct ipc_shm *mutex) {
  uint32_t died = IPC_SHM__WIN_STATE_OWNER_DIED;
  if (holder_of(mutex) != ipc_shm__thread_serial())
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_OWNER);
  if (!ipc_shm__cas_seq_cst32(state_of(mutex), &died, IPC_SHM__WIN_STATE_CONSISTENT))
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return 0;
}
