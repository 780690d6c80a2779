/* SPDX-License-Identifier: MIT */
/* What the files of the ipc-shm tool share. */
#ifndef IPC_SHM_TOOL_H
#define IPC_SHM_TOOL_H

#include "ipc_shm.h"
#include "tool_args.h"

#include <stddef.h>

#define EXIT_USAGE 2
#define EXIT_TIMED_OUT 124

/* ---- Shared (tool.c) ---- */

/* The C runtime's text for an errno value. */
const char *ipc_shm_tool_errno_text(int number);
/* A usage error: the reason on one line, then where to read more.
 * Returns EXIT_USAGE. */
int ipc_shm_tool_usage(const char *problem, const char *argument);
/* Report a library error on `name` with the native error behind it.
 * Returns EXIT_FAILURE. */
int ipc_shm_tool_fail(const char *command, const char *name, int err);
/* Print "ready" and wait until standard input ends (--hold). */
void ipc_shm_tool_hold(void);
/* Where objects go with their last handle, say so about a `what` made
 * without --hold. */
void ipc_shm_tool_note_vanishing(const char *what);
/* All of standard input, at most `limit` bytes (else *too_long), read
 * before anything is written. malloc'ed; NULL when out of memory. */
unsigned char *ipc_shm_tool_read_input(size_t limit, size_t *size, int *too_long);

/* --lines: each line of standard input as it comes (so that a stream can
 * be sent), empty lines skipped, each given to send(object, line, size,
 * opt); INVAL for a line over `max` bytes. */
int ipc_shm_tool_send_lines(int (*send)(void *object, const void *data, size_t size,
                                        const void *opt),
                            void *object, const void *opt, size_t max);
/* What send and publish send: MESSAGE, or with --lines each line of
 * standard input, or all of it as one message; INVAL for a message that is
 * empty or over `max` bytes. */
int ipc_shm_tool_send_input(int (*send)(void *object, const void *data, size_t size,
                                         const void *opt),
                             void *object, const struct channel_options *opt, size_t max);
/* Write one received message to standard output (and a newline with
 * --lines); -1, said on standard error, when it cannot be written. */
int ipc_shm_tool_put_message(const char *command, const struct channel_options *opt,
                             const void *data, size_t size);

/* ---- The commands ---- */

int ipc_shm_tool_segment(int argc, char **argv); /* tool_segment.c */
int ipc_shm_tool_run(int argc, char **argv);     /* tool_segment.c */
int ipc_shm_tool_sync(int argc, char **argv);    /* tool_sync.c */
int ipc_shm_tool_channel(int argc, char **argv); /* tool_channel.c */
int ipc_shm_tool_topic(int argc, char **argv);   /* tool_topic.c */
int ipc_shm_tool_list(int argc, char **argv);    /* tool_list.c: ls, rm --stale */

#endif
