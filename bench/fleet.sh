#!/usr/bin/env bash
# Issue 12, benchmark 1: the test fleet (crates/drydock-fleet/tests/fixtures/make_fleet.py) scanned by
# `drydock fleet scan` against a loop of `trivy image --scanners vuln` over the same images with one
# shared, persistent Trivy cache (Trivy's best case). Both have a warm vulnerability DB built from the
# same feeds; both layer caches start cold. Every image is first exported to its own docker-archive
# (skopeo), so both tools read exactly the same files. Medians of RUNS runs; peak RSS of the drydock
# process vs the largest single Trivy process.
#
#   bench/fleet.sh [RUNS] [FLEET_DIR] [TRIVY_CACHE]
# Peer flags: trivy image --input IMAGE.tar --scanners vuln --format json --quiet --cache-dir SHARED
#             drydock fleet scan LIST --release bench --no-progress --format json --cache-dir FRESH
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(dirname "$HERE")
RUNS=${1:-3}
FLEET=${2:-${DRYDOCK_FLEET:-/var/cache/drydock-ci/fleet}}
SHARED=$(realpath "${DRYDOCK_SHARED:-$ROOT/../shared}")
PEERS=${DRYDOCK_PEERS:-/var/cache/drydock-ci/peers}
TRIVY_CACHE=${3:-${DRYDOCK_TRIVY_CACHE:-/var/cache/drydock-ci/trivy-cache}}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cargo build --release -q --manifest-path "$ROOT/Cargo.toml" -p drydock
DD="$ROOT/target/release/drydock"
"$DD" db build --feeds "$SHARED/data/advisories" --db "$TMP/db.db" -q
[ -f "$TRIVY_CACHE/db/trivy.db" ] || "$SHARED/peers/trivy-db.sh" "$SHARED/data/advisories" "$TRIVY_CACHE" > /dev/null

# The readable layout images, each as its own docker-archive.
mkdir -p "$TMP/images"
python3 - "$FLEET/expected.json" > "$TMP/tags" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for name, v in d["images"].items():
    if v.get("format") == "oci-layout" and v.get("expect") == "ok":
        print(v["oci_tag"], name)
PY
while read -r tag name; do
  skopeo copy -q "oci:$FLEET/oci:$tag" "docker-archive:$TMP/images/$tag.tar:$name" >/dev/null
  echo "$TMP/images/$tag.tar" >> "$TMP/list.txt"
done < "$TMP/tags"
N=$(wc -l < "$TMP/list.txt")

for run in $(seq "$RUNS"); do
  rm -rf "$TMP/dc" "$TMP/h.db" "$TMP/tc"; mkdir -p "$TMP/tc/db"
  cp "$TRIVY_CACHE"/db/{trivy.db,metadata.json} "$TMP/tc/db/"
  t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$TMP/dd.mem" "$DD" fleet scan "$TMP/list.txt" --release bench --db "$TMP/db.db" \
    --store "$TMP/h.db" --cache-dir "$TMP/dc" --no-progress --format json > "$TMP/dd.json" || [ $? = 3 ]
  t1=$(date +%s%N)
  max=0
  while read -r img; do
    /usr/bin/time -f "%M" -o "$TMP/tr.mem" "$PEERS/trivy" image --input "$img" --scanners vuln --format json \
      --quiet --cache-dir "$TMP/tc" > /dev/null
    m=$(cat "$TMP/tr.mem"); [ "$m" -gt "$max" ] && max=$m
  done < "$TMP/list.txt"
  t2=$(date +%s%N)
  python3 -c "import json;d=json.load(open('$TMP/dd.json'));print('run $run: drydock %.2f s %d KiB (layers analysed %d, distinct %d) | trivy loop %.2f s, largest process %d KiB' % (($t1-$t0)/1e9, $(cat "$TMP/dd.mem"), d['layers_analysed'], d['unique_layers'], ($t2-$t1)/1e9, $max))"
done | tee "$TMP/runs"
python3 - "$TMP/runs" "$N" <<'PY'
import re, sys, statistics
rows = [re.findall(r"[\d.]+", l) for l in open(sys.argv[1])]
dd = statistics.median(float(r[1]) for r in rows); ddm = statistics.median(int(r[2]) for r in rows)
tr = statistics.median(float(r[5]) for r in rows); trm = statistics.median(int(r[6]) for r in rows)
print(f"\n{sys.argv[2]} images, medians: drydock {dd:.2f} s, trivy loop {tr:.2f} s, ratio {dd/tr:.3f}; "
      f"peak RSS drydock {ddm/1024:.0f} MiB vs one trivy process {trm/1024:.0f} MiB, ratio {ddm/trm:.2f}")
PY
