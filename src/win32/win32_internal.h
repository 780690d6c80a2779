/* Helpers shared by the files of the Windows backend. */
#ifndef IPC_SHM_WIN32_INTERNAL_H
#define IPC_SHM_WIN32_INTERNAL_H

#include "../common/shm_internal.h"

#include <windows.h>

/* Record GetLastError() for the failing call; the portable code. */
static inline int ipc_shm__fail_last(const char *call) {
  return ipc_shm__fail((long)GetLastError(), call);
}

/* Close a handle on an error path without losing the recorded error. */
static inline void ipc_shm__close_quietly(HANDLE handle) {
  DWORD saved = GetLastError();
  (void)CloseHandle(handle);
  SetLastError(saved);
}

#endif
