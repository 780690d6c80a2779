/* SPDX-License-Identifier: MIT */
/* POSIX backend of events: a word in the block, generation << 1 | set,
 * that waiters sleep on; auto-reset events hand each release to exactly
 * one waiter (the grants field). */
#include "sync_block.h"

int ipc_shm__os_event_set(struct ipc_shm *event) {
  sync_block_t *block = ipc_shm__syncobj_block_of(event);
  int manual = ipc_shm__load_relaxed32(&block->kind) == SYNC_KIND_EVENT_MANUAL;
  uint32_t word = ipc_shm__load_seq_cst32(&block->word);
  if (!manual) {
    /* Hand the release to a waiter if one waits without one: a reset can
     * then no longer take it back. */
    uint64_t grants = ipc_shm__load_seq_cst64(&block->grants);
    while (SYNC_GRANT_WAITERS(grants) > SYNC_GRANT_RELEASES(grants)) {
      if (ipc_shm__cas_seq_cst64(&block->grants, &grants, grants + SYNC_GRANT_RELEASE)) {
        /* A new generation wakes the sleepers, which look for it. */
        (void)ipc_shm__fetch_add_seq_cst32(&block->word, 2u);
        return ipc_shm__posix_block_wake(block, 1);
      }
    }
  }
  do {
    if (word & 1u)
      return 0; /* set already */
  } while (!ipc_shm__cas_seq_cst32(&block->word, &word, (word + 2u) | 1u));
  return ipc_shm__posix_block_wake(block, manual);
}

int ipc_shm__os_event_reset(struct ipc_shm *event) {
  (void)ipc_shm__fetch_and_seq_cst32(&ipc_shm__syncobj_block_of(event)->word, ~1u);
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
    while (SYNC_GRANT_RELEASES(grants) > 0 && SYNC_GRANT_WAITERS(grants) > 0)
      if (ipc_shm__cas_seq_cst64(&w->block->grants, &grants,
                                 grants - SYNC_GRANT_RELEASE - SYNC_GRANT_WAITER)) {
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
    uint64_t next = grants - SYNC_GRANT_WAITER;
    int taken = 0;
    if (SYNC_GRANT_WAITERS(grants) == 0)
      return 0; /* scribbled: nothing to give back */
    /* Releases are never more than waiters: one left over is this
     * thread's. */
    if (SYNC_GRANT_RELEASES(grants) > SYNC_GRANT_WAITERS(next)) {
      next -= SYNC_GRANT_RELEASE;
      taken = 1;
    }
    if (ipc_shm__cas_seq_cst64(&w->block->grants, &grants, next)) {
      w->registered = 0;
      return taken;
    }
  }
}

int ipc_shm__os_event_wait(struct ipc_shm *event, int64_t timeout_ms) {
  sync_block_t *block = ipc_shm__syncobj_block_of(event);
  return ipc_shm__posix_event_wait_from(event, timeout_ms, ipc_shm__load_seq_cst32(&block->word));
}

int ipc_shm__posix_event_wait_from(struct ipc_shm *event, int64_t timeout_ms, uint32_t first) {
  event_wait_t w;
  int64_t deadline;
  w.block = ipc_shm__syncobj_block_of(event);
  w.manual = ipc_shm__load_relaxed32(&w.block->kind) == SYNC_KIND_EVENT_MANUAL;
  w.entered = first;
  w.registered = 0;
  if (event_released(&w, 0))
    return 0;
  if (timeout_ms == 0)
    return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
  deadline = ipc_shm__deadline_of(timeout_ms);
  if (!w.manual) {
    (void)ipc_shm__fetch_add_seq_cst64(&w.block->grants, SYNC_GRANT_WAITER);
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
    slept = ipc_shm__posix_block_sleep(w.block, seen, left);
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
