/* SPDX-License-Identifier: MIT */
/* The portable name rule: never reads past the name, and whatever it
 * accepts is 1 to 30 bytes of UTF-8 without '/', '\', control characters
 * or a leading '.'. */
#include "fuzz_util.h"

#include "../src/common/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *name = fuzz_string(data, size);
  int err = ipc_shm__check_name(name);
  FUZZ_REQUIRE(err == 0 || err == IPC_SHM_E_NAME_INVALID || err == IPC_SHM_E_NAME_TOO_LONG);
  if (err == 0) {
    size_t length = strlen(name), i;
    FUZZ_REQUIRE(length >= 1 && length <= IPC_SHM_NAME_MAX);
    FUZZ_REQUIRE(name[0] != '.');
    for (i = 0; i < length; i++) {
      unsigned char c = (unsigned char)name[i];
      FUZZ_REQUIRE(c >= 0x20 && c != 0x7F && c != '/' && c != '\\');
      FUZZ_REQUIRE(c != 0xC0 && c != 0xC1 && c < 0xF5);
    }
  }
  free(name);
  return 0;
}
