/* SPDX-License-Identifier: MIT */
/* Windows backend of channels: each side sleeps on an auto-reset event
 * named after the channel's id ("Local\ipcshm.channel.ID.r" for the
 * receiver, ".w" for the sender), which every process that attaches opens
 * or makes, and on its peer's process (src/win32/live.c), whose end wakes
 * it at once. The role is the peer word, taken by CAS from a holder that is
 * gone. */
#include "win32_internal.h"


#include <stdio.h>

/* Longest single wait: INFINITE is 0xFFFFFFFF. */
#define WAIT_MAX_MS 0xFFFFFFFEu

int ipc_shm__os_self_process(uint64_t *self) { return ipc_shm__win_self_process(self); }

static int open_wakers(struct ipc_shm_channel *ch, uint64_t id, int global) {
  static const char suffix[2] = {'r', 'w'};
  int side;
  for (side = 0; side < 2; side++) {
    WCHAR wide_name[IPC_SHM__WIDE_NAME_MAX];
    char name[48];
    HANDLE event;
    int err;
    snprintf(name, sizeof(name), "ipcshm.channel.%016llx.%c", (unsigned long long)id,
             suffix[side]);
    err = ipc_shm__wide_name(wide_name, global ? L"Global\\" : L"Local\\", name);
    if (err != 0)
      return err;
    /* Open first: making an object in Global\ needs a privilege. */
    event = SYS.OpenEventW(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, wide_name);
    if (event == NULL) {
      if (GetLastError() != ERROR_FILE_NOT_FOUND)
        return ipc_shm__fail_last("OpenEventW");
      event = SYS.CreateEventW(NULL, FALSE, FALSE, wide_name);
      if (event == NULL)
        return ipc_shm__fail_last("CreateEventW");
    }
    ch->os.wakers[side] = event;
  }
  return 0;
}

/* Take the role: free, left, or held by a process that is gone. */
static int take_role(struct ipc_shm_channel *ch) {
  uint64_t *peer = &ch->header->peers[ch->side];
  ipc_shm__win_peer_t holder_process;
  int attempt, err = IPC_SHM_E_EXISTS;
  ipc_shm__win_peer_init(&holder_process);
  for (attempt = 0; attempt < 16; attempt++) {
    uint64_t holder = ipc_shm__load_acquire64(peer);
    if (holder > IPC_SHM__CH_PEER_LEFT && ipc_shm__win_peer_alive(&holder_process, holder))
      break;
    if (ipc_shm__cas_seq_cst64(peer, &holder, ch->self)) {
      err = 0;
      break;
    }
  }
  ipc_shm__win_peer_close(&holder_process);
  return err == 0 ? 0 : ipc_shm__fail_arg(err);
}

int ipc_shm__os_channel_begin(struct ipc_shm_channel *ch, uint64_t id, int global) {
  int err;
  ch->os.wakers[0] = ch->os.wakers[1] = IPC_SHM__NO_HANDLE;
  ipc_shm__win_peer_init(&ch->os.peer);
  err = open_wakers(ch, id, global);
  if (err == 0)
    err = take_role(ch);
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
  HANDLE objects[2];
  DWORD ms, result, count = 1;
  /* The event carries the wake-up; the word says whether one came. */
  if (ipc_shm__load_seq_cst32(word) != expected)
    return 0;
  objects[0] = ch->os.wakers[side];
  if (peer > IPC_SHM__CH_PEER_LEFT &&
      (peer == ch->os.peer.value || ipc_shm__win_peer_open(&ch->os.peer, peer) > 0)) {
    objects[1] = ch->os.peer.process; /* its end wakes this side */
    count = 2;
  } else if (ns > IPC_SHM__LIVENESS_SLICE_NS) {
    ns = IPC_SHM__LIVENESS_SLICE_NS; /* nothing would wake it: it looks */
  }
  ms = ns == INT64_MAX           ? INFINITE
       : ns / 1000000 >= WAIT_MAX_MS ? WAIT_MAX_MS
                                     : (DWORD)((ns + 999999) / 1000000);
  result = SYS.WaitForMultipleObjects(count, objects, FALSE, ms);
  if (result == WAIT_OBJECT_0)
    return 0;
  if (result == WAIT_OBJECT_0 + 1)
    return 2;
  if (result == WAIT_TIMEOUT)
    return 1;
  return ipc_shm__fail_last("WaitForMultipleObjects");
}

int ipc_shm__os_channel_wake(struct ipc_shm_channel *ch, int side, uint32_t *word) {
  (void)word;
  if (ch->os.wakers[side] == IPC_SHM__NO_HANDLE)
    return 0;
  return SYS.SetEvent(ch->os.wakers[side]) ? 0 : ipc_shm__fail_last("SetEvent");
}
