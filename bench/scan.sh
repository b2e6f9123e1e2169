#!/usr/bin/env bash
# Full-scan benchmark (issue 6): inventory × DB → findings → report, on the corpus image with a
# warm DB, drydock beside Trivy given a DB built from the same feeds (../shared/peers/trivy-db.sh).
# Prints medians of wall time and peak memory over RUNS runs and the ratios drydock / Trivy.
# Cold layers: drydock `--no-cache`, Trivy a cache holding only its DB. Warm layers (the nightly
# re-scan of an unchanged image): each tool scans once to fill its layer cache, then is timed.
#
#   bench/scan.sh [CORPUS_DIR] [PEERS_DIR] [TRIVY_CACHE]
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-${DRYDOCK_CORPUS:-/work/cache/corpus}}
PEERS=${2:-${DRYDOCK_PEERS:-/work/cache/peers}}
TRIVY_CACHE=${3:-${DRYDOCK_TRIVY_CACHE:-/work/cache/trivy-cache}}
SHARED=${DRYDOCK_SHARED:-../shared}
RUNS=${RUNS:-7}
cargo build --release -q -p drydock
DRYDOCK=${CARGO_TARGET_DIR:-$PWD/target}/release/drydock
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
"$DRYDOCK" db build --feeds "$SHARED/data/advisories" --db "$TMP/drydock.db" > /dev/null
[ -f "$TRIVY_CACHE/db/trivy.db" ] || "$SHARED/peers/trivy-db.sh" "$SHARED/data/advisories" "$TRIVY_CACHE" > /dev/null

measure() { # cold|warm NAME KIND CMD...
  local mode=$1 name=$2 kind=$3; shift 3
  fresh() { rm -rf "$TMP/tc" "$TMP/dc"; mkdir -p "$TMP/tc/db"; cp "$TRIVY_CACHE"/db/{trivy.db,metadata.json} "$TMP/tc/db/"; }
  fresh
  [ "$mode" = warm ] && { "$@" > /dev/null 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }; }
  for _ in $(seq "$RUNS"); do
    [ "$mode" = cold ] && fresh
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$TMP/t" "$@" > /dev/null 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }
    t1=$(date +%s%N)
    echo "$name $kind $mode $(( (t1 - t0) / 1000 ))e-6 $(cat "$TMP/t")"
  done
}
{
  for mode in cold warm; do
    for kind in oci docker-archive; do
      if [ $kind = oci ]; then T=$CORPUS/debian-app/oci; else T=$CORPUS/debian-app/docker-archive.tar; fi
      measure $mode drydock $kind "$DRYDOCK" image "$T" --db "$TMP/drydock.db" --format json --cache-dir "$TMP/dc" $([ $mode = cold ] && echo --no-cache)
      measure $mode trivy $kind "$PEERS/trivy" image --input "$T" --format json --quiet --cache-dir "$TMP/tc" \
        --skip-db-update --skip-java-db-update --offline-scan
    done
  done
} > "$TMP/runs"
python3 - "$TMP/runs" "$RUNS" <<'PY'
import sys, statistics
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1]):
    name, kind, mode, secs, kb = line.split()
    runs[(name, kind, mode)].append((float(secs), int(kb)))
print(f"corpus image, full vulnerability scan with a warm DB, {sys.argv[2]} runs each, medians\n")
print("| target | layers | tool | wall time (s) | peak RSS (MiB) | time / trivy | memory / trivy |")
print("|---|---|---|---|---|---|---|")
for mode in ("cold", "warm"):
    for kind in ("oci", "docker-archive"):
        t = statistics.median(s for s, _ in runs[("trivy", kind, mode)]); m = statistics.median(k for _, k in runs[("trivy", kind, mode)])
        for name in ("drydock", "trivy"):
            s = statistics.median(x for x, _ in runs[(name, kind, mode)]); k = statistics.median(y for _, y in runs[(name, kind, mode)])
            print(f"| {kind} | {mode} | {name} | {s:.3f} | {k/1024:.1f} | {s/t:.3f} | {k/m:.3f} |")
PY
