//! What changed between two scans: two runs of the store, two releases, or two saved JSON
//! reports.
//!
//! Findings are compared by identity ([`drydock_match::identity`]), per image key: `(release,
//! repository)` between runs, the repository between releases and reports. Categories:
//!
//! - `new`: found in B, not in A, never seen before in that repository;
//! - `reappeared`: found in B, not in A, but seen in a scan before A;
//! - `resolved`: found in A, not in B, and B scanned the image successfully;
//! - `changed`: in both, with another severity, a fixed version now available, or another
//!   installed version that is still vulnerable;
//! - `unchanged`: in both, the same (counted; listed with `--all`);
//! - `not_scanned`: found in A, but B could not scan the image (or no longer lists it): never
//!   shown as resolved.

use std::collections::{BTreeMap, BTreeSet};

use drydock_match::Severity;
use drydock_store::{Observation, ScanStatus, Store};
use serde::Serialize;

use crate::FleetError;

/// One image on one side of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideImage {
    pub release: Option<String>,
    pub repository: String,
    pub reference: String,
    pub status: ScanStatus,
    pub error: Option<String>,
    pub findings: Vec<Observation>,
}

/// One side: a label (run id, release, file) and its images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    pub label: String,
    /// The run's sequence number when the side comes from the store (for `reappeared`).
    pub seq: Option<i64>,
    pub images: Vec<SideImage>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    New,
    Reappeared,
    AcceptanceExpired,
    Changed,
    Resolved,
    NotScanned,
    Unchanged,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::New => "new",
            Category::Reappeared => "reappeared",
            Category::AcceptanceExpired => "acceptance expired",
            Category::Changed => "changed",
            Category::Resolved => "resolved",
            Category::NotScanned => "not scanned",
            Category::Unchanged => "unchanged",
        }
    }
    pub const ALL: [Category; 7] = [
        Category::New,
        Category::Reappeared,
        Category::AcceptanceExpired,
        Category::Changed,
        Category::Resolved,
        Category::NotScanned,
        Category::Unchanged,
    ];
    /// Whether this category is news a nightly job should fail on.
    pub fn is_news(self) -> bool {
        matches!(
            self,
            Category::New | Category::Reappeared | Category::AcceptanceExpired
        )
    }
}

/// One finding's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    pub repository: String,
    pub category: Category,
    pub vulnerability_id: String,
    pub ecosystem: String,
    pub package: String,
    pub severity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed_a: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed_b: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_a: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_b: Option<String>,
    /// What changed (`severity MEDIUM → HIGH`, `fix available: 2.31.0`) or why not scanned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub fingerprint: String,
}

/// One image key's summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    pub repository: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_a: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_b: Option<String>,
    /// `ok`, `failed: …`, `absent`.
    pub status_a: String,
    pub status_b: String,
    pub counts: BTreeMap<Category, usize>,
}

/// A whole diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffReport {
    pub a: String,
    pub b: String,
    pub images: Vec<ImageSummary>,
    pub entries: Vec<Entry>,
    pub totals: BTreeMap<Category, usize>,
}

impl DiffReport {
    /// Whether anything new (new, reappeared, acceptance expired) is at or above `min`.
    pub fn news_at_or_above(&self, min: Severity) -> usize {
        self.entries
            .iter()
            .filter(|e| e.category.is_news() && severity(&e.severity) >= min)
            .count()
    }
}

pub fn severity(s: &str) -> Severity {
    match s.to_ascii_uppercase().as_str() {
        "CRITICAL" => Severity::Critical,
        "HIGH" => Severity::High,
        "MEDIUM" => Severity::Medium,
        "LOW" => Severity::Low,
        _ => Severity::Unknown,
    }
}

/// How images are paired across sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyBy {
    /// `(release, repository)`: run against run.
    ReleaseAndRepository,
    /// The repository: release against release, report against report.
    Repository,
}

type Key = (Option<String>, String);

struct Merged {
    references: BTreeSet<String>,
    failed: Option<String>,
    findings: BTreeMap<String, Observation>,
}

fn merge(side: &Side, key_by: KeyBy) -> BTreeMap<Key, Merged> {
    let mut out: BTreeMap<Key, Merged> = BTreeMap::new();
    for img in &side.images {
        let key = match key_by {
            KeyBy::ReleaseAndRepository => (img.release.clone(), img.repository.clone()),
            KeyBy::Repository => (None, img.repository.clone()),
        };
        let m = out.entry(key).or_insert_with(|| Merged {
            references: BTreeSet::new(),
            failed: None,
            findings: BTreeMap::new(),
        });
        m.references.insert(img.reference.clone());
        if img.status == ScanStatus::Failed {
            m.failed = Some(img.error.clone().unwrap_or_else(|| "scan failed".into()));
        }
        for f in &img.findings {
            m.findings
                .entry(f.fingerprint.clone())
                .or_insert_with(|| f.clone());
        }
    }
    out
}

/// Compares two sides. `seen_before(fingerprint)` answers whether a finding was seen in a scan
/// before A (the store knows; for reports it is always false).
pub fn diff(
    a: &Side,
    b: &Side,
    key_by: KeyBy,
    mut seen_before: impl FnMut(&str) -> Result<bool, FleetError>,
) -> Result<DiffReport, FleetError> {
    let ma = merge(a, key_by);
    let mb = merge(b, key_by);
    let keys: BTreeSet<&Key> = ma.keys().chain(mb.keys()).collect();
    let mut entries = Vec::new();
    let mut images = Vec::new();
    for key in keys {
        let (ia, ib) = (ma.get(key), mb.get(key));
        let status = |m: Option<&Merged>| match m {
            None => "absent".to_string(),
            Some(m) => match &m.failed {
                Some(e) => format!("failed: {e}"),
                None => "ok".into(),
            },
        };
        let mut counts: BTreeMap<Category, usize> = BTreeMap::new();
        let mut push = |category: Category,
                        o: &Observation,
                        other: Option<&Observation>,
                        detail: Option<String>,
                        from_a: bool| {
            *counts.entry(category).or_insert(0) += 1;
            let (oa, ob) = if from_a {
                (Some(o), other)
            } else {
                (other, Some(o))
            };
            entries.push(Entry {
                release: key.0.clone(),
                repository: key.1.clone(),
                category,
                vulnerability_id: o.vuln_id.clone(),
                ecosystem: o.ecosystem.clone(),
                package: o.package.clone(),
                severity: ob.unwrap_or(o).severity.clone(),
                installed_a: oa.map(|x| x.installed.clone()),
                installed_b: ob.map(|x| x.installed.clone()),
                fixed_a: oa.and_then(|x| x.fixed.clone()),
                fixed_b: ob.and_then(|x| x.fixed.clone()),
                detail,
                fingerprint: o.fingerprint.clone(),
            });
        };
        let empty = BTreeMap::new();
        let fa = ia.map_or(&empty, |m| &m.findings);
        let fb = ib.map_or(&empty, |m| &m.findings);
        let b_unscanned: Option<String> = match ib {
            None => Some(format!("not in {}", b.label)),
            Some(m) => m.failed.clone().map(|e| format!("scan failed: {e}")),
        };
        let a_unscanned = ia.is_none_or(|m| m.failed.is_some());
        if let Some(reason) = &b_unscanned {
            for o in fa.values() {
                push(Category::NotScanned, o, None, Some(reason.clone()), true);
            }
        } else {
            for (fp, o) in fb {
                match fa.get(fp) {
                    Some(old) => {
                        let what = changes(old, o);
                        if what.is_empty() {
                            push(Category::Unchanged, o, Some(old), None, false);
                        } else {
                            push(
                                Category::Changed,
                                o,
                                Some(old),
                                Some(what.join("; ")),
                                false,
                            );
                        }
                    }
                    None => {
                        let cat = if seen_before(fp)? {
                            Category::Reappeared
                        } else {
                            Category::New
                        };
                        let detail = (a_unscanned && ia.is_some())
                            .then(|| format!("{} could not scan this image", a.label));
                        push(cat, o, None, detail, false);
                    }
                }
            }
            for (fp, o) in fa {
                if !fb.contains_key(fp) {
                    push(Category::Resolved, o, None, None, true);
                }
            }
        }
        images.push(ImageSummary {
            release: key.0.clone(),
            repository: key.1.clone(),
            reference_a: ia.map(|m| m.references.iter().cloned().collect::<Vec<_>>().join(", ")),
            reference_b: ib.map(|m| m.references.iter().cloned().collect::<Vec<_>>().join(", ")),
            status_a: status(ia),
            status_b: status(ib),
            counts,
        });
    }
    entries.sort_by(|x, y| {
        (&x.release, &x.repository, x.category)
            .cmp(&(&y.release, &y.repository, y.category))
            .then_with(|| severity(&y.severity).cmp(&severity(&x.severity)))
            .then_with(|| x.vulnerability_id.cmp(&y.vulnerability_id))
            .then_with(|| x.package.cmp(&y.package))
    });
    let mut totals = BTreeMap::new();
    for e in &entries {
        *totals.entry(e.category).or_insert(0) += 1;
    }
    Ok(DiffReport {
        a: a.label.clone(),
        b: b.label.clone(),
        images,
        entries,
        totals,
    })
}

fn changes(old: &Observation, new: &Observation) -> Vec<String> {
    let mut what = Vec::new();
    if old.severity != new.severity {
        what.push(format!("severity {} → {}", old.severity, new.severity));
    }
    match (&old.fixed, &new.fixed) {
        (None, Some(f)) => what.push(format!("fix available: {f}")),
        (Some(a), Some(b)) if a != b => what.push(format!("fixed version {a} → {b}")),
        (Some(a), None) => what.push(format!("fixed version {a} withdrawn")),
        _ => {}
    }
    if old.installed != new.installed {
        what.push(format!(
            "installed {} → {} (still vulnerable)",
            old.installed, new.installed
        ));
    }
    what
}

/// One side from a run of the store, optionally only some releases or one repository.
pub fn side_from_run(
    store: &mut Store,
    selector: &str,
    releases: Option<&[String]>,
    image: Option<&str>,
) -> Result<Side, FleetError> {
    let run = store.run(selector)?;
    let mut images = Vec::new();
    for scan in store.images(run.seq)? {
        if let Some(want) = image
            && !image_matches(want, &scan.repository, &scan.reference)
        {
            continue;
        }
        let findings = if scan.status == ScanStatus::Ok {
            store.observations(run.seq, &scan.reference)?
        } else {
            Vec::new()
        };
        let rels: Vec<Option<String>> = if scan.releases.is_empty() {
            vec![None]
        } else {
            scan.releases.iter().map(|r| Some(r.0.clone())).collect()
        };
        for rel in rels {
            if let (Some(only), Some(r)) = (releases, &rel)
                && !only.contains(r)
            {
                continue;
            }
            images.push(SideImage {
                release: rel,
                repository: scan.repository.clone(),
                reference: scan.reference.clone(),
                status: scan.status,
                error: scan.error.clone(),
                findings: findings.clone(),
            });
        }
    }
    Ok(Side {
        label: run.run_id,
        seq: Some(run.seq),
        images,
    })
}

/// Whether `want` (a repository, a reference, or a repository without registry) names this
/// image.
pub fn image_matches(want: &str, repository: &str, reference: &str) -> bool {
    want == repository
        || want == reference
        || drydock_match::identity::repository(want) == repository
        || repository.ends_with(&format!("/{want}"))
}

/// One side from a saved `drydock image --format json` report.
pub fn side_from_report(path: &std::path::Path) -> Result<Side, FleetError> {
    let text = std::fs::read(path).map_err(|e| FleetError::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    let report: drydock_report::Report =
        serde_json::from_slice(&text).map_err(|e| FleetError::Syntax {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: format!("not a drydock JSON report: {e}"),
        })?;
    let mut images = Vec::new();
    for t in &report.targets {
        let repository = report_repository(t);
        let (findings, _) = drydock_store::observations_from_report(t, &repository);
        images.push(SideImage {
            release: None,
            repository,
            reference: t.name.clone(),
            status: ScanStatus::Ok,
            error: None,
            findings,
        });
    }
    Ok(Side {
        label: path.display().to_string(),
        seq: None,
        images,
    })
}

/// The repository of a report target: the JSON's `repository` when it has one, else from the
/// target's name.
fn report_repository(t: &drydock_report::TargetReport) -> String {
    let name = &t.name;
    if t.kind == "directory" {
        return name.clone();
    }
    let looks_like_path = name.starts_with('/')
        || name.starts_with('.')
        || name.ends_with(".tar")
        || name.ends_with(".gz");
    if looks_like_path {
        let path = name.rsplit_once(':').map_or(name.as_str(), |(p, _)| p);
        drydock_match::identity::repository_of_path(path)
    } else {
        drydock_match::identity::repository(name)
    }
}

/// Two reports of one target each compare that target whatever its name (a rebuilt archive
/// under another file name is still the same image).
pub fn pair_single_targets(a: &mut Side, b: &mut Side) {
    if a.images.len() == 1
        && b.images.len() == 1
        && a.images[0].repository != b.images[0].repository
    {
        let repo = b.images[0].repository.clone();
        a.images[0].repository = repo.clone();
        for f in &mut a.images[0].findings {
            f.repository = repo.clone();
            if let Ok(eco) = f.ecosystem.parse::<drydock_package::Ecosystem>() {
                f.fingerprint =
                    drydock_match::identity::fingerprint(&repo, eco, &f.package, &f.vuln_id);
            }
        }
    }
}
