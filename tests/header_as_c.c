/* SPDX-License-Identifier: MIT */
/* The public header on its own, as a C compiler for Windows sees it. */
#include "ipc_shm.h"

int ipc_shm_header_as_c(void);

int ipc_shm_header_as_c(void) {
  ipc_shm_t *shm = NULL;
  int err = ipc_shm_create_anonymous(&shm, 4096, 0);
  if (err == IPC_SHM_E_OK)
    err = ipc_shm_close(shm);
  return err;
}
