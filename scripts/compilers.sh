#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A second compiler for each backend, warnings as errors: clang natively
# (its test suite run too), clang targeting x86_64-w64-mingw32 (the tool run
# under Wine), and i686-w64-mingw32 with -Wconversion, so that any narrowing
# of a 64-bit size into a 32-bit size_t is an error (built only: this machine
# runs no 32-bit programs; GitHub's Windows runners do).
#
#   scripts/compilers.sh [--native-only]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${IPC_SHM_BUILD_DIR:-$root/build}
jobs=$(nproc 2>/dev/null || echo 2)
native_only=0
[ "${1:-}" != "--native-only" ] || native_only=1
passed=0

tree() { # name, cmake arguments...
  local name=$1
  shift
  rm -rf "${build:?}/$name"
  if ! { cmake -S "$root" -B "$build/$name" -DIPC_SHM_WERROR=ON "$@" &&
         cmake --build "$build/$name" --parallel "$jobs"; } >"$build/$name.log" 2>&1; then
    tail -n 30 "$build/$name.log"
    echo "compilers: $name: build FAILED (see $build/$name.log)"
    exit 1
  fi
  passed=$((passed + 1))
  echo "compilers: $name: built"
}

mkdir -p "$build"
CC=clang tree clang-native -DIPC_SHM_BUILD_BENCH=OFF
if ! ctest --test-dir "$build/clang-native" --parallel "$jobs" >"$build/clang-native.test.log" 2>&1; then
  grep -E ':F:|:E:|Failed' "$build/clang-native.test.log" | head -20
  echo "compilers: clang-native: tests FAILED"
  exit 1
fi
passed=$((passed + 1))
echo "compilers: clang-native: $(grep -c ' Passed ' "$build/clang-native.test.log") ctest entries passed"

if [ "$native_only" -eq 0 ]; then
  tree clang-mingw -DBUILD_TESTING=OFF -DIPC_SHM_BUILD_TOOLS=ON \
       "-DCMAKE_TOOLCHAIN_FILE=$root/cmake/toolchain-x86_64-w64-mingw32-clang.cmake"
  # The clang-built tool runs (in the Windows tree's Wine prefix if there is one).
  export WINEPREFIX=$build/mingw/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  [ -d "$WINEPREFIX" ] || WINEPREFIX=$build/clang-mingw/wineprefix
  wine=$(command -v wine64 || ls /usr/lib/wine/wine64 2>/dev/null || command -v wine)
  version=$("$wine" "$build/clang-mingw/bin/ipc-shm.exe" --version </dev/null 2>/dev/null | tr -d '\r' || true)
  wineserver -k >/dev/null 2>&1 || true
  case "$version" in
    "ipc-shm "[0-9]*) ;;
    *) echo "compilers: clang-mingw: ipc-shm.exe under Wine said '$version'"; exit 1 ;;
  esac
  passed=$((passed + 1))
  echo "compilers: clang-mingw: ipc-shm.exe runs under Wine ($version)"
  # A 32-bit size_t: every narrowing of a size must be spelt out.
  tree i686-mingw -DBUILD_TESTING=OFF -DIPC_SHM_BUILD_TOOLS=ON -DIPC_SHM_BUILD_BENCH=ON "-DCMAKE_C_FLAGS=-Wconversion -Wno-sign-conversion" \
       "-DCMAKE_TOOLCHAIN_FILE=$root/cmake/toolchain-i686-w64-mingw32.cmake"
fi
echo "compilers: $passed passed, 0 failed"
