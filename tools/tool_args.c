/* The ipc-shm tool's command line (tool_args.h). */
#include "tool_args.h"

#include <stdlib.h>
#include <string.h>

/* A non-negative decimal number with an optional k/m/g suffix. */
int ipc_shm_tool_parse_size(const char *text, uint64_t *out) {
  uint64_t value = 0;
  uint64_t scale = 1;
  const char *p = text;
  if (*p < '0' || *p > '9')
    return -1;
  for (; *p >= '0' && *p <= '9'; p++) {
    uint64_t digit = (uint64_t)(*p - '0');
    if (value > (UINT64_MAX - digit) / 10)
      return -1;
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
  if (*p != '\0' || (value != 0 && value > UINT64_MAX / scale))
    return -1;
  *out = value * scale;
  return 0;
}

int ipc_shm_tool_parse_args(int argc, char **argv, struct options *opt) {
  int i;
  memset(opt, 0, sizeof(*opt));
  if (argc < 3)
    return -1;
  opt->command = argv[1];
  opt->name = argv[2];
  i = 3;
  if (strcmp(opt->name, "--inherited") == 0) {
    if (argc < 4 || argv[3][0] < '0' || argv[3][0] > '9')
      return -1;
    opt->inherited = 1;
    opt->name = argv[3];
    i = 4;
  }
  if (strcmp(opt->command, "create") == 0) {
    if (argc < 4)
      return -1;
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
    } else if (strcmp(arg, "--offset") == 0 && value != NULL) {
      if (ipc_shm_tool_parse_size(value, &opt->offset) != 0)
        return -1;
      i++;
    } else if (strcmp(arg, "--length") == 0 && value != NULL) {
      if (ipc_shm_tool_parse_size(value, &opt->length) != 0 || opt->length == 0)
        return -1;
      i++;
    } else if (strcmp(arg, "--perms") == 0 && value != NULL) {
      char *end;
      unsigned long mode = strtoul(value, &end, 8);
      if (*end != '\0' || mode > 0777)
        return -1;
      opt->perms = (unsigned)mode;
      opt->perms_given = 1;
      i++;
    } else {
      return -1;
    }
  }
  return 0;
}

