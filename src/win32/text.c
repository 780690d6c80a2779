/* SPDX-License-Identifier: MIT */
/* UTF-8 to UTF-16: every name and path reaches Windows through the W
 * functions, converted here and nowhere else. */
#include "win32_internal.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

int ipc_shm__wide_name(WCHAR out[IPC_SHM__WIDE_NAME_MAX], const WCHAR *prefix,
                       const char *name) {
  size_t length = wcslen(prefix);
  int n;
  memcpy(out, prefix, length * sizeof(WCHAR));
  n = SYS.MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name, -1, out + length,
                              (int)(IPC_SHM__WIDE_NAME_MAX - length));
  return n > 0 ? 0 : ipc_shm__fail_last("MultiByteToWideChar");
}

int ipc_shm__wide_copy(const char *text, WCHAR **out) {
  int n = SYS.MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, NULL, 0);
  *out = NULL;
  if (n <= 0)
    return ipc_shm__fail_last("MultiByteToWideChar");
  *out = (WCHAR *)malloc((size_t)n * sizeof(WCHAR));
  if (*out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  if (SYS.MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, *out, n) <= 0) {
    int err = ipc_shm__fail_last("MultiByteToWideChar");
    free(*out);
    *out = NULL;
    return err;
  }
  return 0;
}
