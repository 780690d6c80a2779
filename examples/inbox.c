/* SPDX-License-Identifier: MIT */
/* An inbox with four senders: each child sends its numbered messages, some
 * by copy and some written straight into a slot; the parent receives them
 * all and checks that each sender's arrive in its order. The children say
 * they are attached through a semaphore: the receiver hears DISCONNECTED
 * once every sender that came has gone, so all must have come. Run it with
 * no argument. */
#include <ipc_shm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SENDERS 4
#define MESSAGES 5000

static int fail(const char *what, int err) {
  fprintf(stderr, "%s: %s (%s, native %ld)\n", what, ipc_shm_strerror(err),
          ipc_shm_last_native_call(), ipc_shm_last_native_error());
  return 1;
}

/* A message: who sent it, and its number. */
typedef struct note {
  int sender;
  long number;
} note_t;

static int sender(int me) {
  ipc_shm_t *segment;
  ipc_shm_semaphore_t *attached;
  ipc_shm_inbox_t *inbox;
  note_t note;
  int err = ipc_shm_inherited(&segment, 0);
  if (err == 0)
    err = ipc_shm_semaphore_inherited(&attached, 1);
  if (err == 0)
    err = ipc_shm_inbox_attach(&inbox, segment, IPC_SHM_INBOX_SENDER);
  if (err != 0)
    return fail("attach", err);
  ipc_shm_close(segment); /* the inbox keeps its own copy */
  ipc_shm_semaphore_post(attached);
  ipc_shm_semaphore_close(attached);
  note.sender = me;
  for (note.number = 0; note.number < MESSAGES && err == 0; note.number++) {
    if (note.number % 2 == 0) { /* by copy */
      err = ipc_shm_inbox_send(inbox, &note, sizeof(note), 10000);
    } else { /* written in the slot */
      void *space;
      err = ipc_shm_inbox_reserve(inbox, sizeof(note), &space, 10000);
      if (err == 0) {
        memcpy(space, &note, sizeof(note));
        err = ipc_shm_inbox_commit(inbox, sizeof(note));
      }
    }
  }
  ipc_shm_inbox_close(inbox);
  return err == 0 ? 0 : fail("send", err);
}

int main(int argc, char **argv) {
  ipc_shm_inbox_t *inbox;
  ipc_shm_semaphore_t *attached;
  ipc_shm_process_t *children[SENDERS];
  ipc_shm_inherit_t inherit[2];
  const char *child_argv[3];
  char which[SENDERS][8];
  long next[SENDERS] = {0}, received = 0;
  int i, err, failed = 0;

  if (argc >= 2) /* started by the parent */
    return sender(atoi(argv[1]));
  /* 64 slots of up to 64 bytes; four senders, one receiver. */
  err = ipc_shm_inbox_create_anonymous(&inbox, 64, 64, IPC_SHM_INBOX_RECEIVER);
  if (err == 0)
    err = ipc_shm_semaphore_create_anonymous(&attached, 0, SENDERS, 0);
  if (err != 0)
    return fail("create", err);
  memset(inherit, 0, sizeof(inherit));
  inherit[0].shm = ipc_shm_inbox_segment(inbox);
  inherit[1].semaphore = attached;
  child_argv[0] = argv[0];
  child_argv[2] = NULL;
  for (i = 0; i < SENDERS; i++) {
    snprintf(which[i], sizeof(which[i]), "%d", i);
    child_argv[1] = which[i];
    err = ipc_shm_spawn(&children[i], child_argv, inherit, 2);
    if (err != 0)
      return fail("spawn", err);
  }
  for (i = 0; i < SENDERS && err == 0; i++)
    err = ipc_shm_semaphore_wait(attached, 10000);
  if (err != 0)
    return fail("wait for the senders", err);
  ipc_shm_semaphore_close(attached);
  for (;;) {
    note_t note;
    size_t size;
    err = ipc_shm_inbox_receive(inbox, &note, sizeof(note), &size, 10000);
    if (err != 0)
      break;
    if (note.sender < 0 || note.sender >= SENDERS || note.number != next[note.sender]) {
      fprintf(stderr, "receiver: sender %d's message %ld out of order\n", note.sender,
              note.number);
      return 1;
    }
    next[note.sender]++;
    received++;
  }
  /* Once every sender has closed: DISCONNECTED. */
  for (i = 0; i < SENDERS; i++) {
    int code = 1;
    ipc_shm_process_wait(children[i], &code);
    failed += code != 0;
  }
  printf("receiver: %ld messages from %d senders, each in its order, then %s\n", received,
         SENDERS, ipc_shm_err_name(err));
  ipc_shm_inbox_close(inbox);
  return err == IPC_SHM_E_DISCONNECTED && received == (long)SENDERS * MESSAGES && failed == 0
             ? 0
             : 1;
}
