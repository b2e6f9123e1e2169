#!/bin/sh
# Seeds the fuzz corpora from the issue-14 fixtures (make_hostile.py) and small real archives:
# every tar fixture under 1 MiB seeds both targets (image_open gets each with a kind byte of
# 0, that is detection).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python3 "$here/../tests/fixtures/make_hostile.py" "$out" >/dev/null
mkdir -p "$here/corpus/tar_header" "$here/corpus/image_open"
# The OCI layouts as OCI archives.
for d in "$out"/case06-nested-index-layout; do
    tar -C "$d" -cf "$out/$(basename "$d").tar" .
done
for f in "$out"/*.tar; do
    [ "$(wc -c <"$f")" -le 1048576 ] || continue
    n=$(basename "$f" .tar)
    cp "$f" "$here/corpus/tar_header/$n"
    { printf '\000'; cat "$f"; } >"$here/corpus/image_open/$n"
done
echo "seeded $(ls "$here/corpus/tar_header" | wc -l) inputs per target"
