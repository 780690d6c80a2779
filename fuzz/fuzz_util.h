/* SPDX-License-Identifier: MIT */
/* What the fuzz targets share: the input as a NUL-terminated string, and
 * a failed invariant as a crash that libFuzzer reports. */
#ifndef IPC_SHM_FUZZ_UTIL_H
#define IPC_SHM_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'ed copy of the input with a NUL after it (an exact fit, so that
 * AddressSanitizer sees any read past the end). */
static inline char *fuzz_string(const uint8_t *data, size_t size) {
  char *s = (char *)malloc(size + 1);
  if (s == NULL)
    abort();
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

#define FUZZ_REQUIRE(condition)                                                \
  do {                                                                         \
    if (!(condition)) {                                                        \
      fprintf(stderr, "invariant broken: %s (%s:%d)\n", #condition, __FILE__,  \
              __LINE__);                                                       \
      abort();                                                                 \
    }                                                                          \
  } while (0)

#endif
