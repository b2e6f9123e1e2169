#!/bin/sh
# Seeds for the `feeds` fuzz target, cut from the real feeds in shared/data/advisories/:
# corpus/feeds/ (git-ignored). Each seed starts with the byte that picks its reader (0 OSV
# record, 1 OSV all.zip, 2 Alpine secdb, 3 Debian tracker, 4 NVD page, as in
# fuzz_targets/feeds.rs). Small seeds mutate faster, so archives and pages keep a few records.
# No Debian tracker JSON is in shared/data: its seed is the fixture of tests/it/debian.rs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shared=${DRYDOCK_SHARED:-$here/../../../../shared}
mkdir -p "$here/corpus/feeds"
python3 - "$shared/data/advisories" "$here/../tests/it/debian.rs" "$here/corpus/feeds" <<'PY'
import io, json, os, re, sys, zipfile
data, debian_fixture, out = sys.argv[1:]

def seed(name, reader, body):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([reader]) + body)

# OSV: the 12 smallest and 12 largest-under-8-KiB records of each ecosystem (withdrawn, GIT
# ranges, SEMVER and ECOSYSTEM ranges, versions lists all occur), and a zip of four of them.
for eco in sorted(os.listdir(os.path.join(data, "osv"))):
    path = os.path.join(data, "osv", eco, "all.zip")
    if not os.path.isfile(path):
        continue
    with zipfile.ZipFile(path) as z:
        infos = sorted((i for i in z.infolist() if i.file_size < 8192), key=lambda i: (i.file_size, i.filename))
        picked = infos[:12] + infos[-12:]
        for i in picked:
            seed("osv-%s-%s" % (eco, i.filename), 0, z.read(i))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as small:
            for i in picked[:2] + picked[-2:]:
                small.writestr(i.filename, z.read(i))
        seed("zip-%s" % eco, 1, buf.getvalue())

# Alpine secdb: the small files whole; the first three packages of each main.json.
secdb = os.path.join(data, "alpine-secdb")
for rel in sorted(os.listdir(secdb)):
    for repo in ("community", "main"):
        path = os.path.join(secdb, rel, repo + ".json")
        doc = json.load(open(path))
        if os.path.getsize(path) > 8192:
            doc["packages"] = doc["packages"][:3]
        seed("secdb-%s-%s" % (rel, repo), 2, json.dumps(doc, indent=1).encode())

# Debian tracker: the integration tests' fixture.
src = open(debian_fixture).read()
tracker = re.search(r'pub const TRACKER: &str = r#"(.*?)"#;', src, re.S).group(1)
seed("debian-tracker", 3, tracker.encode())

# NVD: pages of two records each, covering every metric combination and status in the page.
page = json.load(open(os.path.join(data, "nvd", "cves-0001.json")))
seen = {}
for v in page["vulnerabilities"]:
    cve = v["cve"]
    kind = (tuple(sorted(cve.get("metrics", {}))), cve.get("vulnStatus"))
    seen.setdefault(kind, v)
vulns = list(seen.values())
for n in range(0, len(vulns), 2):
    small = dict(page, resultsPerPage=2, startIndex=n, vulnerabilities=vulns[n:n + 2])
    seed("nvd-%02d" % (n // 2), 4, json.dumps(small, indent=1).encode())
PY
