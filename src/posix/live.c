/* SPDX-License-Identifier: MIT */
/* POSIX backend of liveness: who this process and thread are, and whether
 * another process is still there.
 *
 * Linux asks the kernel: a process attached to an object holds a presence,
 * an open-file-description lock on one byte of the object's file. The
 * kernel drops it when the process ends (before it is reaped), it means
 * the same in every PID namespace, and no other process can inherit it by
 * reusing a process id. (The kernel's robust-futex list would also wake a
 * sleeper at once, but it belongs to one thread, not to the process, and to
 * the C library, which links it through the locks themselves: entries of
 * ours would put pointers that the C library follows in memory every peer
 * can write. Asking about a presence is a system call, so callers cache the
 * answer and sleepers ask after each slice.)
 *
 * Other systems have no such lock (macOS has no OFD locks; a POSIX record
 * lock is dropped when the process closes any descriptor of the file):
 * there a process is judged by its id, which another process may reuse,
 * and which means nothing in another PID namespace. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* F_OFD_SETLK, gettid */
#endif

#include "posix_internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#if IPC_SHM__LINUX
#include <sys/syscall.h>
#endif

/* ---- Who this process and thread are ---- */

static _Thread_local uint32_t thread_cached;
static uint64_t slot_cached; /* 0 until asked; a fork clears it */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t presences_lock = PTHREAD_MUTEX_INITIALIZER;
static ipc_shm__presence_t *presences;

/* A forked child is another process: it gets its own slot and threads,
 * and keeps none of its parent's presences (they would keep the parent
 * looking alive). It closes them, which leaves the parent's locks alone. */
static void before_fork(void) { (void)pthread_mutex_lock(&presences_lock); }
static void after_fork_in_parent(void) { (void)pthread_mutex_unlock(&presences_lock); }
static void after_fork_in_child(void) {
  ipc_shm__presence_t *p;
  thread_cached = 0;
  slot_cached = 0;
  for (p = presences; p != NULL; p = p->next)
    if (p->fd >= 0) {
      (void)SYS.close(p->fd);
      p->fd = -1;
    }
  (void)pthread_mutex_unlock(&presences_lock);
}
static void register_fork_handlers(void) {
  (void)pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
}

uint32_t ipc_shm__posix_thread_id(void) {
  if (thread_cached == 0) {
#if IPC_SHM__LINUX
    thread_cached = (uint32_t)syscall(SYS_gettid);
#else
    static uint32_t threads;
    thread_cached = ipc_shm__fetch_add_seq_cst32(&threads, 1u) + 1u;
#endif
    (void)pthread_once(&fork_once, register_fork_handlers);
  }
  return thread_cached;
}

uint64_t ipc_shm__posix_process_slot(void) {
  uint64_t slot = ipc_shm__load_relaxed64(&slot_cached);
  if (slot == 0) {
    static int anchor;
    (void)pthread_once(&fork_once, register_fork_handlers);
    /* Unique among live processes, without a system call: the moment
     * asked (nanoseconds), the process id (the same id in two PID
     * namespaces differs in the moment) and where the program was loaded
     * (address randomization), mixed. Two processes share a slot once in
     * 2^42 at worst; a waiter then takes a dead owner's mutex for a live
     * one's and waits until its timeout. */
    slot = (uint64_t)ipc_shm__os_now_ns();
    slot = (slot ^ (uint64_t)getpid() << 40) * 0x9E3779B97F4A7C15ull;
    slot ^= (uint64_t)(uintptr_t)&anchor;
    slot = (slot ^ slot >> 29) * 0xBF58476D1CE4E5B9ull;
    slot ^= slot >> 32;
    slot &= IPC_SHM__POSIX_SLOT_MASK;
    if (slot == 0)
      slot = 1;
    ipc_shm__store_relaxed64(&slot_cached, slot);
  }
  return slot;
}

/* ---- Processes by id (other systems, and threads of this process) ---- */

int ipc_shm__posix_process_gone(uint32_t pid) {
  siginfo_t info;
  if ((pid_t)pid <= 0)
    return 1; /* no process has such an id */
  if (SYS.kill((pid_t)pid, 0) != 0 && errno == ESRCH)
    return 1;
  /* A child of this process that ended is a zombie until it is reaped:
   * dead, though kill() still finds it. WNOWAIT leaves it to be reaped. */
  memset(&info, 0, sizeof(info));
  if (SYS.waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
      info.si_pid == (pid_t)pid)
    return 1;
  return 0;
}

#if IPC_SHM__LINUX
int ipc_shm__posix_thread_gone(uint32_t thread) {
  char path[64], stat_line[512];
  const char *end;
  ssize_t got;
  int fd;
  if ((pid_t)thread <= 0)
    return 1;
  snprintf(path, sizeof(path), "/proc/self/task/%u/stat", (unsigned)thread);
  fd = SYS.open(path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return errno == ENOENT;
  got = SYS.read(fd, stat_line, sizeof(stat_line) - 1);
  ipc_shm__os_close_quietly(fd);
  if (got <= 0)
    return 0;
  stat_line[got] = '\0';
  /* "tid (comm) S ...": comm may hold anything, so the last ')'. */
  end = strrchr(stat_line, ')');
  return end != NULL && end[1] == ' ' && (end[2] == 'Z' || end[2] == 'X');
}
#endif

/* ---- Presences ---- */

void ipc_shm__posix_presence_init(ipc_shm__presence_t *p) {
  p->fd = -1;
  p->byte = 0;
  p->exclusive = 0;
  p->prev = p->next = NULL;
}

#if IPC_SHM__LINUX
static void list_add(ipc_shm__presence_t *p) {
  (void)pthread_mutex_lock(&presences_lock);
  p->prev = NULL;
  p->next = presences;
  if (presences != NULL)
    presences->prev = p;
  presences = p;
  (void)pthread_mutex_unlock(&presences_lock);
}

static void list_remove(ipc_shm__presence_t *p) {
  (void)pthread_mutex_lock(&presences_lock);
  if (p->prev != NULL)
    p->prev->next = p->next;
  else if (presences == p)
    presences = p->next;
  if (p->next != NULL)
    p->next->prev = p->prev;
  p->prev = p->next = NULL;
  (void)pthread_mutex_unlock(&presences_lock);
}

static struct flock byte_lock(short type, uint64_t byte) {
  struct flock lock;
  memset(&lock, 0, sizeof(lock));
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = (off_t)byte;
  lock.l_len = 1;
  return lock;
}
#endif

int ipc_shm__posix_presence_take(ipc_shm__presence_t *p, int object_fd, int writable,
                                 uint64_t byte, int exclusive) {
#if IPC_SHM__LINUX
  char path[64];
  struct flock lock;
  int fd, err;
  (void)pthread_once(&fork_once, register_fork_handlers);
  /* A description of its own: a dup() would share the lock with every
   * copy of the descriptor that is handed out. */
  snprintf(path, sizeof(path), "/proc/self/fd/%d", object_fd);
  fd = SYS.open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
  if (fd < 0)
    return ipc_shm__fail(errno, "open");
  lock = byte_lock(exclusive ? F_WRLCK : F_RDLCK, byte);
  if (SYS.fcntl_lock(fd, F_OFD_SETLK, &lock) != 0) {
    err = errno == EAGAIN || errno == EACCES
              ? ipc_shm__fail_as(errno, "fcntl", IPC_SHM_E_EXISTS)
              : ipc_shm__fail(errno, "fcntl");
    ipc_shm__os_close_quietly(fd);
    return err;
  }
  p->fd = fd;
  p->byte = byte;
  p->exclusive = exclusive;
  list_add(p);
  return 0;
#else
  (void)p;
  (void)object_fd;
  (void)writable;
  (void)byte;
  (void)exclusive;
  return 0;
#endif
}

void ipc_shm__posix_presence_drop(ipc_shm__presence_t *p) {
#if IPC_SHM__LINUX
  list_remove(p);
  if (p->fd >= 0) {
    ipc_shm__os_close_quietly(p->fd); /* the lock goes with the description */
    p->fd = -1;
  }
#else
  (void)p;
#endif
}

int ipc_shm__posix_presence_held(const ipc_shm__presence_t *mine, uint64_t byte) {
#if IPC_SHM__LINUX
  struct flock lock = byte_lock(F_WRLCK, byte);
  if (mine->fd < 0)
    return -1;
  /* Any lock of another description conflicts with a write lock. */
  if (SYS.fcntl_lock(mine->fd, F_OFD_GETLK, &lock) != 0)
    return -1;
  return lock.l_type != F_UNLCK;
#else
  (void)mine;
  (void)byte;
  return -1;
#endif
}

int ipc_shm__posix_take_role(ipc_shm__presence_t *presence, int object_fd, uint64_t byte,
                             uint64_t *role, uint64_t self) {
#if IPC_SHM__LINUX
  int err = ipc_shm__posix_presence_take(presence, object_fd, 1, byte, 1);
  if (err != 0)
    return err;
  ipc_shm__store_seq_cst64(role, self);
  return 0;
#else
  int attempt;
  (void)presence;
  (void)object_fd;
  (void)byte;
  for (attempt = 0; attempt < 16; attempt++) {
    uint64_t holder = ipc_shm__load_acquire64(role);
    if (holder > 1u && !ipc_shm__posix_process_gone((uint32_t)(holder >> 32)))
      return ipc_shm__fail_arg(IPC_SHM_E_EXISTS);
    if (ipc_shm__cas_seq_cst64(role, &holder, self))
      return 0;
  }
  return ipc_shm__fail_arg(IPC_SHM_E_EXISTS);
#endif
}
