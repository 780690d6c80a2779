/* SPDX-License-Identifier: MIT */
/* A channel between parent and child: the parent sends messages by copy,
 * then writes some straight into the ring (zero-copy); the child receives
 * the first ones into its buffer and reads the others in place. Run it
 * with no argument. */
#include <ipc_shm.h>

#include <stdio.h>
#include <string.h>

#define MESSAGES 1000
#define MAX_MESSAGE 256

static int fail(const char *what, int err) {
  fprintf(stderr, "%s: %s (%s, native %ld)\n", what, ipc_shm_strerror(err),
          ipc_shm_last_native_call(), ipc_shm_last_native_error());
  return 1;
}

static int receiver(void) {
  ipc_shm_t *segment;
  ipc_shm_channel_t *channel;
  char buffer[MAX_MESSAGE];
  unsigned long sum = 0;
  size_t size;
  int i, err = ipc_shm_inherited(&segment, 0);
  if (err == 0)
    err = ipc_shm_channel_attach(&channel, segment, IPC_SHM_CHANNEL_RECEIVER);
  if (err != 0)
    return fail("attach", err);
  ipc_shm_close(segment); /* the channel keeps its own copy */
  for (i = 0; i < MESSAGES && err == 0; i++) { /* copies */
    err = ipc_shm_channel_receive(channel, buffer, sizeof(buffer), &size, 10000);
    if (err == 0)
      sum += (unsigned long)buffer[0];
  }
  for (i = 0; i < MESSAGES && err == 0; i++) { /* in place */
    const void *data;
    err = ipc_shm_channel_peek(channel, &data, &size, 10000);
    if (err == 0) {
      sum += (unsigned long)((const char *)data)[0];
      err = ipc_shm_channel_release(channel);
    }
  }
  if (err != 0)
    return fail("receive", err);
  /* The sender closes once done: the next receive says so. */
  err = ipc_shm_channel_receive(channel, buffer, sizeof(buffer), &size, 10000);
  printf("receiver: %d messages, sum %lu, then %s\n", 2 * MESSAGES, sum, ipc_shm_err_name(err));
  ipc_shm_channel_close(channel);
  return err == IPC_SHM_E_DISCONNECTED ? 0 : 1;
}

int main(int argc, char **argv) {
  ipc_shm_channel_t *channel;
  ipc_shm_process_t *process;
  ipc_shm_inherit_t inherit;
  const char *child_argv[3];
  char message[MAX_MESSAGE];
  int i, err, code = 1;

  if (argc >= 2) /* started by the parent */
    return strcmp(argv[1], "receiver") == 0 ? receiver() : 2;
  err = ipc_shm_channel_create_anonymous(&channel, MAX_MESSAGE, 64 * 1024,
                                         IPC_SHM_CHANNEL_SENDER);
  if (err != 0)
    return fail("create", err);
  memset(&inherit, 0, sizeof(inherit));
  inherit.shm = ipc_shm_channel_segment(channel);
  child_argv[0] = argv[0];
  child_argv[1] = "receiver";
  child_argv[2] = NULL;
  err = ipc_shm_spawn(&process, child_argv, &inherit, 1);
  if (err != 0)
    return fail("spawn", err);

  for (i = 0; i < MESSAGES && err == 0; i++) { /* by copy */
    memset(message, 1, sizeof(message));
    err = ipc_shm_channel_send(channel, message, sizeof(message), 10000);
  }
  for (i = 0; i < MESSAGES && err == 0; i++) { /* written in the ring */
    void *space;
    err = ipc_shm_channel_reserve(channel, 100, &space, 10000);
    if (err == 0) {
      memset(space, 2, 100);
      err = ipc_shm_channel_commit(channel, 100);
    }
  }
  if (err != 0)
    fail("send", err);
  ipc_shm_channel_close(channel);
  ipc_shm_process_wait(process, &code);
  printf("sender: sent %d messages, the receiver ended with %d\n", 2 * MESSAGES, code);
  return err == 0 ? code : 1;
}
