#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Compile the library, the tool, the benchmark and the tests as MSVC would
# see them, without MSVC: clang in MSVC mode (--target=x86_64-pc-windows-msvc)
# over the MinGW-w64 headers, which mark the C runtime functions that MSVC
# deprecates (C4996, an error under the CI's /W4 /WX). The one function
# those headers mark and MSVC does not deprecate, memcpy, is let through.
#
#   scripts/msvc-mode.sh CHECK_INCLUDE_DIR   (Check's headers for Windows)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
check_include=${1:?usage: scripts/msvc-mode.sh CHECK_INCLUDE_DIR}
clang=$(command -v clang || command -v clang-14)
mingw_include=/usr/x86_64-w64-mingw32/include

flags=(--target=x86_64-pc-windows-msvc -fms-compatibility -fgnuc-version=4.2.1 -fsyntax-only
       -std=c11 -isystem "$mingw_include" -isystem "$check_include"
       -D__MINGW_MSVC_COMPAT_WARNINGS -DWIN32_LEAN_AND_MEAN -D_WIN32_WINNT=0x0601
       -DUNICODE -D_UNICODE -I"$root/include" -Wall -Wextra -Wno-unknown-pragmas)

compile() { # defines..., -- files...
  local defines=() files
  while [ "$1" != "--" ]; do defines+=("$1"); shift; done
  shift
  for files in "$@"; do
    "$clang" "${flags[@]}" "${defines[@]}" "$files" 2>&1 || true
  done
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
{
  compile -DIPC_SHM_BUILDING -- "$root"/src/common/*.c "$root"/src/win32/*.c
  compile -DIPC_SHM_SHARED -- "$root"/tools/*.c
  compile -- "$root"/bench/*.c
  compile -- "$root"/tests/test_*.c "$root"/tests/testutil.c \
          "$root"/tests/testutil_win32.c "$root"/tests/handover_util.c "$root"/tests/raw_peer.c
} >"$out"
# Warnings and errors, less memcpy's deprecation and the notes that go with it.
findings=$(grep -E 'warning:|error:' "$out" | grep -v "'memcpy' is deprecated" || true)
files=$(( $(find "$root/src/common" "$root/src/win32" "$root/tools" "$root/bench" -name '*.c' | wc -l) + \
          $(find "$root/tests" -maxdepth 1 \( -name 'test_*.c' -o -name 'testutil.c' -o \
                 -name 'testutil_win32.c' -o -name 'handover_util.c' -o -name 'raw_peer.c' \) | wc -l) ))
if [ -n "$findings" ]; then
  echo "$findings"
  echo "msvc-mode: $(echo "$findings" | wc -l) findings in $files files"
  exit 1
fi
echo "msvc-mode: $files files compile as MSVC sees them, no findings"
