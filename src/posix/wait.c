/* SPDX-License-Identifier: MIT */
/* POSIX backend of waiting: the monotonic clock, the CPUs this process may
 * use, giving the CPU up, and sleeping on a word of shared memory (a futex
 * on Linux; elsewhere a pause and a look). */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#endif

#include "posix_internal.h"

#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if IPC_SHM__LINUX
#include <linux/futex.h>
#endif

int64_t ipc_shm__os_now_ns(void) {
  struct timespec ts;
  (void)clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void ipc_shm__os_yield(void) { (void)SYS.sched_yield(); }

#if IPC_SHM__LINUX
/* Read a small file (a /proc or /sys entry) into `text`; 0 or -1. */
static int read_small_file(const char *path, char *text, size_t size) {
  ssize_t got;
  int fd = SYS.open(path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  got = SYS.read(fd, text, size - 1);
  ipc_shm__os_close_quietly(fd);
  if (got <= 0)
    return -1;
  text[got] = '\0';
  return 0;
}

/* Whole CPUs the cgroup (v2) of this process and its parents allow, from
 * each level's cpu.max ("QUOTA PERIOD" or "max PERIOD"); `cpus` if none
 * limits it. */
static int quota_cpus(int cpus) {
  char text[512], path[700];
  char *group, *end;
  if (read_small_file("/proc/self/cgroup", text, sizeof(text)) != 0)
    return cpus;
  group = strstr(text, "0::");
  if (group == NULL)
    return cpus;
  group += 3;
  end = strchr(group, '\n');
  if (end != NULL)
    *end = '\0';
  for (;;) {
    char limit[64];
    long long quota, period;
    snprintf(path, sizeof(path), "/sys/fs/cgroup%s%scpu.max", group,
             group[0] != '\0' && group[strlen(group) - 1] == '/' ? "" : "/");
    if (read_small_file(path, limit, sizeof(limit)) == 0 &&
        sscanf(limit, "%lld %lld", &quota, &period) == 2 && quota > 0 && period > 0 &&
        quota / period < cpus)
      cpus = quota / period < 1 ? 1 : (int)(quota / period);
    /* Up one level, to the root. */
    {
      char *slash = strrchr(group, '/');
      if (slash == NULL || (slash == group && group[1] == '\0'))
        break;
      if (slash == group)
        slash[1] = '\0';
      else
        *slash = '\0';
    }
  }
  return cpus;
}
#endif

int ipc_shm__os_cpus_usable(void) {
  int cpus;
#if IPC_SHM__LINUX
  cpu_set_t set;
  if (SYS.sched_getaffinity(0, sizeof(set), &set) == 0)
    cpus = CPU_COUNT(&set);
  else
    cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus > 1)
    cpus = quota_cpus(cpus);
#else
  cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
#endif
  return cpus < 1 ? 1 : cpus;
}

int ipc_shm__posix_sleep_on(uint32_t *word, uint32_t expected, int64_t ns) {
#if IPC_SHM__LINUX
  struct timespec pause;
  pause.tv_sec = (time_t)(ns / 1000000000LL);
  pause.tv_nsec = (long)(ns % 1000000000LL);
  if (SYS.futex(word, FUTEX_WAIT, expected, ns == INT64_MAX ? NULL : &pause) == 0)
    return 0;
  if (errno == EAGAIN || errno == EINTR)
    return 0;
  if (errno == ETIMEDOUT)
    return 1;
  return ipc_shm__fail(errno, "futex");
#else
  /* Polling: the pause grows from POLL_FIRST to POLL_MAX, which bounds how
   * late a change is seen. */
  int64_t end = ns == INT64_MAX ? INT64_MAX : ipc_shm__os_now_ns() + ns;
  int64_t step = IPC_SHM__POLL_FIRST_NS;
  for (;;) {
    int64_t left = end == INT64_MAX ? step : end - ipc_shm__os_now_ns();
    struct timespec pause;
    if (ipc_shm__load_acquire32(word) != expected)
      return 0;
    if (left <= 0)
      return 1;
    if (left > step)
      left = step;
    pause.tv_sec = (time_t)(left / 1000000000LL);
    pause.tv_nsec = (long)(left % 1000000000LL);
    (void)SYS.nanosleep(&pause, NULL);
    step = step * 2 < IPC_SHM__POLL_MAX_NS ? step * 2 : IPC_SHM__POLL_MAX_NS;
  }
#endif
}

int ipc_shm__posix_wake(uint32_t *word, int all) {
#if IPC_SHM__LINUX
  if (SYS.futex(word, FUTEX_WAKE, all ? (uint32_t)INT_MAX : 1u, NULL) < 0)
    return ipc_shm__fail(errno, "futex");
#else
  (void)word;
  (void)all;
#endif
  return 0;
}

void ipc_shm__os_sleep_ns(int64_t ns) {
  struct timespec pause;
  pause.tv_sec = (time_t)(ns / 1000000000LL);
  pause.tv_nsec = (long)(ns % 1000000000LL);
  (void)SYS.nanosleep(&pause, NULL);
}
