/* SPDX-License-Identifier: MIT */
/* The table of system calls every backend calls the OS through, and fault
 * injection over it (src/common/fault.c; the tables are in
 * src/posix/syscall.c and src/win32/syscall.c): tests make any call fail,
 * and count the calls a function makes. */
#ifndef IPC_SHM_FAULT_H
#define IPC_SHM_FAULT_H

/* Entries of the backend's table, numbered from 0. */
int ipc_shm__syscall_count(void);
/* The call the entry makes, as the error record names it. */
const char *ipc_shm__syscall_name(int entry);
/* The entry's own name, unique in the table (two entries may make one call
 * with different arguments: "fcntl" and "fcntl_lock"). */
const char *ipc_shm__syscall_entry(int entry);
/* The entry named `name` (its own name), or -1. */
int ipc_shm__syscall_find(const char *name);

/* For tests, one thread at a time. Begin routes every call through a
 * counting wrapper and clears the counts; end routes them back. While
 * begun, ipc_shm__fault_arm makes call number `nth` (from 1, counted since
 * begin) of `entry` fail with `native` instead of reaching the OS. Calls
 * that release something (close, munmap, CloseHandle, UnmapViewOfFile)
 * release it and then report the failure, as the OS does. */
void ipc_shm__faults_begin(void);
void ipc_shm__faults_end(void);
void ipc_shm__fault_arm(int entry, unsigned long nth, long native);
/* Calls of `entry` since begin (failed ones included). */
unsigned long ipc_shm__fault_calls(int entry);
/* 1 if the armed failure has happened. */
int ipc_shm__fault_fired(void);

/* Backend side: the wrappers ask whether this call of `entry` must fail;
 * if so, ipc_shm__fault_native() is the error to report. */
int ipc_shm__fault_fires(int entry);
long ipc_shm__fault_native(void);
/* Backend: point every entry at its counting wrapper (on) or at the OS
 * function (off). */
void ipc_shm__os_syscalls_wrap(int on);

#endif
