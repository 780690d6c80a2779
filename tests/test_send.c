/* SPDX-License-Identifier: MIT */
/* Sending segments over a local connection: between processes, malformed messages, a listener that died. */
#include "handover_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#endif

START_TEST(send_and_receive_between_processes) {
  char name[IPC_SHM_NAME_MAX + 1], line[256], text[64];
  ipc_shm_listener_t *listener;
  ipc_shm_conn_t *conn;
  ipc_shm_t *shm = anonymous_with("sent");
  ipc_shm_t *reply = NULL;
  test_proc_t *proc;
  test_resources_t before = test_resources();
  ck_assert_err(ipc_shm_listen(&listener, test_name(name, "ls")), 0);
  {
    const char *argv[] = {"helper", "receive", name, NULL};
    proc = test_proc_start("ipcshm_tests", argv);
  }
  ck_assert_err(ipc_shm_accept(listener, &conn), 0);
  ck_assert_uint_ne(ipc_shm_conn_peer_pid(conn), 0);
  ck_assert_err(ipc_shm_send(conn, shm, 0), 0);
  test_expect_line(proc, "got w 8192 sent write=OK raw=-");
  test_expect_line(proc, "sent OK");
  ck_assert_err(ipc_shm_receive(conn, &reply), 0);
  ck_assert_int_eq(ipc_shm_is_writable(reply), 1);
  ck_assert_uint_eq(ipc_shm_size(reply), SEG_SIZE);
  get(reply, TEXT_AT, text, sizeof(text));
  ck_assert_str_eq(text, "reply");
  ipc_shm_close(reply);
  get(shm, REPLY_AT, text, sizeof(text));
  ck_assert_str_eq(text, "written by the receiver");

  ck_assert_err(ipc_shm_send(conn, shm, IPC_SHM_READONLY), 0);
  ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
  {
    char expected[96];
    snprintf(expected, sizeof(expected), "got r 8192 sent write=ACCESS raw=%s", refused_here());
    ck_assert_str_eq(line, expected);
  }
  ck_assert_err(ipc_shm_conn_close(conn), 0);
  test_expect_line(proc, "end DISCONNECTED leak=none");
  ck_assert_int_eq(test_proc_wait(proc), 0);
  ck_assert_err(ipc_shm_listener_close(listener), 0);
  ck_assert_no_leak(before);
  ipc_shm_close(shm);
}
END_TEST

/* A listener that dies without closing leaves its name free: pipes and
 * abstract sockets go with it, a stale socket file is replaced. */
START_TEST(a_dead_listener_frees_its_name) {
  char name[IPC_SHM_NAME_MAX + 1], out[64];
  ipc_shm_listener_t *listener = NULL;
  ipc_shm_conn_t *server, *client;
  ipc_shm_t *shm = anonymous_with("after a crash"), *got;
  test_resources_t before = test_resources();
  const char *argv[] = {"helper", "listen-exit", test_name(name, "dead"), NULL};
  ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
  ck_assert_str_eq(out, "OK\n");
  ck_assert_err(ipc_shm_listen(&listener, name), 0);
  ck_assert_err(ipc_shm_connect(&client, name), 0);
  ck_assert_err(ipc_shm_accept(listener, &server), 0);
  ck_assert_err(ipc_shm_send(client, shm, IPC_SHM_READONLY), 0);
  ck_assert_err(ipc_shm_receive(server, &got), 0);
  ck_assert_uint_eq(ipc_shm_size(got), ipc_shm_size(shm));
  ipc_shm_close(got);
  ipc_shm_conn_close(client);
  ipc_shm_conn_close(server);
  ck_assert_err(ipc_shm_listener_close(listener), 0);
  ck_assert_err(ipc_shm_connect(&client, name), IPC_SHM_E_NOT_FOUND);
  ck_assert_no_leak(before);
  ipc_shm_close(shm);
}
END_TEST

START_TEST(connection_errors) {
  char name[IPC_SHM_NAME_MAX + 1], other[IPC_SHM_NAME_MAX + 1];
  unsigned char junk[40]; /* one message */
  ipc_shm_listener_t *listener, *second = NULL;
  ipc_shm_conn_t *server, *client = NULL;
  ipc_shm_t *shm = anonymous_with("in process");
  ipc_shm_t *got = NULL;
  test_resources_t before = test_resources();

  ck_assert_err(ipc_shm_listen(NULL, "x"), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_listen(&second, NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_listen(&second, ""), IPC_SHM_E_NAME_INVALID);
  ck_assert_err(ipc_shm_listen(&second, "a/b"), IPC_SHM_E_NAME_INVALID);
  ck_assert_err(ipc_shm_listen(&second, "0123456789012345678901234567890"),
                IPC_SHM_E_NAME_TOO_LONG);
  ck_assert_err(ipc_shm_connect(&client, "a\\b"), IPC_SHM_E_NAME_INVALID);
  ck_assert_err(ipc_shm_connect(&client, test_name(other, "nobody")),
                IPC_SHM_E_NOT_FOUND);
  ck_assert_ptr_null(client);

  ck_assert_err(ipc_shm_listen(&listener, test_name(name, "ce")), 0);
  ck_assert_err(ipc_shm_listen(&second, name), IPC_SHM_E_EXISTS);
  ck_assert_ptr_null(second);

  /* Both ends in this process. */
  ck_assert_err(ipc_shm_connect(&client, name), 0);
  ck_assert_err(ipc_shm_accept(listener, &server), 0);
  ck_assert_err(ipc_shm_send(client, shm, IPC_SHM_READONLY), 0);
  ck_assert_err(ipc_shm_receive(server, &got), 0);
  ck_assert_int_eq(ipc_shm_is_writable(got), 0);
  ipc_shm_close(got);
  ck_assert_err(ipc_shm_send(NULL, shm, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_send(client, NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_send(client, shm, 0x8000u), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_receive(NULL, &got), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_receive(server, NULL), IPC_SHM_E_INVAL);
  /* The other end goes away: both directions say so. */
  ck_assert_err(ipc_shm_conn_close(client), 0);
  ck_assert_err(ipc_shm_receive(server, &got), IPC_SHM_E_DISCONNECTED);
  ck_assert_ptr_null(got);
  ck_assert_err(ipc_shm_send(server, shm, 0), IPC_SHM_E_DISCONNECTED);
  ck_assert_err(ipc_shm_conn_close(server), 0);

  /* Malformed messages. */
  memset(junk, 0x5A, sizeof(junk));
  test_raw_connect_send(name, junk, sizeof(junk));
  ck_assert_err(ipc_shm_accept(listener, &server), 0);
  ck_assert_err(ipc_shm_receive(server, &got), IPC_SHM_E_BAD_TOKEN);
  ck_assert_err(ipc_shm_conn_close(server), 0);
  /* A well-formed message with no descriptor (POSIX) or naming a handle
   * that is not a section (Windows). */
  {
    static const unsigned char magic[8] = {'i', 'p', 'c', 's', 'h', 'm', '1', 0};
    uint32_t writable = 1, object = 1; /* a segment */
    uint64_t size = SEG_SIZE, handle;
#ifdef _WIN32
    HANDLE event = CreateEventW(NULL, TRUE, FALSE, NULL);
    handle = (uint64_t)(ULONG_PTR)event;
#else
    handle = 0;
#endif
    memcpy(junk, magic, 8);
    memcpy(junk + 8, &writable, 4);
    memcpy(junk + 12, &object, 4);
    memcpy(junk + 16, &size, 8);
    memcpy(junk + 24, &handle, 8);
    memset(junk + 32, 0, 8);
    test_raw_connect_send(name, junk, sizeof(junk));
    ck_assert_err(ipc_shm_accept(listener, &server), 0);
    ck_assert_err(ipc_shm_receive(server, &got), IPC_SHM_E_BAD_TOKEN);
    ck_assert_err(ipc_shm_conn_close(server), 0);
#ifdef _WIN32
    ck_assert(CloseHandle(event));
#endif
  }
  /* A message cut short. */
  test_raw_connect_send(name, junk, 10);
  ck_assert_err(ipc_shm_accept(listener, &server), 0);
  ck_assert_err(ipc_shm_receive(server, &got), IPC_SHM_E_DISCONNECTED);
  ck_assert_err(ipc_shm_conn_close(server), 0);
  ck_assert_ptr_null(got);

  ck_assert_err(ipc_shm_listener_close(listener), 0);
  ck_assert_err(ipc_shm_connect(&client, name), IPC_SHM_E_NOT_FOUND);
  /* The name is free again. */
  ck_assert_err(ipc_shm_listen(&listener, name), 0);
  ck_assert_err(ipc_shm_listener_close(listener), 0);
  ck_assert_err(ipc_shm_accept(NULL, &server), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_listener_close(NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_conn_close(NULL), IPC_SHM_E_INVAL);
  ck_assert_uint_eq(ipc_shm_conn_peer_pid(NULL), 0);
  ck_assert_no_leak(before);
  ipc_shm_close(shm);
}
END_TEST

void add_send_cases(Suite *suite) {
  TCase *tc = tcase_create("send");
  tcase_add_test(tc, send_and_receive_between_processes);
  tcase_add_test(tc, connection_errors);
  tcase_add_test(tc, a_dead_listener_frees_its_name);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);
}
