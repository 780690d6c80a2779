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
  return ipc_shm__win_take(event->handle, timeout_ms);
}
