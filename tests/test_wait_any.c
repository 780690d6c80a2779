/* SPDX-License-Identifier: MIT */
/* Waiting on several objects: the rules, which item wins and what taking
 * it means for each kind, channel ends, and sleepers woken by other
 * processes: a post, a set, a message, a mutex's owner's death. */
#include "testutil.h"

#include "../src/common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#endif

/* A wait long enough for any machine, short enough to end a hung test. */
#define LONG_WAIT_MS 20000

static ipc_shm_wait_item_t item(ipc_shm_wait_kind_t kind, void *object, size_t room) {
  ipc_shm_wait_item_t it;
  it.kind = kind;
  it.object = object;
  it.room = room;
  return it;
}

/* ---- Rules ---- */

START_TEST(bad_arguments_are_refused) {
  ipc_shm_event_t *event;
  ipc_shm_semaphore_t *semaphore;
  ipc_shm_channel_t *sender, *receiver;
  ipc_shm_wait_item_t items[IPC_SHM_WAIT_MAX + 1];
  size_t ready = 77, i;
  test_resources_t before;
  ck_assert_err(ipc_shm_event_create_anonymous(&event, IPC_SHM_EVENT_SET), 0);
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, 1, 1, 0), 0);
  ck_assert_err(ipc_shm_channel_create_anonymous(&sender, 64, 4096, IPC_SHM_CHANNEL_SENDER), 0);
  ck_assert_err(ipc_shm_channel_attach(&receiver, ipc_shm_channel_segment(sender),
                                       IPC_SHM_CHANNEL_RECEIVER), 0);
  for (i = 0; i <= IPC_SHM_WAIT_MAX; i++)
    items[i] = item(IPC_SHM_WAIT_EVENT, event, 0);
  before = test_resources();

  ck_assert_err(ipc_shm_wait_any(items, 1, 0, NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_wait_any(NULL, 1, 0, &ready), IPC_SHM_E_INVAL);
  ck_assert_uint_eq(ready, 1);
  ck_assert_err(ipc_shm_wait_any(items, 0, 0, &ready), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_wait_any(items, IPC_SHM_WAIT_MAX + 1, 0, &ready), IPC_SHM_E_INVAL);
  ck_assert_uint_eq(ready, IPC_SHM_WAIT_MAX + 1);
  ck_assert_err(ipc_shm_wait_any(items, 1, -2, &ready), IPC_SHM_E_INVAL);
  {
    /* Each bad item alone, after a good one: nothing is taken. */
    ipc_shm_wait_item_t bad[] = {
        item((ipc_shm_wait_kind_t)0, event, 0),
        item((ipc_shm_wait_kind_t)99, event, 0),
        item(IPC_SHM_WAIT_EVENT, NULL, 0),
        item(IPC_SHM_WAIT_SEMAPHORE, event, 0),  /* an event as a semaphore */
        item(IPC_SHM_WAIT_MUTEX, semaphore, 0),  /* a semaphore as a mutex */
        item(IPC_SHM_WAIT_EVENT, event, 8),      /* room for an event */
        item(IPC_SHM_WAIT_READABLE, sender, 0),  /* the wrong end */
        item(IPC_SHM_WAIT_WRITABLE, receiver, 8),
        item(IPC_SHM_WAIT_WRITABLE, sender, 0),  /* no room asked for */
        item(IPC_SHM_WAIT_WRITABLE, sender, 65), /* above the maximum */
        item(IPC_SHM_WAIT_READABLE, receiver, 8),
    };
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      ipc_shm_wait_item_t pair[2];
      pair[0] = item(IPC_SHM_WAIT_SEMAPHORE, semaphore, 0);
      pair[1] = bad[i];
      ck_assert_msg(ipc_shm_wait_any(pair, 2, 0, &ready) == IPC_SHM_E_INVAL, "bad item %d",
                    (int)i);
      ck_assert_uint_eq(ready, 2);
    }
  }
  /* The semaphore's one was never taken, nor the event's set. */
  ck_assert_no_leak(before);
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), 0);
  ck_assert_err(ipc_shm_event_wait(event, 0), 0);
  ipc_shm_channel_close(receiver);
  ipc_shm_channel_close(sender);
  ipc_shm_semaphore_close(semaphore);
  ipc_shm_event_close(event);
}
END_TEST

/* Nothing ready: TIMEOUT after the time asked, asleep (the CPU stays
 * idle: no busy loop). */
START_TEST(nothing_ready_times_out_asleep) {
  ipc_shm_event_t *event;
  ipc_shm_semaphore_t *semaphore;
  ipc_shm_mutex_t *mutex;
  ipc_shm_wait_item_t items[3];
  size_t ready = 5;
  double start, took, cpu;
  ck_assert_err(ipc_shm_event_create_anonymous(&event, 0), 0);
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, 0, 1, 0), 0);
  ck_assert_err(ipc_shm_mutex_create_anonymous(&mutex, 0), 0);
  items[0] = item(IPC_SHM_WAIT_EVENT, event, 0);
  items[1] = item(IPC_SHM_WAIT_SEMAPHORE, semaphore, 0);
  ck_assert_err(ipc_shm_wait_any(items, 2, 0, &ready), IPC_SHM_E_TIMEOUT);
  ck_assert_uint_eq(ready, 2);
  start = test_seconds();
  cpu = test_cpu_seconds();
  ck_assert_err(ipc_shm_wait_any(items, 2, 1000, &ready), IPC_SHM_E_TIMEOUT);
  took = test_seconds() - start;
  cpu = test_cpu_seconds() - cpu;
  /* Tolerances, not timings: early is wrong, late only bounded. */
  ck_assert_msg(took >= 0.99 && took < 20.0, "waited %.3f s for 1 s", took);
  ck_assert_msg(cpu < 0.3, "%.3f s of CPU in a 1 s wait", cpu);
  /* With a mutex, a sleeper looks every 2 ms for its owner's death. */
  items[2] = item(IPC_SHM_WAIT_MUTEX, mutex, 0);
  ck_assert_err(ipc_shm_mutex_lock(mutex, 0), 0);
  {
    /* Held by this thread: DEADLOCK, named by its index. */
    ck_assert_err(ipc_shm_wait_any(items, 3, 0, &ready), IPC_SHM_E_DEADLOCK);
    ck_assert_uint_eq(ready, 2);
  }
  ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
  ipc_shm_mutex_close(mutex);
  ipc_shm_semaphore_close(semaphore);
  ipc_shm_event_close(event);
}
END_TEST

/* The lowest ready index wins, taken as its own call would take it. */
START_TEST(the_first_ready_item_is_taken) {
  ipc_shm_event_t *automatic, *manual;
  ipc_shm_semaphore_t *semaphore;
  ipc_shm_mutex_t *mutex;
  ipc_shm_wait_item_t items[4];
  size_t ready = 9;
  ck_assert_err(ipc_shm_event_create_anonymous(&automatic, IPC_SHM_EVENT_SET), 0);
  ck_assert_err(ipc_shm_event_create_anonymous(&manual, IPC_SHM_EVENT_MANUAL), 0);
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, 2, 5, 0), 0);
  ck_assert_err(ipc_shm_mutex_create_anonymous(&mutex, 0), 0);
  items[0] = item(IPC_SHM_WAIT_MUTEX, mutex, 0);
  items[1] = item(IPC_SHM_WAIT_EVENT, automatic, 0);
  items[2] = item(IPC_SHM_WAIT_SEMAPHORE, semaphore, 0);
  items[3] = item(IPC_SHM_WAIT_EVENT, manual, 0);

  /* The free mutex first: locked by the wait. */
  ck_assert_err(ipc_shm_wait_any(items, 4, 0, &ready), 0);
  ck_assert_uint_eq(ready, 0);
  ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
  /* Then the auto-reset event, reset by the taking. */
  ck_assert_err(ipc_shm_wait_any(items + 1, 3, 0, &ready), 0);
  ck_assert_uint_eq(ready, 0);
  ck_assert_err(ipc_shm_event_wait(automatic, 0), IPC_SHM_E_TIMEOUT);
  /* Then the semaphore, one at a time. */
  ck_assert_err(ipc_shm_wait_any(items + 1, 3, LONG_WAIT_MS, &ready), 0);
  ck_assert_uint_eq(ready, 1);
  ck_assert_err(ipc_shm_wait_any(items + 1, 3, LONG_WAIT_MS, &ready), 0);
  ck_assert_uint_eq(ready, 1);
  ck_assert_err(ipc_shm_wait_any(items + 1, 3, 0, &ready), IPC_SHM_E_TIMEOUT);
  ck_assert_uint_eq(ready, 3);
  /* A manual-reset event stays set for every wait. */
  ck_assert_err(ipc_shm_event_set(manual), 0);
  ck_assert_err(ipc_shm_wait_any(items + 1, 3, 0, &ready), 0);
  ck_assert_uint_eq(ready, 2);
  ck_assert_err(ipc_shm_wait_any(items + 1, 3, 0, &ready), 0);
  ck_assert_uint_eq(ready, 2);
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);

  ipc_shm_mutex_close(mutex);
  ipc_shm_semaphore_close(semaphore);
  ipc_shm_event_close(manual);
  ipc_shm_event_close(automatic);
}
END_TEST

/* Channel ends: readable when a message or the sender's end is there,
 * writable when the room is; neither takes anything. */
START_TEST(channel_ends_are_reported_not_taken) {
  ipc_shm_channel_t *sender, *receiver;
  ipc_shm_wait_item_t readable, writable;
  unsigned char message[64], got[64];
  size_t ready = 9, size = 0;
  int sent = 0;
  ck_assert_err(ipc_shm_channel_create_anonymous(&sender, 64, 4096, IPC_SHM_CHANNEL_SENDER), 0);
  ck_assert_err(ipc_shm_channel_attach(&receiver, ipc_shm_channel_segment(sender),
                                       IPC_SHM_CHANNEL_RECEIVER), 0);
  readable = item(IPC_SHM_WAIT_READABLE, receiver, 0);
  writable = item(IPC_SHM_WAIT_WRITABLE, sender, 64);
  memset(message, 'm', sizeof(message));

  ck_assert_err(ipc_shm_wait_any(&readable, 1, 0, &ready), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_wait_any(&writable, 1, 0, &ready), 0);
  ck_assert_uint_eq(ready, 0);
  ck_assert_err(ipc_shm_channel_send(sender, message, 10, 0), 0);
  ck_assert_err(ipc_shm_wait_any(&readable, 1, 0, &ready), 0);
  ck_assert_err(ipc_shm_wait_any(&readable, 1, 0, &ready), 0); /* still there */
  ck_assert_err(ipc_shm_channel_receive(receiver, got, sizeof(got), &size, 0), 0);
  ck_assert_uint_eq(size, 10);
  ck_assert_err(ipc_shm_wait_any(&readable, 1, 0, &ready), IPC_SHM_E_TIMEOUT);

  /* A full ring: not writable until the receiver takes one. */
  while (ipc_shm_channel_send(sender, message, 64, 0) == 0)
    sent++;
  ck_assert_int_gt(sent, 10);
  ck_assert_err(ipc_shm_wait_any(&writable, 1, 50, &ready), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_channel_receive(receiver, got, sizeof(got), &size, 0), 0);
  ck_assert_err(ipc_shm_wait_any(&writable, 1, 0, &ready), 0);

  /* The sender gone: readable while messages remain, and after. */
  ipc_shm_channel_close(sender);
  ck_assert_err(ipc_shm_wait_any(&readable, 1, 0, &ready), 0);
  while (ipc_shm_channel_receive(receiver, got, sizeof(got), &size, 0) == 0)
    sent--;
  ck_assert_int_eq(sent, 1);
  ck_assert_err(ipc_shm_wait_any(&readable, 1, 0, &ready), 0);
  ck_assert_err(ipc_shm_channel_receive(receiver, got, sizeof(got), &size, 0),
                IPC_SHM_E_DISCONNECTED);
  ipc_shm_channel_close(receiver);
}
END_TEST

START_TEST(topics_are_reported_not_taken) {
  ipc_shm_topic_t *pub, *sub;
  ipc_shm_wait_item_t readable, writable, wrong;
  unsigned char got[64];
  size_t ready = 9, size = 0;
  ck_assert_err(ipc_shm_topic_create_anonymous(&pub, 64, 2, IPC_SHM_TOPIC_PUBLISHER), 0);
  ck_assert_err(ipc_shm_topic_attach(&sub, ipc_shm_topic_segment(pub), IPC_SHM_TOPIC_SUBSCRIBER),
                0);
  readable = item(IPC_SHM_WAIT_TOPIC_READABLE, sub, 0);
  writable = item(IPC_SHM_WAIT_TOPIC_WRITABLE, pub, 64);
  /* Roles and rooms are checked. */
  wrong = item(IPC_SHM_WAIT_TOPIC_READABLE, pub, 0);
  ck_assert_err(ipc_shm_wait_any(&wrong, 1, 0, &ready), IPC_SHM_E_INVAL);
  ck_assert_uint_eq(ready, 1);
  wrong = item(IPC_SHM_WAIT_TOPIC_WRITABLE, sub, 8);
  ck_assert_err(ipc_shm_wait_any(&wrong, 1, 0, &ready), IPC_SHM_E_INVAL);
  wrong = item(IPC_SHM_WAIT_TOPIC_WRITABLE, pub, 0);
  ck_assert_err(ipc_shm_wait_any(&wrong, 1, 0, &ready), IPC_SHM_E_INVAL);
  wrong = item(IPC_SHM_WAIT_TOPIC_WRITABLE, pub, 65);
  ck_assert_err(ipc_shm_wait_any(&wrong, 1, 0, &ready), IPC_SHM_E_INVAL);
  wrong = item(IPC_SHM_WAIT_TOPIC_READABLE, sub, 1);
  ck_assert_err(ipc_shm_wait_any(&wrong, 1, 0, &ready), IPC_SHM_E_INVAL);

  ck_assert_err(ipc_shm_wait_any(&readable, 1, 0, &ready), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_wait_any(&writable, 1, 0, &ready), 0);
  ck_assert_uint_eq(ready, 0);
  ck_assert_err(ipc_shm_topic_publish(pub, "one", 3, 0), 0);
  ck_assert_err(ipc_shm_wait_any(&readable, 1, 0, &ready), 0);
  ck_assert_err(ipc_shm_wait_any(&readable, 1, 0, &ready), 0); /* still there */
  /* Both slots hold what the subscriber has not read: not writable. */
  ck_assert_err(ipc_shm_topic_publish(pub, "two", 3, 0), 0);
  ck_assert_err(ipc_shm_wait_any(&writable, 1, 50, &ready), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_topic_receive(sub, got, sizeof(got), &size, NULL, 0), 0);
  ck_assert_err(ipc_shm_wait_any(&writable, 1, 0, &ready), 0);
  ck_assert_err(ipc_shm_topic_receive(sub, got, sizeof(got), &size, NULL, 0), 0);
  ck_assert_err(ipc_shm_wait_any(&readable, 1, 50, &ready), IPC_SHM_E_TIMEOUT);
  /* The publisher gone: readable, and the read says so. */
  ipc_shm_topic_close(pub);
  ck_assert_err(ipc_shm_wait_any(&readable, 1, 0, &ready), 0);
  ck_assert_err(ipc_shm_topic_receive(sub, got, sizeof(got), &size, NULL, 0),
                IPC_SHM_E_DISCONNECTED);
  ipc_shm_topic_close(sub);
}
END_TEST

/* ---- Sleepers woken by other processes ---- */

typedef struct waiter {
  ipc_shm_wait_item_t items[4];
  size_t count, ready;
  int err;
  double took; /* seconds the wait took */
} waiter_t;

static int wait_in_thread(void *arg) {
  waiter_t *w = (waiter_t *)arg;
#ifndef _WIN32
  /* Only a wake-up may end this sleep: not the SIGCHLD of a helper that
   * exits (a signal ends any sleep, and the wait would look again). */
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &blocked, NULL);
#endif
  double start = test_seconds();
  w->err = ipc_shm_wait_any(w->items, w->count, LONG_WAIT_MS, &w->ready);
  w->took = test_seconds() - start;
  return 0;
}

/* Join the waiting thread, and check that a wake-up ended its wait, long
 * before its time ran out (the item is ready after the time too, and a
 * last look would take it). */
static void join_woken(test_thread_t *thread, const waiter_t *w) {
  test_thread_join(thread);
  ck_assert_msg(w->took >= 0 && w->took < LONG_WAIT_MS / 2000.0,
                "the wait took %.3f s: nothing woke it", w->took);
}

/* Start a thread waiting on `w` and give it time to fall asleep (the test
 * must pass either way). */
static test_thread_t *wait_meanwhile(waiter_t *w) {
  w->took = -1;
  test_thread_t *thread = test_thread_start(wait_in_thread, w);
  test_sleep_ms(100);
  return thread;
}

START_TEST(a_post_or_a_set_elsewhere_wakes_the_sleeper) {
  char sem_name[IPC_SHM_NAME_MAX + 1], ev_name[IPC_SHM_NAME_MAX + 1], out[64];
  ipc_shm_semaphore_t *semaphore;
  ipc_shm_event_t *event;
  waiter_t w;
  test_thread_t *thread;
  ck_assert_err(ipc_shm_semaphore_create(&semaphore, test_name(sem_name, "wp"), 0, 4, 0), 0);
  ck_assert_err(ipc_shm_event_create(&event, test_name(ev_name, "we"), 0), 0);
  memset(&w, 0, sizeof(w));
  w.items[0] = item(IPC_SHM_WAIT_EVENT, event, 0);
  w.items[1] = item(IPC_SHM_WAIT_SEMAPHORE, semaphore, 0);
  w.count = 2;

  /* Another process posts the semaphore. */
  thread = wait_meanwhile(&w);
  {
    const char *argv[] = {"helper", "sem-post", sem_name, "1", NULL};
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
  }
  join_woken(thread, &w);
  ck_assert_err(w.err, 0);
  ck_assert_uint_eq(w.ready, 1);
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);

  /* Another process sets the event. */
  {
    const char *argv[] = {"helper", "event-set-later", ev_name, NULL};
    test_proc_t *setter = test_proc_start("ipcshm_tests", argv);
    test_expect_line(setter, "ready");
    thread = wait_meanwhile(&w);
    test_proc_write(setter, "go\n", 3);
    test_expect_line(setter, "OK");
    ck_assert_int_eq(test_proc_wait(setter), 0);
  }
  join_woken(thread, &w);
  ck_assert_err(w.err, 0);
  ck_assert_uint_eq(w.ready, 0);
  ck_assert_err(ipc_shm_event_wait(event, 0), IPC_SHM_E_TIMEOUT); /* taken */

  ipc_shm_event_close(event);
  ipc_shm_semaphore_close(semaphore);
  test_remove_name(sem_name);
  test_remove_name(ev_name);
}
END_TEST

START_TEST(a_message_or_an_owners_death_wakes_the_sleeper) {
  char ch_name[IPC_SHM_NAME_MAX + 1], mx_name[IPC_SHM_NAME_MAX + 1], out[64];
  ipc_shm_channel_t *receiver;
  ipc_shm_mutex_t *mutex;
  ipc_shm_semaphore_t *semaphore;
  waiter_t w;
  test_thread_t *thread;
  ck_assert_err(ipc_shm_channel_create(&receiver, test_name(ch_name, "wc"), 65536, 1 << 20,
                                       IPC_SHM_CHANNEL_RECEIVER), 0);
  ck_assert_err(ipc_shm_mutex_create(&mutex, test_name(mx_name, "wm"), 0), 0);
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, 0, 1, 0), 0);
  memset(&w, 0, sizeof(w));
  w.items[0] = item(IPC_SHM_WAIT_SEMAPHORE, semaphore, 0);
  w.items[1] = item(IPC_SHM_WAIT_READABLE, receiver, 0);
  w.count = 2;

  /* A message from another process. */
  thread = wait_meanwhile(&w);
  {
    const char *argv[] = {"helper", "channel-send", ch_name, "0", "1", NULL};
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
  }
  join_woken(thread, &w);
  ck_assert_err(w.err, 0);
  ck_assert_uint_eq(w.ready, 1);
  {
    const void *data;
    size_t size;
    ck_assert_err(ipc_shm_channel_peek(receiver, &data, &size, 0), 0);
    ck_assert_err(ipc_shm_channel_release(receiver), 0);
  }

  /* A mutex whose holder is killed: locked, with OWNER_DEAD. */
  {
    const char *argv[] = {"helper", "mutex-hold", mx_name, "-", NULL};
    test_proc_t *holder = test_proc_start("ipcshm_tests", argv);
    test_expect_line(holder, "locked");
    w.items[1] = item(IPC_SHM_WAIT_MUTEX, mutex, 0);
    thread = wait_meanwhile(&w);
    test_proc_kill(holder);
    ck_assert_int_ne(test_proc_wait(holder), 0);
  }
  join_woken(thread, &w);
  ck_assert_err(w.err, IPC_SHM_E_OWNER_DEAD);
  ck_assert_uint_eq(w.ready, 1);
  /* The thread that took it has ended holding it: closed as it is. */
  ipc_shm_mutex_close(mutex);
  ipc_shm_semaphore_close(semaphore);
  ipc_shm_channel_close(receiver);
  test_remove_name(ch_name);
  test_remove_name(mx_name);
}
END_TEST

#if TEST_LINUX
typedef struct poster {
  ipc_shm_semaphore_t *semaphore;
} poster_t;

static int post_later(void *arg) {
  test_sleep_ms(100);
  return ipc_shm_semaphore_post(((poster_t *)arg)->semaphore);
}

/* Before Linux 5.16 there is no futex_waitv: the first ENOSYS turns the
 * sleeper to polling the words, which still sees a post at once. */
START_TEST(without_futex_waitv_the_words_are_polled) {
  ipc_shm_semaphore_t *semaphore;
  ipc_shm_event_t *event;
  ipc_shm_wait_item_t items[2];
  poster_t poster;
  test_thread_t *thread;
  size_t ready = 9;
  double start, took;
  int waitv = ipc_shm__syscall_find("futex_waitv");
  int nanosleep_entry = ipc_shm__syscall_find("nanosleep");
  ck_assert_int_ge(waitv, 0);
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, 0, 1, 0), 0);
  ck_assert_err(ipc_shm_event_create_anonymous(&event, 0), 0);
  items[0] = item(IPC_SHM_WAIT_EVENT, event, 0);
  items[1] = item(IPC_SHM_WAIT_SEMAPHORE, semaphore, 0);
  poster.semaphore = semaphore;
  ipc_shm__faults_begin();
  ipc_shm__fault_arm(waitv, 1, ENOSYS);
  thread = test_thread_start(post_later, &poster);
  start = test_seconds();
  ck_assert_err(ipc_shm_wait_any(items, 2, LONG_WAIT_MS, &ready), 0);
  took = test_seconds() - start;
  ck_assert_int_eq(test_thread_join(thread), 0);
  ck_assert_uint_eq(ready, 1);
  ck_assert_msg(took < LONG_WAIT_MS / 2000.0, "the wait took %.3f s", took);
  /* Asked once, then polled. */
  ck_assert_uint_eq(ipc_shm__fault_calls(waitv), 1);
  ck_assert_uint_gt(ipc_shm__fault_calls(nanosleep_entry), 0);
  ipc_shm__faults_end();
  ipc_shm_event_close(event);
  ipc_shm_semaphore_close(semaphore);
}
END_TEST
#endif

START_TEST(a_publication_or_a_subscribers_death_wakes_the_sleeper) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_topic_t *sub, *pub;
  ipc_shm_semaphore_t *semaphore;
  waiter_t w;
  test_thread_t *thread;
  ck_assert_err(ipc_shm_topic_create(&sub, test_name(name, "wt"), 64, 2,
                                     IPC_SHM_TOPIC_SUBSCRIBER),
                0);
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, 0, 1, 0), 0);
  memset(&w, 0, sizeof(w));
  w.items[0] = item(IPC_SHM_WAIT_SEMAPHORE, semaphore, 0);
  w.items[1] = item(IPC_SHM_WAIT_TOPIC_READABLE, sub, 0);
  w.count = 2;

  /* A message published by another process. */
  thread = wait_meanwhile(&w);
  {
    const char *argv[] = {"helper", "topic-publish", name, "1", NULL};
    char out[64];
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
  }
  join_woken(thread, &w);
  ck_assert_err(w.err, 0);
  ck_assert_uint_eq(w.ready, 1);

  /* A publisher held back by a subscriber that is killed. */
  ck_assert_err(ipc_shm_topic_open(&pub, name, IPC_SHM_TOPIC_PUBLISHER), 0);
  ipc_shm_topic_close(sub);
  ck_assert_err(ipc_shm_topic_publish(pub, "a", 1, 0), 0);
  ck_assert_err(ipc_shm_topic_publish(pub, "b", 1, 0), 0);
  {
    const char *argv[] = {"helper", "topic-die", name, "peeked", NULL};
    test_proc_t *holder = test_proc_start("ipcshm_tests", argv);
    test_expect_line(holder, "ready");
    w.items[1] = item(IPC_SHM_WAIT_TOPIC_WRITABLE, pub, 64);
    ck_assert_err(ipc_shm_wait_any(w.items, 2, 0, &w.ready), IPC_SHM_E_TIMEOUT);
    thread = wait_meanwhile(&w);
    test_proc_kill(holder);
    ck_assert_int_ne(test_proc_wait(holder), 0);
  }
  join_woken(thread, &w);
  ck_assert_err(w.err, 0);
  ck_assert_uint_eq(w.ready, 1);
  ck_assert_err(ipc_shm_topic_publish(pub, "c", 1, 0), 0);
  ipc_shm_topic_close(pub);
  ipc_shm_semaphore_close(semaphore);
  test_remove_name(name);
}
END_TEST

void add_wait_any_cases(Suite *suite) {
  TCase *tc = tcase_create("wait_any");
  tcase_add_test(tc, bad_arguments_are_refused);
  tcase_add_test(tc, nothing_ready_times_out_asleep);
  tcase_add_test(tc, the_first_ready_item_is_taken);
  tcase_add_test(tc, channel_ends_are_reported_not_taken);
  tcase_add_test(tc, topics_are_reported_not_taken);
#if TEST_LINUX
  tcase_add_test(tc, without_futex_waitv_the_words_are_polled);
#endif
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);

  tc = tcase_create("wait_any_processes");
  tcase_add_test(tc, a_post_or_a_set_elsewhere_wakes_the_sleeper);
  tcase_add_test(tc, a_message_or_an_owners_death_wakes_the_sleeper);
  tcase_add_test(tc, a_publication_or_a_subscribers_death_wakes_the_sleeper);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);
}
