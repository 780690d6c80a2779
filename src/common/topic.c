/* SPDX-License-Identifier: MIT */
/* Topics: one publisher, up to 64 subscribers, and a fixed number of
 * message slots in a segment: their control area, making, attaching and
 * closing here; waiting, publishing and subscribing in slots.c. Everything
 * but sleeping, waking and asking whether a role's holder lives is
 * portable.
 *
 * Message n (counted from 0) goes into slot n mod slot_count. The
 * publisher counts what it committed in `published`; each subscriber keeps
 * the number of the next message it reads in its role's `position`. A
 * blocking publisher writes message n only once no live subscriber still
 * needs message n - slot_count; an overwriting one never waits. Either way
 * every slot carries a mark (the number of its message plus one, with the
 * WRITING bit while it is written), which a reader checks before and after
 * it reads: what the publisher wrote over meanwhile is lost, never torn.
 *
 * Every value read from the control area is checked before use: sizes
 * once, at attach (then kept here); marks, lengths, positions and counts at
 * each use. A value a well-behaved peer cannot have written is CORRUPT (or
 * a subscriber position the publisher ignores), never an access outside
 * the slots. */
#include "control.h"
#include "topic_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The magic of a topic's control area, or an inbox's. */
static uint64_t topic_magic(int inbox) {
  uint64_t magic;
  memcpy(&magic, inbox ? IPC_SHM__IB_MAGIC_TEXT : IPC_SHM__TP_MAGIC_TEXT, sizeof(magic));
  return magic;
}

static uint64_t slot_size_for(uint64_t max_message) {
  return (IPC_SHM__TP_SLOT_HEADER + max_message + 63u) & ~(uint64_t)63u;
}

static int role_of(unsigned flags) {
  unsigned roles = flags & (IPC_SHM_TOPIC_PUBLISHER | IPC_SHM_TOPIC_SUBSCRIBER);
  if (roles == IPC_SHM_TOPIC_PUBLISHER)
    return IPC_SHM__TP_PUBLISHER;
  if (roles == IPC_SHM_TOPIC_SUBSCRIBER)
    return 1;
  return -1;
}

/* ---- The control area ---- */

typedef struct topic_values {
  uint64_t slot_count, slot_size, max_message;
  uint32_t flags;
} topic_values_t;

static int check_header(const ipc_shm__topic_header_t *h, uint64_t segment_size,
                        int wait_for_creator, int inbox, topic_values_t *v) {
  if (ipc_shm__control_magic(&h->magic, wait_for_creator) != topic_magic(inbox))
    return ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  if (ipc_shm__load_relaxed32(&h->layout) != IPC_SHM__TP_LAYOUT ||
      ipc_shm__load_relaxed32(&h->header_size) != IPC_SHM_TOPIC_HEADER)
    return ipc_shm__fail_arg(IPC_SHM_E_VERSION);
  v->slot_count = ipc_shm__load_relaxed64(&h->slot_count);
  v->slot_size = ipc_shm__load_relaxed64(&h->slot_size);
  v->max_message = ipc_shm__load_relaxed64(&h->max_message);
  v->flags = ipc_shm__load_relaxed32(&h->flags);
  /* Written so that no huge value wraps: the slots must fit the segment
   * and each slot its largest message. */
  if (v->slot_count < 2 || v->slot_count > IPC_SHM__TP_SLOTS_MAX ||
      (v->slot_count & (v->slot_count - 1)) != 0 || v->max_message == 0 ||
      v->max_message > IPC_SHM_TOPIC_MESSAGE_MAX || v->slot_size % 64u != 0 ||
      v->slot_size < IPC_SHM__TP_SLOT_HEADER + v->max_message ||
      v->slot_size > (segment_size - IPC_SHM_TOPIC_HEADER) / v->slot_count)
    return ipc_shm__fail_arg(IPC_SHM_E_CORRUPT);
  return 0;
}

static int free_topic(struct ipc_shm_topic *t) {
  int err = ipc_shm__control_release(t->view, t->segment);
  free(t);
  return err;
}

typedef struct new_topic {
  uint64_t slot_count, slot_size, max_message, id;
  unsigned flags;
} new_topic_t;

static void write_header(ipc_shm__topic_header_t *h, const new_topic_t *n, int inbox) {
  h->layout = IPC_SHM__TP_LAYOUT;
  h->header_size = IPC_SHM_TOPIC_HEADER;
  h->slot_count = n->slot_count;
  h->slot_size = n->slot_size;
  h->max_message = n->max_message;
  h->id = n->id;
  h->flags = ((n->flags & IPC_SHM_GLOBAL) ? IPC_SHM__TP_FLAG_GLOBAL : 0u) |
             ((n->flags & IPC_SHM_TOPIC_OVERWRITE) ? IPC_SHM__TP_FLAG_OVERWRITE : 0u);
  ipc_shm__store_release64(&h->magic, topic_magic(inbox));
}

/* Wake role 0 (a topic's publisher, an inbox's receiver) if it sleeps
 * (or is about to). */
int ipc_shm__topic_wake_role0(struct ipc_shm_topic *t) {
  ipc_shm__topic_role_t *line = ipc_shm__topic_line(t, IPC_SHM__TP_PUBLISHER);
  if (ipc_shm__load_seq_cst32(&line->waiting) == 0 ||
      ipc_shm__exchange_seq_cst32(&line->waiting, 0u) == 0)
    return 0;
  (void)ipc_shm__fetch_add_seq_cst32(&line->word, 1u);
  return ipc_shm__os_topic_wake(t, IPC_SHM__TP_PUBLISHER, &line->word);
}

/* Wake every other role that sleeps (or is about to): a topic's
 * subscribers, an inbox's senders. */
int ipc_shm__topic_wake_sleepers(struct ipc_shm_topic *t) {
  uint64_t sleepers;
  int role, err = 0;
  if (ipc_shm__load_seq_cst64(&t->header->sleepers) == 0)
    return 0;
  sleepers = ipc_shm__exchange_seq_cst64(&t->header->sleepers, 0u);
  for (role = 1; role < IPC_SHM__TP_ROLES && sleepers != 0; role++) {
    uint64_t bit = (uint64_t)1 << (role - 1);
    if ((sleepers & bit) != 0) {
      ipc_shm__topic_role_t *line = ipc_shm__topic_line(t, role);
      int woken;
      sleepers &= ~bit;
      (void)ipc_shm__fetch_add_seq_cst32(&line->word, 1u);
      woken = ipc_shm__os_topic_wake(t, role, &line->word);
      if (err == 0)
        err = woken;
    }
  }
  return err;
}

/* A new subscriber's first position: the next message, or the oldest one
 * kept. Stored before the count is read again: a publisher whose scan
 * missed the store had published no more than that count then, so it
 * cannot write over the message the count names before it scans again
 * (and sees this subscriber). Messages before it that are written over
 * meanwhile are found by their marks (lost). */
static void join(struct ipc_shm_topic *t, int from_oldest) {
  ipc_shm__topic_role_t *line = ipc_shm__topic_line(t, t->role);
  uint64_t published = ipc_shm__load_seq_cst64(&t->header->published);
  uint64_t first = published;
  if (from_oldest)
    first = published > t->slot_count ? published - t->slot_count : 0;
  ipc_shm__store_seq_cst64(&line->position, first);
  published = ipc_shm__load_seq_cst64(&t->header->published);
  if (!from_oldest && published != first && published - first <= t->slot_count) {
    first = published;
    ipc_shm__store_seq_cst64(&line->position, first);
  }
  t->position = first;
  t->known = first;
  /* A publisher held back by what the role's last holder left there. */
  (void)ipc_shm__topic_wake_role0(t);
}

/* Take role t->role, or (subscribers) the first free slot from it. */
static int take_role(struct ipc_shm_topic *t, uint64_t id, int global) {
  int err;
  if (t->role == IPC_SHM__TP_PUBLISHER)
    return ipc_shm__os_topic_begin(t, id, global);
  for (; t->role < IPC_SHM__TP_ROLES; t->role++) {
    err = ipc_shm__os_topic_begin(t, id, global);
    if (err != IPC_SHM_E_EXISTS)
      return err;
  }
  t->role = -1;
  return ipc_shm__fail_arg(IPC_SHM_E_LIMIT);
}

static int attach(ipc_shm_topic_t **out, ipc_shm_t *segment, unsigned flags,
                  const new_topic_t *layout, int opened, int inbox) {
  /* As large as an inbox, which wraps a topic (object.h). */
  struct ipc_shm_topic *t = (struct ipc_shm_topic *)calloc(1, sizeof(struct ipc_shm_inbox));
  topic_values_t v = {0, 0, 0, 0};
  int err;
  if (t == NULL) {
    (void)ipc_shm_close(segment);
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  }
  t->segment = segment;
  t->inbox = inbox;
  t->role = role_of(flags);
  ipc_shm__spin_init(&t->spin);
  ipc_shm__verdict_init(&t->verdict);
  if (!ipc_shm_is_writable(segment)) {
    (void)free_topic(t);
    return ipc_shm__fail_arg(IPC_SHM_E_ACCESS);
  }
  if (ipc_shm_size(segment) < IPC_SHM_TOPIC_HEADER + 128u) {
    (void)free_topic(t);
    return ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  }
  err = ipc_shm_map(&t->view, segment, 0, 0, IPC_SHM_MAP_WRITE);
  if (err == 0) {
    t->header = (ipc_shm__topic_header_t *)ipc_shm_view_data(t->view);
    t->slots = (unsigned char *)t->header + IPC_SHM_TOPIC_HEADER;
    if (layout != NULL)
      write_header(t->header, layout, inbox);
    err = check_header(t->header, ipc_shm_size(segment), opened, inbox, &v);
  }
  if (err == 0) {
    t->slot_count = v.slot_count;
    t->slot_size = v.slot_size;
    t->max_message = v.max_message;
    t->overwrite = (v.flags & IPC_SHM__TP_FLAG_OVERWRITE) != 0;
    err = take_role(t, ipc_shm__load_relaxed64(&t->header->id),
                    (v.flags & IPC_SHM__TP_FLAG_GLOBAL) != 0);
  }
  if (err != 0) {
    (void)free_topic(t);
    return err;
  }
  if (inbox) {
    err = ipc_shm__inbox_begin(t);
    if (err != 0) {
      uint64_t self = t->self;
      (void)ipc_shm__cas_seq_cst64(&ipc_shm__topic_line(t, t->role)->peer, &self, IPC_SHM__TP_PEER_LEFT);
      ipc_shm__os_topic_end(t);
      (void)free_topic(t);
      return err;
    }
  } else if (t->role == IPC_SHM__TP_PUBLISHER) {
    /* Go on after the last committed message; scan before the first. */
    t->position = ipc_shm__load_seq_cst64(&t->header->published);
    t->known = t->position - t->slot_count;
  } else {
    join(t, (flags & IPC_SHM_TOPIC_FROM_OLDEST) != 0);
  }
  *out = t;
  return 0;
}

/* ---- Making and attaching ---- */

static int begin_create(ipc_shm_topic_t **out, unsigned flags, unsigned allowed,
                        size_t max_message, size_t slots, new_topic_t *n, int inbox) {
  const uint64_t limit = (uint64_t)SIZE_MAX / 2;
  uint64_t count = 2, largest = max_message, asked = slots;
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (!inbox)
    allowed |= IPC_SHM_TOPIC_OVERWRITE | IPC_SHM_TOPIC_FROM_OLDEST;
  if (role_of(flags) < 0 ||
      (flags & ~(IPC_SHM_TOPIC_PUBLISHER | IPC_SHM_TOPIC_SUBSCRIBER | allowed)) != 0 ||
      largest == 0 || largest > IPC_SHM_TOPIC_MESSAGE_MAX || asked == 0 ||
      asked > IPC_SHM__TP_SLOTS_MAX)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  while (count < asked)
    count <<= 1;
  n->slot_count = count;
  n->slot_size = slot_size_for(max_message);
  n->max_message = max_message;
  n->flags = flags;
  /* The slots must fit the address space, and no more than a channel's
   * largest ring. */
  if (n->slot_size > (limit - IPC_SHM_TOPIC_HEADER) / count ||
      n->slot_size > IPC_SHM__CH_RING_MAX / count)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return 0;
}

int ipc_shm__topic_create(ipc_shm_topic_t **out, const char *name, size_t max_message,
                          size_t slots, unsigned flags, int inbox) {
  ipc_shm_t *segment;
  new_topic_t n = {0, 0, 0, 0, 0};
  int err = begin_create(out, flags, IPC_SHM_GLOBAL | IPC_SHM__PERMS_MASK, max_message, slots,
                         &n, inbox);
  if (err == 0)
    err = ipc_shm_create(&segment, name, IPC_SHM_TOPIC_HEADER + n.slot_count * n.slot_size,
                         flags & (IPC_SHM_GLOBAL | IPC_SHM__PERMS_MASK));
  if (err != 0)
    return err;
  n.id = ipc_shm__control_new_id(segment);
  err = attach(out, segment, flags, &n, 0, inbox);
  if (err != 0)
    err = ipc_shm__control_unname(name, flags & IPC_SHM_GLOBAL, err);
  return err;
}

int ipc_shm__topic_create_anonymous(ipc_shm_topic_t **out, size_t max_message, size_t slots,
                                    unsigned flags, int inbox) {
  ipc_shm_t *segment;
  new_topic_t n = {0, 0, 0, 0, 0};
  int err = begin_create(out, flags, 0, max_message, slots, &n, inbox);
  if (err == 0)
    err = ipc_shm_create_anonymous(&segment, IPC_SHM_TOPIC_HEADER + n.slot_count * n.slot_size,
                                   0);
  if (err != 0)
    return err;
  n.id = ipc_shm__control_new_id(segment);
  return attach(out, segment, flags, &n, 0, inbox);
}

static int check_attach_flags(ipc_shm_topic_t **out, unsigned flags, unsigned allowed,
                              int inbox) {
  if (out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *out = NULL;
  if (!inbox)
    allowed |= IPC_SHM_TOPIC_FROM_OLDEST;
  if (role_of(flags) < 0 ||
      (flags & ~(IPC_SHM_TOPIC_PUBLISHER | IPC_SHM_TOPIC_SUBSCRIBER | allowed)) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  return 0;
}

int ipc_shm__topic_open(ipc_shm_topic_t **out, const char *name, unsigned flags, int inbox) {
  ipc_shm_t *segment;
  int err = check_attach_flags(out, flags, IPC_SHM_GLOBAL, inbox);
  if (err == 0)
    err = ipc_shm_open(&segment, name, flags & IPC_SHM_GLOBAL);
  if (err != 0)
    return err;
  return attach(out, segment, flags, NULL, 1, inbox);
}

int ipc_shm__topic_attach(ipc_shm_topic_t **out, const ipc_shm_t *segment, unsigned flags,
                          int inbox) {
  struct ipc_shm *own = NULL;
  int err = check_attach_flags(out, flags, 0, inbox);
  if (err != 0)
    return err;
  if (segment == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  if (!segment->writable)
    return ipc_shm__fail_arg(IPC_SHM_E_ACCESS);
  err = ipc_shm__control_own_copy(segment, &own);
  if (err != 0)
    return err;
  return attach(out, own, flags, NULL, 0, inbox);
}

int ipc_shm_topic_create(ipc_shm_topic_t **out, const char *name, size_t max_message,
                         size_t slots, unsigned flags) {
  return ipc_shm__topic_create(out, name, max_message, slots, flags, 0);
}

int ipc_shm_topic_create_anonymous(ipc_shm_topic_t **out, size_t max_message, size_t slots,
                                   unsigned flags) {
  return ipc_shm__topic_create_anonymous(out, max_message, slots, flags, 0);
}

int ipc_shm_topic_open(ipc_shm_topic_t **out, const char *name, unsigned flags) {
  return ipc_shm__topic_open(out, name, flags, 0);
}

int ipc_shm_topic_attach(ipc_shm_topic_t **out, const ipc_shm_t *segment, unsigned flags) {
  return ipc_shm__topic_attach(out, segment, flags, 0);
}

const ipc_shm_t *ipc_shm_topic_segment(const ipc_shm_topic_t *t) {
  return t != NULL ? t->segment : NULL;
}

size_t ipc_shm_topic_max_message(const ipc_shm_topic_t *t) {
  return t != NULL ? (size_t)t->max_message : 0;
}

int ipc_shm_topic_close(ipc_shm_topic_t *t) {
  uint64_t self;
  int err, freed;
  if (t == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  self = t->self;
  (void)ipc_shm__cas_seq_cst64(&ipc_shm__topic_line(t, t->role)->peer, &self, IPC_SHM__TP_PEER_LEFT);
  /* Whoever waits on this role hears at once. */
  err = t->role == IPC_SHM__TP_PUBLISHER ? ipc_shm__topic_wake_sleepers(t)
                                         : ipc_shm__topic_wake_role0(t);
  ipc_shm__os_topic_end(t);
  freed = free_topic(t);
  return err != 0 ? err : freed;
}
