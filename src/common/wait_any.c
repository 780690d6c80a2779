/* SPDX-License-Identifier: MIT */
/* Waiting on several objects: check the items, then arm, look, and sleep
 * until one is ready. Looking takes an item as its own call would (an
 * event's wait, a semaphore's trywait, a mutex's trylock) or, for a
 * channel end or a topic, only sees whether the next call would wait. Arming comes
 * before looking, so that a change after the look ends the sleep. */
#include "channel_internal.h"
#include "topic_internal.h"

#include <string.h>

/* A look found nothing ready. */
#define NOT_READY 1

/* Check one item and fill its entry. */
static int check_item(const ipc_shm_wait_item_t *item, ipc_shm__wait_entry_t *entry) {
  memset(entry, 0, sizeof(*entry));
  if (item->object == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  entry->kind = (int)item->kind;
  switch (item->kind) {
  case IPC_SHM_WAIT_EVENT:
  case IPC_SHM_WAIT_SEMAPHORE:
  case IPC_SHM_WAIT_MUTEX: {
    /* Each of these opaque types starts with the object it wraps. */
    struct ipc_shm *sync = (struct ipc_shm *)item->object;
    ipc_shm__object_t expected = item->kind == IPC_SHM_WAIT_EVENT ? IPC_SHM__OBJECT_EVENT
                                 : item->kind == IPC_SHM_WAIT_MUTEX ? IPC_SHM__OBJECT_MUTEX
                                                                    : IPC_SHM__OBJECT_SEMAPHORE;
    if (item->room != 0 || sync->object != expected)
      return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
    entry->sync = sync;
    return 0;
  }
  case IPC_SHM_WAIT_READABLE:
  case IPC_SHM_WAIT_WRITABLE: {
    struct ipc_shm_channel *ch = (struct ipc_shm_channel *)item->object;
    int receiving = item->kind == IPC_SHM_WAIT_READABLE;
    if (ch->side != (receiving ? IPC_SHM__CHANNEL_RECEIVER : IPC_SHM__CHANNEL_SENDER) ||
        ch->pending != 0 || (receiving ? item->room != 0
                                       : item->room == 0 || item->room > ch->max_message))
      return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
    entry->channel = ch;
    entry->room = item->room;
    return 0;
  }
  case IPC_SHM_WAIT_TOPIC_READABLE:
  case IPC_SHM_WAIT_TOPIC_WRITABLE: {
    struct ipc_shm_topic *t = (struct ipc_shm_topic *)item->object;
    int receiving = item->kind == IPC_SHM_WAIT_TOPIC_READABLE;
    if (t->inbox || (t->role == IPC_SHM__TP_PUBLISHER) == receiving || t->pending != 0 ||
        (receiving ? item->room != 0 : item->room == 0 || item->room > t->max_message))
      return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
    entry->topic = t;
    entry->room = item->room;
    return 0;
  }
  default:
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  }
}

/* Take the entry if it is ready: its result, or NOT_READY. */
static int try_entry(ipc_shm__wait_entry_t *entry, int ask) {
  int err;
  switch (entry->kind) {
  case IPC_SHM_WAIT_EVENT:
    err = ipc_shm_event_wait((ipc_shm_event_t *)entry->sync, 0);
    break;
  case IPC_SHM_WAIT_SEMAPHORE:
    err = ipc_shm_semaphore_trywait((ipc_shm_semaphore_t *)entry->sync);
    break;
  case IPC_SHM_WAIT_MUTEX:
    err = ipc_shm_mutex_trylock((ipc_shm_mutex_t *)entry->sync);
    break;
  case IPC_SHM_WAIT_TOPIC_READABLE:
  case IPC_SHM_WAIT_TOPIC_WRITABLE:
    return ipc_shm__topic_ready(entry->topic, ask) ? 0 : NOT_READY;
  default:
    return ipc_shm__channel_ready(entry->channel, entry->room, ask) ? 0 : NOT_READY;
  }
  return err == IPC_SHM_E_TIMEOUT ? NOT_READY : err;
}

/* Channel ends and topics: flag this side as waiting (the peer then bumps
 * its word and wakes it), having loaded the word first. */
static void arm_channels(ipc_shm__wait_entry_t *entries, size_t count, uint32_t on) {
  size_t i;
  for (i = 0; i < count; i++) {
    struct ipc_shm_channel *ch = entries[i].channel;
    if (entries[i].topic != NULL)
      ipc_shm__topic_arm(entries[i].topic, (int)on, &entries[i].word, &entries[i].seen);
    if (ch == NULL)
      continue;
    if (on) {
      entries[i].word = &ch->header->words[ch->side];
      entries[i].seen = ipc_shm__load_seq_cst32(entries[i].word);
    }
    ipc_shm__store_seq_cst32(&ch->header->waiting[ch->side], on);
  }
}

static void disarm(ipc_shm__wait_entry_t *entries, size_t count) {
  arm_channels(entries, count, 0u);
  ipc_shm__os_wait_disarm(entries, count);
}

int ipc_shm_wait_any(const ipc_shm_wait_item_t *items, size_t count, int64_t timeout_ms,
                     size_t *ready) {
  ipc_shm__wait_entry_t entries[IPC_SHM_WAIT_MAX];
  int64_t deadline;
  size_t i;
  int ask = 0;
  if (ready == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  *ready = count;
  if (items == NULL || count == 0 || count > IPC_SHM_WAIT_MAX ||
      ipc_shm__check_timeout(timeout_ms) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_INVAL);
  for (i = 0; i < count; i++) {
    int err = check_item(&items[i], &entries[i]);
    if (err != 0)
      return err;
  }
  /* A first look without arming: a poll, or an item ready at once, costs
   * what the items' own calls cost and no shared write more. */
  for (i = 0; i < count; i++) {
    int err = try_entry(&entries[i], 0);
    if (err != NOT_READY) {
      *ready = i;
      return err;
    }
  }
  if (timeout_ms == 0)
    return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
  deadline = ipc_shm__deadline_of(timeout_ms);
  for (;;) {
    size_t taken = SIZE_MAX;
    int64_t left;
    int err;
    ipc_shm__os_wait_arm(entries, count);
    arm_channels(entries, count, 1u);
    for (i = 0; i < count; i++) {
      err = try_entry(&entries[i], ask);
      if (err != NOT_READY) {
        disarm(entries, count);
        ipc_shm__os_wait_pass_on(entries, count, i);
        *ready = i;
        return err;
      }
    }
    left = ipc_shm__ns_left(deadline);
    if (left <= 0) {
      disarm(entries, count);
      return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
    }
    err = ipc_shm__os_wait_sleep(entries, count, left, &taken);
    disarm(entries, count);
    if (taken != SIZE_MAX) {
      *ready = taken;
      return err;
    }
    if (err != 0)
      return err;
    /* A death may be what ended the sleep: ask the system next time. */
    ask = 1;
  }
}
