/* SPDX-License-Identifier: MIT */
/* A job queue counted by semaphores: the parent writes six jobs into a
 * segment and posts `jobs` once for each, all before the child has looked
 * (a semaphore counts them; an event would keep one); the child, which
 * inherited the segment and both semaphores, takes them one by one and
 * posts `done` for each. Run it with no argument. */
#include <ipc_shm.h>

#include <stdio.h>
#include <string.h>

#define JOBS 6

static int fail(const char *what, int err) {
  fprintf(stderr, "%s: %s (%s, native %ld)\n", what, ipc_shm_strerror(err),
          ipc_shm_last_native_call(), ipc_shm_last_native_error());
  return 1;
}

static int child(void) {
  ipc_shm_t *shm;
  ipc_shm_semaphore_t *jobs, *done;
  ipc_shm_view_t *view;
  int job, err = ipc_shm_inherited(&shm, 0);
  if (err == 0)
    err = ipc_shm_semaphore_inherited(&jobs, 1);
  if (err == 0)
    err = ipc_shm_semaphore_inherited(&done, 2);
  if (err == 0)
    err = ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_READ);
  if (err != 0)
    return fail("child", err);
  for (job = 0; job < JOBS; job++) {
    const int *numbers = (const int *)ipc_shm_view_data(view);
    err = ipc_shm_semaphore_wait(jobs, 10000); /* takes one job */
    if (err != 0)
      return fail("wait", err);
    printf("child: job %d squares %d to %d\n", job + 1, numbers[job], numbers[job] * numbers[job]);
    fflush(stdout);
    err = ipc_shm_semaphore_post(done);
    if (err != 0)
      return fail("post", err);
  }
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  ipc_shm_semaphore_close(jobs);
  ipc_shm_semaphore_close(done);
  return 0;
}

int main(int argc, char **argv) {
  ipc_shm_t *shm;
  ipc_shm_semaphore_t *jobs, *done;
  ipc_shm_view_t *view;
  ipc_shm_process_t *process;
  const char *child_argv[3];
  ipc_shm_inherit_t inherit[3];
  int job, err, code = 1;

  if (argc >= 2) /* started by the parent */
    return strcmp(argv[1], "child") == 0 ? child() : 2;
  err = ipc_shm_create_anonymous(&shm, 4096, 0);
  if (err == 0) /* count 0, at most JOBS waiting */
    err = ipc_shm_semaphore_create_anonymous(&jobs, 0, JOBS, 0);
  if (err == 0)
    err = ipc_shm_semaphore_create_anonymous(&done, 0, JOBS, 0);
  if (err == 0)
    err = ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE);
  if (err != 0)
    return fail("parent", err);

  /* Every job is queued before the child starts. */
  for (job = 0; job < JOBS && err == 0; job++) {
    ((int *)ipc_shm_view_data(view))[job] = job + 2;
    err = ipc_shm_semaphore_post(jobs);
  }
  if (err == 0 && ipc_shm_semaphore_post(jobs) != IPC_SHM_E_LIMIT)
    err = IPC_SHM_E_SYSTEM; /* a seventh job does not fit */
  if (err != 0)
    return fail("queue", err);

  memset(inherit, 0, sizeof(inherit));
  inherit[0].shm = shm;
  inherit[0].flags = IPC_SHM_READONLY; /* the child only reads */
  inherit[1].semaphore = jobs;
  inherit[2].semaphore = done;
  child_argv[0] = argv[0];
  child_argv[1] = "child";
  child_argv[2] = NULL;
  err = ipc_shm_spawn(&process, child_argv, inherit, 3);
  if (err != 0)
    return fail("spawn", err);

  for (job = 0; job < JOBS && err == 0; job++)
    err = ipc_shm_semaphore_wait(done, 10000);
  if (err == 0)
    printf("parent: all %d jobs done\n", JOBS);
  else
    fail("done", err);
  if (ipc_shm_process_wait(process, &code) != 0 || code != 0)
    err = err != 0 ? err : IPC_SHM_E_SYSTEM;
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  ipc_shm_semaphore_close(jobs);
  ipc_shm_semaphore_close(done);
  return err == 0 ? 0 : 1;
}
