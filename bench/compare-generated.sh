#!/usr/bin/env bash
# A second, bigger check of "every package both peers report, drydock reports": a root
# filesystem made here from PyPI wheels and an npm project (packages the corpus image does not
# have), read by drydock as an image (a rootfs tarball) and as a directory, beside
# `trivy rootfs`/`trivy fs` and `syft dir:`. Prints counts per ecosystem and the differences.
#
#   bench/compare-generated.sh [WORK_DIR]
#
# Needs python3 (venv, pip) and npm with access to their registries, and the peers
# (DRYDOCK_PEERS, default /work/cache/peers).
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=${DRYDOCK_PEERS:-/work/cache/peers}
WORK=${1:-$(mktemp -d)}
ROOT=$WORK/root
cargo build --release -q -p drydock
DRYDOCK=${CARGO_TARGET_DIR:-$PWD/target}/release/drydock
if [ ! -d "$ROOT/app/node_modules" ]; then
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install -q --only-binary=:all: --target "$ROOT/usr/lib/python3/dist-packages" \
    requests==2.25.0 Django==3.2.0 flask==1.1.2 jinja2==2.11.2 urllib3==1.26.4 setuptools==57.0.0 \
    paramiko==2.7.1 cryptography pillow numpy lxml sqlalchemy pyyaml
  mkdir -p "$ROOT/app"
  (cd "$ROOT/app" && npm init -y > /dev/null && npm install --silent express@4.17.1 lodash@4.17.15 \
    axios@0.21.0 minimist@1.2.0 moment@2.29.1 jquery@3.4.0 handlebars@4.5.0 ws@7.4.0 node-fetch@2.6.0 > /dev/null)
fi
tar -C "$ROOT" -cf "$WORK/root.tar" .
"$DRYDOCK" sbom "$WORK/root.tar" --format json --no-cache > "$WORK/drydock-image.json"
"$DRYDOCK" sbom "$ROOT" --format json --no-cache > "$WORK/drydock-fs.json"
"$PEERS/trivy" rootfs --format cyclonedx --quiet --cache-dir "$WORK/tc" "$ROOT" > "$WORK/trivy-rootfs.json"
"$PEERS/trivy" fs --format cyclonedx --quiet --cache-dir "$WORK/tc" "$ROOT" > "$WORK/trivy-fs.json"
SYFT_CHECK_FOR_APP_UPDATE=false "$PEERS/syft" "dir:$ROOT" -o cyclonedx-json -q > "$WORK/syft.json"
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
def drydock(f):
    return {(p["ecosystem"], p["name"].lower().replace("_", "-"), p["version"])
            for t in json.load(open(f))["targets"] for p in t["packages"]}
def cyclonedx(f):
    out = set()
    for c in json.load(open(f)).get("components", []):
        purl = c.get("purl", "")
        if not purl:
            continue
        name = (c["group"] + "/" + c["name"]) if c.get("group") else c["name"]
        out.add((purl[4:].split("/")[0], name.lower().replace("_", "-"), c.get("version", "")))
    return out
syft = cyclonedx(f"{work}/syft.json")
failed = False
for mode, trivy_file in (("image", "trivy-rootfs"), ("fs", "trivy-fs")):
    d, t = drydock(f"{work}/drydock-{mode}.json"), cyclonedx(f"{work}/{trivy_file}.json")
    print(f"drydock {mode} mode vs {trivy_file.replace('-', ' ')} and syft dir:")
    for eco in ("pypi", "npm"):
        dd, tt, ss = ({(n, v) for e, n, v in s if e == eco} for s in (d, t, syft))
        missed = sorted((tt & ss) - dd)
        failed |= bool(missed)
        print(f"  {eco}: drydock {len(dd)}, trivy {len(tt)}, syft {len(ss)}; both peers, not drydock: {missed}")
        print(f"    only trivy: {sorted(tt - dd)[:8]}  only syft: {sorted(ss - dd)[:8]}  only drydock: {sorted(dd - (tt | ss))[:8]}")
sys.exit(1 if failed else 0)
PY
