/* SPDX-License-Identifier: MIT */
/* Duplication: another process pulls a copy out of the owner (DuplicateHandle, pidfd_getfd); the owner pushes one into another process (Windows). */
#include "handover_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(_WIN32)
#include <fcntl.h>
#include <unistd.h>
#endif

START_TEST(pull_from_the_owner) {
  char out[512], expected[160];
  ipc_shm_t *shm = anonymous_with("pulled");
  ipc_shm_export_t *exp;
  test_resources_t before = test_resources();
  int mode;
  test_allow_pullers();
  if (!TEST_CAN_PULL) {
    /* No call takes a descriptor from another process here. */
    ck_assert_err(ipc_shm_export(&exp, shm, IPC_SHM_EXPORT_PULL), 0);
    {
      const char *argv[] = {"helper", "pull", ipc_shm_export_token(exp), NULL};
      ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 1);
    }
    ck_assert_err(ipc_shm_export_close(exp), 0);
    ck_assert_str_eq(out, "error NOT_SUPPORTED\nleak=none\n");
    ck_assert_no_leak(before);
    ipc_shm_close(shm);
    return;
  }
  for (mode = 0; mode < 2; mode++) {
    ck_assert_err(ipc_shm_export(&exp, shm, IPC_SHM_EXPORT_PULL |
                                              (mode ? IPC_SHM_READONLY : 0)), 0);
    {
      const char *argv[] = {"helper", "pull", ipc_shm_export_token(exp), NULL};
      ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
    }
    ck_assert_err(ipc_shm_export_close(exp), 0);
    snprintf(expected, sizeof(expected),
             "got %s 8192 pulled write=%s raw=%s\nleak=none\n", mode ? "r" : "w",
             mode ? "ACCESS" : "OK", mode ? refused_here() : "-");
    ck_assert_str_eq(out, expected);
  }
  get(shm, REPLY_AT, expected, 64);
  ck_assert_str_eq(expected, "written by the receiver");
  ck_assert_no_leak(before);
  ipc_shm_close(shm);
}
END_TEST

START_TEST(pull_errors) {
  char out[256], forged[IPC_SHM_TOKEN_MAX * 2], token[IPC_SHM_TOKEN_MAX];
  ipc_shm_t *shm = anonymous_with("pull errors");
  ipc_shm_t *got = NULL;
  ipc_shm_export_t *exp;
  test_allow_pullers();
  ck_assert_err(ipc_shm_export(&exp, shm, IPC_SHM_EXPORT_PULL), 0);
  snprintf(token, sizeof(token), "%s", ipc_shm_export_token(exp));
  ck_assert_err(ipc_shm_pull(NULL, token), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_pull(&got, NULL), IPC_SHM_E_INVAL);
  /* No such process. */
  forge(token, 5, "2147483000", forged, sizeof(forged));
  if (!TEST_CAN_PULL) {
    ck_assert_err(ipc_shm_pull(&got, forged), IPC_SHM_E_NOT_SUPPORTED);
    ck_assert_ptr_null(got);
    ipc_shm_export_close(exp);
    ipc_shm_close(shm);
    return;
  }
  ck_assert_err(ipc_shm_pull(&got, forged), IPC_SHM_E_NOT_FOUND);
  ck_assert_ptr_null(got);
  /* The owner has no such descriptor (it closed the export). The number is
   * one no pipe of test_run will take, so that it stays free: a test must
   * not depend on descriptor numbers not being reused. */
  ck_assert_err(ipc_shm_export_close(exp), 0);
#ifndef _WIN32
  {
    int spare = fcntl(0, F_DUPFD, 900);
    char number[16];
    ck_assert_int_ge(spare, 0);
    ck_assert_int_eq(close(spare), 0);
    snprintf(number, sizeof(number), "%d", spare);
    forge(token, 6, number, forged, sizeof(forged));
    ck_assert_uint_lt(strlen(forged), sizeof(token));
    memcpy(token, forged, strlen(forged) + 1);
  }
#endif
  {
    const char *argv[] = {"helper", "pull", token, NULL};
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 1);
  }
  /* Windows reuses a closed handle's value at once: the owner may hold
   * something else under it by now, which the checks refuse. */
#ifdef _WIN32
  ck_assert_msg(strcmp(out, "error NOT_FOUND\nleak=none\n") == 0 ||
                    strcmp(out, "error BAD_TOKEN\nleak=none\n") == 0,
                "%s", out);
#else
  ck_assert_str_eq(out, "error NOT_FOUND\nleak=none\n");
#endif
  /* The owner's claim is checked: access and size. */
  ck_assert_err(ipc_shm_export(&exp, shm, IPC_SHM_EXPORT_PULL | IPC_SHM_READONLY), 0);
  forge(ipc_shm_export_token(exp), 3, "w", forged, sizeof(forged));
  {
    const char *argv[] = {"helper", "pull", forged, NULL};
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 1);
  }
  ck_assert_str_eq(out, "error BAD_TOKEN\nleak=none\n");
  forge(ipc_shm_export_token(exp), 4, "1048576", forged, sizeof(forged));
  {
    const char *argv[] = {"helper", "pull", forged, NULL};
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 1);
  }
  ck_assert_str_eq(out, "error BAD_TOKEN\nleak=none\n");
  ipc_shm_export_close(exp);
  ipc_shm_close(shm);
}
END_TEST

START_TEST(push_into_another_process) {
  char line[256], token[IPC_SHM_TOKEN_MAX];
  ipc_shm_t *shm = anonymous_with("pushed");
  test_resources_t before = test_resources();
#ifdef _WIN32
  int mode;
  for (mode = 0; mode < 2; mode++) {
    const char *argv[] = {"helper", "push-target", NULL};
    char expected[160];
    unsigned long pid;
    test_proc_t *proc = test_proc_start("ipcshm_tests", argv);
    ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
    ck_assert_int_eq(sscanf(line, "pid %lu", &pid), 1);
    ck_assert_err(ipc_shm_push(shm, pid, mode ? IPC_SHM_READONLY : 0, token), 0);
    test_proc_write(proc, token, strlen(token));
    test_proc_write(proc, "\n", 1);
    ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
    ck_assert_int_eq(test_proc_wait(proc), 0);
    snprintf(expected, sizeof(expected), "got %s 8192 pushed write=%s raw=%s",
             mode ? "r" : "w", mode ? "ACCESS" : "OK", mode ? refused_here() : "-");
    ck_assert_str_eq(line, expected);
  }
  ck_assert_err(ipc_shm_push(shm, 2147483000ul, 0, token), IPC_SHM_E_NOT_FOUND);
  ck_assert_str_eq(token, "");
#else
  /* No POSIX call puts a descriptor into another process. */
  ck_assert_err(ipc_shm_push(shm, (unsigned long)getppid(), 0, token),
                IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_str_eq(token, "");
  (void)line;
#endif
  ck_assert_err(ipc_shm_push(NULL, 1, 0, token), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_push(shm, 1, 0x8000u, token), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_push(shm, 1, 0, NULL), IPC_SHM_E_INVAL);
  ck_assert_no_leak(before);
  ipc_shm_close(shm);
}
END_TEST

void add_duplicate_cases(Suite *suite) {
  TCase *tc = tcase_create("duplicate");
  tcase_add_test(tc, pull_from_the_owner);
  tcase_add_test(tc, pull_errors);
  tcase_add_test(tc, push_into_another_process);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);
}
