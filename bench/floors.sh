#!/usr/bin/env bash
# The single-core floors of a cold inventory of the corpus image (see bench/README.md): inflating
# its largest gzip layer (drydock's inflater, and ISA-L's igzip when the `isal` package is
# installed) and hashing its largest uncompressed layer tar, medians of 7 runs.
#
#   bench/floors.sh [CORPUS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-${DRYDOCK_CORPUS:-/work/cache/corpus}}
BLOBS=$CORPUS/debian-app/oci/blobs/sha256
GZ=$(ls -S "$BLOBS"/* | head -1)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
gzip -dc < "$GZ" > "$TMP/layer.tar"
cargo run --release -q -p drydock-image --example floors -- "$GZ" "$TMP/layer.tar"
if command -v igzip > /dev/null; then
  for _ in 1 2 3 4 5 6 7; do
    t0=$(date +%s%N); igzip -dc < "$GZ" > /dev/null; t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000000 ))
  done | sort -n | sed -n 4p | awk '{ printf "inflate (ISA-L igzip, whole process): %.3f s\n", $1 / 1000 }'
fi
