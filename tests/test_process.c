/* SPDX-License-Identifier: MIT */
/* Behaviour across real processes: the other process is a copy of the test
 * binary in a helper mode, synchronised by a "ready" line on a pipe. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <sys/mman.h>
#include <unistd.h>
#endif

/* ---- Helper modes (the other process) ---- */

static int helper_fail(int err) {
  printf("error %s\n", ipc_shm_err_name(err));
  return 1;
}

static int put_text(ipc_shm_t *shm, const char *text) {
  ipc_shm_view_t *view;
  int err = ipc_shm_map(&view, shm, 0, strlen(text), IPC_SHM_MAP_WRITE);
  if (err != 0)
    return err;
  memcpy(ipc_shm_view_data(view), text, strlen(text));
  return ipc_shm_unmap(view);
}

/* read NAME LENGTH: print the first LENGTH bytes, read-only. */
static int helper_read(char **argv) {
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  int err = ipc_shm_open(&shm, argv[0], IPC_SHM_READONLY);
  if (err != 0)
    return helper_fail(err);
  err = ipc_shm_map(&view, shm, 0, (size_t)atol(argv[1]), IPC_SHM_MAP_READ);
  if (err != 0)
    return helper_fail(err);
  printf("%.*s\n", (int)ipc_shm_view_size(view), (const char *)ipc_shm_view_data(view));
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  return 0;
}

/* write NAME TEXT: put TEXT at offset 0. */
static int helper_write(char **argv) {
  ipc_shm_t *shm;
  int err = ipc_shm_open(&shm, argv[0], 0);
  if (err != 0)
    return helper_fail(err);
  err = put_text(shm, argv[1]);
  ipc_shm_close(shm);
  if (err != 0)
    return helper_fail(err);
  puts("written");
  return 0;
}

/* write-readonly NAME: open read-only, ask for a writable view, print the
 * error. */
static int helper_write_readonly(char **argv) {
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  int err = ipc_shm_open(&shm, argv[0], IPC_SHM_READONLY);
  if (err != 0)
    return helper_fail(err);
  err = ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE);
  if (err == 0)
    ipc_shm_unmap(view);
  ipc_shm_close(shm);
  puts(ipc_shm_err_name(err));
  return 0;
}

/* hold NAME SIZE TEXT: create, fill, say "ready", keep it until stdin ends. */
static int helper_hold(char **argv) {
  ipc_shm_t *shm;
  char line[64];
  int err = ipc_shm_create(&shm, argv[0], (uint64_t)atol(argv[1]), 0);
  if (err != 0)
    return helper_fail(err);
  err = put_text(shm, argv[2]);
  if (err != 0)
    return helper_fail(err);
  test_say("ready");
  while (fgets(line, sizeof(line), stdin) != NULL) {
  }
  ipc_shm_close(shm);
  return 0;
}

/* create-exit NAME SIZE TEXT: create, fill and exit without closing. */
static int helper_create_exit(char **argv) {
  ipc_shm_t *shm;
  int err = ipc_shm_create(&shm, argv[0], (uint64_t)atol(argv[1]), 0);
  if (err != 0)
    return helper_fail(err);
  err = put_text(shm, argv[2]);
  if (err != 0)
    return helper_fail(err);
  test_say("created");
  /* Leave the way a crashing process would: no close, no exit handlers
     (which also keeps the leak checker from reporting the open segment). */
  _Exit(0);
}

/* open-close NAME: a process that only opens a segment, then exits. */
static int helper_open_close(char **argv) {
  ipc_shm_t *shm;
  int err = ipc_shm_open(&shm, argv[0], 0);
  if (err != 0)
    return helper_fail(err);
  err = ipc_shm_close(shm);
  if (err != 0)
    return helper_fail(err);
  puts("closed");
  return 0;
}

/* Is VALUE, as a handle or descriptor of this process, a segment that
 * starts with TEXT? A number that happens to name something else here does
 * not count. */
static int handle_reaches(const char *value, const char *text) {
  size_t n = strlen(text);
  int reachable = 0;
#ifdef _WIN32
  HANDLE h = (HANDLE)(ULONG_PTR)strtoull(value, NULL, 10);
  void *p = MapViewOfFile(h, FILE_MAP_READ, 0, 0, n);
  if (p != NULL) {
    reachable = memcmp(p, text, n) == 0;
    UnmapViewOfFile(p);
  }
#else
  int fd = atoi(value);
  void *p = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);
  if (p != MAP_FAILED) {
    reachable = memcmp(p, text, n) == 0;
    munmap(p, n);
  }
#endif
  return reachable;
}

/* probe-handle VALUE TEXT */
static int helper_probe_handle(char **argv) {
  puts(handle_reaches(argv[0], argv[1]) ? "reachable" : "unreachable");
  return 0;
}

int run_helper(int argc, char **argv) {
  static const test_helper_mode_t modes[] = {
      {"read", 2, helper_read},
      {"write", 2, helper_write},
      {"write-readonly", 1, helper_write_readonly},
      {"hold", 3, helper_hold},
      {"create-exit", 3, helper_create_exit},
      {"open-close", 1, helper_open_close},
      {"probe-handle", 2, helper_probe_handle},
  };
  int rc = test_dispatch_helper(modes, sizeof(modes) / sizeof(modes[0]), argc, argv);
  if (rc < 0)
    rc = run_handover_helper(argc, argv);
  if (rc < 0)
    rc = run_race_helper(argc, argv);
  if (rc < 0)
    rc = run_sync_helper(argc, argv);
  if (rc < 0)
    rc = run_event_helper(argc, argv);
  if (rc < 0)
    rc = run_mutex_helper(argc, argv);
  if (rc < 0)
    rc = run_semaphore_helper(argc, argv);
  if (rc < 0)
    rc = run_channel_helper(argc, argv);
  if (rc < 0)
    rc = run_topic_helper(argc, argv);
  if (rc < 0)
    rc = run_inbox_helper(argc, argv);
  if (rc < 0)
    rc = run_namespace_helper(argc, argv);
  if (rc >= 0)
    return rc;
  fprintf(stderr, "unknown helper mode %s with %d arguments\n", argv[0], argc - 1);
  return 2;
}

/* ---- The tests ---- */

static int run_helper_process(const char *const *args, char *out, size_t size) {
  return test_run("ipcshm_tests", args, NULL, out, size);
}

static ipc_shm_view_t *map_whole(ipc_shm_t *shm) {
  ipc_shm_view_t *view;
  ck_assert_err(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
  return view;
}

START_TEST(another_process_reads_and_writes_back) {
  char name[IPC_SHM_NAME_MAX + 1];
  char out[256];
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "xp"), 4096, 0), 0);
  view = map_whole(shm);
  memcpy(ipc_shm_view_data(view), "from the parent", 15);
  {
    const char *args[] = {"helper", "read", name, "15", NULL};
    ck_assert_int_eq(run_helper_process(args, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "from the parent\n");
  }
  {
    const char *args[] = {"helper", "write", name, "from the child!", NULL};
    ck_assert_int_eq(run_helper_process(args, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "written\n");
  }
  ck_assert_mem_eq(ipc_shm_view_data(view), "from the child!", 15);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  (void)ipc_shm_remove(name, 0);
}
END_TEST

START_TEST(read_only_process_cannot_write) {
  char name[IPC_SHM_NAME_MAX + 1];
  char out[256];
  ipc_shm_t *shm;
  const char *args[] = {"helper", "write-readonly", name, NULL};
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "rop"), 4096, 0), 0);
  ck_assert_int_eq(run_helper_process(args, out, sizeof(out)), 0);
  ck_assert_str_eq(out, "ACCESS\n");
  ipc_shm_close(shm);
  (void)ipc_shm_remove(name, 0);
}
END_TEST

/* A segment whose creator exited without closing: Windows takes it away
 * with the process's handles; POSIX keeps it until removed. */
START_TEST(creator_exits) {
  char name[IPC_SHM_NAME_MAX + 1];
  char out[256];
  ipc_shm_t *shm = NULL;
  int err;
  const char *args[] = {"helper", "create-exit", name, "4096", "left behind", NULL};
  test_name(name, "ce");
  ck_assert_int_eq(run_helper_process(args, out, sizeof(out)), 0);
  ck_assert_str_eq(out, "created\n");
  err = ipc_shm_open(&shm, name, 0);
#ifdef _WIN32
  ck_assert_err(err, IPC_SHM_E_NOT_FOUND);
#else
  ck_assert_err(err, 0);
  {
    ipc_shm_view_t *view = map_whole(shm);
    ck_assert_mem_eq(ipc_shm_view_data(view), "left behind", 11);
    ipc_shm_unmap(view);
  }
  ipc_shm_close(shm);
  ck_assert_err(ipc_shm_remove(name, 0), 0);
#endif
}
END_TEST

/* While another process holds a segment: it is found by name, an exclusive
 * create fails, and after the holder exits our handle keeps it alive. */
START_TEST(segment_held_by_another_process) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm, *second = NULL;
  ipc_shm_view_t *view;
  test_proc_t *holder;
  const char *args[] = {"helper", "hold", name, "4096", "held elsewhere", NULL};
  test_name(name, "held");
  holder = test_proc_start("ipcshm_tests", args);
  test_expect_line(holder, "ready");
  ck_assert_err(ipc_shm_create(&second, name, 4096, 0), IPC_SHM_E_EXISTS);
  ck_assert_err(ipc_shm_open(&shm, name, 0), 0);
  view = map_whole(shm);
  ck_assert_mem_eq(ipc_shm_view_data(view), "held elsewhere", 14);
  test_proc_close_stdin(holder);
  ck_assert_int_eq(test_proc_wait(holder), 0);
  /* Our handle and view keep it alive on every platform. */
  ck_assert_mem_eq(ipc_shm_view_data(view), "held elsewhere", 14);
  ck_assert(test_segment_exists(name));
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
#ifdef _WIN32
  ck_assert(!test_segment_exists(name));
#else
  ck_assert(test_segment_exists(name));
  ck_assert_err(ipc_shm_remove(name, 0), 0);
#endif
}
END_TEST

/* A process that only opened a segment never removes it (unlike Python's
 * resource tracker, gh-82300). */
START_TEST(opener_never_removes) {
  char name[IPC_SHM_NAME_MAX + 1];
  char out[256];
  ipc_shm_t *shm, *again;
  ipc_shm_view_t *view;
  const char *args[] = {"helper", "open-close", name, NULL};
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "onr"), 4096, 0), 0);
  view = map_whole(shm);
  memcpy(ipc_shm_view_data(view), "mine", 4);
  ck_assert_int_eq(run_helper_process(args, out, sizeof(out)), 0);
  ck_assert_str_eq(out, "closed\n");
  ck_assert_err(ipc_shm_open(&again, name, IPC_SHM_READONLY), 0);
  ipc_shm_close(again);
  ck_assert_mem_eq(ipc_shm_view_data(view), "mine", 4);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  (void)ipc_shm_remove(name, 0);
}
END_TEST

/* Handles and descriptors do not reach a child by default, even one started
 * with handle inheritance on (the test's process helper turns it on for the
 * pipes). */
START_TEST(children_do_not_inherit_segments) {
  char name[IPC_SHM_NAME_MAX + 1];
  char value[32], out[256];
  ipc_shm_t *named, *anonymous;
  ipc_shm_t *segments[2];
  int i;
  ck_assert_err(ipc_shm_create(&named, test_name(name, "ninh"), 4096, 0), 0);
  ck_assert_err(ipc_shm_create_anonymous(&anonymous, 4096, 0), 0);
  segments[0] = named;
  segments[1] = anonymous;
  for (i = 0; i < 2; i++) {
    ipc_shm_view_t *view = map_whole(segments[i]);
    const char *args[] = {"helper", "probe-handle", value, "secret marker", NULL};
    memcpy(ipc_shm_view_data(view), "secret marker", 13);
#ifdef _WIN32
    snprintf(value, sizeof(value), "%llu",
             (unsigned long long)(ULONG_PTR)ipc_shm_native_handle(segments[i]));
#else
    snprintf(value, sizeof(value), "%d", ipc_shm_native_handle(segments[i]));
#endif
    ck_assert_int_eq(run_helper_process(args, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "unreachable\n");
    ipc_shm_unmap(view);
    ipc_shm_close(segments[i]);
  }
  (void)ipc_shm_remove(name, 0);
}
END_TEST

/* The probe itself can tell: a handle of its own that holds the marker is
 * reachable, so "unreachable" above is a real outcome. */
START_TEST(probe_sees_a_real_segment) {
  char value[32];
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  ck_assert_err(ipc_shm_create_anonymous(&shm, 4096, 0), 0);
  view = map_whole(shm);
  memcpy(ipc_shm_view_data(view), "secret marker", 13);
#ifdef _WIN32
  snprintf(value, sizeof(value), "%llu", (unsigned long long)(ULONG_PTR)ipc_shm_native_handle(shm));
#else
  snprintf(value, sizeof(value), "%d", ipc_shm_native_handle(shm));
#endif
  ck_assert_int_eq(handle_reaches(value, "secret marker"), 1);
  ck_assert_int_eq(handle_reaches(value, "other bytes!!"), 0);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
}
END_TEST

void add_process_cases(Suite *suite) {
  TCase *tc = tcase_create("processes");
  tcase_add_test(tc, another_process_reads_and_writes_back);
  tcase_add_test(tc, read_only_process_cannot_write);
  tcase_add_test(tc, creator_exits);
  tcase_add_test(tc, segment_held_by_another_process);
  tcase_add_test(tc, opener_never_removes);
  tcase_add_test(tc, children_do_not_inherit_segments);
  tcase_add_test(tc, probe_sees_a_real_segment);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);
}
