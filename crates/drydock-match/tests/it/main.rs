//! Matching against a DB built from the shared feeds (`../shared/data/advisories`), once per
//! test binary, and against `cargo audit` on the same RustSec data.

mod cargo_audit;
mod reachability;
mod synthetic;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use drydock_advisory::Db;
use drydock_inventory::Mode;
use drydock_match::{
    Finding, FindingStatus, MatchOptions, MatchOutcome, Severity, SeveritySource, match_inventory,
};
use drydock_package::{Ecosystem, Inventory, Package};

pub fn shared() -> PathBuf {
    std::env::var_os("DRYDOCK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")))
}

/// The DB built from the shared feeds, once per test binary. A fixed path under the target
/// dir: `build` writes a temp file and renames it, so a concurrent run never sees half a DB.
pub fn db() -> Db {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    let path = PATH.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("drydock-match-it/drydock.db");
        drydock_advisory::build(&[shared().join("data/advisories")], &path)
            .expect("the shared feeds build into a DB");
        path
    });
    Db::open(path).expect("the DB just built opens")
}

fn scan_image(file: &str) -> (Inventory, MatchOutcome) {
    let path = shared().join("data/images").join(file);
    let target = drydock_image::open(path.to_str().expect("UTF-8 path"), &Default::default())
        .expect("the shared image opens");
    let inv = drydock_inventory::inventory(&target, Mode::Image, &Default::default())
        .expect("the shared image inventories")
        .inventory;
    let out = match_inventory(file, &inv, &db(), &MatchOptions::default()).expect("matching works");
    (inv, out)
}

#[test]
fn alpine_310_has_no_finding() {
    let (inv, out) = scan_image("alpine-3.10.docker-archive.tar.gz");
    let os = inv.os.as_ref().expect("Alpine detected");
    assert_eq!(os.release(), "3.10");
    let apk = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Apk)
        .count();
    assert_eq!(apk, 14, "alpine:3.10 has 14 apk packages");
    assert_eq!(out.findings, Vec::<Finding>::new());
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
}

/// NVD's primary v3.x metric of `cve` in the shared NVD page: (vector, score, severity).
fn nvd_v3(cve: &str) -> (String, f64, String) {
    let text = std::fs::read_to_string(shared().join("data/advisories/nvd/cves-0001.json"))
        .expect("the NVD page reads");
    let page: serde_json::Value = serde_json::from_str(&text).expect("the NVD page is JSON");
    let record = page["vulnerabilities"]
        .as_array()
        .expect("a vulnerabilities list")
        .iter()
        .find(|v| v["cve"]["id"] == cve)
        .expect("the CVE is in the page");
    let metrics = &record["cve"]["metrics"];
    let list = metrics["cvssMetricV31"]
        .as_array()
        .or_else(|| metrics["cvssMetricV30"].as_array())
        .expect("a v3 metric");
    let m = list
        .iter()
        .find(|m| m["type"] == "Primary")
        .expect("a primary v3 metric");
    let data = &m["cvssData"];
    (
        data["vectorString"].as_str().expect("vector").to_string(),
        data["baseScore"].as_f64().expect("score"),
        data["baseSeverity"].as_str().expect("severity").to_string(),
    )
}

#[test]
fn alpine_373_has_exactly_cve_2019_14697_for_musl() {
    let (_, out) = scan_image("alpine-3.7.3-minirootfs.tar.gz");
    let got: Vec<(&str, &str)> = out
        .findings
        .iter()
        .map(|f| (f.package.as_str(), f.id.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![("musl", "CVE-2019-14697"), ("musl-utils", "CVE-2019-14697")]
    );
    let (vector, score, severity) = nvd_v3("CVE-2019-14697");
    for f in &out.findings {
        assert_eq!(f.installed, "1.1.18-r3");
        assert_eq!(f.fixed.as_deref(), Some("1.1.18-r4"));
        assert_eq!(f.status, FindingStatus::Fixed);
        assert_eq!(
            f.severity,
            severity.parse::<Severity>().expect("NVD severity")
        );
        assert_eq!(f.severity_source, SeveritySource::Nvd);
        let nvd = f
            .cvss
            .iter()
            .find(|c| c.source == "nvd@nist.gov" && c.vector == vector)
            .unwrap_or_else(|| panic!("NVD's vector in {:?}", f.cvss));
        assert_eq!(nvd.base_score, score);
        assert_eq!(
            f.primary_url.as_deref(),
            Some("https://nvd.nist.gov/vuln/detail/CVE-2019-14697")
        );
        assert_eq!(
            f.source_package.as_ref().map(|s| s.name.as_str()),
            Some("musl")
        );
        assert!(!f.locations.is_empty());
        assert_eq!(
            f.fingerprint,
            drydock_match::fingerprint(&f.target, f.ecosystem, &f.package, &f.id)
        );
    }
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
}

#[test]
fn environment_profile_rescores_every_vector() {
    let mut p = Package::new(Ecosystem::Apk, "musl", "1.1.18-r3");
    p.source = Some(drydock_package::SourcePackage {
        name: "musl".into(),
        version: None,
    });
    let inv = Inventory {
        os: Some(drydock_package::Os {
            family: drydock_package::OsFamily::Alpine,
            version: "3.7.3".into(),
            pretty_name: None,
            codename: None,
        }),
        packages: vec![p],
        warnings: Vec::new(),
    };
    // Only reachable from the adjacent network, nothing of value there.
    let profile = drydock_cvss::EnvProfile::parse("MAV:A/CR:L/IR:L/AR:L").expect("a profile");
    let opts = MatchOptions {
        env_profile: Some(profile),
    };
    let out = match_inventory("t", &inv, &db(), &opts).expect("matching works");
    let f = out.findings.first().expect("the musl finding");
    assert!(f.cvss.iter().all(|c| c.environmental_score.is_some()));
    let env = f.environmental_severity.expect("an environmental severity");
    assert!(env < f.severity, "{env} should be below {}", f.severity);
}

fn one(eco: Ecosystem, name: &str, version: &str) -> Inventory {
    Inventory {
        os: None,
        packages: vec![Package::new(eco, name, version)],
        warnings: Vec::new(),
    }
}

#[test]
fn go_stdlib_matches_with_or_without_prefix() {
    let db = db();
    let ids = |v: &str| -> Vec<String> {
        let out = match_inventory(
            "t",
            &one(Ecosystem::Golang, "stdlib", v),
            &db,
            &MatchOptions::default(),
        )
        .expect("matching works");
        assert!(out.warnings.is_empty(), "{v}: {:?}", out.warnings);
        out.findings.into_iter().map(|f| f.id).collect()
    };
    let plain = ids("1.19.8");
    assert!(
        !plain.is_empty(),
        "Go 1.19.8's standard library has known vulnerabilities"
    );
    assert_eq!(ids("v1.19.8"), plain);
    assert_eq!(ids("go1.19.8"), plain);
    // A later release is affected by fewer of them.
    let later = ids("1.22.0");
    assert!(later.len() < plain.len());
}

#[test]
fn unparseable_version_is_a_warning_not_a_finding() {
    let inv = one(Ecosystem::Cargo, "regex", "1.5.4 (patched)");
    let out = match_inventory("t", &inv, &db(), &MatchOptions::default()).expect("matching works");
    assert!(out.findings.is_empty());
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(out.warnings[0].contains("`regex`") && out.warnings[0].contains("`1.5.4 (patched)`"));
}

#[test]
fn rustsec_informational_is_a_notice() {
    let inv = one(Ecosystem::Cargo, "ansi_term", "0.12.1");
    let out = match_inventory("t", &inv, &db(), &MatchOptions::default()).expect("matching works");
    assert!(out.findings.is_empty(), "{:?}", out.findings);
    let kinds: Vec<(&str, &str)> = out
        .notices
        .iter()
        .map(|n| (n.id.as_str(), n.kind.as_str()))
        .collect();
    assert_eq!(kinds, vec![("RUSTSEC-2021-0139", "unmaintained")]);
    assert_eq!(
        out.notices[0].url.as_deref(),
        Some("https://rustsec.org/advisories/RUSTSEC-2021-0139.html")
    );
}

#[test]
fn rustsec_vulnerability_reported_under_its_cve() {
    let inv = one(Ecosystem::Cargo, "regex", "1.5.4");
    let out = match_inventory("t", &inv, &db(), &MatchOptions::default()).expect("matching works");
    let f = out
        .findings
        .iter()
        .find(|f| f.aliases.iter().any(|a| a == "RUSTSEC-2022-0013"))
        .expect("RUSTSEC-2022-0013 affects regex 1.5.4");
    assert_eq!(f.id, "CVE-2022-24713");
    assert_eq!(f.fixed.as_deref(), Some("1.5.5"));
    assert_eq!(
        f.primary_url.as_deref(),
        Some("https://rustsec.org/advisories/RUSTSEC-2022-0013.html")
    );
}
