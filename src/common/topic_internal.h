/* SPDX-License-Identifier: MIT */
/* What topics share with ipc_shm_wait_any() and with inboxes, which are
 * built on their slots, roles and waiting (src/common/topic.c, inbox.c).
 * Thread safety: as the attachment's own calls. */
#ifndef IPC_SHM_TOPIC_INTERNAL_H
#define IPC_SHM_TOPIC_INTERNAL_H

#include "common.h"

/* Slot `n`'s place, its mark and its length. */
static inline unsigned char *ipc_shm__topic_slot(const struct ipc_shm_topic *t, uint64_t n) {
  return t->slots + (size_t)((n & (t->slot_count - 1)) * t->slot_size);
}
static inline uint64_t *ipc_shm__topic_mark(unsigned char *slot) {
  return (uint64_t *)(void *)slot;
}
static inline uint32_t *ipc_shm__topic_length(unsigned char *slot) {
  return (uint32_t *)(void *)(slot + 8);
}
static inline ipc_shm__topic_role_t *ipc_shm__topic_line(const struct ipc_shm_topic *t,
                                                          int role) {
  return &t->header->roles[role];
}

/* Make, open and attach as the public calls do; `inbox` for an inbox. */
int ipc_shm__topic_create(ipc_shm_topic_t **out, const char *name, size_t max_message,
                          size_t slots, unsigned flags, int inbox);
int ipc_shm__topic_create_anonymous(ipc_shm_topic_t **out, size_t max_message, size_t slots,
                                    unsigned flags, int inbox);
int ipc_shm__topic_open(ipc_shm_topic_t **out, const char *name, unsigned flags, int inbox);
int ipc_shm__topic_attach(ipc_shm_topic_t **out, const ipc_shm_t *segment, unsigned flags,
                          int inbox);

/* Wait until ready(t, spinning) says yes, as a topic's calls wait (see
 * ipc_shm__topic_wait in topic.c): TIMEOUT, DISCONNECTED, or 0. */
int ipc_shm__topic_wait(struct ipc_shm_topic *t, int (*ready)(void *, int), int64_t timeout_ms);

/* Whether role 0 (a topic's publisher, an inbox's receiver) is gone. */
int ipc_shm__topic_role0_gone(struct ipc_shm_topic *t, int ask);

/* Wake role 0 if it sleeps; wake every other role that sleeps. */
int ipc_shm__topic_wake_role0(struct ipc_shm_topic *t);
int ipc_shm__topic_wake_sleepers(struct ipc_shm_topic *t);

/* Inboxes (inbox.c): what attaching adds (the receiver's position,
 * checked), what a receiver held back does (see ipc_shm__topic_wait), and
 * readiness for ipc_shm_wait_any(). */
int ipc_shm__inbox_begin(struct ipc_shm_topic *t);
int ipc_shm__inbox_unblock(struct ipc_shm_topic *t, int ask);
int ipc_shm__inbox_ready(struct ipc_shm_topic *t, int ask);

/* 1 if the next receive (subscriber) or publish (publisher) would not
 * wait: a message is there or the publisher is gone; a slot is free (a
 * dead subscriber that held it is passed). For an inbox, the receiver's
 * receive and a sender's send likewise. `ask`: ask the system about lives
 * rather than trust the cached verdict. */
int ipc_shm__topic_ready(struct ipc_shm_topic *t, int ask);

/* Arm (on 1) or disarm (0) the attachment as a sleeper: *word is what it
 * sleeps on, loaded into *seen before its flag goes up. */
void ipc_shm__topic_arm(struct ipc_shm_topic *t, int on, uint32_t **word, uint32_t *seen);

#endif
