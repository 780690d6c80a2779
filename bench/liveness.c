/* SPDX-License-Identifier: MIT */
/* Polling and liveness: what a poll that finds nothing costs (an empty
 * channel, a mutex another process holds, an event that is not set) beside
 * a raw trylock of a held mutex, and how soon a peer's death is noticed:
 * a locker blocked on a killed owner, a sender whose receiver was killed
 * while the ring has room, a receiver blocked on a killed sender.
 *
 * The other process is this program with --liveness-child. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

#ifdef _WIN32
#define KERNEL_SYNC 1
#else
#define KERNEL_SYNC 0
#endif
#define POLL_BATCH 1000
#define POLL_ROUNDS 7
#define DEATH_ROUNDS 5

/* ---- Names and the child ---- */

static void name_of(char *out, const char *base, const char *suffix) {
  snprintf(out, IPC_SHM_NAME_MAX + 1, "%.28s%.1s", base, suffix);
}

/* The raw mutex another process holds: a process-shared pthread mutex in
 * a segment (POSIX), a kernel mutex (Windows). */
#ifdef _WIN32
typedef HANDLE raw_mutex_t;
static raw_mutex_t raw_mutex_open(const char *base, int create) {
  WCHAR wide[64] = L"Local\\";
  char name[IPC_SHM_NAME_MAX + 1];
  name_of(name, base, "x");
  MultiByteToWideChar(CP_UTF8, 0, name, -1, wide + 6, 58);
  return create ? CreateMutexW(NULL, FALSE, wide) : OpenMutexW(SYNCHRONIZE, FALSE, wide);
}
static int raw_lock(raw_mutex_t m) { return WaitForSingleObject(m, INFINITE) == WAIT_OBJECT_0; }
static int raw_trylock(raw_mutex_t m) { return WaitForSingleObject(m, 0) == WAIT_OBJECT_0; }
static void raw_mutex_close(raw_mutex_t m) { CloseHandle(m); }
#else
typedef pthread_mutex_t *raw_mutex_t;
static raw_mutex_t raw_mutex_open(const char *base, int create) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  raw_mutex_t m;
  name_of(name, base, "x");
  if ((create ? ipc_shm_create(&shm, name, 4096, 0) : ipc_shm_open(&shm, name, 0)) != 0 ||
      ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE) != 0)
    return NULL;
  m = (raw_mutex_t)ipc_shm_view_data(view);
  if (create) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(m, &attr);
  }
  ipc_shm_close(shm); /* the view stays for the process's life */
  return m;
}
static int raw_lock(raw_mutex_t m) { return pthread_mutex_lock(m) == 0; }
static int raw_trylock(raw_mutex_t m) { return pthread_mutex_trylock(m) == 0; }
static void raw_mutex_close(raw_mutex_t m) { (void)m; }
#endif

/* --liveness-child MODE BASE. MODE hold: be the sender of channel BASE
 * "c", hold mutex BASE "m" and the raw mutex, set event BASE "r", wait for
 * event BASE "q", let everything go. MODE lock, receiver, sender: hold
 * mutex BASE "m", or attach to channel BASE "c" in that role, set event
 * BASE "r" and wait to be killed. */
int run_liveness_child(int argc, char **argv) {
  char name[IPC_SHM_NAME_MAX + 1];
  const char *mode, *base;
  ipc_shm_event_t *ready, *quit = NULL;
  ipc_shm_channel_t *ch = NULL;
  ipc_shm_mutex_t *mutex = NULL;
  raw_mutex_t raw = NULL;
  if (argc != 2)
    return 2;
  mode = argv[0];
  base = argv[1];
  name_of(name, base, "r");
  if (ipc_shm_event_open(&ready, name, 0) != 0)
    return 1;
  if (strcmp(mode, "hold") == 0 || strcmp(mode, "lock") == 0) {
    name_of(name, base, "m");
    if (ipc_shm_mutex_open(&mutex, name, 0) != 0 || ipc_shm_mutex_lock(mutex, 10000) != 0)
      return 1;
  }
  if (strcmp(mode, "hold") == 0) {
    raw = raw_mutex_open(base, 0);
    if (raw == NULL || !raw_lock(raw))
      return 1;
  }
  if (strcmp(mode, "lock") != 0) {
    name_of(name, base, "c");
    if (ipc_shm_channel_open(&ch, name, strcmp(mode, "receiver") == 0
                                            ? IPC_SHM_CHANNEL_RECEIVER
                                            : IPC_SHM_CHANNEL_SENDER) != 0)
      return 1;
  }
  name_of(name, base, "q");
  if (ipc_shm_event_open(&quit, name, 0) != 0 || ipc_shm_event_set(ready) != 0)
    return 1;
  if (ipc_shm_event_wait(quit, strcmp(mode, "hold") == 0 ? 60000 : IPC_SHM_FOREVER) != 0)
    return 1;
  if (mutex != NULL)
    ipc_shm_mutex_unlock(mutex);
#ifdef _WIN32
  if (raw != NULL)
    ReleaseMutex(raw);
#else
  if (raw != NULL)
    pthread_mutex_unlock(raw);
#endif
  if (ch != NULL)
    ipc_shm_channel_close(ch);
  return 0;
}

/* The objects of one measure, made here before the child starts. */
typedef struct fixture {
  char base[IPC_SHM_NAME_MAX + 1];
  ipc_shm_event_t *ready, *quit;
  ipc_shm_mutex_t *mutex;
  ipc_shm_channel_t *channel;
  raw_mutex_t raw;
  ipc_shm_process_t *child;
} fixture_t;

static void remove_named(const char *base, const char *suffix) {
  char name[IPC_SHM_NAME_MAX + 1];
  name_of(name, base, suffix);
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    ipc_shm_remove(name, 0);
}

/* Make the objects, start the child in `mode`, wait until it is ready. */
static void fixture_begin(fixture_t *f, const char *self, const char *mode, int channel_side,
                          int round) {
  char name[IPC_SHM_NAME_MAX + 1];
  const char *argv[5];
  memset(f, 0, sizeof(*f));
  bench_name(f->base, "lv", round);
  name_of(name, f->base, "r");
  check(ipc_shm_event_create(&f->ready, name, 0), "event_create");
  name_of(name, f->base, "q");
  check(ipc_shm_event_create(&f->quit, name, 0), "event_create");
  name_of(name, f->base, "m");
  check(ipc_shm_mutex_create(&f->mutex, name, 0), "mutex_create");
  if (channel_side != 0) {
    name_of(name, f->base, "c");
    check(ipc_shm_channel_create(&f->channel, name, 64, (size_t)16 << 20,
                                 channel_side > 0 ? IPC_SHM_CHANNEL_SENDER
                                                  : IPC_SHM_CHANNEL_RECEIVER),
          "channel_create");
  }
  if (strcmp(mode, "hold") == 0)
    f->raw = raw_mutex_open(f->base, 1);
  argv[0] = self;
  argv[1] = "--liveness-child";
  argv[2] = mode;
  argv[3] = f->base;
  argv[4] = NULL;
  check(ipc_shm_spawn(&f->child, argv, NULL, 0), "spawn");
  check(ipc_shm_event_wait(f->ready, 30000), "the child never got ready");
}

static void fixture_end(fixture_t *f, int quit) {
  int code = -1;
  if (quit)
    check(ipc_shm_event_set(f->quit), "event_set");
  check(ipc_shm_process_wait(f->child, &code), "wait");
  if (quit && code != 0) {
    fprintf(stderr, "ipc-shm-bench: a liveness child failed (%d)\n", code);
    exit(1);
  }
  if (f->channel != NULL)
    ipc_shm_channel_close(f->channel);
  ipc_shm_mutex_close(f->mutex);
  ipc_shm_event_close(f->ready);
  ipc_shm_event_close(f->quit);
  if (f->raw != NULL)
    raw_mutex_close(f->raw);
  remove_named(f->base, "r");
  remove_named(f->base, "q");
  remove_named(f->base, "m");
  remove_named(f->base, "c");
  remove_named(f->base, "x");
}

/* ---- Polls ---- */

/* Those before RAW_TRYLOCK_HELD are compared with it; wait-any-0 looks at
 * four objects (the empty channel, the held mutex, the unset event, the
 * empty semaphore), so that it costs about what they cost together. */
enum {
  POLL_EMPTY,
  TRYLOCK_HELD,
  EVENT_WAIT_0,
  SEMAPHORE_TRYWAIT_0,
  RAW_TRYLOCK_HELD,
  WAIT_ANY_0,
  POLLS
};
static const char *const poll_names[POLLS] = {"poll-empty",       "trylock-held",
                                             "event-wait-0",     "semaphore-trywait-0",
                                             "raw-trylock-held", "wait-any-0"};

/* What the polls look at besides the fixture. */
typedef struct polled {
  ipc_shm_event_t *unset;
  ipc_shm_semaphore_t *empty;
  ipc_shm_channel_t *rx;
  ipc_shm_wait_item_t items[4];
} polled_t;

/* Nanoseconds per call of one kind of poll, over a batch. */
static double poll_batch_ns(int which, fixture_t *f, polled_t *p) {
  unsigned char buffer[64];
  double start = now_seconds();
  size_t size, ready;
  int i, unexpected = 0;
  for (i = 0; i < POLL_BATCH; i++) {
    switch (which) {
    case POLL_EMPTY:
      unexpected |= ipc_shm_channel_receive(p->rx, buffer, sizeof(buffer), &size, 0) !=
                     IPC_SHM_E_TIMEOUT;
      break;
    case TRYLOCK_HELD:
      unexpected |= ipc_shm_mutex_trylock(f->mutex) != IPC_SHM_E_TIMEOUT;
      break;
    case EVENT_WAIT_0:
      unexpected |= ipc_shm_event_wait(p->unset, 0) != IPC_SHM_E_TIMEOUT;
      break;
    case SEMAPHORE_TRYWAIT_0:
      unexpected |= ipc_shm_semaphore_trywait(p->empty) != IPC_SHM_E_TIMEOUT;
      break;
    case WAIT_ANY_0:
      unexpected |= ipc_shm_wait_any(p->items, 4, 0, &ready) != IPC_SHM_E_TIMEOUT;
      break;
    default:
      unexpected |= raw_trylock(f->raw);
    }
  }
  if (unexpected) {
    fprintf(stderr, "ipc-shm-bench: a poll found something (%s)\n", poll_names[which]);
    exit(1);
  }
  return (now_seconds() - start) * 1e9 / POLL_BATCH;
}

static void poll_row(const char *name, double median_ns, double worst_ns) {
  bench_measure_t m;
  m.kind = "poll";
  m.transport = name;
  m.condition = "idle";
  m.msg_bytes = m.total_bytes = m.gb_per_s = m.p99_us = NA;
  m.seconds = median_ns * 1e-9;
  m.msgs_per_s = 1e9 / median_ns;
  m.p50_us = median_ns / 1000.0;
  m.worst_gb_per_s = NA;
  m.worst_msgs_per_s = 1e9 / worst_ns;
  m.worst_p50_us = worst_ns / 1000.0;
  m.rounds = POLL_ROUNDS;
  csv_measure(&m);
}

void poll_rows(const char *self) {
  fixture_t f;
  polled_t p;
  double ns[POLLS][POLL_ROUNDS], median_ns[POLLS], worst_ns[POLLS];
  char label[96];
  int r, which;
  /* The child sends on the channel (nothing), holds both mutexes. */
  fixture_begin(&f, self, "hold", -1, 0);
  p.rx = f.channel;
  check(ipc_shm_event_create_anonymous(&p.unset, 0), "event_create_anonymous");
  check(ipc_shm_semaphore_create_anonymous(&p.empty, 0, 1, 0), "semaphore_create_anonymous");
  p.items[0].kind = IPC_SHM_WAIT_READABLE;
  p.items[0].object = p.rx;
  p.items[1].kind = IPC_SHM_WAIT_MUTEX;
  p.items[1].object = f.mutex;
  p.items[2].kind = IPC_SHM_WAIT_EVENT;
  p.items[2].object = p.unset;
  p.items[3].kind = IPC_SHM_WAIT_SEMAPHORE;
  p.items[3].object = p.empty;
  for (r = 0; r < 4; r++)
    p.items[r].room = 0;
  for (r = 0; r < POLL_ROUNDS; r++)
    for (which = 0; which < POLLS; which++)
      ns[which][r] = poll_batch_ns(which, &f, &p);
  fixture_end(&f, 1);
  ipc_shm_event_close(p.unset);
  ipc_shm_semaphore_close(p.empty);
  section("polls that find nothing (ns per call, median [worst] of rounds)");
  for (which = 0; which < POLLS; which++) {
    median_ns[which] = median(ns[which], POLL_ROUNDS); /* sorts */
    worst_ns[which] = ns[which][POLL_ROUNDS - 1];
    poll_row(poll_names[which], median_ns[which], worst_ns[which]);
    snprintf(label, sizeof(label), "  %s [%.1f]", poll_names[which], worst_ns[which]);
    /* Windows: events and mutexes are kernel objects that raw programs
     * share, so that trying one is a system call, as the raw call is: the
     * target there is the ratio below. */
    if (which >= RAW_TRYLOCK_HELD || (KERNEL_SYNC && which != POLL_EMPTY))
      info_row(label, median_ns[which], "ns");
    else
      row(label, median_ns[which], "ns", 100, 1);
  }
  for (which = 0; which < RAW_TRYLOCK_HELD; which++) {
    snprintf(label, sizeof(label), "  %s / raw-trylock-held", poll_names[which]);
    row(label, median_ns[which] / median_ns[RAW_TRYLOCK_HELD], "x", 5, 1);
  }
}

/* ---- Deaths ---- */

/* Kill the child at once, as a crash would, and note when. */
typedef struct killer {
  unsigned long pid;
  double delay, killed_at;
} killer_t;

static void kill_now(killer_t *k) {
#ifdef _WIN32
  HANDLE process = OpenProcess(PROCESS_TERMINATE, FALSE, (DWORD)k->pid);
  k->killed_at = now_seconds();
  if (process != NULL) {
    TerminateProcess(process, 9);
    CloseHandle(process);
  }
#else
  k->killed_at = now_seconds();
  kill((pid_t)k->pid, SIGKILL);
#endif
}

#ifdef _WIN32
static DWORD WINAPI killer_main(LPVOID arg) {
  killer_t *k = (killer_t *)arg;
  Sleep((DWORD)(k->delay * 1000));
  kill_now(k);
  return 0;
}
#else
static void *killer_main(void *arg) {
  killer_t *k = (killer_t *)arg;
  struct timespec pause;
  pause.tv_sec = 0;
  pause.tv_nsec = (long)(k->delay * 1e9);
  nanosleep(&pause, NULL);
  kill_now(k);
  return NULL;
}
#endif

/* Start a thread that kills the child after `delay` seconds. */
static void start_killer(killer_t *k, const fixture_t *f, double delay, void **thread) {
  k->pid = ipc_shm_process_id(f->child);
  k->delay = delay;
  k->killed_at = 0;
#ifdef _WIN32
  *thread = CreateThread(NULL, 0, killer_main, k, 0, NULL);
#else
  {
    pthread_t *t = (pthread_t *)allocate(sizeof(pthread_t));
    if (pthread_create(t, NULL, killer_main, k) != 0) {
      fprintf(stderr, "ipc-shm-bench: no thread\n");
      exit(1);
    }
    *thread = t;
  }
#endif
}

static void join_killer(void *thread) {
#ifdef _WIN32
  WaitForSingleObject((HANDLE)thread, INFINITE);
  CloseHandle((HANDLE)thread);
#else
  pthread_join(*(pthread_t *)thread, NULL);
  free(thread);
#endif
}

enum { OWNER_KILLED, RECEIVER_KILLED, SENDER_KILLED, DEATHS };
static const char *const death_names[DEATHS] = {"owner-killed", "receiver-killed",
                                               "sender-killed"};
static const char *const death_labels[DEATHS] = {
    "owner killed: a blocked locker gets OWNER_DEAD",
    "receiver killed: the next send is DISCONNECTED",
    "sender killed: a blocked receiver is DISCONNECTED"};

/* Microseconds from the kill until the survivor hears of it. */
static double death_us(const char *self, int which, int round) {
  static const char *const modes[DEATHS] = {"lock", "receiver", "sender"};
  fixture_t f;
  killer_t k;
  void *thread = NULL;
  double heard;
  int err;
  fixture_begin(&f, self, modes[which], which == OWNER_KILLED ? 0 : which == RECEIVER_KILLED ? 1 : -1,
                round);
  /* The survivor is blocked (or sending) before the kill. */
  start_killer(&k, &f, 0.02, &thread);
  if (which == OWNER_KILLED) {
    err = ipc_shm_mutex_lock(f.mutex, 30000);
    heard = now_seconds();
    if (err != IPC_SHM_E_OWNER_DEAD)
      check(err == 0 ? IPC_SHM_E_SYSTEM : err, "lock after the owner's death");
    ipc_shm_mutex_consistent(f.mutex);
    ipc_shm_mutex_unlock(f.mutex);
  } else if (which == RECEIVER_KILLED) {
    unsigned long n = 0;
    double until = now_seconds() + 30;
    do {
      double next = now_seconds() + 1e-6; /* one message a microsecond */
      err = ipc_shm_channel_send(f.channel, &n, sizeof(n), 0);
      n++;
      while (now_seconds() < next) {
      }
    } while (err == 0 && now_seconds() < until);
    heard = now_seconds();
    if (err != IPC_SHM_E_DISCONNECTED)
      check(err == 0 ? IPC_SHM_E_TIMEOUT : err, "send after the receiver's death");
  } else {
    unsigned char buffer[64];
    size_t size;
    err = ipc_shm_channel_receive(f.channel, buffer, sizeof(buffer), &size, 30000);
    heard = now_seconds();
    if (err != IPC_SHM_E_DISCONNECTED)
      check(err == 0 ? IPC_SHM_E_SYSTEM : err, "receive after the sender's death");
  }
  join_killer(thread);
  fixture_end(&f, 0);
  return (heard - k.killed_at) * 1e6;
}

void death_rows(const char *self) {
  double us[DEATHS][DEATH_ROUNDS];
  char label[128];
  int rounds = bench_quick ? 3 : DEATH_ROUNDS, r, which;
  for (r = 0; r < rounds; r++)
    for (which = 0; which < DEATHS; which++)
      us[which][r] = death_us(self, which, r);
  section("a peer's death noticed after (us, median [worst] of rounds)");
  for (which = 0; which < DEATHS; which++) {
    bench_measure_t m;
    double mid = median(us[which], rounds), worst = us[which][rounds - 1];
    m.kind = "death";
    m.transport = death_names[which];
    m.condition = "idle";
    m.msg_bytes = m.total_bytes = m.gb_per_s = m.msgs_per_s = m.p99_us = NA;
    m.seconds = mid * 1e-6;
    m.p50_us = mid;
    m.worst_gb_per_s = m.worst_msgs_per_s = NA;
    m.worst_p50_us = worst;
    m.rounds = rounds;
    csv_measure(&m);
    snprintf(label, sizeof(label), "  %s [%.0f]", death_labels[which], worst);
    row(label, mid, "us", 5000, 1);
  }
}
