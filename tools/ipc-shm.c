/* SPDX-License-Identifier: MIT */
/* ipc-shm: create, fill, read, inspect and remove named shared-memory
 * segments, and use events and mutexes, from the command line. */
#include "ipc_shm.h"
#include "tool_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#include <shellapi.h>

/* Names are UTF-8, but main's argv is in the ANSI code page. */
static char **utf8_arguments(int *argc) {
  LPWSTR *wide = CommandLineToArgvW(GetCommandLineW(), argc);
  char **argv;
  int i;
  if (wide == NULL)
    return NULL;
  argv = (char **)calloc((size_t)*argc + 1, sizeof(char *));
  for (i = 0; argv != NULL && i < *argc; i++) {
    int n = WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, NULL, 0, NULL, NULL);
    argv[i] = (char *)malloc((size_t)n);
    if (argv[i] == NULL)
      return NULL;
    WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, argv[i], n, NULL, NULL);
  }
  LocalFree(wide);
  return argv;
}
#endif

#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: ipc-shm COMMAND NAME [OPTIONS]\n"
    "\n"
    "  create NAME SIZE [--hold] [--perms MODE]\n"
    "         create the segment; fails if NAME exists. SIZE takes a k, m or g\n"
    "         suffix (KiB, MiB, GiB). With --hold, print 'ready' and keep the\n"
    "         segment alive until standard input ends, then close it (and, where\n"
    "         names outlive handles, remove the name).\n"
    "  write  NAME [--offset N]               copy standard input into the segment\n"
    "         (all or nothing: input longer than the room left writes nothing)\n"
    "  read   NAME [--offset N] [--length N]  copy the segment to standard output\n"
    "         (--length 0, or none: to the end)\n"
    "  info   NAME                            print facts about the segment\n"
    "  rm     NAME                            remove the name\n"
    "  run    NAME... [--readonly] -- COMMAND [ARGS...]\n"
    "         start COMMAND with the named segments inherited (and nothing else);\n"
    "         it finds them through " IPC_SHM_INHERIT_ENV ", in the order given.\n"
    "         Exits with COMMAND's exit status (127: not found, 126: not runnable).\n"
    "\n"
    "  event create NAME [--manual] [--set] [--hold] [--perms MODE]\n"
    "         create an event (auto reset unless --manual; --set: starts set);\n"
    "         --hold as for create\n"
    "  event set|reset NAME                   set or reset the event\n"
    "  event wait NAME [--timeout MS]         wait until the event is set\n"
    "  mutex create NAME [--hold] [--perms MODE]\n"
    "  mutex lock NAME [--timeout MS] [--recover] [-- COMMAND [ARGS...]]\n"
    "         lock the mutex, run COMMAND holding it, unlock; exit with its\n"
    "         status. If the previous owner died holding it, say so and exit 1\n"
    "         still holding it (the next locker hears of it too), unless\n"
    "         --recover: then mark it consistent and go on.\n"
    "         A wait that times out exits with 124.\n"
    "\n"
    "write, read and info take --inherited N instead of NAME: the N-th segment\n"
    "handed over by 'ipc-shm run' or ipc_shm_spawn().\n"
    "Every command takes --global: the Global\\ namespace on Windows.\n"
    "ipc-shm --version prints the version, --help this text.\n";

/* The C runtime's text for errno (MSVC deprecates strerror). */
static const char *error_text(int number) {
#if defined(_MSC_VER)
  static char text[128];
  return strerror_s(text, sizeof(text), number) == 0 ? text : "unknown error";
#else
  return strerror(number);
#endif
}

/* A usage error: the reason on one line, then where to read more. */
static int usage(const char *problem, const char *argument) {
  if (argument != NULL)
    fprintf(stderr, "ipc-shm: %s: %s\n", problem, argument);
  else
    fprintf(stderr, "ipc-shm: %s\n", problem);
  fputs("Try 'ipc-shm --help'.\n", stderr);
  return EXIT_USAGE;
}

/* The system's own text for a native error. */
static const char *native_error_text(long native, char *buffer, size_t size) {
#ifdef _WIN32
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                           (DWORD)native, 0, buffer, (DWORD)size, NULL);
  while (n > 0 && (buffer[n - 1] == '\n' || buffer[n - 1] == '\r' || buffer[n - 1] == '.'))
    buffer[--n] = '\0';
  return n > 0 ? buffer : "no text";
#else
  (void)buffer;
  (void)size;
  return error_text((int)native);
#endif
}

/* Report a library error with the native error behind it. */
static int fail(const struct options *opt, int err) {
  const char *call = ipc_shm_last_native_call();
  fprintf(stderr, "ipc-shm: %s %s%s: %s", opt->command,
          opt->inherited ? "--inherited " : "", opt->name != NULL ? opt->name : "",
          ipc_shm_strerror(err));
  if (call[0] != '\0') {
    char text[256];
    long native = ipc_shm_last_native_error();
    fprintf(stderr, " (%s: native error %ld: %s)", call, native,
            native_error_text(native, text, sizeof(text)));
  }
  fprintf(stderr, " [%s]\n", ipc_shm_err_name(err));
  return EXIT_FAILURE;
}

static unsigned flags_of(const struct options *opt) {
  return (opt->global ? IPC_SHM_GLOBAL : 0u) |
         (opt->perms_given ? IPC_SHM_PERMS(opt->perms) : 0u);
}

static int cmd_create(const struct options *opt) {
  ipc_shm_t *shm;
  uint64_t size;
  int err;
  char buffer[256];
  switch (ipc_shm_tool_parse_size(opt->size, &size)) {
  case 0:
    break;
  case -2:
    return usage("create: SIZE is too large", opt->size);
  default:
    return usage("create: SIZE must be a number, optionally with a k, m or g suffix",
                 opt->size);
  }
  err = ipc_shm_create(&shm, opt->name, size, flags_of(opt));
  if (err != 0)
    return fail(opt, err);
  if (!opt->hold) {
    ipc_shm_close(shm);
    if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_LAST_CLOSE)
      fprintf(stderr, "ipc-shm: note: on this platform the segment is gone "
                      "with its last handle; use --hold to keep it\n");
    return EXIT_SUCCESS;
  }
  puts("ready");
  fflush(stdout);
  while (fread(buffer, 1, sizeof(buffer), stdin) > 0) {
  }
  ipc_shm_close(shm);
  /* Where names outlive handles, a held segment goes away with its holder,
   * as it does on Windows. */
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED) {
    err = ipc_shm_remove(opt->name, flags_of(opt));
    if (err != 0 && err != IPC_SHM_E_NOT_FOUND)
      return fail(opt, err);
  }
  return EXIT_SUCCESS;
}

/* Open NAME, or take the inherited segment it numbers. */
static int open_segment(const struct options *opt, int writable, ipc_shm_t **shm) {
  if (opt->inherited)
    return opt->index > (uint64_t)SIZE_MAX ? IPC_SHM_E_NOT_FOUND
                                           : ipc_shm_inherited(shm, (size_t)opt->index);
  return ipc_shm_open(shm, opt->name,
                      (writable ? 0u : IPC_SHM_READONLY) | flags_of(opt));
}

/* Open NAME and map it from --offset, for --length bytes (0: to the end). */
static int open_view(const struct options *opt, int writable, ipc_shm_view_t **view) {
  ipc_shm_t *shm;
  int err = open_segment(opt, writable, &shm);
  if (err != 0)
    return err;
  if (opt->length > (uint64_t)SIZE_MAX) {
    ipc_shm_close(shm);
    return IPC_SHM_E_SIZE_TOO_BIG;
  }
  err = ipc_shm_map(view, shm, opt->offset, (size_t)opt->length,
                    writable ? IPC_SHM_MAP_WRITE : IPC_SHM_MAP_READ);
  ipc_shm_close(shm); /* the view keeps the segment alive */
  return err;
}

/* All of standard input, read before anything is written, so that a write
 * is all or nothing: at most `limit` bytes, else *too_long. malloc'ed. */
static unsigned char *read_input(size_t limit, size_t *size, int *too_long) {
  size_t capacity = 65536, used = 0, n;
  unsigned char *data = (unsigned char *)malloc(capacity);
  *too_long = 0;
  while (data != NULL && (n = fread(data + used, 1, capacity - used, stdin)) > 0) {
    used += n;
    if (used > limit) {
      *too_long = 1;
      break;
    }
    if (used == capacity) {
      unsigned char *grown = (unsigned char *)realloc(data, capacity * 2);
      if (grown == NULL) {
        free(data);
        return NULL;
      }
      data = grown;
      capacity *= 2;
    }
  }
  *size = used;
  return data;
}

static int cmd_write(const struct options *opt) {
  ipc_shm_view_t *view;
  unsigned char *input;
  size_t capacity, size = 0;
  int too_long, err = open_view(opt, 1, &view);
  if (err != 0)
    return fail(opt, err);
  capacity = ipc_shm_view_size(view);
  input = read_input(capacity, &size, &too_long);
  if (input == NULL || too_long) {
    ipc_shm_unmap(view);
    free(input);
    if (input == NULL)
      return fail(opt, IPC_SHM_E_NO_MEMORY);
    fprintf(stderr, "ipc-shm: write %s: input is longer than the %zu bytes "
                    "from the offset to the end of the segment; nothing written\n",
            opt->name, capacity);
    return EXIT_FAILURE;
  }
  memcpy(ipc_shm_view_data(view), input, size);
  free(input);
  err = ipc_shm_unmap(view);
  return err != 0 ? fail(opt, err) : EXIT_SUCCESS;
}

static int cmd_read(const struct options *opt) {
  ipc_shm_view_t *view;
  int err = open_view(opt, 0, &view);
  size_t size;
  if (err != 0)
    return fail(opt, err);
  size = ipc_shm_view_size(view);
  if (fwrite(ipc_shm_view_data(view), 1, size, stdout) != size || fflush(stdout) != 0) {
    ipc_shm_unmap(view);
    fprintf(stderr, "ipc-shm: read %s: cannot write to standard output: %s\n",
            opt->name, error_text(errno));
    return EXIT_FAILURE;
  }
  err = ipc_shm_unmap(view);
  return err != 0 ? fail(opt, err) : EXIT_SUCCESS;
}

static int cmd_info(const struct options *opt) {
  ipc_shm_t *shm;
  int err = open_segment(opt, 0, &shm);
  if (err != 0)
    return fail(opt, err);
  if (ipc_shm_name(shm) != NULL)
    printf("name: %s\n", ipc_shm_name(shm));
  printf("access: %s\n", ipc_shm_is_writable(shm) ? "read-write" : "read-only");
  printf("size: %llu\n", (unsigned long long)ipc_shm_size(shm));
  printf("size-exact: %s\n", ipc_shm_size_is_exact(shm) ? "yes" : "no (rounded up to the page size)");
  printf("granularity: %zu\n", ipc_shm_granularity());
  printf("lifetime: %s\n", ipc_shm_lifetime() == IPC_SHM_LIFETIME_LAST_CLOSE
                               ? "until the last handle is closed"
                               : "until removed");
  ipc_shm_close(shm);
  return EXIT_SUCCESS;
}

/* run NAME... [--readonly] [--global] -- COMMAND [ARGS...] */
static int cmd_run(int argc, char **argv) {
  struct options opt;
  ipc_shm_inherit_t *segments;
  ipc_shm_t **opened;
  ipc_shm_process_t *child = NULL;
  unsigned open_flags = 0, hand_flags = 0;
  int i, first_name = 2, names = 0, command = -1, code = EXIT_FAILURE, err = 0;
  memset(&opt, 0, sizeof(opt));
  opt.command = "run";
  for (i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      command = i + 1;
      break;
    }
    if (strcmp(argv[i], "--readonly") == 0)
      hand_flags = IPC_SHM_READONLY;
    else if (strcmp(argv[i], "--global") == 0)
      open_flags = IPC_SHM_GLOBAL;
    else if (argv[i][0] == '-' && argv[i][1] == '-')
      return usage("run: unknown option", argv[i]);
    else
      names++;
  }
  if (command < 0 || command >= argc || names == 0)
    return usage("run: give at least one NAME, then -- and the command", NULL);
  segments = (ipc_shm_inherit_t *)calloc((size_t)names, sizeof(*segments));
  opened = (ipc_shm_t **)calloc((size_t)names, sizeof(*opened));
  if (segments == NULL || opened == NULL) {
    free(segments);
    free(opened);
    return fail(&opt, IPC_SHM_E_NO_MEMORY);
  }
  names = 0;
  for (i = first_name; i < command - 1 && err == 0; i++) {
    ipc_shm_t *shm;
    if (argv[i][0] == '-' && argv[i][1] == '-')
      continue;
    opt.name = argv[i];
    err = ipc_shm_open(&shm, argv[i], open_flags | hand_flags);
    if (err == 0) {
      opened[names] = shm;
      segments[names].shm = shm;
      segments[names++].flags = hand_flags;
    }
  }
  if (err == 0) {
    opt.name = argv[command];
    err = ipc_shm_spawn(&child, (const char *const *)(argv + command), segments,
                        (size_t)names);
    /* As a shell says it: 127 for a command not found, 126 for one that
     * cannot be run. */
    if (err == IPC_SHM_E_NOT_FOUND || err == IPC_SHM_E_PERM) {
      fprintf(stderr, "ipc-shm: run: %s: %s\n", argv[command],
              err == IPC_SHM_E_NOT_FOUND ? "command not found" : "permission denied");
      code = err == IPC_SHM_E_NOT_FOUND ? 127 : 126;
      err = 0;
      child = NULL;
    }
  }
  /* The child holds its own copies. */
  for (i = 0; i < names; i++)
    ipc_shm_close(opened[i]);
  free(opened);
  free(segments);
  if (err == 0 && child != NULL)
    err = ipc_shm_process_wait(child, &code);
  return err != 0 ? fail(&opt, err) : code;
}

#define EXIT_TIMED_OUT 124

/* Report an event or mutex error as fail() does. */
static int sync_fail(const struct sync_options *sync, int err) {
  struct options opt;
  char command[32];
  memset(&opt, 0, sizeof(opt));
  snprintf(command, sizeof(command), "%s %s", sync->kind, sync->action);
  opt.command = command;
  opt.name = sync->name;
  if (err == IPC_SHM_E_TIMEOUT) {
    fprintf(stderr, "ipc-shm: %s %s: timed out\n", command, sync->name);
    return EXIT_TIMED_OUT;
  }
  return fail(&opt, err);
}

/* Keep a new object alive until standard input ends, as create --hold. */
static void hold_until_stdin_ends(void) {
  char line[256];
  puts("ready");
  fflush(stdout);
  while (fgets(line, sizeof(line), stdin) != NULL) {
  }
}

static void note_vanishing(const char *what) {
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_LAST_CLOSE)
    fprintf(stderr, "ipc-shm: note: on this platform the %s is gone once its last "
                    "handle is closed; use --hold\n", what);
}

/* After a create: hold the new object (or say it will vanish), close it
 * with `close_object`, and remove a held name where names outlive handles. */
static int finish_create(const struct sync_options *sync, unsigned flags, void *object,
                         int (*close_object)(void *)) {
  if (sync->hold)
    hold_until_stdin_ends();
  else
    note_vanishing(sync->kind);
  (void)close_object(object);
  if (sync->hold && ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    (void)ipc_shm_remove(sync->name, flags);
  return EXIT_SUCCESS;
}

static int close_event(void *event) { return ipc_shm_event_close((ipc_shm_event_t *)event); }
static int close_mutex(void *mutex) { return ipc_shm_mutex_close((ipc_shm_mutex_t *)mutex); }

static int cmd_event(const struct sync_options *sync) {
  unsigned flags = sync->global ? IPC_SHM_GLOBAL : 0u;
  ipc_shm_event_t *event;
  int err;
  if (strcmp(sync->action, "create") == 0) {
    flags |= (sync->manual ? IPC_SHM_EVENT_MANUAL : 0u) | (sync->set ? IPC_SHM_EVENT_SET : 0u) |
             (sync->perms_given ? IPC_SHM_PERMS(sync->perms) : 0u);
    err = ipc_shm_event_create(&event, sync->name, flags);
    if (err != 0)
      return sync_fail(sync, err);
    return finish_create(sync, flags, event, close_event);
  }
  err = ipc_shm_event_open(&event, sync->name, flags);
  if (err != 0)
    return sync_fail(sync, err);
  if (strcmp(sync->action, "set") == 0)
    err = ipc_shm_event_set(event);
  else if (strcmp(sync->action, "reset") == 0)
    err = ipc_shm_event_reset(event);
  else
    err = ipc_shm_event_wait(event, sync->timeout_ms);
  ipc_shm_event_close(event);
  return err != 0 ? sync_fail(sync, err) : EXIT_SUCCESS;
}

static int cmd_mutex(const struct sync_options *sync, char **argv) {
  unsigned flags = sync->global ? IPC_SHM_GLOBAL : 0u;
  ipc_shm_mutex_t *mutex;
  ipc_shm_process_t *child = NULL;
  int err, code = EXIT_SUCCESS;
  if (strcmp(sync->action, "create") == 0) {
    flags |= sync->perms_given ? IPC_SHM_PERMS(sync->perms) : 0u;
    err = ipc_shm_mutex_create(&mutex, sync->name, flags);
    if (err != 0)
      return sync_fail(sync, err);
    return finish_create(sync, flags, mutex, close_mutex);
  }
  err = ipc_shm_mutex_open(&mutex, sync->name, flags);
  if (err != 0)
    return sync_fail(sync, err);
  err = ipc_shm_mutex_lock(mutex, sync->timeout_ms);
  if (err == IPC_SHM_E_OWNER_DEAD) {
    fprintf(stderr, "ipc-shm: mutex lock %s: its previous owner died holding it\n",
            sync->name);
    if (!sync->recover) {
      /* Exiting while holding it hands the news to the next locker. */
      fputs("ipc-shm: check what it protects, then lock it with --recover\n", stderr);
      return EXIT_FAILURE;
    }
    err = ipc_shm_mutex_consistent(mutex);
  }
  if (err != 0) {
    ipc_shm_mutex_close(mutex);
    return sync_fail(sync, err);
  }
  if (sync->command > 0) {
    err = ipc_shm_spawn(&child, (const char *const *)(argv + sync->command), NULL, 0);
    if (err == IPC_SHM_E_NOT_FOUND || err == IPC_SHM_E_PERM) {
      fprintf(stderr, "ipc-shm: mutex lock: %s: %s\n", argv[sync->command],
              err == IPC_SHM_E_NOT_FOUND ? "command not found" : "permission denied");
      code = err == IPC_SHM_E_NOT_FOUND ? 127 : 126;
      err = 0;
    } else if (err == 0) {
      err = ipc_shm_process_wait(child, &code);
    }
  }
  (void)ipc_shm_mutex_unlock(mutex);
  ipc_shm_mutex_close(mutex);
  return err != 0 ? sync_fail(sync, err) : code;
}

static int cmd_rm(const struct options *opt) {
  int err = ipc_shm_remove(opt->name, flags_of(opt));
  return err != 0 ? fail(opt, err) : EXIT_SUCCESS;
}

int main(int argc, char **argv) {
  struct options opt;
#ifdef _WIN32
  /* Binary-safe standard streams: no CRLF translation, no ^Z as end. */
  _setmode(_fileno(stdin), _O_BINARY);
  _setmode(_fileno(stdout), _O_BINARY);
  argv = utf8_arguments(&argc);
  if (argv == NULL) {
    fputs("ipc-shm: cannot read the command line\n", stderr);
    return EXIT_FAILURE;
  }
#endif
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("ipc-shm %s\n", ipc_shm_version());
    return EXIT_SUCCESS;
  }
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs(usage_text, stdout);
    return EXIT_SUCCESS;
  }
  if (argc >= 2 && strcmp(argv[1], "run") == 0)
    return cmd_run(argc, argv);
  if (argc >= 2 && (strcmp(argv[1], "event") == 0 || strcmp(argv[1], "mutex") == 0)) {
    struct sync_options sync;
    const char *reason;
    if (ipc_shm_tool_parse_sync_args(argc, argv, &sync, &reason) != 0)
      return usage(reason, sync.bad_argument);
    return strcmp(sync.kind, "event") == 0 ? cmd_event(&sync) : cmd_mutex(&sync, argv);
  }
  if (argc == 1) {
    fputs(usage_text, stderr);
    return EXIT_USAGE;
  }
  if (strcmp(argv[1], "create") != 0 && strcmp(argv[1], "write") != 0 &&
      strcmp(argv[1], "read") != 0 && strcmp(argv[1], "info") != 0 &&
      strcmp(argv[1], "rm") != 0)
    return usage("unknown command", argv[1]);
  {
    const char *reason;
    if (ipc_shm_tool_parse_args(argc, argv, &opt, &reason) != 0)
      return usage(reason, opt.bad_argument);
  }
  if (opt.inherited && strcmp(opt.command, "write") != 0 &&
      strcmp(opt.command, "read") != 0 && strcmp(opt.command, "info") != 0)
    return usage("--inherited works with write, read and info", NULL);
  if (strcmp(opt.command, "create") == 0)
    return cmd_create(&opt);
  if (strcmp(opt.command, "write") == 0)
    return cmd_write(&opt);
  if (strcmp(opt.command, "read") == 0)
    return cmd_read(&opt);
  if (strcmp(opt.command, "info") == 0)
    return cmd_info(&opt);
  return cmd_rm(&opt);
}
