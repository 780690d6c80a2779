#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The demo: a writer and a reader, in separate processes, exchange text
# through a named shared-memory segment with the ipc-shm tool, the reader
# waiting on a "data ready" event that the writer sets: natively, and as
# Windows programs under Wine. Installs what is missing first
# (Debian/Ubuntu) and builds into build/demo-* (or $IPC_SHM_BUILD_DIR).
#
#   scripts/demo.sh [--native-only]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${IPC_SHM_BUILD_DIR:-$root/build}
native_only=0
[ "${1:-}" != "--native-only" ] || native_only=1

if [ "$native_only" -eq 1 ]; then
  "$root/scripts/install-deps.sh"
else
  "$root/scripts/install-deps.sh" --windows
fi

build_tree() { # tree, extra cmake arguments...
  local tree=$1
  shift
  if ! { cmake -S "$root" -B "$build/$tree" -DIPC_SHM_BUILD_TESTS=OFF "$@" &&
          cmake --build "$build/$tree" --parallel; } >"$build/$tree.log" 2>&1; then
    cat "$build/$tree.log"
    exit 1
  fi
}

# run_demo LABEL COMMAND...: COMMAND is how to start ipc-shm.
run_demo() {
  local label=$1
  shift
  local name="demo-$$"
  local ready="demo-$$.ready"
  local message="Hello through shared memory, from writer process $$ ($label)"
  local events="$build/demo-events.fifo"
  echo "--- $label ---"
  # The owner creates the segment and keeps it alive (on Windows a segment
  # dies with its last handle) until we close its standard input.
  coproc OWNER { "$@" create "$name" 64k --hold; }
  local line
  read -r line <&"${OWNER[0]}"
  [ "${line%$'\r'}" = "ready" ] || { echo "owner did not start" >&2; exit 1; }
  echo "owner:  created segment '$name' (64 KiB)"
  # And the "data ready" event, held the same way through a FIFO.
  rm -f "$events"
  mkfifo "$events"
  "$@" event create "$ready" --hold <"$events" >"$events.out" &
  local event_owner=$!
  local hold_events
  exec {hold_events}>"$events"
  until grep -q ready "$events.out" 2>/dev/null; do sleep 0.05; done
  echo "owner:  created event '$ready'"
  # The reader waits for the event, then reads: no fixed order of steps.
  {
    "$@" event wait "$ready" --timeout 30000
    echo "reader: woken by the event; read: $("$@" read "$name" --length "${#message}")"
  } &
  local reader=$!
  sleep 0.5
  echo "writer: writing ${#message} bytes, then setting the event"
  printf '%s' "$message" | "$@" write "$name"
  "$@" event set "$ready"
  wait "$reader"
  "$@" info "$name" | sed 's/^/info:   /'
  exec {hold_events}>&-
  wait "$event_owner"
  rm -f "$events" "$events.out"
  local owner_input=${OWNER[1]}
  exec {owner_input}>&-
  wait "$OWNER_PID"
  echo "owner:  closed the segment and the event"
}

mkdir -p "$build"
build_tree demo-native
run_demo "native ($(uname -s))" "$build/demo-native/bin/ipc-shm"

if [ "$native_only" -eq 0 ]; then
  build_tree demo-mingw "-DCMAKE_TOOLCHAIN_FILE=$root/cmake/toolchain-x86_64-w64-mingw32.cmake"
  wine=$(command -v wine64 || ls /usr/lib/wine/wine64 2>/dev/null || command -v wine)
  wineserver=$(command -v wineserver || ls /usr/lib/wine/wineserver64 2>/dev/null)
  export WINEPREFIX="$build/demo-mingw/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  mkdir -p "$WINEPREFIX"
  # One persistent server for all the demo's Windows processes; started
  # before wineboot, with no inherited pipes.
  "$wineserver" -p </dev/null >/dev/null 2>&1
  "$wine" wineboot -i </dev/null >/dev/null 2>&1
  trap '"$wineserver" -k </dev/null >/dev/null 2>&1 || true' EXIT
  run_demo "Windows programs under Wine" "$wine" "$build/demo-mingw/bin/ipc-shm.exe"
fi
