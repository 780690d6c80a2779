/* SPDX-License-Identifier: MIT */
/* POSIX backend of handles and their copies: descriptors with exactly the
 * access asked for, their checks on receipt, and pidfd_getfd. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* O_PATH */
#endif

#include "posix_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned long ipc_shm__os_self_pid(void) { return (unsigned long)getpid(); }

int ipc_shm__os_environment(const char *name, char **value) {
  const char *found = getenv(name);
  size_t size;
  if (found == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_FOUND);
  size = strlen(found) + 1;
  *value = (char *)malloc(size);
  if (*value == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  memcpy(*value, found, size);
  return 0;
}

/* 1 if both descriptors are the same object. */
static int same_object(int a, int b, int *err) {
  struct stat sa, sb;
  if (SYS.fstat(a, &sa) != 0 || SYS.fstat(b, &sb) != 0) {
    *err = ipc_shm__fail(errno, "fstat");
    return 0;
  }
  *err = 0;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* A new descriptor of the same object opened O_RDONLY: a read-only
 * descriptor cannot be mapped writable, unlike a dup() of a writable one. */
static int reopen_readonly(const struct ipc_shm *shm, int *out) {
  int fd, err;
#if IPC_SHM__LINUX
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", shm->handle);
  fd = SYS.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    return ipc_shm__fail(errno, "open");
#else
  /* No /proc: an anonymous object this process created kept a read-only
   * twin; a named one is reopened by its name. */
  ipc_shm__posix_name_t posix_name;
  if (shm->os.readonly_twin >= 0) {
    *out = SYS.fcntl(shm->os.readonly_twin, F_DUPFD_CLOEXEC, 3);
    return *out >= 0 ? 0 : ipc_shm__fail(errno, "fcntl");
  }
  if (shm->backing != IPC_SHM__BACKING_NAMED)
    return ipc_shm__fail_arg(IPC_SHM_E_NOT_SUPPORTED);
  ipc_shm__posix_name(posix_name, shm->name);
  fd = SYS.shm_open(posix_name, O_RDONLY | (IPC_SHM__SHM_NAMES_ARE_FILES ? O_NONBLOCK : 0), 0);
  if (fd < 0)
    return ipc_shm__fail(errno, "shm_open");
  err = ipc_shm__set_cloexec(fd, 1);
  if (err != 0) {
    ipc_shm__os_close_quietly(fd);
    return err;
  }
#endif
  /* The name may have been removed and reused meanwhile: that is no copy
   * of this segment. */
  if (!same_object(fd, shm->handle, &err)) {
    ipc_shm__os_close_quietly(fd);
    return err != 0 ? err : ipc_shm__fail_arg(IPC_SHM_E_NOT_FOUND);
  }
  *out = fd;
  return 0;
}

/* A close-on-exec copy of the segment's descriptor with the given access. */
static int copy_descriptor(const struct ipc_shm *shm, int writable, int *out) {
  int status;
  if (!writable) {
    /* A sealed segment is read-only but its descriptor is still O_RDWR. */
    status = SYS.fcntl(shm->handle, F_GETFL, 0);
    if (status < 0)
      return ipc_shm__fail(errno, "fcntl");
    if ((status & O_ACCMODE) != O_RDONLY)
      return reopen_readonly(shm, out);
  }
  *out = SYS.fcntl(shm->handle, F_DUPFD_CLOEXEC, 3);
  return *out >= 0 ? 0 : ipc_shm__fail(errno, "fcntl");
}

int ipc_shm__os_copy(const struct ipc_shm *shm, int writable, int inheritable,
                     ipc_shm_native_t *copy, ipc_shm__token_t *token) {
  struct stat st;
  int fd = -1;
  int err = copy_descriptor(shm, writable, &fd);
  if (err == 0 && SYS.fstat(fd, &st) != 0)
    err = ipc_shm__fail(errno, "fstat");
  if (err == 0 && inheritable)
    err = ipc_shm__set_cloexec(fd, 0);
  if (err != 0) {
    if (fd >= 0)
      ipc_shm__os_close_quietly(fd);
    return err;
  }
  token->writable = writable;
  token->size = shm->size;
  token->handle = (uint64_t)fd;
  token->has_check = 1;
  token->check[0] = (uint64_t)st.st_dev;
  token->check[1] = (uint64_t)st.st_ino;
  *copy = fd;
  return 0;
}

int ipc_shm__os_close_handle(ipc_shm_native_t handle) {
  if (SYS.close(handle) != 0 && errno != EINTR)
    return ipc_shm__fail(errno, "close");
  return 0;
}

int ipc_shm__os_handle_from_value(uint64_t value, ipc_shm_native_t *handle) {
  if (value > (uint64_t)INT32_MAX)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  *handle = (int)value;
  return 0;
}

uint64_t ipc_shm__os_handle_value(ipc_shm_native_t handle) {
  return (uint64_t)handle;
}

/* Is fd what the token says? 0 or BAD_TOKEN (with the native error of a
 * failing check); never changes fd. */
static int check_descriptor(int fd, const ipc_shm__token_t *token, int *descriptor_flags,
                            uint64_t *actual_size) {
  struct stat st;
  int status = SYS.fcntl(fd, F_GETFL, 0);
  if (status < 0)
    return ipc_shm__fail_as(errno, "fcntl", IPC_SHM_E_BAD_TOKEN);
  *descriptor_flags = SYS.fcntl(fd, F_GETFD, 0);
  if (*descriptor_flags < 0)
    return ipc_shm__fail_as(errno, "fcntl", IPC_SHM_E_BAD_TOKEN);
  if (SYS.fstat(fd, &st) != 0)
    return ipc_shm__fail_as(errno, "fstat", IPC_SHM_E_BAD_TOKEN);
  if (!S_ISREG(st.st_mode) && ipc_shm__check_memory_object(&st) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  if (token->has_check &&
      ((uint64_t)st.st_dev != token->check[0] || (uint64_t)st.st_ino != token->check[1]))
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
#if defined(O_PATH)
  /* O_PATH reads as O_RDONLY in O_ACCMODE but grants no access at all. */
  if ((status & O_PATH) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
#endif
  if ((status & O_ACCMODE) != (token->writable ? O_RDWR : O_RDONLY))
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  if ((uint64_t)st.st_size < token->size)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  *actual_size = (uint64_t)st.st_size;
  return 0;
}

int ipc_shm__os_adopt(struct ipc_shm *shm, ipc_shm_native_t fd,
                      const ipc_shm__token_t *token, int inherited) {
  int descriptor_flags = 0;
  uint64_t actual_size = 0;
  int err = check_descriptor(fd, token, &descriptor_flags, &actual_size);
  if (err != 0)
    return err;
  /* The state of an event or mutex is never a segment, nor one kind's
   * state another's. */
  if (token->object == IPC_SHM__OBJECT_SEGMENT &&
      ipc_shm__os_is_sync_object(fd, actual_size))
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  /* An inherited descriptor is never close-on-exec; every descriptor this
   * library owns is. This refuses a token naming one it does not own
   * either (one imported already, made close-on-exec then). */
  if (inherited && (descriptor_flags & FD_CLOEXEC) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  shm->handle = fd;
  shm->size = token->size;
  shm->writable = token->writable;
  shm->size_exact = 1;
  if (token->object != IPC_SHM__OBJECT_SEGMENT) {
    err = ipc_shm__posix_sync_attach(shm);
    if (err != 0) {
      shm->handle = -1;
      return err;
    }
  }
  if (inherited) {
    err = ipc_shm__set_cloexec(fd, 1);
    if (err != 0) {
      if (shm->os.block != NULL)
        ipc_shm__posix_sync_detach(shm);
      shm->handle = -1;
      return err;
    }
  }
  return 0;
}

int ipc_shm__os_pull(const ipc_shm__token_t *token, ipc_shm_native_t *copy) {
#if IPC_SHM__LINUX
  int pidfd, fd, err;
  if (token->handle > (uint64_t)INT32_MAX)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  pidfd = SYS.pidfd_open((pid_t)token->pid, 0);
  if (pidfd < 0)
    return ipc_shm__fail(errno, "pidfd_open");
  /* The copy is close-on-exec. */
  fd = SYS.pidfd_getfd(pidfd, (int)token->handle, 0);
  if (fd < 0) {
    /* EBADF: the owner has no such descriptor (any more). */
    err = errno == EBADF ? ipc_shm__fail_as(errno, "pidfd_getfd", IPC_SHM_E_NOT_FOUND)
                         : ipc_shm__fail(errno, "pidfd_getfd");
    ipc_shm__os_close_quietly(pidfd);
    return err;
  }
  ipc_shm__os_close_quietly(pidfd);
  *copy = fd;
  return 0;
#else
  (void)token;
  (void)copy;
  return ipc_shm__fail_arg(IPC_SHM_E_NOT_SUPPORTED);
#endif
}

int ipc_shm__os_push(const struct ipc_shm *shm, unsigned long pid, int writable,
                     ipc_shm__token_t *token) {
  (void)shm;
  (void)pid;
  (void)writable;
  (void)token;
  /* No POSIX call places a descriptor in another process. */
  return ipc_shm__fail_arg(IPC_SHM_E_NOT_SUPPORTED);
}
