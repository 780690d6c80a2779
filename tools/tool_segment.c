/* SPDX-License-Identifier: MIT */
/* ipc-shm create, write, read, info, rm and run: named segments. */
#include "tool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Report a failure on NAME or --inherited N. */
static int fail(const struct options *opt, int err) {
  char name[64];
  if (opt->inherited)
    snprintf(name, sizeof(name), "--inherited %s", opt->name != NULL ? opt->name : "");
  return ipc_shm_tool_fail(opt->command, opt->inherited ? name : opt->name, err);
}

static unsigned flags_of(const struct options *opt) {
  return (opt->global ? IPC_SHM_GLOBAL : 0u) |
         (opt->perms_given ? IPC_SHM_PERMS(opt->perms) : 0u);
}

static int cmd_create(const struct options *opt) {
  ipc_shm_t *shm;
  uint64_t size;
  int err;
  char buffer[256];
  switch (ipc_shm_tool_parse_size(opt->size, &size)) {
  case 0:
    break;
  case -2:
    return ipc_shm_tool_usage("create: SIZE is too large", opt->size);
  default:
    return ipc_shm_tool_usage("create: SIZE must be a number, optionally with a k, m or g suffix",
                 opt->size);
  }
  err = ipc_shm_create(&shm, opt->name, size, flags_of(opt));
  if (err != 0)
    return fail(opt, err);
  if (!opt->hold) {
    ipc_shm_close(shm);
    if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_LAST_CLOSE)
      fprintf(stderr, "ipc-shm: note: on this platform the segment is gone "
                      "with its last handle; use --hold to keep it\n");
    return EXIT_SUCCESS;
  }
  puts("ready");
  fflush(stdout);
  while (fread(buffer, 1, sizeof(buffer), stdin) > 0) {
  }
  ipc_shm_close(shm);
  /* Where names outlive handles, a held segment goes away with its holder,
   * as it does on Windows. */
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED) {
    err = ipc_shm_remove(opt->name, flags_of(opt));
    if (err != 0 && err != IPC_SHM_E_NOT_FOUND)
      return fail(opt, err);
  }
  return EXIT_SUCCESS;
}

/* Open NAME, or take the inherited segment it numbers. */
static int open_segment(const struct options *opt, int writable, ipc_shm_t **shm) {
  if (opt->inherited)
    return opt->index > (uint64_t)SIZE_MAX ? IPC_SHM_E_NOT_FOUND
                                           : ipc_shm_inherited(shm, (size_t)opt->index);
  return ipc_shm_open(shm, opt->name,
                      (writable ? 0u : IPC_SHM_READONLY) | flags_of(opt));
}

/* Open NAME and map it from --offset, for --length bytes (0: to the end). */
static int open_view(const struct options *opt, int writable, ipc_shm_view_t **view) {
  ipc_shm_t *shm;
  int err = open_segment(opt, writable, &shm);
  if (err != 0)
    return err;
  if (opt->length > (uint64_t)SIZE_MAX) {
    ipc_shm_close(shm);
    return IPC_SHM_E_SIZE_TOO_BIG;
  }
  err = ipc_shm_map(view, shm, opt->offset, (size_t)opt->length,
                    writable ? IPC_SHM_MAP_WRITE : IPC_SHM_MAP_READ);
  ipc_shm_close(shm); /* the view keeps the segment alive */
  return err;
}


static int cmd_write(const struct options *opt) {
  ipc_shm_view_t *view;
  unsigned char *input;
  size_t capacity, size = 0;
  int too_long, err = open_view(opt, 1, &view);
  if (err != 0)
    return fail(opt, err);
  capacity = ipc_shm_view_size(view);
  input = ipc_shm_tool_read_input(capacity, &size, &too_long);
  if (input == NULL || too_long) {
    ipc_shm_unmap(view);
    free(input);
    if (input == NULL)
      return fail(opt, IPC_SHM_E_NO_MEMORY);
    fprintf(stderr, "ipc-shm: write %s: input is longer than the %zu bytes "
                    "from the offset to the end of the segment; nothing written\n",
            opt->name, capacity);
    return EXIT_FAILURE;
  }
  memcpy(ipc_shm_view_data(view), input, size);
  free(input);
  err = ipc_shm_unmap(view);
  return err != 0 ? fail(opt, err) : EXIT_SUCCESS;
}

static int cmd_read(const struct options *opt) {
  ipc_shm_view_t *view;
  int err = open_view(opt, 0, &view);
  size_t size;
  if (err != 0)
    return fail(opt, err);
  size = ipc_shm_view_size(view);
  if (fwrite(ipc_shm_view_data(view), 1, size, stdout) != size || fflush(stdout) != 0) {
    ipc_shm_unmap(view);
    fprintf(stderr, "ipc-shm: read %s: cannot write to standard output: %s\n",
            opt->name, ipc_shm_tool_errno_text(errno));
    return EXIT_FAILURE;
  }
  err = ipc_shm_unmap(view);
  return err != 0 ? fail(opt, err) : EXIT_SUCCESS;
}

static int cmd_info(const struct options *opt) {
  ipc_shm_t *shm;
  int err = open_segment(opt, 0, &shm);
  if (err != 0)
    return fail(opt, err);
  if (ipc_shm_name(shm) != NULL)
    printf("name: %s\n", ipc_shm_name(shm));
  printf("access: %s\n", ipc_shm_is_writable(shm) ? "read-write" : "read-only");
  printf("size: %llu\n", (unsigned long long)ipc_shm_size(shm));
  printf("size-exact: %s\n", ipc_shm_size_is_exact(shm) ? "yes" : "no (rounded up to the page size)");
  printf("granularity: %zu\n", ipc_shm_granularity());
  printf("lifetime: %s\n", ipc_shm_lifetime() == IPC_SHM_LIFETIME_LAST_CLOSE
                               ? "until the last handle is closed"
                               : "until removed");
  ipc_shm_close(shm);
  return EXIT_SUCCESS;
}

/* run NAME... [--readonly] [--global] -- COMMAND [ARGS...] */
int ipc_shm_tool_run(int argc, char **argv) {
  struct options opt;
  ipc_shm_inherit_t *segments;
  ipc_shm_t **opened;
  ipc_shm_process_t *child = NULL;
  unsigned open_flags = 0, hand_flags = 0;
  int i, first_name = 2, names = 0, command = -1, code = EXIT_FAILURE, err = 0;
  memset(&opt, 0, sizeof(opt));
  opt.command = "run";
  for (i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      command = i + 1;
      break;
    }
    if (strcmp(argv[i], "--readonly") == 0)
      hand_flags = IPC_SHM_READONLY;
    else if (strcmp(argv[i], "--global") == 0)
      open_flags = IPC_SHM_GLOBAL;
    else if (argv[i][0] == '-' && argv[i][1] == '-')
      return ipc_shm_tool_usage("run: unknown option", argv[i]);
    else
      names++;
  }
  if (command < 0 || command >= argc || names == 0)
    return ipc_shm_tool_usage("run: give at least one NAME, then -- and the command", NULL);
  segments = (ipc_shm_inherit_t *)calloc((size_t)names, sizeof(*segments));
  opened = (ipc_shm_t **)calloc((size_t)names, sizeof(*opened));
  if (segments == NULL || opened == NULL) {
    free(segments);
    free(opened);
    return fail(&opt, IPC_SHM_E_NO_MEMORY);
  }
  names = 0;
  for (i = first_name; i < command - 1 && err == 0; i++) {
    ipc_shm_t *shm;
    if (argv[i][0] == '-' && argv[i][1] == '-')
      continue;
    opt.name = argv[i];
    err = ipc_shm_open(&shm, argv[i], open_flags | hand_flags);
    if (err == 0) {
      opened[names] = shm;
      segments[names].shm = shm;
      segments[names++].flags = hand_flags;
    }
  }
  if (err == 0) {
    opt.name = argv[command];
    err = ipc_shm_spawn(&child, (const char *const *)(argv + command), segments,
                        (size_t)names);
    /* As a shell says it: 127 for a command not found, 126 for one that
     * cannot be run. */
    if (err == IPC_SHM_E_NOT_FOUND || err == IPC_SHM_E_PERM) {
      fprintf(stderr, "ipc-shm: run: %s: %s\n", argv[command],
              err == IPC_SHM_E_NOT_FOUND ? "command not found" : "permission denied");
      code = err == IPC_SHM_E_NOT_FOUND ? 127 : 126;
      err = 0;
      child = NULL;
    }
  }
  /* The child holds its own copies. */
  for (i = 0; i < names; i++)
    ipc_shm_close(opened[i]);
  free(opened);
  free(segments);
  if (err == 0 && child != NULL)
    err = ipc_shm_process_wait(child, &code);
  return err != 0 ? fail(&opt, err) : code;
}

static int cmd_rm(const struct options *opt) {
  int err = ipc_shm_remove(opt->name, flags_of(opt));
  return err != 0 ? fail(opt, err) : EXIT_SUCCESS;
}

int ipc_shm_tool_segment(int argc, char **argv) {
  struct options opt;
  if (strcmp(argv[1], "create") != 0 && strcmp(argv[1], "write") != 0 &&
      strcmp(argv[1], "read") != 0 && strcmp(argv[1], "info") != 0 &&
      strcmp(argv[1], "rm") != 0)
    return ipc_shm_tool_usage("unknown command", argv[1]);
  {
    const char *reason;
    if (ipc_shm_tool_parse_args(argc, argv, &opt, &reason) != 0)
      return ipc_shm_tool_usage(reason, opt.bad_argument);
  }
  if (opt.inherited && strcmp(opt.command, "write") != 0 &&
      strcmp(opt.command, "read") != 0 && strcmp(opt.command, "info") != 0)
    return ipc_shm_tool_usage("--inherited works with write, read and info", NULL);
  if (strcmp(opt.command, "create") == 0)
    return cmd_create(&opt);
  if (strcmp(opt.command, "write") == 0)
    return cmd_write(&opt);
  if (strcmp(opt.command, "read") == 0)
    return cmd_read(&opt);
  if (strcmp(opt.command, "info") == 0)
    return cmd_info(&opt);
  return cmd_rm(&opt);
}
