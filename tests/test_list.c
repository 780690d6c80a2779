/* SPDX-License-Identifier: MIT */
/* Listing the objects on this machine (ipc_shm_list, ipc-shm ls and
 * rm --stale): every kind told apart, and whether anybody uses each, from
 * the kernel's locks (mutexes, channels) or the processes (segments,
 * events); on Windows every listed object has a user; elsewhere the call is
 * NOT_SUPPORTED. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#define MAX_FOUND 32

#if defined(_WIN32) || TEST_LINUX

typedef struct found {
  const char *prefix;
  size_t count;
  ipc_shm_object_info_t info[MAX_FOUND];
} found_t;

static int collect(const ipc_shm_object_info_t *info, void *arg) {
  found_t *found = (found_t *)arg;
  if (strncmp(info->name, found->prefix, strlen(found->prefix)) == 0 && found->count < MAX_FOUND)
    found->info[found->count++] = *info;
  return 0;
}

static const ipc_shm_object_info_t *find(const found_t *found, const char *name) {
  size_t i;
  for (i = 0; i < found->count; i++)
    if (strcmp(found->info[i].name, name) == 0)
      return &found->info[i];
  ck_abort_msg("%s was not listed", name);
  return NULL;
}

#endif

static int stops(const ipc_shm_object_info_t *info, void *arg) {
  (void)info;
  ++*(int *)arg;
  return 1;
}

START_TEST(arguments_are_checked) {
  int calls = 0;
  ck_assert_err(ipc_shm_list(0, NULL, NULL), IPC_SHM_E_INVAL);
  ck_assert_err(ipc_shm_list(0x8000u, stops, &calls), IPC_SHM_E_INVAL);
#if defined(_WIN32) || TEST_LINUX
  {
    ipc_shm_t *shm;
    char name[IPC_SHM_NAME_MAX + 1];
    ck_assert_err(ipc_shm_create(&shm, test_name(name, "la"), 4096, 0), 0);
    /* What the callback returns stops the listing, and is no error. */
    ck_assert_err(ipc_shm_list(0, stops, &calls), 0);
    ck_assert_int_eq(calls, 1);
    ipc_shm_close(shm);
    test_remove_name(name);
  }
#else
  ck_assert_err(ipc_shm_list(0, stops, &calls), IPC_SHM_E_NOT_SUPPORTED);
  ck_assert_int_eq(calls, 0);
#endif
}
END_TEST

#if defined(_WIN32) || TEST_LINUX
#ifndef _WIN32
/* Where a segment's or event's users are told from the processes, one this
 * process may not look at makes them unknown (a user without root). */
static void assert_unused(const ipc_shm_object_info_t *info) {
  ck_assert_msg(info->users == IPC_SHM_USERS_NONE ||
                    (info->users == IPC_SHM_USERS_UNKNOWN && !test_is_root()),
                "%s: users %d", info->name, (int)info->users);
}
#endif

START_TEST(every_kind_is_listed_with_its_users) {
  char prefix[IPC_SHM_NAME_MAX + 1], name[2 * IPC_SHM_NAME_MAX + 2];
  ipc_shm_t *held;
  ipc_shm_event_t *event;
  ipc_shm_mutex_t *mutex;
  ipc_shm_semaphore_t *semaphore;
  ipc_shm_channel_t *channel;
  ipc_shm_topic_t *topic;
  found_t found;
  const ipc_shm_object_info_t *info;

  test_name(prefix, "lk");
#define NAMED(suffix) (snprintf(name, sizeof(name), "%s%s", prefix, suffix), name)
  ck_assert_err(ipc_shm_create(&held, NAMED("s"), 8192, 0), 0);
  ck_assert_err(ipc_shm_event_create(&event, NAMED("e"), 0), 0);
  ck_assert_err(ipc_shm_mutex_create(&mutex, NAMED("m"), 0), 0);
  ck_assert_err(ipc_shm_semaphore_create(&semaphore, NAMED("p"), 0, 1, 0), 0);
  ck_assert_err(ipc_shm_channel_create(&channel, NAMED("c"), 64, 4096, IPC_SHM_CHANNEL_SENDER), 0);
  ck_assert_err(ipc_shm_topic_create(&topic, NAMED("t"), 64, 4, IPC_SHM_TOPIC_SUBSCRIBER), 0);

  memset(&found, 0, sizeof(found));
  found.prefix = prefix;
  ck_assert_err(ipc_shm_list(0, collect, &found), 0);
  ck_assert_uint_eq(found.count, 6);
  info = find(&found, NAMED("s"));
  ck_assert_int_eq(info->kind, IPC_SHM_KIND_SEGMENT);
  ck_assert_uint_ge(info->size, 8192);
  ck_assert_int_eq(info->users, IPC_SHM_USERS_SOME);
  info = find(&found, NAMED("e"));
  ck_assert_int_eq(info->kind, IPC_SHM_KIND_EVENT);
  ck_assert_int_eq(info->users, IPC_SHM_USERS_SOME);
  info = find(&found, NAMED("m"));
  ck_assert_int_eq(info->kind, IPC_SHM_KIND_MUTEX);
  ck_assert_int_eq(info->users, IPC_SHM_USERS_SOME);
  info = find(&found, NAMED("p"));
  ck_assert_int_eq(info->kind, IPC_SHM_KIND_SEMAPHORE);
  ck_assert_int_eq(info->users, IPC_SHM_USERS_SOME);
  info = find(&found, NAMED("c"));
  ck_assert_int_eq(info->kind, IPC_SHM_KIND_CHANNEL);
  ck_assert_uint_ge(info->size, IPC_SHM_CHANNEL_HEADER + 4096);
  ck_assert_int_eq(info->users, IPC_SHM_USERS_SOME);
  info = find(&found, NAMED("t"));
  ck_assert_int_eq(info->kind, IPC_SHM_KIND_TOPIC);
  ck_assert_uint_ge(info->size, IPC_SHM_TOPIC_HEADER + 4 * 128);
  ck_assert_int_eq(info->users, IPC_SHM_USERS_SOME);

  ipc_shm_close(held);
  ipc_shm_event_close(event);
  ipc_shm_mutex_close(mutex);
  ipc_shm_semaphore_close(semaphore);
  ipc_shm_channel_close(channel);
  ipc_shm_topic_close(topic);
#ifndef _WIN32
  /* Names whose every user is gone: found so, a mutex's by the kernel. */
  {
    const char *argv[] = {"helper", "create-exit", NULL, "4096", "x", NULL};
    test_proc_t *child;
    argv[2] = NAMED("k");
    child = test_proc_start("ipcshm_tests", argv);
    test_expect_line(child, "created");
    ck_assert_int_eq(test_proc_wait(child), 0);
  }
  memset(&found, 0, sizeof(found));
  found.prefix = prefix;
  ck_assert_err(ipc_shm_list(0, collect, &found), 0);
  ck_assert_uint_eq(found.count, 7);
  assert_unused(find(&found, NAMED("s")));
  assert_unused(find(&found, NAMED("p")));
  assert_unused(find(&found, NAMED("e")));
  assert_unused(find(&found, NAMED("c")));
  assert_unused(find(&found, NAMED("t")));
  assert_unused(find(&found, NAMED("k"))); /* its creator died holding it */
  ck_assert_int_eq(find(&found, NAMED("m"))->users, IPC_SHM_USERS_NONE);
  {
    const char *suffixes[] = {"s", "e", "m", "p", "c", "t", "k"};
    size_t i;
    for (i = 0; i < 7; i++)
      test_remove_name(NAMED(suffixes[i]));
  }
#else
  /* Gone with their last handle. */
  memset(&found, 0, sizeof(found));
  found.prefix = prefix;
  ck_assert_err(ipc_shm_list(0, collect, &found), 0);
  ck_assert_uint_eq(found.count, 0);
#endif
#undef NAMED
}
END_TEST

/* The tool: ls shows each object; rm --stale removes exactly those whose
 * every user is gone (names under a prefix of this test's own, so that no
 * other test's objects are touched). */
START_TEST(the_tool_lists_and_removes_stale_objects) {
  char prefix[IPC_SHM_NAME_MAX + 1], kept[2 * IPC_SHM_NAME_MAX + 2], left[2 * IPC_SHM_NAME_MAX + 2];
  char out[2048];
  const char *ls[] = {"ls", NULL, NULL};
  const char *stale[] = {"ls", NULL, "--stale", NULL};
  const char *rm[] = {"rm", "--stale", NULL, NULL};
  ipc_shm_mutex_t *in_use, *unused;

  test_name(prefix, "lt");
  snprintf(kept, sizeof(kept), "%sa", prefix);
  snprintf(left, sizeof(left), "%sb", prefix);
  ls[1] = stale[1] = rm[2] = prefix;
  ck_assert_err(ipc_shm_mutex_create(&in_use, kept, 0), 0);
  ck_assert_err(ipc_shm_mutex_create(&unused, left, 0), 0);
  ck_assert_int_eq(test_run("ipc-shm", ls, NULL, out, sizeof(out)), 0);
  ck_assert_msg(strstr(out, "NAME") == out, "%s", out);
  ck_assert_msg(strstr(out, kept) != NULL && strstr(out, left) != NULL, "%s", out);
  ck_assert_msg(strstr(out, "mutex") != NULL && strstr(out, "in use") != NULL, "%s", out);
  ck_assert_err(ipc_shm_mutex_close(unused), 0);
#ifndef _WIN32
  ck_assert_int_eq(test_run("ipc-shm", stale, NULL, out, sizeof(out)), 0);
  ck_assert_msg(strstr(out, left) != NULL && strstr(out, kept) == NULL, "%s", out);
  ck_assert_int_eq(test_run("ipc-shm", rm, NULL, out, sizeof(out)), 0);
  ck_assert_msg(strstr(out, "removed") != NULL && strstr(out, left) != NULL, "%s", out);
  ck_assert_int_eq(test_segment_exists(left), 0);
  ck_assert_int_eq(test_segment_exists(kept), 1);
#else
  ck_assert_int_eq(test_run("ipc-shm", stale, NULL, out, sizeof(out)), 0);
  ck_assert_msg(strstr(out, prefix) == NULL, "%s", out);
  ck_assert_int_eq(test_run("ipc-shm", rm, NULL, out, sizeof(out)), 0);
  ck_assert_str_eq(out, "");
#endif
  ck_assert_err(ipc_shm_mutex_close(in_use), 0);
  test_remove_name(kept);
}
END_TEST
#else
START_TEST(the_tool_says_listing_is_not_supported) {
  char out[512];
  const char *ls[] = {"ls", NULL};
  ck_assert_int_eq(test_run_merged("ipc-shm", ls, NULL, out, sizeof(out)), 1);
  ck_assert_msg(strstr(out, "[NOT_SUPPORTED]") != NULL, "%s", out);
}
END_TEST
#endif

void add_list_cases(Suite *suite) {
  TCase *tc = tcase_create("list");
  tcase_add_test(tc, arguments_are_checked);
#if defined(_WIN32) || TEST_LINUX
  tcase_add_test(tc, every_kind_is_listed_with_its_users);
  tcase_add_test(tc, the_tool_lists_and_removes_stale_objects);
#else
  tcase_add_test(tc, the_tool_says_listing_is_not_supported);
#endif
  tcase_set_timeout(tc, 60);
  suite_add_tcase(suite, tc);
}
