//! The Debian security tracker JSON. No Debian data is in `../shared`; this fixture follows the
//! format of `security-tracker.debian.org/tracker/data/json` (source package → CVE → release
//! codename → status, repositories, fixed_version, urgency, nodsa, nodsa_reason), as the
//! tracker's JSON export writes it.

use drydock_advisory::{Db, FeedKey, SkipReason, Status};

use crate::build_in;

pub const TRACKER: &str = r#"{
  "openssl": {
    "CVE-2023-0464": {
      "description": "A security vulnerability has been identified in all supported versions of OpenSSL related to the verification of X.509 certificate chains",
      "scope": "remote",
      "debianbug": 1034720,
      "releases": {
        "bookworm": {"status": "resolved", "repositories": {"bookworm": "3.0.9-1"}, "fixed_version": "3.0.9-1", "urgency": "not yet assigned"},
        "bullseye": {"status": "open", "repositories": {"bullseye": "1.1.1n-0+deb11u4"}, "urgency": "not yet assigned", "nodsa": "Minor issue", "nodsa_reason": ""},
        "buster": {"status": "open", "repositories": {"buster": "1.1.1n-0+deb10u3"}, "urgency": "not yet assigned", "nodsa": "Minor issue", "nodsa_reason": "postponed"},
        "sid": {"status": "resolved", "repositories": {"sid": "3.0.11-1"}, "fixed_version": "3.0.9-1", "urgency": "not yet assigned"}
      }
    }
  },
  "glibc": {
    "CVE-2010-4756": {
      "description": "The glob implementation in the GNU C Library allows remote authenticated users to cause a denial of service",
      "scope": "remote",
      "releases": {
        "bookworm": {"status": "open", "repositories": {"bookworm": "2.36-9+deb12u4"}, "urgency": "unimportant"},
        "bullseye": {"status": "open", "repositories": {"bullseye": "2.31-13+deb11u8"}, "urgency": "low", "nodsa": "", "nodsa_reason": "ignored"}
      }
    }
  },
  "zlib": {
    "CVE-2018-25032": {
      "description": "zlib before 1.2.12 allows memory corruption when deflating",
      "scope": "local",
      "releases": {
        "stretch": {"status": "open", "repositories": {"stretch": "1:1.2.8.dfsg-5"}, "urgency": "end-of-life"},
        "bookworm": {"status": "resolved", "repositories": {"bookworm": "1:1.2.13.dfsg-1"}, "fixed_version": "0", "urgency": "not yet assigned"},
        "bullseye": {"status": "resolved", "repositories": {"bullseye": "1:1.2.11.dfsg-2+deb11u1"}, "fixed_version": "1:1.2.11.dfsg-2+deb11u1", "urgency": "high"}
      }
    }
  },
  "foo": {
    "CVE-2024-0001": {"description": "", "releases": {"bookworm": {"status": "undetermined", "repositories": {"bookworm": "1.0-1"}, "urgency": "not yet assigned"}}}
  },
  "bar": {
    "CVE-2024-0002": {"releases": {
      "bookworm": {"status": "resolved", "repositories": {"bookworm": "1.0-1"}, "fixed_version": "1.0 -1 bad", "urgency": "low"},
      "trixie": {"status": "resolved", "repositories": {"trixie": "1.1-1"}, "fixed_version": "1.1-1", "urgency": "low"}
    }}
  }
}"#;

fn fixture_db() -> (tempfile::TempDir, drydock_advisory::BuildReport) {
    let dir = tempfile::tempdir().expect("tmp");
    let feeds = dir.path().join("feeds/debian");
    std::fs::create_dir_all(&feeds).expect("mkdir");
    std::fs::write(feeds.join("json"), TRACKER).expect("write");
    let report = build_in(dir.path(), &[dir.path().join("feeds")]);
    (dir, report)
}

fn one(db: &Db, release: &str, package: &str, id: &str) -> drydock_advisory::Affected {
    db.affected(&FeedKey::distro("debian", release), package)
        .expect("lookup")
        .into_iter()
        .find(|a| a.advisory_id == id)
        .unwrap_or_else(|| panic!("{package} {id} in debian {release}"))
}

#[test]
fn statuses_urgencies_and_release_numbers() {
    let (_dir, report) = fixture_db();
    let db = Db::open(&report.path).expect("opens");
    let a = one(&db, "12", "openssl", "CVE-2023-0464");
    assert_eq!(
        (a.status, a.fixed.clone()),
        (Status::Fixed, vec!["3.0.9-1".to_string()])
    );
    assert_eq!(a.urgency.as_deref(), Some("not yet assigned"));
    assert_eq!(
        one(&db, "11", "openssl", "CVE-2023-0464").status,
        Status::WillNotFix
    );
    assert_eq!(
        one(&db, "10", "openssl", "CVE-2023-0464").status,
        Status::Postponed
    );
    assert_eq!(
        one(&db, "sid", "openssl", "CVE-2023-0464").status,
        Status::Fixed
    );
    let g = one(&db, "12", "glibc", "CVE-2010-4756");
    assert_eq!(
        (g.status, g.urgency.as_deref()),
        (Status::Unfixed, Some("unimportant"))
    );
    assert!(g.fixed.is_empty());
    assert_eq!(
        one(&db, "11", "glibc", "CVE-2010-4756").status,
        Status::Ignored
    );
    assert_eq!(
        one(&db, "9", "zlib", "CVE-2018-25032").status,
        Status::EndOfLife
    );
    let z = one(&db, "12", "zlib", "CVE-2018-25032");
    assert_eq!(z.status, Status::NotAffected);
    assert!(z.ranges.is_empty());
    let z11 = one(&db, "11", "zlib", "CVE-2018-25032");
    assert_eq!(z11.fixed, vec!["1:1.2.11.dfsg-2+deb11u1".to_string()]);
    assert_eq!(
        one(&db, "12", "foo", "CVE-2024-0001").status,
        Status::Undetermined
    );
    let adv = db
        .advisory("CVE-2023-0464")
        .expect("query")
        .expect("stored");
    assert_eq!(adv.source, "debian");
    assert!(adv.details.as_deref().is_some_and(|d| d.contains("X.509")));
}

#[test]
fn an_invalid_fixed_version_skips_that_release_only() {
    let (_dir, report) = fixture_db();
    let db = Db::open(&report.path).expect("opens");
    assert!(
        db.affected(&FeedKey::distro("debian", "12"), "bar")
            .expect("lookup")
            .is_empty()
    );
    assert_eq!(
        one(&db, "13", "bar", "CVE-2024-0002").fixed,
        vec!["1.1-1".to_string()]
    );
    let w: Vec<_> = report.warnings.iter().collect();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].reason, SkipReason::InvalidVersion);
    assert!(
        w[0].location.contains("bar CVE-2024-0002 bookworm"),
        "{}",
        w[0]
    );
    assert_eq!(report.sources["debian"].records, 5);
}

#[test]
fn a_truncated_tracker_file_keeps_the_packages_before_the_cut() {
    let dir = tempfile::tempdir().expect("tmp");
    let feeds = dir.path().join("feeds/debian");
    std::fs::create_dir_all(&feeds).expect("mkdir");
    let cut = TRACKER.find("\"zlib\"").expect("zlib is in the fixture") + 30;
    std::fs::write(feeds.join("json"), &TRACKER[..cut]).expect("write");
    let report = build_in(dir.path(), &[dir.path().join("feeds")]);
    let db = Db::open(&report.path).expect("opens");
    assert!(
        !db.affected(&FeedKey::distro("debian", "12"), "openssl")
            .expect("q")
            .is_empty()
    );
    assert!(
        !db.affected(&FeedKey::distro("debian", "12"), "glibc")
            .expect("q")
            .is_empty()
    );
    assert!(
        db.affected(&FeedKey::distro("debian", "12"), "zlib")
            .expect("q")
            .is_empty()
    );
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(report.warnings[0].reason, SkipReason::Malformed);
    assert!(
        report.warnings[0].location.ends_with("json"),
        "{}",
        report.warnings[0]
    );
}
