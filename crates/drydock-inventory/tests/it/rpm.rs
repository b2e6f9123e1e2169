//! The three real rpm databases in `shared/data/rpmdb/`, each placed at its usual path in a
//! root filesystem directory, inventoried end to end.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use drydock_inventory::{InventoryError, Mode, inventory};
use drydock_package::{Ecosystem, Package};

fn shared() -> PathBuf {
    std::env::var_os("DRYDOCK_SHARED").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")),
        PathBuf::from,
    )
}

/// `name epoch version release arch sourcerpm`, epoch 0 for none.
type Row = (String, String, String, String, String, String);

fn expected(tsv: &Path) -> BTreeSet<Row> {
    std::fs::read_to_string(tsv)
        .expect("expected list")
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 6, "{l}");
            (
                f[0].into(),
                f[1].into(),
                f[2].into(),
                f[3].into(),
                f[4].into(),
                f[5].into(),
            )
        })
        .collect()
}

/// The TSV row a package stands for: its version split back into epoch, version, release and
/// its source rebuilt into the source rpm's file name.
fn row(p: &Package) -> Row {
    let (epoch, vr) = p.version.split_once(':').unwrap_or(("0", &p.version));
    let (version, release) = vr.rsplit_once('-').expect("version-release");
    let source = p.source.as_ref().expect("source rpm");
    let srpm = format!(
        "{}-{}.src.rpm",
        source.name,
        source.version.as_deref().expect("source version")
    );
    (
        p.name.clone(),
        epoch.into(),
        version.into(),
        release.into(),
        p.arch.clone().unwrap_or_default(),
        srpm,
    )
}

/// A rootfs holding `db` at `at` and an `etc/os-release`.
fn rootfs(db: &Path, at: &str, os_release: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join(at);
    std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
    std::fs::copy(db, &dest).expect("copy database");
    std::fs::create_dir_all(dir.path().join("etc")).expect("mkdir etc");
    std::fs::write(dir.path().join("etc/os-release"), os_release).expect("os-release");
    dir
}

fn scan(dir: &Path) -> Result<drydock_inventory::InventoryResult, InventoryError> {
    let target = drydock_image::open(dir.to_str().expect("utf-8 temp path"), &Default::default())
        .expect("open rootfs");
    inventory(&target, Mode::Fs, &Default::default())
}

fn check(db: &str, at: &str, tsv: &str, os_release: &str, family: &str) {
    let data = shared().join("data/rpmdb");
    let dir = rootfs(&data.join(db), at, os_release);
    let result = scan(dir.path()).expect("inventory");
    let inv = result.inventory;
    let rpms: Vec<&Package> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Rpm)
        .collect();
    let got: BTreeSet<Row> = rpms.iter().map(|p| row(p)).collect();
    let want = expected(&data.join(tsv));
    assert_eq!(got, want);
    assert_eq!(rpms.len(), want.len(), "one package per row");
    for p in &rpms {
        assert_eq!(p.locations.len(), 1, "{}", p.name);
        assert_eq!(p.locations[0].path, at);
    }
    let os = inv.os.expect("os detected");
    assert_eq!(os.family.to_string(), family);
}

#[test]
fn sqlite_cbl_mariner_at_usr_lib_sysimage() {
    check(
        "sqlite-cbl-mariner-2.0/rpmdb.sqlite",
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
        "sqlite-cbl-mariner-2.0/expected-packages.rpm-4.18.tsv",
        "NAME=\"Common Base Linux Mariner\"\nVERSION=\"2.0.20230630\"\nID=mariner\nVERSION_ID=\"2.0\"\n",
        "cbl-mariner",
    );
}

#[test]
fn bdb_libuuid_at_var_lib_rpm() {
    check(
        "bdb-libuuid/Packages",
        "var/lib/rpm/Packages",
        "bdb-libuuid/expected-packages.rpm-4.18.tsv",
        "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"8.8 (Ootpa)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.8\"\n",
        "redhat",
    );
}

#[test]
fn ndb_sle15_at_usr_lib_sysimage() {
    check(
        "ndb-sle15-bci/Packages.db",
        "usr/lib/sysimage/rpm/Packages.db",
        "ndb-sle15-bci/expected-packages.go-rpmdb.tsv",
        "NAME=\"SLES\"\nVERSION=\"15-SP3\"\nVERSION_ID=\"15.3\"\nID=\"sles\"\nID_LIKE=\"suse\"\n",
        "suse",
    );
}

/// A corrupt database stops the inventory with an error naming the file and the problem.
#[test]
fn corrupt_database_is_fatal() {
    let data = shared().join("data/rpmdb");
    let mut bytes = std::fs::read(data.join("ndb-sle15-bci/Packages.db")).expect("ndb");
    bytes.truncate(bytes.len() / 2);
    let dir = rootfs(
        &data.join("bdb-libuuid/Packages"),
        "var/lib/rpm/Packages",
        "ID=rhel\n",
    );
    std::fs::create_dir_all(dir.path().join("usr/lib/sysimage/rpm")).expect("mkdir");
    std::fs::write(dir.path().join("usr/lib/sysimage/rpm/Packages.db"), &bytes).expect("write");
    let err = scan(dir.path()).expect_err("truncated ndb");
    let msg = err.to_string();
    assert!(
        msg.starts_with("rpm database `usr/lib/sysimage/rpm/Packages.db`: NDB: slot "),
        "{msg}"
    );
    assert!(msg.contains("outside the file"), "{msg}");
}
