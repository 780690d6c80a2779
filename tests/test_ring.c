/* SPDX-License-Identifier: MIT */
/* A channel's ring and control area (src/common/ring.c, channel.c) against
 * a hostile peer that writes any value there, and at the edges of the
 * rules: indices that are no record's place, sizes that overflow the
 * checks, records running past the ring's end, a ring larger than its
 * segment, messages that fit exactly, a receiver that came and went, a
 * receiver that comes after its sender left. Every such case is a clear
 * error, never an access outside the ring. */
#include "testutil.h"

#include "../src/common/atomic.h"

#include <stdio.h>
#include <string.h>

#ifndef _WIN32
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

/* Layout 1 (README.md). */
#define AT_CAPACITY 16
#define AT_MAX_MESSAGE 24
#define AT_WRITE 64
#define AT_READ 128
#define RING 4096u

static uint64_t *u64_at(ipc_shm_view_t *view, size_t offset) {
  return (uint64_t *)(void *)((unsigned char *)ipc_shm_view_data(view) + offset);
}

/* A named channel of a 4 KiB ring, closed by both sides, with the segment
 * kept open and its control area mapped: what a hostile peer finds. */
typedef struct left_channel {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *keep;
  ipc_shm_view_t *view;
} left_channel_t;

static void left_channel(left_channel_t *lc, size_t max_message) {
  ipc_shm_channel_t *tx;
  ck_assert_err(ipc_shm_channel_create(&tx, test_name(lc->name, "rg"), max_message, RING,
                                       IPC_SHM_CHANNEL_SENDER), 0);
  ck_assert_err(ipc_shm_open(&lc->keep, lc->name, 0), 0);
  ck_assert_err(ipc_shm_channel_close(tx), 0);
  ck_assert_err(ipc_shm_map(&lc->view, lc->keep, 0, 0, IPC_SHM_MAP_WRITE), 0);
}

static void left_channel_end(left_channel_t *lc) {
  ck_assert_err(ipc_shm_unmap(lc->view), 0);
  ck_assert_err(ipc_shm_close(lc->keep), 0);
  test_remove_name(lc->name);
}

static int attach_as(left_channel_t *lc, unsigned role, ipc_shm_channel_t **ch) {
  return ipc_shm_channel_attach(ch, lc->keep, role);
}

/* Indices that are not multiples of 8 (no record starts there), or more
 * than a ring apart: CORRUPT at attach, for either role. */
START_TEST(indices_that_are_no_record_are_corrupt) {
  static const uint64_t cases[][2] = {
      {4093, 4093}, {4101, 4093}, {1003, 1003}, {8, 16}, {8200, 8}, {4, 0}};
  left_channel_t lc;
  size_t i;
  left_channel(&lc, 100);
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ipc_shm_channel_t *ch = NULL;
    ipc_shm__store_seq_cst64(u64_at(lc.view, AT_WRITE), cases[i][0]);
    ipc_shm__store_seq_cst64(u64_at(lc.view, AT_READ), cases[i][1]);
    ck_assert_err(attach_as(&lc, IPC_SHM_CHANNEL_SENDER, &ch), IPC_SHM_E_CORRUPT);
    ck_assert_ptr_null(ch);
    ck_assert_err(attach_as(&lc, IPC_SHM_CHANNEL_RECEIVER, &ch), IPC_SHM_E_CORRUPT);
    ck_assert_ptr_null(ch);
  }
  left_channel_end(&lc);
}
END_TEST

/* The same values written while both sides are attached: each call fails
 * cleanly, and nothing is written or read outside the ring (the sanitizer
 * trees would see it). */
START_TEST(indices_scribbled_while_attached_are_corrupt) {
  static const uint64_t values[] = {4093, 4101, 1003, 12, (uint64_t)1 << 40, UINT64_MAX - 3};
  left_channel_t lc;
  ipc_shm_channel_t *tx, *rx;
  unsigned char message[24] = {0}, buffer[128];
  const void *data;
  void *space;
  size_t size, i;
  left_channel(&lc, 100);
  ck_assert_err(attach_as(&lc, IPC_SHM_CHANNEL_SENDER, &tx), 0);
  ck_assert_err(attach_as(&lc, IPC_SHM_CHANNEL_RECEIVER, &rx), 0);
  for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
    /* A receiver's read index: the sender's next reservation is CORRUPT
     * once it looks (a full ring makes it look). */
    uint64_t saved = ipc_shm__load_seq_cst64(u64_at(lc.view, AT_READ));
    int err;
    ipc_shm__store_seq_cst64(u64_at(lc.view, AT_READ), values[i]);
    do
      err = ipc_shm_channel_send(tx, message, sizeof(message), 0);
    while (err == 0);
    ck_assert_msg(err == IPC_SHM_E_CORRUPT, "read index %llu: send %s",
                  (unsigned long long)values[i], ipc_shm_err_name(err));
    ck_assert_err(ipc_shm_channel_reserve(tx, 8, &space, 0), IPC_SHM_E_CORRUPT);
    ck_assert_ptr_null(space);
    ipc_shm__store_seq_cst64(u64_at(lc.view, AT_READ), saved);
    /* Drain, then a sender's write index. */
    while (ipc_shm_channel_receive(rx, buffer, sizeof(buffer), &size, 0) == 0) {
    }
    saved = ipc_shm__load_seq_cst64(u64_at(lc.view, AT_WRITE));
    ipc_shm__store_seq_cst64(u64_at(lc.view, AT_WRITE), values[i]);
    ck_assert_err(ipc_shm_channel_peek(rx, &data, &size, 0), IPC_SHM_E_CORRUPT);
    ck_assert_ptr_null(data);
    ipc_shm__store_seq_cst64(u64_at(lc.view, AT_WRITE), saved);
  }
  ck_assert_err(ipc_shm_channel_close(rx), 0);
  ck_assert_err(ipc_shm_channel_close(tx), 0);
  left_channel_end(&lc);
}
END_TEST

/* Sizes that would overflow the attach check (twice the largest record
 * must fit the ring), or a message length a record cannot carry: CORRUPT,
 * never a channel that reports such a size. */
START_TEST(huge_max_message_is_corrupt) {
  static const uint64_t values[] = {((uint64_t)1 << 63) - 8, (uint64_t)1 << 63,
                                    UINT64_MAX - 7, UINT64_MAX, (uint64_t)1 << 32,
                                    RING / 2 - 7, RING};
  left_channel_t lc;
  size_t i;
  left_channel(&lc, 100);
  for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
    ipc_shm_channel_t *ch = NULL;
    ipc_shm__store_seq_cst64(u64_at(lc.view, AT_MAX_MESSAGE), values[i]);
    ck_assert_msg(attach_as(&lc, IPC_SHM_CHANNEL_SENDER, &ch) == IPC_SHM_E_CORRUPT,
                  "max message %llu", (unsigned long long)values[i]);
    ck_assert_ptr_null(ch);
  }
  /* The largest that fits: half the ring less a record header. */
  ipc_shm__store_seq_cst64(u64_at(lc.view, AT_MAX_MESSAGE), RING / 2 - 8);
  {
    ipc_shm_channel_t *ch;
    ck_assert_err(attach_as(&lc, IPC_SHM_CHANNEL_SENDER, &ch), 0);
    ck_assert_uint_eq(ipc_shm_channel_max_message(ch), RING / 2 - 8);
    ck_assert_err(ipc_shm_channel_close(ch), 0);
  }
  left_channel_end(&lc);
}
END_TEST

/* A capacity that is a power of two within the limits but larger than the
 * segment: CORRUPT. */
START_TEST(a_ring_larger_than_its_segment_is_corrupt) {
  left_channel_t lc;
  ipc_shm_channel_t *ch = NULL;
  left_channel(&lc, 100);
  ipc_shm__store_seq_cst64(u64_at(lc.view, AT_CAPACITY), 2 * RING);
  ck_assert_err(attach_as(&lc, IPC_SHM_CHANNEL_RECEIVER, &ch), IPC_SHM_E_CORRUPT);
  ck_assert_ptr_null(ch);
  left_channel_end(&lc);
}
END_TEST

/* A record near the ring's end whose length runs past it: CORRUPT. */
START_TEST(a_record_past_the_end_is_corrupt) {
  left_channel_t lc;
  ipc_shm_channel_t *tx, *rx;
  unsigned char message[8] = {1}, *ring;
  const void *data;
  size_t size;
  uint32_t record[2];
  left_channel(&lc, 100);
  ck_assert_err(attach_as(&lc, IPC_SHM_CHANNEL_SENDER, &tx), 0);
  ck_assert_err(attach_as(&lc, IPC_SHM_CHANNEL_RECEIVER, &rx), 0);
  /* 255 messages of 16 bytes fill the ring to 16 bytes before its end. */
  {
    int n;
    for (n = 0; n < 255; n++) {
      ck_assert_err(ipc_shm_channel_send(tx, message, sizeof(message), 0), 0);
      ck_assert_err(ipc_shm_channel_receive(rx, message, sizeof(message), &size, 0), 0);
    }
  }
  ck_assert_err(ipc_shm_channel_send(tx, message, sizeof(message), 0), 0);
  ring = (unsigned char *)ipc_shm_view_data(lc.view) + IPC_SHM_CHANNEL_HEADER;
  memcpy(record, ring + RING - 16, sizeof(record));
  ck_assert_uint_eq(record[0], 8);
  record[0] = 64; /* runs 56 bytes past the end */
  memcpy(ring + RING - 16, record, sizeof(record));
  ck_assert_err(ipc_shm_channel_peek(rx, &data, &size, 0), IPC_SHM_E_CORRUPT);
  ck_assert_ptr_null(data);
  ck_assert_err(ipc_shm_channel_close(rx), 0);
  ck_assert_err(ipc_shm_channel_close(tx), 0);
  left_channel_end(&lc);
}
END_TEST

/* A message whose record exactly fills the space left before the ring's
 * end goes in at once, with timeout 0: exactly enough room is room. */
START_TEST(a_message_that_exactly_fits_is_sent) {
  ipc_shm_channel_t *tx, *rx;
  unsigned char message[2040], buffer[2040];
  size_t size;
  memset(message, 5, sizeof(message));
  ck_assert_err(ipc_shm_channel_create_anonymous(&tx, 2040, RING, IPC_SHM_CHANNEL_SENDER), 0);
  ck_assert_err(ipc_shm_channel_attach(&rx, ipc_shm_channel_segment(tx), IPC_SHM_CHANNEL_RECEIVER),
                0);
  /* Two records of 2048 bytes fill the 4 KiB ring exactly. */
  ck_assert_err(ipc_shm_channel_send(tx, message, 2040, 0), 0);
  ck_assert_err(ipc_shm_channel_send(tx, message, 2040, 0), 0);
  ck_assert_err(ipc_shm_channel_send(tx, message, 8, 0), IPC_SHM_E_TIMEOUT);
  ck_assert_err(ipc_shm_channel_receive(rx, buffer, sizeof(buffer), &size, 0), 0);
  ck_assert_uint_eq(size, 2040);
  /* 2048 bytes free, at the start of the ring: 2040 fits exactly. */
  ck_assert_err(ipc_shm_channel_send(tx, message, 2040, 0), 0);
  ck_assert_err(ipc_shm_channel_receive(rx, buffer, sizeof(buffer), &size, 0), 0);
  ck_assert_err(ipc_shm_channel_receive(rx, buffer, sizeof(buffer), &size, 0), 0);
  ck_assert_int_eq(memcmp(buffer, message, 2040), 0);
  ck_assert_err(ipc_shm_channel_close(rx), 0);
  ck_assert_err(ipc_shm_channel_close(tx), 0);
}
END_TEST

/* A receiver that attaches and closes between two sends was a receiver:
 * the sender's next send is DISCONNECTED. */
START_TEST(a_receiver_that_came_and_went_is_seen) {
  ipc_shm_channel_t *tx, *rx;
  unsigned char message[8] = {0};
  ck_assert_err(ipc_shm_channel_create_anonymous(&tx, 64, 0, IPC_SHM_CHANNEL_SENDER), 0);
  /* No receiver yet: the sender fills the ring for the one to come. */
  ck_assert_err(ipc_shm_channel_send(tx, message, sizeof(message), 0), 0);
  ck_assert_err(ipc_shm_channel_attach(&rx, ipc_shm_channel_segment(tx), IPC_SHM_CHANNEL_RECEIVER),
                0);
  ck_assert_err(ipc_shm_channel_close(rx), 0);
  ck_assert_err(ipc_shm_channel_send(tx, message, sizeof(message), 0), IPC_SHM_E_DISCONNECTED);
  ck_assert_err(ipc_shm_channel_close(tx), 0);
}
END_TEST

/* A receiver that comes after its sender closed takes what is there, then
 * hears DISCONNECTED at once rather than waiting. */
START_TEST(a_receiver_after_its_sender_left_is_told) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_channel_t *tx, *rx;
  unsigned char message[8] = {3}, buffer[8];
  size_t size;
  double start;
  ck_assert_err(ipc_shm_channel_create(&tx, test_name(name, "ra"), 64, 0,
                                       IPC_SHM_CHANNEL_SENDER), 0);
  ck_assert_err(ipc_shm_channel_send(tx, message, sizeof(message), 0), 0);
  {
    ipc_shm_t *keep;
    ck_assert_err(ipc_shm_open(&keep, name, 0), 0); /* Windows: keeps the name */
    ck_assert_err(ipc_shm_channel_close(tx), 0);
    ck_assert_err(ipc_shm_channel_open(&rx, name, IPC_SHM_CHANNEL_RECEIVER), 0);
    ck_assert_err(ipc_shm_close(keep), 0);
  }
  ck_assert_err(ipc_shm_channel_receive(rx, buffer, sizeof(buffer), &size, 10000), 0);
  ck_assert_uint_eq(size, sizeof(message));
  start = test_seconds();
  ck_assert_err(ipc_shm_channel_receive(rx, buffer, sizeof(buffer), &size, 10000),
                IPC_SHM_E_DISCONNECTED);
  ck_assert_msg(test_seconds() - start < 5.0, "it waited instead of hearing");
  ck_assert_err(ipc_shm_channel_close(rx), 0);
  test_remove_name(name);
}
END_TEST

/* Creating a channel for messages a record's 32-bit length cannot carry is
 * refused. */
START_TEST(messages_over_4_gib_are_refused) {
  ipc_shm_channel_t *ch = NULL;
  if (sizeof(size_t) > 4) {
    size_t too_big = (size_t)IPC_SHM_CHANNEL_MESSAGE_MAX + 1;
    ck_assert_err(ipc_shm_channel_create_anonymous(&ch, too_big, 0, IPC_SHM_CHANNEL_SENDER),
                  IPC_SHM_E_INVAL);
    ck_assert_ptr_null(ch);
  }
  ck_assert_err(ipc_shm_channel_create_anonymous(&ch, SIZE_MAX, 0, IPC_SHM_CHANNEL_SENDER),
                IPC_SHM_E_INVAL);
  ck_assert_ptr_null(ch);
}
END_TEST

#ifndef _WIN32
/* An object under the channel's name that was never sized: WRONG_KIND (after
 * the wait for a creator that sizes it), not RANGE. */
START_TEST(an_empty_object_is_no_channel) {
  char name[IPC_SHM_NAME_MAX + 1], path[64];
  ipc_shm_channel_t *ch = NULL;
  int fd;
  snprintf(path, sizeof(path), "/%s", test_name(name, "re"));
  fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  ck_assert_int_ge(fd, 0);
  close(fd);
  ck_assert_err(ipc_shm_channel_open(&ch, name, IPC_SHM_CHANNEL_RECEIVER),
                IPC_SHM_E_WRONG_KIND);
  ck_assert_ptr_null(ch);
  ck_assert_int_eq(shm_unlink(path), 0);
}
END_TEST
#endif

#if TEST_LINUX
/* Linux: nobody handed an anonymous channel's segment can shrink it under
 * its users (a touch past the new end would be SIGBUS): the memfd is
 * sealed against shrinking. */
START_TEST(an_anonymous_channel_cannot_be_shrunk) {
  ipc_shm_channel_t *ch;
  int fd;
  ck_assert_err(ipc_shm_channel_create_anonymous(&ch, 64, 0, IPC_SHM_CHANNEL_SENDER), 0);
  fd = dup(ipc_shm_native_handle(ipc_shm_channel_segment(ch)));
  ck_assert_int_ge(fd, 0);
  {
    int failed = ftruncate(fd, 0) != 0, error = errno;
    ck_assert(failed);
    ck_assert_int_eq(error, EPERM);
  }
  close(fd);
  ck_assert_err(ipc_shm_channel_close(ch), 0);
}
END_TEST
#endif

void add_ring_cases(Suite *suite) {
  TCase *tc = tcase_create("channel_hostile");
  tcase_add_test(tc, indices_that_are_no_record_are_corrupt);
  tcase_add_test(tc, indices_scribbled_while_attached_are_corrupt);
  tcase_add_test(tc, huge_max_message_is_corrupt);
  tcase_add_test(tc, a_ring_larger_than_its_segment_is_corrupt);
  tcase_add_test(tc, a_record_past_the_end_is_corrupt);
  tcase_add_test(tc, a_message_that_exactly_fits_is_sent);
  tcase_add_test(tc, a_receiver_that_came_and_went_is_seen);
  tcase_add_test(tc, a_receiver_after_its_sender_left_is_told);
  tcase_add_test(tc, messages_over_4_gib_are_refused);
#ifndef _WIN32
  tcase_add_test(tc, an_empty_object_is_no_channel);
#endif
#if TEST_LINUX
  tcase_add_test(tc, an_anonymous_channel_cannot_be_shrunk);
#endif
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);
}
