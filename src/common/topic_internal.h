/* SPDX-License-Identifier: MIT */
/* What ipc_shm_wait_any() needs of a topic (src/common/topic.c): whether
 * the next call of an attachment would wait, and its flag and word to be
 * armed. Thread safety: as the attachment's own calls. */
#ifndef IPC_SHM_TOPIC_INTERNAL_H
#define IPC_SHM_TOPIC_INTERNAL_H

#include "common.h"

/* 1 if the next receive (subscriber) or publish (publisher) would not
 * wait: a message is there or the publisher is gone; a slot is free (a
 * dead subscriber that held it is passed). `ask`: ask the system about
 * lives rather than trust the cached verdict. */
int ipc_shm__topic_ready(struct ipc_shm_topic *t, int ask);

/* Arm (on 1) or disarm (0) the attachment as a sleeper: *word is what it
 * sleeps on, loaded into *seen before its flag goes up. */
void ipc_shm__topic_arm(struct ipc_shm_topic *t, int on, uint32_t **word, uint32_t *seen);

#endif
