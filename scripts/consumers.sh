#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Take ipcshm into other projects the usual ways, natively, and run them:
# the installed CMake package (with a version), pkg-config (shared and
# static), add_subdirectory and FetchContent from this checkout; and the
# installed tool, started from a prefix outside the library path.
#
# With --windows, the same for the MinGW-w64 build, each consumer run under
# Wine.
#
#   scripts/consumers.sh [--windows]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${IPC_SHM_BUILD_DIR:-$root/build}
consumers=$root/tests/consumers
prefix=$build/install
work=$build/consumers
log=$build/consumers.log
passed=0

step() { # description, command...
  local what=$1
  shift
  if "$@" >>"$log" 2>&1; then
    passed=$((passed + 1))
    echo "consumers: $what: ok"
  else
    echo "consumers: $what: FAILED (see $log)"
    tail -n 20 "$log"
    exit 1
  fi
}

rm -rf "$prefix" "$work" && mkdir -p "$work" && : >"$log"
cmake -S "$root" -B "$work/ipcshm" -DIPC_SHM_BUILD_TESTS=OFF -DIPC_SHM_BUILD_BENCH=OFF \
      -DCMAKE_BUILD_TYPE=Release >>"$log" 2>&1
cmake --build "$work/ipcshm" --parallel >>"$log" 2>&1
step "install" cmake --install "$work/ipcshm" --prefix "$prefix"
step "installed tool starts from its prefix" "$prefix/bin/ipc-shm" --version
step "the man page is installed" test -s "$prefix/share/man/man1/ipc-shm.1"

step "find_package(ipcshm 0.1): configure and build" \
  bash -c "cmake -S '$consumers/find_package' -B '$work/find' -DCMAKE_PREFIX_PATH='$prefix' &&
           cmake --build '$work/find'"
step "find_package: shared" "$work/find/consumer_shared"
step "find_package: static" "$work/find/consumer_static"
step "find_package from the build tree: configure, build, run" \
  bash -c "cmake -S '$consumers/find_package' -B '$work/find-tree' -Dipcshm_DIR='$work/ipcshm' &&
           cmake --build '$work/find-tree' && '$work/find-tree/consumer_shared' &&
           '$work/find-tree/consumer_static'"
step "find_package(ipcshm 9.0) is refused" \
  bash -c "! cmake -S '$consumers/find_package' -B '$work/find-too-new' \
             -DCMAKE_PREFIX_PATH='$prefix' -DIPCSHM_WANTED=9.0"

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig:$prefix/lib64/pkgconfig
step "pkg-config: shared" \
  bash -c "cc '$consumers/main.c' -o '$work/pc_shared' \$(pkg-config --cflags --libs ipcshm) \
             -Wl,-rpath,\$(pkg-config --variable=libdir ipcshm) && '$work/pc_shared'"
step "pkg-config: static" \
  bash -c "cc '$consumers/main.c' -o '$work/pc_static' \$(pkg-config --cflags ipcshm-static) \
             \$(pkg-config --variable=libdir ipcshm-static)/libipcshm_static.a \
             \$(pkg-config --static --libs-only-l ipcshm-static | sed 's/-lipcshm_static//') &&
           '$work/pc_static'"

# A subproject builds no tests, tool or bench of ipcshm, needs no Check,
# enables no C++ and leaves the consumer's build type alone.
step "add_subdirectory: configure and build" \
  bash -c "cmake -S '$consumers/subdirectory' -B '$work/sub' -DIPCSHM_SOURCE='$root' &&
           cmake --build '$work/sub'"
step "add_subdirectory: runs" "$work/sub/consumer"
step "add_subdirectory: only the consumer's own test" \
  bash -c "ctest --test-dir '$work/sub' -N | grep -q 'Total Tests: 1'"
step "add_subdirectory: no C++, build type untouched" \
  bash -c "! grep -q '^CMAKE_CXX_COMPILER:' '$work/sub/CMakeCache.txt' &&
           grep -q '^CMAKE_BUILD_TYPE:STRING=\$' '$work/sub/CMakeCache.txt' &&
           [ ! -e '$work/sub/ipcshm/tests' ] && [ ! -e '$work/sub/ipcshm/tools' ]"
step "FetchContent: configure, build, run" \
  bash -c "cmake -S '$consumers/fetchcontent' -B '$work/fetch' -DIPCSHM_SOURCE='$root' &&
           cmake --build '$work/fetch' && '$work/fetch/consumer'"
if [ "${1:-}" = "--windows" ]; then
  toolchain=$root/cmake/toolchain-x86_64-w64-mingw32.cmake
  wprefix=$build/install-mingw
  export WINEPREFIX=$build/mingw/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  [ -d "$WINEPREFIX" ] || WINEPREFIX=$work/wineprefix
  wine=$(command -v wine64 || ls /usr/lib/wine/wine64 2>/dev/null || command -v wine)
  # Windows finds DLLs beside the program or in WINEPATH.
  export WINEPATH="$wprefix/bin"
  runs() { "$wine" "$@" </dev/null 2>/dev/null | tr -d '\r' | grep -q ': ok$'; }
  rm -rf "$wprefix"
  cmake -S "$root" -B "$work/ipcshm-mingw" "-DCMAKE_TOOLCHAIN_FILE=$toolchain" \
        -DBUILD_TESTING=OFF -DIPC_SHM_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Release >>"$log" 2>&1
  cmake --build "$work/ipcshm-mingw" --parallel >>"$log" 2>&1
  step "Windows: install" cmake --install "$work/ipcshm-mingw" --prefix "$wprefix"
  step "Windows: find_package through CMAKE_PREFIX_PATH" \
    bash -c "cmake -S '$consumers/find_package' -B '$work/find-mingw' '-DCMAKE_TOOLCHAIN_FILE=$toolchain' \
               -DCMAKE_PREFIX_PATH='$wprefix' && cmake --build '$work/find-mingw'"
  step "Windows: find_package through CMAKE_FIND_ROOT_PATH" \
    bash -c "cmake -S '$consumers/find_package' -B '$work/find-mingw-root' '-DCMAKE_TOOLCHAIN_FILE=$toolchain' \
               -DCMAKE_FIND_ROOT_PATH='$wprefix' && cmake --build '$work/find-mingw-root'"
  step "Windows: find_package from the build tree, under Wine" \
    bash -c "cmake -S '$consumers/find_package' -B '$work/find-mingw-tree' '-DCMAKE_TOOLCHAIN_FILE=$toolchain' \
               -Dipcshm_DIR='$work/ipcshm-mingw' && cmake --build '$work/find-mingw-tree' &&
             '$wine' '$work/find-mingw-tree/consumer_static.exe' </dev/null 2>/dev/null | tr -d '\r' | grep -q ': ok$'"
  step "Windows: find_package: shared, under Wine" runs "$work/find-mingw/consumer_shared.exe"
  step "Windows: find_package: static, under Wine" runs "$work/find-mingw/consumer_static.exe"
  step "Windows: pkg-config: static, under Wine" \
    bash -c "PKG_CONFIG_PATH='$wprefix/lib/pkgconfig' PKG_CONFIG_LIBDIR='$wprefix/lib/pkgconfig' &&
             export PKG_CONFIG_PATH PKG_CONFIG_LIBDIR &&
             x86_64-w64-mingw32-gcc '$consumers/main.c' -o '$work/pc_static.exe' \
               \$(pkg-config --cflags ipcshm-static) \$(pkg-config --variable=libdir ipcshm-static)/libipcshm_static.a \
               \$(pkg-config --static --libs-only-l ipcshm-static | sed 's/-lipcshm_static//') -static &&
             '$wine' '$work/pc_static.exe' </dev/null 2>/dev/null | tr -d '\r' | grep -q ': ok$'"
  step "Windows: add_subdirectory, under Wine" \
    bash -c "cmake -S '$consumers/subdirectory' -B '$work/sub-mingw' '-DCMAKE_TOOLCHAIN_FILE=$toolchain' \
               -DIPCSHM_SOURCE='$root' && cmake --build '$work/sub-mingw' &&
             WINEPATH='$work/sub-mingw/ipcshm' '$wine' '$work/sub-mingw/consumer.exe' </dev/null 2>/dev/null |
               tr -d '\r' | grep -q ': ok$'"
  wineserver -k >/dev/null 2>&1 || true
fi
echo "consumers: $passed passed, 0 failed"
