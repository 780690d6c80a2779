/* SPDX-License-Identifier: MIT */
/* Every route gives the same bytes; the ipc-shm tool runs a command with segments inherited. */
#include "handover_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The same bytes by every route ---- */

START_TEST(every_route_gives_the_same_bytes) {
  char path[1200], out[256], expected[64], name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *data, *result;
  ipc_shm_view_t *view;
  unsigned char *p;
  size_t i;
  unsigned long long sum;
  test_resources_t before;
  /* Not a multiple of the page: the exact size travels too. */
  ck_assert_err(ipc_shm_create_anonymous(&data, 65536 + 123, 0), 0);
  ck_assert_err(ipc_shm_map(&view, data, 0, 0, IPC_SHM_MAP_WRITE), 0);
  p = (unsigned char *)ipc_shm_view_data(view);
  for (i = 0; i < ipc_shm_view_size(view); i++)
    p[i] = (unsigned char)(i * 7 + (i >> 8));
  ipc_shm_unmap(view);
  sum = checksum(data);
  snprintf(expected, sizeof(expected), "%llu\n", sum);
  ck_assert_err(ipc_shm_create_anonymous(&result, 4096, 0), 0);
  before = test_resources();

  /* Inheritance. */
  {
    ipc_shm_inherit_t segments[2] = {{NULL, IPC_SHM_READONLY, NULL, NULL, NULL}, {NULL, 0, NULL, NULL, NULL}};
    ipc_shm_process_t *child;
    int code = -1;
    segments[0].shm = data;
    segments[1].shm = result;
    helper_path(path, sizeof(path));
    {
      const char *argv[] = {path, "helper", "checksum-inherited", NULL};
      ck_assert_err(ipc_shm_spawn(&child, argv, segments, 2), 0);
    }
    ck_assert_err(ipc_shm_process_wait(child, &code), 0);
    ck_assert_int_eq(code, 0);
    get(result, 0, out, 64);
    strcat(out, "\n");
    ck_assert_str_eq(out, expected);
  }
  /* Duplication (pull), where the system has it. */
  if (TEST_CAN_PULL) {
    ipc_shm_export_t *exp;
    test_allow_pullers();
    ck_assert_err(ipc_shm_export(&exp, data, IPC_SHM_EXPORT_PULL | IPC_SHM_READONLY), 0);
    {
      const char *argv[] = {"helper", "checksum-pull", ipc_shm_export_token(exp), NULL};
      ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
    }
    ipc_shm_export_close(exp);
    ck_assert_str_eq(out, expected);
  }
  /* Sending. */
  {
    ipc_shm_listener_t *listener;
    ipc_shm_conn_t *conn;
    test_proc_t *proc;
    ck_assert_err(ipc_shm_listen(&listener, test_name(name, "route")), 0);
    {
      const char *argv[] = {"helper", "checksum-receive", name, NULL};
      proc = test_proc_start("ipcshm_tests", argv);
    }
    ck_assert_err(ipc_shm_accept(listener, &conn), 0);
    ck_assert_err(ipc_shm_send(conn, data, IPC_SHM_READONLY), 0);
    ck_assert_int_eq(test_proc_read_line(proc, out, sizeof(out)), 0);
    strcat(out, "\n");
    ck_assert_int_eq(test_proc_wait(proc), 0);
    ipc_shm_conn_close(conn);
    ipc_shm_listener_close(listener);
    ck_assert_str_eq(out, expected);
  }
  ck_assert_no_leak(before);
  ipc_shm_close(data);
  ipc_shm_close(result);
}
END_TEST

/* ---- The command-line tool ---- */

START_TEST(tool_runs_a_command_with_the_segment_inherited) {
  char name[IPC_SHM_NAME_MAX + 1], tool[1200], out[256], text[64];
  ipc_shm_t *shm;
#ifdef _WIN32
  snprintf(tool, sizeof(tool), "%s\\ipc-shm.exe", test_bin_dir);
#else
  snprintf(tool, sizeof(tool), "%s/ipc-shm", test_bin_dir);
#endif
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "run"), 4096, 0), 0);
  put(shm, 0, "through run");
  {
    const char *args[] = {"run", name, "--", tool, "read", "--inherited", "0",
                          "--length", "11", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "through run");
  }
  {
    const char *args[] = {"run", name, "--", tool, "write", "--inherited", "0", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, "written back", out, sizeof(out)), 0);
    get(shm, 0, text, 13);
    ck_assert_str_eq(text, "written back");
  }
  {
    /* Read-only: the command cannot write, and says so. */
    const char *args[] = {"run", name, "--readonly", "--", tool, "write",
                          "--inherited", "0", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, "refused", out, sizeof(out)), 1);
    get(shm, 0, text, 13);
    ck_assert_str_eq(text, "written back");
  }
  {
    const char *args[] = {"run", name, "--readonly", "--", tool, "info",
                          "--inherited", "0", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "access: read-only\n"));
    ck_assert_ptr_nonnull(strstr(out, "size: 4096\n"));
  }
  {
    /* The exit status of the command comes back; a missing name stops it. */
    const char *args[] = {"run", name, "--", tool, "read", "--inherited", "1", NULL};
    const char *missing[] = {"run", "ipcshm-test-missing", "--", tool, "info",
                             "--inherited", "0", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 1);
    ck_assert_int_eq(test_run("ipc-shm", missing, NULL, out, sizeof(out)), 1);
    ck_assert_str_eq(out, "");
  }
  ipc_shm_close(shm);
  test_remove_name(name);

  /* Names are UTF-8 on the command line too (Windows: not the ANSI page). */
  test_name(name, "caf\xc3\xa9");
  ck_assert_err(ipc_shm_create(&shm, name, 8192, 0), 0);
  {
    const char *args[] = {"info", name, NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "size: 8192\n"));
  }
  ipc_shm_close(shm);
  test_remove_name(name);
}
END_TEST

void add_route_cases(Suite *suite) {
  TCase *tc = tcase_create("tool_run");
  tcase_add_test(tc, tool_runs_a_command_with_the_segment_inherited);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);

  tc = tcase_create("routes");
  tcase_add_test(tc, every_route_gives_the_same_bytes);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);
}
