/* SPDX-License-Identifier: MIT */
/* ipc-shm-bench: what the library costs, as a table or as CSV. Speed and
 * memory targets live here, not in the tests:
 *
 *   ipc-shm-bench [--bench_quick] [--csv]
 *
 * Each row gives the measured value, the target, and whether it was met.
 * Times are medians of several rounds, so one slow round (a page-cache
 * flush, a scheduler hiccup) does not decide the figure. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* syscall */
#endif
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#include <psapi.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#endif

#define MIB BENCH_MIB
#define ROUNDS 5

/* Microseconds per create + close (+ remove) of a 64 KiB named segment. */
static double create_close_us(int n) {
  char name[IPC_SHM_NAME_MAX + 1];
  double start = now_seconds();
  int i;
  for (i = 0; i < n; i++) {
    ipc_shm_t *shm;
    bench_name(name, "c", i);
    check(ipc_shm_create(&shm, name, 65536, 0), "create");
    ipc_shm_close(shm);
    if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
      ipc_shm_remove(name, 0);
  }
  return (now_seconds() - start) * 1e6 / n;
}

/* Milliseconds per create + close (+ remove) of a named segment of `size`
 * bytes with `flags`, median of the rounds. */
static double create_big_ms(uint64_t size, unsigned flags) {
  char name[IPC_SHM_NAME_MAX + 1];
  double times[ROUNDS];
  int r;
  for (r = 0; r < ROUNDS; r++) {
    ipc_shm_t *shm;
    double start;
    bench_name(name, "big", r);
    start = now_seconds();
    check(ipc_shm_create(&shm, name, size, flags), "create");
    ipc_shm_close(shm);
    if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
      ipc_shm_remove(name, 0);
    times[r] = now_seconds() - start;
  }
  return median(times, ROUNDS) * 1e3;
}

#define CYCLE_SIZE 65536
#define CYCLES 400

/* Microseconds per cycle of create, map, touch, unmap, close (and remove)
 * of a 64 KiB named segment through the API. */
static double cycle_api_us(unsigned flags, int n) {
  char name[IPC_SHM_NAME_MAX + 1];
  double start = now_seconds();
  int i;
  for (i = 0; i < n; i++) {
    ipc_shm_t *shm;
    ipc_shm_view_t *view;
    bench_name(name, "cy", i);
    check(ipc_shm_create(&shm, name, CYCLE_SIZE, flags), "create");
    check(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), "map");
    ((volatile unsigned char *)ipc_shm_view_data(view))[0] = 1;
    ipc_shm_unmap(view);
    ipc_shm_close(shm);
    if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
      ipc_shm_remove(name, 0);
  }
  return (now_seconds() - start) * 1e6 / n;
}

/* The same work through the raw OS calls, as a program without the library
 * does it: shm_open + ftruncate + mmap (CreateFileMappingW + MapViewOfFile).
 * With `exact_mode`, also the fchmod that gives the object exactly mode 0600
 * whatever the umask, as the library does (POSIX). */
static double cycle_raw_us(int n, int exact_mode) {
  char name[IPC_SHM_NAME_MAX + 2];
  double start = now_seconds();
  int i;
  for (i = 0; i < n; i++) {
#ifdef _WIN32
    WCHAR wide[64];
    HANDLE section;
    unsigned char *p;
    (void)exact_mode; /* Windows has no umask to undo */
    bench_name(name, "rw", i);
    MultiByteToWideChar(CP_UTF8, 0, name, -1, wide, 64);
    section = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, CYCLE_SIZE,
                                 wide);
    p = section != NULL ? (unsigned char *)MapViewOfFile(section, FILE_MAP_WRITE, 0, 0, 0)
                        : NULL;
    if (p == NULL) {
      fprintf(stderr, "ipc-shm-bench: raw cycle failed (%lu)\n", GetLastError());
      exit(1);
    }
    ((volatile unsigned char *)p)[0] = 1;
    UnmapViewOfFile(p);
    CloseHandle(section);
#else
    unsigned char *p;
    int fd;
    name[0] = '/';
    bench_name(name + 1, "rw", i);
    fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || (exact_mode && fchmod(fd, 0600) != 0) || ftruncate(fd, CYCLE_SIZE) != 0 ||
        (p = (unsigned char *)mmap(NULL, CYCLE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                                   0)) == MAP_FAILED) {
      perror("ipc-shm-bench: raw cycle");
      exit(1);
    }
    ((volatile unsigned char *)p)[0] = 1;
    munmap(p, CYCLE_SIZE);
    close(fd);
    shm_unlink(name);
#endif
  }
  return (now_seconds() - start) * 1e6 / n;
}

/* Microseconds per open + close of an existing segment. */
static double open_close_us(int n) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *owner;
  double start;
  int i;
  bench_name(name, "o", 0);
  check(ipc_shm_create(&owner, name, 65536, 0), "create");
  start = now_seconds();
  for (i = 0; i < n; i++) {
    ipc_shm_t *shm;
    check(ipc_shm_open(&shm, name, 0), "open");
    ipc_shm_close(shm);
  }
  start = (now_seconds() - start) * 1e6 / n;
  ipc_shm_close(owner);
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    ipc_shm_remove(name, 0);
  return start;
}

/* Microseconds per map + unmap of `length` bytes at an unaligned offset. */
static double map_unmap_us(const ipc_shm_t *shm, size_t length, int n) {
  double start = now_seconds();
  int i;
  for (i = 0; i < n; i++) {
    ipc_shm_view_t *view;
    check(ipc_shm_map(&view, shm, 12345, length, IPC_SHM_MAP_WRITE), "map");
    ipc_shm_unmap(view);
  }
  return (now_seconds() - start) * 1e6 / n;
}

/* GB/s of memcpy of `size` bytes into `dest`, best of the rounds' medians. */
static double copy_gbps(void *dest, const void *src, size_t size) {
  double times[ROUNDS];
  int r;
  for (r = 0; r < ROUNDS; r++) {
    double start = now_seconds();
    memcpy(dest, src, size);
    times[r] = now_seconds() - start;
  }
  return (double)size / median(times, ROUNDS) / 1e9;
}

/* GB/s of writing every page of a fresh segment of `size` bytes (page faults
 * included), and of a fresh private allocation, for comparison. */
static void first_touch(size_t size, double *shared_gbps, double *private_gbps) {
  double shared[ROUNDS], private_[ROUNDS];
  int r;
  for (r = 0; r < ROUNDS; r++) {
    ipc_shm_t *shm;
    ipc_shm_view_t *view;
    unsigned char *p;
    double start;
    check(ipc_shm_create_anonymous(&shm, size, 0), "create_anonymous");
    check(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), "map");
    start = now_seconds();
    memset(ipc_shm_view_data(view), 1, size);
    shared[r] = now_seconds() - start;
    ipc_shm_unmap(view);
    ipc_shm_close(shm);
    p = allocate(size);
    start = now_seconds();
    memset(p, 1, size);
    private_[r] = now_seconds() - start;
    free(p);
  }
  *shared_gbps = (double)size / median(shared, ROUNDS) / 1e9;
  *private_gbps = (double)size / median(private_, ROUNDS) / 1e9;
}

/* Microseconds per send + receive of a segment over a connection whose two
 * ends are in this process. */
static double send_receive_us(const ipc_shm_t *shm, int n) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_listener_t *listener;
  ipc_shm_conn_t *client, *server;
  double start;
  int i;
  bench_name(name, "l", 0);
  check(ipc_shm_listen(&listener, name), "listen");
  check(ipc_shm_connect(&client, name), "connect");
  check(ipc_shm_accept(listener, &server), "accept");
  start = now_seconds();
  for (i = 0; i < n; i++) {
    ipc_shm_t *got;
    check(ipc_shm_send(client, shm, IPC_SHM_READONLY), "send");
    check(ipc_shm_receive(server, &got), "receive");
    ipc_shm_close(got);
  }
  start = (now_seconds() - start) * 1e6 / n;
  ipc_shm_conn_close(client);
  ipc_shm_conn_close(server);
  ipc_shm_listener_close(listener);
  return start;
}

/* Milliseconds per spawn + wait of a child that imports one segment. */
static double spawn_ms(const char *self, const ipc_shm_t *shm, int n) {
  ipc_shm_inherit_t segment = {NULL, 0, NULL, NULL, NULL};
  const char *argv[3];
  double start = now_seconds();
  int i;
  segment.shm = shm;
  segment.flags = IPC_SHM_READONLY;
  argv[0] = self;
  argv[1] = "--child";
  argv[2] = NULL;
  for (i = 0; i < n; i++) {
    ipc_shm_process_t *child;
    int code = -1;
    check(ipc_shm_spawn(&child, argv, &segment, 1), "spawn");
    check(ipc_shm_process_wait(child, &code), "wait");
    if (code != 0) {
      fprintf(stderr, "ipc-shm-bench: the child failed\n");
      exit(1);
    }
  }
  return (now_seconds() - start) * 1e3 / n;
}

/* ---- Events and mutexes ---- */

#ifndef _WIN32
#include <pthread.h>
#endif
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>

static void futex_wait(uint32_t *word, uint32_t value) {
  syscall(SYS_futex, word, FUTEX_WAIT, value, NULL, NULL, 0);
}
static void futex_wake(uint32_t *word) {
  syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}
#endif

/* The words of a raw ping-pong and the waker's timestamps, in a segment
 * both processes map (how they share it is not what is measured). */
typedef struct pong_area {
  uint32_t ping, pong;
  double woken_at;
} pong_area_t;

/* Spin for `seconds` (so that a peer that spins before sleeping is asleep
 * by the end). */
static void busy_wait(double seconds) {
  double until = now_seconds() + seconds;
  while (now_seconds() < until) {
  }
}

/* The waker's side of both measures: `rounds` round trips, each after a
 * pause of `gap` seconds (0: answer at once). Returns microseconds per round
 * trip, or with a gap the median wake-up latency (set to woken). */
typedef struct pinger {
  void (*ping)(void *ctx);
  void (*await_pong)(void *ctx);
  void *ctx;
  pong_area_t *area;
} pinger_t;

static double ping_rounds(const pinger_t *p, int rounds, double gap, double *rtt_median) {
  double start = now_seconds(), *latency = NULL, *rtt = NULL, result;
  int i;
  if (gap > 0) {
    latency = (double *)allocate(sizeof(double) * (size_t)rounds);
    rtt = (double *)allocate(sizeof(double) * (size_t)rounds);
  }
  for (i = 0; i < rounds; i++) {
    double sent;
    if (gap > 0)
      busy_wait(gap);
    sent = now_seconds();
    p->ping(p->ctx);
    p->await_pong(p->ctx);
    if (gap > 0) {
      latency[i] = (p->area->woken_at - sent) * 1e6;
      rtt[i] = (now_seconds() - sent) * 1e6;
    }
  }
  result = gap > 0 ? median(latency, rounds) : (now_seconds() - start) * 1e6 / rounds;
  if (rtt_median != NULL)
    *rtt_median = gap > 0 ? median(rtt, rounds) : result;
  free(latency);
  free(rtt);
  return result;
}

/* Ours: two named events. */
typedef struct event_pair {
  ipc_shm_event_t *ping, *pong;
} event_pair_t;
static void event_ping(void *ctx) { check(ipc_shm_event_set(((event_pair_t *)ctx)->ping), "set"); }
static void event_await(void *ctx) {
  check(ipc_shm_event_wait(((event_pair_t *)ctx)->pong, IPC_SHM_FOREVER), "wait");
}

/* Raw: a futex word each way (Linux), or two kernel events (Windows). */
#ifdef _WIN32
typedef struct raw_pair {
  HANDLE ping, pong;
} raw_pair_t;
static void raw_ping(void *ctx) { SetEvent(((raw_pair_t *)ctx)->ping); }
static void raw_await(void *ctx) { WaitForSingleObject(((raw_pair_t *)ctx)->pong, INFINITE); }
static HANDLE raw_event(const char *name, int create) {
  WCHAR wide[64] = L"Local\\";
  MultiByteToWideChar(CP_UTF8, 0, name, -1, wide + 6, 58);
  return create ? CreateEventW(NULL, FALSE, FALSE, wide)
                : OpenEventW(EVENT_MODIFY_STATE | SYNCHRONIZE, FALSE, wide);
}
#else
/* Elsewhere the raw side is a futex only where there is one. */
#if !defined(__linux__)
#define futex_wait(word, value) ((void)(word), (void)(value))
#define futex_wake(word) ((void)(word))
#endif
static void raw_ping(void *ctx) {
  pong_area_t *area = (pong_area_t *)ctx;
  __atomic_store_n(&area->ping, 1, __ATOMIC_SEQ_CST);
  futex_wake(&area->ping);
}
static void raw_await(void *ctx) {
  pong_area_t *area = (pong_area_t *)ctx;
  while (__atomic_load_n(&area->pong, __ATOMIC_SEQ_CST) == 0)
    futex_wait(&area->pong, 0);
  __atomic_store_n(&area->pong, 0, __ATOMIC_SEQ_CST);
}
#endif

/* Semaphores: ours, and the raw calls a program would otherwise use:
 * process-shared sem_t in the segment with sem_post/sem_wait (Linux;
 * macOS has no unnamed ones), or ReleaseSemaphore/WaitForSingleObject. */
typedef struct semaphore_pair {
  ipc_shm_semaphore_t *ping, *pong;
} semaphore_pair_t;
static void semaphore_ping(void *ctx) {
  check(ipc_shm_semaphore_post(((semaphore_pair_t *)ctx)->ping), "post");
}
static void semaphore_await(void *ctx) {
  check(ipc_shm_semaphore_wait(((semaphore_pair_t *)ctx)->pong, IPC_SHM_FOREVER), "wait");
}
/* Where the raw semaphores live in the segment, after the pong area. */
#define RAW_SEMS_AT 64
#if defined(_WIN32)
#define RAW_SEMAPHORES "raw ReleaseSemaphore/WaitForSingleObject"
#define HAVE_RAW_SEMAPHORES 1
static void raw_sem_ping(void *ctx) { ReleaseSemaphore(((raw_pair_t *)ctx)->ping, 1, NULL); }
static HANDLE raw_semaphore(const char *name, int create) {
  WCHAR wide[64] = L"Local\\";
  MultiByteToWideChar(CP_UTF8, 0, name, -1, wide + 6, 58);
  return create ? CreateSemaphoreW(NULL, 0, 1000000, wide)
                : OpenSemaphoreW(SEMAPHORE_MODIFY_STATE | SYNCHRONIZE, FALSE, wide);
}
#elif defined(__linux__)
#include <semaphore.h>
#define RAW_SEMAPHORES "raw sem_post/sem_wait (process-shared)"
#define HAVE_RAW_SEMAPHORES 1
typedef struct raw_sems {
  sem_t ping, pong;
} raw_sems_t;
static void raw_sem_ping(void *ctx) { sem_post(&((raw_sems_t *)ctx)->ping); }
static void raw_sem_await(void *ctx) {
  while (sem_wait(&((raw_sems_t *)ctx)->pong) != 0) {
  }
}
#else
#define HAVE_RAW_SEMAPHORES 0
#endif

/* The other process: answer `rounds` pings, noting when each woke it.
 * Modes: "events" (ours) or "raw"; "semaphores" (ours) or
 * "raw-semaphores". */
static int run_ponger(const char *mode, const char *base, int rounds) {
  char name[IPC_SHM_NAME_MAX + 8];
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  pong_area_t *area;
  int i;
  snprintf(name, sizeof(name), "%s-a", base);
  if (ipc_shm_open(&shm, name, 0) != 0 || ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE) != 0)
    return 1;
  area = (pong_area_t *)ipc_shm_view_data(view);
  if (strcmp(mode, "events") == 0) {
    ipc_shm_event_t *ping, *pong;
    snprintf(name, sizeof(name), "%s-p", base);
    if (ipc_shm_event_open(&ping, name, 0) != 0)
      return 1;
    snprintf(name, sizeof(name), "%s-q", base);
    if (ipc_shm_event_open(&pong, name, 0) != 0)
      return 1;
    for (i = 0; i < rounds; i++) {
      if (ipc_shm_event_wait(ping, IPC_SHM_FOREVER) != 0)
        return 1;
      area->woken_at = now_seconds();
      ipc_shm_event_set(pong);
    }
    ipc_shm_event_close(ping);
    ipc_shm_event_close(pong);
  } else if (strcmp(mode, "semaphores") == 0) {
    ipc_shm_semaphore_t *ping, *pong;
    snprintf(name, sizeof(name), "%s-sp", base);
    if (ipc_shm_semaphore_open(&ping, name, 0) != 0)
      return 1;
    snprintf(name, sizeof(name), "%s-sq", base);
    if (ipc_shm_semaphore_open(&pong, name, 0) != 0)
      return 1;
    for (i = 0; i < rounds; i++) {
      if (ipc_shm_semaphore_wait(ping, IPC_SHM_FOREVER) != 0)
        return 1;
      area->woken_at = now_seconds();
      ipc_shm_semaphore_post(pong);
    }
    ipc_shm_semaphore_close(ping);
    ipc_shm_semaphore_close(pong);
  } else if (strcmp(mode, "raw-semaphores") == 0) {
#if defined(_WIN32)
    HANDLE ping, pong;
    snprintf(name, sizeof(name), "%s-rsp", base);
    ping = raw_semaphore(name, 0);
    snprintf(name, sizeof(name), "%s-rsq", base);
    pong = raw_semaphore(name, 0);
    if (ping == NULL || pong == NULL)
      return 1;
    for (i = 0; i < rounds; i++) {
      WaitForSingleObject(ping, INFINITE);
      area->woken_at = now_seconds();
      ReleaseSemaphore(pong, 1, NULL);
    }
    CloseHandle(ping);
    CloseHandle(pong);
#elif HAVE_RAW_SEMAPHORES
    raw_sems_t *sems = (raw_sems_t *)((char *)area + RAW_SEMS_AT);
    for (i = 0; i < rounds; i++) {
      while (sem_wait(&sems->ping) != 0) {
      }
      area->woken_at = now_seconds();
      sem_post(&sems->pong);
    }
#else
    return 1;
#endif
  } else {
#ifdef _WIN32
    HANDLE ping, pong;
    snprintf(name, sizeof(name), "%s-rp", base);
    ping = raw_event(name, 0);
    snprintf(name, sizeof(name), "%s-rq", base);
    pong = raw_event(name, 0);
    if (ping == NULL || pong == NULL)
      return 1;
    for (i = 0; i < rounds; i++) {
      WaitForSingleObject(ping, INFINITE);
      area->woken_at = now_seconds();
      SetEvent(pong);
    }
#else
    for (i = 0; i < rounds; i++) {
      while (__atomic_load_n(&area->ping, __ATOMIC_SEQ_CST) == 0)
        futex_wait(&area->ping, 0);
      __atomic_store_n(&area->ping, 0, __ATOMIC_SEQ_CST);
      area->woken_at = now_seconds();
      __atomic_store_n(&area->pong, 1, __ATOMIC_SEQ_CST);
      futex_wake(&area->pong);
    }
#endif
  }
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  return 0;
}

/* The median round trip, in microseconds, of `rounds` ping-pongs over the
 * raw calls (a futex each way; Windows: two kernel events) with a peer
 * asleep: 1 ms between round trips. The transports' rows measure it by
 * turns with the channel's. */
double raw_sleeping_round_trip_us(const char *self, int rounds) {
  char base[IPC_SHM_NAME_MAX + 1], name[IPC_SHM_NAME_MAX + 8], count[16];
  const char *argv[6];
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  ipc_shm_process_t *child;
  pinger_t pinger;
  double rtt = 0;
  int code = -1;
#ifdef _WIN32
  raw_pair_t raw_events;
#endif
  bench_name(base, "rs", 0);
  snprintf(name, sizeof(name), "%s-a", base);
  check(ipc_shm_create(&shm, name, 4096, 0), "create");
  check(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), "map");
  pinger.area = (pong_area_t *)ipc_shm_view_data(view);
  memset(pinger.area, 0, sizeof(*pinger.area));
#ifdef _WIN32
  snprintf(name, sizeof(name), "%s-rp", base);
  raw_events.ping = raw_event(name, 1);
  snprintf(name, sizeof(name), "%s-rq", base);
  raw_events.pong = raw_event(name, 1);
  pinger.ctx = &raw_events;
#else
  pinger.ctx = pinger.area;
#endif
  pinger.ping = raw_ping;
  pinger.await_pong = raw_await;
  snprintf(count, sizeof(count), "%d", rounds);
  argv[0] = self;
  argv[1] = "--pong";
  argv[2] = "raw";
  argv[3] = base;
  argv[4] = count;
  argv[5] = NULL;
  check(ipc_shm_spawn(&child, argv, NULL, 0), "spawn");
  (void)ping_rounds(&pinger, rounds, 1e-3, &rtt);
  check(ipc_shm_process_wait(child, &code), "wait");
#ifdef _WIN32
  CloseHandle(raw_events.ping);
  CloseHandle(raw_events.pong);
#endif
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  snprintf(name, sizeof(name), "%s-a", base);
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    ipc_shm_remove(name, 0);
  if (code != 0) {
    fprintf(stderr, "ipc-shm-bench: the raw ping-pong child failed\n");
    exit(1);
  }
  return rtt;
}

/* One measure of ours and of the raw calls, each against a child process
 * started for it. */
static void event_rows(const char *self, int rounds) {
  char base[IPC_SHM_NAME_MAX + 1], name[IPC_SHM_NAME_MAX + 8], count[16];
  const char *argv[6];
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  pong_area_t *area;
  double ours[2], raw[2];
  int pass, gap;
  bench_name(base, "e", 0);
  snprintf(name, sizeof(name), "%s-a", base);
  check(ipc_shm_create(&shm, name, 4096, 0), "create");
  check(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), "map");
  area = (pong_area_t *)ipc_shm_view_data(view);
  argv[0] = self;
  argv[1] = "--pong";
  argv[3] = base;
  argv[4] = count;
  argv[5] = NULL;
  for (gap = 0; gap < 2; gap++) {
    /* Round trips answered at once, then wake-ups of a waiter asleep. */
    int n = gap ? rounds / 20 : rounds;
    snprintf(count, sizeof(count), "%d", n);
    for (pass = 0; pass < 2; pass++) {
      ipc_shm_process_t *child;
      pinger_t pinger;
      event_pair_t events;
      int code = -1;
#ifdef _WIN32
      raw_pair_t raw_events;
#endif
      argv[2] = pass == 0 ? "events" : "raw";
      pinger.area = area;
      if (pass == 0) {
        snprintf(name, sizeof(name), "%s-p", base);
        check(ipc_shm_event_create(&events.ping, name, 0), "event_create");
        snprintf(name, sizeof(name), "%s-q", base);
        check(ipc_shm_event_create(&events.pong, name, 0), "event_create");
        pinger.ping = event_ping;
        pinger.await_pong = event_await;
        pinger.ctx = &events;
      } else {
#ifdef _WIN32
        snprintf(name, sizeof(name), "%s-rp", base);
        raw_events.ping = raw_event(name, 1);
        snprintf(name, sizeof(name), "%s-rq", base);
        raw_events.pong = raw_event(name, 1);
        pinger.ctx = &raw_events;
#else
        memset(area, 0, sizeof(*area));
        pinger.ctx = area;
#endif
        pinger.ping = raw_ping;
        pinger.await_pong = raw_await;
      }
      check(ipc_shm_spawn(&child, argv, NULL, 0), "spawn");
      if (pass == 0)
        ours[gap] = ping_rounds(&pinger, n, gap ? 1e-3 : 0, NULL);
      else
        raw[gap] = ping_rounds(&pinger, n, gap ? 1e-3 : 0, NULL);
      check(ipc_shm_process_wait(child, &code), "wait");
      if (code != 0) {
        fprintf(stderr, "ipc-shm-bench: the ping-pong child failed\n");
        exit(1);
      }
      if (pass == 0) {
        ipc_shm_event_close(events.ping);
        ipc_shm_event_close(events.pong);
        if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED) {
          snprintf(name, sizeof(name), "%s-p", base);
          ipc_shm_remove(name, 0);
          snprintf(name, sizeof(name), "%s-q", base);
          ipc_shm_remove(name, 0);
        }
      }
#ifdef _WIN32
      else {
        CloseHandle(raw_events.ping);
        CloseHandle(raw_events.pong);
      }
#endif
    }
  }
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  snprintf(name, sizeof(name), "%s-a", base);
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    ipc_shm_remove(name, 0);
#if defined(_WIN32)
#define RAW_EVENTS "raw SetEvent/WaitForSingleObject"
#elif defined(__linux__)
#define RAW_EVENTS "raw futex"
#else
#define RAW_EVENTS "raw spinning flags"
#endif
  csv_row("latency", "event-busy", NA, NA, NA, NA, NA, ours[0], NA);
  csv_row("latency", "raw-event-busy", NA, NA, NA, NA, NA, raw[0], NA);
  csv_row("latency", "event-sleeping", NA, NA, NA, NA, NA, ours[1], NA);
  csv_row("latency", "raw-event-sleeping", NA, NA, NA, NA, NA, raw[1], NA);
  info_row("event ping-pong round trip, answered at once", ours[0], "us");
  info_row("  the same with " RAW_EVENTS, raw[0], "us");
  row("  events / raw", ours[0] / raw[0], "x", 1.15, 1);
  info_row("event wake-up of a sleeping waiter (median)", ours[1], "us");
  info_row("  the same with " RAW_EVENTS, raw[1], "us");
  row("  events / raw", ours[1] / raw[1], "x", 1.15, 1);
}

/* One pass of the semaphore ping-pong against a child started for it:
 * ours (raw 0) or the raw calls (raw 1); `n` round trips answered at once
 * (gap 0), or wake-ups of a sleeper 1 ms apart. */
static double semaphore_pass(const char *self, const char *base, pong_area_t *area, int raw,
                             int n, int gap) {
  char name[IPC_SHM_NAME_MAX + 8], count[16];
  const char *argv[6];
  ipc_shm_process_t *child;
  pinger_t pinger;
  semaphore_pair_t ours;
  double result;
  int code = -1;
#ifdef _WIN32
  raw_pair_t raw_sems;
#endif
  memset(&pinger, 0, sizeof(pinger));
  snprintf(count, sizeof(count), "%d", n);
  argv[0] = self;
  argv[1] = "--pong";
  argv[2] = raw ? "raw-semaphores" : "semaphores";
  argv[3] = base;
  argv[4] = count;
  argv[5] = NULL;
  pinger.area = area;
  if (!raw) {
    snprintf(name, sizeof(name), "%s-sp", base);
    check(ipc_shm_semaphore_create(&ours.ping, name, 0, 1000000, 0), "semaphore_create");
    snprintf(name, sizeof(name), "%s-sq", base);
    check(ipc_shm_semaphore_create(&ours.pong, name, 0, 1000000, 0), "semaphore_create");
    pinger.ping = semaphore_ping;
    pinger.await_pong = semaphore_await;
    pinger.ctx = &ours;
  } else {
#if defined(_WIN32)
    snprintf(name, sizeof(name), "%s-rsp", base);
    raw_sems.ping = raw_semaphore(name, 1);
    snprintf(name, sizeof(name), "%s-rsq", base);
    raw_sems.pong = raw_semaphore(name, 1);
    pinger.ctx = &raw_sems;
    pinger.ping = raw_sem_ping;
    pinger.await_pong = raw_await;
#elif HAVE_RAW_SEMAPHORES
    raw_sems_t *sems = (raw_sems_t *)((char *)area + RAW_SEMS_AT);
    sem_init(&sems->ping, 1, 0);
    sem_init(&sems->pong, 1, 0);
    pinger.ctx = sems;
    pinger.ping = raw_sem_ping;
    pinger.await_pong = raw_sem_await;
#endif
  }
  check(ipc_shm_spawn(&child, argv, NULL, 0), "spawn");
  result = ping_rounds(&pinger, n, gap ? 1e-3 : 0, NULL);
  check(ipc_shm_process_wait(child, &code), "wait");
  if (code != 0) {
    fprintf(stderr, "ipc-shm-bench: the semaphore ping-pong child failed\n");
    exit(1);
  }
  if (!raw) {
    ipc_shm_semaphore_close(ours.ping);
    ipc_shm_semaphore_close(ours.pong);
    if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED) {
      snprintf(name, sizeof(name), "%s-sp", base);
      ipc_shm_remove(name, 0);
      snprintf(name, sizeof(name), "%s-sq", base);
      ipc_shm_remove(name, 0);
    }
  } else {
#if defined(_WIN32)
    CloseHandle(raw_sems.ping);
    CloseHandle(raw_sems.pong);
#elif HAVE_RAW_SEMAPHORES
    raw_sems_t *sems = (raw_sems_t *)((char *)area + RAW_SEMS_AT);
    sem_destroy(&sems->ping);
    sem_destroy(&sems->pong);
#endif
  }
  return result;
}

#define SEMAPHORE_ROUNDS 3

/* Semaphore ping-pong, ours and the raw calls by turns, SEMAPHORE_ROUNDS
 * rounds each: the median round and the worst. */
static void semaphore_rows(const char *self, int rounds) {
  static const char *const what[2] = {"semaphore round trip, answered at once",
                                      "semaphore wake-up of a sleeping waiter (median)"};
  static const char *const names[2][2] = {{"semaphore-busy", "raw-semaphore-busy"},
                                          {"semaphore-sleeping", "raw-semaphore-sleeping"}};
  char base[IPC_SHM_NAME_MAX + 1], name[IPC_SHM_NAME_MAX + 8], label[128];
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  pong_area_t *area;
  double us[2][2][SEMAPHORE_ROUNDS];
  int gap, raw, r;
  bench_name(base, "s", 0);
  snprintf(name, sizeof(name), "%s-a", base);
  check(ipc_shm_create(&shm, name, 4096, 0), "create");
  check(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), "map");
  area = (pong_area_t *)ipc_shm_view_data(view);
  for (gap = 0; gap < 2; gap++)
    for (r = 0; r < SEMAPHORE_ROUNDS; r++)
      for (raw = 0; raw <= HAVE_RAW_SEMAPHORES; raw++)
        us[gap][raw][r] = semaphore_pass(self, base, area, raw, gap ? rounds / 20 : rounds, gap);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    ipc_shm_remove(name, 0);
  for (gap = 0; gap < 2; gap++) {
    double median_us[2], worst_us[2];
    for (raw = 0; raw <= HAVE_RAW_SEMAPHORES; raw++) {
      bench_measure_t m;
      median_us[raw] = median(us[gap][raw], SEMAPHORE_ROUNDS); /* sorts */
      worst_us[raw] = us[gap][raw][SEMAPHORE_ROUNDS - 1];
      memset(&m, 0, sizeof(m));
      m.kind = "latency";
      m.transport = names[gap][raw];
      m.condition = "idle";
      m.msg_bytes = m.total_bytes = m.seconds = m.gb_per_s = m.msgs_per_s = m.p99_us = NA;
      m.worst_gb_per_s = m.worst_msgs_per_s = NA;
      m.p50_us = median_us[raw];
      m.worst_p50_us = worst_us[raw];
      m.rounds = SEMAPHORE_ROUNDS;
      csv_measure(&m);
    }
    snprintf(label, sizeof(label), "%s [%.2f]", what[gap], worst_us[0]);
    info_row(label, median_us[0], "us");
#if HAVE_RAW_SEMAPHORES
    snprintf(label, sizeof(label), "  the same with %s [%.2f]", RAW_SEMAPHORES, worst_us[1]);
    info_row(label, median_us[1], "us");
    row("  semaphores / raw", median_us[0] / median_us[1], "x", 1.15, 1);
#endif
  }
}

/* Nanoseconds per uncontended lock + unlock: ours, and the raw lock a
 * program would otherwise use (pthread_mutex; Windows: a kernel mutex).
 * Each runs in batches for `seconds`: a kernel mutex under Wine costs a
 * round trip to its server, a futex word a few nanoseconds. */
typedef struct lock_ops {
  void (*lock)(void *ctx);
  void (*unlock)(void *ctx);
  void *ctx;
} lock_ops_t;

static double lock_unlock_ns(const lock_ops_t *ops, double seconds) {
  double start = now_seconds(), elapsed;
  long done = 0;
  do {
    int i;
    for (i = 0; i < 1000; i++) {
      ops->lock(ops->ctx);
      ops->unlock(ops->ctx);
    }
    done += 1000;
    elapsed = now_seconds() - start;
  } while (elapsed < seconds);
  return elapsed * 1e9 / (double)done;
}

static void ours_lock(void *ctx) { ipc_shm_mutex_lock((ipc_shm_mutex_t *)ctx, IPC_SHM_FOREVER); }
static void ours_unlock(void *ctx) { ipc_shm_mutex_unlock((ipc_shm_mutex_t *)ctx); }
#ifdef _WIN32
static void raw_lock(void *ctx) { WaitForSingleObject((HANDLE)ctx, INFINITE); }
static void raw_unlock(void *ctx) { ReleaseMutex((HANDLE)ctx); }
#define RAW_MUTEX "raw WaitForSingleObject/ReleaseMutex"
#else
static void raw_lock(void *ctx) { pthread_mutex_lock((pthread_mutex_t *)ctx); }
static void raw_unlock(void *ctx) { pthread_mutex_unlock((pthread_mutex_t *)ctx); }
#define RAW_MUTEX "raw pthread_mutex (process-shared)"
#endif

static void mutex_rows(double seconds) {
  ipc_shm_mutex_t *mutex;
  lock_ops_t ops;
  double ours, raw;
#ifdef _WIN32
  HANDLE raw_mutex = CreateMutexW(NULL, FALSE, NULL);
#else
  pthread_mutexattr_t attr;
  pthread_mutex_t raw_mutex_storage, *raw_mutex = &raw_mutex_storage;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(raw_mutex, &attr);
#endif
  check(ipc_shm_mutex_create_anonymous(&mutex, 0), "mutex_create_anonymous");
  ops.lock = ours_lock;
  ops.unlock = ours_unlock;
  ops.ctx = mutex;
  ours = lock_unlock_ns(&ops, seconds);
  ops.lock = raw_lock;
  ops.unlock = raw_unlock;
  ops.ctx = (void *)raw_mutex;
  raw = lock_unlock_ns(&ops, seconds);
  ipc_shm_mutex_close(mutex);
#ifdef _WIN32
  CloseHandle(raw_mutex);
#else
  pthread_mutex_destroy(raw_mutex);
#endif
  csv_row("lifecycle", "mutex-lock-unlock", NA, NA, ours * 1e-9, NA, 1e9 / ours, NA, NA);
  csv_row("lifecycle", "raw-mutex-lock-unlock", NA, NA, raw * 1e-9, NA, 1e9 / raw, NA, NA);
  info_row("mutex lock + unlock, uncontended", ours, "ns");
  info_row("  the same with " RAW_MUTEX, raw, "ns");
  row("  mutex / raw", ours / raw, "x", 2.0, 1);
}

/* A lifecycle row of the CSV: microseconds per operation. */
static void lifecycle(const char *name, double bytes, double us) {
  csv_row("lifecycle", name, bytes, NA, us * 1e-6, NA, 1e6 / us, NA, NA);
}

static int run_child(void) {
  ipc_shm_t *shm;
  if (ipc_shm_inherited(&shm, 0) != 0)
    return 1;
  ipc_shm_close(shm);
  return 0;
}

static int part(const char *name) { return bench_only == NULL || strcmp(bench_only, name) == 0; }

/* Segments: lifecycle, memory, copies into a view, hand-over. */
static void segment_rows(const char *self, size_t big, int n) {
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  unsigned char *source;
  double shared_touch, private_touch, shared_copy, private_copy, before, after;

  {
    double us = create_close_us(n / 4);
    row("create + close a named 64 KiB segment", us, "us", 100, 1);
    lifecycle("create-close", 65536, us);
    us = open_close_us(n);
    row("open + close an existing segment", us, "us", 50, 1);
    lifecycle("open-close", 65536, us);
  }
  {
    /* Raw and API by turns, cycle by cycle, the median cycle of each: the
     * machine's drift hits all alike, and an interrupt one cycle only. */
    double raws[CYCLES], exacts[CYCLES], sparses[CYCLES], raw, exact, api, sparse;
    int r, cycles = n / 5 < CYCLES ? n / 5 : CYCLES;
    for (r = 0; r < cycles; r++) {
      int k;
      for (k = 0; k < 3; k++) /* each first, second and third by turns */
        switch ((r + k) % 3) {
        case 0:
          raws[r] = cycle_raw_us(1, 0);
          break;
        case 1:
          exacts[r] = cycle_raw_us(1, 1);
          break;
        default:
          sparses[r] = cycle_api_us(IPC_SHM_NORESERVE, 1);
        }
    }
    raw = median(raws, cycles);
    exact = median(exacts, cycles);
    sparse = median(sparses, cycles);
    api = cycle_api_us(0, n / 4);
    /* The library gives the object exactly the mode asked for, whatever
     * the umask: the raw calls doing the same work include the fchmod
     * (CSV "raw"); the plainest ones skip it ("raw-plain"). */
    section("64 KiB create, map, touch, unmap, close, remove");
#ifdef _WIN32
    info_row("  raw calls", exact, "us");
#else
    info_row("  raw calls, with fchmod to the exact mode", exact, "us");
    info_row("  the plainest raw calls (no fchmod)", raw, "us");
#endif
    info_row("  the same through the API (NORESERVE)", sparse, "us");
    info_row("  the same through the API (reserved)", api, "us");
#ifndef _WIN32
    info_row("  API NORESERVE / plainest raw calls", sparse / raw, "x");
#endif
    row("  API NORESERVE / raw calls", sparse / exact, "x", 1.05, 1);
    lifecycle("raw", 65536, exact);
    lifecycle("raw-plain", 65536, raw);
    lifecycle("api-reserved", 65536, api);
    lifecycle("api", 65536, sparse);
  }
  {
    double ms = create_big_ms((uint64_t)1 << 30, 0);
    info_row("create + close a 1 GiB segment (reserved)", ms, "ms");
    lifecycle("create-close-1g-reserved", (double)(1u << 30), ms * 1000);
    ms = create_big_ms((uint64_t)1 << 30, IPC_SHM_NORESERVE);
    row("create + close a 1 GiB segment (NORESERVE)", ms, "ms", 5, 1);
    lifecycle("create-close-1g", (double)(1u << 30), ms * 1000);
  }

  check(ipc_shm_create_anonymous(&shm, big, 0), "create_anonymous");
  {
    double us = map_unmap_us(shm, 4096, n);
    row("map + unmap a 4 KiB view", us, "us", 20, 1);
    lifecycle("map-unmap", 4096, us);
    us = map_unmap_us(shm, big - 12345, n / 4);
    row("map + unmap a whole view (untouched)", us, "us", 50, 1);
    lifecycle("map-unmap-whole", (double)(big - 12345), us);
  }

  /* Memory: mapping costs address space, not memory, until pages are used. */
  before = resident_bytes();
  check(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), "map");
  after = resident_bytes();
  row("resident growth: mapping the view", (after - before) / (double)MIB, "MiB", 1, 1);
  csv_row("lifecycle", "resident-after-map", (double)big, after - before, NA, NA, NA, NA, NA);
  memset(ipc_shm_view_data(view), 0, 4096);
  after = resident_bytes();
  row("resident growth: touching one page", (after - before) / (double)MIB, "MiB", 1, 1);
  csv_row("lifecycle", "resident-after-touch", 4096, after - before, NA, NA, NA, NA, NA);

  /* Throughput: shared memory is ordinary memory once its pages exist. */
  source = allocate(big);
  memset(source, 7, big);
  memset(ipc_shm_view_data(view), 0, big);
  {
    unsigned char *private_dest = allocate(big);
    memset(private_dest, 0, big);
    shared_copy = copy_gbps(ipc_shm_view_data(view), source, big);
    private_copy = copy_gbps(private_dest, source, big);
    free(private_dest);
  }
  info_row("memcpy into a shared view", shared_copy, "GB/s");
  info_row("memcpy into private memory", private_copy, "GB/s");
  row("shared / private memcpy", 100.0 * shared_copy / private_copy, "%", 90, 0);
  free(source);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);

  first_touch(big, &shared_touch, &private_touch);
  info_row("first touch of a fresh shared segment", shared_touch, "GB/s");
  info_row("first touch of fresh private memory", private_touch, "GB/s");
  csv_row("lifecycle", "first-touch-shared", NA, (double)big, NA, shared_touch, NA, NA, NA);
  csv_row("lifecycle", "first-touch-private", NA, (double)big, NA, private_touch, NA, NA, NA);

  check(ipc_shm_create_anonymous(&shm, 65536, 0), "create_anonymous");
  {
    double us = send_receive_us(shm, n / 4), ms;
    row("send + receive a segment (read-only)", us, "us", 100, 1);
    lifecycle("handover-send-receive", 65536, us);
    ms = spawn_ms(self, shm, bench_quick ? 5 : 20);
    row("spawn + wait a child inheriting a segment", ms, "ms", 20, 1);
    lifecycle("handover-spawn-wait", 65536, ms * 1000);
  }
  ipc_shm_close(shm);
}

int main(int argc, char **argv) {
  size_t big = 256 * MIB;
  int n = 2000;

  if (argc == 2 && strcmp(argv[1], "--child") == 0)
    return run_child();
  if (argc == 5 && strcmp(argv[1], "--pong") == 0)
    return run_ponger(argv[2], argv[3], atoi(argv[4]));
  if (argc >= 2 && strcmp(argv[1], "--transport-child") == 0)
    return run_transport_child(argc - 2, argv + 2);
  if (argc == 3 && strcmp(argv[1], "--hog") == 0)
    return run_hog(argv[2]);
  if (argc >= 2 && strcmp(argv[1], "--liveness-child") == 0)
    return run_liveness_child(argc - 2, argv + 2);
  {
    int i;
    for (i = 1; i < argc; i++) {
      if (strcmp(argv[i], "--quick") == 0) {
        bench_quick = 1;
      } else if (strcmp(argv[i], "--csv") == 0) {
        bench_csv = 1;
      } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc &&
                 (strcmp(argv[i + 1], "segments") == 0 || strcmp(argv[i + 1], "sync") == 0 ||
                  strcmp(argv[i + 1], "transports") == 0 || strcmp(argv[i + 1], "topics") == 0 ||
                  strcmp(argv[i + 1], "liveness") == 0 || strcmp(argv[i + 1], "copies") == 0)) {
        bench_only = argv[++i];
      } else if (strcmp(argv[i], "--condition") == 0 && i + 1 < argc &&
                 (strcmp(argv[i + 1], "idle") == 0 || strcmp(argv[i + 1], "one-cpu") == 0 ||
                  strcmp(argv[i + 1], "busy") == 0)) {
        bench_condition = argv[++i];
      } else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc && atol(argv[i + 1]) > 0 &&
                 transport_size_known((size_t)atol(argv[i + 1]))) {
        bench_size = (size_t)atol(argv[++i]);
      } else {
        fprintf(stderr, "usage: ipc-shm-bench [--quick] [--csv] "
                        "[--only segments|sync|liveness|copies|transports|topics]\n"
                        "                     [--size 64|4096|65536|1048576] "
                        "[--condition idle|one-cpu|busy]\n");
        return 2;
      }
    }
  }
  if (bench_quick) {
    big = 32 * MIB;
    n = 200;
  }

  if (bench_csv)
    csv_header();
  else
    printf("ipcshm %d.%d.%d, %s, %zu MiB for throughput\n\n", IPC_SHM_VERSION_MAJOR,
         IPC_SHM_VERSION_MINOR, IPC_SHM_VERSION_PATCH,
#ifdef _WIN32
         "Windows backend",
#else
         "POSIX backend",
#endif
         big / MIB);
  if (!bench_csv) {
    printf("| %-46s | %12s | %-5s | %13s | %-6s |\n", "benchmark", "measured", "unit",
           "target", "result");
    printf("|%s|%s|%s|%s|%s|\n", "------------------------------------------------",
           "--------------", "-------", "---------------", "--------");
  }

  if (part("segments"))
    segment_rows(argv[0], big, n);
  if (part("sync")) {
    event_rows(argv[0], bench_quick ? 2000 : 20000);
    semaphore_rows(argv[0], bench_quick ? 2000 : 20000);
    mutex_rows(bench_quick ? 0.2 : 1.0);
  }
  if (part("liveness")) {
    poll_rows(argv[0]);
    death_rows(argv[0]);
  }
  if (part("copies"))
    copy_rows();
  if (part("transports"))
    transport_rows(argv[0]);
  if (part("topics"))
    topic_rows(argv[0]);
  if (!bench_csv)
    printf("\n%s\n", bench_missed == 0 ? "every target met" : "some targets MISSED");
  return 0;
}
