/* SPDX-License-Identifier: MIT */
/* ipc-shm channel create, send, recv and info. */
#include "tool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A failure of `channel ACTION NAME`. */
static int fail(const struct channel_options *opt, int err) {
  char command[32];
  snprintf(command, sizeof(command), "channel %s", opt->action);
  if (err == IPC_SHM_E_TIMEOUT) {
    fprintf(stderr, "ipc-shm: %s %s: timed out\n", command, opt->name);
    return EXIT_TIMED_OUT;
  }
  return ipc_shm_tool_fail(command, opt->name, err);
}

static unsigned flags_of(const struct channel_options *opt, unsigned role) {
  return role | (opt->global ? IPC_SHM_GLOBAL : 0u);
}

static int cmd_create(const struct channel_options *opt) {
  ipc_shm_channel_t *channel;
  ipc_shm_t *kept = NULL;
  unsigned flags = flags_of(opt, IPC_SHM_CHANNEL_RECEIVER) |
                   (opt->perms_given ? IPC_SHM_PERMS(opt->perms) : 0u);
  int err;
  if (opt->max_message > (uint64_t)SIZE_MAX || opt->capacity > (uint64_t)SIZE_MAX)
    return fail(opt, IPC_SHM_E_INVAL);
  /* Made as the receiver, which leaves at once: a receiver that has left
   * is one a sender fills the ring for, and a receiver that comes later
   * waits for a sender; so both may come, in either order. Held, the
   * segment stays open here without a role. */
  err = ipc_shm_channel_create(&channel, opt->name, (size_t)opt->max_message,
                               (size_t)opt->capacity, flags);
  if (err == 0 && opt->hold) {
    err = ipc_shm_open(&kept, opt->name, opt->global ? IPC_SHM_GLOBAL : 0u);
    if (err != 0) {
      (void)ipc_shm_channel_close(channel);
      (void)ipc_shm_remove(opt->name, opt->global ? IPC_SHM_GLOBAL : 0u);
    }
  }
  if (err != 0)
    return fail(opt, err);
  (void)ipc_shm_channel_close(channel);
  if (!opt->hold) {
    ipc_shm_tool_note_vanishing("channel");
    return EXIT_SUCCESS;
  }
  ipc_shm_tool_hold();
  (void)ipc_shm_close(kept);
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    (void)ipc_shm_remove(opt->name, opt->global ? IPC_SHM_GLOBAL : 0u);
  return EXIT_SUCCESS;
}

/* Send one message, by copy or written in the ring. */
static int send_one(void *object, const void *data, size_t size, const void *options) {
  ipc_shm_channel_t *channel = (ipc_shm_channel_t *)object;
  const struct channel_options *opt = (const struct channel_options *)options;
  void *space;
  int err;
  if (!opt->zero_copy)
    return ipc_shm_channel_send(channel, data, size, opt->timeout_ms);
  err = ipc_shm_channel_reserve(channel, size, &space, opt->timeout_ms);
  if (err != 0)
    return err;
  memcpy(space, data, size);
  return ipc_shm_channel_commit(channel, size);
}

/* send NAME [MESSAGE]: the argument, or all of standard input, as one
 * message; with --lines each line of standard input. */
static int cmd_send(const struct channel_options *opt) {
  ipc_shm_channel_t *channel;
  size_t max;
  int err = ipc_shm_channel_open(&channel, opt->name, flags_of(opt, IPC_SHM_CHANNEL_SENDER));
  if (err != 0)
    return fail(opt, err);
  max = ipc_shm_channel_max_message(channel);
  err = ipc_shm_tool_send_input(send_one, channel, opt, max);
  if (err == IPC_SHM_E_INVAL)
    fprintf(stderr, "ipc-shm: channel send %s: a message is 1 to %zu bytes\n", opt->name, max);
  else if (err != 0)
    (void)fail(opt, err);
  (void)ipc_shm_channel_close(channel);
  return err == IPC_SHM_E_TIMEOUT ? EXIT_TIMED_OUT : err != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* recv NAME: --count messages (0: until the sender is gone) to standard
 * output, each followed by a newline with --lines. */
static int cmd_recv(const struct channel_options *opt) {
  ipc_shm_channel_t *channel;
  unsigned char *buffer = NULL;
  uint64_t taken = 0;
  size_t size, max;
  int output_failed = 0;
  int err = ipc_shm_channel_open(&channel, opt->name, flags_of(opt, IPC_SHM_CHANNEL_RECEIVER));
  if (err != 0)
    return fail(opt, err);
  max = ipc_shm_channel_max_message(channel);
  if (!opt->zero_copy && (buffer = (unsigned char *)malloc(max)) == NULL)
    err = IPC_SHM_E_NO_MEMORY;
  while (err == 0 && (opt->count == 0 || taken < opt->count)) {
    if (opt->zero_copy) {
      const void *data;
      err = ipc_shm_channel_peek(channel, &data, &size, opt->timeout_ms);
      output_failed = err == 0 && ipc_shm_tool_put_message("channel recv", opt, data, size) != 0;
      if (err == 0)
        err = ipc_shm_channel_release(channel);
    } else {
      err = ipc_shm_channel_receive(channel, buffer, max, &size, opt->timeout_ms);
      output_failed = err == 0 && ipc_shm_tool_put_message("channel recv", opt, buffer, size) != 0;
    }
    if (output_failed)
      break;
    taken += err == 0;
  }
  free(buffer);
  (void)ipc_shm_channel_close(channel);
  /* Until the sender is gone: its going is the end, not a failure. */
  if (err == IPC_SHM_E_DISCONNECTED && opt->count == 0)
    return EXIT_SUCCESS;
  if (output_failed)
    return EXIT_FAILURE;
  return err == 0 ? EXIT_SUCCESS : fail(opt, err);
}

static const char *state_text(ipc_shm_peer_state_t state) {
  switch (state) {
  case IPC_SHM_PEER_ALIVE:
    return "alive";
  case IPC_SHM_PEER_LEFT:
    return "left";
  case IPC_SHM_PEER_DEAD:
    return "dead (its process ended without closing)";
  default:
    return "never attached";
  }
}

static void print_role(const char *role, ipc_shm_peer_state_t state, unsigned long pid) {
  if (pid != 0)
    printf("%s: %s, process %lu\n", role, state_text(state), pid);
  else
    printf("%s: %s\n", role, state_text(state));
}

static int cmd_info(const struct channel_options *opt) {
  ipc_shm_channel_status_t status;
  ipc_shm_t *segment;
  int err = ipc_shm_open(&segment, opt->name,
                         IPC_SHM_READONLY | (opt->global ? IPC_SHM_GLOBAL : 0u));
  if (err == 0) {
    err = ipc_shm_channel_status(segment, &status);
    (void)ipc_shm_close(segment);
  }
  if (err != 0)
    return fail(opt, err);
  printf("name: %s\n", opt->name);
  printf("kind: channel\n");
  printf("layout: %u\n", (unsigned)status.layout);
  printf("capacity: %llu\n", (unsigned long long)status.capacity);
  printf("max message: %llu\n", (unsigned long long)status.max_message);
  printf("bytes waiting: %llu\n", (unsigned long long)status.bytes_waiting);
  print_role("sender", status.sender, status.sender_pid);
  print_role("receiver", status.receiver, status.receiver_pid);
  return EXIT_SUCCESS;
}

int ipc_shm_tool_channel(int argc, char **argv) {
  struct channel_options opt;
  const char *reason;
  if (ipc_shm_tool_parse_channel_args(argc, argv, &opt, &reason) != 0)
    return ipc_shm_tool_usage(reason, opt.bad_argument);
  if (strcmp(opt.action, "create") == 0)
    return cmd_create(&opt);
  if (strcmp(opt.action, "send") == 0)
    return cmd_send(&opt);
  if (strcmp(opt.action, "recv") == 0)
    return cmd_recv(&opt);
  return cmd_info(&opt);
}
