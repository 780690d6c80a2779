/* SPDX-License-Identifier: MIT */
/* POSIX backend of semaphores: the count is the block's word, which
 * sleepers wait on while it is 0; posts and takes are compare-and-swaps,
 * with no system call while nobody sleeps. */
#include "sync_block.h"

int ipc_shm__os_semaphore_post(struct ipc_shm *semaphore) {
  sync_block_t *block = ipc_shm__syncobj_block_of(semaphore);
  uint64_t maximum = ipc_shm__load_relaxed64(&block->owner);
  uint32_t count = ipc_shm__load_seq_cst32(&block->word);
  /* A peer may have written any maximum: the count never wraps. */
  if (maximum > IPC_SHM_SEMAPHORE_MAX)
    maximum = IPC_SHM_SEMAPHORE_MAX;
  do {
    if ((uint64_t)count >= maximum)
      return ipc_shm__fail_arg(IPC_SHM_E_LIMIT);
  } while (!ipc_shm__cas_seq_cst32(&block->word, &count, count + 1u));
  return ipc_shm__posix_block_wake(block, 0);
}

/* Take one if there is one: 1 taken, 0 the count is 0. */
static int take(void *arg, int spinning) {
  sync_block_t *block = (sync_block_t *)arg;
  uint32_t count = ipc_shm__load_seq_cst32(&block->word);
  (void)spinning;
  while (count > 0)
    if (ipc_shm__cas_seq_cst32(&block->word, &count, count - 1u))
      return 1;
  return 0;
}

int ipc_shm__os_semaphore_wait(struct ipc_shm *semaphore, int64_t timeout_ms) {
  sync_block_t *block = ipc_shm__syncobj_block_of(semaphore);
  int64_t deadline;
  if (take(block, 0))
    return 0;
  if (timeout_ms == 0)
    return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
  deadline = ipc_shm__deadline_of(timeout_ms);
  if (ipc_shm__spin(&semaphore->spin, take, block, deadline))
    return 0;
  for (;;) {
    int64_t left;
    int slept;
    if (take(block, 0))
      break;
    left = ipc_shm__ns_left(deadline);
    if (left <= 0) {
      /* A post may have woken this thread to take what it leaves: wake
       * another sleeper for it. */
      if (ipc_shm__load_seq_cst32(&block->word) > 0)
        (void)ipc_shm__posix_block_wake(block, 0);
      return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
    }
    /* Asleep while the count stays 0: a post changes it before it wakes. */
    slept = ipc_shm__posix_block_sleep(block, 0u, left);
    if (slept < 0)
      return slept;
  }
  ipc_shm__spin_failed(&semaphore->spin);
  return 0;
}
