/* SPDX-License-Identifier: MIT */
// The public header is usable from C++: it compiles, and its names link.
#include "ipc_shm.h"

int ipc_shm_header_as_cxx(void);

int ipc_shm_header_as_cxx(void) {
  ipc_shm_t *shm = nullptr;
  int err = ipc_shm_create_anonymous(&shm, 4096, 0);
  if (err != IPC_SHM_E_OK)
    return err;
  ipc_shm_view_t *view = nullptr;
  err = ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE);
  if (err == 0)
    err = ipc_shm_unmap(view);
  ipc_shm_close(shm);
  return err;
}
