#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the benchmark in release mode and print its table: natively, and as a
# Windows program under Wine when MinGW-w64 and Wine are installed.
#
#   scripts/bench.sh [--quick]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${IPC_SHM_BUILD_DIR:-$root/build}
jobs=$(nproc 2>/dev/null || echo 2)
args=("$@")

bench_tree() {
  local tree=$1
  shift
  cmake -S "$root" -B "$build/$tree" -DCMAKE_BUILD_TYPE=Release \
        -DIPC_SHM_BUILD_TESTS=OFF "$@" >"$build/$tree.configure.log" 2>&1 ||
    { cat "$build/$tree.configure.log"; exit 1; }
  cmake --build "$build/$tree" --parallel "$jobs" --target ipc-shm-bench \
        >"$build/$tree.build.log" 2>&1 || { cat "$build/$tree.build.log"; exit 1; }
}

mkdir -p "$build"
echo "==> native"
bench_tree bench-native
"$build/bench-native/bin/ipc-shm-bench" "${args[@]}"

if command -v x86_64-w64-mingw32-gcc >/dev/null && command -v wine >/dev/null; then
  echo
  echo "==> Windows build under Wine"
  bench_tree bench-mingw "-DCMAKE_TOOLCHAIN_FILE=$root/cmake/toolchain-x86_64-w64-mingw32.cmake"
  export WINEPREFIX="$build/bench-mingw/wineprefix" WINEDEBUG=-all
  wine "$build/bench-mingw/bin/ipc-shm-bench.exe" "${args[@]}"
  wineserver -k 2>/dev/null || true
fi
