/* SPDX-License-Identifier: MIT */
/* A topic with three subscribers: the parent publishes numbered messages,
 * some by copy and some written straight into a slot (a loan); each child
 * gets every one of them, in order, by copy or in place. The children
 * say they are subscribed through a semaphore, so that the first message
 * reaches them all. Run it with no argument. */
#include <ipc_shm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGES 10000
#define SUBSCRIBERS 3

static int fail(const char *what, int err) {
  fprintf(stderr, "%s: %s (%s, native %ld)\n", what, ipc_shm_strerror(err),
          ipc_shm_last_native_call(), ipc_shm_last_native_error());
  return 1;
}

static int subscriber(int in_place) {
  ipc_shm_t *segment;
  ipc_shm_semaphore_t *subscribed;
  ipc_shm_topic_t *topic;
  long expected = 0;
  int err = ipc_shm_inherited(&segment, 0);
  if (err == 0)
    err = ipc_shm_semaphore_inherited(&subscribed, 1);
  if (err == 0)
    err = ipc_shm_topic_attach(&topic, segment, IPC_SHM_TOPIC_SUBSCRIBER);
  if (err != 0)
    return fail("attach", err);
  ipc_shm_close(segment); /* the topic keeps its own copy */
  ipc_shm_semaphore_post(subscribed);
  ipc_shm_semaphore_close(subscribed);
  for (;;) {
    long number;
    if (in_place) {
      const void *data;
      size_t size;
      err = ipc_shm_topic_peek(topic, &data, &size, NULL, 10000);
      if (err != 0)
        break;
      memcpy(&number, data, sizeof(number));
      err = ipc_shm_topic_release(topic);
    } else {
      char buffer[64];
      size_t size;
      err = ipc_shm_topic_receive(topic, buffer, sizeof(buffer), &size, NULL, 10000);
      memcpy(&number, buffer, sizeof(number));
    }
    if (err != 0)
      break;
    if (number != expected++) {
      fprintf(stderr, "subscriber: message %ld where %ld was due\n", number, expected - 1);
      return 1;
    }
  }
  /* The publisher closes once done: the next read says so. */
  printf("subscriber (%s): %ld messages in order, then %s\n", in_place ? "in place" : "copies",
         expected, ipc_shm_err_name(err));
  ipc_shm_topic_close(topic);
  return err == IPC_SHM_E_DISCONNECTED && expected == MESSAGES ? 0 : 1;
}

int main(int argc, char **argv) {
  ipc_shm_topic_t *topic;
  ipc_shm_semaphore_t *subscribed;
  ipc_shm_process_t *children[SUBSCRIBERS];
  ipc_shm_inherit_t inherit[2];
  const char *child_argv[3];
  long number;
  int i, err, failed = 0;

  if (argc >= 2) /* started by the parent */
    return subscriber(strcmp(argv[1], "in-place") == 0);
  /* 64 slots of up to 64 bytes; the publisher waits for the slowest. */
  err = ipc_shm_topic_create_anonymous(&topic, 64, 64, IPC_SHM_TOPIC_PUBLISHER);
  if (err == 0)
    err = ipc_shm_semaphore_create_anonymous(&subscribed, 0, SUBSCRIBERS, 0);
  if (err != 0)
    return fail("create", err);
  memset(inherit, 0, sizeof(inherit));
  inherit[0].shm = ipc_shm_topic_segment(topic);
  inherit[1].semaphore = subscribed;
  child_argv[0] = argv[0];
  child_argv[2] = NULL;
  for (i = 0; i < SUBSCRIBERS; i++) {
    child_argv[1] = i == 0 ? "in-place" : "copies";
    err = ipc_shm_spawn(&children[i], child_argv, inherit, 2);
    if (err != 0)
      return fail("spawn", err);
  }
  for (i = 0; i < SUBSCRIBERS && err == 0; i++)
    err = ipc_shm_semaphore_wait(subscribed, 10000);
  if (err != 0)
    return fail("wait for the subscribers", err);

  for (number = 0; number < MESSAGES && err == 0; number++) {
    if (number % 2 == 0) { /* by copy */
      err = ipc_shm_topic_publish(topic, &number, sizeof(number), 10000);
    } else { /* written in the slot */
      void *space;
      err = ipc_shm_topic_reserve(topic, sizeof(number), &space, 10000);
      if (err == 0) {
        memcpy(space, &number, sizeof(number));
        err = ipc_shm_topic_commit(topic, sizeof(number));
      }
    }
  }
  if (err != 0)
    fail("publish", err);
  ipc_shm_topic_close(topic);
  ipc_shm_semaphore_close(subscribed);
  for (i = 0; i < SUBSCRIBERS; i++) {
    int code = 1;
    ipc_shm_process_wait(children[i], &code);
    failed += code != 0;
  }
  printf("publisher: published %d messages to %d subscribers, %d failed\n", MESSAGES,
         SUBSCRIBERS, failed);
  return err == 0 && failed == 0 ? 0 : 1;
}
