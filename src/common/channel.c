/* SPDX-License-Identifier: MIT */
/* Channels: one sender, one receiver, and a ring of records in a segment.
 * Everything but sleeping, waking and asking whether a peer is still
 * attached is portable: making and attaching channels, and waiting, are
 * here; the records, sending and receiving are in ring.c.
 *
 * The control area (layout 1) is the first IPC_SHM_CHANNEL_HEADER bytes of
 * the segment; the ring follows. Every value read from it is checked
 * before use, since the peer can write there: the sizes are read once, at
 * attach, and a record or index that could not have been written by a
 * well-behaved peer is CORRUPT, never a read or write outside the ring.
 * The sender publishes a record by advancing write_index after writing it;
 * the receiver hands its room back by advancing read_index. Both indices
 * only grow, by multiples of 8; their difference is what the ring holds. */
#include "channel_internal.h"
#include "control.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

uint64_t ipc_shm__channel_magic(void) {
  uint64_t magic;
  memcpy(&magic, IPC_SHM__CH_MAGIC_TEXT, sizeof(magic));
  return magic;
}

static uint64_t ring_for(uint64_t max_message, uint64_t capacity) {
  uint64_t need = 2 * (IPC_SHM__CH_RECORD + ipc_shm__round_record(max_message));
  uint64_t ring = IPC_SHM__CH_RING_MIN;
  if (capacity < need)
    capacity = need;
  while (ring < capacity)
    ring <<= 1;
  return ring;
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

/* 1 if an index (bytes ever moved) can be the position of a record. */
static int index_ok(uint64_t index) { return (index & (IPC_SHM__CH_RECORD - 1)) == 0; }

/* What a control area says, once checked. */
typedef struct header_values {
  uint64_t capacity, max_message, written, read;
} header_values_t;

/* Check the control area of a segment of `segment_size` bytes and read its
 * sizes and indices once. */
static int check_header(const ipc_shm__channel_header_t *h, uint64_t segment_size,
                        int wait_for_creator, header_values_t *v) {
  if (ipc_shm__control_magic(&h->magic, wait_for_creator) != ipc_shm__channel_magic())
    return ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  if (ipc_shm__load_relaxed32(&h->layout) != IPC_SHM__CH_LAYOUT ||
      ipc_shm__load_relaxed32(&h->header_size) != IPC_SHM_CHANNEL_HEADER)
    return ipc_shm__fail_arg(IPC_SHM_E_VERSION);
  v->capacity = ipc_shm__load_relaxed64(&h->capacity);
  v->max_message = ipc_shm__load_relaxed64(&h->max_message);
  /* Twice the largest record must fit: max_message <= capacity/2 - 8
   * (capacity/2 - 8 is a multiple of 8, so its record does too), written
   * so that no huge value wraps around. */
  if (v->capacity < IPC_SHM__CH_RING_MIN || v->capacity > IPC_SHM__CH_RING_MAX ||
      (v->capacity & (v->capacity - 1)) != 0 ||
      v->capacity > segment_size - IPC_SHM_CHANNEL_HEADER || v->max_message == 0 ||
      v->max_message > IPC_SHM__CH_MESSAGE_MAX ||
      v->max_message > v->capacity / 2 - IPC_SHM__CH_RECORD)
    return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
  v->written = ipc_shm__load_acquire64(&h->write_index);
  v->read = ipc_shm__load_acquire64(&h->read_index);
  if (!index_ok(v->written) || !index_ok(v->read) || v->written - v->read > v->capacity)
    return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
  return 0;
}

/* Check the control area; keep its sizes and take this side's position
 * from the indices. */
static int read_header(struct ipc_shm_channel *ch, int wait_for_creator) {
  header_values_t v = {0, 0, 0, 0};
  int err = check_header(ch->header, ipc_shm_size(ch->segment), wait_for_creator, &v);
  if (err != 0)
    return err;
  ch->capacity = v.capacity;
  ch->max_message = v.max_message;
  /* Where this side goes on: a new sender after the last committed
   * record, a new receiver at the first record not released. */
  ch->position = ch->side == IPC_SHM__CHANNEL_SENDER ? v.written : v.read;
  ch->other_index = ch->side == IPC_SHM__CHANNEL_SENDER ? v.read : v.written;
  return 0;
}

/* Release the view and the segment; the first error, if any. */
static int free_channel(struct ipc_shm_channel *ch) {
  int err = ipc_shm__control_release(ch->view, ch->segment);
  free(ch);
  return err;
}

/* What a new channel's control area says. */
typedef struct new_layout {
  uint64_t capacity, max_message, id;
  unsigned flags;
} new_layout_t;

/* Write a new channel's control area (the segment is all zero). */
static void write_header(ipc_shm__channel_header_t *h, const new_layout_t *layout) {
  h->layout = IPC_SHM__CH_LAYOUT;
  h->header_size = IPC_SHM_CHANNEL_HEADER;
  h->capacity = layout->capacity;
  h->max_message = layout->max_message;
  h->id = layout->id;
  h->flags = (layout->flags & IPC_SHM_GLOBAL) ? IPC_SHM__CH_FLAG_GLOBAL : 0u;
  /* The magic last: an attacher that sees it sees the rest. */
  ipc_shm__store_release64(&h->magic, ipc_shm__channel_magic());
}

/* Attach to the channel in `segment`, which becomes the channel's; with a
 * `layout`, lay a new channel out first. `opened`: the segment was opened
 * by name, and its creator may still be writing the control area. */
static int attach(ipc_shm_channel_t **out, ipc_shm_t *segment, int side,
                  const new_layout_t *layout, int opened) {
  struct ipc_shm_channel *ch = (struct ipc_shm_channel *)calloc(1, sizeof(*ch));
  int err, begun = 0;
  if (ch == NULL) {
    (void)ipc_shm_close(segment);
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  }
  ch->segment = segment;
  ch->side = side;
  ipc_shm__spin_init(&ch->spin);
  ipc_shm__verdict_init(&ch->verdict);
  if (!ipc_shm_is_writable(segment)) {
    (void)free_channel(ch);
    return ipc_shm__fail_arg(IPC_SHM_E_ACCESS);
  }
  err = ipc_shm__os_self_process(&ch->self);
  if (err != 0) {
    (void)free_channel(ch);
    return err;
  }
  /* Too small for a control area (an object never sized, say): not a
   * channel. */
  if (ipc_shm_size(segment) < IPC_SHM_CHANNEL_HEADER + IPC_SHM__CH_RING_MIN) {
    (void)free_channel(ch);
    return ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  }
  err = ipc_shm_map(&ch->view, segment, 0, 0, IPC_SHM_MAP_WRITE);
  if (err == 0) {
    ch->header = (ipc_shm__channel_header_t *)ipc_shm_view_data(ch->view);
    ch->ring = (unsigned char *)ch->header + IPC_SHM_CHANNEL_HEADER;
    if (layout != NULL)
      write_header(ch->header, layout);
    err = read_header(ch, opened);
  }
  if (err == 0) {
    err = ipc_shm__os_channel_begin(
        ch, ipc_shm__load_relaxed64(&ch->header->id),
        (ipc_shm__load_relaxed32(&ch->header->flags) & IPC_SHM__CH_FLAG_GLOBAL) != 0);
    begun = err == 0;
  }
  if (err == 0)
    /* The role is this side's now: read the indices again, since a
     * previous holder may have moved them meanwhile. */
    err = read_header(ch, 0);
  if (err != 0) {
    if (begun) {
      ipc_shm__store_seq_cst64(&ch->header->peers[side], IPC_SHM__CH_PEER_LEFT);
      ipc_shm__os_channel_end(ch);
    }
    (void)free_channel(ch);
    return err;
  }
  /* Whether a peer ever came: the other role's attachments from now on. */
  ch->peer_attaches = ipc_shm__load_seq_cst32(&ch->header->attaches[1 - side]);
  ch->peer_seen = ipc_shm__load_acquire64(&ch->header->peers[1 - side]) > IPC_SHM__CH_PEER_LEFT;
  (void)ipc_shm__fetch_add_seq_cst32(&ch->header->attaches[side], 1u);
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
  return attach(out, segment, side_of(flags), &layout, 0);
}

static int check_sizes(size_t max_message, size_t capacity, uint64_t *ring) {
  /* The ring must fit the address space as well as the checks, and a
   * record's length field the message. */
  const uint64_t address_space = (uint64_t)SIZE_MAX / 2;
  const uint64_t limit = address_space < IPC_SHM__CH_RING_MAX ? address_space
                                                              : IPC_SHM__CH_RING_MAX;
  uint64_t largest = max_message, asked = capacity;
  if (largest == 0 || largest > IPC_SHM__CH_MESSAGE_MAX || largest > limit / 4 ||
      asked > limit)
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
  err = lay_out(out, segment, ring, max_message, flags, ipc_shm__control_new_id(segment));
  if (err != 0)
    err = ipc_shm__control_unname(name, flags & IPC_SHM_GLOBAL, err);
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
  return lay_out(out, segment, ring, max_message, flags, ipc_shm__control_new_id(segment));
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
  return attach(out, segment, side_of(flags), NULL, 1);
}

int ipc_shm_channel_attach(ipc_shm_channel_t **out, const ipc_shm_t *segment,
                           unsigned flags) {
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
  /* The channel keeps a handle of its own. */
  err = ipc_shm__control_own_copy(segment, &own);
  if (err != 0)
    return err;
  return attach(out, own, side_of(flags), NULL, 0);
}

const ipc_shm_t *ipc_shm_channel_segment(const ipc_shm_channel_t *ch) {
  return ch != NULL ? ch->segment : NULL;
}

size_t ipc_shm_channel_max_message(const ipc_shm_channel_t *ch) {
  return ch != NULL ? (size_t)ch->max_message : 0;
}

int ipc_shm_channel_close(ipc_shm_channel_t *ch) {
  uint64_t self;
  int other, err;
  if (ch == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  /* Leave the role, and wake the peer so that it hears at once. */
  self = ch->self;
  (void)ipc_shm__cas_seq_cst64(&ch->header->peers[ch->side], &self, IPC_SHM__CH_PEER_LEFT);
  other = 1 - ch->side;
  (void)ipc_shm__fetch_add_seq_cst32(&ch->header->words[other], 1u);
  err = ipc_shm__os_channel_wake(ch, other, &ch->header->words[other]);
  ipc_shm__os_channel_end(ch);
  {
    int freed = free_channel(ch);
    return err != 0 ? err : freed;
  }
}

/* ---- Waiting ---- */

int ipc_shm__channel_peer_gone_slow(struct ipc_shm_channel *ch, uint64_t peer, int ask) {
  ipc_shm__channel_header_t *h = ch->header;
  int other = 1 - ch->side, alive;
  if (peer == IPC_SHM__CH_PEER_NONE)
    return 0; /* none yet: one may come */
  if (peer == IPC_SHM__CH_PEER_LEFT) {
    /* A receiver that came and went between two of this sender's calls
     * was seen too. */
    if (!ch->peer_seen &&
        ipc_shm__load_seq_cst32(&h->attaches[other]) != ch->peer_attaches)
      ch->peer_seen = 1;
    return ch->side == IPC_SHM__CHANNEL_RECEIVER || ch->peer_seen;
  }
  /* The cached verdict was looked at (ipc_shm__channel_peer_gone()): ask. */
  (void)ask;
  ch->peer_seen = 1;
  alive = ipc_shm__os_channel_peer_alive(ch, peer);
  ipc_shm__verdict_set(&ch->verdict, ipc_shm__channel_peer_key(ch, peer), ch->other_index, alive);
  return !alive;
}

int ipc_shm__channel_wait_until(struct ipc_shm_channel *ch, int (*ready)(void *ch, int spinning),
                                int64_t timeout_ms) {
  ipc_shm__channel_header_t *h = ch->header;
  int side = ch->side, ask = 0;
  int64_t deadline;
  if (ready(ch, 0))
    return 0;
  if (ipc_shm__channel_peer_gone(ch, 0))
    /* A receiver takes what was committed before the sender went. */
    return ready(ch, 0) ? 0 : ipc_shm__fail_arg(IPC_SHM_E_DISCONNECTED);
  if (timeout_ms == 0)
    return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
  deadline = ipc_shm__deadline_of(timeout_ms);
  ch->one_cpu = ipc_shm__cpus_usable() < 2;
  if (ipc_shm__spin(&ch->spin, ready, ch, deadline))
    return 0;
  for (;;) {
    uint32_t word = ipc_shm__load_seq_cst32(&h->words[side]);
    int64_t left;
    int slept;
    ipc_shm__store_seq_cst32(&h->waiting[side], 1u);
    if (ready(ch, 0))
      break;
    if (ipc_shm__channel_peer_gone(ch, ask)) {
      ipc_shm__store_seq_cst32(&h->waiting[side], 0u);
      return ready(ch, 0) ? 0 : ipc_shm__fail_arg(IPC_SHM_E_DISCONNECTED);
    }
    left = ipc_shm__ns_left(deadline);
    if (left <= 0) {
      ipc_shm__store_seq_cst32(&h->waiting[side], 0u);
      return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
    }
    slept = ipc_shm__os_channel_sleep(ch, side, &h->words[side], word, left);
    ipc_shm__store_seq_cst32(&h->waiting[side], 0u);
    if (slept < 0)
      return slept;
    /* After a slice (a sleeper that a death cannot wake looks after each),
     * or a death that woke it, the system is asked. */
    ask = slept != 0;
  }
  ipc_shm__store_seq_cst32(&h->waiting[side], 0u);
  ipc_shm__spin_failed(&ch->spin);
  return 0;
}

int ipc_shm__channel_wake_other(struct ipc_shm_channel *ch) {
  int other = 1 - ch->side;
  /* Taking the flag spares the next messages a system call each while the
   * other side wakes up. */
  if (ipc_shm__load_seq_cst32(&ch->header->waiting[other]) == 0 ||
      ipc_shm__exchange_seq_cst32(&ch->header->waiting[other], 0u) == 0)
    return 0;
  (void)ipc_shm__fetch_add_seq_cst32(&ch->header->words[other], 1u);
  return ipc_shm__os_channel_wake(ch, other, &ch->header->words[other]);
}

/* ---- A look from outside ---- */

static ipc_shm_peer_state_t role_state(const ipc_shm_t *segment, int side, uint64_t peer) {
  if (peer == IPC_SHM__CH_PEER_NONE)
    return IPC_SHM_PEER_NONE;
  if (peer == IPC_SHM__CH_PEER_LEFT)
    return IPC_SHM_PEER_LEFT;
  return ipc_shm__os_channel_role_alive(segment, side, peer) ? IPC_SHM_PEER_ALIVE
                                                             : IPC_SHM_PEER_DEAD;
}

int ipc_shm_channel_status(const ipc_shm_t *segment, ipc_shm_channel_status_t *status) {
  ipc_shm_view_t *view;
  const ipc_shm__channel_header_t *h;
  header_values_t v = {0, 0, 0, 0};
  uint64_t sender, receiver;
  int err;
  if (segment == NULL || status == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  memset(status, 0, sizeof(*status));
  if (ipc_shm_size(segment) < IPC_SHM_CHANNEL_HEADER + IPC_SHM__CH_RING_MIN)
    return ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  err = ipc_shm_map(&view, segment, 0, IPC_SHM_CHANNEL_HEADER, IPC_SHM_MAP_READ);
  if (err != 0)
    return err;
  h = (const ipc_shm__channel_header_t *)ipc_shm_view_data(view);
  err = check_header(h, ipc_shm_size(segment), 0, &v);
  if (err == 0) {
    sender = ipc_shm__load_acquire64(&h->peers[IPC_SHM__CHANNEL_SENDER]);
    receiver = ipc_shm__load_acquire64(&h->peers[IPC_SHM__CHANNEL_RECEIVER]);
    status->layout = IPC_SHM__CH_LAYOUT;
    status->capacity = v.capacity;
    status->max_message = v.max_message;
    status->bytes_waiting = v.written - v.read;
    status->sender = role_state(segment, IPC_SHM__CHANNEL_SENDER, sender);
    status->receiver = role_state(segment, IPC_SHM__CHANNEL_RECEIVER, receiver);
    status->sender_pid = sender > IPC_SHM__CH_PEER_LEFT ? (unsigned long)(sender >> 32) : 0;
    status->receiver_pid =
        receiver > IPC_SHM__CH_PEER_LEFT ? (unsigned long)(receiver >> 32) : 0;
  }
  (void)ipc_shm_unmap(view);
  return err;
}
