/* SPDX-License-Identifier: MIT */
/* What events and mutexes share: argument checks, one namespace with
 * segments, timeouts, the tool, every hand-over route for each kind, state
 * that a hostile peer scribbles on or truncates (POSIX), and programs that
 * use the raw calls (Windows). */
#include "handover_util.h"

#include "../src/common/common.h"

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

/* ---- Helpers for other processes ---- */

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
  test_say(line);
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
  test_say(argv[0]);
  return 0;
}

static int helper_sync_import(char **argv) { return receive_by("import", argv); }
static int helper_sync_pull(char **argv) { return receive_by("pull", argv); }
static int helper_sync_inherited(char **argv) { return receive_by("inherited", argv); }
static int helper_sync_receive(char **argv) { return receive_by("receive", argv); }
static int helper_sync_push_target(char **argv) { return receive_by("push", argv); }


int run_sync_helper(int argc, char **argv) {
  static const test_helper_mode_t modes[] = {
      {"sync-import", 2, helper_sync_import},
      {"sync-pull", 2, helper_sync_pull},
      {"sync-inherited", 1, helper_sync_inherited},
      {"sync-receive", 2, helper_sync_receive},
      {"sync-push-target", 1, helper_sync_push_target},
      {"say", 1, helper_say},
  };
  return test_dispatch_helper(modes, sizeof(modes) / sizeof(modes[0]), argc, argv);
}

/* ---- Rules and errors ---- */

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
    ipc_shm_inherit_t entry = {NULL, 0, NULL, NULL, NULL};
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
  test_remove_name(name);
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
  test_remove_name(seg_name);
  test_remove_name(ev_name);
  test_remove_name(mx_name);
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
    test_expect_line(holder, "locked");
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
  test_remove_name(name);
}
END_TEST

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
    test_expect_line(holder, "locked");
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
  test_remove_name(ev_name);
  test_remove_name(mx_name);
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
      ipc_shm_inherit_t entry = {NULL, 0, NULL, NULL, NULL};
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
  test_expect_line(setter, "ready");
  snprintf(path, sizeof(path), "/%s", name);
  fd = shm_open(path, O_RDWR, 0);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(ftruncate(fd, 0), 0);
  close(fd);
  test_proc_write(setter, "go\n", 3);
  ck_assert_int_eq(test_proc_wait(setter), 128 + SIGBUS);
  ipc_shm_event_close(event);
  test_remove_name(name);
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
  test_remove_name(ev_name);
  test_remove_name(mx_name);
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
    test_expect_line(proc, "ready");
    ck_assert_err(ipc_shm_event_set(event), 0);
    test_expect_line(proc, "signaled");
    ck_assert_int_eq(test_proc_wait(proc), 0);
  }
  /* The raw program holds our mutex; killed, it abandons it. */
  {
    const char *argv[] = {"mutex-hold", mx_name, NULL};
    test_proc_t *proc = test_proc_start("raw_peer", argv);
    test_expect_line(proc, "locked");
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
    test_expect_line(proc, "ready");
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
  tcase_add_test(tc, bad_arguments_are_refused);
  tcase_add_test(tc, one_name_names_one_object);
  tcase_add_test(tc, timeouts_are_honoured);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);

  tc = tcase_create("sync_tool");
  tcase_add_test(tc, the_tool_sets_waits_and_locks);
  tcase_set_timeout(tc, 120);
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
#endif
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);
}
