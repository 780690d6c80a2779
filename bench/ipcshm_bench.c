/* SPDX-License-Identifier: MIT */
/* ipcshm_bench: what the library costs, as a table. Speed and memory
 * targets live here, not in the tests:
 *
 *   ipcshm_bench [--quick]
 *
 * Each row gives the measured value, the target, and whether it was met.
 * Times are medians of several rounds, so one slow round (a page-cache
 * flush, a scheduler hiccup) does not decide the figure. */
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

  printf("\n%s\n", missed == 0 ? "every target met" : "some targets MISSED");
  return 0;
}
