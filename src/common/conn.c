/* SPDX-License-Identifier: MIT */
/* Sending segments, events and mutexes over a local connection: argument
 * checks, and the decision whether what arrived may be adopted. */
#include "common.h"

#include <string.h>

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

/* Close a handle this call holds, keeping the error record of the failure
 * being reported. */
static void close_quietly(ipc_shm_native_t handle) {
  if (handle != IPC_SHM__NO_HANDLE)
    ipc_shm__os_close_quietly(handle);
}

/* The message is the object's token in binary (token.c); what travels
 * with it is the backend's. */
static int send_object(ipc_shm_conn_t *conn, const struct ipc_shm *obj, int writable) {
  unsigned char message[IPC_SHM__MESSAGE_SIZE];
  ipc_shm__token_t token;
  ipc_shm_native_t held = IPC_SHM__NO_HANDLE;
  int err;
  memset(&token, 0, sizeof(token));
  err = ipc_shm__os_send_prepare(conn, obj, writable, &token, &held);
  if (err != 0)
    return err;
  token.object = obj->object;
  ipc_shm__message_pack(message, &token);
  err = ipc_shm__os_send_bytes(conn, message, sizeof(message), held);
  if (err != 0)
    ipc_shm__os_send_undo(conn, &token, held);
  close_quietly(held);
  return err;
}

int ipc_shm__send(ipc_shm_conn_t *conn, const struct ipc_shm *obj, unsigned flags) {
  unsigned allowed = obj != NULL && obj->object == IPC_SHM__OBJECT_SEGMENT
                         ? IPC_SHM_READONLY
                         : 0; /* events and mutexes have no read-only form */
  if (conn == NULL || obj == NULL || (flags & ~allowed) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return send_object(conn, obj, obj->writable && (flags & IPC_SHM_READONLY) == 0);
}

int ipc_shm_send(ipc_shm_conn_t *conn, const ipc_shm_t *shm, unsigned flags) {
  return ipc_shm__send(conn, shm, flags);
}

/* The next message: its token, and the handle it brings. A descriptor
 * that came beside the message is fresh (the caller owns it and closes it
 * if it refuses it); a handle value the message only names may belong to
 * something else and is never closed on refusal. A message that needs a
 * descriptor and came without one is BAD_TOKEN. */
static int receive_message(ipc_shm_conn_t *conn, ipc_shm__token_t *token,
                           ipc_shm_native_t *handle, int *fresh) {
  unsigned char message[IPC_SHM__MESSAGE_SIZE];
  ipc_shm_native_t held = IPC_SHM__NO_HANDLE;
  int err = ipc_shm__os_receive_bytes(conn, message, sizeof(message), &held);
  if (err != 0)
    return err;
  err = ipc_shm__message_unpack(message, token);
  if (err == 0 && IPC_SHM__OS_HANDLES_BESIDE && held == IPC_SHM__NO_HANDLE)
    err = ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  if (err != 0) {
    close_quietly(held);
    return err;
  }
  if (IPC_SHM__OS_HANDLES_BESIDE) {
    *handle = held;
    *fresh = 1;
    return 0;
  }
  *fresh = 0;
  return ipc_shm__os_handle_from_value(token->handle, handle);
}

int ipc_shm__receive(ipc_shm_conn_t *conn, struct ipc_shm **out,
                     ipc_shm__object_t expected) {
  ipc_shm__token_t token;
  ipc_shm_native_t handle = IPC_SHM__NO_HANDLE;
  int fresh = 0, err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (conn == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = receive_message(conn, &token, &handle, &fresh);
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
