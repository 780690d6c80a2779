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
  int failed = 0;
  switch (ipc_shm__win_wait_for(semaphore->handle, timeout_ms, &failed)) {
  case WAIT_OBJECT_0:
    return 0;
  case WAIT_TIMEOUT:
    return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
  case WAIT_FAILED:
    return failed;
  default: /* nothing else can come of waiting for a semaphore */
    return ipc_shm__fail_arg(IPC_SHM_E_SYSTEM);
  }
}
