//! Must-show 1: every record of every shared feed is counted, minus withdrawn ones, and every
//! skip is accounted for. The expected numbers are counted here independently of the readers.

use std::io::Read;

use drydock_advisory::{Db, SkipReason};
use serde_json::Value;

use crate::{advisories, open_shared, shared_db};

/// (records, withdrawn) of one OSV zip, read with the zip crate and serde_json only.
fn count_zip(eco: &str) -> (u64, u64) {
    let path = advisories().join("osv").join(eco).join("all.zip");
    let file = std::fs::File::open(&path).expect("shared zip exists");
    let mut zip = zip::ZipArchive::new(file).expect("shared zip reads");
    let (mut total, mut withdrawn) = (0, 0);
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("entry");
        let mut s = String::new();
        entry.read_to_string(&mut s).expect("entry reads");
        let v: Value = serde_json::from_str(&s).expect("entry is JSON");
        total += 1;
        if v.get("withdrawn").is_some_and(|w| !w.is_null()) {
            withdrawn += 1;
        }
    }
    (total, withdrawn)
}

/// Every id listed under every secfixes version of every secdb file.
fn count_secfixes() -> u64 {
    let mut n = 0;
    for rel in std::fs::read_dir(advisories().join("alpine-secdb")).expect("secdb dir") {
        for f in std::fs::read_dir(rel.expect("entry").path()).expect("release dir") {
            let v: Value =
                serde_json::from_slice(&std::fs::read(f.expect("file").path()).expect("reads"))
                    .expect("secdb JSON");
            for p in v["packages"].as_array().into_iter().flatten() {
                for ids in p["pkg"]["secfixes"]
                    .as_object()
                    .into_iter()
                    .flat_map(|o| o.values())
                {
                    n += ids.as_array().map_or(0, |a| a.len() as u64);
                }
            }
        }
    }
    n
}

fn skipped(report: &drydock_advisory::BuildReport, source: &str, reason: SkipReason) -> u64 {
    report.sources[source]
        .skipped
        .get(&reason)
        .copied()
        .unwrap_or(0)
}

/// Skips that drop whole records (withdrawn excluded).
fn dropped(report: &drydock_advisory::BuildReport, source: &str) -> u64 {
    report.sources[source]
        .skipped
        .iter()
        .filter(|(r, _)| r.drops_record() && **r != SkipReason::Withdrawn)
        .map(|(_, n)| n)
        .sum()
}

#[test]
fn every_shared_record_is_counted_minus_withdrawn() {
    let (_, report) = shared_db();
    for (eco, documented) in [("crates.io", 1206), ("Go", 4291), ("PyPI", 2661)] {
        let (total, withdrawn) = count_zip(eco);
        assert_eq!(total, documented, "shared/README.md's count for {eco}");
        let source = format!("osv:{eco}");
        let s = &report.sources[&source];
        assert_eq!(
            skipped(report, &source, SkipReason::Withdrawn),
            withdrawn,
            "{eco}"
        );
        assert_eq!(
            s.records + dropped(report, &source),
            total - withdrawn,
            "{eco}"
        );
    }
    let secfixes = count_secfixes();
    let s = &report.sources["alpine-secdb"];
    assert_eq!(s.records + dropped(report, "alpine-secdb"), secfixes);
    assert_eq!(s.affected, s.records, "one affected row per secfix entry");

    let nvd: Value = serde_json::from_slice(
        &std::fs::read(advisories().join("nvd/cves-0001.json")).expect("nvd page"),
    )
    .expect("NVD JSON");
    let n = nvd["vulnerabilities"]
        .as_array()
        .map_or(0, |a| a.len() as u64);
    assert_eq!(n, 141);
    assert_eq!(report.sources["nvd"].records, n);
}

#[test]
fn every_dropped_record_is_named_in_a_warning() {
    let (_, report) = shared_db();
    for (source, s) in &report.sources {
        let warned: u64 = report
            .warnings
            .iter()
            .filter(|w| &w.source == source)
            .map(|w| w.count)
            .sum();
        let warnable: u64 = s
            .skipped
            .iter()
            .filter(|(r, _)| r.is_warning())
            .map(|(_, n)| n)
            .sum();
        assert_eq!(warned, warnable, "{source}");
    }
    // The PyPI records whose versions PEP 440 rejects are named by id.
    for w in report.warnings.iter().filter(|w| w.source == "osv:PyPI") {
        assert_eq!(w.reason, SkipReason::InvalidVersion);
        assert!(w.location.contains("PYSEC-"), "{w}");
    }
}

#[test]
fn status_reports_what_the_build_did() {
    let (_, report) = shared_db();
    let db = open_shared();
    let status = db.status().expect("status");
    assert_eq!(status.sources, report.sources);
    assert_eq!(status.schema_version, drydock_advisory::SCHEMA_VERSION);
    assert!(db.age().expect("age") < std::time::Duration::from_secs(3600));
    assert!(
        report.size_bytes < 50 << 20,
        "DB size {}",
        report.size_bytes
    );
    for (name, s) in &status.sources {
        assert!(s.feed_time.is_some(), "{name} has a feed time");
    }
}

#[test]
fn a_rebuild_replaces_the_file_and_an_open_reader_keeps_working() {
    let dir = tempfile::tempdir().expect("tmp");
    let target = dir.path().join("db.sqlite");
    let feeds = vec![advisories().join("osv/crates.io/all.zip")];
    drydock_advisory::build(&feeds, &target).expect("first build");
    let old = Db::open(&target).expect("opens");
    drydock_advisory::build(&feeds, &target).expect("second build");
    let key = drydock_advisory::FeedKey::language("crates.io");
    assert!(
        !old.affected(&key, "openssl")
            .expect("old handle reads")
            .is_empty()
    );
    let new = Db::open(&target).expect("opens");
    assert_eq!(
        old.affected(&key, "openssl").expect("old"),
        new.affected(&key, "openssl").expect("new")
    );
    // No temp files are left beside the DB.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_missing_or_foreign_file_is_a_typed_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("nope.db");
    assert!(matches!(
        Db::open(&missing),
        Err(drydock_advisory::DbError::Missing { .. })
    ));
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not sqlite at all, just text").expect("write");
    let err = Db::open(&junk).expect_err("junk does not open");
    assert!(err.to_string().contains("junk.db"), "{err}");
}
