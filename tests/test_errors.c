/* SPDX-License-Identifier: MIT */
/* Error codes, names, messages, native-error translation and recording. */
#include "testutil.h"

#include "../src/common/common.h"

#include <stdio.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

/* The values are part of the ABI: the same on every platform, forever. */
START_TEST(codes_are_stable) {
  ck_assert_int_eq(IPC_SHM_E_INVAL, -1);
  ck_assert_int_eq(IPC_SHM_E_NAME_INVALID, -2);
  ck_assert_int_eq(IPC_SHM_E_NAME_TOO_LONG, -3);
  ck_assert_int_eq(IPC_SHM_E_SIZE_ZERO, -4);
  ck_assert_int_eq(IPC_SHM_E_SIZE_TOO_BIG, -5);
  ck_assert_int_eq(IPC_SHM_E_RANGE, -6);
  ck_assert_int_eq(IPC_SHM_E_ACCESS, -7);
  ck_assert_int_eq(IPC_SHM_E_PERM, -8);
  ck_assert_int_eq(IPC_SHM_E_NOT_FOUND, -9);
  ck_assert_int_eq(IPC_SHM_E_EXISTS, -10);
  ck_assert_int_eq(IPC_SHM_E_SIZE_MISMATCH, -11);
  ck_assert_int_eq(IPC_SHM_E_NO_SPACE, -12);
  ck_assert_int_eq(IPC_SHM_E_NO_MEMORY, -13);
  ck_assert_int_eq(IPC_SHM_E_TOO_MANY, -14);
  ck_assert_int_eq(IPC_SHM_E_NOT_SUPPORTED, -15);
  ck_assert_int_eq(IPC_SHM_E_IO, -16);
  ck_assert_int_eq(IPC_SHM_E_SYSTEM, -17);
  ck_assert_int_eq(IPC_SHM_E_BAD_TOKEN, -18);
  ck_assert_int_eq(IPC_SHM_E_DISCONNECTED, -19);
  ck_assert_int_eq(IPC_SHM_E_WRONG_KIND, -20);
  ck_assert_int_eq(IPC_SHM_E_TIMEOUT, -21);
  ck_assert_int_eq(IPC_SHM_E_OWNER_DEAD, -22);
  ck_assert_int_eq(IPC_SHM_E_NOT_RECOVERABLE, -23);
  ck_assert_int_eq(IPC_SHM_E_NOT_OWNER, -24);
  ck_assert_int_eq(IPC_SHM_E_DEADLOCK, -25);
  /* The end of the list is counted from the list. */
  ck_assert_int_eq(IPC_SHM_E_VERSION, -26);
  ck_assert_int_eq(IPC_SHM_E_CORRUPT, -27);
  ck_assert_int_eq(IPC_SHM_E_LIMIT, -28);
  ck_assert_int_eq(IPC_SHM_E_OVERWRITTEN, -29);
  ck_assert_int_eq(IPC_SHM_ERROR_LAST_, -30);
  ck_assert_str_ne(ipc_shm_err_name(IPC_SHM_ERROR_LAST_ + 1), "UNKNOWN");
}
END_TEST

START_TEST(every_code_has_a_distinct_name_and_message) {
  int a, b;
  for (a = 0; a > IPC_SHM_ERROR_LAST_; a--) {
    ck_assert_str_ne(ipc_shm_err_name(a), "UNKNOWN");
    ck_assert_str_ne(ipc_shm_strerror(a), "unknown error");
    ck_assert_int_gt((int)strlen(ipc_shm_strerror(a)), 5);
    for (b = a - 1; b > IPC_SHM_ERROR_LAST_; b--) {
      ck_assert_str_ne(ipc_shm_err_name(a), ipc_shm_err_name(b));
      ck_assert_str_ne(ipc_shm_strerror(a), ipc_shm_strerror(b));
    }
  }
  ck_assert_str_eq(ipc_shm_err_name(IPC_SHM_E_EXISTS), "EXISTS");
  ck_assert_str_eq(ipc_shm_err_name(0), "OK");
}
END_TEST

START_TEST(unknown_codes) {
  ck_assert_str_eq(ipc_shm_err_name(IPC_SHM_ERROR_LAST_), "UNKNOWN");
  ck_assert_str_eq(ipc_shm_err_name(1), "UNKNOWN");
  ck_assert_str_eq(ipc_shm_strerror(-1000), "unknown error");
}
END_TEST

/* The one translation table of each backend. */
START_TEST(native_translation) {
#ifdef _WIN32
  ck_assert_int_eq(ipc_shm__translate(ERROR_SUCCESS), 0);
  ck_assert_int_eq(ipc_shm__translate(ERROR_INVALID_PARAMETER), IPC_SHM_E_INVAL);
  ck_assert_int_eq(ipc_shm__translate(ERROR_INVALID_NAME), IPC_SHM_E_NAME_INVALID);
  ck_assert_int_eq(ipc_shm__translate(ERROR_NO_UNICODE_TRANSLATION), IPC_SHM_E_NAME_INVALID);
  ck_assert_int_eq(ipc_shm__translate(ERROR_FILENAME_EXCED_RANGE), IPC_SHM_E_NAME_TOO_LONG);
  ck_assert_int_eq(ipc_shm__translate(ERROR_FILE_TOO_LARGE), IPC_SHM_E_SIZE_TOO_BIG);
  ck_assert_int_eq(ipc_shm__translate(ERROR_ACCESS_DENIED), IPC_SHM_E_PERM);
  ck_assert_int_eq(ipc_shm__translate(ERROR_PRIVILEGE_NOT_HELD), IPC_SHM_E_PERM);
  ck_assert_int_eq(ipc_shm__translate(ERROR_FILE_NOT_FOUND), IPC_SHM_E_NOT_FOUND);
  ck_assert_int_eq(ipc_shm__translate(ERROR_PATH_NOT_FOUND), IPC_SHM_E_NOT_FOUND);
  ck_assert_int_eq(ipc_shm__translate(ERROR_ALREADY_EXISTS), IPC_SHM_E_EXISTS);
  ck_assert_int_eq(ipc_shm__translate(ERROR_FILE_EXISTS), IPC_SHM_E_EXISTS);
  ck_assert_int_eq(ipc_shm__translate(ERROR_DISK_FULL), IPC_SHM_E_NO_SPACE);
  ck_assert_int_eq(ipc_shm__translate(ERROR_COMMITMENT_LIMIT), IPC_SHM_E_NO_SPACE);
  ck_assert_int_eq(ipc_shm__translate(ERROR_NOT_ENOUGH_MEMORY), IPC_SHM_E_NO_MEMORY);
  ck_assert_int_eq(ipc_shm__translate(ERROR_TOO_MANY_OPEN_FILES), IPC_SHM_E_TOO_MANY);
  ck_assert_int_eq(ipc_shm__translate(ERROR_NOT_SUPPORTED), IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_int_eq(ipc_shm__translate(ERROR_IO_DEVICE), IPC_SHM_E_IO);
  ck_assert_int_eq(ipc_shm__translate(ERROR_BROKEN_PIPE), IPC_SHM_E_DISCONNECTED);
  ck_assert_int_eq(ipc_shm__translate(ERROR_NO_DATA), IPC_SHM_E_DISCONNECTED);
  ck_assert_int_eq(ipc_shm__translate(ERROR_GEN_FAILURE), IPC_SHM_E_SYSTEM);
#else
  ck_assert_int_eq(ipc_shm__translate(0), 0);
  ck_assert_int_eq(ipc_shm__translate(EINVAL), IPC_SHM_E_INVAL);
  ck_assert_int_eq(ipc_shm__translate(ENAMETOOLONG), IPC_SHM_E_NAME_TOO_LONG);
  ck_assert_int_eq(ipc_shm__translate(EFBIG), IPC_SHM_E_SIZE_TOO_BIG);
  ck_assert_int_eq(ipc_shm__translate(EOVERFLOW), IPC_SHM_E_SIZE_TOO_BIG);
  ck_assert_int_eq(ipc_shm__translate(EACCES), IPC_SHM_E_PERM);
  ck_assert_int_eq(ipc_shm__translate(EPERM), IPC_SHM_E_PERM);
  ck_assert_int_eq(ipc_shm__translate(ENOENT), IPC_SHM_E_NOT_FOUND);
  ck_assert_int_eq(ipc_shm__translate(EEXIST), IPC_SHM_E_EXISTS);
  ck_assert_int_eq(ipc_shm__translate(ENOSPC), IPC_SHM_E_NO_SPACE);
  ck_assert_int_eq(ipc_shm__translate(ENOMEM), IPC_SHM_E_NO_MEMORY);
  ck_assert_int_eq(ipc_shm__translate(EMFILE), IPC_SHM_E_TOO_MANY);
  ck_assert_int_eq(ipc_shm__translate(ENFILE), IPC_SHM_E_TOO_MANY);
  ck_assert_int_eq(ipc_shm__translate(ENOSYS), IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_int_eq(ipc_shm__translate(EIO), IPC_SHM_E_IO);
  ck_assert_int_eq(ipc_shm__translate(ESRCH), IPC_SHM_E_NOT_FOUND);
  ck_assert_int_eq(ipc_shm__translate(ECONNREFUSED), IPC_SHM_E_NOT_FOUND);
  ck_assert_int_eq(ipc_shm__translate(EADDRINUSE), IPC_SHM_E_EXISTS);
  ck_assert_int_eq(ipc_shm__translate(EPIPE), IPC_SHM_E_DISCONNECTED);
  ck_assert_int_eq(ipc_shm__translate(ECONNRESET), IPC_SHM_E_DISCONNECTED);
  ck_assert_int_eq(ipc_shm__translate(EXDEV), IPC_SHM_E_SYSTEM);
#endif
}
END_TEST

/* The failing system call and its native error can be read back. */
START_TEST(native_error_is_kept) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm = (ipc_shm_t *)&shm; /* must be reset to NULL */
  int err = ipc_shm_open(&shm, test_name(name, "missing"), 0);
  long native = ipc_shm_last_native_error();
  const char *call = ipc_shm_last_native_call();
  ck_assert_err(err, IPC_SHM_E_NOT_FOUND);
  ck_assert_ptr_null(shm);
#ifdef _WIN32
  ck_assert_int_eq(native, ERROR_FILE_NOT_FOUND);
  ck_assert_str_eq(call, "OpenFileMappingW");
#else
  ck_assert_int_eq(native, ENOENT);
  ck_assert_str_eq(call, "shm_open");
#endif
  /* A failure found by argument checks made no system call. */
  err = ipc_shm_open(&shm, "", 0);
  ck_assert_err(err, IPC_SHM_E_NAME_INVALID);
  ck_assert_int_eq(ipc_shm_last_native_error(), 0);
  ck_assert_str_eq(ipc_shm_last_native_call(), "");
}
END_TEST

/* The record says what the OS said, or that no system call failed; the
 * portable code is chosen apart from it. */
START_TEST(native_error_is_never_invented) {
  ipc_shm_t *shm;
  char token[IPC_SHM_TOKEN_MAX];
  ck_assert_err(ipc_shm_create_anonymous(&shm, 4096, 0), 0);
#ifdef _WIN32
  /* No call removes a name: nothing failed. */
  ck_assert_err(ipc_shm_remove("never-made", 0), IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_int_eq(ipc_shm_last_native_error(), 0);
  ck_assert_str_eq(ipc_shm_last_native_call(), "");
  /* A process that does not exist: OpenProcess says "invalid parameter",
   * which is kept, and the portable code says what it means. */
  ck_assert_err(ipc_shm_push(shm, 2147483000ul, 0, token), IPC_SHM_E_NOT_FOUND);
  ck_assert_int_eq(ipc_shm_last_native_error(), ERROR_INVALID_PARAMETER);
  ck_assert_str_eq(ipc_shm_last_native_call(), "OpenProcess");
#else
  /* No call puts a descriptor into another process: nothing failed. */
  ck_assert_err(ipc_shm_push(shm, 1, 0, token), IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_int_eq(ipc_shm_last_native_error(), 0);
  ck_assert_str_eq(ipc_shm_last_native_call(), "");
#if TEST_LINUX
  {
    /* A named segment takes no seal: fcntl said EPERM, and that stays. */
    char name[IPC_SHM_NAME_MAX + 1];
    ipc_shm_t *named;
    ck_assert_err(ipc_shm_create(&named, test_name(name, "honest"), 4096, 0), 0);
    ck_assert_err(ipc_shm_seal(named), IPC_SHM_E_NOT_SUPPORTED);
    ck_assert_int_eq(ipc_shm_last_native_error(), EPERM);
    ck_assert_str_eq(ipc_shm_last_native_call(), "fcntl");
    ipc_shm_close(named);
    ck_assert_err(ipc_shm_remove(name, 0), 0);
  }
#else
  ck_assert_err(ipc_shm_seal(shm), IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_int_eq(ipc_shm_last_native_error(), 0);
  ck_assert_str_eq(ipc_shm_last_native_call(), "");
#endif
#endif
  ipc_shm_close(shm);
}
END_TEST

#ifndef _WIN32
/* Out of descriptors: TOO_MANY, and no name or descriptor is left behind.
 * (Windows allows some 16 million handles per process; its translation of
 * ERROR_TOO_MANY_OPEN_FILES is tested above.) */
START_TEST(out_of_descriptors) {
  char name[IPC_SHM_NAME_MAX + 1];
  struct rlimit saved, low;
  ipc_shm_t *shm = NULL, *owner;
  ipc_shm_listener_t *listener = NULL;
  ipc_shm_export_t *exp = NULL;
  test_resources_t before;
  int fds[64];
  int n = 0, fd;
  ck_assert_err(ipc_shm_create_anonymous(&owner, 4096, 0), 0);
  ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
  before = test_resources();
  /* Fill every descriptor up to a low limit. */
  low = saved;
  low.rlim_cur = (rlim_t)before.handles + 8;
  ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
  while (n < 64 && (fd = dup(0)) >= 0)
    fds[n++] = fd;
  ck_assert_int_lt(n, 64);
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "emfile"), 4096, 0),
                IPC_SHM_E_TOO_MANY);
  ck_assert_err(ipc_shm_create_anonymous(&shm, 4096, 0), IPC_SHM_E_TOO_MANY);
  ck_assert_err(ipc_shm_export(&exp, owner, 0), IPC_SHM_E_TOO_MANY);
  ck_assert_err(ipc_shm_listen(&listener, name), IPC_SHM_E_TOO_MANY);
  ck_assert_ptr_null(shm);
  ck_assert_ptr_null(exp);
  ck_assert_ptr_null(listener);
  while (n > 0)
    close(fds[--n]);
  ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
  ck_assert_no_leak(before);
  ck_assert_int_eq(test_segment_exists(name), 0);
  ipc_shm_close(owner);
}
END_TEST
#endif

/* The version the library reports is the header's. */
START_TEST(version_is_the_headers) {
  char expected[32];
  snprintf(expected, sizeof(expected), "%d.%d.%d", IPC_SHM_VERSION_MAJOR,
           IPC_SHM_VERSION_MINOR, IPC_SHM_VERSION_PATCH);
  ck_assert_str_eq(ipc_shm_version(), expected);
}
END_TEST

void add_error_cases(Suite *suite) {
  TCase *tc = tcase_create("errors");
  tcase_add_test(tc, codes_are_stable);
  tcase_add_test(tc, every_code_has_a_distinct_name_and_message);
  tcase_add_test(tc, unknown_codes);
  tcase_add_test(tc, native_translation);
  tcase_add_test(tc, native_error_is_kept);
  tcase_add_test(tc, native_error_is_never_invented);
  tcase_add_test(tc, version_is_the_headers);
#ifndef _WIN32
  tcase_add_test(tc, out_of_descriptors);
#endif
  suite_add_tcase(suite, tc);
}
