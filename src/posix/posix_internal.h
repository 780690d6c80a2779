/* SPDX-License-Identifier: MIT */
/* What the files of the POSIX backend share: the table of system calls
 * they call the OS through, and small helpers. */
#ifndef IPC_SHM_POSIX_INTERNAL_H
#define IPC_SHM_POSIX_INTERNAL_H

#include "../common/fault.h"
#include "../common/port.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>


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
 * X(name, "name", type, parameters, arguments, implementation, failure style).
 * The failure styles say what a failing call returns: ERRNO (-1 and
 * errno), MAPPED (MAP_FAILED and errno), NULLPTR (NULL and errno),
 * RETURN (the error itself),
 * RELEASE (the resource is released, then -1 and errno). */
#define IPC_SHM__POSIX_SYSCALLS(X)                                              \
  X(shm_open, "shm_open", int, (const char *a, int b, mode_t c), (a, b, c), shm_open, ERRNO)   \
  X(shm_unlink, "shm_unlink", int, (const char *a), (a), shm_unlink, ERRNO)                     \
  X(open, "open", int, (const char *a, int b, mode_t c), (a, b, c), open, ERRNO)          \
  X(unlink, "unlink", int, (const char *a), (a), unlink, ERRNO)                             \
  X(access, "access", int, (const char *a, int b), (a, b), access, ERRNO)                   \
  X(ftruncate, "ftruncate", int, (int a, off_t b), (a, b), ftruncate, ERRNO)                   \
  X(fchmod, "fchmod", int, (int a, mode_t b), (a, b), fchmod, ERRNO)                        \
  X(fstat, "fstat", int, (int a, struct stat *b), (a, b), fstat, ERRNO)                    \
  X(stat, "stat", int, (const char *a, struct stat *b), (a, b), stat, ERRNO)              \
  X(fcntl, "fcntl", int, (int a, int b, int c), (a, b, c), fcntl, ERRNO)                   \
  X(close, "close", int, (int a), (a), close, RELEASE)                                     \
  X(pread, "pread", ssize_t, (int a, void *b, size_t c, off_t d), (a, b, c, d), pread, ERRNO) \
  X(opendir, "opendir", DIR *, (const char *a), (a), opendir, NULLPTR)                   \
  X(readdir, "readdir", struct dirent *, (DIR *a), (a), readdir, NULLPTR)                 \
  X(closedir, "closedir", int, (DIR *a), (a), closedir, RELEASE)                          \
  X(readlink, "readlink", ssize_t, (const char *a, char *b, size_t c), (a, b, c), readlink, ERRNO) \
  X(mmap, "mmap", void *, (void *a, size_t b, int c, int d, int e, off_t f),              \
    (a, b, c, d, e, f), mmap, MAPPED)                                           \
  X(munmap, "munmap", int, (void *a, size_t b), (a, b), munmap, RELEASE)                    \
  X(msync, "msync", int, (void *a, size_t b, int c), (a, b, c), msync, ERRNO)              \
  X(pipe, "pipe", int, (int *a), (a), pipe, ERRNO)                                        \
  X(fork, "fork", pid_t, (void), (), fork, ERRNO)                                         \
  X(execve, "execve", int, (const char *a, char *const *b, char *const *c), (a, b, c),      \
    execve, ERRNO)                                                              \
  X(dup2, "dup2", int, (int a, int b), (a, b), dup2, ERRNO)                               \
  X(waitpid, "waitpid", pid_t, (pid_t a, int *b, int c), (a, b, c), waitpid, ERRNO)          \
  X(read, "read", ssize_t, (int a, void *b, size_t c), (a, b, c), read, ERRNO)            \
  X(write, "write", ssize_t, (int a, const void *b, size_t c), (a, b, c), write, ERRNO)    \
  X(socket, "socket", int, (int a, int b, int c), (a, b, c), socket, ERRNO)                 \
  X(bind, "bind", int, (int a, const struct sockaddr *b, socklen_t c), (a, b, c), bind,   \
    ERRNO)                                                                      \
  X(listen, "listen", int, (int a, int b), (a, b), listen, ERRNO)                           \
  X(accept, "accept", int, (int a, struct sockaddr *b, socklen_t *c), (a, b, c), accept,    \
    ERRNO)                                                                      \
  X(connect, "connect", int, (int a, const struct sockaddr *b, socklen_t c), (a, b, c),      \
    connect, ERRNO)                                                             \
  X(getsockopt, "getsockopt", int, (int a, int b, int c, void *d, socklen_t *e),                \
    (a, b, c, d, e), getsockopt, ERRNO)                                         \
  X(setsockopt, "setsockopt", int, (int a, int b, int c, const void *d, socklen_t e),           \
    (a, b, c, d, e), setsockopt, ERRNO)                                         \
  X(sendmsg, "sendmsg", ssize_t, (int a, const struct msghdr *b, int c), (a, b, c), sendmsg, \
    ERRNO)                                                                      \
  X(send, "send", ssize_t, (int a, const void *b, size_t c, int d), (a, b, c, d), send,   \
    ERRNO)                                                                      \
  X(recvmsg, "recvmsg", ssize_t, (int a, struct msghdr *b, int c), (a, b, c), recvmsg,       \
    ERRNO)                                                                      \
  X(recv, "recv", ssize_t, (int a, void *b, size_t c, int d), (a, b, c, d), recv, ERRNO)  \
  X(flock, "flock", int, (int a, int b), (a, b), flock, ERRNO)                             \
  X(kill, "kill", int, (pid_t a, int b), (a, b), kill, ERRNO)                             \
  X(waitid, "waitid", int, (idtype_t a, id_t b, siginfo_t *c, int d), (a, b, c, d), waitid,  \
    ERRNO)                                                                      \
  X(fcntl_lock, "fcntl", int, (int a, int b, struct flock *c), (a, b, c), fcntl, ERRNO)    \
  X(sched_yield, "sched_yield", int, (void), (), sched_yield, ERRNO)                             \
  X(nanosleep, "nanosleep", int, (const struct timespec *a, struct timespec *b), (a, b),        \
    nanosleep, ERRNO)                                                           \
  IPC_SHM__POSIX_FALLOCATE_SYSCALLS(X)                                          \
  IPC_SHM__POSIX_LINUX_SYSCALLS(X)                                              \
  IPC_SHM__POSIX_PEERCRED_SYSCALLS(X)

/* Reserving a new object's memory: Linux, also with IPC_SHM_GENERIC_POSIX
 * (other systems, macOS among them, have no posix_fallocate or none that
 * works on shared memory: the reservation is skipped there). */
#if defined(__linux__)
#define IPC_SHM__POSIX_FALLOCATE_SYSCALLS(X)                                    \
  X(posix_fallocate, "posix_fallocate", int, (int a, off_t b, off_t c), (a, b, c), posix_fallocate,  \
    RETURN)
#else
#define IPC_SHM__POSIX_FALLOCATE_SYSCALLS(X)
#endif

#if IPC_SHM__LINUX
/* One futex of futex_waitv (struct futex_waitv, Linux 5.16), spelled here
 * so that older kernel headers build: the value a sleeper expects, the
 * word's address, and FUTEX2_SIZE_U32 (shared: no FUTEX2_PRIVATE). */
typedef struct ipc_shm__futex_waitv {
  uint64_t value;
  uint64_t address;
  uint32_t flags;
  uint32_t reserved;
} ipc_shm__futex_waitv_t;
#define IPC_SHM__FUTEX2_SIZE_U32 0x02u

#define IPC_SHM__POSIX_LINUX_SYSCALLS(X)                                        \
  X(memfd_create, "memfd_create", int, (const char *a, unsigned b), (a, b), memfd_create, ERRNO)  \
  X(linkat, "linkat", int, (int a, const char *b, int c, const char *d, int e),             \
    (a, b, c, d, e), linkat, ERRNO)                                             \
  X(pidfd_open, "pidfd_open", int, (pid_t a, unsigned b), (a, b), ipc_shm__pidfd_open, ERRNO)   \
  X(pidfd_getfd, "pidfd_getfd", int, (int a, int b, unsigned c), (a, b, c),                      \
    ipc_shm__pidfd_getfd, ERRNO)                                                \
  X(pipe2, "pipe2", int, (int *a, int b), (a, b), pipe2, ERRNO)                            \
  X(accept4, "accept4", int, (int a, struct sockaddr *b, socklen_t *c, int d),               \
    (a, b, c, d), accept4, ERRNO)                                               \
  X(close_range, "close_range", int, (unsigned a, unsigned b, int c), (a, b, c),                 \
    ipc_shm__close_range, ERRNO)                                                \
  X(futex, "futex", long, (uint32_t *a, int b, uint32_t c, const struct timespec *d),      \
    (a, b, c, d), ipc_shm__futex, ERRNO)                                        \
  X(futex_waitv, "futex_waitv", long,                                           \
    (ipc_shm__futex_waitv_t *a, unsigned b, const struct timespec *c), (a, b, c), \
    ipc_shm__futex_waitv, ERRNO)                                                \
  X(sched_getaffinity, "sched_getaffinity", int, (pid_t a, size_t b, cpu_set_t *c), (a, b, c),          \
    sched_getaffinity, ERRNO)
#else
#define IPC_SHM__POSIX_LINUX_SYSCALLS(X)
#endif

/* Who is at the other end of a socket: SO_PEERCRED where there is one,
 * getpeereid elsewhere. */
#if defined(SO_PEERCRED)
#define IPC_SHM__POSIX_PEERCRED_SYSCALLS(X)
#else
#define IPC_SHM__POSIX_PEERCRED_SYSCALLS(X)                                     \
  X(getpeereid, "getpeereid", int, (int a, uid_t *b, gid_t *c), (a, b, c), getpeereid, ERRNO)
#endif

enum {
#define IPC_SHM__SYSCALL_INDEX_(name, call, type, params, args, impl, style) IPC_SHM__SYS_##name,
  IPC_SHM__POSIX_SYSCALLS(IPC_SHM__SYSCALL_INDEX_)
#undef IPC_SHM__SYSCALL_INDEX_
  IPC_SHM__SYS_COUNT_
};

struct ipc_shm__syscalls {
#define IPC_SHM__SYSCALL_FIELD_(name, call, type, params, args, impl, style) type(*name) params;
  IPC_SHM__POSIX_SYSCALLS(IPC_SHM__SYSCALL_FIELD_)
#undef IPC_SHM__SYSCALL_FIELD_
};

/* What the backend calls: SYS.open(...), SYS.mmap(...), ... */
extern struct ipc_shm__syscalls ipc_shm__sys;
#define SYS ipc_shm__sys

/* ---- Helpers (src/posix/syscall.c) ---- */


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
/* Wait on an event as a waiter that began when its state word held `seen`
 * (ipc_shm__os_event_wait() passes the word it loads first): a manual-reset
 * event's set since then releases it, reset or not. For tests, which can
 * so make a set and a reset fall between a waiter's first look and its
 * next, at will. */
int ipc_shm__posix_event_wait_from(struct ipc_shm *event, int64_t timeout_ms, uint32_t seen);

/* The state word of an event or mutex (the futex word), for the same tests. */
uint32_t ipc_shm__posix_sync_word(struct ipc_shm *obj);

/* The kind of object (IPC_SHM_KIND_EVENT or _MUTEX) whose first 64 bytes
 * are `head`, or 0 if they are no event's or mutex's state
 * (src/posix/sync.c). */
int ipc_shm__posix_sync_kind(const unsigned char head[IPC_SHM__SYNC_SIZE]);

/* Undo ipc_shm__posix_sync_attach(): unmap the block, drop the presence. */
void ipc_shm__posix_sync_detach(struct ipc_shm *obj);

/* ---- Waiting (src/posix/wait.c) ---- */

/* Sleep while *word holds `expected`, at most `ns` (> 0; INT64_MAX: no
 * limit): Linux FUTEX_WAIT on a word other processes share; elsewhere a
 * pause and a look, the pause growing from POLL_FIRST to POLL_MAX, which
 * bounds how late a change is seen. 0 when woken, interrupted or the word
 * changed, 1 when the time ran out, or an error. */
int ipc_shm__posix_sleep_on(uint32_t *word, uint32_t expected, int64_t ns);
#define IPC_SHM__POLL_FIRST_NS 50000LL
#define IPC_SHM__POLL_MAX_NS 5000000LL
/* Wake one or every sleeper on *word (nothing to do where sleepers poll). */
int ipc_shm__posix_wake(uint32_t *word, int all);

/* ---- Liveness (src/posix/live.c) ---- */

/* The calling thread: its Linux thread id, elsewhere a number given to
 * each thread of the process. Cached; a forked child asks again. */
uint32_t ipc_shm__posix_thread_id(void);

/* This process's slot: a random number (42 bits, never 0) that names it in
 * the owner word of a mutex and is the byte of its presence there. A
 * forked child gets its own. */
#define IPC_SHM__POSIX_SLOT_MASK ((((uint64_t)1) << 42) - 1)
#define IPC_SHM__POSIX_THREAD_BITS 22 /* Linux thread ids are below 2^22 */
uint64_t ipc_shm__posix_process_slot(void);

/* 1 if the process `pid` is certainly gone: no such process, or a child of
 * this one that has ended and is not reaped yet; 0 if it may live (it may
 * also be another process that reused the id). */
int ipc_shm__posix_process_gone(uint32_t pid);

#if IPC_SHM__LINUX
/* 1 if the thread `thread` of this process has ended (or is a zombie). */
int ipc_shm__posix_thread_gone(uint32_t thread);
#endif

/* Presences (see posix_object.h). Take: lock `byte` of the object behind
 * `object_fd` (opened for writing when `writable`), exclusively (a write
 * lock: EXISTS when another description holds any lock there) or shared
 * (a read lock). Where there are no OFD locks, takes nothing and succeeds.
 * Drop: release it (nothing if none is held). Held: 1 if another open
 * file description holds a lock on `byte`, 0 if none does, -1 when it
 * cannot be told (no presence of this process to ask through, no OFD
 * locks, a failing call). */
void ipc_shm__posix_presence_init(ipc_shm__presence_t *p);
int ipc_shm__posix_presence_take(ipc_shm__presence_t *p, int object_fd, int writable,
                                 uint64_t byte, int exclusive);
void ipc_shm__posix_presence_drop(ipc_shm__presence_t *p);
int ipc_shm__posix_presence_held(const ipc_shm__presence_t *mine, uint64_t byte);

/* Take a role of a channel or topic whose holder is the word `*role` of
 * the object behind `object_fd`: Linux locks `byte` (the word's first)
 * exclusively through a presence of its own, then stores `self` in the
 * word; elsewhere a CAS to `self` from a holder that is free, left (1) or
 * whose process is gone. 0, or EXISTS while a live process holds it. */
int ipc_shm__posix_take_role(ipc_shm__presence_t *presence, int object_fd, uint64_t byte,
                             uint64_t *role, uint64_t self);

#endif
