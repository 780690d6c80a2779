/* SPDX-License-Identifier: MIT */
/*
 * The contract between the portable part (src/common) and the backends
 * (src/posix, src/win32): what each backend provides, and the few things
 * the portable part provides to them (failure records here; atomics and
 * waiting in atomic.h and wait.h; the objects in object.h; fault injection
 * in fault.h). A backend includes nothing else of src/common and calls
 * nothing else there (scripts/lint.sh checks both).
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
 *
 * Thread safety: a primitive may run on several threads at once for
 * different objects; for one object, as the public header says of it.
 */
#ifndef IPC_SHM_PORT_H
#define IPC_SHM_PORT_H

#include "object.h"

#include <stddef.h>
#include <stdint.h>

/* ---- Failure records (src/common/error.c) ---- */

/* A system call failed: record its native error and name for this thread
 * and return the portable code translated from the error. */
int ipc_shm__fail(long native, const char *call);

/* The same, but the caller chooses the portable code (the native error is
 * recorded unchanged). */
int ipc_shm__fail_as(long native, const char *call, int err);

/* A failure found without a failing system call; returns err. */
int ipc_shm__fail_arg(int err);

/* The failure this thread recorded last, reported as `err` instead: its
 * native error and call are kept. Returns err. */
int ipc_shm__fail_recast(int err);

/* Backend: translate a native error (errno or GetLastError()) to a
 * portable code. The one translation table of each backend. */
int ipc_shm__translate(long native);

/* ---- The portable part's lock, and the clock (backends) ---- */

/* Backend: one process-wide lock for the portable part's shared state. */
void ipc_shm__os_lock(void);
void ipc_shm__os_unlock(void);

/* Nanoseconds on a monotonic clock; CPUs this process may use at once (1
 * at least, by affinity and quota); give the CPU up; sleep `ns` (callers
 * look again, so an early return does no harm). */
int64_t ipc_shm__os_now_ns(void);
int ipc_shm__os_cpus_usable(void);
void ipc_shm__os_yield(void);
void ipc_shm__os_sleep_ns(int64_t ns);

/* ---- Objects (src/{posix,win32}/shm.c) ---- */

/* Backend: set the backend's part of a new object or view to "nothing
 * held", and list the handles it holds (NO_HANDLE where none), so that the
 * portable part can record them as owned. */
void ipc_shm__os_object_init(struct ipc_shm *obj);
void ipc_shm__os_object_handles(const struct ipc_shm *obj,
                                ipc_shm_native_t handles[IPC_SHM__OWNED_MAX - 1]);
void ipc_shm__os_view_init(struct ipc_shm_view *view);
ipc_shm_native_t ipc_shm__os_view_handle(const struct ipc_shm_view *view);

/* ---- Segments and views (src/{posix,win32}/shm.c) ---- */

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

/* Mapping a file is three steps, so that the size rule is the portable
 * part's:
 *
 * file_open: open (with FILE_CREATE create, with exactly the requested
 *   permissions) the file at `path` and fill *file, with its length. Pre:
 *   path non-NULL and non-empty, and alive until the file is mapped or
 *   discarded; flags hold only READONLY, FILE_CREATE and PERMS bits.
 *   WRONG_KIND for anything but a regular (Windows: disk) file; never
 *   blocks. Leaves nothing on failure.
 * file_map: make the mapping object of `size` bytes (a writable one longer
 *   than the file lengthens the file) and fill handle, file (Windows),
 *   size, writable, size_exact of shm; the file is the object's from then
 *   on. On failure *file is unchanged, for file_discard.
 * file_discard: close the file and remove it if file_open created it. */
int ipc_shm__os_file_open(ipc_shm__os_file_t *file, const char *path, unsigned flags);
int ipc_shm__os_file_map(struct ipc_shm *shm, ipc_shm__os_file_t *file,
                         uint64_t size, int writable);
void ipc_shm__os_file_discard(ipc_shm__os_file_t *file);

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

/* ---- Events, mutexes and semaphores (src/{posix,win32}/sync.c) ---- */

/* Create the event, mutex or semaphore obj->object, named `name` or
 * anonymous (name NULL); a semaphore with obj->initial and obj->maximum
 * (checked: 0 <= initial <= maximum <= IPC_SHM_SEMAPHORE_MAX, maximum >
 * 0). Pre: name valid; flags hold only the kind's allowed bits
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
/* Backend (src/{posix,win32}/sync.c): the kernel object an event loop can
 * wait on for an event or semaphore, owned by it; NOT_SUPPORTED where
 * there is none (POSIX: the state is a word in shared memory). */
int ipc_shm__os_sync_native(const struct ipc_shm *obj, ipc_shm_native_t *native);

/* Semaphores (src/{posix,win32}/semaphore.c): post adds one (LIMIT at the
 * maximum, nothing changed), wait takes one, waiting at most timeout_ms
 * while the count is 0 (TIMEOUT). */
int ipc_shm__os_semaphore_post(struct ipc_shm *semaphore);
int ipc_shm__os_semaphore_wait(struct ipc_shm *semaphore, int64_t timeout_ms);

/* ---- Channels (src/{posix,win32}/channel.c) ---- */

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

/* Backend: for a look from outside (ipc_shm_channel_status), whether the
 * holder of role `side` of the channel in `segment`, whose peer word holds
 * `peer` (> PEER_LEFT), lives: 1 yes or cannot tell, 0 certainly not.
 * This process need not be attached. */
int ipc_shm__os_channel_role_alive(const struct ipc_shm *segment, int side, uint64_t peer);

/* Sleep while *word holds `expected`, at most `ns` (> 0, INT64_MAX: no
 * limit); `side` says who sleeps. A sleeper that its peer's death cannot
 * wake (POSIX; Windows before it holds the peer's process) sleeps at most
 * IPC_SHM__LIVENESS_SLICE_NS. 0 when woken (or for no reason), 1 when its
 * time ran out, 2 when the peer's process ended, or an error. */
int ipc_shm__os_channel_sleep(struct ipc_shm_channel *ch, int side, uint32_t *word,
                              uint32_t expected, int64_t ns);
/* Wake `side`, which sleeps on *word (its value was changed first). */
int ipc_shm__os_channel_wake(struct ipc_shm_channel *ch, int side, uint32_t *word);

/* ---- Topics (src/{posix,win32}/topic.c) ---- */

/* Backend: take role t->role of the topic (Windows: open or make that
 * role's event of topic `id`): EXISTS when a live process holds it. On
 * success the role's peer word holds t->self, which the backend may have
 * chosen (POSIX: the process id and a number of this attachment, so that
 * no two attachments share a value). End: leave the role (its word is
 * PEER_LEFT already) and release what begin made; never fails. */
int ipc_shm__os_topic_begin(struct ipc_shm_topic *t, uint64_t id, int global);
void ipc_shm__os_topic_end(struct ipc_shm_topic *t);

/* Backend: whether the holder of role `role`, whose word holds `peer`
 * (> PEER_LEFT), still holds it: 1 yes or cannot tell, 0 certainly not.
 * Asks the system. */
int ipc_shm__os_topic_alive(struct ipc_shm_topic *t, int role, uint64_t peer);

/* Sleep while *word (this role's) holds `expected`, at most `ns` (> 0,
 * INT64_MAX: no limit). `watch` is the role whose holder's death should
 * end the sleep (its word holds `watch_peer`), or -1. Where that death
 * cannot wake it, at most IPC_SHM__LIVENESS_SLICE_NS. 0 when woken (or for
 * no reason), 1 when its time ran out, 2 when the watched process ended,
 * or an error. */
int ipc_shm__os_topic_sleep(struct ipc_shm_topic *t, uint32_t *word, uint32_t expected,
                            int64_t ns, int watch, uint64_t watch_peer);
/* Wake role `role`, which sleeps on *word (its value was changed first). */
int ipc_shm__os_topic_wake(struct ipc_shm_topic *t, int role, uint32_t *word);

/* ---- Waiting on several objects (src/{posix,win32}/wait_any.c) ---- */

/* One item of ipc_shm_wait_any(): an event, semaphore or mutex (`sync`),
 * a channel end (`channel`) or a topic attachment (`topic`). Common arms
 * channel ends and topics itself (their words and flags are in the control
 * area); the backend arms the rest.
 * Entries live on the waiting thread's stack. */
typedef struct ipc_shm__wait_entry {
  int kind;                        /* IPC_SHM_WAIT_* */
  struct ipc_shm *sync;            /* EVENT, SEMAPHORE, MUTEX */
  struct ipc_shm_channel *channel; /* READABLE, WRITABLE */
  struct ipc_shm_topic *topic;     /* TOPIC_READABLE, TOPIC_WRITABLE */
  size_t room;                     /* WRITABLE: the message size */
  uint32_t *word;                  /* what a sleeper waits on to change */
  uint32_t seen;                   /* its value when armed */
} ipc_shm__wait_entry_t;

/* Backend: arm the sync entries before common looks at them, so that any
 * change after the look wakes the sleep: POSIX loads each word and counts
 * this thread among the object's sleepers; Windows has nothing to do.
 * Disarm undoes it. Neither fails. */
void ipc_shm__os_wait_arm(ipc_shm__wait_entry_t *entries, size_t count);
void ipc_shm__os_wait_disarm(ipc_shm__wait_entry_t *entries, size_t count);

/* Backend: sleep until an armed entry may have changed, at most `ns` (> 0,
 * INT64_MAX: no limit), and at most IPC_SHM__LIVENESS_SLICE_NS where a
 * death among the entries could not wake it. *taken is SIZE_MAX, or the
 * entry the sleep itself took (Windows: a kernel object the wait
 * acquired), whose result it returns (0, OWNER_DEAD, NOT_RECOVERABLE).
 * Otherwise 0, or a recorded error. */
int ipc_shm__os_wait_sleep(ipc_shm__wait_entry_t *entries, size_t count, int64_t ns,
                           size_t *taken);

/* Backend: entry `except` was taken; a wake-up meant for another sleeper
 * of the other entries may have ended this sleep instead: pass it on
 * where their words changed (POSIX). */
void ipc_shm__os_wait_pass_on(ipc_shm__wait_entry_t *entries, size_t count, size_t except);

/* ---- Listing (src/{posix,win32}/list.c) ---- */

/* What the backend reports of one object: its name as the system has it
 * (not checked against the name rule: the portable part does that), an
 * IPC_SHM_KIND_*, its size and an IPC_SHM_USERS_*. Nonzero stops. */
typedef int (*ipc_shm__list_each_t)(const char *name, int kind, uint64_t size, int users,
                                    void *arg);

/* Backend: report every object of the namespace (IPC_SHM_GLOBAL in flags:
 * Windows' Global\). Stops, returning 0, when `each` says so. Leaves
 * nothing open. NOT_SUPPORTED where there is no directory to read. */
int ipc_shm__os_list(unsigned flags, ipc_shm__list_each_t each, void *arg);

/* ---- Handles and their copies (src/{posix,win32}/handle.c) ---- */

/* A copy of the segment's handle with exactly the given access, in this
 * process, inheritable or not, and the token that names it (all but pid;
 * token->handle is the copy's value). Fills *copy, which the caller owns
 * and closes with ipc_shm__os_close_handle(). */
int ipc_shm__os_copy(const struct ipc_shm *shm, int writable, int inheritable,
                     ipc_shm_native_t *copy, ipc_shm__token_t *token);

/* Close one handle or descriptor. */
int ipc_shm__os_close_handle(ipc_shm_native_t handle);
/* Close `handle` on an error path: no record, errno or last error changes. */
void ipc_shm__os_close_quietly(ipc_shm_native_t handle);

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
                      const ipc_shm__token_t *token, int inherited);

/* Copy the handle the token names out of the process token->pid into this
 * one (not inheritable). Fills *copy. NOT_FOUND when the process or the
 * handle does not exist; NOT_SUPPORTED where no call can do it. */
int ipc_shm__os_pull(const ipc_shm__token_t *token, ipc_shm_native_t *copy);

/* Duplicate the segment's handle, with the given access, into process
 * `pid`; fill the token naming the new handle there (all but pid).
 * NOT_SUPPORTED where no call can do it. */
int ipc_shm__os_push(const struct ipc_shm *shm, unsigned long pid, int writable,
                     ipc_shm__token_t *token);

/* This process's id. */
unsigned long ipc_shm__os_self_pid(void);

/* A malloc'ed copy of the environment variable `name` (ASCII), which the
 * caller frees. NOT_FOUND when it is not set. */
int ipc_shm__os_environment(const char *name, char **value);

/* ---- Child processes (src/{posix,win32}/process.c) ---- */

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

/* ---- Connections (src/{posix,win32}/conn.c) ---- */

/* Listeners and connections are allocated by these primitives and freed by
 * their close primitives, which release everything even on error.
 * Pre: names pass ipc_shm__check_name; pointers are non-NULL. */
int ipc_shm__os_listen(ipc_shm_listener_t **listener, const char *name);
int ipc_shm__os_accept(ipc_shm_listener_t *listener, ipc_shm_conn_t **conn);
int ipc_shm__os_listener_close(ipc_shm_listener_t *listener);
int ipc_shm__os_connect(ipc_shm_conn_t **conn, const char *name);
unsigned long ipc_shm__os_conn_peer_pid(const ipc_shm_conn_t *conn);

/* Sending an object is three steps, so that the message itself is the
 * portable part's (token.c packs it):
 *
 * prepare: make the handle the peer will get, with the given access, and
 *   fill what the message must say of it: token->writable, size,
 *   has_check, check and handle (POSIX: the file's identity, handle 0, for
 *   the descriptor travels beside the message; Windows: the handle's value
 *   in the peer, which prepare has put there). *held is what the caller
 *   passes to send_bytes and send_undo and then closes with
 *   ipc_shm__os_close_handle (POSIX: the descriptor to send; Windows: the
 *   peer process). DISCONNECTED when the peer is gone. Leaves nothing on
 *   failure.
 * send_bytes: write the whole message, `held` beside it where handles
 *   travel so. DISCONNECTED when the peer has gone.
 * send_undo: the message did not go; take back what prepare gave the peer.
 */
int ipc_shm__os_send_prepare(ipc_shm_conn_t *conn, const struct ipc_shm *shm,
                             int writable, ipc_shm__token_t *token,
                             ipc_shm_native_t *held);
int ipc_shm__os_send_bytes(ipc_shm_conn_t *conn, const unsigned char *bytes,
                           size_t size, ipc_shm_native_t held);
void ipc_shm__os_send_undo(ipc_shm_conn_t *conn, const ipc_shm__token_t *token,
                           ipc_shm_native_t held);

/* Read exactly `size` bytes of the next message. *held: POSIX, the one
 * descriptor that came with them (the caller owns it), or NO_HANDLE if
 * none or several came (every one is closed); Windows, NO_HANDLE (the
 * message names the handle the peer put here). DISCONNECTED when the peer
 * closed. On failure nothing is held. */
int ipc_shm__os_receive_bytes(ipc_shm_conn_t *conn, unsigned char *bytes,
                              size_t size, ipc_shm_native_t *held);

int ipc_shm__os_conn_close(ipc_shm_conn_t *conn);

#endif
