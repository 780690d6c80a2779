# SPDX-License-Identifier: MIT
# Cross-compile for aarch64 macOS with zig cc (compile and link only).
set(IPC_SHM_MACOS_ARCH aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/macos-zig.cmake)
