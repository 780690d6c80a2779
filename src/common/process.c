/* SPDX-License-Identifier: MIT */
/* Child processes that inherit segments, events, mutexes and semaphores: the portable
 * part builds the inherited-token list, in one place for every platform. */
#include "common.h"

#include <stdlib.h>
#include <string.h>

/* The one object an entry names, or NULL when it names none or several,
 * or has flags its kind does not take. */
static const struct ipc_shm *inherited_object(const ipc_shm_inherit_t *entry) {
  const struct ipc_shm *obj = NULL;
  int named = 0;
  if (entry->shm != NULL) {
    obj = entry->shm;
    named++;
  }
  if (entry->event != NULL) {
    obj = &entry->event->base;
    named++;
  }
  if (entry->mutex != NULL) {
    obj = &entry->mutex->base;
    named++;
  }
  if (entry->semaphore != NULL) {
    obj = &entry->semaphore->base;
    named++;
  }
  if (named != 1)
    return NULL;
  if ((entry->flags & ~IPC_SHM_READONLY) != 0 ||
      (entry->flags != 0 && obj->object != IPC_SHM__OBJECT_SEGMENT))
    return NULL;
  return obj;
}

int ipc_shm_spawn(ipc_shm_process_t **child, const char *const argv[],
                  const ipc_shm_inherit_t *segments, size_t count) {
  const size_t prefix = sizeof(IPC_SHM_INHERIT_ENV "=") - 1;
  ipc_shm_native_t *copies;
  char *entry;
  size_t i, made = 0, used = prefix;
  int err = 0;
  if (child == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *child = NULL;
  if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0' ||
      (count > 0 && segments == NULL))
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  for (i = 0; i < count; i++)
    if (inherited_object(&segments[i]) == NULL)
      return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  /* Every token goes into one environment variable: keep it bounded. */
  if (count > IPC_SHM__SPAWN_MAX)
    return ipc_shm__fail_arg(IPC_SHM_E_TOO_MANY);

  copies = (ipc_shm_native_t *)calloc(count + 1, sizeof(*copies));
  entry = (char *)malloc(prefix + (count + 1) * IPC_SHM_TOKEN_MAX);
  if (copies == NULL || entry == NULL) {
    free(copies);
    free(entry);
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  }
  memcpy(entry, IPC_SHM_INHERIT_ENV "=", prefix + 1);
  for (i = 0; i < count && err == 0; i++) {
    const struct ipc_shm *shm = inherited_object(&segments[i]);
    int writable = shm->writable && (segments[i].flags & IPC_SHM_READONLY) == 0;
    ipc_shm__token_t token;
    memset(&token, 0, sizeof(token));
    err = ipc_shm__os_copy(shm, writable, 0, &copies[i], &token);
    if (err != 0)
      break;
    made++;
    token.object = shm->object;
    token.pid = 0;
    token.handle = ipc_shm__os_child_handle(copies[i], i);
    if (i > 0)
      entry[used++] = ' ';
    err = ipc_shm__token_format(&token, entry + used);
    used += strlen(entry + used);
  }
  if (err == 0)
    err = ipc_shm__os_spawn(child, argv, entry, copies, count);
  /* The child has its own copies now; ours go. */
  for (i = 0; i < made; i++)
    (void)ipc_shm__os_close_handle(copies[i]);
  free(copies);
  free(entry);
  return err;
}

unsigned long ipc_shm_process_id(const ipc_shm_process_t *child) {
  return child != NULL ? ipc_shm__os_process_id(child) : 0;
}

int ipc_shm_process_wait(ipc_shm_process_t *child, int *exit_code) {
  if (exit_code != NULL)
    *exit_code = -1;
  if (child == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_process_wait(child, exit_code);
}
