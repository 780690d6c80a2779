/* SPDX-License-Identifier: MIT */
/* The inherited-token list (the IPC_SHM_INHERITED variable): any entry it
 * gives is a whole, bounded, space-free piece of the list. */
#include "fuzz_util.h"

#include "../src/common/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *list = fuzz_string(data, size);
  char token[IPC_SHM_TOKEN_MAX];
  size_t index;
  for (index = 0; index < IPC_SHM__SPAWN_MAX + 2; index++) {
    int err = ipc_shm__token_list_get(list, index, token);
    FUZZ_REQUIRE(err == 0 || err == IPC_SHM_E_NOT_FOUND || err == IPC_SHM_E_BAD_TOKEN);
    if (err == 0) {
      FUZZ_REQUIRE(token[0] != '\0' && strlen(token) < IPC_SHM_TOKEN_MAX);
      FUZZ_REQUIRE(strchr(token, ' ') == NULL);
      FUZZ_REQUIRE(strstr(list, token) != NULL);
    } else {
      FUZZ_REQUIRE(token[0] == '\0');
    }
    if (err == IPC_SHM_E_NOT_FOUND)
      break;
  }
  free(list);
  return 0;
}
