/* SPDX-License-Identifier: MIT */
/* The ipc-shm tool's command line: the input split at NUL bytes into
 * arguments. Whatever parses has its pieces where they belong. */
#include "fuzz_util.h"

#include "../tools/tool_args.h"

#define MAX_ARGS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_string(data, size);
  char *argv[MAX_ARGS + 2];
  struct options opt;
  const char *reason = NULL;
  int argc = 1;
  size_t i = 0;
  argv[0] = (char *)"ipc-shm";
  while (i <= size && argc < MAX_ARGS + 1) {
    argv[argc++] = text + i;
    i += strlen(text + i) + 1;
  }
  argv[argc] = NULL;
  if (ipc_shm_tool_parse_args(argc, argv, &opt, &reason) == 0) {
    FUZZ_REQUIRE(opt.command == argv[1]);
    FUZZ_REQUIRE(opt.name != NULL);
    FUZZ_REQUIRE(!opt.perms_given || opt.perms <= 0777);
  } else {
    FUZZ_REQUIRE(reason != NULL && reason[0] != '\0'); /* every usage error says why */
  }
  {
    struct sync_options sync;
    if (ipc_shm_tool_parse_sync_args(argc, argv, &sync, &reason) == 0) {
      FUZZ_REQUIRE(sync.kind == argv[1] && sync.action == argv[2] && sync.name == argv[3]);
      FUZZ_REQUIRE(sync.timeout_ms >= -1 && sync.timeout_ms <= 86400000);
      FUZZ_REQUIRE(sync.command == 0 || (sync.command > 4 && sync.command < argc));
      FUZZ_REQUIRE(sync.initial <= sync.maximum && sync.maximum <= 0x7FFFFFFFu);
    } else {
      FUZZ_REQUIRE(reason != NULL && reason[0] != '\0');
    }
  }
  {
    struct channel_options channel;
    if (ipc_shm_tool_parse_channel_args(argc, argv, &channel, &reason) == 0) {
      FUZZ_REQUIRE(channel.action == argv[2] && channel.name == argv[3]);
      FUZZ_REQUIRE(channel.name[0] != '-');
      FUZZ_REQUIRE(channel.timeout_ms >= -1 && channel.timeout_ms <= 86400000);
      FUZZ_REQUIRE(channel.max_message > 0 && channel.capacity > 0);
      FUZZ_REQUIRE(!channel.perms_given || channel.perms <= 0777);
      FUZZ_REQUIRE(channel.message == NULL ||
                   strcmp(channel.action, channel.topic ? "publish" : "send") == 0);
      FUZZ_REQUIRE(channel.topic == (strcmp(argv[1], "topic") == 0));
      FUZZ_REQUIRE(channel.slots >= 1 && channel.slots <= ((uint64_t)1 << 20));
      FUZZ_REQUIRE(!channel.from_oldest || strcmp(channel.action, "subscribe") == 0);
      FUZZ_REQUIRE(!channel.overwrite || strcmp(channel.action, "create") == 0);
      FUZZ_REQUIRE(!(channel.lines && channel.message != NULL));
    } else {
      FUZZ_REQUIRE(reason != NULL && reason[0] != '\0');
    }
  }
  {
    uint64_t value;
    if (ipc_shm_tool_parse_size(text, &value) == 0)
      FUZZ_REQUIRE(text[0] >= '0' && text[0] <= '9');
  }
  free(text);
  return 0;
}
