/* SPDX-License-Identifier: MIT */
/* A file mapped into memory: create a file of 64 KiB, write through a view,
 * flush it to the file, close, then map the file again read-only and read
 * it back. Run it with no argument (the file goes to the current folder
 * and is deleted at the end). */
#include <ipc_shm.h>

#include <stdio.h>
#include <string.h>

#define PATH "ipcshm-example.dat"
#define SIZE (64 * 1024)

static int fail(const char *what, int err) {
  fprintf(stderr, "%s: %s (%s, native %ld)\n", what, ipc_shm_strerror(err),
          ipc_shm_last_native_call(), ipc_shm_last_native_error());
  return 1;
}

int main(void) {
  ipc_shm_t *file;
  ipc_shm_view_t *view;
  int err;

  remove(PATH);
  err = ipc_shm_open_file(&file, PATH, SIZE, IPC_SHM_FILE_CREATE);
  if (err == 0)
    err = ipc_shm_map(&view, file, 0, 0, IPC_SHM_MAP_WRITE);
  if (err != 0)
    return fail("create and map", err);
  strcpy((char *)ipc_shm_view_data(view) + SIZE / 2, "kept in the file");
  err = ipc_shm_flush(view, 0, 0); /* to the file now, not some time later */
  ipc_shm_unmap(view);
  ipc_shm_close(file);
  if (err != 0)
    return fail("flush", err);

  /* Size 0: the whole file. */
  err = ipc_shm_open_file(&file, PATH, 0, IPC_SHM_READONLY);
  if (err == 0)
    err = ipc_shm_map(&view, file, 0, 0, IPC_SHM_MAP_READ);
  if (err != 0)
    return fail("reopen", err);
  printf("%llu bytes; in the middle: %s\n", (unsigned long long)ipc_shm_size(file),
         (const char *)ipc_shm_view_data(view) + SIZE / 2);
  ipc_shm_unmap(view);
  ipc_shm_close(file);
  remove(PATH);
  return 0;
}
