/* SPDX-License-Identifier: MIT */
/* The POSIX backend's state of an event or mutex: a 64-byte shared-memory
 * object (the block), made and opened in src/posix/sync.c and used by
 * src/posix/event.c and src/posix/mutex.c. Every field may have been
 * scribbled on by a hostile peer: any value leads to an error or a wait,
 * never to a crash. */
#ifndef IPC_SHM_POSIX_SYNC_BLOCK_H
#define IPC_SHM_POSIX_SYNC_BLOCK_H

#include "posix_internal.h"

/* The block, layout 2. Who writes and reads each field:
 *   magic    the creator, last (release), after the rest; openers load it
 *            (acquire) before anything else.
 *   kind     the creator; everyone reads it.
 *   word     the futex word. Events: generation << 1 | set, changed by set
 *            and reset (seq_cst RMW); mutexes: a sequence that unlocking
 *            bumps when somebody sleeps; semaphores: the count, changed by
 *            CAS only (post adds one below the maximum, wait takes one
 *            above 0). Sleepers wait while it holds the
 *            value they loaded, so that a change after their last look
 *            never leaves them asleep.
 *   waiters  threads about to sleep or asleep on word (seq_cst add and
 *            sub): pairs with the setter's or unlocker's seq_cst load, so
 *            that one of the two always sees the other.
 *   owner    mutexes: 0 when free, else the owner, taken and given back by
 *            CAS; Linux: process slot << 22 | thread id, elsewhere the
 *            process id << 32 | a thread number. Semaphores: the maximum
 *            count, written by the creator (any value a peer writes only
 *            makes posts fail or succeed).
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

enum {
  SYNC_KIND_EVENT_AUTO = 1,
  SYNC_KIND_EVENT_MANUAL = 2,
  SYNC_KIND_MUTEX = 3,
  SYNC_KIND_SEMAPHORE = 4
};
enum { SYNC_STATE_CONSISTENT = 0, SYNC_STATE_OWNER_DIED = 1, SYNC_STATE_NOT_RECOVERABLE = 2 };

#define SYNC_GRANT_WAITER ((uint64_t)1)
#define SYNC_GRANT_RELEASE ((uint64_t)1 << 32)
#define SYNC_GRANT_WAITERS(g) ((uint32_t)(g))
#define SYNC_GRANT_RELEASES(g) ((uint32_t)((g) >> 32))

static inline sync_block_t *ipc_shm__syncobj_block_of(struct ipc_shm *obj) {
  return (sync_block_t *)obj->os.block;
}

/* Sleep on the block's word while it holds `seen`, registered as a
 * waiter, at most `ns`: as ipc_shm__posix_sleep_on. */
static inline int ipc_shm__posix_block_sleep(sync_block_t *block, uint32_t seen, int64_t ns) {
  int slept;
  (void)ipc_shm__fetch_add_seq_cst32(&block->waiters, 1u);
  slept = ipc_shm__posix_sleep_on(&block->word, seen, ns);
  (void)ipc_shm__fetch_add_seq_cst32(&block->waiters, (uint32_t)-1);
  return slept;
}

/* Wake sleepers on the word, one or all, if any may sleep: the caller
 * changed the word (seq_cst) first. Inline: every set and unlock asks. */
static inline int ipc_shm__posix_block_wake(sync_block_t *block, int all) {
  if (ipc_shm__load_seq_cst32(&block->waiters) == 0)
    return 0;
  return ipc_shm__posix_wake(&block->word, all);
}

/* Linux: a process that uses a mutex holds its presence on the byte of its
 * slot, so that others can tell it lives (taken again after a fork);
 * nothing for events and elsewhere. Inline: every lock asks. */
static inline int ipc_shm__posix_be_present(struct ipc_shm *obj) {
#if IPC_SHM__LINUX
  if (obj->object == IPC_SHM__OBJECT_MUTEX && obj->os.presence.fd < 0)
    return ipc_shm__posix_presence_take(&obj->os.presence, obj->handle, 1,
                                        ipc_shm__posix_process_slot(), 0);
#else
  (void)obj;
#endif
  return 0;
}

#endif
