/* SPDX-License-Identifier: MIT */
/* The POSIX backend's one table from errno values to portable codes. */
#include "posix_internal.h"

#include <errno.h>

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
  case EEXIST:
  case EADDRINUSE:
    return IPC_SHM_E_EXISTS;
  case EPIPE:
  case ECONNRESET:
    return IPC_SHM_E_DISCONNECTED;
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
  case EISDIR: /* a directory where a segment or file was expected */
  case ENXIO:  /* a FIFO or socket file */
  case ELOOP:  /* a symbolic link, refused by O_NOFOLLOW */
    return IPC_SHM_E_WRONG_KIND;
  default:
    return IPC_SHM_E_SYSTEM;
  }
}
