/* SPDX-License-Identifier: MIT */
/* The portable name rule (documented in ipc_shm.h). */
#include "common.h"

/* Length of the well-formed UTF-8 sequence starting at s, or 0 if it is
 * ill-formed (overlong forms, surrogates, code points past U+10FFFF). */
static size_t utf8_sequence_length(const unsigned char *s) {
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    return (s[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
      return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
      return 0;
    return 4;
  }
  return 0;
}

int ipc_shm__check_name(const char *name) {
  const unsigned char *s = (const unsigned char *)name;
  size_t length = 0;
  size_t i = 0;

  if (name == NULL)
    return IPC_SHM_E_INVAL;
  /* Bounded: never walk far past the limit on a long string. */
  while (length <= IPC_SHM_NAME_MAX && s[length] != '\0')
    length++;
  if (length == 0)
    return IPC_SHM_E_NAME_INVALID;
  if (length > IPC_SHM_NAME_MAX)
    return IPC_SHM_E_NAME_TOO_LONG;
  if (s[0] == '.')
    return IPC_SHM_E_NAME_INVALID;
  while (i < length) {
    size_t n;
    if (s[i] < 0x20 || s[i] == 0x7F || s[i] == '/' || s[i] == '\\')
      return IPC_SHM_E_NAME_INVALID;
    /* A truncated sequence meets the terminating NUL and fails the checks. */
    n = utf8_sequence_length(s + i);
    if (n == 0)
      return IPC_SHM_E_NAME_INVALID;
    i += n;
  }
  return 0;
}
