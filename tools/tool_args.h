/* SPDX-License-Identifier: MIT */
/* The ipc-shm tool's command line, parsed apart from what the tool does
 * with it, so that the parser can be fuzzed (fuzz/fuzz_tool_args.c). */
#ifndef IPC_SHM_TOOL_ARGS_H
#define IPC_SHM_TOOL_ARGS_H

#include <stdint.h>

struct options {
  const char *command;
  const char *name;
  int inherited; /* NAME is an index into the inherited segments */
  const char *size;
  int hold;
  int global;
  unsigned perms;
  int perms_given;
  uint64_t offset;
  uint64_t length;
  uint64_t index;           /* with --inherited: the segment's number */
  const char *bad_argument; /* after a usage error: the argument at fault, or NULL */
};

/* A non-negative decimal number with an optional k/m/g suffix (KiB, MiB,
 * GiB). 0, -1 for anything else, -2 for a number too large. */
int ipc_shm_tool_parse_size(const char *text, uint64_t *out);

/* argv[1] is the command, argv[2] the name (or --inherited N), the rest
 * options. 0, or -1 for a usage error with a one-line *reason (static). */
int ipc_shm_tool_parse_args(int argc, char **argv, struct options *opt,
                            const char **reason);

/* ipc-shm event|mutex ACTION NAME [OPTIONS] [-- COMMAND...]. */
struct sync_options {
  const char *kind;   /* "event", "mutex" or "semaphore" */
  const char *action; /* event: create, set, reset, wait; mutex: create, lock;
                         semaphore: create, post, wait */
  const char *name;
  int manual, set, hold, global, recover;
  unsigned perms;
  int perms_given;
  uint32_t initial, maximum; /* semaphore create: the counts (0, the largest) */
  int64_t timeout_ms;   /* -1 when not given: no limit */
  int command;          /* mutex lock: index in argv of COMMAND, or 0 */
  const char *bad_argument;
};

/* argv[1] is "event", "mutex" or "semaphore", argv[2] the action, argv[3] the name. 0,
 * or -1 for a usage error with a one-line *reason (static). */
int ipc_shm_tool_parse_sync_args(int argc, char **argv, struct sync_options *opt,
                                 const char **reason);

/* ipc-shm channel ACTION NAME [OPTIONS] [MESSAGE], and ipc-shm topic
 * ACTION NAME [OPTIONS] [MESSAGE], whose publish and subscribe are send
 * and recv. */
struct channel_options {
  int topic;            /* a topic's command */
  const char *action;   /* create, send, recv, info; create, publish, subscribe */
  const char *name;
  const char *message;  /* send: the message as an argument; NULL: stdin */
  uint64_t max_message; /* create: the largest message (default 64 KiB) */
  uint64_t capacity;    /* create: the ring (default 1 MiB) */
  uint64_t slots;       /* topic create: the slots (default 16) */
  uint64_t count;       /* recv: messages to take (default 1; 0: until the
                           sender is gone) */
  int64_t timeout_ms;   /* send, recv: -1 when not given: no limit */
  int zero_copy, lines, hold, global;
  int overwrite;        /* topic create: the publisher never waits */
  int from_oldest;      /* topic subscribe: from the oldest message kept */
  unsigned perms;
  int perms_given;
  const char *bad_argument;
};

/* argv[1] is "channel" or "topic", argv[2] the action, argv[3] the name.
 * 0, or -1 for a usage error with a one-line *reason (static). */
int ipc_shm_tool_parse_channel_args(int argc, char **argv, struct channel_options *opt,
                                    const char **reason);

#endif
