#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Take ipcshm into other projects the usual ways, natively, and run them:
# a shared and a static build, each installed and used through its CMake
# package (with a version) and pkg-config; the build tree's package;
# add_subdirectory and FetchContent from this checkout; the installed tool,
# started from a prefix outside the library path; a build without tests
# that makes the library only; the Runtime install component.
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

rm -rf "$prefix" "$prefix-static" "$work" && mkdir -p "$work" && : >"$log"

# One library per build: shared by default, static with
# BUILD_SHARED_LIBS=OFF; the tool only because it is asked for.
for linkage in shared static; do
  case $linkage in
    shared) dest=$prefix; shared=ON ;;
    static) dest=$prefix-static; shared=OFF ;;
  esac
  step "$linkage: configure, build, install" \
    bash -c "cmake -S '$root' -B '$work/ipcshm-$linkage' -DBUILD_TESTING=OFF -DIPC_SHM_BUILD_TOOLS=ON \
               -DBUILD_SHARED_LIBS=$shared -DCMAKE_BUILD_TYPE=Release &&
             cmake --build '$work/ipcshm-$linkage' --parallel &&
             cmake --install '$work/ipcshm-$linkage' --prefix '$dest'"
  step "$linkage: installed tool starts from its prefix" "$dest/bin/ipc-shm" --version
  step "$linkage: find_package(ipcshm 0.2): configure, build, run" \
    bash -c "cmake -S '$consumers/find_package' -B '$work/find-$linkage' -DCMAKE_PREFIX_PATH='$dest' &&
             cmake --build '$work/find-$linkage' && '$work/find-$linkage/consumer'"
done
step "the man page is installed" test -s "$prefix/share/man/man1/ipc-shm.1"
step "shared: the library is libipcshm.so.0.2, and the consumer uses it" \
  bash -c "ls '$prefix'/lib*/libipcshm.so.0.2 && ldd '$work/find-shared/consumer' | grep -q 'libipcshm.so.0.2'"
step "static: no shared library built or used" \
  bash -c "! ls '$prefix-static'/lib*/libipcshm.so* 2>/dev/null && ls '$prefix-static'/lib*/libipcshm.a &&
           ! ldd '$work/find-static/consumer' | grep -q ipcshm"
step "find_package from the build tree: configure, build, run" \
  bash -c "cmake -S '$consumers/find_package' -B '$work/find-tree' -Dipcshm_DIR='$work/ipcshm-shared' &&
           cmake --build '$work/find-tree' && '$work/find-tree/consumer'"
step "find_package(ipcshm 9.0) is refused" \
  bash -c "! cmake -S '$consumers/find_package' -B '$work/find-too-new' \
             -DCMAKE_PREFIX_PATH='$prefix' -DIPCSHM_WANTED=9.0"
step "BUILD_TESTING=OFF builds the library only, without C++" \
  bash -c "cmake -S '$root' -B '$work/library-only' -DBUILD_TESTING=OFF >/dev/null &&
           cmake --build '$work/library-only' --parallel >/dev/null &&
           [ ! -e '$work/library-only/bin/ipc-shm' ] && [ ! -e '$work/library-only/tests' ] &&
           [ ! -e '$work/library-only/bench' ] &&
           ! grep -q '^CMAKE_CXX_COMPILER:' '$work/library-only/CMakeCache.txt'"
step "install components: Runtime is the shared library and the licence" \
  bash -c "rm -rf '$work/runtime' && cmake --install '$work/ipcshm-shared' --prefix '$work/runtime' \
             --component Runtime && [ -z \"\$(find '$work/runtime' -type f ! -name 'libipcshm.so.*' \
             ! -name LICENSE)\" ] && ! find '$work/runtime' -name '*.h' | grep -q ."

for linkage in shared static; do
  case $linkage in
    shared) dest=$prefix ;;
    static) dest=$prefix-static ;;
  esac
  export PKG_CONFIG_PATH=$dest/lib/pkgconfig:$dest/lib64/pkgconfig
  step "pkg-config: $linkage" \
    bash -c "cc '$consumers/main.c' -o '$work/pc_$linkage' \$(pkg-config --cflags ipcshm) \
               \$(pkg-config --static --libs ipcshm) -Wl,-rpath,\$(pkg-config --variable=libdir ipcshm) &&
             '$work/pc_$linkage'"
done

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
  export WINEPREFIX=$build/mingw/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  [ -d "$WINEPREFIX" ] || WINEPREFIX=$work/wineprefix
  wine=$(command -v wine64 || ls /usr/lib/wine/wine64 2>/dev/null || command -v wine)
  for linkage in shared static; do
    case $linkage in
      shared) wprefix=$build/install-mingw; shared=ON ;;
      static) wprefix=$build/install-mingw-static; shared=OFF ;;
    esac
    rm -rf "$wprefix"
    step "Windows, $linkage: configure, build, install" \
      bash -c "cmake -S '$root' -B '$work/ipcshm-mingw-$linkage' '-DCMAKE_TOOLCHAIN_FILE=$toolchain' \
                 -DBUILD_TESTING=OFF -DBUILD_SHARED_LIBS=$shared -DCMAKE_BUILD_TYPE=Release &&
               cmake --build '$work/ipcshm-mingw-$linkage' --parallel &&
               cmake --install '$work/ipcshm-mingw-$linkage' --prefix '$wprefix'"
    # Neither linkage needs a define from the consumer.
    step "Windows, $linkage: find_package through CMAKE_PREFIX_PATH, under Wine" \
      bash -c "cmake -S '$consumers/find_package' -B '$work/find-mingw-$linkage' \
                 '-DCMAKE_TOOLCHAIN_FILE=$toolchain' -DCMAKE_PREFIX_PATH='$wprefix' &&
               cmake --build '$work/find-mingw-$linkage' &&
               WINEPATH='$wprefix/bin' '$wine' '$work/find-mingw-$linkage/consumer.exe' </dev/null 2>/dev/null |
                 tr -d '\r' | grep -q ': ok$'"
    step "Windows, $linkage: find_package through CMAKE_FIND_ROOT_PATH" \
      bash -c "cmake -S '$consumers/find_package' -B '$work/find-mingw-root-$linkage' \
                 '-DCMAKE_TOOLCHAIN_FILE=$toolchain' -DCMAKE_FIND_ROOT_PATH='$wprefix' &&
               cmake --build '$work/find-mingw-root-$linkage'"
    step "Windows, $linkage: pkg-config, under Wine" \
      bash -c "PKG_CONFIG_PATH='$wprefix/lib/pkgconfig' PKG_CONFIG_LIBDIR='$wprefix/lib/pkgconfig' &&
               export PKG_CONFIG_PATH PKG_CONFIG_LIBDIR &&
               x86_64-w64-mingw32-gcc '$consumers/main.c' -o '$work/pc_$linkage.exe' \
                 \$(pkg-config --cflags ipcshm) \$(pkg-config --static --libs ipcshm) &&
               WINEPATH='$wprefix/bin' '$wine' '$work/pc_$linkage.exe' </dev/null 2>/dev/null |
                 tr -d '\r' | grep -q ': ok$'"
  done
  step "Windows: the DLL is ipcshm.dll with a version resource" \
    bash -c "[ -f '$build/install-mingw/bin/ipcshm.dll' ] &&
             x86_64-w64-mingw32-objdump -h '$build/install-mingw/bin/ipcshm.dll' | grep -q '\.rsrc'"
  step "Windows: find_package from the build tree, under Wine" \
    bash -c "cmake -S '$consumers/find_package' -B '$work/find-mingw-tree' '-DCMAKE_TOOLCHAIN_FILE=$toolchain' \
               -Dipcshm_DIR='$work/ipcshm-mingw-static' && cmake --build '$work/find-mingw-tree' &&
             '$wine' '$work/find-mingw-tree/consumer.exe' </dev/null 2>/dev/null | tr -d '\r' | grep -q ': ok$'"
  step "Windows: add_subdirectory, under Wine" \
    bash -c "cmake -S '$consumers/subdirectory' -B '$work/sub-mingw' '-DCMAKE_TOOLCHAIN_FILE=$toolchain' \
               -DIPCSHM_SOURCE='$root' && cmake --build '$work/sub-mingw' &&
             '$wine' '$work/sub-mingw/consumer.exe' </dev/null 2>/dev/null | tr -d '\r' | grep -q ': ok$'"
  wineserver -k >/dev/null 2>&1 || true
fi
echo "consumers: $passed passed, 0 failed"
