#!/bin/sh
# Seeds for the rpm fuzz targets, made from the real databases in shared/data/rpmdb/:
# corpus/<target>/ (git-ignored). Small seeds mutate faster, so the large databases are cut
# down to a few packages while staying valid.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shared=${DRYDOCK_SHARED:-$here/../../../../shared}
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
