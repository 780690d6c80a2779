# SPDX-License-Identifier: MIT
# Cross-compile for 64-bit Windows with clang over the MinGW-w64 headers and
# libraries: a second compiler for the Windows backend.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(IPC_SHM_MINGW_TRIPLE x86_64-w64-mingw32)
find_program(IPC_SHM_CLANG NAMES clang clang-14 REQUIRED)
set(CMAKE_C_COMPILER ${IPC_SHM_CLANG})
set(CMAKE_C_COMPILER_TARGET ${IPC_SHM_MINGW_TRIPLE})
set(CMAKE_RC_COMPILER ${IPC_SHM_MINGW_TRIPLE}-windres)
set(CMAKE_SYSROOT /usr/${IPC_SHM_MINGW_TRIPLE})
# The compiler's own libraries (libgcc) for the target.
file(GLOB IPC_SHM_MINGW_GCC_DIRS LIST_DIRECTORIES true
     /usr/lib/gcc/${IPC_SHM_MINGW_TRIPLE}/*-win32)
list(GET IPC_SHM_MINGW_GCC_DIRS 0 IPC_SHM_MINGW_GCC_DIR)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-L${IPC_SHM_MINGW_GCC_DIR}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-L${IPC_SHM_MINGW_GCC_DIR}")

include(${CMAKE_CURRENT_LIST_DIR}/mingw-roots.cmake)
