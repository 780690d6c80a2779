/* SPDX-License-Identifier: MIT */
/* Semaphores: argument checks, then one backend call (src/common/sync.c
 * makes and closes them). */
#include "common.h"

/* Make a semaphore, named or not, after checking its counts. */
static int create(struct ipc_shm **obj, const char *name, int anonymous, uint32_t initial,
                  uint32_t maximum, unsigned flags, unsigned allowed) {
  if (maximum == 0 || maximum > IPC_SHM_SEMAPHORE_MAX || initial > maximum)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__syncobj_create_counted(obj, IPC_SHM__OBJECT_SEMAPHORE, name, flags, allowed,
                                      anonymous, initial, maximum);
}

int ipc_shm_semaphore_create(ipc_shm_semaphore_t **semaphore, const char *name,
                             uint32_t initial, uint32_t maximum, unsigned flags) {
  IPC_SHM__FILL(ipc_shm_semaphore_t, semaphore,
                create(&obj, name, 0, initial, maximum, flags,
                       IPC_SHM_GLOBAL | IPC_SHM__PERMS_MASK));
}

int ipc_shm_semaphore_open(ipc_shm_semaphore_t **semaphore, const char *name, unsigned flags) {
  IPC_SHM__FILL(ipc_shm_semaphore_t, semaphore,
                ipc_shm__syncobj_open(&obj, IPC_SHM__OBJECT_SEMAPHORE, name, flags));
}

int ipc_shm_semaphore_create_anonymous(ipc_shm_semaphore_t **semaphore, uint32_t initial,
                                       uint32_t maximum, unsigned flags) {
  IPC_SHM__FILL(ipc_shm_semaphore_t, semaphore,
                create(&obj, NULL, 1, initial, maximum, flags, 0));
}

int ipc_shm_semaphore_close(ipc_shm_semaphore_t *semaphore) {
  return ipc_shm__syncobj_close(IPC_SHM__BASE_OF(semaphore));
}

int ipc_shm_semaphore_native(const ipc_shm_semaphore_t *semaphore, ipc_shm_native_t *native) {
  return ipc_shm__syncobj_native(IPC_SHM__BASE_OF(semaphore), native);
}

int ipc_shm_semaphore_post(ipc_shm_semaphore_t *semaphore) {
  if (semaphore == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_semaphore_post(&semaphore->base);
}

int ipc_shm_semaphore_wait(ipc_shm_semaphore_t *semaphore, int64_t timeout_ms) {
  if (semaphore == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  if (ipc_shm__check_timeout(timeout_ms) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_semaphore_wait(&semaphore->base, timeout_ms);
}

int ipc_shm_semaphore_trywait(ipc_shm_semaphore_t *semaphore) {
  return ipc_shm_semaphore_wait(semaphore, 0);
}

int ipc_shm_semaphore_export(ipc_shm_export_t **exported, const ipc_shm_semaphore_t *semaphore,
                             unsigned flags) {
  return ipc_shm__export(exported, IPC_SHM__BASE_OF(semaphore), flags);
}

int ipc_shm_semaphore_import(ipc_shm_semaphore_t **semaphore, const char *token) {
  IPC_SHM__FILL(ipc_shm_semaphore_t, semaphore,
                ipc_shm__import(&obj, token, IPC_SHM__OBJECT_SEMAPHORE));
}

int ipc_shm_semaphore_inherited(ipc_shm_semaphore_t **semaphore, size_t index) {
  IPC_SHM__FILL(ipc_shm_semaphore_t, semaphore,
                ipc_shm__inherited(&obj, index, IPC_SHM__OBJECT_SEMAPHORE));
}

int ipc_shm_semaphore_pull(ipc_shm_semaphore_t **semaphore, const char *token) {
  IPC_SHM__FILL(ipc_shm_semaphore_t, semaphore,
                ipc_shm__pull(&obj, token, IPC_SHM__OBJECT_SEMAPHORE));
}

int ipc_shm_semaphore_push(const ipc_shm_semaphore_t *semaphore, unsigned long pid,
                           unsigned flags, char token[IPC_SHM_TOKEN_MAX]) {
  return ipc_shm__push(IPC_SHM__BASE_OF(semaphore), pid, flags, token);
}

int ipc_shm_semaphore_send(ipc_shm_conn_t *conn, const ipc_shm_semaphore_t *semaphore,
                           unsigned flags) {
  return ipc_shm__send(conn, IPC_SHM__BASE_OF(semaphore), flags);
}

int ipc_shm_semaphore_receive(ipc_shm_conn_t *conn, ipc_shm_semaphore_t **semaphore) {
  IPC_SHM__FILL(ipc_shm_semaphore_t, semaphore,
                ipc_shm__receive(conn, &obj, IPC_SHM__OBJECT_SEMAPHORE));
}
