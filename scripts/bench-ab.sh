#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Compare two builds of ipc-shm-bench in one run, by turns: round after
# round, each build runs with the same arguments (which goes first
# alternates), and every row is reported with each build's median and
# worst round and the ratio of the medians. This machine's speed drifts;
# only such a comparison can choose between two builds.
#
#   scripts/bench-ab.sh OLD_BENCH NEW_BENCH ROUNDS [ipc-shm-bench arguments]
#
# The figure of a row: throughput GB/s (messages/s where bytes mean
# nothing), higher is better; latency, poll, death p50 in microseconds and
# lifecycle seconds per call, lower is better. "new/old" is the ratio of the
# medians, oriented so that above 1 means the new build is faster.
set -euo pipefail

if [ $# -lt 3 ]; then
  echo "usage: scripts/bench-ab.sh OLD_BENCH NEW_BENCH ROUNDS [ipc-shm-bench arguments]" >&2
  exit 2
fi
old=$1
new=$2
rounds=$3
shift 3
for bench in "$old" "$new"; do
  [ -x "$bench" ] || { echo "bench-ab: $bench is not a program" >&2; exit 2; }
done

samples=$(mktemp)
trap 'rm -f "$samples"' EXIT

# One run: CSV rows as "key<TAB>build<TAB>figure<TAB>higher-is-better".
run() {
  local build=$1 bench=$2
  shift 2
  "$bench" --csv "$@" | awk -F, -v build="$build" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    {
      key = $col["kind"] "," $col["transport"] "," $col["condition"] "," $col["msg_bytes"]
      kind = $col["kind"]
      if (kind == "throughput") {
        v = $col["gb_per_s"]; if (v == "") v = $col["msgs_per_s"]; up = 1
      } else if (kind == "lifecycle") {
        v = $col["seconds"]; up = 0
      } else {
        v = $col["p50_us"]; up = 0
      }
      if (v != "") printf "%s\t%s\t%s\t%d\n", key, build, v, up
    }'
}

for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then
    run old "$old" "$@" >>"$samples"
    run new "$new" "$@" >>"$samples"
  else
    run new "$new" "$@" >>"$samples"
    run old "$old" "$@" >>"$samples"
  fi
done

sort -t "$(printf '\t')" -k1,1 -k2,2 -k3,3g "$samples" | awk -F '\t' '
  function flush(   median, worst) {
    if (count == 0) return
    median = values[int((count + 1) / 2)]
    worst = upof[lastkey] ? values[1] : values[count]
    result[last, "median"] = median
    result[last, "worst"] = worst
    count = 0
  }
  {
    group = $1 SUBSEP $2
    if (group != last) { flush(); last = group; lastkey = $1; order[++nkeys] = $1 }
    upof[$1] = $4
    values[++count] = $3
  }
  END {
    flush()
    printf "%-48s %12s %12s %12s %12s %8s\n", "row (kind,transport,condition,bytes)",
           "old median", "old worst", "new median", "new worst", "new/old"
    for (i = 1; i <= nkeys; i++) {
      k = order[i]
      if (seen[k]++) continue
      om = result[k SUBSEP "old", "median"]; nm = result[k SUBSEP "new", "median"]
      ratio = (om == 0 || nm == 0) ? 0 : (upof[k] ? nm / om : om / nm)
      printf "%-48s %12.4g %12.4g %12.4g %12.4g %8.2f\n", k, om,
             result[k SUBSEP "old", "worst"], nm, result[k SUBSEP "new", "worst"], ratio
    }
  }'
