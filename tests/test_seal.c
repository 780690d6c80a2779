/* SPDX-License-Identifier: MIT */
/* Sealing a segment against new writers (Linux memfd seals; NOT_SUPPORTED elsewhere). */
#include "handover_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

START_TEST(seal_stops_new_writers) {
  char name[IPC_SHM_NAME_MAX + 1], out[512], text[16];
  ipc_shm_t *shm, *named, *readonly;
  ipc_shm_view_t *writer, *view;
  test_resources_t before = test_resources();
  ck_assert_err(ipc_shm_seal(NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_create(&named, test_name(name, "seal"), 4096, 0), 0);
  ck_assert_err(ipc_shm_open(&readonly, name, IPC_SHM_READONLY), 0);
  ck_assert_err(ipc_shm_seal(readonly), IPC_SHM_E_ACCESS);
  ck_assert_err(ipc_shm_create_anonymous(&shm, SEG_SIZE, 0), 0);
  ck_assert_err(ipc_shm_map(&writer, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
#if TEST_LINUX
  /* Only memfds take seals. */
  ck_assert_err(ipc_shm_seal(named), IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_int_eq(ipc_shm_is_writable(named), 1);
  memcpy(ipc_shm_view_data(writer), "before", 7);
  ck_assert_err(ipc_shm_seal(shm), 0);
  ck_assert_int_eq(ipc_shm_is_writable(shm), 0);
  ck_assert_err(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), IPC_SHM_E_ACCESS);
  /* The view mapped before keeps writing, and everybody reads it. */
  memcpy(ipc_shm_view_data(writer), "after", 6);
  get(shm, 0, text, sizeof(text));
  ck_assert_str_eq(text, "after");
  /* Not even a writable reopen of the descriptor can write now. */
  {
    char path[64];
    int fd;
    void *p;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", ipc_shm_native_handle(shm));
    fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ck_assert_msg(p == MAP_FAILED, "a writable mapping of a sealed segment");
    ck_assert_int_lt(write(fd, "x", 1), 0);
    close(fd);
  }
  /* Copy-on-write views stay allowed. */
  ck_assert_err(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_COPY), 0);
  memcpy(ipc_shm_view_data(view), "mine", 5);
  ipc_shm_unmap(view);
  /* Another process gets a read-only copy that stays read-only. */
  {
    ipc_shm_export_t *exp;
    ck_assert_err(ipc_shm_export(&exp, shm, 0), 0);
    {
      const char *argv[] = {"helper", "import", ipc_shm_export_token(exp), NULL};
      ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
    }
    ipc_shm_export_close(exp);
    ck_assert_str_eq(out, "got r 8192 after write=ACCESS raw=refused\nleak=none\n");
  }
#else
  /* Sections and other systems' objects have no seals. */
  ck_assert_err(ipc_shm_seal(shm), IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_int_eq(ipc_shm_is_writable(shm), 1);
  ck_assert_err(ipc_shm_seal(named), IPC_SHM_E_NOT_SUPPORTED);
  (void)view;
  (void)out;
  (void)text;
#endif
  ipc_shm_unmap(writer);
  ipc_shm_close(shm);
  ipc_shm_close(readonly);
  ipc_shm_close(named);
  test_remove_name(name);
  ck_assert_no_leak(before);
}
END_TEST

void add_seal_cases(Suite *suite) {
  TCase *tc = tcase_create("seal");
  tcase_add_test(tc, seal_stops_new_writers);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);
}
