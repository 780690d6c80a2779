/* SPDX-License-Identifier: MIT */
/* Races between processes over one name: many processes released at the
 * same moment (each waits for a "go" line) call open-or-create, or open
 * while another creates. No opener may ever see a segment that is not
 * fully created. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RACERS 16
/* Large enough that sizing a segment takes a while (the window the races
 * are about), small enough for a 64 MiB /dev/shm. */
#define RACE_SIZE ((uint64_t)48 << 20)
/* Rounds per test: Windows starts processes more slowly. */
#ifdef _WIN32
#define ROUNDS 6
#else
#define ROUNDS 20
#endif

/* ---- Helper modes ---- */

/* Print "ready", wait for the go line. */
static int wait_for_go(void) {
  char line[16];
  test_say("ready");
  return fgets(line, sizeof(line), stdin) != NULL ? 0 : -1;
}

/* Keep what we got until our standard input ends, then let go of it. */
static void hold_and_close(ipc_shm_t *shm) {
  char line[16];
  fflush(stdout);
  while (fgets(line, sizeof(line), stdin) != NULL) {
  }
  if (shm != NULL)
    ipc_shm_close(shm);
}

static void report(const char *what, int err, const ipc_shm_t *shm) {
  if (err != 0)
    printf("error %s\n", ipc_shm_err_name(err));
  else
    printf("%s %llu\n", what, (unsigned long long)ipc_shm_size(shm));
}

/* race-ooc NAME SIZE */
static int helper_race_ooc(char **argv) {
  ipc_shm_t *shm = NULL;
  int created = 0, err;
  if (wait_for_go() != 0)
    return 1;
  err = ipc_shm_open_or_create(&shm, argv[0], strtoull(argv[1], NULL, 10), 0, &created);
  report(created ? "created" : "opened", err, shm);
  hold_and_close(shm);
  return 0;
}

/* race-create NAME SIZE */
static int helper_race_create(char **argv) {
  ipc_shm_t *shm = NULL;
  int err;
  if (wait_for_go() != 0)
    return 1;
  err = ipc_shm_create(&shm, argv[0], strtoull(argv[1], NULL, 10), 0);
  report("created", err, shm);
  hold_and_close(shm);
  return 0;
}

/* race-open NAME: open as soon as the name exists (at most 20 s). */
static int helper_race_open(char **argv) {
  ipc_shm_t *shm = NULL;
  double start;
  int err;
  if (wait_for_go() != 0)
    return 1;
  start = test_seconds();
  do
    err = ipc_shm_open(&shm, argv[0], IPC_SHM_READONLY);
  while (err == IPC_SHM_E_NOT_FOUND && test_seconds() - start < 20);
  report("opened", err, shm);
  hold_and_close(shm);
  return 0;
}

/* race-channel-create NAME SIZE: create the channel, as its sender, with a
 * ring of 4 MiB (SIZE is the segments' and is not used). */
static int helper_race_channel_create(char **argv) {
  ipc_shm_channel_t *ch = NULL;
  int err;
  if (wait_for_go() != 0)
    return 1;
  err = ipc_shm_channel_create(&ch, argv[0], 1024, (size_t)4 << 20, IPC_SHM_CHANNEL_SENDER);
  report("created", err, err == 0 ? ipc_shm_channel_segment(ch) : NULL);
  hold_and_close(NULL);
  if (ch != NULL)
    ipc_shm_channel_close(ch);
  return 0;
}

/* race-channel-open NAME: open the channel as its receiver as soon as the
 * name exists (at most 20 s); "busy" when another opener holds the role. */
static int helper_race_channel_open(char **argv) {
  ipc_shm_channel_t *ch = NULL;
  double start;
  int err;
  if (wait_for_go() != 0)
    return 1;
  start = test_seconds();
  do
    err = ipc_shm_channel_open(&ch, argv[0], IPC_SHM_CHANNEL_RECEIVER);
  while (err == IPC_SHM_E_NOT_FOUND && test_seconds() - start < 20);
  if (err == IPC_SHM_E_EXISTS)
    puts("busy");
  else
    report("opened", err, err == 0 ? ipc_shm_channel_segment(ch) : NULL);
  hold_and_close(NULL);
  if (ch != NULL)
    ipc_shm_channel_close(ch);
  return 0;
}

int run_race_helper(int argc, char **argv) {
  static const test_helper_mode_t modes[] = {
      {"race-ooc", 2, helper_race_ooc},
      {"race-create", 2, helper_race_create},
      {"race-open", 1, helper_race_open},
      {"race-channel-create", 2, helper_race_channel_create},
      {"race-channel-open", 1, helper_race_channel_open},
  };
  return test_dispatch_helper(modes, sizeof(modes) / sizeof(modes[0]), argc, argv);
}

/* ---- The tests ---- */

/* One round: start the racers (modes[i] for racer i), release them at
 * once, and collect one result line from each. */
static void race(const char *name, const char *const modes[RACERS],
                 char results[RACERS][64]) {
  char size[32], line[64];
  test_proc_t *procs[RACERS];
  int i;
  snprintf(size, sizeof(size), "%llu", (unsigned long long)RACE_SIZE);
  for (i = 0; i < RACERS; i++) {
    const char *with_size[] = {"helper", modes[i], name, size, NULL};
    const char *without[] = {"helper", modes[i], name, NULL};
    procs[i] = test_proc_start("ipcshm_tests", strstr(modes[i], "-open") != NULL ? without
                                                                              : with_size);
  }
  for (i = 0; i < RACERS; i++) {
    ck_assert_int_eq(test_proc_read_line(procs[i], line, sizeof(line)), 0);
    ck_assert_str_eq(line, "ready");
  }
  for (i = 0; i < RACERS; i++)
    test_proc_write(procs[i], "go\n", 3);
  for (i = 0; i < RACERS; i++)
    ck_assert_int_eq(test_proc_read_line(procs[i], results[i], 64), 0);
  for (i = 0; i < RACERS; i++)
    ck_assert_int_eq(test_proc_wait(procs[i]), 0);
  (void)ipc_shm_remove(name, 0);
}

START_TEST(open_or_create_race) {
  char name[IPC_SHM_NAME_MAX + 1], results[RACERS][64];
  const char *modes[RACERS];
  int round, i;
  for (i = 0; i < RACERS; i++)
    modes[i] = "race-ooc";
  for (round = 0; round < ROUNDS; round++) {
    int created = 0;
    race(test_name(name, "rooc"), modes, results);
    for (i = 0; i < RACERS; i++) {
      unsigned long long size = 0;
      char what[16] = "";
      ck_assert_msg(sscanf(results[i], "%15s %llu", what, &size) == 2,
                    "round %d racer %d: %s", round, i, results[i]);
      ck_assert_msg(size == RACE_SIZE, "round %d racer %d saw %s", round, i, results[i]);
      created += strcmp(what, "created") == 0;
    }
    ck_assert_msg(created == 1, "round %d: %d creators", round, created);
  }
  ck_assert(!test_segment_exists(name));
}
END_TEST

START_TEST(open_racing_create) {
  char name[IPC_SHM_NAME_MAX + 1], results[RACERS][64], expected[64];
  const char *modes[RACERS];
  int round, i;
  modes[0] = "race-create";
  for (i = 1; i < RACERS; i++)
    modes[i] = "race-open";
  for (round = 0; round < ROUNDS; round++) {
    race(test_name(name, "ropen"), modes, results);
    snprintf(expected, sizeof(expected), "created %llu", (unsigned long long)RACE_SIZE);
    ck_assert_str_eq(results[0], expected);
    snprintf(expected, sizeof(expected), "opened %llu", (unsigned long long)RACE_SIZE);
    for (i = 1; i < RACERS; i++)
      ck_assert_msg(strcmp(results[i], expected) == 0, "round %d opener %d: %s",
                    round, i, results[i]);
  }
}
END_TEST

/* Openers of a channel racing its creator never see it half made: they
 * wait for its control area, as for an event's state (WRONG_KIND was what
 * an opener got that came between the segment and its control area). One
 * of them holds the receiver's role; the others find it taken. */
START_TEST(channel_open_racing_create) {
  char name[IPC_SHM_NAME_MAX + 1], results[RACERS][64], expected[80];
  const char *modes[RACERS];
  int round, i;
  modes[0] = "race-channel-create";
  for (i = 1; i < RACERS; i++)
    modes[i] = "race-channel-open";
  for (round = 0; round < ROUNDS; round++) {
    int opened = 0;
    race(test_name(name, "rch"), modes, results);
    ck_assert_msg(strncmp(results[0], "created ", 8) == 0, "round %d creator: %s", round,
                  results[0]);
    snprintf(expected, sizeof(expected), "opened %.60s", results[0] + 8);
    for (i = 1; i < RACERS; i++) {
      ck_assert_msg(strcmp(results[i], expected) == 0 || strcmp(results[i], "busy") == 0,
                    "round %d opener %d: %s", round, i, results[i]);
      opened += strcmp(results[i], expected) == 0;
    }
    ck_assert_msg(opened == 1, "round %d: %d receivers", round, opened);
  }
}
END_TEST

void add_race_cases(Suite *suite) {
  TCase *tc = tcase_create("race");
  tcase_add_test(tc, open_or_create_race);
  tcase_add_test(tc, open_racing_create);
  tcase_add_test(tc, channel_open_racing_create);
  tcase_set_timeout(tc, 300);
  suite_add_tcase(suite, tc);
}
