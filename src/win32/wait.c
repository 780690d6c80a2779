/* SPDX-License-Identifier: MIT */
/* Windows backend of waiting: the monotonic clock, the CPUs this process
 * may use, giving the CPU up and sleeping. Events, mutexes and channels
 * sleep in the kernel on their own objects (sync.c, channel.c). */
#include "win32_internal.h"

int64_t ipc_shm__os_now_ns(void) {
  static LARGE_INTEGER frequency;
  LARGE_INTEGER count;
  if (frequency.QuadPart == 0)
    QueryPerformanceFrequency(&frequency);
  QueryPerformanceCounter(&count);
  /* Seconds and the rest apart, so that neither product overflows. */
  return (int64_t)(count.QuadPart / frequency.QuadPart) * 1000000000LL +
         (int64_t)(count.QuadPart % frequency.QuadPart) * 1000000000LL / frequency.QuadPart;
}

int ipc_shm__os_cpus_usable(void) {
  DWORD_PTR process_mask = 0, system_mask = 0;
  int cpus = 0;
  if (!SYS.GetProcessAffinityMask(GetCurrentProcess(), &process_mask, &system_mask))
    return 1;
  for (; process_mask != 0; process_mask &= process_mask - 1)
    cpus++;
  return cpus < 1 ? 1 : cpus;
}

void ipc_shm__os_yield(void) { (void)SYS.SwitchToThread(); }

void ipc_shm__os_sleep_ns(int64_t ns) {
  (void)SYS.SleepEx((DWORD)((ns + 999999) / 1000000), FALSE);
}
