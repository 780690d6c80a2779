/* SPDX-License-Identifier: MIT */
/* Portable parts of the test helpers. */
#include "testutil.h"

#include "../src/common/common.h"

#include <stdio.h>
#include <string.h>

#ifdef _WIN32
#include <process.h>
#define test_getpid() ((long)_getpid())
#else
#include <unistd.h>
#define test_getpid() ((long)getpid())
#endif

char test_bin_dir[1024];

static unsigned name_counter;

const char *test_name(char buffer[IPC_SHM_NAME_MAX + 1], const char *tag) {
  snprintf(buffer, IPC_SHM_NAME_MAX + 1, "t%ld-%s%u", test_getpid(), tag,
           name_counter++);
  return buffer;
}

const char *test_file(char *buffer, size_t size, const char *tag) {
  snprintf(buffer, size, "ipcshm-test-%ld-%s%u.dat", test_getpid(), tag,
           name_counter++);
  return buffer;
}

FILE *test_fopen(const char *path, const char *mode) {
#if defined(_MSC_VER)
  FILE *f = NULL;
  return fopen_s(&f, path, mode) == 0 ? f : NULL;
#else
  return fopen(path, mode);
#endif
}

long test_own_shm_names(void) {
  char tests[32], anonymous[32];
  long mine, passing;
  snprintf(tests, sizeof(tests), "t%ld-", test_getpid());
  snprintf(anonymous, sizeof(anonymous), "ipc_shm.%ld.", test_getpid());
  mine = test_shm_dir_count(tests);
  passing = test_shm_dir_count(anonymous);
  return mine < 0 ? -1 : mine + passing;
}

static int run_to_end(test_proc_t *proc, const char *input, char *output,
                      size_t output_size);

int test_run(const char *program, const char *const *argv, const char *input,
             char *output, size_t output_size) {
  return run_to_end(test_proc_start(program, argv), input, output, output_size);
}

int test_run_merged(const char *program, const char *const *argv, const char *input,
                    char *output, size_t output_size) {
  return run_to_end(test_proc_start_merged(program, argv), input, output, output_size);
}

static int run_to_end(test_proc_t *proc, const char *input, char *output,
                      size_t output_size) {
  size_t n;
  if (input != NULL)
    test_proc_write(proc, input, strlen(input));
  test_proc_close_stdin(proc);
  n = test_proc_read_all(proc, output, output_size - 1);
  output[n] = '\0';
  return test_proc_wait(proc);
}

int test_dispatch_helper(const test_helper_mode_t *modes, size_t count, int argc,
                         char **argv) {
  size_t i;
  for (i = 0; i < count; i++)
    if (strcmp(argv[0], modes[i].mode) == 0 &&
        (modes[i].args < 0 || argc - 1 == modes[i].args))
      return modes[i].run(argv + 1);
  return -1;
}

unsigned long test_liveness_calls_made(void) {
  const char *const *call;
  unsigned long made = 0;
  for (call = test_liveness_calls(); *call != NULL; call++)
    made += ipc_shm__fault_calls(ipc_shm__syscall_find(*call));
  return made;
}

void test_remove_name(const char *name) {
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    ck_assert_err(ipc_shm_remove(name, 0), 0);
}

void test_expect_line(test_proc_t *proc, const char *expected) {
  char line[256];
  ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
  ck_assert_str_eq(line, expected);
}

void test_say(const char *line) {
  puts(line);
  fflush(stdout);
}

void test_hold_until_stdin_ends(void) {
  char line[64];
  while (fgets(line, sizeof(line), stdin) != NULL) {
  }
}

void test_counter_add(void *counter) {
  (void)ipc_shm__fetch_add_seq_cst32((uint32_t *)counter, 1u);
}

long test_counter_read(ipc_shm_t *shm) {
  ipc_shm_view_t *view;
  long value;
  ck_assert_err(ipc_shm_map(&view, shm, 0, sizeof(int32_t), IPC_SHM_MAP_WRITE), 0);
  value = (long)(int32_t)ipc_shm__load_seq_cst32((uint32_t *)ipc_shm_view_data(view));
  ipc_shm_unmap(view);
  return value;
}

void test_counter_await(ipc_shm_t *shm, long value) {
  double until = test_seconds() + 10.0;
  while (test_counter_read(shm) < value && test_seconds() < until)
    test_sleep_ms(5);
  ck_assert_int_eq(test_counter_read(shm), value);
}
