#!/bin/sh
# Seeds for the fuzz targets: corpus/<target>/ (git-ignored). Small seeds mutate faster, so
# large inputs are cut down while staying valid.
# - rpm_*: the real databases in shared/data/rpmdb/, cut down to a few packages.
# - analyzers: each seed is the byte that picks its path in fuzz_targets/analyzers.rs, then the
#   file: the fixtures in ../tests/fixtures/lang, the apk database, release files and small
#   executables of the Alpine images in shared/data/images, the rpm seeds above, and (when the
#   corpus build tree is there, $DRYDOCK_CORPUS) a dpkg status, package.json files and a Go
#   binary cut down to its header and build info.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shared=${DRYDOCK_SHARED:-$here/../../../../shared}
corpus_tree=${DRYDOCK_CORPUS:-/work/cache/corpus}
data=$shared/data/rpmdb
mkdir -p "$here/corpus/rpm_header" "$here/corpus/rpm_bdb" "$here/corpus/rpm_ndb" "$here/corpus/rpm_sqlite"
install -m 644 "$data/bdb-libuuid/Packages" "$here/corpus/rpm_bdb/libuuid"
python3 - "$data" "$here/corpus" <<'PY'
import os, sqlite3, struct, sys
data, out = sys.argv[1], sys.argv[2]

# NDB: the header, one slot page keeping the first two slots, and their blobs.
ndb = open(os.path.join(data, "ndb-sle15-bci/Packages.db"), "rb").read()
slots = bytearray(ndb[:4096])
keep = [struct.unpack_from("<4sIII", slots, 32 + 16 * i) for i in range(2)]
for i in range(2, 254):
    struct.pack_into("<4sIII", slots, 32 + 16 * i, b"Slot", 0, 0, 0)
body, blk = bytearray(), 256
for i, (magic, idx, off, cnt) in enumerate(keep):
    body += ndb[off * 16:(off + cnt) * 16]
    struct.pack_into("<4sIII", slots, 32 + 16 * i, magic, idx, blk, cnt)
    blk += cnt
open(os.path.join(out, "rpm_ndb/two-packages"), "wb").write(bytes(slots) + bytes(body))

# SQLite: a fresh database with rpm's table and the three smallest headers; header seeds.
src = sqlite3.connect("file:" + os.path.join(data, "sqlite-cbl-mariner-2.0/rpmdb.sqlite") + "?mode=ro&immutable=1", uri=True)
rows = src.execute("SELECT hnum, blob FROM Packages ORDER BY length(blob) LIMIT 3").fetchall()
path = os.path.join(out, "rpm_sqlite/three-packages")
if os.path.exists(path):
    os.remove(path)
db = sqlite3.connect(path)
db.execute("CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)")
db.executemany("INSERT INTO Packages VALUES (?, ?)", rows)
db.commit()
db.close()
for hnum, blob in rows:
    open(os.path.join(out, "rpm_header/mariner-%d" % hnum), "wb").write(blob)
PY

mkdir -p "$here/corpus/analyzers"
python3 - "$here" "$shared/data" "$corpus_tree" <<'PY'
import io, os, re, sys, tarfile
here, data, tree = sys.argv[1:]
out = os.path.join(here, "corpus/analyzers")
MAX = 256 * 1024

src = open(os.path.join(here, "fuzz_targets/analyzers.rs")).read()
paths = re.findall(r'^\s*"([^"]+)",$', src.split("const PATHS")[1].split("];")[0], re.M)

def pick(rel):
    """The PATHS entry an analyzer would see `rel` as, by file name then by suffix."""
    name = os.path.basename(rel)
    for i, p in enumerate(paths):
        if os.path.basename(p) == name and not name.startswith("x"):
            return i
    for suffix, p in [(".jar", "app/lib/x.jar"), (".deps.json", "app/x.deps.json"),
                      (".gemspec", ".gemspec"), ("METADATA", "METADATA"), ("PKG-INFO", "PKG-INFO"),
                      ("package.json", "node_modules/x/package.json"), (".txt", "requirements.txt")]:
        if name.endswith(suffix):
            return next(i for i, q in enumerate(paths) if q.endswith(p))
    return None

def seed(name, path, body):
    if len(body) <= MAX:
        with open(os.path.join(out, name.replace("/", "_")), "wb") as f:
            f.write(bytes([paths.index(path)]) + body)

# Lockfiles and package metadata: the language fixtures (the malformed ones too).
fixtures = os.path.join(here, "../tests/fixtures/lang")
for root, _, files in os.walk(fixtures):
    for f in sorted(files):
        rel = os.path.relpath(os.path.join(root, f), fixtures)
        i = pick(rel)
        if i is not None:
            seed("fixture-" + rel, paths[i], open(os.path.join(root, f), "rb").read())

# The Alpine images: apk database, release files, executables under 64 KiB.
def rootfs(label, tar):
    for m in tar.getmembers():
        name = m.name.lstrip("./")
        if not m.isfile():
            continue
        if name in paths:
            seed(label + "-" + name, name, tar.extractfile(m).read())
        elif m.mode & 0o111 and m.size <= 64 * 1024:
            body = tar.extractfile(m).read()
            if body[:4] == b"\x7fELF":
                seed(label + "-" + name, "usr/local/bin/x", body)

images = os.path.join(data, "images")
with tarfile.open(os.path.join(images, "alpine-3.7.3-minirootfs.tar.gz")) as t:
    rootfs("alpine-3.7", t)
with tarfile.open(os.path.join(images, "alpine-3.10.docker-archive.tar.gz")) as t:
    for m in t.getmembers():
        if m.name.endswith("/layer.tar"):
            with tarfile.open(fileobj=io.BytesIO(t.extractfile(m).read())) as layer:
                rootfs("alpine-3.10", layer)

# rpm databases: the cut-down seeds made above for the rpm targets.
for seed_file, path in [("rpm_bdb/libuuid", "var/lib/rpm/Packages"),
                        ("rpm_ndb/two-packages", "usr/lib/sysimage/rpm/Packages.db"),
                        ("rpm_sqlite/three-packages", "var/lib/rpm/rpmdb.sqlite")]:
    seed("rpm-" + os.path.basename(seed_file), path,
         open(os.path.join(here, "corpus", seed_file), "rb").read())

# The corpus build tree, when there: a Debian status (first ten packages), package.json files,
# and the Go binary as the build-info scan sees it without section headers.
if os.path.isdir(tree):
    status = os.path.join(tree, "work/l1-debian/var/lib/dpkg/status")
    if os.path.isfile(status):
        stanzas = open(status, "rb").read().split(b"\n\n")
        seed("debian-status", "var/lib/dpkg/status", b"\n\n".join(stanzas[:10]) + b"\n")
    modules = os.path.join(tree, "work/l3-node/app/node_modules")
    if os.path.isdir(modules):
        for name in sorted(os.listdir(modules))[:12]:
            pj = os.path.join(modules, name, "package.json")
            if os.path.isfile(pj):
                seed("node-" + name, "app/node_modules/x/package.json", open(pj, "rb").read())
    go = os.path.join(tree, "work/l4-go/usr/local/bin/hello-go")
    if os.path.isfile(go):
        elf = bytearray(open(go, "rb").read())
        at = elf.find(b"\xff Go buildinf:")
        if at > 0:
            head = elf[:64]
            head[0x28:0x30] = bytes(8)  # e_shoff
            head[0x3c:0x40] = bytes(4)  # e_shnum, e_shstrndx
            seed("go-buildinfo", "usr/local/bin/x", bytes(head) + bytes(elf[at:at + 4096]))
PY
