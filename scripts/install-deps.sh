#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what building and testing ipcshm needs on Debian or Ubuntu, and
# fetch the source of the Check test framework for the Windows build.
#
#   scripts/install-deps.sh [--windows] [--check-source DIR]
#
#   --windows           also the MinGW-w64 cross compilers and Wine
#   --check-source DIR  put Check's source tarball in DIR (for the Windows
#                       tests; Check is not packaged for MinGW)
#
# Packages already installed are left alone; nothing is installed when
# everything is present. Needs root (or sudo) only when something is missing.
set -euo pipefail

want_windows=0
check_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --windows) want_windows=1 ;;
    --check-source) check_dir="$2"; shift ;;
    *) echo "install-deps: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# clang and its runtime: the fuzz targets (libFuzzer), the MSVC-mode
# compile and a second compiler; doxygen: the API reference; shellcheck and
# npm: linting the scripts and the CI workflow; Boost: the benchmark's
# comparison with Boost.Interprocess message_queue; debhelper, lintian and
# fakeroot: building and checking the Debian packages.
packages=(build-essential cmake pkg-config check libsubunit-dev clang libclang-rt-dev doxygen
          shellcheck libboost-dev debhelper lintian fakeroot)
# npm runs the workflow linter; a machine with its own Node.js keeps it.
command -v npm >/dev/null || packages+=(npm)
if [ "$want_windows" -eq 1 ]; then
  packages+=(mingw-w64 wine wine64)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Check's source, from the distribution's own source package: no site other
# than the machine's configured package mirrors is contacted. CMake verifies
# the tarball's hash.
if [ -n "$check_dir" ]; then
  mkdir -p "$check_dir"
  check_dir=$(cd "$check_dir" && pwd)
  if ! compgen -G "$check_dir/check_*.orig.tar.gz" >/dev/null && ! compgen -G "$check_dir/check-*.tar.gz" >/dev/null; then
    lists=$(mktemp -d)
    trap 'rm -rf "$lists"' EXIT
    mkdir -p "$lists/parts" "$lists/lists/partial"
    # deb-src entries derived from the machine's own apt sources.
    found=0
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      sed -E 's/^Types:.*/Types: deb-src/' "$f" > "$lists/parts/$(basename "$f")"
      found=1
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      sed -nE 's/^deb[[:space:]]/deb-src /p' "$f" > "$lists/parts/$(basename "$f")"
      found=1
    done
    if [ "$found" -eq 0 ]; then
      echo "install-deps: no apt sources found to derive deb-src entries from" >&2
      exit 1
    fi
    apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$lists/parts"
              -o "Dir::State::Lists=$lists/lists")
    # As root, apt would hand the download to its unprivileged user, which
    # cannot write to these private folders.
    [ "$(id -u)" -ne 0 ] || apt_opts+=(-o APT::Sandbox::User=root)
    # Without a source package (no deb-src on the mirror), the build falls
    # back to the upstream release, which CMake downloads and verifies.
    if ! { apt-get "${apt_opts[@]}" update -qq >/dev/null &&
           (cd "$check_dir" && apt-get "${apt_opts[@]}" source --download-only -qq check >/dev/null); }; then
      echo "install-deps: Check's source package is not available here" >&2
    fi
  fi
  tarball=""
  for candidate in "$check_dir"/check_*.orig.tar.gz "$check_dir"/check-*.tar.gz; do
    if [ -f "$candidate" ]; then tarball=$candidate; break; fi
  done
  # The last line of output: the tarball, or an empty line if there is none.
  echo "$tarball"
fi
