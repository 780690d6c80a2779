/* SPDX-License-Identifier: MIT */
/* A program of another project that uses ipcshm: it shares a page with
 * itself and says which version it runs. Exit 0 when everything works. */
#include <ipc_shm.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  ipc_shm_t *shm, *inherited;
  ipc_shm_view_t *writer, *reader;
  int err;
  /* Started by nobody that hands segments over: nothing inherited. */
  if (ipc_shm_inherited(&inherited, 0) != IPC_SHM_E_NOT_FOUND) {
    fprintf(stderr, "consumer: a segment was inherited from nowhere\n");
    return 1;
  }
  err = ipc_shm_create_anonymous(&shm, 4096, 0);
  if (err == 0)
    err = ipc_shm_map(&writer, shm, 0, 0, IPC_SHM_MAP_WRITE);
  if (err == 0)
    err = ipc_shm_map(&reader, shm, 0, 0, IPC_SHM_MAP_READ);
  if (err != 0) {
    fprintf(stderr, "consumer: %s\n", ipc_shm_strerror(err));
    return 1;
  }
  strcpy((char *)ipc_shm_view_data(writer), "shared");
  err = strcmp((const char *)ipc_shm_view_data(reader), "shared") != 0;
  ipc_shm_unmap(reader);
  ipc_shm_unmap(writer);
  ipc_shm_close(shm);
  printf("consumer uses ipcshm %s: %s\n", ipc_shm_version(), err ? "FAILED" : "ok");
  return err;
}
