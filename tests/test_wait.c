/* SPDX-License-Identifier: MIT */
/* Waiting (src/common/wait.c): polling a live peer makes no system call,
 * verdicts on a peer's life are asked again as they age, and spinning
 * stops where this process may use one CPU. */
#include "testutil.h"

#include "../src/common/common.h"

#include <stdio.h>
#include <string.h>

#define POLLS 1000

/* One poll; its error. */
typedef int (*poll_fn)(void *arg);

/* Calls through the table of system calls during POLLS polls made right
 * after the library asked the system about the peer (so that its answer
 * is fresh for the whole run: each poll then decides from loads alone).
 * With `asks` 0 the poll has no peer to ask about. Every poll must give
 * `expected`. */
static unsigned long calls_in_polls(poll_fn poll, void *arg, int expected, int asks) {
  int attempt;
  for (attempt = 0; attempt < 20; attempt++) {
    unsigned long made = 0, wrong = 0;
    double start = test_seconds(), asked, elapsed;
    int entry, i;
    if (asks) {
      /* Poll until the library asks (its first poll does, then one a
       * millisecond at most). */
      ipc_shm__faults_begin();
      while (test_liveness_calls_made() == 0 && test_seconds() - start < 2.0)
        ck_assert_err(poll(arg), expected);
      ipc_shm__faults_end();
      ck_assert_msg(test_liveness_calls_made() > 0 || attempt > 0,
                    "the library never asked about the peer");
    }
    ipc_shm__faults_begin();
    asked = test_seconds();
    for (i = 0; i < POLLS; i++)
      wrong += poll(arg) != expected;
    elapsed = test_seconds() - asked;
    for (entry = 0; entry < ipc_shm__syscall_count(); entry++)
      made += ipc_shm__fault_calls(entry);
    ipc_shm__faults_end();
    ck_assert_uint_eq(wrong, 0);
    /* An answer lives a millisecond: a run that a busy machine stretched
     * beyond it may rightly ask again, and is measured again. */
    if (elapsed < IPC_SHM__VERDICT_TTL_NS * 0.9e-9)
      return made;
  }
  ck_abort_msg("%d polls never ran within a millisecond", POLLS);
  return 0;
}

static int poll_receive(void *arg) {
  unsigned char buffer[64];
  size_t size;
  return ipc_shm_channel_receive((ipc_shm_channel_t *)arg, buffer, sizeof(buffer), &size, 0);
}

static int poll_peek(void *arg) {
  const void *data;
  size_t size;
  return ipc_shm_channel_peek((ipc_shm_channel_t *)arg, &data, &size, 0);
}

static int poll_send_full(void *arg) {
  unsigned char message[64];
  memset(message, 1, sizeof(message));
  return ipc_shm_channel_send((ipc_shm_channel_t *)arg, message, sizeof(message), 0);
}

/* An empty channel polled by its receiver, and a full one by its sender,
 * with a live peer: a few loads, no system call. */
START_TEST(polling_a_channel_makes_no_system_call) {
  ipc_shm_channel_t *tx, *rx;
  unsigned char message[64];
  memset(message, 1, sizeof(message));
  ck_assert_err(ipc_shm_channel_create_anonymous(&tx, 64, 0, IPC_SHM_CHANNEL_SENDER), 0);
  ck_assert_err(ipc_shm_channel_attach(&rx, ipc_shm_channel_segment(tx), IPC_SHM_CHANNEL_RECEIVER),
                0);
  ck_assert_uint_eq(calls_in_polls(poll_receive, rx, IPC_SHM_E_TIMEOUT, 1), 0);
  ck_assert_uint_eq(calls_in_polls(poll_peek, rx, IPC_SHM_E_TIMEOUT, 1), 0);
  while (ipc_shm_channel_send(tx, message, sizeof(message), 0) == 0) {
  }
  ck_assert_uint_eq(calls_in_polls(poll_send_full, tx, IPC_SHM_E_TIMEOUT, 1), 0);
  ipc_shm_channel_close(rx);
  ipc_shm_channel_close(tx);
}
END_TEST

static int poll_topic_receive(void *arg) {
  unsigned char buffer[64];
  size_t size;
  return ipc_shm_topic_receive((ipc_shm_topic_t *)arg, buffer, sizeof(buffer), &size, NULL, 0);
}

static int poll_topic_publish(void *arg) {
  return ipc_shm_topic_publish((ipc_shm_topic_t *)arg, "x", 1, 0);
}

static int poll_inbox_receive(void *arg) {
  unsigned char buffer[64];
  size_t size;
  return ipc_shm_inbox_receive((ipc_shm_inbox_t *)arg, buffer, sizeof(buffer), &size, 0);
}

static int poll_inbox_send(void *arg) {
  return ipc_shm_inbox_send((ipc_shm_inbox_t *)arg, "x", 1, 0);
}

/* A topic's subscriber with nothing to read and its publisher held back
 * by it, an inbox's receiver with nothing to take and a sender facing full
 * slots: loads only. Polls of a full inbox never take places in its order
 * that its receiver would then have to pass over. */
START_TEST(polling_a_topic_or_inbox_makes_no_system_call) {
  ipc_shm_topic_t *pub, *sub;
  ipc_shm_inbox_t *rx, *tx;
  unsigned char buffer[64];
  size_t size;
  int i;
  ck_assert_err(ipc_shm_topic_create_anonymous(&pub, 64, 2, IPC_SHM_TOPIC_PUBLISHER), 0);
  ck_assert_err(ipc_shm_topic_attach(&sub, ipc_shm_topic_segment(pub), IPC_SHM_TOPIC_SUBSCRIBER),
                0);
  ck_assert_uint_eq(calls_in_polls(poll_topic_receive, sub, IPC_SHM_E_TIMEOUT, 1), 0);
  ck_assert_err(ipc_shm_topic_publish(pub, "a", 1, 0), 0);
  ck_assert_err(ipc_shm_topic_publish(pub, "b", 1, 0), 0);
  ck_assert_uint_eq(calls_in_polls(poll_topic_publish, pub, IPC_SHM_E_TIMEOUT, 1), 0);
  ipc_shm_topic_close(sub);
  ipc_shm_topic_close(pub);

  ck_assert_err(ipc_shm_inbox_create_anonymous(&rx, 64, 2, IPC_SHM_INBOX_RECEIVER), 0);
  ck_assert_err(ipc_shm_inbox_attach(&tx, ipc_shm_inbox_segment(rx), IPC_SHM_INBOX_SENDER), 0);
  ck_assert_uint_eq(calls_in_polls(poll_inbox_receive, rx, IPC_SHM_E_TIMEOUT, 0), 0);
  ck_assert_err(ipc_shm_inbox_send(tx, "a", 1, 0), 0);
  ck_assert_err(ipc_shm_inbox_send(tx, "b", 1, 0), 0);
  ck_assert_uint_eq(calls_in_polls(poll_inbox_send, tx, IPC_SHM_E_TIMEOUT, 1), 0);
  /* The two messages, then the next one sent, and nothing else. */
  for (i = 0; i < 2; i++)
    ck_assert_err(ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, 0), 0);
  ck_assert_err(ipc_shm_inbox_send(tx, "c", 1, 0), 0);
  ck_assert_err(ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, 0), 0);
  ck_assert_int_eq(buffer[0], 'c');
  ck_assert_err(ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &size, 0), IPC_SHM_E_TIMEOUT);
  ipc_shm_inbox_close(tx);
  ipc_shm_inbox_close(rx);
}
END_TEST

#ifndef _WIN32
static int poll_trylock(void *arg) { return ipc_shm_mutex_trylock((ipc_shm_mutex_t *)arg); }

static int poll_event(void *arg) { return ipc_shm_event_wait((ipc_shm_event_t *)arg, 0); }

/* POSIX: trying a mutex that a live process holds, and waiting 0 on an
 * event that is not set, are loads (Windows: kernel objects, a call each). */
START_TEST(polling_a_mutex_or_event_makes_no_system_call) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_mutex_t *mutex;
  ipc_shm_event_t *event;
  const char *argv[] = {"helper", "mutex-hold", NULL, "-", NULL};
  test_proc_t *holder;
  ck_assert_err(ipc_shm_mutex_create(&mutex, test_name(name, "wm"), 0), 0);
  argv[2] = name;
  holder = test_proc_start("ipcshm_tests", argv);
  test_expect_line(holder, "locked");
  ck_assert_uint_eq(calls_in_polls(poll_trylock, mutex, IPC_SHM_E_TIMEOUT, 1), 0);
  test_proc_close_stdin(holder);
  test_expect_line(holder, "unlocked OK");
  ck_assert_int_eq(test_proc_wait(holder), 0);
  ck_assert_err(ipc_shm_mutex_close(mutex), 0);
  ck_assert_err(ipc_shm_remove(name, 0), 0);

  ck_assert_err(ipc_shm_event_create_anonymous(&event, 0), 0);
  ck_assert_uint_eq(calls_in_polls(poll_event, event, IPC_SHM_E_TIMEOUT, 0), 0);
  ck_assert_err(ipc_shm_event_close(event), 0);
}
END_TEST
#endif

/* Run `check` on a fresh verdict until one run took less than the
 * answers' time to live (a busy machine may stretch a run past it, and
 * then an old answer is rightly asked again); the number of answers that
 * were wrong in that run. */
static int within_ttl(int (*check)(ipc_shm__verdict_t *verdict)) {
  int attempt;
  for (attempt = 0; attempt < 1000; attempt++) {
    ipc_shm__verdict_t verdict;
    int64_t start = ipc_shm__os_now_ns();
    int wrong;
    ipc_shm__verdict_init(&verdict);
    wrong = check(&verdict);
    if (ipc_shm__os_now_ns() - start < IPC_SHM__VERDICT_TTL_NS * 9 / 10)
      return wrong;
  }
  ck_abort_msg("no run was shorter than a verdict's time to live");
  return -1;
}

/* Polls of the same live peer are answered from the verdict. */
static int same_peer_is_cached(ipc_shm__verdict_t *verdict) {
  int alive = -1, i, wrong = 0;
  wrong += ipc_shm__verdict_cached(verdict, 42, 0, &alive) != 0; /* nothing known */
  ipc_shm__verdict_set(verdict, 42, 7, 1);
  for (i = 0; i < 100; i++)
    wrong += ipc_shm__verdict_cached(verdict, 42, 7, &alive) != 1 || alive != 1;
  wrong += ipc_shm__verdict_cached(verdict, 43, 7, &alive) != 0; /* another peer */
  ipc_shm__verdict_set(verdict, 42, 7, 0);
  wrong += ipc_shm__verdict_cached(verdict, 42, 8, &alive) != 1 || alive != 0;
  return wrong; /* (progress does not raise the dead) */
}

/* A peer that made progress is alive again without asking, however old
 * the answer. */
static int progress_renews(ipc_shm__verdict_t *verdict) {
  int alive = -1, i, wrong = 0;
  ipc_shm__verdict_set(verdict, 42, 7, 1);
  verdict->at_ns -= 10 * IPC_SHM__VERDICT_TTL_NS; /* an old answer */
  for (i = 0; i < 16; i++)
    wrong += ipc_shm__verdict_cached(verdict, 42, 9, &alive) != 1 || alive != 1;
  return wrong;
}

/* A verdict is used as long as the peer is the same and the answer young;
 * a peer that made progress is alive without asking; another peer, or an
 * old answer, is asked about. */
START_TEST(verdicts_age) {
  ipc_shm__verdict_t verdict;
  int alive = -1, asked = 0;
  int64_t start;
  ck_assert_int_eq(within_ttl(same_peer_is_cached), 0);
  ck_assert_int_eq(within_ttl(progress_renews), 0);
  /* An answer older than its time to live is asked again (measured on the
   * library's clock). */
  ipc_shm__verdict_init(&verdict);
  ipc_shm__verdict_set(&verdict, 42, 7, 1);
  start = ipc_shm__os_now_ns();
  while (!asked && ipc_shm__os_now_ns() - start < 1000000000LL)
    asked = !ipc_shm__verdict_cached(&verdict, 42, 7, &alive);
  ck_assert_int_eq(asked, 1);
  ck_assert_int_ge(ipc_shm__os_now_ns() - start, IPC_SHM__VERDICT_TTL_NS);
}
END_TEST

#if defined(_WIN32) || TEST_LINUX
/* Spinning happens only where another CPU can run the peer: with the
 * process pinned to one CPU the spin ends at once, in a few yields. */
static int never(void *arg, int spinning) {
  (void)spinning;
  ++*(long *)arg;
  return 0;
}

START_TEST(no_spinning_on_one_cpu) {
  ipc_shm__spin_t spin;
  long looks = 0;
  ipc_shm__spin_init(&spin);
  test_pin_to_one_cpu(1);
  ipc_shm__cpus_recheck();
  ck_assert_int_eq(ipc_shm__cpus_usable(), 1);
  ck_assert_int_eq(ipc_shm__spin(&spin, never, &looks, INT64_MAX), 0);
  ck_assert_int_le(looks, 8); /* the yields' looks, no spin */
  test_pin_to_one_cpu(0);
  ipc_shm__cpus_recheck();
  if (ipc_shm__cpus_usable() > 1) {
    looks = 0;
    ck_assert_int_eq(ipc_shm__spin(&spin, never, &looks, INT64_MAX), 0);
    ck_assert_int_gt(looks, 8); /* it spun */
    ipc_shm__spin_failed(&spin);
  }
}
END_TEST
#endif

void add_wait_cases(Suite *suite) {
  TCase *tc = tcase_create("wait");
  tcase_add_test(tc, polling_a_channel_makes_no_system_call);
  tcase_add_test(tc, polling_a_topic_or_inbox_makes_no_system_call);
#ifndef _WIN32
  tcase_add_test(tc, polling_a_mutex_or_event_makes_no_system_call);
#endif
  tcase_add_test(tc, verdicts_age);
  /* Other POSIX systems (the generic code) do not see affinity: macOS has
   * none to see. */
#if defined(_WIN32) || TEST_LINUX
  tcase_add_test(tc, no_spinning_on_one_cpu);
#endif
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);
}
