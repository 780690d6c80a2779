/* SPDX-License-Identifier: MIT */
/* Tokens: malformed, forged and stale ones are refused and touch nothing. */
#include "handover_util.h"

#include "../src/common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#include "../src/win32/win32_internal.h" /* NtQuerySection, for the image section */
#else
#include <unistd.h>
#endif

START_TEST(bad_tokens_are_refused_and_touch_nothing) {
  static const char *malformed[] = {
      "", "garbage", "ipcshm1", "ipcshm1:", "ipcshm2:posix:w:8192:0:3:1.2",
#ifdef _WIN32
      "ipcshm1:posix:w:8192:0:3:1.2",
#else
      "ipcshm1:win:w:8192:0:3:0.0",
#endif
  };
  char token[IPC_SHM_TOKEN_MAX], forged[IPC_SHM_TOKEN_MAX * 2], value[32];
  ipc_shm_t *shm = anonymous_with("tokens");
  ipc_shm_t *got = NULL;
  ipc_shm_export_t *exp, *readonly_exp;
  test_resources_t before;
  size_t i;

  ck_assert_err(ipc_shm_export(&exp, shm, 0), 0);
  ck_assert_err(ipc_shm_export(&readonly_exp, shm, IPC_SHM_READONLY), 0);
  snprintf(token, sizeof(token), "%s", ipc_shm_export_token(exp));
  before = test_resources();

  ck_assert_err(ipc_shm_import(NULL, token), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_import(&got, NULL), IPC_SHM_E_INVAL);
  for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
    ck_assert_msg(ipc_shm_import(&got, malformed[i]) == IPC_SHM_E_BAD_TOKEN, "%s",
                  malformed[i]);
  /* Each field spoiled in turn, in a token that names a handle the test
   * owns (not the library, whose own handles are refused whatever the
   * token says): only the parser and the handle's checks refuse these. */
  {
    static const struct {
      int field;
      const char *value;
    } spoiled[] = {
        {2, "ev"}, {2, "mutex"}, {2, "segment"}, {2, ""}, {3, "x"}, {3, "rw"}, {3, ""},
        {4, "0"}, {4, "08192"}, {4, "008192"}, {4, "-8192"}, {4, "+8192"},
        {4, "99999999999999999999"}, {4, "9223372036854775808"}, {4, " 8192"},
        {4, "8192 "}, {4, "1048576"}, {5, "4294967296"}, {5, "04294967295"}, {5, "x"},
        {6, ""}, {6, "18446744073709551616"}, {6, "0100"}, {7, "1"}, {7, "1.2.3"}, {7, "1.x"},
        {7, "01.2"},
    };
    ipc_shm_native_t raw;
    char foreign[IPC_SHM_TOKEN_MAX];
    foreign_token(exp, &raw, foreign);
    for (i = 0; i < sizeof(spoiled) / sizeof(spoiled[0]); i++) {
      forge(foreign, spoiled[i].field, spoiled[i].value, forged, sizeof(forged));
      ck_assert_msg(ipc_shm_import(&got, forged) == IPC_SHM_E_BAD_TOKEN,
                    "field %d = '%s': %s", spoiled[i].field, spoiled[i].value, forged);
      ck_assert_ptr_null(got);
    }
    /* A separator missing, one too many. */
    {
      const char *access = strstr(foreign, ":w:");
      ck_assert_ptr_nonnull(access);
      snprintf(forged, sizeof(forged), "%.*s:w%s", (int)(access - foreign), foreign,
               access + 3);
      ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
      snprintf(forged, sizeof(forged), "%.*s::w:%s", (int)(access - foreign), foreign,
               access + 3);
      ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
      snprintf(forged, sizeof(forged), "%s:", foreign);
      ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
    }
    /* Claims that do not match the handle: read-only for a writable one,
     * another object (POSIX: inode; Windows: the check field is the
     * state of a mutex, and nothing for a segment). */
    forge(foreign, 3, "r", forged, sizeof(forged));
    ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
#ifndef _WIN32
    {
      char identity[64];
      const char *check = strrchr(foreign, ':') + 1;
      unsigned long long device = 0, inode = 0;
      ck_assert_int_eq(sscanf(check, "%llu.%llu", &device, &inode), 2);
      snprintf(identity, sizeof(identity), "%llu.%llu", device, inode + 1);
      forge(foreign, 7, identity, forged, sizeof(forged));
      ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
    }
#endif
    /* The same token, whole: the handle was left alone and is taken now. */
    ck_assert_err(ipc_shm_import(&got, foreign), 0);
    ck_assert_uint_eq(ipc_shm_size(got), SEG_SIZE);
    ck_assert_err(ipc_shm_close(got), 0);
    got = NULL;
  }
  /* Well formed, but naming another kind: never taken for a segment. */
  forge(token, 2, "evt", forged, sizeof(forged));
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_WRONG_KIND);
  forge(token, 2, "mtx", forged, sizeof(forged));
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_WRONG_KIND);
  snprintf(forged, sizeof(forged), "%s:extra", token);
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
  memset(forged, '7', sizeof(forged) - 1);
  forged[sizeof(forged) - 1] = '\0';
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);

  /* A read-only copy the test owns, claimed writable. */
  {
    ipc_shm_native_t raw;
    char foreign[IPC_SHM_TOKEN_MAX];
    foreign_token(readonly_exp, &raw, foreign);
    forge(foreign, 3, "w", forged, sizeof(forged));
    ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
    ck_assert_err(ipc_shm_import(&got, foreign), 0);
    ck_assert_int_eq(ipc_shm_is_writable(got), 0);
    ck_assert_err(ipc_shm_close(got), 0);
    got = NULL;
  }
  /* The segment's own handle, which this process owns already: its access
   * is the creator's (Windows), it is close-on-exec, so not inherited
   * (POSIX). */
  snprintf(value, sizeof(value), "%llu", test_native_value(ipc_shm_native_handle(shm)));
  forge(token, 6, value, forged, sizeof(forged));
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
  /* A handle that is not a section at all, and one that does not exist. */
  {
#ifdef _WIN32
    HANDLE other = CreateEventW(NULL, TRUE, FALSE, NULL);
    snprintf(value, sizeof(value), "%llu", (unsigned long long)(ULONG_PTR)other);
#else
    int pipe_fds[2];
    ck_assert_int_eq(pipe(pipe_fds), 0);
    snprintf(value, sizeof(value), "%d", pipe_fds[0]);
#endif
    forge(token, 6, value, forged, sizeof(forged));
    ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
#ifdef _WIN32
    ck_assert(CloseHandle(other)); /* untouched: still ours to close */
#else
    ck_assert_int_eq(close(pipe_fds[0]), 0);
    ck_assert_int_eq(close(pipe_fds[1]), 0);
#endif
  }
#ifdef _WIN32
  /* An image section (a program mapped as code) with read access: the right
   * type and rights, but not memory to share. */
  {
    WCHAR self_path[1024];
    HANDLE file, image, copy;
    char size_text[32], sized[IPC_SHM_TOKEN_MAX * 2];
    uint64_t image_size = 0;
    GetModuleFileNameW(NULL, self_path, 1024);
    file = CreateFileW(self_path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    ck_assert(file != INVALID_HANDLE_VALUE);
    image = CreateFileMappingW(file, NULL, PAGE_READONLY | SEC_IMAGE, 0, 0, NULL);
    ck_assert_msg(image != NULL, "SEC_IMAGE mapping: error %lu", GetLastError());
    ck_assert(DuplicateHandle(GetCurrentProcess(), image, GetCurrentProcess(), &copy,
                              FILE_MAP_READ | SECTION_QUERY, FALSE, 0));
    /* The token claims the size the section has: only its kind is wrong. */
    ck_assert_int_eq(ipc_shm__win_query_section(copy, &image_size, NULL), 0);
    snprintf(size_text, sizeof(size_text), "%llu", (unsigned long long)image_size);
    snprintf(value, sizeof(value), "%llu", (unsigned long long)(ULONG_PTR)copy);
    forge(ipc_shm_export_token(readonly_exp), 4, size_text, sized, sizeof(sized));
    forge(sized, 6, value, forged, sizeof(forged));
    ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
    ck_assert(CloseHandle(copy));
    ck_assert(CloseHandle(image));
    ck_assert(CloseHandle(file));
  }
#endif
  forge(token, 6, "65000", forged, sizeof(forged));
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
  /* A token for another process: that is what ipc_shm_pull is for. */
  forge(token, 5, "1", forged, sizeof(forged));
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
  /* And pull refuses a token of this process, made for import or for
   * pulling: a process does not pull from itself, nor import a handle it
   * exported for another to pull. */
  ck_assert_err(ipc_shm_pull(&got, token), IPC_SHM_E_BAD_TOKEN);
  ck_assert_ptr_null(got);
  {
    ipc_shm_export_t *pull_exp;
    ck_assert_err(ipc_shm_export(&pull_exp, shm, IPC_SHM_EXPORT_PULL), 0);
    ck_assert_err(ipc_shm_pull(&got, ipc_shm_export_token(pull_exp)), IPC_SHM_E_BAD_TOKEN);
    ck_assert_ptr_null(got);
    ck_assert_err(ipc_shm_import(&got, ipc_shm_export_token(pull_exp)), IPC_SHM_E_BAD_TOKEN);
    ck_assert_ptr_null(got);
    ck_assert_err(ipc_shm_export_close(pull_exp), 0);
  }
  ck_assert_no_leak(before);

  /* A stale token: its handle was closed. */
  ck_assert_err(ipc_shm_export_close(exp), 0);
  ck_assert_err(ipc_shm_import(&got, token), IPC_SHM_E_BAD_TOKEN);
  ck_assert_ptr_null(got);

  ck_assert_err(ipc_shm_export_close(readonly_exp), 0);
  ck_assert_err(ipc_shm_export(NULL, shm, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_export(&exp, NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_export(&exp, shm, 0x8000u), IPC_SHM_E_INVAL);
  ck_assert_ptr_null(exp);
  ck_assert_err(ipc_shm_export_close(NULL), IPC_SHM_E_INVAL);
  ck_assert_ptr_null(ipc_shm_export_token(NULL));
  ipc_shm_close(shm);
}
END_TEST

/* The parser itself: one spelling per value, every field bounded, every
 * separator in its place, nothing after the end. */
START_TEST(the_parser_reads_one_spelling_only) {
  static const struct {
    const char *rest; /* after "ipcshm1:PLATFORM:" */
    int ok;
  } cases[] = {
      {"seg:w:4096:12:7:1.2", 1},
      {"evt:r:64:4294967295:18446744073709551615:18446744073709551615.0", 1},
      {"mtx:w:9223372036854775807:0:0:0.0", 1},
      {"seg:w:9223372036854775808:12:7:1.2", 0}, /* past the size limit */
      {"seg:w:0:12:7:1.2", 0},
      {"seg:w:04096:12:7:1.2", 0},
      {"seg:w:4096:012:7:1.2", 0},
      {"seg:w:4096:12:07:1.2", 0},
      {"seg:w:4096:12:7:01.2", 0},
      {"seg:w:4096:12:7:1.02", 0},
      {"seg:w:4096:4294967296:7:1.2", 0}, /* pid one past 32 bits */
      {"seg:w:4096:12:18446744073709551616:1.2", 0}, /* one past 64 bits */
      {"seg:w:4096:12:7:1.184467440737095516150", 0},
      {"seg:w4096:12:7:1.2", 0}, /* no ':' after the access letter */
      {"seg::w:4096:12:7:1.2", 0},
      {"segw:4096:12:7:1.2", 0},
      {"seg:w:4096:12:7:1.2:", 0},
      {"seg:w:4096:12:7:1.2 ", 0},
      {"seg:w:4096:12:7:1", 0},
      {"seg:w:4096:12:7:.2", 0},
      {"seg:w:4096:12:7:1.", 0},
      {"seg:W:4096:12:7:1.2", 0},
      {"SEG:w:4096:12:7:1.2", 0},
      {"seg:w:+4096:12:7:1.2", 0},
      {"seg:w:4096:12::1.2", 0},
      {"", 0},
  };
  char prefix[64], text[IPC_SHM_TOKEN_MAX * 2];
  ipc_shm__token_t token;
  size_t i;
  /* The platform's prefix, as a token the library writes begins. */
  memset(&token, 0, sizeof(token));
  token.object = IPC_SHM__OBJECT_SEGMENT;
  token.size = 1;
  ck_assert_int_eq(ipc_shm__token_format(&token, text), 0);
  ck_assert_ptr_nonnull(strstr(text, "seg:"));
  snprintf(prefix, sizeof(prefix), "%.*s", (int)(strstr(text, "seg:") - text), text);
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int err;
    snprintf(text, sizeof(text), "%s%s", prefix, cases[i].rest);
    err = ipc_shm__token_parse(text, &token);
    ck_assert_msg((err == 0) == cases[i].ok, "%s: %s", text, ipc_shm_err_name(err));
    if (!cases[i].ok)
      ck_assert_err(err, IPC_SHM_E_BAD_TOKEN);
  }
  snprintf(text, sizeof(text), "%sseg:w:4096:12:7:1.2", prefix);
  ck_assert_int_eq(ipc_shm__token_parse(text, &token), 0);
  ck_assert_int_eq(token.object, IPC_SHM__OBJECT_SEGMENT);
  ck_assert_int_eq(token.writable, 1);
  ck_assert_uint_eq(token.size, 4096);
  ck_assert_uint_eq(token.pid, 12);
  ck_assert_uint_eq(token.handle, 7);
  ck_assert_uint_eq(token.check[0], 1);
  ck_assert_uint_eq(token.check[1], 2);
  /* A token one byte too long is refused before it is read. */
  memset(text, '1', IPC_SHM_TOKEN_MAX);
  memcpy(text, prefix, strlen(prefix));
  text[IPC_SHM_TOKEN_MAX] = '\0';
  ck_assert_err(ipc_shm__token_parse(text, &token), IPC_SHM_E_BAD_TOKEN);
}
END_TEST

void add_token_cases(Suite *suite) {
  TCase *tc = tcase_create("tokens");
  tcase_add_test(tc, bad_tokens_are_refused_and_touch_nothing);
  tcase_add_test(tc, the_parser_reads_one_spelling_only);
  suite_add_tcase(suite, tc);
}
