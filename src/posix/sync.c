/* SPDX-License-Identifier: MIT */
/* POSIX backend of what events, mutexes and semaphores share: their state lives in a
 * 64-byte shared-memory object (the block, sync_block.h), so that names,
 * descriptors and every hand-over route are those of segments. Linux
 * sleeps on a futex in the block; other systems poll it with a growing
 * pause. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif

#include "sync_block.h"

#include <string.h>

#define BLOCK_MAGIC_TEXT "ipcsync\002"

/* How long an opener waits for a creator to finish the block. */
#define INIT_WAIT_NS 2000000000LL

static uint64_t block_magic(void) {
  uint64_t magic;
  memcpy(&magic, BLOCK_MAGIC_TEXT, sizeof(magic));
  return magic;
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
    return kind == SYNC_KIND_EVENT_AUTO || kind == SYNC_KIND_EVENT_MANUAL;
  if (object == IPC_SHM__OBJECT_SEMAPHORE)
    return kind == SYNC_KIND_SEMAPHORE;
  return object == IPC_SHM__OBJECT_MUTEX && kind == SYNC_KIND_MUTEX;
}

/* What every user of the object starts with, once its block is mapped. */
static int begin_use(struct ipc_shm *obj) {
  ipc_shm__spin_init(&obj->spin);
  ipc_shm__verdict_init(&obj->verdict);
  return ipc_shm__posix_be_present(obj);
}

int ipc_shm__posix_sync_attach(struct ipc_shm *obj) {
  int err;
  if (obj->size != IPC_SHM__SYNC_SIZE || !obj->writable)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  err = map_block(obj);
  if (err != 0)
    return ipc_shm__fail_recast(IPC_SHM_E_BAD_TOKEN);
  if (ipc_shm__load_acquire64(&ipc_shm__syncobj_block_of(obj)->magic) != block_magic() ||
      !kind_fits(ipc_shm__syncobj_block_of(obj), obj->object)) {
    unmap_block_quietly(obj);
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  }
  err = begin_use(obj);
  if (err != 0)
    unmap_block_quietly(obj);
  return err;
}

uint32_t ipc_shm__posix_sync_word(struct ipc_shm *obj) {
  return ipc_shm__load_seq_cst32(&ipc_shm__syncobj_block_of(obj)->word);
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
    ipc_shm__os_close_quietly(obj->os.readonly_twin);
  ipc_shm__os_close_quietly(obj->handle);
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
  block = ipc_shm__syncobj_block_of(obj);
  if (obj->object == IPC_SHM__OBJECT_SEMAPHORE) {
    block->kind = SYNC_KIND_SEMAPHORE;
    block->word = obj->initial;
    block->owner = obj->maximum;
  } else {
    block->kind = obj->object == IPC_SHM__OBJECT_MUTEX ? SYNC_KIND_MUTEX
                  : (flags & IPC_SHM_EVENT_MANUAL)    ? SYNC_KIND_EVENT_MANUAL
                                                       : SYNC_KIND_EVENT_AUTO;
    block->word = (flags & IPC_SHM_EVENT_SET) ? 1u : 0u;
  }
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
  block = ipc_shm__syncobj_block_of(obj);
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

int ipc_shm__posix_sync_kind(const unsigned char head[IPC_SHM__SYNC_SIZE]) {
  sync_block_t block;
  memcpy(&block, head, sizeof(block));
  if (block.magic != block_magic())
    return 0;
  if (block.kind == SYNC_KIND_MUTEX)
    return IPC_SHM_KIND_MUTEX;
  if (block.kind == SYNC_KIND_SEMAPHORE)
    return IPC_SHM_KIND_SEMAPHORE;
  return block.kind == SYNC_KIND_EVENT_AUTO || block.kind == SYNC_KIND_EVENT_MANUAL
             ? IPC_SHM_KIND_EVENT
             : 0;
}

int ipc_shm__os_sync_native(const struct ipc_shm *obj, ipc_shm_native_t *native) {
  (void)obj;
  (void)native;
  /* The state is a word in shared memory: nothing poll() can watch. */
  return ipc_shm__fail_arg(IPC_SHM_E_NOT_SUPPORTED);
}
