/* SPDX-License-Identifier: MIT */
/* The test binary: "ipcshm_tests case NAME" runs one test case (one ctest
 * entry each, so that a crash costs only its own entry);
 * "ipcshm_tests helper MODE ..." is the other process of a cross-process
 * test. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#include <shellapi.h>

/* Windows has no fork mode: an access violation would otherwise end the
 * runner silently, or hang in a debugger. Say so and fail. */
static LONG WINAPI report_crash(EXCEPTION_POINTERS *info) {
  fprintf(stderr, "CRASH: exception 0x%08lx at %p\n",
          info->ExceptionRecord->ExceptionCode,
          info->ExceptionRecord->ExceptionAddress);
  fflush(stderr);
  TerminateProcess(GetCurrentProcess(), 3);
  return EXCEPTION_EXECUTE_HANDLER;
}

/* The arguments as UTF-8: main's argv is in the ANSI code page. */
static char **utf8_arguments(int *argc) {
  LPWSTR *wide = CommandLineToArgvW(GetCommandLineW(), argc);
  char **argv = (char **)calloc((size_t)*argc + 1, sizeof(char *));
  int i;
  for (i = 0; i < *argc; i++) {
    int n = WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, NULL, 0, NULL, NULL);
    argv[i] = (char *)malloc((size_t)n);
    WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, argv[i], n, NULL, NULL);
  }
  LocalFree(wide);
  return argv;
}

static void find_bin_dir(void) {
  WCHAR path[1024];
  char *slash;
  GetModuleFileNameW(NULL, path, 1024);
  WideCharToMultiByte(CP_UTF8, 0, path, -1, test_bin_dir, sizeof(test_bin_dir), NULL, NULL);
  slash = strrchr(test_bin_dir, '\\');
  if (slash != NULL)
    *slash = '\0';
}
#else
#include <unistd.h>

static void find_bin_dir(void) {
  ssize_t n = readlink("/proc/self/exe", test_bin_dir, sizeof(test_bin_dir) - 1);
  char *slash;
  if (n <= 0) {
    strcpy(test_bin_dir, ".");
    return;
  }
  test_bin_dir[n] = '\0';
  slash = strrchr(test_bin_dir, '/');
  if (slash != NULL)
    *slash = '\0';
}
#endif

static Suite *all_cases(void) {
  Suite *suite = suite_create("ipcshm");
  add_error_cases(suite);
  add_name_cases(suite);
  add_named_cases(suite);
  add_anonymous_cases(suite);
  add_file_cases(suite);
  add_view_cases(suite);
  add_process_cases(suite);
  add_interop_cases(suite);
  add_inherit_cases(suite);
  add_token_cases(suite);
  add_seal_cases(suite);
  add_duplicate_cases(suite);
  add_send_cases(suite);
  add_route_cases(suite);
  add_race_cases(suite);
  add_hostile_cases(suite);
  add_sync_cases(suite);
  add_channel_cases(suite);
  add_channel_status_cases(suite);
  add_list_cases(suite);
  add_wait_cases(suite);
  add_event_cases(suite);
  add_mutex_cases(suite);
  add_semaphore_cases(suite);
  add_topic_cases(suite);
  add_inbox_cases(suite);
  add_wait_any_cases(suite);
  add_ring_cases(suite);
  add_namespace_cases(suite);
  add_fault_cases(suite);
  return suite;
}

int main(int argc, char **argv) {
  SRunner *runner;
  int run, failed;

#ifdef _WIN32
  SetUnhandledExceptionFilter(report_crash);
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
  argv = utf8_arguments(&argc);
#endif
  find_bin_dir();
  if (argc >= 3 && strcmp(argv[1], "helper") == 0) {
#ifdef _WIN32
    /* Helpers answer in lines; no CR added to them. */
    _setmode(_fileno(stdout), _O_BINARY);
#endif
    return run_helper(argc - 2, argv + 2);
  }
  if (argc != 3 || strcmp(argv[1], "case") != 0) {
    fprintf(stderr, "usage: %s case NAME | helper MODE ARGS...\n", argv[0]);
    return 2;
  }

#if TEST_LINUX
  if (strcmp(argv[2], "namespaces") == 0) {
    const char *why = "";
    if (!test_pid_namespaces_usable(&why)) {
      printf("namespaces: skipped: %s\n", why);
      return TEST_SKIPPED;
    }
  }
#endif
  runner = srunner_create(all_cases());
  srunner_run(runner, NULL, argv[2], CK_NORMAL);
  run = srunner_ntests_run(runner);
  failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  if (run == 0) {
    fprintf(stderr, "no test case named '%s'\n", argv[2]);
    return 2;
  }
  return failed == 0 ? 0 : 1;
}
