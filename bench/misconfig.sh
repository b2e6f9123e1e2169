#!/usr/bin/env bash
# Misconfiguration + secret overhead (issue 19): what `--scanners vuln,misconfig,secret` adds
# to a vulnerability scan, for drydock (both in ONE layer walk) and for Trivy (peer).
#
#   drydock image T --db DB --format json --no-cache --cache-dir TMP --scanners vuln
#   drydock image T --db DB --format json --no-cache --cache-dir TMP --scanners vuln,misconfig,secret
#   trivy image --input T --format json --quiet --cache-dir TMP --skip-db-update \
#         --skip-java-db-update --offline-scan --scanners vuln            (and vuln,misconfig,secret)
#
# Cold: no layer cache (drydock --no-cache; Trivy a fresh cache dir with only its DB), every
# run. Targets: the corpus image (OCI layout and docker-archive) and the shared Alpine 3.10
# docker-archive. Secret reading is bounded: files over 1 MiB, package-owned and binary files,
# documentation/runtime trees are not read; at most 256 MiB in all (docs/misconfig.md).
#
#   bench/misconfig.sh [CORPUS_DIR] [PEERS_DIR] [TRIVY_CACHE]        (RUNS=7 by default)
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
TRIVY=""
if [ -x "$PEERS/trivy" ] && [ -f "$TRIVY_CACHE/db/trivy.db" ]; then TRIVY=$PEERS/trivy; fi
fresh_caches() {
  rm -rf "$TMP/dc" "$TMP/tc"
  if [ -n "$TRIVY" ]; then mkdir -p "$TMP/tc/db"; cp "$TRIVY_CACHE"/db/{trivy.db,metadata.json} "$TMP/tc/db/"; fi
}
. bench/lib.sh
{
  for kind in corpus-oci corpus-docker-archive alpine-3.10; do
    case $kind in
      corpus-oci) T=$CORPUS/debian-app/oci ;;
      corpus-docker-archive) T=$CORPUS/debian-app/docker-archive.tar ;;
      alpine-3.10) T=$SHARED/data/images/alpine-3.10.docker-archive.tar.gz ;;
    esac
    for s in vuln vuln,misconfig,secret; do
      measure cold "drydock:$s" $kind "$DRYDOCK" image "$T" --db "$TMP/drydock.db" --format json \
        --no-cache --cache-dir "$TMP/dc" --scanners $s
      if [ -n "$TRIVY" ]; then
        measure cold "trivy:$s" $kind "$TRIVY" image --input "$T" --format json --quiet --cache-dir "$TMP/tc" \
          --skip-db-update --skip-java-db-update --offline-scan --scanners $s
      fi
    done
  done
} > "$TMP/runs"
python3 - "$TMP/runs" "$RUNS" <<'PY'
import sys, statistics
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1]):
    name, kind, mode, secs, kb = line.split()
    runs[(name, kind)].append(float(secs))
print(f"cold (no layer cache), {sys.argv[2]} runs each, median wall time (s)\n")
print("| target | tool | --scanners vuln | --scanners vuln,misconfig,secret | overhead |")
print("|---|---|---|---|---|")
for kind in ("corpus-oci", "corpus-docker-archive", "alpine-3.10"):
    for tool in ("drydock", "trivy"):
        v, b = runs.get((f"{tool}:vuln", kind)), runs.get((f"{tool}:vuln,misconfig,secret", kind))
        if not v or not b:
            continue
        v, b = statistics.median(v), statistics.median(b)
        print(f"| {kind} | {tool} | {v:.3f} | {b:.3f} | {100*(b-v)/v:+.0f}% |")
PY
