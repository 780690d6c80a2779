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

int ipc_shm__win_take_role(uint64_t *role, uint64_t self) {
  ipc_shm__win_peer_t holder_process;
  int attempt, err = IPC_SHM_E_EXISTS;
  ipc_shm__win_peer_init(&holder_process);
  for (attempt = 0; attempt < 16; attempt++) {
    uint64_t holder = ipc_shm__load_acquire64(role);
    if (holder > 1u && ipc_shm__win_peer_alive(&holder_process, holder))
      break;
    if (ipc_shm__cas_seq_cst64(role, &holder, self)) {
      err = 0;
      break;
    }
  }
  ipc_shm__win_peer_close(&holder_process);
  return err == 0 ? 0 : ipc_shm__fail_arg(err);
}

int ipc_shm__win_wake_event(const char *name, int global, HANDLE *out) {
  WCHAR wide_name[IPC_SHM__WIDE_NAME_MAX];
  HANDLE event;
  int err = ipc_shm__wide_name(wide_name, global ? L"Global\\" : L"Local\\", name);
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
  *out = event;
  return 0;
}

int ipc_shm__win_sleep_watching(HANDLE waker, ipc_shm__win_peer_t *peer, uint64_t value,
                                int64_t ns) {
  HANDLE objects[2];
  DWORD ms, result, count = 1;
  objects[0] = waker;
  if (value > 1u && (value == peer->value || ipc_shm__win_peer_open(peer, value) > 0)) {
    objects[1] = peer->process; /* its end wakes this side */
    count = 2;
  } else if (ns > IPC_SHM__LIVENESS_SLICE_NS) {
    ns = IPC_SHM__LIVENESS_SLICE_NS; /* nothing would wake it: it looks */
  }
  /* The longest single wait: INFINITE is 0xFFFFFFFF. */
  ms = ns == INT64_MAX                ? INFINITE
       : ns / 1000000 >= 0xFFFFFFFEll ? 0xFFFFFFFEu
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
