/* SPDX-License-Identifier: MIT */
/* The POSIX backend's own part of the portable objects (src/common/
 * object.h embeds it; only this backend reads or writes it). */
#ifndef IPC_SHM_POSIX_OBJECT_H
#define IPC_SHM_POSIX_OBJECT_H

#include <stdint.h>

/* 1 where the Linux interfaces are used: memfd_create and its seals,
 * pidfd_getfd, /proc/self/fd, O_TMPFILE + linkat, abstract sockets, pipe2,
 * accept4, close_range, futexes and thread ids. Building with IPC_SHM_GENERIC_POSIX takes the paths
 * written for the other POSIX systems instead, so that they are tested on
 * Linux too. */
#if defined(__linux__) && !defined(IPC_SHM_GENERIC_POSIX)
#define IPC_SHM__LINUX 1
#else
#define IPC_SHM__LINUX 0
#endif

/* A file opened to be mapped (src/posix/shm.c). */
typedef struct ipc_shm__os_file {
  int fd;
  int created;      /* this call created it: removed if it is discarded */
  const char *path; /* the caller's, for that removal */
  uint64_t size;    /* its length when opened */
} ipc_shm__os_file_t;

/* Descriptors travel beside a connection's messages (SCM_RIGHTS). */
#define IPC_SHM__OS_HANDLES_BESIDE 1

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

struct ipc_shm__os_topic {
  ipc_shm__presence_t presence; /* Linux: the role's byte, held while attached */
};
#endif
