/* POSIX backend: shm_open, memfd_create, mmap over shared-memory objects and
 * files. Argument checks happen in src/common/shm.c. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* memfd_create, MFD_CLOEXEC */
#endif

#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PERMS 0600u

/* "/" + name + NUL */
typedef char posix_name_t[IPC_SHM_NAME_MAX + 2];

static void to_posix_name(posix_name_t out, const char *name) {
  out[0] = '/';
  memcpy(out + 1, name, strlen(name) + 1);
}

static mode_t perms_of(unsigned flags) {
  unsigned perms = (flags >> 16) & 0777u;
  return (mode_t)(perms != 0 ? perms : DEFAULT_PERMS);
}

int ipc_shm__translate(long native) {
  switch (native) {
  case 0:
    return 0;
  case EINVAL:
    return IPC_SHM_E_INVAL;
  case ENAMETOOLONG:
    return IPC_SHM_E_NAME_TOO_LONG;
  case EFBIG:
  case EOVERFLOW:
    return IPC_SHM_E_SIZE_TOO_BIG;
  case EACCES:
  case EPERM:
  case EROFS:
    return IPC_SHM_E_PERM;
  case ENOENT:
  case ESRCH:        /* no such process */
  case ECONNREFUSED: /* nobody listens */
    return IPC_SHM_E_NOT_FOUND;
  case EADDRINUSE:
    return IPC_SHM_E_EXISTS;
  case EPIPE:
  case ECONNRESET:
    return IPC_SHM_E_DISCONNECTED;
  case EEXIST:
    return IPC_SHM_E_EXISTS;
  case ENOSPC:
#if defined(EDQUOT)
  case EDQUOT:
#endif
    return IPC_SHM_E_NO_SPACE;
  case ENOMEM:
    return IPC_SHM_E_NO_MEMORY;
  case EMFILE:
  case ENFILE:
    return IPC_SHM_E_TOO_MANY;
  case ENOSYS:
#if defined(ENOTSUP)
  case ENOTSUP:
#endif
#if defined(EOPNOTSUPP) && (!defined(ENOTSUP) || EOPNOTSUPP != ENOTSUP)
  case EOPNOTSUPP:
#endif
    return IPC_SHM_E_NOT_SUPPORTED;
  case EIO:
    return IPC_SHM_E_IO;
  default:
    return IPC_SHM_E_SYSTEM;
  }
}

/* Reserve the whole size now, so that a size the system cannot back fails
 * here with ENOSPC rather than as SIGBUS when a page is first touched.
 * Returns 0 or an errno value. */
#if defined(__linux__) /* also with IPC_SHM_GENERIC_POSIX: no other path */
static int reserve_backing(int fd, uint64_t size) {
  int rc = posix_fallocate(fd, 0, (off_t)size);
  /* File systems without fallocate keep the plain ftruncate behaviour. */
  return rc == EOPNOTSUPP || rc == ENOSYS ? 0 : rc;
}
#else
static int reserve_backing(int fd, uint64_t size) {
  (void)fd;
  (void)size;
  return 0;
}
#endif

/* Give a fresh object its size and backing. Returns 0 or a portable code. */
static int size_new_object(int fd, uint64_t size) {
  int rc;
  if (ftruncate(fd, (off_t)size) != 0)
    return ipc_shm__fail(errno, "ftruncate");
  rc = reserve_backing(fd, size);
  if (rc != 0)
    return ipc_shm__fail(rc, "posix_fallocate");
  return 0;
}


int ipc_shm__os_create(struct ipc_shm *shm, const char *name, uint64_t size,
                       unsigned flags) {
  posix_name_t posix_name;
  int fd, err;
  to_posix_name(posix_name, name);
  fd = shm_open(posix_name, O_RDWR | O_CREAT | O_EXCL, perms_of(flags));
  if (fd < 0)
    return ipc_shm__fail(errno, "shm_open");
  /* The umask must not narrow or widen what the caller asked for. */
  err = fchmod(fd, perms_of(flags)) != 0 ? ipc_shm__fail(errno, "fchmod") : 0;
  if (err == 0)
    err = ipc_shm__set_cloexec(fd, 1);
  if (err == 0)
    err = size_new_object(fd, size);
  if (err != 0) {
    /* We created the name, so it is ours to take back. */
    (void)shm_unlink(posix_name);
    ipc_shm__close_quietly(fd);
    return err;
  }
  shm->handle = fd;
  shm->size = size;
  shm->writable = 1;
  shm->size_exact = 1;
  return 0;
}

static int fill_from_fstat(struct ipc_shm *shm, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return ipc_shm__fail(errno, "fstat");
  shm->size = (uint64_t)st.st_size;
  shm->size_exact = 1;
  return 0;
}

int ipc_shm__os_open(struct ipc_shm *shm, const char *name, unsigned flags) {
  posix_name_t posix_name;
  int writable = (flags & IPC_SHM_READONLY) == 0;
  int fd, err;
  to_posix_name(posix_name, name);
  fd = shm_open(posix_name, writable ? O_RDWR : O_RDONLY, 0);
  if (fd < 0)
    return ipc_shm__fail(errno, "shm_open");
  err = ipc_shm__set_cloexec(fd, 1);
  if (err == 0)
    err = fill_from_fstat(shm, fd);
  if (err != 0) {
    ipc_shm__close_quietly(fd);
    return err;
  }
  shm->handle = fd;
  shm->writable = writable;
  return 0;
}

#if IPC_SHM__LINUX
static int anonymous_object(int *fd, int *readonly_twin) {
  /* Sealing is allowed so that a read-only copy can be made unwritable.
   * Read-only copies come from /proc/self/fd: no twin needed. */
  *readonly_twin = -1;
  *fd = memfd_create("ipc_shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  return *fd >= 0 ? 0 : ipc_shm__fail(errno, "memfd_create");
}
#else
/* No memfd: a shm_open object with a unique name, unlinked at once. A
 * read-only descriptor is opened first, since nothing can reopen the object
 * once its name is gone. */
static int anonymous_object(int *fd, int *readonly_twin) {
  static unsigned counter;
  posix_name_t posix_name;
  int attempt, err;
  *fd = *readonly_twin = -1;
  for (attempt = 0; attempt < 64; attempt++) {
    snprintf(posix_name, sizeof(posix_name), "/ipc_shm.%ld.%u", (long)getpid(),
             counter++);
    *fd = shm_open(posix_name, O_RDWR | O_CREAT | O_EXCL, DEFAULT_PERMS);
    if (*fd >= 0 || errno != EEXIST)
      break;
  }
  if (*fd < 0)
    return ipc_shm__fail(errno, "shm_open");
  *readonly_twin = shm_open(posix_name, O_RDONLY, 0);
  err = *readonly_twin >= 0 ? 0 : ipc_shm__fail(errno, "shm_open");
  (void)shm_unlink(posix_name);
  if (err == 0)
    err = ipc_shm__set_cloexec(*fd, 1);
  if (err == 0)
    err = ipc_shm__set_cloexec(*readonly_twin, 1);
  if (err != 0) {
    ipc_shm__close_quietly(*fd);
    if (*readonly_twin >= 0)
      ipc_shm__close_quietly(*readonly_twin);
    *fd = *readonly_twin = -1;
  }
  return err;
}
#endif

int ipc_shm__os_create_anonymous(struct ipc_shm *shm, uint64_t size) {
  int fd = -1, readonly_twin = -1;
  int err = anonymous_object(&fd, &readonly_twin);
  if (err != 0)
    return err;
  err = size_new_object(fd, size);
  if (err != 0) {
    ipc_shm__close_quietly(fd);
    if (readonly_twin >= 0)
      ipc_shm__close_quietly(readonly_twin);
    return err;
  }
  shm->handle = fd;
  shm->readonly_twin = readonly_twin;
  shm->size = size;
  shm->writable = 1;
  shm->size_exact = 1;
  return 0;
}

/* Open the file; with FILE_CREATE create it if missing, with exactly the
 * requested permissions, and say whether this call created it. */
static int open_file(const char *path, unsigned flags, int *fd, int *created) {
  int oflags = ((flags & IPC_SHM_READONLY) ? O_RDONLY : O_RDWR) | O_CLOEXEC;
  *created = 0;
  if (flags & IPC_SHM_FILE_CREATE) {
    *fd = open(path, oflags | O_CREAT | O_EXCL, perms_of(flags));
    if (*fd >= 0) {
      *created = 1;
      if (fchmod(*fd, perms_of(flags)) != 0) {
        int err = ipc_shm__fail(errno, "fchmod");
        ipc_shm__close_quietly(*fd);
        (void)unlink(path);
        return err;
      }
      return 0;
    }
    if (errno != EEXIST)
      return ipc_shm__fail(errno, "open");
  }
  *fd = open(path, oflags);
  return *fd >= 0 ? 0 : ipc_shm__fail(errno, "open");
}

int ipc_shm__os_open_file(struct ipc_shm *shm, const char *path,
                          uint64_t requested, unsigned flags) {
  int writable = (flags & IPC_SHM_READONLY) == 0;
  struct stat st;
  uint64_t size = 0;
  int fd = -1, created = 0;
  int err = open_file(path, flags, &fd, &created);

  if (err != 0)
    return err;
  if (fstat(fd, &st) != 0)
    err = ipc_shm__fail(errno, "fstat");
  else if (!S_ISREG(st.st_mode))
    err = ipc_shm__fail(EINVAL, "fstat");
  else
    err = ipc_shm__file_map_size(requested, (uint64_t)st.st_size, writable,
                                 &size);
  if (err == 0 && size > (uint64_t)st.st_size &&
      ftruncate(fd, (off_t)size) != 0)
    err = ipc_shm__fail(errno, "ftruncate");
  if (err != 0) {
    ipc_shm__close_quietly(fd);
    if (created)
      (void)unlink(path);
    return err;
  }
  shm->handle = fd;
  shm->size = size;
  shm->writable = writable;
  shm->size_exact = 1;
  return 0;
}

int ipc_shm__os_close(struct ipc_shm *shm) {
  if (shm->readonly_twin >= 0)
    (void)close(shm->readonly_twin);
  if (close(shm->handle) != 0 && errno != EINTR)
    return ipc_shm__fail(errno, "close");
  return 0;
}

int ipc_shm__os_seal(struct ipc_shm *shm) {
#if IPC_SHM__LINUX && defined(F_ADD_SEALS) && defined(F_SEAL_FUTURE_WRITE)
  if (fcntl(shm->handle, F_ADD_SEALS,
            F_SEAL_FUTURE_WRITE | F_SEAL_GROW | F_SEAL_SHRINK) != 0) {
    int err = ipc_shm__fail(errno, "fcntl");
    /* Only a memfd made to allow sealing takes seals: other shared-memory
     * objects say EPERM, other files EINVAL. The native error stays. */
    return errno == EPERM || errno == EINVAL ? IPC_SHM_E_NOT_SUPPORTED : err;
  }
  return 0;
#else
  (void)shm;
  return ipc_shm__fail(ENOTSUP, "ipc_shm_seal");
#endif
}

int ipc_shm__os_remove(const char *name, unsigned flags) {
  posix_name_t posix_name;
  (void)flags; /* one namespace: IPC_SHM_GLOBAL changes nothing */
  to_posix_name(posix_name, name);
  if (shm_unlink(posix_name) != 0)
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
  base = mmap(NULL, length, prot, share, shm->handle, (off_t)offset);
  if (base == MAP_FAILED)
    return ipc_shm__fail(errno, "mmap");
  view->base = base;
  return 0;
}

int ipc_shm__os_unmap(struct ipc_shm_view *view) {
  if (munmap(view->base, view->mapped) != 0)
    return ipc_shm__fail(errno, "munmap");
  return 0;
}

int ipc_shm__os_flush(struct ipc_shm_view *view, void *addr, size_t length) {
  /* msync wants a page-aligned start; the view's base is one. */
  size_t page = ipc_shm__os_granularity();
  size_t from = (size_t)((unsigned char *)addr - (unsigned char *)view->base);
  size_t start = from - from % page;
  if (msync((unsigned char *)view->base + start, length + (from - start),
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
