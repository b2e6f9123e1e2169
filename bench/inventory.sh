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

. bench/lib.sh
fresh_caches() { rm -rf "$TMP/cache"; mkdir -p "$TMP/cache"; }

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

summarize "$TMP/runs" "corpus image" cache drydock trivy syft
