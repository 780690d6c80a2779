/* SPDX-License-Identifier: MIT */
/* Helpers shared by the test suites: unique names, leak probes, child
 * processes with a readiness handshake. */
#ifndef IPC_SHM_TESTUTIL_H
#define IPC_SHM_TESTUTIL_H

#include "ipc_shm.h"
#include "../src/common/object.h" /* IPC_SHM__LINUX, IPC_SHM__NO_HANDLE */

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- What the library does here ---- */

/* The tests follow the code under test: Linux uses its own interfaces
 * (memfd seals, pidfd_getfd, abstract sockets) unless the library was built
 * with IPC_SHM_GENERIC_POSIX, the code of the other POSIX systems; the
 * backend says which (IPC_SHM__LINUX). */
#if defined(IPC_SHM__LINUX) && IPC_SHM__LINUX
#define TEST_LINUX 1
#else
#define TEST_LINUX 0
#endif

/* Pulling a handle from another process: DuplicateHandle, pidfd_getfd. */
#if defined(_WIN32) || TEST_LINUX
#define TEST_CAN_PULL 1
#else
#define TEST_CAN_PULL 0
#endif

/* ---- Names ---- */

/* A segment name no other test or run uses: "t<pid>-<tag><counter>". */
const char *test_name(char buffer[IPC_SHM_NAME_MAX + 1], const char *tag);

/* A file name in the current folder, unique likewise. */
const char *test_file(char *buffer, size_t size, const char *tag);

/* 1 if a named segment exists (opened with the raw OS call). */
int test_segment_exists(const char *name);

/* Remove a segment's name where names outlive their users (POSIX), and
 * assert that it was there; nothing where they do not (Windows). */
void test_remove_name(const char *name);

/* ---- Leak probes ---- */

typedef struct test_resources {
  long handles;  /* open descriptors (POSIX) or handles (Windows) */
  long mappings; /* mapped shared-memory or file views of this process */
} test_resources_t;

/* Count what this process holds. Take both snapshots with no assertion in
 * between: an assertion may open a file. */
test_resources_t test_resources(void);

#define ck_assert_no_leak(before)                                             \
  do {                                                                        \
    test_resources_t after_ = test_resources();                               \
    ck_assert_msg(after_.handles == (before).handles,                         \
                  "handles/descriptors leaked: %ld before, %ld after",         \
                  (before).handles, after_.handles);                          \
    ck_assert_msg(after_.mappings == (before).mappings,                       \
                  "mappings leaked: %ld before, %ld after", (before).mappings, \
                  after_.mappings);                                           \
  } while (0)

#define ck_assert_err(expr, expected)                                          \
  do {                                                                         \
    int got_ = (expr);                                                         \
    ck_assert_msg(got_ == (expected), "%s: expected %s, got %s (%d)", #expr,   \
                  ipc_shm_err_name(expected), ipc_shm_err_name(got_), got_);   \
  } while (0)

/* ---- Child processes ---- */

typedef struct test_proc test_proc_t;

/* fopen, as MSVC's runtime wants it (fopen_s). NULL on failure. */
FILE *test_fopen(const char *path, const char *mode);

/* Seconds on a monotonic clock. */
double test_seconds(void);

/* CPU seconds this process has used, user and system. */
double test_cpu_seconds(void);

/* Sleep for `ms` milliseconds. */
void test_sleep_ms(int ms);

/* Start a program from the test binaries' folder ("ipcshm_tests",
 * "ipc-shm", "raw_peer"; ".exe" is added on Windows), or (POSIX) one given
 * by an absolute path, with a pipe on its
 * standard input and output; standard error is shared with ours. argv is
 * NULL-terminated and excludes the program name. */
test_proc_t *test_proc_start(const char *program, const char *const *argv);

/* The same, with the child's standard error on the output pipe too. */
test_proc_t *test_proc_start_merged(const char *program, const char *const *argv);

/* test_run with standard error in `output` too. */
int test_run_merged(const char *program, const char *const *argv, const char *input,
                    char *output, size_t output_size);

/* Write to the child's standard input. */
void test_proc_write(test_proc_t *proc, const void *data, size_t size);

/* Close the child's standard input: it sees end of file. */
void test_proc_close_stdin(test_proc_t *proc);

/* Read one line (without its end: LF or CRLF) from the child's output.
 * Returns 0, or -1 at end of output. */
int test_proc_read_line(test_proc_t *proc, char *line, size_t size);

/* Read the child's output to its end; returns the number of bytes. */
size_t test_proc_read_all(test_proc_t *proc, char *buffer, size_t size);

/* 1 if this process runs as root (POSIX); 0 on Windows. */
int test_is_root(void);

/* The child's process id, and this process's. */
unsigned long test_proc_pid(const test_proc_t *proc);
unsigned long test_own_pid(void);

/* Kill the child at once (SIGKILL, TerminateProcess), as a crash would. */
void test_proc_kill(test_proc_t *proc);

/* Stop every thread of the child (paused 1: SIGSTOP, NtSuspendProcess) or
 * let them run again (0: SIGCONT, NtResumeProcess). */
void test_proc_pause(test_proc_t *proc, int paused);

/* Read one line from the child and assert that it is `expected`. */
void test_expect_line(test_proc_t *proc, const char *expected);

/* A 32-bit counter at the start of a segment that several processes add
 * to: add one (sequentially consistent), read it (through a writable
 * view: an interlocked read writes, as far as the page is concerned), and
 * wait up to 10 s for it to reach `value`. */
void test_counter_add(void *counter);
long test_counter_read(ipc_shm_t *shm);
void test_counter_await(ipc_shm_t *shm, long value);

/* In a helper process: write one line to the parent at once. */
void test_say(const char *line);

/* In a helper process: wait until standard input ends (the parent closes
 * it, or dies). */
void test_hold_until_stdin_ends(void);

/* Wait for the child to exit and free it; returns its exit status. */
int test_proc_wait(test_proc_t *proc);

/* Run a program to completion with `input` on its standard input; its output
 * goes to `output` (NUL-terminated). Returns its exit status. */
int test_run(const char *program, const char *const *argv, const char *input,
             char *output, size_t output_size);

/* The folder of the test binaries (set by main). */
extern char test_bin_dir[1024];

/* ---- Suites ---- */

/* Each test source adds its cases to the one suite. The test list of
 * ctest is read from the tcase_create("...") calls. */
void add_error_cases(Suite *suite);
void add_name_cases(Suite *suite);
void add_named_cases(Suite *suite);
void add_anonymous_cases(Suite *suite);
void add_file_cases(Suite *suite);
void add_view_cases(Suite *suite);
void add_process_cases(Suite *suite);
void add_interop_cases(Suite *suite);
void add_inherit_cases(Suite *suite);
void add_token_cases(Suite *suite);
void add_seal_cases(Suite *suite);
void add_duplicate_cases(Suite *suite);
void add_send_cases(Suite *suite);
void add_route_cases(Suite *suite);
void add_race_cases(Suite *suite);
void add_hostile_cases(Suite *suite);
void add_fault_cases(Suite *suite);
void add_sync_cases(Suite *suite);
void add_channel_cases(Suite *suite);
void add_channel_status_cases(Suite *suite);
void add_list_cases(Suite *suite);
void add_wait_cases(Suite *suite);
void add_event_cases(Suite *suite);
void add_mutex_cases(Suite *suite);
void add_semaphore_cases(Suite *suite);
void add_topic_cases(Suite *suite);
void add_inbox_cases(Suite *suite);
void add_wait_any_cases(Suite *suite);
void add_ring_cases(Suite *suite);
void add_namespace_cases(Suite *suite);

/* Helper modes of the test binary: "ipcshm_tests helper MODE ARGS...". */
int run_helper(int argc, char **argv);

/* One helper mode: its name, its number of arguments (-1: any), and the
 * function that runs it with the NULL-terminated arguments after MODE. */
typedef struct test_helper_mode {
  const char *mode;
  int args;
  int (*run)(char **argv);
} test_helper_mode_t;

/* Run the mode argv[0] from `modes`; -1 if none matches. */
int test_dispatch_helper(const test_helper_mode_t *modes, size_t count, int argc,
                         char **argv);

/* The helper modes of handover_util.c and the test files; -1 for a mode
 * they do not know. */
int run_handover_helper(int argc, char **argv);
int run_race_helper(int argc, char **argv);
int run_sync_helper(int argc, char **argv);
int run_event_helper(int argc, char **argv);
int run_mutex_helper(int argc, char **argv);
int run_semaphore_helper(int argc, char **argv);
int run_topic_helper(int argc, char **argv);
int run_inbox_helper(int argc, char **argv);
int run_channel_helper(int argc, char **argv);
int run_namespace_helper(int argc, char **argv);

/* Linux: 1 if this process may start others in a new PID namespace
 * (unshare); else 0 and why. */
int test_pid_namespaces_usable(const char **why);

/* The exit status of a test case that cannot run here (ctest's
 * SKIP_RETURN_CODE): it is reported as skipped, never as passed. */
#define TEST_SKIPPED 77

/* ---- Platform probes ---- */

/* What the raw OS says to a receiver of a read-only handle that tries to
 * write: "refused" when every trick fails; "POSSIBLE" when mapping it
 * writable or duplicating it into a writable handle works; "owner-dac"
 * when only the owner's implicit WRITE_DAC lets it open the DACL first (a
 * platform that ignores the OWNER RIGHTS ACE: Wine). */
const char *test_raw_write_refused(ipc_shm_native_t native);

/* 1 if the raw handle value or descriptor number reaches, in this
 * process, a segment that starts with `marker`. */
int test_raw_reaches(unsigned long long value, const char *marker);

/* Make a handle inheritable (as another thread might) or not again. */
void test_set_inheritable(ipc_shm_native_t native, int on);

/* The value of a handle or descriptor, as tokens spell it. */
unsigned long long test_native_value(ipc_shm_native_t native);

/* Set (or with NULL remove) an environment variable. */
void test_set_env(const char *name, const char *value);

/* Let other processes pull from this one: Linux with Yama (ptrace_scope 1)
 * lets only a process's ancestors do so, as an owner must say. */
void test_allow_pullers(void);

/* POSIX: a socket connected to the listener `name`, as a peer that does
 * not use the library would connect. */
int test_raw_connect(const char *name);

/* Connect to a listener and write raw bytes, as a broken or hostile peer
 * would. */
void test_raw_connect_send(const char *name, const void *bytes, size_t size);

/* 1 if the native handle or descriptor is inherited by children (or
 * cannot be asked). Asserts nothing: helpers use it too. */
int test_is_inheritable(ipc_shm_native_t native);

/* 1 if an OWNER RIGHTS ACE (S-1-3-4) takes away the rights an object's
 * owner otherwise has implicitly (READ_CONTROL, WRITE_DAC), as Windows
 * does; 0 where the owner keeps them whatever the DACL says (Wine). POSIX:
 * 1, nothing to take away. Asserts nothing: helpers use it too. */
int test_owner_rights_honoured(void);

/* Set the process's umask (POSIX); returns the old one. Windows: 0. */
unsigned test_umask(unsigned mask);

/* The permission bits of the object behind a descriptor (POSIX); -1 on
 * Windows. */
int test_mode_of(ipc_shm_native_t native);

/* The entries of the table of system calls through which the library asks
 * whether another process still lives (Linux: its presence lock; other
 * POSIX systems: kill and waitid; Windows: opening, checking and waiting
 * on its process), NULL-terminated. */
const char *const *test_liveness_calls(void);

/* A thread of this process running fn(arg); join gives fn's result. */
typedef struct test_thread test_thread_t;
test_thread_t *test_thread_start(int (*fn)(void *arg), void *arg);
int test_thread_join(test_thread_t *thread);

/* Let this process run on CPU 0 only (1), or on every CPU again (0). */
void test_pin_to_one_cpu(int on);

/* Calls through those entries since ipc_shm__faults_begin(). */
unsigned long test_liveness_calls_made(void);

/* Names in the shared-memory directory that start with `prefix` (Linux:
 * /dev/shm); -1 where there is no such directory. */
long test_shm_dir_count(const char *prefix);

/* Names this process may have in that directory: its test names
 * ("t<pid>-...") and the passing names of anonymous segments of the
 * generic code ("ipc_shm.<pid>...."); -1 where there is no directory. */
long test_own_shm_names(void);

/* Remove the passing names of this process's anonymous segments
 * ("ipc_shm.<pid>....") that a failed shm_unlink left behind. */
void test_remove_passing_names(void);

#endif
