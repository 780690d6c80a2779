/* SPDX-License-Identifier: MIT */
/* What every command of the ipc-shm tool shares: usage errors, failures
 * with the native error behind them, holding an object, reading input. */
#include "tool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#endif

/* The C runtime's text for errno (MSVC deprecates strerror). */
const char *ipc_shm_tool_errno_text(int number) {
#if defined(_MSC_VER)
  static char text[128];
  return strerror_s(text, sizeof(text), number) == 0 ? text : "unknown error";
#else
  return strerror(number);
#endif
}

/* A usage error: the reason on one line, then where to read more. */
int ipc_shm_tool_usage(const char *problem, const char *argument) {
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
  return ipc_shm_tool_errno_text((int)native);
#endif
}

int ipc_shm_tool_fail(const char *command, const char *name, int err) {
  const char *call = ipc_shm_last_native_call();
  fprintf(stderr, "ipc-shm: %s %s: %s", command, name != NULL ? name : "",
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

void ipc_shm_tool_hold(void) {
  char line[256];
  puts("ready");
  fflush(stdout);
  while (fgets(line, sizeof(line), stdin) != NULL) {
  }
}

void ipc_shm_tool_note_vanishing(const char *what) {
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_LAST_CLOSE)
    fprintf(stderr, "ipc-shm: note: on this platform the %s is gone once its last "
                    "handle is closed; use --hold\n", what);
}

unsigned char *ipc_shm_tool_read_input(size_t limit, size_t *size, int *too_long) {
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

int ipc_shm_tool_send_lines(int (*send)(void *object, const void *data, size_t size,
                                        const void *opt),
                            void *object, const void *opt, size_t max) {
  unsigned char *line = (unsigned char *)malloc(max);
  size_t used = 0;
  int c, err = 0, too_long = 0;
  if (line == NULL)
    return IPC_SHM_E_NO_MEMORY;
  while (err == 0 && (c = getchar()) != EOF) {
    if (c != '\n') {
      if (used < max)
        line[used++] = (unsigned char)c;
      else
        too_long = 1;
      continue;
    }
    if (too_long)
      err = IPC_SHM_E_INVAL;
    else if (used > 0)
      err = send(object, line, used, opt);
    used = 0;
  }
  if (err == 0 && (too_long || used > 0))
    err = too_long ? IPC_SHM_E_INVAL : send(object, line, used, opt);
  free(line);
  return err;
}

int ipc_shm_tool_send_input(int (*send)(void *object, const void *data, size_t size,
                                         const void *opt),
                             void *object, const struct channel_options *opt, size_t max) {
  unsigned char *input;
  size_t size = 0;
  int too_long = 0, err;
  if (opt->message != NULL) {
    size = strlen(opt->message);
    return size == 0 || size > max ? IPC_SHM_E_INVAL : send(object, opt->message, size, opt);
  }
  if (opt->lines)
    return ipc_shm_tool_send_lines(send, object, opt, max);
  input = ipc_shm_tool_read_input(max, &size, &too_long);
  if (input == NULL)
    return IPC_SHM_E_NO_MEMORY;
  err = size == 0 || too_long ? IPC_SHM_E_INVAL : send(object, input, size, opt);
  free(input);
  return err;
}

int ipc_shm_tool_put_message(const char *command, const struct channel_options *opt,
                             const void *data, size_t size) {
  if (fwrite(data, 1, size, stdout) != size || (opt->lines && putchar('\n') == EOF) ||
      fflush(stdout) != 0) {
    fprintf(stderr, "ipc-shm: %s %s: cannot write to standard output: %s\n", command,
            opt->name, ipc_shm_tool_errno_text(errno));
    return -1;
  }
  return 0;
}
