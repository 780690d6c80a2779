/* SPDX-License-Identifier: MIT */
/* ipc-shm: create, fill, read, inspect and remove named shared-memory
 * segments, and use events, mutexes, semaphores, channels and topics, from the command line.
 * Each family of commands is in a file of its own (tool_*.c). */
#include "tool.h"

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
    "  ls [PREFIX] [--stale]                  every object of this machine (names starting\n"
    "         with PREFIX): name, kind, size, and whether anybody uses it; --stale:\n"
    "         only those whose every user is gone (Linux; Windows has none)\n"
    "  rm --stale [PREFIX]                    remove the names of those\n"
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
    "  semaphore create NAME [--initial N] [--max N] [--hold] [--perms MODE]\n"
    "         create a counting semaphore (count N, default 0; the largest count\n"
    "         default 2147483647)\n"
    "  semaphore post NAME                    add one (exit 1 at the largest count)\n"
    "  semaphore wait NAME [--timeout MS]     take one, waiting while it is 0\n"
    "         A wait that times out exits with 124.\n"
    "\n";

/* The rest, apart: C limits a string literal's length. */
static const char usage_messages[] =
    "  channel create NAME [--max-message BYTES] [--capacity BYTES] [--hold]\n"
    "                 [--perms MODE]\n"
    "         create a channel (defaults: 64k messages, a 1m ring); a sender and a\n"
    "         receiver may then come, in either order\n"
    "  channel send NAME [MESSAGE] [--lines] [--timeout MS] [--zero-copy]\n"
    "         send MESSAGE, or all of standard input as one message, or with\n"
    "         --lines each line of it; --zero-copy writes in the ring\n"
    "  channel recv NAME [--count N] [--lines] [--timeout MS] [--zero-copy]\n"
    "         write N messages (default 1; 0: until the sender is gone) to\n"
    "         standard output, each followed by a newline with --lines;\n"
    "         --zero-copy reads them in the ring\n"
    "  channel info NAME       print the control area: sizes, bytes waiting, and\n"
    "         each role's process and whether it lives\n"
    "\n"
    "  topic create NAME [--max-message BYTES] [--slots N] [--overwrite] [--hold]\n"
    "               [--perms MODE]\n"
    "         create a topic (defaults: 64k messages, 16 slots; the publisher\n"
    "         waits for the slowest subscriber unless --overwrite)\n"
    "  topic publish NAME [MESSAGE] [--lines] [--timeout MS] [--zero-copy]\n"
    "         publish as channel send sends\n"
    "  topic subscribe NAME [--count N] [--from-oldest] [--lines] [--timeout MS]\n"
    "                  [--zero-copy]\n"
    "         write N messages (default 1; 0: until the publisher is gone) as\n"
    "         channel recv does, from the next one published or the oldest kept;\n"
    "         messages lost on the way are said on standard error\n"
    "\n"
    "write, read and info take --inherited N instead of NAME: the N-th segment\n"
    "handed over by 'ipc-shm run' or ipc_shm_spawn().\n"
    "Every command takes --global: the Global\\ namespace on Windows.\n"
    "ipc-shm --version prints the version, --help this text.\n";

/* rm --stale is a listing's, rm NAME a segment's. */
static int has_stale(int argc, char **argv) {
  int i;
  for (i = 2; i < argc; i++)
    if (strcmp(argv[i], "--stale") == 0)
      return 1;
  return 0;
}

int main(int argc, char **argv) {
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
    fputs(usage_messages, stdout);
    return EXIT_SUCCESS;
  }
  if (argc == 1) {
    fputs(usage_text, stderr);
    fputs(usage_messages, stderr);
    return EXIT_USAGE;
  }
  if (strcmp(argv[1], "run") == 0)
    return ipc_shm_tool_run(argc, argv);
  if (strcmp(argv[1], "event") == 0 || strcmp(argv[1], "mutex") == 0 ||
      strcmp(argv[1], "semaphore") == 0)
    return ipc_shm_tool_sync(argc, argv);
  if (strcmp(argv[1], "channel") == 0)
    return ipc_shm_tool_channel(argc, argv);
  if (strcmp(argv[1], "topic") == 0)
    return ipc_shm_tool_topic(argc, argv);
  if (strcmp(argv[1], "ls") == 0 || (strcmp(argv[1], "rm") == 0 && has_stale(argc, argv)))
    return ipc_shm_tool_list(argc, argv);
  return ipc_shm_tool_segment(argc, argv);
}
