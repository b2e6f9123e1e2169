//! Must-show 4: a corrupt zip, a truncated JSON, an unknown range type and an invalid version
//! are each skipped with a warning naming the file or record; the rest of the feed is kept.

use std::io::Write;
use std::path::Path;

use drydock_advisory::{Db, FeedKey, SkipReason};

use crate::{advisories, build_in};

fn osv(id: &str, package: &str, range_type: &str, fixed: &str) -> String {
    format!(
        r#"{{"id": "{id}", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2099-{n}"],
            "affected": [{{"package": {{"ecosystem": "PyPI", "name": "{package}"}},
              "ranges": [{{"type": "{range_type}", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#,
        n = id.len() + 1000
    )
}

fn write_zip(path: &Path, entries: &[(&str, String)]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in entries {
        zip.start_file(*name, opts).expect("entry");
        zip.write_all(body.as_bytes()).expect("write");
    }
    zip.finish().expect("finish");
}

fn warning(r: &drydock_advisory::BuildReport, reason: SkipReason) -> Vec<&drydock_advisory::Skip> {
    r.warnings.iter().filter(|w| w.reason == reason).collect()
}

#[test]
fn bad_records_in_a_zip_are_skipped_and_named_the_rest_kept() {
    let dir = tempfile::tempdir().expect("tmp");
    let good = osv("PYSEC-1", "Good_Pkg", "ECOSYSTEM", "1.2.3");
    let truncated = osv("PYSEC-2", "cut", "ECOSYSTEM", "1.0");
    let truncated = truncated[..truncated.len() / 2].to_string();
    write_zip(
        &dir.path().join("osv/PyPI/all.zip"),
        &[
            ("PYSEC-1.json", good),
            ("PYSEC-2.json", truncated),
            ("PYSEC-3.json", osv("PYSEC-3", "weird", "FANCY", "1.0")),
            (
                "PYSEC-4.json",
                osv("PYSEC-4", "badver", "ECOSYSTEM", "1.0-beta-what?"),
            ),
            (
                "PYSEC-5.json",
                osv("PYSEC-5", "also-good", "ECOSYSTEM", "2.0"),
            ),
        ],
    );
    let report = build_in(dir.path(), &[dir.path().to_path_buf()]);
    let s = &report.sources["osv:PyPI"];
    assert_eq!(s.records, 2);
    let malformed = warning(&report, SkipReason::Malformed);
    assert_eq!(malformed.len(), 1);
    assert!(
        malformed[0].location.ends_with("all.zip!PYSEC-2.json"),
        "{}",
        malformed[0]
    );
    let unknown = warning(&report, SkipReason::UnknownRangeType);
    assert_eq!(unknown.len(), 1);
    assert!(unknown[0].location.ends_with("PYSEC-3"), "{}", unknown[0]);
    assert!(unknown[0].detail.contains("FANCY"));
    let invalid = warning(&report, SkipReason::InvalidVersion);
    assert_eq!(invalid.len(), 1);
    assert!(invalid[0].location.ends_with("PYSEC-4"), "{}", invalid[0]);
    assert!(invalid[0].detail.contains("1.0-beta-what?"));

    let db = Db::open(&report.path).expect("opens");
    let key = FeedKey::language("PyPI");
    assert_eq!(db.affected(&key, "good-pkg").expect("q").len(), 1);
    assert_eq!(db.affected(&key, "also-good").expect("q").len(), 1);
    for skipped in ["weird", "badver", "cut"] {
        assert!(
            db.affected(&key, skipped).expect("q").is_empty(),
            "{skipped}"
        );
    }
    assert!(db.advisory("PYSEC-3").expect("q").is_none());
}

#[test]
fn a_corrupt_zip_is_skipped_and_named_other_feeds_kept() {
    let dir = tempfile::tempdir().expect("tmp");
    let real = std::fs::read(advisories().join("osv/crates.io/all.zip")).expect("shared zip");
    let zip = dir.path().join("osv/crates.io/all.zip");
    std::fs::create_dir_all(zip.parent().expect("parent")).expect("mkdir");
    // Half an archive: no central directory.
    std::fs::write(&zip, &real[..real.len() / 2]).expect("write");
    write_zip(
        &dir.path().join("osv/PyPI/all.zip"),
        &[(
            "PYSEC-1.json",
            osv("PYSEC-1", "requests", "ECOSYSTEM", "2.0"),
        )],
    );
    let report = build_in(dir.path(), &[dir.path().to_path_buf()]);
    let corrupt = warning(&report, SkipReason::CorruptArchive);
    assert_eq!(corrupt.len(), 1, "{:?}", report.warnings);
    assert_eq!(corrupt[0].source, "osv:crates.io");
    assert!(
        corrupt[0].location.ends_with("crates.io/all.zip"),
        "{}",
        corrupt[0]
    );
    assert_eq!(report.sources["osv:PyPI"].records, 1);
    let db = Db::open(&report.path).expect("opens");
    assert_eq!(
        db.affected(&FeedKey::language("PyPI"), "requests")
            .expect("q")
            .len(),
        1
    );
}

#[test]
fn a_truncated_secdb_file_is_skipped_and_named_other_files_kept() {
    let dir = tempfile::tempdir().expect("tmp");
    let v37 = dir.path().join("alpine-secdb/v3.7");
    std::fs::create_dir_all(&v37).expect("mkdir");
    let src = advisories().join("alpine-secdb/v3.7");
    let main = std::fs::read(src.join("main.json")).expect("read");
    std::fs::write(v37.join("main.json"), &main[..main.len() / 3]).expect("write");
    std::fs::copy(src.join("community.json"), v37.join("community.json")).expect("copy");
    let report = build_in(dir.path(), &[dir.path().to_path_buf()]);
    // (community.json has one real invalid version of its own, `quassel 0.12.5.-r0`.)
    let malformed = warning(&report, SkipReason::Malformed);
    assert_eq!(malformed.len(), 1, "{:?}", report.warnings);
    assert!(malformed[0].location.ends_with("v3.7/main.json"));
    assert!(
        report.sources["alpine-secdb"].records > 0,
        "community.json kept"
    );
    let db = Db::open(&report.path).expect("opens");
    assert!(
        db.affected(&FeedKey::distro("alpine", "3.7"), "musl")
            .expect("q")
            .is_empty()
    );
}

#[test]
fn a_truncated_nvd_page_is_skipped_and_named() {
    let dir = tempfile::tempdir().expect("tmp");
    let nvd = dir.path().join("nvd");
    std::fs::create_dir_all(&nvd).expect("mkdir");
    std::fs::copy(
        advisories().join("nvd/cves-0001.json"),
        nvd.join("cves-0001.json"),
    )
    .expect("copy");
    let page = std::fs::read(advisories().join("nvd/cves-0001.json")).expect("read");
    std::fs::write(nvd.join("cves-0002.json"), &page[..1000]).expect("write");
    let report = build_in(dir.path(), &[dir.path().to_path_buf()]);
    assert_eq!(report.sources["nvd"].records, 141);
    assert_eq!(report.warnings.len(), 1);
    assert!(report.warnings[0].location.ends_with("cves-0002.json"));
}

#[test]
fn a_base_without_feeds_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let err = drydock_advisory::build(&[dir.path().to_path_buf()], &dir.path().join("x.db"))
        .expect_err("nothing to build from");
    assert!(
        err.to_string().contains(&dir.path().display().to_string()),
        "{err}"
    );
}

/// The DB is opened through a `file:` URI (read-only, immutable): a directory whose name holds
/// what a URI would misread (`?`, `#`, `%`, a space, non-ASCII) still opens the right file,
/// and a DB rebuilt over an open one leaves the open handle reading the file it opened.
#[test]
fn a_db_in_an_oddly_named_directory_opens_and_survives_a_rebuild_over_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let feeds = dir.path().join("feeds");
    write_zip(
        &feeds.join("osv/PyPI/all.zip"),
        &[("PYSEC-1.json", osv("PYSEC-1", "good", "ECOSYSTEM", "1.2.3"))],
    );
    let odd = dir.path().join("a b?c#d%20e é");
    std::fs::create_dir_all(&odd).expect("odd dir");
    let target = odd.join("drydock.db");
    drydock_advisory::build(std::slice::from_ref(&feeds), &target).expect("build");
    let db = Db::open(&target).expect("opens");
    let key = FeedKey::language("PyPI");
    assert_eq!(db.affected(&key, "good").expect("q").len(), 1);

    // Rebuilt with another advisory while `db` is open: `db` still answers from its file.
    write_zip(
        &feeds.join("osv/PyPI/all.zip"),
        &[("PYSEC-2.json", osv("PYSEC-2", "other", "ECOSYSTEM", "2.0"))],
    );
    drydock_advisory::build(std::slice::from_ref(&feeds), &target).expect("rebuild");
    assert_eq!(db.affected(&key, "good").expect("q").len(), 1);
    assert!(db.affected(&key, "other").expect("q").is_empty());
    let fresh = Db::open(&target).expect("opens again");
    assert!(fresh.affected(&key, "good").expect("q").is_empty());
    assert_eq!(fresh.affected(&key, "other").expect("q").len(), 1);
}
