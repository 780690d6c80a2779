/* Handing segments to other processes: inheritance (ipc_shm_spawn, export +
 * import), duplication (pull, push) and send/receive over a connection.
 * Each route is tested with a real second process, a copy of this binary in
 * a helper mode. */
#include "testutil.h"

#ifdef _WIN32
#include "../src/win32/win32_internal.h" /* NtQuerySection, for a test below */
#endif

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#include <aclapi.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#endif

#define TEXT_AT 0      /* where the sender's text starts */
#define REPLY_AT 2048  /* where a helper writes its answer */
#define SEG_SIZE 8192

/* ---- Raw probes of a native handle (what a hostile receiver would try) ---- */

/* What the raw OS says to a receiver of a read-only handle that tries to
 * write: "refused" when every trick fails; "POSSIBLE" when mapping it
 * writable or duplicating it into a writable handle works; "owner-dac"
 * when only the owner's implicit WRITE_DAC lets it open the DACL first (a
 * platform that ignores the OWNER RIGHTS ACE: Wine). */
static const char *raw_write_refused(ipc_shm_native_t native) {
#ifdef _WIN32
  HANDLE self = GetCurrentProcess();
  HANDLE upgraded = NULL, dac = NULL;
  void *view = MapViewOfFile(native, FILE_MAP_WRITE, 0, 0, 0);
  if (view != NULL) {
    UnmapViewOfFile(view);
    return "POSSIBLE";
  }
  if (DuplicateHandle(self, native, self, &upgraded, FILE_MAP_READ | FILE_MAP_WRITE,
                      FALSE, 0)) {
    CloseHandle(upgraded);
    return "POSSIBLE";
  }
  /* The owner of an object may change its DACL even when the DACL grants
   * nothing, unless an OWNER RIGHTS ACE says otherwise: take WRITE_DAC,
   * open the DACL to everyone, then take write access. */
  if (DuplicateHandle(self, native, self, &dac, WRITE_DAC, FALSE, 0)) {
    int opened = SetSecurityInfo(dac, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, NULL,
                                 NULL, NULL, NULL) == ERROR_SUCCESS;
    CloseHandle(dac);
    if (opened && DuplicateHandle(self, native, self, &upgraded, FILE_MAP_ALL_ACCESS,
                                  FALSE, 0)) {
      view = MapViewOfFile(upgraded, FILE_MAP_WRITE, 0, 0, 0);
      CloseHandle(upgraded);
      if (view != NULL) {
        UnmapViewOfFile(view);
        return "owner-dac";
      }
    }
  }
  return "refused";
#else
  long page = sysconf(_SC_PAGESIZE);
  void *view = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, native, 0);
  if (view != MAP_FAILED) {
    munmap(view, (size_t)page);
    return "POSSIBLE";
  }
  view = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, native, 0);
  if (view == MAP_FAILED)
    return "UNREADABLE"; /* not even readable: something else is wrong */
  if (mprotect(view, (size_t)page, PROT_READ | PROT_WRITE) == 0) {
    munmap(view, (size_t)page);
    return "POSSIBLE";
  }
  munmap(view, (size_t)page);
  return "refused";
#endif
}

/* What raw_write_refused must say of a read-only copy here: "refused",
 * or "owner-dac" where the platform grants an object's owner WRITE_DAC
 * whatever its DACL says (see test_owner_rights_honoured). */
static const char *refused_here(void) {
  return test_owner_rights_honoured() ? "refused" : "owner-dac";
}

/* 1 if the raw handle value or descriptor number does not reach a segment
 * that starts with `marker` in this process. */
static int raw_unreachable(unsigned long long value, const char *marker) {
  int reached = 0;
#ifdef _WIN32
  void *view = MapViewOfFile((HANDLE)(ULONG_PTR)value, FILE_MAP_READ, 0, 0, 0);
  if (view != NULL) {
    reached = memcmp(view, marker, strlen(marker)) == 0;
    UnmapViewOfFile(view);
  }
#else
  long page = sysconf(_SC_PAGESIZE);
  void *view = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, (int)value, 0);
  if (view != MAP_FAILED) {
    reached = memcmp(view, marker, strlen(marker)) == 0;
    munmap(view, (size_t)page);
  }
#endif
  return !reached;
}

/* Make the segment's own handle inheritable (as another thread might) or
 * not again. */
static void make_inheritable(const ipc_shm_t *shm, int on) {
#ifdef _WIN32
  ck_assert(SetHandleInformation(ipc_shm_native_handle(shm), HANDLE_FLAG_INHERIT,
                                 on ? HANDLE_FLAG_INHERIT : 0));
#else
  int fd = ipc_shm_native_handle(shm);
  int flags = fcntl(fd, F_GETFD);
  ck_assert_int_ge(flags, 0);
  ck_assert_int_eq(fcntl(fd, F_SETFD, on ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC), 0);
#endif
}

static unsigned long long native_value(const ipc_shm_t *shm) {
#ifdef _WIN32
  return (unsigned long long)(ULONG_PTR)ipc_shm_native_handle(shm);
#else
  return (unsigned long long)ipc_shm_native_handle(shm);
#endif
}

static void set_env(const char *name, const char *value) {
#ifdef _WIN32
  char entry[512];
  snprintf(entry, sizeof(entry), "%s=%s", name, value != NULL ? value : "");
  ck_assert_int_eq(_putenv(entry), 0);
#else
  if (value == NULL)
    ck_assert_int_eq(unsetenv(name), 0);
  else
    ck_assert_int_eq(setenv(name, value, 1), 0);
#endif
}

/* ---- Segment helpers ---- */

/* For helper processes, which run outside Check and must not assert. */
static int poke(const ipc_shm_t *shm, size_t offset, const char *text) {
  ipc_shm_view_t *view;
  int err = ipc_shm_map(&view, shm, offset, strlen(text) + 1, IPC_SHM_MAP_WRITE);
  if (err != 0)
    return err;
  memcpy(ipc_shm_view_data(view), text, strlen(text) + 1);
  return ipc_shm_unmap(view);
}

static int peek(const ipc_shm_t *shm, size_t offset, char *out, size_t size) {
  ipc_shm_view_t *view;
  int err = ipc_shm_map(&view, shm, offset, size - 1, IPC_SHM_MAP_READ);
  out[0] = '\0';
  if (err != 0)
    return err;
  memcpy(out, ipc_shm_view_data(view), size - 1);
  out[size - 1] = '\0';
  return ipc_shm_unmap(view);
}

static void put(ipc_shm_t *shm, size_t offset, const char *text) {
  ck_assert_err(poke(shm, offset, text), 0);
}

/* The NUL-terminated text at `offset` (at most size - 1 bytes). */
static void get(const ipc_shm_t *shm, size_t offset, char *out, size_t size) {
  ck_assert_err(peek(shm, offset, out, size), 0);
}

static ipc_shm_t *anonymous_with(const char *text) {
  ipc_shm_t *shm;
  ck_assert_err(ipc_shm_create_anonymous(&shm, SEG_SIZE, 0), 0);
  put(shm, TEXT_AT, text);
  return shm;
}

/* FNV-1a of the whole segment. */
static unsigned long long checksum(const ipc_shm_t *shm) {
  ipc_shm_view_t *view;
  unsigned long long hash = 14695981039346656037ull;
  const unsigned char *p;
  size_t i;
  if (ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_READ) != 0)
    return 0;
  p = (const unsigned char *)ipc_shm_view_data(view);
  for (i = 0; i < ipc_shm_view_size(view); i++)
    hash = (hash ^ p[i]) * 1099511628211ull;
  ipc_shm_unmap(view);
  return hash;
}

/* ---- Helper modes (the other process) ---- */

/* What a receiver learned, on one line:
 * "got ACCESS SIZE TEXT write=ERR raw=refused|POSSIBLE". A writable segment
 * also gets "written by PID" at REPLY_AT. */
static void describe_received(const ipc_shm_t *shm, char *line, size_t size) {
  char text[64];
  ipc_shm_view_t *view;
  int err;
  (void)peek(shm, TEXT_AT, text, sizeof(text));
  err = ipc_shm_map(&view, shm, REPLY_AT, 64, IPC_SHM_MAP_WRITE);
  if (err == 0) {
    snprintf((char *)ipc_shm_view_data(view), 64, "written by the receiver");
    ipc_shm_unmap(view);
  }
  snprintf(line, size, "got %s %llu %s write=%s raw=%s%s",
           ipc_shm_is_writable(shm) ? "w" : "r",
           (unsigned long long)ipc_shm_size(shm), text, ipc_shm_err_name(err),
           ipc_shm_is_writable(shm) ? "-" : raw_write_refused(ipc_shm_native_handle(shm)),
           /* What a process was handed is its own again, not its children's. */
           test_is_inheritable(ipc_shm_native_handle(shm)) ? " INHERITABLE" : "");
}

static int print_received(int err, ipc_shm_t *shm) {
  char line[256];
  if (err != 0) {
    printf("error %s\n", ipc_shm_err_name(err));
    return 1;
  }
  describe_received(shm, line, sizeof(line));
  ipc_shm_close(shm);
  printf("%s\n", line);
  return 0;
}

/* spawned UNLISTED MARKER: started by ipc_shm_spawn with [0] writable and
 * [1] read-only. Checks what it inherited and writes its findings at
 * REPLY_AT of [0]: "ok" or what went wrong. */
static int helper_spawned(char **argv) {
  char line[256], report[512] = "";
  ipc_shm_t *first = NULL, *second = NULL, *third = NULL;
  int err;
  err = ipc_shm_inherited(&first, 0);
  if (err != 0) {
    fprintf(stderr, "spawned: inherited 0: %s\n", ipc_shm_err_name(err));
    return 1;
  }
  err = ipc_shm_inherited(&second, 1);
  if (err != 0)
    snprintf(report, sizeof(report), "inherited 1: %s", ipc_shm_err_name(err));
  else {
    char expected[96];
    describe_received(second, line, sizeof(line));
    ipc_shm_close(second);
    snprintf(expected, sizeof(expected), "got r 8192 to the child write=ACCESS raw=%s",
             refused_here());
    if (strcmp(line, expected) != 0)
      snprintf(report, sizeof(report), "read-only one: %s", line);
  }
  err = ipc_shm_inherited(&third, 2);
  if (err != IPC_SHM_E_NOT_FOUND && report[0] == '\0')
    snprintf(report, sizeof(report), "inherited 2: %s", ipc_shm_err_name(err));
  if (!raw_unreachable(strtoull(argv[0], NULL, 10), argv[1]) && report[0] == '\0')
    snprintf(report, sizeof(report), "the unlisted segment is reachable");
  if (report[0] == '\0') {
    describe_received(first, line, sizeof(line));
    snprintf(report, sizeof(report), "ok %s", line);
  }
  err = poke(first, REPLY_AT + 256, report);
  ipc_shm_close(first);
  return err == 0 ? 0 : 1;
}

/* echo-args ARGS...: write the arguments, each in [brackets], into inherited
 * segment 0. */
static int helper_echo_args(char **argv) {
  char text[1024] = "";
  ipc_shm_t *shm;
  int i, err = ipc_shm_inherited(&shm, 0);
  if (err != 0)
    return 1;
  for (i = 0; argv[i] != NULL; i++) {
    size_t used = strlen(text);
    snprintf(text + used, sizeof(text) - used, "[%s]", argv[i]);
  }
  err = poke(shm, 0, text);
  ipc_shm_close(shm);
  return err == 0 ? 0 : 1;
}

/* import TOKEN: import a token of an inherited handle. */
static int helper_import(char **argv) {
  test_resources_t before = test_resources(), after;
  ipc_shm_t *shm = NULL;
  int err = ipc_shm_import(&shm, argv[0]);
  int rc = print_received(err, shm);
  /* The inherited handle was counted before and is closed now. */
  after = test_resources();
  printf("leak=%s\n", after.handles == before.handles - 1 && after.mappings == before.mappings
                          ? "none" : "LEAK");
  return rc;
}

/* reexport-readonly TOKEN: import a segment, then make a read-only copy of
 * it for somebody else; print that export's outcome. */
static int helper_reexport_readonly(char **argv) {
  ipc_shm_t *shm = NULL;
  ipc_shm_export_t *exp = NULL;
  test_resources_t before, after;
  int err = ipc_shm_import(&shm, argv[0]);
  if (err != 0)
    return print_received(err, shm);
  before = test_resources();
  err = ipc_shm_export(&exp, shm, IPC_SHM_READONLY);
  if (err == 0)
    ipc_shm_export_close(exp);
  after = test_resources();
  ipc_shm_close(shm);
  printf("reexport=%s leak=%s\n", ipc_shm_err_name(err),
         after.handles == before.handles && after.mappings == before.mappings ? "none" : "LEAK");
  return 0;
}

/* listen-exit NAME: listen, then exit without closing, as a crash would. */
static int helper_listen_exit(char **argv) {
  ipc_shm_listener_t *listener;
  int err = ipc_shm_listen(&listener, argv[0]);
  puts(ipc_shm_err_name(err));
  fflush(stdout);
  _Exit(0);
}

/* pull TOKEN: take the segment out of the owner, and check that nothing
 * is left behind after closing it. */
static int helper_pull(char **argv) {
  test_resources_t before = test_resources();
  ipc_shm_t *shm = NULL;
  int err = ipc_shm_pull(&shm, argv[0]);
  int rc = print_received(err, shm);
  test_resources_t after = test_resources();
  printf("leak=%s\n", before.handles == after.handles && before.mappings == after.mappings
                          ? "none" : "LEAK");
  return rc;
}

/* push-target: say our pid, read a token from standard input, import it. */
static int helper_push_target(char **argv) {
  char token[IPC_SHM_TOKEN_MAX + 2];
  ipc_shm_t *shm = NULL;
  int err;
  (void)argv;
#ifdef _WIN32
  printf("pid %lu\n", (unsigned long)GetCurrentProcessId());
#else
  printf("pid %lu\n", (unsigned long)getpid());
#endif
  fflush(stdout);
  if (fgets(token, sizeof(token), stdin) == NULL)
    return 1;
  token[strcspn(token, "\r\n")] = '\0';
  err = ipc_shm_import(&shm, token);
  return print_received(err, shm);
}

/* receive NAME: connect, receive segments and describe each until the other
 * end closes; answer the first with a new segment saying "reply". */
static int helper_receive(char **argv) {
  /* Counted before connecting: the sender may put a handle into this
   * process as soon as the connection exists. */
  test_resources_t before = test_resources(), after;
  ipc_shm_conn_t *conn;
  ipc_shm_t *shm = NULL;
  int err, end, count = 0;
  err = ipc_shm_connect(&conn, argv[0]);
  if (err != 0) {
    printf("error %s\n", ipc_shm_err_name(err));
    return 1;
  }
  while ((err = ipc_shm_receive(conn, &shm)) == 0) {
    print_received(0, shm);
    if (count++ == 0) {
      ipc_shm_t *reply = NULL;
      err = ipc_shm_create_anonymous(&reply, SEG_SIZE, 0);
      if (err == 0)
        err = poke(reply, TEXT_AT, "reply");
      if (err == 0)
        err = ipc_shm_send(conn, reply, 0);
      printf("sent %s\n", ipc_shm_err_name(err));
      if (reply != NULL)
        ipc_shm_close(reply);
    }
    fflush(stdout);
  }
  end = err;
  ipc_shm_conn_close(conn);
  after = test_resources();
  printf("end %s leak=%s\n", ipc_shm_err_name(end),
         before.handles == after.handles && before.mappings == after.mappings
             ? "none" : "LEAK");
  return 0;
}

/* checksum-inherited: hash segment 0, write the hash into segment 1. */
static int helper_checksum_inherited(char **argv) {
  ipc_shm_t *data, *result;
  char text[64];
  (void)argv;
  if (ipc_shm_inherited(&data, 0) != 0 || ipc_shm_inherited(&result, 1) != 0)
    return 1;
  snprintf(text, sizeof(text), "%llu", checksum(data));
  ipc_shm_close(data);
  if (poke(result, 0, text) != 0)
    return 1;
  ipc_shm_close(result);
  return 0;
}

/* checksum-pull TOKEN / checksum-receive NAME / checksum-push: print the
 * hash of what arrived. */
static int print_checksum(int err, ipc_shm_t *shm) {
  if (err != 0) {
    printf("error %s\n", ipc_shm_err_name(err));
    return 1;
  }
  printf("%llu\n", checksum(shm));
  ipc_shm_close(shm);
  return 0;
}

static int helper_checksum_pull(char **argv) {
  ipc_shm_t *shm = NULL;
  int err = ipc_shm_pull(&shm, argv[0]);
  return print_checksum(err, shm);
}

static int helper_checksum_receive(char **argv) {
  ipc_shm_conn_t *conn;
  ipc_shm_t *shm = NULL;
  int err = ipc_shm_connect(&conn, argv[0]);
  if (err == 0) {
    err = ipc_shm_receive(conn, &shm);
    ipc_shm_conn_close(conn);
  }
  return print_checksum(err, shm);
}

static void allow_pullers(void);

/* export-hold: print a pull token of a new segment, keep it until standard
 * input ends. */
static int helper_export_hold(char **argv) {
  ipc_shm_t *shm;
  ipc_shm_export_t *exp;
  char line[16];
  (void)argv;
  allow_pullers();
  if (ipc_shm_create_anonymous(&shm, 65536, 0) != 0 ||
      ipc_shm_export(&exp, shm, IPC_SHM_EXPORT_PULL) != 0)
    return 1;
  printf("%s\n", ipc_shm_export_token(exp));
  fflush(stdout);
  while (fgets(line, sizeof(line), stdin) != NULL) {
  }
  ipc_shm_export_close(exp);
  ipc_shm_close(shm);
  return 0;
}

/* inherit-check: take inherited segment 0, and exit 0 if that worked. */
static int helper_inherit_check(char **argv) {
  ipc_shm_t *shm;
  (void)argv;
  if (ipc_shm_inherited(&shm, 0) != 0)
    return 1;
  return ipc_shm_close(shm) == 0 ? 0 : 1;
}

int run_handover_helper(int argc, char **argv) {
  static const test_helper_mode_t modes[] = {
      {"spawned", 2, helper_spawned},
      {"echo-args", -1, helper_echo_args},
      {"import", 1, helper_import},
      {"reexport-readonly", 1, helper_reexport_readonly},
      {"listen-exit", 1, helper_listen_exit},
      {"pull", 1, helper_pull},
      {"push-target", 0, helper_push_target},
      {"receive", 1, helper_receive},
      {"checksum-inherited", 0, helper_checksum_inherited},
      {"checksum-pull", 1, helper_checksum_pull},
      {"checksum-receive", 1, helper_checksum_receive},
      {"export-hold", 0, helper_export_hold},
      {"inherit-check", 0, helper_inherit_check},
  };
  return test_dispatch_helper(modes, sizeof(modes) / sizeof(modes[0]), argc, argv);
}

/* ---- Tests: inheritance ---- */

static void helper_path(char *path, size_t size) {
#ifdef _WIN32
  snprintf(path, size, "%s\\ipcshm_tests.exe", test_bin_dir);
#else
  snprintf(path, size, "%s/ipcshm_tests", test_bin_dir);
#endif
}

START_TEST(spawn_hands_over_exactly_the_listed_segments) {
  char path[1200], unlisted_value[32], report[512];
  ipc_shm_t *writable, *readonly, *unlisted;
  ipc_shm_process_t *child;
  ipc_shm_inherit_t segments[2];
  test_resources_t before;
  int code = -1;

  writable = anonymous_with("to the child");
  readonly = anonymous_with("to the child");
  unlisted = anonymous_with("unlisted secret");
  /* Inheritable, as if another thread had made it so: still not passed. */
  make_inheritable(unlisted, 1);
  snprintf(unlisted_value, sizeof(unlisted_value), "%llu", native_value(unlisted));
  helper_path(path, sizeof(path));
  segments[0].shm = writable;
  segments[0].flags = 0;
  segments[1].shm = readonly;
  segments[1].flags = IPC_SHM_READONLY;
  before = test_resources();
  {
    const char *argv[] = {path, "helper", "spawned", unlisted_value,
                          "unlisted secret", NULL};
    ck_assert_err(ipc_shm_spawn(&child, argv, segments, 2), 0);
  }
  ck_assert_uint_ne(ipc_shm_process_id(child), 0);
  ck_assert_err(ipc_shm_process_wait(child, &code), 0);
  ck_assert_no_leak(before);
  ck_assert_int_eq(code, 0);
  get(writable, REPLY_AT + 256, report, sizeof(report));
  ck_assert_str_eq(report, "ok got w 8192 to the child write=OK raw=-");
  get(writable, REPLY_AT, report, 64);
  ck_assert_str_eq(report, "written by the receiver");
  get(readonly, REPLY_AT, report, 64);
  ck_assert_str_eq(report, "");
  make_inheritable(unlisted, 0);
  ipc_shm_close(writable);
  ipc_shm_close(readonly);
  ipc_shm_close(unlisted);
}
END_TEST

START_TEST(spawn_passes_arguments_unchanged) {
  char path[1200], text[1024];
  ipc_shm_t *shm;
  ipc_shm_process_t *child;
  ipc_shm_inherit_t segment = {NULL, 0};
  int code = -1;
  helper_path(path, sizeof(path));
  ck_assert_err(ipc_shm_create_anonymous(&shm, 4096, 0), 0);
  segment.shm = shm;
  {
    const char *argv[] = {path, "helper", "echo-args", "plain", "two words", "",
                          "quote\"inside", "trailing\\", "back\\\"slash",
                          "tab\there", "caf\xc3\xa9", NULL};
    ck_assert_err(ipc_shm_spawn(&child, argv, &segment, 1), 0);
  }
  ck_assert_err(ipc_shm_process_wait(child, &code), 0);
  ck_assert_int_eq(code, 0);
  get(shm, 0, text, sizeof(text));
  ck_assert_str_eq(text, "[plain][two words][][quote\"inside][trailing\\]"
                         "[back\\\"slash][tab\there][caf\xc3\xa9]");
  ipc_shm_close(shm);
}
END_TEST

START_TEST(spawn_errors) {
  char path[1200];
  ipc_shm_t *shm = anonymous_with("x");
  ipc_shm_process_t *child = NULL;
  ipc_shm_inherit_t bad_flags = {NULL, 0};
  test_resources_t before;
  int code = 0;
  helper_path(path, sizeof(path));
  bad_flags.shm = shm;
  bad_flags.flags = 0x8000u;
  before = test_resources();
  {
    const char *argv[] = {path, NULL};
    const char *empty[] = {NULL};
    const char *missing[] = {"ipcshm-no-such-program-here", NULL};
    ipc_shm_inherit_t null_segment = {NULL, 0};
    ck_assert_err(ipc_shm_spawn(NULL, argv, NULL, 0), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_spawn(&child, NULL, NULL, 0), IPC_SHM_E_INVAL);
    ck_assert_ptr_null(child);
    ck_assert_err(ipc_shm_spawn(&child, empty, NULL, 0), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_spawn(&child, argv, NULL, 1), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_spawn(&child, argv, &null_segment, 1), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_spawn(&child, argv, &bad_flags, 1), IPC_SHM_E_INVAL);
    ck_assert_err(ipc_shm_spawn(&child, missing, NULL, 0), IPC_SHM_E_NOT_FOUND);
    ck_assert_ptr_null(child);
    {
      ipc_shm_inherit_t many[65];
      size_t i;
      for (i = 0; i < 65; i++) {
        many[i].shm = shm;
        many[i].flags = 0;
      }
      ck_assert_err(ipc_shm_spawn(&child, argv, many, 65), IPC_SHM_E_TOO_MANY);
      ck_assert_ptr_null(child);
    }
  }
  ck_assert_no_leak(before);
  ck_assert_err(ipc_shm_process_wait(NULL, &code), IPC_SHM_E_INVAL);
  ck_assert_int_eq(code, -1);
  ck_assert_uint_eq(ipc_shm_process_id(NULL), 0);
  ipc_shm_close(shm);
}
END_TEST

START_TEST(export_for_a_child_started_another_way) {
  char out[512], expected[128];
  ipc_shm_t *shm = anonymous_with("exported");
  ipc_shm_export_t *exp;
  test_resources_t before = test_resources();
  int mode;
  for (mode = 0; mode < 2; mode++) {
    ck_assert_err(ipc_shm_export(&exp, shm, mode ? IPC_SHM_READONLY : 0), 0);
    ck_assert_ptr_nonnull(ipc_shm_export_token(exp));
    ck_assert(ipc_shm_export_native(exp) != ipc_shm_native_handle(shm));
    {
      const char *argv[] = {"helper", "import", ipc_shm_export_token(exp), NULL};
      ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
    }
    ck_assert_err(ipc_shm_export_close(exp), 0);
    snprintf(expected, sizeof(expected), "got %s 8192 exported write=%s raw=%s\nleak=none\n",
             mode ? "r" : "w", mode ? "ACCESS" : "OK", mode ? refused_here() : "-");
    ck_assert_str_eq(out, expected);
  }
  ck_assert_no_leak(before);
  ipc_shm_close(shm);
}
END_TEST

/* Which segments a read-only copy can be made of. Windows and Linux: all.
 * Other POSIX systems have no /proc/self/fd to reopen a descriptor through:
 * named segments are reopened by name, anonymous ones this process created
 * kept a read-only descriptor, and the rest give NOT_SUPPORTED. */
START_TEST(read_only_copies_of_every_kind) {
#if defined(_WIN32) || TEST_LINUX
  const char *expected = "OK";
#else
  const char *expected = "NOT_SUPPORTED";
#endif
  char name[IPC_SHM_NAME_MAX + 1], path[256], out[256], line[64];
  ipc_shm_t *named, *file, *anonymous = anonymous_with("kinds");
  ipc_shm_export_t *exp;
  test_resources_t before;
  int err;
  ck_assert_err(ipc_shm_create(&named, test_name(name, "kinds"), 4096, 0), 0);
  ck_assert_err(ipc_shm_open_file(&file, test_file(path, sizeof(path), "kinds"), 4096,
                                  IPC_SHM_FILE_CREATE),
                0);
  before = test_resources();
  ck_assert_err(ipc_shm_export(&exp, named, IPC_SHM_READONLY), 0);
  ipc_shm_export_close(exp);
  ck_assert_err(ipc_shm_export(&exp, anonymous, IPC_SHM_READONLY), 0);
  ipc_shm_export_close(exp);
  err = ipc_shm_export(&exp, file, IPC_SHM_READONLY);
  if (err == 0)
    ipc_shm_export_close(exp);
  ck_assert_no_leak(before);
  ck_assert_str_eq(ipc_shm_err_name(err), expected);
  /* An anonymous segment that came from another process. */
  ck_assert_err(ipc_shm_export(&exp, anonymous, 0), 0);
  {
    const char *argv[] = {"helper", "reexport-readonly", ipc_shm_export_token(exp), NULL};
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
  }
  ipc_shm_export_close(exp);
  snprintf(line, sizeof(line), "reexport=%s leak=none\n", expected);
  ck_assert_str_eq(out, line);
  ipc_shm_close(file);
  ck_assert_int_eq(remove(path), 0);
  ipc_shm_close(anonymous);
  ipc_shm_close(named);
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    ck_assert_err(ipc_shm_remove(name, 0), 0);
}
END_TEST

START_TEST(inherited_without_a_variable_or_token) {
  ipc_shm_t *shm = (ipc_shm_t *)&shm;
  test_resources_t before = test_resources();
  set_env(IPC_SHM_INHERIT_ENV, NULL);
  ck_assert_err(ipc_shm_inherited(NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_inherited(&shm, 0), IPC_SHM_E_NOT_FOUND);
  ck_assert_ptr_null(shm);
  set_env(IPC_SHM_INHERIT_ENV, "not-a-token");
  ck_assert_err(ipc_shm_inherited(&shm, 0), IPC_SHM_E_BAD_TOKEN);
  ck_assert_err(ipc_shm_inherited(&shm, 1), IPC_SHM_E_NOT_FOUND);
  set_env(IPC_SHM_INHERIT_ENV, NULL);
  ck_assert_no_leak(before);
}
END_TEST

/* ---- Tests: tokens ---- */

/* Replace field `index` (0-based, ':'-separated) of a token. */
static void forge(const char *token, int index, const char *value, char *out,
                  size_t size) {
  const char *p = token;
  size_t n = 0;
  int field = 0;
  while (*p != '\0' && n + 1 < size) {
    if (field == index) {
      const char *v;
      for (v = value; *v != '\0' && n + 1 < size; v++)
        out[n++] = *v;
      while (*p != '\0' && *p != ':')
        p++;
      field++;
      continue;
    }
    if (*p == ':')
      field++;
    out[n++] = *p++;
  }
  out[n] = '\0';
}

START_TEST(bad_tokens_are_refused_and_touch_nothing) {
  static const char *malformed[] = {
      "", "garbage", "ipcshm1", "ipcshm1:", "ipcshm2:posix:w:8192:0:3:1.2",
#ifdef _WIN32
      "ipcshm1:posix:w:8192:0:3:1.2",
#else
      "ipcshm1:win:w:8192:0:3:0.0",
#endif
  };
  char token[IPC_SHM_TOKEN_MAX], forged[IPC_SHM_TOKEN_MAX * 2], value[32];
  ipc_shm_t *shm = anonymous_with("tokens");
  ipc_shm_t *got = NULL;
  ipc_shm_export_t *exp, *readonly_exp;
  test_resources_t before;
  size_t i;

  ck_assert_err(ipc_shm_export(&exp, shm, 0), 0);
  ck_assert_err(ipc_shm_export(&readonly_exp, shm, IPC_SHM_READONLY), 0);
  snprintf(token, sizeof(token), "%s", ipc_shm_export_token(exp));
  before = test_resources();

  ck_assert_err(ipc_shm_import(NULL, token), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_import(&got, NULL), IPC_SHM_E_INVAL);
  for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
    ck_assert_msg(ipc_shm_import(&got, malformed[i]) == IPC_SHM_E_BAD_TOKEN, "%s",
                  malformed[i]);
  /* Each field spoiled in turn. */
  {
    static const struct {
      int field;
      const char *value;
    } spoiled[] = {
        {2, "evt"}, {2, "segment"}, {2, ""}, {3, "x"}, {3, "rw"}, {4, "0"}, {4, "08192"}, {4, "-8192"},
        {4, "99999999999999999999"}, {4, "9223372036854775808"}, {4, " 8192"},
        {5, "4294967296"}, {5, "x"}, {6, ""}, {6, "18446744073709551616"},
        {7, "1"}, {7, "1.2.3"}, {7, "1.x"},
    };
    for (i = 0; i < sizeof(spoiled) / sizeof(spoiled[0]); i++) {
      forge(token, spoiled[i].field, spoiled[i].value, forged, sizeof(forged));
      ck_assert_msg(ipc_shm_import(&got, forged) == IPC_SHM_E_BAD_TOKEN,
                    "field %d = '%s': %s", spoiled[i].field, spoiled[i].value,
                    forged);
    }
  }
  snprintf(forged, sizeof(forged), "%s:extra", token);
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
  memset(forged, '7', sizeof(forged) - 1);
  forged[sizeof(forged) - 1] = '\0';
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);

  /* Claims that do not match the handle. */
  forge(token, 3, "r", forged, sizeof(forged)); /* a writable handle */
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
  forge(ipc_shm_export_token(readonly_exp), 3, "w", forged, sizeof(forged));
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
  forge(token, 4, "1048576", forged, sizeof(forged)); /* larger than it is */
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
  /* The segment's own handle, which this process owns already: its access
   * is the creator's (Windows), it is close-on-exec, so not inherited
   * (POSIX). */
  snprintf(value, sizeof(value), "%llu", native_value(shm));
  forge(token, 6, value, forged, sizeof(forged));
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
  /* A handle that is not a section at all, and one that does not exist. */
  {
#ifdef _WIN32
    HANDLE other = CreateEventW(NULL, TRUE, FALSE, NULL);
    snprintf(value, sizeof(value), "%llu", (unsigned long long)(ULONG_PTR)other);
#else
    int pipe_fds[2];
    ck_assert_int_eq(pipe(pipe_fds), 0);
    snprintf(value, sizeof(value), "%d", pipe_fds[0]);
#endif
    forge(token, 6, value, forged, sizeof(forged));
    ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
#ifdef _WIN32
    ck_assert(CloseHandle(other)); /* untouched: still ours to close */
#else
    ck_assert_int_eq(close(pipe_fds[0]), 0);
    ck_assert_int_eq(close(pipe_fds[1]), 0);
#endif
  }
#ifdef _WIN32
  /* An image section (a program mapped as code) with read access: the right
   * type and rights, but not memory to share. */
  {
    WCHAR self_path[1024];
    HANDLE file, image, copy;
    char size_text[32], sized[IPC_SHM_TOKEN_MAX * 2];
    uint64_t image_size = 0;
    GetModuleFileNameW(NULL, self_path, 1024);
    file = CreateFileW(self_path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    ck_assert(file != INVALID_HANDLE_VALUE);
    image = CreateFileMappingW(file, NULL, PAGE_READONLY | SEC_IMAGE, 0, 0, NULL);
    ck_assert_msg(image != NULL, "SEC_IMAGE mapping: error %lu", GetLastError());
    ck_assert(DuplicateHandle(GetCurrentProcess(), image, GetCurrentProcess(), &copy,
                              FILE_MAP_READ | SECTION_QUERY, FALSE, 0));
    /* The token claims the size the section has: only its kind is wrong. */
    ck_assert_int_eq(ipc_shm__win_query_section(copy, &image_size, NULL), 0);
    snprintf(size_text, sizeof(size_text), "%llu", (unsigned long long)image_size);
    snprintf(value, sizeof(value), "%llu", (unsigned long long)(ULONG_PTR)copy);
    forge(ipc_shm_export_token(readonly_exp), 4, size_text, sized, sizeof(sized));
    forge(sized, 6, value, forged, sizeof(forged));
    ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
    ck_assert(CloseHandle(copy));
    ck_assert(CloseHandle(image));
    ck_assert(CloseHandle(file));
  }
#endif
  forge(token, 6, "65000", forged, sizeof(forged));
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
  /* A token for another process: that is what ipc_shm_pull is for. */
  forge(token, 5, "1", forged, sizeof(forged));
  ck_assert_err(ipc_shm_import(&got, forged), IPC_SHM_E_BAD_TOKEN);
  /* And pull refuses a token of this process. */
  ck_assert_err(ipc_shm_pull(&got, token), IPC_SHM_E_BAD_TOKEN);
  ck_assert_ptr_null(got);
  ck_assert_no_leak(before);

  /* A stale token: its handle was closed. */
  ck_assert_err(ipc_shm_export_close(exp), 0);
  ck_assert_err(ipc_shm_import(&got, token), IPC_SHM_E_BAD_TOKEN);
  ck_assert_ptr_null(got);

  ck_assert_err(ipc_shm_export_close(readonly_exp), 0);
  ck_assert_err(ipc_shm_export(NULL, shm, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_export(&exp, NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_export(&exp, shm, 0x8000u), IPC_SHM_E_INVAL);
  ck_assert_ptr_null(exp);
  ck_assert_err(ipc_shm_export_close(NULL), IPC_SHM_E_INVAL);
  ck_assert_ptr_null(ipc_shm_export_token(NULL));
  ipc_shm_close(shm);
}
END_TEST

/* ---- Tests: sealing ---- */

START_TEST(seal_stops_new_writers) {
  char name[IPC_SHM_NAME_MAX + 1], out[512], text[16];
  ipc_shm_t *shm, *named, *readonly;
  ipc_shm_view_t *writer, *view;
  test_resources_t before = test_resources();
  ck_assert_err(ipc_shm_seal(NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_create(&named, test_name(name, "seal"), 4096, 0), 0);
  ck_assert_err(ipc_shm_open(&readonly, name, IPC_SHM_READONLY), 0);
  ck_assert_err(ipc_shm_seal(readonly), IPC_SHM_E_ACCESS);
  ck_assert_err(ipc_shm_create_anonymous(&shm, SEG_SIZE, 0), 0);
  ck_assert_err(ipc_shm_map(&writer, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
#if TEST_LINUX
  /* Only memfds take seals. */
  ck_assert_err(ipc_shm_seal(named), IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_int_eq(ipc_shm_is_writable(named), 1);
  memcpy(ipc_shm_view_data(writer), "before", 7);
  ck_assert_err(ipc_shm_seal(shm), 0);
  ck_assert_int_eq(ipc_shm_is_writable(shm), 0);
  ck_assert_err(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), IPC_SHM_E_ACCESS);
  /* The view mapped before keeps writing, and everybody reads it. */
  memcpy(ipc_shm_view_data(writer), "after", 6);
  get(shm, 0, text, sizeof(text));
  ck_assert_str_eq(text, "after");
  /* Not even a writable reopen of the descriptor can write now. */
  {
    char path[64];
    int fd;
    void *p;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", ipc_shm_native_handle(shm));
    fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ck_assert_msg(p == MAP_FAILED, "a writable mapping of a sealed segment");
    ck_assert_int_lt(write(fd, "x", 1), 0);
    close(fd);
  }
  /* Copy-on-write views stay allowed. */
  ck_assert_err(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_COPY), 0);
  memcpy(ipc_shm_view_data(view), "mine", 5);
  ipc_shm_unmap(view);
  /* Another process gets a read-only copy that stays read-only. */
  {
    ipc_shm_export_t *exp;
    ck_assert_err(ipc_shm_export(&exp, shm, 0), 0);
    {
      const char *argv[] = {"helper", "import", ipc_shm_export_token(exp), NULL};
      ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
    }
    ipc_shm_export_close(exp);
    ck_assert_str_eq(out, "got r 8192 after write=ACCESS raw=refused\nleak=none\n");
  }
#else
  /* Sections and other systems' objects have no seals. */
  ck_assert_err(ipc_shm_seal(shm), IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_int_eq(ipc_shm_is_writable(shm), 1);
  ck_assert_err(ipc_shm_seal(named), IPC_SHM_E_NOT_SUPPORTED);
  (void)view;
  (void)out;
  (void)text;
#endif
  ipc_shm_unmap(writer);
  ipc_shm_close(shm);
  ipc_shm_close(readonly);
  ipc_shm_close(named);
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    ck_assert_err(ipc_shm_remove(name, 0), 0);
  ck_assert_no_leak(before);
}
END_TEST

/* ---- Tests: duplication ---- */

/* Linux with Yama (ptrace_scope 1) lets only a process's ancestors pull from
 * it; the helpers are its children, so name them as allowed, as an owner
 * must. Without Yama there is nothing to allow and prctl says so. */
static void allow_pullers(void) {
#if defined(__linux__) && defined(PR_SET_PTRACER)
  (void)prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
#endif
}

START_TEST(pull_from_the_owner) {
  char out[512], expected[160];
  ipc_shm_t *shm = anonymous_with("pulled");
  ipc_shm_export_t *exp;
  test_resources_t before = test_resources();
  int mode;
  allow_pullers();
  if (!TEST_CAN_PULL) {
    /* No call takes a descriptor from another process here. */
    ck_assert_err(ipc_shm_export(&exp, shm, IPC_SHM_EXPORT_PULL), 0);
    {
      const char *argv[] = {"helper", "pull", ipc_shm_export_token(exp), NULL};
      ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 1);
    }
    ck_assert_err(ipc_shm_export_close(exp), 0);
    ck_assert_str_eq(out, "error NOT_SUPPORTED\nleak=none\n");
    ck_assert_no_leak(before);
    ipc_shm_close(shm);
    return;
  }
  for (mode = 0; mode < 2; mode++) {
    ck_assert_err(ipc_shm_export(&exp, shm, IPC_SHM_EXPORT_PULL |
                                              (mode ? IPC_SHM_READONLY : 0)), 0);
    {
      const char *argv[] = {"helper", "pull", ipc_shm_export_token(exp), NULL};
      ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
    }
    ck_assert_err(ipc_shm_export_close(exp), 0);
    snprintf(expected, sizeof(expected),
             "got %s 8192 pulled write=%s raw=%s\nleak=none\n", mode ? "r" : "w",
             mode ? "ACCESS" : "OK", mode ? refused_here() : "-");
    ck_assert_str_eq(out, expected);
  }
  get(shm, REPLY_AT, expected, 64);
  ck_assert_str_eq(expected, "written by the receiver");
  ck_assert_no_leak(before);
  ipc_shm_close(shm);
}
END_TEST

START_TEST(pull_errors) {
  char out[256], forged[IPC_SHM_TOKEN_MAX * 2], token[IPC_SHM_TOKEN_MAX];
  ipc_shm_t *shm = anonymous_with("pull errors");
  ipc_shm_t *got = NULL;
  ipc_shm_export_t *exp;
  allow_pullers();
  ck_assert_err(ipc_shm_export(&exp, shm, IPC_SHM_EXPORT_PULL), 0);
  snprintf(token, sizeof(token), "%s", ipc_shm_export_token(exp));
  ck_assert_err(ipc_shm_pull(NULL, token), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_pull(&got, NULL), IPC_SHM_E_INVAL);
  /* No such process. */
  forge(token, 5, "2147483000", forged, sizeof(forged));
  if (!TEST_CAN_PULL) {
    ck_assert_err(ipc_shm_pull(&got, forged), IPC_SHM_E_NOT_SUPPORTED);
    ck_assert_ptr_null(got);
    ipc_shm_export_close(exp);
    ipc_shm_close(shm);
    return;
  }
  ck_assert_err(ipc_shm_pull(&got, forged), IPC_SHM_E_NOT_FOUND);
  ck_assert_ptr_null(got);
  /* The owner has no such descriptor (it closed the export). The number is
   * one no pipe of test_run will take, so that it stays free: a test must
   * not depend on descriptor numbers not being reused. */
  ck_assert_err(ipc_shm_export_close(exp), 0);
#ifndef _WIN32
  {
    int spare = fcntl(0, F_DUPFD, 900);
    char number[16];
    ck_assert_int_ge(spare, 0);
    ck_assert_int_eq(close(spare), 0);
    snprintf(number, sizeof(number), "%d", spare);
    forge(token, 6, number, forged, sizeof(forged));
    ck_assert_uint_lt(strlen(forged), sizeof(token));
    memcpy(token, forged, strlen(forged) + 1);
  }
#endif
  {
    const char *argv[] = {"helper", "pull", token, NULL};
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 1);
  }
  /* Windows reuses a closed handle's value at once: the owner may hold
   * something else under it by now, which the checks refuse. */
#ifdef _WIN32
  ck_assert_msg(strcmp(out, "error NOT_FOUND\nleak=none\n") == 0 ||
                    strcmp(out, "error BAD_TOKEN\nleak=none\n") == 0,
                "%s", out);
#else
  ck_assert_str_eq(out, "error NOT_FOUND\nleak=none\n");
#endif
  /* The owner's claim is checked: access and size. */
  ck_assert_err(ipc_shm_export(&exp, shm, IPC_SHM_EXPORT_PULL | IPC_SHM_READONLY), 0);
  forge(ipc_shm_export_token(exp), 3, "w", forged, sizeof(forged));
  {
    const char *argv[] = {"helper", "pull", forged, NULL};
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 1);
  }
  ck_assert_str_eq(out, "error BAD_TOKEN\nleak=none\n");
  forge(ipc_shm_export_token(exp), 4, "1048576", forged, sizeof(forged));
  {
    const char *argv[] = {"helper", "pull", forged, NULL};
    ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 1);
  }
  ck_assert_str_eq(out, "error BAD_TOKEN\nleak=none\n");
  ipc_shm_export_close(exp);
  ipc_shm_close(shm);
}
END_TEST

START_TEST(push_into_another_process) {
  char line[256], token[IPC_SHM_TOKEN_MAX];
  ipc_shm_t *shm = anonymous_with("pushed");
  test_resources_t before = test_resources();
#ifdef _WIN32
  int mode;
  for (mode = 0; mode < 2; mode++) {
    const char *argv[] = {"helper", "push-target", NULL};
    char expected[160];
    unsigned long pid;
    test_proc_t *proc = test_proc_start("ipcshm_tests", argv);
    ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
    ck_assert_int_eq(sscanf(line, "pid %lu", &pid), 1);
    ck_assert_err(ipc_shm_push(shm, pid, mode ? IPC_SHM_READONLY : 0, token), 0);
    test_proc_write(proc, token, strlen(token));
    test_proc_write(proc, "\n", 1);
    ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
    ck_assert_int_eq(test_proc_wait(proc), 0);
    snprintf(expected, sizeof(expected), "got %s 8192 pushed write=%s raw=%s",
             mode ? "r" : "w", mode ? "ACCESS" : "OK", mode ? refused_here() : "-");
    ck_assert_str_eq(line, expected);
  }
  ck_assert_err(ipc_shm_push(shm, 2147483000ul, 0, token), IPC_SHM_E_NOT_FOUND);
  ck_assert_str_eq(token, "");
#else
  /* No POSIX call puts a descriptor into another process. */
  ck_assert_err(ipc_shm_push(shm, (unsigned long)getppid(), 0, token),
                IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_str_eq(token, "");
  (void)line;
#endif
  ck_assert_err(ipc_shm_push(NULL, 1, 0, token), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_push(shm, 1, 0x8000u, token), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_push(shm, 1, 0, NULL), IPC_SHM_E_INVAL);
  ck_assert_no_leak(before);
  ipc_shm_close(shm);
}
END_TEST

/* ---- Tests: send and receive ---- */

START_TEST(send_and_receive_between_processes) {
  char name[IPC_SHM_NAME_MAX + 1], line[256], text[64];
  ipc_shm_listener_t *listener;
  ipc_shm_conn_t *conn;
  ipc_shm_t *shm = anonymous_with("sent");
  ipc_shm_t *reply = NULL;
  test_proc_t *proc;
  test_resources_t before = test_resources();
  ck_assert_err(ipc_shm_listen(&listener, test_name(name, "ls")), 0);
  {
    const char *argv[] = {"helper", "receive", name, NULL};
    proc = test_proc_start("ipcshm_tests", argv);
  }
  ck_assert_err(ipc_shm_accept(listener, &conn), 0);
  ck_assert_uint_ne(ipc_shm_conn_peer_pid(conn), 0);
  ck_assert_err(ipc_shm_send(conn, shm, 0), 0);
  ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
  ck_assert_str_eq(line, "got w 8192 sent write=OK raw=-");
  ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
  ck_assert_str_eq(line, "sent OK");
  ck_assert_err(ipc_shm_receive(conn, &reply), 0);
  ck_assert_int_eq(ipc_shm_is_writable(reply), 1);
  ck_assert_uint_eq(ipc_shm_size(reply), SEG_SIZE);
  get(reply, TEXT_AT, text, sizeof(text));
  ck_assert_str_eq(text, "reply");
  ipc_shm_close(reply);
  get(shm, REPLY_AT, text, sizeof(text));
  ck_assert_str_eq(text, "written by the receiver");

  ck_assert_err(ipc_shm_send(conn, shm, IPC_SHM_READONLY), 0);
  ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
  {
    char expected[96];
    snprintf(expected, sizeof(expected), "got r 8192 sent write=ACCESS raw=%s", refused_here());
    ck_assert_str_eq(line, expected);
  }
  ck_assert_err(ipc_shm_conn_close(conn), 0);
  ck_assert_int_eq(test_proc_read_line(proc, line, sizeof(line)), 0);
  ck_assert_str_eq(line, "end DISCONNECTED leak=none");
  ck_assert_int_eq(test_proc_wait(proc), 0);
  ck_assert_err(ipc_shm_listener_close(listener), 0);
  ck_assert_no_leak(before);
  ipc_shm_close(shm);
}
END_TEST

/* Write raw bytes to a listener, as a broken or hostile peer would. */
static void raw_send(const char *name, const void *bytes, size_t size) {
#ifdef _WIN32
  WCHAR pipe_name[128];
  char narrow[128];
  HANDLE pipe;
  DWORD written = 0;
  snprintf(narrow, sizeof(narrow), "\\\\.\\pipe\\ipcshm.%s", name);
  MultiByteToWideChar(CP_UTF8, 0, narrow, -1, pipe_name, 128);
  pipe = CreateFileW(pipe_name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  ck_assert(pipe != INVALID_HANDLE_VALUE);
  ck_assert(WriteFile(pipe, bytes, (DWORD)size, &written, NULL) && written == size);
  CloseHandle(pipe);
#else
  struct sockaddr_un address;
  socklen_t length;
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 0);
  memset(&address, 0, sizeof(address));
  address.sun_family = AF_UNIX;
#if TEST_LINUX
  snprintf(address.sun_path + 1, sizeof(address.sun_path) - 1, "ipcshm.%s", name);
  length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                       strlen(address.sun_path + 1));
#else
  snprintf(address.sun_path, sizeof(address.sun_path), "/tmp/ipcshm.%lu.%s",
           (unsigned long)geteuid(), name);
  length = (socklen_t)sizeof(address);
#endif
  ck_assert_int_eq(connect(fd, (struct sockaddr *)&address, length), 0);
  ck_assert_int_eq(write(fd, bytes, size), (ssize_t)size);
  close(fd);
#endif
}

/* A listener that dies without closing leaves its name free: pipes and
 * abstract sockets go with it, a stale socket file is replaced. */
START_TEST(a_dead_listener_frees_its_name) {
  char name[IPC_SHM_NAME_MAX + 1], out[64];
  ipc_shm_listener_t *listener = NULL;
  ipc_shm_conn_t *server, *client;
  ipc_shm_t *shm = anonymous_with("after a crash"), *got;
  test_resources_t before = test_resources();
  const char *argv[] = {"helper", "listen-exit", test_name(name, "dead"), NULL};
  ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
  ck_assert_str_eq(out, "OK\n");
  ck_assert_err(ipc_shm_listen(&listener, name), 0);
  ck_assert_err(ipc_shm_connect(&client, name), 0);
  ck_assert_err(ipc_shm_accept(listener, &server), 0);
  ck_assert_err(ipc_shm_send(client, shm, IPC_SHM_READONLY), 0);
  ck_assert_err(ipc_shm_receive(server, &got), 0);
  ck_assert_uint_eq(ipc_shm_size(got), ipc_shm_size(shm));
  ipc_shm_close(got);
  ipc_shm_conn_close(client);
  ipc_shm_conn_close(server);
  ck_assert_err(ipc_shm_listener_close(listener), 0);
  ck_assert_err(ipc_shm_connect(&client, name), IPC_SHM_E_NOT_FOUND);
  ck_assert_no_leak(before);
  ipc_shm_close(shm);
}
END_TEST

START_TEST(connection_errors) {
  char name[IPC_SHM_NAME_MAX + 1], other[IPC_SHM_NAME_MAX + 1];
  unsigned char junk[32];
  ipc_shm_listener_t *listener, *second = NULL;
  ipc_shm_conn_t *server, *client = NULL;
  ipc_shm_t *shm = anonymous_with("in process");
  ipc_shm_t *got = NULL;
  test_resources_t before = test_resources();

  ck_assert_err(ipc_shm_listen(NULL, "x"), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_listen(&second, NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_listen(&second, ""), IPC_SHM_E_NAME_INVALID);
  ck_assert_err(ipc_shm_listen(&second, "a/b"), IPC_SHM_E_NAME_INVALID);
  ck_assert_err(ipc_shm_listen(&second, "0123456789012345678901234567890"),
                IPC_SHM_E_NAME_TOO_LONG);
  ck_assert_err(ipc_shm_connect(&client, "a\\b"), IPC_SHM_E_NAME_INVALID);
  ck_assert_err(ipc_shm_connect(&client, test_name(other, "nobody")),
                IPC_SHM_E_NOT_FOUND);
  ck_assert_ptr_null(client);

  ck_assert_err(ipc_shm_listen(&listener, test_name(name, "ce")), 0);
  ck_assert_err(ipc_shm_listen(&second, name), IPC_SHM_E_EXISTS);
  ck_assert_ptr_null(second);

  /* Both ends in this process. */
  ck_assert_err(ipc_shm_connect(&client, name), 0);
  ck_assert_err(ipc_shm_accept(listener, &server), 0);
  ck_assert_err(ipc_shm_send(client, shm, IPC_SHM_READONLY), 0);
  ck_assert_err(ipc_shm_receive(server, &got), 0);
  ck_assert_int_eq(ipc_shm_is_writable(got), 0);
  ipc_shm_close(got);
  ck_assert_err(ipc_shm_send(NULL, shm, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_send(client, NULL, 0), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_send(client, shm, 0x8000u), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_receive(NULL, &got), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_receive(server, NULL), IPC_SHM_E_INVAL);
  /* The other end goes away: both directions say so. */
  ck_assert_err(ipc_shm_conn_close(client), 0);
  ck_assert_err(ipc_shm_receive(server, &got), IPC_SHM_E_DISCONNECTED);
  ck_assert_ptr_null(got);
  ck_assert_err(ipc_shm_send(server, shm, 0), IPC_SHM_E_DISCONNECTED);
  ck_assert_err(ipc_shm_conn_close(server), 0);

  /* Malformed messages. */
  memset(junk, 0x5A, sizeof(junk));
  raw_send(name, junk, sizeof(junk));
  ck_assert_err(ipc_shm_accept(listener, &server), 0);
  ck_assert_err(ipc_shm_receive(server, &got), IPC_SHM_E_BAD_TOKEN);
  ck_assert_err(ipc_shm_conn_close(server), 0);
  /* A well-formed message with no descriptor (POSIX) or naming a handle
   * that is not a section (Windows). */
  {
    static const unsigned char magic[8] = {'i', 'p', 'c', 's', 'h', 'm', '1', 0};
    uint32_t writable = 1, object = 1; /* a segment */
    uint64_t size = SEG_SIZE, handle;
#ifdef _WIN32
    HANDLE event = CreateEventW(NULL, TRUE, FALSE, NULL);
    handle = (uint64_t)(ULONG_PTR)event;
#else
    handle = 0;
#endif
    memcpy(junk, magic, 8);
    memcpy(junk + 8, &writable, 4);
    memcpy(junk + 12, &object, 4);
    memcpy(junk + 16, &size, 8);
    memcpy(junk + 24, &handle, 8);
    raw_send(name, junk, sizeof(junk));
    ck_assert_err(ipc_shm_accept(listener, &server), 0);
    ck_assert_err(ipc_shm_receive(server, &got), IPC_SHM_E_BAD_TOKEN);
    ck_assert_err(ipc_shm_conn_close(server), 0);
#ifdef _WIN32
    ck_assert(CloseHandle(event));
#endif
  }
  /* A message cut short. */
  raw_send(name, junk, 10);
  ck_assert_err(ipc_shm_accept(listener, &server), 0);
  ck_assert_err(ipc_shm_receive(server, &got), IPC_SHM_E_DISCONNECTED);
  ck_assert_err(ipc_shm_conn_close(server), 0);
  ck_assert_ptr_null(got);

  ck_assert_err(ipc_shm_listener_close(listener), 0);
  ck_assert_err(ipc_shm_connect(&client, name), IPC_SHM_E_NOT_FOUND);
  /* The name is free again. */
  ck_assert_err(ipc_shm_listen(&listener, name), 0);
  ck_assert_err(ipc_shm_listener_close(listener), 0);
  ck_assert_err(ipc_shm_accept(NULL, &server), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_listener_close(NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_conn_close(NULL), IPC_SHM_E_INVAL);
  ck_assert_uint_eq(ipc_shm_conn_peer_pid(NULL), 0);
  ck_assert_no_leak(before);
  ipc_shm_close(shm);
}
END_TEST

/* ---- The same bytes by every route ---- */

START_TEST(every_route_gives_the_same_bytes) {
  char path[1200], out[256], expected[64], name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *data, *result;
  ipc_shm_view_t *view;
  unsigned char *p;
  size_t i;
  unsigned long long sum;
  test_resources_t before;
  /* Not a multiple of the page: the exact size travels too. */
  ck_assert_err(ipc_shm_create_anonymous(&data, 65536 + 123, 0), 0);
  ck_assert_err(ipc_shm_map(&view, data, 0, 0, IPC_SHM_MAP_WRITE), 0);
  p = (unsigned char *)ipc_shm_view_data(view);
  for (i = 0; i < ipc_shm_view_size(view); i++)
    p[i] = (unsigned char)(i * 7 + (i >> 8));
  ipc_shm_unmap(view);
  sum = checksum(data);
  snprintf(expected, sizeof(expected), "%llu\n", sum);
  ck_assert_err(ipc_shm_create_anonymous(&result, 4096, 0), 0);
  before = test_resources();

  /* Inheritance. */
  {
    ipc_shm_inherit_t segments[2] = {{NULL, IPC_SHM_READONLY}, {NULL, 0}};
    ipc_shm_process_t *child;
    int code = -1;
    segments[0].shm = data;
    segments[1].shm = result;
    helper_path(path, sizeof(path));
    {
      const char *argv[] = {path, "helper", "checksum-inherited", NULL};
      ck_assert_err(ipc_shm_spawn(&child, argv, segments, 2), 0);
    }
    ck_assert_err(ipc_shm_process_wait(child, &code), 0);
    ck_assert_int_eq(code, 0);
    get(result, 0, out, 64);
    strcat(out, "\n");
    ck_assert_str_eq(out, expected);
  }
  /* Duplication (pull), where the system has it. */
  if (TEST_CAN_PULL) {
    ipc_shm_export_t *exp;
    allow_pullers();
    ck_assert_err(ipc_shm_export(&exp, data, IPC_SHM_EXPORT_PULL | IPC_SHM_READONLY), 0);
    {
      const char *argv[] = {"helper", "checksum-pull", ipc_shm_export_token(exp), NULL};
      ck_assert_int_eq(test_run("ipcshm_tests", argv, NULL, out, sizeof(out)), 0);
    }
    ipc_shm_export_close(exp);
    ck_assert_str_eq(out, expected);
  }
  /* Sending. */
  {
    ipc_shm_listener_t *listener;
    ipc_shm_conn_t *conn;
    test_proc_t *proc;
    ck_assert_err(ipc_shm_listen(&listener, test_name(name, "route")), 0);
    {
      const char *argv[] = {"helper", "checksum-receive", name, NULL};
      proc = test_proc_start("ipcshm_tests", argv);
    }
    ck_assert_err(ipc_shm_accept(listener, &conn), 0);
    ck_assert_err(ipc_shm_send(conn, data, IPC_SHM_READONLY), 0);
    ck_assert_int_eq(test_proc_read_line(proc, out, sizeof(out)), 0);
    strcat(out, "\n");
    ck_assert_int_eq(test_proc_wait(proc), 0);
    ipc_shm_conn_close(conn);
    ipc_shm_listener_close(listener);
    ck_assert_str_eq(out, expected);
  }
  ck_assert_no_leak(before);
  ipc_shm_close(data);
  ipc_shm_close(result);
}
END_TEST

/* ---- The command-line tool ---- */

START_TEST(tool_runs_a_command_with_the_segment_inherited) {
  char name[IPC_SHM_NAME_MAX + 1], tool[1200], out[256], text[64];
  ipc_shm_t *shm;
#ifdef _WIN32
  snprintf(tool, sizeof(tool), "%s\\ipc-shm.exe", test_bin_dir);
#else
  snprintf(tool, sizeof(tool), "%s/ipc-shm", test_bin_dir);
#endif
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "run"), 4096, 0), 0);
  put(shm, 0, "through run");
  {
    const char *args[] = {"run", name, "--", tool, "read", "--inherited", "0",
                          "--length", "11", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "through run");
  }
  {
    const char *args[] = {"run", name, "--", tool, "write", "--inherited", "0", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, "written back", out, sizeof(out)), 0);
    get(shm, 0, text, 13);
    ck_assert_str_eq(text, "written back");
  }
  {
    /* Read-only: the command cannot write, and says so. */
    const char *args[] = {"run", name, "--readonly", "--", tool, "write",
                          "--inherited", "0", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, "refused", out, sizeof(out)), 1);
    get(shm, 0, text, 13);
    ck_assert_str_eq(text, "written back");
  }
  {
    const char *args[] = {"run", name, "--readonly", "--", tool, "info",
                          "--inherited", "0", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "access: read-only\n"));
    ck_assert_ptr_nonnull(strstr(out, "size: 4096\n"));
  }
  {
    /* The exit status of the command comes back; a missing name stops it. */
    const char *args[] = {"run", name, "--", tool, "read", "--inherited", "1", NULL};
    const char *missing[] = {"run", "ipcshm-test-missing", "--", tool, "info",
                             "--inherited", "0", NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 1);
    ck_assert_int_eq(test_run("ipc-shm", missing, NULL, out, sizeof(out)), 1);
    ck_assert_str_eq(out, "");
  }
  ipc_shm_close(shm);
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    ck_assert_err(ipc_shm_remove(name, 0), 0);

  /* Names are UTF-8 on the command line too (Windows: not the ANSI page). */
  test_name(name, "caf\xc3\xa9");
  ck_assert_err(ipc_shm_create(&shm, name, 8192, 0), 0);
  {
    const char *args[] = {"info", name, NULL};
    ck_assert_int_eq(test_run("ipc-shm", args, NULL, out, sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "size: 8192\n"));
  }
  ipc_shm_close(shm);
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    ck_assert_err(ipc_shm_remove(name, 0), 0);
}
END_TEST

void add_handover_cases(Suite *suite) {
  TCase *tc = tcase_create("inherit");
  tcase_add_test(tc, spawn_hands_over_exactly_the_listed_segments);
  tcase_add_test(tc, spawn_passes_arguments_unchanged);
  tcase_add_test(tc, spawn_errors);
  tcase_add_test(tc, export_for_a_child_started_another_way);
  tcase_add_test(tc, read_only_copies_of_every_kind);
  tcase_add_test(tc, inherited_without_a_variable_or_token);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);

  tc = tcase_create("tokens");
  tcase_add_test(tc, bad_tokens_are_refused_and_touch_nothing);
  suite_add_tcase(suite, tc);

  tc = tcase_create("seal");
  tcase_add_test(tc, seal_stops_new_writers);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);

  tc = tcase_create("duplicate");
  tcase_add_test(tc, pull_from_the_owner);
  tcase_add_test(tc, pull_errors);
  tcase_add_test(tc, push_into_another_process);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);

  tc = tcase_create("send");
  tcase_add_test(tc, send_and_receive_between_processes);
  tcase_add_test(tc, connection_errors);
  tcase_add_test(tc, a_dead_listener_frees_its_name);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);

  tc = tcase_create("tool_run");
  tcase_add_test(tc, tool_runs_a_command_with_the_segment_inherited);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);

  tc = tcase_create("routes");
  tcase_add_test(tc, every_route_gives_the_same_bytes);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);
}
