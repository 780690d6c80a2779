/* SPDX-License-Identifier: MIT */
/* The library's version, from the header's numbers. */
#include "common.h"

#define IPC_SHM_STRING_(x) #x
#define IPC_SHM_STRING(x) IPC_SHM_STRING_(x)

const char *ipc_shm_version(void) {
  return IPC_SHM_STRING(IPC_SHM_VERSION_MAJOR) "." IPC_SHM_STRING(
      IPC_SHM_VERSION_MINOR) "." IPC_SHM_STRING(IPC_SHM_VERSION_PATCH);
}
