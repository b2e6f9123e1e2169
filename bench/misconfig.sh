#!/usr/bin/env bash
# Misconfiguration + secret overhead (issue 19): what `--scanners misconfig,secret` adds to a
# corpus-image scan. Until the scanners are wired into `drydock image` (drydock-scan), the
# misconfig/secret pass is its own command, `drydock config --image`, which walks the layers
# a second time: the figure here is the sum (vulnerability scan + config pass) over the
# vulnerability scan alone, an upper bound of the overhead once both share one walk.
# Reading is bounded: layer files over 1 MiB, package-owned and binary files, and
# documentation/runtime trees are not read for secrets; at most 256 MiB in all.
#
#   bench/misconfig.sh [CORPUS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-${DRYDOCK_CORPUS:-/work/cache/corpus}}
SHARED=${DRYDOCK_SHARED:-../shared}
RUNS=${RUNS:-7}
cargo build --release -q -p drydock
DRYDOCK=${CARGO_TARGET_DIR:-$PWD/target}/release/drydock
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
"$DRYDOCK" db build --feeds "$SHARED/data/advisories" --db "$TMP/drydock.db" > /dev/null
fresh_caches() { rm -rf "$TMP/dc"; }
. bench/lib.sh
both() { "$DRYDOCK" image "$1" --db "$TMP/drydock.db" --format json --no-cache --cache-dir "$TMP/dc" \
  && "$DRYDOCK" config --image "$1" --format json; }
{
  for kind in oci docker-archive; do
    if [ $kind = oci ]; then T=$CORPUS/debian-app/oci; else T=$CORPUS/debian-app/docker-archive.tar; fi
    measure cold vuln $kind "$DRYDOCK" image "$T" --db "$TMP/drydock.db" --format json --no-cache --cache-dir "$TMP/dc"
    measure cold misconfig $kind "$DRYDOCK" config --image "$T" --format json
    export -f both; export DRYDOCK TMP
    measure cold vuln+misconfig+secret $kind bash -c 'both "$0"' "$T"
  done
} > "$TMP/runs"
python3 - "$TMP/runs" "$RUNS" <<'PY'
import sys, statistics
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1]):
    name, kind, mode, secs, kb = line.split()
    runs[(name, kind)].append(float(secs))
print(f"corpus image, no layer cache, {sys.argv[2]} runs each, median wall time (s)\n")
print("| target | vuln | misconfig+secret pass | vuln + pass | overhead |")
print("|---|---|---|---|---|")
for kind in ("oci", "docker-archive"):
    v = statistics.median(runs[("vuln", kind)])
    m = statistics.median(runs[("misconfig", kind)])
    b = statistics.median(runs[("vuln+misconfig+secret", kind)])
    print(f"| {kind} | {v:.3f} | {m:.3f} | {b:.3f} | {100*(b-v)/v:+.0f}% |")
PY
