/* SPDX-License-Identifier: MIT */
/* POSIX backend of child processes: fork + execve, with exactly the
 * listed descriptors placed at 3, 4, ... and every other one above 2
 * closed. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* pipe2 */
#endif

#include "posix_internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

struct ipc_shm_process {
  pid_t pid;
};

/* What a child that failed before exec tells its parent. */
typedef struct child_failure {
  int native; /* errno */
  int entry;  /* the system call, an entry of the table */
} child_failure_t;

uint64_t ipc_shm__os_child_handle(ipc_shm_native_t copy, size_t index) {
  (void)copy;
  return (uint64_t)(3 + index);
}

/* The program to exec: argv0 itself when it has a '/', else the first
 * executable match in PATH. Returns a malloc'ed path, or NULL with the
 * error recorded. */
static char *find_program(const char *argv0, int *err) {
  const char *path = getenv("PATH");
  const char *dir;
  size_t name_length = strlen(argv0);
  int last_errno = ENOENT;
  if (strchr(argv0, '/') != NULL) {
    char *copy = (char *)malloc(name_length + 1);
    if (copy != NULL)
      memcpy(copy, argv0, name_length + 1);
    else
      *err = ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
    return copy;
  }
  if (path == NULL)
    path = "/usr/bin:/bin";
  for (dir = path;; dir++) {
    size_t dir_length = strcspn(dir, ":");
    char *candidate = (char *)malloc(dir_length + name_length + 3);
    if (candidate == NULL) {
      *err = ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
      return NULL;
    }
    /* An empty entry means the current folder. */
    if (dir_length == 0)
      snprintf(candidate, dir_length + name_length + 3, "./%s", argv0);
    else
      snprintf(candidate, dir_length + name_length + 3, "%.*s/%s",
               (int)dir_length, dir, argv0);
    if (SYS.access(candidate, X_OK) == 0)
      return candidate;
    /* A match we may not run says more than a folder without it. */
    if (errno != ENOENT && errno != ENOTDIR)
      last_errno = errno;
    free(candidate);
    dir += dir_length;
    if (*dir == '\0')
      break;
  }
  *err = ipc_shm__fail(last_errno, "access");
  return NULL;
}

/* This process's environment without IPC_SHM_INHERIT_ENV, plus `entry`. */
static char **child_environment(const char *entry) {
  const size_t prefix = sizeof(IPC_SHM_INHERIT_ENV "=") - 1;
  size_t count = 0, i, n = 0;
  char **envp;
  union {
    const char *in;
    char *out;
  } cast; /* execve's envp is not const, but is not written to */
  while (environ[count] != NULL)
    count++;
  envp = (char **)malloc((count + 2) * sizeof(char *));
  if (envp == NULL)
    return NULL;
  for (i = 0; i < count; i++)
    if (strncmp(environ[i], IPC_SHM_INHERIT_ENV "=", prefix) != 0)
      envp[n++] = environ[i];
  cast.in = entry;
  envp[n++] = cast.out;
  envp[n] = NULL;
  return envp;
}

static int make_pipe(int fds[2]) {
#if IPC_SHM__LINUX
  if (SYS.pipe2(fds, O_CLOEXEC) != 0)
    return ipc_shm__fail(errno, "pipe2");
  return 0;
#else
  int err;
  if (SYS.pipe(fds) != 0)
    return ipc_shm__fail(errno, "pipe");
  err = ipc_shm__set_cloexec(fds[0], 1);
  if (err == 0)
    err = ipc_shm__set_cloexec(fds[1], 1);
  if (err != 0) {
    ipc_shm__os_close_quietly(fds[0]);
    ipc_shm__os_close_quietly(fds[1]);
  }
  return err;
#endif
}

/* Close every descriptor from `first` on. Async-signal-safe. */
static void close_from(int first, long open_max) {
#if IPC_SHM__LINUX
  if (SYS.close_range((unsigned)first, ~0u, 0) == 0)
    return;
#endif
  for (; first < open_max; first++)
    (void)SYS.close(first);
}

/* After fork: place the copies at 3, 4, ... without close-on-exec, the
 * error pipe right after them, close everything else, exec. Only
 * async-signal-safe calls; a failure is written to the pipe. */
static void exec_child(const char *path, char *const argv[], char *const envp[],
                       const int *sources, int *scratch, size_t count,
                       int error_pipe, long open_max) {
  int base = 3 + (int)count;
  child_failure_t failure;
  int error_fd;
  size_t i;
  failure.entry = IPC_SHM__SYS_fcntl;
  for (i = 0; i < count; i++) {
    scratch[i] = SYS.fcntl(sources[i], F_DUPFD_CLOEXEC, base + 1);
    if (scratch[i] < 0)
      goto fail;
  }
  error_fd = SYS.fcntl(error_pipe, F_DUPFD_CLOEXEC, base + 1);
  if (error_fd < 0)
    goto fail;
  error_pipe = error_fd;
  failure.entry = IPC_SHM__SYS_dup2;
  for (i = 0; i < count; i++)
    if (SYS.dup2(scratch[i], 3 + (int)i) < 0) /* dup2 clears close-on-exec */
      goto fail;
  if (SYS.dup2(error_pipe, base) < 0)
    goto fail;
  failure.entry = IPC_SHM__SYS_fcntl;
  if (SYS.fcntl(base, F_SETFD, FD_CLOEXEC) != 0)
    goto fail;
  error_pipe = base;
  close_from(base + 1, open_max);
  failure.entry = IPC_SHM__SYS_execve;
  SYS.execve(path, argv, envp);
fail:
  failure.native = errno;
  (void)SYS.write(error_pipe, &failure, sizeof(failure));
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

/* Wait for a child that will not run, leaving no zombie. */
static void reap(pid_t pid) {
  while (SYS.waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
}

int ipc_shm__os_spawn(ipc_shm_process_t **child, const char *const argv[],
                      const char *inherit_entry, const ipc_shm_native_t *copies,
                      size_t count) {
  struct ipc_shm_process *proc = NULL;
  char *path = NULL, **envp = NULL;
  int *scratch = NULL;
  int error_pipe[2] = {-1, -1};
  long open_max = sysconf(_SC_OPEN_MAX);
  child_failure_t failure;
  int err = 0;
  ssize_t got;
  pid_t pid;

  path = find_program(argv[0], &err);
  if (path == NULL)
    return err;
  proc = (struct ipc_shm_process *)calloc(1, sizeof(*proc));
  scratch = (int *)calloc(count + 1, sizeof(int));
  envp = child_environment(inherit_entry);
  if (proc == NULL || scratch == NULL || envp == NULL) {
    err = ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
    goto done;
  }
  err = make_pipe(error_pipe);
  if (err != 0)
    goto done;
  pid = SYS.fork();
  if (pid < 0) {
    err = ipc_shm__fail(errno, "fork");
    goto done;
  }
  if (pid == 0)
    exec_child(path, mutable_argv(argv), envp, copies, scratch, count,
               error_pipe[1], open_max);
  ipc_shm__os_close_quietly(error_pipe[1]);
  error_pipe[1] = -1;
  /* The pipe closes without a word when exec succeeds. */
  do
    got = SYS.read(error_pipe[0], &failure, sizeof(failure));
  while (got < 0 && errno == EINTR);
  if (got < 0) {
    err = ipc_shm__fail(errno, "read");
    (void)SYS.kill(pid, SIGKILL);
    reap(pid);
    goto done;
  }
  if (got == (ssize_t)sizeof(failure)) {
    reap(pid);
    err = ipc_shm__fail(failure.native, ipc_shm__syscall_name(failure.entry));
    goto done;
  }
  proc->pid = pid;
  *child = proc;
  proc = NULL;

done:
  if (error_pipe[0] >= 0)
    ipc_shm__os_close_quietly(error_pipe[0]);
  if (error_pipe[1] >= 0)
    ipc_shm__os_close_quietly(error_pipe[1]);
  free(envp);
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
    got = SYS.waitpid(child->pid, &status, 0);
  while (got < 0 && errno == EINTR);
  free(child);
  if (got < 0)
    return ipc_shm__fail(errno, "waitpid");
  if (exit_code != NULL)
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return 0;
}
