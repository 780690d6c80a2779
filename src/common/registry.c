/* SPDX-License-Identifier: MIT */
/* The handles and descriptors the library owns, so that a token naming one
 * of them is never adopted a second time (which would close it twice). An
 * intrusive list: each owning object embeds its entry. */
#include "common.h"

#include <stddef.h>

static ipc_shm__owned_t *first;

void ipc_shm__owned_init(ipc_shm__owned_t *entry) {
  size_t i;
  entry->prev = entry->next = NULL;
  for (i = 0; i < IPC_SHM__OWNED_MAX; i++)
    entry->handles[i] = IPC_SHM__NO_HANDLE;
}

void ipc_shm__owned_add(ipc_shm__owned_t *entry) {
  ipc_shm__os_lock();
  entry->prev = NULL;
  entry->next = first;
  if (first != NULL)
    first->prev = entry;
  first = entry;
  ipc_shm__os_unlock();
}

void ipc_shm__owned_remove(ipc_shm__owned_t *entry) {
  ipc_shm__os_lock();
  if (entry->prev != NULL)
    entry->prev->next = entry->next;
  else if (first == entry)
    first = entry->next;
  if (entry->next != NULL)
    entry->next->prev = entry->prev;
  entry->prev = entry->next = NULL;
  ipc_shm__os_unlock();
}

int ipc_shm__owned_has(ipc_shm_native_t handle) {
  const ipc_shm__owned_t *entry;
  int found = 0;
  size_t i;
  if (handle == IPC_SHM__NO_HANDLE)
    return 0;
  ipc_shm__os_lock();
  for (entry = first; entry != NULL && !found; entry = entry->next)
    for (i = 0; i < IPC_SHM__OWNED_MAX; i++)
      if (entry->handles[i] == handle)
        found = 1;
  ipc_shm__os_unlock();
  return found;
}
