#!/usr/bin/env bash
# Build time and DB size for the shared feeds: medians of N runs of the release binary.
#   bench/db-build.sh [RUNS=5]
# Targets (issue 5): build < 3 s, DB < 50 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
SHARED=${DRYDOCK_SHARED:-../shared}
cargo build --release -q -p drydock
BIN=target/release/drydock
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
times=()
for _ in $(seq "$RUNS"); do
  start=$(date +%s.%N)
  "$BIN" db build --feeds "$SHARED/data/advisories" --db "$OUT/drydock.db" >/dev/null
  end=$(date +%s.%N)
  times+=("$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}')")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
size=$(stat -c %s "$OUT/drydock.db")
printf 'db build: median %.3f s over %d runs (all: %s)\n' "$median" "$RUNS" "${times[*]}"
awk -v s="$size" 'BEGIN {printf "db size:  %d bytes (%.1f MiB)\n", s, s / 1048576}'
