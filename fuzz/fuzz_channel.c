/* SPDX-License-Identifier: MIT */
/* A channel's control area and ring as a hostile peer leaves them: the
 * input is written over the moving parts of the control area (indices,
 * waiting flags, words, peers; layout 1) and over the start of the ring, then the
 * sender and the receiver each make calls that do not wait. Whatever the
 * bytes, every call returns one of its documented codes, a received
 * message is never larger than the channel takes, and nothing reads or
 * writes outside the segment (AddressSanitizer). */
#include "fuzz_util.h"

#include "../src/common/common.h"

#define MAX_MESSAGE 200u

static ipc_shm_channel_t *sender, *receiver;
static ipc_shm_view_t *view;
static unsigned char pristine[IPC_SHM_CHANNEL_HEADER];

static void set_up(void) {
  if (ipc_shm_channel_create_anonymous(&sender, MAX_MESSAGE, 0, IPC_SHM_CHANNEL_SENDER) != 0 ||
      ipc_shm_channel_attach(&receiver, ipc_shm_channel_segment(sender),
                             IPC_SHM_CHANNEL_RECEIVER) != 0 ||
      ipc_shm_map(&view, ipc_shm_channel_segment(sender), 0, 0, IPC_SHM_MAP_WRITE) != 0)
    abort();
  memcpy(pristine, ipc_shm_view_data(view), sizeof(pristine));
}

static int allowed(int err) {
  return err == 0 || err == IPC_SHM_E_TIMEOUT || err == IPC_SHM_E_CORRUPT ||
         err == IPC_SHM_E_DISCONNECTED || err == IPC_SHM_E_INVAL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  unsigned char *segment, buffer[MAX_MESSAGE];
  size_t ring = 0, i;
  if (sender == NULL)
    set_up();
  segment = (unsigned char *)ipc_shm_view_data(view);
  ring = (size_t)ipc_shm_size(ipc_shm_channel_segment(sender)) - IPC_SHM_CHANNEL_HEADER;
  /* Start from a fresh channel each time, on both sides. */
  memcpy(segment, pristine, sizeof(pristine));
  memset(segment + IPC_SHM_CHANNEL_HEADER, 0, ring);
  sender->position = sender->other_index = sender->pending = 0;
  receiver->position = receiver->other_index = receiver->pending = 0;
  sender->peer_seen = receiver->peer_seen = 1;
  /* The hostile bytes: the indices, the waiting flags and words, the
   * peers, then the ring. */
  {
    static const size_t fields[][2] = {{64, 8}, {128, 8}, {192, 16}, {256, 16}};
    size_t at = 0, f;
    for (f = 0; f < sizeof(fields) / sizeof(fields[0]) && at < size; f++) {
      size_t n = size - at < fields[f][1] ? size - at : fields[f][1];
      memcpy(segment + fields[f][0], data + at, n);
      at += n;
    }
    if (at < size)
      memcpy(segment + IPC_SHM_CHANNEL_HEADER, data + at, size - at < ring ? size - at : ring);
  }
  for (i = 0; i < 8; i++) {
    const void *peeked;
    size_t got = 0;
    /* A message made of the input itself, 1 to MAX_MESSAGE bytes. */
    size_t length = size == 0 ? 0 : 1 + (size - 1) % MAX_MESSAGE;
    int err = length == 0 ? 0 : ipc_shm_channel_send(sender, data, length, 0);
    FUZZ_REQUIRE(allowed(err));
    err = ipc_shm_channel_receive(receiver, buffer, sizeof(buffer), &got, 0);
    FUZZ_REQUIRE(allowed(err));
    FUZZ_REQUIRE(err != 0 || (got >= 1 && got <= MAX_MESSAGE));
    err = ipc_shm_channel_peek(receiver, &peeked, &got, 0);
    FUZZ_REQUIRE(allowed(err));
    if (err == 0) {
      FUZZ_REQUIRE(got >= 1 && got <= MAX_MESSAGE);
      /* Inside the receiver's own mapping of the ring. */
      FUZZ_REQUIRE((const unsigned char *)peeked >= receiver->ring &&
                   (const unsigned char *)peeked + got <= receiver->ring + receiver->capacity);
      FUZZ_REQUIRE(ipc_shm_channel_release(receiver) == 0);
    }
  }
  return 0;
}
