/* SPDX-License-Identifier: MIT */
/* POSIX backend of events and mutexes: their state lives in a 64-byte
 * shared-memory object (the block below), so that names, descriptors and
 * every hand-over route are those of segments. Linux sleeps on a futex in
 * the block; other systems poll it with a growing pause.
 *
 * Every field of the block may have been scribbled on by a hostile peer:
 * any value leads to an error or a wait, never to a crash. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif

#include "posix_internal.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#if IPC_SHM__LINUX
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

/* The block. Layout 1; the magic (which carries the layout in its last
 * byte) is written last, so an opener that sees it sees the rest. */
typedef struct sync_block {
  uint64_t magic;
  uint32_t kind;    /* KIND_* */
  uint32_t unused0;
  uint32_t word;    /* the futex word: event, generation << 1 | set;
                       mutex, a sequence bumped to wake sleepers */
  uint32_t waiters; /* threads about to sleep or asleep on word */
  uint64_t owner;   /* mutex: pid << 32 | thread, 0 when free */
  uint32_t state;   /* mutex: STATE_* */
  uint32_t unused[7];
} sync_block_t;

typedef char sync_block_size_check[sizeof(sync_block_t) == IPC_SHM__SYNC_SIZE ? 1 : -1];

#define BLOCK_MAGIC_TEXT "ipcsync\001"
enum { KIND_EVENT_AUTO = 1, KIND_EVENT_MANUAL = 2, KIND_MUTEX = 3 };
enum { STATE_CONSISTENT = 0, STATE_OWNER_DIED = 1, STATE_NOT_RECOVERABLE = 2 };

/* How long an opener waits for a creator to finish the block. */
#define INIT_WAIT_NS 2000000000LL
/* A waiter for a held mutex checks whether the owner lives after the first
 * slice and then after each longer one (Linux, where a futex wakes it on
 * unlock); elsewhere the pause between polls grows to POLL_MAX_NS. */
#define SLICE_FIRST_NS 2000000LL
#define SLICE_MAX_NS 64000000LL
#define POLL_FIRST_NS IPC_SHM__POLL_FIRST_NS
#define POLL_MAX_NS IPC_SHM__POLL_MAX_NS

static uint64_t block_magic(void) {
  uint64_t magic;
  memcpy(&magic, BLOCK_MAGIC_TEXT, sizeof(magic));
  return magic;
}

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define CAS(p, expected, desired)                                              \
  __atomic_compare_exchange_n((p), (expected), (desired), 0, __ATOMIC_SEQ_CST, \
                              __ATOMIC_SEQ_CST)

int64_t ipc_shm__os_now_ns(void) {
  struct timespec ts;
  (void)clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t deadline_of(int64_t timeout_ms) {
  if (timeout_ms == IPC_SHM_FOREVER || timeout_ms > INT64_MAX / 2000000LL)
    return INT64_MAX;
  return ipc_shm__os_now_ns() + timeout_ms * 1000000LL;
}

/* ---- Who this thread is ---- */

/* pid << 32 | thread: the Linux thread id, elsewhere a number given to each
 * thread of the process. Cached, so that an uncontended lock makes no
 * system call; a forked child starts afresh. */
static _Thread_local uint64_t self_cached;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void forget_self(void) { self_cached = 0; }
static void register_fork_handler(void) {
  (void)pthread_atfork(NULL, NULL, forget_self);
}

static uint64_t self_owner(void) {
  if (self_cached == 0) {
    uint32_t thread;
#if IPC_SHM__LINUX
    thread = (uint32_t)syscall(SYS_gettid);
#else
    static uint32_t threads;
    thread = __atomic_add_fetch(&threads, 1, __ATOMIC_SEQ_CST);
#endif
    (void)pthread_once(&fork_once, register_fork_handler);
    self_cached = (uint64_t)(uint32_t)getpid() << 32 | thread;
  }
  return self_cached;
}

/* 0 if the owner is certainly gone (its thread on Linux, its process
 * elsewhere), 1 if it lives or that cannot be told. */
int ipc_shm__posix_owner_alive(uint64_t owner) {
  pid_t pid = (pid_t)(uint32_t)(owner >> 32);
#if IPC_SHM__LINUX
  pid_t thread = (pid_t)(uint32_t)owner;
  char path[64], stat_line[512];
  struct stat proc;
  ssize_t got;
  const char *end;
  int fd;
#endif
  /* A value no process can have: nobody can ever unlock it. */
  if (pid <= 0)
    return 0;
  if (SYS.kill(pid, 0) != 0 && errno == ESRCH)
    return 0;
#if IPC_SHM__LINUX
  if (thread <= 0)
    return 0;
  /* The thread must still belong to the process and not be a zombie: a
   * killed process is dead before its parent reaps it. */
  snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)thread);
  fd = SYS.open(path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    /* Missing while /proc is there: the thread has ended. */
    return !(errno == ENOENT && SYS.stat("/proc/self/task", &proc) == 0);
  got = SYS.read(fd, stat_line, sizeof(stat_line) - 1);
  ipc_shm__close_quietly(fd);
  if (got <= 0)
    return 1;
  stat_line[got] = '\0';
  /* "tid (comm) S ...": comm may hold anything, so the last ')'. */
  end = strrchr(stat_line, ')');
  if (end != NULL && end[1] == ' ' && (end[2] == 'Z' || end[2] == 'X'))
    return 0;
#endif
  return 1;
}

/* ---- Sleeping and waking ---- */

/* Before sleeping, a waiter watches the word for a few microseconds: a
 * peer that answers at once (a ping-pong, a lock held briefly) is then
 * seen without either side making a system call. */
#define SPIN_ROUNDS 200

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

/* Spin until *word differs from `expected` (1) or the rounds end (0). */
static int spin_while(const uint32_t *word, uint32_t expected) {
  int round;
  for (round = 0; round < SPIN_ROUNDS; round++) {
    if (__atomic_load_n(word, __ATOMIC_RELAXED) != expected)
      return 1;
    cpu_relax();
  }
  return 0;
}

/* Sleep while *word holds `expected`, at most `ns` (> 0; INT64_MAX: no
 * limit). 0 when woken or
 * interrupted (the caller looks again), 1 when the time ran out, or an
 * error. */
int ipc_shm__posix_sleep_on(uint32_t *word, uint32_t expected, int64_t ns) {
#if IPC_SHM__LINUX
  struct timespec pause;
  pause.tv_sec = (time_t)(ns / 1000000000LL);
  pause.tv_nsec = (long)(ns % 1000000000LL);
  if (SYS.futex(word, FUTEX_WAIT, expected, ns == INT64_MAX ? NULL : &pause) == 0)
    return 0;
  if (errno == EAGAIN || errno == EINTR)
    return 0;
  if (errno == ETIMEDOUT)
    return 1;
  return ipc_shm__fail(errno, "futex");
#else
  struct timespec pause;
  if (LOAD(word) != expected)
    return 0;
  pause.tv_sec = (time_t)(ns / 1000000000LL);
  pause.tv_nsec = (long)(ns % 1000000000LL);
  (void)nanosleep(&pause, NULL);
  return LOAD(word) != expected ? 0 : 1;
#endif
}

/* Wake one or every sleeper on *word (nothing to do where sleepers poll). */
int ipc_shm__posix_wake(uint32_t *word, int all) {
#if IPC_SHM__LINUX
  if (SYS.futex(word, FUTEX_WAKE, all ? (uint32_t)INT_MAX : 1u, NULL) < 0)
    return ipc_shm__fail(errno, "futex");
#else
  (void)word;
  (void)all;
#endif
  return 0;
}

/* How long the next sleep may last: to the deadline, and at most `slice`
 * (the growing poll pause where there is no futex). */
static int64_t next_sleep(int64_t deadline, int64_t slice) {
  int64_t left = deadline == INT64_MAX ? INT64_MAX : deadline - ipc_shm__os_now_ns();
  return left < slice ? left : slice;
}

static int64_t first_slice(void) {
  return IPC_SHM__LINUX ? SLICE_FIRST_NS : POLL_FIRST_NS;
}

static int64_t grow_slice(int64_t slice) {
  int64_t max = IPC_SHM__LINUX ? SLICE_MAX_NS : POLL_MAX_NS;
  return slice * 2 < max ? slice * 2 : max;
}

/* Spin until the mutex owner is 0 (1) or the rounds end (0). */
static int spin_until_free(const uint64_t *owner) {
  int round;
  for (round = 0; round < SPIN_ROUNDS; round++) {
    if (__atomic_load_n(owner, __ATOMIC_RELAXED) == 0)
      return 1;
    cpu_relax();
  }
  return 0;
}

/* ---- The block ---- */

static int map_block(struct ipc_shm *obj) {
  void *block = SYS.mmap(NULL, IPC_SHM__SYNC_SIZE, PROT_READ | PROT_WRITE,
                         MAP_SHARED, obj->handle, 0);
  if (block == MAP_FAILED)
    return ipc_shm__fail(errno, "mmap");
  obj->block = block;
  return 0;
}

static void unmap_block_quietly(struct ipc_shm *obj) {
  int saved = errno;
  (void)SYS.munmap(obj->block, IPC_SHM__SYNC_SIZE);
  obj->block = NULL;
  errno = saved;
}

/* 1 if the block's kind is one `object` accepts. */
static int kind_fits(const sync_block_t *block, ipc_shm__object_t object) {
  uint32_t kind = LOAD(&block->kind);
  if (object == IPC_SHM__OBJECT_EVENT)
    return kind == KIND_EVENT_AUTO || kind == KIND_EVENT_MANUAL;
  return object == IPC_SHM__OBJECT_MUTEX && kind == KIND_MUTEX;
}

int ipc_shm__posix_sync_attach(struct ipc_shm *obj) {
  int err;
  if (obj->size != IPC_SHM__SYNC_SIZE || !obj->writable)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  err = map_block(obj);
  if (err != 0)
    return ipc_shm__fail_as(ipc_shm_last_native_error(), "mmap", IPC_SHM_E_BAD_TOKEN);
  if (__atomic_load_n(&((sync_block_t *)obj->block)->magic, __ATOMIC_ACQUIRE) !=
          block_magic() ||
      !kind_fits((sync_block_t *)obj->block, obj->object)) {
    unmap_block_quietly(obj);
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  }
  return 0;
}

int ipc_shm__os_is_sync_object(ipc_shm_native_t fd, uint64_t size) {
  const sync_block_t *block;
  int found;
  if (size != IPC_SHM__SYNC_SIZE)
    return 0;
  block = (const sync_block_t *)SYS.mmap(NULL, IPC_SHM__SYNC_SIZE, PROT_READ,
                                         MAP_SHARED, fd, 0);
  if (block == MAP_FAILED)
    return 0; /* cannot tell: taken for a segment */
  found = __atomic_load_n(&block->magic, __ATOMIC_ACQUIRE) == block_magic();
  (void)SYS.munmap((void *)(uintptr_t)block, IPC_SHM__SYNC_SIZE);
  return found;
}

/* Release what a failed create or open holds. */
static void undo(struct ipc_shm *obj, const char *created_name) {
  int saved = errno;
  if (obj->block != NULL)
    unmap_block_quietly(obj);
  if (created_name != NULL) {
    ipc_shm__posix_name_t posix_name;
    ipc_shm__posix_name(posix_name, created_name);
    (void)SYS.shm_unlink(posix_name);
  }
  if (obj->readonly_twin >= 0)
    ipc_shm__close_quietly(obj->readonly_twin);
  ipc_shm__close_quietly(obj->handle);
  obj->handle = obj->readonly_twin = -1;
  errno = saved;
}

int ipc_shm__os_sync_create(struct ipc_shm *obj, const char *name, unsigned flags) {
  sync_block_t *block;
  int err;
  if (name != NULL)
    err = ipc_shm__os_create(obj, name, IPC_SHM__SYNC_SIZE,
                             flags & (IPC_SHM_GLOBAL | IPC_SHM__PERMS_MASK));
  else
    err = ipc_shm__os_create_anonymous(obj, IPC_SHM__SYNC_SIZE, 0);
  if (err != 0)
    return err;
  err = map_block(obj);
  if (err != 0) {
    undo(obj, name);
    return err;
  }
  block = (sync_block_t *)obj->block;
  block->kind = obj->object == IPC_SHM__OBJECT_MUTEX ? KIND_MUTEX
                : (flags & IPC_SHM_EVENT_MANUAL)    ? KIND_EVENT_MANUAL
                                                     : KIND_EVENT_AUTO;
  block->word = (flags & IPC_SHM_EVENT_SET) ? 1u : 0u;
  __atomic_store_n(&block->magic, block_magic(), __ATOMIC_RELEASE);
  return 0;
}

int ipc_shm__os_sync_open(struct ipc_shm *obj, const char *name, unsigned flags) {
  int64_t waited_until = ipc_shm__os_now_ns() + INIT_WAIT_NS;
  sync_block_t *block;
  int err = ipc_shm__os_open(obj, name, flags & IPC_SHM_GLOBAL);
  if (err != 0)
    return err;
  if (obj->size != IPC_SHM__SYNC_SIZE) {
    undo(obj, NULL);
    return ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  }
  err = map_block(obj);
  if (err != 0) {
    undo(obj, NULL);
    return err;
  }
  block = (sync_block_t *)obj->block;
  /* Its creator may still be writing the block (see the magic). */
  while (__atomic_load_n(&block->magic, __ATOMIC_ACQUIRE) != block_magic() &&
         ipc_shm__os_now_ns() < waited_until) {
    struct timespec pause = {0, 1000000L};
    (void)nanosleep(&pause, NULL);
  }
  if (__atomic_load_n(&block->magic, __ATOMIC_ACQUIRE) != block_magic() ||
      !kind_fits(block, obj->object)) {
    undo(obj, NULL);
    return ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  }
  return 0;
}

/* ---- Events ---- */

static sync_block_t *block_of(struct ipc_shm *obj) {
  return (sync_block_t *)obj->block;
}

int ipc_shm__os_event_set(struct ipc_shm *event) {
  sync_block_t *block = block_of(event);
  uint32_t word = LOAD(&block->word);
  do {
    if (word & 1u)
      return 0; /* set already */
  } while (!CAS(&block->word, &word, (word + 2u) | 1u));
  if (LOAD(&block->waiters) != 0)
    return ipc_shm__posix_wake(&block->word, LOAD(&block->kind) == KIND_EVENT_MANUAL);
  return 0;
}

int ipc_shm__os_event_reset(struct ipc_shm *event) {
  (void)__atomic_fetch_and(&block_of(event)->word, ~1u, __ATOMIC_SEQ_CST);
  return 0;
}

int ipc_shm__os_event_wait(struct ipc_shm *event, int64_t timeout_ms) {
  sync_block_t *block = block_of(event);
  int manual = LOAD(&block->kind) == KIND_EVENT_MANUAL;
  int64_t deadline = deadline_of(timeout_ms), slice = first_slice();
  for (;;) {
    uint32_t word = LOAD(&block->word);
    int64_t pause;
    int slept;
    if (word & 1u) {
      if (manual || CAS(&block->word, &word, word & ~1u))
        return 0;
      continue;
    }
    if (timeout_ms == 0)
      return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
    if (spin_while(&block->word, word))
      continue;
    pause = next_sleep(deadline, IPC_SHM__LINUX ? INT64_MAX : slice);
    if (pause <= 0)
      return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
    (void)__atomic_fetch_add(&block->waiters, 1u, __ATOMIC_SEQ_CST);
    slept = ipc_shm__posix_sleep_on(&block->word, word, pause);
    (void)__atomic_fetch_sub(&block->waiters, 1u, __ATOMIC_SEQ_CST);
    if (slept < 0)
      return slept;
    /* A set while this thread waited releases it, even if a reset came
     * before it ran. */
    if (manual && (LOAD(&block->word) >> 1) != (word >> 1))
      return 0;
    slice = grow_slice(slice);
  }
}

/* ---- Mutexes ---- */

/* Give the mutex up and wake one sleeper, or all of them. */
static int release(sync_block_t *block, int all) {
  STORE(&block->owner, 0);
  if (LOAD(&block->waiters) == 0)
    return 0;
  (void)__atomic_add_fetch(&block->word, 1u, __ATOMIC_SEQ_CST);
  return ipc_shm__posix_wake(&block->word, all);
}

/* The state a new owner finds. */
static int acquired(sync_block_t *block, int owner_died) {
  uint32_t state = LOAD(&block->state);
  if (state == STATE_NOT_RECOVERABLE) {
    (void)release(block, 1);
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_RECOVERABLE);
  }
  if (owner_died || state != STATE_CONSISTENT) {
    STORE(&block->state, (uint32_t)STATE_OWNER_DIED);
    return ipc_shm__fail_arg(IPC_SHM_E_OWNER_DEAD);
  }
  return 0;
}

int ipc_shm__os_mutex_lock(struct ipc_shm *mutex, int64_t timeout_ms) {
  sync_block_t *block = block_of(mutex);
  uint64_t self = self_owner(), owner = 0;
  int64_t deadline, slice = first_slice();
  int check_owner = timeout_ms == 0;

  if (LOAD(&block->state) == STATE_NOT_RECOVERABLE)
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_RECOVERABLE);
  if (CAS(&block->owner, &owner, self))
    return acquired(block, 0);
  if (owner == self)
    return ipc_shm__fail_arg(IPC_SHM_E_DEADLOCK);

  deadline = deadline_of(timeout_ms);
  for (;;) {
    uint32_t sequence = LOAD(&block->word);
    int64_t pause;
    int slept;
    owner = LOAD(&block->owner);
    if (owner == 0) {
      if (CAS(&block->owner, &owner, self))
        return acquired(block, 0);
      continue;
    }
    if (check_owner && !ipc_shm__posix_owner_alive(owner)) {
      /* Take it over from the dead owner, unless somebody else did. */
      if (CAS(&block->owner, &owner, self))
        return acquired(block, 1);
      continue;
    }
    if (timeout_ms != 0 && spin_until_free(&block->owner))
      continue;
    pause = timeout_ms == 0 ? 0 : next_sleep(deadline, slice);
    if (pause <= 0) {
      /* A wake-up meant for this thread must not be lost with it. */
      if (LOAD(&block->owner) == 0 && LOAD(&block->waiters) != 0)
        (void)ipc_shm__posix_wake(&block->word, 0);
      return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
    }
    (void)__atomic_fetch_add(&block->waiters, 1u, __ATOMIC_SEQ_CST);
    slept = LOAD(&block->owner) != 0 ? ipc_shm__posix_sleep_on(&block->word, sequence, pause) : 0;
    (void)__atomic_fetch_sub(&block->waiters, 1u, __ATOMIC_SEQ_CST);
    if (slept < 0)
      return slept;
    if (slept == 1) {
      /* Held for a whole slice: time to ask whether the owner lives. */
      check_owner = 1;
      slice = grow_slice(slice);
    }
  }
}

int ipc_shm__os_mutex_unlock(struct ipc_shm *mutex) {
  sync_block_t *block = block_of(mutex);
  int all = 0;
  uint32_t died = STATE_OWNER_DIED;
  if (LOAD(&block->owner) != self_owner())
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_OWNER);
  /* Unlocked without ipc_shm_mutex_consistent() after OWNER_DEAD: nobody
   * may use it again, and every sleeper must hear so. */
  if (CAS(&block->state, &died, (uint32_t)STATE_NOT_RECOVERABLE))
    all = 1;
  return release(block, all);
}

int ipc_shm__os_mutex_consistent(struct ipc_shm *mutex) {
  sync_block_t *block = block_of(mutex);
  uint32_t died = STATE_OWNER_DIED;
  if (LOAD(&block->owner) != self_owner())
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_OWNER);
  if (!CAS(&block->state, &died, (uint32_t)STATE_CONSISTENT))
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return 0;
}
