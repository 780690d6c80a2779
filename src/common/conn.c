/* SPDX-License-Identifier: MIT */
/* Sending segments, events and mutexes over a local connection: argument
 * checks, and the decision whether what arrived may be adopted. */
#include "shm_internal.h"

int ipc_shm_listen(ipc_shm_listener_t **listener, const char *name) {
  int err;
  if (listener == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *listener = NULL;
  err = ipc_shm__check_name(name);
  if (err != 0)
    return ipc_shm__fail_arg(err);
  return ipc_shm__os_listen(listener, name);
}

int ipc_shm_accept(ipc_shm_listener_t *listener, ipc_shm_conn_t **conn) {
  if (conn == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *conn = NULL;
  if (listener == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_accept(listener, conn);
}

int ipc_shm_listener_close(ipc_shm_listener_t *listener) {
  if (listener == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_listener_close(listener);
}

int ipc_shm_connect(ipc_shm_conn_t **conn, const char *name) {
  int err;
  if (conn == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *conn = NULL;
  err = ipc_shm__check_name(name);
  if (err != 0)
    return ipc_shm__fail_arg(err);
  return ipc_shm__os_connect(conn, name);
}

unsigned long ipc_shm_conn_peer_pid(const ipc_shm_conn_t *conn) {
  return conn != NULL ? ipc_shm__os_conn_peer_pid(conn) : 0;
}

int ipc_shm__send(ipc_shm_conn_t *conn, const struct ipc_shm *obj, unsigned flags) {
  unsigned allowed = obj != NULL && obj->object == IPC_SHM__OBJECT_SEGMENT
                         ? IPC_SHM_READONLY
                         : 0; /* events and mutexes have no read-only form */
  if (conn == NULL || obj == NULL || (flags & ~allowed) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_send(conn, obj, obj->writable && (flags & IPC_SHM_READONLY) == 0);
}

int ipc_shm_send(ipc_shm_conn_t *conn, const ipc_shm_t *shm, unsigned flags) {
  return ipc_shm__send(conn, shm, flags);
}

int ipc_shm__receive(ipc_shm_conn_t *conn, struct ipc_shm **out,
                     ipc_shm__object_t expected) {
  ipc_shm_token_t token;
  ipc_shm_native_t handle = IPC_SHM__NO_HANDLE;
  int fresh = 0, err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (conn == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = ipc_shm__os_receive(conn, &token, &handle, &fresh);
  if (err != 0)
    return err;
  err = ipc_shm__adopt(out, handle, &token, 0, expected);
  /* A descriptor that arrived with the message is ours to close; a handle
   * value the message only names may be somebody else's. */
  if (err != 0 && fresh)
    (void)ipc_shm__os_close_handle(handle);
  return err;
}

int ipc_shm_receive(ipc_shm_conn_t *conn, ipc_shm_t **out) {
  return ipc_shm__receive(conn, out, IPC_SHM__OBJECT_SEGMENT);
}

int ipc_shm_conn_close(ipc_shm_conn_t *conn) {
  if (conn == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_conn_close(conn);
}
