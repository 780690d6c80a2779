/* SPDX-License-Identifier: MIT */
/* ipc-shm topic create, publish and subscribe. */
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A failure of `topic ACTION NAME`. */
static int fail(const struct channel_options *opt, int err) {
  char command[32];
  snprintf(command, sizeof(command), "topic %s", opt->action);
  if (err == IPC_SHM_E_TIMEOUT) {
    fprintf(stderr, "ipc-shm: %s %s: timed out\n", command, opt->name);
    return EXIT_TIMED_OUT;
  }
  return ipc_shm_tool_fail(command, opt->name, err);
}

static unsigned global_of(const struct channel_options *opt) {
  return opt->global ? IPC_SHM_GLOBAL : 0u;
}

static int cmd_create(const struct channel_options *opt) {
  ipc_shm_topic_t *topic;
  ipc_shm_t *kept = NULL;
  unsigned flags = IPC_SHM_TOPIC_SUBSCRIBER | global_of(opt) |
                   (opt->overwrite ? IPC_SHM_TOPIC_OVERWRITE : 0u) |
                   (opt->perms_given ? IPC_SHM_PERMS(opt->perms) : 0u);
  int err;
  if (opt->max_message > (uint64_t)SIZE_MAX)
    return fail(opt, IPC_SHM_E_INVAL);
  /* Made as a subscriber, which leaves at once: publishers and subscribers
   * may then come in either order. Held, the segment stays open here
   * without a role. */
  err = ipc_shm_topic_create(&topic, opt->name, (size_t)opt->max_message, (size_t)opt->slots,
                             flags);
  if (err == 0 && opt->hold) {
    err = ipc_shm_open(&kept, opt->name, global_of(opt));
    if (err != 0) {
      (void)ipc_shm_topic_close(topic);
      (void)ipc_shm_remove(opt->name, global_of(opt));
    }
  }
  if (err != 0)
    return fail(opt, err);
  (void)ipc_shm_topic_close(topic);
  if (!opt->hold) {
    ipc_shm_tool_note_vanishing("topic");
    return EXIT_SUCCESS;
  }
  ipc_shm_tool_hold();
  (void)ipc_shm_close(kept);
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    (void)ipc_shm_remove(opt->name, global_of(opt));
  return EXIT_SUCCESS;
}

/* Publish one message, by copy or written in its slot. */
static int publish_one(void *topic, const void *data, size_t size, const void *options) {
  const struct channel_options *opt = (const struct channel_options *)options;
  void *space;
  int err;
  if (!opt->zero_copy)
    return ipc_shm_topic_publish((ipc_shm_topic_t *)topic, data, size, opt->timeout_ms);
  err = ipc_shm_topic_reserve((ipc_shm_topic_t *)topic, size, &space, opt->timeout_ms);
  if (err != 0)
    return err;
  memcpy(space, data, size);
  return ipc_shm_topic_commit((ipc_shm_topic_t *)topic, size);
}

/* publish NAME [MESSAGE]: the argument, or all of standard input as one
 * message; with --lines each line of standard input. */
static int cmd_publish(const struct channel_options *opt) {
  ipc_shm_topic_t *topic;
  size_t max;
  int err = ipc_shm_topic_open(&topic, opt->name, IPC_SHM_TOPIC_PUBLISHER | global_of(opt));
  if (err != 0)
    return fail(opt, err);
  max = ipc_shm_topic_max_message(topic);
  err = ipc_shm_tool_send_input(publish_one, topic, opt, max);
  if (err == IPC_SHM_E_INVAL)
    fprintf(stderr, "ipc-shm: topic publish %s: a message is 1 to %zu bytes\n", opt->name, max);
  else if (err != 0)
    (void)fail(opt, err);
  (void)ipc_shm_topic_close(topic);
  return err == IPC_SHM_E_TIMEOUT ? EXIT_TIMED_OUT : err != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* subscribe NAME: --count messages (0: until the publisher is gone) to
 * standard output; messages lost on the way are said on standard error. */
static int cmd_subscribe(const struct channel_options *opt) {
  ipc_shm_topic_t *topic;
  unsigned char *buffer = NULL;
  uint64_t taken = 0, lost = 0;
  size_t size, max;
  int output_failed = 0;
  int err = ipc_shm_topic_open(&topic, opt->name,
                               IPC_SHM_TOPIC_SUBSCRIBER | global_of(opt) |
                                   (opt->from_oldest ? IPC_SHM_TOPIC_FROM_OLDEST : 0u));
  if (err != 0)
    return fail(opt, err);
  max = ipc_shm_topic_max_message(topic);
  if (!opt->zero_copy && (buffer = (unsigned char *)malloc(max)) == NULL)
    err = IPC_SHM_E_NO_MEMORY;
  while (err == 0 && (opt->count == 0 || taken < opt->count)) {
    if (opt->zero_copy) {
      const void *data;
      err = ipc_shm_topic_peek(topic, &data, &size, &lost, opt->timeout_ms);
      output_failed = err == 0 && ipc_shm_tool_put_message("topic subscribe", opt, data, size);
      if (err == 0)
        err = ipc_shm_topic_release(topic);
      if (err == IPC_SHM_E_OVERWRITTEN) {
        fprintf(stderr, "ipc-shm: topic subscribe %s: the message above was written over "
                        "while it was read\n", opt->name);
        err = 0;
      }
    } else {
      err = ipc_shm_topic_receive(topic, buffer, max, &size, &lost, opt->timeout_ms);
      output_failed = err == 0 && ipc_shm_tool_put_message("topic subscribe", opt, buffer, size);
    }
    if (err == 0 && lost != 0)
      fprintf(stderr, "ipc-shm: topic subscribe %s: %llu messages lost before this one\n",
              opt->name, (unsigned long long)lost);
    if (output_failed)
      break;
    taken += err == 0;
  }
  free(buffer);
  (void)ipc_shm_topic_close(topic);
  /* Until the publisher is gone: its going is the end, not a failure. */
  if (err == IPC_SHM_E_DISCONNECTED && opt->count == 0)
    return EXIT_SUCCESS;
  if (output_failed)
    return EXIT_FAILURE;
  return err == 0 ? EXIT_SUCCESS : fail(opt, err);
}

int ipc_shm_tool_topic(int argc, char **argv) {
  struct channel_options opt;
  const char *reason;
  if (ipc_shm_tool_parse_channel_args(argc, argv, &opt, &reason) != 0)
    return ipc_shm_tool_usage(reason, opt.bad_argument);
  if (strcmp(opt.action, "create") == 0)
    return cmd_create(&opt);
  if (strcmp(opt.action, "publish") == 0)
    return cmd_publish(&opt);
  return cmd_subscribe(&opt);
}
