/* SPDX-License-Identifier: MIT */
/* What the files of the POSIX backend share: the table of system calls
 * they call the OS through, and small helpers. */
#ifndef IPC_SHM_POSIX_INTERNAL_H
#define IPC_SHM_POSIX_INTERNAL_H

#include "../common/shm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* 1 where the Linux interfaces are used: memfd_create and its seals,
 * pidfd_getfd, /proc/self/fd, O_TMPFILE + linkat, abstract sockets, pipe2,
 * accept4, close_range, futexes and thread ids. Building with IPC_SHM_GENERIC_POSIX takes the paths
 * written for the other POSIX systems instead, so that they are tested on
 * Linux too. */
#if defined(__linux__) && !defined(IPC_SHM_GENERIC_POSIX)
#define IPC_SHM__LINUX 1
#else
#define IPC_SHM__LINUX 0
#endif

/* Where shm_open names are files of a directory anyone may write to
 * (glibc: /dev/shm), so that a FIFO or a directory can be planted under a
 * segment's name: opening must not block, and must check what it got. */
#if defined(__linux__)
#define IPC_SHM__SHM_NAMES_ARE_FILES 1
#define IPC_SHM__SHM_DIR "/dev/shm"
#else
#define IPC_SHM__SHM_NAMES_ARE_FILES 0
#endif

/* ---- The table of system calls (src/posix/syscall.c) ----
 * X(name, type, parameters, arguments, implementation, failure style).
 * The failure styles say what a failing call returns: ERRNO (-1 and
 * errno), MAPPED (MAP_FAILED and errno), RETURN (the error itself),
 * RELEASE (the resource is released, then -1 and errno). */
#define IPC_SHM__POSIX_SYSCALLS(X)                                              \
  X(shm_open, int, (const char *a, int b, mode_t c), (a, b, c), shm_open, ERRNO)   \
  X(shm_unlink, int, (const char *a), (a), shm_unlink, ERRNO)                     \
  X(open, int, (const char *a, int b, mode_t c), (a, b, c), open, ERRNO)          \
  X(unlink, int, (const char *a), (a), unlink, ERRNO)                             \
  X(access, int, (const char *a, int b), (a, b), access, ERRNO)                   \
  X(ftruncate, int, (int a, off_t b), (a, b), ftruncate, ERRNO)                   \
  X(posix_fallocate, int, (int a, off_t b, off_t c), (a, b, c), posix_fallocate,  \
    RETURN)                                                                     \
  X(fchmod, int, (int a, mode_t b), (a, b), fchmod, ERRNO)                        \
  X(fstat, int, (int a, struct stat *b), (a, b), fstat, ERRNO)                    \
  X(stat, int, (const char *a, struct stat *b), (a, b), stat, ERRNO)              \
  X(fcntl, int, (int a, int b, int c), (a, b, c), fcntl, ERRNO)                   \
  X(close, int, (int a), (a), close, RELEASE)                                     \
  X(mmap, void *, (void *a, size_t b, int c, int d, int e, off_t f),              \
    (a, b, c, d, e, f), mmap, MAPPED)                                           \
  X(munmap, int, (void *a, size_t b), (a, b), munmap, RELEASE)                    \
  X(msync, int, (void *a, size_t b, int c), (a, b, c), msync, ERRNO)              \
  X(pipe, int, (int *a), (a), pipe, ERRNO)                                        \
  X(fork, pid_t, (void), (), fork, ERRNO)                                         \
  X(execve, int, (const char *a, char *const *b, char *const *c), (a, b, c),      \
    execve, ERRNO)                                                              \
  X(dup2, int, (int a, int b), (a, b), dup2, ERRNO)                               \
  X(waitpid, pid_t, (pid_t a, int *b, int c), (a, b, c), waitpid, ERRNO)          \
  X(read, ssize_t, (int a, void *b, size_t c), (a, b, c), read, ERRNO)            \
  X(write, ssize_t, (int a, const void *b, size_t c), (a, b, c), write, ERRNO)    \
  X(socket, int, (int a, int b, int c), (a, b, c), socket, ERRNO)                 \
  X(bind, int, (int a, const struct sockaddr *b, socklen_t c), (a, b, c), bind,   \
    ERRNO)                                                                      \
  X(listen, int, (int a, int b), (a, b), listen, ERRNO)                           \
  X(accept, int, (int a, struct sockaddr *b, socklen_t *c), (a, b, c), accept,    \
    ERRNO)                                                                      \
  X(connect, int, (int a, const struct sockaddr *b, socklen_t c), (a, b, c),      \
    connect, ERRNO)                                                             \
  X(getsockopt, int, (int a, int b, int c, void *d, socklen_t *e),                \
    (a, b, c, d, e), getsockopt, ERRNO)                                         \
  X(setsockopt, int, (int a, int b, int c, const void *d, socklen_t e),           \
    (a, b, c, d, e), setsockopt, ERRNO)                                         \
  X(sendmsg, ssize_t, (int a, const struct msghdr *b, int c), (a, b, c), sendmsg, \
    ERRNO)                                                                      \
  X(send, ssize_t, (int a, const void *b, size_t c, int d), (a, b, c, d), send,   \
    ERRNO)                                                                      \
  X(recvmsg, ssize_t, (int a, struct msghdr *b, int c), (a, b, c), recvmsg,       \
    ERRNO)                                                                      \
  X(recv, ssize_t, (int a, void *b, size_t c, int d), (a, b, c, d), recv, ERRNO)  \
  X(flock, int, (int a, int b), (a, b), flock, ERRNO)                             \
  X(kill, int, (pid_t a, int b), (a, b), kill, ERRNO)                             \
  IPC_SHM__POSIX_LINUX_SYSCALLS(X)                                              \
  IPC_SHM__POSIX_PEERCRED_SYSCALLS(X)

#if IPC_SHM__LINUX
#define IPC_SHM__POSIX_LINUX_SYSCALLS(X)                                        \
  X(memfd_create, int, (const char *a, unsigned b), (a, b), memfd_create, ERRNO)  \
  X(linkat, int, (int a, const char *b, int c, const char *d, int e),             \
    (a, b, c, d, e), linkat, ERRNO)                                             \
  X(pidfd_open, int, (pid_t a, unsigned b), (a, b), ipc_shm__pidfd_open, ERRNO)   \
  X(pidfd_getfd, int, (int a, int b, unsigned c), (a, b, c),                      \
    ipc_shm__pidfd_getfd, ERRNO)                                                \
  X(pipe2, int, (int *a, int b), (a, b), pipe2, ERRNO)                            \
  X(accept4, int, (int a, struct sockaddr *b, socklen_t *c, int d),               \
    (a, b, c, d), accept4, ERRNO)                                               \
  X(close_range, int, (unsigned a, unsigned b, int c), (a, b, c),                 \
    ipc_shm__close_range, ERRNO)                                                \
  X(futex, long, (uint32_t *a, int b, uint32_t c, const struct timespec *d),      \
    (a, b, c, d), ipc_shm__futex, ERRNO)
#else
#define IPC_SHM__POSIX_LINUX_SYSCALLS(X)
#endif

/* Who is at the other end of a socket: SO_PEERCRED where there is one,
 * getpeereid elsewhere. */
#if defined(SO_PEERCRED)
#define IPC_SHM__POSIX_PEERCRED_SYSCALLS(X)
#else
#define IPC_SHM__POSIX_PEERCRED_SYSCALLS(X)                                     \
  X(getpeereid, int, (int a, uid_t *b, gid_t *c), (a, b, c), getpeereid, ERRNO)
#endif

enum {
#define IPC_SHM__SYSCALL_INDEX_(name, type, params, args, impl, style) IPC_SHM__SYS_##name,
  IPC_SHM__POSIX_SYSCALLS(IPC_SHM__SYSCALL_INDEX_)
#undef IPC_SHM__SYSCALL_INDEX_
  IPC_SHM__SYS_COUNT_
};

struct ipc_shm__syscalls {
#define IPC_SHM__SYSCALL_FIELD_(name, type, params, args, impl, style) type(*name) params;
  IPC_SHM__POSIX_SYSCALLS(IPC_SHM__SYSCALL_FIELD_)
#undef IPC_SHM__SYSCALL_FIELD_
};

/* What the backend calls: SYS.open(...), SYS.mmap(...), ... */
extern struct ipc_shm__syscalls ipc_shm__sys;
#define SYS ipc_shm__sys

/* ---- Helpers (src/posix/syscall.c) ---- */

/* Close a descriptor on an error path without losing errno. */
void ipc_shm__close_quietly(int fd);

/* Set or clear FD_CLOEXEC. 0 or a portable code. */
int ipc_shm__set_cloexec(int fd, int on);

/* "/" + name + NUL: the one mapping of a portable name to shm_open. */
typedef char ipc_shm__posix_name_t[IPC_SHM_NAME_MAX + 2];
void ipc_shm__posix_name(ipc_shm__posix_name_t out, const char *name);

/* 0 if st describes something a segment can live in; WRONG_KIND for a
 * FIFO, a directory, a device, a socket or a link. */
int ipc_shm__check_memory_object(const struct stat *st);

/* Map the block of an event or mutex handed over as obj->handle and check
 * that it holds obj->object's kind (src/posix/sync.c). 0, or BAD_TOKEN with
 * nothing mapped. */
int ipc_shm__posix_sync_attach(struct ipc_shm *obj);

/* Sleeping and waking on a word of shared memory, for events, mutexes and
 * channels (src/posix/sync.c): Linux FUTEX_WAIT/FUTEX_WAKE, elsewhere a
 * pause and a look. Sleep while *word holds `expected`, at most `ns` (> 0;
 * INT64_MAX: no limit): 0 when woken or interrupted, 1 when the time ran
 * out, or an error. */
int ipc_shm__posix_sleep_on(uint32_t *word, uint32_t expected, int64_t ns);
/* Where there is no futex, sleepers poll: the pause between looks grows
 * from POLL_FIRST to POLL_MAX, which bounds how late a wake-up is seen. */
#define IPC_SHM__POLL_FIRST_NS 50000LL
#define IPC_SHM__POLL_MAX_NS 5000000LL
int ipc_shm__posix_wake(uint32_t *word, int all);

/* 0 if the thread or process `owner` (pid << 32 | thread) is certainly
 * gone, 1 if it lives or that cannot be told. */
int ipc_shm__posix_owner_alive(uint64_t owner);

#endif
