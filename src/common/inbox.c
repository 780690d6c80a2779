/* SPDX-License-Identifier: MIT */
/* Inboxes: any number of senders (up to 64 at once), one receiver, and a
 * topic's slots and roles put the other way round (topic_internal.h):
 * role 0 is the receiver, roles 1..64 the senders.
 *
 * A sender claims the next slot with a ticket once a slot is free (a
 * sender that finds them full takes no ticket): it raises its line's
 * `waiting` (claiming), takes the ticket by adding one to `published`,
 * stores the ticket plus one as its line's `position`, and lowers
 * `waiting`. It writes the message, its length, then the slot's mark (the
 * ticket plus one, release), and clears its `position` (as it does when it
 * gives up waiting for the slot to be free). The receiver reads
 * tickets in order from its line's `position`: a slot whose mark is its
 * ticket's is delivered (a length of 0 is a reservation dropped, passed
 * over); one that is not yet marked waits while a live sender holds or is
 * claiming a ticket, and is passed over once none does, so a sender
 * killed between reserve and commit never holds the others back and its
 * half-written message is never delivered. Messages of one sender arrive
 * in its order; those of different senders in the order of their tickets.
 *
 * Each value read from the control area is checked: a count of tickets
 * more than the slots and the senders ahead of the receiver is CORRUPT, a
 * length over the largest message is CORRUPT. */
#include "topic_internal.h"

#include "copy.h"

#include <stddef.h>
#include <string.h>

/* How far `published` may run ahead of the receiver: every slot taken,
 * and each sender holding one ticket more while it waits for room. */
static uint64_t tickets_max(const struct ipc_shm_topic *t) {
  return t->slot_count + IPC_SHM__TP_ROLES;
}

static struct ipc_shm_topic *of(ipc_shm_inbox_t *inbox) {
  return inbox != NULL ? &inbox->topic : NULL;
}

int ipc_shm__inbox_begin(struct ipc_shm_topic *t) {
  ipc_shm__topic_role_t *line = ipc_shm__topic_line(t, t->role);
  if (t->role != IPC_SHM__TP_PUBLISHER) {
    /* A sender's line as a new holder: no ticket, not claiming. */
    ipc_shm__store_seq_cst64(&line->position, 0);
    ipc_shm__store_seq_cst32(&line->waiting, 0);
    t->ticket = 0;
    t->known = ipc_shm__load_seq_cst64(
        &ipc_shm__topic_line(t, IPC_SHM__TP_PUBLISHER)->position);
    return 0;
  }
  /* A receiver goes on where the last one left off. */
  t->position = ipc_shm__load_seq_cst64(&line->position);
  t->known = ipc_shm__load_seq_cst64(&t->header->published);
  if (t->known - t->position > tickets_max(t))
    return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
  return 0;
}

/* ---- The receiver ---- */

/* The slot of the receiver's next ticket is marked (or the count is
 * impossible, for the reader to report). */
static int has_delivery(void *arg, int spinning) {
  struct ipc_shm_topic *t = (struct ipc_shm_topic *)arg;
  (void)spinning;
  if (t->known == t->position &&
      (t->known = ipc_shm__load_acquire64(&t->header->published)) == t->position)
    return 0;
  if (t->known - t->position > tickets_max(t))
    return 1;
  return ipc_shm__load_acquire64(ipc_shm__topic_mark(ipc_shm__topic_slot(t, t->position))) ==
         t->position + 1;
}

/* Whether the sender of `role`, whose word holds `peer`, lives: without
 * `ask` a word that names a process counts as alive (a poll makes no
 * system call); with it the system is asked. */
static int sender_alive(struct ipc_shm_topic *t, int role, uint64_t peer, int ask) {
  return peer > IPC_SHM__TP_PEER_LEFT && (!ask || ipc_shm__os_topic_alive(t, role, peer));
}

/* Every sender that came is gone (1); one lives, or none came yet (0). */
static int senders_gone(struct ipc_shm_topic *t, int ask) {
  int role, came = 0;
  for (role = 1; role < IPC_SHM__TP_ROLES; role++) {
    uint64_t peer = ipc_shm__load_acquire64(&ipc_shm__topic_line(t, role)->peer);
    if (peer == IPC_SHM__TP_PEER_NONE)
      continue;
    if (sender_alive(t, role, peer, ask))
      return 0;
    came = 1;
  }
  return came;
}

/* The receiver moves past its ticket and tells senders waiting for room. */
static int move_past(struct ipc_shm_topic *t) {
  t->position++;
  ipc_shm__store_seq_cst64(&ipc_shm__topic_line(t, IPC_SHM__TP_PUBLISHER)->position,
                           t->position);
  return ipc_shm__topic_wake_sleepers(t);
}

int ipc_shm__inbox_unblock(struct ipc_shm_topic *t, int ask) {
  uint64_t wanted = t->position + 1;
  unsigned char *slot;
  int role;
  if (t->known == t->position)
    return senders_gone(t, ask) ? -1 : 0;
  if (t->known - t->position > tickets_max(t))
    return 0; /* the reader reports it */
  /* Its ticket is taken: wait while a live sender holds it or is taking
   * one (which may be it). The claim comes before the ticket, and the
   * ticket before the claim ends: a taker is seen in one state or the
   * other. */
  for (role = 1; role < IPC_SHM__TP_ROLES; role++) {
    ipc_shm__topic_role_t *line = ipc_shm__topic_line(t, role);
    uint64_t peer = ipc_shm__load_acquire64(&line->peer);
    if (peer <= IPC_SHM__TP_PEER_LEFT)
      continue;
    if ((ipc_shm__load_seq_cst32(&line->waiting) != 0 ||
         ipc_shm__load_seq_cst64(&line->position) == wanted) &&
        sender_alive(t, role, peer, ask))
      return 0;
  }
  /* Nobody alive holds it: committed meanwhile, or its sender died. */
  slot = ipc_shm__topic_slot(t, t->position);
  if (ipc_shm__load_acquire64(ipc_shm__topic_mark(slot)) == wanted)
    return 1;
  (void)move_past(t);
  return 1;
}

/* The next message: its slot and length; 1 when there is none yet. */
static int next_delivery(struct ipc_shm_topic *t, unsigned char **slot_out, size_t *size) {
  uint64_t hops;
  for (hops = 0; hops <= tickets_max(t); hops++) {
    unsigned char *slot;
    uint32_t length;
    if (t->known == t->position &&
        (t->known = ipc_shm__load_acquire64(&t->header->published)) == t->position)
      return 1;
    if (t->known - t->position > tickets_max(t))
      return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
    slot = ipc_shm__topic_slot(t, t->position);
    if (ipc_shm__load_acquire64(ipc_shm__topic_mark(slot)) != t->position + 1)
      return 1;
    length = ipc_shm__load_relaxed32(ipc_shm__topic_length(slot));
    if (length == 0) {
      (void)move_past(t); /* a reservation dropped */
      continue;
    }
    if (length > t->max_message)
      return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
    *slot_out = slot;
    *size = length;
    return 0;
  }
  return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
}

static int take(struct ipc_shm_topic *t, int64_t timeout_ms, unsigned char **slot,
                size_t *size) {
  int err;
  if (t == NULL || !t->inbox || t->role != IPC_SHM__TP_PUBLISHER || t->pending != 0 ||
      ipc_shm__check_timeout(timeout_ms) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  do {
    err = ipc_shm__topic_wait(t, has_delivery, timeout_ms);
    if (err == 0)
      err = next_delivery(t, slot, size);
  } while (err == 1);
  return err;
}

int ipc_shm_inbox_peek(ipc_shm_inbox_t *inbox, const void **data, size_t *size,
                       int64_t timeout_ms) {
  struct ipc_shm_topic *t = of(inbox);
  unsigned char *slot = NULL;
  int err;
  if (data == NULL || size == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *data = NULL;
  *size = 0;
  err = take(t, timeout_ms, &slot, size);
  if (err != 0) {
    *size = 0;
    return err;
  }
  t->pending = *size;
  *data = slot + IPC_SHM__TP_SLOT_HEADER;
  return 0;
}

int ipc_shm_inbox_release(ipc_shm_inbox_t *inbox) {
  struct ipc_shm_topic *t = of(inbox);
  if (t == NULL || t->role != IPC_SHM__TP_PUBLISHER || t->pending == 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  t->pending = 0;
  return move_past(t);
}

int ipc_shm_inbox_receive(ipc_shm_inbox_t *inbox, void *buffer, size_t buffer_size,
                          size_t *size, int64_t timeout_ms) {
  struct ipc_shm_topic *t = of(inbox);
  unsigned char *slot = NULL;
  size_t length = 0;
  int err;
  if (size == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *size = 0;
  if (buffer == NULL && buffer_size != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = take(t, timeout_ms, &slot, &length);
  if (err != 0)
    return err;
  *size = length;
  if (length > buffer_size)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL); /* it stays for a larger buffer */
  ipc_shm__channel_copy(buffer, slot + IPC_SHM__TP_SLOT_HEADER, length);
  return move_past(t);
}

/* ---- Senders ---- */

/* Room for this sender's ticket: the receiver has moved past the message
 * its slot held. The receiver's position is loaded again only when the
 * last one seen leaves no room (it only grows). */
static int has_slot(void *arg, int spinning) {
  struct ipc_shm_topic *t = (struct ipc_shm_topic *)arg;
  uint64_t ticket = t->ticket - 1;
  (void)spinning;
  if (ticket - t->known < t->slot_count)
    return 1;
  t->known =
      ipc_shm__load_seq_cst64(&ipc_shm__topic_line(t, IPC_SHM__TP_PUBLISHER)->position);
  return ticket - t->known < t->slot_count;
}

/* Room for the next ticket, before this sender takes it: so that a sender
 * that finds the slots full takes no place it would then let go (only
 * senders racing for the last free slot can take one more each). */
static int has_room_to_claim(void *arg, int spinning) {
  struct ipc_shm_topic *t = (struct ipc_shm_topic *)arg;
  uint64_t next = ipc_shm__load_acquire64(&t->header->published);
  (void)spinning;
  if (next - t->known < t->slot_count)
    return 1;
  t->known =
      ipc_shm__load_seq_cst64(&ipc_shm__topic_line(t, IPC_SHM__TP_PUBLISHER)->position);
  return next - t->known < t->slot_count;
}

int ipc_shm__inbox_ready(struct ipc_shm_topic *t, int ask) {
  if (t->role != IPC_SHM__TP_PUBLISHER) /* (unused: wait_any takes no inbox) */
    return (t->ticket != 0 && has_slot(t, 0)) || ipc_shm__topic_role0_gone(t, ask);
  return has_delivery(t, 0) || ipc_shm__inbox_unblock(t, ask) != 0;
}

/* Take the next ticket (see the top of this file). The claim is published
 * by the ticket's read-modify-write (a receiver that sees the ticket taken
 * sees the claim); the ticket's number by the release that ends the
 * claim. */
static void claim(struct ipc_shm_topic *t) {
  ipc_shm__topic_role_t *line = ipc_shm__topic_line(t, t->role);
  uint64_t ticket;
  ipc_shm__store_relaxed32(&line->waiting, 1u);
  ticket = ipc_shm__fetch_add_seq_cst64(&t->header->published, 1u);
  ipc_shm__store_relaxed64(&line->position, ticket + 1);
  ipc_shm__store_release32(&line->waiting, 0u);
  t->ticket = ticket + 1;
}

int ipc_shm_inbox_reserve(ipc_shm_inbox_t *inbox, size_t size, void **space,
                          int64_t timeout_ms) {
  struct ipc_shm_topic *t = of(inbox);
  int err;
  if (space == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *space = NULL;
  if (t == NULL || t->role == IPC_SHM__TP_PUBLISHER || t->pending != 0 || size == 0 ||
      (uint64_t)size > t->max_message || ipc_shm__check_timeout(timeout_ms) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  /* A receiver that left or died is noticed even while there is room. */
  if (ipc_shm__topic_role0_gone(t, 0))
    return ipc_shm__fail_arg(IPC_SHM_E_DISCONNECTED);
  err = ipc_shm__topic_wait(t, has_room_to_claim, timeout_ms);
  if (err != 0)
    return err;
  claim(t);
  err = ipc_shm__topic_wait(t, has_slot, timeout_ms);
  if (err != 0) {
    /* Given up: the ticket is let go (its slot never written), and the
     * receiver passes it over as one nobody holds. */
    ipc_shm__store_release64(&ipc_shm__topic_line(t, t->role)->position, 0);
    t->ticket = 0;
    return err;
  }
  t->pending = size;
  *space = ipc_shm__topic_slot(t, t->ticket - 1) + IPC_SHM__TP_SLOT_HEADER;
  return 0;
}

int ipc_shm_inbox_commit(ipc_shm_inbox_t *inbox, size_t size) {
  struct ipc_shm_topic *t = of(inbox);
  unsigned char *slot;
  if (t == NULL || t->role == IPC_SHM__TP_PUBLISHER || t->pending == 0 ||
      (uint64_t)size > t->pending)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  t->pending = 0;
  /* A length of 0 drops it: the receiver passes over the ticket. */
  slot = ipc_shm__topic_slot(t, t->ticket - 1);
  ipc_shm__store_relaxed32(ipc_shm__topic_length(slot), (uint32_t)size);
  ipc_shm__store_release64(ipc_shm__topic_mark(slot), t->ticket);
  /* After the mark: a receiver that sees no holder sees the mark. */
  ipc_shm__store_release64(&ipc_shm__topic_line(t, t->role)->position, 0);
  t->ticket = 0;
  return ipc_shm__topic_wake_role0(t);
}

int ipc_shm_inbox_send(ipc_shm_inbox_t *inbox, const void *data, size_t size,
                       int64_t timeout_ms) {
  void *space;
  int err;
  if (data == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = ipc_shm_inbox_reserve(inbox, size, &space, timeout_ms);
  if (err != 0)
    return err;
  ipc_shm__channel_copy(space, data, size);
  return ipc_shm_inbox_commit(inbox, size);
}

/* ---- Making, attaching, closing ---- */

/* The inbox a make or attach gave (NULL after an error), and its error. */
static int out_of(ipc_shm_inbox_t **out, ipc_shm_topic_t *t, int err) {
  *out = err == 0 ? (ipc_shm_inbox_t *)(void *)t : NULL;
  return err;
}

int ipc_shm_inbox_create(ipc_shm_inbox_t **out, const char *name, size_t max_message,
                         size_t slots, unsigned flags) {
  ipc_shm_topic_t *t = NULL;
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = ipc_shm__topic_create(&t, name, max_message, slots, flags, 1); /* before t is read */
  return out_of(out, t, err);
}

int ipc_shm_inbox_create_anonymous(ipc_shm_inbox_t **out, size_t max_message, size_t slots,
                                   unsigned flags) {
  ipc_shm_topic_t *t = NULL;
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = ipc_shm__topic_create_anonymous(&t, max_message, slots, flags, 1); /* before t is read */
  return out_of(out, t, err);
}

int ipc_shm_inbox_open(ipc_shm_inbox_t **out, const char *name, unsigned flags) {
  ipc_shm_topic_t *t = NULL;
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = ipc_shm__topic_open(&t, name, flags, 1); /* before t is read */
  return out_of(out, t, err);
}

int ipc_shm_inbox_attach(ipc_shm_inbox_t **out, const ipc_shm_t *segment, unsigned flags) {
  ipc_shm_topic_t *t = NULL;
  int err;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = ipc_shm__topic_attach(&t, segment, flags, 1); /* before t is read */
  return out_of(out, t, err);
}

const ipc_shm_t *ipc_shm_inbox_segment(const ipc_shm_inbox_t *inbox) {
  return inbox != NULL ? inbox->topic.segment : NULL;
}

size_t ipc_shm_inbox_max_message(const ipc_shm_inbox_t *inbox) {
  return inbox != NULL ? (size_t)inbox->topic.max_message : 0;
}

int ipc_shm_inbox_close(ipc_shm_inbox_t *inbox) {
  /* A sender leaving with a ticket it never filled: its role says LEFT,
   * and the receiver passes the ticket over. */
  return ipc_shm_topic_close(of(inbox));
}
