//! The advisory feeds themselves as tests: every version listed in an OSV record's
//! `affected[].versions` must be inside that record's ECOSYSTEM/SEMVER ranges, every range
//! event must parse, and Alpine secdb versions must parse and order.

use drydock_version::{RangeEvent, Scheme, compare, in_osv_range, validate};

use crate::{corpus, missing};

fn events(range: &serde_json::Value) -> Vec<RangeEvent> {
    let mut out = Vec::new();
    for e in range["events"].as_array().into_iter().flatten() {
        let s = |k: &str| e[k].as_str().map(str::to_string);
        if let Some(v) = s("introduced") {
            out.push(RangeEvent::Introduced(v));
        } else if let Some(v) = s("fixed") {
            out.push(RangeEvent::Fixed(v));
        } else if let Some(v) = s("last_affected") {
            out.push(RangeEvent::LastAffected(v));
        } else if let Some(v) = s("limit") {
            out.push(RangeEvent::Limit(v));
        }
    }
    out
}

/// Records whose `versions` list disagrees with their own ECOSYSTEM ranges under the OSV
/// schema's evaluation: the feed's inconsistency, not ours. Each must still show the problem,
/// so the list cannot go stale.
const PYPI_INCONSISTENT: &[(&str, &str)] = &[
    (
        "PYSEC-2023-177",
        "lists 23.9.0 and 23.9.0.post1, taken from its GIT range, while the ECOSYSTEM range says fixed=23.9.0",
    ),
    (
        "PYSEC-2023-61",
        "lists 3.2a1…3.2rc1 and 4.2a1…4.2rc1, which PEP 440 orders before introduced=3.2 / 4.2",
    ),
    (
        "PYSEC-2021-114",
        "overlapping pairs in one events list (introduced=2.11,fixed=2.11.7 and introduced=0,fixed=2.11.6); evaluated in order, 2.11.6 is fixed",
    ),
];

fn listed_versions_are_in_ranges(eco: &str, scheme: Scheme, known: &[(&str, &str)]) {
    let Some(records) = corpus::osv_records(eco) else {
        return missing("the OSV feeds (and `unzip`)");
    };
    let (mut checked, mut bad) = (0, Vec::new());
    let mut seen_known = std::collections::BTreeSet::new();
    for r in &records {
        for a in r["affected"].as_array().into_iter().flatten() {
            let ranges: Vec<Vec<RangeEvent>> = a["ranges"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["type"] == "ECOSYSTEM" || r["type"] == "SEMVER")
                .map(events)
                .collect();
            if ranges.is_empty() {
                continue;
            }
            for v in a["versions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
            {
                if validate(scheme, v).is_err() {
                    continue;
                }
                checked += 1;
                let inside = ranges.iter().map(|ev| in_osv_range(scheme, v, ev));
                let mut any = false;
                for res in inside {
                    match res {
                        Ok(b) => any |= b,
                        Err(e) => bad.push(format!("{}: {e}", r["id"])),
                    }
                }
                if !any {
                    let id = r["id"].as_str().unwrap_or_default();
                    if known.iter().any(|(k, _)| *k == id) {
                        seen_known.insert(id.to_string());
                    } else {
                        bad.push(format!("{id}: listed version `{v}` is outside its ranges"));
                    }
                }
            }
        }
    }
    eprintln!(
        "{eco}: {checked} listed versions checked against their OSV ranges, {} problems",
        bad.len()
    );
    assert!(checked > 1000, "only {checked} versions");
    for (id, why) in known {
        assert!(
            seen_known.contains(*id),
            "{id} no longer shows its known inconsistency ({why})"
        );
    }
    assert!(
        bad.is_empty(),
        "{}",
        bad.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn osv_pypi_listed_versions_are_affected() {
    listed_versions_are_in_ranges("PyPI", Scheme::Pep440, PYPI_INCONSISTENT);
}

#[test]
fn osv_go_range_events_parse() {
    let Some(records) = corpus::osv_records("Go") else {
        return missing("the OSV feeds (and `unzip`)");
    };
    let versions = corpus::osv_versions(&records);
    let bad: Vec<&String> = versions
        .iter()
        .filter(|v| validate(Scheme::Go, v).is_err())
        .collect();
    eprintln!("Go: {} versions, {} refused", versions.len(), bad.len());
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn osv_crates_range_events_parse() {
    let Some(records) = corpus::osv_records("crates.io") else {
        return missing("the OSV feeds (and `unzip`)");
    };
    let versions = corpus::osv_versions(&records);
    let bad: Vec<&String> = versions
        .iter()
        .filter(|v| validate(Scheme::Semver, v).is_err())
        .collect();
    eprintln!(
        "crates.io: {} versions, {} refused",
        versions.len(),
        bad.len()
    );
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn alpine_secdb_versions_parse_and_order() {
    let versions = corpus::alpine_versions();
    if versions.is_empty() {
        return missing("the Alpine secdb feed");
    }
    let bad: Vec<&String> = versions
        .iter()
        .filter(|v| validate(Scheme::Apk, v).is_err())
        .collect();
    eprintln!(
        "Alpine: {} secfixes versions, {} refused: {bad:?}",
        versions.len(),
        bad.len()
    );
    // Sorting must be consistent (a total order): sort, then every neighbour pair is ordered.
    let mut ok: Vec<&String> = versions
        .iter()
        .filter(|v| validate(Scheme::Apk, v).is_ok())
        .collect();
    ok.sort_by(|a, b| compare(Scheme::Apk, a, b).expect("validated"));
    for w in ok.windows(2) {
        assert_ne!(
            compare(Scheme::Apk, w[0], w[1]),
            Ok(std::cmp::Ordering::Greater),
            "{} / {}",
            w[0],
            w[1]
        );
    }
    // Exactly these secdb keys are malformed for apk-tools too (`-` not followed by `r`).
    assert_eq!(
        bad,
        ["1.11-20-r0", "2.7.16-33", "4.10-1-r1", "57-1-r2"]
            .iter()
            .collect::<Vec<_>>(),
        "refused secdb versions"
    );
}
