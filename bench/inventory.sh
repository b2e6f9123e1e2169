#!/usr/bin/env bash
# Inventory benchmark (issue 2): drydock, Trivy and Syft on the corpus image, as an OCI layout
# and as a docker-archive, in one run. Prints medians of wall time and peak memory (RSS) over
# RUNS runs, and the ratios drydock / Trivy.
#
#   bench/inventory.sh [CORPUS_DIR] [PEERS_DIR]
#
# CORPUS_DIR holds debian-app/ from ../shared/corpus/build-images.sh (default /work/cache/corpus);
# PEERS_DIR holds trivy and syft from ../shared/peers/install.sh (default /work/cache/peers).
# Cold runs: every tool gets a fresh cache directory per run (drydock `--no-cache`, Trivy and
# Syft a new empty directory). Warm runs: drydock and Trivy each scan once to fill their layer
# caches (drydock's `layers/` cache, Trivy's fanal cache), then are timed on that cache: the
# nightly re-scan of an unchanged image. Syft keeps no layer cache, so it runs cold only.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-${DRYDOCK_CORPUS:-/work/cache/corpus}}
PEERS=${2:-${DRYDOCK_PEERS:-/work/cache/peers}}
RUNS=${RUNS:-7}
cargo build --release -q -p drydock
DRYDOCK=${CARGO_TARGET_DIR:-$PWD/target}/release/drydock
export SYFT_CHECK_FOR_APP_UPDATE=false
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

measure() { # measure cold|warm NAME TARGET_KIND CMD... → one line per run: NAME KIND MODE seconds kilobytes
  local mode=$1 name=$2 kind=$3; shift 3
  rm -rf "$TMP/cache"; mkdir -p "$TMP/cache"
  [ "$mode" = warm ] && { "$@" > /dev/null 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }; }
  for _ in $(seq "$RUNS"); do
    [ "$mode" = cold ] && { rm -rf "$TMP/cache"; mkdir -p "$TMP/cache"; }
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$TMP/t" "$@" > /dev/null 2> "$TMP/err" || { cat "$TMP/err"; exit 1; }
    t1=$(date +%s%N)
    # Wall time from the shell's nanosecond clock (GNU time rounds to 10 ms), RSS from GNU time.
    echo "$name $kind $mode $(( (t1 - t0) / 1000 ))e-6 $(cat "$TMP/t")"
  done
}

{
  for kind in oci docker-archive; do
    if [ $kind = oci ]; then T=$CORPUS/debian-app/oci; S=oci-dir:$T; else T=$CORPUS/debian-app/docker-archive.tar; S=docker-archive:$T; fi
    measure cold drydock $kind "$DRYDOCK" sbom "$T" --format cyclonedx --no-cache
    measure cold trivy $kind "$PEERS/trivy" image --input "$T" --format cyclonedx --quiet --cache-dir "$TMP/cache"
    measure cold syft $kind env SYFT_CACHE_DIR="$TMP/cache" "$PEERS/syft" "$S" -o cyclonedx-json -q
    measure warm drydock $kind "$DRYDOCK" sbom "$T" --format cyclonedx --cache-dir "$TMP/cache"
    measure warm trivy $kind "$PEERS/trivy" image --input "$T" --format cyclonedx --quiet --cache-dir "$TMP/cache"
  done
} > "$TMP/runs"

python3 - "$TMP/runs" "$RUNS" <<'PY'
import sys, statistics
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1]):
    name, kind, mode, secs, kb = line.split()
    runs[(name, kind, mode)].append((float(secs), int(kb)))
print(f"corpus image, {sys.argv[2]} runs each, medians\n")
print("| target | cache | tool | wall time (s) | peak RSS (MiB) | time / trivy | memory / trivy |")
print("|---|---|---|---|---|---|---|")
for mode in ("cold", "warm"):
    for kind in ("oci", "docker-archive"):
        t_med = statistics.median(s for s, _ in runs[("trivy", kind, mode)])
        m_med = statistics.median(k for _, k in runs[("trivy", kind, mode)])
        for name in ("drydock", "trivy", "syft"):
            if (name, kind, mode) not in runs:
                continue
            s = statistics.median(x for x, _ in runs[(name, kind, mode)])
            m = statistics.median(k for _, k in runs[(name, kind, mode)])
            print(f"| {kind} | {mode} | {name} | {s:.3f} | {m/1024:.1f} | {s/t_med:.3f} | {m/m_med:.3f} |")
PY
