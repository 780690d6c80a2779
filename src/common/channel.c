/* SPDX-License-Identifier: MIT */
/* Channels: one sender, one receiver, and a ring of records in a segment.
 * Everything but sleeping, waking and asking whether a process lives is
 * portable: making and attaching channels, and waiting, are here; the
 * records, sending and receiving are in ring.c.
 *
 * The control area (layout 1) is the first IPC_SHM_CHANNEL_HEADER bytes of
 * the segment; the ring follows. Every value read from it is checked
 * before use, since the peer can write there: the sizes are read once, at
 * attach, and a record or index that could not have been written by a
 * well-behaved peer is CORRUPT, never a read or write outside the ring.
 * The sender publishes a record by advancing write_index after writing it;
 * the receiver hands its room back by advancing read_index. Both indices
 * only grow; their difference is what the ring holds. */
#include "channel_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static void cpu_relax(void) {
#if defined(_MSC_VER) && !defined(__clang__) && (defined(_M_X64) || defined(_M_IX86))
  _mm_pause();
#elif defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

/* The library's copy. On x86-64, blocks of 2 KiB and more go 128 bytes at
 * a time through SSE2 registers, every load of a block before its stores:
 * MinGW's memcpy is slow under Wine, and `rep movsb` (which glibc's memcpy
 * uses at these sizes) falls to a fraction of that speed from one run to
 * the next (64 KiB messages through a ring: 13 to 35 GB/s against 28 to
 * 40 this way), and to 2.8 GB/s for a destination 1 to 63 bytes ahead of
 * the source in page offset (4K aliasing, which a ring's records meet at
 * every offset). Beyond 512 KiB glibc's memcpy takes over, but for that
 * offset: its non-temporal stores move such blocks faster through a ring
 * (1 MiB messages: 27 against 14 GB/s with `rep movsb`). */
#if defined(__x86_64__) || (defined(_MSC_VER) && defined(_M_X64))
#include <emmintrin.h>
#define COPY_X86_64 1
#else
#define COPY_X86_64 0
#endif
#define BLOCKS_MIN ((size_t)2048)
#if defined(_WIN32)
#define BLOCKS_MAX SIZE_MAX
#else
#define BLOCKS_MAX ((size_t)512 * 1024)
#endif
#define ALIASING_WINDOW 64u

#if COPY_X86_64
static void copy_blocks(unsigned char *dest, const unsigned char *src, size_t size) {
  while (size >= 128) {
    __m128i block[8];
    int i;
    for (i = 0; i < 8; i++)
      block[i] = _mm_loadu_si128((const __m128i *)(const void *)(src + 16 * i));
    for (i = 0; i < 8; i++)
      _mm_storeu_si128((__m128i *)(void *)(dest + 16 * i), block[i]);
    src += 128;
    dest += 128;
    size -= 128;
  }
  memcpy(dest, src, size);
}
#endif

void ipc_shm__channel_copy(void *dest, const void *src, size_t size) {
#if COPY_X86_64
  if (size >= BLOCKS_MIN) {
    uintptr_t ahead = ((uintptr_t)dest - (uintptr_t)src) & 4095u;
    if (size < BLOCKS_MAX || (ahead != 0 && ahead < ALIASING_WINDOW)) {
      copy_blocks((unsigned char *)dest, (const unsigned char *)src, size);
      return;
    }
  }
#endif
  memcpy(dest, src, size);
}


static uint64_t ring_for(uint64_t max_message, uint64_t capacity) {
  uint64_t need = 2 * (RECORD + ipc_shm__round_record(max_message)), ring = RING_MIN;
  if (capacity < need)
    capacity = need;
  while (ring < capacity)
    ring <<= 1;
  return ring;
}


static int64_t deadline_of(int64_t timeout_ms) {
  if (timeout_ms == IPC_SHM_FOREVER || timeout_ms > INT64_MAX / 2000000LL)
    return INT64_MAX;
  return ipc_shm__os_now_ns() + timeout_ms * 1000000LL;
}

static int side_of(unsigned flags) {
  unsigned roles = flags & (IPC_SHM_CHANNEL_SENDER | IPC_SHM_CHANNEL_RECEIVER);
  if (roles == IPC_SHM_CHANNEL_SENDER)
    return IPC_SHM__CHANNEL_SENDER;
  if (roles == IPC_SHM_CHANNEL_RECEIVER)
    return IPC_SHM__CHANNEL_RECEIVER;
  return -1;
}

/* ---- Attaching ---- */

/* Check the control area; keep its sizes. */
static int read_header(struct ipc_shm_channel *ch, uint64_t segment_size) {
  channel_header_t *h = ch->header;
  uint64_t capacity, max_message;
  if (segment_size < IPC_SHM_CHANNEL_HEADER ||
      memcmp(h->magic, HEADER_MAGIC, sizeof(HEADER_MAGIC)) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  if (IPC_SHM__LOAD32(&h->layout) != LAYOUT ||
      IPC_SHM__LOAD32(&h->header_size) != IPC_SHM_CHANNEL_HEADER)
    return ipc_shm__fail_arg(IPC_SHM_E_VERSION);
  capacity = IPC_SHM__LOAD64(&h->capacity);
  max_message = IPC_SHM__LOAD64(&h->max_message);
  if (capacity < RING_MIN || capacity > RING_MAX || (capacity & (capacity - 1)) != 0 ||
      capacity > segment_size - IPC_SHM_CHANNEL_HEADER || max_message == 0 ||
      2 * (RECORD + ipc_shm__round_record(max_message)) > capacity)
    return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
  ch->capacity = capacity;
  ch->max_message = max_message;
  return 0;
}

/* Take the role: free, left, or held by a process that is gone. */
static int take_role(struct ipc_shm_channel *ch) {
  uint64_t *peer = &ch->header->peers[ch->side];
  int attempt;
  for (attempt = 0; attempt < 16; attempt++) {
    uint64_t holder = IPC_SHM__LOAD64(peer);
    if (holder > PEER_LEFT && ipc_shm__os_process_alive(holder))
      return ipc_shm__fail_arg(IPC_SHM_E_EXISTS);
    if (IPC_SHM__CAS64(peer, holder, ch->self))
      return 0;
  }
  return ipc_shm__fail_arg(IPC_SHM_E_EXISTS);
}

/* Release the view and the segment; the first error, if any. */
static int free_channel(struct ipc_shm_channel *ch) {
  int err = 0, closed;
  if (ch->view != NULL)
    err = ipc_shm_unmap(ch->view);
  if (ch->segment != NULL) {
    closed = ipc_shm_close(ch->segment);
    if (err == 0)
      err = closed;
  }
  free(ch);
  return err;
}

/* What a new channel's control area says. */
typedef struct new_layout {
  uint64_t capacity, max_message, id;
  unsigned flags;
} new_layout_t;

/* Write a new channel's control area (the segment is all zero). */
static void write_header(channel_header_t *h, const new_layout_t *layout) {
  h->layout = LAYOUT;
  h->header_size = IPC_SHM_CHANNEL_HEADER;
  h->capacity = layout->capacity;
  h->max_message = layout->max_message;
  h->id = layout->id;
  h->flags = (layout->flags & IPC_SHM_GLOBAL) ? FLAG_GLOBAL : 0u;
  /* The magic last: an attacher that sees it sees the rest. */
  IPC_SHM__STORE32(&h->unused0, 0);
  memcpy(h->magic, HEADER_MAGIC, sizeof(HEADER_MAGIC));
}

/* Attach to the channel in `segment`, which becomes the channel's; with a
 * `layout`, lay a new channel out first. */
static int attach(ipc_shm_channel_t **out, ipc_shm_t *segment, int side,
                  const new_layout_t *layout) {
  struct ipc_shm_channel *ch = (struct ipc_shm_channel *)calloc(1, sizeof(*ch));
  int err;
  if (ch == NULL) {
    (void)ipc_shm_close(segment);
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  }
  ch->segment = segment;
  ch->side = side;
  ch->wakers[0] = ch->wakers[1] = IPC_SHM__NO_HANDLE;
  ch->self = ipc_shm__os_self_process();
  if (!ipc_shm_is_writable(segment)) {
    (void)free_channel(ch);
    return ipc_shm__fail_arg(IPC_SHM_E_ACCESS);
  }
  err = ipc_shm_map(&ch->view, segment, 0, 0, IPC_SHM_MAP_WRITE);
  if (err == 0) {
    ch->header = (channel_header_t *)ipc_shm_view_data(ch->view);
    ch->ring = (unsigned char *)ch->header + IPC_SHM_CHANNEL_HEADER;
    if (layout != NULL)
      write_header(ch->header, layout);
    err = read_header(ch, ipc_shm_size(segment));
  }
  if (err == 0)
    err = ipc_shm__os_channel_open_wakers(ch, IPC_SHM__LOAD64(&ch->header->id),
                                          (IPC_SHM__LOAD32(&ch->header->flags) & FLAG_GLOBAL) != 0);
  if (err == 0)
    err = take_role(ch);
  if (err != 0) {
    ipc_shm__os_channel_close_wakers(ch);
    (void)free_channel(ch);
    return err;
  }
  /* Where this side goes on: a new sender after the last committed
   * record, a new receiver at the first record not released. */
  ch->position = IPC_SHM__LOAD64(side == IPC_SHM__CHANNEL_SENDER ? &ch->header->write_index
                                                                 : &ch->header->read_index);
  ch->other_index = IPC_SHM__LOAD64(side == IPC_SHM__CHANNEL_SENDER ? &ch->header->read_index
                                                                    : &ch->header->write_index);
  ch->peer_seen = IPC_SHM__LOAD64(&ch->header->peers[1 - side]) > PEER_LEFT;
  *out = ch;
  return 0;
}

/* Lay out a new channel in `segment` (all zero) and attach. */
static int lay_out(ipc_shm_channel_t **out, ipc_shm_t *segment, uint64_t capacity,
                   uint64_t max_message, unsigned flags, uint64_t id) {
  new_layout_t layout;
  layout.capacity = capacity;
  layout.max_message = max_message;
  layout.id = id;
  layout.flags = flags;
  return attach(out, segment, side_of(flags), &layout);
}

/* An id for the channel's events (Windows): unique enough that two live
 * channels never share one. */
static uint64_t new_id(const ipc_shm_t *segment) {
  static uint32_t counter;
  uint64_t id = ((uint64_t)ipc_shm__os_self_pid() << 32) ^ (uint64_t)ipc_shm__os_now_ns();
  id ^= (uint64_t)(uintptr_t)segment * 0x9E3779B97F4A7C15ull;
  id += (uint64_t)++counter << 20;
  return id;
}

static int check_sizes(size_t max_message, size_t capacity, uint64_t *ring) {
  /* The ring must fit the address space as well as the checks. */
  const uint64_t address_space = (uint64_t)SIZE_MAX / 2;
  const uint64_t limit = address_space < RING_MAX ? address_space : RING_MAX;
  uint64_t largest = max_message, asked = capacity;
  if (largest == 0 || largest > limit / 4 || asked > limit)
    return IPC_SHM_E_INVAL;
  *ring = ring_for(largest, asked);
  return *ring > limit ? IPC_SHM_E_INVAL : 0;
}

/* Common prologue of the two creates: arguments, then the ring's size. */
static int begin_create(ipc_shm_channel_t **out, unsigned flags, unsigned allowed,
                        size_t max_message, size_t capacity, uint64_t *ring) {
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (side_of(flags) < 0 ||
      (flags & ~(IPC_SHM_CHANNEL_SENDER | IPC_SHM_CHANNEL_RECEIVER | allowed)) != 0 ||
      check_sizes(max_message, capacity, ring) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return 0;
}

int ipc_shm_channel_create(ipc_shm_channel_t **out, const char *name, size_t max_message,
                           size_t capacity, unsigned flags) {
  ipc_shm_t *segment;
  uint64_t ring = 0;
  int err = begin_create(out, flags, IPC_SHM_GLOBAL | IPC_SHM__PERMS_MASK, max_message,
                         capacity, &ring);
  if (err == 0)
    err = ipc_shm_create(&segment, name, IPC_SHM_CHANNEL_HEADER + ring,
                         flags & (IPC_SHM_GLOBAL | IPC_SHM__PERMS_MASK));
  if (err != 0)
    return err;
  err = lay_out(out, segment, ring, max_message, flags, new_id(segment));
  if (err != 0 && ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED) {
    /* The name this call made goes too; the error stays the first one. */
    long native = ipc_shm_last_native_error();
    const char *call = ipc_shm_last_native_call();
    (void)ipc_shm_remove(name, flags & IPC_SHM_GLOBAL);
    (void)ipc_shm__fail_as(native, call, err);
  }
  return err;
}

int ipc_shm_channel_create_anonymous(ipc_shm_channel_t **out, size_t max_message,
                                     size_t capacity, unsigned flags) {
  ipc_shm_t *segment;
  uint64_t ring = 0;
  int err = begin_create(out, flags, 0, max_message, capacity, &ring);
  if (err == 0)
    err = ipc_shm_create_anonymous(&segment, IPC_SHM_CHANNEL_HEADER + ring, 0);
  if (err != 0)
    return err;
  return lay_out(out, segment, ring, max_message, flags, new_id(segment));
}

int ipc_shm_channel_open(ipc_shm_channel_t **out, const char *name, unsigned flags) {
  ipc_shm_t *segment;
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (side_of(flags) < 0 ||
      (flags & ~(IPC_SHM_CHANNEL_SENDER | IPC_SHM_CHANNEL_RECEIVER | IPC_SHM_GLOBAL)) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = ipc_shm_open(&segment, name, flags & IPC_SHM_GLOBAL);
  if (err != 0)
    return err;
  return attach(out, segment, side_of(flags), NULL);
}

int ipc_shm_channel_attach(ipc_shm_channel_t **out, const ipc_shm_t *segment,
                           unsigned flags) {
  ipc_shm_token_t token;
  ipc_shm_native_t copy;
  struct ipc_shm *own = NULL;
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (segment == NULL || side_of(flags) < 0 ||
      (flags & ~(IPC_SHM_CHANNEL_SENDER | IPC_SHM_CHANNEL_RECEIVER)) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  if (!segment->writable)
    return ipc_shm__fail_arg(IPC_SHM_E_ACCESS);
  /* The channel keeps a handle of its own: a copy, adopted as a segment. */
  memset(&token, 0, sizeof(token));
  err = ipc_shm__os_copy(segment, 1, 0, &copy, &token);
  if (err != 0)
    return err;
  token.object = IPC_SHM__OBJECT_SEGMENT;
  err = ipc_shm__adopt(&own, copy, &token, 0, IPC_SHM__OBJECT_SEGMENT);
  if (err != 0) {
    (void)ipc_shm__os_close_handle(copy);
    return err;
  }
  return attach(out, own, side_of(flags), NULL);
}

const ipc_shm_t *ipc_shm_channel_segment(const ipc_shm_channel_t *ch) {
  return ch != NULL ? ch->segment : NULL;
}

size_t ipc_shm_channel_max_message(const ipc_shm_channel_t *ch) {
  return ch != NULL ? (size_t)ch->max_message : 0;
}

int ipc_shm_channel_close(ipc_shm_channel_t *ch) {
  uint64_t *peer;
  int other, err, freed;
  if (ch == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  /* Leave the role, and wake the peer so that it hears at once. */
  peer = &ch->header->peers[ch->side];
  (void)IPC_SHM__CAS64(peer, ch->self, (uint64_t)PEER_LEFT);
  other = 1 - ch->side;
  IPC_SHM__ADD32(&ch->header->words[other], 1u);
  err = ipc_shm__os_channel_wake(ch, other, &ch->header->words[other]);
  ipc_shm__os_channel_close_wakers(ch);
  freed = free_channel(ch);
  return err != 0 ? err : freed;
}

/* ---- Waiting ---- */

/* Is the peer gone: it left, or its process ended? A receiver has nothing
 * more to wait for once its sender left; a sender that has not seen a
 * receiver yet fills the ring for the one to come. */
int ipc_shm__channel_peer_gone(struct ipc_shm_channel *ch, int ask_system) {
  uint64_t peer = IPC_SHM__LOAD64(&ch->header->peers[1 - ch->side]);
  if (peer > PEER_LEFT) {
    ch->peer_seen = 1;
    return ask_system && !ipc_shm__os_process_alive(peer);
  }
  if (peer == PEER_LEFT)
    return ch->side == IPC_SHM__CHANNEL_RECEIVER || ch->peer_seen;
  return 0;
}

/* Wait until ready(ch, spinning) says yes: spin, looking less and less
 * often, then sleep flagged as waiting; give up at the deadline or when the
 * peer is gone. */
int ipc_shm__channel_wait_until(struct ipc_shm_channel *ch,
                                int (*ready)(struct ipc_shm_channel *, int spinning),
                                int64_t timeout_ms) {
  channel_header_t *h = ch->header;
  int64_t deadline, spin_until = 0;
  unsigned round, pauses = 1, i;
  int checked_at_slice = 0;
  for (round = 0;; round++) {
    if (ready(ch, round != 0))
      return 0;
    if (timeout_ms == 0)
      break;
    /* The clock is read now and then: it costs more than a look. */
    if ((round & 15) == 0) {
      int64_t now = ipc_shm__os_now_ns();
      if (spin_until == 0)
        spin_until = now + SPIN_NS;
      else if (now >= spin_until)
        break;
    }
    /* Looks further apart the longer the wait: each look takes the line
     * the peer writes away from it. */
    for (i = 0; i < pauses; i++)
      cpu_relax();
    if (pauses < SPIN_PAUSES_MAX)
      pauses <<= 1;
  }
  if (timeout_ms == 0)
    return ipc_shm__channel_peer_gone(ch, 1) ? ipc_shm__fail_arg(IPC_SHM_E_DISCONNECTED)
                            : ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
  deadline = deadline_of(timeout_ms);
  for (;;) {
    uint32_t word = IPC_SHM__LOAD32(&h->words[ch->side]);
    int64_t left, pause;
    int slept;
    IPC_SHM__STORE32(&h->waiting[ch->side], 1u);
    if (ready(ch, 0)) {
      IPC_SHM__STORE32(&h->waiting[ch->side], 0u);
      return 0;
    }
    if (ipc_shm__channel_peer_gone(ch, checked_at_slice)) {
      IPC_SHM__STORE32(&h->waiting[ch->side], 0u);
      /* A receiver takes what was committed before the sender went. */
      return ready(ch, 0) ? 0 : ipc_shm__fail_arg(IPC_SHM_E_DISCONNECTED);
    }
    left = deadline == INT64_MAX ? INT64_MAX : deadline - ipc_shm__os_now_ns();
    if (left <= 0) {
      IPC_SHM__STORE32(&h->waiting[ch->side], 0u);
      return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
    }
    pause = left < SLICE_NS ? left : SLICE_NS;
    slept = ipc_shm__os_channel_sleep(ch, ch->side, &h->words[ch->side], word, pause);
    IPC_SHM__STORE32(&h->waiting[ch->side], 0u);
    if (slept < 0)
      return slept;
    checked_at_slice = slept == 1;
  }
}

/* Wake the other side if it sleeps (or is about to), once: taking its flag
 * spares the next messages a system call each while it wakes up. */
int ipc_shm__channel_wake_other(struct ipc_shm_channel *ch) {
  int other = 1 - ch->side;
  if (IPC_SHM__LOAD32(&ch->header->waiting[other]) == 0 ||
      IPC_SHM__XCHG32(&ch->header->waiting[other], 0u) == 0)
    return 0;
  IPC_SHM__ADD32(&ch->header->words[other], 1u);
  return ipc_shm__os_channel_wake(ch, other, &ch->header->words[other]);
}

