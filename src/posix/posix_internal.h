/* Helpers shared by the files of the POSIX backend. */
#ifndef IPC_SHM_POSIX_INTERNAL_H
#define IPC_SHM_POSIX_INTERNAL_H

#include "../common/shm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* 1 where the Linux interfaces are used: memfd_create and its seals,
 * pidfd_getfd, /proc/self/fd, abstract sockets, pipe2, accept4, close_range.
 * Building with IPC_SHM_GENERIC_POSIX takes the paths written for the other
 * POSIX systems instead, so that they are tested on Linux too. */
#if defined(__linux__) && !defined(IPC_SHM_GENERIC_POSIX)
#define IPC_SHM__LINUX 1
#else
#define IPC_SHM__LINUX 0
#endif

/* Close a descriptor on an error path without losing the recorded error. */
static inline void ipc_shm__close_quietly(int fd) {
  int saved = errno;
  (void)close(fd);
  errno = saved;
}

/* Set or clear FD_CLOEXEC. 0 or a portable code. */
static inline int ipc_shm__set_cloexec(int fd, int on) {
  int flags = fcntl(fd, F_GETFD);
  int wanted;
  if (flags < 0)
    return ipc_shm__fail(errno, "fcntl");
  wanted = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
  if (wanted != flags && fcntl(fd, F_SETFD, wanted) != 0)
    return ipc_shm__fail(errno, "fcntl");
  return 0;
}

#endif
