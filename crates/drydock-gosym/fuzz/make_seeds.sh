#!/usr/bin/env bash
# Seeds fuzz/corpus/read with the pclntab sections (and their first 64 KiB as whole-file
# seeds) of the fixture binaries (tests/fixtures/make_binaries.sh OUT_DIR first).
set -euo pipefail
FIX=${1:?usage: make_seeds.sh FIXTURE_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$HERE/corpus/read"
for b in "$FIX"/app-linux-amd64-s "$FIX"/app-linux-386; do
  n=$(basename "$b")
  objcopy -O binary --only-section=.gopclntab "$b" "$HERE/corpus/read/$n.pclntab"
  head -c 65536 "$HERE/corpus/read/$n.pclntab" > "$HERE/corpus/read/$n.pclntab-64k"
done
