/* SPDX-License-Identifier: MIT */
/* Connection messages: exactly IPC_SHM__MESSAGE_SIZE bytes; one that
 * unpacks packs back to the same bytes (no field ignored). */
#include "fuzz_util.h"

#include "../src/common/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  unsigned char *message, again[IPC_SHM__MESSAGE_SIZE];
  ipc_shm__token_t token;
  int err;
  if (size != IPC_SHM__MESSAGE_SIZE)
    return 0;
  message = (unsigned char *)malloc(IPC_SHM__MESSAGE_SIZE);
  if (message == NULL)
    abort();
  memcpy(message, data, size);
  err = ipc_shm__message_unpack(message, &token);
  FUZZ_REQUIRE(err == 0 || err == IPC_SHM_E_BAD_TOKEN);
  if (err == 0) {
    FUZZ_REQUIRE(token.size > 0 && token.size <= IPC_SHM__SIZE_LIMIT);
    ipc_shm__message_pack(again, &token);
    FUZZ_REQUIRE(memcmp(again, message, IPC_SHM__MESSAGE_SIZE) == 0);
  }
  free(message);
  return 0;
}
