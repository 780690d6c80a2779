/* SPDX-License-Identifier: MIT */
/* Semaphores: counts and their limits, the one namespace, counting across
 * processes and threads, every hand-over route, the tool, state a hostile
 * peer writes (POSIX) and programs that use the raw calls (Windows). */
#include "handover_util.h"

#include "../src/common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../src/posix/sync_block.h"
#endif

/* A wait long enough for any machine, short enough to end a hung test. */
#define LONG_WAIT_MS 20000

/* ---- Helpers for other processes ---- */

/* sem-by ROUTE [ARG]: take a semaphore by ROUTE (import TOKEN, pull
 * TOKEN, inherited, receive LISTENER, push), post it once, and say
 * "post OK", or "error NAME" when it could not be had. */
static int helper_sem_by(char **argv) {
  const char *route = argv[0];
  ipc_shm_semaphore_t *semaphore = NULL;
  ipc_shm_conn_t *conn = NULL;
  char token[IPC_SHM_TOKEN_MAX + 2], line[64];
  int err;
  if (strcmp(route, "push") == 0) {
    if (await_pushed_token(token) != 0)
      return 1;
    route = "import";
  } else if (argv[1] != NULL) {
    snprintf(token, sizeof(token), "%s", argv[1]);
  }
  if (strcmp(route, "import") == 0)
    err = ipc_shm_semaphore_import(&semaphore, token);
  else if (strcmp(route, "pull") == 0)
    err = ipc_shm_semaphore_pull(&semaphore, token);
  else if (strcmp(route, "inherited") == 0)
    err = ipc_shm_semaphore_inherited(&semaphore, 0);
  else {
    err = ipc_shm_connect(&conn, token);
    if (err == 0)
      err = ipc_shm_semaphore_receive(conn, &semaphore);
  }
  if (err == 0) {
    snprintf(line, sizeof(line), "post %s", ipc_shm_err_name(ipc_shm_semaphore_post(semaphore)));
    ipc_shm_semaphore_close(semaphore);
  } else {
    snprintf(line, sizeof(line), "error %s", ipc_shm_err_name(err));
  }
  test_say(line);
  if (conn != NULL)
    ipc_shm_conn_close(conn);
  return err != 0;
}

/* sem-post NAME COUNT: open NAME, post COUNT times; say "posted N". */
static int helper_sem_post(char **argv) {
  ipc_shm_semaphore_t *semaphore;
  long i, count = strtol(argv[1], NULL, 10);
  char line[64];
  if (ipc_shm_semaphore_open(&semaphore, argv[0], 0) != 0)
    return 1;
  for (i = 0; i < count; i++)
    if (ipc_shm_semaphore_post(semaphore) != 0)
      break;
  snprintf(line, sizeof(line), "posted %ld", i);
  test_say(line);
  ipc_shm_semaphore_close(semaphore);
  return i == count ? 0 : 1;
}

/* sem-take NAME COUNT: open NAME, say "ready", take COUNT, each within
 * LONG_WAIT_MS; say "took N". */
static int helper_sem_take(char **argv) {
  ipc_shm_semaphore_t *semaphore;
  long i, count = strtol(argv[1], NULL, 10);
  char line[64];
  if (ipc_shm_semaphore_open(&semaphore, argv[0], 0) != 0)
    return 1;
  test_say("ready");
  for (i = 0; i < count; i++)
    if (ipc_shm_semaphore_wait(semaphore, LONG_WAIT_MS) != 0)
      break;
  snprintf(line, sizeof(line), "took %ld", i);
  test_say(line);
  ipc_shm_semaphore_close(semaphore);
  return i == count ? 0 : 1;
}

int run_semaphore_helper(int argc, char **argv) {
  static const test_helper_mode_t modes[] = {
      {"sem-by", -1, helper_sem_by},
      {"sem-post", 2, helper_sem_post},
      {"sem-take", 2, helper_sem_take},
  };
  return test_dispatch_helper(modes, sizeof(modes) / sizeof(modes[0]), argc, argv);
}

/* ---- Rules ---- */

START_TEST(counts_stay_between_zero_and_the_maximum) {
  ipc_shm_semaphore_t *semaphore;
  test_resources_t before = test_resources();
  int i;
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, 2, 3, 0), 0);
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), 0);
  ck_assert_err(ipc_shm_semaphore_wait(semaphore, 0), 0);
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);
  for (i = 0; i < 3; i++)
    ck_assert_err(ipc_shm_semaphore_post(semaphore), 0);
  /* At the maximum: refused, and the count stays. */
  ck_assert_err(ipc_shm_semaphore_post(semaphore), IPC_SHM_E_LIMIT);
  ck_assert_str_eq(ipc_shm_err_name(IPC_SHM_E_LIMIT), "LIMIT");
  for (i = 0; i < 3; i++)
    ck_assert_err(ipc_shm_semaphore_wait(semaphore, LONG_WAIT_MS), 0);
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_semaphore_close(semaphore), 0);

  /* The largest maximum Windows allows, and a binary semaphore. */
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, IPC_SHM_SEMAPHORE_MAX,
                                                   IPC_SHM_SEMAPHORE_MAX, 0), 0);
  ck_assert_err(ipc_shm_semaphore_post(semaphore), IPC_SHM_E_LIMIT);
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), 0);
  ck_assert_err(ipc_shm_semaphore_post(semaphore), 0);
  ck_assert_err(ipc_shm_semaphore_close(semaphore), 0);
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, 0, 1, 0), 0);
  ck_assert_err(ipc_shm_semaphore_post(semaphore), 0);
  ck_assert_err(ipc_shm_semaphore_post(semaphore), IPC_SHM_E_LIMIT);
  ck_assert_err(ipc_shm_semaphore_close(semaphore), 0);
  ck_assert_no_leak(before);
}
END_TEST

/* The kernel object for event loops (Windows), or NOT_SUPPORTED. */
START_TEST(event_loops_get_the_kernel_object) {
  ipc_shm_semaphore_t *semaphore;
  ipc_shm_native_t native;
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, 0, 2, 0), 0);
  ck_assert_err(ipc_shm_semaphore_native(NULL, &native), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_native(semaphore, NULL), IPC_SHM_E_INVAL);
#ifdef _WIN32
  ck_assert_err(ipc_shm_semaphore_native(semaphore, &native), 0);
  ck_assert_err(ipc_shm_semaphore_post(semaphore), 0);
  ck_assert_err(ipc_shm_semaphore_post(semaphore), 0);
  /* Each wait on the handle takes one. */
  ck_assert_uint_eq(WaitForSingleObject((HANDLE)native, 0), WAIT_OBJECT_0);
  ck_assert_uint_eq(WaitForSingleObject((HANDLE)native, 0), WAIT_OBJECT_0);
  ck_assert_uint_eq(WaitForSingleObject((HANDLE)native, 0), WAIT_TIMEOUT);
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);
#else
  native = 5;
  ck_assert_err(ipc_shm_semaphore_native(semaphore, &native), IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_int_eq(native, -1);
#endif
  ipc_shm_semaphore_close(semaphore);
}
END_TEST

START_TEST(bad_arguments_are_refused) {
  char name[IPC_SHM_NAME_MAX + 1], missing[IPC_SHM_NAME_MAX + 1];
  ipc_shm_semaphore_t *semaphore, *got = (ipc_shm_semaphore_t *)1;
  test_resources_t before;
  ck_assert_err(ipc_shm_semaphore_create(&semaphore, test_name(name, "sb"), 0, 4, 0), 0);
  test_name(missing, "sx");
  before = test_resources();

  ck_assert_err(ipc_shm_semaphore_create(NULL, missing, 0, 1, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_create_anonymous(NULL, 0, 1, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_open(NULL, name, 0), IPC_SHM_E_INVAL);
  /* Counts out of range. */
  ck_assert_err(ipc_shm_semaphore_create(&got, missing, 0, 0, 0), IPC_SHM_E_INVAL);
  ck_assert_ptr_null(got);
  got = (ipc_shm_semaphore_t *)1;
  ck_assert_err(ipc_shm_semaphore_create(&got, missing, 3, 2, 0), IPC_SHM_E_INVAL);
  ck_assert_ptr_null(got);
  ck_assert_err(ipc_shm_semaphore_create(&got, missing, 0, IPC_SHM_SEMAPHORE_MAX + 1u, 0),
                IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&got, 0, 0, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&got, 5, 4, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&got, 0, 0xFFFFFFFFu, 0), IPC_SHM_E_INVAL);
  /* Flags that are not a semaphore's. */
  ck_assert_err(ipc_shm_semaphore_create(&got, missing, 0, 1, IPC_SHM_EVENT_MANUAL),
                IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_create(&got, missing, 0, 1, IPC_SHM_READONLY),
                IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&got, 0, 1, IPC_SHM_GLOBAL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_open(&got, name, IPC_SHM_READONLY), IPC_SHM_E_INVAL);
  /* Names. */
  ck_assert_err(ipc_shm_semaphore_create(&got, NULL, 0, 1, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_create(&got, "", 0, 1, 0), IPC_SHM_E_NAME_INVALID);
  ck_assert_err(ipc_shm_semaphore_open(&got, "a/b", 0), IPC_SHM_E_NAME_INVALID);
  ck_assert_err(ipc_shm_semaphore_open(&got, missing, 0), IPC_SHM_E_NOT_FOUND);
  ck_assert_ptr_null(got);
  /* Calls on nothing, and bad timeouts. */
  ck_assert_err(ipc_shm_semaphore_post(NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_wait(NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_trywait(NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_close(NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_wait(semaphore, -2), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_semaphore_wait(semaphore, INT64_MIN), IPC_SHM_E_INVAL);
  ck_assert_no_leak(before);
  /* Nothing was made under the missing name. */
  ck_assert_err(ipc_shm_semaphore_open(&got, missing, 0), IPC_SHM_E_NOT_FOUND);
  ck_assert_err(ipc_shm_semaphore_close(semaphore), 0);
  test_remove_name(name);
}
END_TEST

/* Segments, events, mutexes and semaphores share one namespace. */
START_TEST(one_name_names_one_object) {
  char sem_name[IPC_SHM_NAME_MAX + 1], seg_name[IPC_SHM_NAME_MAX + 1],
      ev_name[IPC_SHM_NAME_MAX + 1], mx_name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_semaphore_t *semaphore, *same, *got = NULL;
  ipc_shm_t *shm, *got_shm = NULL;
  ipc_shm_event_t *event, *got_event = NULL;
  ipc_shm_mutex_t *mutex, *got_mutex = NULL;
  test_resources_t before;
  ck_assert_err(ipc_shm_semaphore_create(&semaphore, test_name(sem_name, "ns"), 1, 10, 0), 0);
  ck_assert_err(ipc_shm_create(&shm, test_name(seg_name, "nz"), 4096, 0), 0);
  ck_assert_err(ipc_shm_event_create(&event, test_name(ev_name, "ne"), 0), 0);
  ck_assert_err(ipc_shm_mutex_create(&mutex, test_name(mx_name, "nm"), 0), 0);
  before = test_resources();

  /* Opened by name: the same count. */
  ck_assert_err(ipc_shm_semaphore_open(&same, sem_name, 0), 0);
  ck_assert_err(ipc_shm_semaphore_trywait(same), 0);
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_semaphore_post(semaphore), 0);
  ck_assert_err(ipc_shm_semaphore_trywait(same), 0);
  ck_assert_err(ipc_shm_semaphore_close(same), 0);

  ck_assert_err(ipc_shm_semaphore_create(&got, sem_name, 0, 1, 0), IPC_SHM_E_EXISTS);
  ck_assert_err(ipc_shm_semaphore_create(&got, seg_name, 0, 1, 0), IPC_SHM_E_EXISTS);
  ck_assert_err(ipc_shm_semaphore_create(&got, ev_name, 0, 1, 0), IPC_SHM_E_EXISTS);
  ck_assert_err(ipc_shm_semaphore_create(&got, mx_name, 0, 1, 0), IPC_SHM_E_EXISTS);
  ck_assert_err(ipc_shm_create(&got_shm, sem_name, 4096, 0), IPC_SHM_E_EXISTS);
  ck_assert_err(ipc_shm_event_create(&got_event, sem_name, 0), IPC_SHM_E_EXISTS);
  ck_assert_err(ipc_shm_mutex_create(&got_mutex, sem_name, 0), IPC_SHM_E_EXISTS);

  ck_assert_err(ipc_shm_semaphore_open(&got, seg_name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_semaphore_open(&got, ev_name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_semaphore_open(&got, mx_name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_open(&got_shm, sem_name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_event_open(&got_event, sem_name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_mutex_open(&got_mutex, sem_name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_ptr_null(got);
  ck_assert_ptr_null(got_shm);
  ck_assert_ptr_null(got_event);
  ck_assert_ptr_null(got_mutex);
  ck_assert_no_leak(before);

  ipc_shm_semaphore_close(semaphore);
  ipc_shm_close(shm);
  ipc_shm_event_close(event);
  ipc_shm_mutex_close(mutex);
  test_remove_name(sem_name);
  test_remove_name(seg_name);
  test_remove_name(ev_name);
  test_remove_name(mx_name);
}
END_TEST

/* Thousands of cycles leave nothing behind: handles, mappings, names. */
START_TEST(cycles_leave_nothing_behind) {
  char name[IPC_SHM_NAME_MAX + 1];
  test_resources_t before = test_resources();
  long names = test_own_shm_names();
  int i;
  test_name(name, "cy");
  for (i = 0; i < 2000; i++) {
    ipc_shm_semaphore_t *made, *opened, *anonymous;
    ipc_shm_wait_item_t items[2];
    size_t ready;
    ck_assert_err(ipc_shm_semaphore_create(&made, name, 0, 2, 0), 0);
    ck_assert_err(ipc_shm_semaphore_open(&opened, name, 0), 0);
    ck_assert_err(ipc_shm_semaphore_create_anonymous(&anonymous, 1, 1, 0), 0);
    ck_assert_err(ipc_shm_semaphore_post(made), 0);
    items[0].kind = items[1].kind = IPC_SHM_WAIT_SEMAPHORE;
    items[0].object = opened;
    items[1].object = anonymous;
    items[0].room = items[1].room = 0;
    ck_assert_err(ipc_shm_wait_any(items, 2, 0, &ready), 0);
    ck_assert_uint_eq(ready, 0);
    ck_assert_err(ipc_shm_wait_any(items, 2, 0, &ready), 0);
    ck_assert_uint_eq(ready, 1);
    ck_assert_err(ipc_shm_semaphore_close(anonymous), 0);
    ck_assert_err(ipc_shm_semaphore_close(opened), 0);
    ck_assert_err(ipc_shm_semaphore_close(made), 0);
    if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
      ck_assert_err(ipc_shm_remove(name, 0), 0);
  }
  ck_assert_no_leak(before);
  ck_assert_int_eq(test_own_shm_names(), names);
}
END_TEST

START_TEST(timeouts_are_honoured) {
  ipc_shm_semaphore_t *semaphore;
  double start, took;
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, 0, 1, 0), 0);
  start = test_seconds();
  ck_assert_err(ipc_shm_semaphore_wait(semaphore, 200), IPC_SHM_E_TIMEOUT);
  took = test_seconds() - start;
  /* A tolerance, not a timing: early is wrong, late only bounded. */
  ck_assert_msg(took >= 0.19 && took < 10.0, "waited %.3f s for 200 ms", took);
  ipc_shm_semaphore_close(semaphore);
}
END_TEST

/* ---- Counting across processes and threads ---- */

/* A process asleep in a wait is woken by a post from another. */
START_TEST(a_post_wakes_a_waiter_in_another_process) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_semaphore_t *semaphore;
  const char *argv[] = {"helper", "sem-take", NULL, "1", NULL};
  test_proc_t *taker;
  ck_assert_err(ipc_shm_semaphore_create(&semaphore, test_name(name, "sw"), 0, 1, 0), 0);
  argv[2] = name;
  taker = test_proc_start("ipcshm_tests", argv);
  test_expect_line(taker, "ready");
  test_sleep_ms(100); /* most likely asleep by now; either way it must take */
  ck_assert_err(ipc_shm_semaphore_post(semaphore), 0);
  test_expect_line(taker, "took 1");
  ck_assert_int_eq(test_proc_wait(taker), 0);
  /* It took the one there was. */
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);
  ipc_shm_semaphore_close(semaphore);
  test_remove_name(name);
}
END_TEST

/* Two processes post and two take at once: every post is taken exactly
 * once, and the count ends where it began. */
START_TEST(every_post_is_taken_once_across_processes) {
  enum { PER_PROCESS = 2000 };
  char name[IPC_SHM_NAME_MAX + 1], count[16];
  ipc_shm_semaphore_t *semaphore;
  test_proc_t *takers[2], *posters[2];
  int i;
  snprintf(count, sizeof(count), "%d", PER_PROCESS);
  ck_assert_err(ipc_shm_semaphore_create(&semaphore, test_name(name, "sc"), 0,
                                         IPC_SHM_SEMAPHORE_MAX, 0), 0);
  for (i = 0; i < 2; i++) {
    const char *argv[] = {"helper", "sem-take", name, count, NULL};
    takers[i] = test_proc_start("ipcshm_tests", argv);
    test_expect_line(takers[i], "ready");
  }
  for (i = 0; i < 2; i++) {
    const char *argv[] = {"helper", "sem-post", name, count, NULL};
    posters[i] = test_proc_start("ipcshm_tests", argv);
  }
  for (i = 0; i < 2; i++) {
    char expected[32];
    snprintf(expected, sizeof(expected), "posted %d", PER_PROCESS);
    test_expect_line(posters[i], expected);
    ck_assert_int_eq(test_proc_wait(posters[i]), 0);
    snprintf(expected, sizeof(expected), "took %d", PER_PROCESS);
    test_expect_line(takers[i], expected);
    ck_assert_int_eq(test_proc_wait(takers[i]), 0);
  }
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);
  ipc_shm_semaphore_close(semaphore);
  test_remove_name(name);
}
END_TEST

typedef struct taker {
  ipc_shm_semaphore_t *semaphore;
  int wanted;
} taker_t;

/* Take `wanted`, each within LONG_WAIT_MS; returns how many it took. */
static int take_many(void *arg) {
  taker_t *taker = (taker_t *)arg;
  int taken = 0;
  while (taken < taker->wanted && ipc_shm_semaphore_wait(taker->semaphore, LONG_WAIT_MS) == 0)
    taken++;
  return taken;
}

/* Four threads take while one posts, through one handle and a small
 * maximum that makes the poster meet LIMIT: nothing lost, nothing twice. */
START_TEST(every_post_is_taken_once_across_threads) {
  enum { THREADS = 4, PER_THREAD = 5000 };
  ipc_shm_semaphore_t *semaphore;
  test_thread_t *threads[THREADS];
  taker_t taker;
  int i, posted = 0, full = 0;
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, 0, 3, 0), 0);
  taker.semaphore = semaphore;
  taker.wanted = PER_THREAD;
  for (i = 0; i < THREADS; i++)
    threads[i] = test_thread_start(take_many, &taker);
  while (posted < THREADS * PER_THREAD) {
    int err = ipc_shm_semaphore_post(semaphore);
    if (err == 0)
      posted++;
    else {
      ck_assert_err(err, IPC_SHM_E_LIMIT);
      full++;
      test_sleep_ms(0);
    }
  }
  for (i = 0; i < THREADS; i++)
    ck_assert_int_eq(test_thread_join(threads[i]), PER_THREAD);
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);
  ipc_shm_semaphore_close(semaphore);
  (void)full;
}
END_TEST

/* ---- Hand-over ---- */

/* What a child said after it posted, and the post it made. */
static void check_posted(ipc_shm_semaphore_t *semaphore, char *said) {
  said[strcspn(said, "\r\n")] = '\0';
  ck_assert_str_eq(said, "post OK");
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), 0);
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);
}

START_TEST(every_route_hands_over_a_semaphore) {
  char path[1200], out[256], name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_semaphore_t *semaphore;
  ipc_shm_export_t *exp;
  test_resources_t before;
  helper_path(path, sizeof(path));
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, 0, 5, 0), 0);
  before = test_resources();

  /* Spawn. */
  {
    ipc_shm_inherit_t entry;
    ipc_shm_process_t *child;
    int code = -1;
    const char *argv[] = {path, "helper", "sem-by", "inherited", NULL};
    memset(&entry, 0, sizeof(entry));
    entry.semaphore = semaphore;
    ck_assert_err(ipc_shm_spawn(&child, argv, &entry, 1), 0);
    ck_assert_err(ipc_shm_process_wait(child, &code), 0);
    ck_assert_int_eq(code, 0);
    ck_assert_err(ipc_shm_semaphore_trywait(semaphore), 0);
    ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);
  }
  /* Export and import; the token is never taken for another kind. */
  ck_assert_err(ipc_shm_semaphore_export(&exp, semaphore, 0), 0);
  ck_assert_ptr_nonnull(strstr(ipc_shm_export_token(exp), ":sem:"));
  {
    const char *argv[] = {"helper", "sem-by", "import", ipc_shm_export_token(exp), NULL};
    ipc_shm_event_t *event = NULL;
    ipc_shm_t *shm = NULL;
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
    check_posted(semaphore, out);
    ck_assert_err(ipc_shm_event_import(&event, ipc_shm_export_token(exp)), IPC_SHM_E_WRONG_KIND);
    ck_assert_err(ipc_shm_import(&shm, ipc_shm_export_token(exp)), IPC_SHM_E_WRONG_KIND);
    ck_assert_ptr_null(event);
    ck_assert_ptr_null(shm);
  }
  ipc_shm_export_close(exp);
  /* Pull. */
  ck_assert_err(ipc_shm_semaphore_export(&exp, semaphore, IPC_SHM_EXPORT_PULL), 0);
  if (TEST_CAN_PULL) {
    const char *argv[] = {"helper", "sem-by", "pull", ipc_shm_export_token(exp), NULL};
    test_allow_pullers();
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
    check_posted(semaphore, out);
  }
  ipc_shm_export_close(exp);
  /* Push (Windows), or NOT_SUPPORTED. */
  {
    char token[IPC_SHM_TOKEN_MAX];
#ifdef _WIN32
    char line[256];
    unsigned long pid;
    const char *argv[] = {"helper", "sem-by", "push", NULL};
    test_proc_t *proc = test_proc_start("ipcshm_tests", argv);
    ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
    ck_assert_int_eq(sscanf(line, "pid %lu", &pid), 1);
    ck_assert_err(ipc_shm_semaphore_push(semaphore, pid, 0, token), 0);
    test_proc_write(proc, token, strlen(token));
    test_proc_write(proc, "\n", 1);
    ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
    ck_assert_int_eq(test_proc_wait(proc), 0);
    check_posted(semaphore, line);
#else
    ck_assert_err(ipc_shm_semaphore_push(semaphore, 1, 0, token), IPC_SHM_E_NOT_SUPPORTED);
#endif
  }
  /* Send and receive; a segment's receiver refuses a semaphore. */
  {
    ipc_shm_listener_t *listener;
    ipc_shm_conn_t *conn, *client;
    ipc_shm_t *shm = NULL;
    const char *argv[] = {"helper", "sem-by", "receive", NULL, NULL};
    test_proc_t *proc;
    char line[256];
    ck_assert_err(ipc_shm_listen(&listener, test_name(name, "sr")), 0);
    argv[3] = name;
    proc = test_proc_start("ipcshm_tests", argv);
    ck_assert_err(ipc_shm_accept(listener, &conn), 0);
    ck_assert_err(ipc_shm_semaphore_send(conn, semaphore, 0), 0);
    ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
    ck_assert_int_eq(test_proc_wait(proc), 0);
    check_posted(semaphore, line);
    ipc_shm_conn_close(conn);
    ipc_shm_listener_close(listener);
    ck_assert_no_leak(before);

    /* Refused as a segment (Windows keeps the handle the message only
     * names, as the header says: it is not counted). */
    ck_assert_err(ipc_shm_listen(&listener, test_name(name, "sk")), 0);
    ck_assert_err(ipc_shm_connect(&client, name), 0);
    ck_assert_err(ipc_shm_accept(listener, &conn), 0);
    ck_assert_err(ipc_shm_semaphore_send(client, semaphore, 0), 0);
    ck_assert_err(ipc_shm_receive(conn, &shm), IPC_SHM_E_WRONG_KIND);
    ck_assert_ptr_null(shm);
    ck_assert_err(ipc_shm_semaphore_send(client, semaphore, IPC_SHM_READONLY), IPC_SHM_E_INVAL);
    ipc_shm_conn_close(client);
    ipc_shm_conn_close(conn);
    ipc_shm_listener_close(listener);
  }
#ifndef _WIN32
  ck_assert_no_leak(before);
#endif
  ipc_shm_semaphore_close(semaphore);
}
END_TEST

/* ---- The tool ---- */

START_TEST(the_tool_creates_posts_and_waits) {
  char name[IPC_SHM_NAME_MAX + 1], other[IPC_SHM_NAME_MAX + 1], out[512];
  ipc_shm_semaphore_t *semaphore;
  ck_assert_err(ipc_shm_semaphore_create(&semaphore, test_name(name, "ts"), 0, 2, 0), 0);
  {
    const char *post[] = {"semaphore", "post", name, NULL};
    const char *poll[] = {"semaphore", "wait", name, "--timeout", "0", NULL};
    const char *wait[] = {"semaphore", "wait", name, "--timeout", "20000", NULL};
    test_proc_t *waiter;
    ck_assert_int_eq(test_run("ipc-shm", post, NULL, out, sizeof(out)), 0);
    ck_assert_int_eq(test_run("ipc-shm", post, NULL, out, sizeof(out)), 0);
    ck_assert_int_eq(test_run_merged("ipc-shm", post, NULL, out, sizeof(out)), 1);
    ck_assert_msg(strstr(out, "LIMIT") != NULL, "%s", out);
    ck_assert_int_eq(test_run("ipc-shm", poll, NULL, out, sizeof(out)), 0);
    ck_assert_int_eq(test_run("ipc-shm", poll, NULL, out, sizeof(out)), 0);
    ck_assert_int_eq(test_run_merged("ipc-shm", poll, NULL, out, sizeof(out)), 124);
    ck_assert_msg(strstr(out, "timed out") != NULL, "%s", out);
    /* A waiting tool takes what we post. */
    waiter = test_proc_start("ipc-shm", wait);
    test_sleep_ms(100);
    ck_assert_err(ipc_shm_semaphore_post(semaphore), 0);
    ck_assert_int_eq(test_proc_wait(waiter), 0);
    ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);
  }
  {
    /* create with counts, held until its input ends. */
    const char *create[] = {"semaphore", "create", test_name(other, "tc"), "--initial", "2",
                            "--max", "3", "--hold", NULL};
    const char *bad[] = {"semaphore", "create", other, "--initial", "4", "--max", "3", NULL};
    const char *junk[] = {"semaphore", "create", other, "--max", "3x", NULL};
    const char *no_count[] = {"semaphore", "post", other, "--initial", "1", NULL};
    const char *unknown[] = {"semaphore", "lock", other, NULL};
    const char *wrong[] = {"semaphore", "post", name, NULL};
    test_proc_t *holder = test_proc_start("ipc-shm", create);
    ipc_shm_semaphore_t *made;
    test_expect_line(holder, "ready");
    ck_assert_err(ipc_shm_semaphore_open(&made, other, 0), 0);
    ck_assert_err(ipc_shm_semaphore_trywait(made), 0);
    ck_assert_err(ipc_shm_semaphore_trywait(made), 0);
    ck_assert_err(ipc_shm_semaphore_trywait(made), IPC_SHM_E_TIMEOUT);
    for (int i = 0; i < 3; i++)
      ck_assert_err(ipc_shm_semaphore_post(made), 0);
    ck_assert_err(ipc_shm_semaphore_post(made), IPC_SHM_E_LIMIT);
    ipc_shm_semaphore_close(made);
    test_proc_close_stdin(holder);
    ck_assert_int_eq(test_proc_wait(holder), 0);
    ck_assert_int_eq(test_run_merged("ipc-shm", bad, NULL, out, sizeof(out)), 2);
    ck_assert_int_eq(test_run_merged("ipc-shm", junk, NULL, out, sizeof(out)), 2);
    ck_assert_int_eq(test_run_merged("ipc-shm", no_count, NULL, out, sizeof(out)), 2);
    ck_assert_int_eq(test_run_merged("ipc-shm", unknown, NULL, out, sizeof(out)), 2);
    /* An event under the name: the tool says what it is not. */
    {
      ipc_shm_event_t *event;
      ipc_shm_semaphore_close(semaphore);
      test_remove_name(name);
      ck_assert_err(ipc_shm_event_create(&event, name, 0), 0);
      ck_assert_int_eq(test_run_merged("ipc-shm", wrong, NULL, out, sizeof(out)), 1);
      ck_assert_msg(strstr(out, "WRONG_KIND") != NULL, "%s", out);
      ipc_shm_event_close(event);
    }
  }
  test_remove_name(name);
}
END_TEST

#ifndef _WIN32
/* The block of a named semaphore, mapped as a hostile peer maps it. */
static sync_block_t *map_block(const char *name) {
  char path[64];
  void *p;
  int fd;
  snprintf(path, sizeof(path), "/%s", name);
  fd = shm_open(path, O_RDWR, 0);
  ck_assert_int_ge(fd, 0);
  p = mmap(NULL, sizeof(sync_block_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  ck_assert(p != MAP_FAILED);
  return (sync_block_t *)p;
}

/* A peer writes the count and the maximum: posts and waits may fail or
 * time out, never crash, hang past their timeout, or wrap the count. */
START_TEST(written_state_never_crashes_or_wraps) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_semaphore_t *semaphore;
  sync_block_t *block;
  unsigned char *raw;
  unsigned seed = 4242;
  int round;
  ck_assert_err(ipc_shm_semaphore_create(&semaphore, test_name(name, "sh"), 0, 4, 0), 0);
  block = map_block(name);
  raw = (unsigned char *)block;

  /* A count above the maximum: posts refused, takes go on. */
  block->word = 0xFFFFFFFFu;
  ck_assert_err(ipc_shm_semaphore_post(semaphore), IPC_SHM_E_LIMIT);
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), 0);
  ck_assert_uint_eq(block->word, 0xFFFFFFFEu);
  /* A maximum beyond any: the count still never wraps to 0. */
  block->owner = UINT64_MAX;
  block->word = IPC_SHM_SEMAPHORE_MAX;
  ck_assert_err(ipc_shm_semaphore_post(semaphore), IPC_SHM_E_LIMIT);
  ck_assert_uint_eq(block->word, IPC_SHM_SEMAPHORE_MAX);
  /* A maximum of 0: nothing can be posted. */
  block->owner = 0;
  block->word = 0;
  ck_assert_err(ipc_shm_semaphore_post(semaphore), IPC_SHM_E_LIMIT);
  ck_assert_err(ipc_shm_semaphore_wait(semaphore, 1), IPC_SHM_E_TIMEOUT);

  for (round = 0; round < 200; round++) {
    int i, err;
    for (i = round % 4 == 0 ? 0 : 8; i < (int)sizeof(sync_block_t); i++) {
      seed = seed * 1103515245u + 12345u;
      raw[i] = (unsigned char)(seed >> 16);
    }
    err = ipc_shm_semaphore_post(semaphore);
    ck_assert_msg(err == 0 || err == IPC_SHM_E_LIMIT, "round %d: post %s", round,
                  ipc_shm_err_name(err));
    err = ipc_shm_semaphore_wait(semaphore, 1);
    ck_assert_msg(err == 0 || err == IPC_SHM_E_TIMEOUT, "round %d: wait %s", round,
                  ipc_shm_err_name(err));
    {
      /* Waiting on it among others: the same, never past the time. */
      ipc_shm_wait_item_t item;
      size_t ready;
      item.kind = IPC_SHM_WAIT_SEMAPHORE;
      item.object = semaphore;
      item.room = 0;
      err = ipc_shm_wait_any(&item, 1, 1, &ready);
      ck_assert_msg(err == 0 || err == IPC_SHM_E_TIMEOUT, "round %d: wait_any %s", round,
                    ipc_shm_err_name(err));
    }
  }
  munmap(block, sizeof(sync_block_t));
  ipc_shm_semaphore_close(semaphore);
  test_remove_name(name);
}
END_TEST

/* A semaphore's name is refused as an event or mutex even when a planted
 * object says it is one, and an event's state is refused as a semaphore. */
START_TEST(planted_objects_are_refused) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_semaphore_t *semaphore = NULL;
  ipc_shm_event_t *event;
  sync_block_t *block;
  test_resources_t before = test_resources();
  ck_assert_err(ipc_shm_event_create(&event, test_name(name, "sp"), 0), 0);
  ck_assert_err(ipc_shm_semaphore_open(&semaphore, name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_ptr_null(semaphore);
  /* The same block rewritten to say semaphore: it is one now. */
  block = map_block(name);
  block->kind = SYNC_KIND_SEMAPHORE;
  block->word = 1;
  block->owner = 1;
  ck_assert_err(ipc_shm_semaphore_open(&semaphore, name, 0), 0);
  ck_assert_err(ipc_shm_semaphore_trywait(semaphore), 0);
  ck_assert_err(ipc_shm_semaphore_close(semaphore), 0);
  munmap(block, sizeof(sync_block_t));
  ipc_shm_event_close(event);
  ck_assert_no_leak(before);
  test_remove_name(name);
}
END_TEST
#endif

#ifdef _WIN32
static const char *line_of(char *out) {
  out[strcspn(out, "\r\n")] = '\0';
  return out;
}

/* Programs using the raw calls meet the same semaphores, both ways. */
START_TEST(raw_programs_meet_the_same_semaphores) {
  char name[IPC_SHM_NAME_MAX + 1], raw_name[IPC_SHM_NAME_MAX + 1], out[128];
  ipc_shm_semaphore_t *semaphore, *theirs;
  ipc_shm_event_t *event = NULL;
  ck_assert_err(ipc_shm_semaphore_create(&semaphore, test_name(name, "rs"), 0, 1, 0), 0);
  {
    /* They post ours; at the maximum they are refused as we are. */
    const char *argv[] = {"sem-post", name, NULL};
    ck_assert_int_eq(test_run("raw_peer", argv, NULL, out, sizeof(out)), 0);
    ck_assert_str_eq(line_of(out), "posted");
    ck_assert_int_eq(test_run("raw_peer", argv, NULL, out, sizeof(out)), 0);
    ck_assert_str_eq(line_of(out), "full");
    ck_assert_err(ipc_shm_semaphore_post(semaphore), IPC_SHM_E_LIMIT);
    ck_assert_err(ipc_shm_semaphore_trywait(semaphore), 0);
  }
  {
    /* We post what they wait for. */
    const char *argv[] = {"sem-wait", name, "20000", NULL};
    test_proc_t *proc = test_proc_start("raw_peer", argv);
    test_expect_line(proc, "ready");
    ck_assert_err(ipc_shm_semaphore_post(semaphore), 0);
    test_expect_line(proc, "taken");
    ck_assert_int_eq(test_proc_wait(proc), 0);
    ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);
  }
  {
    /* They made it: we open it, take its two, post one back. */
    const char *argv[] = {"make-sem", test_name(raw_name, "rx"), "2", "5", NULL};
    test_proc_t *proc = test_proc_start("raw_peer", argv);
    test_expect_line(proc, "ready");
    ck_assert_err(ipc_shm_semaphore_open(&theirs, raw_name, 0), 0);
    ck_assert_err(ipc_shm_semaphore_trywait(theirs), 0);
    ck_assert_err(ipc_shm_semaphore_trywait(theirs), 0);
    ck_assert_err(ipc_shm_semaphore_trywait(theirs), IPC_SHM_E_TIMEOUT);
    ck_assert_err(ipc_shm_semaphore_post(theirs), 0);
    ck_assert_err(ipc_shm_event_open(&event, raw_name, 0), IPC_SHM_E_WRONG_KIND);
    ck_assert_ptr_null(event);
    ipc_shm_semaphore_close(theirs);
    test_proc_close_stdin(proc);
    test_expect_line(proc, "count 1");
    ck_assert_int_eq(test_proc_wait(proc), 0);
  }
  ipc_shm_semaphore_close(semaphore);
}
END_TEST
#endif

void add_semaphore_cases(Suite *suite) {
  TCase *tc = tcase_create("semaphore");
  tcase_add_test(tc, counts_stay_between_zero_and_the_maximum);
  tcase_add_test(tc, bad_arguments_are_refused);
  tcase_add_test(tc, event_loops_get_the_kernel_object);
  tcase_add_test(tc, one_name_names_one_object);
  tcase_add_test(tc, timeouts_are_honoured);
  tcase_add_test(tc, cycles_leave_nothing_behind);
#ifndef _WIN32
  tcase_add_test(tc, written_state_never_crashes_or_wraps);
  tcase_add_test(tc, planted_objects_are_refused);
#else
  tcase_add_test(tc, raw_programs_meet_the_same_semaphores);
#endif
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);

  tc = tcase_create("semaphore_processes");
  tcase_add_test(tc, a_post_wakes_a_waiter_in_another_process);
  tcase_add_test(tc, every_post_is_taken_once_across_processes);
  tcase_add_test(tc, every_post_is_taken_once_across_threads);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);

  tc = tcase_create("semaphore_routes");
  tcase_add_test(tc, every_route_hands_over_a_semaphore);
  tcase_add_test(tc, the_tool_creates_posts_and_waits);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);
}
