/* SPDX-License-Identifier: MIT */
/* The objects every part of the library shares: what the portable part
 * (src/common) allocates and hands to users, with each backend's own part
 * embedded (posix_object.h, win32_object.h), the tokens both read and
 * write, and a channel's control area, the one format in shared memory the
 * backends look into. */
#ifndef IPC_SHM_OBJECT_H
#define IPC_SHM_OBJECT_H

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

/* The size of the state of an event or mutex on POSIX, which is also the
 * size its tokens name on every platform. */
#define IPC_SHM__SYNC_SIZE 64

/* ---- Owned handles ---- */

/* Every handle or descriptor the library owns is listed, so that a token
 * naming one (forged, or a process's own export) is never adopted a second
 * time. The list is intrusive: each owning object embeds its entry, so
 * listing never allocates and never fails. */
#define IPC_SHM__OWNED_MAX 4
typedef struct ipc_shm__owned {
  struct ipc_shm__owned *prev, *next;
  ipc_shm_native_t handles[IPC_SHM__OWNED_MAX]; /* NO_HANDLE when unused */
} ipc_shm__owned_t;

/* ---- Segments, events, mutexes, views, exports ---- */

/* What a segment lives in: a name, nothing (anonymous), or a file. */
typedef enum ipc_shm__backing {
  IPC_SHM__BACKING_NAMED = 1,
  IPC_SHM__BACKING_ANONYMOUS = 2,
  IPC_SHM__BACKING_FILE = 3
} ipc_shm__backing_t;

/* The kinds of object: what a struct ipc_shm holds, and what a token or
 * message names. One kind is never accepted as another. */
typedef enum ipc_shm__object {
  IPC_SHM__OBJECT_SEGMENT = 1,
  IPC_SHM__OBJECT_EVENT = 2,
  IPC_SHM__OBJECT_MUTEX = 3,
  IPC_SHM__OBJECT_SEMAPHORE = 4
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
  ipc_shm__backing_t backing;
  int writable;
  int size_exact;
  char name[IPC_SHM_NAME_MAX + 1]; /* "" unless named */
  /* Events and mutexes. The thread that holds a mutex through this object
   * (its ipc_shm__thread_serial()), or 0; what waiting has learnt about
   * spinning here; the last verdict on a mutex owner's life. */
  uint64_t holder;
  /* Semaphores being made: their first count and their maximum. */
  uint32_t initial, maximum;
  ipc_shm__spin_t spin;
  ipc_shm__verdict_t verdict;
  struct ipc_shm__os_object os;
};

/* Events, mutexes and semaphores are their native object. */
struct ipc_shm_event {
  struct ipc_shm base;
};
struct ipc_shm_mutex {
  struct ipc_shm base;
};
struct ipc_shm_semaphore {
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

struct ipc_shm_export {
  ipc_shm__owned_t owned; /* handle */
  ipc_shm_native_t handle;
  char token[IPC_SHM_TOKEN_MAX];
};

/* ---- Tokens ---- */

/* What a token or a connection message says. */
typedef struct ipc_shm__token {
  ipc_shm__object_t object;
  int writable;
  uint64_t size;
  unsigned long pid;  /* process holding the handle; 0: the reader of the token */
  uint64_t handle;    /* handle value or descriptor number */
  /* The token's CHECK field (messages carry the second half only). POSIX:
   * the object's device and inode, which a receiver compares with what
   * the descriptor is (has_check: a token said them). Windows: 0, and a
   * mutex's state id (0 for other objects). */
  int has_check;
  uint64_t check[2];
} ipc_shm__token_t;

/* ---- Channels ---- */

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

/* The control area's constants and layout. It starts with these 8 bytes
 * ("ipcchan" and a NUL). */
#define IPC_SHM__CH_MAGIC_TEXT "ipcchan"
#define IPC_SHM__CH_LAYOUT 1u
/* Records: a u32 length and a u32 kind, then the message, 8-byte aligned. */
#define IPC_SHM__CH_RECORD 8u
#define IPC_SHM__CH_MESSAGE 1u
#define IPC_SHM__CH_PADDING 2u
/* What a peer word holds besides a process. */
#define IPC_SHM__CH_PEER_NONE 0u /* never attached */
#define IPC_SHM__CH_PEER_LEFT 1u /* closed its end */
#define IPC_SHM__CH_FLAG_GLOBAL 1u
/* Ring sizes: from one page to what a size_t and the checks can hold. */
#define IPC_SHM__CH_RING_MIN 4096u
#define IPC_SHM__CH_RING_MAX ((uint64_t)1 << 40)
/* A record's length is a u32. */
#define IPC_SHM__CH_MESSAGE_MAX ((uint64_t)IPC_SHM_CHANNEL_MESSAGE_MAX)
/* The control area, layout 1. For each field: who writes it, who reads
 * it, and what the access pairs with.
 *   magic .. flags  The creator, before the magic; the magic last, with a
 *            release store. An attacher loads the magic (acquire) first,
 *            then reads the rest once and checks it.
 *   write_index  Bytes ever committed. The sender only, with a seq_cst
 *            store once the record is written (release for the record; the
 *            receiver's acquire load pairs with it), then it loads the
 *            receiver's waiting flag: seq_cst on both sides, so that a
 *            receiver that raised its flag and then looked for records
 *            either sees the record or is seen and woken.
 *   read_index   Bytes ever released. The receiver only, the same way
 *            round for room.
 *   waiting[2]   Raised (seq_cst store) by a side about to sleep, before
 *            its last look; taken by the other side with an exchange, so
 *            that one sleep gets one wake-up; lowered by the sleeper when
 *            it runs again.
 *   words[2]     What each side sleeps on (Linux: a futex word): the waker
 *            adds one (seq_cst) before waking; the sleeper loaded it before
 *            raising its flag and sleeps only while it is unchanged.
 *   peers[2]     Each side's own: its process once it holds the role
 *            (seq_cst store), PEER_LEFT when it closes (CAS from its
 *            own value); the other side loads it (acquire). Linux holds the
 *            role itself as a lock on the first byte of this word (see
 *            src/posix/channel.c).
 *   attaches[2]  Each role's attachments so far, added to (seq_cst) by
 *            each attacher once it holds the role: the other side learns
 *            that a peer came and went between two of its calls. */
typedef struct ipc_shm__channel_header {
  uint64_t magic; /* "ipcchan\0" */
  uint32_t layout;
  uint32_t header_size;
  uint64_t capacity;
  uint64_t max_message;
  uint64_t id;
  uint32_t flags;
  uint32_t unused0;
  unsigned char pad0[64 - 48];
  /* Each index on a cache line of its own, written by one side only. */
  uint64_t write_index;
  unsigned char pad1[56];
  uint64_t read_index;
  unsigned char pad2[56];
  /* Waiting flags and the words the sides sleep on, apart from the
   * indices. */
  uint32_t waiting[2]; /* IPC_SHM__CHANNEL_RECEIVER, _SENDER */
  uint32_t words[2];
  unsigned char pad3[48];
  uint64_t peers[2];
  uint32_t attaches[2];
} ipc_shm__channel_header_t;

/* Layout 1 as README.md documents it: the indices, the waiting flags and
 * words, and the peers each start a cache line of their own. */
typedef char ipc_shm__channel_header_fits[sizeof(ipc_shm__channel_header_t) <= IPC_SHM_CHANNEL_HEADER ? 1 : -1];
typedef char ipc_shm__channel_layout_1[offsetof(ipc_shm__channel_header_t, layout) == 8 &&
                              offsetof(ipc_shm__channel_header_t, header_size) == 12 &&
                              offsetof(ipc_shm__channel_header_t, capacity) == 16 &&
                              offsetof(ipc_shm__channel_header_t, max_message) == 24 &&
                              offsetof(ipc_shm__channel_header_t, id) == 32 &&
                              offsetof(ipc_shm__channel_header_t, flags) == 40 &&
                              offsetof(ipc_shm__channel_header_t, write_index) == 64 &&
                              offsetof(ipc_shm__channel_header_t, read_index) == 128 &&
                              offsetof(ipc_shm__channel_header_t, waiting) == 192 &&
                              offsetof(ipc_shm__channel_header_t, words) == 200 &&
                              offsetof(ipc_shm__channel_header_t, peers) == 256 &&
                              offsetof(ipc_shm__channel_header_t, attaches) == 272
                          ? 1
                          : -1];

/* ---- Topics ---- */

/* Roles: 0 is the publisher, 1 .. IPC_SHM_TOPIC_SUBSCRIBERS_MAX the
 * subscribers' slots. */
#define IPC_SHM__TP_PUBLISHER 0
#define IPC_SHM__TP_ROLES (1 + IPC_SHM_TOPIC_SUBSCRIBERS_MAX)

struct ipc_shm_topic {
  struct ipc_shm *segment; /* the topic's own copy */
  ipc_shm_view_t *view;
  struct ipc_shm__topic_header *header;
  unsigned char *slots;       /* the first slot */
  uint64_t slot_count, slot_size, max_message; /* checked at attach */
  int overwrite;
  int inbox;                  /* an inbox (many senders, one receiver) */
  int role;                   /* IPC_SHM__TP_PUBLISHER, or a subscriber's;
                                 an inbox's receiver, or a sender's */
  uint64_t self;              /* this process, as the role words hold it */
  uint64_t position;          /* publisher: the next message's number;
                                 subscriber: the next message to read */
  uint64_t known;             /* publisher: the slowest subscriber's
                                 position, as last scanned; subscriber: the
                                 published count, as last loaded */
  uint64_t lost;              /* subscriber: lost since the last message */
  uint64_t pending;           /* bytes reserved or peeked, 0 when none */
  uint64_t pending_mark;      /* subscriber: the peeked slot's mark */
  int one_cpu;
  ipc_shm__spin_t spin;
  ipc_shm__verdict_t verdict; /* on the life of the publisher (subscribers)
                                 or of the slowest subscriber (publisher) */
  int blocker;                /* publisher: the subscriber that held it
                                 back last, or 0 */
  uint64_t blocker_peer;
  uint64_t ticket;            /* inbox sender: the slot it claimed, plus one;
                                 0 when none */
  struct ipc_shm__os_topic os;
};

/* An inbox is a topic's slots and roles put the other way round: role 0
 * is its receiver (IPC_SHM_INBOX_RECEIVER has IPC_SHM_TOPIC_PUBLISHER's
 * value), roles 1..64 its senders (IPC_SHM_INBOX_SENDER has
 * IPC_SHM_TOPIC_SUBSCRIBER's). */
struct ipc_shm_inbox {
  struct ipc_shm_topic topic;
};

/* The control area's constants and layout ("ipctopc" and a NUL; an
 * inbox's "ipcinbx"). */
#define IPC_SHM__TP_MAGIC_TEXT "ipctopc"
#define IPC_SHM__IB_MAGIC_TEXT "ipcinbx"
#define IPC_SHM__TP_LAYOUT 1u
#define IPC_SHM__TP_FLAG_GLOBAL 1u
#define IPC_SHM__TP_FLAG_OVERWRITE 2u
/* A slot: its mark (u64), the message's length (u32), 4 unused bytes, the
 * message; slots are a multiple of 64 bytes. */
#define IPC_SHM__TP_SLOT_HEADER 16u
#define IPC_SHM__TP_SLOTS_MAX ((uint64_t)1 << 20)
/* A slot's mark: the number of the message in it plus one, with this bit
 * while the publisher writes it; 0 before the first. */
#define IPC_SHM__TP_WRITING ((uint64_t)1 << 63)
/* What a role word holds besides a process (as for channels). */
#define IPC_SHM__TP_PEER_NONE 0u
#define IPC_SHM__TP_PEER_LEFT 1u

/* One role's line. For each field: who writes it, who reads it.
 *   peer      The holder: its process once it holds the role (seq_cst),
 *             PEER_LEFT when it closes (CAS from its own value). Others
 *             load it (acquire). Linux holds the role as a lock on the
 *             first byte of this word (src/posix/topic.c).
 *   position  Subscribers: the next message number to read, stored
 *             (seq_cst) by the holder as it reads; the publisher loads
 *             it (seq_cst) to know how far it may go.
 *   word      What the holder sleeps on: whoever wakes it adds one
 *             (seq_cst) first; it loaded the word before its last look.
 *   waiting   The publisher's: raised (seq_cst) before its last look when
 *             it is about to sleep for room; a subscriber that moves on
 *             takes it with an exchange and wakes the publisher. */
typedef struct ipc_shm__topic_role {
  uint64_t peer;
  uint64_t position;
  uint32_t word;
  uint32_t waiting;
  unsigned char pad[40];
} ipc_shm__topic_role_t;

/* The control area, layout 1.
 *   magic .. flags  The creator, magic last (release), as for channels.
 *   published  Messages ever committed: the publisher only, with a seq_cst
 *              store after the slot's closing mark (release), then it loads
 *              `sleepers`. Subscribers load it (acquire / seq_cst).
 *   sleepers   Bit r-1 for subscriber r about to sleep: set (fetch_or,
 *              seq_cst) before its last look, cleared by the publisher with
 *              an exchange when it wakes them, or by the subscriber when
 *              it runs again.
 * Slots: the publisher stores a slot's mark with WRITING (relaxed), a
 * release fence, then the message and the length, then the mark without
 * WRITING (release); a reader loads the mark (acquire), copies, an acquire
 * fence, and loads the mark again: the same mark, the message is whole. */
typedef struct ipc_shm__topic_header {
  uint64_t magic; /* "ipctopc\0" */
  uint32_t layout;
  uint32_t header_size;
  uint64_t slot_count;
  uint64_t slot_size;
  uint64_t max_message;
  uint64_t id;
  uint32_t flags;
  uint32_t unused0;
  unsigned char pad0[64 - 56];
  uint64_t published;
  unsigned char pad1[56];
  uint64_t sleepers;
  unsigned char pad2[56];
  ipc_shm__topic_role_t roles[IPC_SHM__TP_ROLES];
} ipc_shm__topic_header_t;

typedef char ipc_shm__topic_header_fits[sizeof(ipc_shm__topic_header_t) <= IPC_SHM_TOPIC_HEADER ? 1 : -1];
typedef char ipc_shm__topic_layout_1[offsetof(ipc_shm__topic_header_t, slot_count) == 16 &&
                            offsetof(ipc_shm__topic_header_t, slot_size) == 24 &&
                            offsetof(ipc_shm__topic_header_t, max_message) == 32 &&
                            offsetof(ipc_shm__topic_header_t, id) == 40 &&
                            offsetof(ipc_shm__topic_header_t, flags) == 48 &&
                            offsetof(ipc_shm__topic_header_t, published) == 64 &&
                            offsetof(ipc_shm__topic_header_t, sleepers) == 128 &&
                            offsetof(ipc_shm__topic_header_t, roles) == 192 &&
                            sizeof(ipc_shm__topic_role_t) == 64
                        ? 1
                        : -1];

#endif
