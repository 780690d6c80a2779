/* SPDX-License-Identifier: MIT */
/* What the objects with a control area in their segment (channels and
 * topics) share: waiting for a creator to finish it, an id for the kernel
 * objects named after it, a handle of their own to a handed-over segment,
 * and taking the name back when a create fails (src/common/control.c).
 *
 * Thread safety: none of these touches shared state of this process but
 * new_id's counter, which is atomic. */
#ifndef IPC_SHM_CONTROL_H
#define IPC_SHM_CONTROL_H

#include "common.h"

#include <stdint.h>

/* The magic word of a control area, once it is there: an opener may find
 * the segment of an object whose creator has not written its control area
 * yet (Linux publishes a segment whole but zeroed; other systems publish
 * the name first). With `wait`, a zero magic is waited for, up to 2
 * seconds; then 0 means "not this kind". */
uint64_t ipc_shm__control_magic(const uint64_t *magic, int wait);

/* An id for the kernel objects named after a new object (Windows events):
 * unique enough that two live objects never share one. */
uint64_t ipc_shm__control_new_id(const ipc_shm_t *segment);

/* A segment object of its own for `segment` (a copy of its handle), for an
 * object that must outlive the caller's. Nothing is left on failure. */
int ipc_shm__control_own_copy(const ipc_shm_t *segment, struct ipc_shm **own);

/* Unmap `view` and close `segment` (either may be NULL): the first error,
 * if any; both are released whatever happens. */
int ipc_shm__control_release(ipc_shm_view_t *view, ipc_shm_t *segment);

/* A named create failed with `err` after making the segment `name`: where
 * names outlive handles, remove it too. Returns `err`, with the native
 * error of the first failure kept. */
int ipc_shm__control_unname(const char *name, unsigned global, int err);

#endif
