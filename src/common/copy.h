/* SPDX-License-Identifier: MIT */
/* The copies of message bytes (src/common/copy.c). */
#ifndef IPC_SHM_COPY_H
#define IPC_SHM_COPY_H

#include <stddef.h>

/* Where the library's own copy is used, and from what size: only where the
 * benchmark measured it winning over the C library's memcpy. MinGW links
 * the C runtime of Windows, whose memcpy moves large blocks at a fraction
 * of the speed of SSE2 stores (under Wine: 64 KiB channel messages,
 * figures in docs/PERFORMANCE.md). */
#if defined(__MINGW32__) && defined(__x86_64__)
#define IPC_SHM__COPY_OWN 1
#else
#define IPC_SHM__COPY_OWN 0
#endif
#define IPC_SHM__COPY_OWN_FROM 2048u

/* The channel's copy: one of the two below, as chosen above. */
void ipc_shm__channel_copy(void *dest, const void *src, size_t size);

/* The C library's memcpy, and the library's own block copy (SSE2 on
 * x86-64, memcpy elsewhere): both kept so that the benchmark can compare
 * them in the same run. */
void ipc_shm__copy_libc(void *dest, const void *src, size_t size);
void ipc_shm__copy_own(void *dest, const void *src, size_t size);

#endif
