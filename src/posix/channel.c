/* SPDX-License-Identifier: MIT */
/* POSIX backend of channels: the sides sleep on words of the control area
 * (a futex on Linux, a pause and a look elsewhere), and a peer is a
 * process whose life is asked of the system as a mutex owner's is. */
#include "posix_internal.h"

uint64_t ipc_shm__os_self_process(void) {
  uint64_t pid = (uint64_t)(uint32_t)getpid();
  /* As a mutex owner: the process and its main thread. */
  return pid << 32 | pid;
}

int ipc_shm__os_process_alive(uint64_t process) {
  return ipc_shm__posix_owner_alive(process);
}

int ipc_shm__os_channel_open_wakers(struct ipc_shm_channel *channel, uint64_t id,
                                    int global) {
  (void)channel;
  (void)id;
  (void)global;
  return 0; /* the words are in the control area */
}

void ipc_shm__os_channel_close_wakers(struct ipc_shm_channel *channel) {
  (void)channel;
}

int ipc_shm__os_channel_sleep(struct ipc_shm_channel *channel, int side,
                              uint32_t *word, uint32_t expected, int64_t ns) {
  (void)channel;
  (void)side;
  return ipc_shm__posix_sleep_on(word, expected, ns);
}

int ipc_shm__os_channel_wake(struct ipc_shm_channel *channel, int side, uint32_t *word) {
  (void)channel;
  (void)side;
  return ipc_shm__posix_wake(word, 0);
}
