/* Helpers shared by the files of the POSIX backend. */
#ifndef IPC_SHM_POSIX_INTERNAL_H
#define IPC_SHM_POSIX_INTERNAL_H

#include "../common/shm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

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
