/* SPDX-License-Identifier: MIT */
/* POSIX backend of waiting on several objects: every entry has a word
 * (an event's, semaphore's or mutex's block word; a channel side's or a
 * topic role's wake word) that changes when it may have become ready. Linux sleeps on all of
 * them at once with futex_waitv; before Linux 5.16, and on other systems,
 * the words are polled. */
#include "sync_block.h"

#include <errno.h>
#include <stdint.h>
#include <time.h>

void ipc_shm__os_wait_arm(ipc_shm__wait_entry_t *entries, size_t count) {
  size_t i;
  for (i = 0; i < count; i++) {
    sync_block_t *block;
    if (entries[i].sync == NULL)
      continue;
    block = ipc_shm__syncobj_block_of(entries[i].sync);
    /* The word first, then counted as a sleeper: a change in between is
     * seen as a changed word; a change after it also wakes. */
    entries[i].word = &block->word;
    entries[i].seen = ipc_shm__load_seq_cst32(&block->word);
    (void)ipc_shm__fetch_add_seq_cst32(&block->waiters, 1u);
  }
}

void ipc_shm__os_wait_disarm(ipc_shm__wait_entry_t *entries, size_t count) {
  size_t i;
  for (i = 0; i < count; i++)
    if (entries[i].sync != NULL)
      (void)ipc_shm__fetch_add_seq_cst32(&ipc_shm__syncobj_block_of(entries[i].sync)->waiters,
                                         (uint32_t)-1);
}

void ipc_shm__os_wait_pass_on(ipc_shm__wait_entry_t *entries, size_t count, size_t except) {
  size_t i;
  for (i = 0; i < count; i++)
    if (i != except && entries[i].sync != NULL &&
        ipc_shm__load_seq_cst32(entries[i].word) != entries[i].seen)
      (void)ipc_shm__posix_block_wake(ipc_shm__syncobj_block_of(entries[i].sync), 0);
}

/* 1 if a word differs from what was seen when armed. */
static int any_changed(const ipc_shm__wait_entry_t *entries, size_t count) {
  size_t i;
  for (i = 0; i < count; i++)
    if (ipc_shm__load_acquire32(entries[i].word) != entries[i].seen)
      return 1;
  return 0;
}

/* Poll the words: a pause growing from POLL_FIRST to POLL_MAX. */
static int poll_words(const ipc_shm__wait_entry_t *entries, size_t count, int64_t ns) {
  int64_t end = ipc_shm__os_now_ns() + ns;
  int64_t step = IPC_SHM__POLL_FIRST_NS;
  for (;;) {
    int64_t left = end - ipc_shm__os_now_ns();
    if (any_changed(entries, count) || left <= 0)
      return 0;
    ipc_shm__os_sleep_ns(left < step ? left : step);
    step = step * 2 < IPC_SHM__POLL_MAX_NS ? step * 2 : IPC_SHM__POLL_MAX_NS;
  }
}

#if IPC_SHM__LINUX
/* futex_waitv is missing (before Linux 5.16): poll from then on. */
static uint32_t waitv_missing;

static int sleep_on_words(const ipc_shm__wait_entry_t *entries, size_t count, int64_t ns,
                          int bounded) {
  ipc_shm__futex_waitv_t waiters[IPC_SHM_WAIT_MAX];
  struct timespec deadline;
  int64_t end;
  size_t i;
  if (ipc_shm__load_relaxed32(&waitv_missing) != 0)
    return poll_words(entries, count, ns);
  for (i = 0; i < count; i++) {
    waiters[i].value = entries[i].seen;
    waiters[i].address = (uint64_t)(uintptr_t)entries[i].word;
    waiters[i].flags = IPC_SHM__FUTEX2_SIZE_U32;
    waiters[i].reserved = 0;
  }
  end = ipc_shm__os_now_ns() + ns;
  deadline.tv_sec = (time_t)(end / 1000000000LL);
  deadline.tv_nsec = (long)(end % 1000000000LL);
  if (SYS.futex_waitv(waiters, (unsigned)count, bounded ? &deadline : NULL) >= 0)
    return 0;
  switch (errno) {
  case EAGAIN:    /* a word had changed already */
  case EINTR:     /* a signal: the caller looks again */
  case ETIMEDOUT:
    return 0;
  case ENOSYS:
    ipc_shm__store_relaxed32(&waitv_missing, 1u);
    return poll_words(entries, count, ns);
  default:
    return ipc_shm__fail(errno, "futex_waitv");
  }
}
#else
static int sleep_on_words(const ipc_shm__wait_entry_t *entries, size_t count, int64_t ns,
                          int bounded) {
  (void)bounded;
  return poll_words(entries, count, ns);
}
#endif

int ipc_shm__os_wait_sleep(ipc_shm__wait_entry_t *entries, size_t count, int64_t ns,
                           size_t *taken) {
  size_t i;
  *taken = SIZE_MAX;
  /* No death wakes a sleeper here: with a mutex, a channel or a topic
   * among the entries it looks after each slice. */
  for (i = 0; i < count; i++)
    if (entries[i].kind == IPC_SHM_WAIT_MUTEX || entries[i].channel != NULL ||
        entries[i].topic != NULL)
      if (ns > IPC_SHM__LIVENESS_SLICE_NS)
        ns = IPC_SHM__LIVENESS_SLICE_NS;
  if (ns == INT64_MAX)
    return sleep_on_words(entries, count, (int64_t)1 << 62, 0);
  return sleep_on_words(entries, count, ns, 1);
}
