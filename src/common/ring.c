/* SPDX-License-Identifier: MIT */
/* The records of a channel's ring: reserving, committing and sending on one
 * side; peeking, releasing and receiving on the other. Records are 8-byte
 * aligned: a u32 length and a u32 kind (a message, or padding to the end of
 * the ring so that a message is always contiguous), then the message.
 *
 * Every index read from the other side is checked before it is used (a
 * multiple of 8, and no more than a ring apart from this side's): a
 * scribbled one is CORRUPT, never an access outside the ring. */
#include "channel_internal.h"

#include <string.h>

/* 1 if `other`, as read from the peer, can be the other side's index:
 * `ahead` is 1 when it may lead this side's position (the write index as
 * the receiver sees it), 0 when it may trail it. */
static int other_index_ok(const struct ipc_shm_channel *ch, uint64_t other, int ahead) {
  uint64_t apart = ahead ? other - ch->position : ch->position - other;
  return (other & (IPC_SHM__CH_RECORD - 1)) == 0 && apart <= ch->capacity;
}

/* ---- Readiness, for waiting on several objects ---- */

static int has_room(void *arg, int spinning);
static int has_record(void *arg, int spinning);

int ipc_shm__channel_ready(struct ipc_shm_channel *ch, size_t room, int ask) {
  int ready;
  if (ch->side == IPC_SHM__CHANNEL_RECEIVER) {
    ready = has_record(ch, 0);
  } else {
    ch->pending = room;
    ready = has_room(ch, 0);
    ch->pending = 0;
  }
  return ready || ipc_shm__channel_peer_gone(ch, ask);
}

/* ---- Sending ---- */

/* Bytes the next record of `size` needs from the sender's position: the
 * record, and the padding before it when it would not fit before the end
 * of the ring. */
static uint64_t room_needed(const struct ipc_shm_channel *ch, uint64_t size) {
  uint64_t record = IPC_SHM__CH_RECORD + ipc_shm__round_record(size);
  uint64_t to_end = ch->capacity - (ch->position & (ch->capacity - 1));
  return record <= to_end ? record : to_end + record;
}

/* Room for the pending record. A sender that found the ring full and
 * spins waits for some more (SPIN_ROOM, a quarter of a small ring): taking
 * room back a record at a time would keep both sides on the same cache
 * lines. An impossible read_index is ready too, for the caller to report. */
static int has_room(void *arg, int spinning) {
  struct ipc_shm_channel *ch = (struct ipc_shm_channel *)arg;
  uint64_t need = room_needed(ch, ch->pending);
  if (spinning) {
    uint64_t batch = ch->capacity / 4 < IPC_SHM__CH_SPIN_ROOM ? ch->capacity / 4
                                                              : IPC_SHM__CH_SPIN_ROOM;
    if (need < batch)
      need = batch;
  }
  if (other_index_ok(ch, ch->other_index, 0) &&
      ch->capacity - (ch->position - ch->other_index) >= need)
    return 1;
  ch->other_index = ipc_shm__load_acquire64(&ch->header->read_index);
  if (!other_index_ok(ch, ch->other_index, 0))
    return 1;
  return ch->capacity - (ch->position - ch->other_index) >= need;
}

static int check_sender(const struct ipc_shm_channel *ch, size_t size, int64_t timeout_ms) {
  if (ch->side != IPC_SHM__CHANNEL_SENDER || ch->pending != 0 || size == 0 ||
      (uint64_t)size > ch->max_message || ipc_shm__check_timeout(timeout_ms) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return 0;
}

int ipc_shm_channel_reserve(ipc_shm_channel_t *ch, size_t size, void **space,
                            int64_t timeout_ms) {
  uint64_t record = IPC_SHM__CH_RECORD + ipc_shm__round_record(size), mask, offset;
  int err;
  if (space == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *space = NULL;
  if (ch == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = check_sender(ch, size, timeout_ms);
  if (err != 0)
    return err;
  /* A receiver that left or died is noticed even while there is room:
   * from the cached verdict, asked again as it ages. */
  if (ipc_shm__channel_peer_gone(ch, 0))
    return ipc_shm__fail_arg(IPC_SHM_E_DISCONNECTED);
  ch->pending = size;
  err = ipc_shm__channel_wait_until(ch, has_room, timeout_ms);
  if (err == 0 && !other_index_ok(ch, ch->other_index, 0))
    err = ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
  if (err != 0) {
    ch->pending = 0;
    return err;
  }
  mask = ch->capacity - 1;
  offset = ch->position & mask;
  if (ch->capacity - offset < record) {
    /* Padding to the end; published with the message. */
    uint32_t padding[2];
    padding[0] = (uint32_t)(ch->capacity - offset - IPC_SHM__CH_RECORD);
    padding[1] = IPC_SHM__CH_PADDING;
    memcpy(ch->ring + offset, padding, sizeof(padding));
    ch->pending_at = ch->position + (ch->capacity - offset);
  } else {
    ch->pending_at = ch->position;
  }
  *space = ch->ring + (ch->pending_at & mask) + IPC_SHM__CH_RECORD;
  return 0;
}

/* On one CPU: once a hand-off's worth waits in the ring, let the receiver
 * run (if it is ready to) while the records are in the cache. */
static void hand_off(struct ipc_shm_channel *ch) {
  uint64_t handoff = ch->capacity / 2 < IPC_SHM__CH_HANDOFF ? ch->capacity / 2
                                                           : IPC_SHM__CH_HANDOFF;
  if (ch->position - ch->other_index < handoff)
    return;
  ch->other_index = ipc_shm__load_acquire64(&ch->header->read_index);
  if (other_index_ok(ch, ch->other_index, 0) && ch->position - ch->other_index >= handoff)
    ipc_shm__os_yield();
}

int ipc_shm_channel_commit(ipc_shm_channel_t *ch, size_t size) {
  uint32_t record[2];
  int err;
  if (ch == NULL || ch->side != IPC_SHM__CHANNEL_SENDER || ch->pending == 0 ||
      (uint64_t)size > ch->pending)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  ch->pending = 0;
  if (size == 0)
    return 0; /* dropped: nothing was published */
  record[0] = (uint32_t)size;
  record[1] = IPC_SHM__CH_MESSAGE;
  memcpy(ch->ring + (ch->pending_at & (ch->capacity - 1)), record, sizeof(record));
  ch->position = ch->pending_at + IPC_SHM__CH_RECORD + ipc_shm__round_record(size);
  /* seq_cst: the record is published, and the receiver's waiting flag is
   * loaded after (see channel_internal.h). */
  ipc_shm__store_seq_cst64(&ch->header->write_index, ch->position);
  err = ipc_shm__channel_wake_other(ch);
  if (ch->one_cpu)
    hand_off(ch);
  return err;
}

int ipc_shm_channel_send(ipc_shm_channel_t *ch, const void *data, size_t size,
                         int64_t timeout_ms) {
  void *space;
  int err;
  if (data == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = ipc_shm_channel_reserve(ch, size, &space, timeout_ms);
  if (err != 0)
    return err;
  ipc_shm__channel_copy(space, data, size);
  return ipc_shm_channel_commit(ch, size);
}

/* ---- Receiving ---- */

/* A record to read. An impossible write_index is ready too, for
 * next_message to report. */
static int has_record(void *arg, int spinning) {
  struct ipc_shm_channel *ch = (struct ipc_shm_channel *)arg;
  (void)spinning; /* a message is delivered as soon as it is there */
  if (ch->other_index != ch->position)
    return 1;
  ch->other_index = ipc_shm__load_acquire64(&ch->header->write_index);
  return ch->other_index != ch->position;
}

/* The message at the receiver's position, skipping padding; CORRUPT for
 * anything a well-behaved sender cannot have written. */
static int next_message(struct ipc_shm_channel *ch, uint64_t *offset, uint64_t *size) {
  uint64_t mask = ch->capacity - 1;
  int hops;
  for (hops = 0; hops < 2; hops++) {
    uint64_t available = ch->other_index - ch->position;
    uint64_t at = ch->position & mask, to_end = ch->capacity - at;
    uint32_t record[2];
    if (!other_index_ok(ch, ch->other_index, 1) || available < IPC_SHM__CH_RECORD)
      return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
    memcpy(record, ch->ring + at, sizeof(record));
    if (record[1] == IPC_SHM__CH_PADDING) {
      if ((uint64_t)record[0] + IPC_SHM__CH_RECORD != to_end || available <= to_end)
        return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
      ch->position += to_end;
      continue;
    }
    if (record[1] != IPC_SHM__CH_MESSAGE || record[0] == 0 || record[0] > ch->max_message ||
        IPC_SHM__CH_RECORD + ipc_shm__round_record(record[0]) > to_end ||
        IPC_SHM__CH_RECORD + ipc_shm__round_record(record[0]) > available)
      return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
    *offset = at + IPC_SHM__CH_RECORD;
    *size = record[0];
    return 0;
  }
  return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
}

static int check_receiver(const struct ipc_shm_channel *ch, int64_t timeout_ms) {
  if (ch->side != IPC_SHM__CHANNEL_RECEIVER || ch->pending != 0 ||
      ipc_shm__check_timeout(timeout_ms) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return 0;
}

/* The next message, waiting at most `timeout_ms` for it: a poll that
 * finds nothing is a few loads (inline looks at the index, the peer word
 * and the verdict on it). */
static int take_message(struct ipc_shm_channel *ch, int64_t timeout_ms, uint64_t *offset,
                        uint64_t *length) {
  if (!has_record(ch, 0)) {
    int err;
    if (timeout_ms == 0 && !ipc_shm__channel_peer_gone(ch, 0))
      return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
    err = ipc_shm__channel_wait_until(ch, has_record, timeout_ms);
    if (err != 0)
      return err;
  }
  return next_message(ch, offset, length);
}

int ipc_shm_channel_peek(ipc_shm_channel_t *ch, const void **data, size_t *size,
                         int64_t timeout_ms) {
  uint64_t offset = 0, length = 0;
  int err;
  if (data == NULL || size == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *data = NULL;
  *size = 0;
  if (ch == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = check_receiver(ch, timeout_ms);
  if (err == 0)
    err = take_message(ch, timeout_ms, &offset, &length);
  if (err != 0)
    return err;
  ch->pending = length;
  *data = ch->ring + offset;
  *size = (size_t)length;
  return 0;
}

/* Wake a sender asleep for room once half the ring is free: it then fills
 * it in one go instead of a record per wake-up (which, on one CPU, would
 * make every record cost a switch of process). */
static int wake_sender(struct ipc_shm_channel *ch) {
  ipc_shm__channel_header_t *h = ch->header;
  if (ipc_shm__load_seq_cst32(&h->waiting[IPC_SHM__CHANNEL_SENDER]) == 0)
    return 0;
  ch->other_index = ipc_shm__load_acquire64(&h->write_index);
  if (other_index_ok(ch, ch->other_index, 1) &&
      ch->other_index - ch->position > ch->capacity / 2)
    return 0;
  return ipc_shm__channel_wake_other(ch);
}

int ipc_shm_channel_release(ipc_shm_channel_t *ch) {
  if (ch == NULL || ch->side != IPC_SHM__CHANNEL_RECEIVER || ch->pending == 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  ch->position += IPC_SHM__CH_RECORD + ipc_shm__round_record(ch->pending);
  ch->pending = 0;
  /* seq_cst: the room is handed back, and the sender's waiting flag is
   * loaded after (see channel_internal.h). */
  ipc_shm__store_seq_cst64(&ch->header->read_index, ch->position);
  return wake_sender(ch);
}

int ipc_shm_channel_receive(ipc_shm_channel_t *ch, void *buffer, size_t buffer_size,
                            size_t *size, int64_t timeout_ms) {
  uint64_t offset = 0, length = 0;
  int err;
  if (size == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *size = 0;
  if (ch == NULL || (buffer == NULL && buffer_size != 0))
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = check_receiver(ch, timeout_ms);
  if (err == 0)
    err = take_message(ch, timeout_ms, &offset, &length);
  if (err != 0)
    return err;
  *size = (size_t)length;
  if (length > buffer_size)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL); /* it stays for a larger buffer */
  ipc_shm__channel_copy(buffer, ch->ring + offset, (size_t)length);
  ch->pending = length;
  return ipc_shm_channel_release(ch);
}
