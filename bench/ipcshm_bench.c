/* SPDX-License-Identifier: MIT */
/* ipcshm_bench: what the library costs, as a table. Speed and memory
 * targets live here, not in the tests:
 *
 *   ipcshm_bench [--quick]
 *
 * Each row gives the measured value, the target, and whether it was met.
 * Times are medians of several rounds, so one slow round (a page-cache
 * flush, a scheduler hiccup) does not decide the figure. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* syscall */
#endif
#include "ipc_shm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#include <psapi.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#endif

#define MIB ((size_t)1 << 20)
#define ROUNDS 5

static int quick;

/* ---- Clock and memory ---- */

static double now_seconds(void) {
#ifdef _WIN32
  LARGE_INTEGER count, frequency;
  QueryPerformanceCounter(&count);
  QueryPerformanceFrequency(&frequency);
  return (double)count.QuadPart / (double)frequency.QuadPart;
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
#endif
}

/* Resident memory of this process in bytes. */
static double resident_bytes(void) {
#ifdef _WIN32
  PROCESS_MEMORY_COUNTERS counters;
  if (!GetProcessMemoryInfo(GetCurrentProcess(), &counters, sizeof(counters)))
    return 0;
  return (double)counters.WorkingSetSize;
#else
  long pages = 0, resident = 0;
  FILE *statm = fopen("/proc/self/statm", "r");
  if (statm == NULL)
    return 0;
  if (fscanf(statm, "%ld %ld", &pages, &resident) != 2)
    resident = 0;
  fclose(statm);
  return (double)resident * (double)sysconf(_SC_PAGESIZE);
#endif
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *values, int n) {
  qsort(values, (size_t)n, sizeof(double), compare_doubles);
  return values[n / 2];
}

static void check(int err, const char *what) {
  if (err != 0) {
    fprintf(stderr, "ipcshm_bench: %s: %s (%s: %ld)\n", what, ipc_shm_strerror(err),
            ipc_shm_last_native_call(), ipc_shm_last_native_error());
    exit(1);
  }
}

static unsigned char *allocate(size_t size) {
  unsigned char *p = (unsigned char *)malloc(size);
  if (p == NULL) {
    fprintf(stderr, "ipcshm_bench: out of memory for %zu bytes\n", size);
    exit(1);
  }
  return p;
}

/* ---- The table ---- */

static int missed;

/* One row. lower_is_better says which side of the target passes. */
static void row(const char *name, double value, const char *unit, double target,
                int lower_is_better) {
  int met = lower_is_better ? value <= target : value >= target;
  if (!met)
    missed++;
  printf("| %-46s | %12.2f | %-5s | %s %10.2f | %-6s |\n", name, value, unit,
         lower_is_better ? "<=" : ">=", target, met ? "ok" : "MISSED");
}

/* A row that informs and has no target of its own. */
static void info_row(const char *name, double value, const char *unit) {
  printf("| %-46s | %12.2f | %-5s | %13s | %-6s |\n", name, value, unit, "-", "-");
}

static void bench_name(char *out, const char *tag, int i) {
#ifdef _WIN32
  snprintf(out, IPC_SHM_NAME_MAX + 1, "bench%lu-%s%d", GetCurrentProcessId(), tag, i);
#else
  snprintf(out, IPC_SHM_NAME_MAX + 1, "bench%ld-%s%d", (long)getpid(), tag, i);
#endif
}

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
 * does it: shm_open + ftruncate + mmap (CreateFileMappingW + MapViewOfFile). */
static double cycle_raw_us(int n) {
  char name[IPC_SHM_NAME_MAX + 2];
  double start = now_seconds();
  int i;
  for (i = 0; i < n; i++) {
#ifdef _WIN32
    WCHAR wide[64];
    HANDLE section;
    unsigned char *p;
    bench_name(name, "rw", i);
    MultiByteToWideChar(CP_UTF8, 0, name, -1, wide, 64);
    section = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, CYCLE_SIZE,
                                 wide);
    p = section != NULL ? (unsigned char *)MapViewOfFile(section, FILE_MAP_WRITE, 0, 0, 0)
                        : NULL;
    if (p == NULL) {
      fprintf(stderr, "ipcshm_bench: raw cycle failed (%lu)\n", GetLastError());
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
    if (fd < 0 || ftruncate(fd, CYCLE_SIZE) != 0 ||
        (p = (unsigned char *)mmap(NULL, CYCLE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                                   0)) == MAP_FAILED) {
      perror("ipcshm_bench: raw cycle");
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
  ipc_shm_inherit_t segment = {NULL, 0, NULL, NULL};
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
      fprintf(stderr, "ipcshm_bench: the child failed\n");
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

static double ping_rounds(const pinger_t *p, int rounds, double gap) {
  double start = now_seconds(), *latency = NULL, result;
  int i;
  if (gap > 0)
    latency = (double *)allocate(sizeof(double) * (size_t)rounds);
  for (i = 0; i < rounds; i++) {
    double sent;
    if (gap > 0)
      busy_wait(gap);
    sent = now_seconds();
    p->ping(p->ctx);
    p->await_pong(p->ctx);
    if (gap > 0)
      latency[i] = (p->area->woken_at - sent) * 1e6;
  }
  result = gap > 0 ? median(latency, rounds) : (now_seconds() - start) * 1e6 / rounds;
  free(latency);
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

/* The other process: answer `rounds` pings, noting when each woke it.
 * Modes: "events" (ours) or "raw". */
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
    int n = gap ? rounds / 10 : rounds;
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
        ours[gap] = ping_rounds(&pinger, n, gap ? 200e-6 : 0);
      else
        raw[gap] = ping_rounds(&pinger, n, gap ? 200e-6 : 0);
      check(ipc_shm_process_wait(child, &code), "wait");
      if (code != 0) {
        fprintf(stderr, "ipcshm_bench: the ping-pong child failed\n");
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
  info_row("event ping-pong round trip, answered at once", ours[0], "us");
  info_row("  the same with " RAW_EVENTS, raw[0], "us");
  row("  events / raw", ours[0] / raw[0], "x", 1.15, 1);
  info_row("event wake-up of a sleeping waiter (median)", ours[1], "us");
  info_row("  the same with " RAW_EVENTS, raw[1], "us");
  row("  events / raw", ours[1] / raw[1], "x", 1.15, 1);
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
  info_row("mutex lock + unlock, uncontended", ours, "ns");
  info_row("  the same with " RAW_MUTEX, raw, "ns");
  row("  mutex / raw", ours / raw, "x", 2.0, 1);
}

static int run_child(void) {
  ipc_shm_t *shm;
  if (ipc_shm_inherited(&shm, 0) != 0)
    return 1;
  ipc_shm_close(shm);
  return 0;
}

int main(int argc, char **argv) {
  size_t big = 256 * MIB;
  int n = 2000;
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  unsigned char *source;
  double shared_touch, private_touch, shared_copy, private_copy, before, after;

  if (argc == 2 && strcmp(argv[1], "--child") == 0)
    return run_child();
  if (argc == 5 && strcmp(argv[1], "--pong") == 0)
    return run_ponger(argv[2], argv[3], atoi(argv[4]));
  if (argc == 2 && strcmp(argv[1], "--quick") == 0)
    quick = 1;
  else if (argc != 1) {
    fprintf(stderr, "usage: ipcshm_bench [--quick]\n");
    return 2;
  }
  if (quick) {
    big = 32 * MIB;
    n = 200;
  }

  printf("ipcshm %d.%d.%d, %s, %zu MiB for throughput\n\n", IPC_SHM_VERSION_MAJOR,
         IPC_SHM_VERSION_MINOR, IPC_SHM_VERSION_PATCH,
#ifdef _WIN32
         "Windows backend",
#else
         "POSIX backend",
#endif
         big / MIB);
  printf("| %-46s | %12s | %-5s | %13s | %-6s |\n", "benchmark", "measured", "unit",
         "target", "result");
  printf("|%s|%s|%s|%s|%s|\n", "------------------------------------------------",
         "--------------", "-------", "---------------", "--------");

  row("create + close a named 64 KiB segment", create_close_us(n / 4), "us", 100, 1);
  row("open + close an existing segment", open_close_us(n), "us", 50, 1);
  {
    double raw = cycle_raw_us(n / 4);
    double api = cycle_api_us(0, n / 4);
    double sparse = cycle_api_us(IPC_SHM_NORESERVE, n / 4);
    info_row("64 KiB create/map/touch/unmap/close: raw calls", raw, "us");
    info_row("  the same through the API (reserved)", api, "us");
    info_row("  the same through the API (NORESERVE)", sparse, "us");
    /* Linux publishes a name only once sized (O_TMPFILE, fchmod, linkat):
     * more calls than shm_open + ftruncate. */
    info_row("  API NORESERVE / raw calls", sparse / raw, "x");
  }
  info_row("create + close a 1 GiB segment (reserved)", create_big_ms((uint64_t)1 << 30, 0),
           "ms");
  row("create + close a 1 GiB segment (NORESERVE)",
      create_big_ms((uint64_t)1 << 30, IPC_SHM_NORESERVE), "ms", 5, 1);

  check(ipc_shm_create_anonymous(&shm, big, 0), "create_anonymous");
  row("map + unmap a 4 KiB view", map_unmap_us(shm, 4096, n), "us", 20, 1);
  row("map + unmap a whole view (untouched)", map_unmap_us(shm, big - 12345, n / 4),
      "us", 50, 1);

  /* Memory: mapping costs address space, not memory, until pages are used. */
  before = resident_bytes();
  check(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), "map");
  after = resident_bytes();
  row("resident growth: mapping the view", (after - before) / (double)MIB, "MiB", 1, 1);
  memset(ipc_shm_view_data(view), 0, 4096);
  after = resident_bytes();
  row("resident growth: touching one page", (after - before) / (double)MIB, "MiB", 1, 1);

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

  check(ipc_shm_create_anonymous(&shm, 65536, 0), "create_anonymous");
  row("send + receive a segment (read-only)", send_receive_us(shm, n / 4), "us", 100, 1);
  row("spawn + wait a child inheriting a segment", spawn_ms(argv[0], shm, quick ? 5 : 20),
      "ms", 20, 1);
  ipc_shm_close(shm);

  event_rows(argv[0], quick ? 2000 : 20000);
  mutex_rows(quick ? 0.2 : 1.0);

  printf("\n%s\n", missed == 0 ? "every target met" : "some targets MISSED");
  return 0;
}
