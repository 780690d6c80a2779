/* SPDX-License-Identifier: MIT */
/* POSIX backend of mutexes: the owner word in the block, taken by CAS;
 * an owner's death is told by the kernel where it can be (Linux: the
 * owner's presence lock), else by its process id. */
#include "sync_block.h"

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
  sync_block_t *block = ipc_shm__syncobj_block_of(mutex);
  uint32_t state = ipc_shm__load_relaxed32(&block->state);
  if (state == SYNC_STATE_NOT_RECOVERABLE) {
    (void)release(block, 1);
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_RECOVERABLE);
  }
  mutex->holder = ipc_shm__thread_serial();
  locks_held++;
  if (owner_died || state != SYNC_STATE_CONSISTENT) {
    ipc_shm__store_relaxed32(&block->state, (uint32_t)SYNC_STATE_OWNER_DIED);
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
  sync_block_t *block = ipc_shm__syncobj_block_of(mutex);
  uint64_t self = self_owner(), owner = 0;
  int64_t deadline;
  int ask = 0, err;
  lock_wait_t w;

  if (ipc_shm__load_relaxed32(&block->state) == SYNC_STATE_NOT_RECOVERABLE)
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_RECOVERABLE);
  err = ipc_shm__posix_be_present(mutex);
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
        (void)ipc_shm__posix_block_wake(block, 0);
      return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
    }
    if (!ask && ipc_shm__spin(&mutex->spin, lock_free, &w, deadline))
      continue;
    /* Sleep a slice at most: then the owner's life is asked. */
    slept = ipc_shm__load_seq_cst64(&block->owner) != 0
                ? ipc_shm__posix_block_sleep(block, seen, left < IPC_SHM__LIVENESS_SLICE_NS
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
  sync_block_t *block = ipc_shm__syncobj_block_of(mutex);
  int all = 0;
  uint32_t died = SYNC_STATE_OWNER_DIED;
  if (mutex->holder != ipc_shm__thread_serial() ||
      ipc_shm__load_relaxed64(&block->owner) != self_owner())
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_OWNER);
  /* Unlocked without ipc_shm_mutex_consistent() after OWNER_DEAD: nobody
   * may use it again, and every sleeper must hear so. */
  if (ipc_shm__cas_seq_cst32(&block->state, &died, (uint32_t)SYNC_STATE_NOT_RECOVERABLE))
    all = 1;
  mutex->holder = 0;
  if (locks_held > 0)
    locks_held--;
  return release(block, all);
}

int ipc_shm__os_mutex_consistent(struct ipc_shm *mutex) {
  sync_block_t *block = ipc_shm__syncobj_block_of(mutex);
  uint32_t died = SYNC_STATE_OWNER_DIED;
  if (mutex->holder != ipc_shm__thread_serial() ||
      ipc_shm__load_relaxed64(&block->owner) != self_owner())
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_OWNER);
  if (!ipc_shm__cas_seq_cst32(&block->state, &died, (uint32_t)SYNC_STATE_CONSISTENT))
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return 0;
}
