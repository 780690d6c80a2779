/* SPDX-License-Identifier: MIT */
/* Mutexes: argument checks, then one backend call (src/common/sync.c makes
 * and closes them). */
#include "common.h"

#define MUTEX_CREATE_FLAGS (IPC_SHM_GLOBAL | IPC_SHM__PERMS_MASK)

int ipc_shm_mutex_create(ipc_shm_mutex_t **mutex, const char *name, unsigned flags) {
  IPC_SHM__FILL(ipc_shm_mutex_t, mutex,
                ipc_shm__syncobj_create(&obj, IPC_SHM__OBJECT_MUTEX, name, flags,
                                        MUTEX_CREATE_FLAGS, 0));
}

int ipc_shm_mutex_open(ipc_shm_mutex_t **mutex, const char *name, unsigned flags) {
  IPC_SHM__FILL(ipc_shm_mutex_t, mutex,
                ipc_shm__syncobj_open(&obj, IPC_SHM__OBJECT_MUTEX, name, flags));
}

int ipc_shm_mutex_create_anonymous(ipc_shm_mutex_t **mutex, unsigned flags) {
  IPC_SHM__FILL(ipc_shm_mutex_t, mutex,
                ipc_shm__syncobj_create(&obj, IPC_SHM__OBJECT_MUTEX, NULL, flags, 0, 1));
}

int ipc_shm_mutex_close(ipc_shm_mutex_t *mutex) {
  return ipc_shm__syncobj_close(IPC_SHM__BASE_OF(mutex));
}

int ipc_shm_mutex_lock(ipc_shm_mutex_t *mutex, int64_t timeout_ms) {
  if (mutex == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  if (ipc_shm__check_timeout(timeout_ms) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
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

int ipc_shm_mutex_export(ipc_shm_export_t **exported, const ipc_shm_mutex_t *mutex,
                         unsigned flags) {
  return ipc_shm__export(exported, IPC_SHM__BASE_OF(mutex), flags);
}

int ipc_shm_mutex_import(ipc_shm_mutex_t **mutex, const char *token) {
  IPC_SHM__FILL(ipc_shm_mutex_t, mutex, ipc_shm__import(&obj, token, IPC_SHM__OBJECT_MUTEX));
}

int ipc_shm_mutex_inherited(ipc_shm_mutex_t **mutex, size_t index) {
  IPC_SHM__FILL(ipc_shm_mutex_t, mutex, ipc_shm__inherited(&obj, index, IPC_SHM__OBJECT_MUTEX));
}

int ipc_shm_mutex_pull(ipc_shm_mutex_t **mutex, const char *token) {
  IPC_SHM__FILL(ipc_shm_mutex_t, mutex, ipc_shm__pull(&obj, token, IPC_SHM__OBJECT_MUTEX));
}

int ipc_shm_mutex_push(const ipc_shm_mutex_t *mutex, unsigned long pid,
                       unsigned flags, char token[IPC_SHM_TOKEN_MAX]) {
  return ipc_shm__push(IPC_SHM__BASE_OF(mutex), pid, flags, token);
}

int ipc_shm_mutex_send(ipc_shm_conn_t *conn, const ipc_shm_mutex_t *mutex,
                       unsigned flags) {
  return ipc_shm__send(conn, IPC_SHM__BASE_OF(mutex), flags);
}

int ipc_shm_mutex_receive(ipc_shm_conn_t *conn, ipc_shm_mutex_t **mutex) {
  IPC_SHM__FILL(ipc_shm_mutex_t, mutex, ipc_shm__receive(conn, &obj, IPC_SHM__OBJECT_MUTEX));
}
