#!/usr/bin/env bash
# The corpus image's language packages as drydock, Trivy and Syft report them: counts per
# ecosystem, the packages both peers report and drydock does not (must be 0), the packages only
# drydock or one peer reports, and the walk time with and without the language analyzers.
#
#   bench/compare-inventory.sh
#
# Env: DRYDOCK_CORPUS (directory holding debian-app/, default /work/cache/corpus; built by
# ../shared/corpus/build-images.sh), DRYDOCK_PEERS (directory holding trivy and syft, default
# /work/cache/peers). The comparison itself is the test
# crates/drydock-inventory/tests/it/lang.rs::corpus_image_matches_what_trivy_and_syft_both_report,
# which this runs with its output shown.
set -euo pipefail
cd "$(dirname "$0")/.."
export DRYDOCK_CORPUS=${DRYDOCK_CORPUS:-/work/cache/corpus}
export DRYDOCK_PEERS=${DRYDOCK_PEERS:-/work/cache/peers}
for f in "$DRYDOCK_CORPUS/debian-app/docker-archive.tar" "$DRYDOCK_PEERS/trivy" "$DRYDOCK_PEERS/syft"; do
  [ -e "$f" ] || { echo "missing: $f" >&2; exit 1; }
done
cargo test -q -p drydock-inventory --test it -- --exact \
  lang::corpus_image_matches_what_trivy_and_syft_both_report --nocapture 2>&1 |
  grep -E '^(walk of| {8}|npm|pypi|cargo|golang|  drydock,|  not drydock,|test result|thread|assert)' || true
