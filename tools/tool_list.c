/* SPDX-License-Identifier: MIT */
/* ipc-shm ls and rm --stale: the objects on this machine, and removing the
 * names whose every user is gone. */
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct list_options {
  const char *command; /* "ls" or "rm" */
  const char *prefix;  /* only names that start with it; "" for all */
  int stale, global;
};

static const char *kind_text(ipc_shm_kind_t kind) {
  switch (kind) {
  case IPC_SHM_KIND_EVENT:
    return "event";
  case IPC_SHM_KIND_MUTEX:
    return "mutex";
  case IPC_SHM_KIND_CHANNEL:
    return "channel";
  case IPC_SHM_KIND_TOPIC:
    return "topic";
  case IPC_SHM_KIND_SEMAPHORE:
    return "semaphore";
  default:
    return "segment";
  }
}

static const char *users_text(ipc_shm_users_t users) {
  switch (users) {
  case IPC_SHM_USERS_SOME:
    return "in use";
  case IPC_SHM_USERS_NONE:
    return "stale";
  default:
    return "unknown";
  }
}

typedef struct listing {
  const struct list_options *opt;
  int removed_failures;
} listing_t;

static int each_object(const ipc_shm_object_info_t *info, void *arg) {
  listing_t *listing = (listing_t *)arg;
  const struct list_options *opt = listing->opt;
  if (strncmp(info->name, opt->prefix, strlen(opt->prefix)) != 0)
    return 0;
  if (opt->stale && info->users != IPC_SHM_USERS_NONE)
    return 0;
  if (strcmp(opt->command, "ls") == 0) {
    printf("%-30s %-9s %12llu  %s\n", info->name, kind_text(info->kind),
           (unsigned long long)info->size, users_text(info->users));
    return 0;
  }
  {
    int err = ipc_shm_remove(info->name, opt->global ? IPC_SHM_GLOBAL : 0u);
    if (err == 0)
      printf("removed %s (%s)\n", info->name, kind_text(info->kind));
    else if (err != IPC_SHM_E_NOT_FOUND) /* gone meanwhile: fine */
      listing->removed_failures += ipc_shm_tool_fail("rm --stale", info->name, err) != 0;
  }
  return 0;
}

/* ls [PREFIX] [--stale] [--global]; rm --stale [PREFIX] [--global]. */
int ipc_shm_tool_list(int argc, char **argv) {
  struct list_options opt;
  listing_t listing;
  int i, err;
  memset(&opt, 0, sizeof(opt));
  opt.command = argv[1];
  opt.prefix = "";
  for (i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--stale") == 0)
      opt.stale = 1;
    else if (strcmp(argv[i], "--global") == 0)
      opt.global = 1;
    else if (argv[i][0] != '-' && opt.prefix[0] == '\0')
      opt.prefix = argv[i];
    else
      return ipc_shm_tool_usage(argv[i][0] == '-' ? "unknown option" : "one PREFIX only",
                                argv[i]);
  }
  if (strcmp(opt.command, "rm") == 0 && !opt.stale)
    return ipc_shm_tool_usage("rm takes a NAME, or --stale", NULL);
  if (strcmp(opt.command, "ls") == 0)
    printf("%-30s %-9s %12s  %s\n", "NAME", "KIND", "SIZE", "USERS");
  listing.opt = &opt;
  listing.removed_failures = 0;
  err = ipc_shm_list(opt.global ? IPC_SHM_GLOBAL : 0u, each_object, &listing);
  fflush(stdout);
  if (err != 0)
    return ipc_shm_tool_fail(opt.command, opt.prefix, err);
  return listing.removed_failures != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
