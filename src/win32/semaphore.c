/* SPDX-License-Identifier: MIT */
/* Windows backend of semaphores: kernel semaphores, released and waited
 * for. */
#include "win32_internal.h"

int ipc_shm__os_semaphore_post(struct ipc_shm *semaphore) {
  if (SYS.ReleaseSemaphore(semaphore->handle, 1, NULL))
    return 0;
  /* At its maximum: the count is left as it was. */
  if (GetLastError() == ERROR_TOO_MANY_POSTS)
    return ipc_shm__fail_as(ERROR_TOO_MANY_POSTS, "ReleaseSemaphore", IPC_SHM_E_LIMIT);
  return ipc_shm__fail_last("ReleaseSemaphore");
}

int ipc_shm__os_semaphore_wait(struct ipc_shm *semaphore, int64_t timeout_ms) {
  return ipc_shm__win_take(semaphore->handle, timeout_ms);
}
