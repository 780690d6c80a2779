/* SPDX-License-Identifier: MIT */
/* A hostile local peer: objects planted under our names, paths that lead
 * to things that are not files, descriptors that are not what a message
 * claims, tokens naming handles the library owns, a peer killed in the
 * middle. Each may make a call fail; none may make it hang, crash, leak or
 * grant more than was given. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* O_PATH */
#endif

#include "testutil.h"

#include <stdio.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

/* Every way of reaching NAME by name fails as expected, leaving nothing. */
static void expect_planted(const char *name, int open_err, int create_err) {
  test_resources_t before = test_resources();
  ipc_shm_t *shm = NULL;
  int err_ro = ipc_shm_open(&shm, name, IPC_SHM_READONLY);
  int err_rw = ipc_shm_open(&shm, name, 0);
  int err_ooc = ipc_shm_open_or_create(&shm, name, 4096, 0, NULL);
  int err_create = ipc_shm_create(&shm, name, 4096, 0);
  ck_assert_no_leak(before);
  ck_assert_err(err_ro, open_err);
  ck_assert_err(err_rw, open_err);
  ck_assert_err(err_ooc, open_err);
  ck_assert_err(err_create, create_err);
  ck_assert_ptr_null(shm);
}

#ifndef _WIN32
static void shm_path(char *out, size_t size, const char *name) {
  snprintf(out, size, "/dev/shm/%s", name);
}
#endif

/* A FIFO, a directory or a link planted where shm_open looks (Linux: the
 * world-writable /dev/shm): no open blocks, none takes it for a segment. */
START_TEST(objects_planted_under_a_name) {
  char name[IPC_SHM_NAME_MAX + 1];
#ifdef _WIN32
  /* Windows: an event under the name, in the one object namespace. */
  WCHAR wide[64] = L"Local\\";
  HANDLE event;
  MultiByteToWideChar(CP_UTF8, 0, test_name(name, "plant"), -1, wide + 6, 50);
  event = CreateEventW(NULL, TRUE, FALSE, wide);
  ck_assert_ptr_nonnull(event);
  expect_planted(name, IPC_SHM_E_WRONG_KIND, IPC_SHM_E_EXISTS);
  ck_assert(CloseHandle(event));
#else
  char path[64];
  if (test_shm_dir_count("") < 0)
    return; /* shm_open names are no files here: nothing can be planted */
  shm_path(path, sizeof(path), test_name(name, "fifo"));
  ck_assert_int_eq(mkfifo(path, 0666), 0);
  expect_planted(name, IPC_SHM_E_WRONG_KIND, IPC_SHM_E_EXISTS);
  ck_assert_int_eq(unlink(path), 0);
  shm_path(path, sizeof(path), test_name(name, "dir"));
  ck_assert_int_eq(mkdir(path, 0777), 0);
  expect_planted(name, IPC_SHM_E_WRONG_KIND, IPC_SHM_E_EXISTS);
  ck_assert_int_eq(rmdir(path), 0);
  shm_path(path, sizeof(path), test_name(name, "link"));
  ck_assert_int_eq(symlink("/etc/passwd", path), 0);
  expect_planted(name, IPC_SHM_E_WRONG_KIND, IPC_SHM_E_EXISTS);
  ck_assert_int_eq(unlink(path), 0);
#endif
}
END_TEST

/* ipc_shm_open_file maps regular files only, and never blocks. */
START_TEST(open_file_refuses_what_is_not_a_file) {
  test_resources_t before;
  ipc_shm_t *shm = NULL;
  int errs[4], i, n = 0;
#ifdef _WIN32
  before = test_resources();
  errs[n++] = ipc_shm_open_file(&shm, "NUL", 0, IPC_SHM_READONLY);
  errs[n++] = ipc_shm_open_file(&shm, "NUL", 4096, 0);
#else
  char fifo[128], dir[128];
  test_file(fifo, sizeof(fifo), "fifo");
  test_file(dir, sizeof(dir), "dir");
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  before = test_resources();
  errs[n++] = ipc_shm_open_file(&shm, fifo, 0, IPC_SHM_READONLY);
  errs[n++] = ipc_shm_open_file(&shm, fifo, 4096, 0);
  errs[n++] = ipc_shm_open_file(&shm, dir, 0, IPC_SHM_READONLY);
  errs[n++] = ipc_shm_open_file(&shm, "/dev/null", 0, IPC_SHM_READONLY);
#endif
  ck_assert_no_leak(before);
  for (i = 0; i < n; i++)
    ck_assert_msg(errs[i] == IPC_SHM_E_WRONG_KIND, "case %d: %s", i,
                  ipc_shm_err_name(errs[i]));
  ck_assert_ptr_null(shm);
#ifndef _WIN32
  ck_assert_int_eq(unlink(fifo), 0);
  ck_assert_int_eq(rmdir(dir), 0);
#endif
}
END_TEST

/* A token naming a handle the library owns already is refused, never
 * adopted a second time: the process's own export (inheritable, with the
 * rights the token claims), and on Windows a segment opened read-only,
 * whose handle has exactly the rights of a read-only copy. */
START_TEST(tokens_naming_owned_handles) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm, *got = NULL;
  ipc_shm_export_t *exp, *readonly_exp;
  ipc_shm_view_t *view;
  test_resources_t before;
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "own"), 8192, 0), 0);
  ck_assert_err(ipc_shm_export(&exp, shm, 0), 0);
  ck_assert_err(ipc_shm_export(&readonly_exp, shm, IPC_SHM_READONLY), 0);
  before = test_resources();
  ck_assert_err(ipc_shm_import(&got, ipc_shm_export_token(exp)), IPC_SHM_E_BAD_TOKEN);
  ck_assert_err(ipc_shm_import(&got, ipc_shm_export_token(readonly_exp)),
                IPC_SHM_E_BAD_TOKEN);
  ck_assert_ptr_null(got);
#ifdef _WIN32
  {
    ipc_shm_t *readonly;
    char token[IPC_SHM_TOKEN_MAX];
    ck_assert_err(ipc_shm_open(&readonly, name, IPC_SHM_READONLY), 0);
    ck_assert(SetHandleInformation(ipc_shm_native_handle(readonly), HANDLE_FLAG_INHERIT,
                                   HANDLE_FLAG_INHERIT));
    snprintf(token, sizeof(token), "ipcshm1:win:seg:r:8192:0:%llu:0.0",
             (unsigned long long)(ULONG_PTR)ipc_shm_native_handle(readonly));
    ck_assert_err(ipc_shm_import(&got, token), IPC_SHM_E_BAD_TOKEN);
    ck_assert(SetHandleInformation(ipc_shm_native_handle(readonly), HANDLE_FLAG_INHERIT, 0));
    ck_assert_err(ipc_shm_close(readonly), 0);
  }
#endif
  ck_assert_no_leak(before);
  /* Everything still works and closes once. */
  ck_assert_err(ipc_shm_export_close(exp), 0);
  ck_assert_err(ipc_shm_export_close(readonly_exp), 0);
  ck_assert_err(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
  ck_assert_err(ipc_shm_unmap(view), 0);
  ck_assert_err(ipc_shm_close(shm), 0);
  (void)ipc_shm_remove(name, 0);
}
END_TEST

/* Sending to a peer that was killed: DISCONNECTED, nothing leaked. */
START_TEST(send_to_a_killed_peer) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_listener_t *listener;
  ipc_shm_conn_t *conn;
  ipc_shm_t *shm;
  test_proc_t *proc;
  test_resources_t before;
  int err;
  ck_assert_err(ipc_shm_create_anonymous(&shm, 4096, 0), 0);
  before = test_resources();
  ck_assert_err(ipc_shm_listen(&listener, test_name(name, "kill")), 0);
  {
    const char *argv[] = {"helper", "receive", name, NULL};
    proc = test_proc_start("ipcshm_tests", argv);
  }
  ck_assert_err(ipc_shm_accept(listener, &conn), 0);
  test_proc_kill(proc);
  err = ipc_shm_send(conn, shm, IPC_SHM_READONLY);
  ck_assert_int_ne(test_proc_wait(proc), 0);
  ck_assert_err(err, IPC_SHM_E_DISCONNECTED);
  ck_assert_err(ipc_shm_conn_close(conn), 0);
  /* And once it has gone entirely (reaped): DISCONNECTED still, not "no
   * such process". */
  {
    const char *argv[] = {"helper", "receive", name, NULL};
    proc = test_proc_start("ipcshm_tests", argv);
  }
  ck_assert_err(ipc_shm_accept(listener, &conn), 0);
  test_proc_kill(proc);
  ck_assert_int_ne(test_proc_wait(proc), 0);
  ck_assert_err(ipc_shm_send(conn, shm, IPC_SHM_READONLY), IPC_SHM_E_DISCONNECTED);
  ck_assert_err(ipc_shm_conn_close(conn), 0);
  ck_assert_err(ipc_shm_listener_close(listener), 0);
  ck_assert_no_leak(before);
  ipc_shm_close(shm);
}
END_TEST

#ifndef _WIN32
/* Connect to a listener and send one message with `count` descriptors
 * (fds), as a hostile peer would: the message claims a segment of `size`. */
static int raw_send_descriptors(const char *name, const int *fds, int count, int writable,
                                uint64_t size) {
  static const unsigned char magic[8] = {'i', 'p', 'c', 's', 'h', 'm', '1', 0};
  unsigned char message[40] = {0}; /* the last 8 bytes unused here */
  union {
    struct cmsghdr align;
    unsigned char space[CMSG_SPACE(2 * sizeof(int))];
  } control;
  struct msghdr msg;
  struct iovec iov;
  struct cmsghdr *cmsg;
  uint32_t access = (uint32_t)writable, object = 1;
  uint64_t handle = 0;
  int sock = test_raw_connect(name);
  memcpy(message, magic, 8);
  memcpy(message + 8, &access, 4);
  memcpy(message + 12, &object, 4);
  memcpy(message + 16, &size, 8);
  memcpy(message + 24, &handle, 8);
  memset(&msg, 0, sizeof(msg));
  memset(&control, 0, sizeof(control));
  iov.iov_base = message;
  iov.iov_len = sizeof(message);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.space;
  msg.msg_controllen = CMSG_SPACE((size_t)count * sizeof(int));
  cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN((size_t)count * sizeof(int));
  memcpy(CMSG_DATA(cmsg), fds, (size_t)count * sizeof(int));
  ck_assert_int_eq(sendmsg(sock, &msg, 0), (ssize_t)sizeof(message));
  return sock;
}

static int raw_send_descriptor(const char *name, int fd, int writable, uint64_t size) {
  return raw_send_descriptors(name, &fd, 1, writable, size);
}

/* Receive what one raw peer sent: the result, with every descriptor that
 * arrived either adopted (and closed here) or closed by the library. */
static int receive_from_raw(ipc_shm_listener_t *listener, const char *name, int fd,
                            int writable, uint64_t size) {
  ipc_shm_conn_t *conn;
  ipc_shm_t *got = NULL;
  int sock = raw_send_descriptor(name, fd, writable, size), err;
  ck_assert_err(ipc_shm_accept(listener, &conn), 0);
  err = ipc_shm_receive(conn, &got);
  if (got != NULL)
    ipc_shm_close(got);
  ipc_shm_conn_close(conn);
  close(sock);
  return err;
}

/* Descriptors that are not what the message claims are refused and closed:
 * wrong access, too small, a directory, a socket, a pipe, an O_PATH. */
START_TEST(receive_refuses_and_closes_bad_descriptors) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_listener_t *listener;
  ipc_shm_t *segment, *small;
  ipc_shm_export_t *readonly;
  test_resources_t before;
  int pipe_fds[2], pair[2], dir_fd, err;
  ck_assert_err(ipc_shm_create_anonymous(&segment, 8192, 0), 0);
  ck_assert_err(ipc_shm_create_anonymous(&small, 4096, 0), 0);
  ck_assert_err(ipc_shm_export(&readonly, segment, IPC_SHM_READONLY | IPC_SHM_EXPORT_PULL), 0);
  ck_assert_int_eq(pipe(pipe_fds), 0);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  dir_fd = open(".", O_RDONLY);
  ck_assert_int_ge(dir_fd, 0);
  ck_assert_err(ipc_shm_listen(&listener, test_name(name, "badfd")), 0);
  before = test_resources();

  /* The one that is what it claims is taken. */
  err = receive_from_raw(listener, name, ipc_shm_native_handle(segment), 1, 8192);
  ck_assert_err(err, 0);
  ck_assert_err(receive_from_raw(listener, name, ipc_shm_export_native(readonly), 1, 8192),
                IPC_SHM_E_BAD_TOKEN);
  ck_assert_err(receive_from_raw(listener, name, ipc_shm_native_handle(small), 1, 8192),
                IPC_SHM_E_BAD_TOKEN);
  ck_assert_err(receive_from_raw(listener, name, dir_fd, 0, 1), IPC_SHM_E_BAD_TOKEN);
  ck_assert_err(receive_from_raw(listener, name, pair[0], 0, 1), IPC_SHM_E_BAD_TOKEN);
  ck_assert_err(receive_from_raw(listener, name, pipe_fds[0], 0, 1), IPC_SHM_E_BAD_TOKEN);
#if defined(O_PATH)
  {
    char path[64];
    int path_fd;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", ipc_shm_native_handle(segment));
    path_fd = open(path, O_PATH);
    if (path_fd >= 0) {
      ck_assert_err(receive_from_raw(listener, name, path_fd, 0, 8192), IPC_SHM_E_BAD_TOKEN);
      close(path_fd);
    }
  }
#endif
  /* Two descriptors with one message: refused, and both closed here. */
  {
    ipc_shm_conn_t *conn;
    ipc_shm_t *got = NULL;
    int two[2], sock;
    two[0] = ipc_shm_native_handle(segment);
    two[1] = ipc_shm_native_handle(segment);
    sock = raw_send_descriptors(name, two, 2, 1, 8192);
    ck_assert_err(ipc_shm_accept(listener, &conn), 0);
    ck_assert_err(ipc_shm_receive(conn, &got), IPC_SHM_E_BAD_TOKEN);
    ck_assert_ptr_null(got);
    ipc_shm_conn_close(conn);
    close(sock);
  }
  /* An event's state sent as a segment: refused. */
  {
    ipc_shm_event_t *event;
    ipc_shm_export_t *exp;
    ck_assert_err(ipc_shm_event_create_anonymous(&event, 0), 0);
    ck_assert_err(ipc_shm_event_export(&exp, event, IPC_SHM_EXPORT_PULL), 0);
    ck_assert_err(receive_from_raw(listener, name, ipc_shm_export_native(exp), 1, 64),
                  IPC_SHM_E_BAD_TOKEN);
    ck_assert_err(ipc_shm_export_close(exp), 0);
    ck_assert_err(ipc_shm_event_close(event), 0);
  }
  ck_assert_no_leak(before);
  ck_assert_err(ipc_shm_listener_close(listener), 0);
  close(dir_fd);
  close(pair[0]);
  close(pair[1]);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  ipc_shm_export_close(readonly);
  ipc_shm_close(small);
  ipc_shm_close(segment);
}
END_TEST

#if defined(O_PATH)
/* An inherited O_PATH descriptor grants no access at all: import refuses
 * it though its identity, size and O_ACCMODE match a read-only token. */
START_TEST(import_refuses_an_o_path_descriptor) {
  char path[64], token[IPC_SHM_TOKEN_MAX];
  ipc_shm_t *shm, *got = NULL;
  struct stat st;
  int fd;
  ck_assert_err(ipc_shm_create_anonymous(&shm, 8192, 0), 0);
  snprintf(path, sizeof(path), "/proc/self/fd/%d", ipc_shm_native_handle(shm));
  fd = open(path, O_PATH);
  if (fd < 0) { /* no /proc here */
    ipc_shm_close(shm);
    return;
  }
  ck_assert_int_eq(fstat(fd, &st), 0);
  snprintf(token, sizeof(token), "ipcshm1:posix:seg:r:8192:0:%d:%llu.%llu", fd,
           (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
  ck_assert_err(ipc_shm_import(&got, token), IPC_SHM_E_BAD_TOKEN);
  ck_assert_ptr_null(got);
  ck_assert_int_eq(close(fd), 0); /* untouched: still ours */
  ipc_shm_close(shm);
}
END_TEST
#endif
#endif

void add_hostile_cases(Suite *suite) {
  TCase *tc = tcase_create("hostile");
  tcase_add_test(tc, objects_planted_under_a_name);
  tcase_add_test(tc, open_file_refuses_what_is_not_a_file);
  tcase_add_test(tc, tokens_naming_owned_handles);
  tcase_add_test(tc, send_to_a_killed_peer);
#ifndef _WIN32
  tcase_add_test(tc, receive_refuses_and_closes_bad_descriptors);
#if defined(O_PATH)
  tcase_add_test(tc, import_refuses_an_o_path_descriptor);
#endif
#endif
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);
}
