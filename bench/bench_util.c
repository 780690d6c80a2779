/* SPDX-License-Identifier: MIT */
/* ipc-shm-bench's shared helpers: the clock, errors and the outputs. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#include <psapi.h>
#else
#include <sched.h>
#include <time.h>
#include <unistd.h>
#endif

int bench_quick;
const char *bench_only;
const char *bench_condition;
size_t bench_size;
int bench_csv;
int bench_missed;


/* ---- Clock and memory ---- */

double now_seconds(void) {
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

/* ---- Conditions ---- */

int bench_pin_to_one_cpu(int on) {
#if defined(_WIN32)
  static DWORD_PTR all;
  DWORD_PTR system_mask = 0;
  if (all == 0 && !GetProcessAffinityMask(GetCurrentProcess(), &all, &system_mask))
    return 0;
  return SetProcessAffinityMask(GetCurrentProcess(), on ? (all & (~all + 1)) : all) != 0;
#elif defined(__linux__)
  static cpu_set_t all;
  static int saved;
  cpu_set_t one;
  int first = 0;
  if (!saved) {
    if (sched_getaffinity(0, sizeof(all), &all) != 0)
      return 0;
    saved = 1;
  }
  while (first < CPU_SETSIZE && !CPU_ISSET(first, &all))
    first++;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  return sched_setaffinity(0, sizeof(one), on ? &one : &all) == 0;
#else
  (void)on;
  return 0; /* no affinity to set (macOS) */
#endif
}

int bench_cpu_count(void) {
#if defined(_WIN32)
  DWORD_PTR mask = 0, system_mask = 0;
  int n = 0;
  GetProcessAffinityMask(GetCurrentProcess(), &mask, &system_mask);
  for (; mask != 0; mask &= mask - 1)
    n++;
  return n > 0 ? n : 1;
#elif defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    return CPU_COUNT(&set);
  return (int)sysconf(_SC_NPROCESSORS_ONLN);
#else
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
#endif
}

/* Resident memory of this process in bytes. */
double resident_bytes(void) {
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

double median(double *values, int n) {
  qsort(values, (size_t)n, sizeof(double), compare_doubles);
  return values[n / 2];
}

void check(int err, const char *what) {
  if (err != 0) {
    fprintf(stderr, "ipc-shm-bench: %s: %s (%s: %ld)\n", what, ipc_shm_strerror(err),
            ipc_shm_last_native_call(), ipc_shm_last_native_error());
    exit(1);
  }
}

unsigned char *allocate(size_t size) {
  unsigned char *p = (unsigned char *)malloc(size);
  if (p == NULL) {
    fprintf(stderr, "ipc-shm-bench: out of memory for %zu bytes\n", size);
    exit(1);
  }
  return p;
}

/* ---- The table ---- */



/* One row. lower_is_better says which side of the target passes. */
void row(const char *name, double value, const char *unit, double target,
                int lower_is_better) {
  int met = lower_is_better ? value <= target : value >= target;
  if (!met)
    bench_missed++;
  if (bench_csv)
    return;
  printf("| %-46s | %12.2f | %-5s | %s %10.2f | %-6s |\n", name, value, unit,
         lower_is_better ? "<=" : ">=", target, met ? "ok" : "MISSED");
}

/* A row that informs and has no target of its own. */
void info_row(const char *name, double value, const char *unit) {
  if (bench_csv)
    return;
  printf("| %-46s | %12.2f | %-5s | %13s | %-6s |\n", name, value, unit, "-", "-");
}

void bench_name(char *out, const char *tag, int i) {
#ifdef _WIN32
  snprintf(out, IPC_SHM_NAME_MAX + 1, "bench%lu-%s%d", GetCurrentProcessId(), tag, i);
#else
  snprintf(out, IPC_SHM_NAME_MAX + 1, "bench%ld-%s%d", (long)getpid(), tag, i);
#endif
}


double percentile(double *values, int n, double fraction) {
  int at;
  qsort(values, (size_t)n, sizeof(double), compare_doubles);
  at = (int)(fraction * (double)(n - 1) + 0.5);
  return values[at < n ? at : n - 1];
}

void section(const char *title) {
  if (!bench_csv)
    printf("| %-46s | %12s | %-5s | %13s | %-6s |\n", title, "", "", "", "");
}

/* A field: empty when it does not apply (negative), a whole number for
 * counts of bytes, else six significant digits. */
static void csv_field(double value, int whole, int last) {
  if (value >= 0) {
    if (whole)
      printf("%.0f", value);
    else
      printf("%.6g", value);
  }
  putchar(last ? '\n' : ',');
}

void csv_header(void) {
  if (bench_csv)
    puts("kind,transport,condition,msg_bytes,total_bytes,seconds,gb_per_s,msgs_per_s,"
         "p50_us,p99_us,worst_gb_per_s,worst_msgs_per_s,worst_p50_us,rounds");
}

void csv_measure(const bench_measure_t *m) {
  if (!bench_csv)
    return;
  printf("%s,%s,%s,", m->kind, m->transport, m->condition != NULL ? m->condition : "idle");
  csv_field(m->msg_bytes, 1, 0);
  csv_field(m->total_bytes, 1, 0);
  csv_field(m->seconds, 0, 0);
  csv_field(m->gb_per_s, 0, 0);
  csv_field(m->msgs_per_s, 0, 0);
  csv_field(m->p50_us, 0, 0);
  csv_field(m->p99_us, 0, 0);
  csv_field(m->worst_gb_per_s, 0, 0);
  csv_field(m->worst_msgs_per_s, 0, 0);
  csv_field(m->worst_p50_us, 0, 0);
  csv_field(m->rounds, 1, 1);
}

void csv_row(const char *kind, const char *transport, double msg_bytes, double total_bytes,
             double seconds, double gb_per_s, double msgs_per_s, double p50_us, double p99_us) {
  bench_measure_t m;
  m.kind = kind;
  m.transport = transport;
  m.condition = "idle";
  m.msg_bytes = msg_bytes;
  m.total_bytes = total_bytes;
  m.seconds = seconds;
  m.gb_per_s = gb_per_s;
  m.msgs_per_s = msgs_per_s;
  m.p50_us = p50_us;
  m.p99_us = p99_us;
  m.worst_gb_per_s = m.worst_msgs_per_s = m.worst_p50_us = NA;
  m.rounds = NA;
  csv_measure(&m);
}
