/* SPDX-License-Identifier: MIT */
/* The ipc-shm tool against programs that use only the raw OS calls, in both
 * directions: no hidden header, the same names. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

/* raw_peer creates and fills; ipc-shm reads and describes. */
START_TEST(tool_reads_what_raw_calls_wrote) {
  char name[IPC_SHM_NAME_MAX + 1];
  char out[512];
  test_proc_t *raw;
  const char *raw_args[] = {"create", name, "5000", "written by raw calls", NULL};
  const char *read_args[] = {"read", name, "--length", "20", NULL};
  const char *info_args[] = {"info", name, NULL};
  test_name(name, "rawt");
  raw = test_proc_start("raw_peer", raw_args);
  test_expect_line(raw, "ready");
  ck_assert_int_eq(test_run("ipc-shm", read_args, NULL, out, sizeof(out)), 0);
  ck_assert_str_eq(out, "written by raw calls");
  ck_assert_int_eq(test_run("ipc-shm", info_args, NULL, out, sizeof(out)), 0);
#ifdef _WIN32
  ck_assert_ptr_nonnull(strstr(out, "size: 8192")); /* page-rounded */
#else
  ck_assert_ptr_nonnull(strstr(out, "size: 5000"));
#endif
  test_proc_close_stdin(raw);
  ck_assert_int_eq(test_proc_wait(raw), 0);
  ck_assert(!test_segment_exists(name));
}
END_TEST

/* ipc-shm creates and writes; raw_peer reads. */
START_TEST(raw_calls_read_what_the_tool_wrote) {
  char name[IPC_SHM_NAME_MAX + 1];
  char out[512];
  test_proc_t *holder;
  const char *create_args[] = {"create", name, "64k", "--hold", NULL};
  const char *write_args[] = {"write", name, "--offset", "0", NULL};
  const char *raw_args[] = {"read", name, "22", NULL};
  test_name(name, "toolt");
  holder = test_proc_start("ipc-shm", create_args);
  test_expect_line(holder, "ready");
  ck_assert_int_eq(test_run("ipc-shm", write_args, "written by the ipc-shm", out, sizeof(out)), 0);
  ck_assert_int_eq(test_run("raw_peer", raw_args, NULL, out, sizeof(out)), 0);
  ck_assert_str_eq(out, "written by the ipc-shm");
  test_proc_close_stdin(holder);
  ck_assert_int_eq(test_proc_wait(holder), 0);
  /* The holder took its segment with it, on every platform. */
  ck_assert(!test_segment_exists(name));
}
END_TEST

/* Standard input and output are binary on Windows too: CR LF, NUL and ^Z
 * pass unchanged. */
START_TEST(tool_is_binary_safe) {
  static const char payload[] = "a\r\nb\0c\x1a" "d\n\xff";
  const size_t n = sizeof(payload) - 1;
  char name[IPC_SHM_NAME_MAX + 1];
  char out[64];
  char length[16];
  test_proc_t *holder, *reader, *writer;
  const char *create_args[] = {"create", name, "100", "--hold", NULL};
  const char *write_args[] = {"write", name, "--offset", "10", NULL};
  const char *read_args[] = {"read", name, "--offset", "10", "--length", length, NULL};
  snprintf(length, sizeof(length), "%u", (unsigned)n);
  test_name(name, "bin");
  holder = test_proc_start("ipc-shm", create_args);
  test_expect_line(holder, "ready");
  writer = test_proc_start("ipc-shm", write_args);
  test_proc_write(writer, payload, n);
  ck_assert_int_eq(test_proc_wait(writer), 0);
  reader = test_proc_start("ipc-shm", read_args);
  test_proc_close_stdin(reader);
  ck_assert_uint_eq(test_proc_read_all(reader, out, sizeof(out)), n);
  ck_assert_int_eq(test_proc_wait(reader), 0);
  ck_assert_mem_eq(out, payload, n);
  test_proc_close_stdin(holder);
  ck_assert_int_eq(test_proc_wait(holder), 0);
}
END_TEST

/* Errors: a non-zero status, nothing on standard output. */
START_TEST(tool_errors) {
  char name[IPC_SHM_NAME_MAX + 1];
  char out[256];
  test_name(name, "terr");
  {
    const char *args[] = {"read", name, NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 1);
    ck_assert_str_eq(out, "");
  }
  {
    const char *args[] = {"create", name, "0", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 1);
    ck_assert(!test_segment_exists(name));
  }
  {
    const char *args[] = {"create", "bad/name", "10", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 1);
  }
  {
    const char *args[] = {"create", name, "12x", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 2);
  }
  {
    const char *args[] = {"frobnicate", name, NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 2);
  }
}
END_TEST

/* Usage errors say why in one line and point at --help (not the whole
 * usage); system errors carry the system's text; a command that is not
 * found is 127, as a shell says it. */
START_TEST(tool_says_why) {
  char name[IPC_SHM_NAME_MAX + 1], out[1024];
  ipc_shm_t *shm;
  static const struct {
    const char *args[6];
    int status;
    const char *says;
  } cases[] = {
      {{"frobnicate", "x", NULL}, 2, "unknown command: frobnicate"},
      {{"create", "x", "99999999999g", NULL}, 2, "SIZE is too large"},
      {{"create", "x", "12q", NULL}, 2, "SIZE must be a number"},
      {{"read", "--inherited", "0x1", NULL}, 2, "--inherited takes a decimal number"},
      {{"read", "x", "--length", NULL}, 2, "need a value"},
      {{"read", "x", "--bogus", NULL}, 2, "unknown option: --bogus"},
      {{"create", "x", "1", "--perms", "9", NULL}, 2, "octal MODE"},
  };
  size_t i;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ck_assert_int_eq(test_run_merged("ipc-shm", cases[i].args, NULL, out, sizeof(out)),
                     cases[i].status);
    ck_assert_msg(strstr(out, cases[i].says) != NULL, "case %u: %s", (unsigned)i, out);
    ck_assert_msg(strstr(out, "Try 'ipc-shm --help'.") != NULL, "case %u: %s", (unsigned)i, out);
    ck_assert_msg(strstr(out, "create NAME SIZE") == NULL, "case %u: whole usage", (unsigned)i);
  }
  {
    const char *args[] = {"--version", NULL};
    char expected[64];
    snprintf(expected, sizeof(expected), "ipc-shm %s", ipc_shm_version());
    ck_assert_int_eq(test_run_merged("ipc-shm", args, NULL, out, sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, expected));
  }
  {
    /* The native error comes with its call and the system's text. */
    const char *args[] = {"read", test_name(name, "nosuch"), NULL};
    ck_assert_int_eq(test_run_merged("ipc-shm", args, NULL, out, sizeof(out)), 1);
#ifdef _WIN32
    ck_assert_msg(strstr(out, "OpenFileMappingW: native error 2: ") != NULL, "%s", out);
#else
    ck_assert_msg(strstr(out, "shm_open: native error 2: ") != NULL, "%s", out);
#endif
  }
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "run127"), 4096, 0), 0);
  {
    const char *args[] = {"run", name, "--", "ipcshm-no-such-command", NULL};
    ck_assert_int_eq(test_run_merged("ipc-shm", args, NULL, out, sizeof(out)), 127);
    ck_assert_msg(strstr(out, "ipcshm-no-such-command: command not found") != NULL, "%s", out);
  }
  {
    /* --length 0 means to the end. */
    const char *args[] = {"read", name, "--length", "0", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 0);
  }
  ipc_shm_close(shm);
  (void)ipc_shm_remove(name, 0);
}
END_TEST

/* Input longer than the segment is refused, and nothing is written. */
START_TEST(tool_write_too_long) {
  char name[IPC_SHM_NAME_MAX + 1];
  char out[64];
  test_proc_t *holder;
  const char *create_args[] = {"create", name, "8", "--hold", NULL};
  const char *write_args[] = {"write", name, NULL};
  test_name(name, "long");
  holder = test_proc_start("ipc-shm", create_args);
  test_expect_line(holder, "ready");
#ifdef _WIN32
  /* The page-rounded size is what an opener on Windows can use. */
  {
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(test_run("ipc-shm", write_args, big, out, sizeof(out)), 1);
  }
#else
  ck_assert_int_eq(test_run("ipc-shm", write_args, "123456789", out, sizeof(out)), 1);
#endif
  {
    /* All or nothing: the refused write left the first bytes alone. */
    const char *read_args[] = {"read", name, "--length", "8", NULL};
    ck_assert_int_eq(test_run("ipc-shm", read_args, NULL, out, sizeof(out)), 0);
    ck_assert_mem_eq(out, "\0\0\0\0\0\0\0\0", 8);
  }
  ck_assert_int_eq(test_run("ipc-shm", write_args, "12345678", out, sizeof(out)), 0);
  test_proc_close_stdin(holder);
  ck_assert_int_eq(test_proc_wait(holder), 0);
}
END_TEST

void add_interop_cases(Suite *suite) {
  TCase *tc = tcase_create("interop");
  tcase_add_test(tc, tool_reads_what_raw_calls_wrote);
  tcase_add_test(tc, raw_calls_read_what_the_tool_wrote);
  tcase_add_test(tc, tool_is_binary_safe);
  tcase_add_test(tc, tool_errors);
  tcase_add_test(tc, tool_write_too_long);
  tcase_add_test(tc, tool_says_why);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);
}
