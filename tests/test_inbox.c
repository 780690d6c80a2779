/* SPDX-License-Identifier: MIT */
/* Inboxes: their rules and errors, kinds never confused, many sender
 * processes at once with each sender's order and every byte checked, a
 * sender killed between reserve and commit, the receiver's and the senders'
 * going, and a sender by hand-over. */
#include "handover_util.h"
#include "../src/common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LONG_WAIT_MS 20000
#define MAX_MESSAGE 600u
#define SLOTS 32u
#define SENDERS 16
#if TEST_LINUX
#define PER_SENDER 20000L
#else
#define PER_SENDER 2000L
#endif

/* ---- Messages: the sender, its number, then bytes from both ---- */

static uint32_t mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

static size_t size_of(uint32_t sender, uint32_t n) {
  return 8 + mix(sender * 7919u + n) % (MAX_MESSAGE - 8);
}

static size_t fill(unsigned char *out, uint32_t sender, uint32_t n) {
  size_t i, size = size_of(sender, n);
  uint32_t seed = mix(n ^ (sender << 20));
  memcpy(out, &sender, 4);
  memcpy(out + 4, &n, 4);
  for (i = 8; i < size; i++)
    out[i] = (unsigned char)(seed + i * 13u);
  return size;
}

/* 1 if the message is right for the sender and number it names. */
static int check(const unsigned char *data, size_t size, uint32_t *sender, uint32_t *n) {
  unsigned char expected[MAX_MESSAGE];
  if (size < 8)
    return 0;
  memcpy(sender, data, 4);
  memcpy(n, data + 4, 4);
  if (*sender >= 64 || size != size_of(*sender, *n))
    return 0;
  fill(expected, *sender, *n);
  return memcmp(expected, data, size) == 0;
}

/* ---- Helpers for other processes ---- */

/* inbox-send NAME SENDER COUNT: open NAME ("-": the inherited segment) as
 * a sender, say "ready", wait for a line, send COUNT messages. */
static int helper_inbox_send(char **argv) {
  ipc_shm_inbox_t *inbox;
  uint32_t sender = (uint32_t)atol(argv[1]), n, count = (uint32_t)atol(argv[2]);
  unsigned char message[MAX_MESSAGE];
  char line[16];
  int err;
  if (strcmp(argv[0], "-") == 0) {
    ipc_shm_t *shm;
    err = ipc_shm_inherited(&shm, 0);
    if (err == 0) {
      err = ipc_shm_inbox_attach(&inbox, shm, IPC_SHM_INBOX_SENDER);
      ipc_shm_close(shm);
    }
  } else {
    err = ipc_shm_inbox_open(&inbox, argv[0], IPC_SHM_INBOX_SENDER);
  }
  if (err != 0) {
    printf("attach %s\n", ipc_shm_err_name(err));
    return 1;
  }
  if (strcmp(argv[0], "-") != 0) {
    test_say("ready");
    if (fgets(line, sizeof(line), stdin) == NULL)
      return 1;
  }
  for (n = 0; n < count; n++) {
    size_t size = fill(message, sender, n);
    if (n % 2 == 0) {
      err = ipc_shm_inbox_send(inbox, message, size, LONG_WAIT_MS);
    } else {
      void *space;
      err = ipc_shm_inbox_reserve(inbox, size, &space, LONG_WAIT_MS);
      if (err == 0) {
        memcpy(space, message, size);
        err = ipc_shm_inbox_commit(inbox, size);
      }
    }
    if (err != 0) {
      printf("send %u %s\n", n, ipc_shm_err_name(err));
      return 1;
    }
  }
  ipc_shm_inbox_close(inbox);
  return 0;
}

/* inbox-die NAME: as sender 63, send messages 0..4, reserve a sixth and
 * write half of it, say "ready", and wait to be killed. */
static int helper_inbox_die(char **argv) {
  ipc_shm_inbox_t *inbox;
  unsigned char message[MAX_MESSAGE];
  void *space;
  uint32_t n;
  int err = ipc_shm_inbox_open(&inbox, argv[0], IPC_SHM_INBOX_SENDER);
  for (n = 0; err == 0 && n < 5; n++)
    err = ipc_shm_inbox_send(inbox, message, fill(message, 63, n), LONG_WAIT_MS);
  if (err == 0)
    err = ipc_shm_inbox_reserve(inbox, size_of(63, 5), &space, LONG_WAIT_MS);
  if (err != 0) {
    printf("error %s\n", ipc_shm_err_name(err));
    return 1;
  }
  fill(message, 63, 5);
  memcpy(space, message, size_of(63, 5) / 2);
  test_say("ready");
  test_hold_until_stdin_ends();
  return 0;
}

/* inbox-block NAME: as sender 62, say "ready" and send one message into a
 * full inbox, waiting for room until killed. */
static int helper_inbox_block(char **argv) {
  ipc_shm_inbox_t *inbox;
  unsigned char message[MAX_MESSAGE];
  int err = ipc_shm_inbox_open(&inbox, argv[0], IPC_SHM_INBOX_SENDER);
  if (err != 0) {
    printf("error %s\n", ipc_shm_err_name(err));
    return 1;
  }
  test_say("ready");
  err = ipc_shm_inbox_send(inbox, message, fill(message, 62, 0), LONG_WAIT_MS);
  printf("sent %s\n", ipc_shm_err_name(err));
  return 1; /* it should have been killed */
}

int run_inbox_helper(int argc, char **argv) {
  static const test_helper_mode_t modes[] = {
      {"inbox-block", 1, helper_inbox_block},
      {"inbox-send", 3, helper_inbox_send},
      {"inbox-die", 1, helper_inbox_die},
  };
  return test_dispatch_helper(modes, sizeof(modes) / sizeof(modes[0]), argc, argv);
}

/* ---- Rules ---- */

START_TEST(bad_arguments_and_kinds_are_refused) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_inbox_t *rx, *tx = (ipc_shm_inbox_t *)1, *more[IPC_SHM_INBOX_SENDERS_MAX];
  ipc_shm_topic_t *topic = (ipc_shm_topic_t *)1;
  ipc_shm_channel_t *channel = (ipc_shm_channel_t *)1;
  unsigned char buffer[64];
  const void *data;
  void *space;
  size_t size;
  int i;
  test_resources_t before = test_resources();
  ck_assert_err(ipc_shm_inbox_create_anonymous(NULL, 64, 4, IPC_SHM_INBOX_RECEIVER),
                IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inbox_create_anonymous(&tx, 64, 4, 0), IPC_SHM_E_INVAL);
  ck_assert_ptr_null(tx);
  ck_assert_err(ipc_shm_inbox_create_anonymous(&tx, 64, 4,
                                               IPC_SHM_INBOX_RECEIVER | IPC_SHM_INBOX_SENDER),
                IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inbox_create_anonymous(&tx, 64, 4,
                                               IPC_SHM_INBOX_RECEIVER | IPC_SHM_TOPIC_OVERWRITE),
                IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inbox_create_anonymous(&tx, 0, 4, IPC_SHM_INBOX_SENDER), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inbox_create_anonymous(&tx, 64, 0, IPC_SHM_INBOX_SENDER), IPC_SHM_E_INVAL);

  ck_assert_err(ipc_shm_inbox_create(&rx, test_name(name, "ib"), 64, 4, IPC_SHM_INBOX_RECEIVER),
                0);
  ck_assert_uint_eq(ipc_shm_inbox_max_message(rx), 64);
  /* Never another kind, nor the other way round. */
  ck_assert_err(ipc_shm_topic_open(&topic, name, IPC_SHM_TOPIC_SUBSCRIBER), IPC_SHM_E_WRONG_KIND);
  ck_assert_ptr_null(topic);
  ck_assert_err(ipc_shm_channel_open(&channel, name, IPC_SHM_CHANNEL_SENDER),
                IPC_SHM_E_WRONG_KIND);
  ck_assert_ptr_null(channel);
  ck_assert_err(ipc_shm_topic_create_anonymous(&topic, 64, 4, IPC_SHM_TOPIC_PUBLISHER), 0);
  ck_assert_err(ipc_shm_inbox_attach(&tx, ipc_shm_topic_segment(topic), IPC_SHM_INBOX_SENDER),
                IPC_SHM_E_WRONG_KIND);
  ipc_shm_topic_close(topic);
  /* One receiver; up to 64 senders. */
  ck_assert_err(ipc_shm_inbox_open(&tx, name, IPC_SHM_INBOX_RECEIVER), IPC_SHM_E_EXISTS);
  for (i = 0; i < IPC_SHM_INBOX_SENDERS_MAX; i++)
    ck_assert_err(ipc_shm_inbox_open(&more[i], name, IPC_SHM_INBOX_SENDER), 0);
  ck_assert_err(ipc_shm_inbox_open(&tx, name, IPC_SHM_INBOX_SENDER), IPC_SHM_E_LIMIT);
  for (i = 1; i < IPC_SHM_INBOX_SENDERS_MAX; i++)
    ipc_shm_inbox_close(more[i]);
  tx = more[0];
  /* Each call belongs to one role. */
  ck_assert_err(ipc_shm_inbox_send(rx, "x", 1, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inbox_receive(tx, buffer, sizeof(buffer), &size, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inbox_peek(tx, &data, &size, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inbox_send(tx, "x", 0, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inbox_send(tx, "x", 65, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inbox_commit(tx, 1), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inbox_release(rx), IPC_SHM_E_INVAL);
  /* Dropped reservations are passed over; messages come in order. */
  ck_assert_err(ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, 0), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_inbox_reserve(tx, 8, &space, 0), 0);
  ck_assert_err(ipc_shm_inbox_reserve(tx, 8, &space, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inbox_commit(tx, 9), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inbox_commit(tx, 0), 0);
  ck_assert_err(ipc_shm_inbox_send(tx, "one", 3, 0), 0);
  ck_assert_err(ipc_shm_inbox_send(tx, "two", 3, 0), 0);
  ck_assert_err(ipc_shm_inbox_receive(rx, buffer, 2, &size, 0), IPC_SHM_E_INVAL);
  ck_assert_uint_eq(size, 3); /* it stays for a larger buffer */
  ck_assert_err(ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, 0), 0);
  ck_assert_int_eq(memcmp(buffer, "one", 3), 0);
  ck_assert_err(ipc_shm_inbox_peek(rx, &data, &size, 0), 0);
  ck_assert_int_eq(memcmp(data, "two", 3), 0);
  ck_assert_err(ipc_shm_inbox_release(rx), 0);
  /* Full: a sender waits, then times out holding nothing. */
  for (i = 0; i < 4; i++)
    ck_assert_err(ipc_shm_inbox_send(tx, "full", 4, 0), 0);
  ck_assert_err(ipc_shm_inbox_send(tx, "more", 4, 0), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_inbox_send(tx, "more", 4, 30), IPC_SHM_E_TIMEOUT);
  for (i = 0; i < 4; i++)
    ck_assert_err(ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, 0), 0);
  ck_assert_err(ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, 0), IPC_SHM_E_TIMEOUT);
  /* The senders gone: DISCONNECTED; the receiver gone: DISCONNECTED. */
  ck_assert_err(ipc_shm_inbox_send(tx, "last", 4, 0), 0);
  ck_assert_err(ipc_shm_inbox_close(tx), 0);
  ck_assert_err(ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, 0), 0);
  ck_assert_err(ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, 100),
                IPC_SHM_E_DISCONNECTED);
  ck_assert_err(ipc_shm_inbox_open(&tx, name, IPC_SHM_INBOX_SENDER), 0);
  ck_assert_err(ipc_shm_inbox_close(rx), 0);
  ck_assert_err(ipc_shm_inbox_send(tx, "gone", 4, 0), IPC_SHM_E_DISCONNECTED);
  ck_assert_err(ipc_shm_inbox_close(tx), 0);
  test_remove_name(name);
  ck_assert_no_leak(before);
}
END_TEST

/* ---- Across processes ---- */

START_TEST(many_senders_each_arrive_in_order) {
  char name[IPC_SHM_NAME_MAX + 1], sender_text[SENDERS][8], count_text[16];
  test_proc_t *procs[SENDERS];
  ipc_shm_inbox_t *rx;
  uint32_t next[SENDERS];
  unsigned char buffer[MAX_MESSAGE];
  long total = 0;
  int i;
  ck_assert_err(ipc_shm_inbox_create(&rx, test_name(name, "im"), MAX_MESSAGE, SLOTS,
                                     IPC_SHM_INBOX_RECEIVER),
                0);
  snprintf(count_text, sizeof(count_text), "%ld", PER_SENDER);
  for (i = 0; i < SENDERS; i++) {
    const char *argv[] = {"helper", "inbox-send", name, sender_text[i], count_text, NULL};
    snprintf(sender_text[i], sizeof(sender_text[i]), "%d", i);
    procs[i] = test_proc_start("ipcshm_tests", argv);
    test_expect_line(procs[i], "ready");
    next[i] = 0;
  }
  for (i = 0; i < SENDERS; i++) /* all at once */
    test_proc_write(procs[i], "go\n", 3);
  while (total < SENDERS * PER_SENDER) {
    uint32_t sender, n;
    size_t size;
    int err;
    if (total % 3 == 0) {
      const void *data;
      err = ipc_shm_inbox_peek(rx, &data, &size, LONG_WAIT_MS);
      ck_assert_err(err, 0);
      ck_assert_msg(check((const unsigned char *)data, size, &sender, &n), "a torn message");
      ck_assert_err(ipc_shm_inbox_release(rx), 0);
    } else {
      err = ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, LONG_WAIT_MS);
      ck_assert_err(err, 0);
      ck_assert_msg(check(buffer, size, &sender, &n), "a torn message");
    }
    ck_assert_uint_lt(sender, SENDERS);
    ck_assert_msg(n == next[sender], "sender %u: message %u where %u was due", sender, n,
                  next[sender]);
    next[sender]++;
    total++;
  }
  for (i = 0; i < SENDERS; i++)
    ck_assert_int_eq(test_proc_wait(procs[i]), 0);
  {
    size_t size;
    ck_assert_err(ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, 1000),
                  IPC_SHM_E_DISCONNECTED);
  }
  ipc_shm_inbox_close(rx);
  test_remove_name(name);
}
END_TEST

/* Take what is there (each receive waits up to 100 ms), counting each
 * sender's messages and checking their order. */
static void drain(ipc_shm_inbox_t *rx, uint32_t *from_dead, uint32_t *from_live) {
  unsigned char buffer[MAX_MESSAGE];
  uint32_t sender, n;
  size_t size;
  while (ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, 100) == 0) {
    ck_assert_msg(check(buffer, size, &sender, &n), "a torn message");
    if (sender == 63)
      ck_assert_uint_eq(n, (*from_dead)++);
    else
      ck_assert_uint_eq(n, (*from_live)++);
  }
}

START_TEST(a_sender_killed_mid_message_holds_nobody_back) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_inbox_t *rx, *tx;
  unsigned char buffer[MAX_MESSAGE];
  uint32_t n, from_dead = 0, from_live = 0;
  test_proc_t *proc;
  ck_assert_err(ipc_shm_inbox_create(&rx, test_name(name, "ik"), MAX_MESSAGE, 8,
                                     IPC_SHM_INBOX_RECEIVER),
                0);
  {
    const char *argv[] = {"helper", "inbox-die", name, NULL};
    proc = test_proc_start("ipcshm_tests", argv);
    test_expect_line(proc, "ready");
  }
  /* A live sender goes on behind the dead one's reservation: more than the
   * slots, so that only passing it makes room. */
  ck_assert_err(ipc_shm_inbox_open(&tx, name, IPC_SHM_INBOX_SENDER), 0);
  for (n = 0; n < 2; n++)
    ck_assert_err(ipc_shm_inbox_send(tx, buffer, fill(buffer, 1, n), 0), 0);
  test_proc_kill(proc);
  ck_assert_int_ne(test_proc_wait(proc), 0);
  for (n = 2; n < 20; n++) {
    drain(rx, &from_dead, &from_live);
    ck_assert_err(ipc_shm_inbox_send(tx, buffer, fill(buffer, 1, n), 0), 0);
  }
  drain(rx, &from_dead, &from_live);
  ck_assert_uint_eq(from_dead, 5); /* never the half-written sixth */
  ck_assert_uint_eq(from_live, 20);
  ipc_shm_inbox_close(tx);
  ipc_shm_inbox_close(rx);
  test_remove_name(name);
}
END_TEST

/* A sender killed while it waits for room, holding its place in the
 * order: the receiver passes over the place once it gets there. */
START_TEST(a_sender_killed_waiting_for_room_holds_nobody_back) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_inbox_t *rx, *tx;
  unsigned char buffer[MAX_MESSAGE];
  uint32_t n, from_dead = 0, from_live = 0;
  test_proc_t *proc;
  ck_assert_err(ipc_shm_inbox_create(&rx, test_name(name, "iw"), MAX_MESSAGE, 4,
                                     IPC_SHM_INBOX_RECEIVER),
                0);
  ck_assert_err(ipc_shm_inbox_open(&tx, name, IPC_SHM_INBOX_SENDER), 0);
  for (n = 0; n < 4; n++) /* full */
    ck_assert_err(ipc_shm_inbox_send(tx, buffer, fill(buffer, 1, n), 0), 0);
  {
    const char *argv[] = {"helper", "inbox-block", name, NULL};
    proc = test_proc_start("ipcshm_tests", argv);
    test_expect_line(proc, "ready");
  }
  test_sleep_ms(200); /* it has taken its place and waits (the test passes either way) */
  test_proc_kill(proc);
  ck_assert_int_ne(test_proc_wait(proc), 0);
  for (n = 4; n < 12; n++) {
    drain(rx, &from_dead, &from_live);
    ck_assert_err(ipc_shm_inbox_send(tx, buffer, fill(buffer, 1, n), 0), 0);
  }
  drain(rx, &from_dead, &from_live);
  ck_assert_uint_eq(from_dead, 0);
  ck_assert_uint_eq(from_live, 12);
  ipc_shm_inbox_close(tx);
  ipc_shm_inbox_close(rx);
  test_remove_name(name);
}
END_TEST

START_TEST(a_sender_by_inheritance) {
  char path[1200];
  ipc_shm_inbox_t *rx;
  ipc_shm_inherit_t entry;
  ipc_shm_process_t *child;
  unsigned char buffer[MAX_MESSAGE];
  uint32_t sender, n;
  size_t size;
  int code = -1;
  const char *argv[] = {path, "helper", "inbox-send", "-", "5", "3", NULL};
  helper_path(path, sizeof(path));
  ck_assert_err(ipc_shm_inbox_create_anonymous(&rx, MAX_MESSAGE, 4, IPC_SHM_INBOX_RECEIVER), 0);
  memset(&entry, 0, sizeof(entry));
  entry.shm = ipc_shm_inbox_segment(rx);
  ck_assert_err(ipc_shm_spawn(&child, argv, &entry, 1), 0);
  for (n = 0; n < 3; n++) {
    uint32_t got;
    ck_assert_err(ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, LONG_WAIT_MS), 0);
    ck_assert(check(buffer, size, &sender, &got));
    ck_assert_uint_eq(sender, 5);
    ck_assert_uint_eq(got, n);
  }
  ck_assert_err(ipc_shm_process_wait(child, &code), 0);
  ck_assert_int_eq(code, 0);
  ck_assert_err(ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, 2000),
                IPC_SHM_E_DISCONNECTED);
  ipc_shm_inbox_close(rx);
}
END_TEST

void add_inbox_cases(Suite *suite) {
  TCase *tc = tcase_create("inbox");
  tcase_add_test(tc, bad_arguments_and_kinds_are_refused);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);

  tc = tcase_create("inbox_processes");
  tcase_add_test(tc, many_senders_each_arrive_in_order);
  tcase_add_test(tc, a_sender_killed_mid_message_holds_nobody_back);
  tcase_add_test(tc, a_sender_killed_waiting_for_room_holds_nobody_back);
  tcase_add_test(tc, a_sender_by_inheritance);
  tcase_set_timeout(tc, 240);
  suite_add_tcase(suite, tc);
}
