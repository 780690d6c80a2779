/* SPDX-License-Identifier: MIT */
/* Windows backend of liveness: a process named in shared memory by its id
 * and the low half of its creation time, so that a process that reused the
 * id is not taken for it; a handle of it, opened while that identity holds
 * and kept, which the kernel signals when the process ends (a sleeper
 * waits on it too, and wakes at once). */
#include "win32_internal.h"

#define PROCESS_RIGHTS (SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION)

/* The low half of a process's creation time (100 ns units; 1 for 0), or 0
 * when it cannot be read. */
static uint32_t birth_of(HANDLE process) {
  FILETIME created, exited, kernel, user;
  if (!SYS.GetProcessTimes(process, &created, &exited, &kernel, &user))
    return 0;
  return created.dwLowDateTime != 0 ? (uint32_t)created.dwLowDateTime : 1u;
}

int ipc_shm__win_self_process(uint64_t *self) {
  uint32_t birth = birth_of(GetCurrentProcess());
  if (birth == 0)
    return ipc_shm__fail_last("GetProcessTimes");
  *self = (uint64_t)GetCurrentProcessId() << 32 | birth;
  return 0;
}

void ipc_shm__win_peer_init(ipc_shm__win_peer_t *peer) {
  peer->process = NULL;
  peer->value = 0;
}

void ipc_shm__win_peer_close(ipc_shm__win_peer_t *peer) {
  if (peer->process != NULL)
    ipc_shm__os_close_quietly(peer->process);
  ipc_shm__win_peer_init(peer);
}

int ipc_shm__win_peer_open(ipc_shm__win_peer_t *peer, uint64_t value) {
  DWORD pid = (DWORD)(value >> 32);
  HANDLE process;
  uint32_t birth;
  ipc_shm__win_peer_close(peer);
  if (pid == 0)
    return 0; /* no process has such an id */
  process = SYS.OpenProcess(PROCESS_RIGHTS, FALSE, pid);
  if (process == NULL)
    /* "Invalid parameter": no such process; anything else cannot tell. */
    return GetLastError() == ERROR_INVALID_PARAMETER ? 0 : -1;
  birth = birth_of(process);
  if (birth != (uint32_t)value) {
    /* Another process under a reused id; or its times cannot be read,
     * and then it cannot be told. */
    ipc_shm__os_close_quietly(process);
    return birth == 0 ? -1 : 0;
  }
  peer->process = process;
  peer->value = value;
  return 1;
}

int ipc_shm__win_peer_alive(ipc_shm__win_peer_t *peer, uint64_t value) {
  if (peer->process == NULL || peer->value != value) {
    int opened = ipc_shm__win_peer_open(peer, value);
    if (opened <= 0)
      return opened != 0;
  }
  return SYS.WaitForSingleObject(peer->process, 0) != WAIT_OBJECT_0;
}
