/* SPDX-License-Identifier: MIT */
/* What the tests of handing segments over share: segments with text in
 * them, the other process's report of what it received, token forging. */
#ifndef IPC_SHM_HANDOVER_UTIL_H
#define IPC_SHM_HANDOVER_UTIL_H

#include "testutil.h"

#define TEXT_AT 0      /* where the sender's text starts */
#define REPLY_AT 2048  /* where a helper writes its answer */
#define SEG_SIZE 8192

/* Write `text` (with its NUL) at `offset`; for helpers, which run outside
 * Check and must not assert. Returns the library's error. */
int poke(const ipc_shm_t *shm, size_t offset, const char *text);
/* The NUL-terminated text at `offset` (at most size - 1 bytes). */
int peek(const ipc_shm_t *shm, size_t offset, char *out, size_t size);
/* The same, asserting success. */
void put(ipc_shm_t *shm, size_t offset, const char *text);
void get(const ipc_shm_t *shm, size_t offset, char *out, size_t size);

/* A new anonymous segment of SEG_SIZE bytes with `text` at TEXT_AT. */
ipc_shm_t *anonymous_with(const char *text);

/* FNV-1a of the whole segment. */
unsigned long long checksum(const ipc_shm_t *shm);

/* What test_raw_write_refused must say of a read-only copy here. */
const char *refused_here(void);

/* Replace field `index` (0-based, ':'-separated) of a token. */
void forge(const char *token, int index, const char *value, char *out, size_t size);

/* A copy of the export's handle that the test owns, not the library
 * (inheritable, as a child that inherited it would have it), in *raw, and
 * the export's token made to name it, in `token`: only the parser and the
 * handle's checks stand between such a token and an import. The export
 * stays open; close *raw with close_raw() unless an import adopted it. */
void foreign_token(const ipc_shm_export_t *exp, ipc_shm_native_t *raw,
                   char token[IPC_SHM_TOKEN_MAX]);
void close_raw(ipc_shm_native_t raw);

/* For a helper a token is pushed to: say "pid N", then read the token from
 * standard input (without its line end). 0, or -1 at end of input. */
int await_pushed_token(char token[IPC_SHM_TOKEN_MAX + 2]);

/* The test binary's path, for ipc_shm_spawn. */
void helper_path(char *path, size_t size);

#endif
