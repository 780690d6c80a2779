# SPDX-License-Identifier: MIT
# Included by the MinGW-w64 toolchain files once IPC_SHM_MINGW_TRIPLE is set:
# where the target's headers and libraries are found.

# Added to, not replaced: a consumer's own roots (an install prefix of
# ipcshm, say) stay searchable, as does CMAKE_PREFIX_PATH (packages BOTH).
list(APPEND CMAKE_FIND_ROOT_PATH /usr/${IPC_SHM_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
