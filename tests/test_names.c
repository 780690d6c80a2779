/* SPDX-License-Identifier: MIT */
/* The portable name rule, and how names reach the OS. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

/* Create with a name that breaks the rule: the expected error, no object,
 * nothing leaked. */
static void expect_rejected(const char *name, int expected) {
  test_resources_t before = test_resources();
  ipc_shm_t *shm = NULL;
  int created = -1;
  int err_create = ipc_shm_create(&shm, name, 4096, 0);
  int err_open = ipc_shm_open(&shm, name, 0);
  int err_ooc = ipc_shm_open_or_create(&shm, name, 4096, 0, &created);
  int err_remove = ipc_shm_remove(name, 0);
  ck_assert_err(err_create, expected);
  ck_assert_err(err_open, expected);
  ck_assert_err(err_ooc, expected);
  ck_assert_err(err_remove, expected);
  ck_assert_ptr_null(shm);
  ck_assert_no_leak(before);
}

START_TEST(rejects_ill_formed_names) {
  expect_rejected("", IPC_SHM_E_NAME_INVALID);
  expect_rejected(".hidden", IPC_SHM_E_NAME_INVALID);
  expect_rejected("/leading-slash", IPC_SHM_E_NAME_INVALID);
  expect_rejected("a/b", IPC_SHM_E_NAME_INVALID);
  expect_rejected("Local\\x", IPC_SHM_E_NAME_INVALID);
  expect_rejected("tab\there", IPC_SHM_E_NAME_INVALID);
  expect_rejected("del\x7f", IPC_SHM_E_NAME_INVALID);
  expect_rejected("bad\xff", IPC_SHM_E_NAME_INVALID);         /* not UTF-8 */
  expect_rejected("overlong\xc0\xaf", IPC_SHM_E_NAME_INVALID); /* overlong '/' */
  expect_rejected("surrogate\xed\xa0\x80", IPC_SHM_E_NAME_INVALID);
  expect_rejected("cut\xe2\x82", IPC_SHM_E_NAME_INVALID);      /* truncated */
  expect_rejected("big\xf4\x90\x80\x80", IPC_SHM_E_NAME_INVALID); /* > U+10FFFF */
}
END_TEST

START_TEST(rejects_long_names) {
  char name[64];
  memset(name, 'a', 31);
  name[31] = '\0';
  expect_rejected(name, IPC_SHM_E_NAME_TOO_LONG);
  memset(name, 'a', sizeof(name) - 1);
  name[sizeof(name) - 1] = '\0';
  expect_rejected(name, IPC_SHM_E_NAME_TOO_LONG);
  /* The limit is in bytes: eleven 3-byte characters are 33 bytes. */
  strcpy(name, "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
               "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
               "\xe2\x82\xac");
  expect_rejected(name, IPC_SHM_E_NAME_TOO_LONG);
}
END_TEST

START_TEST(rejects_null_name) { expect_rejected(NULL, IPC_SHM_E_INVAL); }
END_TEST

/* Exactly 30 bytes is allowed and reaches the OS unchanged. */
START_TEST(accepts_longest_name) {
  char name[IPC_SHM_NAME_MAX + 1];
  char tag[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm;
  size_t n;
  test_name(tag, "");
  n = strlen(tag);
  memcpy(name, tag, n);
  memset(name + n, 'x', IPC_SHM_NAME_MAX - n);
  name[IPC_SHM_NAME_MAX] = '\0';
  ck_assert_err(ipc_shm_create(&shm, name, 100, 0), 0);
  ck_assert_str_eq(ipc_shm_name(shm), name);
  ck_assert(test_segment_exists(name));
  ipc_shm_close(shm);
  ipc_shm_remove(name, 0);
}
END_TEST

/* "foo" is "/foo" for shm_open and "Local\foo" for OpenFileMappingW, in
 * UTF-8 and UTF-16 respectively. */
START_TEST(utf8_name_reaches_the_os) {
  char tag[IPC_SHM_NAME_MAX + 1];
  char name[64];
  ipc_shm_t *shm;
  int raw_found;
  test_name(tag, "");
  snprintf(name, sizeof(name), "%s-d\xc3\xa9j\xc3\xa0", tag); /* "-déjà" */
  ck_assert_err(ipc_shm_create(&shm, name, 100, 0), 0);
#ifdef _WIN32
  {
    WCHAR wide[64] = L"Local\\";
    HANDLE h;
    MultiByteToWideChar(CP_UTF8, 0, tag, -1, wide + 6, 50);
    memcpy(wide + wcslen(wide), L"-d\u00e9j\u00e0", sizeof(L"-d\u00e9j\u00e0"));
    h = OpenFileMappingW(FILE_MAP_READ, FALSE, wide);
    raw_found = h != NULL;
    if (h != NULL)
      CloseHandle(h);
  }
#else
  {
    char posix_name[80];
    int fd;
    snprintf(posix_name, sizeof(posix_name), "/%s", name);
    fd = shm_open(posix_name, O_RDONLY, 0);
    raw_found = fd >= 0;
    if (fd >= 0)
      close(fd);
  }
#endif
  ipc_shm_close(shm);
  ipc_shm_remove(name, 0);
  ck_assert_msg(raw_found, "the raw OS call did not find the UTF-8 name");
}
END_TEST

/* IPC_SHM_GLOBAL selects Global\ on Windows; POSIX has one namespace. */
START_TEST(global_namespace) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm, *other = NULL;
  int err_local;
  test_name(name, "glob");
  ck_assert_err(ipc_shm_create(&shm, name, 100, IPC_SHM_GLOBAL), 0);
  err_local = ipc_shm_open(&other, name, 0);
  if (other != NULL)
    ipc_shm_close(other);
#ifdef _WIN32
  {
    WCHAR wide[64] = L"Global\\";
    HANDLE h;
    MultiByteToWideChar(CP_UTF8, 0, name, -1, wide + 7, 50);
    h = OpenFileMappingW(FILE_MAP_READ, FALSE, wide);
    ck_assert_msg(h != NULL, "not found as Global\\%s", name);
    CloseHandle(h);
    ck_assert_err(ipc_shm_open(&other, name, IPC_SHM_GLOBAL), 0);
    ipc_shm_close(other);
    ck_assert_err(err_local, IPC_SHM_E_NOT_FOUND);
  }
#else
  ck_assert_err(err_local, 0);
  ck_assert_err(ipc_shm_remove(name, IPC_SHM_GLOBAL), 0);
#endif
  ipc_shm_close(shm);
}
END_TEST

void add_name_cases(Suite *suite) {
  TCase *tc = tcase_create("names");
  tcase_add_test(tc, rejects_ill_formed_names);
  tcase_add_test(tc, rejects_long_names);
  tcase_add_test(tc, rejects_null_name);
  tcase_add_test(tc, accepts_longest_name);
  tcase_add_test(tc, utf8_name_reaches_the_os);
  tcase_add_test(tc, global_namespace);
  suite_add_tcase(suite, tc);
}
