# SPDX-License-Identifier: MIT
# Find the Check unit-test framework and provide the target ipc_shm_check.
#
# Natively Check comes from the system (pkg-config). For Windows it is built
# from source: Check is not packaged for MinGW. The source is
#   IPC_SHM_CHECK_TARBALL, a local tarball (Debian's check_0.15.2.orig.tar.gz
#     or the upstream check-0.15.2.tar.gz), verified against the known hash of
#     either, or else
#   the upstream release, downloaded and verified against its hash.

set(IPC_SHM_CHECK_TARBALL "" CACHE FILEPATH
    "Source tarball of Check 0.15.2 for the cross build (Debian orig or upstream)")

set(_check_hash_debian 8451b68ac5d6f3157b24f22eceff575bcf566264f6d78f3852f89d4e08cf42e1)
set(_check_hash_upstream a8de4e0bacfb4d76dd1c618ded263523b53b85d92a146d8835eb1a52932fa20a)
set(_check_url_upstream
    https://github.com/libcheck/check/releases/download/0.15.2/check-0.15.2.tar.gz)

find_package(Threads REQUIRED)

function(_ipc_shm_check_from_source)
  set(deps ${CMAKE_BINARY_DIR}/_deps)
  set(prefix ${deps}/check-install)
  if(NOT EXISTS ${prefix}/lib/cmake/check/check-config.cmake)
    set(tarball ${deps}/check-0.15.2.tar.gz)
    if(IPC_SHM_CHECK_TARBALL)
      if(NOT EXISTS "${IPC_SHM_CHECK_TARBALL}")
        message(FATAL_ERROR "IPC_SHM_CHECK_TARBALL: no file ${IPC_SHM_CHECK_TARBALL}")
      endif()
      file(SHA256 "${IPC_SHM_CHECK_TARBALL}" hash)
      if(NOT hash STREQUAL _check_hash_debian AND NOT hash STREQUAL _check_hash_upstream)
        message(FATAL_ERROR
          "${IPC_SHM_CHECK_TARBALL} has SHA-256 ${hash}, which is neither Debian's "
          "check_0.15.2.orig.tar.gz nor the upstream check-0.15.2.tar.gz")
      endif()
      set(tarball "${IPC_SHM_CHECK_TARBALL}")
    else()
      message(STATUS "Downloading Check from ${_check_url_upstream}")
      file(DOWNLOAD ${_check_url_upstream} ${tarball}
           EXPECTED_HASH SHA256=${_check_hash_upstream} STATUS status)
      list(GET status 0 code)
      if(NOT code EQUAL 0)
        message(FATAL_ERROR "Check download failed (${status}); pass "
                "-DIPC_SHM_CHECK_TARBALL=... (scripts/install-deps.sh --check-source DIR fetches one)")
      endif()
    endif()

    file(REMOVE_RECURSE ${deps}/check-src ${deps}/check-build)
    file(ARCHIVE_EXTRACT INPUT ${tarball} DESTINATION ${deps}/check-src)
    file(GLOB src_dir LIST_DIRECTORIES true ${deps}/check-src/check-*)
    # The tarball carries generated headers that would shadow the ones its
    # own configure step writes.
    file(REMOVE ${src_dir}/src/check.h ${src_dir}/check_stdint.h)

    message(STATUS "Building Check for ${CMAKE_SYSTEM_NAME} in ${deps}/check-build")
    set(args -S ${src_dir} -B ${deps}/check-build
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=${prefix}
        -DCHECK_ENABLE_TESTS=OFF -DBUILD_TESTING=OFF -DENABLE_MEMORY_LEAKING_TESTS=OFF
        -DCHECK_ENABLE_TIMEOUT_TESTS=OFF)
    if(CMAKE_TOOLCHAIN_FILE)
      list(APPEND args -DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE})
    endif()
    if(CMAKE_SYSTEM_NAME STREQUAL "Darwin")
      # Building for macOS elsewhere (zig cc): macOS has no librt and no
      # timer_create, though a cross linker may accept -lrt; and Check's
      # replacement clock includes CoreServices, a framework the cross
      # compiler lacks, for nothing it uses.
      file(WRITE ${deps}/darwin-stubs/CoreServices/CoreServices.h
           "/* Empty: Check's clock_gettime.c uses nothing of it. */\n")
      list(APPEND args -DHAVE_LIBRT=OFF "-DCMAKE_C_FLAGS=-I${deps}/darwin-stubs")
    endif()
    foreach(step "${args}" "--build;${deps}/check-build;--parallel" "--install;${deps}/check-build")
      execute_process(COMMAND ${CMAKE_COMMAND} ${step}
                      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
      if(NOT rc EQUAL 0)
        message(FATAL_ERROR "Building Check failed at '${step}':\n${out}")
      endif()
    endforeach()
  endif()
  find_package(check CONFIG REQUIRED PATHS ${prefix} NO_DEFAULT_PATH
               NO_CMAKE_FIND_ROOT_PATH)
endfunction()

add_library(ipc_shm_check INTERFACE)
if(CMAKE_CROSSCOMPILING OR WIN32 AND NOT MSVC)
  _ipc_shm_check_from_source()
  # The exported target does not carry its thread dependency.
  target_link_libraries(ipc_shm_check INTERFACE Check::check Threads::Threads)
elseif(MSVC)
  find_package(check CONFIG REQUIRED) # vcpkg's port
  target_link_libraries(ipc_shm_check INTERFACE Check::check)
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(CHECK REQUIRED IMPORTED_TARGET check)
  target_link_libraries(ipc_shm_check INTERFACE PkgConfig::CHECK Threads::Threads)
endif()
