/* SPDX-License-Identifier: MIT */
/* Events: argument checks, then one backend call (src/common/sync.c makes
 * and closes them). */
#include "common.h"

#define EVENT_CREATE_FLAGS                                                     \
  (IPC_SHM_EVENT_MANUAL | IPC_SHM_EVENT_SET | IPC_SHM_GLOBAL | IPC_SHM__PERMS_MASK)

int ipc_shm_event_create(ipc_shm_event_t **event, const char *name, unsigned flags) {
  IPC_SHM__FILL(ipc_shm_event_t, event,
                ipc_shm__syncobj_create(&obj, IPC_SHM__OBJECT_EVENT, name, flags,
                                        EVENT_CREATE_FLAGS, 0));
}

int ipc_shm_event_open(ipc_shm_event_t **event, const char *name, unsigned flags) {
  IPC_SHM__FILL(ipc_shm_event_t, event,
                ipc_shm__syncobj_open(&obj, IPC_SHM__OBJECT_EVENT, name, flags));
}

int ipc_shm_event_create_anonymous(ipc_shm_event_t **event, unsigned flags) {
  IPC_SHM__FILL(ipc_shm_event_t, event,
                ipc_shm__syncobj_create(&obj, IPC_SHM__OBJECT_EVENT, NULL, flags,
                                        IPC_SHM_EVENT_MANUAL | IPC_SHM_EVENT_SET, 1));
}

int ipc_shm_event_close(ipc_shm_event_t *event) {
  return ipc_shm__syncobj_close(IPC_SHM__BASE_OF(event));
}

int ipc_shm_event_native(const ipc_shm_event_t *event, ipc_shm_native_t *native) {
  return ipc_shm__syncobj_native(IPC_SHM__BASE_OF(event), native);
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
  if (ipc_shm__check_timeout(timeout_ms) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_event_wait(&event->base, timeout_ms);
}

int ipc_shm_event_export(ipc_shm_export_t **exported, const ipc_shm_event_t *event,
                         unsigned flags) {
  return ipc_shm__export(exported, IPC_SHM__BASE_OF(event), flags);
}

int ipc_shm_event_import(ipc_shm_event_t **event, const char *token) {
  IPC_SHM__FILL(ipc_shm_event_t, event, ipc_shm__import(&obj, token, IPC_SHM__OBJECT_EVENT));
}

int ipc_shm_event_inherited(ipc_shm_event_t **event, size_t index) {
  IPC_SHM__FILL(ipc_shm_event_t, event, ipc_shm__inherited(&obj, index, IPC_SHM__OBJECT_EVENT));
}

int ipc_shm_event_pull(ipc_shm_event_t **event, const char *token) {
  IPC_SHM__FILL(ipc_shm_event_t, event, ipc_shm__pull(&obj, token, IPC_SHM__OBJECT_EVENT));
}

int ipc_shm_event_push(const ipc_shm_event_t *event, unsigned long pid,
                       unsigned flags, char token[IPC_SHM_TOKEN_MAX]) {
  return ipc_shm__push(IPC_SHM__BASE_OF(event), pid, flags, token);
}

int ipc_shm_event_send(ipc_shm_conn_t *conn, const ipc_shm_event_t *event,
                       unsigned flags) {
  return ipc_shm__send(conn, IPC_SHM__BASE_OF(event), flags);
}

int ipc_shm_event_receive(ipc_shm_conn_t *conn, ipc_shm_event_t **event) {
  IPC_SHM__FILL(ipc_shm_event_t, event, ipc_shm__receive(conn, &obj, IPC_SHM__OBJECT_EVENT));
}
