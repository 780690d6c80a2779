/* SPDX-License-Identifier: MIT */
/* Attaching to an inbox whose control area a hostile peer wrote: the input
 * is written over the fields a peer can change (layout, sizes and flags,
 * the count of tickets, the sleepers, the receiver's and the first
 * senders' lines, with their positions and claims; layout 1) and over the
 * start of the slots, and then a receiver and two senders attach and make
 * calls that do not wait. Whatever the bytes, attaching gives a documented
 * code, a message handed out lies inside the segment and is no larger than
 * the largest, and no call reads or writes outside the segment
 * (AddressSanitizer) or loops on a count a peer made huge. */
#include "fuzz_util.h"

#include "ipc_shm.h"

#define MAX_MESSAGE 200u
#define SLOTS 4u
#define SLOT_SIZE 256u /* 16 + MAX_MESSAGE, rounded up to 64 */

static ipc_shm_t *segment;
static ipc_shm_view_t *view;
static unsigned char pristine[IPC_SHM_TOPIC_HEADER];

static void set_up(void) {
  ipc_shm_inbox_t *inbox;
  ipc_shm_view_t *source;
  if (ipc_shm_inbox_create_anonymous(&inbox, MAX_MESSAGE, SLOTS, IPC_SHM_INBOX_SENDER) != 0 ||
      ipc_shm_size(ipc_shm_inbox_segment(inbox)) != IPC_SHM_TOPIC_HEADER + SLOTS * SLOT_SIZE)
    abort();
  if (ipc_shm_create_anonymous(&segment, IPC_SHM_TOPIC_HEADER + SLOTS * SLOT_SIZE, 0) != 0 ||
      ipc_shm_map(&view, segment, 0, 0, IPC_SHM_MAP_WRITE) != 0)
    abort();
  if (ipc_shm_map(&source, ipc_shm_inbox_segment(inbox), 0, IPC_SHM_TOPIC_HEADER,
                  IPC_SHM_MAP_READ) != 0)
    abort();
  memcpy(pristine, ipc_shm_view_data(source), sizeof(pristine));
  memset(pristine + 192 + 64, 0, 64); /* as if its sender had left */
  ipc_shm_unmap(source);
  ipc_shm_inbox_close(inbox);
}

static int allowed_attach(int err) {
  return err == 0 || err == IPC_SHM_E_CORRUPT || err == IPC_SHM_E_VERSION ||
         err == IPC_SHM_E_WRONG_KIND || err == IPC_SHM_E_EXISTS || err == IPC_SHM_E_LIMIT;
}

static int allowed(int err) {
  return err == 0 || err == IPC_SHM_E_TIMEOUT || err == IPC_SHM_E_CORRUPT ||
         err == IPC_SHM_E_DISCONNECTED || err == IPC_SHM_E_INVAL;
}

static void use(ipc_shm_inbox_t *rx, ipc_shm_inbox_t *const *senders, const uint8_t *data,
                size_t size) {
  unsigned char buffer[512];
  int i, s;
  for (i = 0; i < 4; i++) {
    size_t length = 1 + (size + (size_t)i * 37) % MAX_MESSAGE, got = 0;
    const void *peeked;
    void *space;
    int err;
    for (s = 0; s < 2; s++) {
      ipc_shm_inbox_t *tx = senders[s];
      if (tx == NULL)
        continue;
      FUZZ_REQUIRE(ipc_shm_inbox_max_message(tx) <= SLOT_SIZE - 16);
      err = ipc_shm_inbox_send(tx, data, length < size ? length : size, 0);
      FUZZ_REQUIRE(size == 0 ? err == IPC_SHM_E_INVAL : allowed(err));
      err = ipc_shm_inbox_reserve(tx, length, &space, 0);
      FUZZ_REQUIRE(allowed(err));
      if (err == 0) {
        FUZZ_REQUIRE(((uintptr_t)space & 15u) == 0);
        memset(space, 0x5A, length);
        FUZZ_REQUIRE(ipc_shm_inbox_commit(tx, length) == 0);
      }
    }
    if (rx == NULL)
      continue;
    err = ipc_shm_inbox_receive(rx, buffer, sizeof(buffer), &got, 0);
    FUZZ_REQUIRE(allowed(err));
    FUZZ_REQUIRE(err != 0 || (got >= 1 && got <= ipc_shm_inbox_max_message(rx)));
    err = ipc_shm_inbox_peek(rx, &peeked, &got, 0);
    FUZZ_REQUIRE(allowed(err));
    if (err == 0) {
      volatile unsigned char sum = 0;
      size_t k;
      FUZZ_REQUIRE(got >= 1 && got <= ipc_shm_inbox_max_message(rx));
      for (k = 0; k < got; k++) /* read all of it: ASan sees the bounds */
        sum = (unsigned char)(sum + ((const unsigned char *)peeked)[k]);
      FUZZ_REQUIRE(ipc_shm_inbox_release(rx) == 0);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* What a peer can change: layout, sizes and flags (8..55), the tickets
   * taken, the sleepers, and the lines of the receiver and the first
   * three senders. */
  static const size_t fields[][2] = {{8, 48}, {64, 8}, {128, 8}, {192, 256}};
  unsigned char *bytes;
  ipc_shm_inbox_t *rx = NULL, *senders[2] = {NULL, NULL};
  size_t at = 0, f;
  int err, s;
  if (segment == NULL)
    set_up();
  bytes = (unsigned char *)ipc_shm_view_data(view);
  memcpy(bytes, pristine, sizeof(pristine));
  memset(bytes + IPC_SHM_TOPIC_HEADER, 0, SLOTS * SLOT_SIZE);
  for (f = 0; f < sizeof(fields) / sizeof(fields[0]) && at < size; f++) {
    size_t n = size - at < fields[f][1] ? size - at : fields[f][1];
    memcpy(bytes + fields[f][0], data + at, n);
    at += n;
  }
  if (at < size)
    memcpy(bytes + IPC_SHM_TOPIC_HEADER, data + at,
           size - at < SLOTS * SLOT_SIZE ? size - at : SLOTS * SLOT_SIZE);
  err = ipc_shm_inbox_attach(&senders[0], segment, IPC_SHM_INBOX_SENDER);
  FUZZ_REQUIRE(allowed_attach(err));
  FUZZ_REQUIRE((err == 0) == (senders[0] != NULL));
  err = ipc_shm_inbox_attach(&rx, segment, IPC_SHM_INBOX_RECEIVER);
  FUZZ_REQUIRE(allowed_attach(err));
  FUZZ_REQUIRE((err == 0) == (rx != NULL));
  err = ipc_shm_inbox_attach(&senders[1], segment, IPC_SHM_INBOX_SENDER);
  FUZZ_REQUIRE(allowed_attach(err));
  use(rx, senders, data, size);
  if (rx != NULL)
    FUZZ_REQUIRE(ipc_shm_inbox_close(rx) == 0);
  for (s = 0; s < 2; s++)
    if (senders[s] != NULL)
      FUZZ_REQUIRE(ipc_shm_inbox_close(senders[s]) == 0);
  return 0;
}
