/* SPDX-License-Identifier: MIT */
/* The Windows backend's one table from system error codes to portable
 * codes. */
#include "win32_internal.h"

int ipc_shm__translate(long native) {
  switch ((DWORD)native) {
  case ERROR_SUCCESS:
    return 0;
  case ERROR_INVALID_PARAMETER:
    return IPC_SHM_E_INVAL;
  case ERROR_INVALID_NAME:
  case ERROR_BAD_PATHNAME:
  case ERROR_NO_UNICODE_TRANSLATION:
    return IPC_SHM_E_NAME_INVALID;
  case ERROR_FILENAME_EXCED_RANGE:
    return IPC_SHM_E_NAME_TOO_LONG;
  case ERROR_FILE_TOO_LARGE:
  case ERROR_ARITHMETIC_OVERFLOW:
    return IPC_SHM_E_SIZE_TOO_BIG;
  case ERROR_ACCESS_DENIED:
  case ERROR_PRIVILEGE_NOT_HELD:
  case ERROR_WRITE_PROTECT:
  case ERROR_SHARING_VIOLATION:
  case ERROR_LOCK_VIOLATION:
    return IPC_SHM_E_PERM;
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
    return IPC_SHM_E_NOT_FOUND;
  case ERROR_ALREADY_EXISTS:
  case ERROR_FILE_EXISTS:
    return IPC_SHM_E_EXISTS;
  case ERROR_DISK_FULL:
  case ERROR_HANDLE_DISK_FULL:
  case ERROR_COMMITMENT_LIMIT:
    return IPC_SHM_E_NO_SPACE;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY:
  case ERROR_NO_SYSTEM_RESOURCES:
    return IPC_SHM_E_NO_MEMORY;
  case ERROR_TOO_MANY_OPEN_FILES:
    return IPC_SHM_E_TOO_MANY;
  case ERROR_TOO_MANY_POSTS:
    return IPC_SHM_E_LIMIT;
  case ERROR_BROKEN_PIPE:
  case ERROR_NO_DATA:
  case ERROR_PIPE_NOT_CONNECTED:
    return IPC_SHM_E_DISCONNECTED;
  case ERROR_NOT_SUPPORTED:
  case ERROR_CALL_NOT_IMPLEMENTED:
  case ERROR_PROC_NOT_FOUND: /* an ntdll function this system lacks */
    return IPC_SHM_E_NOT_SUPPORTED;
  case ERROR_IO_DEVICE:
  case ERROR_CRC:
  case ERROR_READ_FAULT:
  case ERROR_WRITE_FAULT:
    return IPC_SHM_E_IO;
  case ERROR_DIRECTORY: /* a directory where a file was expected */
  case ERROR_BAD_FILE_TYPE:
    return IPC_SHM_E_WRONG_KIND;
  default:
    return IPC_SHM_E_SYSTEM;
  }
}
