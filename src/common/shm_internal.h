/*
 * The contract between the portable part (src/common) and the backends
 * (src/posix, src/win32).
 *
 * The portable part checks every argument once: pointers, flags, names,
 * sizes, ranges and access. A backend primitive may assume its stated
 * preconditions and only talks to the operating system. On failure a
 * primitive records the native error with ipc_shm__fail() and leaves nothing
 * behind: no handle, descriptor, mapping or name.
 */
#ifndef IPC_SHM_INTERNAL_H
#define IPC_SHM_INTERNAL_H

#include "ipc_shm.h"

#include <stddef.h>
#include <stdint.h>

/* Largest size a segment may have anywhere: what off_t can hold. */
#define IPC_SHM__SIZE_LIMIT ((uint64_t)INT64_MAX)

#ifdef _WIN32
#define IPC_SHM__NO_HANDLE ((ipc_shm_native_t)0)
#else
#define IPC_SHM__NO_HANDLE (-1)
#endif

typedef enum ipc_shm_kind {
  IPC_SHM_KIND_NAMED = 1,
  IPC_SHM_KIND_ANONYMOUS = 2,
  IPC_SHM_KIND_FILE = 3
} ipc_shm_kind_t;

struct ipc_shm {
  ipc_shm_native_t handle; /* file-mapping HANDLE or descriptor */
  ipc_shm_native_t file;   /* Windows, file-backed: the file HANDLE, which
                              FlushFileBuffers needs; otherwise NO_HANDLE */
  ipc_shm_native_t readonly_twin; /* POSIX without /proc/self/fd, anonymous:
                              a read-only descriptor opened before the
                              object's name was removed, the one way to make
                              read-only copies later; otherwise NO_HANDLE */
  uint64_t size;
  ipc_shm_kind_t kind;
  int writable;
  int size_exact;
  char name[IPC_SHM_NAME_MAX + 1]; /* "" unless named */
};

struct ipc_shm_view {
  void *data;      /* what the caller sees: base + (offset - aligned offset) */
  size_t size;     /* what the caller asked for */
  void *base;      /* start of the OS mapping, on a granularity boundary */
  size_t mapped;   /* length of the OS mapping */
  ipc_shm_access_t access;
  ipc_shm_native_t file; /* Windows, writable file-backed view: its own
                            duplicate of the file HANDLE for flushing */
};

/* ---- Portable helpers (src/common) ---- */

/* A zeroed segment object with no handles, or NULL. */
struct ipc_shm *ipc_shm__new_segment(ipc_shm_kind_t kind);

/* Record the native error of a failing system call for this thread and
 * return the portable code translated from it. */
int ipc_shm__fail(long native, const char *call);

/* Record a failure found without a system call; returns err. */
int ipc_shm__fail_arg(int err);

/* Check a name against the portable rule. 0 or NAME_INVALID/NAME_TOO_LONG/INVAL. */
int ipc_shm__check_name(const char *name);

/* Decide the mapping size of a file of `file_size` bytes for a request of
 * `requested` bytes (0: the whole file). 0 or SIZE_ZERO/SIZE_MISMATCH. */
int ipc_shm__file_map_size(uint64_t requested, uint64_t file_size,
                           int writable, uint64_t *out);

/* ---- Backend primitives (src/posix/shm.c, src/win32/shm.c) ---- */

/* Translate a native error (errno or GetLastError()) to a portable code.
 * The one translation table of each backend. */
int ipc_shm__translate(long native);

/* Create the named segment exclusively, read-write.
 * Pre: name passes ipc_shm__check_name; 0 < size <= IPC_SHM__SIZE_LIMIT;
 * flags hold only GLOBAL and PERMS bits. Fills handle, size, writable,
 * size_exact. The contents are zero. */
int ipc_shm__os_create(struct ipc_shm *shm, const char *name, uint64_t size,
                       unsigned flags);

/* Open the existing named segment; never creates or resizes.
 * Pre: name valid; flags hold only READONLY and GLOBAL bits.
 * Fills handle, size (exact on POSIX, page-rounded on Windows), writable,
 * size_exact. NOT_FOUND when the name does not exist. */
int ipc_shm__os_open(struct ipc_shm *shm, const char *name, unsigned flags);

/* Create an anonymous shared segment, read-write.
 * Pre: 0 < size <= IPC_SHM__SIZE_LIMIT. */
int ipc_shm__os_create_anonymous(struct ipc_shm *shm, uint64_t size);

/* Open (or with FILE_CREATE create) the file and make a mapping object for
 * it, sized by ipc_shm__file_map_size. Pre: path non-NULL and non-empty;
 * requested <= IPC_SHM__SIZE_LIMIT; flags hold only READONLY, FILE_CREATE
 * and PERMS bits. */
int ipc_shm__os_open_file(struct ipc_shm *shm, const char *path,
                          uint64_t requested, unsigned flags);

/* Release the handles of the segment. Pre: shm was filled by a primitive. */
int ipc_shm__os_close(struct ipc_shm *shm);

/* Seal against new writers. Pre: shm->writable. */
int ipc_shm__os_seal(struct ipc_shm *shm);

/* Remove a name. Pre: name valid; flags hold only the GLOBAL bit. */
int ipc_shm__os_remove(const char *name, unsigned flags);

/* Map [offset, offset + length) of the segment. Pre: offset is a multiple of
 * ipc_shm__os_granularity(); 0 < length; offset + length <= shm->size; the
 * access is allowed by shm->writable. Fills view->base and view->file. */
int ipc_shm__os_map(struct ipc_shm_view *view, const struct ipc_shm *shm,
                    uint64_t offset, size_t length);

/* Unmap the view and release view->file. */
int ipc_shm__os_unmap(struct ipc_shm_view *view);

/* Write [addr, addr + length) of a writable view to its backing store and
 * wait. Pre: the range lies inside the view. */
int ipc_shm__os_flush(struct ipc_shm_view *view, void *addr, size_t length);

size_t ipc_shm__os_granularity(void);

ipc_shm_lifetime_t ipc_shm__os_lifetime(void);


#ifdef _WIN32
/* src/win32/shm.c, for src/win32/handover.c: NtQuerySection's size and
 * allocation attributes of a section handle; a function of ntdll. */
int ipc_shm__win_query_section(void *section, uint64_t *size,
                               unsigned long *attributes);
void (*ipc_shm__win_ntdll_function(const char *function))(void);
#endif

/* ---- Handing segments to other processes (src/common/handover.c) ---- */

/* What a token or a connection message says. */
typedef struct ipc_shm_token {
  int writable;
  uint64_t size;
  unsigned long pid;  /* process holding the handle; 0: the reader of the token */
  uint64_t handle;    /* handle value or descriptor number */
  int has_identity;   /* POSIX: device and inode below are known */
  uint64_t device, inode;
} ipc_shm_token_t;

struct ipc_shm_export {
  ipc_shm_native_t handle;
  char token[IPC_SHM_TOKEN_MAX];
};

/* Write a token; 0, or SYSTEM if it does not fit (it always does). */
int ipc_shm__token_format(const ipc_shm_token_t *token,
                          char out[IPC_SHM_TOKEN_MAX]);

/* Parse a token strictly: BAD_TOKEN for anything malformed or made for the
 * other platform. */
int ipc_shm__token_parse(const char *text, ipc_shm_token_t *token);

/* The connection message that goes with a handle: fixed size, host order. */
#define IPC_SHM__MESSAGE_SIZE 32
void ipc_shm__message_pack(unsigned char out[IPC_SHM__MESSAGE_SIZE],
                           const ipc_shm_token_t *token);
int ipc_shm__message_unpack(const unsigned char in[IPC_SHM__MESSAGE_SIZE],
                            ipc_shm_token_t *token);

/* Backend primitives. */

/* Fill exp->handle with a copy of the segment's handle with the given
 * access, inheritable or not, and fill `token` (all but pid). */
int ipc_shm__os_export(struct ipc_shm_export *exp, const struct ipc_shm *shm,
                       int writable, int inheritable, ipc_shm_token_t *token);
int ipc_shm__os_export_close(struct ipc_shm_export *exp);

/* Check that `handle`, a handle of this process, is what the token says;
 * if so make it the segment's (non-inheritable). Otherwise BAD_TOKEN, and
 * the handle is not touched. */
int ipc_shm__os_adopt(struct ipc_shm *shm, uint64_t handle,
                      const ipc_shm_token_t *token);

/* Copy the handle the token names out of the process token->pid, then
 * adopt it; the copy is closed again if the checks fail. */
int ipc_shm__os_pull(struct ipc_shm *shm, const ipc_shm_token_t *token);

/* Duplicate into process `pid`; fill the token naming the new handle. */
int ipc_shm__os_push(const struct ipc_shm *shm, unsigned long pid, int writable,
                     ipc_shm_token_t *token);

/* Most segments one spawn hands over: their tokens fit one variable. */
#define IPC_SHM__SPAWN_MAX 64

/* This process's id. */
unsigned long ipc_shm__os_self_pid(void);

/* Pre: argv and argv[0] non-NULL; segments checked. */
int ipc_shm__os_spawn(ipc_shm_process_t **child, const char *const argv[],
                      const ipc_shm_inherit_t *segments, size_t count);
unsigned long ipc_shm__os_process_id(const ipc_shm_process_t *child);
int ipc_shm__os_process_wait(ipc_shm_process_t *child, int *exit_code);

/* Pre: name passes ipc_shm__check_name. */
int ipc_shm__os_listen(ipc_shm_listener_t **listener, const char *name);
int ipc_shm__os_accept(ipc_shm_listener_t *listener, ipc_shm_conn_t **conn);
int ipc_shm__os_listener_close(ipc_shm_listener_t *listener);
int ipc_shm__os_connect(ipc_shm_conn_t **conn, const char *name);
unsigned long ipc_shm__os_conn_peer_pid(const ipc_shm_conn_t *conn);
int ipc_shm__os_send(ipc_shm_conn_t *conn, const struct ipc_shm *shm,
                     int writable);
int ipc_shm__os_receive(ipc_shm_conn_t *conn, struct ipc_shm *shm);
int ipc_shm__os_conn_close(ipc_shm_conn_t *conn);

#endif /* IPC_SHM_INTERNAL_H */
