#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build everything and run the whole test suite:
#   native      gcc, warnings as errors
#   sanitize    native under AddressSanitizer and UndefinedBehaviorSanitizer
#   generic     native, with the code written for POSIX systems other than
#               Linux (IPC_SHM_GENERIC_POSIX: no memfd, pidfd or /proc)
#   mingw       x86_64-w64-mingw32, warnings as errors, run under Wine
# then the libFuzzer targets (scripts/fuzz.sh), 12 seconds each, and other
# projects taking ipcshm in (scripts/consumers.sh: the installed CMake
# package, pkg-config, add_subdirectory, FetchContent), and a compile of
# the library, tool and tests as MSVC sees them (scripts/msvc-mode.sh), the
# Doxygen reference, second compilers (scripts/compilers.sh: clang natively
# and for MinGW, i686 MinGW), a compile and link of everything for arm64 and
# x86_64 macOS (scripts/macos.sh; not run: no macOS here), the agreement of
# version, CHANGELOG and soname with a source tarball (scripts/release.sh),
# the packages (scripts/packages.sh: the vcpkg and Conan recipes' options
# replayed, the Debian packages built, checked and used),
# and the lint of the CI workflow and scripts.
# Installs what is missing first (Debian/Ubuntu). Build trees go to build/
# (or $IPC_SHM_BUILD_DIR); they are made from scratch unless --keep is given.
#
#   scripts/test.sh [--keep] [--native-only]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${IPC_SHM_BUILD_DIR:-$root/build}
keep=0
native_only=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    --native-only) native_only=1 ;;
    *) echo "usage: scripts/test.sh [--keep] [--native-only]" >&2; exit 2 ;;
  esac
done

start=$(date +%s)
jobs=$(nproc 2>/dev/null || echo 2)

deps=(--check-source "$build/downloads")
[ "$native_only" -eq 1 ] || deps+=(--windows)
check_tarball=$("$root/scripts/install-deps.sh" "${deps[@]}" | tail -n 1) ||
  { echo "test: installing the dependencies failed" >&2; exit 1; }

trees=(native sanitize generic)
[ "$native_only" -eq 1 ] || trees+=(mingw)

configure() {
  local tree=$1
  local args=(-S "$root" -B "$build/$tree" -DIPC_SHM_WERROR=ON)
  case "$tree" in
    native) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
    sanitize) args+=(-DCMAKE_BUILD_TYPE=Debug -DIPC_SHM_SANITIZE=ON -DIPC_SHM_TIMEOUT_MULTIPLIER=3) ;;
    generic) args+=(-DCMAKE_BUILD_TYPE=Debug -DIPC_SHM_GENERIC_POSIX=ON) ;;
    mingw) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo
                  "-DCMAKE_TOOLCHAIN_FILE=$root/cmake/toolchain-x86_64-w64-mingw32.cmake"
                  -DIPC_SHM_TIMEOUT_MULTIPLIER=3)
           # Without a local tarball CMake downloads the upstream release.
           [ -z "$check_tarball" ] || args+=("-DIPC_SHM_CHECK_TARBALL=$check_tarball") ;;
  esac
  cmake "${args[@]}" >"$build/$tree.configure.log" 2>&1 ||
    { cat "$build/$tree.configure.log"; return 1; }
}

# Sum Check's own counts ("Checks: N, Failures: F, Errors: E") over all test
# entries of a tree, from ctest's log of the run, which keeps every test's
# whole output (the JUnit report cuts a passing test's output at 1024
# bytes, which can lose the line).
check_counts() {
  local log=$1
  grep -oE 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" 2>/dev/null |
    awk '{ gsub(",", ""); c += $2; f += $4 + $6 } END { printf "%d %d\n", c, f }'
}

status=0
summary=()
total_passed=0
total_failed=0
for tree in "${trees[@]}"; do
  echo "==> $tree: build"
  [ "$keep" -eq 1 ] || rm -rf "${build:?}/$tree"
  mkdir -p "$build"
  configure "$tree"
  cmake --build "$build/$tree" --parallel "$jobs" >"$build/$tree.build.log" 2>&1 ||
    { cat "$build/$tree.build.log"; exit 1; }
  echo "==> $tree: test"
  tree_status=0
  ctest --test-dir "$build/$tree" --parallel "$jobs" --output-on-failure \
        --output-junit "$build/$tree.junit.xml" || tree_status=$?
  [ "$tree_status" -eq 0 ] || status=1
  read -r checks check_failures < <(check_counts "$build/$tree/Testing/Temporary/LastTest.log")
  entries=$(grep -o '<testcase ' "$build/$tree.junit.xml" | wc -l)
  failed_entries=$(grep -c '<failure' "$build/$tree.junit.xml" || true)
  # A skipped entry (it says why in its output) is reported, never passed.
  skipped_entries=$(grep -c '<skipped' "$build/$tree.junit.xml" || true)
  summary+=("$(printf '%-9s %3d checks in %2d ctest entries: %d failed checks, %d failed entries, %d skipped' \
                "$tree:" "$checks" "$entries" "$check_failures" "$failed_entries" "$skipped_entries")")
  total_passed=$((total_passed + checks - check_failures))
  total_failed=$((total_failed + check_failures + (tree_status != 0 && check_failures == 0 ? 1 : 0)))
done

# run_part NAME COMMAND...: run one part after the trees; its last line of
# output goes into the summary, and "N passed" lines count as passed tests.
parts=()
run_part() {
  local name=$1 out=$build/$1.out count
  shift
  echo "==> $name"
  if "$@" 2>&1 | tee "$out"; then
    parts+=("$(tail -n 1 "$out")")
    count=$(sed -n 's/^[a-z-]*: \([0-9]*\) passed, 0 failed$/\1/p' "$out" | tail -n 1)
    total_passed=$((total_passed + ${count:-0}))
  else
    parts+=("$name: FAILED")
    status=1
    total_failed=$((total_failed + 1))
  fi
}

# Every public name documented, and no comment Doxygen cannot read.
# shellcheck disable=SC2317 # called through run_part
doxygen_check() {
  (cd "$root" && doxygen docs/Doxyfile) >"$build/doxygen.log" 2>&1 || true
  if [ -s "$build/doxygen.log" ]; then
    cat "$build/doxygen.log"
    echo "doxygen: $(wc -l <"$build/doxygen.log") warnings"
    return 1
  fi
  echo "doxygen: the API reference builds without warnings"
}

if [ "$native_only" -eq 0 ]; then
  run_part msvc-mode "$root/scripts/msvc-mode.sh" "$build/mingw/_deps/check-install/include"
  run_part consumers "$root/scripts/consumers.sh" --windows
  run_part compilers "$root/scripts/compilers.sh"
else
  run_part consumers "$root/scripts/consumers.sh"
  run_part compilers "$root/scripts/compilers.sh" --native-only
fi
if [ -n "$check_tarball" ]; then
  run_part macos "$root/scripts/macos.sh" --check-tarball "$check_tarball"
else
  run_part macos "$root/scripts/macos.sh"
fi
run_part packages "$root/scripts/packages.sh"
run_part doxygen doxygen_check
run_part release "$root/scripts/release.sh" --current --allow-dirty
run_part lint "$root/scripts/lint.sh"
run_part fuzz "$root/scripts/fuzz.sh" 12

echo
echo "==> summary ($(( $(date +%s) - start )) s)"
printf '%s\n' "${summary[@]}" "${parts[@]}"
echo "tests: $total_passed passed, $total_failed failed"
exit "$status"
