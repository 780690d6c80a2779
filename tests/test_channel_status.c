/* SPDX-License-Identifier: MIT */
/* A channel seen from outside (ipc_shm_channel_status): its sizes, the
 * bytes waiting, and each role's holder, alive, dead, gone or never there;
 * and what a scribbled control area gives. */
#include "testutil.h"

#include <string.h>

#define MAX_MESSAGE 64

static ipc_shm_channel_status_t status_of(const ipc_shm_t *segment) {
  ipc_shm_channel_status_t status;
  ck_assert_err(ipc_shm_channel_status(segment, &status), 0);
  return status;
}

START_TEST(each_role_is_seen_from_outside) {
  char name[IPC_SHM_NAME_MAX + 1];
  const char *argv[] = {"helper", "channel-die", NULL, "receiver-attached", NULL};
  ipc_shm_channel_status_t status;
  ipc_shm_channel_t *tx;
  ipc_shm_t *seen; /* opened by name, read-only, as a tool would */
  test_proc_t *receiver;
  char message[10] = "123456789";

  ck_assert_err(ipc_shm_channel_create(&tx, test_name(name, "cs"), MAX_MESSAGE, 4096,
                                       IPC_SHM_CHANNEL_SENDER),
                0);
  ck_assert_err(ipc_shm_open(&seen, name, IPC_SHM_READONLY), 0);
  status = status_of(seen);
  ck_assert_uint_eq(status.layout, 1);
  ck_assert_uint_eq(status.capacity, 4096);
  ck_assert_uint_eq(status.max_message, MAX_MESSAGE);
  ck_assert_uint_eq(status.bytes_waiting, 0);
  ck_assert_int_eq(status.sender, IPC_SHM_PEER_ALIVE);
  ck_assert_uint_eq(status.sender_pid, test_own_pid());
  ck_assert_int_eq(status.receiver, IPC_SHM_PEER_NONE);
  ck_assert_uint_eq(status.receiver_pid, 0);

  /* A record: 8 bytes of header, the message rounded up to 8. */
  ck_assert_err(ipc_shm_channel_send(tx, message, sizeof(message), 0), 0);
  ck_assert_uint_eq(status_of(seen).bytes_waiting, 8 + 16);

  argv[2] = name;
  receiver = test_proc_start("ipcshm_tests", argv);
  test_expect_line(receiver, "attached");
  status = status_of(seen);
  ck_assert_int_eq(status.receiver, IPC_SHM_PEER_ALIVE);
  ck_assert_uint_eq(status.receiver_pid, test_proc_pid(receiver));

  /* Killed without closing: dead (reaped first, so that the code of the
   * other POSIX systems, which judges by process id, says so too). */
  test_proc_kill(receiver);
  ck_assert_int_ne(test_proc_wait(receiver), 0);
  ck_assert_int_eq(status_of(seen).receiver, IPC_SHM_PEER_DEAD);

  ck_assert_err(ipc_shm_channel_close(tx), 0);
  status = status_of(seen);
  ck_assert_int_eq(status.sender, IPC_SHM_PEER_LEFT);
  ck_assert_uint_eq(status.sender_pid, 0);
  ck_assert_uint_eq(status.bytes_waiting, 8 + 16); /* for the next receiver */
  ck_assert_err(ipc_shm_close(seen), 0);
  test_remove_name(name);
}
END_TEST

START_TEST(what_is_not_a_sound_channel_is_refused) {
  ipc_shm_channel_status_t status;
  ipc_shm_channel_t *ch;
  ipc_shm_view_t *view;
  ipc_shm_t *plain;
  const ipc_shm_t *segment;
  uint32_t *layout;
  uint64_t *capacity;

  ck_assert_err(ipc_shm_channel_status(NULL, &status), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_create_anonymous(&plain, 65536, 0), 0);
  ck_assert_err(ipc_shm_channel_status(plain, NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_channel_status(plain, &status), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_close(plain), 0);
  ck_assert_err(ipc_shm_create_anonymous(&plain, 100, 0), 0);
  ck_assert_err(ipc_shm_channel_status(plain, &status), IPC_SHM_E_WRONG_KIND);
  ck_assert_err(ipc_shm_close(plain), 0);

  ck_assert_err(ipc_shm_channel_create_anonymous(&ch, MAX_MESSAGE, 4096, IPC_SHM_CHANNEL_RECEIVER),
                0);
  segment = ipc_shm_channel_segment(ch);
  ck_assert_err(ipc_shm_map(&view, segment, 0, 4096, IPC_SHM_MAP_WRITE), 0);
  layout = (uint32_t *)((unsigned char *)ipc_shm_view_data(view) + 8);
  capacity = (uint64_t *)((unsigned char *)ipc_shm_view_data(view) + 16);
  ck_assert_err(ipc_shm_channel_status(segment, &status), 0);
  ck_assert_int_eq(status.receiver, IPC_SHM_PEER_ALIVE);
  *layout = 2;
  ck_assert_err(ipc_shm_channel_status(segment, &status), IPC_SHM_E_VERSION);
  *layout = 1;
  *capacity = 4095;
  ck_assert_err(ipc_shm_channel_status(segment, &status), IPC_SHM_E_CORRUPT);
  ck_assert_uint_eq(status.capacity, 0); /* nothing half filled */
  *capacity = 4096;
  ck_assert_err(ipc_shm_unmap(view), 0);
  ck_assert_err(ipc_shm_channel_close(ch), 0);
}
END_TEST

/* The tool's channel commands, as a shell uses them: a held channel,
 * messages from arguments and lines, by copy and in place, the control
 * area as info prints it, and the exit statuses of the failures. */
START_TEST(the_tool_moves_messages_and_shows_the_control_area) {
  char name[IPC_SHM_NAME_MAX + 1], out[1024], big[200];
  const char *create[] = {"channel", "create", NULL, "--max-message", "100",
                          "--capacity", "8k", "--hold", NULL};
  const char *recv_two[] = {"channel", "recv", NULL, "--lines", "--count", "2",
                            "--timeout", "20000", NULL};
  const char *send_one[] = {"channel", "send", NULL, "one", NULL};
  const char *send_lines[] = {"channel", "send", NULL, "--lines", "--zero-copy", NULL};
  const char *send_big[] = {"channel", "send", NULL, big, NULL};
  const char *send_now[] = {"channel", "send", NULL, "--timeout", "0", "x", NULL};
  const char *recv_in_place[] = {"channel", "recv", NULL, "--zero-copy", NULL};
  const char *recv_all[] = {"channel", "recv", NULL, "--count", "0", "--timeout", "100", NULL};
  const char *recv_one[] = {"channel", "recv", NULL, "--timeout", "100", NULL};
  const char *info[] = {"channel", "info", NULL, NULL};
  const char *bad[] = {"channel", "recv", NULL, "--hold", NULL};
  test_proc_t *holder, *receiver;
  int i, code;

  test_name(name, "ct");
  create[2] = recv_two[2] = send_one[2] = send_lines[2] = send_big[2] = send_now[2] = name;
  recv_in_place[2] = recv_all[2] = recv_one[2] = info[2] = bad[2] = name;
  holder = test_proc_start("ipc-shm", create);
  test_expect_line(holder, "ready");

  /* A receiver waiting before any sender came; one sender, two messages
   * (an empty line is none). */
  receiver = test_proc_start("ipc-shm", recv_two);
  ck_assert_int_eq(test_run("ipc-shm", send_lines, "one\n\ntwo\n", out, sizeof(out)), 0);
  ck_assert_int_eq(test_proc_read_all(receiver, out, sizeof(out) - 1), 8);
  out[8] = '\0';
  ck_assert_str_eq(out, "one\ntwo\n");
  ck_assert_int_eq(test_proc_wait(receiver), 0);

  /* Messages wait for a receiver to come. */
  ck_assert_int_eq(test_run("ipc-shm", send_one, NULL, out, sizeof(out)), 0);
  ck_assert_int_eq(test_run("ipc-shm", info, NULL, out, sizeof(out)), 0);
  ck_assert_msg(strstr(out, "kind: channel\nlayout: 1\ncapacity: 8192\nmax message: 100\n"
                            "bytes waiting: 16\nsender: left\nreceiver: left\n") != NULL,
                "%s", out);
  ck_assert_int_eq(test_run("ipc-shm", recv_in_place, NULL, out, sizeof(out)), 0);
  ck_assert_str_eq(out, "one");

  /* Until the sender is gone: nothing left is the end; one message
   * expected and none there is a failure. */
  ck_assert_int_eq(test_run("ipc-shm", recv_all, NULL, out, sizeof(out)), 0);
  ck_assert_int_eq(test_run_merged("ipc-shm", recv_one, NULL, out, sizeof(out)), 1);
  ck_assert_msg(strstr(out, "[DISCONNECTED]") != NULL, "%s", out);

  /* Too long for the channel; a full ring and no time to wait. */
  memset(big, 'b', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  ck_assert_int_eq(test_run_merged("ipc-shm", send_big, NULL, out, sizeof(out)), 1);
  ck_assert_msg(strstr(out, "1 to 100 bytes") != NULL, "%s", out);
  for (i = 0, code = 0; i < 1000 && code == 0; i++)
    code = test_run("ipc-shm", send_now, NULL, out, sizeof(out));
  ck_assert_int_eq(code, 124);
  ck_assert_int_eq(i - 1, 8192 / 16); /* every 16-byte record fitted */

  ck_assert_int_eq(test_run_merged("ipc-shm", bad, NULL, out, sizeof(out)), 2);
  test_proc_close_stdin(holder);
  ck_assert_int_eq(test_proc_wait(holder), 0);
  ck_assert_int_eq(test_segment_exists(name), 0);
}
END_TEST

void add_channel_status_cases(Suite *suite) {
  TCase *tc = tcase_create("channel_status");
  tcase_add_test(tc, each_role_is_seen_from_outside);
  tcase_add_test(tc, what_is_not_a_sound_channel_is_refused);
  tcase_add_test(tc, the_tool_moves_messages_and_shows_the_control_area);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);
}
