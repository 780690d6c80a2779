/* SPDX-License-Identifier: MIT */
/* The Windows backend's own part of the portable objects (src/common/
 * object.h embeds it; only this backend reads or writes it). Handles
 * are ipc_shm_native_t (a HANDLE), so that no Windows header is needed. */
#ifndef IPC_SHM_WIN32_OBJECT_H
#define IPC_SHM_WIN32_OBJECT_H

/* A connection's message names the handle the sender put into the
 * receiver; nothing travels beside it. */
#define IPC_SHM__OS_HANDLES_BESIDE 0

/* A file opened to be mapped (src/win32/shm.c). */
typedef struct ipc_shm__os_file {
  void *handle;       /* HANDLE of the file */
  int created;        /* this call created it: deleted if it is discarded */
  wchar_t *wide_path; /* owned, for that deletion */
  uint64_t size;      /* its length when opened */
} ipc_shm__os_file_t;

#include "ipc_shm.h"

#include <stddef.h>
#include <stdint.h>

struct ipc_shm__os_object {
  ipc_shm_native_t file;  /* file-backed: the file, which FlushFileBuffers
                             needs; otherwise NULL */
  void *block;            /* mutexes: the view of the state section */
  ipc_shm_native_t state; /* mutexes: the state section */
  uint64_t state_id;      /* mutexes: names the state section */
};

struct ipc_shm__os_view {
  ipc_shm_native_t file; /* writable file-backed view: its own duplicate of
                            the file handle, for flushing */
};

/* A peer process: a handle opened while its identity was checked, and the
 * value that names it (src/win32/live.c). */
typedef struct ipc_shm__win_peer {
  ipc_shm_native_t process; /* NULL when none is open */
  uint64_t value;
} ipc_shm__win_peer_t;

struct ipc_shm__os_channel {
  ipc_shm_native_t wakers[2]; /* the auto-reset events each side sleeps on */
  ipc_shm__win_peer_t peer;   /* the other side's process */
};

/* Topics: the auto-reset event each role sleeps on, opened when first
 * needed (this role's at attach); the process being watched while asleep
 * (a subscriber's publisher, the publisher's slowest subscriber). */
struct ipc_shm__os_topic {
  ipc_shm_native_t wakers[65]; /* IPC_SHM__TP_ROLES */
  uint64_t id;
  int global;
  ipc_shm__win_peer_t peer;
};
#endif
