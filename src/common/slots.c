/* SPDX-License-Identifier: MIT */
/* The messages in a topic's slots: waiting for them (for a topic and an
 * inbox alike), publishing, and subscribing. Making, attaching and closing
 * are in topic.c; the marks' protocol is described there and in object.h. */
#include "copy.h"
#include "topic_internal.h"

#include <stddef.h>
#include <string.h>

/* How many times a subscriber tries to copy a message that an overwriting
 * publisher writes over before it gives up (TIMEOUT). */
#define CATCH_UP_TRIES 1024

/* ---- Waiting ---- */

/* Whether the publisher is gone: it left, or its process ended (a topic
 * whose publisher never came waits for one). The system is asked as the
 * cached verdict ages, or at once with `ask`. */
int ipc_shm__topic_role0_gone(struct ipc_shm_topic *t, int ask) {
  uint64_t peer = ipc_shm__load_acquire64(&ipc_shm__topic_line(t, IPC_SHM__TP_PUBLISHER)->peer);
  int alive;
  if (peer == IPC_SHM__TP_PEER_NONE)
    return 0;
  if (peer == IPC_SHM__TP_PEER_LEFT)
    return 1;
  if (!ask && ipc_shm__verdict_cached(&t->verdict, peer, t->known, &alive))
    return !alive;
  alive = ipc_shm__os_topic_alive(t, IPC_SHM__TP_PUBLISHER, peer);
  ipc_shm__verdict_set(&t->verdict, peer, t->known, alive);
  return !alive;
}

/* A subscriber's readiness: a message it has not read was committed (or
 * the count is impossible, for the reader to report). */
static int has_message(void *arg, int spinning) {
  struct ipc_shm_topic *t = (struct ipc_shm_topic *)arg;
  (void)spinning;
  if (t->known != t->position)
    return 1;
  t->known = ipc_shm__load_acquire64(&t->header->published);
  return t->known != t->position;
}

/* The publisher's readiness: no live subscriber still needs the message
 * that the next one writes over. The subscribers' positions are scanned
 * only when the last scan's slowest would be in the way. A position more
 * than the slots behind, or ahead of the publisher, is not a subscriber
 * it waits for: one that joins stores a position no further back (join()),
 * and one it passed was judged dead. */
static int has_room(void *arg, int spinning) {
  struct ipc_shm_topic *t = (struct ipc_shm_topic *)arg;
  uint64_t slowest = t->position;
  int role;
  (void)spinning;
  if (t->overwrite || t->position - t->known < t->slot_count)
    return 1;
  t->blocker = 0;
  for (role = 1; role < IPC_SHM__TP_ROLES; role++) {
    ipc_shm__topic_role_t *line = ipc_shm__topic_line(t, role);
    uint64_t peer = ipc_shm__load_acquire64(&line->peer), position;
    if (peer <= IPC_SHM__TP_PEER_LEFT)
      continue;
    position = ipc_shm__load_seq_cst64(&line->position);
    if (t->position - position > t->slot_count)
      continue;
    if (t->position - position > t->position - slowest) {
      slowest = position;
      t->blocker = role;
      t->blocker_peer = peer;
    }
  }
  t->known = slowest;
  return t->position - t->known < t->slot_count;
}

/* The publisher is held back by t->blocker: if its holder is gone, free
 * its slot (PEER_LEFT, by CAS from the value judged, so that a new holder
 * is never thrown out) and say so. */
static int drop_dead_blocker(struct ipc_shm_topic *t, int ask) {
  uint64_t peer = t->blocker_peer;
  int alive;
  if (t->blocker == 0)
    return 0;
  /* The verdict is cached as for a channel's peer: a poll that finds no
   * room makes no system call. */
  if (ask || !ipc_shm__verdict_cached(&t->verdict, peer, t->known, &alive)) {
    alive = ipc_shm__os_topic_alive(t, t->blocker, peer);
    ipc_shm__verdict_set(&t->verdict, peer, t->known, alive);
  }
  if (alive)
    return 0;
  (void)ipc_shm__cas_seq_cst64(&ipc_shm__topic_line(t, t->blocker)->peer, &peer, IPC_SHM__TP_PEER_LEFT);
  t->blocker = 0;
  return 1;
}

static void raise_flag(struct ipc_shm_topic *t) {
  if (t->role == IPC_SHM__TP_PUBLISHER)
    ipc_shm__store_seq_cst32(&ipc_shm__topic_line(t, t->role)->waiting, 1u);
  else
    (void)ipc_shm__fetch_or_seq_cst64(&t->header->sleepers, (uint64_t)1 << (t->role - 1));
}

static void lower_flag(struct ipc_shm_topic *t) {
  if (t->role == IPC_SHM__TP_PUBLISHER)
    ipc_shm__store_seq_cst32(&ipc_shm__topic_line(t, t->role)->waiting, 0u);
  else
    (void)ipc_shm__fetch_and_seq_cst64(&t->header->sleepers, ~((uint64_t)1 << (t->role - 1)));
}

/* What role 0 does when it finds itself held back: a topic's publisher
 * frees the slot of a dead subscriber (1: look again); an inbox's receiver
 * passes a ticket whose sender is gone (1), or finds every sender gone
 * (-1). */
static int unblock_role0(struct ipc_shm_topic *t, int ask) {
  return t->inbox ? ipc_shm__inbox_unblock(t, ask) : drop_dead_blocker(t, ask);
}

/* Wait for readiness: spin while it can pay off, then sleep flagged. The
 * other roles give up when role 0 is gone (DISCONNECTED, after what it
 * committed); role 0 unblocks itself where a peer died, and gives up when
 * every peer is gone (an inbox's receiver). */
int ipc_shm__topic_wait(struct ipc_shm_topic *t, int (*ready)(void *, int), int64_t timeout_ms) {
  int subscriber = t->role != IPC_SHM__TP_PUBLISHER, ask = 0, unblocked;
  uint32_t *word = &ipc_shm__topic_line(t, t->role)->word;
  int64_t deadline;
  if (ready(t, 0))
    return 0;
  if (subscriber && ipc_shm__topic_role0_gone(t, 0))
    return ready(t, 0) ? 0 : ipc_shm__fail_arg(IPC_SHM_E_DISCONNECTED);
  if (!subscriber && (unblocked = unblock_role0(t, 0)) != 0) {
    if (ready(t, 0))
      return 0;
    if (unblocked < 0)
      return ipc_shm__fail_arg(IPC_SHM_E_DISCONNECTED);
  }
  if (timeout_ms == 0)
    return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
  deadline = ipc_shm__deadline_of(timeout_ms);
  t->one_cpu = ipc_shm__cpus_usable() < 2;
  if (ipc_shm__spin(&t->spin, ready, t, deadline))
    return 0;
  for (;;) {
    uint32_t seen = ipc_shm__load_seq_cst32(word);
    int watch = subscriber ? IPC_SHM__TP_PUBLISHER : (t->blocker != 0 ? t->blocker : -1);
    uint64_t watch_peer =
        watch >= 0 ? ipc_shm__load_acquire64(&ipc_shm__topic_line(t, watch)->peer) : 0;
    int64_t left;
    int slept;
    raise_flag(t);
    if (ready(t, 0))
      break;
    if (subscriber && ipc_shm__topic_role0_gone(t, ask)) {
      lower_flag(t);
      return ready(t, 0) ? 0 : ipc_shm__fail_arg(IPC_SHM_E_DISCONNECTED);
    }
    if (!subscriber && (unblocked = unblock_role0(t, ask)) != 0) {
      lower_flag(t);
      if (unblocked < 0)
        return ready(t, 0) ? 0 : ipc_shm__fail_arg(IPC_SHM_E_DISCONNECTED);
      ask = 0;
      continue;
    }
    left = ipc_shm__ns_left(deadline);
    if (left <= 0) {
      lower_flag(t);
      return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
    }
    slept = ipc_shm__os_topic_sleep(t, word, seen, left, watch,
                                    watch_peer > IPC_SHM__TP_PEER_LEFT ? watch_peer : 0);
    lower_flag(t);
    if (slept < 0)
      return slept;
    ask = slept != 0;
  }
  lower_flag(t);
  ipc_shm__spin_failed(&t->spin);
  return 0;
}

/* ---- Waiting on several objects ---- */

int ipc_shm__topic_ready(struct ipc_shm_topic *t, int ask) {
  if (t->inbox)
    return ipc_shm__inbox_ready(t, ask);
  if (t->role != IPC_SHM__TP_PUBLISHER)
    return has_message(t, 0) || ipc_shm__topic_role0_gone(t, ask);
  return has_room(t, 0) || (drop_dead_blocker(t, ask) && has_room(t, 0));
}

void ipc_shm__topic_arm(struct ipc_shm_topic *t, int on, uint32_t **word, uint32_t *seen) {
  if (!on) {
    lower_flag(t);
    return;
  }
  *word = &ipc_shm__topic_line(t, t->role)->word;
  *seen = ipc_shm__load_seq_cst32(*word);
  raise_flag(t);
}

/* ---- Publishing ---- */

int ipc_shm_topic_reserve(ipc_shm_topic_t *t, size_t size, void **space, int64_t timeout_ms) {
  unsigned char *slot;
  int err;
  if (space == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *space = NULL;
  if (t == NULL || t->role != IPC_SHM__TP_PUBLISHER || t->pending != 0 || size == 0 ||
      (uint64_t)size > t->max_message || ipc_shm__check_timeout(timeout_ms) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = ipc_shm__topic_wait(t, has_room, timeout_ms);
  if (err != 0)
    return err;
  slot = ipc_shm__topic_slot(t, t->position);
  /* Readers of the message there learn it is being written over. */
  ipc_shm__store_relaxed64(ipc_shm__topic_mark(slot), (t->position + 1) | IPC_SHM__TP_WRITING);
  ipc_shm__fence_release();
  t->pending = size;
  *space = slot + IPC_SHM__TP_SLOT_HEADER;
  return 0;
}

int ipc_shm_topic_commit(ipc_shm_topic_t *t, size_t size) {
  unsigned char *slot;
  if (t == NULL || t->role != IPC_SHM__TP_PUBLISHER || t->pending == 0 ||
      (uint64_t)size > t->pending)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  t->pending = 0;
  if (size == 0)
    return 0; /* dropped: the slot stays marked as being written */
  slot = ipc_shm__topic_slot(t, t->position);
  ipc_shm__store_relaxed32(ipc_shm__topic_length(slot), (uint32_t)size);
  ipc_shm__store_release64(ipc_shm__topic_mark(slot), t->position + 1);
  t->position++;
  /* seq_cst: the count is published, then the sleepers are looked at. */
  ipc_shm__store_seq_cst64(&t->header->published, t->position);
  return ipc_shm__topic_wake_sleepers(t);
}

int ipc_shm_topic_publish(ipc_shm_topic_t *t, const void *data, size_t size,
                          int64_t timeout_ms) {
  void *space;
  int err;
  if (data == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  err = ipc_shm_topic_reserve(t, size, &space, timeout_ms);
  if (err != 0)
    return err;
  ipc_shm__channel_copy(space, data, size);
  return ipc_shm_topic_commit(t, size);
}

/* ---- Subscribing ---- */

static int check_subscriber(const struct ipc_shm_topic *t, int64_t timeout_ms) {
  if (t == NULL || t->role == IPC_SHM__TP_PUBLISHER || t->pending != 0 ||
      ipc_shm__check_timeout(timeout_ms) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return 0;
}

/* Count message t->position as lost and move past it. */
static void lose_one(struct ipc_shm_topic *t) {
  t->lost++;
  t->position++;
}

/* Find the next message that is there to read (has_message said one was
 * committed): its slot, length and mark. Messages written over are counted
 * as lost and skipped; 1 when every one there was lost. */
static int find_message(struct ipc_shm_topic *t, unsigned char **slot_out, size_t *size,
                        uint64_t *mark) {
  int tries;
  for (tries = 0; tries < CATCH_UP_TRIES; tries++) {
    uint64_t behind, seen, expected = t->position + 1;
    unsigned char *slot;
    uint32_t length;
    if (t->known == t->position &&
        (t->known = ipc_shm__load_acquire64(&t->header->published)) == t->position)
      return 1; /* what there was is lost: nothing newer yet */
    behind = t->known - t->position;
    if (behind > ((uint64_t)1 << 62))
      return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT); /* the count went back */
    if (behind > t->slot_count) {
      /* Fell behind by more than the slots: go on at the oldest kept. */
      t->lost += behind - t->slot_count;
      t->position = t->known - t->slot_count;
      expected = t->position + 1;
    }
    slot = ipc_shm__topic_slot(t, t->position);
    seen = ipc_shm__load_acquire64(ipc_shm__topic_mark(slot));
    if (seen == expected) {
      length = ipc_shm__load_relaxed32(ipc_shm__topic_length(slot));
      if (length != 0 && length <= t->max_message) {
        *slot_out = slot;
        *size = length;
        *mark = seen;
        return 0;
      }
      ipc_shm__fence_acquire();
      if (ipc_shm__load_relaxed64(ipc_shm__topic_mark(slot)) == seen)
        return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
      lose_one(t);
      continue;
    }
    /* A later message of this slot (being) written there: this one is
     * lost. Anything else no publisher writes. */
    seen &= ~IPC_SHM__TP_WRITING;
    if (seen > expected && ((seen - expected) & (t->slot_count - 1)) == 0) {
      lose_one(t);
      continue;
    }
    return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
  }
  return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
}

/* The message at t->position was read: move on, and tell a publisher that
 * waits for room once half the slots are free of what this subscriber has
 * to read: it then fills them in one go rather than a slot per wake-up (as
 * a channel's sender). */
static int move_on(struct ipc_shm_topic *t) {
  uint64_t unread;
  t->position++;
  /* seq_cst: the position is published, then the publisher's flag is
   * loaded (see object.h). */
  ipc_shm__store_seq_cst64(&ipc_shm__topic_line(t, t->role)->position, t->position);
  if (ipc_shm__load_seq_cst32(&ipc_shm__topic_line(t, IPC_SHM__TP_PUBLISHER)->waiting) == 0)
    return 0;
  unread = ipc_shm__load_acquire64(&t->header->published) - t->position;
  if (unread > t->slot_count / 2 && unread <= t->slot_count)
    return 0;
  return ipc_shm__topic_wake_role0(t);
}

static uint64_t take_lost(struct ipc_shm_topic *t) {
  uint64_t lost = t->lost;
  t->lost = 0;
  return lost;
}

int ipc_shm_topic_peek(ipc_shm_topic_t *t, const void **data, size_t *size, uint64_t *lost,
                       int64_t timeout_ms) {
  unsigned char *slot;
  uint64_t mark;
  int err;
  if (data == NULL || size == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *data = NULL;
  *size = 0;
  if (lost != NULL)
    *lost = 0;
  err = check_subscriber(t, timeout_ms);
  while (err == 0) {
    err = ipc_shm__topic_wait(t, has_message, timeout_ms);
    if (err == 0)
      err = find_message(t, &slot, size, &mark);
    if (err != 1)
      break;
    err = 0; /* every one there was lost: wait for the next */
  }
  if (err != 0) {
    *size = 0;
    return err;
  }
  t->pending = *size;
  t->pending_mark = mark;
  *data = slot + IPC_SHM__TP_SLOT_HEADER;
  if (lost != NULL)
    *lost = take_lost(t);
  return 0;
}

int ipc_shm_topic_release(ipc_shm_topic_t *t) {
  uint64_t mark;
  if (t == NULL || t->role == IPC_SHM__TP_PUBLISHER || t->pending == 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  t->pending = 0;
  ipc_shm__fence_acquire();
  mark = ipc_shm__load_relaxed64(ipc_shm__topic_mark(ipc_shm__topic_slot(t, t->position)));
  if (mark != t->pending_mark) {
    t->lost++;
    (void)move_on(t);
    return ipc_shm__fail_arg(IPC_SHM_E_OVERWRITTEN);
  }
  return move_on(t);
}

int ipc_shm_topic_receive(ipc_shm_topic_t *t, void *buffer, size_t buffer_size, size_t *size,
                          uint64_t *lost, int64_t timeout_ms) {
  int err;
  if (buffer == NULL || size == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *size = 0;
  if (lost != NULL)
    *lost = 0;
  err = check_subscriber(t, timeout_ms);
  while (err == 0) {
    unsigned char *slot;
    uint64_t mark;
    size_t length;
    err = ipc_shm__topic_wait(t, has_message, timeout_ms);
    if (err == 0)
      err = find_message(t, &slot, &length, &mark);
    if (err == 1) {
      err = 0; /* every one there was lost: wait for the next */
      continue;
    }
    if (err != 0)
      break;
    if (length > buffer_size) {
      *size = length;
      return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
    }
    ipc_shm__channel_copy(buffer, slot + IPC_SHM__TP_SLOT_HEADER, length);
    ipc_shm__fence_acquire();
    if (ipc_shm__load_relaxed64(ipc_shm__topic_mark(slot)) != mark) {
      lose_one(t); /* written over while it was copied */
      continue;
    }
    *size = length;
    if (lost != NULL)
      *lost = take_lost(t);
    return move_on(t);
  }
  return err;
}
