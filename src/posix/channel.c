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
#if IPC_SHM__LINUX
  return ipc_shm__posix_sleep_on(word, expected, ns);
#else
  {
    /* Polling: a wake-up is seen within POLL_MAX, not at the slice's end. */
    int64_t end = ns == INT64_MAX ? INT64_MAX : ipc_shm__os_now_ns() + ns;
    int64_t pause = IPC_SHM__POLL_FIRST_NS;
    for (;;) {
      int64_t left = end == INT64_MAX ? pause : end - ipc_shm__os_now_ns();
      int slept;
      if (left <= 0)
        return 1;
      slept = ipc_shm__posix_sleep_on(word, expected, left < pause ? left : pause);
      if (slept != 1)
        return slept;
      pause = pause * 2 < IPC_SHM__POLL_MAX_NS ? pause * 2 : IPC_SHM__POLL_MAX_NS;
    }
  }
#endif
}

int ipc_shm__os_channel_wake(struct ipc_shm_channel *channel, int side, uint32_t *word) {
  (void)channel;
  (void)side;
  return ipc_shm__posix_wake(word, 0);
}
