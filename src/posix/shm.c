/* SPDX-License-Identifier: MIT */
/* POSIX backend of segments and views: shm_open, memfd_create, mmap over
 * shared-memory objects and files. Argument checks happen in
 * src/common/shm.c. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* O_TMPFILE, memfd_create, MFD_*, F_ADD_SEALS */
#endif

#include "posix_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define DEFAULT_PERMS 0600u

/* How long an opener waits for a segment that another process is still
 * creating (it exists, but has no size yet). */
#define SIZING_WAIT_NS 2000000000L

static mode_t perms_of(unsigned flags) {
  return (mode_t)((flags & IPC_SHM__PERMS_GIVEN) ? IPC_SHM__PERMS_OF(flags)
                                                  : DEFAULT_PERMS);
}

/* Give a fresh object its size. The reservation comes first: on tmpfs
 * posix_fallocate sets the size only once every page is reserved, so an
 * opener racing a creator that cannot publish atomically sees the object
 * either empty or whole. Returns 0 or a portable code. */
static int size_new_object(int fd, uint64_t size, unsigned flags) {
#if defined(__linux__) /* also with IPC_SHM_GENERIC_POSIX: no other path */
  if ((flags & IPC_SHM_NORESERVE) == 0) {
    int rc = SYS.posix_fallocate(fd, 0, (off_t)size);
    /* File systems without fallocate keep the plain ftruncate behaviour:
     * the native error of such a refusal is not a failure. */
    if (rc != 0 && rc != EOPNOTSUPP && rc != ENOSYS)
      return ipc_shm__fail(rc, "posix_fallocate");
  }
#else
  (void)flags;
#endif
  if (SYS.ftruncate(fd, (off_t)size) != 0)
    return ipc_shm__fail(errno, "ftruncate");
  return 0;
}

static void fill_created(struct ipc_shm *shm, int fd, uint64_t size) {
  shm->handle = fd;
  shm->size = size;
  shm->writable = 1;
  shm->size_exact = 1;
}

#if IPC_SHM__LINUX
/* Linux: make the object nameless in the shared-memory directory, size it,
 * and only then give it its name (linkat fails with EEXIST exactly as
 * O_EXCL would), so that no opener ever sees it half made. *fd stays -1
 * when this system cannot (no O_TMPFILE on the directory, no /proc). */
static int create_then_publish(const char *name, uint64_t size, unsigned flags,
                               int *fd) {
  char proc_path[64], path[sizeof(IPC_SHM__SHM_DIR) + IPC_SHM_NAME_MAX + 1];
  int err;
  *fd = SYS.open(IPC_SHM__SHM_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, perms_of(flags));
  if (*fd < 0) {
    if (errno == EOPNOTSUPP || errno == EISDIR || errno == ENOENT)
      return 0; /* the plain way, below */
    return ipc_shm__fail(errno, "open");
  }
  /* The umask must not narrow or widen what the caller asked for. */
  err = SYS.fchmod(*fd, perms_of(flags)) != 0 ? ipc_shm__fail(errno, "fchmod") : 0;
  if (err == 0)
    err = size_new_object(*fd, size, flags);
  if (err == 0) {
    snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", *fd);
    snprintf(path, sizeof(path), IPC_SHM__SHM_DIR "/%s", name);
    if (SYS.linkat(AT_FDCWD, proc_path, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0) {
      if (errno == ENOENT) { /* no /proc: the plain way, below */
        ipc_shm__os_close_quietly(*fd);
        *fd = -1;
        return 0;
      }
      err = ipc_shm__fail(errno, "linkat");
    }
  }
  if (err != 0) {
    ipc_shm__os_close_quietly(*fd);
    *fd = -1;
  }
  return err;
}
#endif

/* The portable way: O_EXCL publishes the name at once, empty; openers that
 * meet it empty wait for its size (see wait_for_size). */
static int create_exclusive(const char *name, uint64_t size, unsigned flags,
                            int *fd) {
  ipc_shm__posix_name_t posix_name;
  int err;
  ipc_shm__posix_name(posix_name, name);
  *fd = SYS.shm_open(posix_name, O_RDWR | O_CREAT | O_EXCL, perms_of(flags));
  if (*fd < 0)
    return ipc_shm__fail(errno, "shm_open");
  err = SYS.fchmod(*fd, perms_of(flags)) != 0 ? ipc_shm__fail(errno, "fchmod") : 0;
#if !defined(__GLIBC__) /* glibc's shm_open opens with O_CLOEXEC */
  if (err == 0)
    err = ipc_shm__set_cloexec(*fd, 1);
#endif
  if (err == 0)
    err = size_new_object(*fd, size, flags);
  if (err != 0) {
    /* We created the name, so it is ours to take back. */
    int saved = errno;
    (void)SYS.shm_unlink(posix_name);
    errno = saved;
    ipc_shm__os_close_quietly(*fd);
    *fd = -1;
  }
  return err;
}

int ipc_shm__os_create(struct ipc_shm *shm, const char *name, uint64_t size,
                       unsigned flags) {
  int fd = -1, err = 0;
#if IPC_SHM__LINUX
  /* Without a reservation the name is published at once and sized right
   * after, as elsewhere (openers wait for the size): as cheap as the raw
   * calls, where the nameless file and its link cost a third more. */
  if ((flags & IPC_SHM_NORESERVE) == 0)
    err = create_then_publish(name, size, flags, &fd);
  if (err == 0 && fd < 0)
    err = create_exclusive(name, size, flags, &fd);
#else
  err = create_exclusive(name, size, flags, &fd);
#endif
  if (err != 0)
    return err;
  fill_created(shm, fd, size);
  return 0;
}

/* A segment that exists but is empty is being created by a process that
 * could not publish it whole: wait (bounded) until it has its size. One
 * that stays empty is taken as it is. */
static int wait_for_size(int fd, struct stat *st) {
  long waited = 0, step = 1000000L; /* 1 ms, doubling up to 64 ms */
  while (st->st_size == 0 && waited < SIZING_WAIT_NS) {
    ipc_shm__os_sleep_ns(step);
    waited += step;
    if (step < 64000000L)
      step *= 2;
    if (SYS.fstat(fd, st) != 0)
      return ipc_shm__fail(errno, "fstat");
  }
  return 0;
}

int ipc_shm__os_open(struct ipc_shm *shm, const char *name, unsigned flags) {
  ipc_shm__posix_name_t posix_name;
  int writable = (flags & IPC_SHM_READONLY) == 0;
  int oflags = writable ? O_RDWR : O_RDONLY;
  struct stat st;
  int fd, err;
#if IPC_SHM__SHM_NAMES_ARE_FILES
  /* A FIFO planted under the name must not block us. */
  oflags |= O_NONBLOCK;
#endif
  ipc_shm__posix_name(posix_name, name);
  fd = SYS.shm_open(posix_name, oflags, 0);
  if (fd < 0) {
    /* glibc reports a directory under the name as EINVAL (the name itself
     * was checked already). */
    if (errno == EINVAL && IPC_SHM__SHM_NAMES_ARE_FILES)
      return ipc_shm__fail_as(errno, "shm_open", IPC_SHM_E_WRONG_KIND);
    return ipc_shm__fail(errno, "shm_open");
  }
  err = ipc_shm__set_cloexec(fd, 1);
  if (err == 0)
    err = SYS.fstat(fd, &st) != 0 ? ipc_shm__fail(errno, "fstat") : 0;
  if (err == 0)
    err = ipc_shm__check_memory_object(&st);
  if (err == 0)
    err = wait_for_size(fd, &st);
  if (err != 0) {
    ipc_shm__os_close_quietly(fd);
    return err;
  }
  shm->handle = fd;
  shm->size = (uint64_t)st.st_size;
  shm->size_exact = 1;
  shm->writable = writable;
  return 0;
}

#if IPC_SHM__LINUX
static int anonymous_object(int *fd, int *readonly_twin) {
  /* Sealing is allowed so that a read-only copy can be made unwritable.
   * Read-only copies come from /proc/self/fd: no twin needed. */
  *readonly_twin = -1;
  *fd = SYS.memfd_create("ipc_shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  return *fd >= 0 ? 0 : ipc_shm__fail(errno, "memfd_create");
}
#else
/* No memfd: a shm_open object with a unique name, unlinked at once. A
 * read-only descriptor is opened first, since nothing can reopen the object
 * once its name is gone. */
static int anonymous_object(int *fd, int *readonly_twin) {
  static unsigned counter;
  ipc_shm__posix_name_t posix_name;
  int attempt, err = 0;
  *fd = *readonly_twin = -1;
  for (attempt = 0; attempt < 64; attempt++) {
    snprintf(posix_name, sizeof(posix_name), "/ipc_shm.%ld.%u", (long)getpid(),
             counter++);
    *fd = SYS.shm_open(posix_name, O_RDWR | O_CREAT | O_EXCL, DEFAULT_PERMS);
    if (*fd >= 0 || errno != EEXIST)
      break;
  }
  if (*fd < 0)
    return ipc_shm__fail(errno, "shm_open");
  *readonly_twin = SYS.shm_open(posix_name, O_RDONLY, 0);
  if (*readonly_twin < 0)
    err = ipc_shm__fail(errno, "shm_open");
  /* No name may stay behind: a failure to remove it is a failure. */
  if (SYS.shm_unlink(posix_name) != 0 && err == 0)
    err = ipc_shm__fail(errno, "shm_unlink");
  if (err == 0)
    err = ipc_shm__set_cloexec(*fd, 1);
  if (err == 0)
    err = ipc_shm__set_cloexec(*readonly_twin, 1);
  if (err != 0) {
    ipc_shm__os_close_quietly(*fd);
    if (*readonly_twin >= 0)
      ipc_shm__os_close_quietly(*readonly_twin);
    *fd = *readonly_twin = -1;
  }
  return err;
}
#endif

int ipc_shm__os_create_anonymous(struct ipc_shm *shm, uint64_t size,
                                 unsigned flags) {
  int fd = -1, readonly_twin = -1;
  int err = anonymous_object(&fd, &readonly_twin);
  if (err != 0)
    return err;
  err = size_new_object(fd, size, flags);
#if IPC_SHM__LINUX && defined(F_ADD_SEALS)
  /* Nobody who is handed the object can shrink it under the feet of its
   * other users, whose next touch past the new end would be SIGBUS. */
  if (err == 0 && SYS.fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0)
    err = ipc_shm__fail(errno, "fcntl");
#endif
  if (err != 0) {
    ipc_shm__os_close_quietly(fd);
    if (readonly_twin >= 0)
      ipc_shm__os_close_quietly(readonly_twin);
    return err;
  }
  fill_created(shm, fd, size);
  shm->os.readonly_twin = readonly_twin;
  return 0;
}

/* Open the file; with FILE_CREATE create it if missing, with exactly the
 * requested permissions, and say whether this call created it. Never
 * blocks on a FIFO. */
static int open_file(const char *path, unsigned flags, int *fd, int *created) {
  int oflags = ((flags & IPC_SHM_READONLY) ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK;
  *created = 0;
  if (flags & IPC_SHM_FILE_CREATE) {
    *fd = SYS.open(path, oflags | O_CREAT | O_EXCL, perms_of(flags));
    if (*fd >= 0) {
      *created = 1;
      if (SYS.fchmod(*fd, perms_of(flags)) != 0) {
        int err = ipc_shm__fail(errno, "fchmod");
        ipc_shm__os_close_quietly(*fd);
        (void)SYS.unlink(path);
        return err;
      }
      return 0;
    }
    if (errno != EEXIST)
      return ipc_shm__fail(errno, "open");
  }
  *fd = SYS.open(path, oflags, 0);
  return *fd >= 0 ? 0 : ipc_shm__fail(errno, "open");
}

int ipc_shm__os_file_open(ipc_shm__os_file_t *file, const char *path,
                          unsigned flags) {
  struct stat st;
  int fd = -1, created = 0;
  int err = open_file(path, flags, &fd, &created);
  if (err != 0)
    return err;
  if (SYS.fstat(fd, &st) != 0)
    err = ipc_shm__fail(errno, "fstat");
  else if (!S_ISREG(st.st_mode))
    err = ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
  file->fd = fd;
  file->created = created;
  file->path = path;
  file->size = err == 0 ? (uint64_t)st.st_size : 0;
  if (err != 0)
    ipc_shm__os_file_discard(file);
  return err;
}

int ipc_shm__os_file_map(struct ipc_shm *shm, ipc_shm__os_file_t *file,
                         uint64_t size, int writable) {
  /* A descriptor maps as it is: a larger mapping needs a longer file. */
  if (size > file->size && SYS.ftruncate(file->fd, (off_t)size) != 0)
    return ipc_shm__fail(errno, "ftruncate");
  shm->handle = file->fd;
  shm->size = size;
  shm->writable = writable;
  shm->size_exact = 1;
  file->fd = -1;
  return 0;
}

void ipc_shm__os_file_discard(ipc_shm__os_file_t *file) {
  int saved = errno;
  if (file->fd >= 0)
    ipc_shm__os_close_quietly(file->fd);
  if (file->created)
    (void)SYS.unlink(file->path);
  file->fd = -1;
  file->created = 0;
  errno = saved;
}

void ipc_shm__os_object_init(struct ipc_shm *obj) {
  obj->os.readonly_twin = -1;
  obj->os.block = NULL;
  ipc_shm__posix_presence_init(&obj->os.presence);
}

void ipc_shm__os_object_handles(const struct ipc_shm *obj,
                                ipc_shm_native_t handles[IPC_SHM__OWNED_MAX - 1]) {
  size_t i;
  for (i = 0; i < IPC_SHM__OWNED_MAX - 1; i++)
    handles[i] = -1;
  handles[0] = obj->os.readonly_twin;
}

void ipc_shm__os_view_init(struct ipc_shm_view *view) { view->os.unused = 0; }

ipc_shm_native_t ipc_shm__os_view_handle(const struct ipc_shm_view *view) {
  (void)view;
  return -1;
}

int ipc_shm__os_close(struct ipc_shm *shm) {
  int err = 0;
  ipc_shm__posix_presence_drop(&shm->os.presence);
  if (shm->os.block != NULL && SYS.munmap(shm->os.block, IPC_SHM__SYNC_SIZE) != 0)
    err = ipc_shm__fail(errno, "munmap");
  if (shm->os.readonly_twin >= 0 && SYS.close(shm->os.readonly_twin) != 0 && errno != EINTR)
    err = ipc_shm__fail(errno, "close");
  /* On EINTR the descriptor is gone all the same (Linux, and POSIX 2024). */
  if (SYS.close(shm->handle) != 0 && errno != EINTR && err == 0)
    err = ipc_shm__fail(errno, "close");
  return err;
}

int ipc_shm__os_seal(struct ipc_shm *shm) {
#if IPC_SHM__LINUX && defined(F_ADD_SEALS) && defined(F_SEAL_FUTURE_WRITE)
  if (SYS.fcntl(shm->handle, F_ADD_SEALS,
                F_SEAL_FUTURE_WRITE | F_SEAL_GROW | F_SEAL_SHRINK) != 0) {
    /* Only a memfd made to allow sealing takes seals: other shared-memory
     * objects say EPERM, other files EINVAL. The native error stays. */
    if (errno == EPERM || errno == EINVAL)
      return ipc_shm__fail_as(errno, "fcntl", IPC_SHM_E_NOT_SUPPORTED);
    return ipc_shm__fail(errno, "fcntl");
  }
  return 0;
#else
  (void)shm;
  return ipc_shm__fail_arg(IPC_SHM_E_NOT_SUPPORTED);
#endif
}

int ipc_shm__os_remove(const char *name, unsigned flags) {
  ipc_shm__posix_name_t posix_name;
  (void)flags; /* one namespace: IPC_SHM_GLOBAL changes nothing */
  ipc_shm__posix_name(posix_name, name);
  if (SYS.shm_unlink(posix_name) != 0)
    return ipc_shm__fail(errno, "shm_unlink");
  return 0;
}

int ipc_shm__os_map(struct ipc_shm_view *view, const struct ipc_shm *shm,
                    uint64_t offset, size_t length) {
  int prot = PROT_READ;
  int share = MAP_SHARED;
  void *base;
  if (view->access == IPC_SHM_MAP_WRITE) {
    prot |= PROT_WRITE;
  } else if (view->access == IPC_SHM_MAP_COPY) {
    prot |= PROT_WRITE;
    share = MAP_PRIVATE;
  }
  base = SYS.mmap(NULL, length, prot, share, shm->handle, (off_t)offset);
  if (base == MAP_FAILED)
    return ipc_shm__fail(errno, "mmap");
  view->base = base;
  return 0;
}

int ipc_shm__os_unmap(struct ipc_shm_view *view) {
  if (SYS.munmap(view->base, view->mapped) != 0)
    return ipc_shm__fail(errno, "munmap");
  return 0;
}

int ipc_shm__os_flush(struct ipc_shm_view *view, void *addr, size_t length) {
  /* msync wants a page-aligned start; the view's base is one. */
  size_t page = ipc_shm__os_granularity();
  size_t from = (size_t)((unsigned char *)addr - (unsigned char *)view->base);
  size_t start = from - from % page;
  if (SYS.msync((unsigned char *)view->base + start, length + (from - start),
                MS_SYNC) != 0)
    return ipc_shm__fail(errno, "msync");
  return 0;
}

size_t ipc_shm__os_granularity(void) {
  long page = sysconf(_SC_PAGESIZE);
  return page > 0 ? (size_t)page : 4096u;
}

ipc_shm_lifetime_t ipc_shm__os_lifetime(void) {
  return IPC_SHM_LIFETIME_UNTIL_REMOVED;
}
