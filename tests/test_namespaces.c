/* SPDX-License-Identifier: MIT */
/* Peers in another PID namespace, as two containers of one pod that share
 * /dev/shm: a process id read from shared memory means nothing there, or
 * names an unrelated process here. The other process runs under
 * `unshare --pid --fork --mount-proc` with a process id that no process of
 * this namespace has (so that judging it by its id would take it for
 * dead). Linux only, and only where unshare(1) may make a namespace (root);
 * elsewhere the ctest entry is skipped and says why (test_main.c). */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* gettid */
#endif

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if TEST_LINUX
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define MESSAGES 10

/* ns-mutex-hold NAME: lock, say "locked PID", hold until standard input
 * ends (or the namespace is killed), unlock and say the result. */
static int helper_ns_mutex_hold(char **argv) {
  ipc_shm_mutex_t *mutex;
  char line[64];
  int err = ipc_shm_mutex_open(&mutex, argv[0], 0);
  if (err == 0)
    err = ipc_shm_mutex_lock(mutex, 10000);
  if (err != 0) {
    printf("error %s\n", ipc_shm_err_name(err));
    return 1;
  }
  snprintf(line, sizeof(line), "locked %ld", (long)getpid());
  test_say(line);
  test_hold_until_stdin_ends();
  snprintf(line, sizeof(line), "unlocked %s", ipc_shm_err_name(ipc_shm_mutex_unlock(mutex)));
  test_say(line);
  ipc_shm_mutex_close(mutex);
  return 0;
}

/* ns-channel-send NAME: attach as sender, send MESSAGES messages (each its
 * number), say "sent PID", hold the channel until standard input ends. */
static int helper_ns_channel_send(char **argv) {
  ipc_shm_channel_t *ch;
  char line[64];
  long n;
  int err = ipc_shm_channel_open(&ch, argv[0], IPC_SHM_CHANNEL_SENDER);
  for (n = 0; err == 0 && n < MESSAGES; n++)
    err = ipc_shm_channel_send(ch, &n, sizeof(n), 10000);
  if (err != 0) {
    printf("error %s\n", ipc_shm_err_name(err));
    return 1;
  }
  snprintf(line, sizeof(line), "sent %ld", (long)getpid());
  test_say(line);
  test_hold_until_stdin_ends();
  ipc_shm_channel_close(ch);
  return 0;
}

/* ns-channel-receive NAME: attach as receiver, say "ready PID", and
 * receive until an error; say "received N ERROR". */
static int helper_ns_channel_receive(char **argv) {
  ipc_shm_channel_t *ch;
  char line[64];
  long n = 0, got;
  size_t size;
  int err = ipc_shm_channel_open(&ch, argv[0], IPC_SHM_CHANNEL_RECEIVER);
  if (err != 0) {
    printf("error %s\n", ipc_shm_err_name(err));
    return 1;
  }
  snprintf(line, sizeof(line), "ready %ld", (long)getpid());
  test_say(line);
  while ((err = ipc_shm_channel_receive(ch, &got, sizeof(got), &size, 30000)) == 0 &&
         got == n)
    n++;
  snprintf(line, sizeof(line), "received %ld %s", n, ipc_shm_err_name(err));
  test_say(line);
  ipc_shm_channel_close(ch);
  return 0;
}

/* ns-reused-thread: in a PID namespace of its own (where it may set the
 * next id), a thread locks an anonymous mutex and ends; a new thread is
 * given its id and locks: say the result ("OWNER_DEAD"), or why not. */
typedef struct reuse {
  ipc_shm_mutex_t *mutex;
  pid_t id;
  int result;
} reuse_t;

static void *lock_as_first(void *arg) {
  reuse_t *r = (reuse_t *)arg;
  r->id = gettid();
  r->result = ipc_shm_mutex_lock(r->mutex, 1000);
  return NULL;
}

static void *lock_as_second(void *arg) {
  reuse_t *r = (reuse_t *)arg;
  if (gettid() != r->id) {
    r->result = -1;
    return NULL;
  }
  r->result = ipc_shm_mutex_lock(r->mutex, 1000);
  return NULL;
}

static int helper_ns_reused_thread(char **argv) {
  reuse_t r;
  pthread_t thread;
  FILE *last;
  (void)argv;
  if (ipc_shm_mutex_create_anonymous(&r.mutex, 0) != 0 ||
      pthread_create(&thread, NULL, lock_as_first, &r) != 0 || pthread_join(thread, NULL) != 0 ||
      r.result != 0) {
    test_say("the first lock failed");
    return 1;
  }
  last = fopen("/proc/sys/kernel/ns_last_pid", "w");
  if (last == NULL || fprintf(last, "%d", (int)r.id - 1) < 0 || fclose(last) != 0) {
    test_say("cannot set the next id");
    return 1;
  }
  if (pthread_create(&thread, NULL, lock_as_second, &r) != 0 || pthread_join(thread, NULL) != 0)
    return 1;
  test_say(r.result == -1 ? "the id was not reused" : ipc_shm_err_name(r.result));
  return 0;
}

int run_namespace_helper(int argc, char **argv) {
  static const test_helper_mode_t modes[] = {
      {"ns-reused-thread", 1, helper_ns_reused_thread},
      {"ns-mutex-hold", 1, helper_ns_mutex_hold},
      {"ns-channel-send", 1, helper_ns_channel_send},
      {"ns-channel-receive", 1, helper_ns_channel_receive},
  };
  return test_dispatch_helper(modes, sizeof(modes) / sizeof(modes[0]), argc, argv);
}

/* A process id that no process of this namespace has. */
static long free_pid(void) {
  long pid;
  for (pid = 20000; pid < 32000; pid++)
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
      return pid;
  ck_abort_msg("no free process id");
  return 0;
}

/* Start "ipcshm_tests helper MODE NAME" as process `pid` of a new PID
 * namespace (its first process, a shell, sets the namespace's last id and
 * starts it). Killing the returned process (unshare) kills the namespace. */
static test_proc_t *start_in_namespace(const char *mode, const char *name, long pid) {
  char last[32], binary[1200];
  const char *argv[] = {"--pid", "--fork", "--mount-proc", "--kill-child", "sh", "-c",
                        "echo \"$0\" > /proc/sys/kernel/ns_last_pid && \"$@\"; exit $?",
                        last, binary, "helper", mode, name, NULL};
  snprintf(last, sizeof(last), "%ld", pid - 1);
  snprintf(binary, sizeof(binary), "%s/ipcshm_tests", test_bin_dir);
  return test_proc_start("/usr/bin/unshare", argv);
}

/* "WORD PID": the helper ran with the id it was given. */
static void expect_started(test_proc_t *proc, const char *word, long pid) {
  char line[128], expected[64];
  ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
  snprintf(expected, sizeof(expected), "%s %ld", word, pid);
  ck_assert_str_eq(line, expected);
}

/* A mutex held by a live process of another namespace is held: the locker
 * waits (TIMEOUT, not OWNER_DEAD) and the holder unlocks cleanly. When
 * that process is killed, the next locker gets OWNER_DEAD. */
START_TEST(a_mutex_held_in_another_namespace_is_held) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_mutex_t *mutex;
  test_proc_t *holder;
  long pid = free_pid();
  ck_assert_err(ipc_shm_mutex_create(&mutex, test_name(name, "nm"), 0), 0);
  holder = start_in_namespace("ns-mutex-hold", name, pid);
  expect_started(holder, "locked", pid);
  ck_assert_err(ipc_shm_mutex_lock(mutex, 300), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_mutex_trylock(mutex), IPC_SHM_E_TIMEOUT);
  test_proc_close_stdin(holder);
  test_expect_line(holder, "unlocked OK");
  ck_assert_int_eq(test_proc_wait(holder), 0);
  ck_assert_err(ipc_shm_mutex_lock(mutex, 1000), 0);
  ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);

  /* Killed there: dead here, at once (a sleeping locker is woken within a
   * slice). */
  holder = start_in_namespace("ns-mutex-hold", name, pid);
  expect_started(holder, "locked", pid);
  test_proc_kill(holder);
  ck_assert_err(ipc_shm_mutex_lock(mutex, 10000), IPC_SHM_E_OWNER_DEAD);
  ck_assert_err(ipc_shm_mutex_consistent(mutex), 0);
  ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
  ck_assert_int_ne(test_proc_wait(holder), 0);
  ipc_shm_mutex_close(mutex);
  ck_assert_err(ipc_shm_remove(name, 0), 0);
}
END_TEST

/* A channel whose sender lives in another namespace delivers every
 * message, and its sender's death there is noticed here. */
START_TEST(a_channel_across_namespaces_delivers) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_channel_t *rx;
  test_proc_t *sender;
  long pid = free_pid(), n, got;
  size_t size;
  ck_assert_err(ipc_shm_channel_create(&rx, test_name(name, "nc"), 64, 0,
                                       IPC_SHM_CHANNEL_RECEIVER), 0);
  sender = start_in_namespace("ns-channel-send", name, pid);
  expect_started(sender, "sent", pid);
  for (n = 0; n < MESSAGES; n++) {
    ck_assert_err(ipc_shm_channel_receive(rx, &got, sizeof(got), &size, 10000), 0);
    ck_assert_int_eq(got, n);
  }
  /* Alive, attached, with nothing to send: a wait, not DISCONNECTED. */
  ck_assert_err(ipc_shm_channel_receive(rx, &got, sizeof(got), &size, 100), IPC_SHM_E_TIMEOUT);
  test_proc_kill(sender);
  ck_assert_err(ipc_shm_channel_receive(rx, &got, sizeof(got), &size, IPC_SHM_FOREVER),
                IPC_SHM_E_DISCONNECTED);
  ck_assert_int_ne(test_proc_wait(sender), 0);
  ipc_shm_channel_close(rx);
  ck_assert_err(ipc_shm_remove(name, 0), 0);
}
END_TEST

/* The same with the receiver over there: the sender's messages all arrive,
 * and it hears of the receiver's death while the ring has room. */
START_TEST(a_receiver_in_another_namespace_is_heard) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_channel_t *tx;
  test_proc_t *receiver;
  long pid = free_pid(), n;
  int err;
  ck_assert_err(ipc_shm_channel_create(&tx, test_name(name, "nr"), 64, 1u << 20,
                                       IPC_SHM_CHANNEL_SENDER), 0);
  receiver = start_in_namespace("ns-channel-receive", name, pid);
  expect_started(receiver, "ready", pid);
  for (n = 0; n < MESSAGES; n++)
    ck_assert_err(ipc_shm_channel_send(tx, &n, sizeof(n), 10000), 0);
  ipc_shm_channel_close(tx);
  test_expect_line(receiver, "received 10 DISCONNECTED");
  ck_assert_int_eq(test_proc_wait(receiver), 0);

  ck_assert_err(ipc_shm_channel_open(&tx, name, IPC_SHM_CHANNEL_SENDER), 0);
  receiver = start_in_namespace("ns-channel-receive", name, pid);
  expect_started(receiver, "ready", pid);
  test_proc_kill(receiver);
  ck_assert_int_ne(test_proc_wait(receiver), 0);
  /* A 1 MiB ring has room for far more than 10 s of these. */
  for (n = 0; n < 10000000L; n++) {
    err = ipc_shm_channel_send(tx, &n, sizeof(n), 0);
    if (err != 0)
      break;
    if (n % 1000 == 0)
      test_sleep_ms(1);
  }
  ck_assert_err(err, IPC_SHM_E_DISCONNECTED);
  ipc_shm_channel_close(tx);
  ck_assert_err(ipc_shm_remove(name, 0), 0);
}
END_TEST

/* A thread that got the id of one that ended holding the mutex is another
 * thread: OWNER_DEAD, not DEADLOCK. A namespace of its own lets the test
 * choose the next thread id. */
START_TEST(a_reused_thread_id_is_another_thread) {
  test_proc_t *helper = start_in_namespace("ns-reused-thread", "-", 100);
  test_expect_line(helper, "OWNER_DEAD");
  ck_assert_int_eq(test_proc_wait(helper), 0);
}
END_TEST

int test_pid_namespaces_usable(const char **why) {
  if (geteuid() != 0) {
    *why = "making a PID namespace needs root";
    return 0;
  }
  if (access("/usr/bin/unshare", X_OK) != 0) {
    *why = "no /usr/bin/unshare (util-linux)";
    return 0;
  }
  /* Before any test runs (no assertion may be made yet): system(). */
  if (system("/usr/bin/unshare --pid --fork --mount-proc true >/dev/null 2>&1") != 0) {
    *why = "unshare --pid --fork --mount-proc failed here (a container without "
           "CAP_SYS_ADMIN?)";
    return 0;
  }
  return 1;
}

void add_namespace_cases(Suite *suite) {
  TCase *tc = tcase_create("namespaces");
  tcase_add_test(tc, a_mutex_held_in_another_namespace_is_held);
  tcase_add_test(tc, a_channel_across_namespaces_delivers);
  tcase_add_test(tc, a_receiver_in_another_namespace_is_heard);
  tcase_add_test(tc, a_reused_thread_id_is_another_thread);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);
}
#else
/* Windows has no PID namespaces; the code of the other POSIX systems
 * judges peers by their process id (documented): no case to run. */
int run_namespace_helper(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return -1;
}

void add_namespace_cases(Suite *suite) { (void)suite; }
#endif
