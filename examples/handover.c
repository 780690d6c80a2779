/* SPDX-License-Identifier: MIT */
/* Handing a segment to a child by each route:
 *   inherit     the child is started with it (ipc_shm_spawn's list);
 *   connection  the child connects and receives it (ipc_shm_send);
 *   push        the parent puts it into the running child (Windows only:
 *               POSIX has no such call and says IPC_SHM_E_NOT_SUPPORTED);
 *   pull        the parent takes the child's segment out of it
 *               (Windows, Linux 5.6; the parent may, as the child's
 *               ancestor).
 * Parent and child pass tokens and replies through a small "mailbox"
 * segment and two events, which the child inherits. Run it with no
 * argument. */
#include <ipc_shm.h>

#include <stdio.h>
#include <string.h>

#ifdef _WIN32
#include <process.h>
#define current_pid() ((unsigned long)_getpid())
#else
#include <unistd.h>
#define current_pid() ((unsigned long)getpid())
#endif

/* What parent and child share to talk. */
typedef struct mailbox {
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  ipc_shm_event_t *to_child, *to_parent; /* "read the mailbox" */
} mailbox_t;

static int fail(const char *what, int err) {
  fprintf(stderr, "%s: %s (%s, native %ld)\n", what, ipc_shm_strerror(err),
          ipc_shm_last_native_call(), ipc_shm_last_native_error());
  return 1;
}

static char *text_of(ipc_shm_view_t *view) { return (char *)ipc_shm_view_data(view); }

/* Read a segment's text, as a child or the parent. */
static int show(const char *who, const char *route, ipc_shm_t *shm, char *reply, size_t size) {
  ipc_shm_view_t *view;
  int err = ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_READ);
  if (err != 0)
    return fail("map", err);
  snprintf(reply, size, "%s got \"%s\" by %s", who, text_of(view), route);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  return 0;
}

/* ---- The child ---- */

/* Take the segment by `route` and say what it holds, through the mailbox. */
static int child_route(mailbox_t *box, const char *route, const char *listener) {
  ipc_shm_t *shm = NULL;
  char reply[200] = "";
  int err = 0;
  if (strcmp(route, "inherit") == 0) {
    err = ipc_shm_inherited(&shm, 3);
  } else if (strcmp(route, "connection") == 0) {
    ipc_shm_conn_t *conn;
    err = ipc_shm_connect(&conn, listener);
    if (err == 0) {
      err = ipc_shm_receive(conn, &shm);
      ipc_shm_conn_close(conn);
    }
  } else if (strcmp(route, "push") == 0) {
    err = ipc_shm_event_wait(box->to_child, 10000); /* the token is in the mailbox */
    if (err == 0 && strcmp(text_of(box->view), "none") == 0)
      return 0; /* this system has no push */
    if (err == 0)
      err = ipc_shm_import(&shm, text_of(box->view));
  } else { /* pull: the child makes a segment and lets the parent take it */
    ipc_shm_export_t *exported;
    ipc_shm_view_t *view;
    err = ipc_shm_create_anonymous(&shm, 4096, 0);
    if (err == 0)
      err = ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE);
    if (err == 0) {
      strcpy(text_of(view), "made by the child");
      ipc_shm_unmap(view);
      err = ipc_shm_export(&exported, shm, IPC_SHM_EXPORT_PULL);
    }
    if (err == 0) {
      strcpy(text_of(box->view), ipc_shm_export_token(exported));
      ipc_shm_event_set(box->to_parent);
      err = ipc_shm_event_wait(box->to_child, 10000); /* pulled: the export may go */
      ipc_shm_export_close(exported);
    }
    if (shm != NULL)
      ipc_shm_close(shm);
    return err == 0 ? 0 : fail("pull", err);
  }
  if (err == 0)
    err = show("the child", route, shm, reply, sizeof(reply));
  if (err != 0)
    return fail(route, err);
  strcpy(text_of(box->view), reply);
  ipc_shm_event_set(box->to_parent);
  return 0;
}

static int child(const char *route, const char *listener) {
  mailbox_t box;
  int result;
  int err = ipc_shm_inherited(&box.shm, 0);
  if (err == 0)
    err = ipc_shm_event_inherited(&box.to_child, 1);
  if (err == 0)
    err = ipc_shm_event_inherited(&box.to_parent, 2);
  if (err == 0)
    err = ipc_shm_map(&box.view, box.shm, 0, 0, IPC_SHM_MAP_WRITE);
  if (err != 0)
    return fail("child", err);
  result = child_route(&box, route, listener);
  ipc_shm_unmap(box.view);
  ipc_shm_close(box.shm);
  ipc_shm_event_close(box.to_child);
  ipc_shm_event_close(box.to_parent);
  return result;
}

/* ---- The parent ---- */

static int run_child(const char *self, const char *route, const char *listener,
                     mailbox_t *box, const ipc_shm_t *data, ipc_shm_process_t **process) {
  const char *argv[5] = {self, "child", route, listener, NULL};
  ipc_shm_inherit_t inherit[4];
  memset(inherit, 0, sizeof(inherit));
  inherit[0].shm = box->shm;
  inherit[1].event = box->to_child;
  inherit[2].event = box->to_parent;
  inherit[3].shm = data;
  inherit[3].flags = IPC_SHM_READONLY;
  return ipc_shm_spawn(process, argv, inherit, strcmp(route, "inherit") == 0 ? 4 : 3);
}

static int route(const char *self, const char *name, mailbox_t *box, const ipc_shm_t *data) {
  char listener_name[IPC_SHM_NAME_MAX + 1] = "-", line[200];
  ipc_shm_listener_t *listener = NULL;
  ipc_shm_process_t *process;
  int err = 0, code = 1;

  if (strcmp(name, "connection") == 0) {
    snprintf(listener_name, sizeof(listener_name), "example-%lu", current_pid());
    err = ipc_shm_listen(&listener, listener_name);
  }
  if (err == 0)
    err = run_child(self, name, listener_name, box, data, &process);
  if (err != 0)
    return fail(name, err);

  if (strcmp(name, "connection") == 0) {
    ipc_shm_conn_t *conn;
    err = ipc_shm_accept(listener, &conn);
    if (err == 0) {
      err = ipc_shm_send(conn, data, IPC_SHM_READONLY);
      ipc_shm_conn_close(conn);
    }
    ipc_shm_listener_close(listener);
  } else if (strcmp(name, "push") == 0) {
    char token[IPC_SHM_TOKEN_MAX];
    err = ipc_shm_push(data, ipc_shm_process_id(process), IPC_SHM_READONLY, token);
    if (err == IPC_SHM_E_NOT_SUPPORTED) {
      printf("push: not supported on this system (use a connection)\n");
      strcpy(text_of(box->view), "none");
      ipc_shm_event_set(box->to_child);
      ipc_shm_process_wait(process, &code);
      return code;
    }
    if (err == 0) {
      strcpy(text_of(box->view), token);
      err = ipc_shm_event_set(box->to_child);
    }
  } else if (strcmp(name, "pull") == 0) {
    ipc_shm_t *pulled;
    err = ipc_shm_event_wait(box->to_parent, 10000); /* the token is in the mailbox */
    if (err == 0)
      err = ipc_shm_pull(&pulled, text_of(box->view));
    ipc_shm_event_set(box->to_child);
    if (err == IPC_SHM_E_NOT_SUPPORTED || err == IPC_SHM_E_PERM) {
      printf("pull: %s here\n", ipc_shm_strerror(err));
      ipc_shm_process_wait(process, &code);
      return code;
    }
    if (err == 0)
      err = show("the parent", name, pulled, line, sizeof(line));
    if (err == 0)
      printf("%s\n", line);
    ipc_shm_process_wait(process, &code);
    return err == 0 ? code : fail(name, err);
  }
  if (err == 0)
    err = ipc_shm_event_wait(box->to_parent, 10000); /* the child's reply */
  if (err == 0)
    printf("%s\n", text_of(box->view));
  ipc_shm_process_wait(process, &code);
  return err == 0 ? code : fail(name, err);
}

int main(int argc, char **argv) {
  static const char *const routes[] = {"inherit", "connection", "push", "pull"};
  mailbox_t box;
  ipc_shm_t *data;
  ipc_shm_view_t *view;
  size_t i;
  int err, failed = 0;

  if (argc >= 2 && strcmp(argv[1], "child") == 0)
    return argc == 4 ? child(argv[2], argv[3]) : 2;
  err = ipc_shm_create_anonymous(&box.shm, 4096, 0);
  if (err == 0)
    err = ipc_shm_map(&box.view, box.shm, 0, 0, IPC_SHM_MAP_WRITE);
  if (err == 0)
    err = ipc_shm_event_create_anonymous(&box.to_child, 0);
  if (err == 0)
    err = ipc_shm_event_create_anonymous(&box.to_parent, 0);
  if (err == 0)
    err = ipc_shm_create_anonymous(&data, 4096, 0);
  if (err == 0)
    err = ipc_shm_map(&view, data, 0, 0, IPC_SHM_MAP_WRITE);
  if (err != 0)
    return fail("parent", err);
  strcpy(text_of(view), "made by the parent");
  ipc_shm_unmap(view);

  for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
    failed |= route(argv[0], routes[i], &box, data);
  ipc_shm_close(data);
  ipc_shm_unmap(box.view);
  ipc_shm_close(box.shm);
  ipc_shm_event_close(box.to_child);
  ipc_shm_event_close(box.to_parent);
  return failed;
}
