/* SPDX-License-Identifier: MIT */
/* Events and mutexes: their rules and errors, wake-ups and exclusion
 * across processes, owner death, every hand-over route for each kind, and
 * (Windows) programs that use the raw calls. */
#include "handover_util.h"

#include "../src/common/shm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#endif

/* Under the generic POSIX code sleepers poll, and Wine's every wait is a
 * round trip to its server: the long loops run shorter there. */
#if TEST_LINUX
#define PING_PONGS 1000000L
#define INCREMENTS 1000000L
#else
#define PING_PONGS 20000L
#define INCREMENTS 100000L
#endif
#define LOCK_PROCESSES 4
#define LOCK_THREADS 2

/* A counter in shared memory that several processes add to (MSVC has no
 * __atomic builtins). */
#ifdef _WIN32
#define COUNTER_ADD(p) InterlockedIncrement((volatile LONG *)(p))
#define COUNTER_READ(p) InterlockedCompareExchange((volatile LONG *)(p), 0, 0)
#else
#define COUNTER_ADD(p) __atomic_add_fetch((int32_t *)(p), 1, __ATOMIC_SEQ_CST)
#define COUNTER_READ(p) __atomic_load_n((int32_t *)(p), __ATOMIC_SEQ_CST)
#endif

/* ---- Helpers for other processes ---- */

static void say(const char *what) {
  puts(what);
  fflush(stdout);
}

/* Wait for standard input to end (the parent closes it, or dies). */
static void hold_until_stdin_ends(void) {
  char line[64];
  while (fgets(line, sizeof(line), stdin) != NULL) {
  }
}

/* event-wait NAME TIMEOUT_MS: open, say "ready", wait; say the result and
 * the CPU time the wait took, in milliseconds. */
static int helper_event_wait(char **argv) {
  ipc_shm_event_t *event;
  double cpu;
  int err = ipc_shm_event_open(&event, argv[0], 0);
  char line[96];
  if (err != 0) {
    printf("open %s\n", ipc_shm_err_name(err));
    return 1;
  }
  say("ready");
  cpu = test_cpu_seconds();
  err = ipc_shm_event_wait(event, atol(argv[1]));
  snprintf(line, sizeof(line), "%s cpu_ms=%.0f", ipc_shm_err_name(err),
           (test_cpu_seconds() - cpu) * 1000.0);
  say(line);
  ipc_shm_event_close(event);
  return 0;
}

/* event-set-later NAME: open, say "ready", wait for a line, set the event
 * and say the result. */
static int helper_event_set_later(char **argv) {
  ipc_shm_event_t *event;
  char line[64];
  int err = ipc_shm_event_open(&event, argv[0], 0);
  if (err != 0) {
    printf("open %s\n", ipc_shm_err_name(err));
    return 1;
  }
  say("ready");
  if (fgets(line, sizeof(line), stdin) == NULL)
    return 1;
  say(ipc_shm_err_name(ipc_shm_event_set(event)));
  ipc_shm_event_close(event);
  return 0;
}

/* event-count EVENT SEGMENT: wait for EVENT (10 s at most), then add one
 * to the counter at the start of SEGMENT. */
static int helper_event_count(char **argv) {
  ipc_shm_event_t *event;
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  int err;
  if (ipc_shm_event_open(&event, argv[0], 0) != 0 || ipc_shm_open(&shm, argv[1], 0) != 0 ||
      ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE) != 0)
    return 1;
  say("ready");
  err = ipc_shm_event_wait(event, 10000);
  if (err == 0)
    (void)COUNTER_ADD(ipc_shm_view_data(view));
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  ipc_shm_event_close(event);
  return err == 0 ? 0 : 1;
}

/* event-pong PING PONG COUNT: COUNT times, wait for PING and set PONG. */
static int helper_event_pong(char **argv) {
  ipc_shm_event_t *ping, *pong;
  long i, count = atol(argv[2]);
  if (ipc_shm_event_open(&ping, argv[0], 0) != 0 ||
      ipc_shm_event_open(&pong, argv[1], 0) != 0)
    return 1;
  for (i = 0; i < count; i++)
    if (ipc_shm_event_wait(ping, 30000) != 0 || ipc_shm_event_set(pong) != 0)
      return 1;
  ipc_shm_event_close(ping);
  ipc_shm_event_close(pong);
  return 0;
}

/* mutex-hold NAME SEGMENT: lock, write "half" into SEGMENT as a crash in
 * the middle of an update would leave it, say "locked", and hold until
 * standard input ends (or the process is killed). */
static int helper_mutex_hold(char **argv) {
  ipc_shm_mutex_t *mutex;
  int err = ipc_shm_mutex_open(&mutex, argv[0], 0);
  if (err == 0)
    err = ipc_shm_mutex_lock(mutex, 10000);
  if (err == 0 && strcmp(argv[1], "-") != 0) {
    ipc_shm_t *shm;
    err = ipc_shm_open(&shm, argv[1], 0);
    if (err == 0) {
      err = poke(shm, TEXT_AT, "half");
      ipc_shm_close(shm);
    }
  }
  if (err != 0) {
    printf("error %s\n", ipc_shm_err_name(err));
    return 1;
  }
  say("locked");
  hold_until_stdin_ends();
#ifndef _WIN32
  signal(SIGPIPE, SIG_IGN); /* the parent may have stopped listening */
#endif
  printf("unlocked %s\n", ipc_shm_err_name(ipc_shm_mutex_unlock(mutex)));
  fflush(stdout);
  ipc_shm_mutex_close(mutex);
  return 0;
}

/* mutex-lock NAME TIMEOUT_MS: say "ready", lock, say the result, unlock
 * (after ipc_shm_mutex_consistent() when the owner died). */
static int helper_mutex_lock(char **argv) {
  ipc_shm_mutex_t *mutex;
  int err = ipc_shm_mutex_open(&mutex, argv[0], 0);
  if (err != 0) {
    printf("open %s\n", ipc_shm_err_name(err));
    return 1;
  }
  say("ready");
  err = ipc_shm_mutex_lock(mutex, atol(argv[1]));
  say(ipc_shm_err_name(err));
  if (err == IPC_SHM_E_OWNER_DEAD)
    ipc_shm_mutex_consistent(mutex);
  if (err == 0 || err == IPC_SHM_E_OWNER_DEAD)
    ipc_shm_mutex_unlock(mutex);
  ipc_shm_mutex_close(mutex);
  return 0;
}

/* mutex-count MUTEX SEGMENT THREADS INCREMENTS: THREADS threads each add
 * one INCREMENTS times to the counter at the start of SEGMENT, under the
 * mutex, with a plain (not atomic) read and write. */
typedef struct count_job {
  ipc_shm_mutex_t *mutex;
  volatile int32_t *counter;
  long increments;
  int failed;
} count_job_t;

static void count_under_lock(count_job_t *job) {
  long i;
  for (i = 0; i < job->increments; i++) {
    int32_t value;
    if (ipc_shm_mutex_lock(job->mutex, 60000) != 0) {
      job->failed = 1;
      return;
    }
    value = *job->counter;
    *job->counter = value + 1;
    if (ipc_shm_mutex_unlock(job->mutex) != 0) {
      job->failed = 1;
      return;
    }
  }
}

#ifdef _WIN32
static DWORD WINAPI count_thread(LPVOID job) {
  count_under_lock((count_job_t *)job);
  return 0;
}
#else
static void *count_thread(void *job) {
  count_under_lock((count_job_t *)job);
  return NULL;
}
#endif

static int helper_mutex_count(char **argv) {
  ipc_shm_mutex_t *mutex;
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  count_job_t jobs[8];
  int threads = atoi(argv[2]), i, failed = 0;
#ifdef _WIN32
  HANDLE ids[8];
#else
  pthread_t ids[8];
#endif
  if (threads < 1 || threads > 8 || ipc_shm_mutex_open(&mutex, argv[0], 0) != 0 ||
      ipc_shm_open(&shm, argv[1], 0) != 0 ||
      ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE) != 0)
    return 1;
  for (i = 0; i < threads; i++) {
    jobs[i].mutex = mutex;
    jobs[i].counter = (volatile int32_t *)ipc_shm_view_data(view);
    jobs[i].increments = atol(argv[3]);
    jobs[i].failed = 0;
#ifdef _WIN32
    ids[i] = CreateThread(NULL, 0, count_thread, &jobs[i], 0, NULL);
#else
    pthread_create(&ids[i], NULL, count_thread, &jobs[i]);
#endif
  }
  for (i = 0; i < threads; i++) {
#ifdef _WIN32
    WaitForSingleObject(ids[i], INFINITE);
    CloseHandle(ids[i]);
#else
    pthread_join(ids[i], NULL);
#endif
    failed |= jobs[i].failed;
  }
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  ipc_shm_mutex_close(mutex);
  return failed;
}

/* Prove that `kind` received by a route is the parent's object: an event
 * is set (the parent waits for it); a mutex is tried while the parent
 * holds it. Says the result. */
static int act_on(const char *kind, ipc_shm_event_t *event, ipc_shm_mutex_t *mutex,
                  int err) {
  char line[96];
  if (err != 0) {
    snprintf(line, sizeof(line), "error %s", ipc_shm_err_name(err));
  } else if (strcmp(kind, "event") == 0) {
    snprintf(line, sizeof(line), "set %s", ipc_shm_err_name(ipc_shm_event_set(event)));
    ipc_shm_event_close(event);
  } else {
    snprintf(line, sizeof(line), "trylock %s", ipc_shm_err_name(ipc_shm_mutex_trylock(mutex)));
    ipc_shm_mutex_close(mutex);
  }
  say(line);
  return err != 0;
}

/* sync-import KIND TOKEN | sync-pull KIND TOKEN | sync-inherited KIND |
 * sync-receive KIND LISTENER | sync-push-target KIND */
static int receive_by(const char *route, char **argv) {
  const char *kind = argv[0];
  int event = strcmp(kind, "event") == 0;
  ipc_shm_event_t *ev = NULL;
  ipc_shm_mutex_t *mx = NULL;
  ipc_shm_conn_t *conn = NULL;
  char token[IPC_SHM_TOKEN_MAX + 2];
  int err = 0;
  if (strcmp(route, "push") == 0) {
    if (await_pushed_token(token) != 0)
      return 1;
    route = "import";
  } else if (argv[1] != NULL) {
    snprintf(token, sizeof(token), "%s", argv[1]);
  }
  if (strcmp(route, "import") == 0)
    err = event ? ipc_shm_event_import(&ev, token) : ipc_shm_mutex_import(&mx, token);
  else if (strcmp(route, "pull") == 0)
    err = event ? ipc_shm_event_pull(&ev, token) : ipc_shm_mutex_pull(&mx, token);
  else if (strcmp(route, "inherited") == 0)
    err = event ? ipc_shm_event_inherited(&ev, 0) : ipc_shm_mutex_inherited(&mx, 0);
  else {
    err = ipc_shm_connect(&conn, token);
    if (err == 0)
      err = event ? ipc_shm_event_receive(conn, &ev) : ipc_shm_mutex_receive(conn, &mx);
  }
  err = act_on(kind, ev, mx, err);
  if (conn != NULL)
    ipc_shm_conn_close(conn);
  return err;
}

/* say TEXT: print TEXT (a command for the tool to run). */
static int helper_say(char **argv) {
  say(argv[0]);
  return 0;
}

static int helper_sync_import(char **argv) { return receive_by("import", argv); }
static int helper_sync_pull(char **argv) { return receive_by("pull", argv); }
static int helper_sync_inherited(char **argv) { return receive_by("inherited", argv); }
static int helper_sync_receive(char **argv) { return receive_by("receive", argv); }
static int helper_sync_push_target(char **argv) { return receive_by("push", argv); }

int run_sync_helper(int argc, char **argv) {
  static const test_helper_mode_t modes[] = {
      {"event-wait", 2, helper_event_wait},
      {"event-set-later", 1, helper_event_set_later},
      {"event-count", 2, helper_event_count},
      {"event-pong", 3, helper_event_pong},
      {"mutex-hold", 2, helper_mutex_hold},
      {"mutex-lock", 2, helper_mutex_lock},
      {"mutex-count", 4, helper_mutex_count},
      {"sync-import", 2, helper_sync_import},
      {"sync-pull", 2, helper_sync_pull},
      {"sync-inherited", 1, helper_sync_inherited},
      {"sync-receive", 2, helper_sync_receive},
      {"sync-push-target", 1, helper_sync_push_target},
      {"say", 1, helper_say},
  };
  return test_dispatch_helper(modes, sizeof(modes) / sizeof(modes[0]), argc, argv);
}

/* ---- Test utilities ---- */

static void expect_line(test_proc_t *proc, const char *expected) {
  char line[256];
  ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
  ck_assert_str_eq(line, expected);
}

static long read_counter(ipc_shm_t *shm) {
  ipc_shm_view_t *view;
  long value;
  /* Writable: an interlocked read writes, as far as the page is concerned. */
  ck_assert_err(ipc_shm_map(&view, shm, 0, sizeof(int32_t), IPC_SHM_MAP_WRITE), 0);
  value = (long)COUNTER_READ(ipc_shm_view_data(view));
  ipc_shm_unmap(view);
  return value;
}

/* Wait up to 10 s for the counter to reach `value`. */
static void await_counter(ipc_shm_t *shm, long value) {
  double until = test_seconds() + 10.0;
  while (read_counter(shm) < value && test_seconds() < until)
    test_sleep_ms(5);
  ck_assert_int_eq(read_counter(shm), value);
}

static void remove_name(const char *name) {
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    ck_assert_err(ipc_shm_remove(name, 0), 0);
}

/* ---- Rules and errors ---- */

START_TEST(events_set_reset_and_wait) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_event_t *event, *opened, *manual, *anonymous;
  test_resources_t before = test_resources();

  ck_assert_err(ipc_shm_event_create(&event, test_name(name, "ev"), 0), 0);
  ck_assert_err(ipc_shm_event_open(&opened, name, 0), 0);
  /* Auto reset: one set releases one wait. */
  ck_assert_err(ipc_shm_event_wait(opened, 0), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_event_set(event), 0);
  ck_assert_err(ipc_shm_event_set(event), 0); /* set already: nothing */
  ck_assert_err(ipc_shm_event_wait(opened, 0), 0);
  ck_assert_err(ipc_shm_event_wait(opened, 0), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_event_wait(event, 0), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_event_set(opened), 0);
  ck_assert_err(ipc_shm_event_reset(event), 0);
  ck_assert_err(ipc_shm_event_wait(opened, 0), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_event_close(opened), 0);
  ck_assert_err(ipc_shm_event_close(event), 0);
  remove_name(name);

  /* Manual reset, starting set: stays set until reset. */
  ck_assert_err(ipc_shm_event_create(&manual, test_name(name, "em"),
                                     IPC_SHM_EVENT_MANUAL | IPC_SHM_EVENT_SET), 0);
  ck_assert_err(ipc_shm_event_open(&opened, name, 0), 0);
  ck_assert_err(ipc_shm_event_wait(opened, 0), 0);
  ck_assert_err(ipc_shm_event_wait(opened, IPC_SHM_FOREVER), 0);
  ck_assert_err(ipc_shm_event_wait(manual, 10), 0);
  ck_assert_err(ipc_shm_event_reset(opened), 0);
  ck_assert_err(ipc_shm_event_wait(manual, 0), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_event_close(opened), 0);
  ck_assert_err(ipc_shm_event_close(manual), 0);
  remove_name(name);

  ck_assert_err(ipc_shm_event_create_anonymous(&anonymous, IPC_SHM_EVENT_SET), 0);
  ck_assert_err(ipc_shm_event_wait(anonymous, 0), 0);
  ck_assert_err(ipc_shm_event_wait(anonymous, 0), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_event_close(anonymous), 0);
  ck_assert_no_leak(before);
}
END_TEST

START_TEST(mutexes_lock_and_unlock) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_mutex_t *mutex, *opened, *anonymous;
  test_resources_t before = test_resources();

  ck_assert_err(ipc_shm_mutex_create(&mutex, test_name(name, "mx"), 0), 0);
  ck_assert_err(ipc_shm_mutex_open(&opened, name, 0), 0);
  ck_assert_err(ipc_shm_mutex_unlock(mutex), IPC_SHM_E_NOT_OWNER);
  ck_assert_err(ipc_shm_mutex_consistent(mutex), IPC_SHM_E_NOT_OWNER);
  ck_assert_err(ipc_shm_mutex_lock(mutex, IPC_SHM_FOREVER), 0);
  ck_assert_err(ipc_shm_mutex_lock(mutex, 0), IPC_SHM_E_DEADLOCK);
  ck_assert_err(ipc_shm_mutex_consistent(mutex), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
  ck_assert_err(ipc_shm_mutex_unlock(mutex), IPC_SHM_E_NOT_OWNER);
  ck_assert_err(ipc_shm_mutex_trylock(opened), 0);
  ck_assert_err(ipc_shm_mutex_unlock(opened), 0);
  ck_assert_err(ipc_shm_mutex_close(opened), 0);
  ck_assert_err(ipc_shm_mutex_close(mutex), 0);
  remove_name(name);

  ck_assert_err(ipc_shm_mutex_create_anonymous(&anonymous, 0), 0);
  ck_assert_err(ipc_shm_mutex_lock(anonymous, 10), 0);
  ck_assert_err(ipc_shm_mutex_unlock(anonymous), 0);
  ck_assert_err(ipc_shm_mutex_close(anonymous), 0);
  ck_assert_no_leak(before);
}
END_TEST

START_TEST(bad_arguments_are_refused) {
  char name[IPC_SHM_NAME_MAX + 1], missing[IPC_SHM_NAME_MAX + 1], long_name[64];
  ipc_shm_event_t *event = NULL, *got_event = (ipc_shm_event_t *)1;
  ipc_shm_mutex_t *mutex = NULL, *got_mutex = (ipc_shm_mutex_t *)1;
  test_resources_t before;
  memset(long_name, 'a', sizeof(long_name) - 1);
  long_name[sizeof(long_name) - 1] = '\0';
  ck_assert_err(ipc_shm_event_create(&event, test_name(name, "ba"), 0), 0);
  ck_assert_err(ipc_shm_mutex_create_anonymous(&mutex, 0), 0);
  before = test_resources();

  ck_assert_err(ipc_shm_event_create(NULL, "x", 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_event_create(&got_event, NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_ptr_null(got_event);
  ck_assert_err(ipc_shm_event_create(&got_event, "x", 0x8000u), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_event_create(&got_event, "x", IPC_SHM_READONLY), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_event_create(&got_event, "", 0), IPC_SHM_E_NAME_INVALID);
  ck_assert_err(ipc_shm_event_create(&got_event, "a/b", 0), IPC_SHM_E_NAME_INVALID);
  ck_assert_err(ipc_shm_event_create(&got_event, long_name, 0), IPC_SHM_E_NAME_TOO_LONG);
  ck_assert_err(ipc_shm_event_create(&got_event, name, 0), IPC_SHM_E_EXISTS);
  ck_assert_ptr_null(got_event);
  ck_assert_err(ipc_shm_event_open(&got_event, test_name(missing, "none"), 0),
                IPC_SHM_E_NOT_FOUND);
  ck_assert_err(ipc_shm_event_open(&got_event, "x", IPC_SHM_EVENT_MANUAL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_event_create_anonymous(&got_event, IPC_SHM_GLOBAL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_event_create_anonymous(NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_event_set(NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_event_reset(NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_event_wait(NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_event_wait(event, -2), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_event_wait(event, INT64_MIN), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_event_close(NULL), IPC_SHM_E_INVAL);

  ck_assert_err(ipc_shm_mutex_create(NULL, "x", 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_mutex_create(&got_mutex, "x", IPC_SHM_EVENT_MANUAL), IPC_SHM_E_INVAL);
  ck_assert_ptr_null(got_mutex);
  ck_assert_err(ipc_shm_mutex_create(&got_mutex, "a\\b", 0), IPC_SHM_E_NAME_INVALID);
  ck_assert_err(ipc_shm_mutex_create_anonymous(&got_mutex, 1), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_mutex_open(&got_mutex, missing, 0), IPC_SHM_E_NOT_FOUND);
  ck_assert_err(ipc_shm_mutex_lock(NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_mutex_lock(mutex, -5), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_mutex_trylock(NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_mutex_unlock(NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_mutex_consistent(NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_mutex_close(NULL), IPC_SHM_E_INVAL);

  /* Hand-over: no read-only form, no unknown flag. */
  {
    ipc_shm_export_t *exp = (ipc_shm_export_t *)1;
    char token[IPC_SHM_TOKEN_MAX];
    ck_assert_err(ipc_shm_event_export(&exp, event, IPC_SHM_READONLY), IPC_SHM_E_INVAL);
    ck_assert_ptr_null(exp);
    ck_assert_err(ipc_shm_mutex_export(&exp, mutex, 0x8000u), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_event_export(&exp, NULL, 0), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_mutex_push(mutex, 1, IPC_SHM_READONLY, token), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_event_send(NULL, event, 0), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_event_import(NULL, "x"), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_mutex_import(&got_mutex, NULL), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_event_receive(NULL, &got_event), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_mutex_inherited(NULL, 0), IPC_SHM_E_INVAL);
  }
  {
    /* A spawn entry names exactly one object, and only a segment may be
     * handed over read-only. */
    ipc_shm_inherit_t entry = {NULL, 0, NULL, NULL};
    ipc_shm_process_t *child = NULL;
    const char *argv[] = {"no-such-program", NULL};
    ck_assert_err(ipc_shm_spawn(&child, argv, &entry, 1), IPC_SHM_E_INVAL);
    entry.event = event;
    entry.mutex = mutex;
    ck_assert_err(ipc_shm_spawn(&child, argv, &entry, 1), IPC_SHM_E_INVAL);
    entry.mutex = NULL;
    entry.flags = IPC_SHM_READONLY;
    ck_assert_err(ipc_shm_spawn(&child, argv, &entry, 1), IPC_SHM_E_INVAL);
    ck_assert_ptr_null(child);
  }
  ck_assert_no_leak(before);
  ipc_shm_mutex_close(mutex);
  ipc_shm_event_close(event);
  remove_name(name);
}
END_TEST

/* Segments, events and mutexes share one namespace, on every platform. */
START_TEST(one_name_names_one_object) {
  char seg_name[IPC_SHM_NAME_MAX + 1], ev_name[IPC_SHM_NAME_MAX + 1],
      mx_name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm, *got_shm = NULL;
  ipc_shm_event_t *event, *got_event = NULL;
  ipc_shm_mutex_t *mutex, *got_mutex = NULL;
  int created = 7;
  test_resources_t before;
  ck_assert_err(ipc_shm_create(&shm, test_name(seg_name, "ns"), 4096, 0), 0);
  ck_assert_err(ipc_shm_event_create(&event, test_name(ev_name, "ne"), 0), 0);
  ck_assert_err(ipc_shm_mutex_create(&mutex, test_name(mx_name, "nm"), 0), 0);
  before = test_resources();

  ck_assert_err(ipc_shm_event_create(&got_event, seg_name, 0), IPC_SHM_E_EXISTS);
  ck_assert_err(ipc_shm_event_create(&got_event, mx_name, 0), IPC_SHM_E_EXISTS);
  ck_assert_err(ipc_shm_mutex_create(&got_mutex, seg_name, 0), IPC_SHM_E_EXISTS);
  ck_assert_err(ipc_shm_mutex_create(&got_mutex, ev_name, 0), IPC_SHM_E_EXISTS);
  ck_assert_err(ipc_shm_create(&got_shm, ev_name, 4096, 0), IPC_SHM_E_EXISTS);
  ck_assert_err(ipc_shm_create(&got_shm, mx_name, 4096, 0), IPC_SHM_E_EXISTS);

  ck_assert_err(ipc_shm_event_open(&got_event, seg_name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_event_open(&got_event, mx_name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_mutex_open(&got_mutex, seg_name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_mutex_open(&got_mutex, ev_name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_open(&got_shm, ev_name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_open(&got_shm, mx_name, IPC_SHM_READONLY), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_open_or_create(&got_shm, ev_name, 64, 0, &created),
                IPC_SHM_E_WRONG_KIND);
  ck_assert_int_eq(created, 0);
  ck_assert_ptr_null(got_shm);
  ck_assert_ptr_null(got_event);
  ck_assert_ptr_null(got_mutex);
  ck_assert_no_leak(before);

  ipc_shm_mutex_close(mutex);
  ipc_shm_event_close(event);
  ipc_shm_close(shm);
  remove_name(seg_name);
  remove_name(ev_name);
  remove_name(mx_name);
}
END_TEST

START_TEST(timeouts_are_honoured) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_event_t *event;
  ipc_shm_mutex_t *mutex;
  double start, took;
  ck_assert_err(ipc_shm_event_create_anonymous(&event, 0), 0);
  start = test_seconds();
  ck_assert_err(ipc_shm_event_wait(event, 200), IPC_SHM_E_TIMEOUT);
  took = test_seconds() - start;
  /* A tolerance, not a timing: early is wrong, late only bounded. */
  ck_assert_msg(took >= 0.19 && took < 10.0, "waited %.3f s for 200 ms", took);
  ipc_shm_event_close(event);

  ck_assert_err(ipc_shm_mutex_create(&mutex, test_name(name, "to"), 0), 0);
  {
    const char *argv[] = {"helper", "mutex-hold", name, "-", NULL};
    test_proc_t *holder = test_proc_start("ipcshm_tests", argv);
    expect_line(holder, "locked");
    start = test_seconds();
    ck_assert_err(ipc_shm_mutex_lock(mutex, 200), IPC_SHM_E_TIMEOUT);
    took = test_seconds() - start;
    ck_assert_msg(took >= 0.19 && took < 10.0, "waited %.3f s for 200 ms", took);
    ck_assert_err(ipc_shm_mutex_trylock(mutex), IPC_SHM_E_TIMEOUT);
    ck_assert_int_eq(test_proc_wait(holder), 0); /* it unlocks and exits */
  }
  ck_assert_err(ipc_shm_mutex_lock(mutex, 10000), 0);
  ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
  ipc_shm_mutex_close(mutex);
  remove_name(name);
}
END_TEST

/* ---- Across processes ---- */

START_TEST(auto_reset_wakes_one_manual_wakes_all) {
  char ev_name[IPC_SHM_NAME_MAX + 1], seg_name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_event_t *event;
  ipc_shm_t *counter;
  test_proc_t *waiters[3];
  int manual, i;
  ck_assert_err(ipc_shm_create(&counter, test_name(seg_name, "wc"), 4096, 0), 0);
  for (manual = 0; manual < 2; manual++) {
    const char *argv[] = {"helper", "event-count", NULL, seg_name, NULL};
    ck_assert_err(ipc_shm_event_create(&event, test_name(ev_name, "wk"),
                                       manual ? IPC_SHM_EVENT_MANUAL : 0), 0);
    argv[2] = ev_name;
    for (i = 0; i < 3; i++) {
      waiters[i] = test_proc_start("ipcshm_tests", argv);
      expect_line(waiters[i], "ready");
    }
    ck_assert_err(ipc_shm_event_set(event), 0);
    if (manual) {
      await_counter(counter, 3);
    } else {
      /* One set, one waiter released: the others stay asleep. */
      await_counter(counter, 1);
      test_sleep_ms(300);
      ck_assert_int_eq(read_counter(counter), 1);
      ck_assert_err(ipc_shm_event_set(event), 0);
      await_counter(counter, 2);
      ck_assert_err(ipc_shm_event_set(event), 0);
      await_counter(counter, 3);
      /* Nothing was left set. */
      ck_assert_err(ipc_shm_event_wait(event, 0), IPC_SHM_E_TIMEOUT);
    }
    for (i = 0; i < 3; i++)
      ck_assert_int_eq(test_proc_wait(waiters[i]), 0);
    {
      ipc_shm_view_t *view;
      ck_assert_err(ipc_shm_map(&view, counter, 0, 0, IPC_SHM_MAP_WRITE), 0);
      *(int32_t *)ipc_shm_view_data(view) = 0;
      ipc_shm_unmap(view);
    }
    ipc_shm_event_close(event);
    remove_name(ev_name);
  }
  ipc_shm_close(counter);
  remove_name(seg_name);
}
END_TEST

/* A manual-reset waiter is released by a set even if a reset follows at
 * once; an idle waiter uses no CPU. */
START_TEST(waiters_are_released_and_idle_ones_sleep) {
  char name[IPC_SHM_NAME_MAX + 1], line[128];
  ipc_shm_event_t *event;
  test_proc_t *waiter;
  double cpu_ms = -1;
  ck_assert_err(ipc_shm_event_create(&event, test_name(name, "pr"), IPC_SHM_EVENT_MANUAL), 0);
  {
    const char *argv[] = {"helper", "event-wait", name, "20000", NULL};
    waiter = test_proc_start("ipcshm_tests", argv);
  }
  expect_line(waiter, "ready");
  test_sleep_ms(1500); /* asleep in its wait by now */
  ck_assert_err(ipc_shm_event_set(event), 0);
  ck_assert_err(ipc_shm_event_reset(event), 0);
  ck_assert_int_eq(test_proc_read_line(waiter, line, sizeof(line)), 0);
  ck_assert_int_eq(sscanf(line, "OK cpu_ms=%lf", &cpu_ms), 1);
  /* 1.5 s of waiting cost almost nothing (other POSIX systems poll at
   * most every 5 ms). */
  ck_assert_msg(cpu_ms < 150.0, "an idle waiter used %.0f ms of CPU in 1.5 s", cpu_ms);
  ck_assert_int_eq(test_proc_wait(waiter), 0);
  ipc_shm_event_close(event);
  remove_name(name);
}
END_TEST

START_TEST(ping_pong_loses_no_wake_up) {
  char ping_name[IPC_SHM_NAME_MAX + 1], pong_name[IPC_SHM_NAME_MAX + 1], count[24];
  ipc_shm_event_t *ping, *pong;
  test_proc_t *peer;
  long i;
  ck_assert_err(ipc_shm_event_create(&ping, test_name(ping_name, "pi"), 0), 0);
  ck_assert_err(ipc_shm_event_create(&pong, test_name(pong_name, "po"), 0), 0);
  snprintf(count, sizeof(count), "%ld", PING_PONGS);
  {
    const char *argv[] = {"helper", "event-pong", ping_name, pong_name, count, NULL};
    peer = test_proc_start("ipcshm_tests", argv);
  }
  for (i = 0; i < PING_PONGS; i++) {
    int err;
    ck_assert_err(ipc_shm_event_set(ping), 0);
    err = ipc_shm_event_wait(pong, 30000);
    ck_assert_msg(err == 0, "round trip %ld: %s", i, ipc_shm_err_name(err));
  }
  ck_assert_int_eq(test_proc_wait(peer), 0);
  ipc_shm_event_close(ping);
  ipc_shm_event_close(pong);
  remove_name(ping_name);
  remove_name(pong_name);
}
END_TEST

START_TEST(mutual_exclusion_under_contention) {
  char mx_name[IPC_SHM_NAME_MAX + 1], seg_name[IPC_SHM_NAME_MAX + 1];
  char threads[8], increments[24];
  ipc_shm_mutex_t *mutex;
  ipc_shm_t *counter;
  test_proc_t *workers[LOCK_PROCESSES];
  int i;
  const long per_thread = INCREMENTS / (LOCK_PROCESSES * LOCK_THREADS);
  ck_assert_err(ipc_shm_mutex_create(&mutex, test_name(mx_name, "cm"), 0), 0);
  ck_assert_err(ipc_shm_create(&counter, test_name(seg_name, "cc"), 4096, 0), 0);
  snprintf(threads, sizeof(threads), "%d", LOCK_THREADS);
  snprintf(increments, sizeof(increments), "%ld", per_thread);
  for (i = 0; i < LOCK_PROCESSES; i++) {
    const char *argv[] = {"helper", "mutex-count", mx_name, seg_name, threads, increments, NULL};
    workers[i] = test_proc_start("ipcshm_tests", argv);
  }
  for (i = 0; i < LOCK_PROCESSES; i++)
    ck_assert_int_eq(test_proc_wait(workers[i]), 0);
  ck_assert_int_eq(read_counter(counter), per_thread * LOCK_PROCESSES * LOCK_THREADS);
  ipc_shm_mutex_close(mutex);
  ipc_shm_close(counter);
  remove_name(mx_name);
  remove_name(seg_name);
}
END_TEST

static int defined_windows(void) {
#ifdef _WIN32
  return 1;
#else
  return 0;
#endif
}

/* A locker killed holding the mutex: the next one gets OWNER_DEAD with the
 * half-written data, repairs it and goes on; without the repair the mutex
 * is NOT_RECOVERABLE for everyone after. */
START_TEST(killed_owner_is_detected) {
  char mx_name[IPC_SHM_NAME_MAX + 1], seg_name[IPC_SHM_NAME_MAX + 1], text[16];
  ipc_shm_mutex_t *mutex;
  ipc_shm_t *data;
  int round;
  ck_assert_err(ipc_shm_mutex_create(&mutex, test_name(mx_name, "kd"), 0), 0);
  ck_assert_err(ipc_shm_create(&data, test_name(seg_name, "kt"), SEG_SIZE, 0), 0);
  put(data, TEXT_AT, "whole");
  for (round = 0; round < 2; round++) {
    const char *hold[] = {"helper", "mutex-hold", mx_name, seg_name, NULL};
    const char *wait[] = {"helper", "mutex-lock", mx_name, "20000", NULL};
    test_proc_t *holder = test_proc_start("ipcshm_tests", hold);
    test_proc_t *waiter;
    expect_line(holder, "locked");
    /* Round 0: another process is asleep in its lock when the owner dies. */
    waiter = round == 0 ? test_proc_start("ipcshm_tests", wait) : NULL;
    if (waiter != NULL) {
      expect_line(waiter, "ready");
      test_sleep_ms(200);
    }
    /* Killed and not reaped yet (a zombie on POSIX): dead all the same to
     * this process, its parent. The code of the other POSIX systems judges
     * a process by its id: a zombie is seen only by its parent, so the
     * other waiter there needs it reaped. */
    test_proc_kill(holder);
    if (waiter != NULL && !TEST_LINUX && !defined_windows()) {
      ck_assert_int_ne(test_proc_wait(holder), 0);
      holder = NULL;
    }
    if (waiter != NULL) {
      expect_line(waiter, "OWNER_DEAD"); /* it repaired nothing but says so */
      ck_assert_int_eq(test_proc_wait(waiter), 0);
      /* It made the mutex consistent and unlocked it: normal again. */
      ck_assert_err(ipc_shm_mutex_lock(mutex, 10000), 0);
      get(data, TEXT_AT, text, sizeof(text));
      ck_assert_str_eq(text, "half");
      put(data, TEXT_AT, "whole");
      ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
    } else {
      /* A poll hears of the death too, as soon as the owner's process is
       * gone (its first poll of this owner asks the system). */
      double until = test_seconds() + 10;
      int err;
      while ((err = ipc_shm_mutex_trylock(mutex)) == IPC_SHM_E_TIMEOUT && test_seconds() < until)
        test_sleep_ms(1);
      ck_assert_err(err, IPC_SHM_E_OWNER_DEAD);
      get(data, TEXT_AT, text, sizeof(text));
      ck_assert_str_eq(text, "half");
      /* Not repaired: unusable for every later locker, here and elsewhere. */
      ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
      ck_assert_err(ipc_shm_mutex_lock(mutex, 100), IPC_SHM_E_NOT_RECOVERABLE);
      ck_assert_err(ipc_shm_mutex_trylock(mutex), IPC_SHM_E_NOT_RECOVERABLE);
      {
        char out[64];
        const char *argv[] = {"helper", "mutex-lock", mx_name, "1000", NULL};
        ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
        ck_assert_str_eq(out, "ready\nNOT_RECOVERABLE\n");
      }
    }
    if (holder != NULL)
      ck_assert_int_ne(test_proc_wait(holder), 0);
  }
  ipc_shm_mutex_close(mutex);
  ipc_shm_close(data);
  remove_name(mx_name);
  remove_name(seg_name);
}
END_TEST

/* The owner is a thread: one that ends holding the mutex is dead too
 * (Windows and Linux); other POSIX systems see processes only. */
#ifdef _WIN32
static DWORD WINAPI lock_and_end(LPVOID mutex) {
  return (DWORD)ipc_shm_mutex_lock((ipc_shm_mutex_t *)mutex, 1000);
}
#else
static void *lock_and_end(void *mutex) {
  return (void *)(intptr_t)ipc_shm_mutex_lock((ipc_shm_mutex_t *)mutex, 1000);
}
#endif

START_TEST(ended_owner_thread_is_detected) {
  ipc_shm_mutex_t *mutex;
  int err;
  ck_assert_err(ipc_shm_mutex_create_anonymous(&mutex, 0), 0);
  {
#ifdef _WIN32
    DWORD code = 1;
    HANDLE thread = CreateThread(NULL, 0, lock_and_end, mutex, 0, NULL);
    WaitForSingleObject(thread, INFINITE);
    GetExitCodeThread(thread, &code);
    CloseHandle(thread);
    ck_assert_int_eq((int)code, 0);
#else
    pthread_t thread;
    void *code = (void *)1;
    ck_assert_int_eq(pthread_create(&thread, NULL, lock_and_end, mutex), 0);
    ck_assert_int_eq(pthread_join(thread, &code), 0);
    ck_assert_int_eq((int)(intptr_t)code, 0);
#endif
  }
  err = ipc_shm_mutex_lock(mutex, 500);
#if defined(_WIN32) || TEST_LINUX
  ck_assert_err(err, IPC_SHM_E_OWNER_DEAD);
  ck_assert_err(ipc_shm_mutex_consistent(mutex), 0);
  ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
#else
  ck_assert_err(err, IPC_SHM_E_TIMEOUT);
#endif
  ipc_shm_mutex_close(mutex);
}
END_TEST

#ifdef _WIN32
/* A thread that has the id of one that ended holding the mutex is another
 * thread: its lock gets OWNER_DEAD, not DEADLOCK (Windows reuses thread
 * ids soon: under Wine after a few hundred threads). */
typedef struct reuse {
  ipc_shm_mutex_t *mutex;
  DWORD id;
  int result;
} reuse_t;

static DWORD WINAPI lock_as_first(LPVOID arg) {
  reuse_t *r = (reuse_t *)arg;
  r->id = GetCurrentThreadId();
  r->result = ipc_shm_mutex_lock(r->mutex, 1000);
  return 0;
}

static DWORD WINAPI lock_if_same_id(LPVOID arg) {
  reuse_t *r = (reuse_t *)arg;
  if (GetCurrentThreadId() != r->id)
    return 1;
  r->result = ipc_shm_mutex_lock(r->mutex, 1000);
  if (r->result == IPC_SHM_E_OWNER_DEAD && ipc_shm_mutex_consistent(r->mutex) != 0)
    r->result = -100;
  if (ipc_shm_mutex_unlock(r->mutex) != 0)
    r->result = -101;
  return 0;
}

/* NOT_RECOVERABLE lives in a section that library users map: it holds in
 * every process while one of them has the mutex open, and is gone, as the
 * header says, once the last of them closed it, even while a raw handle
 * keeps the kernel mutex. */
START_TEST(not_recoverable_lives_while_a_library_user_has_it) {
  char name[IPC_SHM_NAME_MAX + 1];
  WCHAR wide[64] = L"Local\\";
  ipc_shm_mutex_t *mutex, *again;
  reuse_t r;
  HANDLE thread, raw;
  ck_assert_err(ipc_shm_mutex_create(&mutex, test_name(name, "nr"), 0), 0);
  r.mutex = mutex;
  thread = CreateThread(NULL, 0, lock_as_first, &r, 0, NULL);
  WaitForSingleObject(thread, INFINITE);
  CloseHandle(thread);
  ck_assert_err(r.result, 0);
  ck_assert_err(ipc_shm_mutex_lock(mutex, 1000), IPC_SHM_E_OWNER_DEAD);
  ck_assert_err(ipc_shm_mutex_unlock(mutex), 0); /* not made consistent */
  ck_assert_err(ipc_shm_mutex_lock(mutex, 0), IPC_SHM_E_NOT_RECOVERABLE);
  /* Another library user, here or elsewhere, hears it. */
  ck_assert_err(ipc_shm_mutex_open(&again, name, 0), 0);
  ck_assert_err(ipc_shm_mutex_lock(again, 0), IPC_SHM_E_NOT_RECOVERABLE);
  ck_assert_err(ipc_shm_mutex_close(again), 0);
  ck_assert_err(ipc_shm_mutex_lock(mutex, 0), IPC_SHM_E_NOT_RECOVERABLE);
  /* Only a raw handle left: the state goes with the last library user. */
  MultiByteToWideChar(CP_UTF8, 0, name, -1, wide + 6, 58);
  raw = OpenMutexW(SYNCHRONIZE, FALSE, wide);
  ck_assert_ptr_nonnull(raw);
  ck_assert_err(ipc_shm_mutex_close(mutex), 0);
  ck_assert_err(ipc_shm_mutex_open(&again, name, 0), 0);
  ck_assert_err(ipc_shm_mutex_lock(again, 0), 0);
  ck_assert_err(ipc_shm_mutex_unlock(again), 0);
  ck_assert_err(ipc_shm_mutex_close(again), 0);
  CloseHandle(raw);
}
END_TEST

START_TEST(a_reused_thread_id_is_another_thread) {
  reuse_t r;
  HANDLE thread;
  DWORD code = 1;
  int tries;
  ck_assert_err(ipc_shm_mutex_create_anonymous(&r.mutex, 0), 0);
  thread = CreateThread(NULL, 0, lock_as_first, &r, 0, NULL);
  WaitForSingleObject(thread, INFINITE);
  CloseHandle(thread);
  ck_assert_err(r.result, 0);
  for (tries = 0; tries < 20000 && code != 0; tries++) {
    thread = CreateThread(NULL, 0, lock_if_same_id, &r, 0, NULL);
    ck_assert_ptr_nonnull(thread);
    WaitForSingleObject(thread, INFINITE);
    GetExitCodeThread(thread, &code);
    CloseHandle(thread);
  }
  ck_assert_msg(code == 0, "no thread got the id %lu again in %d", r.id, tries);
  ck_assert_err(r.result, IPC_SHM_E_OWNER_DEAD);
  ipc_shm_mutex_close(r.mutex);
}
END_TEST
#endif

/* ---- The tool ---- */

START_TEST(the_tool_sets_waits_and_locks) {
  char ev_name[IPC_SHM_NAME_MAX + 1], mx_name[IPC_SHM_NAME_MAX + 1], out[512], path[1200];
  ipc_shm_event_t *event;
  ipc_shm_mutex_t *mutex;
  ck_assert_err(ipc_shm_event_create(&event, test_name(ev_name, "te"), 0), 0);
  ck_assert_err(ipc_shm_mutex_create(&mutex, test_name(mx_name, "tm"), 0), 0);
  helper_path(path, sizeof(path));
  {
    const char *wait[] = {"event", "wait", ev_name, "--timeout", "20000", NULL};
    const char *set[] = {"event", "set", ev_name, NULL};
    const char *poll[] = {"event", "wait", ev_name, "--timeout", "0", NULL};
    test_proc_t *waiter = test_proc_start("ipc-shm", wait);
    test_sleep_ms(200);
    ck_assert_int_eq(test_run("ipc-shm", set, NULL, out, sizeof(out)), 0);
    ck_assert_int_eq(test_proc_wait(waiter), 0);
    ck_assert_int_eq(test_run_merged("ipc-shm", poll, NULL, out, sizeof(out)), 124);
    ck_assert_msg(strstr(out, "timed out") != NULL, "%s", out);
    ck_assert_err(ipc_shm_event_set(event), 0);
    ck_assert_int_eq(test_run("ipc-shm", poll, NULL, out, sizeof(out)), 0);
  }
  {
    const char *busy[] = {"mutex", "lock", mx_name, "--timeout", "100", NULL};
    const char *run[] = {"mutex", "lock", mx_name, "--", path, "helper", "say", "inside", NULL};
    const char *plain[] = {"mutex", "lock", mx_name, NULL};
    const char *recover[] = {"mutex", "lock", mx_name, "--recover", NULL};
    const char *wrong[] = {"mutex", "lock", ev_name, NULL};
    const char *hold[] = {"helper", "mutex-hold", mx_name, "-", NULL};
    test_proc_t *holder;
    ck_assert_err(ipc_shm_mutex_lock(mutex, 0), 0);
    ck_assert_int_eq(test_run("ipc-shm", busy, NULL, out, sizeof(out)), 124);
    ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
    ck_assert_int_eq(test_run("ipc-shm", run, NULL, out, sizeof(out)), 0);
    ck_assert_msg(strstr(out, "inside") != NULL, "%s", out);
    ck_assert_int_eq(test_run_merged("ipc-shm", wrong, NULL, out, sizeof(out)), 1);
    ck_assert_msg(strstr(out, "WRONG_KIND") != NULL, "%s", out);
    /* A dead owner: said, and kept for the next locker unless --recover. */
    holder = test_proc_start("ipcshm_tests", hold);
    expect_line(holder, "locked");
    test_proc_kill(holder);
    ck_assert_int_ne(test_proc_wait(holder), 0);
    ck_assert_int_eq(test_run_merged("ipc-shm", plain, NULL, out, sizeof(out)), 1);
    ck_assert_msg(strstr(out, "died") != NULL, "%s", out);
    ck_assert_int_eq(test_run_merged("ipc-shm", recover, NULL, out, sizeof(out)), 0);
    ck_assert_msg(strstr(out, "died") != NULL, "%s", out);
    ck_assert_err(ipc_shm_mutex_lock(mutex, 10000), 0);
    ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
  }
  ipc_shm_event_close(event);
  ipc_shm_mutex_close(mutex);
  remove_name(ev_name);
  remove_name(mx_name);
}
END_TEST

/* ---- Hand-over ---- */

static void parent_prepares(const char *kind, ipc_shm_event_t *event, ipc_shm_mutex_t *mutex) {
  if (strcmp(kind, "mutex") == 0)
    ck_assert_err(ipc_shm_mutex_lock(mutex, 0), 0);
  (void)event;
}

/* What the child said, and what the parent sees afterwards. */
static void parent_checks(const char *kind, ipc_shm_event_t *event, ipc_shm_mutex_t *mutex,
                          const char *said) {
  if (strcmp(kind, "event") == 0) {
    ck_assert_str_eq(said, "set OK");
    ck_assert_err(ipc_shm_event_wait(event, 0), 0);
  } else {
    ck_assert_str_eq(said, "trylock TIMEOUT");
    ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
  }
}

static const char *first_line(char *out) {
  out[strcspn(out, "\r\n")] = '\0';
  return out;
}

START_TEST(every_route_hands_over_each_kind) {
  static const char *const kinds[] = {"event", "mutex"};
  char path[1200], out[256], name[IPC_SHM_NAME_MAX + 1];
  size_t k;
  helper_path(path, sizeof(path));
  for (k = 0; k < 2; k++) {
    const char *kind = kinds[k];
    int is_event = k == 0;
    ipc_shm_event_t *event = NULL;
    ipc_shm_mutex_t *mutex = NULL;
    ipc_shm_export_t *exp;
    test_resources_t before;
    if (is_event)
      ck_assert_err(ipc_shm_event_create_anonymous(&event, 0), 0);
    else
      ck_assert_err(ipc_shm_mutex_create_anonymous(&mutex, 0), 0);
    before = test_resources();

    /* Spawn. */
    {
      ipc_shm_inherit_t entry = {NULL, 0, NULL, NULL};
      ipc_shm_process_t *child;
      int code = -1;
      const char *argv[] = {path, "helper", "sync-inherited", kind, NULL};
      entry.event = event;
      entry.mutex = mutex;
      parent_prepares(kind, event, mutex);
      ck_assert_err(ipc_shm_spawn(&child, argv, &entry, 1), 0);
      ck_assert_err(ipc_shm_process_wait(child, &code), 0);
      ck_assert_int_eq(code, 0);
      /* The child's line went to our standard output: check the effect. */
      if (is_event)
        ck_assert_err(ipc_shm_event_wait(event, 0), 0);
      else
        ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
    }
    /* Export and import. */
    ck_assert_err(is_event ? ipc_shm_event_export(&exp, event, 0)
                           : ipc_shm_mutex_export(&exp, mutex, 0), 0);
    ck_assert(strstr(ipc_shm_export_token(exp), is_event ? ":evt:" : ":mtx:") != NULL);
    {
      const char *argv[] = {"helper", "sync-import", kind, ipc_shm_export_token(exp), NULL};
      const char *other[] = {"helper", "sync-import", is_event ? "mutex" : "event",
                             ipc_shm_export_token(exp), NULL};
      parent_prepares(kind, event, mutex);
      ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
      parent_checks(kind, event, mutex, first_line(out));
      /* The token of one kind is never taken for another. */
      ck_assert_int_eq(test_run("ipcshm_tests", other, NULL, out, sizeof(out)), 1);
      ck_assert_str_eq(first_line(out), "error WRONG_KIND");
    }
    {
      ipc_shm_t *shm = NULL;
      ck_assert_err(ipc_shm_import(&shm, ipc_shm_export_token(exp)), IPC_SHM_E_WRONG_KIND);
      ck_assert_ptr_null(shm);
    }
    ipc_shm_export_close(exp);
    /* Pull. */
    ck_assert_err(is_event ? ipc_shm_event_export(&exp, event, IPC_SHM_EXPORT_PULL)
                           : ipc_shm_mutex_export(&exp, mutex, IPC_SHM_EXPORT_PULL), 0);
    if (TEST_CAN_PULL) {
      const char *argv[] = {"helper", "sync-pull", kind, ipc_shm_export_token(exp), NULL};
      const char *other[] = {"helper", "sync-pull", is_event ? "mutex" : "event",
                             ipc_shm_export_token(exp), NULL};
      test_allow_pullers();
      parent_prepares(kind, event, mutex);
      ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
      parent_checks(kind, event, mutex, first_line(out));
      ck_assert_int_eq(test_run("ipcshm_tests", other, NULL, out, sizeof(out)), 1);
      ck_assert_str_eq(first_line(out), "error WRONG_KIND");
    }
    ipc_shm_export_close(exp);
    /* Push (Windows), or NOT_SUPPORTED. */
    {
      char token[IPC_SHM_TOKEN_MAX];
#ifdef _WIN32
      char line[256];
      unsigned long pid;
      const char *argv[] = {"helper", "sync-push-target", kind, NULL};
      test_proc_t *proc = test_proc_start("ipcshm_tests", argv);
      ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
      ck_assert_int_eq(sscanf(line, "pid %lu", &pid), 1);
      ck_assert_err(is_event ? ipc_shm_event_push(event, pid, 0, token)
                             : ipc_shm_mutex_push(mutex, pid, 0, token), 0);
      parent_prepares(kind, event, mutex);
      test_proc_write(proc, token, strlen(token));
      test_proc_write(proc, "\n", 1);
      ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
      ck_assert_int_eq(test_proc_wait(proc), 0);
      parent_checks(kind, event, mutex, line);
#else
      ck_assert_err(is_event ? ipc_shm_event_push(event, 1, 0, token)
                             : ipc_shm_mutex_push(mutex, 1, 0, token), IPC_SHM_E_NOT_SUPPORTED);
#endif
    }
    /* Send and receive; a receiver of the wrong kind refuses. */
    {
      ipc_shm_listener_t *listener;
      ipc_shm_conn_t *conn;
      int wrong;
      ck_assert_err(ipc_shm_listen(&listener, test_name(name, "sr")), 0);
      for (wrong = 0; wrong < 2; wrong++) {
        const char *receiver = wrong ? (is_event ? "mutex" : "event") : kind;
        const char *argv[] = {"helper", "sync-receive", receiver, name, NULL};
        test_proc_t *proc = test_proc_start("ipcshm_tests", argv);
        char line[256];
        ck_assert_err(ipc_shm_accept(listener, &conn), 0);
        if (!wrong)
          parent_prepares(kind, event, mutex);
        ck_assert_err(is_event ? ipc_shm_event_send(conn, event, 0)
                               : ipc_shm_mutex_send(conn, mutex, 0), 0);
        ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
        ck_assert_int_eq(test_proc_wait(proc), wrong ? 1 : 0);
        if (wrong)
          ck_assert_str_eq(line, "error WRONG_KIND");
        else
          parent_checks(kind, event, mutex, line);
        ipc_shm_conn_close(conn);
      }
      ipc_shm_listener_close(listener);
    }
    ck_assert_no_leak(before);
    if (is_event)
      ipc_shm_event_close(event);
    else
      ipc_shm_mutex_close(mutex);
  }
}
END_TEST

/* A segment is never received as an event, nor an event as a segment. */
START_TEST(kinds_are_never_confused_in_transit) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_listener_t *listener;
  ipc_shm_conn_t *client, *server;
  ipc_shm_event_t *event, *got_event = NULL;
  ipc_shm_t *shm = anonymous_with("segment"), *got_shm = NULL;
  test_resources_t before;
  ck_assert_err(ipc_shm_event_create_anonymous(&event, 0), 0);
  ck_assert_err(ipc_shm_listen(&listener, test_name(name, "kc")), 0);
  ck_assert_err(ipc_shm_connect(&client, name), 0);
  ck_assert_err(ipc_shm_accept(listener, &server), 0);
  before = test_resources();
  ck_assert_err(ipc_shm_event_send(client, event, 0), 0);
  ck_assert_err(ipc_shm_receive(server, &got_shm), IPC_SHM_E_WRONG_KIND);
  ck_assert_ptr_null(got_shm);
  ck_assert_err(ipc_shm_send(client, shm, 0), 0);
  ck_assert_err(ipc_shm_event_receive(server, &got_event), IPC_SHM_E_WRONG_KIND);
  ck_assert_ptr_null(got_event);
#ifndef _WIN32
  /* The descriptors that came with them were closed. */
  ck_assert_no_leak(before);
#endif
  ipc_shm_conn_close(client);
  ipc_shm_conn_close(server);
  ipc_shm_listener_close(listener);
  ipc_shm_event_close(event);
  ipc_shm_close(shm);
  (void)before;
}
END_TEST

#ifndef _WIN32
#include <fcntl.h>
#include <sys/mman.h>

/* The one thing a hostile peer can do that ends another process, as the
 * header says: truncate a named object's state (SIGBUS at the next touch).
 * Linux seals anonymous objects against it. */
START_TEST(truncated_state_is_what_the_header_says) {
  char name[IPC_SHM_NAME_MAX + 1], path[64];
  const char *argv[] = {"helper", "event-set-later", NULL, NULL};
  ipc_shm_event_t *event;
  ipc_shm_mutex_t *mutex;
  test_proc_t *setter;
  int fd;
  ck_assert_err(ipc_shm_event_create(&event, test_name(name, "tr"), 0), 0);
  argv[2] = name;
  /* The signal itself, not AddressSanitizer's report of it (the sanitizer
   * tree). */
  test_set_env("ASAN_OPTIONS", "handle_sigbus=0");
  setter = test_proc_start("ipcshm_tests", argv);
  test_set_env("ASAN_OPTIONS", NULL);
  expect_line(setter, "ready");
  snprintf(path, sizeof(path), "/%s", name);
  fd = shm_open(path, O_RDWR, 0);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(ftruncate(fd, 0), 0);
  close(fd);
  test_proc_write(setter, "go\n", 3);
  ck_assert_int_eq(test_proc_wait(setter), 128 + SIGBUS);
  ipc_shm_event_close(event);
  remove_name(name);
#if TEST_LINUX
  ck_assert_err(ipc_shm_event_create_anonymous(&event, 0), 0);
  ck_assert_err(ipc_shm_mutex_create_anonymous(&mutex, 0), 0);
  {
    int a = ftruncate(event->base.handle, 0);
    int b = ftruncate(mutex->base.handle, 0);
    ck_assert_int_ne(a, 0);
    ck_assert_int_ne(b, 0);
  }
  ck_assert_err(ipc_shm_event_set(event), 0);
  ck_assert_err(ipc_shm_mutex_lock(mutex, 0), 0);
  ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
  ipc_shm_event_close(event);
  ipc_shm_mutex_close(mutex);
#else
  (void)mutex;
#endif
}
END_TEST

/* A hostile peer scribbles over the state of an event and a mutex: calls
 * may fail or time out, never crash or hang past their timeout. */
START_TEST(scribbled_state_never_crashes) {
  char ev_name[IPC_SHM_NAME_MAX + 1], mx_name[IPC_SHM_NAME_MAX + 1], path[64];
  ipc_shm_event_t *event;
  ipc_shm_mutex_t *mutex;
  unsigned char *ev_raw, *mx_raw;
  unsigned seed = 12345;
  int round, fd;
  ck_assert_err(ipc_shm_event_create(&event, test_name(ev_name, "se"), 0), 0);
  ck_assert_err(ipc_shm_mutex_create(&mutex, test_name(mx_name, "sm"), 0), 0);
  snprintf(path, sizeof(path), "/%s", ev_name);
  fd = shm_open(path, O_RDWR, 0);
  ck_assert_int_ge(fd, 0);
  ev_raw = (unsigned char *)mmap(NULL, 64, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  snprintf(path, sizeof(path), "/%s", mx_name);
  fd = shm_open(path, O_RDWR, 0);
  ck_assert_int_ge(fd, 0);
  mx_raw = (unsigned char *)mmap(NULL, 64, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  ck_assert(ev_raw != MAP_FAILED && mx_raw != MAP_FAILED);
  for (round = 0; round < 200; round++) {
    int i, err;
    /* Everything but the magic (the first 8 bytes), which was checked at
     * open, or all of it in some rounds. */
    for (i = round % 4 == 0 ? 0 : 8; i < 64; i++) {
      seed = seed * 1103515245u + 12345u;
      ev_raw[i] = (unsigned char)(seed >> 16);
      mx_raw[i] = (unsigned char)(seed >> 8);
    }
    (void)ipc_shm_event_set(event);
    (void)ipc_shm_event_wait(event, 1);
    (void)ipc_shm_event_reset(event);
    err = ipc_shm_mutex_lock(mutex, 1);
    if (err == 0 || err == IPC_SHM_E_OWNER_DEAD) {
      (void)ipc_shm_mutex_consistent(mutex);
      ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
    } else {
      ck_assert_msg(err == IPC_SHM_E_TIMEOUT || err == IPC_SHM_E_NOT_RECOVERABLE ||
                        err == IPC_SHM_E_DEADLOCK,
                    "round %d: %s", round, ipc_shm_err_name(err));
    }
  }
  munmap(ev_raw, 64);
  munmap(mx_raw, 64);
  ipc_shm_event_close(event);
  ipc_shm_mutex_close(mutex);
  remove_name(ev_name);
  remove_name(mx_name);
}
END_TEST

/* An object planted under a name that looks like no event: refused. */
START_TEST(planted_objects_are_refused) {
  char name[IPC_SHM_NAME_MAX + 1], path[64];
  ipc_shm_event_t *event = NULL;
  ipc_shm_mutex_t *mutex = NULL;
  int fd;
  test_resources_t before = test_resources();
  snprintf(path, sizeof(path), "/%s", test_name(name, "pl"));
  fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(ftruncate(fd, 64), 0);
  {
    /* A 64-byte object with a mutex's magic and an event's name. */
    unsigned char *p = (unsigned char *)mmap(NULL, 64, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ck_assert(p != MAP_FAILED);
    memcpy(p, "ipcsync\002", 8); /* layout 2 */
    p[8] = 3;
    munmap(p, 64);
  }
  close(fd);
  ck_assert_err(ipc_shm_event_open(&event, name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_mutex_open(&mutex, name, 0), 0);
  ck_assert_err(ipc_shm_mutex_close(mutex), 0);
  /* Garbage without the magic: waited for briefly (a creator may still be
   * writing it), then refused. */
  fd = shm_open(path, O_RDWR, 0);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(ftruncate(fd, 0), 0);
  ck_assert_int_eq(ftruncate(fd, 64), 0);
  close(fd);
  ck_assert_err(ipc_shm_mutex_open(&mutex, name, 0), IPC_SHM_E_WRONG_KIND);
  ck_assert_ptr_null(mutex);
  ck_assert_ptr_null(event);
  ck_assert_no_leak(before);
  ck_assert_int_eq(shm_unlink(path), 0);
}
END_TEST
#endif

#ifdef _WIN32
/* Programs using the raw calls meet the same objects, both directions. */
START_TEST(raw_programs_meet_the_same_objects) {
  char ev_name[IPC_SHM_NAME_MAX + 1], mx_name[IPC_SHM_NAME_MAX + 1], out[128], line[128];
  ipc_shm_event_t *event;
  ipc_shm_mutex_t *mutex;
  ck_assert_err(ipc_shm_event_create(&event, test_name(ev_name, "re"), 0), 0);
  ck_assert_err(ipc_shm_mutex_create(&mutex, test_name(mx_name, "rm"), 0), 0);
  /* The raw program sets our event. */
  {
    const char *argv[] = {"event-set", ev_name, NULL};
    ck_assert_int_eq(test_run("raw_peer", argv, NULL, out, sizeof(out)), 0);
    ck_assert_err(ipc_shm_event_wait(event, 10000), 0);
  }
  /* We set the raw program's wait. */
  {
    const char *argv[] = {"event-wait", ev_name, "20000", NULL};
    test_proc_t *proc = test_proc_start("raw_peer", argv);
    expect_line(proc, "ready");
    ck_assert_err(ipc_shm_event_set(event), 0);
    expect_line(proc, "signaled");
    ck_assert_int_eq(test_proc_wait(proc), 0);
  }
  /* The raw program holds our mutex; killed, it abandons it. */
  {
    const char *argv[] = {"mutex-hold", mx_name, NULL};
    test_proc_t *proc = test_proc_start("raw_peer", argv);
    expect_line(proc, "locked");
    ck_assert_err(ipc_shm_mutex_trylock(mutex), IPC_SHM_E_TIMEOUT);
    test_proc_kill(proc);
    test_proc_wait(proc);
    ck_assert_err(ipc_shm_mutex_lock(mutex, 10000), IPC_SHM_E_OWNER_DEAD);
    ck_assert_err(ipc_shm_mutex_consistent(mutex), 0);
    /* We hold it: the raw program waits in vain, then gets it. */
    {
      const char *wait[] = {"mutex-wait", mx_name, "100", NULL};
      ck_assert_int_eq(test_run("raw_peer", wait, NULL, out, sizeof(out)), 0);
      ck_assert_str_eq(first_line(out), "timeout");
    }
    ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
    {
      const char *wait[] = {"mutex-wait", mx_name, "10000", NULL};
      ck_assert_int_eq(test_run("raw_peer", wait, NULL, out, sizeof(out)), 0);
      ck_assert_str_eq(first_line(out), "locked");
    }
  }
  /* The raw program made the objects: we open them. */
  {
    char raw_ev[IPC_SHM_NAME_MAX + 1], raw_mx[IPC_SHM_NAME_MAX + 1];
    const char *argv[] = {"make-sync", test_name(raw_ev, "xe"), test_name(raw_mx, "xm"), NULL};
    test_proc_t *proc = test_proc_start("raw_peer", argv);
    ipc_shm_event_t *theirs;
    ipc_shm_mutex_t *their_mutex;
    expect_line(proc, "ready");
    ck_assert_err(ipc_shm_event_open(&theirs, raw_ev, 0), 0);
    ck_assert_err(ipc_shm_event_wait(theirs, 10000), 0); /* they made it set */
    ck_assert_err(ipc_shm_mutex_open(&their_mutex, raw_mx, 0), 0);
    ck_assert_err(ipc_shm_mutex_lock(their_mutex, 10000), 0);
    ck_assert_err(ipc_shm_mutex_unlock(their_mutex), 0);
    ck_assert_err(ipc_shm_event_open(&theirs, raw_mx, 0), IPC_SHM_E_WRONG_KIND);
    ipc_shm_mutex_close(their_mutex);
    ck_assert_int_eq(test_proc_wait(proc), 0);
    (void)line;
  }
  ipc_shm_event_close(event);
  ipc_shm_mutex_close(mutex);
}
END_TEST
#endif

void add_sync_cases(Suite *suite) {
  TCase *tc = tcase_create("sync_rules");
  tcase_add_test(tc, events_set_reset_and_wait);
  tcase_add_test(tc, mutexes_lock_and_unlock);
  tcase_add_test(tc, bad_arguments_are_refused);
  tcase_add_test(tc, one_name_names_one_object);
  tcase_add_test(tc, timeouts_are_honoured);
  tcase_add_test(tc, ended_owner_thread_is_detected);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);

  tc = tcase_create("sync_processes");
  tcase_add_test(tc, auto_reset_wakes_one_manual_wakes_all);
  tcase_add_test(tc, waiters_are_released_and_idle_ones_sleep);
  tcase_add_test(tc, killed_owner_is_detected);
  tcase_add_test(tc, the_tool_sets_waits_and_locks);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);

  tc = tcase_create("sync_load");
  tcase_add_test(tc, ping_pong_loses_no_wake_up);
  tcase_add_test(tc, mutual_exclusion_under_contention);
  tcase_set_timeout(tc, 600);
  suite_add_tcase(suite, tc);

  tc = tcase_create("sync_routes");
  tcase_add_test(tc, every_route_hands_over_each_kind);
  tcase_add_test(tc, kinds_are_never_confused_in_transit);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);

  /* What only one platform has: raw state to scribble on (POSIX), raw
   * event and mutex calls (Windows). */
  tc = tcase_create("sync_platform");
#ifndef _WIN32
  tcase_add_test(tc, scribbled_state_never_crashes);
  tcase_add_test(tc, truncated_state_is_what_the_header_says);
  tcase_add_test(tc, planted_objects_are_refused);
#else
  tcase_add_test(tc, raw_programs_meet_the_same_objects);
  tcase_add_test(tc, a_reused_thread_id_is_another_thread);
  tcase_add_test(tc, not_recoverable_lives_while_a_library_user_has_it);
#endif
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);
}
