//! Lookups the matcher will make, checked against the shared feeds read independently.

use std::collections::BTreeSet;
use std::io::Read;

use drydock_advisory::{FeedKey, Informational, SeverityKind, Status};
use drydock_version::{Scheme, in_osv_range};
use serde_json::Value;

use crate::{advisories, open_shared};

fn zip_records(eco: &str) -> Vec<Value> {
    let f = std::fs::File::open(advisories().join("osv").join(eco).join("all.zip")).expect("zip");
    let mut zip = zip::ZipArchive::new(f).expect("zip reads");
    (0..zip.len())
        .map(|i| {
            let mut s = String::new();
            zip.by_index(i)
                .expect("entry")
                .read_to_string(&mut s)
                .expect("reads");
            serde_json::from_str(&s).expect("JSON")
        })
        .filter(|v: &Value| v.get("withdrawn").is_none_or(Value::is_null))
        .collect()
}

/// Locations (ending in the record id, or naming the package) of every record the build
/// skipped with a warning.
fn skipped_ids() -> Vec<String> {
    crate::shared_db()
        .1
        .warnings
        .iter()
        .map(|w| format!("{} {}", w.location, w.detail))
        .collect()
}

#[test]
fn musl_in_alpine_3_7_is_fixed_in_1_1_18_r4() {
    let db = open_shared();
    let key = FeedKey::distro("alpine", "3.7");
    let hits = db.affected(&key, "musl").expect("lookup");
    let a = hits
        .iter()
        .find(|a| a.advisory_id == "CVE-2019-14697")
        .expect("secdb lists CVE-2019-14697 for musl in 3.7");
    assert_eq!(a.fixed, vec!["1.1.18-r4".to_string()]);
    assert_eq!(a.status, Status::Fixed);
    let range = &a.ranges[0];
    let scheme = range.scheme(&key).expect("apk");
    assert_eq!(scheme, Scheme::Apk);
    let events = range.range_events();
    assert!(in_osv_range(scheme, "1.1.18-r3", &events).expect("valid"));
    assert!(!in_osv_range(scheme, "1.1.18-r4", &events).expect("valid"));
    // Another release's data does not leak in.
    assert!(
        db.affected(&FeedKey::distro("alpine", "9.99"), "musl")
            .expect("lookup")
            .is_empty()
    );
}

#[test]
fn pypi_names_are_stored_and_looked_up_pep503_normalized() {
    let db = open_shared();
    let key = FeedKey::language("PyPI");
    // Every PyPI package of the feed is found under its normalized name, and under the name as
    // the feed spells it.
    let mut names = BTreeSet::new();
    for r in zip_records("PyPI") {
        for a in r["affected"].as_array().into_iter().flatten() {
            if let Some(n) = a["package"]["name"].as_str() {
                names.insert(n.to_string());
            }
        }
    }
    let skipped = skipped_ids();
    let mut checked = 0;
    for name in &names {
        let normalized = drydock_package::normalize_name(drydock_package::Ecosystem::Pypi, name);
        // As an installed package's metadata may spell it: `Zope_Interface`.
        let respelled: String = name
            .replace('-', "_")
            .char_indices()
            .map(|(i, c)| if i == 0 { c.to_ascii_uppercase() } else { c })
            .collect();
        let a = db.affected(&key, name).expect("lookup");
        let b = db.affected(&key, &normalized).expect("lookup");
        let c = db.affected(&key, &respelled).expect("lookup");
        assert!(
            !b.is_empty() || skipped.iter().any(|s| s.contains(name.as_str())),
            "`{name}` stored as `{normalized}`"
        );
        assert_eq!(a, b);
        assert_eq!(b, c, "`{respelled}`");
        assert!(b.iter().all(|x| x.package == normalized));
        checked += 1;
    }
    assert!(checked > 500, "{checked}");
    assert!(!db.affected(&key, "Django").expect("lookup").is_empty());
}

#[test]
fn alias_groups_link_pysec_ghsa_and_cve() {
    let db = open_shared();
    let skipped = skipped_ids();
    let mut checked = 0;
    for r in zip_records("PyPI") {
        let id = r["id"].as_str().expect("id");
        let aliases: Vec<&str> = r["aliases"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if aliases.is_empty() || skipped.iter().any(|s| s.contains(&format!(" {id} "))) {
            continue;
        }
        let group = db.aliases(id).expect("aliases");
        for a in &aliases {
            assert!(group.ids.iter().any(|g| g == a), "{id}: {a} in {group:?}");
        }
        assert!(group.ids.iter().any(|g| g == id));
        // Canonical: the lowest CVE of the group, when it has one.
        if let Some(cve) = group.ids.iter().filter(|i| i.starts_with("CVE-")).min() {
            assert_eq!(&group.canonical, cve);
        }
        // The same group from any of its ids.
        assert_eq!(db.aliases(aliases[0]).expect("aliases"), group);
        checked += 1;
    }
    assert!(checked > 2000, "{checked}");
    let lone = db.aliases("NOT-AN-ID-1").expect("aliases");
    assert_eq!(lone.ids, vec!["NOT-AN-ID-1".to_string()]);
}

#[test]
fn rustsec_informational_advisories_are_kept() {
    let db = open_shared();
    let key = FeedKey::language("crates.io");
    let mut kinds = BTreeSet::new();
    for r in zip_records("crates.io") {
        let id = r["id"].as_str().expect("id");
        for a in r["affected"].as_array().into_iter().flatten() {
            let Some(kind) = a["database_specific"]["informational"].as_str() else {
                continue;
            };
            let name = a["package"]["name"].as_str().expect("name");
            let hit = db
                .affected(&key, name)
                .expect("lookup")
                .into_iter()
                .find(|x| x.advisory_id == id)
                .expect("stored");
            assert_eq!(
                hit.informational.as_ref().map(|i| i.as_str()),
                Some(kind),
                "{id}"
            );
            let adv = db.advisory(id).expect("advisory").expect("exists");
            assert!(adv.informational.is_some(), "{id}");
            kinds.insert(kind.to_string());
        }
    }
    assert!(kinds.contains(Informational::Unmaintained.as_str()));
    assert!(kinds.contains(Informational::Unsound.as_str()));
}

#[test]
fn advisories_carry_the_record_fields() {
    let db = open_shared();
    let a = db
        .advisory("RUSTSEC-2016-0001")
        .expect("query")
        .expect("exists");
    assert_eq!(a.source, "osv:crates.io");
    assert!(a.aliases.contains(&"CVE-2016-10931".to_string()));
    assert!(a.summary.as_deref().is_some_and(|s| s.contains("SSL/TLS")));
    assert_eq!(a.severities[0].kind, SeverityKind::CvssV3);
    assert!(a.references.iter().any(|r| r.kind == "ADVISORY"));
    assert_eq!(a.published.as_deref(), Some("2016-11-05T12:00:00Z"));
    assert!(db.advisory("NOPE-0000").expect("query").is_none());
}

#[test]
fn nvd_enriches_cves_the_distro_feeds_list_bare() {
    let db = open_shared();
    let cvss = db.cvss_for("CVE-2016-8859").expect("query");
    let v3 = cvss
        .iter()
        .find(|s| s.kind == SeverityKind::CvssV3)
        .expect("NVD has a v3.0 vector");
    assert_eq!(v3.value, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_eq!(v3.primary, Some(true));
    assert_eq!(v3.level.as_deref(), Some("CRITICAL"));
    assert!(
        cvss.iter()
            .any(|s| s.kind == SeverityKind::CvssV2 && s.value == "AV:N/AC:L/Au:N/C:P/I:P/A:P")
    );
    // The secdb record has no detail of its own: NVD's fills in.
    let a = db
        .advisory("CVE-2016-8859")
        .expect("query")
        .expect("exists");
    assert!(a.details.as_deref().is_some_and(|d| d.contains("musl")));
    assert_eq!(a.cwes, vec!["CWE-190".to_string()]);
    assert!(db.cvss_for("CVE-1999-99999").expect("query").is_empty());
}
