/* SPDX-License-Identifier: MIT */
/* What the tests of handing segments over share, and the helper modes of
 * their other processes (each a copy of the test binary in a mode). */
#include "handover_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

/* For helper processes, which run outside Check and must not assert. */
int poke(const ipc_shm_t *shm, size_t offset, const char *text) {
  ipc_shm_view_t *view;
  int err = ipc_shm_map(&view, shm, offset, strlen(text) + 1, IPC_SHM_MAP_WRITE);
  if (err != 0)
    return err;
  memcpy(ipc_shm_view_data(view), text, strlen(text) + 1);
  return ipc_shm_unmap(view);
}

int peek(const ipc_shm_t *shm, size_t offset, char *out, size_t size) {
  ipc_shm_view_t *view;
  int err = ipc_shm_map(&view, shm, offset, size - 1, IPC_SHM_MAP_READ);
  out[0] = '\0';
  if (err != 0)
    return err;
  memcpy(out, ipc_shm_view_data(view), size - 1);
  out[size - 1] = '\0';
  return ipc_shm_unmap(view);
}

void put(ipc_shm_t *shm, size_t offset, const char *text) {
  ck_assert_err(poke(shm, offset, text), 0);
}

/* The NUL-terminated text at `offset` (at most size - 1 bytes). */
void get(const ipc_shm_t *shm, size_t offset, char *out, size_t size) {
  ck_assert_err(peek(shm, offset, out, size), 0);
}

ipc_shm_t *anonymous_with(const char *text) {
  ipc_shm_t *shm;
  ck_assert_err(ipc_shm_create_anonymous(&shm, SEG_SIZE, 0), 0);
  put(shm, TEXT_AT, text);
  return shm;
}

/* FNV-1a of the whole segment. */
unsigned long long checksum(const ipc_shm_t *shm) {
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

/* What raw_write_refused must say of a read-only copy here: "refused",
 * or "owner-dac" where the platform grants an object's owner WRITE_DAC
 * whatever its DACL says (see test_owner_rights_honoured). */
const char *refused_here(void) {
  return test_owner_rights_honoured() ? "refused" : "owner-dac";
}

/* Replace field `index` (0-based, ':'-separated) of a token. */
void forge(const char *token, int index, const char *value, char *out,
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

void foreign_token(const ipc_shm_export_t *exp, ipc_shm_native_t *raw,
                   char token[IPC_SHM_TOKEN_MAX]) {
  char value[32], forged[IPC_SHM_TOKEN_MAX * 2];
#ifdef _WIN32
  ck_assert(DuplicateHandle(GetCurrentProcess(), ipc_shm_export_native(exp),
                            GetCurrentProcess(), raw, 0, TRUE, DUPLICATE_SAME_ACCESS));
  snprintf(value, sizeof(value), "%llu", (unsigned long long)(ULONG_PTR)*raw);
#else
  *raw = fcntl(ipc_shm_export_native(exp), F_DUPFD, 100); /* inheritable */
  ck_assert_int_ge(*raw, 0);
  snprintf(value, sizeof(value), "%d", *raw);
#endif
  forge(ipc_shm_export_token(exp), 6, value, forged, sizeof(forged));
  ck_assert_uint_lt(strlen(forged), IPC_SHM_TOKEN_MAX);
  memcpy(token, forged, strlen(forged) + 1);
}

void close_raw(ipc_shm_native_t raw) {
#ifdef _WIN32
  ck_assert(CloseHandle(raw));
#else
  ck_assert_int_eq(close(raw), 0);
#endif
}

void helper_path(char *path, size_t size) {
#ifdef _WIN32
  snprintf(path, size, "%s\\ipcshm_tests.exe", test_bin_dir);
#else
  snprintf(path, size, "%s/ipcshm_tests", test_bin_dir);
#endif
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
           ipc_shm_is_writable(shm) ? "-" : test_raw_write_refused(ipc_shm_native_handle(shm)),
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
  if (test_raw_reaches(strtoull(argv[0], NULL, 10), argv[1]) && report[0] == '\0')
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

int await_pushed_token(char token[IPC_SHM_TOKEN_MAX + 2]) {
#ifdef _WIN32
  printf("pid %lu\n", (unsigned long)GetCurrentProcessId());
#else
  printf("pid %lu\n", (unsigned long)getpid());
#endif
  fflush(stdout);
  if (fgets(token, IPC_SHM_TOKEN_MAX + 2, stdin) == NULL)
    return -1;
  token[strcspn(token, "\r\n")] = '\0';
  return 0;
}

/* push-target: say our pid, read a token from standard input, import it. */
static int helper_push_target(char **argv) {
  char token[IPC_SHM_TOKEN_MAX + 2];
  ipc_shm_t *shm = NULL;
  int err;
  (void)argv;
  if (await_pushed_token(token) != 0)
    return 1;
  err = ipc_shm_import(&shm, token); /* before print_received reads shm */
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

/* export-hold: print a pull token of a new segment, keep it until standard
 * input ends. */
static int helper_export_hold(char **argv) {
  ipc_shm_t *shm;
  ipc_shm_export_t *exp;
  char line[16];
  (void)argv;
  test_allow_pullers();
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

/* inherited-none: ask for inherited object 0 of each kind and print the
 * three results ("NOT_FOUND NOT_FOUND NOT_FOUND" for a child given none). */
static int helper_inherited_none(char **argv) {
  ipc_shm_t *shm = NULL;
  ipc_shm_event_t *event = NULL;
  ipc_shm_mutex_t *mutex = NULL;
  int a = ipc_shm_inherited(&shm, 0), b = ipc_shm_event_inherited(&event, 0),
      c = ipc_shm_mutex_inherited(&mutex, 0);
  (void)argv;
  printf("%s %s %s%s\n", ipc_shm_err_name(a), ipc_shm_err_name(b), ipc_shm_err_name(c),
         shm == NULL && event == NULL && mutex == NULL ? "" : " (an object came back)");
  return 0;
}

int run_handover_helper(int argc, char **argv) {
  static const test_helper_mode_t modes[] = {
      {"inherited-none", 0, helper_inherited_none},
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

