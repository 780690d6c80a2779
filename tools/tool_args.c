/* SPDX-License-Identifier: MIT */
/* The ipc-shm tool's command line (tool_args.h). */
#include "tool_args.h"

#include "ipc_shm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ipc_shm_tool_parse_size(const char *text, uint64_t *out) {
  uint64_t value = 0;
  uint64_t scale = 1;
  const char *p = text;
  if (*p < '0' || *p > '9')
    return -1;
  for (; *p >= '0' && *p <= '9'; p++) {
    uint64_t digit = (uint64_t)(*p - '0');
    if (value > (UINT64_MAX - digit) / 10)
      return -2;
    value = value * 10 + digit;
  }
  switch (*p) {
  case '\0':
    break;
  case 'k': case 'K': scale = 1024u; p++; break;
  case 'm': case 'M': scale = 1024u * 1024u; p++; break;
  case 'g': case 'G': scale = 1024u * 1024u * 1024u; p++; break;
  default:
    return -1;
  }
  if (*p != '\0')
    return -1;
  if (value != 0 && value > UINT64_MAX / scale)
    return -2;
  *out = value * scale;
  return 0;
}

/* A size-valued option: its reason when it is no size. */
static int size_option(const char *option, const char *value, uint64_t *out,
                       const char **reason) {
  int rc = ipc_shm_tool_parse_size(value, out);
  if (rc == -2)
    *reason = option[2] == 'o' ? "--offset is too large" : "--length is too large";
  else if (rc != 0)
    *reason = option[2] == 'o' ? "--offset must be a number, optionally with a k, m or g suffix"
                               : "--length must be a number, optionally with a k, m or g suffix";
  return rc;
}

/* A plain decimal index with no sign, prefix or suffix. */
static int parse_index(const char *text, uint64_t *out) {
  uint64_t value = 0;
  const char *p = text;
  if (*p < '0' || *p > '9')
    return -1;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (value > (UINT64_MAX - 9) / 10)
      return -1;
    value = value * 10 + (uint64_t)(*p - '0');
  }
  if (*p != '\0')
    return -1;
  *out = value;
  return 0;
}

int ipc_shm_tool_parse_args(int argc, char **argv, struct options *opt,
                            const char **reason) {
  int i;
  memset(opt, 0, sizeof(*opt));
  *reason = NULL;
  if (argc < 2) {
    *reason = "a command is missing";
    return -1;
  }
  opt->command = argv[1];
  if (argc < 3) {
    *reason = "a segment NAME is missing (or --inherited N)";
    return -1;
  }
  opt->name = argv[2];
  i = 3;
  if (strcmp(opt->name, "--inherited") == 0) {
    if (argc < 4 || parse_index(argv[3], &opt->index) != 0) {
      *reason = "--inherited takes a decimal number, from 0";
      return -1;
    }
    opt->inherited = 1;
    opt->name = argv[3];
    i = 4;
  }
  if (strcmp(opt->command, "create") == 0) {
    if (argc < 4) {
      *reason = "create: SIZE is missing";
      return -1;
    }
    opt->size = argv[3];
    i = 4;
  }
  for (; i < argc; i++) {
    const char *arg = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--hold") == 0) {
      opt->hold = 1;
    } else if (strcmp(arg, "--global") == 0) {
      opt->global = 1;
    } else if ((strcmp(arg, "--offset") == 0 || strcmp(arg, "--length") == 0 ||
                strcmp(arg, "--perms") == 0) && value == NULL) {
      *reason = strcmp(arg, "--perms") == 0 ? "--perms needs a MODE" : "--offset and --length need a value";
      return -1;
    } else if (strcmp(arg, "--offset") == 0) {
      if (size_option(arg, value, &opt->offset, reason) != 0)
        return -1;
      i++;
    } else if (strcmp(arg, "--length") == 0) {
      /* 0 means to the end, as it does for the library. */
      if (size_option(arg, value, &opt->length, reason) != 0)
        return -1;
      i++;
    } else if (strcmp(arg, "--perms") == 0) {
      char *end;
      unsigned long mode = strtoul(value, &end, 8);
      if (value[0] < '0' || value[0] > '7' || *end != '\0' || mode > 0777) {
        *reason = "--perms takes an octal MODE from 0 to 777";
        return -1;
      }
      opt->perms = (unsigned)mode;
      opt->perms_given = 1;
      i++;
    } else {
      *reason = arg[0] == '-' ? "unknown option" : "one NAME only";
      opt->bad_argument = arg;
      return -1;
    }
  }
  return 0;
}

/* --timeout MS: a day at most (longer waits are no use from a shell). */
static int timeout_value(const char *value, int64_t *out, const char **reason) {
  uint64_t ms;
  if (value == NULL || parse_index(value, &ms) != 0 || ms > 86400000u) {
    *reason = "--timeout takes milliseconds, from 0 to 86400000";
    return -1;
  }
  *out = (int64_t)ms;
  return 0;
}

/* --perms MODE: octal, 0 to 777. */
static int perms_value(const char *value, unsigned *out, const char **reason) {
  char *end;
  unsigned long mode;
  if (value == NULL) {
    *reason = "--perms needs a MODE";
    return -1;
  }
  mode = strtoul(value, &end, 8);
  if (value[0] < '0' || value[0] > '7' || *end != '\0' || mode > 0777) {
    *reason = "--perms takes an octal MODE from 0 to 777";
    return -1;
  }
  *out = (unsigned)mode;
  return 0;
}

/* Which options each event, mutex and semaphore action takes. */
static int sync_option_allowed(const struct sync_options *opt, const char *arg) {
  int event = strcmp(opt->kind, "event") == 0;
  int semaphore = strcmp(opt->kind, "semaphore") == 0;
  int create = strcmp(opt->action, "create") == 0;
  int waits = strcmp(opt->action, "wait") == 0 || strcmp(opt->action, "lock") == 0;
  if (strcmp(arg, "--global") == 0)
    return 1;
  if (strcmp(arg, "--manual") == 0 || strcmp(arg, "--set") == 0)
    return event && create;
  if (strcmp(arg, "--initial") == 0 || strcmp(arg, "--max") == 0)
    return semaphore && create;
  if (strcmp(arg, "--hold") == 0 || strcmp(arg, "--perms") == 0)
    return create;
  if (strcmp(arg, "--timeout") == 0)
    return waits;
  if (strcmp(arg, "--recover") == 0)
    return !event && !semaphore && waits;
  return 0;
}

/* A semaphore count: a decimal number up to IPC_SHM_SEMAPHORE_MAX. */
static int count_value(const char *option, const char *value, uint32_t *out,
                       const char **reason) {
  char *end;
  unsigned long long n;
  if (value == NULL || value[0] < '0' || value[0] > '9') {
    *reason = strcmp(option, "--max") == 0 ? "--max needs a COUNT" : "--initial needs a COUNT";
    return -1;
  }
  errno = 0;
  n = strtoull(value, &end, 10);
  if (*end != '\0' || errno != 0 || n > IPC_SHM_SEMAPHORE_MAX) {
    *reason = "a COUNT is a number from 0 to 2147483647";
    return -1;
  }
  *out = (uint32_t)n;
  return 0;
}

/* A family of ipc-shm commands that take an action and a NAME. */
typedef struct command_family {
  const char *kind;
  const char *actions[4];
  const char *missing; /* the reason when no action is given */
  const char *unknown; /* the reason for an unknown one */
} command_family_t;

/* argv[2] must be one of the family's actions and argv[3] a NAME: 0, or
 * -1 with the reason (and the unknown action in *bad). */
static int take_action_and_name(const command_family_t *family, int argc, char **argv,
                                const char **action, const char **name, const char **bad,
                                const char **reason) {
  size_t k;
  int known = 0;
  if (argc < 3) {
    *reason = family->missing;
    return -1;
  }
  *action = argv[2];
  for (k = 0; k < 4 && family->actions[k] != NULL; k++)
    known |= strcmp(*action, family->actions[k]) == 0;
  if (!known) {
    *reason = family->unknown;
    *bad = *action;
    return -1;
  }
  if (argc < 4 || argv[3][0] == '-') {
    *reason = "a NAME is missing";
    return -1;
  }
  *name = argv[3];
  return 0;
}

/* The kinds of ipc-shm's object commands and their actions. */
static const command_family_t sync_kinds[] = {
    {"event", {"create", "set", "reset", "wait"},
     "event: an action is missing (create, set, reset or wait)",
     "event: the action is create, set, reset or wait"},
    {"mutex", {"create", "lock", NULL, NULL}, "mutex: an action is missing (create or lock)",
     "mutex: the action is create or lock"},
    {"semaphore", {"create", "post", "wait", NULL},
     "semaphore: an action is missing (create, post or wait)",
     "semaphore: the action is create, post or wait"},
};

int ipc_shm_tool_parse_sync_args(int argc, char **argv, struct sync_options *opt,
                                 const char **reason) {
  const command_family_t *kind = NULL;
  size_t k;
  int i;
  memset(opt, 0, sizeof(*opt));
  opt->timeout_ms = -1;
  opt->maximum = IPC_SHM_SEMAPHORE_MAX;
  *reason = NULL;
  for (k = 0; argc >= 2 && k < sizeof(sync_kinds) / sizeof(sync_kinds[0]); k++)
    if (strcmp(argv[1], sync_kinds[k].kind) == 0)
      kind = &sync_kinds[k];
  if (kind == NULL) {
    *reason = "the command is event, mutex or semaphore";
    return -1;
  }
  opt->kind = argv[1];
  if (take_action_and_name(kind, argc, argv, &opt->action, &opt->name, &opt->bad_argument,
                           reason) != 0)
    return -1;
  for (i = 4; i < argc; i++) {
    const char *arg = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--") == 0) {
      if (strcmp(opt->action, "lock") != 0 || i + 1 >= argc) {
        *reason = "only mutex lock runs a COMMAND, given after --";
        return -1;
      }
      opt->command = i + 1;
      break;
    }
    if (!sync_option_allowed(opt, arg)) {
      *reason = arg[0] == '-' ? "unknown option for this action" : "one NAME only";
      opt->bad_argument = arg;
      return -1;
    }
    if (strcmp(arg, "--global") == 0) {
      opt->global = 1;
    } else if (strcmp(arg, "--manual") == 0) {
      opt->manual = 1;
    } else if (strcmp(arg, "--set") == 0) {
      opt->set = 1;
    } else if (strcmp(arg, "--hold") == 0) {
      opt->hold = 1;
    } else if (strcmp(arg, "--recover") == 0) {
      opt->recover = 1;
    } else if (strcmp(arg, "--initial") == 0 || strcmp(arg, "--max") == 0) {
      if (count_value(arg, value, strcmp(arg, "--max") == 0 ? &opt->maximum : &opt->initial,
                      reason) != 0)
        return -1;
      i++;
    } else if (strcmp(arg, "--timeout") == 0) {
      if (timeout_value(value, &opt->timeout_ms, reason) != 0)
        return -1;
      i++;
    } else { /* --perms */
      if (perms_value(value, &opt->perms, reason) != 0)
        return -1;
      opt->perms_given = 1;
      i++;
    }
  }
  if (opt->initial > opt->maximum) {
    *reason = "--initial is more than --max";
    return -1;
  }
  return 0;
}

/* Which options each channel or topic action takes. */
static int channel_option_allowed(int topic, const char *action, const char *arg) {
  int create = strcmp(action, "create") == 0;
  int receives = strcmp(action, topic ? "subscribe" : "recv") == 0;
  int moves = receives || strcmp(action, topic ? "publish" : "send") == 0;
  if (strcmp(arg, "--global") == 0)
    return 1;
  if (strcmp(arg, "--max-message") == 0 || strcmp(arg, "--hold") == 0 ||
      strcmp(arg, "--perms") == 0)
    return create;
  if (strcmp(arg, topic ? "--slots" : "--capacity") == 0 ||
      (topic && strcmp(arg, "--overwrite") == 0))
    return create;
  if (strcmp(arg, "--timeout") == 0 || strcmp(arg, "--zero-copy") == 0 ||
      strcmp(arg, "--lines") == 0)
    return moves;
  if (strcmp(arg, "--count") == 0 || (topic && strcmp(arg, "--from-oldest") == 0))
    return receives;
  return 0;
}

int ipc_shm_tool_parse_channel_args(int argc, char **argv, struct channel_options *opt,
                                    const char **reason) {
  static const command_family_t channel = {
      "channel", {"create", "send", "recv", "info"},
      "channel: an action is missing (create, send, recv or info)",
      "channel: the action is create, send, recv or info"};
  static const command_family_t topic = {
      "topic", {"create", "publish", "subscribe", NULL},
      "topic: an action is missing (create, publish or subscribe)",
      "topic: the action is create, publish or subscribe"};
  const char *sends;
  int i;
  memset(opt, 0, sizeof(*opt));
  opt->topic = argc > 1 && strcmp(argv[1], "topic") == 0;
  opt->max_message = 65536;
  opt->capacity = 1024 * 1024;
  opt->slots = 16;
  opt->count = 1;
  opt->timeout_ms = -1;
  *reason = NULL;
  if (take_action_and_name(opt->topic ? &topic : &channel, argc, argv, &opt->action, &opt->name,
                           &opt->bad_argument, reason) != 0)
    return -1;
  sends = opt->topic ? "publish" : "send";
  for (i = 4; i < argc; i++) {
    const char *arg = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (arg[0] != '-' && strcmp(opt->action, sends) == 0 && opt->message == NULL) {
      opt->message = arg;
      continue;
    }
    if (!channel_option_allowed(opt->topic, opt->action, arg)) {
      *reason = arg[0] == '-'   ? "unknown option for this action"
                : opt->topic ? "one NAME only (and for publish, one MESSAGE)"
                             : "one NAME only (and for send, one MESSAGE)";
      opt->bad_argument = arg;
      return -1;
    }
    if (strcmp(arg, "--global") == 0) {
      opt->global = 1;
    } else if (strcmp(arg, "--hold") == 0) {
      opt->hold = 1;
    } else if (strcmp(arg, "--zero-copy") == 0) {
      opt->zero_copy = 1;
    } else if (strcmp(arg, "--lines") == 0) {
      opt->lines = 1;
    } else if (strcmp(arg, "--overwrite") == 0) {
      opt->overwrite = 1;
    } else if (strcmp(arg, "--from-oldest") == 0) {
      opt->from_oldest = 1;
    } else if (strcmp(arg, "--timeout") == 0) {
      if (timeout_value(value, &opt->timeout_ms, reason) != 0)
        return -1;
      i++;
    } else if (strcmp(arg, "--slots") == 0) {
      if (value == NULL || parse_index(value, &opt->slots) != 0 || opt->slots == 0 ||
          opt->slots > ((uint64_t)1 << 20)) {
        *reason = "--slots takes a number of messages kept, 1 to 1048576";
        return -1;
      }
      i++;
    } else if (strcmp(arg, "--perms") == 0) {
      if (perms_value(value, &opt->perms, reason) != 0)
        return -1;
      opt->perms_given = 1;
      i++;
    } else if (strcmp(arg, "--count") == 0) {
      if (value == NULL || parse_index(value, &opt->count) != 0) {
        *reason = opt->topic
                      ? "--count takes a number of messages (0: until the publisher is gone)"
                      : "--count takes a number of messages (0: until the sender is gone)";
        return -1;
      }
      i++;
    } else { /* --max-message, --capacity */
      uint64_t *out = strcmp(arg, "--capacity") == 0 ? &opt->capacity : &opt->max_message;
      if (value == NULL || ipc_shm_tool_parse_size(value, out) != 0 || *out == 0) {
        *reason = strcmp(arg, "--capacity") == 0
                      ? "--capacity takes a size in bytes, with a k, m or g suffix if you like"
                      : "--max-message takes a size in bytes, with a k, m or g suffix if you like";
        return -1;
      }
      i++;
    }
  }
  if (opt->lines && opt->message != NULL) {
    *reason = opt->topic ? "publish: --lines reads standard input; give no MESSAGE"
                         : "send: --lines reads standard input; give no MESSAGE";
    return -1;
  }
  return 0;
}
