/* SPDX-License-Identifier: MIT */
/* ipc-shm event, mutex and semaphore. */
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Report an event, mutex or semaphore error as fail() does. */
static int sync_fail(const struct sync_options *sync, int err) {
  char command[32];
  snprintf(command, sizeof(command), "%s %s", sync->kind, sync->action);
  if (err == IPC_SHM_E_TIMEOUT) {
    fprintf(stderr, "ipc-shm: %s %s: timed out\n", command, sync->name);
    return EXIT_TIMED_OUT;
  }
  return ipc_shm_tool_fail(command, sync->name, err);
}



/* After a create: hold the new object (or say it will vanish), close it
 * with `close_object`, and remove a held name where names outlive handles. */
static int finish_create(const struct sync_options *sync, unsigned flags, void *object,
                         int (*close_object)(void *)) {
  if (sync->hold)
    ipc_shm_tool_hold();
  else
    ipc_shm_tool_note_vanishing(sync->kind);
  (void)close_object(object);
  if (sync->hold && ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    (void)ipc_shm_remove(sync->name, flags);
  return EXIT_SUCCESS;
}

static int close_event(void *event) { return ipc_shm_event_close((ipc_shm_event_t *)event); }
static int close_mutex(void *mutex) { return ipc_shm_mutex_close((ipc_shm_mutex_t *)mutex); }
static int close_semaphore(void *semaphore) {
  return ipc_shm_semaphore_close((ipc_shm_semaphore_t *)semaphore);
}

static int cmd_event(const struct sync_options *sync) {
  unsigned flags = sync->global ? IPC_SHM_GLOBAL : 0u;
  ipc_shm_event_t *event;
  int err;
  if (strcmp(sync->action, "create") == 0) {
    flags |= (sync->manual ? IPC_SHM_EVENT_MANUAL : 0u) | (sync->set ? IPC_SHM_EVENT_SET : 0u) |
             (sync->perms_given ? IPC_SHM_PERMS(sync->perms) : 0u);
    err = ipc_shm_event_create(&event, sync->name, flags);
    if (err != 0)
      return sync_fail(sync, err);
    return finish_create(sync, flags, event, close_event);
  }
  err = ipc_shm_event_open(&event, sync->name, flags);
  if (err != 0)
    return sync_fail(sync, err);
  if (strcmp(sync->action, "set") == 0)
    err = ipc_shm_event_set(event);
  else if (strcmp(sync->action, "reset") == 0)
    err = ipc_shm_event_reset(event);
  else
    err = ipc_shm_event_wait(event, sync->timeout_ms);
  ipc_shm_event_close(event);
  return err != 0 ? sync_fail(sync, err) : EXIT_SUCCESS;
}

static int cmd_mutex(const struct sync_options *sync, char **argv) {
  unsigned flags = sync->global ? IPC_SHM_GLOBAL : 0u;
  ipc_shm_mutex_t *mutex;
  ipc_shm_process_t *child = NULL;
  int err, code = EXIT_SUCCESS;
  if (strcmp(sync->action, "create") == 0) {
    flags |= sync->perms_given ? IPC_SHM_PERMS(sync->perms) : 0u;
    err = ipc_shm_mutex_create(&mutex, sync->name, flags);
    if (err != 0)
      return sync_fail(sync, err);
    return finish_create(sync, flags, mutex, close_mutex);
  }
  err = ipc_shm_mutex_open(&mutex, sync->name, flags);
  if (err != 0)
    return sync_fail(sync, err);
  err = ipc_shm_mutex_lock(mutex, sync->timeout_ms);
  if (err == IPC_SHM_E_OWNER_DEAD) {
    fprintf(stderr, "ipc-shm: mutex lock %s: its previous owner died holding it\n",
            sync->name);
    if (!sync->recover) {
      /* Exiting while holding it hands the news to the next locker. */
      fputs("ipc-shm: check what it protects, then lock it with --recover\n", stderr);
      return EXIT_FAILURE;
    }
    err = ipc_shm_mutex_consistent(mutex);
  }
  if (err != 0) {
    ipc_shm_mutex_close(mutex);
    return sync_fail(sync, err);
  }
  if (sync->command > 0) {
    err = ipc_shm_spawn(&child, (const char *const *)(argv + sync->command), NULL, 0);
    if (err == IPC_SHM_E_NOT_FOUND || err == IPC_SHM_E_PERM) {
      fprintf(stderr, "ipc-shm: mutex lock: %s: %s\n", argv[sync->command],
              err == IPC_SHM_E_NOT_FOUND ? "command not found" : "permission denied");
      code = err == IPC_SHM_E_NOT_FOUND ? 127 : 126;
      err = 0;
    } else if (err == 0) {
      err = ipc_shm_process_wait(child, &code);
    }
  }
  (void)ipc_shm_mutex_unlock(mutex);
  ipc_shm_mutex_close(mutex);
  return err != 0 ? sync_fail(sync, err) : code;
}

static int cmd_semaphore(const struct sync_options *sync) {
  unsigned flags = sync->global ? IPC_SHM_GLOBAL : 0u;
  ipc_shm_semaphore_t *semaphore;
  int err;
  if (strcmp(sync->action, "create") == 0) {
    flags |= sync->perms_given ? IPC_SHM_PERMS(sync->perms) : 0u;
    err = ipc_shm_semaphore_create(&semaphore, sync->name, sync->initial, sync->maximum, flags);
    if (err != 0)
      return sync_fail(sync, err);
    return finish_create(sync, flags, semaphore, close_semaphore);
  }
  err = ipc_shm_semaphore_open(&semaphore, sync->name, flags);
  if (err != 0)
    return sync_fail(sync, err);
  if (strcmp(sync->action, "post") == 0)
    err = ipc_shm_semaphore_post(semaphore);
  else
    err = ipc_shm_semaphore_wait(semaphore, sync->timeout_ms);
  ipc_shm_semaphore_close(semaphore);
  return err != 0 ? sync_fail(sync, err) : EXIT_SUCCESS;
}

int ipc_shm_tool_sync(int argc, char **argv) {
  struct sync_options sync;
  const char *reason;
  if (ipc_shm_tool_parse_sync_args(argc, argv, &sync, &reason) != 0)
    return ipc_shm_tool_usage(reason, sync.bad_argument);
  if (strcmp(sync.kind, "event") == 0)
    return cmd_event(&sync);
  if (strcmp(sync.kind, "semaphore") == 0)
    return cmd_semaphore(&sync);
  return cmd_mutex(&sync, argv);
}
