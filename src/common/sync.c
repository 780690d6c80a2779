/* SPDX-License-Identifier: MIT */
/* Events and mutexes: argument checks, then one backend call. Their native
 * objects are struct ipc_shm of kind EVENT or MUTEX, so that names,
 * handles and every hand-over route are those of segments. */
#include "shm_internal.h"

#include <stdlib.h>
#include <string.h>

#define EVENT_CREATE_FLAGS                                                     \
  (IPC_SHM_EVENT_MANUAL | IPC_SHM_EVENT_SET | IPC_SHM_GLOBAL | IPC_SHM__PERMS_MASK)
#define MUTEX_CREATE_FLAGS (IPC_SHM_GLOBAL | IPC_SHM__PERMS_MASK)

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
  *obj = ipc_shm__object_new(object, anonymous ? IPC_SHM_KIND_ANONYMOUS
                                               : IPC_SHM_KIND_NAMED);
  if (*obj == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  if (!anonymous)
    memcpy((*obj)->name, name, strlen(name) + 1);
  return 0;
}

static int create(struct ipc_shm **out, ipc_shm__object_t object, const char *name,
                  unsigned flags, unsigned allowed, int anonymous) {
  struct ipc_shm *obj = NULL;
  int err = begin(out, object, name, flags, allowed, anonymous, &obj);
  if (err != 0)
    return err;
  return ipc_shm__segment_finish(out, obj, ipc_shm__os_sync_create(obj, name, flags));
}

static int open_named(struct ipc_shm **out, ipc_shm__object_t object,
                      const char *name, unsigned flags) {
  struct ipc_shm *obj = NULL;
  int err = begin(out, object, name, flags, IPC_SHM_GLOBAL, 0, &obj);
  if (err != 0)
    return err;
  return ipc_shm__segment_finish(out, obj, ipc_shm__os_sync_open(obj, name, flags));
}

static int close_object(struct ipc_shm *obj) {
  int err;
  if (obj == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  ipc_shm__owned_remove(&obj->owned);
  err = ipc_shm__os_close(obj);
  free(obj);
  return err;
}

static int check_timeout(int64_t timeout_ms) {
  return timeout_ms < 0 && timeout_ms != IPC_SHM_FOREVER
             ? ipc_shm__fail_arg(IPC_SHM_E_INVAL)
             : 0;
}

/* The public types are their native object, one struct deep: a pointer to
 * either is a pointer to its first member. */
#define EVENT_OF(event) ((event) != NULL ? &(event)->base : NULL)
#define MUTEX_OF(mutex) ((mutex) != NULL ? &(mutex)->base : NULL)

/* Run `call`, which fills `struct ipc_shm *obj`, for a caller's out
 * pointer of type T: NULL is refused before anything happens. */
#define FILL(T, out, call)                                                     \
  do {                                                                         \
    struct ipc_shm *obj = NULL;                                                \
    int err_;                                                                  \
    if ((out) == NULL)                                                         \
      return ipc_shm__fail_arg(IPC_SHM_E_INVAL);                               \
    err_ = (call);                                                             \
    *(out) = (T *)(void *)obj;                                                 \
    return err_;                                                               \
  } while (0)

/* ---- Events ---- */

int ipc_shm_event_create(ipc_shm_event_t **event, const char *name, unsigned flags) {
  FILL(ipc_shm_event_t, event, create(&obj, IPC_SHM__OBJECT_EVENT, name, flags,
                EVENT_CREATE_FLAGS, 0));
}

int ipc_shm_event_open(ipc_shm_event_t **event, const char *name, unsigned flags) {
  FILL(ipc_shm_event_t, event, open_named(&obj, IPC_SHM__OBJECT_EVENT, name, flags));
}

int ipc_shm_event_create_anonymous(ipc_shm_event_t **event, unsigned flags) {
  FILL(ipc_shm_event_t, event, create(&obj, IPC_SHM__OBJECT_EVENT, NULL, flags,
                IPC_SHM_EVENT_MANUAL | IPC_SHM_EVENT_SET, 1));
}

int ipc_shm_event_close(ipc_shm_event_t *event) {
  return close_object(EVENT_OF(event));
}

int ipc_shm_event_set(ipc_shm_event_t *event) {
  if (event == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_event_set(&event->base);
}

int ipc_shm_event_reset(ipc_shm_event_t *event) {
  if (event == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_event_reset(&event->base);
}

int ipc_shm_event_wait(ipc_shm_event_t *event, int64_t timeout_ms) {
  if (event == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  if (check_timeout(timeout_ms) != 0)
    return IPC_SHM_E_INVAL;
  return ipc_shm__os_event_wait(&event->base, timeout_ms);
}

/* ---- Mutexes ---- */

int ipc_shm_mutex_create(ipc_shm_mutex_t **mutex, const char *name, unsigned flags) {
  FILL(ipc_shm_mutex_t, mutex, create(&obj, IPC_SHM__OBJECT_MUTEX, name, flags,
                MUTEX_CREATE_FLAGS, 0));
}

int ipc_shm_mutex_open(ipc_shm_mutex_t **mutex, const char *name, unsigned flags) {
  FILL(ipc_shm_mutex_t, mutex, open_named(&obj, IPC_SHM__OBJECT_MUTEX, name, flags));
}

int ipc_shm_mutex_create_anonymous(ipc_shm_mutex_t **mutex, unsigned flags) {
  FILL(ipc_shm_mutex_t, mutex, create(&obj, IPC_SHM__OBJECT_MUTEX, NULL, flags, 0, 1));
}

int ipc_shm_mutex_close(ipc_shm_mutex_t *mutex) {
  return close_object(MUTEX_OF(mutex));
}

int ipc_shm_mutex_lock(ipc_shm_mutex_t *mutex, int64_t timeout_ms) {
  if (mutex == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  if (check_timeout(timeout_ms) != 0)
    return IPC_SHM_E_INVAL;
  return ipc_shm__os_mutex_lock(&mutex->base, timeout_ms);
}

int ipc_shm_mutex_trylock(ipc_shm_mutex_t *mutex) {
  return ipc_shm_mutex_lock(mutex, 0);
}

int ipc_shm_mutex_unlock(ipc_shm_mutex_t *mutex) {
  if (mutex == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_mutex_unlock(&mutex->base);
}

int ipc_shm_mutex_consistent(ipc_shm_mutex_t *mutex) {
  if (mutex == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_mutex_consistent(&mutex->base);
}

/* ---- Hand-over ---- */

int ipc_shm_event_export(ipc_shm_export_t **exported, const ipc_shm_event_t *event,
                         unsigned flags) {
  return ipc_shm__export(exported, EVENT_OF(event), flags);
}

int ipc_shm_event_import(ipc_shm_event_t **event, const char *token) {
  FILL(ipc_shm_event_t, event, ipc_shm__import(&obj, token, IPC_SHM__OBJECT_EVENT));
}

int ipc_shm_event_inherited(ipc_shm_event_t **event, size_t index) {
  FILL(ipc_shm_event_t, event, ipc_shm__inherited(&obj, index, IPC_SHM__OBJECT_EVENT));
}

int ipc_shm_event_pull(ipc_shm_event_t **event, const char *token) {
  FILL(ipc_shm_event_t, event, ipc_shm__pull(&obj, token, IPC_SHM__OBJECT_EVENT));
}

int ipc_shm_event_push(const ipc_shm_event_t *event, unsigned long pid,
                       unsigned flags, char token[IPC_SHM_TOKEN_MAX]) {
  return ipc_shm__push(EVENT_OF(event), pid, flags, token);
}

int ipc_shm_event_send(ipc_shm_conn_t *conn, const ipc_shm_event_t *event,
                       unsigned flags) {
  return ipc_shm__send(conn, EVENT_OF(event), flags);
}

int ipc_shm_event_receive(ipc_shm_conn_t *conn, ipc_shm_event_t **event) {
  FILL(ipc_shm_event_t, event, ipc_shm__receive(conn, &obj, IPC_SHM__OBJECT_EVENT));
}

int ipc_shm_mutex_export(ipc_shm_export_t **exported, const ipc_shm_mutex_t *mutex,
                         unsigned flags) {
  return ipc_shm__export(exported, MUTEX_OF(mutex), flags);
}

int ipc_shm_mutex_import(ipc_shm_mutex_t **mutex, const char *token) {
  FILL(ipc_shm_mutex_t, mutex, ipc_shm__import(&obj, token, IPC_SHM__OBJECT_MUTEX));
}

int ipc_shm_mutex_inherited(ipc_shm_mutex_t **mutex, size_t index) {
  FILL(ipc_shm_mutex_t, mutex, ipc_shm__inherited(&obj, index, IPC_SHM__OBJECT_MUTEX));
}

int ipc_shm_mutex_pull(ipc_shm_mutex_t **mutex, const char *token) {
  FILL(ipc_shm_mutex_t, mutex, ipc_shm__pull(&obj, token, IPC_SHM__OBJECT_MUTEX));
}

int ipc_shm_mutex_push(const ipc_shm_mutex_t *mutex, unsigned long pid,
                       unsigned flags, char token[IPC_SHM_TOKEN_MAX]) {
  return ipc_shm__push(MUTEX_OF(mutex), pid, flags, token);
}

int ipc_shm_mutex_send(ipc_shm_conn_t *conn, const ipc_shm_mutex_t *mutex,
                       unsigned flags) {
  return ipc_shm__send(conn, MUTEX_OF(mutex), flags);
}

int ipc_shm_mutex_receive(ipc_shm_conn_t *conn, ipc_shm_mutex_t **mutex) {
  FILL(ipc_shm_mutex_t, mutex, ipc_shm__receive(conn, &obj, IPC_SHM__OBJECT_MUTEX));
}
