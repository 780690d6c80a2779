/* SPDX-License-Identifier: MIT */
/* Attaching to a topic whose control area a hostile peer wrote: the input
 * is written over the fields a peer can change (layout, sizes and flags,
 * the published count, the sleepers, the publisher's and the first
 * subscribers' lines; layout 1) and over the start of the slots, and then
 * a publisher and two subscribers attach to it and make calls that do not
 * wait. Whatever the bytes, attaching gives a documented code; a topic
 * that attached reports sizes the segment can hold, a message it hands out
 * lies inside the segment and is no larger than the largest, and no call
 * reads or writes outside the segment (AddressSanitizer). */
#include "fuzz_util.h"

#include "ipc_shm.h"

#define MAX_MESSAGE 200u
#define SLOTS 4u
#define SLOT_SIZE 256u /* 16 + MAX_MESSAGE, rounded up to 64 */

static ipc_shm_t *segment;
static ipc_shm_view_t *view;
static unsigned char pristine[IPC_SHM_TOPIC_HEADER];

static void set_up(void) {
  ipc_shm_topic_t *topic;
  ipc_shm_view_t *source;
  /* A control area as its creator wrote it, copied into a segment of the
   * same size that the inputs then scribble on. */
  if (ipc_shm_topic_create_anonymous(&topic, MAX_MESSAGE, SLOTS, IPC_SHM_TOPIC_PUBLISHER) != 0 ||
      ipc_shm_size(ipc_shm_topic_segment(topic)) != IPC_SHM_TOPIC_HEADER + SLOTS * SLOT_SIZE)
    abort();
  if (ipc_shm_create_anonymous(&segment, IPC_SHM_TOPIC_HEADER + SLOTS * SLOT_SIZE, 0) != 0 ||
      ipc_shm_map(&view, segment, 0, 0, IPC_SHM_MAP_WRITE) != 0)
    abort();
  if (ipc_shm_map(&source, ipc_shm_topic_segment(topic), 0, IPC_SHM_TOPIC_HEADER,
                  IPC_SHM_MAP_READ) != 0)
    abort();
  memcpy(pristine, ipc_shm_view_data(source), sizeof(pristine));
  /* As if its publisher had left. */
  memset(pristine + 192, 0, 64);
  ipc_shm_unmap(source);
  ipc_shm_topic_close(topic);
}

static int allowed_attach(int err) {
  return err == 0 || err == IPC_SHM_E_CORRUPT || err == IPC_SHM_E_VERSION ||
         err == IPC_SHM_E_WRONG_KIND || err == IPC_SHM_E_EXISTS || err == IPC_SHM_E_LIMIT;
}

static int allowed(int err) {
  return err == 0 || err == IPC_SHM_E_TIMEOUT || err == IPC_SHM_E_CORRUPT ||
         err == IPC_SHM_E_DISCONNECTED || err == IPC_SHM_E_INVAL ||
         err == IPC_SHM_E_OVERWRITTEN;
}

static void read_all(const void *data, size_t size) {
  const unsigned char *bytes = (const unsigned char *)ipc_shm_view_data(view);
  volatile unsigned char sum = 0;
  size_t k;
  (void)bytes;
  for (k = 0; k < size; k++) /* read all of it: ASan sees the bounds */
    sum = (unsigned char)(sum + ((const unsigned char *)data)[k]);
}

static void use(ipc_shm_topic_t *pub, ipc_shm_topic_t *const *subs, const uint8_t *data,
                size_t size) {
  unsigned char buffer[512];
  int i, s;
  for (i = 0; i < 4; i++) {
    size_t length = 1 + (size + (size_t)i * 37) % MAX_MESSAGE, got = 0;
    uint64_t lost = 0;
    const void *peeked;
    void *space;
    int err;
    if (pub != NULL) {
      FUZZ_REQUIRE(ipc_shm_topic_max_message(pub) <= SLOT_SIZE - 16);
      err = ipc_shm_topic_publish(pub, data, length < size ? length : size, 0);
      FUZZ_REQUIRE(size == 0 ? err == IPC_SHM_E_INVAL : allowed(err));
      err = ipc_shm_topic_reserve(pub, length, &space, 0);
      FUZZ_REQUIRE(allowed(err));
      if (err == 0) {
        FUZZ_REQUIRE(((uintptr_t)space & 15u) == 0);
        memset(space, 0x5A, length);
        FUZZ_REQUIRE(ipc_shm_topic_commit(pub, length) == 0);
      }
    }
    for (s = 0; s < 2; s++) {
      ipc_shm_topic_t *sub = subs[s];
      if (sub == NULL)
        continue;
      FUZZ_REQUIRE(ipc_shm_topic_max_message(sub) <= SLOT_SIZE - 16);
      err = ipc_shm_topic_receive(sub, buffer, sizeof(buffer), &got, &lost, 0);
      FUZZ_REQUIRE(allowed(err));
      FUZZ_REQUIRE(err != 0 || (got >= 1 && got <= ipc_shm_topic_max_message(sub)));
      err = ipc_shm_topic_peek(sub, &peeked, &got, &lost, 0);
      FUZZ_REQUIRE(allowed(err));
      if (err == 0) {
        FUZZ_REQUIRE(got >= 1 && got <= ipc_shm_topic_max_message(sub));
        read_all(peeked, got);
        err = ipc_shm_topic_release(sub);
        FUZZ_REQUIRE(err == 0 || err == IPC_SHM_E_OVERWRITTEN);
      }
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* What a peer can change: layout, sizes and flags (8..55), the published
   * count, the sleepers, and the lines of the publisher and the first
   * three subscribers. */
  static const size_t fields[][2] = {{8, 48}, {64, 8}, {128, 8}, {192, 256}};
  unsigned char *bytes;
  ipc_shm_topic_t *pub = NULL, *subs[2] = {NULL, NULL};
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
  err = ipc_shm_topic_attach(&subs[0], segment,
                             IPC_SHM_TOPIC_SUBSCRIBER | IPC_SHM_TOPIC_FROM_OLDEST);
  FUZZ_REQUIRE(allowed_attach(err));
  FUZZ_REQUIRE((err == 0) == (subs[0] != NULL));
  err = ipc_shm_topic_attach(&pub, segment, IPC_SHM_TOPIC_PUBLISHER);
  FUZZ_REQUIRE(allowed_attach(err));
  FUZZ_REQUIRE((err == 0) == (pub != NULL));
  err = ipc_shm_topic_attach(&subs[1], segment, IPC_SHM_TOPIC_SUBSCRIBER);
  FUZZ_REQUIRE(allowed_attach(err));
  use(pub, subs, data, size);
  if (pub != NULL)
    FUZZ_REQUIRE(ipc_shm_topic_close(pub) == 0);
  for (s = 0; s < 2; s++)
    if (subs[s] != NULL)
      FUZZ_REQUIRE(ipc_shm_topic_close(subs[s]) == 0);
  return 0;
}
