/* SPDX-License-Identifier: MIT */
/* Token and message formats, and the inherited-token list: everything a
 * process reads from outside about a handle it is handed. Every parser here
 * is strict and fuzzed (fuzz/). */
#include "common.h"

#include <stdio.h>
#include <string.h>

#ifdef _WIN32
#define TOKEN_PLATFORM "win"
#else
#define TOKEN_PLATFORM "posix"
#endif
#define TOKEN_PREFIX "ipcshm1:" TOKEN_PLATFORM ":"

static const unsigned char message_magic[8] = {'i', 'p', 'c', 's', 'h', 'm', '1', 0};

/* The kind field of a token: one word per kind of object. */
static const struct {
  ipc_shm__object_t object;
  char word[4];
} object_words[] = {{IPC_SHM__OBJECT_SEGMENT, "seg"},
                    {IPC_SHM__OBJECT_EVENT, "evt"},
                    {IPC_SHM__OBJECT_MUTEX, "mtx"},
                    {IPC_SHM__OBJECT_SEMAPHORE, "sem"}};
#define OBJECT_WORDS (sizeof(object_words) / sizeof(object_words[0]))

static const char *object_word(ipc_shm__object_t object) {
  size_t i;
  for (i = 0; i < OBJECT_WORDS; i++)
    if (object_words[i].object == object)
      return object_words[i].word;
  return "?";
}

/* 1 for the kinds a token or message may name. */
static int known_object(uint32_t object) {
  size_t i;
  for (i = 0; i < OBJECT_WORDS; i++)
    if ((uint32_t)object_words[i].object == object)
      return 1;
  return 0;
}

/* ---- Tokens ---- */

int ipc_shm__token_format(const ipc_shm__token_t *token,
                          char out[IPC_SHM_TOKEN_MAX]) {
  int n = snprintf(out, IPC_SHM_TOKEN_MAX, TOKEN_PREFIX "%s:%c:%llu:%lu:%llu:%llu.%llu",
                   object_word(token->object), token->writable ? 'w' : 'r',
                   (unsigned long long)token->size, token->pid,
                   (unsigned long long)token->handle,
                   (unsigned long long)token->check[0],
                   (unsigned long long)token->check[1]);
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

/* The kind word and its ':'. */
static int parse_object(const char **text, ipc_shm__object_t *object) {
  size_t i;
  for (i = 0; i < OBJECT_WORDS; i++)
    if (strncmp(*text, object_words[i].word, 3) == 0 && (*text)[3] == ':') {
      *object = object_words[i].object;
      *text += 4;
      return 0;
    }
  return -1;
}

int ipc_shm__token_parse(const char *text, ipc_shm__token_t *token) {
  const size_t prefix = sizeof(TOKEN_PREFIX) - 1;
  uint64_t pid;
  memset(token, 0, sizeof(*token));
  /* Bounded before anything else reads it. */
  if (strnlen(text, IPC_SHM_TOKEN_MAX) >= IPC_SHM_TOKEN_MAX ||
      strncmp(text, TOKEN_PREFIX, prefix) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  text += prefix;
  if (parse_object(&text, &token->object) != 0 ||
      (text[0] != 'r' && text[0] != 'w') || text[1] != ':')
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  token->writable = text[0] == 'w';
  text += 2;
  if (parse_number(&text, ':', IPC_SHM__SIZE_LIMIT, &token->size) != 0 ||
      token->size == 0 ||
      parse_number(&text, ':', 0xFFFFFFFFu, &pid) != 0 ||
      parse_number(&text, ':', UINT64_MAX, &token->handle) != 0 ||
      parse_number(&text, '.', UINT64_MAX, &token->check[0]) != 0 ||
      parse_number(&text, '\0', UINT64_MAX, &token->check[1]) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  token->pid = (unsigned long)pid;
#ifndef _WIN32
  token->has_check = 1;
#endif
  return 0;
}

/* ---- Connection messages ---- */

/* magic[8] | writable u32 | object u32 | size u64 | handle u64 | inode u64
 * (Windows mutexes: the state id; otherwise unused) */
void ipc_shm__message_pack(unsigned char out[IPC_SHM__MESSAGE_SIZE],
                           const ipc_shm__token_t *token) {
  uint32_t writable = (uint32_t)token->writable;
  uint32_t object = (uint32_t)token->object;
  memcpy(out, message_magic, 8);
  memcpy(out + 8, &writable, 4);
  memcpy(out + 12, &object, 4);
  memcpy(out + 16, &token->size, 8);
  memcpy(out + 24, &token->handle, 8);
  memcpy(out + 32, &token->check[1], 8);
}

int ipc_shm__message_unpack(const unsigned char in[IPC_SHM__MESSAGE_SIZE],
                            ipc_shm__token_t *token) {
  uint32_t writable, object;
  memset(token, 0, sizeof(*token));
  memcpy(&writable, in + 8, 4);
  memcpy(&object, in + 12, 4);
  memcpy(&token->size, in + 16, 8);
  memcpy(&token->handle, in + 24, 8);
  memcpy(&token->check[1], in + 32, 8);
  if (memcmp(in, message_magic, 8) != 0 || writable > 1 ||
      !known_object(object) || token->size == 0 ||
      token->size > IPC_SHM__SIZE_LIMIT)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  token->writable = (int)writable;
  token->object = (ipc_shm__object_t)object;
  return 0;
}

/* ---- The inherited-token list ---- */

int ipc_shm__token_list_get(const char *list, size_t index,
                            char out[IPC_SHM_TOKEN_MAX]) {
  const char *start = list;
  size_t length;
  out[0] = '\0';
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
  memcpy(out, start, length);
  out[length] = '\0';
  return 0;
}
