#!/usr/bin/env bash
# Full-scan benchmark (issue 6): inventory × DB → findings → report, on the corpus image with a
# warm DB, drydock beside Trivy given a DB built from the same feeds (../shared/peers/trivy-db.sh).
# Prints medians of wall time and peak memory over RUNS runs and the ratios drydock / Trivy.
# Like with like (issue 13): drydock scans for vulnerabilities only, so the baseline is
# `trivy image --scanners vuln`. Trivy's default scanners add secret scanning, which reads every
# file of every layer; that run is printed as `trivy-default` for reference, never as the ratio's
# base. (Once drydock scans secrets, both go in with secrets.)
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
# DRYDOCK_BIN: time a drydock built elsewhere (another checkout, a release) instead of building.
if [ -n "${DRYDOCK_BIN:-}" ]; then
  DRYDOCK=$DRYDOCK_BIN
else
  cargo build --release -q -p drydock
  DRYDOCK=${CARGO_TARGET_DIR:-$PWD/target}/release/drydock
fi
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
"$DRYDOCK" db build --feeds "$SHARED/data/advisories" --db "$TMP/drydock.db" > /dev/null
[ -f "$TRIVY_CACHE/db/trivy.db" ] || "$SHARED/peers/trivy-db.sh" "$SHARED/data/advisories" "$TRIVY_CACHE" > /dev/null

. bench/lib.sh
fresh_caches() { rm -rf "$TMP/tc" "$TMP/dc"; mkdir -p "$TMP/tc/db"; cp "$TRIVY_CACHE"/db/{trivy.db,metadata.json} "$TMP/tc/db/"; }
{
  for mode in cold warm; do
    for kind in oci docker-archive; do
      if [ $kind = oci ]; then T=$CORPUS/debian-app/oci; else T=$CORPUS/debian-app/docker-archive.tar; fi
      measure $mode drydock $kind "$DRYDOCK" image "$T" --db "$TMP/drydock.db" --format json --cache-dir "$TMP/dc" $([ $mode = cold ] && echo --no-cache)
      measure $mode trivy $kind "$PEERS/trivy" image --input "$T" --format json --quiet --cache-dir "$TMP/tc" \
        --scanners vuln --skip-db-update --skip-java-db-update --offline-scan
      measure $mode trivy-default $kind "$PEERS/trivy" image --input "$T" --format json --quiet --cache-dir "$TMP/tc" \
        --skip-db-update --skip-java-db-update --offline-scan
    done
  done
} > "$TMP/runs"
summarize "$TMP/runs" "corpus image, full vulnerability scan with a warm DB (trivy: --scanners vuln; trivy-default: vuln + secret)" layers drydock trivy trivy-default
