/* SPDX-License-Identifier: MIT */
/* The POSIX backend's own part of the portable objects (src/common/
 * shm_internal.h embeds it; only this backend reads or writes it). */
#ifndef IPC_SHM_POSIX_OBJECT_H
#define IPC_SHM_POSIX_OBJECT_H

#include <stdint.h>

/* Proof, kept by the kernel, that this process is attached to an object:
 * an open-file-description lock (F_OFD_SETLK) on one byte of the object's
 * file, through a descriptor of its own that is never handed out, so that
 * no other process ever shares it. The kernel drops the lock when the
 * process ends, however it ends, and tells any process that asks whether
 * it is held, whatever PID namespace either is in. Linux only; elsewhere
 * `fd` stays -1. Listed for fork (src/posix/live.c): a child does not keep
 * its parent's presences. */
typedef struct ipc_shm__presence {
  int fd;        /* -1 when none is held */
  uint64_t byte; /* the byte locked */
  int exclusive; /* a write lock (one holder) or a read lock (any number) */
  struct ipc_shm__presence *prev, *next;
} ipc_shm__presence_t;

struct ipc_shm__os_object {
  int readonly_twin; /* without /proc/self/fd, anonymous segments: a
                        read-only descriptor opened before the object's
                        name was removed, the one way to make read-only
                        copies later; otherwise -1 */
  void *block;       /* events and mutexes: the mapped 64-byte state */
  ipc_shm__presence_t presence; /* mutexes (Linux): this process's own,
                        on the byte of its process slot */
};

struct ipc_shm__os_view {
  int unused;
};

struct ipc_shm__os_channel {
  ipc_shm__presence_t presence; /* Linux: the role's byte, held while attached */
};

#endif
