#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the benchmark in release mode and print its table: natively, and as a
# Windows program under Wine when MinGW-w64 and Wine are installed. Options
# are ipc-shm-bench's (--quick, --csv, --only PART, --size N, --condition C).
#
#   scripts/bench.sh [OPTIONS]
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
  # Wine backs a section with a deleted file in its server folder, under
  # TMPDIR: on a disk, writeback of the dirty pages slows the ring at
  # random. Windows keeps such sections in memory; so does a tmpfs.
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm
  fi
  wine "$build/bench-mingw/bin/ipc-shm-bench.exe" "${args[@]}"

  # The two programs cannot share a run: the 64 KiB channel of each is
  # measured by turns, three times, and the medians compared.
  channel_64k() { # program...
    "$@" --csv --only transports --size 65536 --condition idle |
      awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) column[$i] = i; next }
               $1 == "throughput" && $2 == "channel" { print $column["gb_per_s"] }'
  }
  native_runs=() wine_runs=()
  for _ in 1 2 3; do
    native_runs+=("$(channel_64k "$build/bench-native/bin/ipc-shm-bench")")
    wine_runs+=("$(channel_64k wine "$build/bench-mingw/bin/ipc-shm-bench.exe")")
  done
  wineserver -k 2>/dev/null || true
  median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
  native_gbps=$(median "${native_runs[@]}")
  wine_gbps=$(median "${wine_runs[@]}")
  echo
  echo "==> 64 KiB channel, native and under Wine by turns (GB/s)"
  echo "native: ${native_runs[*]} (median $native_gbps)"
  echo "Wine:   ${wine_runs[*]} (median $wine_gbps)"
  awk -v w="$wine_gbps" -v n="$native_gbps" 'BEGIN {
    r = 100 * w / n
    printf "Wine / native: %.0f%% (target >= 80%%): %s\n", r, ((r >= 80) ? "ok" : "MISSED")
  }'
fi
