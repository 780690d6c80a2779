/* SPDX-License-Identifier: MIT */
/* Mutexes: lock and unlock, exclusion across processes and threads, and
 * owners that die: killed processes, ended threads, reused thread ids,
 * and (Windows) the recovery state every library user shares. */
#include "handover_util.h"

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
 * round trip to its server: the long loop runs shorter there. */
#if TEST_LINUX
#define INCREMENTS 1000000L
#else
#define INCREMENTS 100000L
#endif
#define LOCK_PROCESSES 4
#define LOCK_THREADS 2

/* ---- Helpers for other processes ---- */

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
  test_say("locked");
  test_hold_until_stdin_ends();
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
  test_say("ready");
  err = ipc_shm_mutex_lock(mutex, atol(argv[1]));
  test_say(ipc_shm_err_name(err));
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


int run_mutex_helper(int argc, char **argv) {
  static const test_helper_mode_t modes[] = {
      {"mutex-hold", 2, helper_mutex_hold},
      {"mutex-lock", 2, helper_mutex_lock},
      {"mutex-count", 4, helper_mutex_count},
  };
  return test_dispatch_helper(modes, sizeof(modes) / sizeof(modes[0]), argc, argv);
}

/* ---- In one process ---- */

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
  test_remove_name(name);

  ck_assert_err(ipc_shm_mutex_create_anonymous(&anonymous, 0), 0);
  ck_assert_err(ipc_shm_mutex_lock(anonymous, 10), 0);
  ck_assert_err(ipc_shm_mutex_unlock(anonymous), 0);
  ck_assert_err(ipc_shm_mutex_close(anonymous), 0);
  ck_assert_no_leak(before);
}
END_TEST

/* ---- Across processes and threads ---- */

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
  ck_assert_int_eq(test_counter_read(counter), per_thread * LOCK_PROCESSES * LOCK_THREADS);
  ipc_shm_mutex_close(mutex);
  ipc_shm_close(counter);
  test_remove_name(mx_name);
  test_remove_name(seg_name);
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
    test_expect_line(holder, "locked");
    /* Round 0: another process is asleep in its lock when the owner dies. */
    waiter = round == 0 ? test_proc_start("ipcshm_tests", wait) : NULL;
    if (waiter != NULL) {
      test_expect_line(waiter, "ready");
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
      test_expect_line(waiter, "OWNER_DEAD"); /* it repaired nothing but says so */
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
  test_remove_name(mx_name);
  test_remove_name(seg_name);
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

void add_mutex_cases(Suite *suite) {
  TCase *tc = tcase_create("mutex");
  tcase_add_test(tc, mutexes_lock_and_unlock);
  tcase_add_test(tc, ended_owner_thread_is_detected);
  tcase_add_test(tc, killed_owner_is_detected);
#ifdef _WIN32
  tcase_add_test(tc, a_reused_thread_id_is_another_thread);
  tcase_add_test(tc, not_recoverable_lives_while_a_library_user_has_it);
#endif
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);

  tc = tcase_create("mutex_load");
  tcase_add_test(tc, mutual_exclusion_under_contention);
  tcase_set_timeout(tc, 600);
  suite_add_tcase(suite, tc);
}
