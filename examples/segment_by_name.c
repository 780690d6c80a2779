/* SPDX-License-Identifier: MIT */
/* A segment by name: the parent creates "example-<pid>", writes into it and
 * starts a child that opens the name and reads. Run it with no argument. */
#include <ipc_shm.h>

#include <stdio.h>
#include <string.h>

#ifdef _WIN32
#include <process.h>
#define current_pid() ((unsigned long)_getpid())
#else
#include <unistd.h>
#define current_pid() ((unsigned long)getpid())
#endif

static int fail(const char *what, int err) {
  fprintf(stderr, "%s: %s (%s, native %ld)\n", what, ipc_shm_strerror(err),
          ipc_shm_last_native_call(), ipc_shm_last_native_error());
  return 1;
}

/* The child: open the name, read what the parent wrote. */
static int reader(const char *name) {
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  int err = ipc_shm_open(&shm, name, IPC_SHM_READONLY);
  if (err != 0)
    return fail("open", err);
  err = ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_READ);
  if (err != 0)
    return fail("map", err);
  printf("child read: %s\n", (const char *)ipc_shm_view_data(view));
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  return 0;
}

int main(int argc, char **argv) {
  char name[IPC_SHM_NAME_MAX + 1];
  const char *child_argv[3];
  ipc_shm_process_t *child;
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  int err, code = 1;

  if (argc >= 2) /* started by the parent, with the name */
    return argc == 2 ? reader(argv[1]) : 2;
  snprintf(name, sizeof(name), "example-%lu", current_pid());
  err = ipc_shm_create(&shm, name, 4096, 0);
  if (err != 0)
    return fail("create", err);
  err = ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE);
  if (err != 0)
    return fail("map", err);
  strcpy((char *)ipc_shm_view_data(view), "hello through a name");

  child_argv[0] = argv[0];
  child_argv[1] = name;
  child_argv[2] = NULL;
  err = ipc_shm_spawn(&child, child_argv, NULL, 0);
  if (err == 0)
    err = ipc_shm_process_wait(child, &code);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  ipc_shm_remove(name, 0); /* POSIX: the name outlives its users until removed */
  if (err != 0)
    return fail("spawn", err);
  return code;
}
