# SPDX-License-Identifier: MIT
# Cross-compile for 32-bit Windows with MinGW-w64 (Debian: mingw-w64). The
# programs cannot run on a 64-bit-only Linux kernel: this build shows the
# 32-bit size arithmetic to the compiler; GitHub's Windows runners run it.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86)

set(IPC_SHM_MINGW_TRIPLE i686-w64-mingw32)
set(CMAKE_C_COMPILER ${IPC_SHM_MINGW_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${IPC_SHM_MINGW_TRIPLE}-g++)
set(CMAKE_RC_COMPILER ${IPC_SHM_MINGW_TRIPLE}-windres)

include(${CMAKE_CURRENT_LIST_DIR}/mingw-roots.cmake)
