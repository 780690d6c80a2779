/* SPDX-License-Identifier: MIT */
/* What channels and topics share about their control areas (control.h). */
#include "control.h"

#include <string.h>

/* How long an opener waits for the creator to finish the control area. */
#define CREATION_WAIT_NS 2000000000LL

uint64_t ipc_shm__control_magic(const uint64_t *magic_word, int wait) {
  uint64_t magic = ipc_shm__load_acquire64(magic_word);
  int64_t until;
  if (magic != 0 || !wait)
    return magic;
  until = ipc_shm__os_now_ns() + CREATION_WAIT_NS;
  while ((magic = ipc_shm__load_acquire64(magic_word)) == 0 && ipc_shm__os_now_ns() < until)
    ipc_shm__os_sleep_ns(1000000LL);
  return magic;
}

uint64_t ipc_shm__control_new_id(const ipc_shm_t *segment) {
  static uint32_t counter;
  uint64_t id = ((uint64_t)ipc_shm__os_self_pid() << 32) ^ (uint64_t)ipc_shm__os_now_ns();
  id ^= (uint64_t)(uintptr_t)segment * 0x9E3779B97F4A7C15ull;
  id += (uint64_t)(ipc_shm__fetch_add_seq_cst32(&counter, 1u) + 1u) << 20;
  return id;
}

int ipc_shm__control_own_copy(const ipc_shm_t *segment, struct ipc_shm **own) {
  ipc_shm__token_t token;
  ipc_shm_native_t copy;
  int err;
  memset(&token, 0, sizeof(token));
  err = ipc_shm__os_copy(segment, 1, 0, &copy, &token);
  if (err != 0)
    return err;
  token.object = IPC_SHM__OBJECT_SEGMENT;
  err = ipc_shm__adopt(own, copy, &token, 0, IPC_SHM__OBJECT_SEGMENT);
  if (err != 0)
    (void)ipc_shm__os_close_handle(copy);
  return err;
}

int ipc_shm__control_release(ipc_shm_view_t *view, ipc_shm_t *segment) {
  int err = 0, closed;
  if (view != NULL)
    err = ipc_shm_unmap(view);
  if (segment != NULL) {
    closed = ipc_shm_close(segment);
    if (err == 0)
      err = closed;
  }
  return err;
}

int ipc_shm__control_unname(const char *name, unsigned global, int err) {
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED) {
    long native = ipc_shm_last_native_error();
    const char *call = ipc_shm_last_native_call();
    (void)ipc_shm_remove(name, global);
    (void)ipc_shm__fail_as(native, call, err);
  }
  return err;
}
