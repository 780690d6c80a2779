/* SPDX-License-Identifier: MIT */
/* Handing a segment over as a handle or descriptor: export and import
 * (inheritance), pull and push (duplication). The portable part decides
 * which handle may be adopted; the backends check what it is. */
#include "common.h"

#include <stdlib.h>
#include <string.h>

/* The access a copy gets: read-only when asked for or when that is all the
 * segment has. */
static int copy_writable(const struct ipc_shm *shm, unsigned flags) {
  return shm->writable && (flags & IPC_SHM_READONLY) == 0;
}

/* Events and mutexes have no read-only form. */
static int check_handover_flags(const struct ipc_shm *obj, unsigned flags,
                                unsigned allowed) {
  if (obj->object != IPC_SHM__OBJECT_SEGMENT)
    allowed &= ~IPC_SHM_READONLY;
  return (flags & ~allowed) != 0 ? ipc_shm__fail_arg(IPC_SHM_E_INVAL) : 0;
}

int ipc_shm__export(ipc_shm_export_t **out, const struct ipc_shm *shm,
                    unsigned flags) {
  struct ipc_shm_export *exp;
  ipc_shm__token_t token;
  int pull, err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (shm == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = check_handover_flags(shm, flags, IPC_SHM_READONLY | IPC_SHM_EXPORT_PULL);
  if (err != 0)
    return err;
  pull = (flags & IPC_SHM_EXPORT_PULL) != 0;
  exp = (struct ipc_shm_export *)calloc(1, sizeof(*exp));
  if (exp == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  ipc_shm__owned_init(&exp->owned);
  memset(&token, 0, sizeof(token));
  err = ipc_shm__os_copy(shm, copy_writable(shm, flags), !pull, &exp->handle, &token);
  if (err == 0) {
    token.object = shm->object;
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

int ipc_shm_export(ipc_shm_export_t **out, const ipc_shm_t *shm, unsigned flags) {
  return ipc_shm__export(out, shm, flags);
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

int ipc_shm__adopt(struct ipc_shm **out, ipc_shm_native_t handle,
                   const ipc_shm__token_t *token, int inherited,
                   ipc_shm__object_t expected) {
  struct ipc_shm *shm;
  if (token->object != expected)
    return ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  /* A handle the library owns already (a segment's, an export's) is never
   * taken a second time: it would be closed twice. */
  if (ipc_shm__owned_has(handle))
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  shm = ipc_shm__object_new(expected, IPC_SHM__BACKING_ANONYMOUS);
  if (shm == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  return ipc_shm__segment_finish(out, shm,
                                 ipc_shm__os_adopt(shm, handle, token, inherited));
}

/* Parse a token and check whose handle it names: import takes handles of
 * this process only, pull only of another. */
static int parse_for(const char *text, int pull, ipc_shm__token_t *token) {
  int err = ipc_shm__token_parse(text, token);
  if (err != 0)
    return err;
  if (pull ? (token->pid == 0 || token->pid == ipc_shm__os_self_pid())
           : (token->pid != 0 && token->pid != ipc_shm__os_self_pid()))
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  return 0;
}

/* The common start of import and pull: arguments, then the token. */
static int begin_receive(struct ipc_shm **out, const char *text, int pull,
                         ipc_shm__token_t *token) {
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (text == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return parse_for(text, pull, token);
}

int ipc_shm__import(struct ipc_shm **out, const char *text,
                    ipc_shm__object_t expected) {
  ipc_shm__token_t token;
  ipc_shm_native_t handle;
  int err = begin_receive(out, text, 0, &token);
  if (err == 0)
    err = ipc_shm__os_handle_from_value(token.handle, &handle);
  if (err != 0)
    return err;
  return ipc_shm__adopt(out, handle, &token, 1, expected);
}

int ipc_shm_import(ipc_shm_t **out, const char *text) {
  return ipc_shm__import(out, text, IPC_SHM__OBJECT_SEGMENT);
}

int ipc_shm__pull(struct ipc_shm **out, const char *text,
                  ipc_shm__object_t expected) {
  ipc_shm__token_t token;
  ipc_shm_native_t copy;
  int err = begin_receive(out, text, 1, &token);
  if (err == 0 && token.object != expected)
    err = ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  if (err == 0)
    err = ipc_shm__os_pull(&token, &copy);
  if (err != 0)
    return err;
  /* The copy is ours, new: closed again if it is not what it claims. */
  err = ipc_shm__adopt(out, copy, &token, 0, expected);
  if (err != 0)
    (void)ipc_shm__os_close_handle(copy);
  return err;
}

int ipc_shm_pull(ipc_shm_t **out, const char *text) {
  return ipc_shm__pull(out, text, IPC_SHM__OBJECT_SEGMENT);
}

int ipc_shm__inherited(struct ipc_shm **out, size_t index,
                       ipc_shm__object_t expected) {
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
  return ipc_shm__import(out, token, expected);
}

int ipc_shm_inherited(ipc_shm_t **out, size_t index) {
  return ipc_shm__inherited(out, index, IPC_SHM__OBJECT_SEGMENT);
}

int ipc_shm__push(const struct ipc_shm *shm, unsigned long pid, unsigned flags,
                  char out[IPC_SHM_TOKEN_MAX]) {
  ipc_shm__token_t token;
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  out[0] = '\0';
  if (shm == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = check_handover_flags(shm, flags, IPC_SHM_READONLY);
  if (err != 0)
    return err;
  memset(&token, 0, sizeof(token));
  err = ipc_shm__os_push(shm, pid, copy_writable(shm, flags), &token);
  if (err != 0)
    return err;
  token.object = shm->object;
  token.pid = 0; /* the reader of the token holds it */
  return ipc_shm__token_format(&token, out);
}

int ipc_shm_push(const ipc_shm_t *shm, unsigned long pid, unsigned flags,
                 char out[IPC_SHM_TOKEN_MAX]) {
  return ipc_shm__push(shm, pid, flags, out);
}
