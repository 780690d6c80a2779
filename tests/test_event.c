/* SPDX-License-Identifier: MIT */
/* Events: set, reset and wait, wake-ups across processes, and sets and
 * resets that race waiters between threads: a set that a reset follows at
 * once still releases what it must (every waiter of a manual-reset event
 * that was waiting, exactly one of an auto-reset event), and a set
 * releases sleepers at once, not at their timeout. */
#include "handover_util.h"

#include "../src/common/atomic.h"
#ifdef _WIN32
#include <windows.h>
#else
#include "../src/posix/posix_internal.h"
#endif

#include <stdio.h>
#include <stdlib.h>

#define SLEEPERS 3

#include <string.h>

/* Under the generic POSIX code sleepers poll, and Wine's every wait is a
 * round trip to its server: the long loop runs shorter there. */
#if TEST_LINUX
#define PING_PONGS 1000000L
#else
#define PING_PONGS 20000L
#endif

/* ---- Helpers for other processes ---- */

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
  test_say("ready");
  cpu = test_cpu_seconds();
  err = ipc_shm_event_wait(event, atol(argv[1]));
  snprintf(line, sizeof(line), "%s cpu_ms=%.0f", ipc_shm_err_name(err),
           (test_cpu_seconds() - cpu) * 1000.0);
  test_say(line);
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
  test_say("ready");
  if (fgets(line, sizeof(line), stdin) == NULL)
    return 1;
  test_say(ipc_shm_err_name(ipc_shm_event_set(event)));
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
  test_say("ready");
  err = ipc_shm_event_wait(event, 10000);
  if (err == 0)
    test_counter_add(ipc_shm_view_data(view));
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


int run_event_helper(int argc, char **argv) {
  static const test_helper_mode_t modes[] = {
      {"event-wait", 2, helper_event_wait},
      {"event-set-later", 1, helper_event_set_later},
      {"event-count", 2, helper_event_count},
      {"event-pong", 3, helper_event_pong},
  };
  return test_dispatch_helper(modes, sizeof(modes) / sizeof(modes[0]), argc, argv);
}

/* ---- In one process ---- */

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
  test_remove_name(name);

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
  test_remove_name(name);

  ck_assert_err(ipc_shm_event_create_anonymous(&anonymous, IPC_SHM_EVENT_SET), 0);
  ck_assert_err(ipc_shm_event_wait(anonymous, 0), 0);
  ck_assert_err(ipc_shm_event_wait(anonymous, 0), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_event_close(anonymous), 0);
  ck_assert_no_leak(before);
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
      test_expect_line(waiters[i], "ready");
    }
    ck_assert_err(ipc_shm_event_set(event), 0);
    if (manual) {
      test_counter_await(counter, 3);
    } else {
      /* One set, one waiter released: the others stay asleep. */
      test_counter_await(counter, 1);
      test_sleep_ms(300);
      ck_assert_int_eq(test_counter_read(counter), 1);
      ck_assert_err(ipc_shm_event_set(event), 0);
      test_counter_await(counter, 2);
      ck_assert_err(ipc_shm_event_set(event), 0);
      test_counter_await(counter, 3);
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
    test_remove_name(ev_name);
  }
  ipc_shm_close(counter);
  test_remove_name(seg_name);
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
  test_expect_line(waiter, "ready");
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
  test_remove_name(name);
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
  test_remove_name(ping_name);
  test_remove_name(pong_name);
}
END_TEST

/* ---- A manual-reset set and reset 2 to 5 us after the waiter entered ---- */

typedef struct race {
  ipc_shm_event_t *event;
  uint32_t round;    /* the round the main thread asks for */
  uint32_t entering; /* the round the waiter is about to wait in */
  uint32_t finished; /* the round the waiter finished */
  int result;
} race_t;

static void spin_until_ns(int64_t until_ns) {
  while (test_seconds() * 1e9 < (double)until_ns) {
  }
}

/* How long after the waiter says it enters the set comes: POSIX, 2 to 5 us
 * (the waiter is spinning, the case that was lost). Windows waits in the
 * kernel only: the set comes 20 to 30 ms later, when the kernel surely has
 * the waiter (under Wine a wait is a round trip to its server, which other
 * tests keep busy: hundreds of microseconds were seen to be too few), and
 * there is no count of the waiter's lost CPU to excuse a round. */
#ifdef _WIN32
#define RACE_ROUNDS 100
#define SET_AFTER_NS 20000000
#define SET_SPREAD_NS 10000000
#else
#define RACE_ROUNDS 1400
#define SET_AFTER_NS 2000
#define SET_SPREAD_NS 3000
#endif

static int manual_waiter(void *arg) {
  race_t *race = (race_t *)arg;
  uint32_t round;
  for (round = 1; round <= RACE_ROUNDS; round++) {
    while (ipc_shm__load_acquire32(&race->round) != round) {
    }
#ifdef _WIN32
    ipc_shm__store_release32(&race->entering, round);
    race->result = ipc_shm_event_wait(race->event, 2000);
#else
    {
      /* The waiter's first look at the event, taken before it says it
       * enters: a set after that must release it, wherever it then is
       * (spinning, about to sleep, asleep). A virtual CPU that the
       * hypervisor stops between the two is no excuse then. */
      struct ipc_shm *obj = (struct ipc_shm *)(void *)race->event;
      uint32_t first = ipc_shm__posix_sync_word(obj);
      ipc_shm__store_release32(&race->entering, round);
      race->result = ipc_shm__posix_event_wait_from(obj, 2000, first);
    }
#endif
    ipc_shm__store_release32(&race->finished, round);
  }
  return 0;
}

/* The header's promise: a waiter of a manual-reset event is released by
 * every set that happens while it waits, even if the event is reset before
 * it runs, and whether it was spinning or asleep then. */
START_TEST(manual_set_then_reset_releases_a_waiter) {
  race_t race;
  test_thread_t *waiter;
  uint32_t round;
  int missed = 0;
  unsigned seed = 7;
  race.round = race.entering = race.finished = 0;
  ck_assert_err(ipc_shm_event_create_anonymous(&race.event, IPC_SHM_EVENT_MANUAL), 0);
  waiter = test_thread_start(manual_waiter, &race);
  for (round = 1; round <= RACE_ROUNDS; round++) {
    seed = seed * 1103515245u + 12345u;
    ipc_shm__store_release32(&race.round, round);
    while (ipc_shm__load_acquire32(&race.entering) != round) {
    }
    spin_until_ns((int64_t)(test_seconds() * 1e9) + SET_AFTER_NS +
                  (int64_t)(seed >> 8) % SET_SPREAD_NS);
    ck_assert_err(ipc_shm_event_set(race.event), 0);
    ck_assert_err(ipc_shm_event_reset(race.event), 0);
    while (ipc_shm__load_acquire32(&race.finished) != round) {
    }
    missed += race.result != 0;
  }
  ck_assert_int_eq(test_thread_join(waiter), 0);
  ipc_shm_event_close(race.event);
  ck_assert_msg(missed == 0, "%d of %d waiters missed a set followed by a reset", missed,
                RACE_ROUNDS);
}
END_TEST

#ifndef _WIN32
/* The same, made exact: a set and a reset that fall between the waiter's
 * first look at the event and its next release it (POSIX; the internal
 * entry point takes the first look as given). */
START_TEST(a_set_between_two_looks_releases_a_waiter) {
  ipc_shm_event_t *event;
  struct ipc_shm *obj;
  uint32_t seen;
  ck_assert_err(ipc_shm_event_create_anonymous(&event, IPC_SHM_EVENT_MANUAL), 0);
  obj = (struct ipc_shm *)(void *)event;
  seen = ipc_shm__posix_sync_word(obj);
  ck_assert_err(ipc_shm_event_set(event), 0);
  ck_assert_err(ipc_shm_event_reset(event), 0);
  ck_assert_err(ipc_shm__posix_event_wait_from(obj, 0, seen), 0);
  ck_assert_err(ipc_shm__posix_event_wait_from(obj, 100, seen), 0);
  /* A waiter that began after them is not released. */
  ck_assert_err(ipc_shm__posix_event_wait_from(obj, 0, ipc_shm__posix_sync_word(obj)),
                IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_event_wait(event, 0), IPC_SHM_E_TIMEOUT);
  ipc_shm_event_close(event);
}
END_TEST
#endif

/* ---- Sleepers ---- */

typedef struct sleeper {
  ipc_shm_event_t *event;
  int64_t timeout_ms;
  uint32_t *asleep;   /* counted when about to wait */
  uint32_t *released; /* counted when released */
  double took;
  int result;
} sleeper_t;

static int sleep_on_event(void *arg) {
  sleeper_t *s = (sleeper_t *)arg;
  double start;
  (void)ipc_shm__fetch_add_seq_cst32(s->asleep, 1u);
  start = test_seconds();
  s->result = ipc_shm_event_wait(s->event, s->timeout_ms);
  s->took = test_seconds() - start;
  if (s->result == 0)
    (void)ipc_shm__fetch_add_seq_cst32(s->released, 1u);
  return 0;
}

/* Start SLEEPERS threads waiting on `event`, and let them fall asleep. */
static void start_sleepers(ipc_shm_event_t *event, int64_t timeout_ms, sleeper_t *sleepers,
                           test_thread_t **threads, uint32_t *asleep, uint32_t *released) {
  int i;
  *asleep = *released = 0;
  for (i = 0; i < SLEEPERS; i++) {
    sleepers[i].event = event;
    sleepers[i].timeout_ms = timeout_ms;
    sleepers[i].asleep = asleep;
    sleepers[i].released = released;
    threads[i] = test_thread_start(sleep_on_event, &sleepers[i]);
  }
  while (ipc_shm__load_seq_cst32(asleep) != SLEEPERS)
    test_sleep_ms(1);
  test_sleep_ms(200); /* past any spinning: in the kernel */
}

/* An auto-reset event set and reset at once with three threads asleep on
 * it releases exactly one of them, as Windows does: the set hands the
 * release over before the reset can take it back. */
START_TEST(auto_set_then_reset_releases_exactly_one) {
  int round;
  for (round = 0; round < 8; round++) {
    ipc_shm_event_t *event;
    sleeper_t sleepers[SLEEPERS];
    test_thread_t *threads[SLEEPERS];
    uint32_t asleep, released;
    double until;
    int i;
    ck_assert_err(ipc_shm_event_create_anonymous(&event, 0), 0);
    start_sleepers(event, 10000, sleepers, threads, &asleep, &released);
    ck_assert_err(ipc_shm_event_set(event), 0);
    ck_assert_err(ipc_shm_event_reset(event), 0);
    until = test_seconds() + 5;
    while (ipc_shm__load_seq_cst32(&released) == 0 && test_seconds() < until)
      test_sleep_ms(1);
    test_sleep_ms(100); /* a second one would be released by now */
    ck_assert_msg(ipc_shm__load_seq_cst32(&released) == 1, "round %d: %u released", round,
                  ipc_shm__load_seq_cst32(&released));
    /* Each further set releases one more. */
    for (i = 1; i < SLEEPERS; i++)
      ck_assert_err(ipc_shm_event_set(event), 0);
    for (i = 0; i < SLEEPERS; i++)
      ck_assert_int_eq(test_thread_join(threads[i]), 0);
    for (i = 0; i < SLEEPERS; i++)
      ck_assert_err(sleepers[i].result, 0);
    ck_assert_err(ipc_shm_event_wait(event, 0), IPC_SHM_E_TIMEOUT); /* none left over */
    ipc_shm_event_close(event);
  }
}
END_TEST

/* Setting a manual-reset event releases every sleeping waiter at once, not
 * at its timeout. */
START_TEST(manual_set_releases_every_sleeper_at_once) {
  ipc_shm_event_t *event;
  sleeper_t sleepers[SLEEPERS];
  test_thread_t *threads[SLEEPERS];
  uint32_t asleep, released;
  int i;
  ck_assert_err(ipc_shm_event_create_anonymous(&event, IPC_SHM_EVENT_MANUAL), 0);
  start_sleepers(event, 30000, sleepers, threads, &asleep, &released);
  ck_assert_err(ipc_shm_event_set(event), 0);
  for (i = 0; i < SLEEPERS; i++) {
    ck_assert_int_eq(test_thread_join(threads[i]), 0);
    ck_assert_err(sleepers[i].result, 0);
    /* A tolerance, not a timing: released, not timed out. */
    ck_assert_msg(sleepers[i].took < 10.0, "sleeper %d was released after %.1f s", i,
                  sleepers[i].took);
  }
  ipc_shm_event_close(event);
}
END_TEST

#ifdef _WIN32
static LONG registered_calls;

static VOID CALLBACK count_call(PVOID arg, BOOLEAN timed_out) {
  (void)arg;
  if (!timed_out)
    InterlockedIncrement(&registered_calls);
}
#endif

/* The kernel object for event loops: Windows' HANDLE, which the thread
 * pool waits on; POSIX has none to give. */
START_TEST(event_loops_get_the_kernel_object) {
  ipc_shm_event_t *event;
  ipc_shm_native_t native;
  ck_assert_err(ipc_shm_event_create_anonymous(&event, 0), 0);
  ck_assert_err(ipc_shm_event_native(NULL, &native), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_event_native(event, NULL), IPC_SHM_E_INVAL);
#ifdef _WIN32
  {
    HANDLE wait = NULL;
    int i;
    ck_assert_err(ipc_shm_event_native(event, &native), 0);
    ck_assert_ptr_nonnull(native);
    ck_assert_uint_eq(WaitForSingleObject((HANDLE)native, 0), WAIT_TIMEOUT);
    ck_assert_err(ipc_shm_event_set(event), 0);
    ck_assert_uint_eq(WaitForSingleObject((HANDLE)native, 0), WAIT_OBJECT_0);
    /* That wait took the auto-reset set. */
    ck_assert_err(ipc_shm_event_wait(event, 0), IPC_SHM_E_TIMEOUT);
    ck_assert(RegisterWaitForSingleObject(&wait, (HANDLE)native, count_call, NULL, INFINITE,
                                          WT_EXECUTEONLYONCE));
    ck_assert_err(ipc_shm_event_set(event), 0);
    for (i = 0; i < 1000 && InterlockedCompareExchange(&registered_calls, 0, 0) == 0; i++)
      test_sleep_ms(10);
    ck_assert_int_eq(InterlockedCompareExchange(&registered_calls, 0, 0), 1);
    UnregisterWaitEx(wait, INVALID_HANDLE_VALUE);
  }
#else
  native = 5;
  ck_assert_err(ipc_shm_event_native(event, &native), IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_int_eq(native, -1);
#endif
  ipc_shm_event_close(event);
}
END_TEST

void add_event_cases(Suite *suite) {
  TCase *tc = tcase_create("event");
  tcase_add_test(tc, events_set_reset_and_wait);
  tcase_add_test(tc, auto_reset_wakes_one_manual_wakes_all);
  tcase_add_test(tc, waiters_are_released_and_idle_ones_sleep);
  tcase_add_test(tc, event_loops_get_the_kernel_object);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);

  tc = tcase_create("event_load");
  tcase_add_test(tc, ping_pong_loses_no_wake_up);
  tcase_set_timeout(tc, 600);
  suite_add_tcase(suite, tc);

  tc = tcase_create("event_races");
  tcase_add_test(tc, manual_set_then_reset_releases_a_waiter);
#ifndef _WIN32
  tcase_add_test(tc, a_set_between_two_looks_releases_a_waiter);
#endif
  tcase_add_test(tc, auto_set_then_reset_releases_exactly_one);
  tcase_add_test(tc, manual_set_releases_every_sleeper_at_once);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);
}
