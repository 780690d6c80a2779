/* SPDX-License-Identifier: MIT */
/* Windows backend of handles and their copies: DuplicateHandle with
 * exactly the rights asked for, and the checks of what a process is
 * handed. */
#include "win32_internal.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* The exact rights a handed-over handle carries are those of
 * ipc_shm__win_access_of(): never WRITE_DAC, WRITE_OWNER or DELETE. */

/* NtQueryObject classes and the parts of their answers used here. */
enum { OBJECT_BASIC_INFORMATION = 0, OBJECT_TYPE_INFORMATION = 2 };
typedef struct object_basic_information {
  ULONG attributes;
  ACCESS_MASK granted_access;
  ULONG rest[12];
} object_basic_information_t;
typedef struct unicode_string {
  USHORT length;
  USHORT maximum_length;
  PWSTR buffer;
} unicode_string_t;

unsigned long ipc_shm__os_self_pid(void) {
  return (unsigned long)GetCurrentProcessId();
}

int ipc_shm__os_environment(const char *name, char **value) {
  DWORD size = SYS.GetEnvironmentVariableA(name, NULL, 0), got;
  if (size == 0) {
    if (GetLastError() == ERROR_ENVVAR_NOT_FOUND)
      return ipc_shm__fail_as(ERROR_ENVVAR_NOT_FOUND, "GetEnvironmentVariableA",
                              IPC_SHM_E_NOT_FOUND);
    return ipc_shm__fail_last("GetEnvironmentVariableA");
  }
  *value = (char *)malloc(size);
  if (*value == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  SetLastError(ERROR_SUCCESS);
  got = SYS.GetEnvironmentVariableA(name, *value, size);
  if (got == 0 && GetLastError() == ERROR_SUCCESS) {
    (*value)[0] = '\0'; /* set, and empty */
    return 0;
  }
  if (got == 0 || got >= size) { /* gone, or grown, meanwhile */
    int err = got == 0 ? ipc_shm__fail_last("GetEnvironmentVariableA")
                       : ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
    free(*value);
    *value = NULL;
    return err;
  }
  return 0;
}

int ipc_shm__os_copy(const struct ipc_shm *shm, int writable, int inheritable,
                     ipc_shm_native_t *copy, ipc_shm__token_t *token) {
  HANDLE self = GetCurrentProcess();
  if (!SYS.DuplicateHandle(self, shm->handle, self, copy,
                           ipc_shm__win_access_of(shm, writable),
                           inheritable ? TRUE : FALSE, 0))
    return ipc_shm__fail_last("DuplicateHandle");
  token->writable = writable;
  token->size = shm->size;
  token->handle = (uint64_t)(ULONG_PTR)*copy;
  token->check[1] = shm->os.state_id; /* a mutex's state; 0 otherwise */
  return 0;
}

int ipc_shm__os_close_handle(ipc_shm_native_t handle) {
  return SYS.CloseHandle(handle) ? 0 : ipc_shm__fail_last("CloseHandle");
}

int ipc_shm__os_handle_from_value(uint64_t value, ipc_shm_native_t *handle) {
  /* Handle values are pointer-sized multiples of 4; nothing else names one. */
  if (value == 0 || (value & 3) != 0 || value > (uint64_t)(ULONG_PTR)-1)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  *handle = (HANDLE)(ULONG_PTR)value;
  return 0;
}

uint64_t ipc_shm__os_handle_value(ipc_shm_native_t handle) {
  return (uint64_t)(ULONG_PTR)handle;
}

/* Is `handle` an object of shm's kind with exactly the token's access,
 * and for a section, not an image and with room for the token's size? 0 or
 * BAD_TOKEN (with the native error of a failing query); never changes the
 * handle. */
static int check_handle(const struct ipc_shm *shm, HANDLE handle,
                        const ipc_shm__token_t *token) {
  union {
    unicode_string_t name; /* OBJECT_TYPE_INFORMATION starts with it */
    unsigned char bytes[1024];
    void *align;
  } type;
  object_basic_information_t basic;
  const WCHAR *type_name = ipc_shm__win_type_of(shm);
  size_t type_bytes = wcslen(type_name) * sizeof(WCHAR);
  uint64_t size = 0;
  unsigned long attributes = 0;
  size_t granularity = ipc_shm__os_granularity();

  if (!SYS.NtQueryObject(handle, OBJECT_TYPE_INFORMATION, &type, sizeof(type)))
    return ipc_shm__fail_as((long)GetLastError(), "NtQueryObject", IPC_SHM_E_BAD_TOKEN);
  if (type.name.length != type_bytes ||
      memcmp(type.name.buffer, type_name, type_bytes) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  if (!SYS.NtQueryObject(handle, OBJECT_BASIC_INFORMATION, &basic, sizeof(basic)))
    return ipc_shm__fail_as((long)GetLastError(), "NtQueryObject", IPC_SHM_E_BAD_TOKEN);
  if (basic.granted_access != ipc_shm__win_access_of(shm, token->writable))
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  if (shm->object != IPC_SHM__OBJECT_SEGMENT)
    return token->writable && token->size == IPC_SHM__SYNC_SIZE
               ? 0
               : ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  if (ipc_shm__win_query_section(handle, &size, &attributes) != 0)
    return ipc_shm__fail_recast(IPC_SHM_E_BAD_TOKEN);
  if ((attributes & SEC_IMAGE) != 0 || size < token->size ||
      size - token->size >= granularity)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  return 0;
}

int ipc_shm__os_adopt(struct ipc_shm *shm, ipc_shm_native_t handle,
                      const ipc_shm__token_t *token, int inherited) {
  int err = check_handle(shm, handle, token);
  if (err != 0)
    return err;
  if (shm->object == IPC_SHM__OBJECT_MUTEX) {
    shm->os.state_id = token->check[1];
    err = ipc_shm__win_attach_mutex_state(shm);
    if (err != 0)
      return err;
  }
  if (inherited && !SYS.SetHandleInformation(handle, HANDLE_FLAG_INHERIT, 0)) {
    err = ipc_shm__fail_last("SetHandleInformation");
    if (shm->os.state != IPC_SHM__NO_HANDLE) {
      (void)SYS.UnmapViewOfFile(shm->os.block);
      ipc_shm__os_close_quietly(shm->os.state);
      shm->os.block = NULL;
      shm->os.state = IPC_SHM__NO_HANDLE;
    }
    return err;
  }
  shm->handle = handle;
  shm->size = token->size;
  shm->writable = token->writable;
  shm->size_exact = 1;
  return 0;
}

/* A handle of process `pid` that allows DuplicateHandle and waiting. */
int ipc_shm__win_open_process(unsigned long pid, HANDLE *process) {
  *process = SYS.OpenProcess(PROCESS_DUP_HANDLE | SYNCHRONIZE, FALSE, (DWORD)pid);
  if (*process != NULL)
    return 0;
  /* OpenProcess says "invalid parameter" for a process that does not exist. */
  if (GetLastError() == ERROR_INVALID_PARAMETER)
    return ipc_shm__fail_as(ERROR_INVALID_PARAMETER, "OpenProcess", IPC_SHM_E_NOT_FOUND);
  return ipc_shm__fail_last("OpenProcess");
}

int ipc_shm__os_pull(const ipc_shm__token_t *token, ipc_shm_native_t *copy) {
  HANDLE owner;
  int err = ipc_shm__win_open_process(token->pid, &owner);
  if (err != 0)
    return err;
  if (!SYS.DuplicateHandle(owner, (HANDLE)(ULONG_PTR)token->handle, GetCurrentProcess(),
                           copy, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
    /* The owner has no such handle (any more). */
    err = GetLastError() == ERROR_INVALID_HANDLE
              ? ipc_shm__fail_as(ERROR_INVALID_HANDLE, "DuplicateHandle", IPC_SHM_E_NOT_FOUND)
              : ipc_shm__fail_last("DuplicateHandle");
    ipc_shm__os_close_quietly(owner);
    return err;
  }
  ipc_shm__os_close_quietly(owner);
  return 0;
}

int ipc_shm__win_duplicate_into(HANDLE process, const struct ipc_shm *shm,
                                int writable, HANDLE *remote) {
  if (!SYS.DuplicateHandle(GetCurrentProcess(), shm->handle, process, remote,
                           ipc_shm__win_access_of(shm, writable), FALSE, 0))
    return ipc_shm__fail_last("DuplicateHandle");
  return 0;
}

int ipc_shm__os_push(const struct ipc_shm *shm, unsigned long pid, int writable,
                     ipc_shm__token_t *token) {
  HANDLE process, remote = NULL;
  int err = ipc_shm__win_open_process(pid, &process);
  if (err != 0)
    return err;
  err = ipc_shm__win_duplicate_into(process, shm, writable, &remote);
  ipc_shm__os_close_quietly(process);
  if (err != 0)
    return err;
  token->writable = writable;
  token->size = shm->size;
  token->handle = (uint64_t)(ULONG_PTR)remote;
  token->check[1] = shm->os.state_id;
  return 0;
}
