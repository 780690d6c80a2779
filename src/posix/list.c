/* SPDX-License-Identifier: MIT */
/* POSIX backend of listing. Linux: the regular files of /dev/shm, each
 * read with pread (never mapped: a peer may truncate it meanwhile) to tell
 * events, mutexes and channels from segments; their users from the
 * kernel's locks where the library takes them (a mutex's users, a
 * channel's roles), else from the descriptors and mappings of the
 * processes /proc shows. Other systems have no directory of shared-memory
 * objects to read. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* F_OFD_GETLK */
#endif

#include "posix_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if IPC_SHM__LINUX

#include <sys/sysmacros.h> /* makedev */

/* The objects of /dev/shm worth looking at, sorted by inode, with whether
 * a visible process holds each: processes are matched by inode, not path
 * (a segment made nameless and linked under its name later shows its first
 * path in /proc). */
typedef struct entry {
  char *name;
  ino_t inode;
  int held;
} entry_t;

typedef struct names {
  entry_t *entry;
  size_t count, room;
  dev_t device; /* /dev/shm's */
} names_t;

static void names_free(names_t *n) {
  size_t i;
  for (i = 0; i < n->count; i++)
    free(n->entry[i].name);
  free(n->entry);
}

static int names_add(names_t *n, const char *name, ino_t inode) {
  size_t length = strlen(name);
  char *copy;
  if (n->count == n->room) {
    size_t room = n->room == 0 ? 64 : 2 * n->room;
    entry_t *grown = (entry_t *)realloc(n->entry, room * sizeof(entry_t));
    if (grown == NULL)
      return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
    n->entry = grown;
    n->room = room;
  }
  copy = (char *)malloc(length + 1);
  if (copy == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  memcpy(copy, name, length + 1);
  n->entry[n->count].name = copy;
  n->entry[n->count].inode = inode;
  n->entry[n->count].held = 0;
  n->count++;
  return 0;
}

static int compare_inodes(const void *a, const void *b) {
  ino_t x = ((const entry_t *)a)->inode, y = ((const entry_t *)b)->inode;
  return x < y ? -1 : x > y;
}

/* The entries of /dev/shm that may be ours: regular files with names no
 * longer than a portable one, and none of glibc's semaphores. */
static int read_directory(names_t *n) {
  char path[sizeof(IPC_SHM__SHM_DIR) + 256];
  struct stat st;
  DIR *dir;
  struct dirent *entry;
  int err = 0;
  if (SYS.stat(IPC_SHM__SHM_DIR, &st) != 0)
    return ipc_shm__fail(errno, "stat");
  n->device = st.st_dev;
  dir = SYS.opendir(IPC_SHM__SHM_DIR);
  if (dir == NULL)
    return ipc_shm__fail(errno, "opendir");
  for (;;) {
    errno = 0;
    entry = SYS.readdir(dir);
    if (entry == NULL) {
      if (errno != 0)
        err = ipc_shm__fail(errno, "readdir");
      break;
    }
    if (entry->d_name[0] == '.' || strncmp(entry->d_name, "sem.", 4) == 0 ||
        strlen(entry->d_name) > IPC_SHM_NAME_MAX)
      continue;
    snprintf(path, sizeof(path), "%s/%s", IPC_SHM__SHM_DIR, entry->d_name);
    if (SYS.stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != n->device)
      continue; /* gone meanwhile, or no shared-memory object */
    err = names_add(n, entry->d_name, st.st_ino);
    if (err != 0)
      break;
  }
  (void)SYS.closedir(dir);
  if (err == 0 && n->count > 0)
    qsort(n->entry, n->count, sizeof(entry_t), compare_inodes);
  return err;
}

/* Mark the object of inode `inode` on `device` as held. */
static void mark(names_t *n, dev_t device, ino_t inode) {
  entry_t key, *found;
  if (device != n->device)
    return;
  key.inode = inode;
  found = (entry_t *)bsearch(&key, n->entry, n->count, sizeof(entry_t), compare_inodes);
  if (found != NULL)
    found->held = 1;
}

/* The descriptors of process `pid`; 0, or -1 if they cannot be read. */
static int scan_descriptors(names_t *n, const char *pid) {
  char path[300];
  DIR *dir;
  struct dirent *entry;
  snprintf(path, sizeof(path), "/proc/%s/fd", pid);
  dir = SYS.opendir(path);
  if (dir == NULL)
    return errno == ENOENT ? 0 : -1; /* gone meanwhile, or not ours to see */
  while ((entry = SYS.readdir(dir)) != NULL) {
    char link[600];
    struct stat st;
    if (entry->d_name[0] == '.')
      continue;
    snprintf(link, sizeof(link), "/proc/%s/fd/%s", pid, entry->d_name);
    if (SYS.stat(link, &st) == 0) /* the file the descriptor is open on */
      mark(n, st.st_dev, st.st_ino);
  }
  (void)SYS.closedir(dir);
  return 0;
}

/* One line of /proc/PID/maps: "start-end perms offset major:minor inode
 * path". */
static void mark_mapping(names_t *n, const char *line) {
  unsigned long major, minor;
  unsigned long long inode;
  if (sscanf(line, "%*s %*s %*s %lx:%lx %llu", &major, &minor, &inode) == 3 && inode != 0)
    mark(n, makedev(major, minor), (ino_t)inode);
}

/* The mappings of process `pid`; 0, or -1 if they cannot be read. */
static int scan_mappings(names_t *n, const char *pid) {
  char path[300], buffer[8192], *line, *end;
  size_t used = 0;
  int fd;
  snprintf(path, sizeof(path), "/proc/%s/maps", pid);
  fd = SYS.open(path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return errno == ENOENT ? 0 : -1;
  for (;;) {
    ssize_t got = SYS.read(fd, buffer + used, sizeof(buffer) - 1 - used);
    if (got <= 0)
      break;
    used += (size_t)got;
    buffer[used] = '\0';
    for (line = buffer; (end = strchr(line, '\n')) != NULL; line = end + 1) {
      *end = '\0';
      mark_mapping(n, line);
    }
    /* Keep a partial line for the next read; a line longer than the
     * buffer is dropped. */
    used = (size_t)(buffer + used - line);
    memmove(buffer, line, used);
    if (used == sizeof(buffer) - 1)
      used = 0;
  }
  ipc_shm__os_close_quietly(fd);
  return 0;
}

/* Mark every object a process /proc shows holds; 1 if every process could
 * be looked at. A process whose mappings may not be read (a non-dumpable
 * one, without CAP_SYS_PTRACE) is judged by its descriptors alone. */
static int scan_processes(names_t *n) {
  DIR *proc = SYS.opendir("/proc");
  struct dirent *entry;
  int complete = 1;
  if (proc == NULL)
    return 0;
  while ((entry = SYS.readdir(proc)) != NULL) {
    int descriptors, mappings;
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
      continue;
    descriptors = scan_descriptors(n, entry->d_name);
    mappings = scan_mappings(n, entry->d_name);
    if (descriptors != 0 && mappings != 0)
      complete = 0;
  }
  (void)SYS.closedir(proc);
  return complete;
}

/* 1 if a lock of another description covers [start, start + length) of
 * the file (length 0: to its end), 0 if none, -1 if that cannot be told. */
static int locked(int fd, uint64_t start, uint64_t length) {
  struct flock lock;
  memset(&lock, 0, sizeof(lock));
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = (off_t)start;
  lock.l_len = (off_t)length;
  if (SYS.fcntl_lock(fd, F_OFD_GETLK, &lock) != 0)
    return -1;
  return lock.l_type != F_UNLCK;
}

/* Look at one object: what it is, how large, and whether anybody uses it.
 * `held`: a visible process holds it; `complete`: every process could be
 * looked at. */
static void inspect(const char *name, int held, int complete, int *kind, uint64_t *size,
                    int *users) {
  char path[sizeof(IPC_SHM__SHM_DIR) + IPC_SHM_NAME_MAX + 2];
  unsigned char head[IPC_SHM__SYNC_SIZE];
  struct stat st;
  int fd, by_lock = -1;
  *kind = IPC_SHM_KIND_SEGMENT;
  *size = 0;
  *users = held ? IPC_SHM_USERS_SOME : complete ? IPC_SHM_USERS_NONE : IPC_SHM_USERS_UNKNOWN;
  snprintf(path, sizeof(path), "%s/%s", IPC_SHM__SHM_DIR, name);
  fd = SYS.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0)
    return; /* another user's, say: a segment nothing more is known of */
  if (SYS.fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ipc_shm__os_close_quietly(fd);
    return;
  }
  *size = (uint64_t)st.st_size;
  if (SYS.pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head)) {
    if (*size == IPC_SHM__SYNC_SIZE && ipc_shm__posix_sync_kind(head) != 0) {
      *kind = ipc_shm__posix_sync_kind(head);
      *size = 0;
      /* Every user of a mutex holds a lock on a byte of it. */
      if (*kind == IPC_SHM_KIND_MUTEX)
        by_lock = locked(fd, 0, 0);
    } else if (memcmp(head, IPC_SHM__CH_MAGIC_TEXT, 8) == 0 &&
               *size >= IPC_SHM_CHANNEL_HEADER) {
      *kind = IPC_SHM_KIND_CHANNEL;
      /* A side holds its role as a lock on the first byte of its peer
       * word; a process may also hold the segment without a role. */
      if (locked(fd, offsetof(ipc_shm__channel_header_t, peers),
                 sizeof(((ipc_shm__channel_header_t *)0)->peers)) == 1)
        by_lock = 1;
    } else if (memcmp(head, IPC_SHM__TP_MAGIC_TEXT, 8) == 0 &&
               *size >= IPC_SHM_TOPIC_HEADER) {
      *kind = IPC_SHM_KIND_TOPIC;
      /* Likewise on the first byte of each role's line. */
      if (locked(fd, offsetof(ipc_shm__topic_header_t, roles),
                 sizeof(((ipc_shm__topic_header_t *)0)->roles)) == 1)
        by_lock = 1;
    }
  }
  ipc_shm__os_close_quietly(fd);
  if (by_lock == 1)
    *users = IPC_SHM_USERS_SOME;
  else if (by_lock == 0 && *kind == IPC_SHM_KIND_MUTEX && !held)
    *users = IPC_SHM_USERS_NONE; /* the kernel says so, in every namespace */
}

int ipc_shm__os_list(unsigned flags, ipc_shm__list_each_t each, void *arg) {
  names_t n;
  size_t i;
  int complete, err;
  (void)flags; /* one namespace */
  memset(&n, 0, sizeof(n));
  err = read_directory(&n);
  if (err != 0) {
    names_free(&n);
    return err;
  }
  complete = scan_processes(&n);
  for (i = 0; i < n.count; i++) {
    int kind, users;
    uint64_t size;
    inspect(n.entry[i].name, n.entry[i].held, complete, &kind, &size, &users);
    if (each(n.entry[i].name, kind, size, users, arg) != 0)
      break;
  }
  names_free(&n);
  return 0;
}

#else

int ipc_shm__os_list(unsigned flags, ipc_shm__list_each_t each, void *arg) {
  (void)flags;
  (void)each;
  (void)arg;
  return ipc_shm__fail_arg(IPC_SHM_E_NOT_SUPPORTED);
}

#endif
