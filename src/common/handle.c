/* SPDX-License-Identifier: MIT */
/* Handing a segment over as a handle or descriptor: export and import
 * (inheritance), pull and push (duplication). The portable part decides
 * which handle may be adopted; the backends check what it is. */
#include "shm_internal.h"

#include <stdlib.h>
#include <string.h>

/* The access a copy gets: read-only when asked for or when that is all the
 * segment has. */
static int copy_writable(const struct ipc_shm *shm, unsigned flags) {
  return shm->writable && (flags & IPC_SHM_READONLY) == 0;
}

int ipc_shm_export(ipc_shm_export_t **out, const ipc_shm_t *shm,
                   unsigned flags) {
  struct ipc_shm_export *exp;
  ipc_shm_token_t token;
  int pull, err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (shm == NULL || (flags & ~(IPC_SHM_READONLY | IPC_SHM_EXPORT_PULL)) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  pull = (flags & IPC_SHM_EXPORT_PULL) != 0;
  exp = (struct ipc_shm_export *)calloc(1, sizeof(*exp));
  if (exp == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  ipc_shm__owned_init(&exp->owned);
  memset(&token, 0, sizeof(token));
  err = ipc_shm__os_copy(shm, copy_writable(shm, flags), !pull, &exp->handle, &token);
  if (err == 0) {
    token.object = IPC_SHM__OBJECT_SEGMENT;
    token.pid = pull ? ipc_shm__os_self_pid() : 0;
    err = ipc_shm__token_format(&token, exp->token);
    if (err != 0)
      (void)ipc_shm__os_close_handle(exp->handle);
  }
  if (err != 0) {
    free(exp);
    return err;
  }
  exp->owned.handles[0] = exp->handle;
  ipc_shm__owned_add(&exp->owned);
  *out = exp;
  return 0;
}

const char *ipc_shm_export_token(const ipc_shm_export_t *exp) {
  return exp != NULL ? exp->token : NULL;
}

ipc_shm_native_t ipc_shm_export_native(const ipc_shm_export_t *exp) {
  return exp != NULL ? exp->handle : IPC_SHM__NO_HANDLE;
}

int ipc_shm_export_close(ipc_shm_export_t *exp) {
  int err;
  if (exp == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  ipc_shm__owned_remove(&exp->owned);
  err = ipc_shm__os_close_handle(exp->handle);
  free(exp);
  return err;
}

int ipc_shm__adopt(ipc_shm_t **out, ipc_shm_native_t handle,
                   const ipc_shm_token_t *token, int inherited) {
  struct ipc_shm *shm;
  /* A handle the library owns already (a segment's, an export's) is never
   * taken a second time: it would be closed twice. */
  if (token->object != IPC_SHM__OBJECT_SEGMENT || ipc_shm__owned_has(handle))
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  shm = ipc_shm__segment_new();
  if (shm == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  return ipc_shm__segment_finish(out, shm,
                                 ipc_shm__os_adopt(shm, handle, token, inherited));
}

/* Parse a token and check whose handle it names: import takes handles of
 * this process only, pull only of another. */
static int parse_for(const char *text, int pull, ipc_shm_token_t *token) {
  int err = ipc_shm__token_parse(text, token);
  if (err != 0)
    return err;
  if (pull ? (token->pid == 0 || token->pid == ipc_shm__os_self_pid())
           : (token->pid != 0 && token->pid != ipc_shm__os_self_pid()))
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  return 0;
}

/* The common start of import and pull: arguments, then the token. */
static int begin_receive(ipc_shm_t **out, const char *text, int pull,
                         ipc_shm_token_t *token) {
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (text == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return parse_for(text, pull, token);
}

int ipc_shm_import(ipc_shm_t **out, const char *text) {
  ipc_shm_token_t token;
  ipc_shm_native_t handle;
  int err = begin_receive(out, text, 0, &token);
  if (err == 0)
    err = ipc_shm__os_handle_from_value(token.handle, &handle);
  if (err != 0)
    return err;
  return ipc_shm__adopt(out, handle, &token, 1);
}

int ipc_shm_pull(ipc_shm_t **out, const char *text) {
  ipc_shm_token_t token;
  ipc_shm_native_t copy;
  int err = begin_receive(out, text, 1, &token);
  if (err == 0)
    err = ipc_shm__os_pull(&token, &copy);
  if (err != 0)
    return err;
  /* The copy is ours, new: closed again if it is not what it claims. */
  err = ipc_shm__adopt(out, copy, &token, 0);
  if (err != 0)
    (void)ipc_shm__os_close_handle(copy);
  return err;
}

int ipc_shm_inherited(ipc_shm_t **out, size_t index) {
  char token[IPC_SHM_TOKEN_MAX];
  char *list = NULL;
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  err = ipc_shm__os_environment(IPC_SHM_INHERIT_ENV, &list);
  if (err != 0)
    return err;
  err = ipc_shm__token_list_get(list, index, token);
  free(list);
  if (err != 0)
    return err;
  return ipc_shm_import(out, token);
}

int ipc_shm_push(const ipc_shm_t *shm, unsigned long pid, unsigned flags,
                 char out[IPC_SHM_TOKEN_MAX]) {
  ipc_shm_token_t token;
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  out[0] = '\0';
  if (shm == NULL || (flags & ~IPC_SHM_READONLY) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  memset(&token, 0, sizeof(token));
  err = ipc_shm__os_push(shm, pid, copy_writable(shm, flags), &token);
  if (err != 0)
    return err;
  token.object = IPC_SHM__OBJECT_SEGMENT;
  token.pid = 0; /* the reader of the token holds it */
  return ipc_shm__token_format(&token, out);
}
