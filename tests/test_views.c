/* SPDX-License-Identifier: MIT */
/* Views: offsets, lengths, several at once, access, flush, unmap. */
#include "testutil.h"

#include <string.h>

static ipc_shm_t *make_segment(uint64_t size) {
  ipc_shm_t *shm;
  ck_assert_err(ipc_shm_create_anonymous(&shm, size, 0), 0);
  return shm;
}

/* Unaligned offsets: the library aligns and hands back the exact address. */
START_TEST(unaligned_offsets_give_exact_addresses) {
  const size_t g = ipc_shm_granularity();
  const uint64_t size = 4 * (uint64_t)g;
  ipc_shm_t *shm = make_segment(size);
  ipc_shm_view_t *whole, *part, *tail;
  unsigned char *data;
  uint64_t i;
  ck_assert_err(ipc_shm_map(&whole, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
  data = ipc_shm_view_data(whole);
  for (i = 0; i < size; i++)
    data[i] = (unsigned char)(i * 7 + i / 251);
  ck_assert_err(ipc_shm_map(&part, shm, g + 123, 1000, IPC_SHM_MAP_READ), 0);
  ck_assert_uint_eq(ipc_shm_view_size(part), 1000);
  ck_assert_mem_eq(ipc_shm_view_data(part), data + g + 123, 1000);
  ck_assert_err(ipc_shm_map(&tail, shm, size - 1, 0, IPC_SHM_MAP_READ), 0);
  ck_assert_uint_eq(ipc_shm_view_size(tail), 1);
  ck_assert_uint_eq(*(unsigned char *)ipc_shm_view_data(tail), data[size - 1]);
  ipc_shm_unmap(tail);
  ipc_shm_unmap(part);
  ipc_shm_unmap(whole);
  ipc_shm_close(shm);
}
END_TEST

START_TEST(ranges_outside_the_segment) {
  ipc_shm_t *shm = make_segment(10000);
  ipc_shm_view_t *view = (ipc_shm_view_t *)&view;
  test_resources_t before = test_resources();
  int at_end = ipc_shm_map(&view, shm, 10000, 0, IPC_SHM_MAP_READ);
  int past_end = ipc_shm_map(&view, shm, 20000, 1, IPC_SHM_MAP_READ);
  int too_long = ipc_shm_map(&view, shm, 0, 10001, IPC_SHM_MAP_READ);
  int crossing = ipc_shm_map(&view, shm, 9999, 2, IPC_SHM_MAP_READ);
  int huge_offset = ipc_shm_map(&view, shm, UINT64_MAX, 1, IPC_SHM_MAP_READ);
  int huge_length = ipc_shm_map(&view, shm, 1, SIZE_MAX, IPC_SHM_MAP_READ);
  ck_assert_no_leak(before);
  ck_assert_err(at_end, IPC_SHM_E_RANGE);
  ck_assert_err(past_end, IPC_SHM_E_RANGE);
  ck_assert_err(too_long, IPC_SHM_E_RANGE);
  ck_assert_err(crossing, IPC_SHM_E_RANGE);
  ck_assert_err(huge_offset, IPC_SHM_E_RANGE);
  ck_assert_err(huge_length, IPC_SHM_E_RANGE);
  ck_assert_ptr_null(view);
  ipc_shm_close(shm);
}
END_TEST

START_TEST(bad_view_arguments) {
  ipc_shm_t *shm = make_segment(4096);
  ipc_shm_view_t *view = (ipc_shm_view_t *)&view;
  test_resources_t before = test_resources();
  int null_out = ipc_shm_map(NULL, shm, 0, 0, IPC_SHM_MAP_READ);
  int null_shm = ipc_shm_map(&view, NULL, 0, 0, IPC_SHM_MAP_READ);
  int bad_access = ipc_shm_map(&view, shm, 0, 0, (ipc_shm_access_t)0);
  int bad_access2 = ipc_shm_map(&view, shm, 0, 0, (ipc_shm_access_t)4);
  int unmap_null = ipc_shm_unmap(NULL);
  int flush_null = ipc_shm_flush(NULL, 0, 0);
  ck_assert_no_leak(before);
  ck_assert_err(null_out, IPC_SHM_E_INVAL);
  ck_assert_err(null_shm, IPC_SHM_E_INVAL);
  ck_assert_err(bad_access, IPC_SHM_E_INVAL);
  ck_assert_err(bad_access2, IPC_SHM_E_INVAL);
  ck_assert_err(unmap_null, IPC_SHM_E_INVAL);
  ck_assert_err(flush_null, IPC_SHM_E_INVAL);
  ck_assert_ptr_null(view);
  ck_assert_ptr_null(ipc_shm_view_data(NULL));
  ck_assert_uint_eq(ipc_shm_view_size(NULL), 0);
  ipc_shm_close(shm);
}
END_TEST

/* Copy-on-write views keep their writes to themselves. */
START_TEST(copy_on_write_is_private) {
  ipc_shm_t *shm = make_segment(8192);
  ipc_shm_view_t *shared, *copy, *other_copy;
  ck_assert_err(ipc_shm_map(&shared, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
  memcpy(ipc_shm_view_data(shared), "before", 6);
  ck_assert_err(ipc_shm_map(&copy, shm, 0, 0, IPC_SHM_MAP_COPY), 0);
  ck_assert_err(ipc_shm_map(&other_copy, shm, 0, 0, IPC_SHM_MAP_COPY), 0);
  ck_assert_mem_eq(ipc_shm_view_data(copy), "before", 6);
  memcpy(ipc_shm_view_data(copy), "mine!!", 6);
  ck_assert_mem_eq(ipc_shm_view_data(shared), "before", 6);
  ck_assert_mem_eq(ipc_shm_view_data(other_copy), "before", 6);
  ipc_shm_unmap(other_copy);
  ipc_shm_unmap(copy);
  ipc_shm_unmap(shared);
  ipc_shm_close(shm);
}
END_TEST

/* A view outlives its segment's handle and keeps the memory. */
START_TEST(views_outlive_the_segment) {
  ipc_shm_t *shm = make_segment(4096);
  ipc_shm_view_t *view;
  ck_assert_err(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
  ck_assert_err(ipc_shm_close(shm), 0);
  memcpy(ipc_shm_view_data(view), "still here", 10);
  ck_assert_mem_eq(ipc_shm_view_data(view), "still here", 10);
  ck_assert_err(ipc_shm_unmap(view), 0);
}
END_TEST

START_TEST(flush_ranges) {
  ipc_shm_t *shm = make_segment(10000);
  ipc_shm_view_t *view, *ro;
  ck_assert_err(ipc_shm_map(&view, shm, 5000, 0, IPC_SHM_MAP_WRITE), 0);
  ck_assert_err(ipc_shm_flush(view, 0, 0), 0);
  ck_assert_err(ipc_shm_flush(view, 100, 50), 0);
  ck_assert_err(ipc_shm_flush(view, 4999, 1), 0);
  ck_assert_err(ipc_shm_flush(view, 5000, 0), IPC_SHM_E_RANGE);
  ck_assert_err(ipc_shm_flush(view, 4999, 2), IPC_SHM_E_RANGE);
  ck_assert_err(ipc_shm_flush(view, 0, SIZE_MAX), IPC_SHM_E_RANGE);
  ck_assert_err(ipc_shm_map(&ro, shm, 0, 0, IPC_SHM_MAP_READ), 0);
  ck_assert_err(ipc_shm_flush(ro, 0, 0), 0);
  ipc_shm_unmap(ro);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
}
END_TEST

START_TEST(many_views_map_and_unmap_cleanly) {
  ipc_shm_t *shm = make_segment(1 << 20);
  ipc_shm_view_t *views[64];
  test_resources_t before = test_resources();
  int i, failures = 0;
  for (i = 0; i < 64; i++)
    failures += ipc_shm_map(&views[i], shm, (uint64_t)i * 4099, 1000,
                            i % 2 ? IPC_SHM_MAP_WRITE : IPC_SHM_MAP_READ) != 0;
  for (i = 0; i < 64 && failures == 0; i++)
    failures += ipc_shm_unmap(views[i]) != 0;
  ck_assert_no_leak(before);
  ck_assert_int_eq(failures, 0);
  ipc_shm_close(shm);
}
END_TEST

void add_view_cases(Suite *suite) {
  TCase *tc = tcase_create("views");
  tcase_add_test(tc, unaligned_offsets_give_exact_addresses);
  tcase_add_test(tc, ranges_outside_the_segment);
  tcase_add_test(tc, bad_view_arguments);
  tcase_add_test(tc, copy_on_write_is_private);
  tcase_add_test(tc, views_outlive_the_segment);
  tcase_add_test(tc, flush_ranges);
  tcase_add_test(tc, many_views_map_and_unmap_cleanly);
  suite_add_tcase(suite, tc);
}
