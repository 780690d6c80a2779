/* SPDX-License-Identifier: MIT */
/* The copies of message bytes (src/common/copy.c). */
#ifndef IPC_SHM_COPY_H
#define IPC_SHM_COPY_H

#include <stddef.h>

/* The channel's copy: the C library's memcpy, but for the one case where
 * the benchmark measured the library's own copy winning (see copy.c). */
void ipc_shm__channel_copy(void *dest, const void *src, size_t size);

/* The C library's memcpy, and the library's own block copy (SSE2 on
 * x86-64, memcpy elsewhere): both kept so that the benchmark can compare
 * them in the same run (copy-libc and copy-own rows). */
void ipc_shm__copy_libc(void *dest, const void *src, size_t size);
void ipc_shm__copy_own(void *dest, const void *src, size_t size);

#endif
