/* SPDX-License-Identifier: MIT */
/* A mutex whose owner dies holding it: the child locks, starts an update of
 * the shared record and ends without unlocking, as a crash would. The parent's
 * lock then succeeds with IPC_SHM_E_OWNER_DEAD: it repairs the record, marks
 * the mutex consistent, and goes on as usual. Run it with no argument. */
#include <ipc_shm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The record the mutex protects. */
typedef struct record {
  int updating; /* 1 while an update is half done */
  int value;
} record_t;

static int fail(const char *what, int err) {
  fprintf(stderr, "%s: %s (%s, native %ld)\n", what, ipc_shm_strerror(err),
          ipc_shm_last_native_call(), ipc_shm_last_native_error());
  return 1;
}

static int child(void) {
  ipc_shm_t *shm;
  ipc_shm_mutex_t *mutex;
  ipc_shm_view_t *view;
  record_t *record;
  int err = ipc_shm_inherited(&shm, 0);
  if (err == 0)
    err = ipc_shm_mutex_inherited(&mutex, 1);
  if (err == 0)
    err = ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE);
  if (err == 0)
    err = ipc_shm_mutex_lock(mutex, 10000);
  if (err != 0)
    return fail("child", err);
  record = (record_t *)ipc_shm_view_data(view);
  record->updating = 1;
  record->value = -1;
  printf("child: locked, update half done, now ending without unlocking\n");
  fflush(stdout);
  exit(3); /* no unlock, no close: as a crash would leave it */
}

int main(int argc, char **argv) {
  ipc_shm_t *shm;
  ipc_shm_mutex_t *mutex;
  ipc_shm_view_t *view;
  ipc_shm_process_t *process;
  ipc_shm_inherit_t inherit[2];
  const char *child_argv[3];
  record_t *record;
  int err, code = 0;

  if (argc >= 2) /* started by the parent */
    return strcmp(argv[1], "child") == 0 ? child() : 2;
  err = ipc_shm_create_anonymous(&shm, sizeof(record_t), 0);
  if (err == 0)
    err = ipc_shm_mutex_create_anonymous(&mutex, 0);
  if (err == 0)
    err = ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE);
  if (err != 0)
    return fail("parent", err);
  record = (record_t *)ipc_shm_view_data(view);
  record->value = 41;

  memset(inherit, 0, sizeof(inherit));
  inherit[0].shm = shm;
  inherit[1].mutex = mutex;
  child_argv[0] = argv[0];
  child_argv[1] = "child";
  child_argv[2] = NULL;
  err = ipc_shm_spawn(&process, child_argv, inherit, 2);
  if (err == 0)
    err = ipc_shm_process_wait(process, &code);
  if (err != 0 || code != 3)
    return fail("the child did not end as planned", err);

  err = ipc_shm_mutex_lock(mutex, 10000);
  if (err == IPC_SHM_E_OWNER_DEAD) {
    /* This thread owns the mutex; the record may be half updated. */
    printf("parent: the owner died (updating=%d): repairing\n", record->updating);
    record->value = 41;
    record->updating = 0;
    err = ipc_shm_mutex_consistent(mutex);
  }
  if (err != 0)
    return fail("lock", err);
  record->value++;
  printf("parent: value is %d\n", record->value);
  ipc_shm_mutex_unlock(mutex);

  /* Usable as before. */
  err = ipc_shm_mutex_lock(mutex, 1000);
  if (err != 0)
    return fail("lock again", err);
  ipc_shm_mutex_unlock(mutex);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  ipc_shm_mutex_close(mutex);
  return 0;
}
