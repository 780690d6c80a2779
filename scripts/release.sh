#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prepare a release: check that the version in include/ipc_shm.h, the
# CHANGELOG and the built library's soname agree with VERSION, then make the
# source tarball of the commit to be tagged (HEAD) and its SHA-256 file in
# build/release/. Nothing is downloaded, tagged or pushed.
#
#   scripts/release.sh VERSION [--allow-dirty]
#   scripts/release.sh --current [--allow-dirty]   (the header's version; the
#                                                  test command checks it so)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${IPC_SHM_BUILD_DIR:-$root/build}
header_part() {
  sed -n "s/^#define IPC_SHM_VERSION_$1 \([0-9][0-9]*\).*/\1/p" "$root/include/ipc_shm.h"
}
header_version="$(header_part MAJOR).$(header_part MINOR).$(header_part PATCH)"
version=${1:-}
[ "$version" = "--current" ] && version=$header_version
allow_dirty=0
[ "${2:-}" = "--allow-dirty" ] && allow_dirty=1
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "usage: scripts/release.sh MAJOR.MINOR.PATCH [--allow-dirty]" >&2
  exit 2
fi
fail() { echo "release: $*" >&2; exit 1; }

# The header.
[ "$header_version" = "$version" ] ||
  fail "include/ipc_shm.h says $header_version, not $version"

# The changelog: a section for this version, with a date, and no unreleased one.
grep -qE "^## $version( |$)" "$root/CHANGELOG.md" || fail "CHANGELOG.md has no section '## $version'"
if grep -qE '^## Unreleased' "$root/CHANGELOG.md"; then
  fail "CHANGELOG.md still has an 'Unreleased' section"
fi

# The soname, as the build makes it: before 1.0 it follows the minor version.
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}
if [ "$major" -eq 0 ]; then expected_soname="libipcshm.so.0.$minor"; else expected_soname="libipcshm.so.$major"; fi
tree=$build/release/library
rm -rf "$tree" && mkdir -p "$build/release"
cmake -S "$root" -B "$tree" -DBUILD_TESTING=OFF -DBUILD_SHARED_LIBS=ON \
      -DCMAKE_BUILD_TYPE=Release >"$tree.log" 2>&1 || { cat "$tree.log"; fail "configure failed"; }
cmake --build "$tree" --parallel >>"$tree.log" 2>&1 || { cat "$tree.log"; fail "build failed"; }
library=$(find "$tree" -name 'libipcshm.so.*.*.*' -type f | head -n 1)
[ -n "$library" ] || fail "the build made no libipcshm.so"
soname=$(readelf -d "$library" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "$expected_soname" ] || fail "the soname is $soname, not $expected_soname"
[ "$(basename "$library")" = "libipcshm.so.$version" ] ||
  fail "the library is $(basename "$library"), not libipcshm.so.$version"

# The source tarball of the commit to be tagged.
cd "$root"
if [ "$allow_dirty" -eq 0 ] && [ -n "$(git status --porcelain)" ]; then
  fail "the working tree has changes that the tarball would not contain (commit them first)"
fi
out=$build/release
mkdir -p "$out"
tarball=$out/ipcshm-$version.tar.gz
git archive --format=tar --prefix="ipcshm-$version/" HEAD | gzip -n -9 >"$tarball"
(cd "$out" && sha256sum "ipcshm-$version.tar.gz" >"ipcshm-$version.tar.gz.sha256")
echo "release: $version: header, CHANGELOG and soname $soname agree"
echo "release: $tarball ($(git rev-parse --short HEAD)), $(cut -d' ' -f1 "$tarball.sha256")"
