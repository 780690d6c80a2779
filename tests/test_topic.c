/* SPDX-License-Identifier: MIT */
/* Topics: their rules and errors, both slow-subscriber policies, joining
 * late, every subscriber getting every message in order across processes
 * (or a correct lost count, never a torn message), deaths of subscribers
 * and of a publisher between reserve and commit, every hand-over route,
 * and a scribbled control area. */
#include "handover_util.h"
#include "../src/common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A wait long enough for any machine, short enough to end a hung test. */
#define LONG_WAIT_MS 20000
#define MAX_MESSAGE 1000u
#define SLOTS 16u
#if TEST_LINUX
#define MESSAGES 1000000L
#else
#define MESSAGES 100000L
#endif

/* ---- Messages anyone can check: their number, then bytes from it ---- */

static uint32_t mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

static size_t size_of_message(uint64_t n) { return 8 + mix((uint32_t)n) % (MAX_MESSAGE - 8); }

static void fill_message(unsigned char *out, uint64_t n) {
  size_t i, size = size_of_message(n);
  uint32_t seed = mix((uint32_t)n ^ 0x5bd1e995u);
  memcpy(out, &n, sizeof(n));
  for (i = 8; i < size; i++)
    out[i] = (unsigned char)(seed + i * 31u);
}

/* The number of a message whose bytes are right for it, or UINT64_MAX. */
static uint64_t number_of(const unsigned char *data, size_t size) {
  unsigned char expected[MAX_MESSAGE];
  uint64_t n;
  if (size < 8)
    return UINT64_MAX;
  memcpy(&n, data, sizeof(n));
  if (size != size_of_message(n))
    return UINT64_MAX;
  fill_message(expected, n);
  return memcmp(expected, data, size) == 0 ? n : UINT64_MAX;
}

static int publish_number(ipc_shm_topic_t *topic, uint64_t n, int zero_copy) {
  unsigned char message[MAX_MESSAGE];
  void *space;
  int err;
  if (!zero_copy) {
    fill_message(message, n);
    return ipc_shm_topic_publish(topic, message, size_of_message(n), LONG_WAIT_MS);
  }
  err = ipc_shm_topic_reserve(topic, size_of_message(n), &space, LONG_WAIT_MS);
  if (err != 0)
    return err;
  fill_message((unsigned char *)space, n);
  return ipc_shm_topic_commit(topic, size_of_message(n));
}

/* ---- Helpers for other processes ---- */

static int attach_by(ipc_shm_topic_t **topic, const char *how, unsigned flags) {
  ipc_shm_t *shm;
  int err;
  if (strcmp(how, "-") != 0)
    return ipc_shm_topic_open(topic, how, flags);
  err = ipc_shm_inherited(&shm, 0);
  if (err == 0) {
    err = ipc_shm_topic_attach(topic, shm, flags);
    ipc_shm_close(shm);
  }
  return err;
}

/* topic-sub NAME MODE: subscribe to NAME ("-": the inherited segment) as
 * MODE says ("copy", "peek", "slow": copies and pauses now and then,
 * "oldest": copies from the oldest kept), say "ready", read until the
 * publisher is gone, checking each message and the order, and say "got G
 * lost L bad B end ERROR". */
static int helper_topic_sub(char **argv) {
  const char *mode = argv[1];
  unsigned flags = IPC_SHM_TOPIC_SUBSCRIBER;
  unsigned char buffer[MAX_MESSAGE];
  ipc_shm_topic_t *topic;
  uint64_t next = UINT64_MAX, got = 0, lost_total = 0, bad = 0, carried = 0;
  char line[160];
  int err;
  if (strcmp(mode, "oldest") == 0)
    flags |= IPC_SHM_TOPIC_FROM_OLDEST;
  err = attach_by(&topic, argv[0], flags);
  if (err != 0) {
    printf("attach %s\n", ipc_shm_err_name(err));
    return 1;
  }
  test_say("ready");
  for (;;) {
    const void *data;
    size_t size;
    uint64_t lost, n;
    if (strcmp(mode, "peek") == 0) {
      err = ipc_shm_topic_peek(topic, &data, &size, &lost, LONG_WAIT_MS);
      if (err != 0)
        break;
      n = number_of((const unsigned char *)data, size);
      err = ipc_shm_topic_release(topic);
      if (err == IPC_SHM_E_OVERWRITTEN) {
        /* Not the message: it comes in the next message's count. */
        carried += lost;
        continue;
      }
      if (err != 0)
        break;
    } else {
      err = ipc_shm_topic_receive(topic, buffer, sizeof(buffer), &size, &lost, LONG_WAIT_MS);
      if (err != 0)
        break;
      n = number_of(buffer, size);
    }
    lost += carried;
    carried = 0;
    lost_total += lost;
    if (n == UINT64_MAX || (next != UINT64_MAX && n != next + lost))
      bad++;
    next = n + 1;
    got++;
    if (strcmp(mode, "slow") == 0 && got % 200 == 0)
      test_sleep_ms(1);
  }
  snprintf(line, sizeof(line), "got %llu lost %llu bad %llu end %s", (unsigned long long)got,
           (unsigned long long)lost_total, (unsigned long long)bad, ipc_shm_err_name(err));
  test_say(line);
  ipc_shm_topic_close(topic);
  return 0;
}

/* topic-die NAME POINT: attach as POINT says, say "ready", and wait to be
 * killed: "subscriber" (subscribed, reading nothing), "peeked" (one
 * message peeked, not released), "reserved" (the publisher: 10 messages
 * published, an 11th reserved and half written). */
static int helper_topic_die(char **argv) {
  ipc_shm_topic_t *topic;
  int err;
  if (strcmp(argv[1], "reserved") == 0) {
    void *space;
    uint64_t n;
    err = ipc_shm_topic_open(&topic, argv[0], IPC_SHM_TOPIC_PUBLISHER);
    for (n = 0; err == 0 && n < 10; n++)
      err = publish_number(topic, n, 0);
    if (err == 0)
      err = ipc_shm_topic_reserve(topic, size_of_message(10), &space, LONG_WAIT_MS);
    if (err == 0)
      memset(space, 0xAB, size_of_message(10) / 2);
  } else {
    int peeked = strcmp(argv[1], "peeked") == 0;
    /* One that peeks takes the oldest kept: it holds the publisher. */
    err = ipc_shm_topic_open(&topic, argv[0],
                             IPC_SHM_TOPIC_SUBSCRIBER | (peeked ? IPC_SHM_TOPIC_FROM_OLDEST : 0));
    if (err == 0 && peeked) {
      const void *data;
      size_t size;
      err = ipc_shm_topic_peek(topic, &data, &size, NULL, LONG_WAIT_MS);
    }
  }
  if (err != 0) {
    printf("error %s\n", ipc_shm_err_name(err));
    return 1;
  }
  test_say("ready");
  test_hold_until_stdin_ends();
  return 0;
}

/* topic-by ROUTE [ARG]: have the topic's segment by ROUTE (import TOKEN,
 * pull TOKEN, inherited, receive LISTENER, push), attach as a subscriber
 * from the oldest kept, and say "got N" for the first message's number, or
 * "error NAME". */
static int helper_topic_by(char **argv) {
  const char *route = argv[0];
  char token[IPC_SHM_TOKEN_MAX + 2], line[64];
  unsigned char buffer[MAX_MESSAGE];
  ipc_shm_conn_t *conn = NULL;
  ipc_shm_topic_t *topic = NULL;
  ipc_shm_t *shm = NULL;
  size_t size;
  int err;
  if (strcmp(route, "push") == 0) {
    if (await_pushed_token(token) != 0)
      return 1;
    route = "import";
  } else if (argv[1] != NULL) {
    snprintf(token, sizeof(token), "%s", argv[1]);
  }
  if (strcmp(route, "import") == 0)
    err = ipc_shm_import(&shm, token);
  else if (strcmp(route, "pull") == 0)
    err = ipc_shm_pull(&shm, token);
  else if (strcmp(route, "inherited") == 0)
    err = ipc_shm_inherited(&shm, 0);
  else {
    err = ipc_shm_connect(&conn, token);
    if (err == 0)
      err = ipc_shm_receive(conn, &shm);
  }
  if (err == 0) {
    err = ipc_shm_topic_attach(&topic, shm, IPC_SHM_TOPIC_SUBSCRIBER | IPC_SHM_TOPIC_FROM_OLDEST);
    ipc_shm_close(shm);
  }
  if (err == 0)
    err = ipc_shm_topic_receive(topic, buffer, sizeof(buffer), &size, NULL, LONG_WAIT_MS);
  if (err == 0)
    snprintf(line, sizeof(line), "got %llu", (unsigned long long)number_of(buffer, size));
  else
    snprintf(line, sizeof(line), "error %s", ipc_shm_err_name(err));
  test_say(line);
  if (topic != NULL)
    ipc_shm_topic_close(topic);
  if (conn != NULL)
    ipc_shm_conn_close(conn);
  return err != 0;
}

/* topic-publish NAME COUNT: open NAME as its publisher, publish messages
 * 0 .. COUNT-1 and close. */
static int helper_topic_publish(char **argv) {
  ipc_shm_topic_t *topic;
  long n, count = atol(argv[1]);
  int err = ipc_shm_topic_open(&topic, argv[0], IPC_SHM_TOPIC_PUBLISHER);
  for (n = 0; err == 0 && n < count; n++)
    err = publish_number(topic, (uint64_t)n, 0);
  if (err != 0) {
    printf("error %s\n", ipc_shm_err_name(err));
    return 1;
  }
  return ipc_shm_topic_close(topic) != 0;
}

int run_topic_helper(int argc, char **argv) {
  static const test_helper_mode_t modes[] = {
      {"topic-publish", 2, helper_topic_publish},
      {"topic-sub", 2, helper_topic_sub},
      {"topic-die", 2, helper_topic_die},
      {"topic-by", -1, helper_topic_by},
  };
  return test_dispatch_helper(modes, sizeof(modes) / sizeof(modes[0]), argc, argv);
}

/* ---- Rules ---- */

START_TEST(bad_arguments_are_refused) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_topic_t *topic = (ipc_shm_topic_t *)1, *sub;
  unsigned char buffer[16];
  const void *data;
  void *space;
  size_t size;
  test_resources_t before = test_resources();
  const unsigned pub = IPC_SHM_TOPIC_PUBLISHER, subscriber = IPC_SHM_TOPIC_SUBSCRIBER;
  ck_assert_err(ipc_shm_topic_create_anonymous(NULL, 64, 4, pub), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_create_anonymous(&topic, 64, 4, 0), IPC_SHM_E_INVAL);
  ck_assert_ptr_null(topic);
  ck_assert_err(ipc_shm_topic_create_anonymous(&topic, 64, 4, pub | subscriber), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_create_anonymous(&topic, 64, 4, pub | 0x8000u), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_create_anonymous(&topic, 64, 4, pub | IPC_SHM_GLOBAL),
                IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_create_anonymous(&topic, 0, 4, pub), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_create_anonymous(&topic, 64, 0, pub), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_create_anonymous(&topic, 64, ((size_t)1 << 20) + 1, pub),
                IPC_SHM_E_INVAL);
#if SIZE_MAX > 0xFFFFFFFFu
  ck_assert_err(ipc_shm_topic_create_anonymous(&topic, (size_t)IPC_SHM_TOPIC_MESSAGE_MAX + 1, 4,
                                               pub),
                IPC_SHM_E_INVAL);
#endif
  ck_assert_err(ipc_shm_topic_create_anonymous(&topic, 0xFFFFFFFFu, (size_t)1 << 20, pub),
                IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_create(&topic, "bad/name", 64, 4, pub), IPC_SHM_E_NAME_INVALID);
  ck_assert_err(ipc_shm_topic_open(&topic, test_name(name, "tn"), pub), IPC_SHM_E_NOT_FOUND);
  ck_assert_err(ipc_shm_topic_attach(&topic, NULL, pub), IPC_SHM_E_INVAL);

  /* Each call belongs to one role. */
  ck_assert_err(ipc_shm_topic_create_anonymous(&topic, 64, 3, pub), 0);
  ck_assert_uint_eq(ipc_shm_topic_max_message(topic), 64);
  ck_assert_err(ipc_shm_topic_attach(&sub, ipc_shm_topic_segment(topic), subscriber), 0);
  ck_assert_err(ipc_shm_topic_receive(topic, buffer, sizeof(buffer), &size, NULL, 0),
                IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_peek(topic, &data, &size, NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_release(topic), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_publish(sub, "x", 1, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_reserve(sub, 1, &space, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_commit(sub, 1), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_publish(topic, "x", 0, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_publish(topic, "x", 65, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_publish(topic, NULL, 1, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_publish(topic, "x", 1, -5), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_commit(topic, 1), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_reserve(topic, 8, &space, 0), 0);
  ck_assert_err(ipc_shm_topic_reserve(topic, 8, &space, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_commit(topic, 9), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_commit(topic, 0), 0); /* dropped */
  ck_assert_err(ipc_shm_topic_receive(sub, buffer, sizeof(buffer), &size, NULL, 0),
                IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_topic_publish(topic, "0123456789abcdefXYZ", 19, 0), 0);
  ck_assert_err(ipc_shm_topic_receive(sub, buffer, sizeof(buffer), &size, NULL, 0),
                IPC_SHM_E_INVAL);
  ck_assert_uint_eq(size, 19); /* too large for the buffer: stays */
  ck_assert_err(ipc_shm_topic_receive(sub, NULL, 0, &size, NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_peek(sub, &data, &size, NULL, 0), 0);
  ck_assert_uint_eq(size, 19);
  ck_assert_int_eq(memcmp(data, "0123456789abcdefXYZ", 19), 0);
  ck_assert_err(ipc_shm_topic_peek(sub, &data, &size, NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_receive(sub, buffer, sizeof(buffer), &size, NULL, 0),
                IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_release(sub), 0);
  ck_assert_err(ipc_shm_topic_release(sub), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_close(NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_topic_close(sub), 0);
  ck_assert_err(ipc_shm_topic_close(topic), 0);
  ck_assert_no_leak(before);
}
END_TEST

START_TEST(kinds_and_roles_are_never_confused) {
  char name[IPC_SHM_NAME_MAX + 1], other[IPC_SHM_NAME_MAX + 1];
  ipc_shm_topic_t *topic, *second = (ipc_shm_topic_t *)1, *subs[IPC_SHM_TOPIC_SUBSCRIBERS_MAX];
  ipc_shm_channel_t *channel = (ipc_shm_channel_t *)1;
  ipc_shm_t *plain;
  int i;
  ck_assert_err(ipc_shm_topic_create(&topic, test_name(name, "tk"), 32, 4,
                                     IPC_SHM_TOPIC_PUBLISHER),
                0);
  /* A topic is not a channel, nor the other way round. */
  ck_assert_err(ipc_shm_channel_open(&channel, name, IPC_SHM_CHANNEL_RECEIVER),
                IPC_SHM_E_WRONG_KIND);
  ck_assert_ptr_null(channel);
  ck_assert_err(ipc_shm_channel_create(&channel, test_name(other, "tc"), 32, 4096,
                                       IPC_SHM_CHANNEL_SENDER),
                0);
  ck_assert_err(ipc_shm_topic_open(&second, other, IPC_SHM_TOPIC_SUBSCRIBER),
                IPC_SHM_E_WRONG_KIND);
  ck_assert_ptr_null(second);
  ipc_shm_channel_close(channel);
  test_remove_name(other);
  /* A plain segment, zeroed or too small, is not a topic either. */
  ck_assert_err(ipc_shm_create(&plain, test_name(other, "tp"), 64 * 1024, 0), 0);
  ck_assert_err(ipc_shm_topic_attach(&second, plain, IPC_SHM_TOPIC_SUBSCRIBER),
                IPC_SHM_E_WRONG_KIND);
  ipc_shm_close(plain);
  test_remove_name(other);
  /* One publisher; up to IPC_SHM_TOPIC_SUBSCRIBERS_MAX subscribers. */
  ck_assert_err(ipc_shm_topic_open(&second, name, IPC_SHM_TOPIC_PUBLISHER), IPC_SHM_E_EXISTS);
  for (i = 0; i < IPC_SHM_TOPIC_SUBSCRIBERS_MAX; i++)
    ck_assert_err(ipc_shm_topic_open(&subs[i], name, IPC_SHM_TOPIC_SUBSCRIBER), 0);
  ck_assert_err(ipc_shm_topic_open(&second, name, IPC_SHM_TOPIC_SUBSCRIBER), IPC_SHM_E_LIMIT);
  /* A slot closed is free again. */
  ipc_shm_topic_close(subs[17]);
  ck_assert_err(ipc_shm_topic_open(&subs[17], name, IPC_SHM_TOPIC_SUBSCRIBER), 0);
  ck_assert_err(ipc_shm_topic_publish(topic, "all", 3, 0), 0);
  for (i = 0; i < IPC_SHM_TOPIC_SUBSCRIBERS_MAX; i++) {
    char buffer[8];
    size_t size;
    ck_assert_err(ipc_shm_topic_receive(subs[i], buffer, sizeof(buffer), &size, NULL, 0), 0);
    ck_assert_uint_eq(size, 3);
    if (i != 0)
      ipc_shm_topic_close(subs[i]);
  }
  /* A publisher that left may be followed by another (a subscriber keeps
   * the name alive where names live as long as their handles). */
  ipc_shm_topic_close(topic);
  ck_assert_err(ipc_shm_topic_open(&topic, name, IPC_SHM_TOPIC_PUBLISHER), 0);
  ipc_shm_topic_close(topic);
  ipc_shm_topic_close(subs[0]);
  test_remove_name(name);
}
END_TEST

START_TEST(a_blocking_topic_waits_for_the_slowest) {
  ipc_shm_topic_t *pub, *fast, *slow;
  unsigned char buffer[MAX_MESSAGE];
  size_t size;
  uint64_t n, lost;
  ck_assert_err(ipc_shm_topic_create_anonymous(&pub, MAX_MESSAGE, SLOTS,
                                               IPC_SHM_TOPIC_PUBLISHER),
                0);
  /* With nobody subscribed, nothing holds the publisher. */
  for (n = 0; n < 3 * SLOTS; n++)
    ck_assert_err(publish_number(pub, n, (int)(n & 1)), 0);
  ck_assert_err(ipc_shm_topic_attach(&fast, ipc_shm_topic_segment(pub), IPC_SHM_TOPIC_SUBSCRIBER),
                0);
  ck_assert_err(ipc_shm_topic_attach(&slow, ipc_shm_topic_segment(pub), IPC_SHM_TOPIC_SUBSCRIBER),
                0);
  /* The slots fill for the slowest; then the publisher waits. */
  for (n = 3 * SLOTS; n < 4 * SLOTS; n++)
    ck_assert_err(publish_number(pub, n, 0), 0);
  ck_assert_err(ipc_shm_topic_publish(pub, "x", 1, 0), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_topic_publish(pub, "x", 1, 30), IPC_SHM_E_TIMEOUT);
  for (n = 3 * SLOTS; n < 4 * SLOTS; n++) {
    ck_assert_err(ipc_shm_topic_receive(fast, buffer, sizeof(buffer), &size, &lost, 0), 0);
    ck_assert_uint_eq(number_of(buffer, size), n);
    ck_assert_uint_eq(lost, 0);
  }
  ck_assert_err(ipc_shm_topic_publish(pub, "x", 1, 0), IPC_SHM_E_TIMEOUT);
  /* The slow one reads in place: each message it holds stays whole. */
  {
    const void *data;
    ck_assert_err(ipc_shm_topic_peek(slow, &data, &size, &lost, 0), 0);
    ck_assert_uint_eq(number_of((const unsigned char *)data, size), 3 * SLOTS);
    ck_assert_err(ipc_shm_topic_publish(pub, "x", 1, 0), IPC_SHM_E_TIMEOUT);
    ck_assert_err(ipc_shm_topic_release(slow), 0);
  }
  ck_assert_err(publish_number(pub, 4 * SLOTS, 1), 0);
  ck_assert_err(ipc_shm_topic_publish(pub, "x", 1, 0), IPC_SHM_E_TIMEOUT);
  /* A subscriber that leaves holds nobody back. */
  ck_assert_err(ipc_shm_topic_close(slow), 0);
  ck_assert_err(ipc_shm_topic_receive(fast, buffer, sizeof(buffer), &size, &lost, 0), 0);
  ck_assert_uint_eq(number_of(buffer, size), 4 * SLOTS);
  ck_assert_err(publish_number(pub, 4 * SLOTS + 1, 0), 0);
  /* The publisher leaves: what it committed is read, then DISCONNECTED. */
  ck_assert_err(ipc_shm_topic_close(pub), 0);
  ck_assert_err(ipc_shm_topic_receive(fast, buffer, sizeof(buffer), &size, &lost, 0), 0);
  ck_assert_uint_eq(number_of(buffer, size), 4 * SLOTS + 1);
  ck_assert_err(ipc_shm_topic_receive(fast, buffer, sizeof(buffer), &size, &lost, 1000),
                IPC_SHM_E_DISCONNECTED);
  ipc_shm_topic_close(fast);
}
END_TEST

START_TEST(an_overwriting_topic_counts_what_was_lost) {
  ipc_shm_topic_t *pub, *sub, *late, *oldest;
  unsigned char buffer[MAX_MESSAGE];
  const void *data;
  size_t size;
  uint64_t n, lost;
  ck_assert_err(ipc_shm_topic_create_anonymous(
                    &pub, MAX_MESSAGE, SLOTS, IPC_SHM_TOPIC_PUBLISHER | IPC_SHM_TOPIC_OVERWRITE),
                0);
  ck_assert_err(ipc_shm_topic_attach(&sub, ipc_shm_topic_segment(pub), IPC_SHM_TOPIC_SUBSCRIBER),
                0);
  /* The publisher never waits; the subscriber skips to the oldest kept. */
  for (n = 0; n < 3 * SLOTS; n++)
    ck_assert_err(publish_number(pub, n, (int)(n & 1)), 0);
  ck_assert_err(ipc_shm_topic_receive(sub, buffer, sizeof(buffer), &size, &lost, 0), 0);
  ck_assert_uint_eq(number_of(buffer, size), 2 * SLOTS);
  ck_assert_uint_eq(lost, 2 * SLOTS);
  ck_assert_err(ipc_shm_topic_receive(sub, buffer, sizeof(buffer), &size, &lost, 0), 0);
  ck_assert_uint_eq(number_of(buffer, size), 2 * SLOTS + 1);
  ck_assert_uint_eq(lost, 0);
  /* Late subscribers: from the next message, or from the oldest kept. */
  ck_assert_err(ipc_shm_topic_attach(&late, ipc_shm_topic_segment(pub), IPC_SHM_TOPIC_SUBSCRIBER),
                0);
  ck_assert_err(ipc_shm_topic_attach(&oldest, ipc_shm_topic_segment(pub),
                                     IPC_SHM_TOPIC_SUBSCRIBER | IPC_SHM_TOPIC_FROM_OLDEST),
                0);
  ck_assert_err(ipc_shm_topic_receive(late, buffer, sizeof(buffer), &size, &lost, 0),
                IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_topic_receive(oldest, buffer, sizeof(buffer), &size, &lost, 0), 0);
  ck_assert_uint_eq(number_of(buffer, size), 2 * SLOTS);
  ck_assert_uint_eq(lost, 0);
  /* A message read in place and written over meanwhile is not the
   * message: release says so, and it counts as lost. */
  ck_assert_err(ipc_shm_topic_peek(sub, &data, &size, &lost, 0), 0);
  ck_assert_uint_eq(number_of((const unsigned char *)data, size), 2 * SLOTS + 2);
  for (n = 3 * SLOTS; n < 4 * SLOTS; n++)
    ck_assert_err(publish_number(pub, n, 0), 0);
  ck_assert_uint_ne(number_of((const unsigned char *)data, size), 2 * SLOTS + 2);
  ck_assert_err(ipc_shm_topic_release(sub), IPC_SHM_E_OVERWRITTEN);
  ck_assert_err(ipc_shm_topic_receive(sub, buffer, sizeof(buffer), &size, &lost, 0), 0);
  ck_assert_uint_eq(number_of(buffer, size), 3 * SLOTS);
  ck_assert_uint_eq(lost, SLOTS - 2); /* 2S+2 (overwritten) .. 3S-1 */
  ck_assert_err(ipc_shm_topic_receive(late, buffer, sizeof(buffer), &size, &lost, 0), 0);
  ck_assert_uint_eq(number_of(buffer, size), 3 * SLOTS);
  ck_assert_uint_eq(lost, 0);
  ipc_shm_topic_close(oldest);
  ipc_shm_topic_close(late);
  ipc_shm_topic_close(sub);
  ipc_shm_topic_close(pub);
}
END_TEST

START_TEST(cycles_leave_nothing_behind) {
  char name[IPC_SHM_NAME_MAX + 1];
  test_resources_t before;
  int i;
  test_name(name, "tl");
  before = test_resources();
  for (i = 0; i < 1000; i++) {
    ipc_shm_topic_t *pub, *sub;
    unsigned char buffer[8];
    size_t size;
    ck_assert_err(ipc_shm_topic_create(&pub, name, 8, 2, IPC_SHM_TOPIC_PUBLISHER), 0);
    ck_assert_err(ipc_shm_topic_open(&sub, name, IPC_SHM_TOPIC_SUBSCRIBER), 0);
    ck_assert_err(ipc_shm_topic_publish(pub, "cycle", 5, 0), 0);
    ck_assert_err(ipc_shm_topic_receive(sub, buffer, sizeof(buffer), &size, NULL, 0), 0);
    ck_assert_err(ipc_shm_topic_close(sub), 0);
    ck_assert_err(ipc_shm_topic_close(pub), 0);
    ck_assert_err(ipc_shm_remove(name, 0), ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED
                                              ? 0
                                              : IPC_SHM_E_NOT_SUPPORTED);
  }
  ck_assert_no_leak(before);
}
END_TEST

/* ---- A scribbled control area ---- */

#ifdef _WIN32
#define SCRIBBLE_ROUNDS 300
#else
#define SCRIBBLE_ROUNDS 3000
#endif

START_TEST(a_scribbled_control_area_never_crashes) {
  uint32_t seed = 12345;
  unsigned long sum = 0;
  int round, refused = 0;
  for (round = 0; round < SCRIBBLE_ROUNDS; round++) {
    ipc_shm_topic_t *pub, *sub = NULL;
    ipc_shm_view_t *view;
    unsigned char *area, buffer[512];
    const void *data;
    size_t size, whole;
    int k, err, before_attach = round % 4 == 0;
    ck_assert_err(ipc_shm_topic_create_anonymous(&pub, 256, 8, IPC_SHM_TOPIC_PUBLISHER), 0);
    whole = (size_t)ipc_shm_size(ipc_shm_topic_segment(pub));
    ck_assert_err(ipc_shm_map(&view, ipc_shm_topic_segment(pub), 0, 0, IPC_SHM_MAP_WRITE), 0);
    area = (unsigned char *)ipc_shm_view_data(view);
    for (k = 0; k < 5; k++)
      ck_assert_err(ipc_shm_topic_publish(pub, "message", 7, 0), 0);
    if (!before_attach)
      ck_assert_err(ipc_shm_topic_attach(&sub, ipc_shm_topic_segment(pub),
                                         IPC_SHM_TOPIC_SUBSCRIBER | IPC_SHM_TOPIC_FROM_OLDEST),
                    0);
    for (k = 0; k < 1 + (int)(seed % 6); k++) {
      seed = mix(seed + (uint32_t)round);
      if (seed & 1)
        area[(seed >> 8) % IPC_SHM_TOPIC_HEADER] = (unsigned char)(seed >> 20);
      else
        area[IPC_SHM_TOPIC_HEADER + (seed >> 8) % (whole - IPC_SHM_TOPIC_HEADER)] =
            (unsigned char)(seed >> 20);
    }
    if (before_attach) {
      err = ipc_shm_topic_attach(&sub, ipc_shm_topic_segment(pub),
                                 IPC_SHM_TOPIC_SUBSCRIBER | IPC_SHM_TOPIC_FROM_OLDEST);
      if (err != 0) {
        ck_assert_ptr_null(sub);
        refused++;
      }
    }
    /* Any error, never a read or write past the slots. */
    (void)ipc_shm_topic_publish(pub, "message", 7, 0);
    if (sub != NULL) {
      for (k = 0; k < 3; k++) {
        err = ipc_shm_topic_receive(sub, buffer, sizeof(buffer), &size, NULL, 0);
        if (err == 0)
          ck_assert_uint_le(size, 256);
        err = ipc_shm_topic_peek(sub, &data, &size, NULL, 0);
        if (err == 0) {
          ck_assert_uint_le(size, 256);
          /* Every byte lies inside the topic's mapping (a fault fails
           * the test). */
          for (k = 0; k < (int)size; k++)
            sum += ((const unsigned char *)data)[k];
          (void)ipc_shm_topic_release(sub);
        }
        (void)ipc_shm_topic_publish(pub, "message", 7, 0);
      }
      ck_assert_err(ipc_shm_topic_close(sub), 0);
    }
    ipc_shm_unmap(view);
    ck_assert_err(ipc_shm_topic_close(pub), 0);
  }
  /* Some scribbles hit the sizes: those attaches were refused. */
  ck_assert_int_gt(refused, 0);
  (void)sum;
}
END_TEST

/* ---- Across processes ---- */

/* "got G lost L bad B end E" from a subscriber helper. */
typedef struct sub_report {
  unsigned long long got, lost, bad;
  char end[32];
} sub_report_t;

static sub_report_t read_report(test_proc_t *proc) {
  sub_report_t r;
  char line[256];
  memset(&r, 0, sizeof(r));
  ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
  ck_assert_msg(sscanf(line, "got %llu lost %llu bad %llu end %31s", &r.got, &r.lost, &r.bad,
                       r.end) == 4,
                "subscriber said: %s", line);
  ck_assert_int_eq(test_proc_wait(proc), 0);
  return r;
}

/* Start subscribers of `name` in the modes given, each ready when this
 * returns. */
static void start_subscribers(test_proc_t **procs, const char *name, const char *const *modes,
                              int count) {
  int i;
  for (i = 0; i < count; i++) {
    const char *argv[] = {"helper", "topic-sub", name, modes[i], NULL};
    procs[i] = test_proc_start("ipcshm_tests", argv);
    test_expect_line(procs[i], "ready");
  }
}

/* Four subscribers (one slow, one reading in place, one from the oldest
 * kept) get every message in order; a fifth, killed while it reads, holds
 * nobody back. */
START_TEST(every_subscriber_gets_every_message_in_order) {
  static const char *const modes[] = {"copy", "peek", "slow", "oldest", "copy"};
  char name[IPC_SHM_NAME_MAX + 1];
  test_proc_t *procs[5];
  ipc_shm_topic_t *pub;
  long n;
  int i;
  ck_assert_err(ipc_shm_topic_create(&pub, test_name(name, "te"), MAX_MESSAGE, SLOTS,
                                     IPC_SHM_TOPIC_PUBLISHER),
                0);
  start_subscribers(procs, name, modes, 5);
  for (n = 0; n < MESSAGES; n++) {
    if (n == MESSAGES / 3) {
      test_proc_kill(procs[4]);
      ck_assert_int_ne(test_proc_wait(procs[4]), 0);
    }
    ck_assert_err(publish_number(pub, (uint64_t)n, (int)(mix((uint32_t)n) & 1)), 0);
  }
  ck_assert_err(ipc_shm_topic_close(pub), 0);
  for (i = 0; i < 4; i++) {
    sub_report_t r = read_report(procs[i]);
    ck_assert_uint_eq(r.got, (unsigned long long)MESSAGES);
    ck_assert_uint_eq(r.lost, 0);
    ck_assert_uint_eq(r.bad, 0);
    ck_assert_str_eq(r.end, "DISCONNECTED");
  }
  test_remove_name(name);
}
END_TEST

START_TEST(an_overwriting_topic_never_tears_a_message) {
  static const char *const modes[] = {"slow", "peek", "copy"};
  char name[IPC_SHM_NAME_MAX + 1];
  test_proc_t *procs[3];
  ipc_shm_topic_t *pub;
  long n;
  int i;
  ck_assert_err(ipc_shm_topic_create(&pub, test_name(name, "to"), MAX_MESSAGE, SLOTS,
                                     IPC_SHM_TOPIC_PUBLISHER | IPC_SHM_TOPIC_OVERWRITE),
                0);
  start_subscribers(procs, name, modes, 3);
  for (n = 0; n < MESSAGES; n++)
    ck_assert_err(publish_number(pub, (uint64_t)n, (int)(mix((uint32_t)n) & 1)), 0);
  ck_assert_err(ipc_shm_topic_close(pub), 0);
  for (i = 0; i < 3; i++) {
    sub_report_t r = read_report(procs[i]);
    /* Each message was read whole or counted lost, never both. */
    ck_assert_uint_eq(r.got + r.lost, (unsigned long long)MESSAGES);
    ck_assert_uint_eq(r.bad, 0);
    ck_assert_str_eq(r.end, "DISCONNECTED");
    if (i == 0)
      ck_assert_uint_gt(r.lost, 0); /* the slow one fell behind */
  }
  test_remove_name(name);
}
END_TEST

START_TEST(a_dead_subscriber_never_holds_the_publisher_back) {
  static const char *const points[] = {"subscriber", "peeked"};
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_topic_t *pub, *live;
  unsigned char buffer[MAX_MESSAGE];
  size_t size;
  uint64_t n = 0, last_read = 0;
  int p;
  ck_assert_err(ipc_shm_topic_create(&pub, test_name(name, "td"), MAX_MESSAGE, SLOTS,
                                     IPC_SHM_TOPIC_PUBLISHER),
                0);
  ck_assert_err(ipc_shm_topic_open(&live, name, IPC_SHM_TOPIC_SUBSCRIBER), 0);
  ck_assert_err(publish_number(pub, n++, 0), 0);
  for (p = 0; p < 2; p++) {
    const char *argv[] = {"helper", "topic-die", name, points[p], NULL};
    test_proc_t *proc = test_proc_start("ipcshm_tests", argv);
    uint64_t last = n + 3 * SLOTS;
    test_expect_line(proc, "ready");
    test_proc_kill(proc);
    ck_assert_int_ne(test_proc_wait(proc), 0);
    /* The live subscriber keeps up; the dead one's slot is passed. */
    while (n < last) {
      ck_assert_err(publish_number(pub, n, 0), 0);
      while (1) {
        int err = ipc_shm_topic_receive(live, buffer, sizeof(buffer), &size, NULL, 0);
        if (err == IPC_SHM_E_TIMEOUT)
          break;
        ck_assert_err(err, 0);
        last_read = number_of(buffer, size);
      }
      n++;
    }
    ck_assert_uint_eq(last_read, last - 1);
  }
  ipc_shm_topic_close(live);
  ipc_shm_topic_close(pub);
  test_remove_name(name);
}
END_TEST

START_TEST(a_publisher_killed_mid_message_delivers_only_what_it_committed) {
  const char *argv[] = {"helper", "topic-die", NULL, "reserved", NULL};
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_topic_t *sub, *pub;
  unsigned char buffer[MAX_MESSAGE];
  test_proc_t *proc;
  size_t size;
  uint64_t n;
  ck_assert_err(ipc_shm_topic_create(&sub, test_name(name, "tm"), MAX_MESSAGE, SLOTS,
                                     IPC_SHM_TOPIC_SUBSCRIBER),
                0);
  argv[2] = name;
  proc = test_proc_start("ipcshm_tests", argv);
  test_expect_line(proc, "ready");
  test_proc_kill(proc);
  ck_assert_int_ne(test_proc_wait(proc), 0);
  for (n = 0; n < 10; n++) {
    ck_assert_err(ipc_shm_topic_receive(sub, buffer, sizeof(buffer), &size, NULL, LONG_WAIT_MS),
                  0);
    ck_assert_uint_eq(number_of(buffer, size), n);
  }
  ck_assert_err(ipc_shm_topic_receive(sub, buffer, sizeof(buffer), &size, NULL, LONG_WAIT_MS),
                IPC_SHM_E_DISCONNECTED);
  /* A new publisher goes on from the next message. */
  ck_assert_err(ipc_shm_topic_open(&pub, name, IPC_SHM_TOPIC_PUBLISHER), 0);
  ck_assert_err(publish_number(pub, 10, 1), 0);
  ck_assert_err(ipc_shm_topic_receive(sub, buffer, sizeof(buffer), &size, NULL, LONG_WAIT_MS),
                0);
  ck_assert_uint_eq(number_of(buffer, size), 10);
  ipc_shm_topic_close(pub);
  ipc_shm_topic_close(sub);
  test_remove_name(name);
}
END_TEST

/* ---- Every hand-over route ---- */

static void check_got_seven(const char *said) {
  char line[64];
  snprintf(line, sizeof(line), "%s", said);
  line[strcspn(line, "\r\n")] = '\0';
  ck_assert_str_eq(line, "got 7");
}

START_TEST(every_route_hands_over_a_topic) {
  char path[1200], out[256], name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_topic_t *pub;
  ipc_shm_export_t *exp;
  const ipc_shm_t *segment;
  helper_path(path, sizeof(path));
  ck_assert_err(ipc_shm_topic_create_anonymous(&pub, MAX_MESSAGE, SLOTS,
                                               IPC_SHM_TOPIC_PUBLISHER),
                0);
  ck_assert_err(publish_number(pub, 7, 0), 0);
  segment = ipc_shm_topic_segment(pub);
  /* Spawn. */
  {
    ipc_shm_inherit_t entry;
    ipc_shm_process_t *child;
    int code = -1;
    const char *argv[] = {path, "helper", "topic-by", "inherited", NULL};
    memset(&entry, 0, sizeof(entry));
    entry.shm = segment;
    ck_assert_err(ipc_shm_spawn(&child, argv, &entry, 1), 0);
    ck_assert_err(ipc_shm_process_wait(child, &code), 0);
    ck_assert_int_eq(code, 0);
  }
  /* Export and import. */
  ck_assert_err(ipc_shm_export(&exp, segment, 0), 0);
  {
    const char *argv[] = {"helper", "topic-by", "import", ipc_shm_export_token(exp), NULL};
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
    check_got_seven(out);
  }
  ipc_shm_export_close(exp);
  /* Pull. */
  if (TEST_CAN_PULL) {
    const char *argv[] = {"helper", "topic-by", "pull", NULL, NULL};
    ck_assert_err(ipc_shm_export(&exp, segment, IPC_SHM_EXPORT_PULL), 0);
    argv[3] = ipc_shm_export_token(exp);
    test_allow_pullers();
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
    check_got_seven(out);
    ipc_shm_export_close(exp);
  }
#ifdef _WIN32
  /* Push. */
  {
    char token[IPC_SHM_TOKEN_MAX], line[256];
    unsigned long pid;
    const char *argv[] = {"helper", "topic-by", "push", NULL};
    test_proc_t *proc = test_proc_start("ipcshm_tests", argv);
    ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
    ck_assert_int_eq(sscanf(line, "pid %lu", &pid), 1);
    ck_assert_err(ipc_shm_push(segment, pid, 0, token), 0);
    test_proc_write(proc, token, strlen(token));
    test_proc_write(proc, "\n", 1);
    ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
    ck_assert_int_eq(test_proc_wait(proc), 0);
    check_got_seven(line);
  }
#endif
  /* Send and receive. */
  {
    ipc_shm_listener_t *listener;
    ipc_shm_conn_t *conn;
    const char *argv[] = {"helper", "topic-by", "receive", NULL, NULL};
    test_proc_t *proc;
    char line[256];
    ck_assert_err(ipc_shm_listen(&listener, test_name(name, "ts")), 0);
    argv[3] = name;
    proc = test_proc_start("ipcshm_tests", argv);
    ck_assert_err(ipc_shm_accept(listener, &conn), 0);
    ck_assert_err(ipc_shm_send(conn, segment, 0), 0);
    ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
    ck_assert_int_eq(test_proc_wait(proc), 0);
    check_got_seven(line);
    ipc_shm_conn_close(conn);
    ipc_shm_listener_close(listener);
  }
  ipc_shm_topic_close(pub);
  /* A read-only segment cannot carry a subscriber (it writes its
   * position). */
  {
    ipc_shm_t *readonly;
    ipc_shm_topic_t *sub = (ipc_shm_topic_t *)1;
    ck_assert_err(ipc_shm_topic_create(&pub, test_name(name, "tr"), 64, 2,
                                       IPC_SHM_TOPIC_PUBLISHER),
                  0);
    ck_assert_err(ipc_shm_open(&readonly, name, IPC_SHM_READONLY), 0);
    ck_assert_err(ipc_shm_topic_attach(&sub, readonly, IPC_SHM_TOPIC_SUBSCRIBER),
                  IPC_SHM_E_ACCESS);
    ck_assert_ptr_null(sub);
    ipc_shm_close(readonly);
    ipc_shm_topic_close(pub);
    test_remove_name(name);
  }
}
END_TEST

/* ---- The tool ---- */

START_TEST(the_tool_creates_publishes_and_subscribes) {
  char name[IPC_SHM_NAME_MAX + 1], out[512];
  const char *create[] = {"topic", "create", test_name(name, "tt"), "--slots", "4",
                          "--max-message", "100", "--hold", NULL};
  const char *subscribe[] = {"topic", "subscribe", name, "--count", "3", "--lines",
                             "--timeout", "20000", NULL};
  const char *publish_lines[] = {"topic", "publish", name, "--lines", NULL};
  const char *publish_one[] = {"topic", "publish", name, "hello", "--zero-copy", NULL};
  const char *oldest[] = {"topic", "subscribe", name, "--from-oldest", "--count", "2",
                          "--lines", "--zero-copy", NULL};
  const char *too_big[] = {"topic", "publish", name, NULL};
  const char *none_left[] = {"topic", "subscribe", name, "--timeout", "0", NULL};
  const char *bad_slots[] = {"topic", "create", name, "--slots", "0", NULL};
  const char *capacity[] = {"topic", "create", name, "--capacity", "4096", NULL};
  const char *unknown[] = {"topic", "send", name, NULL};
  const char *as_channel[] = {"channel", "recv", name, "--timeout", "0", NULL};
  char big[200];
  test_proc_t *holder = test_proc_start("ipc-shm", create), *subscriber;
  test_expect_line(holder, "ready");
  /* A subscriber, then lines published. */
  subscriber = test_proc_start("ipc-shm", subscribe);
  test_sleep_ms(300);
  ck_assert_int_eq(test_run("ipc-shm", publish_lines, "one\ntwo\nthree\n", out, sizeof(out)),
                   0);
  ck_assert_int_eq(test_proc_read_all(subscriber, out, sizeof(out) - 1) > 0, 1);
  ck_assert_int_eq(test_proc_wait(subscriber), 0);
  ck_assert_ptr_nonnull(strstr(out, "one\ntwo\nthree\n"));
  /* The oldest kept, in place. */
  ck_assert_int_eq(test_run("ipc-shm", publish_one, NULL, out, sizeof(out)), 0);
  ck_assert_int_eq(test_run("ipc-shm", oldest, NULL, out, sizeof(out)), 0);
  ck_assert_str_eq(out, "one\ntwo\n");
  /* Errors: a message too large, nothing more from a publisher that left,
   * bad options, a topic taken for a channel. */
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  ck_assert_int_eq(test_run_merged("ipc-shm", too_big, big, out, sizeof(out)), 1);
  ck_assert_int_eq(test_run_merged("ipc-shm", none_left, NULL, out, sizeof(out)), 1);
  ck_assert_msg(strstr(out, "DISCONNECTED") != NULL, "%s", out); /* the publisher left */
  ck_assert_int_eq(test_run_merged("ipc-shm", bad_slots, NULL, out, sizeof(out)), 2);
  ck_assert_int_eq(test_run_merged("ipc-shm", capacity, NULL, out, sizeof(out)), 2);
  ck_assert_int_eq(test_run_merged("ipc-shm", unknown, NULL, out, sizeof(out)), 2);
  ck_assert_int_eq(test_run_merged("ipc-shm", as_channel, NULL, out, sizeof(out)), 1);
  ck_assert_msg(strstr(out, "WRONG_KIND") != NULL, "%s", out);
  test_proc_close_stdin(holder);
  ck_assert_int_eq(test_proc_wait(holder), 0);
}
END_TEST

void add_topic_cases(Suite *suite) {
  TCase *tc = tcase_create("topic");
  tcase_add_test(tc, bad_arguments_are_refused);
  tcase_add_test(tc, kinds_and_roles_are_never_confused);
  tcase_add_test(tc, a_blocking_topic_waits_for_the_slowest);
  tcase_add_test(tc, an_overwriting_topic_counts_what_was_lost);
  tcase_add_test(tc, cycles_leave_nothing_behind);
  tcase_add_test(tc, a_scribbled_control_area_never_crashes);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);

  tc = tcase_create("topic_processes");
  tcase_add_test(tc, every_subscriber_gets_every_message_in_order);
  tcase_add_test(tc, an_overwriting_topic_never_tears_a_message);
  tcase_add_test(tc, a_dead_subscriber_never_holds_the_publisher_back);
  tcase_add_test(tc, a_publisher_killed_mid_message_delivers_only_what_it_committed);
  tcase_add_test(tc, every_route_hands_over_a_topic);
  tcase_add_test(tc, the_tool_creates_publishes_and_subscribes);
  tcase_set_timeout(tc, 240);
  suite_add_tcase(suite, tc);
}
