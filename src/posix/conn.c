/* SPDX-License-Identifier: MIT */
/* POSIX backend of connections: Unix-domain sockets (Linux: abstract
 * names) carrying descriptors as SCM_RIGHTS. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* accept4, SO_PEERCRED, struct ucred */
#endif

#include "posix_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/un.h>

#define SOCKET_PREFIX "ipcshm."

struct ipc_shm_listener {
  int fd;
  struct sockaddr_un address;
  socklen_t address_length;
  int lock_fd; /* socket files: the flock that makes the name ours; or -1 */
};

struct ipc_shm_conn {
  int fd;
  unsigned long peer_pid;
};

/* Linux: an abstract socket, which needs no file and vanishes with its
 * listener. Elsewhere: a socket file in /tmp, per user. */
static void socket_address(const char *name, struct sockaddr_un *address,
                           socklen_t *length) {
  memset(address, 0, sizeof(*address));
  address->sun_family = AF_UNIX;
#if IPC_SHM__LINUX
  snprintf(address->sun_path + 1, sizeof(address->sun_path) - 1,
           SOCKET_PREFIX "%s", name);
  *length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                        strlen(address->sun_path + 1));
#else
  snprintf(address->sun_path, sizeof(address->sun_path),
           "/tmp/" SOCKET_PREFIX "%lu.%s", (unsigned long)geteuid(), name);
  *length = (socklen_t)sizeof(*address);
#endif
}

/* Where send has no MSG_NOSIGNAL (macOS, BSDs), the socket itself is told
 * not to raise SIGPIPE: a closed peer is an error, not a dead process. */
static int no_sigpipe(int fd) {
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
  int on = 1;
  if (SYS.setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof(on)) != 0)
    return ipc_shm__fail(errno, "setsockopt");
#else
  (void)fd;
#endif
  return 0;
}

static int new_socket(int *fd) {
  int err;
#if defined(SOCK_CLOEXEC)
  *fd = SYS.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (*fd < 0)
    return ipc_shm__fail(errno, "socket");
  err = 0;
#else
  *fd = SYS.socket(AF_UNIX, SOCK_STREAM, 0);
  if (*fd < 0)
    return ipc_shm__fail(errno, "socket");
  err = ipc_shm__set_cloexec(*fd, 1);
#endif
  if (err == 0)
    err = no_sigpipe(*fd);
  if (err != 0) {
    ipc_shm__os_close_quietly(*fd);
    return err;
  }
  return 0;
}

/* Only a peer of our own user may talk to us; learn its process id. */
static int check_peer(int fd, unsigned long *peer_pid) {
#if defined(SO_PEERCRED)
  struct ucred cred;
  socklen_t length = sizeof(cred);
  if (SYS.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0)
    return ipc_shm__fail(errno, "getsockopt");
  if (cred.uid != geteuid())
    return ipc_shm__fail_arg(IPC_SHM_E_PERM);
  *peer_pid = (unsigned long)cred.pid;
#else
  uid_t uid;
  gid_t gid;
  if (SYS.getpeereid(fd, &uid, &gid) != 0)
    return ipc_shm__fail(errno, "getpeereid");
  if (uid != geteuid())
    return ipc_shm__fail_arg(IPC_SHM_E_PERM);
  *peer_pid = 0;
#endif
  return 0;
}

static int new_conn(ipc_shm_conn_t **conn, int fd) {
  struct ipc_shm_conn *c;
  unsigned long peer_pid = 0;
  int err = check_peer(fd, &peer_pid);
  if (err != 0) {
    ipc_shm__os_close_quietly(fd);
    return err;
  }
  c = (struct ipc_shm_conn *)calloc(1, sizeof(*c));
  if (c == NULL) {
    ipc_shm__os_close_quietly(fd);
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  }
  c->fd = fd;
  c->peer_pid = peer_pid;
  *conn = c;
  return 0;
}

/* Abstract sockets vanish with their listener; socket files stay behind
 * when it dies. So a socket file's name belongs to whoever holds an
 * exclusive flock on "FILE.lock", which the system drops with its holder:
 * whoever takes the lock knows that a socket file it finds is stale. */
typedef char lock_path_t[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];

static void lock_path(const struct ipc_shm_listener *l, lock_path_t path) {
  snprintf(path, sizeof(lock_path_t), "%s.lock", l->address.sun_path);
}

/* 1 if the open file fd is the file at `path`, 0 if not (or if there is
 * none), or the (negative) portable code of a failing call. */
static int same_file_at(int fd, const char *path) {
  struct stat held, named;
  if (SYS.fstat(fd, &held) != 0)
    return ipc_shm__fail(errno, "fstat");
  if (SYS.stat(path, &named) != 0)
    return errno == ENOENT ? 0 : ipc_shm__fail(errno, "stat");
  return held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

static int lock_name(struct ipc_shm_listener *l) {
  lock_path_t path;
  int attempt, fd, err;
  lock_path(l, path);
  for (attempt = 0; attempt < 8; attempt++) {
    fd = SYS.open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (fd < 0)
      return ipc_shm__fail(errno, "open");
    if (SYS.flock(fd, LOCK_EX | LOCK_NB) != 0) {
      /* Held: somebody listens under this name. */
      err = errno == EWOULDBLOCK ? ipc_shm__fail_as(errno, "flock", IPC_SHM_E_EXISTS)
                                 : ipc_shm__fail(errno, "flock");
      ipc_shm__os_close_quietly(fd);
      return err;
    }
    /* The last holder removes the file before it lets go: a lock on a file
     * that is no longer at `path` (gone, or another one) proves nothing. */
    err = same_file_at(fd, path);
    if (err == 1) {
      l->lock_fd = fd;
      (void)SYS.unlink(l->address.sun_path);
      return 0;
    }
    if (err < 0) {
      ipc_shm__os_close_quietly(fd);
      return err;
    }
    ipc_shm__os_close_quietly(fd);
  }
  /* Every lock taken was on a file removed meanwhile: others are busy
   * with this name. */
  return ipc_shm__fail_arg(IPC_SHM_E_EXISTS);
}

static void unlock_name(struct ipc_shm_listener *l) {
  lock_path_t path;
  int saved = errno;
  if (l->lock_fd < 0)
    return;
  (void)SYS.unlink(l->address.sun_path);
  lock_path(l, path);
  (void)SYS.unlink(path);
  (void)SYS.close(l->lock_fd);
  l->lock_fd = -1;
  errno = saved;
}

static int bind_listener(struct ipc_shm_listener *l) {
  int err;
  if (!IPC_SHM__LINUX) {
    err = lock_name(l);
    if (err != 0)
      return err;
  }
  if (SYS.bind(l->fd, (struct sockaddr *)&l->address, l->address_length) != 0)
    return ipc_shm__fail(errno, "bind");
  return 0;
}

int ipc_shm__os_listen(ipc_shm_listener_t **listener, const char *name) {
  struct ipc_shm_listener *l =
      (struct ipc_shm_listener *)calloc(1, sizeof(*l));
  int err;
  if (l == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  l->lock_fd = -1;
  socket_address(name, &l->address, &l->address_length);
  err = new_socket(&l->fd);
  if (err != 0) {
    free(l);
    return err;
  }
  err = bind_listener(l);
  if (err == 0 && SYS.listen(l->fd, SOMAXCONN) != 0)
    err = ipc_shm__fail(errno, "listen");
  if (err != 0) {
    unlock_name(l);
    ipc_shm__os_close_quietly(l->fd);
    free(l);
    return err;
  }
  *listener = l;
  return 0;
}

int ipc_shm__os_accept(ipc_shm_listener_t *listener, ipc_shm_conn_t **conn) {
  int fd;
  do {
#if IPC_SHM__LINUX
    fd = SYS.accept4(listener->fd, NULL, NULL, SOCK_CLOEXEC);
#else
    fd = SYS.accept(listener->fd, NULL, NULL);
#endif
  } while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
  if (fd < 0)
    return ipc_shm__fail(errno, IPC_SHM__LINUX ? "accept4" : "accept");
  {
#if IPC_SHM__LINUX
    int err = no_sigpipe(fd);
#else
    int err = ipc_shm__set_cloexec(fd, 1);
    if (err == 0)
      err = no_sigpipe(fd);
#endif
    if (err != 0) {
      ipc_shm__os_close_quietly(fd);
      return err;
    }
  }
  return new_conn(conn, fd);
}

int ipc_shm__os_listener_close(ipc_shm_listener_t *listener) {
  int err = 0;
  unlock_name(listener);
  if (SYS.close(listener->fd) != 0 && errno != EINTR)
    err = ipc_shm__fail(errno, "close");
  free(listener);
  return err;
}

int ipc_shm__os_connect(ipc_shm_conn_t **conn, const char *name) {
  struct sockaddr_un address;
  socklen_t length;
  int fd, err, rc;
  socket_address(name, &address, &length);
  err = new_socket(&fd);
  if (err != 0)
    return err;
  do
    rc = SYS.connect(fd, (struct sockaddr *)&address, length);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    err = ipc_shm__fail(errno, "connect");
    ipc_shm__os_close_quietly(fd);
    return err;
  }
  return new_conn(conn, fd);
}

unsigned long ipc_shm__os_conn_peer_pid(const ipc_shm_conn_t *conn) {
  return conn->peer_pid;
}

/* A message of one buffer with room for control data. */
static void init_message(struct msghdr *msg, struct iovec *iov, void *data,
                         size_t size, void *control, size_t control_size) {
  memset(msg, 0, sizeof(*msg));
  memset(control, 0, control_size);
  iov->iov_base = data;
  iov->iov_len = size;
  msg->msg_iov = iov;
  msg->msg_iovlen = 1;
  msg->msg_control = control;
  msg->msg_controllen = (socklen_t)control_size;
}

#if defined(MSG_NOSIGNAL)
#define SEND_FLAGS MSG_NOSIGNAL /* a closed peer is an error, not SIGPIPE */
#else
#define SEND_FLAGS 0
#endif

/* Send the rest of a message whose first `done` bytes are gone. */
static int send_rest(int fd, const unsigned char *message, size_t size, size_t done) {
  while (done < size) {
    ssize_t n = SYS.send(fd, message + done, size - done, SEND_FLAGS);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return ipc_shm__fail(errno, "send");
    done += (size_t)n;
  }
  return 0;
}

int ipc_shm__os_send_prepare(ipc_shm_conn_t *conn, const struct ipc_shm *shm,
                             int writable, ipc_shm__token_t *token,
                             ipc_shm_native_t *held) {
  (void)conn;
  /* The copy travels beside the message; the message names no handle. */
  return ipc_shm__os_copy(shm, writable, 0, held, token);
}

int ipc_shm__os_send_bytes(ipc_shm_conn_t *conn, const unsigned char *bytes,
                           size_t size, ipc_shm_native_t held) {
  union {
    struct cmsghdr align;
    unsigned char space[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg;
  struct iovec iov;
  struct cmsghdr *cmsg;
  ssize_t sent;

  init_message(&msg, &iov, (void *)(uintptr_t)bytes, size, control.space, sizeof(control.space));
  cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &held, sizeof(int));
  do
    sent = SYS.sendmsg(conn->fd, &msg, SEND_FLAGS);
  while (sent < 0 && errno == EINTR);
  if (sent < 0)
    return ipc_shm__fail(errno, "sendmsg");
  /* The descriptor went with the first byte; finish the message. */
  return send_rest(conn->fd, bytes, size, (size_t)sent);
}

void ipc_shm__os_send_undo(ipc_shm_conn_t *conn, const ipc_shm__token_t *token,
                           ipc_shm_native_t held) {
  (void)conn; /* nothing reached the peer that the caller does not close */
  (void)token;
  (void)held;
}

/* Close every descriptor that arrived in a control message. */
static void close_received(struct msghdr *msg) {
  struct cmsghdr *cmsg;
  for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL; cmsg = CMSG_NXTHDR(msg, cmsg)) {
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
      size_t n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      size_t i;
      for (i = 0; i < n; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
        ipc_shm__os_close_quietly(fd);
      }
    }
  }
}

/* The one descriptor of the message, or -1 if there is not exactly one
 * (then every descriptor that came is closed). */
static int received_descriptor(struct msghdr *msg) {
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(msg);
  int fd;
  if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET ||
      cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int)) ||
      CMSG_NXTHDR(msg, cmsg) != NULL || (msg->msg_flags & MSG_CTRUNC) != 0) {
    close_received(msg);
    return -1;
  }
  memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return fd;
}

/* Read the rest of a message whose first `done` bytes arrived. */
static int receive_rest(int fd, unsigned char *message, size_t size, size_t done) {
  while (done < size) {
    ssize_t got = SYS.recv(fd, message + done, size - done, 0);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return ipc_shm__fail(errno, "recv");
    if (got == 0) /* the peer closed in the middle of a message */
      return ipc_shm__fail_arg(IPC_SHM_E_DISCONNECTED);
    done += (size_t)got;
  }
  return 0;
}

int ipc_shm__os_receive_bytes(ipc_shm_conn_t *conn, unsigned char *bytes,
                              size_t size, ipc_shm_native_t *held) {
  union {
    struct cmsghdr align;
    /* Room for more than one: extra descriptors are closed, not leaked. */
    unsigned char space[CMSG_SPACE(8 * sizeof(int))];
  } control;
  struct msghdr msg;
  struct iovec iov;
  ssize_t got;
  int fd, err;

  init_message(&msg, &iov, bytes, size, control.space, sizeof(control.space));
  do {
#if defined(MSG_CMSG_CLOEXEC)
    got = SYS.recvmsg(conn->fd, &msg, MSG_CMSG_CLOEXEC);
#else
    got = SYS.recvmsg(conn->fd, &msg, 0);
#endif
  } while (got < 0 && errno == EINTR);
  if (got < 0)
    return ipc_shm__fail(errno, "recvmsg");
  if (got == 0) /* the peer closed the connection */
    return ipc_shm__fail_arg(IPC_SHM_E_DISCONNECTED);
  fd = received_descriptor(&msg);
  err = receive_rest(conn->fd, bytes, size, (size_t)got);
#if !defined(MSG_CMSG_CLOEXEC)
  if (err == 0 && fd >= 0)
    err = ipc_shm__set_cloexec(fd, 1);
#endif
  if (err != 0) {
    if (fd >= 0)
      ipc_shm__os_close_quietly(fd);
    return err;
  }
  *held = fd;
  return 0;
}

int ipc_shm__os_conn_close(ipc_shm_conn_t *conn) {
  int err = 0;
  if (SYS.close(conn->fd) != 0 && errno != EINTR)
    err = ipc_shm__fail(errno, "close");
  free(conn);
  return err;
}
