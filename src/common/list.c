/* SPDX-License-Identifier: MIT */
/* Listing the objects on this machine: argument checks, and the name rule
 * applied to what the backend finds (anything else is not ours to show). */
#include "common.h"

#include <string.h>

typedef struct listing {
  ipc_shm_list_fn each;
  void *arg;
} listing_t;

static int list_one(const char *name, int kind, uint64_t size, int users, void *arg) {
  listing_t *listing = (listing_t *)arg;
  ipc_shm_object_info_t info;
  if (ipc_shm__check_name(name) != 0)
    return 0;
  memset(&info, 0, sizeof(info));
  memcpy(info.name, name, strlen(name) + 1);
  info.kind = (ipc_shm_kind_t)kind;
  info.size = size;
  info.users = (ipc_shm_users_t)users;
  return listing->each(&info, listing->arg);
}

int ipc_shm_list(unsigned flags, ipc_shm_list_fn each, void *arg) {
  listing_t listing;
  if (each == NULL || (flags & ~IPC_SHM_GLOBAL) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  listing.each = each;
  listing.arg = arg;
  return ipc_shm__os_list(flags, list_one, &listing);
}
