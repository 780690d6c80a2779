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

#include <string.h>

/* The block, layout 2. Who writes and reads each field:
 *   magic    the creator, last (release), after the rest; openers load it
 *            (acquire) before anything else.
 *   kind     the creator; everyone reads it.
 *   word     the futex word. Events: generation << 1 | set, changed by set
 *            and reset (seq_cst RMW); mutexes: a sequence that unlocking
 *            bumps when somebody sleeps. Sleepers wait while it holds the
 *            value they loaded, so that a change after their last look
 *            never leaves them asleep.
 *   waiters  threads about to sleep or asleep on word (seq_cst add and
 *            sub): pairs with the setter's or unlocker's seq_cst load, so
 *            that one of the two always sees the other.
 *   owner    mutexes: 0 when free, else the owner, taken and given back by
 *            CAS; Linux: process slot << 22 | thread id, elsewhere the
 *            process id << 32 | a thread number.
 *   state    mutexes: STATE_*, written by the owner only.
 *   grants   auto-reset events: threads waiting (low half) and releases a
 *            set has handed to them (high half), changed by CAS only, so
 *            that a set releases exactly one waiter, as on Windows, even
 *            when a reset follows at once. */
typedef struct sync_block {
  uint64_t magic;
  uint32_t kind;
  uint32_t unused0;
  uint32_t word;
  uint32_t waiters;
  uint64_t owner;
  uint32_t state;
  uint32_t unused1;
  uint64_t grants;
  uint32_t unused[4];
} sync_block_t;

typedef char sync_block_size_check[sizeof(sync_block_t) == IPC_SHM__SYNC_SIZE ? 1 : -1];

#define BLOCK_MAGIC_TEXT "ipcsync\002"
enum { KIND_EVENT_AUTO = 1, KIND_EVENT_MANUAL = 2, KIND_MUTEX = 3 };
enum { STATE_CONSISTENT = 0, STATE_OWNER_DIED = 1, STATE_NOT_RECOVERABLE = 2 };

/* How long an opener waits for a creator to finish the block. */
#define INIT_WAIT_NS 2000000000LL

#define GRANT_WAITER ((uint64_t)1)
#define GRANT_RELEASE ((uint64_t)1 << 32)
#define GRANT_WAITERS(g) ((uint32_t)(g))
#define GRANT_RELEASES(g) ((uint32_t)((g) >> 32))

static uint64_t block_magic(void) {
  uint64_t magic;
  memcpy(&magic, BLOCK_MAGIC_TEXT, sizeof(magic));
  return magic;
}

static sync_block_t *block_of(struct ipc_shm *obj) {
  return (sync_block_t *)obj->os.block;
}

/* ---- The block ---- */

static int map_block(struct ipc_shm *obj) {
  void *block = SYS.mmap(NULL, IPC_SHM__SYNC_SIZE, PROT_READ | PROT_WRITE,
                         MAP_SHARED, obj->handle, 0);
  if (block == MAP_FAILED)
    return ipc_shm__fail(errno, "mmap");
  obj->os.block = block;
  return 0;
}

static void unmap_block_quietly(struct ipc_shm *obj) {
  int saved = errno;
  (void)SYS.munmap(obj->os.block, IPC_SHM__SYNC_SIZE);
  obj->os.block = NULL;
  errno = saved;
}

/* 1 if the block's kind is one `object` accepts. */
static int kind_fits(sync_block_t *block, ipc_shm__object_t object) {
  uint32_t kind = ipc_shm__load_relaxed32(&block->kind);
  if (object == IPC_SHM__OBJECT_EVENT)
    return kind == KIND_EVENT_AUTO || kind == KIND_EVENT_MANUAL;
  return object == IPC_SHM__OBJECT_MUTEX && kind == KIND_MUTEX;
}

/* Linux: a process that has a mutex holds its presence on the byte of its
 * slot, so that others can tell it lives (taken again after a fork). */
static int be_present(struct ipc_shm *mutex) {
#if IPC_SHM__LINUX
  if (mutex->object == IPC_SHM__OBJECT_MUTEX && mutex->os.presence.fd < 0)
    return ipc_shm__posix_presence_take(&mutex->os.presence, mutex->handle, 1,
                                        ipc_shm__posix_process_slot(), 0);
#else
  (void)mutex;
#endif
  return 0;
}

/* What every user of the object starts with, once its block is mapped. */
static int begin_use(struct ipc_shm *obj) {
  ipc_shm__spin_init(&obj->spin);
  ipc_shm__verdict_init(&obj->verdict);
  return be_present(obj);
}

int ipc_shm__posix_sync_attach(struct ipc_shm *obj) {
  int err;
  if (obj->size != IPC_SHM__SYNC_SIZE || !obj->writable)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  err = map_block(obj);
  if (err != 0)
    return ipc_shm__fail_as(ipc_shm_last_native_error(), "mmap", IPC_SHM_E_BAD_TOKEN);
  if (ipc_shm__load_acquire64(&block_of(obj)->magic) != block_magic() ||
      !kind_fits(block_of(obj), obj->object)) {
    unmap_block_quietly(obj);
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  }
  err = begin_use(obj);
  if (err != 0)
    unmap_block_quietly(obj);
  return err;
}

uint32_t ipc_shm__posix_sync_word(struct ipc_shm *obj) {
  return ipc_shm__load_seq_cst32(&block_of(obj)->word);
}

void ipc_shm__posix_sync_detach(struct ipc_shm *obj) {
  ipc_shm__posix_presence_drop(&obj->os.presence);
  unmap_block_quietly(obj);
}

int ipc_shm__os_is_sync_object(ipc_shm_native_t fd, uint64_t size) {
  sync_block_t *block;
  int found;
  if (size != IPC_SHM__SYNC_SIZE)
    return 0;
  block = (sync_block_t *)SYS.mmap(NULL, IPC_SHM__SYNC_SIZE, PROT_READ, MAP_SHARED, fd, 0);
  if (block == MAP_FAILED)
    return 0; /* cannot tell: taken for a segment */
  found = ipc_shm__load_acquire64(&block->magic) == block_magic();
  (void)SYS.munmap(block, IPC_SHM__SYNC_SIZE);
  return found;
}

/* Release what a failed create or open holds. */
static void undo(struct ipc_shm *obj, const char *created_name) {
  int saved = errno;
  if (obj->os.block != NULL)
    unmap_block_quietly(obj);
  if (created_name != NULL) {
    ipc_shm__posix_name_t posix_name;
    ipc_shm__posix_name(posix_name, created_name);
    (void)SYS.shm_unlink(posix_name);
  }
  if (obj->os.readonly_twin >= 0)
    ipc_shm__close_quietly(obj->os.readonly_twin);
  ipc_shm__close_quietly(obj->handle);
  obj->handle = obj->os.readonly_twin = -1;
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
  block = block_of(obj);
  block->kind = obj->object == IPC_SHM__OBJECT_MUTEX ? KIND_MUTEX
                : (flags & IPC_SHM_EVENT_MANUAL)    ? KIND_EVENT_MANUAL
                                                     : KIND_EVENT_AUTO;
  block->word = (flags & IPC_SHM_EVENT_SET) ? 1u : 0u;
  /* The magic last: an opener that sees it sees the rest. */
  ipc_shm__store_release64(&block->magic, block_magic());
  err = begin_use(obj);
  if (err != 0)
    undo(obj, name);
  return err;
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
  block = block_of(obj);
  /* Its creator may still be writing the block (see the magic). */
  while (ipc_shm__load_acquire64(&block->magic) == 0 &&
         ipc_shm__os_now_ns() < waited_until)
    ipc_shm__os_sleep_ns(1000000LL);
  if (ipc_shm__load_acquire64(&block->magic) != block_magic() ||
      !kind_fits(block, obj->object)) {
    undo(obj, NULL);
    return ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  }
  err = begin_use(obj);
  if (err != 0)
    undo(obj, NULL);
  return err;
}

/* ---- Waiting on the word ---- */

/* Sleep on the block's word while it holds `seen`, registered as a
 * waiter, at most `ns`. */
static int sleep_on_word(sync_block_t *block, uint32_t seen, int64_t ns) {
  int slept;
  (void)ipc_shm__fetch_add_seq_cst32(&block->waiters, 1u);
  slept = ipc_shm__posix_sleep_on(&block->word, seen, ns);
  (void)ipc_shm__fetch_add_seq_cst32(&block->waiters, (uint32_t)-1);
  return slept;
}

/* Wake sleepers on the word if any may sleep: the caller changed it (seq_cst)
 * first. */
static int wake_word(sync_block_t *block, int all) {
  if (ipc_shm__load_seq_cst32(&block->waiters) == 0)
    return 0;
  return ipc_shm__posix_wake(&block->word, all);
}

/* ---- Events ---- */

int ipc_shm__os_event_set(struct ipc_shm *event) {
  sync_block_t *block = block_of(event);
  int manual = ipc_shm__load_relaxed32(&block->kind) == KIND_EVENT_MANUAL;
  uint32_t word = ipc_shm__load_seq_cst32(&block->word);
  if (!manual) {
    /* Hand the release to a waiter if one waits without one: a reset can
     * then no longer take it back. */
    uint64_t grants = ipc_shm__load_seq_cst64(&block->grants);
    while (GRANT_WAITERS(grants) > GRANT_RELEASES(grants)) {
      if (ipc_shm__cas_seq_cst64(&block->grants, &grants, grants + GRANT_RELEASE)) {
        /* A new generation wakes the sleepers, which look for it. */
        (void)ipc_shm__fetch_add_seq_cst32(&block->word, 2u);
        return wake_word(block, 1);
      }
    }
  }
  do {
    if (word & 1u)
      return 0; /* set already */
  } while (!ipc_shm__cas_seq_cst32(&block->word, &word, (word + 2u) | 1u));
  return wake_word(block, manual);
}

int ipc_shm__os_event_reset(struct ipc_shm *event) {
  (void)ipc_shm__fetch_and_seq_cst32(&block_of(event)->word, ~1u);
  return 0;
}

/* What an event waiter looks at: the word it entered with, and whether it
 * is registered for a release handed to it (auto-reset). */
typedef struct event_wait {
  sync_block_t *block;
  int manual;
  uint32_t entered; /* the word when the wait began */
  int registered;
} event_wait_t;

/* 1 if the waiter is released: the event is set (an auto-reset one is
 * taken), a release was handed to it, or (manual reset) a set happened
 * since it began, even if a reset followed. */
static int event_released(void *arg, int spinning) {
  event_wait_t *w = (event_wait_t *)arg;
  uint32_t word = ipc_shm__load_seq_cst32(&w->block->word);
  (void)spinning;
  if (w->manual)
    return (word & 1u) != 0 || (word >> 1) != (w->entered >> 1);
  if (w->registered) {
    uint64_t grants = ipc_shm__load_seq_cst64(&w->block->grants);
    while (GRANT_RELEASES(grants) > 0 && GRANT_WAITERS(grants) > 0)
      if (ipc_shm__cas_seq_cst64(&w->block->grants, &grants,
                                 grants - GRANT_RELEASE - GRANT_WAITER)) {
        w->registered = 0;
        return 1;
      }
  }
  while (word & 1u)
    if (ipc_shm__cas_seq_cst32(&w->block->word, &word, word & ~1u))
      return 1;
  return 0;
}

/* Stop waiting for a release; one handed over meanwhile is taken (1). */
static int event_unregister(event_wait_t *w) {
  uint64_t grants = ipc_shm__load_seq_cst64(&w->block->grants);
  if (!w->registered)
    return 0;
  for (;;) {
    uint64_t next = grants - GRANT_WAITER;
    int taken = 0;
    if (GRANT_WAITERS(grants) == 0)
      return 0; /* scribbled: nothing to give back */
    /* Releases are never more than waiters: one left over is this
     * thread's. */
    if (GRANT_RELEASES(grants) > GRANT_WAITERS(next)) {
      next -= GRANT_RELEASE;
      taken = 1;
    }
    if (ipc_shm__cas_seq_cst64(&w->block->grants, &grants, next)) {
      w->registered = 0;
      return taken;
    }
  }
}

int ipc_shm__os_event_wait(struct ipc_shm *event, int64_t timeout_ms) {
  return ipc_shm__posix_event_wait_from(event, timeout_ms,
                                        ipc_shm__load_seq_cst32(&block_of(event)->word));
}

int ipc_shm__posix_event_wait_from(struct ipc_shm *event, int64_t timeout_ms, uint32_t first) {
  event_wait_t w;
  int64_t deadline;
  w.block = block_of(event);
  w.manual = ipc_shm__load_relaxed32(&w.block->kind) == KIND_EVENT_MANUAL;
  w.entered = first;
  w.registered = 0;
  if (event_released(&w, 0))
    return 0;
  if (timeout_ms == 0)
    return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
  deadline = ipc_shm__deadline_of(timeout_ms);
  if (!w.manual) {
    (void)ipc_shm__fetch_add_seq_cst64(&w.block->grants, GRANT_WAITER);
    w.registered = 1;
  }
  if (ipc_shm__spin(&event->spin, event_released, &w, deadline)) {
    (void)event_unregister(&w);
    return 0;
  }
  for (;;) {
    uint32_t seen = ipc_shm__load_seq_cst32(&w.block->word);
    int64_t left;
    int slept;
    if (event_released(&w, 0))
      break;
    left = ipc_shm__ns_left(deadline);
    if (left <= 0) {
      if (event_unregister(&w))
        break;
      return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
    }
    slept = sleep_on_word(w.block, seen, left);
    if (slept < 0) {
      if (event_unregister(&w))
        break;
      return slept;
    }
  }
  ipc_shm__spin_failed(&event->spin);
  (void)event_unregister(&w);
  return 0;
}

/* ---- Mutexes ---- */

/* Locks this thread holds, through any mutex object: a thread that holds
 * none and finds its own id as the owner finds a dead thread's (ids are
 * reused). */
static _Thread_local uint32_t locks_held;

/* This thread as an owner word holds it. */
static uint64_t self_owner(void) {
#if IPC_SHM__LINUX
  return ipc_shm__posix_process_slot() << IPC_SHM__POSIX_THREAD_BITS |
         (ipc_shm__posix_thread_id() & ((1u << IPC_SHM__POSIX_THREAD_BITS) - 1));
#else
  return (uint64_t)(uint32_t)getpid() << 32 | ipc_shm__posix_thread_id();
#endif
}

/* Ask the system whether the owner `owner` has certainly gone: 1 or 0. */
static int owner_gone_now(struct ipc_shm *mutex, uint64_t owner) {
#if IPC_SHM__LINUX
  uint64_t slot = owner >> IPC_SHM__POSIX_THREAD_BITS;
  uint32_t thread = (uint32_t)(owner & ((1u << IPC_SHM__POSIX_THREAD_BITS) - 1));
  int held;
  if (slot == ipc_shm__posix_process_slot())
    /* A thread of this process: is it still running? */
    return ipc_shm__posix_thread_gone(thread);
  /* Another process: is its presence still held? A value no process has
   * (a scribble) names a byte nobody holds. */
  held = ipc_shm__posix_presence_held(&mutex->os.presence, slot);
  return held == 0;
#else
  (void)mutex;
  return ipc_shm__posix_process_gone((uint32_t)(owner >> 32));
#endif
}

/* Whether the owner has gone, from the cached verdict unless `ask`. */
static int owner_gone(struct ipc_shm *mutex, uint64_t owner, int ask) {
  int alive;
  if (!ask && ipc_shm__verdict_cached(&mutex->verdict, owner, 0, &alive))
    return !alive;
  alive = !owner_gone_now(mutex, owner);
  ipc_shm__verdict_set(&mutex->verdict, owner, 0, alive);
  return !alive;
}

/* Give the mutex up and wake one sleeper, or all of them. */
static int release(sync_block_t *block, int all) {
  ipc_shm__store_seq_cst64(&block->owner, 0);
  if (ipc_shm__load_seq_cst32(&block->waiters) == 0)
    return 0;
  (void)ipc_shm__fetch_add_seq_cst32(&block->word, 1u);
  return ipc_shm__posix_wake(&block->word, all);
}

/* The state a new owner finds. */
static int acquired(struct ipc_shm *mutex, int owner_died) {
  sync_block_t *block = block_of(mutex);
  uint32_t state = ipc_shm__load_relaxed32(&block->state);
  if (state == STATE_NOT_RECOVERABLE) {
    (void)release(block, 1);
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_RECOVERABLE);
  }
  mutex->holder = ipc_shm__thread_serial();
  locks_held++;
  if (owner_died || state != STATE_CONSISTENT) {
    ipc_shm__store_relaxed32(&block->state, (uint32_t)STATE_OWNER_DIED);
    return ipc_shm__fail_arg(IPC_SHM_E_OWNER_DEAD);
  }
  return 0;
}

typedef struct lock_wait {
  sync_block_t *block;
} lock_wait_t;

static int lock_free(void *arg, int spinning) {
  (void)spinning;
  return ipc_shm__load_relaxed64(&((lock_wait_t *)arg)->block->owner) == 0;
}

int ipc_shm__os_mutex_lock(struct ipc_shm *mutex, int64_t timeout_ms) {
  sync_block_t *block = block_of(mutex);
  uint64_t self = self_owner(), owner = 0;
  int64_t deadline;
  int ask = 0, err;
  lock_wait_t w;

  if (ipc_shm__load_relaxed32(&block->state) == STATE_NOT_RECOVERABLE)
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_RECOVERABLE);
  err = be_present(mutex);
  if (err != 0)
    return err;
  if (ipc_shm__cas_seq_cst64(&block->owner, &owner, self))
    return acquired(mutex, 0);
  if (owner == self) {
    /* This thread's id: held through this object or another, or by a
     * thread of this process that ended and whose id this one got. */
    if (mutex->holder == ipc_shm__thread_serial() || locks_held != 0)
      return ipc_shm__fail_arg(IPC_SHM_E_DEADLOCK);
    if (ipc_shm__cas_seq_cst64(&block->owner, &owner, self))
      return acquired(mutex, 1);
  }
  if (timeout_ms == 0) {
    /* A poll: a few loads, and the system asked only as the verdict on
     * this owner ages. */
    if (owner != 0 && owner != self && owner_gone(mutex, owner, 0) &&
        ipc_shm__cas_seq_cst64(&block->owner, &owner, self))
      return acquired(mutex, 1);
    return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
  }

  w.block = block;
  deadline = ipc_shm__deadline_of(timeout_ms);
  for (;;) {
    uint32_t seen = ipc_shm__load_seq_cst32(&block->word);
    int64_t left;
    int slept;
    owner = ipc_shm__load_seq_cst64(&block->owner);
    if (owner == 0) {
      if (ipc_shm__cas_seq_cst64(&block->owner, &owner, self))
        return acquired(mutex, 0);
      continue;
    }
    if (owner != self && owner_gone(mutex, owner, ask)) {
      /* Take it over from the dead owner, unless somebody else did. */
      if (ipc_shm__cas_seq_cst64(&block->owner, &owner, self))
        return acquired(mutex, 1);
      continue;
    }
    left = ipc_shm__ns_left(deadline);
    if (left <= 0) {
      /* A wake-up meant for this thread must not be lost with it. */
      if (ipc_shm__load_seq_cst64(&block->owner) == 0)
        (void)wake_word(block, 0);
      return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
    }
    if (!ask && ipc_shm__spin(&mutex->spin, lock_free, &w, deadline))
      continue;
    /* Sleep a slice at most: then the owner's life is asked. */
    slept = ipc_shm__load_seq_cst64(&block->owner) != 0
                ? sleep_on_word(block, seen, left < IPC_SHM__LIVENESS_SLICE_NS
                                                     ? left
                                                     : IPC_SHM__LIVENESS_SLICE_NS)
                : 0;
    if (slept < 0)
      return slept;
    if (!ask)
      ipc_shm__spin_failed(&mutex->spin);
    ask = slept == 1;
  }
}

int ipc_shm__os_mutex_unlock(struct ipc_shm *mutex) {
  sync_block_t *block = block_of(mutex);
  int all = 0;
  uint32_t died = STATE_OWNER_DIED;
  if (mutex->holder != ipc_shm__thread_serial() ||
      ipc_shm__load_relaxed64(&block->owner) != self_owner())
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_OWNER);
  /* Unlocked without ipc_shm_mutex_consistent() after OWNER_DEAD: nobody
   * may use it again, and every sleeper must hear so. */
  if (ipc_shm__cas_seq_cst32(&block->state, &died, (uint32_t)STATE_NOT_RECOVERABLE))
    all = 1;
  mutex->holder = 0;
  if (locks_held > 0)
    locks_held--;
  return release(block, all);
}

int ipc_shm__os_mutex_consistent(struct ipc_shm *mutex) {
  sync_block_t *block = block_of(mutex);
  uint32_t died = STATE_OWNER_DIED;
  if (mutex->holder != ipc_shm__thread_serial() ||
      ipc_shm__load_relaxed64(&block->owner) != self_owner())
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_OWNER);
  if (!ipc_shm__cas_seq_cst32(&block->state, &died, (uint32_t)STATE_CONSISTENT))
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return 0;
}
