/* SPDX-License-Identifier: MIT */
/* Windows backend of events: kernel events, set, reset and waited for. */
#include "win32_internal.h"

int ipc_shm__os_event_set(struct ipc_shm *event) {
  return SYS.SetEvent(event->handle) ? 0 : ipc_shm__fail_last("SetEvent");
}

int ipc_shm__os_event_reset(struct ipc_shm *event) {
  return SYS.ResetEvent(event->handle) ? 0 : ipc_shm__fail_last("ResetEvent");
}

int ipc_shm__os_event_wait(struct ipc_shm *event, int64_t timeout_ms) {
  int failed = 0;
  switch (ipc_shm__win_wait_for(event->handle, timeout_ms, &failed)) {
  case WAIT_OBJECT_0:
    return 0;
  case WAIT_TIMEOUT:
    return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
  case WAIT_FAILED:
    return failed;
  default: /* nothing else can come of waiting for an event */
    return ipc_shm__fail_arg(IPC_SHM_E_SYSTEM);
  }
}
