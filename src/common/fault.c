/* SPDX-License-Identifier: MIT */
/* Fault injection: which call of which system-call entry fails. The tables
 * themselves are the backends' (src/posix/syscall.c, src/win32/syscall.c);
 * this is the portable bookkeeping their counting wrappers consult. Test
 * machinery: one thread at a time, never used by the library itself. */
#include "common.h"

#include <stdlib.h>
#include <string.h>

/* More than any backend has; checked by the backends' tables. */
#define MAX_ENTRIES 96

static unsigned long calls[MAX_ENTRIES];
static int armed_entry = -1;
static unsigned long armed_nth;
static long armed_native;
static int fired;

int ipc_shm__syscall_find(const char *name) {
  int i, n = ipc_shm__syscall_count();
  for (i = 0; i < n; i++)
    if (strcmp(ipc_shm__syscall_entry(i), name) == 0)
      return i;
  return -1;
}

void ipc_shm__faults_begin(void) {
  memset(calls, 0, sizeof(calls));
  armed_entry = -1;
  fired = 0;
  ipc_shm__os_syscalls_wrap(1);
}

void ipc_shm__faults_end(void) {
  ipc_shm__os_syscalls_wrap(0);
  armed_entry = -1;
}

void ipc_shm__fault_arm(int entry, unsigned long nth, long native) {
  armed_entry = entry;
  armed_nth = nth;
  armed_native = native;
  fired = 0;
}

unsigned long ipc_shm__fault_calls(int entry) {
  return entry >= 0 && entry < MAX_ENTRIES ? calls[entry] : 0;
}

int ipc_shm__fault_fired(void) { return fired; }

int ipc_shm__fault_fires(int entry) {
  if (entry < 0 || entry >= MAX_ENTRIES)
    abort(); /* a table larger than this file knows: a build error */
  calls[entry]++;
  if (entry != armed_entry || calls[entry] != armed_nth)
    return 0;
  fired = 1;
  return 1;
}

long ipc_shm__fault_native(void) { return armed_native; }
