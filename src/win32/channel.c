/* SPDX-License-Identifier: MIT */
/* Windows backend of channels: each side sleeps on an auto-reset event
 * named after the channel's id ("Local\ipcshm.channel.ID.r" for the
 * receiver, ".w" for the sender), which every process that attaches opens
 * or makes, and on its peer's process (src/win32/live.c), whose end wakes
 * it at once. The role is the peer word, taken by CAS from a holder that is
 * gone. */
#include "win32_internal.h"


#include <stdio.h>


int ipc_shm__os_self_process(uint64_t *self) { return ipc_shm__win_self_process(self); }

static int open_wakers(struct ipc_shm_channel *ch, uint64_t id, int global) {
  static const char suffix[2] = {'r', 'w'};
  int side;
  for (side = 0; side < 2; side++) {
    char name[48];
    int err;
    snprintf(name, sizeof(name), "ipcshm.channel.%016llx.%c", (unsigned long long)id,
             suffix[side]);
    err = ipc_shm__win_wake_event(name, global, &ch->os.wakers[side]);
    if (err != 0)
      return err;
  }
  return 0;
}

int ipc_shm__os_channel_begin(struct ipc_shm_channel *ch, uint64_t id, int global) {
  int err;
  ch->os.wakers[0] = ch->os.wakers[1] = IPC_SHM__NO_HANDLE;
  ipc_shm__win_peer_init(&ch->os.peer);
  err = open_wakers(ch, id, global);
  if (err == 0) /* free, left, or held by a process that is gone */
    err = ipc_shm__win_take_role(&ch->header->peers[ch->side], ch->self);
  if (err != 0)
    ipc_shm__os_channel_end(ch);
  return err;
}

void ipc_shm__os_channel_end(struct ipc_shm_channel *ch) {
  int side;
  ipc_shm__win_peer_close(&ch->os.peer);
  for (side = 0; side < 2; side++)
    if (ch->os.wakers[side] != IPC_SHM__NO_HANDLE) {
      ipc_shm__os_close_quietly(ch->os.wakers[side]);
      ch->os.wakers[side] = IPC_SHM__NO_HANDLE;
    }
}

int ipc_shm__os_channel_role_alive(const struct ipc_shm *segment, int side, uint64_t peer) {
  ipc_shm__win_peer_t look;
  int alive;
  (void)segment;
  (void)side;
  ipc_shm__win_peer_init(&look);
  alive = ipc_shm__win_peer_alive(&look, peer);
  ipc_shm__win_peer_close(&look);
  return alive;
}

int ipc_shm__os_channel_peer_alive(struct ipc_shm_channel *ch, uint64_t peer) {
  return ipc_shm__win_peer_alive(&ch->os.peer, peer);
}

int ipc_shm__os_channel_sleep(struct ipc_shm_channel *ch, int side, uint32_t *word,
                              uint32_t expected, int64_t ns) {
  uint64_t peer = ipc_shm__load_acquire64(&ch->header->peers[1 - side]);
  /* The event carries the wake-up; the word says whether one came. */
  if (ipc_shm__load_seq_cst32(word) != expected)
    return 0;
  return ipc_shm__win_sleep_watching(ch->os.wakers[side], &ch->os.peer,
                                     peer > IPC_SHM__CH_PEER_LEFT ? peer : 0, ns);
}

int ipc_shm__os_channel_wake(struct ipc_shm_channel *ch, int side, uint32_t *word) {
  (void)word;
  if (ch->os.wakers[side] == IPC_SHM__NO_HANDLE)
    return 0;
  return SYS.SetEvent(ch->os.wakers[side]) ? 0 : ipc_shm__fail_last("SetEvent");
}
