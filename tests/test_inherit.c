/* SPDX-License-Identifier: MIT */
/* Inheritance: ipc_shm_spawn hands a child exactly the listed segments; ipc_shm_export + ipc_shm_import for a child started another way. */
#include "handover_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(spawn_hands_over_exactly_the_listed_segments) {
  char path[1200], unlisted_value[32], report[512];
  ipc_shm_t *writable, *readonly, *unlisted;
  ipc_shm_process_t *child;
  ipc_shm_inherit_t segments[2] = {{NULL, 0, NULL, NULL, NULL}, {NULL, 0, NULL, NULL, NULL}};
  test_resources_t before;
  int code = -1;

  writable = anonymous_with("to the child");
  readonly = anonymous_with("to the child");
  unlisted = anonymous_with("unlisted secret");
  /* Inheritable, as if another thread had made it so: still not passed. */
  test_set_inheritable(ipc_shm_native_handle(unlisted), 1);
  snprintf(unlisted_value, sizeof(unlisted_value), "%llu", test_native_value(ipc_shm_native_handle(unlisted)));
  helper_path(path, sizeof(path));
  segments[0].shm = writable;
  segments[0].flags = 0;
  segments[1].shm = readonly;
  segments[1].flags = IPC_SHM_READONLY;
  before = test_resources();
  {
    const char *argv[] = {path, "helper", "spawned", unlisted_value,
                          "unlisted secret", NULL};
    ck_assert_err(ipc_shm_spawn(&child, argv, segments, 2), 0);
  }
  ck_assert_uint_ne(ipc_shm_process_id(child), 0);
  ck_assert_err(ipc_shm_process_wait(child, &code), 0);
  ck_assert_no_leak(before);
  ck_assert_int_eq(code, 0);
  get(writable, REPLY_AT + 256, report, sizeof(report));
  ck_assert_str_eq(report, "ok got w 8192 to the child write=OK raw=-");
  get(writable, REPLY_AT, report, 64);
  ck_assert_str_eq(report, "written by the receiver");
  get(readonly, REPLY_AT, report, 64);
  ck_assert_str_eq(report, "");
  test_set_inheritable(ipc_shm_native_handle(unlisted), 0);
  ipc_shm_close(writable);
  ipc_shm_close(readonly);
  ipc_shm_close(unlisted);
}
END_TEST

START_TEST(spawn_passes_arguments_unchanged) {
  char path[1200], text[1024];
  ipc_shm_t *shm;
  ipc_shm_process_t *child;
  ipc_shm_inherit_t segment = {NULL, 0, NULL, NULL, NULL};
  int code = -1;
  helper_path(path, sizeof(path));
  ck_assert_err(ipc_shm_create_anonymous(&shm, 4096, 0), 0);
  segment.shm = shm;
  {
    const char *argv[] = {path, "helper", "echo-args", "plain", "two words", "",
                          "quote\"inside", "trailing\\", "back\\\"slash",
                          "tab\there", "caf\xc3\xa9", NULL};
    ck_assert_err(ipc_shm_spawn(&child, argv, &segment, 1), 0);
  }
  ck_assert_err(ipc_shm_process_wait(child, &code), 0);
  ck_assert_int_eq(code, 0);
  get(shm, 0, text, sizeof(text));
  ck_assert_str_eq(text, "[plain][two words][][quote\"inside][trailing\\]"
                         "[back\\\"slash][tab\there][caf\xc3\xa9]");
  ipc_shm_close(shm);
}
END_TEST

START_TEST(spawn_errors) {
  char path[1200];
  ipc_shm_t *shm = anonymous_with("x");
  ipc_shm_process_t *child = NULL;
  ipc_shm_inherit_t bad_flags = {NULL, 0, NULL, NULL, NULL};
  test_resources_t before;
  int code = 0;
  helper_path(path, sizeof(path));
  bad_flags.shm = shm;
  bad_flags.flags = 0x8000u;
  before = test_resources();
  {
    const char *argv[] = {path, NULL};
    const char *empty[] = {NULL};
    const char *missing[] = {"ipcshm-no-such-program-here", NULL};
    ipc_shm_inherit_t null_segment = {NULL, 0, NULL, NULL, NULL};
    ck_assert_err(ipc_shm_spawn(NULL, argv, NULL, 0), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_spawn(&child, NULL, NULL, 0), IPC_SHM_E_INVAL);
    ck_assert_ptr_null(child);
    ck_assert_err(ipc_shm_spawn(&child, empty, NULL, 0), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_spawn(&child, argv, NULL, 1), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_spawn(&child, argv, &null_segment, 1), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_spawn(&child, argv, &bad_flags, 1), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_spawn(&child, missing, NULL, 0), IPC_SHM_E_NOT_FOUND);
    ck_assert_ptr_null(child);
    {
      ipc_shm_inherit_t many[65];
      memset(many, 0, sizeof(many));
      size_t i;
      for (i = 0; i < 65; i++) {
        many[i].shm = shm;
        many[i].flags = 0;
      }
      ck_assert_err(ipc_shm_spawn(&child, argv, many, 65), IPC_SHM_E_TOO_MANY);
      ck_assert_ptr_null(child);
    }
  }
  ck_assert_no_leak(before);
  ck_assert_err(ipc_shm_process_wait(NULL, &code), IPC_SHM_E_INVAL);
  ck_assert_int_eq(code, -1);
  ck_assert_uint_eq(ipc_shm_process_id(NULL), 0);
  ipc_shm_close(shm);
}
END_TEST

START_TEST(export_for_a_child_started_another_way) {
  char out[512], expected[128];
  ipc_shm_t *shm = anonymous_with("exported");
  ipc_shm_export_t *exp;
  test_resources_t before = test_resources();
  int mode;
  for (mode = 0; mode < 2; mode++) {
    ck_assert_err(ipc_shm_export(&exp, shm, mode ? IPC_SHM_READONLY : 0), 0);
    ck_assert_ptr_nonnull(ipc_shm_export_token(exp));
    ck_assert(ipc_shm_export_native(exp) != ipc_shm_native_handle(shm));
    {
      const char *argv[] = {"helper", "import", ipc_shm_export_token(exp), NULL};
      ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
    }
    ck_assert_err(ipc_shm_export_close(exp), 0);
    snprintf(expected, sizeof(expected), "got %s 8192 exported write=%s raw=%s\nleak=none\n",
             mode ? "r" : "w", mode ? "ACCESS" : "OK", mode ? refused_here() : "-");
    ck_assert_str_eq(out, expected);
  }
  ck_assert_no_leak(before);
  ipc_shm_close(shm);
}
END_TEST

/* Which segments a read-only copy can be made of. Windows and Linux: all.
 * Other POSIX systems have no /proc/self/fd to reopen a descriptor through:
 * named segments are reopened by name, anonymous ones this process created
 * kept a read-only descriptor, and the rest give NOT_SUPPORTED. */
START_TEST(read_only_copies_of_every_kind) {
#if defined(_WIN32) || TEST_LINUX
  const char *expected = "OK";
#else
  const char *expected = "NOT_SUPPORTED";
#endif
  char name[IPC_SHM_NAME_MAX + 1], path[256], out[256], line[64];
  ipc_shm_t *named, *file, *anonymous = anonymous_with("kinds");
  ipc_shm_export_t *exp;
  test_resources_t before;
  int err;
  ck_assert_err(ipc_shm_create(&named, test_name(name, "kinds"), 4096, 0), 0);
  ck_assert_err(ipc_shm_open_file(&file, test_file(path, sizeof(path), "kinds"), 4096,
                                  IPC_SHM_FILE_CREATE),
                0);
  before = test_resources();
  ck_assert_err(ipc_shm_export(&exp, named, IPC_SHM_READONLY), 0);
  ipc_shm_export_close(exp);
  ck_assert_err(ipc_shm_export(&exp, anonymous, IPC_SHM_READONLY), 0);
  ipc_shm_export_close(exp);
  err = ipc_shm_export(&exp, file, IPC_SHM_READONLY);
  if (err == 0)
    ipc_shm_export_close(exp);
  ck_assert_no_leak(before);
  ck_assert_str_eq(ipc_shm_err_name(err), expected);
  /* An anonymous segment that came from another process. */
  ck_assert_err(ipc_shm_export(&exp, anonymous, 0), 0);
  {
    const char *argv[] = {"helper", "reexport-readonly", ipc_shm_export_token(exp), NULL};
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
  }
  ipc_shm_export_close(exp);
  snprintf(line, sizeof(line), "reexport=%s leak=none\n", expected);
  ck_assert_str_eq(out, line);
  ipc_shm_close(file);
  ck_assert_int_eq(remove(path), 0);
  ipc_shm_close(anonymous);
  ipc_shm_close(named);
  test_remove_name(name);
}
END_TEST

START_TEST(inherited_without_a_variable_or_token) {
  ipc_shm_t *shm = (ipc_shm_t *)&shm;
  test_resources_t before = test_resources();
  test_set_env(IPC_SHM_INHERIT_ENV, NULL);
  ck_assert_err(ipc_shm_inherited(NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inherited(&shm, 0), IPC_SHM_E_NOT_FOUND);
  ck_assert_ptr_null(shm);
  test_set_env(IPC_SHM_INHERIT_ENV, "not-a-token");
  ck_assert_err(ipc_shm_inherited(&shm, 0), IPC_SHM_E_BAD_TOKEN);
  ck_assert_err(ipc_shm_inherited(&shm, 1), IPC_SHM_E_NOT_FOUND);
  /* Set and empty, as ipc_shm_spawn() sets it for a child given nothing. */
  test_set_env(IPC_SHM_INHERIT_ENV, "");
  ck_assert_err(ipc_shm_inherited(&shm, 0), IPC_SHM_E_NOT_FOUND);
  ck_assert_ptr_null(shm);
  test_set_env(IPC_SHM_INHERIT_ENV, NULL);
  ck_assert_no_leak(before);
}
END_TEST

/* A child spawned with nothing to inherit finds nothing, of any kind: its
 * variable is set and empty. */
START_TEST(a_child_given_nothing_finds_nothing) {
  char path[1200], out[256];
  ipc_shm_process_t *child;
  int code = -1;
  const char *argv[] = {path, "helper", "inherited-none", NULL};
  helper_path(path, sizeof(path));
  ck_assert_err(ipc_shm_spawn(&child, argv, NULL, 0), 0);
  ck_assert_err(ipc_shm_process_wait(child, &code), 0);
  ck_assert_int_eq(code, 0);
  {
    /* The same child again, its output read this time. */
    const char *args[] = {"helper", "inherited-none", NULL};
    test_set_env(IPC_SHM_INHERIT_ENV, "");
    ck_assert_int_eq(test_run("ipcshm_tests", args, NULL, out, sizeof(out)), 0);
    test_set_env(IPC_SHM_INHERIT_ENV, NULL);
  }
  ck_assert_str_eq(out, "NOT_FOUND NOT_FOUND NOT_FOUND\n");
}
END_TEST

/* A parent that was itself given objects spawns a child: the child gets the
 * parent's list replaced by its own, not added to it. */
START_TEST(spawn_replaces_an_inherited_list) {
  char path[1200];
  ipc_shm_t *shm = anonymous_with("again");
  ipc_shm_inherit_t entry = {NULL, 0, NULL, NULL, NULL};
  ipc_shm_process_t *child;
  int code = -1;
  const char *argv[] = {path, "helper", "inherit-check", NULL};
  helper_path(path, sizeof(path));
  entry.shm = shm;
  test_set_env(IPC_SHM_INHERIT_ENV, "ipcshm1:stale:token");
  ck_assert_err(ipc_shm_spawn(&child, argv, &entry, 1), 0);
  test_set_env(IPC_SHM_INHERIT_ENV, NULL);
  ck_assert_err(ipc_shm_process_wait(child, &code), 0);
  ck_assert_int_eq(code, 0);
  ipc_shm_close(shm);
}
END_TEST

void add_inherit_cases(Suite *suite) {
  TCase *tc = tcase_create("inherit");
  tcase_add_test(tc, spawn_hands_over_exactly_the_listed_segments);
  tcase_add_test(tc, spawn_passes_arguments_unchanged);
  tcase_add_test(tc, spawn_errors);
  tcase_add_test(tc, export_for_a_child_started_another_way);
  tcase_add_test(tc, read_only_copies_of_every_kind);
  tcase_add_test(tc, inherited_without_a_variable_or_token);
  tcase_add_test(tc, a_child_given_nothing_finds_nothing);
  tcase_add_test(tc, spawn_replaces_an_inherited_list);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);
}
