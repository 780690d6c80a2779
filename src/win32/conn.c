/* SPDX-License-Identifier: MIT */
/* Windows backend of connections: named pipes; a segment travels as a
 * handle the sender duplicates into the receiver. */
#include "win32_internal.h"

#include <stdlib.h>
#include <string.h>

#define PIPE_PREFIX L"\\\\.\\pipe\\ipcshm."
/* Holds a listener's name: '/' cannot occur in a segment name, so this
 * never meets a segment in the object namespace. */
#define LOCK_PREFIX L"Local\\ipcshm/listener/"

struct ipc_shm_listener {
  HANDLE lock;    /* event whose name says "somebody listens here" */
  HANDLE pending; /* the pipe instance the next client connects to */
  WCHAR pipe_name[IPC_SHM__WIDE_NAME_MAX];
};

struct ipc_shm_conn {
  HANDLE pipe;
  DWORD peer_pid;
};

static HANDLE new_pipe_instance(const WCHAR *name, int first) {
  return SYS.CreateNamedPipeW(
      name, PIPE_ACCESS_DUPLEX | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
      PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, NULL);
}

int ipc_shm__os_listen(ipc_shm_listener_t **listener, const char *name) {
  struct ipc_shm_listener *l;
  WCHAR lock_name[IPC_SHM__WIDE_NAME_MAX];
  int err;
  l = (struct ipc_shm_listener *)calloc(1, sizeof(*l));
  if (l == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  err = ipc_shm__wide_name(lock_name, LOCK_PREFIX, name);
  if (err == 0)
    err = ipc_shm__wide_name(l->pipe_name, PIPE_PREFIX, name);
  if (err != 0) {
    free(l);
    return err;
  }
  l->lock = SYS.CreateEventW(NULL, TRUE, FALSE, lock_name);
  if (l->lock == NULL) {
    err = ipc_shm__fail_last("CreateEventW");
    free(l);
    return err;
  }
  if (GetLastError() == ERROR_ALREADY_EXISTS) {
    ipc_shm__os_close_quietly(l->lock);
    free(l);
    return ipc_shm__fail(ERROR_ALREADY_EXISTS, "CreateEventW");
  }
  l->pending = new_pipe_instance(l->pipe_name, 1);
  if (l->pending == INVALID_HANDLE_VALUE) {
    /* Another program has a pipe of this name. */
    err = GetLastError() == ERROR_ACCESS_DENIED
              ? ipc_shm__fail_as(ERROR_ACCESS_DENIED, "CreateNamedPipeW", IPC_SHM_E_EXISTS)
              : ipc_shm__fail_last("CreateNamedPipeW");
    ipc_shm__os_close_quietly(l->lock);
    free(l);
    return err;
  }
  *listener = l;
  return 0;
}

static int new_conn(ipc_shm_conn_t **conn, HANDLE pipe, DWORD peer_pid) {
  struct ipc_shm_conn *c = (struct ipc_shm_conn *)calloc(1, sizeof(*c));
  if (c == NULL) {
    ipc_shm__os_close_quietly(pipe);
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  }
  c->pipe = pipe;
  c->peer_pid = peer_pid;
  *conn = c;
  return 0;
}

int ipc_shm__os_accept(ipc_shm_listener_t *listener, ipc_shm_conn_t **conn) {
  ULONG peer_pid = 0;
  HANDLE pipe;
  if (listener->pending == INVALID_HANDLE_VALUE) {
    listener->pending = new_pipe_instance(listener->pipe_name, 0);
    if (listener->pending == INVALID_HANDLE_VALUE)
      return ipc_shm__fail_last("CreateNamedPipeW");
  }
  pipe = listener->pending;
  /* Connected before we asked (ERROR_PIPE_CONNECTED), or connected and gone
   * again (ERROR_NO_DATA): what it wrote can still be read. */
  if (!SYS.ConnectNamedPipe(pipe, NULL) && GetLastError() != ERROR_PIPE_CONNECTED &&
      GetLastError() != ERROR_NO_DATA)
    return ipc_shm__fail_last("ConnectNamedPipe");
  /* The next client needs an instance to connect to while this one talks;
   * if it cannot be made now, the next accept makes it. */
  listener->pending = new_pipe_instance(listener->pipe_name, 0);
  if (!SYS.GetNamedPipeClientProcessId(pipe, &peer_pid)) {
    int err = ipc_shm__fail_last("GetNamedPipeClientProcessId");
    ipc_shm__os_close_quietly(pipe);
    return err;
  }
  return new_conn(conn, pipe, (DWORD)peer_pid);
}

int ipc_shm__os_listener_close(ipc_shm_listener_t *listener) {
  int err = 0;
  if (listener->pending != INVALID_HANDLE_VALUE && !SYS.CloseHandle(listener->pending))
    err = ipc_shm__fail_last("CloseHandle");
  if (!SYS.CloseHandle(listener->lock) && err == 0)
    err = ipc_shm__fail_last("CloseHandle");
  free(listener);
  return err;
}

int ipc_shm__os_connect(ipc_shm_conn_t **conn, const char *name) {
  WCHAR pipe_name[IPC_SHM__WIDE_NAME_MAX];
  ULONG peer_pid = 0;
  HANDLE pipe;
  int attempt, err = ipc_shm__wide_name(pipe_name, PIPE_PREFIX, name);
  if (err != 0)
    return err;
  for (attempt = 0;; attempt++) {
    /* Identification only: the listener may not act as us. */
    pipe = SYS.CreateFileW(pipe_name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                           OPEN_EXISTING,
                           SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
    if (pipe != INVALID_HANDLE_VALUE)
      break;
    if (GetLastError() != ERROR_PIPE_BUSY || attempt == 50)
      return ipc_shm__fail_last("CreateFileW");
    /* Every instance is taken: the listener makes the next one soon. */
    (void)SYS.WaitNamedPipeW(pipe_name, 100);
  }
  if (!SYS.GetNamedPipeServerProcessId(pipe, &peer_pid)) {
    err = ipc_shm__fail_last("GetNamedPipeServerProcessId");
    ipc_shm__os_close_quietly(pipe);
    return err;
  }
  return new_conn(conn, pipe, (DWORD)peer_pid);
}

unsigned long ipc_shm__os_conn_peer_pid(const ipc_shm_conn_t *conn) {
  return (unsigned long)conn->peer_pid;
}

static int write_all(HANDLE pipe, const unsigned char *data, DWORD size) {
  while (size > 0) {
    DWORD written = 0;
    if (!SYS.WriteFile(pipe, data, size, &written, NULL))
      return ipc_shm__fail_last("WriteFile");
    data += written;
    size -= written;
  }
  return 0;
}

/* Take back a handle put into another process that never learned of it. */
static void close_remote(HANDLE process, HANDLE remote) {
  DWORD saved = GetLastError();
  (void)SYS.DuplicateHandle(process, remote, NULL, NULL, 0, FALSE,
                            DUPLICATE_CLOSE_SOURCE);
  SetLastError(saved);
}

/* 1 if the process has ended (its handle is signalled). */
static int has_ended(HANDLE process) {
  DWORD saved = GetLastError();
  int ended = SYS.WaitForSingleObject(process, 0) == WAIT_OBJECT_0;
  SetLastError(saved);
  return ended;
}

int ipc_shm__os_send_prepare(ipc_shm_conn_t *conn, const struct ipc_shm *shm,
                             int writable, ipc_shm__token_t *token,
                             ipc_shm_native_t *held) {
  HANDLE peer, remote = NULL;
  int err = ipc_shm__win_open_process(conn->peer_pid, &peer);
  if (err == IPC_SHM_E_NOT_FOUND) /* the peer is gone */
    return ipc_shm__fail_recast(IPC_SHM_E_DISCONNECTED);
  if (err != 0)
    return err;
  err = ipc_shm__win_duplicate_into(peer, shm, writable, &remote);
  if (err != 0) {
    /* A process that has exited refuses new handles (access denied): to
     * the sender that is a peer that went away. */
    if (has_ended(peer))
      err = ipc_shm__fail_recast(IPC_SHM_E_DISCONNECTED);
    ipc_shm__os_close_quietly(peer);
    return err;
  }
  token->writable = writable;
  token->size = shm->size;
  token->has_check = 1;
  token->check[0] = 0;
  token->check[1] = shm->os.state_id;
  token->handle = (uint64_t)(ULONG_PTR)remote;
  *held = peer; /* kept until the message is written, to take back `remote` */
  return 0;
}

int ipc_shm__os_send_bytes(ipc_shm_conn_t *conn, const unsigned char *bytes,
                           size_t size, ipc_shm_native_t held) {
  (void)held; /* the handle is in the peer already */
  return write_all(conn->pipe, bytes, (DWORD)size);
}

void ipc_shm__os_send_undo(ipc_shm_conn_t *conn, const ipc_shm__token_t *token,
                           ipc_shm_native_t held) {
  (void)conn;
  close_remote(held, (HANDLE)(ULONG_PTR)token->handle);
}

int ipc_shm__os_receive_bytes(ipc_shm_conn_t *conn, unsigned char *bytes,
                              size_t size, ipc_shm_native_t *held) {
  DWORD done = 0;
  while (done < size) {
    DWORD got = 0;
    if (!SYS.ReadFile(conn->pipe, bytes + done, (DWORD)size - done, &got, NULL))
      return ipc_shm__fail_last("ReadFile");
    if (got == 0) /* the peer closed its end */
      return ipc_shm__fail_arg(IPC_SHM_E_DISCONNECTED);
    done += got;
  }
  /* The handle was put into this process by the peer; the message names
   * it. */
  *held = IPC_SHM__NO_HANDLE;
  return 0;
}

int ipc_shm__os_conn_close(ipc_shm_conn_t *conn) {
  int err = 0;
  if (!SYS.CloseHandle(conn->pipe))
    err = ipc_shm__fail_last("CloseHandle");
  free(conn);
  return err;
}
