/* SPDX-License-Identifier: MIT */
/* What events, mutexes and semaphores share: the checks and steps of
 * making, opening and closing one. Their native objects are struct ipc_shm
 * of kind EVENT, MUTEX or SEMAPHORE, so that names, handles and every
 * hand-over route are those of segments. */
#include "common.h"

#include <stdlib.h>
#include <string.h>

/* Common prologue of every call that makes an object: checks, then a fresh
 * object of the kind. `name` NULL: anonymous. */
static int begin(struct ipc_shm **out, ipc_shm__object_t object, const char *name,
                 unsigned flags, unsigned allowed, int anonymous,
                 struct ipc_shm **obj) {
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if ((flags & ~allowed) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  if (!anonymous) {
    err = ipc_shm__check_name(name);
    if (err != 0)
      return ipc_shm__fail_arg(err);
  }
  *obj = ipc_shm__object_new(object, anonymous ? IPC_SHM__BACKING_ANONYMOUS
                                               : IPC_SHM__BACKING_NAMED);
  if (*obj == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  if (!anonymous)
    memcpy((*obj)->name, name, strlen(name) + 1);
  return 0;
}

int ipc_shm__syncobj_create(struct ipc_shm **out, ipc_shm__object_t object,
                         const char *name, unsigned flags, unsigned allowed,
                         int anonymous) {
  struct ipc_shm *obj = NULL;
  int err = begin(out, object, name, flags, allowed, anonymous, &obj);
  if (err != 0)
    return err;
  return ipc_shm__segment_finish(out, obj, ipc_shm__os_sync_create(obj, name, flags));
}

int ipc_shm__syncobj_create_counted(struct ipc_shm **out, ipc_shm__object_t object,
                                 const char *name, unsigned flags, unsigned allowed,
                                 int anonymous, uint32_t initial, uint32_t maximum) {
  struct ipc_shm *obj = NULL;
  int err = begin(out, object, name, flags, allowed, anonymous, &obj);
  if (err != 0)
    return err;
  obj->initial = initial;
  obj->maximum = maximum;
  return ipc_shm__segment_finish(out, obj, ipc_shm__os_sync_create(obj, name, flags));
}

int ipc_shm__syncobj_native(const struct ipc_shm *obj, ipc_shm_native_t *native) {
  if (native == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *native = IPC_SHM__NO_HANDLE;
  if (obj == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_sync_native(obj, native);
}

int ipc_shm__syncobj_open(struct ipc_shm **out, ipc_shm__object_t object,
                       const char *name, unsigned flags) {
  struct ipc_shm *obj = NULL;
  int err = begin(out, object, name, flags, IPC_SHM_GLOBAL, 0, &obj);
  if (err != 0)
    return err;
  return ipc_shm__segment_finish(out, obj, ipc_shm__os_sync_open(obj, name, flags));
}

int ipc_shm__syncobj_close(struct ipc_shm *obj) {
  int err;
  if (obj == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  ipc_shm__owned_remove(&obj->owned);
  err = ipc_shm__os_close(obj);
  free(obj);
  return err;
}
