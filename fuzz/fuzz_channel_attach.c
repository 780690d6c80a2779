/* SPDX-License-Identifier: MIT */
/* Attaching to a channel whose control area a hostile peer wrote: the
 * input is written over the control area's fields a peer can change
 * (layout, sizes, indices, waiting flags and words, peers, attach counts;
 * layout 1) and over the start of the ring of a channel both sides left,
 * and then a sender and a receiver attach to it and make calls that do not
 * wait. Whatever the bytes, attaching gives a documented code; a channel
 * that attached reports sizes the segment can hold, and no call reads or
 * writes outside the segment (AddressSanitizer), which is what indices
 * that are no record's place and sizes that overflow a check did. */
#include "fuzz_util.h"

#include "ipc_shm.h"

#define MAX_MESSAGE 200u
#define RING 4096u

static ipc_shm_t *segment;
static ipc_shm_view_t *view;
static unsigned char pristine[IPC_SHM_CHANNEL_HEADER];

static void set_up(void) {
  ipc_shm_channel_t *ch;
  /* A channel's control area as its creator wrote it, copied into a
   * segment of the same size that the inputs then scribble on. */
  if (ipc_shm_channel_create_anonymous(&ch, MAX_MESSAGE, RING, IPC_SHM_CHANNEL_SENDER) != 0)
    abort();
  if (ipc_shm_create_anonymous(&segment, IPC_SHM_CHANNEL_HEADER + RING, 0) != 0 ||
      ipc_shm_map(&view, segment, 0, 0, IPC_SHM_MAP_WRITE) != 0)
    abort();
  {
    ipc_shm_view_t *source;
    if (ipc_shm_map(&source, ipc_shm_channel_segment(ch), 0, IPC_SHM_CHANNEL_HEADER,
                    IPC_SHM_MAP_READ) != 0)
      abort();
    memcpy(pristine, ipc_shm_view_data(source), sizeof(pristine));
    ipc_shm_unmap(source);
  }
  ipc_shm_channel_close(ch);
}

static int allowed_attach(int err) {
  return err == 0 || err == IPC_SHM_E_CORRUPT || err == IPC_SHM_E_VERSION ||
         err == IPC_SHM_E_WRONG_KIND || err == IPC_SHM_E_EXISTS;
}

static int allowed(int err) {
  return err == 0 || err == IPC_SHM_E_TIMEOUT || err == IPC_SHM_E_CORRUPT ||
         err == IPC_SHM_E_DISCONNECTED || err == IPC_SHM_E_INVAL;
}

/* Calls that do not wait, with the invariants they keep. */
static void use(ipc_shm_channel_t *tx, ipc_shm_channel_t *rx, const uint8_t *data, size_t size) {
  unsigned char buffer[512];
  int i;
  for (i = 0; i < 4; i++) {
    size_t length = 1 + (size + (size_t)i * 37) % MAX_MESSAGE, got = 0;
    const void *peeked;
    void *space;
    int err;
    if (tx != NULL) {
      FUZZ_REQUIRE(ipc_shm_channel_max_message(tx) <= RING / 2 - 8);
      err = ipc_shm_channel_send(tx, data, length < size ? length : size, 0);
      FUZZ_REQUIRE(allowed(err));
      err = ipc_shm_channel_reserve(tx, length, &space, 0);
      FUZZ_REQUIRE(allowed(err));
      if (err == 0) {
        FUZZ_REQUIRE(((uintptr_t)space & 7u) == 0);
        memset(space, 0x5A, length);
        FUZZ_REQUIRE(ipc_shm_channel_commit(tx, length) == 0);
      }
    }
    if (rx != NULL) {
      FUZZ_REQUIRE(ipc_shm_channel_max_message(rx) <= RING / 2 - 8);
      err = ipc_shm_channel_receive(rx, buffer, sizeof(buffer), &got, 0);
      FUZZ_REQUIRE(allowed(err));
      FUZZ_REQUIRE(err != 0 || (got >= 1 && got <= ipc_shm_channel_max_message(rx)));
      err = ipc_shm_channel_peek(rx, &peeked, &got, 0);
      FUZZ_REQUIRE(allowed(err));
      if (err == 0) {
        volatile unsigned char sum = 0;
        size_t k;
        for (k = 0; k < got; k++) /* read all of it: ASan sees the bounds */
          sum = (unsigned char)(sum + ((const unsigned char *)peeked)[k]);
        FUZZ_REQUIRE(ipc_shm_channel_release(rx) == 0);
      }
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* What a peer can change: layout and sizes (8..47), the indices, the
   * waiting flags and words, the peers and attach counts. */
  static const size_t fields[][2] = {{8, 40}, {64, 8}, {128, 8}, {192, 16}, {256, 24}};
  unsigned char *bytes;
  ipc_shm_channel_t *tx = NULL, *rx = NULL;
  size_t at = 0, f;
  int err;
  if (segment == NULL)
    set_up();
  bytes = (unsigned char *)ipc_shm_view_data(view);
  memcpy(bytes, pristine, sizeof(pristine));
  memset(bytes + IPC_SHM_CHANNEL_HEADER, 0, RING);
  for (f = 0; f < sizeof(fields) / sizeof(fields[0]) && at < size; f++) {
    size_t n = size - at < fields[f][1] ? size - at : fields[f][1];
    memcpy(bytes + fields[f][0], data + at, n);
    at += n;
  }
  if (at < size)
    memcpy(bytes + IPC_SHM_CHANNEL_HEADER, data + at, size - at < RING ? size - at : RING);
  err = ipc_shm_channel_attach(&tx, segment, IPC_SHM_CHANNEL_SENDER);
  FUZZ_REQUIRE(allowed_attach(err));
  FUZZ_REQUIRE((err == 0) == (tx != NULL));
  err = ipc_shm_channel_attach(&rx, segment, IPC_SHM_CHANNEL_RECEIVER);
  FUZZ_REQUIRE(allowed_attach(err));
  FUZZ_REQUIRE((err == 0) == (rx != NULL));
  use(tx, rx, data, size);
  if (tx != NULL)
    FUZZ_REQUIRE(ipc_shm_channel_close(tx) == 0);
  if (rx != NULL)
    FUZZ_REQUIRE(ipc_shm_channel_close(rx) == 0);
  return 0;
}
