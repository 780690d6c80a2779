/* SPDX-License-Identifier: MIT */
/* Tokens: never read past the text, and a token that parses formats back
 * to exactly the same text (one spelling per value, nothing ignored). */
#include "fuzz_util.h"

#include "../src/common/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_string(data, size);
  char again[IPC_SHM_TOKEN_MAX];
  ipc_shm__token_t token;
  int err = ipc_shm__token_parse(text, &token);
  FUZZ_REQUIRE(err == 0 || err == IPC_SHM_E_BAD_TOKEN);
  if (err == 0) {
    FUZZ_REQUIRE(token.object == IPC_SHM__OBJECT_SEGMENT || token.object == IPC_SHM__OBJECT_EVENT ||
                 token.object == IPC_SHM__OBJECT_MUTEX ||
                 token.object == IPC_SHM__OBJECT_SEMAPHORE);
    FUZZ_REQUIRE(token.size > 0 && token.size <= IPC_SHM__SIZE_LIMIT);
    FUZZ_REQUIRE(ipc_shm__token_format(&token, again) == 0);
    FUZZ_REQUIRE(strcmp(again, text) == 0);
  }
  free(text);
  return 0;
}
