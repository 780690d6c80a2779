/* SPDX-License-Identifier: MIT */
/*
 * The contract between the portable part (src/common) and the backends
 * (src/posix, src/win32).
 *
 * The portable part checks every argument once (pointers, flags, names,
 * sizes, ranges, access), decides every protocol (token and message
 * formats, the inherited-token list, which handle may be adopted) and owns
 * the objects it hands to users. A backend primitive may assume its stated
 * preconditions and only talks to the operating system, always through its
 * table of system calls (src/posix/syscall.c, src/win32/syscall.c), so that
 * tests can make any call fail.
 *
 * Failure: a primitive records what happened with ipc_shm__fail() (a system
 * call failed: its native error exactly as the OS reported it, and its
 * name), ipc_shm__fail_as() (the same, with a portable code chosen by the
 * caller) or ipc_shm__fail_arg() (no system call failed), and leaves
 * nothing behind: no handle, descriptor, mapping or name, and its output
 * structures untouched.
 *
 * Ownership: "fills X" means the primitive stores handles in X that the
 * caller owns from then on and releases with the matching close primitive.
 * Structures are allocated and freed by the portable part unless a
 * primitive says otherwise.
 */
#ifndef IPC_SHM_INTERNAL_H
#define IPC_SHM_INTERNAL_H

#include "ipc_shm.h"

#include "atomic.h"
#include "wait.h"

#include <stddef.h>
#include <stdint.h>

/* Largest size a segment may have anywhere: what off_t can hold. */
#define IPC_SHM__SIZE_LIMIT ((uint64_t)INT64_MAX)

#ifdef _WIN32
#define IPC_SHM__NO_HANDLE ((ipc_shm_native_t)0)
#else
#define IPC_SHM__NO_HANDLE (-1)
#endif

/* The bits of IPC_SHM_PERMS(): whether a mode was given, and the mode. */
#define IPC_SHM__PERMS_GIVEN IPC_SHM_PERMS(0)
#define IPC_SHM__PERMS_MASK IPC_SHM_PERMS(0777)
#define IPC_SHM__PERMS_OF(flags) (((flags) >> 16) & 0777u)

/* ------------------------------------------------------------------------ */
/* Errors (src/common/error.c)                                                */

/* A system call failed: record its native error and name for this thread
 * and return the portable code translated from the error. */
int ipc_shm__fail(long native, const char *call);

/* The same, but the caller chooses the portable code (the native error is
 * recorded unchanged). */
int ipc_shm__fail_as(long native, const char *call, int err);

/* A failure found without a failing system call; returns err. */
int ipc_shm__fail_arg(int err);

/* Backend: translate a native error (errno or GetLastError()) to a
 * portable code. The one translation table of each backend. */
int ipc_shm__translate(long native);

/* ------------------------------------------------------------------------ */
/* System calls and fault injection (src/common/fault.c; the tables are in  */
/* src/posix/syscall.c and src/win32/syscall.c)                              */

/* Entries of the backend's table, numbered from 0. */
int ipc_shm__syscall_count(void);
/* The call the entry makes, as the error record names it. */
const char *ipc_shm__syscall_name(int entry);
/* The entry's own name, unique in the table (two entries may make one call
 * with different arguments: "fcntl" and "fcntl_lock"). */
const char *ipc_shm__syscall_entry(int entry);
/* The entry named `name` (its own name), or -1. */
int ipc_shm__syscall_find(const char *name);

/* For tests, one thread at a time. Begin routes every call through a
 * counting wrapper and clears the counts; end routes them back. While
 * begun, ipc_shm__fault_arm makes call number `nth` (from 1, counted since
 * begin) of `entry` fail with `native` instead of reaching the OS. Calls
 * that release something (close, munmap, CloseHandle, UnmapViewOfFile)
 * release it and then report the failure, as the OS does. */
void ipc_shm__faults_begin(void);
void ipc_shm__faults_end(void);
void ipc_shm__fault_arm(int entry, unsigned long nth, long native);
/* Calls of `entry` since begin (failed ones included). */
unsigned long ipc_shm__fault_calls(int entry);
/* 1 if the armed failure has happened. */
int ipc_shm__fault_fired(void);

/* Backend side: the wrappers ask whether this call of `entry` must fail;
 * if so, ipc_shm__fault_native() is the error to report. */
int ipc_shm__fault_fires(int entry);
long ipc_shm__fault_native(void);
/* Backend: point every entry at its counting wrapper (on) or at the OS
 * function (off). */
void ipc_shm__os_syscalls_wrap(int on);

/* Backend: one process-wide lock for the portable part's shared state. */
void ipc_shm__os_lock(void);
void ipc_shm__os_unlock(void);

/* ------------------------------------------------------------------------ */
/* Owned handles (src/common/registry.c)                                      */

/* Every handle or descriptor the library owns is listed, so that a token
 * naming one (forged, or a process's own export) is never adopted a second
 * time. The list is intrusive: each owning object embeds its entry, so
 * listing never allocates and never fails. */
#define IPC_SHM__OWNED_MAX 4
typedef struct ipc_shm__owned {
  struct ipc_shm__owned *prev, *next;
  ipc_shm_native_t handles[IPC_SHM__OWNED_MAX]; /* NO_HANDLE when unused */
} ipc_shm__owned_t;

void ipc_shm__owned_init(ipc_shm__owned_t *entry);
/* List the entry with its handles; entries are listed once. */
void ipc_shm__owned_add(ipc_shm__owned_t *entry);
void ipc_shm__owned_remove(ipc_shm__owned_t *entry);
/* 1 if some listed entry holds `handle`. */
int ipc_shm__owned_has(ipc_shm_native_t handle);

/* ------------------------------------------------------------------------ */
/* Objects                                                                    */

typedef enum ipc_shm_kind {
  IPC_SHM_KIND_NAMED = 1,
  IPC_SHM_KIND_ANONYMOUS = 2,
  IPC_SHM_KIND_FILE = 3
} ipc_shm_kind_t;

/* The kinds of object: what a struct ipc_shm holds, and what a token or
 * message names. One kind is never accepted as another. */
typedef enum ipc_shm__object {
  IPC_SHM__OBJECT_SEGMENT = 1,
  IPC_SHM__OBJECT_EVENT = 2,
  IPC_SHM__OBJECT_MUTEX = 3
} ipc_shm__object_t;

/* Each backend's own part of the objects below. */
#ifdef _WIN32
#include "../win32/win32_object.h"
#else
#include "../posix/posix_object.h"
#endif

/* A segment, or the native object of an event or mutex (which reuse the
 * segment's handling of names, handles and hand-over). */
struct ipc_shm {
  ipc_shm__owned_t owned; /* handle and the backend's handles */
  ipc_shm__object_t object;
  ipc_shm_native_t handle; /* file-mapping HANDLE or descriptor */
  uint64_t size;
  ipc_shm_kind_t kind;
  int writable;
  int size_exact;
  char name[IPC_SHM_NAME_MAX + 1]; /* "" unless named */
  /* Events and mutexes. The thread that holds a mutex through this object
   * (its ipc_shm__thread_serial()), or 0; what waiting has learnt about
   * spinning here; the last verdict on a mutex owner's life. */
  uint64_t holder;
  ipc_shm__spin_t spin;
  ipc_shm__verdict_t verdict;
  struct ipc_shm__os_object os;
};

/* Events and mutexes are their native object. */
struct ipc_shm_event {
  struct ipc_shm base;
};
struct ipc_shm_mutex {
  struct ipc_shm base;
};

struct ipc_shm_view {
  ipc_shm__owned_t owned; /* the backend's handle, if any */
  void *data;      /* what the caller sees: base + (offset - aligned offset) */
  size_t size;     /* what the caller asked for */
  void *base;      /* start of the OS mapping, on a granularity boundary */
  size_t mapped;   /* length of the OS mapping */
  ipc_shm_access_t access;
  struct ipc_shm__os_view os;
};

/* Backend: set the backend's part of a new object or view to "nothing
 * held", and list the handles it holds (NO_HANDLE where none), so that the
 * portable part can record them as owned. */
void ipc_shm__os_object_init(struct ipc_shm *obj);
void ipc_shm__os_object_handles(const struct ipc_shm *obj,
                                ipc_shm_native_t handles[IPC_SHM__OWNED_MAX - 1]);
void ipc_shm__os_view_init(struct ipc_shm_view *view);
ipc_shm_native_t ipc_shm__os_view_handle(const struct ipc_shm_view *view);

/* A number for the calling thread, never given to another thread of this
 * process (src/common/wait.c). */
uint64_t ipc_shm__thread_serial(void);

struct ipc_shm_export {
  ipc_shm__owned_t owned; /* handle */
  ipc_shm_native_t handle;
  char token[IPC_SHM_TOKEN_MAX];
};

/* A zeroed object of the given kinds with no handles (src/common/shm.c),
 * or NULL. */
struct ipc_shm *ipc_shm__object_new(ipc_shm__object_t object, ipc_shm_kind_t kind);
/* An anonymous segment: ipc_shm__object_new(SEGMENT, ANONYMOUS). */
struct ipc_shm *ipc_shm__segment_new(void);
/* After a backend filled `shm`: on success list its handles as owned and
 * store it in *out; on failure (err != 0) free it. Returns err. */
int ipc_shm__segment_finish(ipc_shm_t **out, struct ipc_shm *shm, int err);

/* ------------------------------------------------------------------------ */
/* Names (src/common/name.c)                                                  */

/* Check a name against the portable rule. 0 or NAME_INVALID/NAME_TOO_LONG/INVAL. */
int ipc_shm__check_name(const char *name);

/* ------------------------------------------------------------------------ */
/* Tokens, messages and the inherited-token list (src/common/token.c)        */


/* What a token or a connection message says. */
typedef struct ipc_shm_token {
  ipc_shm__object_t object;
  int writable;
  uint64_t size;
  unsigned long pid;  /* process holding the handle; 0: the reader of the token */
  uint64_t handle;    /* handle value or descriptor number */
  int has_identity;   /* POSIX: device and inode below are known */
  uint64_t device, inode;
} ipc_shm_token_t;

/* Write a token; 0, or SYSTEM if it does not fit (it always does). */
int ipc_shm__token_format(const ipc_shm_token_t *token,
                          char out[IPC_SHM_TOKEN_MAX]);

/* Parse a token strictly: BAD_TOKEN for anything malformed or made for the
 * other platform. Never reads past the first IPC_SHM_TOKEN_MAX bytes. */
int ipc_shm__token_parse(const char *text, ipc_shm_token_t *token);

/* The connection message that goes with a handle: fixed size, host order. */
#define IPC_SHM__MESSAGE_SIZE 40
void ipc_shm__message_pack(unsigned char out[IPC_SHM__MESSAGE_SIZE],
                           const ipc_shm_token_t *token);
/* BAD_TOKEN for anything malformed. */
int ipc_shm__message_unpack(const unsigned char in[IPC_SHM__MESSAGE_SIZE],
                            ipc_shm_token_t *token);

/* The inherited-token list: tokens separated by single spaces. Token number
 * `index` of `list` into `out`: 0, NOT_FOUND (fewer tokens) or BAD_TOKEN
 * (an empty or overlong entry). */
int ipc_shm__token_list_get(const char *list, size_t index,
                            char out[IPC_SHM_TOKEN_MAX]);

/* Most segments one spawn hands over: their tokens fit one variable. */
#define IPC_SHM__SPAWN_MAX 64

/* ------------------------------------------------------------------------ */
/* Backend: segments and views (src/{posix,win32}/shm.c)                      */

/* Create the named segment exclusively, read-write, with `size` bytes.
 * Pre: name passes ipc_shm__check_name; 0 < size <= IPC_SHM__SIZE_LIMIT;
 * flags hold only GLOBAL, NORESERVE and PERMS bits. Fills handle, size,
 * writable, size_exact. The contents are zero. No other process can open
 * the segment before it has its full size. EXISTS when the name exists. */
int ipc_shm__os_create(struct ipc_shm *shm, const char *name, uint64_t size,
                       unsigned flags);

/* Open the existing named segment; never creates, never resizes, never
 * blocks. Pre: name valid; flags hold only READONLY and GLOBAL bits.
 * Fills handle, size (exact on POSIX, page-rounded on Windows), writable,
 * size_exact. NOT_FOUND when the name does not exist, WRONG_KIND when it
 * names something that is not a segment (a planted FIFO, a directory). */
int ipc_shm__os_open(struct ipc_shm *shm, const char *name, unsigned flags);

/* Create an anonymous shared segment, read-write.
 * Pre: 0 < size <= IPC_SHM__SIZE_LIMIT; flags hold only NORESERVE.
 * Fills handle, readonly_twin (POSIX without /proc), size, writable,
 * size_exact. Leaves no name anywhere. */
int ipc_shm__os_create_anonymous(struct ipc_shm *shm, uint64_t size,
                                 unsigned flags);

/* Open (or with FILE_CREATE create) the file and make a mapping object for
 * it, sized by ipc_shm__file_map_size. Pre: path non-NULL and non-empty;
 * requested <= IPC_SHM__SIZE_LIMIT; flags hold only READONLY, FILE_CREATE
 * and PERMS bits. Fills handle, file (Windows), size, writable,
 * size_exact. WRONG_KIND for anything but a regular file; never blocks.
 * A file this call created is removed again on failure. */
int ipc_shm__os_open_file(struct ipc_shm *shm, const char *path,
                          uint64_t requested, unsigned flags);

/* Decide the mapping size of a file of `file_size` bytes for a request of
 * `requested` bytes (0: the whole file). 0 or SIZE_ZERO/SIZE_MISMATCH.
 * Portable (src/common/shm.c). */
int ipc_shm__file_map_size(uint64_t requested, uint64_t file_size,
                           int writable, uint64_t *out);

/* Release every handle and mapping of the object (a segment, event or
 * mutex). Pre: shm was filled by a primitive. Everything is released even
 * when a call reports an error. */
int ipc_shm__os_close(struct ipc_shm *shm);

/* Seal against new writers. Pre: shm->writable. */
int ipc_shm__os_seal(struct ipc_shm *shm);

/* Remove a name. Pre: name valid; flags hold only the GLOBAL bit. */
int ipc_shm__os_remove(const char *name, unsigned flags);

/* Map [offset, offset + length) of the segment with view->access.
 * Pre: offset is a multiple of ipc_shm__os_granularity(); 0 < length;
 * offset + length <= shm->size; the access is allowed by shm->writable.
 * Fills view->base and view->file. */
int ipc_shm__os_map(struct ipc_shm_view *view, const struct ipc_shm *shm,
                    uint64_t offset, size_t length);

/* Unmap the view and release view->file; both even on error. */
int ipc_shm__os_unmap(struct ipc_shm_view *view);

/* Write [addr, addr + length) of a writable view to its backing store and
 * wait. Pre: the range lies inside the view. */
int ipc_shm__os_flush(struct ipc_shm_view *view, void *addr, size_t length);

size_t ipc_shm__os_granularity(void);

ipc_shm_lifetime_t ipc_shm__os_lifetime(void);

/* Adopt `handle` as a new object of kind `expected` if it is what the
 * token says and not a handle the library owns already
 * (src/common/handle.c). WRONG_KIND when the token names another kind. On
 * failure the handle is untouched. */
int ipc_shm__adopt(struct ipc_shm **out, ipc_shm_native_t handle,
                   const ipc_shm_token_t *token, int inherited,
                   ipc_shm__object_t expected);

/* ------------------------------------------------------------------------ */
/* Backend: events and mutexes (src/{posix,win32}/sync.c)                    */

/* The size of the state of an event or mutex on POSIX, which is also the
 * size its tokens name on every platform. */
#define IPC_SHM__SYNC_SIZE 64

/* Create the event or mutex obj->object, named `name` or anonymous (name
 * NULL). Pre: name valid; flags hold only the kind's allowed bits
 * (EVENT_MANUAL, EVENT_SET, GLOBAL, PERMS). Fills handle, block, state,
 * state_id, size, writable. EXISTS when anything has the name. */
int ipc_shm__os_sync_create(struct ipc_shm *obj, const char *name, unsigned flags);

/* Open the named event or mutex obj->object; never creates. Pre: name
 * valid; flags hold only GLOBAL. WRONG_KIND when the name holds another
 * kind of object. */
int ipc_shm__os_sync_open(struct ipc_shm *obj, const char *name, unsigned flags);

/* POSIX: 1 if `fd` (of `size` bytes) holds the state of an event or mutex,
 * so that it is never taken for a segment. */
int ipc_shm__os_is_sync_object(ipc_shm_native_t fd, uint64_t size);

/* Operations. Pre: obj filled by a primitive above or by ipc_shm__os_adopt,
 * of the right kind; timeout_ms >= 0 or IPC_SHM_FOREVER. */
int ipc_shm__os_event_set(struct ipc_shm *event);
int ipc_shm__os_event_reset(struct ipc_shm *event);
int ipc_shm__os_event_wait(struct ipc_shm *event, int64_t timeout_ms);
int ipc_shm__os_mutex_lock(struct ipc_shm *mutex, int64_t timeout_ms);
int ipc_shm__os_mutex_unlock(struct ipc_shm *mutex);
int ipc_shm__os_mutex_consistent(struct ipc_shm *mutex);

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

/* ------------------------------------------------------------------------ */
/* Channels (src/common/channel.c; backends: src/{posix,win32}/channel.c)     */

/* The two sides of a channel, which are also who waits for what: the
 * receiver for messages, the sender for room. */
enum { IPC_SHM__CHANNEL_RECEIVER = 0, IPC_SHM__CHANNEL_SENDER = 1 };

struct ipc_shm_channel {
  struct ipc_shm *segment;  /* the channel's own copy */
  ipc_shm_view_t *view;
  struct ipc_shm__channel_header *header;
  unsigned char *ring;
  uint64_t capacity, max_message; /* checked at attach, never read again */
  int side;
  uint64_t self;        /* this process, as the peer words hold it */
  uint64_t position;    /* sender: next write; receiver: next read */
  uint64_t other_index; /* last seen index of the other side */
  uint64_t pending;     /* bytes reserved or peeked, 0 when none */
  uint64_t pending_at;  /* where the reservation's record starts */
  uint32_t peer_attaches; /* the other role's attach count when this side
                             attached (a sender has seen a receiver once
                             it changes) */
  int peer_seen;        /* a peer was attached once */
  int one_cpu;          /* this process may use one CPU only (as learnt the
                           last time it waited) */
  ipc_shm__spin_t spin;
  ipc_shm__verdict_t verdict; /* on the peer's life */
  struct ipc_shm__os_channel os;
};

/* This process as the peer words hold it (never 0 or 1). */
int ipc_shm__os_self_process(uint64_t *self);

/* Backend: begin and end this side's attachment. Begin makes ready what
 * the sides sleep on (Windows opens or makes the two events of channel
 * `id`; POSIX sleeps on words of the header) and takes the role
 * ch->side: EXISTS when a live process holds it. On success the peer word
 * of the side holds ch->self. End leaves the role (the peer word is
 * PEER_LEFT already) and releases what begin made; never fails. */
int ipc_shm__os_channel_begin(struct ipc_shm_channel *ch, uint64_t id, int global);
void ipc_shm__os_channel_end(struct ipc_shm_channel *ch);

/* Backend: whether the peer whose word holds `peer` (> PEER_LEFT) is still
 * attached: 1 yes or cannot tell, 0 certainly not (its process ended, or it
 * let its role go). Asks the system. */
int ipc_shm__os_channel_peer_alive(struct ipc_shm_channel *ch, uint64_t peer);

/* Sleep while *word holds `expected`, at most `ns` (> 0, INT64_MAX: no
 * limit); `side` says who sleeps. A sleeper that its peer's death cannot
 * wake (POSIX; Windows before it holds the peer's process) sleeps at most
 * IPC_SHM__LIVENESS_SLICE_NS. 0 when woken (or for no reason), 1 when its
 * time ran out, 2 when the peer's process ended, or an error. */
int ipc_shm__os_channel_sleep(struct ipc_shm_channel *ch, int side, uint32_t *word,
                              uint32_t expected, int64_t ns);
/* Wake `side`, which sleeps on *word (its value was changed first). */
int ipc_shm__os_channel_wake(struct ipc_shm_channel *ch, int side, uint32_t *word);

/* ------------------------------------------------------------------------ */
/* Backend: handles and their copies (src/{posix,win32}/handle.c)            */

/* A copy of the segment's handle with exactly the given access, in this
 * process, inheritable or not, and the token that names it (all but pid;
 * token->handle is the copy's value). Fills *copy, which the caller owns
 * and closes with ipc_shm__os_close_handle(). */
int ipc_shm__os_copy(const struct ipc_shm *shm, int writable, int inheritable,
                     ipc_shm_native_t *copy, ipc_shm_token_t *token);

/* Close one handle or descriptor. */
int ipc_shm__os_close_handle(ipc_shm_native_t handle);

/* The handle a token value names in this process; BAD_TOKEN if the value
 * cannot be one. */
int ipc_shm__os_handle_from_value(uint64_t value, ipc_shm_native_t *handle);
uint64_t ipc_shm__os_handle_value(ipc_shm_native_t handle);

/* Check that `handle` is what the token says: a section (Windows: type
 * "Section", not an image) or a shared-memory object or regular file
 * (POSIX: the device and inode of the token when known), with exactly the
 * claimed access and room for the claimed size; for an event or mutex,
 * the native object of that kind (Windows: type "Event" or "Mutant" with
 * exactly the rights handed over; POSIX: a shared-memory object holding
 * that kind's state). If so it becomes the object's (fills handle, size,
 * writable, size_exact, and for events and mutexes what
 * ipc_shm__os_sync_create fills); with `inherited` it must also be
 * inheritable, and is made non-inheritable. Otherwise BAD_TOKEN and the
 * handle is not touched: the caller decides its fate.
 * Pre: token->object == shm->object. */
int ipc_shm__os_adopt(struct ipc_shm *shm, ipc_shm_native_t handle,
                      const ipc_shm_token_t *token, int inherited);

/* Copy the handle the token names out of the process token->pid into this
 * one (not inheritable). Fills *copy. NOT_FOUND when the process or the
 * handle does not exist; NOT_SUPPORTED where no call can do it. */
int ipc_shm__os_pull(const ipc_shm_token_t *token, ipc_shm_native_t *copy);

/* Duplicate the segment's handle, with the given access, into process
 * `pid`; fill the token naming the new handle there (all but pid).
 * NOT_SUPPORTED where no call can do it. */
int ipc_shm__os_push(const struct ipc_shm *shm, unsigned long pid, int writable,
                     ipc_shm_token_t *token);

/* This process's id. */
unsigned long ipc_shm__os_self_pid(void);

/* A malloc'ed copy of the environment variable `name` (ASCII), which the
 * caller frees. NOT_FOUND when it is not set. */
int ipc_shm__os_environment(const char *name, char **value);

/* ------------------------------------------------------------------------ */
/* Backend: child processes (src/{posix,win32}/process.c)                    */

/* The value under which a child started by ipc_shm__os_spawn() finds the
 * copy number `index`: POSIX places copies at 3, 4, ...; Windows handles
 * keep their value. */
uint64_t ipc_shm__os_child_handle(ipc_shm_native_t copy, size_t index);

/* Start argv[0] with the arguments argv[1...], the environment of this
 * process without IPC_SHM_INHERIT_ENV plus `inherit_entry` (the whole
 * "IPC_SHM_INHERITED=..." string), inheriting exactly the `count` copies
 * (made by ipc_shm__os_copy, not inheritable) and the standard streams.
 * The copies stay the caller's. Pre: argv and argv[0] non-NULL, argv[0]
 * non-empty, count <= IPC_SHM__SPAWN_MAX. Allocates *child, which
 * ipc_shm__os_process_wait() frees. */
int ipc_shm__os_spawn(ipc_shm_process_t **child, const char *const argv[],
                      const char *inherit_entry, const ipc_shm_native_t *copies,
                      size_t count);
unsigned long ipc_shm__os_process_id(const ipc_shm_process_t *child);
/* Wait, store the exit status, free the child in every case. */
int ipc_shm__os_process_wait(ipc_shm_process_t *child, int *exit_code);

/* ------------------------------------------------------------------------ */
/* Backend: connections (src/{posix,win32}/conn.c)                           */

/* Listeners and connections are allocated by these primitives and freed by
 * their close primitives, which release everything even on error.
 * Pre: names pass ipc_shm__check_name; pointers are non-NULL. */
int ipc_shm__os_listen(ipc_shm_listener_t **listener, const char *name);
int ipc_shm__os_accept(ipc_shm_listener_t *listener, ipc_shm_conn_t **conn);
int ipc_shm__os_listener_close(ipc_shm_listener_t *listener);
int ipc_shm__os_connect(ipc_shm_conn_t **conn, const char *name);
unsigned long ipc_shm__os_conn_peer_pid(const ipc_shm_conn_t *conn);

/* Send a copy of the segment with the given access and the message that
 * describes it. DISCONNECTED when the peer is gone (closed or dead). */
int ipc_shm__os_send(ipc_shm_conn_t *conn, const struct ipc_shm *shm,
                     int writable);

/* Receive the next message. On success the message is in *token and
 * *handle is what came with it: POSIX, a descriptor that arrived with the
 * message (*fresh = 1: the caller owns and must close it if it refuses it);
 * Windows, the handle value the message names, put here by the peer
 * (*fresh = 0: it may belong to something else and is never closed on
 * refusal). Malformed messages are BAD_TOKEN; a descriptor that arrived
 * with one is closed. */
int ipc_shm__os_receive(ipc_shm_conn_t *conn, ipc_shm_token_t *token,
                        ipc_shm_native_t *handle, int *fresh);

int ipc_shm__os_conn_close(ipc_shm_conn_t *conn);

#endif /* IPC_SHM_INTERNAL_H */
