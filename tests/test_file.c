/* SPDX-License-Identifier: MIT */
/* File-backed segments: map, create, extend, flush to disk. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

static void write_file(const char *path, const char *text) {
  FILE *f = test_fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
  ck_assert_int_eq(fclose(f), 0);
}

/* The file's length, or -1 when it does not exist. */
static long long file_length(const char *path) {
  FILE *f = test_fopen(path, "rb");
  long long n;
  if (f == NULL)
    return -1;
  fseek(f, 0, SEEK_END);
  n = (long long)ftell(f);
  fclose(f);
  return n;
}

static void read_file_at(const char *path, long offset, char *out, size_t n) {
  FILE *f = test_fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(fseek(f, offset, SEEK_SET), 0);
  ck_assert_uint_eq(fread(out, 1, n, f), n);
  fclose(f);
}

START_TEST(create_file_write_flush_read_back) {
  char path[128];
  char back[16];
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  test_file(path, sizeof(path), "new");
  ck_assert_err(ipc_shm_open_file(&shm, path, 10000, IPC_SHM_FILE_CREATE), 0);
  ck_assert_uint_eq(ipc_shm_size(shm), 10000);
  ck_assert_int_eq(ipc_shm_size_is_exact(shm), 1);
  ck_assert_ptr_null(ipc_shm_name(shm));
  ck_assert_int_eq(file_length(path), 10000);
  ck_assert_err(ipc_shm_map(&view, shm, 9000, 0, IPC_SHM_MAP_WRITE), 0);
  memcpy((char *)ipc_shm_view_data(view) + 500, "on the disk", 11);
  ck_assert_err(ipc_shm_flush(view, 500, 11), 0);
  read_file_at(path, 9500, back, 11);
  ck_assert_mem_eq(back, "on the disk", 11);
  ck_assert_err(ipc_shm_unmap(view), 0);
  ck_assert_err(ipc_shm_close(shm), 0);
  ck_assert_int_eq(remove(path), 0);
}
END_TEST

START_TEST(map_existing_file_whole_and_part) {
  char path[128];
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  test_file(path, sizeof(path), "old");
  write_file(path, "0123456789abcdef");
  ck_assert_err(ipc_shm_open_file(&shm, path, 0, IPC_SHM_READONLY), 0);
  ck_assert_uint_eq(ipc_shm_size(shm), 16);
  ck_assert_int_eq(ipc_shm_is_writable(shm), 0);
  ck_assert_err(ipc_shm_map(&view, shm, 10, 0, IPC_SHM_MAP_READ), 0);
  ck_assert_uint_eq(ipc_shm_view_size(view), 6);
  ck_assert_mem_eq(ipc_shm_view_data(view), "abcdef", 6);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  /* A smaller size maps only the start of the file. */
  ck_assert_err(ipc_shm_open_file(&shm, path, 4, 0), 0);
  ck_assert_uint_eq(ipc_shm_size(shm), 4);
  ck_assert_err(ipc_shm_map(&view, shm, 0, 5, IPC_SHM_MAP_READ), IPC_SHM_E_RANGE);
  ipc_shm_close(shm);
  ck_assert_int_eq(file_length(path), 16);
  ck_assert_int_eq(remove(path), 0);
}
END_TEST

START_TEST(extend_existing_file) {
  char path[128];
  char back[8];
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  test_file(path, sizeof(path), "ext");
  write_file(path, "head");
  ck_assert_err(ipc_shm_open_file(&shm, path, 70000, 0), 0);
  ck_assert_int_eq(file_length(path), 70000);
  ck_assert_err(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
  ck_assert_mem_eq(ipc_shm_view_data(view), "head", 4);
  ck_assert_uint_eq(((unsigned char *)ipc_shm_view_data(view))[69999], 0);
  memcpy((char *)ipc_shm_view_data(view) + 69996, "tail", 4);
  ck_assert_err(ipc_shm_flush(view, 0, 0), 0);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  read_file_at(path, 69996, back, 4);
  ck_assert_mem_eq(back, "tail", 4);
  ck_assert_int_eq(remove(path), 0);
}
END_TEST

/* Read-only file segments: no write view, private copy-on-write views, and
 * no growing. */
START_TEST(read_only_file) {
  char path[128];
  char back[8];
  ipc_shm_t *shm, *other = (ipc_shm_t *)&other;
  ipc_shm_view_t *view = (ipc_shm_view_t *)&view, *copy;
  test_resources_t before;
  int err_write, err_grow;
  test_file(path, sizeof(path), "ro");
  write_file(path, "read only text");
  ck_assert_err(ipc_shm_open_file(&shm, path, 0, IPC_SHM_READONLY), 0);
  before = test_resources();
  err_write = ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE);
  err_grow = ipc_shm_open_file(&other, path, 100, IPC_SHM_READONLY);
  ck_assert_no_leak(before);
  ck_assert_err(err_write, IPC_SHM_E_ACCESS);
  ck_assert_err(err_grow, IPC_SHM_E_SIZE_MISMATCH);
  ck_assert_ptr_null(view);
  ck_assert_ptr_null(other);
  ck_assert_err(ipc_shm_map(&copy, shm, 0, 0, IPC_SHM_MAP_COPY), 0);
  memcpy(ipc_shm_view_data(copy), "READ", 4);
  ck_assert_mem_eq(ipc_shm_view_data(copy), "READ only text", 14);
  ck_assert_err(ipc_shm_flush(copy, 0, 0), 0);
  ipc_shm_unmap(copy);
  ipc_shm_close(shm);
  read_file_at(path, 0, back, 4);
  ck_assert_mem_eq(back, "read", 4);
  ck_assert_int_eq(file_length(path), 14);
  ck_assert_int_eq(remove(path), 0);
}
END_TEST

/* Files over 4 GiB: the size and an offset above 4 GiB travel whole. */
START_TEST(file_over_4gib) {
  char path[128];
  char back[16];
  const uint64_t four_gib = (uint64_t)1 << 32;
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  FILE *f;
  test_file(path, sizeof(path), "big");
  ck_assert_err(ipc_shm_open_file(&shm, path, four_gib + 65536, IPC_SHM_FILE_CREATE), 0);
  ck_assert_uint_eq(ipc_shm_size(shm), four_gib + 65536);
  ck_assert_err(ipc_shm_map(&view, shm, four_gib + 10, 100, IPC_SHM_MAP_WRITE), 0);
  memcpy(ipc_shm_view_data(view), "far away", 8);
  ck_assert_err(ipc_shm_flush(view, 0, 0), 0);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  f = test_fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  /* fseek takes a long, which is 32 bits on Windows: walk there. */
  ck_assert_int_eq(fseek(f, 1L << 30, SEEK_SET), 0);
  ck_assert_int_eq(fseek(f, 1L << 30, SEEK_CUR), 0);
  ck_assert_int_eq(fseek(f, 1L << 30, SEEK_CUR), 0);
  ck_assert_int_eq(fseek(f, 1L << 30, SEEK_CUR), 0);
  ck_assert_int_eq(fseek(f, 10, SEEK_CUR), 0);
  ck_assert_uint_eq(fread(back, 1, 8, f), 8);
  fclose(f);
  ck_assert_mem_eq(back, "far away", 8);
  ck_assert_int_eq(remove(path), 0);
}
END_TEST

START_TEST(bad_file_arguments) {
  char missing[128], empty[128], fresh[128];
  ipc_shm_t *shm = (ipc_shm_t *)&shm;
  test_resources_t before;
  int err_missing, err_null_path, err_null_out, err_empty_path, err_empty_file,
      err_new_empty, err_ro_create, err_flags, err_big;
  test_file(missing, sizeof(missing), "missing");
  test_file(empty, sizeof(empty), "empty");
  test_file(fresh, sizeof(fresh), "fresh");
  write_file(empty, "");
  before = test_resources();
  err_missing = ipc_shm_open_file(&shm, missing, 0, 0);
  err_null_path = ipc_shm_open_file(&shm, NULL, 0, 0);
  err_null_out = ipc_shm_open_file(NULL, empty, 0, 0);
  err_empty_path = ipc_shm_open_file(&shm, "", 0, 0);
  err_empty_file = ipc_shm_open_file(&shm, empty, 0, 0);
  /* Created by the call, then refused: the call removes it again. */
  err_new_empty = ipc_shm_open_file(&shm, fresh, 0, IPC_SHM_FILE_CREATE);
  err_ro_create = ipc_shm_open_file(&shm, fresh, 100, IPC_SHM_READONLY | IPC_SHM_FILE_CREATE);
  err_flags = ipc_shm_open_file(&shm, empty, 100, IPC_SHM_GLOBAL);
  err_big = ipc_shm_open_file(&shm, empty, UINT64_MAX, 0);
  ck_assert_no_leak(before);
  ck_assert_err(err_missing, IPC_SHM_E_NOT_FOUND);
  ck_assert_err(err_null_path, IPC_SHM_E_INVAL);
  ck_assert_err(err_null_out, IPC_SHM_E_INVAL);
  ck_assert_err(err_empty_path, IPC_SHM_E_NOT_FOUND);
  ck_assert_err(err_empty_file, IPC_SHM_E_SIZE_ZERO);
  ck_assert_err(err_new_empty, IPC_SHM_E_SIZE_ZERO);
  ck_assert_err(err_ro_create, IPC_SHM_E_INVAL);
  ck_assert_err(err_flags, IPC_SHM_E_INVAL);
  ck_assert_err(err_big, IPC_SHM_E_SIZE_TOO_BIG);
  ck_assert_ptr_null(shm);
  ck_assert_int_eq(file_length(missing), -1);
  ck_assert_int_eq(file_length(fresh), -1);
  ck_assert_int_eq(file_length(empty), 0);
  ck_assert_int_eq(remove(empty), 0);
}
END_TEST

START_TEST(file_close_releases_everything) {
  char path[128];
  test_resources_t before = test_resources();
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  int err_open = ipc_shm_open_file(&shm, test_file(path, sizeof(path), "rel"), 5000,
                                   IPC_SHM_FILE_CREATE);
  int err_map = err_open == 0 ? ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE) : -99;
  int err_unmap = err_map == 0 ? ipc_shm_unmap(view) : -99;
  int err_close = err_open == 0 ? ipc_shm_close(shm) : -99;
  ck_assert_no_leak(before);
  ck_assert_err(err_open, 0);
  ck_assert_err(err_map, 0);
  ck_assert_err(err_unmap, 0);
  ck_assert_err(err_close, 0);
  /* Nothing holds the file any more: it can be deleted. */
  ck_assert_int_eq(remove(path), 0);
}
END_TEST

void add_file_cases(Suite *suite) {
  TCase *tc = tcase_create("file");
  tcase_add_test(tc, create_file_write_flush_read_back);
  tcase_add_test(tc, map_existing_file_whole_and_part);
  tcase_add_test(tc, extend_existing_file);
  tcase_add_test(tc, read_only_file);
  tcase_add_test(tc, bad_file_arguments);
  tcase_add_test(tc, file_close_releases_everything);
  suite_add_tcase(suite, tc);

  tc = tcase_create("file_large");
  tcase_add_test(tc, file_over_4gib);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);
}
