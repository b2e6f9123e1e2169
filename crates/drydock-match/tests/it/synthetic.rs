//! Feeds the shared data lacks (Debian; one vulnerability in several PyPI records), written
//! here in the Debian tracker's and OSV's documented formats.

use drydock_advisory::Db;
use drydock_match::{FindingStatus, MatchOptions, Severity, SeveritySource, match_inventory};
use drydock_package::{Ecosystem, Inventory, Os, OsFamily, Package, SourcePackage};

const DEBIAN: &str = r#"{
  "openssl": {
    "CVE-2023-0464": {
      "description": "X.509 policy constraints excessive resource use",
      "scope": "remote",
      "releases": {
        "bookworm": {"status": "resolved", "repositories": {"bookworm": "3.0.9-1"},
                     "fixed_version": "3.0.9-1", "urgency": "low"},
        "bullseye": {"status": "open", "repositories": {"bullseye": "1.1.1n-0+deb11u4"},
                     "urgency": "low"}
      }
    },
    "CVE-2023-0466": {
      "releases": {
        "bookworm": {"status": "open", "repositories": {"bookworm": "3.0.8-1"},
                     "urgency": "unimportant", "nodsa": "Minor issue", "nodsa_reason": ""}
      }
    },
    "CVE-2010-5298": {
      "releases": {
        "bookworm": {"status": "resolved", "repositories": {"bookworm": "3.0.8-1"},
                     "fixed_version": "0", "urgency": "not yet assigned"}
      }
    }
  }
}"#;

const GHSA: &str = r#"{
  "id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z",
  "aliases": ["CVE-2099-1000"], "summary": "Foo.Bar parses untrusted input badly",
  "affected": [{"package": {"ecosystem": "PyPI", "name": "Foo.Bar"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}]}],
  "references": [{"type": "ADVISORY", "url": "https://github.com/advisories/GHSA-aaaa-bbbb-cccc"}],
  "database_specific": {"severity": "HIGH", "cwe_ids": ["CWE-20"]}
}"#;

const PYSEC: &str = r#"{
  "id": "PYSEC-2099-1", "modified": "2024-01-01T00:00:00Z",
  "aliases": ["CVE-2099-1000", "GHSA-aaaa-bbbb-cccc"],
  "affected": [{"package": {"ecosystem": "PyPI", "name": "foo-bar"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.5"}]}]}],
  "references": [{"type": "WEB", "url": "https://example.invalid/foo-bar"}]
}"#;

fn db(dir: &std::path::Path) -> Db {
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(feeds.join("debian")).expect("mkdir");
    std::fs::create_dir_all(feeds.join("osv/PyPI")).expect("mkdir");
    std::fs::write(feeds.join("debian/json"), DEBIAN).expect("write");
    std::fs::write(feeds.join("osv/PyPI/GHSA-aaaa-bbbb-cccc.json"), GHSA).expect("write");
    std::fs::write(feeds.join("osv/PyPI/PYSEC-2099-1.json"), PYSEC).expect("write");
    let path = dir.join("drydock.db");
    drydock_advisory::build(&[feeds], &path).expect("the feeds build");
    Db::open(&path).expect("the DB opens")
}

#[test]
fn debian_by_source_package_and_release() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let db = db(tmp.path());
    let mut p = Package::new(Ecosystem::Deb, "libssl3", "3.0.8-1");
    p.source = Some(SourcePackage {
        name: "openssl".into(),
        version: None,
    });
    let inv = Inventory {
        os: Some(Os {
            family: OsFamily::Debian,
            version: "12.1".into(),
            pretty_name: None,
            codename: Some("bookworm".into()),
        }),
        packages: vec![p],
        warnings: Vec::new(),
    };
    let out = match_inventory("img", &inv, &db, &MatchOptions::default()).expect("matches");
    let got: Vec<(&str, FindingStatus, Option<&str>, Severity)> = out
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f.status, f.fixed.as_deref(), f.severity))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "CVE-2023-0464",
                FindingStatus::Fixed,
                Some("3.0.9-1"),
                Severity::Low
            ),
            (
                "CVE-2023-0466",
                FindingStatus::WillNotFix,
                None,
                Severity::Unknown
            ),
        ]
    );
    assert_eq!(
        out.findings[0].severity_source,
        SeveritySource::Vendor("debian".into())
    );
    assert!(
        out.findings[0]
            .purl
            .starts_with("pkg:deb/debian/libssl3@3.0.8-1")
    );
}

#[test]
fn aliased_records_merge_into_one_finding() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let db = db(tmp.path());
    let inv = Inventory {
        os: None,
        packages: vec![Package::new(Ecosystem::Pypi, "Foo_Bar", "1.0")],
        warnings: Vec::new(),
    };
    let out = match_inventory("dir", &inv, &db, &MatchOptions::default()).expect("matches");
    assert_eq!(out.findings.len(), 1, "{:#?}", out.findings);
    let f = &out.findings[0];
    assert_eq!(f.id, "CVE-2099-1000");
    assert_eq!(f.aliases, vec!["GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1"]);
    assert_eq!(f.fixed.as_deref(), Some("1.1.5, 1.2"));
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.severity_source, SeveritySource::Vendor("ghsa".into()));
    assert_eq!(
        f.title.as_deref(),
        Some("Foo.Bar parses untrusted input badly")
    );
    assert_eq!(
        f.primary_url.as_deref(),
        Some("https://github.com/advisories/GHSA-aaaa-bbbb-cccc")
    );
    assert_eq!(f.cwes, vec!["CWE-20"]);
    // 1.1.5 is fixed according to one record and not the other: still affected.
    let inv = Inventory {
        os: None,
        packages: vec![Package::new(Ecosystem::Pypi, "foo.bar", "1.1.5")],
        warnings: Vec::new(),
    };
    let out = match_inventory("dir", &inv, &db, &MatchOptions::default()).expect("matches");
    assert_eq!(out.findings.len(), 1);
    assert_eq!(out.findings[0].fixed.as_deref(), Some("1.2"));
}
