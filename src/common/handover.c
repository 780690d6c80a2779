/* The portable part of handing segments to other processes: argument checks,
 * tokens and connection messages. */
#include "shm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#define TOKEN_PLATFORM "win"
#else
#define TOKEN_PLATFORM "posix"
#endif
#define TOKEN_PREFIX "ipcshm1:" TOKEN_PLATFORM ":"

static const unsigned char message_magic[8] = {'i', 'p', 'c', 's', 'h', 'm', '1', 0};

/* ---- Tokens ---- */

int ipc_shm__token_format(const ipc_shm_token_t *token,
                          char out[IPC_SHM_TOKEN_MAX]) {
  int n = snprintf(out, IPC_SHM_TOKEN_MAX, TOKEN_PREFIX "%c:%llu:%lu:%llu:%llu.%llu",
                   token->writable ? 'w' : 'r', (unsigned long long)token->size,
                   token->pid, (unsigned long long)token->handle,
                   (unsigned long long)token->device,
                   (unsigned long long)token->inode);
  return n > 0 && n < IPC_SHM_TOKEN_MAX ? 0 : ipc_shm__fail_arg(IPC_SHM_E_SYSTEM);
}

/* A decimal number of 1 to 20 digits that fits `max`, ended by `end`. */
static int parse_number(const char **text, char end, uint64_t max,
                        uint64_t *out) {
  const char *p = *text;
  uint64_t value = 0;
  if (*p < '0' || *p > '9')
    return -1;
  /* No leading zeros: one spelling per value. */
  if (*p == '0' && p[1] >= '0' && p[1] <= '9')
    return -1;
  for (; *p >= '0' && *p <= '9'; p++) {
    uint64_t digit = (uint64_t)(*p - '0');
    if (value > (max - digit) / 10)
      return -1;
    value = value * 10 + digit;
  }
  if (*p != end)
    return -1;
  *text = end != '\0' ? p + 1 : p;
  *out = value;
  return 0;
}

int ipc_shm__token_parse(const char *text, ipc_shm_token_t *token) {
  const size_t prefix = sizeof(TOKEN_PREFIX) - 1;
  uint64_t pid;
  memset(token, 0, sizeof(*token));
  if (strnlen(text, IPC_SHM_TOKEN_MAX) >= IPC_SHM_TOKEN_MAX ||
      strncmp(text, TOKEN_PREFIX, prefix) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  text += prefix;
  if ((text[0] != 'r' && text[0] != 'w') || text[1] != ':')
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  token->writable = text[0] == 'w';
  text += 2;
  if (parse_number(&text, ':', IPC_SHM__SIZE_LIMIT, &token->size) != 0 ||
      token->size == 0 ||
      parse_number(&text, ':', 0xFFFFFFFFu, &pid) != 0 ||
      parse_number(&text, ':', UINT64_MAX, &token->handle) != 0 ||
      parse_number(&text, '.', UINT64_MAX, &token->device) != 0 ||
      parse_number(&text, '\0', UINT64_MAX, &token->inode) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  token->pid = (unsigned long)pid;
#ifndef _WIN32
  token->has_identity = 1;
#endif
  return 0;
}

/* ---- Connection messages ---- */

void ipc_shm__message_pack(unsigned char out[IPC_SHM__MESSAGE_SIZE],
                           const ipc_shm_token_t *token) {
  uint32_t writable = (uint32_t)token->writable;
  uint32_t reserved = 0;
  memcpy(out, message_magic, 8);
  memcpy(out + 8, &writable, 4);
  memcpy(out + 12, &reserved, 4);
  memcpy(out + 16, &token->size, 8);
  memcpy(out + 24, &token->handle, 8);
}

int ipc_shm__message_unpack(const unsigned char in[IPC_SHM__MESSAGE_SIZE],
                            ipc_shm_token_t *token) {
  uint32_t writable, reserved;
  memset(token, 0, sizeof(*token));
  memcpy(&writable, in + 8, 4);
  memcpy(&reserved, in + 12, 4);
  memcpy(&token->size, in + 16, 8);
  memcpy(&token->handle, in + 24, 8);
  if (memcmp(in, message_magic, 8) != 0 || writable > 1 || reserved != 0 ||
      token->size == 0 || token->size > IPC_SHM__SIZE_LIMIT)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  token->writable = (int)writable;
  return 0;
}

/* ---- Export, import, pull, push ---- */

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
  memset(&token, 0, sizeof(token));
  err = ipc_shm__os_export(exp, shm, copy_writable(shm, flags), !pull, &token);
  if (err == 0) {
    token.pid = pull ? ipc_shm__os_self_pid() : 0;
    err = ipc_shm__token_format(&token, exp->token);
    if (err != 0)
      (void)ipc_shm__os_export_close(exp);
  }
  if (err != 0) {
    free(exp);
    return err;
  }
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
  err = ipc_shm__os_export_close(exp);
  free(exp);
  return err;
}

/* Common shape of import and pull: parse, check, then one backend call. */
static int receive_token(ipc_shm_t **out, const char *text, int pull) {
  ipc_shm_token_t token;
  struct ipc_shm *shm;
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (text == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = ipc_shm__token_parse(text, &token);
  if (err != 0)
    return err;
  /* Import takes handles of this process only; pull only of another. */
  if (pull ? (token.pid == 0 || token.pid == ipc_shm__os_self_pid())
           : (token.pid != 0 && token.pid != ipc_shm__os_self_pid()))
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  shm = ipc_shm__new_segment(IPC_SHM_KIND_ANONYMOUS);
  if (shm == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  err = pull ? ipc_shm__os_pull(shm, &token)
             : ipc_shm__os_adopt(shm, token.handle, &token);
  if (err != 0) {
    free(shm);
    return err;
  }
  *out = shm;
  return 0;
}

int ipc_shm_import(ipc_shm_t **out, const char *token) {
  return receive_token(out, token, 0);
}

int ipc_shm_pull(ipc_shm_t **out, const char *token) {
  return receive_token(out, token, 1);
}

int ipc_shm_inherited(ipc_shm_t **out, size_t index) {
  char token[IPC_SHM_TOKEN_MAX];
  const char *list, *start;
  size_t length;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  list = getenv(IPC_SHM_INHERIT_ENV);
  if (list == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_FOUND);
  /* Tokens are separated by single spaces. */
  start = list;
  for (; index > 0; index--) {
    start = strchr(start, ' ');
    if (start == NULL)
      return ipc_shm__fail_arg(IPC_SHM_E_NOT_FOUND);
    start++;
  }
  length = strcspn(start, " ");
  if (length == 0)
    return ipc_shm__fail_arg(*start == '\0' ? IPC_SHM_E_NOT_FOUND : IPC_SHM_E_BAD_TOKEN);
  if (length >= IPC_SHM_TOKEN_MAX)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  memcpy(token, start, length);
  token[length] = '\0';
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
  return ipc_shm__token_format(&token, out);
}

/* ---- Child processes ---- */

int ipc_shm_spawn(ipc_shm_process_t **child, const char *const argv[],
                  const ipc_shm_inherit_t *segments, size_t count) {
  size_t i;
  if (child == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *child = NULL;
  if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0' ||
      (count > 0 && segments == NULL))
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  for (i = 0; i < count; i++)
    if (segments[i].shm == NULL || (segments[i].flags & ~IPC_SHM_READONLY) != 0)
      return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  /* Every token goes into one environment variable: keep it bounded. */
  if (count > IPC_SHM__SPAWN_MAX)
    return ipc_shm__fail_arg(IPC_SHM_E_TOO_MANY);
  return ipc_shm__os_spawn(child, argv, segments, count);
}

unsigned long ipc_shm_process_id(const ipc_shm_process_t *child) {
  return child != NULL ? ipc_shm__os_process_id(child) : 0;
}

int ipc_shm_process_wait(ipc_shm_process_t *child, int *exit_code) {
  if (exit_code != NULL)
    *exit_code = -1;
  if (child == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_process_wait(child, exit_code);
}

/* ---- Connections ---- */

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

int ipc_shm_send(ipc_shm_conn_t *conn, const ipc_shm_t *shm, unsigned flags) {
  if (conn == NULL || shm == NULL || (flags & ~IPC_SHM_READONLY) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_send(conn, shm, copy_writable(shm, flags));
}

int ipc_shm_receive(ipc_shm_conn_t *conn, ipc_shm_t **out) {
  struct ipc_shm *shm;
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (conn == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  shm = ipc_shm__new_segment(IPC_SHM_KIND_ANONYMOUS);
  if (shm == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  err = ipc_shm__os_receive(conn, shm);
  if (err != 0) {
    free(shm);
    return err;
  }
  *out = shm;
  return 0;
}

int ipc_shm_conn_close(ipc_shm_conn_t *conn) {
  if (conn == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return ipc_shm__os_conn_close(conn);
}
