# SPDX-License-Identifier: MIT
# Find the Check unit-test framework and provide the target ipc_shm_check.
#
# Check is taken as a package first: its CMake package (vcpkg's port,
# MSYS2's mingw-w64-*-check, a system that ships one), then pkg-config (the
# distributions' check packages). Only where neither has it (MinGW-w64 cross
# builds, macOS cross builds) is it built from source, at build time
# (ExternalProject), from
#   IPC_SHM_CHECK_TARBALL, a local tarball (Debian's check_0.15.2.orig.tar.gz
#     or the upstream check-0.15.2.tar.gz; scripts/install-deps.sh
#     --check-source DIR fetches one from the distribution's mirrors), or else
#   the upstream release, downloaded at build time;
# either is verified against its known hash.

set(IPC_SHM_CHECK_TARBALL "" CACHE FILEPATH
    "Source tarball of Check 0.15.2, used when no Check package is found")

set(_check_hash_debian 8451b68ac5d6f3157b24f22eceff575bcf566264f6d78f3852f89d4e08cf42e1)
set(_check_hash_upstream a8de4e0bacfb4d76dd1c618ded263523b53b85d92a146d8835eb1a52932fa20a)
set(_check_url_upstream
    https://github.com/libcheck/check/releases/download/0.15.2/check-0.15.2.tar.gz)

find_package(Threads REQUIRED)
add_library(ipc_shm_check INTERFACE)

# 1. A CMake package.
find_package(check CONFIG QUIET)
if(check_FOUND)
  if(TARGET Check::check)
    target_link_libraries(ipc_shm_check INTERFACE Check::check Threads::Threads)
  else()
    target_link_libraries(ipc_shm_check INTERFACE Check::checkShared Threads::Threads)
  endif()
  message(STATUS "Check: the CMake package in ${check_DIR}")
  return()
endif()

# 2. pkg-config, where it can describe libraries for this target.
if(NOT CMAKE_CROSSCOMPILING)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(CHECK QUIET IMPORTED_TARGET check)
  endif()
  if(CHECK_FOUND)
    target_link_libraries(ipc_shm_check INTERFACE PkgConfig::CHECK Threads::Threads)
    message(STATUS "Check: pkg-config, version ${CHECK_VERSION}")
    return()
  endif()
endif()

# 3. From source, at build time.
if(IPC_SHM_CHECK_TARBALL)
  if(NOT EXISTS "${IPC_SHM_CHECK_TARBALL}")
    message(FATAL_ERROR "IPC_SHM_CHECK_TARBALL: no file ${IPC_SHM_CHECK_TARBALL}")
  endif()
  file(SHA256 "${IPC_SHM_CHECK_TARBALL}" _check_hash)
  if(NOT _check_hash STREQUAL _check_hash_debian AND NOT _check_hash STREQUAL _check_hash_upstream)
    message(FATAL_ERROR
      "${IPC_SHM_CHECK_TARBALL} has SHA-256 ${_check_hash}, which is neither Debian's "
      "check_0.15.2.orig.tar.gz nor the upstream check-0.15.2.tar.gz")
  endif()
  set(_check_url "${IPC_SHM_CHECK_TARBALL}")
  message(STATUS "Check: no package found; built from ${IPC_SHM_CHECK_TARBALL}")
else()
  set(_check_url ${_check_url_upstream})
  set(_check_hash ${_check_hash_upstream})
  message(WARNING
    "Check (the test framework) was found neither as a CMake package nor through "
    "pkg-config. It will be downloaded from ${_check_url_upstream} when the tests are "
    "built. Offline, install it instead (Debian/Ubuntu: apt install check; vcpkg: "
    "vcpkg install check; MSYS2: pacman -S mingw-w64-ucrt-x86_64-check; macOS: brew "
    "install check), or pass -DIPC_SHM_CHECK_TARBALL=FILE (scripts/install-deps.sh "
    "--check-source DIR fetches one), or configure with -DBUILD_TESTING=OFF.")
endif()

set(_check_prefix ${CMAKE_BINARY_DIR}/_deps/check-install)
set(_check_args -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=${_check_prefix}
    -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_INCLUDEDIR=include
    -DCHECK_ENABLE_TESTS=OFF -DBUILD_TESTING=OFF -DENABLE_MEMORY_LEAKING_TESTS=OFF
    -DCHECK_ENABLE_TIMEOUT_TESTS=OFF -DHAVE_SUBUNIT=OFF)
if(CMAKE_TOOLCHAIN_FILE)
  list(APPEND _check_args -DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE})
endif()
if(CMAKE_C_COMPILER AND NOT CMAKE_TOOLCHAIN_FILE)
  list(APPEND _check_args -DCMAKE_C_COMPILER=${CMAKE_C_COMPILER})
endif()
if(CMAKE_SYSTEM_NAME STREQUAL "Darwin")
  # Building for macOS elsewhere (zig cc): macOS has no librt and no
  # timer_create, though a cross linker may accept -lrt; and Check's
  # replacement clock includes CoreServices, a framework the cross compiler
  # lacks, for nothing it uses.
  file(WRITE ${CMAKE_BINARY_DIR}/_deps/darwin-stubs/CoreServices/CoreServices.h
       "/* Empty: Check's clock_gettime.c uses nothing of it. */\n")
  list(APPEND _check_args -DHAVE_LIBRT=OFF
       "-DCMAKE_C_FLAGS=-I${CMAKE_BINARY_DIR}/_deps/darwin-stubs")
endif()

include(ExternalProject)
set(_check_library
    ${_check_prefix}/lib/${CMAKE_STATIC_LIBRARY_PREFIX}check${CMAKE_STATIC_LIBRARY_SUFFIX})
ExternalProject_Add(ipc_shm_check_source
  URL ${_check_url}
  URL_HASH SHA256=${_check_hash}
  DOWNLOAD_EXTRACT_TIMESTAMP ON
  PREFIX ${CMAKE_BINARY_DIR}/_deps/check
  # The tarball carries generated headers that would shadow the ones its own
  # configure step writes.
  PATCH_COMMAND ${CMAKE_COMMAND} -E remove -f <SOURCE_DIR>/src/check.h <SOURCE_DIR>/check_stdint.h
  CMAKE_ARGS ${_check_args}
  BUILD_BYPRODUCTS ${_check_library}
  LOG_CONFIGURE ON LOG_BUILD ON LOG_INSTALL ON LOG_OUTPUT_ON_FAILURE ON)
file(MAKE_DIRECTORY ${_check_prefix}/include)
add_library(ipc_shm_check_library STATIC IMPORTED GLOBAL)
set_target_properties(ipc_shm_check_library PROPERTIES
  IMPORTED_LOCATION ${_check_library}
  INTERFACE_INCLUDE_DIRECTORIES ${_check_prefix}/include)
add_dependencies(ipc_shm_check_library ipc_shm_check_source)
target_link_libraries(ipc_shm_check INTERFACE ipc_shm_check_library Threads::Threads)
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  target_link_libraries(ipc_shm_check INTERFACE m rt)
endif()
