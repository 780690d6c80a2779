/* SPDX-License-Identifier: MIT */
/* What the files of the portable part share beyond the contract with the
 * backends (port.h): the registry of owned handles, the name rule, token
 * and message formats, the hand-over routes every kind of object uses, and
 * the helpers that make and finish objects. Backends never include it. */
#ifndef IPC_SHM_COMMON_H
#define IPC_SHM_COMMON_H

#include "fault.h"
#include "port.h"

/* ---- Owned handles (src/common/registry.c) ---- */

void ipc_shm__owned_init(ipc_shm__owned_t *entry);
/* List the entry with its handles; entries are listed once. */
void ipc_shm__owned_add(ipc_shm__owned_t *entry);
void ipc_shm__owned_remove(ipc_shm__owned_t *entry);
/* 1 if some listed entry holds `handle`. */
int ipc_shm__owned_has(ipc_shm_native_t handle);

/* ---- Objects (src/common/shm.c) ---- */

/* A zeroed object of the given kinds with no handles (src/common/shm.c),
 * or NULL. */
struct ipc_shm *ipc_shm__object_new(ipc_shm__object_t object, ipc_shm__backing_t backing);
/* An anonymous segment: ipc_shm__object_new(SEGMENT, ANONYMOUS). */
struct ipc_shm *ipc_shm__segment_new(void);
/* After a backend filled `shm`: on success list its handles as owned and
 * store it in *out; on failure (err != 0) free it. Returns err. */
int ipc_shm__segment_finish(ipc_shm_t **out, struct ipc_shm *shm, int err);

/* ---- Events and mutexes (src/common/sync.c) ---- */

/* Make an event or mutex (`name` NULL and anonymous 1: without a name)
 * after checking out, flags (against `allowed`) and the name; open one by
 * name; close one. */
int ipc_shm__syncobj_create(struct ipc_shm **out, ipc_shm__object_t object,
                         const char *name, unsigned flags, unsigned allowed,
                         int anonymous);
/* The same for a semaphore, with its first count and maximum. */
int ipc_shm__syncobj_create_counted(struct ipc_shm **out, ipc_shm__object_t object,
                                 const char *name, unsigned flags, unsigned allowed,
                                 int anonymous, uint32_t initial, uint32_t maximum);
int ipc_shm__syncobj_open(struct ipc_shm **out, ipc_shm__object_t object,
                       const char *name, unsigned flags);
int ipc_shm__syncobj_close(struct ipc_shm *obj);
/* The kernel object an event loop can wait on (ipc_shm_event_native()). */
int ipc_shm__syncobj_native(const struct ipc_shm *obj, ipc_shm_native_t *native);

/* INVAL for a timeout that is neither >= 0 nor IPC_SHM_FOREVER, else 0
 * (nothing recorded: inline, for the paths that poll). */
static inline int ipc_shm__check_timeout(int64_t timeout_ms) {
  return timeout_ms < 0 && timeout_ms != IPC_SHM_FOREVER ? IPC_SHM_E_INVAL : 0;
}

/* The public event and mutex types are their native object, one struct
 * deep: a pointer to either is a pointer to its first member. */
#define IPC_SHM__BASE_OF(object) ((object) != NULL ? &(object)->base : NULL)

/* Run `call`, which fills `struct ipc_shm *obj`, for a caller's out
 * pointer of type T: NULL is refused before anything happens. */
#define IPC_SHM__FILL(T, out, call)                                            \
  do {                                                                         \
    struct ipc_shm *obj = NULL;                                                \
    int err_;                                                                  \
    if ((out) == NULL)                                                         \
      return ipc_shm__fail_arg(IPC_SHM_E_INVAL);                               \
    err_ = (call);                                                             \
    *(out) = (T *)(void *)obj;                                                 \
    return err_;                                                               \
  } while (0)

/* ---- Names (src/common/name.c) ---- */

/* Check a name against the portable rule. 0 or NAME_INVALID/NAME_TOO_LONG/INVAL. */
int ipc_shm__check_name(const char *name);

/* ---- Tokens, messages and the inherited-token list (src/common/token.c) ---- */

/* Write a token; 0, or SYSTEM if it does not fit (it always does). */
int ipc_shm__token_format(const ipc_shm__token_t *token,
                          char out[IPC_SHM_TOKEN_MAX]);

/* Parse a token strictly: BAD_TOKEN for anything malformed or made for the
 * other platform. Never reads past the first IPC_SHM_TOKEN_MAX bytes. */
int ipc_shm__token_parse(const char *text, ipc_shm__token_t *token);

/* The connection message that goes with a handle: fixed size, host order. */
#define IPC_SHM__MESSAGE_SIZE 40
void ipc_shm__message_pack(unsigned char out[IPC_SHM__MESSAGE_SIZE],
                           const ipc_shm__token_t *token);
/* BAD_TOKEN for anything malformed. */
int ipc_shm__message_unpack(const unsigned char in[IPC_SHM__MESSAGE_SIZE],
                            ipc_shm__token_t *token);

/* The inherited-token list: tokens separated by single spaces. Token number
 * `index` of `list` into `out`: 0, NOT_FOUND (fewer tokens) or BAD_TOKEN
 * (an empty or overlong entry). */
int ipc_shm__token_list_get(const char *list, size_t index,
                            char out[IPC_SHM_TOKEN_MAX]);

/* Most segments one spawn hands over: their tokens fit one variable. */
#define IPC_SHM__SPAWN_MAX 64

/* ---- Hand-over (src/common/handle.c, src/common/conn.c) ---- */

/* Adopt `handle` as a new object of kind `expected` if it is what the
 * token says and not a handle the library owns already
 * (src/common/handle.c). WRONG_KIND when the token names another kind. On
 * failure the handle is untouched. */
int ipc_shm__adopt(struct ipc_shm **out, ipc_shm_native_t handle,
                   const ipc_shm__token_t *token, int inherited,
                   ipc_shm__object_t expected);

/* The hand-over routes for any kind of object (src/common/handle.c,
 * src/common/conn.c); the public functions of each kind call these with
 * their kind. A token or message of another kind is WRONG_KIND. */
int ipc_shm__export(ipc_shm_export_t **out, const struct ipc_shm *obj,
                    unsigned flags);
int ipc_shm__import(struct ipc_shm **out, const char *token,
                    ipc_shm__object_t expected);
int ipc_shm__pull(struct ipc_shm **out, const char *token,
                  ipc_shm__object_t expected);
int ipc_shm__inherited(struct ipc_shm **out, size_t index,
                       ipc_shm__object_t expected);
int ipc_shm__push(const struct ipc_shm *obj, unsigned long pid, unsigned flags,
                  char token[IPC_SHM_TOKEN_MAX]);
int ipc_shm__send(ipc_shm_conn_t *conn, const struct ipc_shm *obj, unsigned flags);
int ipc_shm__receive(ipc_shm_conn_t *conn, struct ipc_shm **out,
                     ipc_shm__object_t expected);

#endif
