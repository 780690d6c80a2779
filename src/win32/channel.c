/* SPDX-License-Identifier: MIT */
/* Windows backend of channels: each side sleeps on an auto-reset event
 * named after the channel's id ("Local\ipcshm.channel.ID.r" for the
 * receiver, ".w" for the sender), which every process that attaches opens
 * or makes; a peer is a process asked for by its id. */
#include "win32_internal.h"

#include <stdio.h>

int64_t ipc_shm__os_now_ns(void) {
  static LARGE_INTEGER frequency;
  LARGE_INTEGER count;
  if (frequency.QuadPart == 0)
    QueryPerformanceFrequency(&frequency);
  QueryPerformanceCounter(&count);
  return (int64_t)((double)count.QuadPart * 1e9 / (double)frequency.QuadPart);
}

uint64_t ipc_shm__os_self_process(void) {
  uint64_t pid = (uint64_t)GetCurrentProcessId();
  return pid << 32 | pid;
}

int ipc_shm__os_process_alive(uint64_t value) {
  DWORD pid = (DWORD)(value >> 32);
  HANDLE process;
  DWORD state;
  if (pid == 0 || (DWORD)value != pid)
    return 0; /* no process has such a value */
  process = SYS.OpenProcess(SYNCHRONIZE, FALSE, pid);
  if (process == NULL)
    /* "Invalid parameter": no such process; anything else cannot tell. */
    return GetLastError() != ERROR_INVALID_PARAMETER;
  state = SYS.WaitForSingleObject(process, 0);
  ipc_shm__close_quietly(process);
  return state != WAIT_OBJECT_0;
}

int ipc_shm__os_channel_open_wakers(struct ipc_shm_channel *channel, uint64_t id,
                                    int global) {
  static const char suffix[2] = {'r', 'w'};
  int side;
  for (side = 0; side < 2; side++) {
    WCHAR wide_name[IPC_SHM__WIDE_NAME_MAX];
    char name[48];
    HANDLE event;
    int err;
    snprintf(name, sizeof(name), "ipcshm.channel.%016llx.%c", (unsigned long long)id,
             suffix[side]);
    err = ipc_shm__wide_name(wide_name, global ? L"Global\\" : L"Local\\", name);
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
    channel->wakers[side] = event;
  }
  return 0;
}

void ipc_shm__os_channel_close_wakers(struct ipc_shm_channel *channel) {
  int side;
  for (side = 0; side < 2; side++)
    if (channel->wakers[side] != IPC_SHM__NO_HANDLE) {
      ipc_shm__close_quietly(channel->wakers[side]);
      channel->wakers[side] = IPC_SHM__NO_HANDLE;
    }
}

int ipc_shm__os_channel_sleep(struct ipc_shm_channel *channel, int side,
                              uint32_t *word, uint32_t expected, int64_t ns) {
  DWORD ms, result;
  /* The event carries the wake-up; the word says whether one came. */
  if (*(volatile uint32_t *)word != expected)
    return 0;
  ms = ns == INT64_MAX ? INFINITE : (DWORD)((ns + 999999) / 1000000);
  result = SYS.WaitForSingleObject(channel->wakers[side], ms);
  if (result == WAIT_OBJECT_0)
    return 0;
  if (result == WAIT_TIMEOUT)
    return 1;
  return ipc_shm__fail_last("WaitForSingleObject");
}

int ipc_shm__os_channel_wake(struct ipc_shm_channel *channel, int side, uint32_t *word) {
  (void)word;
  if (channel->wakers[side] == IPC_SHM__NO_HANDLE)
    return 0;
  return SYS.SetEvent(channel->wakers[side]) ? 0 : ipc_shm__fail_last("SetEvent");
}
