/* SPDX-License-Identifier: MIT */
/* POSIX parts of the test helpers. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sched_setaffinity */
#endif

#include "testutil.h"

#include <pthread.h>
#include <sched.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

extern char **environ;

struct test_proc {
  pid_t pid;
  int in;  /* its standard input */
  int out; /* its standard output */
};

int test_segment_exists(const char *name) {
  char posix_name[IPC_SHM_NAME_MAX + 2];
  int fd;
  snprintf(posix_name, sizeof(posix_name), "/%s", name);
  fd = shm_open(posix_name, O_RDONLY, 0);
  if (fd < 0)
    return 0;
  close(fd);
  return 1;
}

/* Mappings of shared-memory objects, memfds and test files. */
static long count_mappings(void) {
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[4096];
  long n = 0;
  if (maps == NULL)
    return -1;
  while (fgets(line, sizeof(line), maps) != NULL) {
    if (strstr(line, "/dev/shm/") != NULL || strstr(line, "memfd:ipc_shm") != NULL ||
        strstr(line, "ipcshm-test-") != NULL)
      n++;
  }
  fclose(maps);
  return n;
}

test_resources_t test_resources(void) {
  test_resources_t r;
  long fd, limit = sysconf(_SC_OPEN_MAX);
  int saved = errno;
  if (limit < 0 || limit > 65536)
    limit = 65536;
  r.handles = 0;
  for (fd = 0; fd < limit; fd++)
    if (fcntl((int)fd, F_GETFD) >= 0)
      r.handles++;
  r.mappings = count_mappings();
  errno = saved;
  return r;
}

static test_proc_t *start(const char *program, const char *const *argv, int merged);

test_proc_t *test_proc_start(const char *program, const char *const *argv) {
  return start(program, argv, 0);
}

test_proc_t *test_proc_start_merged(const char *program, const char *const *argv) {
  return start(program, argv, 1);
}

static test_proc_t *start(const char *program, const char *const *argv, int merged) {
  test_proc_t *proc = calloc(1, sizeof(*proc));
  posix_spawn_file_actions_t actions;
  char path[1200];
  char *args[32]; /* posix_spawn's argv is not const */
  int to_child[2], from_child[2];
  size_t i;
  int rc;

  ck_assert_ptr_nonnull(proc);
  if (program[0] == '/')
    snprintf(path, sizeof(path), "%s", program);
  else
    snprintf(path, sizeof(path), "%s/%s", test_bin_dir, program);
  args[0] = path;
  for (i = 0; argv[i] != NULL && i < 30; i++)
    args[i + 1] = (char *)(uintptr_t)argv[i];
  args[i + 1] = NULL;
  ck_assert_int_eq(pipe(to_child), 0);
  ck_assert_int_eq(pipe(from_child), 0);
  /* Our ends must not leak into the child (nor into its siblings). */
  fcntl(to_child[1], F_SETFD, FD_CLOEXEC);
  fcntl(from_child[0], F_SETFD, FD_CLOEXEC);
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
  if (merged)
    posix_spawn_file_actions_adddup2(&actions, from_child[1], 2);
  posix_spawn_file_actions_addclose(&actions, to_child[0]);
  posix_spawn_file_actions_addclose(&actions, from_child[1]);
  rc = posix_spawn(&proc->pid, path, &actions, NULL, args, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(to_child[0]);
  close(from_child[1]);
  ck_assert_msg(rc == 0, "posix_spawn %s: %s", path, strerror(rc));
  proc->in = to_child[1];
  proc->out = from_child[0];
  return proc;
}

void test_proc_write(test_proc_t *proc, const void *data, size_t size) {
  const char *p = data;
  while (size > 0) {
    ssize_t n = write(proc->in, p, size);
    ck_assert_msg(n > 0, "write to child: %s", strerror(errno));
    p += n;
    size -= (size_t)n;
  }
}

void test_proc_close_stdin(test_proc_t *proc) {
  if (proc->in >= 0)
    close(proc->in);
  proc->in = -1;
}

int test_proc_read_line(test_proc_t *proc, char *line, size_t size) {
  size_t n = 0;
  char c;
  for (;;) {
    ssize_t got = read(proc->out, &c, 1);
    if (got <= 0) {
      line[n] = '\0';
      return n > 0 ? 0 : -1;
    }
    if (c == '\n')
      break;
    if (n + 1 < size)
      line[n++] = c;
  }
  if (n > 0 && line[n - 1] == '\r')
    n--;
  line[n] = '\0';
  return 0;
}

size_t test_proc_read_all(test_proc_t *proc, char *buffer, size_t size) {
  size_t n = 0;
  for (;;) {
    ssize_t got;
    char sink[256];
    if (n < size)
      got = read(proc->out, buffer + n, size - n);
    else
      got = read(proc->out, sink, sizeof(sink)); /* drain what does not fit */
    if (got <= 0)
      return n;
    if (n < size)
      n += (size_t)got;
  }
}

unsigned long test_proc_pid(const test_proc_t *proc) { return (unsigned long)proc->pid; }

unsigned long test_own_pid(void) { return (unsigned long)getpid(); }

int test_is_root(void) { return geteuid() == 0; }

void test_proc_kill(test_proc_t *proc) {
  siginfo_t info;
  ck_assert_int_eq(kill(proc->pid, SIGKILL), 0);
  /* Dead, but not reaped: test_proc_wait does that. */
  while (waitid(P_PID, (id_t)proc->pid, &info, WEXITED | WNOWAIT) != 0)
    ck_assert_int_eq(errno, EINTR);
}

void test_proc_pause(test_proc_t *proc, int paused) {
  ck_assert_int_eq(kill(proc->pid, paused ? SIGSTOP : SIGCONT), 0);
  if (paused) {
    siginfo_t info;
    /* Stopped for sure before the caller goes on. */
    while (waitid(P_PID, (id_t)proc->pid, &info, WSTOPPED | WNOWAIT) != 0)
      ck_assert_int_eq(errno, EINTR);
  }
}

int test_is_inheritable(ipc_shm_native_t native) {
  int flags = fcntl(native, F_GETFD);
  return flags < 0 || (flags & FD_CLOEXEC) == 0; /* no answer counts as yes */
}

int test_owner_rights_honoured(void) { return 1; }

double test_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

unsigned test_umask(unsigned mask) { return (unsigned)umask((mode_t)mask); }

int test_mode_of(ipc_shm_native_t native) {
  struct stat st;
  ck_assert_int_eq(fstat(native, &st), 0);
  return (int)(st.st_mode & 07777);
}

struct test_thread {
  pthread_t thread;
  int (*fn)(void *arg);
  void *arg;
  int result;
};

static void *thread_main(void *arg) {
  test_thread_t *t = (test_thread_t *)arg;
  t->result = t->fn(t->arg);
  return NULL;
}

test_thread_t *test_thread_start(int (*fn)(void *arg), void *arg) {
  test_thread_t *t = (test_thread_t *)calloc(1, sizeof(*t));
  ck_assert_ptr_nonnull(t);
  t->fn = fn;
  t->arg = arg;
  ck_assert_int_eq(pthread_create(&t->thread, NULL, thread_main, t), 0);
  return t;
}

int test_thread_join(test_thread_t *t) {
  int result;
  ck_assert_int_eq(pthread_join(t->thread, NULL), 0);
  result = t->result;
  free(t);
  return result;
}

void test_pin_to_one_cpu(int on) {
#if defined(__linux__)
  static cpu_set_t all;
  static int saved;
  cpu_set_t one;
  if (!saved) {
    ck_assert_int_eq(sched_getaffinity(0, sizeof(all), &all), 0);
    saved = 1;
  }
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  ck_assert_int_eq(sched_setaffinity(0, sizeof(one), on ? &one : &all), 0);
#else
  (void)on;
  ck_abort_msg("no CPU affinity on this system");
#endif
}

const char *const *test_liveness_calls(void) {
#if TEST_LINUX
  static const char *const calls[] = {"fcntl_lock", NULL};
#else
  static const char *const calls[] = {"kill", "waitid", NULL};
#endif
  return calls;
}

long test_shm_dir_count(const char *prefix) {
  DIR *dir = opendir("/dev/shm");
  struct dirent *entry;
  long n = 0;
  if (dir == NULL)
    return -1;
  while ((entry = readdir(dir)) != NULL)
    if (strncmp(entry->d_name, prefix, strlen(prefix)) == 0)
      n++;
  closedir(dir);
  return n;
}

void test_remove_passing_names(void) {
  char prefix[32], name[300];
  DIR *dir = opendir("/dev/shm");
  struct dirent *entry;
  if (dir == NULL)
    return;
  snprintf(prefix, sizeof(prefix), "ipc_shm.%ld.", (long)getpid());
  while ((entry = readdir(dir)) != NULL)
    if (strncmp(entry->d_name, prefix, strlen(prefix)) == 0) {
      snprintf(name, sizeof(name), "/%s", entry->d_name);
      (void)shm_unlink(name);
    }
  closedir(dir);
}

int test_proc_wait(test_proc_t *proc) {
  int status = 0;
  test_proc_close_stdin(proc);
  close(proc->out);
  while (waitpid(proc->pid, &status, 0) < 0 && errno == EINTR) {
  }
  free(proc);
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

const char *test_raw_write_refused(ipc_shm_native_t native) {
  long page = sysconf(_SC_PAGESIZE);
  void *view = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, native, 0);
  if (view != MAP_FAILED) {
    munmap(view, (size_t)page);
    return "POSSIBLE";
  }
  view = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, native, 0);
  if (view == MAP_FAILED)
    return "UNREADABLE"; /* not even readable: something else is wrong */
  if (mprotect(view, (size_t)page, PROT_READ | PROT_WRITE) == 0) {
    munmap(view, (size_t)page);
    return "POSSIBLE";
  }
  munmap(view, (size_t)page);
  return "refused";
}

int test_raw_reaches(unsigned long long value, const char *marker) {
  long page = sysconf(_SC_PAGESIZE);
  int reached = 0;
  void *view = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, (int)value, 0);
  if (view != MAP_FAILED) {
    reached = memcmp(view, marker, strlen(marker)) == 0;
    munmap(view, (size_t)page);
  }
  return reached;
}

void test_set_inheritable(ipc_shm_native_t fd, int on) {
  int flags = fcntl(fd, F_GETFD);
  ck_assert_int_ge(flags, 0);
  ck_assert_int_eq(fcntl(fd, F_SETFD, on ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC), 0);
}

unsigned long long test_native_value(ipc_shm_native_t native) {
  return (unsigned long long)native;
}

void test_set_env(const char *name, const char *value) {
  if (value == NULL)
    ck_assert_int_eq(unsetenv(name), 0);
  else
    ck_assert_int_eq(setenv(name, value, 1), 0);
}

void test_allow_pullers(void) {
#if defined(__linux__) && defined(PR_SET_PTRACER)
  /* Without Yama there is nothing to allow, and prctl says so. */
  (void)prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
#endif
}

int test_raw_connect(const char *name) {
  struct sockaddr_un address;
  socklen_t length;
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 0);
  memset(&address, 0, sizeof(address));
  address.sun_family = AF_UNIX;
#if TEST_LINUX
  snprintf(address.sun_path + 1, sizeof(address.sun_path) - 1, "ipcshm.%s", name);
  length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                       strlen(address.sun_path + 1));
#else
  snprintf(address.sun_path, sizeof(address.sun_path), "/tmp/ipcshm.%lu.%s",
           (unsigned long)geteuid(), name);
  length = (socklen_t)sizeof(address);
#endif
  ck_assert_int_eq(connect(fd, (struct sockaddr *)&address, length), 0);
  return fd;
}

void test_raw_connect_send(const char *name, const void *bytes, size_t size) {
  int fd = test_raw_connect(name);
  ck_assert_int_eq(write(fd, bytes, size), (ssize_t)size);
  close(fd);
}

void test_sleep_ms(int ms) {
  struct timespec pause;
  pause.tv_sec = ms / 1000;
  pause.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&pause, &pause) != 0) {
  }
}

double test_cpu_seconds(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
         (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}
