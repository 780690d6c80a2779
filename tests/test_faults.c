/* SPDX-License-Identifier: MIT */
/* Every failure path of every system call: each public function runs once
 * to count the calls it makes through the backend's table, then once for
 * each (call, occurrence) with exactly that call failing. Each failing run
 * must return the portable code of the injected error (or the one the
 * function documents for it), record the injected native error and the
 * call's name, set its outputs to NULL, and leave nothing behind: no
 * handle, descriptor, mapping, name or file. */
#include "testutil.h"

#include "../src/common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#define INJECTED ((long)ERROR_IO_DEVICE)
#else
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#define INJECTED ((long)EIO)
#endif

#define SEGMENT_SIZE 65536

/* What a scenario works with. */
typedef struct fixture {
  char name[IPC_SHM_NAME_MAX + 1];
  char path[256];
  char token[IPC_SHM_TOKEN_MAX];
  ipc_shm_t *shm, *out;
  ipc_shm_view_t *view, *out_view;
  ipc_shm_export_t *exp, *out_exp;
  ipc_shm_process_t *child;
  ipc_shm_listener_t *listener, *out_listener;
  ipc_shm_conn_t *client, *server, *out_conn;
  ipc_shm_native_t raw;   /* a handle the test owns, not the library */
  int raw_taken;          /* the run adopted `raw` */
  test_proc_t *owner;     /* another process, for pull */
  ipc_shm_event_t *event, *out_event;
  ipc_shm_mutex_t *mutex, *out_mutex;
  ipc_shm_channel_t *channel, *out_channel;
  ipc_shm_topic_t *topic, *out_topic;
  ipc_shm_inbox_t *inbox, *out_inbox;
  ipc_shm_semaphore_t *semaphore, *out_semaphore;
} fixture_t;

typedef struct scenario {
  const char *name;
  void (*setup)(fixture_t *f);
  int (*run)(fixture_t *f); /* the call under test */
  void (*teardown)(fixture_t *f, int err);
  int documented; /* a code the function gives for some failures, or 0 */
  int left_on_failure; /* handles a failure leaves, as documented */
} scenario_t;

static void close_raw(ipc_shm_native_t h) {
#ifdef _WIN32
  ck_assert(CloseHandle(h));
#else
  ck_assert_int_eq(close(h), 0);
#endif
}

/* ---- Setups and teardowns ---- */

static void nothing(fixture_t *f) { (void)f; }

static void named_name(fixture_t *f) { test_name(f->name, "flt"); }

static void with_named(fixture_t *f) {
  named_name(f);
  ck_assert_err(ipc_shm_create(&f->shm, f->name, SEGMENT_SIZE, 0), 0);
}

static void with_anonymous(fixture_t *f) {
  ck_assert_err(ipc_shm_create_anonymous(&f->shm, SEGMENT_SIZE, 0), 0);
}

static void with_file(fixture_t *f) {
  test_file(f->path, sizeof(f->path), "flt");
  ck_assert_err(ipc_shm_open_file(&f->shm, f->path, SEGMENT_SIZE, IPC_SHM_FILE_CREATE), 0);
}

static void with_file_view(fixture_t *f) {
  with_file(f);
  ck_assert_err(ipc_shm_map(&f->view, f->shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
}

static void with_view(fixture_t *f) {
  with_anonymous(f);
  ck_assert_err(ipc_shm_map(&f->view, f->shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
}

static void with_export(fixture_t *f) {
  with_anonymous(f);
  ck_assert_err(ipc_shm_export(&f->exp, f->shm, 0), 0);
}

/* A token naming an inheritable handle the test owns (as a child that
 * inherited it would), made from an export whose copy is closed again. */
static void foreign_token_from(fixture_t *f, ipc_shm_export_t *exp) {
  const char *colon;
  char prefix[IPC_SHM_TOKEN_MAX], token[IPC_SHM_TOKEN_MAX * 2];
  unsigned long long value;
  size_t n;
  int field = 0;
#ifdef _WIN32
  ck_assert(DuplicateHandle(GetCurrentProcess(), ipc_shm_export_native(exp),
                            GetCurrentProcess(), &f->raw, 0, TRUE, DUPLICATE_SAME_ACCESS));
  value = (unsigned long long)(ULONG_PTR)f->raw;
#else
  f->raw = fcntl(ipc_shm_export_native(exp), F_DUPFD, 100);
  ck_assert_int_ge(f->raw, 0);
  value = (unsigned long long)f->raw;
#endif
  /* Replace the handle field (the 7th) of the export's token. */
  for (colon = ipc_shm_export_token(exp); field < 6; colon++)
    if (*colon == ':')
      field++;
  n = (size_t)(colon - ipc_shm_export_token(exp));
  memcpy(prefix, ipc_shm_export_token(exp), n);
  prefix[n] = '\0';
  snprintf(token, sizeof(token), "%s%llu%s", prefix, value, strchr(colon, ':'));
  ck_assert_uint_lt(strlen(token), sizeof(f->token));
  memcpy(f->token, token, strlen(token) + 1);
  ck_assert_err(ipc_shm_export_close(exp), 0);
}

static void with_foreign_token(fixture_t *f) {
  ipc_shm_export_t *exp;
  with_anonymous(f);
  ck_assert_err(ipc_shm_export(&exp, f->shm, 0), 0);
  foreign_token_from(f, exp);
}

static void with_event(fixture_t *f) {
  ck_assert_err(ipc_shm_event_create(&f->event, test_name(f->name, "fe"), IPC_SHM_EVENT_SET), 0);
}

static void with_mutex(fixture_t *f) {
  ck_assert_err(ipc_shm_mutex_create(&f->mutex, test_name(f->name, "fm"), 0), 0);
}

static void with_semaphore(fixture_t *f) {
  ck_assert_err(ipc_shm_semaphore_create(&f->semaphore, test_name(f->name, "fs"), 1, 2, 0), 0);
}

/* An unset event and a free mutex to wait on beside the semaphore. */
static void with_waitables(fixture_t *f) {
  with_semaphore(f);
  ck_assert_err(ipc_shm_event_create_anonymous(&f->event, 0), 0);
  ck_assert_err(ipc_shm_mutex_create_anonymous(&f->mutex, 0), 0);
}

static void with_locked_mutex(fixture_t *f) {
  with_mutex(f);
  ck_assert_err(ipc_shm_mutex_lock(f->mutex, 0), 0);
}

static void with_foreign_mutex_token(fixture_t *f) {
  ipc_shm_export_t *exp;
  ck_assert_err(ipc_shm_mutex_create_anonymous(&f->mutex, 0), 0);
  ck_assert_err(ipc_shm_mutex_export(&exp, f->mutex, 0), 0);
  foreign_token_from(f, exp);
}

#if TEST_CAN_PULL
static void with_owner(fixture_t *f) {
  const char *argv[] = {"helper", "export-hold", NULL};
  f->owner = test_proc_start("ipcshm_tests", argv);
  ck_assert_int_eq(test_proc_read_line(f->owner, f->token, sizeof(f->token)), 0);
}
#endif

static void with_listener(fixture_t *f) {
  ck_assert_err(ipc_shm_listen(&f->listener, test_name(f->name, "fl")), 0);
}

static void with_connection(fixture_t *f) {
  with_listener(f);
  ck_assert_err(ipc_shm_connect(&f->client, f->name), 0);
  ck_assert_err(ipc_shm_accept(f->listener, &f->server), 0);
}

static void with_connection_and_segment(fixture_t *f) {
  with_connection(f);
  ck_assert_err(ipc_shm_create_anonymous(&f->shm, SEGMENT_SIZE, 0), 0);
}

static void with_sent_segment(fixture_t *f) {
  with_connection_and_segment(f);
  ck_assert_err(ipc_shm_send(f->client, f->shm, IPC_SHM_READONLY), 0);
}

/* Release everything a scenario may hold. */
static void release_all(fixture_t *f, int err) {
  (void)err;
  if (f->out_inbox != NULL)
    ck_assert_err(ipc_shm_inbox_close(f->out_inbox), 0);
  if (f->inbox != NULL)
    ck_assert_err(ipc_shm_inbox_close(f->inbox), 0);
  if (f->out_topic != NULL)
    ck_assert_err(ipc_shm_topic_close(f->out_topic), 0);
  if (f->topic != NULL)
    ck_assert_err(ipc_shm_topic_close(f->topic), 0);
  if (f->out_channel != NULL)
    ck_assert_err(ipc_shm_channel_close(f->out_channel), 0);
  if (f->channel != NULL)
    ck_assert_err(ipc_shm_channel_close(f->channel), 0);
  if (f->out_semaphore != NULL)
    ck_assert_err(ipc_shm_semaphore_close(f->out_semaphore), 0);
  if (f->semaphore != NULL)
    ck_assert_err(ipc_shm_semaphore_close(f->semaphore), 0);
  if (f->out_event != NULL)
    ck_assert_err(ipc_shm_event_close(f->out_event), 0);
  if (f->event != NULL)
    ck_assert_err(ipc_shm_event_close(f->event), 0);
  if (f->out_mutex != NULL)
    ck_assert_err(ipc_shm_mutex_close(f->out_mutex), 0);
  if (f->mutex != NULL) {
    (void)ipc_shm_mutex_unlock(f->mutex); /* held by some scenarios */
    ck_assert_err(ipc_shm_mutex_close(f->mutex), 0);
  }
  if (f->out_view != NULL)
    ck_assert_err(ipc_shm_unmap(f->out_view), 0);
  if (f->view != NULL)
    ck_assert_err(ipc_shm_unmap(f->view), 0);
  if (f->out_exp != NULL)
    ck_assert_err(ipc_shm_export_close(f->out_exp), 0);
  if (f->exp != NULL)
    ck_assert_err(ipc_shm_export_close(f->exp), 0);
  if (f->out != NULL)
    ck_assert_err(ipc_shm_close(f->out), 0);
  if (f->shm != NULL)
    ck_assert_err(ipc_shm_close(f->shm), 0);
  if (f->out_conn != NULL)
    ck_assert_err(ipc_shm_conn_close(f->out_conn), 0);
  if (f->client != NULL)
    ck_assert_err(ipc_shm_conn_close(f->client), 0);
  if (f->server != NULL)
    ck_assert_err(ipc_shm_conn_close(f->server), 0);
  if (f->out_listener != NULL)
    ck_assert_err(ipc_shm_listener_close(f->out_listener), 0);
  if (f->listener != NULL)
    ck_assert_err(ipc_shm_listener_close(f->listener), 0);
  if (f->raw != IPC_SHM__NO_HANDLE && !f->raw_taken)
    close_raw(f->raw);
  if (f->owner != NULL) {
    test_proc_close_stdin(f->owner);
    ck_assert_int_eq(test_proc_wait(f->owner), 0);
  }
  if (f->name[0] != '\0' && ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    (void)ipc_shm_remove(f->name, 0);
  if (f->path[0] != '\0')
    (void)remove(f->path);
}

/* ---- The calls under test ---- */

static int run_create(fixture_t *f) { return ipc_shm_create(&f->out, f->name, SEGMENT_SIZE, 0); }
static int run_open(fixture_t *f) { return ipc_shm_open(&f->out, f->name, 0); }
static int run_open_readonly(fixture_t *f) {
  return ipc_shm_open(&f->out, f->name, IPC_SHM_READONLY);
}
static int run_ooc(fixture_t *f) {
  return ipc_shm_open_or_create(&f->out, f->name, SEGMENT_SIZE, 0, NULL);
}
static int run_anonymous(fixture_t *f) {
  return ipc_shm_create_anonymous(&f->out, SEGMENT_SIZE, 0);
}
static int run_file_create(fixture_t *f) {
  test_file(f->path, sizeof(f->path), "fltc");
  return ipc_shm_open_file(&f->out, f->path, SEGMENT_SIZE, IPC_SHM_FILE_CREATE);
}
static int run_file_open(fixture_t *f) {
  return ipc_shm_open_file(&f->out, f->path, 0, IPC_SHM_READONLY);
}
static int run_close(fixture_t *f) {
  int err = ipc_shm_close(f->shm);
  f->shm = NULL; /* freed in every case */
  return err;
}
static int run_remove(fixture_t *f) {
  ipc_shm_close(f->shm);
  f->shm = NULL;
  return ipc_shm_remove(f->name, 0);
}
static int run_seal(fixture_t *f) { return ipc_shm_seal(f->shm); }
static int run_map_write(fixture_t *f) {
  return ipc_shm_map(&f->out_view, f->shm, 100, 0, IPC_SHM_MAP_WRITE);
}
static int run_map_copy(fixture_t *f) {
  return ipc_shm_map(&f->out_view, f->shm, 0, 4096, IPC_SHM_MAP_COPY);
}
static int run_unmap(fixture_t *f) {
  int err = ipc_shm_unmap(f->view);
  f->view = NULL;
  return err;
}
static int run_flush(fixture_t *f) {
  memset(ipc_shm_view_data(f->view), 1, 100);
  return ipc_shm_flush(f->view, 0, 0);
}
static int run_export(fixture_t *f) { return ipc_shm_export(&f->out_exp, f->shm, 0); }
static int run_export_readonly(fixture_t *f) {
  return ipc_shm_export(&f->out_exp, f->shm, IPC_SHM_READONLY);
}
static int run_export_pull(fixture_t *f) {
  return ipc_shm_export(&f->out_exp, f->shm, IPC_SHM_EXPORT_PULL | IPC_SHM_READONLY);
}
static int run_export_close(fixture_t *f) {
  int err = ipc_shm_export_close(f->exp);
  f->exp = NULL;
  return err;
}
/* The foreign token as the only entry of the inherited-token list. */
static void with_inherited_list(fixture_t *f) {
  with_foreign_token(f);
  test_set_env(IPC_SHM_INHERIT_ENV, f->token);
}

static void release_inherited(fixture_t *f, int err) {
  test_set_env(IPC_SHM_INHERIT_ENV, NULL);
  release_all(f, err);
}

static int run_inherited(fixture_t *f) {
  int err = ipc_shm_inherited(&f->out, 0);
  f->raw_taken = err == 0;
  return err;
}

static int run_import(fixture_t *f) {
  int err = ipc_shm_import(&f->out, f->token);
  f->raw_taken = err == 0;
  return err;
}
#if TEST_CAN_PULL
static int run_pull(fixture_t *f) { return ipc_shm_pull(&f->out, f->token); }
#endif

/* Events and mutexes. */
static int run_event_create(fixture_t *f) {
  return ipc_shm_event_create(&f->out_event, f->name, IPC_SHM_EVENT_MANUAL);
}
static int run_event_open(fixture_t *f) { return ipc_shm_event_open(&f->out_event, f->name, 0); }
static int run_event_anonymous(fixture_t *f) {
  return ipc_shm_event_create_anonymous(&f->out_event, 0);
}
static int run_event_set(fixture_t *f) { return ipc_shm_event_set(f->event); }
static int run_event_reset(fixture_t *f) { return ipc_shm_event_reset(f->event); }
static int run_event_wait(fixture_t *f) { return ipc_shm_event_wait(f->event, 0); }
static int run_event_close(fixture_t *f) {
  int err = ipc_shm_event_close(f->event);
  f->event = NULL;
  return err;
}
static int run_mutex_create(fixture_t *f) {
  return ipc_shm_mutex_create(&f->out_mutex, f->name, 0);
}
static int run_mutex_open(fixture_t *f) { return ipc_shm_mutex_open(&f->out_mutex, f->name, 0); }
static int run_mutex_anonymous(fixture_t *f) {
  return ipc_shm_mutex_create_anonymous(&f->out_mutex, 0);
}
static int run_mutex_lock(fixture_t *f) { return ipc_shm_mutex_lock(f->mutex, 1000); }
static int run_mutex_unlock(fixture_t *f) { return ipc_shm_mutex_unlock(f->mutex); }
static int run_semaphore_create(fixture_t *f) {
  return ipc_shm_semaphore_create(&f->out_semaphore, f->name, 0, 3, 0);
}
static int run_semaphore_open(fixture_t *f) {
  return ipc_shm_semaphore_open(&f->out_semaphore, f->name, 0);
}
static int run_semaphore_anonymous(fixture_t *f) {
  return ipc_shm_semaphore_create_anonymous(&f->out_semaphore, 0, 3, 0);
}
static int run_semaphore_post(fixture_t *f) { return ipc_shm_semaphore_post(f->semaphore); }
static int run_semaphore_wait(fixture_t *f) { return ipc_shm_semaphore_wait(f->semaphore, 1000); }
static int run_semaphore_close(fixture_t *f) {
  int err = ipc_shm_semaphore_close(f->semaphore);
  f->semaphore = NULL;
  return err;
}
/* Takes the semaphore's one, then sleeps until the time runs out. */
static int run_wait_any(fixture_t *f) {
  ipc_shm_wait_item_t items[3];
  size_t ready;
  int err;
  memset(items, 0, sizeof(items));
  items[0].kind = IPC_SHM_WAIT_EVENT;
  items[0].object = f->event;
  items[1].kind = IPC_SHM_WAIT_SEMAPHORE;
  items[1].object = f->semaphore;
  err = ipc_shm_wait_any(items, 2, 1000, &ready);
  if (err != 0)
    return err;
  err = ipc_shm_wait_any(items, 2, 20, &ready);
  if (err != IPC_SHM_E_TIMEOUT)
    return err == 0 ? IPC_SHM_E_SYSTEM : err;
  items[2].kind = IPC_SHM_WAIT_MUTEX;
  items[2].object = f->mutex;
  return ipc_shm_wait_any(items, 3, 1000, &ready);
}
static void with_channel(fixture_t *f) {
  ck_assert_err(ipc_shm_channel_create(&f->channel, test_name(f->name, "fc"), 256, 0,
                                       IPC_SHM_CHANNEL_SENDER), 0);
}
static int run_channel_create(fixture_t *f) {
  return ipc_shm_channel_create(&f->out_channel, f->name, 256, 0, IPC_SHM_CHANNEL_RECEIVER);
}
static int run_channel_anonymous(fixture_t *f) {
  return ipc_shm_channel_create_anonymous(&f->out_channel, 256, 0, IPC_SHM_CHANNEL_SENDER);
}
static int run_channel_open(fixture_t *f) {
  return ipc_shm_channel_open(&f->out_channel, f->name, IPC_SHM_CHANNEL_RECEIVER);
}
static int run_channel_attach(fixture_t *f) {
  return ipc_shm_channel_attach(&f->out_channel, ipc_shm_channel_segment(f->channel),
                                IPC_SHM_CHANNEL_RECEIVER);
}
static int run_channel_close(fixture_t *f) {
  int err = ipc_shm_channel_close(f->channel);
  f->channel = NULL;
  return err;
}

static void with_topic(fixture_t *f) {
  ck_assert_err(ipc_shm_topic_create(&f->topic, test_name(f->name, "ft"), 256, 4,
                                     IPC_SHM_TOPIC_PUBLISHER),
                0);
}
static int run_topic_create(fixture_t *f) {
  return ipc_shm_topic_create(&f->out_topic, f->name, 256, 4, IPC_SHM_TOPIC_SUBSCRIBER);
}
static int run_topic_anonymous(fixture_t *f) {
  return ipc_shm_topic_create_anonymous(&f->out_topic, 256, 4, IPC_SHM_TOPIC_PUBLISHER);
}
static int run_topic_open(fixture_t *f) {
  return ipc_shm_topic_open(&f->out_topic, f->name, IPC_SHM_TOPIC_SUBSCRIBER);
}
static int run_topic_attach(fixture_t *f) {
  return ipc_shm_topic_attach(&f->out_topic, ipc_shm_topic_segment(f->topic),
                              IPC_SHM_TOPIC_SUBSCRIBER);
}
/* A subscriber and its publisher, each waiting on the other once. */
static int run_topic_round(fixture_t *f) {
  unsigned char buffer[256];
  size_t size;
  int err = ipc_shm_topic_attach(&f->out_topic, ipc_shm_topic_segment(f->topic),
                                 IPC_SHM_TOPIC_SUBSCRIBER);
  if (err == 0)
    err = ipc_shm_topic_publish(f->topic, "round", 5, 1000);
  if (err == 0)
    err = ipc_shm_topic_receive(f->out_topic, buffer, sizeof(buffer), &size, NULL, 1000);
  if (f->out_topic != NULL) {
    int closed = ipc_shm_topic_close(f->out_topic);
    if (err == 0)
      err = closed;
  }
  f->out_topic = NULL;
  return err;
}
static int run_topic_close(fixture_t *f) {
  int err = ipc_shm_topic_close(f->topic);
  f->topic = NULL;
  return err;
}

static void with_inbox(fixture_t *f) {
  ck_assert_err(ipc_shm_inbox_create(&f->inbox, test_name(f->name, "fi"), 256, 4,
                                     IPC_SHM_INBOX_RECEIVER),
                0);
}
static int run_inbox_create(fixture_t *f) {
  return ipc_shm_inbox_create(&f->out_inbox, f->name, 256, 4, IPC_SHM_INBOX_SENDER);
}
static int run_inbox_open(fixture_t *f) {
  return ipc_shm_inbox_open(&f->out_inbox, f->name, IPC_SHM_INBOX_SENDER);
}
/* A sender's first send asks whether the receiver lives, and a failure
 * of that question answers "alive" by design (as a channel's): the
 * walker attaches, the tests send. */
static int run_inbox_attach(fixture_t *f) {
  return ipc_shm_inbox_attach(&f->out_inbox, ipc_shm_inbox_segment(f->inbox),
                              IPC_SHM_INBOX_SENDER);
}
static int run_inbox_close(fixture_t *f) {
  int err = ipc_shm_inbox_close(f->inbox);
  f->inbox = NULL;
  return err;
}

static int run_mutex_import(fixture_t *f) {
  int err = ipc_shm_mutex_import(&f->out_mutex, f->token);
  f->raw_taken = err == 0;
  return err;
}
static int run_spawn(fixture_t *f) {
  char path[1200];
  ipc_shm_inherit_t segment = {NULL, 0, NULL, NULL, NULL};
  int err, code = -1;
#ifdef _WIN32
  snprintf(path, sizeof(path), "%s\\ipcshm_tests.exe", test_bin_dir);
#else
  snprintf(path, sizeof(path), "%s/ipcshm_tests", test_bin_dir);
#endif
  {
    const char *argv[] = {path, "helper", "inherit-check", NULL};
    segment.shm = f->shm;
    segment.flags = IPC_SHM_READONLY;
    err = ipc_shm_spawn(&f->child, argv, &segment, 1);
  }
  if (err != 0) {
    ck_assert_ptr_null(f->child);
    return err;
  }
  err = ipc_shm_process_wait(f->child, &code);
  f->child = NULL;
  ck_assert_int_eq(err != 0 || code == 0, 1);
  return err;
}
static int run_listen(fixture_t *f) {
  return ipc_shm_listen(&f->out_listener, test_name(f->name, "fl"));
}
static int run_connect_accept(fixture_t *f) {
  int err = ipc_shm_connect(&f->client, f->name);
  if (err == 0)
    err = ipc_shm_accept(f->listener, &f->out_conn);
  return err;
}
static int run_send(fixture_t *f) {
  int err = ipc_shm_send(f->client, f->shm, IPC_SHM_READONLY);
  ipc_shm_t *got = NULL;
  /* What was sent must arrive whole, or not at all. */
  if (err == 0) {
    ipc_shm__faults_end();
    ck_assert_err(ipc_shm_receive(f->server, &got), 0);
    ipc_shm_close(got);
  }
  return err;
}
static int run_receive(fixture_t *f) { return ipc_shm_receive(f->server, &f->out); }
static int run_conn_close(fixture_t *f) {
  int err = ipc_shm_conn_close(f->client);
  f->client = NULL;
  return err;
}
static int run_listener_close(fixture_t *f) {
  int err = ipc_shm_listener_close(f->listener);
  f->listener = NULL;
  return err;
}
#ifdef _WIN32
static int run_push(fixture_t *f) {
  int err = ipc_shm_push(f->shm, (unsigned long)GetCurrentProcessId(), 0, f->token);
  if (err == 0) { /* the handle pushed into this process is ours to take */
    ipc_shm__token_t token;
    ck_assert_int_eq(ipc_shm__token_parse(f->token, &token), 0);
    f->raw = (HANDLE)(ULONG_PTR)token.handle;
  } else {
    ck_assert_str_eq(f->token, "");
  }
  return err;
}
#endif

static const scenario_t scenarios[] = {
    {"create", named_name, run_create, release_all, 0, 0},
    {"open", with_named, run_open, release_all, 0, 0},
    {"open read-only", with_named, run_open_readonly, release_all, 0, 0},
    {"open_or_create (creating)", named_name, run_ooc, release_all, 0, 0},
    {"open_or_create (opening)", with_named, run_ooc, release_all, 0, 0},
    {"create_anonymous", nothing, run_anonymous, release_all, 0, 0},
    {"open_file (creating)", nothing, run_file_create, release_all, 0, 0},
    {"open_file (existing)", with_file, run_file_open, release_all, 0, 0},
    {"close", with_named, run_close, release_all, 0, 0},
    {"remove", with_named, run_remove, release_all, IPC_SHM_E_NOT_SUPPORTED, 0},
    {"seal", with_anonymous, run_seal, release_all, IPC_SHM_E_NOT_SUPPORTED, 0},
    {"map (write)", with_anonymous, run_map_write, release_all, 0, 0},
    {"map (copy-on-write)", with_file, run_map_copy, release_all, 0, 0},
    {"map (file, write)", with_file, run_map_write, release_all, 0, 0},
    {"unmap", with_view, run_unmap, release_all, 0, 0},
    {"flush", with_file_view, run_flush, release_all, 0, 0},
    {"export", with_anonymous, run_export, release_all, 0, 0},
    {"export (read-only)", with_anonymous, run_export_readonly, release_all, 0, 0},
    {"export (read-only, named)", with_named, run_export_readonly, release_all, 0, 0},
    {"export (pull)", with_anonymous, run_export_pull, release_all, 0, 0},
    {"export_close", with_export, run_export_close, release_all, 0, 0},
    {"import", with_foreign_token, run_import, release_all, IPC_SHM_E_BAD_TOKEN, 0},
    {"inherited", with_inherited_list, run_inherited, release_inherited, IPC_SHM_E_BAD_TOKEN, 0},
    {"spawn + process_wait", with_anonymous, run_spawn, release_all, 0, 0},
    {"listen", nothing, run_listen, release_all, 0, 0},
    {"connect + accept", with_listener, run_connect_accept, release_all, 0, 0},
    {"send", with_connection_and_segment, run_send, release_all, 0, 0},
#ifdef _WIN32
    /* The peer puts the handle into this process before the message is
     * read; a receive that fails leaves it (the message only names it). */
    {"receive", with_sent_segment, run_receive, release_all, IPC_SHM_E_BAD_TOKEN, 1},
#else
    {"receive", with_sent_segment, run_receive, release_all, IPC_SHM_E_BAD_TOKEN, 0},
#endif
    {"conn_close", with_connection, run_conn_close, release_all, 0, 0},
    {"listener_close", with_listener, run_listener_close, release_all, 0, 0},
#if TEST_CAN_PULL
    {"pull", with_owner, run_pull, release_all, IPC_SHM_E_BAD_TOKEN, 0},
#endif
#ifdef _WIN32
    {"push", with_anonymous, run_push, release_all, 0, 0},
#endif
    {"event_create", named_name, run_event_create, release_all, 0, 0},
    {"event_open", with_event, run_event_open, release_all, 0, 0},
    {"event_create_anonymous", nothing, run_event_anonymous, release_all, 0, 0},
    {"event_set", with_event, run_event_set, release_all, 0, 0},
    {"event_reset", with_event, run_event_reset, release_all, 0, 0},
    {"event_wait", with_event, run_event_wait, release_all, 0, 0},
    {"event_close", with_event, run_event_close, release_all, 0, 0},
    {"mutex_create", named_name, run_mutex_create, release_all, 0, 0},
    {"mutex_open", with_mutex, run_mutex_open, release_all, 0, 0},
    {"mutex_create_anonymous", nothing, run_mutex_anonymous, release_all, 0, 0},
    {"mutex_lock", with_mutex, run_mutex_lock, release_all, 0, 0},
    {"mutex_unlock", with_locked_mutex, run_mutex_unlock, release_all, 0, 0},
    {"mutex_import", with_foreign_mutex_token, run_mutex_import, release_all,
     IPC_SHM_E_BAD_TOKEN, 0},
    {"semaphore_create", named_name, run_semaphore_create, release_all, 0, 0},
    {"semaphore_open", with_semaphore, run_semaphore_open, release_all, 0, 0},
    {"semaphore_create_anonymous", nothing, run_semaphore_anonymous, release_all, 0, 0},
    {"semaphore_post", with_semaphore, run_semaphore_post, release_all, 0, 0},
    {"semaphore_wait", with_semaphore, run_semaphore_wait, release_all, 0, 0},
    {"semaphore_close", with_semaphore, run_semaphore_close, release_all, 0, 0},
    {"wait_any", with_waitables, run_wait_any, release_all, 0, 0},
    {"channel_create", named_name, run_channel_create, release_all, 0, 0},
    {"channel_create_anonymous", nothing, run_channel_anonymous, release_all, 0, 0},
    {"channel_open", with_channel, run_channel_open, release_all, 0, 0},
    {"channel_attach", with_channel, run_channel_attach, release_all, IPC_SHM_E_BAD_TOKEN, 0},
    {"channel_close", with_channel, run_channel_close, release_all, 0, 0},
    {"topic_create", named_name, run_topic_create, release_all, 0, 0},
    {"topic_create_anonymous", nothing, run_topic_anonymous, release_all, 0, 0},
    {"topic_open", with_topic, run_topic_open, release_all, 0, 0},
    {"topic_attach", with_topic, run_topic_attach, release_all, IPC_SHM_E_BAD_TOKEN, 0},
    {"topic_round", with_topic, run_topic_round, release_all, IPC_SHM_E_BAD_TOKEN, 0},
    {"topic_close", with_topic, run_topic_close, release_all, 0, 0},
    {"inbox_create", named_name, run_inbox_create, release_all, 0, 0},
    {"inbox_open", with_inbox, run_inbox_open, release_all, 0, 0},
    {"inbox_attach", with_inbox, run_inbox_attach, release_all, IPC_SHM_E_BAD_TOKEN, 0},
    {"inbox_close", with_inbox, run_inbox_close, release_all, 0, 0},
};

/* Failures the library survives by design: a release that reports an
 * error still released (close, CloseHandle), and extras that are made
 * again later or left out (the next pipe instance, a standard stream a
 * child cannot inherit, removing a socket file), and a poller's pause cut
 * short (it looks again). */
static int tolerated(const char *call) {
  static const char *const calls[] = {"close",  "CloseHandle",    "CreateNamedPipeW",
                                      "DuplicateHandle", "unlink", "WaitNamedPipeW",
                                      "nanosleep"};
  size_t i;
  for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
    if (strcmp(call, calls[i]) == 0)
      return 1;
  return 0;
}

static long names_in_shm_dir(void) {
  long n = test_own_shm_names();
  return n < 0 ? 0 : n;
}

static unsigned long points, tolerated_points;
static int reached[128]; /* entries some scenario calls */

/* Run one scenario, with a failure at (entry, nth) or none (entry -1). */
static int run_once(const scenario_t *s, int entry, unsigned long nth, int *fired) {
  fixture_t f;
  test_resources_t before;
  long names_before;
  int err;
  memset(&f, 0, sizeof(f));
  f.raw = IPC_SHM__NO_HANDLE;
  before = test_resources();
  names_before = names_in_shm_dir();
  s->setup(&f);
  ipc_shm__faults_begin();
  if (entry >= 0)
    ipc_shm__fault_arm(entry, nth, INJECTED);
  err = s->run(&f);
  *fired = ipc_shm__fault_fired();
  ipc_shm__faults_end();
  /* Failed, but not by the armed call: the run ended elsewhere. */
  if (entry >= 0 && *fired && err != 0 &&
      (ipc_shm_last_native_error() != INJECTED ||
       strcmp(ipc_shm_last_native_call(), ipc_shm__syscall_name(entry)) != 0) &&
      err != s->documented)
    *fired = 0;
  if (entry >= 0 && *fired && err != 0) {
    long native = ipc_shm_last_native_error();
    const char *call = ipc_shm_last_native_call();
    int expected = ipc_shm__translate(INJECTED);
    ck_assert_msg(err == expected || (s->documented != 0 && err == s->documented),
                  "%s, %s #%lu failing: %s", s->name, ipc_shm__syscall_name(entry), nth,
                  ipc_shm_err_name(err));
    ck_assert_msg(native == INJECTED && strcmp(call, ipc_shm__syscall_name(entry)) == 0,
                  "%s, %s #%lu failing: recorded %s: %ld", s->name,
                  ipc_shm__syscall_name(entry), nth, call, native);
    ck_assert_ptr_null(f.out);
    ck_assert_ptr_null(f.out_view);
    ck_assert_ptr_null(f.out_exp);
    ck_assert_ptr_null(f.out_listener);
    ck_assert_ptr_null(f.out_conn);
    ck_assert_ptr_null(f.out_event);
    ck_assert_ptr_null(f.out_mutex);
    ck_assert_ptr_null(f.out_channel);
    ck_assert_ptr_null(f.out_topic);
    ck_assert_ptr_null(f.out_inbox);
  }
  s->teardown(&f, err);
  {
    test_resources_t after = test_resources();
    if (err != 0)
      before.handles += s->left_on_failure;
    ck_assert_msg(after.handles == before.handles && after.mappings == before.mappings,
                  "%s, %s #%lu failing (%s): handles %ld -> %ld, mappings %ld -> %ld", s->name,
                  entry >= 0 ? ipc_shm__syscall_name(entry) : "nothing", nth,
                  ipc_shm_err_name(err), before.handles, after.handles, before.mappings, after.mappings);
    /* The one failure that must leave a name: the call removing it. */
    if (entry >= 0 && strcmp(ipc_shm__syscall_name(entry), "shm_unlink") == 0)
      test_remove_passing_names();
    ck_assert_msg(names_in_shm_dir() == names_before, "%s, %s #%lu failing: a name is left",
                  s->name, entry >= 0 ? ipc_shm__syscall_name(entry) : "nothing", nth);
  }
  return err;
}

static void walk(const scenario_t *s) {
  unsigned long counts[128];
  int entries = ipc_shm__syscall_count(), entry, fired;
  int err = run_once(s, -1, 0, &fired);
  ck_assert_msg(entries <= 128, "table larger than the walker");
  if (err == s->documented && err != 0)
    return; /* not supported here: nothing to fail */
  ck_assert_msg(err == 0, "%s fails without a fault: %s", s->name, ipc_shm_err_name(err));
  /* The counts of the run just made, before anything else runs. */
  for (entry = 0; entry < entries; entry++) {
    counts[entry] = ipc_shm__fault_calls(entry);
    reached[entry] |= counts[entry] > 0;
  }
  for (entry = 0; entry < entries; entry++) {
    unsigned long nth;
    for (nth = 1; nth <= counts[entry]; nth++) {
      int tries;
      /* A run that fails by another call than the armed one (a child
       * process Wine failed to start, say) is said, and run again: twice
       * more, so that a failure of the library's own still shows. */
      for (tries = 1;; tries++) {
        err = run_once(s, entry, nth, &fired);
        if (fired || tries == 3)
          break;
        printf("fault injection: %s: %s #%lu: the run ended elsewhere, with %s (%s: %ld); "
               "again\n",
               s->name, ipc_shm__syscall_name(entry), nth, ipc_shm_err_name(err),
               ipc_shm_last_native_call(), ipc_shm_last_native_error());
      }
      ck_assert_msg(fired, "%s: %s #%lu never ended the run (it ended with %s, %s: %ld)",
                    s->name, ipc_shm__syscall_name(entry), nth, ipc_shm_err_name(err),
                    ipc_shm_last_native_call(), ipc_shm_last_native_error());
      points++;
      if (err == 0) {
        ck_assert_msg(tolerated(ipc_shm__syscall_name(entry)),
                      "%s succeeded though %s #%lu failed", s->name,
                      ipc_shm__syscall_name(entry), nth);
        tolerated_points++;
      }
    }
  }
}

START_TEST(every_system_call_fails_cleanly) {
  size_t i;
  for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
    walk(&scenarios[i]);
  printf("fault injection: %lu failure points in %u functions, %lu survived by design\n",
         points, (unsigned)(sizeof(scenarios) / sizeof(scenarios[0])), tolerated_points);
  printf("fault injection: entries no scenario reaches in this process:");
  for (i = 0; (int)i < ipc_shm__syscall_count(); i++)
    if (!reached[i])
      printf(" %s", ipc_shm__syscall_name((int)i));
  printf("\n");
  ck_assert_uint_gt(points, 50);
}
END_TEST

/* The flush reaches the disk: msync (POSIX), FlushViewOfFile and
 * FlushFileBuffers (Windows) are really called, and their failure is the
 * flush's. */
START_TEST(flush_calls_the_system) {
#ifdef _WIN32
  static const char *const calls[] = {"FlushViewOfFile", "FlushFileBuffers"};
#else
  static const char *const calls[] = {"msync"};
#endif
  size_t i;
  for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
    fixture_t f;
    int err, entry = ipc_shm__syscall_find(calls[i]);
    memset(&f, 0, sizeof(f));
    f.raw = IPC_SHM__NO_HANDLE;
    ck_assert_int_ge(entry, 0);
    with_file_view(&f);
    ipc_shm__faults_begin();
    ipc_shm__fault_arm(entry, 1, INJECTED);
    err = ipc_shm_flush(f.view, 0, 0);
    ipc_shm__faults_end();
    ck_assert_err(err, IPC_SHM_E_IO);
    ck_assert_str_eq(ipc_shm_last_native_call(), calls[i]);
    release_all(&f, 0);
  }
}
END_TEST

/* The fault injector itself: it fails exactly the armed call, the nth of
 * its entry, and only that one; it counts every call. */
START_TEST(the_injector_fails_only_the_nth_call) {
#ifdef _WIN32
  const char *call = "FlushViewOfFile";
#else
  const char *call = "msync";
#endif
  fixture_t f;
  int entry = ipc_shm__syscall_find(call), i;
  memset(&f, 0, sizeof(f));
  f.raw = IPC_SHM__NO_HANDLE;
  ck_assert_int_ge(entry, 0);
  with_file_view(&f);
  ipc_shm__faults_begin();
  ipc_shm__fault_arm(entry, 3, INJECTED);
  for (i = 1; i <= 5; i++) {
    int err = ipc_shm_flush(f.view, 0, 4096);
    ck_assert_msg(err == (i == 3 ? IPC_SHM_E_IO : 0), "flush %d: %s", i, ipc_shm_err_name(err));
    ck_assert_int_eq(ipc_shm__fault_fired(), i >= 3);
  }
  ck_assert_uint_eq(ipc_shm__fault_calls(entry), 5);
  ipc_shm__faults_end();
  /* Ended: calls reach the system again, uncounted. */
  ck_assert_err(ipc_shm_flush(f.view, 0, 4096), 0);
  release_all(&f, 0);
}
END_TEST

/* A child that fails between fork and exec says which call failed. */
START_TEST(child_failures_are_reported) {
#ifdef _WIN32
  ck_assert_int_ge(ipc_shm__syscall_find("CreateProcessW"), 0);
#else
  static const char *const calls[] = {"execve", "dup2"};
  size_t i;
  for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
    fixture_t f;
    int err, fired = 0;
    memset(&f, 0, sizeof(f));
    f.raw = IPC_SHM__NO_HANDLE;
    with_anonymous(&f);
    ipc_shm__faults_begin();
    ipc_shm__fault_arm(ipc_shm__syscall_find(calls[i]), 1, INJECTED);
    err = run_spawn(&f);
    fired = ipc_shm__fault_fired(); /* in the child: not seen here */
    ipc_shm__faults_end();
    ck_assert_int_eq(fired, 0);
    ck_assert_err(err, IPC_SHM_E_IO);
    ck_assert_int_eq(ipc_shm_last_native_error(), EIO);
    ck_assert_str_eq(ipc_shm_last_native_call(), calls[i]);
    release_all(&f, err);
  }
#endif
}
END_TEST

/* The table is complete where it says it is: its entries have names of
 * their own, and name the calls the error record gives. */
START_TEST(table_names_are_unique) {
  int i, j, n = ipc_shm__syscall_count();
  ck_assert_int_gt(n, 20);
  for (i = 0; i < n; i++) {
    ck_assert_int_gt((int)strlen(ipc_shm__syscall_name(i)), 0);
    ck_assert_int_eq(ipc_shm__syscall_find(ipc_shm__syscall_entry(i)), i);
    /* The call is the entry's name, or its beginning (fcntl, fcntl_lock). */
    ck_assert_int_eq(strncmp(ipc_shm__syscall_entry(i), ipc_shm__syscall_name(i),
                             strlen(ipc_shm__syscall_name(i))),
                     0);
    for (j = i + 1; j < n; j++)
      ck_assert_str_ne(ipc_shm__syscall_entry(i), ipc_shm__syscall_entry(j));
  }
  ck_assert_int_eq(ipc_shm__syscall_find("no such call"), -1);
}
END_TEST

#ifndef _WIN32
/* POSIX events, mutexes, semaphores and waits on several of them make no
 * system call unless a thread must sleep or be woken: counted through the
 * table every call goes through. */
START_TEST(nobody_waiting_means_no_system_call) {
  ipc_shm_event_t *event;
  ipc_shm_mutex_t *mutex;
  ipc_shm_semaphore_t *semaphore;
  ipc_shm_wait_item_t items[3];
  size_t ready;
  int entry, i;
  ck_assert_err(ipc_shm_semaphore_create_anonymous(&semaphore, 0, 10, 0), 0);
  ck_assert_err(ipc_shm_event_create_anonymous(&event, 0), 0);
  ck_assert_err(ipc_shm_mutex_create_anonymous(&mutex, 0), 0);
  ck_assert_err(ipc_shm_mutex_lock(mutex, 0), 0); /* learns who this thread is */
  ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
  items[0].kind = IPC_SHM_WAIT_EVENT;
  items[0].object = event;
  items[1].kind = IPC_SHM_WAIT_SEMAPHORE;
  items[1].object = semaphore;
  items[2].kind = IPC_SHM_WAIT_MUTEX;
  items[2].object = mutex;
  items[0].room = items[1].room = items[2].room = 0;
  ipc_shm__faults_begin();
  for (i = 0; i < 1000; i++) {
    ck_assert_err(ipc_shm_event_set(event), 0);
    ck_assert_err(ipc_shm_event_wait(event, IPC_SHM_FOREVER), 0);
    ck_assert_err(ipc_shm_event_wait(event, 0), IPC_SHM_E_TIMEOUT);
    ck_assert_err(ipc_shm_event_reset(event), 0);
    ck_assert_err(ipc_shm_mutex_lock(mutex, IPC_SHM_FOREVER), 0);
    ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
    ck_assert_err(ipc_shm_mutex_trylock(mutex), 0);
    ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
    ck_assert_err(ipc_shm_semaphore_post(semaphore), 0);
    ck_assert_err(ipc_shm_semaphore_wait(semaphore, IPC_SHM_FOREVER), 0);
    ck_assert_err(ipc_shm_semaphore_trywait(semaphore), IPC_SHM_E_TIMEOUT);
    ck_assert_err(ipc_shm_wait_any(items, 2, 0, &ready), IPC_SHM_E_TIMEOUT);
    ck_assert_err(ipc_shm_semaphore_post(semaphore), 0);
    ck_assert_err(ipc_shm_wait_any(items, 3, IPC_SHM_FOREVER, &ready), 0);
    ck_assert_uint_eq(ready, 1);
    ck_assert_err(ipc_shm_wait_any(items, 3, IPC_SHM_FOREVER, &ready), 0);
    ck_assert_uint_eq(ready, 2); /* the free mutex, locked */
    ck_assert_err(ipc_shm_mutex_unlock(mutex), 0);
  }
  for (entry = 0; entry < ipc_shm__syscall_count(); entry++)
    ck_assert_msg(ipc_shm__fault_calls(entry) == 0, "%s called %lu times",
                  ipc_shm__syscall_name(entry), ipc_shm__fault_calls(entry));
  ipc_shm__faults_end();
  ipc_shm_event_close(event);
  ipc_shm_mutex_close(mutex);
  ipc_shm_semaphore_close(semaphore);
}
END_TEST
#endif

void add_fault_cases(Suite *suite) {
  TCase *tc = tcase_create("faults");
#ifndef _WIN32
  tcase_add_test(tc, nobody_waiting_means_no_system_call);
#endif
  tcase_add_test(tc, table_names_are_unique);
  tcase_add_test(tc, the_injector_fails_only_the_nth_call);
  tcase_add_test(tc, flush_calls_the_system);
  tcase_add_test(tc, child_failures_are_reported);
  tcase_add_test(tc, every_system_call_fails_cleanly);
  tcase_set_timeout(tc, 600);
  suite_add_tcase(suite, tc);
}
