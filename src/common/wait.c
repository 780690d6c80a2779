/* SPDX-License-Identifier: MIT */
/* Waiting, shared by events, mutexes and channels: deadlines, the spin
 * policy and cached verdicts on a peer's life (see wait.h). */
#include "common.h"

/* A wait on one CPU gives it up this often before it sleeps: a peer that
 * needs this very CPU to answer has had it by then. */
#define YIELDS 3
/* How long an answer about the CPUs this process may use is kept. */
#define CPUS_TTL_NS 1000000000LL
/* While spinning, the pauses between looks double up to this many: each
 * look takes the line the peer writes away from it. */
#define PAUSES_MAX 16u

int64_t ipc_shm__deadline_of(int64_t timeout_ms) {
  if (timeout_ms == IPC_SHM_FOREVER || timeout_ms > INT64_MAX / 2000000LL)
    return INT64_MAX;
  return ipc_shm__os_now_ns() + timeout_ms * 1000000LL;
}

int64_t ipc_shm__ns_left(int64_t deadline) {
  return deadline == INT64_MAX ? INT64_MAX : deadline - ipc_shm__os_now_ns();
}

/* ---- Spinning ---- */

/* Written by any thread that asks (a plain count and a time: a torn pair
 * only makes the next thread ask again). */
static uint32_t cpus_cached;
static uint64_t cpus_asked_at;

int ipc_shm__cpus_usable(void) {
  uint32_t cpus = ipc_shm__load_relaxed32(&cpus_cached);
  int64_t now = ipc_shm__os_now_ns();
  if (cpus == 0 || now - (int64_t)ipc_shm__load_relaxed64(&cpus_asked_at) > CPUS_TTL_NS) {
    cpus = (uint32_t)ipc_shm__os_cpus_usable();
    ipc_shm__store_relaxed32(&cpus_cached, cpus);
    ipc_shm__store_relaxed64(&cpus_asked_at, (uint64_t)now);
  }
  return (int)cpus;
}

void ipc_shm__cpus_recheck(void) { ipc_shm__store_relaxed32(&cpus_cached, 0); }

void ipc_shm__spin_init(ipc_shm__spin_t *spin) {
  spin->budget_ns = IPC_SHM__SPIN_MAX_NS;
  spin->skipped = 0;
}

/* The budget of this wait: 0 where spinning cannot pay off. */
static uint32_t budget_of(ipc_shm__spin_t *spin, int one_cpu) {
  if (one_cpu)
    return 0; /* the peer needs this very CPU to answer */
  if (spin->budget_ns == 0 && ++spin->skipped >= 16) {
    spin->skipped = 0;
    return IPC_SHM__SPIN_PROBE_NS;
  }
  return spin->budget_ns;
}

int ipc_shm__spin(ipc_shm__spin_t *spin, int (*ready)(void *arg, int spinning), void *arg,
                  int64_t deadline) {
  int one_cpu = ipc_shm__cpus_usable() < 2, yields;
  uint32_t budget = budget_of(spin, one_cpu), pauses = 1, round, i;
  int64_t start = 0, end = 0;
  for (round = 0; budget != 0; round++) {
    if (ready(arg, round != 0)) {
      /* Spinning paid off: spin as long again next time, or longer. */
      if (spin->budget_ns < IPC_SHM__SPIN_MAX_NS)
        spin->budget_ns = budget * 2 < IPC_SHM__SPIN_MAX_NS ? budget * 2 : IPC_SHM__SPIN_MAX_NS;
      return 1;
    }
    /* The clock costs more than a look: read it now and then. */
    if ((round & 15) == 0) {
      int64_t now = ipc_shm__os_now_ns();
      if (start == 0) {
        start = now;
        end = now + budget < deadline ? now + (int64_t)budget : deadline;
      } else if (now >= end) {
        break;
      }
    }
    for (i = 0; i < pauses; i++)
      ipc_shm__cpu_relax();
    if (pauses < PAUSES_MAX)
      pauses <<= 1;
  }
  /* On one CPU the peer runs now, if it is ready to. Elsewhere giving the
   * CPU up would hand it to whatever else is ready (a busy machine's other
   * work) for a whole time slice, where a sleeper is woken at once. */
  if (!one_cpu)
    return 0;
  for (yields = 0; yields < YIELDS; yields++) {
    if (ready(arg, 1))
      return 1;
    if (ipc_shm__ns_left(deadline) <= 0)
      return 0;
    ipc_shm__os_yield();
  }
  return ready(arg, 1);
}

void ipc_shm__spin_failed(ipc_shm__spin_t *spin) {
  spin->budget_ns /= 2;
  if (spin->budget_ns < IPC_SHM__SPIN_PROBE_NS)
    spin->budget_ns = 0;
}

/* ---- Verdicts ---- */

void ipc_shm__verdict_init(ipc_shm__verdict_t *verdict) {
  verdict->peer = 0;
  verdict->progress = 0;
  verdict->at_ns = 0;
  verdict->calls = 0;
  verdict->alive = 1;
}

int ipc_shm__verdict_cached_slow(ipc_shm__verdict_t *verdict, uint64_t progress, int *alive) {
  int64_t now = ipc_shm__os_now_ns();
  *alive = verdict->alive;
  if (verdict->alive && progress != verdict->progress) {
    /* It moved since: alive now, whatever the system said then. */
    verdict->progress = progress;
    verdict->at_ns = now;
    return 1;
  }
  return now - verdict->at_ns < IPC_SHM__VERDICT_TTL_NS;
}

void ipc_shm__verdict_set(ipc_shm__verdict_t *verdict, uint64_t peer, uint64_t progress,
                          int alive) {
  verdict->peer = peer;
  verdict->progress = progress;
  verdict->at_ns = ipc_shm__os_now_ns();
  verdict->calls = 0;
  verdict->alive = alive;
}

/* ---- Threads ---- */

#if defined(_MSC_VER)
#define THREAD_LOCAL __declspec(thread)
#else
#define THREAD_LOCAL _Thread_local
#endif

static THREAD_LOCAL uint64_t thread_serial;
static uint64_t serials;

uint64_t ipc_shm__thread_serial(void) {
  if (thread_serial == 0)
    thread_serial = ipc_shm__fetch_add_seq_cst64(&serials, 1u) + 1u;
  return thread_serial;
}
