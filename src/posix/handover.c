/* POSIX backend of handing segments to other processes: descriptors across
 * exec, pidfd_getfd, and SCM_RIGHTS over Unix-domain sockets. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* pipe2, accept4, SO_PEERCRED, syscall */
#endif

#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/syscall.h>
#endif

extern char **environ;

#define SOCKET_PREFIX "ipcshm."

struct ipc_shm_process {
  pid_t pid;
};

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

unsigned long ipc_shm__os_self_pid(void) { return (unsigned long)getpid(); }


/* ---- Descriptor copies and checks ---- */


static int same_object(int a, int b) {
  struct stat sa, sb;
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

/* A new descriptor of the same object opened O_RDONLY: a read-only
 * descriptor cannot be mapped writable, unlike a dup() of a writable one. */
static int reopen_readonly(const struct ipc_shm *shm, int *out) {
  int fd;
#if IPC_SHM__LINUX
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", shm->handle);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ipc_shm__fail(errno, "open");
#else
  /* No /proc: an anonymous object this process created kept a read-only
   * twin; a named one is reopened by its name. */
  char posix_name[IPC_SHM_NAME_MAX + 2];
  if (shm->readonly_twin >= 0) {
    *out = fcntl(shm->readonly_twin, F_DUPFD_CLOEXEC, 3);
    return *out >= 0 ? 0 : ipc_shm__fail(errno, "fcntl");
  }
  if (shm->kind != IPC_SHM_KIND_NAMED)
    return ipc_shm__fail(ENOTSUP, "open");
  posix_name[0] = '/';
  memcpy(posix_name + 1, shm->name, strlen(shm->name) + 1);
  fd = shm_open(posix_name, O_RDONLY, 0);
  if (fd < 0)
    return ipc_shm__fail(errno, "shm_open");
  {
    int err = ipc_shm__set_cloexec(fd, 1);
    if (err != 0) {
      ipc_shm__close_quietly(fd);
      return err;
    }
  }
#endif
  /* The name may have been removed and reused meanwhile. */
  if (!same_object(fd, shm->handle)) {
    ipc_shm__close_quietly(fd);
    return ipc_shm__fail(ENOENT, "open");
  }
  *out = fd;
  return 0;
}

/* A close-on-exec copy of the segment's descriptor with the given access. */
static int copy_descriptor(const struct ipc_shm *shm, int writable, int *out) {
  /* A sealed segment is read-only but its descriptor is still O_RDWR. */
  if (!writable && (fcntl(shm->handle, F_GETFL) & O_ACCMODE) != O_RDONLY)
    return reopen_readonly(shm, out);
  *out = fcntl(shm->handle, F_DUPFD_CLOEXEC, 3);
  return *out >= 0 ? 0 : ipc_shm__fail(errno, "fcntl");
}

static int describe(int fd, int writable, uint64_t size, ipc_shm_token_t *token) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return ipc_shm__fail(errno, "fstat");
  token->writable = writable;
  token->size = size;
  token->handle = (uint64_t)fd;
  token->has_identity = 1;
  token->device = (uint64_t)st.st_dev;
  token->inode = (uint64_t)st.st_ino;
  return 0;
}

/* Is fd what the token says? 0 or BAD_TOKEN; never changes fd. */
static int check_descriptor(int fd, const ipc_shm_token_t *token) {
  struct stat st;
  int status = fcntl(fd, F_GETFL);
  if (status < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  if (token->has_identity &&
      ((uint64_t)st.st_dev != token->device || (uint64_t)st.st_ino != token->inode))
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  if ((status & O_ACCMODE) != (token->writable ? O_RDWR : O_RDONLY))
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  if ((uint64_t)st.st_size < token->size)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  return 0;
}

static void fill_segment(struct ipc_shm *shm, int fd,
                         const ipc_shm_token_t *token) {
  shm->handle = fd;
  shm->size = token->size;
  shm->writable = token->writable;
  shm->size_exact = 1;
}

int ipc_shm__os_export(struct ipc_shm_export *exp, const struct ipc_shm *shm,
                       int writable, int inheritable, ipc_shm_token_t *token) {
  int fd = -1;
  int err = copy_descriptor(shm, writable, &fd);
  if (err == 0)
    err = describe(fd, writable, shm->size, token);
  if (err == 0 && inheritable)
    err = ipc_shm__set_cloexec(fd, 0);
  if (err != 0) {
    if (fd >= 0)
      ipc_shm__close_quietly(fd);
    return err;
  }
  exp->handle = fd;
  return 0;
}

int ipc_shm__os_export_close(struct ipc_shm_export *exp) {
  if (close(exp->handle) != 0 && errno != EINTR)
    return ipc_shm__fail(errno, "close");
  return 0;
}

int ipc_shm__os_adopt(struct ipc_shm *shm, uint64_t handle,
                      const ipc_shm_token_t *token) {
  int fd, err;
  if (handle > (uint64_t)INT32_MAX)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  fd = (int)handle;
  /* An inherited descriptor is never close-on-exec; every descriptor this
   * library owns is. This refuses a token naming one of ours (or one
   * imported already). */
  if ((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  err = check_descriptor(fd, token);
  if (err == 0)
    err = ipc_shm__set_cloexec(fd, 1);
  if (err != 0)
    return err;
  fill_segment(shm, fd, token);
  return 0;
}

int ipc_shm__os_pull(struct ipc_shm *shm, const ipc_shm_token_t *token) {
#if IPC_SHM__LINUX && defined(SYS_pidfd_open) && defined(SYS_pidfd_getfd)
  int pidfd, fd, err;
  if (token->handle > (uint64_t)INT32_MAX)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  pidfd = (int)syscall(SYS_pidfd_open, (pid_t)token->pid, 0);
  if (pidfd < 0)
    return ipc_shm__fail(errno, "pidfd_open");
  /* The copy is close-on-exec. */
  fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)token->handle, 0);
  if (fd < 0) {
    /* EBADF: the owner has no such descriptor (any more). */
    err = ipc_shm__fail(errno == EBADF ? ENOENT : errno, "pidfd_getfd");
    ipc_shm__close_quietly(pidfd);
    return err;
  }
  ipc_shm__close_quietly(pidfd);
  err = check_descriptor(fd, token);
  if (err != 0) {
    ipc_shm__close_quietly(fd);
    return err;
  }
  fill_segment(shm, fd, token);
  return 0;
#else
  (void)shm;
  (void)token;
  return ipc_shm__fail(ENOTSUP, "pidfd_getfd");
#endif
}

int ipc_shm__os_push(const struct ipc_shm *shm, unsigned long pid, int writable,
                     ipc_shm_token_t *token) {
  (void)shm;
  (void)pid;
  (void)writable;
  (void)token;
  /* No POSIX call places a descriptor in another process. */
  return ipc_shm__fail(ENOTSUP, "ipc_shm_push");
}

/* ---- Child processes ---- */

/* The program to exec: argv0 itself when it has a '/', else the first
 * executable match in PATH. Returns a malloc'ed path or NULL (errno set). */
static char *find_program(const char *argv0) {
  const char *path = getenv("PATH");
  const char *dir;
  size_t name_length = strlen(argv0);
  if (strchr(argv0, '/') != NULL) {
    char *copy = (char *)malloc(name_length + 1);
    if (copy != NULL)
      memcpy(copy, argv0, name_length + 1);
    return copy;
  }
  if (path == NULL)
    path = "/usr/bin:/bin";
  for (dir = path;; dir++) {
    size_t dir_length = strcspn(dir, ":");
    char *candidate = (char *)malloc(dir_length + name_length + 3);
    if (candidate == NULL)
      return NULL;
    /* An empty entry means the current folder. */
    if (dir_length == 0)
      snprintf(candidate, dir_length + name_length + 3, "./%s", argv0);
    else
      snprintf(candidate, dir_length + name_length + 3, "%.*s/%s",
               (int)dir_length, dir, argv0);
    if (access(candidate, X_OK) == 0)
      return candidate;
    free(candidate);
    dir += dir_length;
    if (*dir == '\0')
      break;
  }
  errno = ENOENT;
  return NULL;
}

/* This process's environment without IPC_SHM_INHERIT_ENV, plus `entry`. */
static char **child_environment(char *entry) {
  const size_t prefix = sizeof(IPC_SHM_INHERIT_ENV "=") - 1;
  size_t count = 0, i, n = 0;
  char **envp;
  while (environ[count] != NULL)
    count++;
  envp = (char **)malloc((count + 2) * sizeof(char *));
  if (envp == NULL)
    return NULL;
  for (i = 0; i < count; i++)
    if (strncmp(environ[i], IPC_SHM_INHERIT_ENV "=", prefix) != 0)
      envp[n++] = environ[i];
  envp[n++] = entry;
  envp[n] = NULL;
  return envp;
}

static int make_pipe(int fds[2]) {
#if IPC_SHM__LINUX
  return pipe2(fds, O_CLOEXEC);
#else
  if (pipe(fds) != 0)
    return -1;
  (void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  (void)fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return 0;
#endif
}

/* Close every descriptor from `first` on. Async-signal-safe. */
static void close_from(int first, long open_max) {
#if IPC_SHM__LINUX && defined(SYS_close_range)
  if (syscall(SYS_close_range, (unsigned)first, ~0u, 0) == 0)
    return;
#endif
  for (; first < open_max; first++)
    (void)close(first);
}

/* After fork: place the segments at 3, 4, ... without close-on-exec, the
 * error pipe right after them, close everything else, exec. Only
 * async-signal-safe calls. */
static void exec_child(const char *path, char *const argv[], char *const envp[],
                       const int *sources, int *scratch, size_t count,
                       int error_pipe, long open_max) {
  int base = 3 + (int)count;
  int error_fd, saved;
  size_t i;
  for (i = 0; i < count; i++) {
    scratch[i] = fcntl(sources[i], F_DUPFD_CLOEXEC, base + 1);
    if (scratch[i] < 0)
      goto fail;
  }
  error_fd = fcntl(error_pipe, F_DUPFD_CLOEXEC, base + 1);
  if (error_fd < 0)
    goto fail;
  error_pipe = error_fd;
  for (i = 0; i < count; i++)
    if (dup2(scratch[i], 3 + (int)i) < 0) /* dup2 clears close-on-exec */
      goto fail;
  if (dup2(error_pipe, base) < 0 || fcntl(base, F_SETFD, FD_CLOEXEC) != 0)
    goto fail;
  error_pipe = base;
  close_from(base + 1, open_max);
  execve(path, argv, envp);
fail:
  saved = errno;
  (void)write(error_pipe, &saved, sizeof(saved));
  _exit(127);
}

/* execve's argv is not const-qualified but is not written to either. */
static char *const *mutable_argv(const char *const argv[]) {
  union {
    const char *const *in;
    char *const *out;
  } cast;
  cast.in = argv;
  return cast.out;
}

int ipc_shm__os_spawn(ipc_shm_process_t **child, const char *const argv[],
                      const ipc_shm_inherit_t *segments, size_t count) {
  const size_t prefix = sizeof(IPC_SHM_INHERIT_ENV "=") - 1;
  struct ipc_shm_process *proc = NULL;
  char *path = NULL, *entry = NULL, **envp = NULL;
  int *sources = NULL, *scratch = NULL;
  int error_pipe[2] = {-1, -1};
  long open_max = sysconf(_SC_OPEN_MAX);
  size_t i, opened = 0, used;
  int err = 0, child_errno = 0;
  ssize_t got;
  pid_t pid;

  path = find_program(argv[0]);
  if (path == NULL)
    return ipc_shm__fail(errno, "execve");
  proc = (struct ipc_shm_process *)calloc(1, sizeof(*proc));
  entry = (char *)malloc(prefix + (count + 1) * IPC_SHM_TOKEN_MAX);
  sources = (int *)calloc(count + 1, sizeof(int));
  scratch = (int *)calloc(count + 1, sizeof(int));
  if (proc == NULL || entry == NULL || sources == NULL || scratch == NULL) {
    err = ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
    goto done;
  }
  memcpy(entry, IPC_SHM_INHERIT_ENV "=", prefix + 1);
  used = prefix;
  for (i = 0; i < count && err == 0; i++) {
    const struct ipc_shm *shm = segments[i].shm;
    int writable = shm->writable && (segments[i].flags & IPC_SHM_READONLY) == 0;
    ipc_shm_token_t token;
    memset(&token, 0, sizeof(token));
    err = copy_descriptor(shm, writable, &sources[i]);
    if (err != 0)
      break;
    opened++;
    err = describe(sources[i], writable, shm->size, &token);
    if (err != 0)
      break;
    token.handle = (uint64_t)(3 + i); /* where the child finds it */
    if (i > 0)
      entry[used++] = ' ';
    err = ipc_shm__token_format(&token, entry + used);
    used += strlen(entry + used);
  }
  if (err != 0)
    goto done;
  envp = child_environment(entry);
  if (envp == NULL) {
    err = ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
    goto done;
  }
  if (make_pipe(error_pipe) != 0) {
    err = ipc_shm__fail(errno, "pipe");
    goto done;
  }
  pid = fork();
  if (pid < 0) {
    err = ipc_shm__fail(errno, "fork");
    goto done;
  }
  if (pid == 0)
    exec_child(path, mutable_argv(argv), envp, sources, scratch, count,
               error_pipe[1], open_max);
  ipc_shm__close_quietly(error_pipe[1]);
  error_pipe[1] = -1;
  /* The pipe closes without a word when exec succeeds. */
  do
    got = read(error_pipe[0], &child_errno, sizeof(child_errno));
  while (got < 0 && errno == EINTR);
  if (got == (ssize_t)sizeof(child_errno)) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    err = ipc_shm__fail(child_errno, "execve");
    goto done;
  }
  proc->pid = pid;
  *child = proc;
  proc = NULL;

done:
  for (i = 0; i < opened; i++)
    ipc_shm__close_quietly(sources[i]);
  if (error_pipe[0] >= 0)
    ipc_shm__close_quietly(error_pipe[0]);
  if (error_pipe[1] >= 0)
    ipc_shm__close_quietly(error_pipe[1]);
  free(envp);
  free(entry);
  free(sources);
  free(scratch);
  free(path);
  free(proc);
  return err;
}

unsigned long ipc_shm__os_process_id(const ipc_shm_process_t *child) {
  return (unsigned long)child->pid;
}

int ipc_shm__os_process_wait(ipc_shm_process_t *child, int *exit_code) {
  int status = 0;
  pid_t got;
  do
    got = waitpid(child->pid, &status, 0);
  while (got < 0 && errno == EINTR);
  free(child);
  if (got < 0)
    return ipc_shm__fail(errno, "waitpid");
  if (exit_code != NULL)
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return 0;
}

/* ---- Connections ---- */

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

static int new_socket(int *fd) {
#if defined(SOCK_CLOEXEC)
  *fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (*fd < 0)
    return ipc_shm__fail(errno, "socket");
#else
  int err;
  *fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (*fd < 0)
    return ipc_shm__fail(errno, "socket");
  err = ipc_shm__set_cloexec(*fd, 1);
  if (err != 0) {
    ipc_shm__close_quietly(*fd);
    return err;
  }
#endif
  return 0;
}

/* Only a peer of our own user may talk to us; learn its process id. */
static int check_peer(int fd, unsigned long *peer_pid) {
#if defined(SO_PEERCRED)
  struct ucred cred;
  socklen_t length = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0)
    return ipc_shm__fail(errno, "getsockopt");
  if (cred.uid != geteuid())
    return ipc_shm__fail(EACCES, "getsockopt");
  *peer_pid = (unsigned long)cred.pid;
#else
  uid_t uid;
  gid_t gid;
  if (getpeereid(fd, &uid, &gid) != 0)
    return ipc_shm__fail(errno, "getpeereid");
  if (uid != geteuid())
    return ipc_shm__fail(EACCES, "getpeereid");
  *peer_pid = 0;
#endif
  return 0;
}

static int new_conn(ipc_shm_conn_t **conn, int fd) {
  struct ipc_shm_conn *c;
  unsigned long peer_pid = 0;
  int err = check_peer(fd, &peer_pid);
  if (err != 0) {
    ipc_shm__close_quietly(fd);
    return err;
  }
  c = (struct ipc_shm_conn *)calloc(1, sizeof(*c));
  if (c == NULL) {
    ipc_shm__close_quietly(fd);
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

static int lock_name(struct ipc_shm_listener *l) {
  lock_path_t path;
  struct stat held, named;
  int attempt, fd;
  lock_path(l, path);
  for (attempt = 0; attempt < 8; attempt++) {
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
      return ipc_shm__fail(errno, "open");
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno == EWOULDBLOCK ? EADDRINUSE : errno;
      ipc_shm__close_quietly(fd);
      return ipc_shm__fail(err, "flock");
    }
    /* The last holder removes the file before it lets go: a lock on a file
     * that is no longer at `path` proves nothing. */
    if (fstat(fd, &held) == 0 && stat(path, &named) == 0 &&
        held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
      l->lock_fd = fd;
      (void)unlink(l->address.sun_path);
      return 0;
    }
    ipc_shm__close_quietly(fd);
  }
  return ipc_shm__fail(EADDRINUSE, "flock");
}

static void unlock_name(struct ipc_shm_listener *l) {
  lock_path_t path;
  if (l->lock_fd < 0)
    return;
  (void)unlink(l->address.sun_path);
  lock_path(l, path);
  (void)unlink(path);
  (void)close(l->lock_fd);
  l->lock_fd = -1;
}

static int bind_listener(struct ipc_shm_listener *l) {
  int err;
  if (!IPC_SHM__LINUX) {
    err = lock_name(l);
    if (err != 0)
      return err;
  }
  if (bind(l->fd, (struct sockaddr *)&l->address, l->address_length) != 0)
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
  if (err == 0 && listen(l->fd, SOMAXCONN) != 0)
    err = ipc_shm__fail(errno, "listen");
  if (err != 0) {
    unlock_name(l);
    ipc_shm__close_quietly(l->fd);
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
    fd = accept4(listener->fd, NULL, NULL, SOCK_CLOEXEC);
#else
    fd = accept(listener->fd, NULL, NULL);
    if (fd >= 0 && ipc_shm__set_cloexec(fd, 1) != 0) {
      ipc_shm__close_quietly(fd);
      return ipc_shm__fail(errno, "fcntl");
    }
#endif
  } while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
  if (fd < 0)
    return ipc_shm__fail(errno, "accept");
  return new_conn(conn, fd);
}

int ipc_shm__os_listener_close(ipc_shm_listener_t *listener) {
  int err = 0;
  unlock_name(listener);
  if (close(listener->fd) != 0 && errno != EINTR)
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
    rc = connect(fd, (struct sockaddr *)&address, length);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    err = ipc_shm__fail(errno, "connect");
    ipc_shm__close_quietly(fd);
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

int ipc_shm__os_send(ipc_shm_conn_t *conn, const struct ipc_shm *shm,
                     int writable) {
  unsigned char message[IPC_SHM__MESSAGE_SIZE];
  union {
    struct cmsghdr align;
    unsigned char space[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg;
  struct iovec iov;
  struct cmsghdr *cmsg;
  ipc_shm_token_t token;
  int fd = -1, err;
  ssize_t sent;

  err = copy_descriptor(shm, writable, &fd);
  if (err != 0)
    return err;
  memset(&token, 0, sizeof(token));
  token.writable = writable;
  token.size = shm->size;
  ipc_shm__message_pack(message, &token);

  init_message(&msg, &iov, message, sizeof(message), control.space,
               sizeof(control.space));
  cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  do
    sent = sendmsg(conn->fd, &msg, SEND_FLAGS);
  while (sent < 0 && errno == EINTR);
  if (sent < 0)
    err = ipc_shm__fail(errno, "sendmsg");
  else if (sent != (ssize_t)sizeof(message)) {
    /* The descriptor went with the first byte; finish the message. */
    size_t done = (size_t)sent;
    while (done < sizeof(message)) {
      ssize_t n = send(conn->fd, message + done, sizeof(message) - done, SEND_FLAGS);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        err = ipc_shm__fail(errno, "send");
        break;
      }
      done += (size_t)n;
    }
  }
  ipc_shm__close_quietly(fd);
  return err;
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
        ipc_shm__close_quietly(fd);
      }
    }
  }
}

/* The one descriptor of the message, or -1 if there is not exactly one. */
static int received_descriptor(struct msghdr *msg) {
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(msg);
  int fd;
  if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET ||
      cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int)) ||
      CMSG_NXTHDR(msg, cmsg) != NULL || (msg->msg_flags & MSG_CTRUNC) != 0)
    return -1;
  memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return fd;
}

int ipc_shm__os_receive(ipc_shm_conn_t *conn, struct ipc_shm *shm) {
  unsigned char message[IPC_SHM__MESSAGE_SIZE];
  union {
    struct cmsghdr align;
    /* Room for more than one: extra descriptors are closed, not leaked. */
    unsigned char space[CMSG_SPACE(8 * sizeof(int))];
  } control;
  struct msghdr msg;
  struct iovec iov;
  ipc_shm_token_t token;
  size_t done;
  ssize_t got;
  int fd, err;

  init_message(&msg, &iov, message, sizeof(message), control.space,
               sizeof(control.space));
  do {
#if defined(MSG_CMSG_CLOEXEC)
    got = recvmsg(conn->fd, &msg, MSG_CMSG_CLOEXEC);
#else
    got = recvmsg(conn->fd, &msg, 0);
#endif
  } while (got < 0 && errno == EINTR);
  if (got < 0)
    return ipc_shm__fail(errno, "recvmsg");
  if (got == 0)
    return ipc_shm__fail(EPIPE, "recvmsg");
  fd = received_descriptor(&msg);
  if (fd < 0)
    close_received(&msg);
#if !defined(MSG_CMSG_CLOEXEC)
  else
    (void)ipc_shm__set_cloexec(fd, 1);
#endif
  for (done = (size_t)got; done < sizeof(message); done += (size_t)got) {
    got = recv(conn->fd, message + done, sizeof(message) - done, 0);
    if (got < 0 && errno == EINTR) {
      got = 0;
      continue;
    }
    if (got <= 0) {
      err = ipc_shm__fail(got == 0 ? EPIPE : errno, "recv");
      if (fd >= 0)
        ipc_shm__close_quietly(fd);
      return err;
    }
  }
  if (fd < 0)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  err = ipc_shm__message_unpack(message, &token);
  if (err == 0)
    err = check_descriptor(fd, &token);
  if (err != 0) {
    ipc_shm__close_quietly(fd);
    return err;
  }
  fill_segment(shm, fd, &token);
  return 0;
}

int ipc_shm__os_conn_close(ipc_shm_conn_t *conn) {
  int err = 0;
  if (close(conn->fd) != 0 && errno != EINTR)
    err = ipc_shm__fail(errno, "close");
  free(conn);
  return err;
}
