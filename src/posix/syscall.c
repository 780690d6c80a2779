/* SPDX-License-Identifier: MIT */
/* The POSIX backend's table of system calls. Every call the backend makes
 * goes through ipc_shm__sys, so that tests can make any of them fail
 * (src/common/fault.c); the names are those the error record gives. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* memfd_create, pipe2, accept4 */
#endif

#include "posix_internal.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>

#if defined(__linux__)
#include <sys/syscall.h>
#endif

#if IPC_SHM__LINUX
/* Calls the C library may not wrap (pidfd: glibc 2.36; close_range: 2.34). */
static int ipc_shm__pidfd_open(pid_t pid, unsigned flags) {
#if defined(SYS_pidfd_open)
  return (int)syscall(SYS_pidfd_open, pid, flags);
#else
  (void)pid;
  (void)flags;
  errno = ENOSYS;
  return -1;
#endif
}

static int ipc_shm__pidfd_getfd(int pidfd, int fd, unsigned flags) {
#if defined(SYS_pidfd_getfd)
  return (int)syscall(SYS_pidfd_getfd, pidfd, fd, flags);
#else
  (void)pidfd;
  (void)fd;
  (void)flags;
  errno = ENOSYS;
  return -1;
#endif
}

/* FUTEX_WAIT and FUTEX_WAKE on a word that other processes share (not
 * FUTEX_PRIVATE_FLAG). A relative timeout runs on the monotonic clock. */
static long ipc_shm__futex(uint32_t *word, int op, uint32_t value,
                           const struct timespec *timeout) {
  return syscall(SYS_futex, word, op, value, timeout, NULL, 0);
}

/* futex_waitv with an absolute timeout on the monotonic clock (NULL: no
 * limit); ENOSYS before Linux 5.16 or where the C library does not know
 * its number. */
static long ipc_shm__futex_waitv(ipc_shm__futex_waitv_t *waiters, unsigned count,
                                 const struct timespec *deadline) {
#if defined(SYS_futex_waitv)
  return syscall(SYS_futex_waitv, waiters, count, 0, deadline, CLOCK_MONOTONIC);
#else
  (void)waiters;
  (void)count;
  (void)deadline;
  errno = ENOSYS;
  return -1;
#endif
}

static int ipc_shm__close_range(unsigned first, unsigned last, int flags) {
#if defined(SYS_close_range)
  return (int)syscall(SYS_close_range, first, last, flags);
#else
  (void)first;
  (void)last;
  (void)flags;
  errno = ENOSYS;
  return -1;
#endif
}
#endif

/* The OS functions, with the table's exact types (open and fcntl are
 * variadic). */
#define NATIVE_(name, call, type, params, args, impl, style)                         \
  static type native_##name params { return impl args; }
IPC_SHM__POSIX_SYSCALLS(NATIVE_)
#undef NATIVE_

/* The counting wrappers of fault injection. */
#define FAIL_ERRNO_(name, args)                                                \
  errno = (int)ipc_shm__fault_native();                                        \
  return -1;
#define FAIL_MAPPED_(name, args)                                               \
  errno = (int)ipc_shm__fault_native();                                        \
  return MAP_FAILED;
#define FAIL_NULLPTR_(name, args)                                              \
  errno = (int)ipc_shm__fault_native();                                        \
  return NULL;
#define FAIL_RETURN_(name, args) return (int)ipc_shm__fault_native();
#define FAIL_RELEASE_(name, args)                                              \
  (void)native_##name args;                                                    \
  errno = (int)ipc_shm__fault_native();                                        \
  return -1;
#define FAULTY_(name, call, type, params, args, impl, style)                         \
  static type faulty_##name params {                                           \
    if (ipc_shm__fault_fires(IPC_SHM__SYS_##name)) {                           \
      FAIL_##style##_(name, args)                                              \
    }                                                                          \
    return native_##name args;                                                 \
  }
IPC_SHM__POSIX_SYSCALLS(FAULTY_)
#undef FAULTY_

struct ipc_shm__syscalls ipc_shm__sys = {
#define INIT_(name, call, type, params, args, impl, style) native_##name,
    IPC_SHM__POSIX_SYSCALLS(INIT_)
#undef INIT_
};

static const char *const calls[] = {
#define CALL_(name, call, type, params, args, impl, style) call,
    IPC_SHM__POSIX_SYSCALLS(CALL_)
#undef CALL_
};

static const char *const names[] = {
#define NAME_(name, call, type, params, args, impl, style) #name,
    IPC_SHM__POSIX_SYSCALLS(NAME_)
#undef NAME_
};

int ipc_shm__syscall_count(void) { return IPC_SHM__SYS_COUNT_; }

const char *ipc_shm__syscall_name(int entry) {
  return entry >= 0 && entry < IPC_SHM__SYS_COUNT_ ? calls[entry] : "";
}

const char *ipc_shm__syscall_entry(int entry) {
  return entry >= 0 && entry < IPC_SHM__SYS_COUNT_ ? names[entry] : "";
}

void ipc_shm__os_syscalls_wrap(int on) {
#define SWITCH_(name, call, type, params, args, impl, style)                         \
  ipc_shm__sys.name = on ? faulty_##name : native_##name;
  IPC_SHM__POSIX_SYSCALLS(SWITCH_)
#undef SWITCH_
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void ipc_shm__os_lock(void) { (void)pthread_mutex_lock(&lock); }

void ipc_shm__os_unlock(void) { (void)pthread_mutex_unlock(&lock); }

/* ---- Helpers ---- */

void ipc_shm__os_close_quietly(int fd) {
  int saved = errno;
  (void)SYS.close(fd);
  errno = saved;
}

int ipc_shm__set_cloexec(int fd, int on) {
  int flags = SYS.fcntl(fd, F_GETFD, 0);
  int wanted;
  if (flags < 0)
    return ipc_shm__fail(errno, "fcntl");
  wanted = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
  if (wanted != flags && SYS.fcntl(fd, F_SETFD, wanted) != 0)
    return ipc_shm__fail(errno, "fcntl");
  return 0;
}

void ipc_shm__posix_name(ipc_shm__posix_name_t out, const char *name) {
  out[0] = '/';
  memcpy(out + 1, name, strlen(name) + 1);
}

int ipc_shm__check_memory_object(const struct stat *st) {
  /* Shared-memory objects are regular files on most systems; where they
   * are not, they are at least none of these. */
  if (S_ISFIFO(st->st_mode) || S_ISDIR(st->st_mode) || S_ISCHR(st->st_mode) ||
      S_ISBLK(st->st_mode) || S_ISSOCK(st->st_mode) || S_ISLNK(st->st_mode))
    return ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  return 0;
}
