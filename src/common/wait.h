/* SPDX-License-Identifier: MIT */
/* Waiting, shared by events, mutexes and channels on every platform:
 * deadlines, spinning that stops where it cannot pay off, and verdicts on
 * a peer's life that are cached so that polling makes no system call.
 *
 * Thread safety: a spinner and a verdict belong to one object of one
 * process; two threads using one object at once may both update them,
 * which only makes a verdict older or a spin shorter, never wrong. */
#ifndef IPC_SHM_WAIT_H
#define IPC_SHM_WAIT_H

#include "atomic.h"

#include <stdint.h>

/* ---- Time ---- */

/* The clock is ipc_shm__os_now_ns() (port.h). */

/* The moment `timeout_ms` from now (>= 0, or IPC_SHM_FOREVER), in the
 * clock's nanoseconds; INT64_MAX for no limit. */
int64_t ipc_shm__deadline_of(int64_t timeout_ms);

/* Nanoseconds left until `deadline` (<= 0 once past); INT64_MAX for no
 * limit. */
int64_t ipc_shm__ns_left(int64_t deadline);

/* A sleeper wakes after this long, at most, to ask whether the process it
 * waits for still lives (where the kernel cannot wake it on that death):
 * the bound on how late a death is noticed. */
#define IPC_SHM__LIVENESS_SLICE_NS 2000000LL

/* ---- Spinning ---- */

/* How long a waiter spins at most before it sleeps: about what a sleep and
 * a wake-up cost together at most (docs/PERFORMANCE.md); a spin that lasts
 * longer loses more than the sleep it avoids. */
#define IPC_SHM__SPIN_MAX_NS 50000u
/* A spin that has failed this often in a row is tried again now and then,
 * at least this long, so that a peer that became fast is noticed. */
#define IPC_SHM__SPIN_PROBE_NS 2000u

/* What one object has learnt about spinning for its peer. */
typedef struct ipc_shm__spin {
  uint32_t budget_ns; /* the next spin's length; 0 after repeated failures */
  uint32_t skipped;   /* waits that did not spin since the last probe */
} ipc_shm__spin_t;

void ipc_shm__spin_init(ipc_shm__spin_t *spin);

/* Wait for ready(arg, spinning) to say yes (1) without sleeping: spin with
 * pauses while another CPU can run the peer; where this process may use
 * only one CPU (by affinity or quota) never spin, but give the CPU up a few
 * times, so that a peer waiting to run on it runs. 0 when the caller should
 * sleep. Never past `deadline`. `spinning` is 1 after the first look. */
int ipc_shm__spin(ipc_shm__spin_t *spin, int (*ready)(void *arg, int spinning), void *arg,
                  int64_t deadline);

/* The wait that followed a failed spin had to sleep: spinning did not
 * help; spin less next time. */
void ipc_shm__spin_failed(ipc_shm__spin_t *spin);

/* CPUs this process may run on at once, as last asked (at most once a
 * second): the affinity mask and any CPU quota. */
int ipc_shm__cpus_usable(void);
/* Make the next ipc_shm__cpus_usable() ask the system (for tests). */
void ipc_shm__cpus_recheck(void);

/* ---- Verdicts on a peer's life ---- */

/* The last answer the system gave about one peer (a value naming it in
 * shared memory), so that a caller polling a live peer makes no system
 * call: the answer is asked again when the peer changed, or when it is
 * older than the time-to-live and the caller has come back often enough
 * to be worth a clock read. */
typedef struct ipc_shm__verdict {
  uint64_t peer;     /* the value judged; 0: none yet */
  uint64_t progress; /* what the peer had done by then (an index) */
  int64_t at_ns;     /* when */
  uint32_t calls;    /* cached answers given since the clock was read */
  int alive;
} ipc_shm__verdict_t;

/* How old an answer may be. */
#define IPC_SHM__VERDICT_TTL_NS 1000000LL
/* The clock is read on one call in this many, so that polling a live peer
 * costs a few loads. */
#define IPC_SHM__VERDICT_CLOCK_EVERY 8u

void ipc_shm__verdict_init(ipc_shm__verdict_t *verdict);

/* The part of ipc_shm__verdict_cached() that reads the clock. */
int ipc_shm__verdict_cached_slow(ipc_shm__verdict_t *verdict, uint64_t progress, int *alive);

/* 1 and *alive if the cached answer for `peer` may be used; 0 if the
 * system must be asked (then ipc_shm__verdict_set()). `progress` is what
 * the peer has done so far (an index it advances; 0 where there is none):
 * a live peer that made progress since the answer is still alive, and its
 * answer is renewed without asking. Inline: polls call it each time. */
static inline int ipc_shm__verdict_cached(ipc_shm__verdict_t *verdict, uint64_t peer,
                                          uint64_t progress, int *alive) {
  if (verdict->peer != peer || peer == 0)
    return 0;
  *alive = verdict->alive;
  if (++verdict->calls % IPC_SHM__VERDICT_CLOCK_EVERY != 0)
    return 1;
  return ipc_shm__verdict_cached_slow(verdict, progress, alive);
}

void ipc_shm__verdict_set(ipc_shm__verdict_t *verdict, uint64_t peer, uint64_t progress,
                          int alive);

/* ---- Threads ---- */

/* A number for the calling thread, never given to another thread of this
 * process (a thread id may be reused; this is not). */
uint64_t ipc_shm__thread_serial(void);

#endif
