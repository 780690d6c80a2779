/* SPDX-License-Identifier: MIT */
/* One thread waits for two things at once: a message on a channel, or the
 * order to stop (an event). The child, which inherited the channel's
 * segment and the events, sends three messages and then sets `stop`; the
 * parent takes the messages as they come, ends at the order and sets
 * `done`. Run it with no argument. */
#include <ipc_shm.h>

#include <stdio.h>
#include <string.h>

#define MESSAGES 3

static int fail(const char *what, int err) {
  fprintf(stderr, "%s: %s (%s, native %ld)\n", what, ipc_shm_strerror(err),
          ipc_shm_last_native_call(), ipc_shm_last_native_error());
  return 1;
}

static int child(void) {
  ipc_shm_t *segment;
  ipc_shm_channel_t *sender;
  ipc_shm_event_t *stop, *done;
  int i, err = ipc_shm_inherited(&segment, 0);
  if (err == 0)
    err = ipc_shm_event_inherited(&stop, 1);
  if (err == 0)
    err = ipc_shm_event_inherited(&done, 2);
  if (err == 0)
    err = ipc_shm_channel_attach(&sender, segment, IPC_SHM_CHANNEL_SENDER);
  if (err != 0)
    return fail("child", err);
  for (i = 0; i < MESSAGES && err == 0; i++) {
    char text[32];
    snprintf(text, sizeof(text), "reading %d", 20 + i);
    err = ipc_shm_channel_send(sender, text, strlen(text) + 1, 10000);
  }
  if (err == 0)
    err = ipc_shm_event_set(stop);
  /* Stay until the parent is done: leaving would make the channel
   * readable too (the sender gone). */
  if (err == 0)
    err = ipc_shm_event_wait(done, 10000);
  if (err != 0)
    return fail("child", err);
  ipc_shm_channel_close(sender);
  ipc_shm_event_close(stop);
  ipc_shm_event_close(done);
  ipc_shm_close(segment);
  return 0;
}

/* Take messages until the order to stop comes. */
static int consume(ipc_shm_channel_t *receiver, ipc_shm_event_t *stop) {
  int received = 0;
  for (;;) {
    ipc_shm_wait_item_t items[2] = {
        {IPC_SHM_WAIT_READABLE, receiver, 0}, /* a message from the producer */
        {IPC_SHM_WAIT_EVENT, stop, 0},        /* or the order to stop */
    };
    size_t ready;
    int err = ipc_shm_wait_any(items, 2, IPC_SHM_FOREVER, &ready);
    if (err != 0)
      return fail("wait", err);
    if (ready == 1) {
      /* The items are looked at one after another: messages sent before
       * the order may have come after the look at the channel. */
      char text[64];
      size_t size;
      while (ipc_shm_channel_receive(receiver, text, sizeof(text), &size, 0) == 0) {
        printf("parent: %s\n", text);
        received++;
      }
      break;
    }
    {
      char text[64];
      size_t size;
      err = ipc_shm_channel_receive(receiver, text, sizeof(text), &size, 0);
      if (err != 0)
        return fail("receive", err);
      printf("parent: %s\n", text);
      received++;
    }
  }
  printf("parent: %d messages, then the order to stop\n", received);
  return received == MESSAGES ? 0 : 1;
}

int main(int argc, char **argv) {
  ipc_shm_channel_t *receiver;
  ipc_shm_event_t *stop, *done;
  ipc_shm_process_t *process;
  const char *child_argv[3];
  ipc_shm_inherit_t inherit[3];
  int err, code = 1;

  if (argc >= 2) /* started by the parent */
    return strcmp(argv[1], "child") == 0 ? child() : 2;
  err = ipc_shm_channel_create_anonymous(&receiver, 64, 4096, IPC_SHM_CHANNEL_RECEIVER);
  if (err == 0)
    err = ipc_shm_event_create_anonymous(&stop, 0);
  if (err == 0)
    err = ipc_shm_event_create_anonymous(&done, 0);
  if (err != 0)
    return fail("parent", err);

  memset(inherit, 0, sizeof(inherit));
  inherit[0].shm = ipc_shm_channel_segment(receiver);
  inherit[1].event = stop;
  inherit[2].event = done;
  child_argv[0] = argv[0];
  child_argv[1] = "child";
  child_argv[2] = NULL;
  err = ipc_shm_spawn(&process, child_argv, inherit, 3);
  if (err != 0)
    return fail("spawn", err);

  err = consume(receiver, stop);
  ipc_shm_event_set(done);
  if (ipc_shm_process_wait(process, &code) != 0 || code != 0)
    err = 1;
  ipc_shm_channel_close(receiver);
  ipc_shm_event_close(stop);
  ipc_shm_event_close(done);
  return err;
}
