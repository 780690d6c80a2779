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

#endif
