/* SPDX-License-Identifier: MIT */
/* Anonymous segments: real shared objects with no name. */
#include "testutil.h"

#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <sys/mman.h>
#include <sys/stat.h>
#endif

START_TEST(anonymous_views_share_memory) {
  ipc_shm_t *shm;
  ipc_shm_view_t *a, *b;
  ck_assert_err(ipc_shm_create_anonymous(&shm, 3 * 65536 + 5, 0), 0);
  ck_assert_uint_eq(ipc_shm_size(shm), 3 * 65536 + 5);
  ck_assert_int_eq(ipc_shm_size_is_exact(shm), 1);
  ck_assert_int_eq(ipc_shm_is_writable(shm), 1);
  ck_assert_ptr_null(ipc_shm_name(shm));
  ck_assert_err(ipc_shm_map(&a, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
  ck_assert_err(ipc_shm_map(&b, shm, 65536, 0, IPC_SHM_MAP_WRITE), 0);
  ck_assert_uint_eq(ipc_shm_view_size(b), 2 * 65536 + 5);
  memcpy((char *)ipc_shm_view_data(a) + 65536, "one object", 10);
  ck_assert_mem_eq(ipc_shm_view_data(b), "one object", 10);
  ipc_shm_unmap(a);
  ipc_shm_unmap(b);
  ipc_shm_close(shm);
}
END_TEST

/* The object behind the handle is shared memory a raw call can map too:
 * not private memory of this process. */
START_TEST(anonymous_native_handle_maps_the_same_object) {
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  void *raw;
  ck_assert_err(ipc_shm_create_anonymous(&shm, 4096, 0), 0);
  ck_assert_err(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
#ifdef _WIN32
  raw = MapViewOfFile(ipc_shm_native_handle(shm), FILE_MAP_READ, 0, 0, 4096);
  ck_assert_ptr_nonnull(raw);
#else
  {
    struct stat st;
    ck_assert_int_eq(fstat(ipc_shm_native_handle(shm), &st), 0);
    ck_assert_int_eq((int)st.st_size, 4096);
    raw = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ipc_shm_native_handle(shm), 0);
    ck_assert_ptr_ne(raw, MAP_FAILED);
  }
#endif
  memcpy(ipc_shm_view_data(view), "visible", 7);
  ck_assert_mem_eq(raw, "visible", 7);
#ifdef _WIN32
  UnmapViewOfFile(raw);
#else
  munmap(raw, 4096);
#endif
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
}
END_TEST

START_TEST(anonymous_bad_arguments) {
  ipc_shm_t *shm = (ipc_shm_t *)&shm;
  test_resources_t before = test_resources();
  int err_zero = ipc_shm_create_anonymous(&shm, 0, 0);
  int err_big = ipc_shm_create_anonymous(&shm, UINT64_MAX, 0);
  int err_flags = ipc_shm_create_anonymous(&shm, 100, IPC_SHM_GLOBAL);
  int err_null = ipc_shm_create_anonymous(NULL, 100, 0);
  ck_assert_no_leak(before);
  ck_assert_err(err_zero, IPC_SHM_E_SIZE_ZERO);
  ck_assert_err(err_big, IPC_SHM_E_SIZE_TOO_BIG);
  ck_assert_err(err_flags, IPC_SHM_E_INVAL);
  ck_assert_err(err_null, IPC_SHM_E_INVAL);
  ck_assert_ptr_null(shm);
}
END_TEST

START_TEST(anonymous_close_releases_everything) {
  test_resources_t before = test_resources();
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  int err_create = ipc_shm_create_anonymous(&shm, 100000, 0);
  int err_map = err_create == 0 ? ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE) : -99;
  int err_unmap = err_map == 0 ? ipc_shm_unmap(view) : -99;
  int err_close = err_create == 0 ? ipc_shm_close(shm) : -99;
  ck_assert_no_leak(before);
  ck_assert_err(err_create, 0);
  ck_assert_err(err_map, 0);
  ck_assert_err(err_unmap, 0);
  ck_assert_err(err_close, 0);
}
END_TEST

/* An anonymous segment has no name anywhere, not even for a moment's
 * leftover: the shared-memory directory holds no more names after many. */
START_TEST(anonymous_leaves_no_name) {
  long before = test_own_shm_names();
  ipc_shm_t *shm[8];
  int i;
  for (i = 0; i < 8; i++)
    ck_assert_err(ipc_shm_create_anonymous(&shm[i], 4096, 0), 0);
  ck_assert_int_eq(test_own_shm_names(), before);
  for (i = 0; i < 8; i++)
    ipc_shm_close(shm[i]);
  ck_assert_int_eq(test_own_shm_names(), before);
}
END_TEST

void add_anonymous_cases(Suite *suite) {
  TCase *tc = tcase_create("anonymous");
  tcase_add_test(tc, anonymous_views_share_memory);
  tcase_add_test(tc, anonymous_native_handle_maps_the_same_object);
  tcase_add_test(tc, anonymous_bad_arguments);
  tcase_add_test(tc, anonymous_close_releases_everything);
  tcase_add_test(tc, anonymous_leaves_no_name);
  suite_add_tcase(suite, tc);
}
