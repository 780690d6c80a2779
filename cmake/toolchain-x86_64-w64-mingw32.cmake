# SPDX-License-Identifier: MIT
# Cross-compile for 64-bit Windows with MinGW-w64 (Debian: mingw-w64).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(IPC_SHM_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${IPC_SHM_MINGW_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${IPC_SHM_MINGW_TRIPLE}-g++)
set(CMAKE_RC_COMPILER ${IPC_SHM_MINGW_TRIPLE}-windres)

include(${CMAKE_CURRENT_LIST_DIR}/mingw-roots.cmake)

# Run the Windows programs (tests, the demo) under Wine when it is there.
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  find_program(IPC_SHM_WINE NAMES wine64 wine
               PATHS /usr/lib/wine /usr/bin NO_CMAKE_FIND_ROOT_PATH)
  if(IPC_SHM_WINE)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${IPC_SHM_WINE})
  endif()
endif()
