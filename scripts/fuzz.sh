#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the libFuzzer targets (clang) and run each for a while, starting
# from its seed corpus in fuzz/corpus (which is read, never written).
#
#   scripts/fuzz.sh [SECONDS-PER-TARGET]    (default 12)
#
# Prints one line per target with its executions; exits non-zero on the
# first crash or broken invariant (the input is kept in build/fuzz/).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${IPC_SHM_BUILD_DIR:-$root/build}
seconds=${1:-12}
jobs=$(nproc 2>/dev/null || echo 2)
tree=$build/fuzz

mkdir -p "$tree"
CC=clang cmake -S "$root" -B "$tree" -DIPC_SHM_FUZZ=ON -DIPC_SHM_WERROR=ON \
      -DIPC_SHM_BUILD_TESTS=OFF -DIPC_SHM_BUILD_TOOLS=OFF -DIPC_SHM_BUILD_BENCH=OFF \
      -DBUILD_SHARED_LIBS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$tree.configure.log" 2>&1 ||
  { cat "$tree.configure.log"; exit 1; }
cmake --build "$tree" --parallel "$jobs" >"$tree.build.log" 2>&1 || { cat "$tree.build.log"; exit 1; }

total=0
for dir in "$root"/fuzz/corpus/*/; do
  target=$(basename "$dir")
  work=$tree/corpus-$target
  rm -rf "$work" && mkdir -p "$work"
  log=$tree/$target.log
  if ! (cd "$tree" && "$tree/bin/$target" -max_total_time="$seconds" -print_final_stats=1 \
          -timeout=10 "$work" "$dir") >"$log" 2>&1; then
    tail -n 30 "$log"
    echo "fuzz: $target FAILED (log: $log)"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  total=$((total + runs))
  printf 'fuzz: %-16s %9d executions, corpus %d -> %d inputs\n' "$target" "$runs" \
         "$(find "$dir" -type f | wc -l)" "$(find "$work" "$dir" -type f | wc -l)"
done
echo "fuzz: $total executions in all, no crash"
