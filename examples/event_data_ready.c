/* SPDX-License-Identifier: MIT */
/* "Data ready" with events: the parent writes a line into a segment and sets
 * `ready`; the child, which inherited the segment and both events, reads it
 * and sets `taken`. Three rounds. Run it with no argument. */
#include <ipc_shm.h>

#include <stdio.h>
#include <string.h>

#define ROUNDS 3

static int fail(const char *what, int err) {
  fprintf(stderr, "%s: %s (%s, native %ld)\n", what, ipc_shm_strerror(err),
          ipc_shm_last_native_call(), ipc_shm_last_native_error());
  return 1;
}

static int child(void) {
  ipc_shm_t *shm;
  ipc_shm_event_t *ready, *taken;
  ipc_shm_view_t *view;
  int round, err = ipc_shm_inherited(&shm, 0);
  if (err == 0)
    err = ipc_shm_event_inherited(&ready, 1);
  if (err == 0)
    err = ipc_shm_event_inherited(&taken, 2);
  if (err == 0)
    err = ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_READ);
  if (err != 0)
    return fail("child", err);
  for (round = 0; round < ROUNDS; round++) {
    err = ipc_shm_event_wait(ready, 10000); /* auto reset: taken by this wait */
    if (err != 0)
      return fail("wait", err);
    printf("child got: %s\n", (const char *)ipc_shm_view_data(view));
    fflush(stdout);
    ipc_shm_event_set(taken);
  }
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  ipc_shm_event_close(ready);
  ipc_shm_event_close(taken);
  return 0;
}

int main(int argc, char **argv) {
  ipc_shm_t *shm;
  ipc_shm_event_t *ready, *taken;
  ipc_shm_view_t *view;
  ipc_shm_process_t *process;
  const char *child_argv[3];
  ipc_shm_inherit_t inherit[3];
  int round, err, code = 1;

  if (argc >= 2) /* started by the parent */
    return strcmp(argv[1], "child") == 0 ? child() : 2;
  err = ipc_shm_create_anonymous(&shm, 4096, 0);
  if (err == 0)
    err = ipc_shm_event_create_anonymous(&ready, 0);
  if (err == 0)
    err = ipc_shm_event_create_anonymous(&taken, 0);
  if (err == 0)
    err = ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE);
  if (err != 0)
    return fail("parent", err);

  memset(inherit, 0, sizeof(inherit));
  inherit[0].shm = shm;
  inherit[0].flags = IPC_SHM_READONLY; /* the child only reads */
  inherit[1].event = ready;
  inherit[2].event = taken;
  child_argv[0] = argv[0];
  child_argv[1] = "child";
  child_argv[2] = NULL;
  err = ipc_shm_spawn(&process, child_argv, inherit, 3);
  if (err != 0)
    return fail("spawn", err);

  for (round = 0; round < ROUNDS && err == 0; round++) {
    snprintf((char *)ipc_shm_view_data(view), 64, "message %d", round + 1);
    err = ipc_shm_event_set(ready);
    if (err == 0)
      err = ipc_shm_event_wait(taken, 10000); /* the child has read it */
  }
  if (err != 0)
    fail("parent", err);
  ipc_shm_process_wait(process, &code);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  ipc_shm_event_close(ready);
  ipc_shm_event_close(taken);
  return err == 0 ? code : 1;
}
