#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Test the packages as far as this machine can:
#   vcpkg and Conan: their recipes pass the same CMake options; those are
#     replayed here (configure, build, install) for both linkages, and a
#     consumer is built against each result through the CMake package and
#     pkg-config. vcpkg and Conan themselves are not run (neither is
#     available here); the Conan recipe is checked to be valid Python.
#   Debian: dpkg-buildpackage builds libipcshm0.2, libipcshm-dev and
#     ipcshm-tools; lintian checks them (errors fail); they are unpacked
#     into a scratch root, and a consumer is built there with pkg-config
#     and with CMake, and run, as is the tool.
# Installs debhelper and lintian if missing (Debian/Ubuntu).
#
#   scripts/packages.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${IPC_SHM_BUILD_DIR:-$root/build}
work=$build/packages
log=$build/packages.log
consumers=$root/tests/consumers
passed=0
rm -rf "$work" && mkdir -p "$work" && : >"$log"

step() { # description, command...
  local what=$1
  shift
  if "$@" >>"$log" 2>&1; then
    passed=$((passed + 1))
    echo "packages: $what: ok"
  else
    echo "packages: $what: FAILED (see $log)"
    tail -n 30 "$log"
    exit 1
  fi
}

# ---- The options the recipes pass ----

portfile=$root/packaging/vcpkg/portfile.cmake
conanfile=$root/packaging/conan/conanfile.py
read -r -a vcpkg_options < <(sed -n 's/^set(IPCSHM_PACKAGE_OPTIONS \(.*\))$/\1/p' "$portfile")
read -r -a conan_options < <(python3 - "$conanfile" <<'EOF'
import ast, sys
tree = ast.parse(open(sys.argv[1]).read())
for node in ast.walk(tree):
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PACKAGE_OPTIONS":
        options = ast.literal_eval(node.value)
        print(" ".join("-D%s=%s" % item for item in sorted(options.items())))
EOF
)
step "the Conan recipe is valid Python" python3 -m py_compile "$conanfile"
step "vcpkg and Conan pass the same options (${vcpkg_options[*]})" \
  test "$(printf '%s\n' "${vcpkg_options[@]}" | sort | tr '\n' ' ')" = \
       "$(printf '%s\n' "${conan_options[@]}" | sort | tr '\n' ' ')"
step "the vcpkg manifest is valid JSON with the header's version" \
  python3 -c "import json,sys; m=json.load(open(sys.argv[1])); sys.exit(m['version'] != sys.argv[2])" \
    "$root/packaging/vcpkg/vcpkg.json" \
    "$(sed -n 's/^#define IPC_SHM_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\).*/\2/p' \
         "$root/include/ipc_shm.h" | paste -sd.)"

for linkage in shared static; do
  case $linkage in shared) shared=ON ;; static) shared=OFF ;; esac
  prefix=$work/recipe-$linkage
  step "recipe options, $linkage: configure, build, install" \
    bash -c "cmake -S '$root' -B '$work/recipe-build-$linkage' ${vcpkg_options[*]} \
               -DBUILD_SHARED_LIBS=$shared -DIPC_SHM_BUILD_TOOLS=ON -DCMAKE_BUILD_TYPE=Release &&
             cmake --build '$work/recipe-build-$linkage' --parallel &&
             cmake --install '$work/recipe-build-$linkage' --prefix '$prefix'"
  step "recipe options, $linkage: no C++, tests, benchmark or examples built" \
    bash -c "! grep -q '^CMAKE_CXX_COMPILER:' '$work/recipe-build-$linkage/CMakeCache.txt' &&
             [ ! -e '$work/recipe-build-$linkage/tests' ] && [ ! -e '$work/recipe-build-$linkage/bench' ] &&
             [ ! -e '$work/recipe-build-$linkage/examples' ]"
  step "recipe options, $linkage: a consumer through the CMake package" \
    bash -c "cmake -S '$consumers/find_package' -B '$work/consumer-cmake-$linkage' \
               -DCMAKE_PREFIX_PATH='$prefix' && cmake --build '$work/consumer-cmake-$linkage' &&
             LD_LIBRARY_PATH='$prefix/lib' '$work/consumer-cmake-$linkage/consumer'"
  step "recipe options, $linkage: a consumer through pkg-config" \
    bash -c "export PKG_CONFIG_PATH='$prefix/lib/pkgconfig' &&
             cc '$consumers/main.c' -o '$work/consumer-pc-$linkage' \$(pkg-config --cflags ipcshm) \
               \$(pkg-config --static --libs ipcshm) &&
             LD_LIBRARY_PATH='$prefix/lib' '$work/consumer-pc-$linkage'"
done

# ---- Debian ----

missing=()
for p in debhelper lintian dpkg-dev fakeroot; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq >>"$log" 2>&1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >>"$log" 2>&1
fi

version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
upstream=${version%-*}
source_dir=$work/deb/ipcshm-$upstream
mkdir -p "$source_dir"
# The files the repository tracks, as they are in this checkout.
(cd "$root" && git ls-files -z | xargs -0 tar cf -) | tar xf - -C "$source_dir"
step "dpkg-buildpackage -us -uc -b" \
  bash -c "cd '$source_dir' && dpkg-buildpackage -us -uc -b"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
debs=()
for package in libipcshm0.2 libipcshm-dev ipcshm-tools; do
  debs+=("$work/deb/${package}_${version}_${arch}.deb")
done
step "the three packages were made" ls "${debs[@]}"
step "lintian: no errors" \
  bash -c "lintian --fail-on error --suppress-tags bad-distribution-in-changes-file \
             '$work/deb/ipcshm_${version}_${arch}.changes'"
scratch=$work/deb/root
for deb in "${debs[@]}"; do
  dpkg-deb -x "$deb" "$scratch"
done
libdir=$scratch/usr/lib/$multiarch
step "unpacked: the library, its soname link, header, package files, tool, man page" \
  bash -c "ls '$libdir'/libipcshm.so.0.2 '$libdir'/libipcshm.so '$scratch/usr/include/ipc_shm.h' \
             '$libdir/pkgconfig/ipcshm.pc' '$libdir/cmake/ipcshm/ipcshm-config.cmake' \
             '$scratch/usr/bin/ipc-shm' '$scratch/usr/share/man/man1/ipc-shm.1.gz'"
step "unpacked: a consumer through pkg-config" \
  bash -c "export PKG_CONFIG_PATH='$libdir/pkgconfig' &&
           cc '$consumers/main.c' -o '$work/deb-consumer-pc' \$(pkg-config --cflags --libs ipcshm) &&
           LD_LIBRARY_PATH='$libdir' '$work/deb-consumer-pc'"
step "unpacked: a consumer through the CMake package" \
  bash -c "cmake -S '$consumers/find_package' -B '$work/deb-consumer-cmake' \
             -DCMAKE_PREFIX_PATH='$scratch/usr' && cmake --build '$work/deb-consumer-cmake' &&
           LD_LIBRARY_PATH='$libdir' '$work/deb-consumer-cmake/consumer'"
step "unpacked: the tool runs" \
  bash -c "LD_LIBRARY_PATH='$libdir' '$scratch/usr/bin/ipc-shm' --version | grep -qx 'ipc-shm $upstream'"

echo "packages: $passed passed, 0 failed (vcpkg and Conan themselves not run here)"
