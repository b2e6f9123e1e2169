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
use std::sync::Arc;

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
    /// Shared: an image listed by several releases is one scan.
    pub findings: Arc<Vec<Observation>>,
    /// Findings left out of `findings` because the other side's scan of the same reference
    /// made the same observation ([`sides_from_runs`]): counted as unchanged. Set on side B.
    pub unchanged: usize,
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

/// What the store knows beyond the two sides: whether a finding was seen before A, and
/// whether an acceptance of it ran out between A and B. Two reports know neither
/// ([`NoHistory`]).
pub trait History {
    /// Whether the finding was seen in a scan before A (then it is `reappeared`, not `new`).
    fn seen_before(&mut self, fingerprint: &str) -> Result<bool, FleetError>;
    /// For a finding on both sides: the detail to show when its acceptance suppressed it at A
    /// and no longer does at B (`acceptance expired`).
    fn acceptance_expired(&mut self, release: Option<&str>, o: &Observation) -> Option<String>;
}

/// No history: two saved reports.
#[derive(Debug, Clone, Copy)]
pub struct NoHistory;

impl History for NoHistory {
    fn seen_before(&mut self, _: &str) -> Result<bool, FleetError> {
        Ok(false)
    }
    fn acceptance_expired(&mut self, _: Option<&str>, _: &Observation) -> Option<String> {
        None
    }
}

/// The store's history between two runs; `expired` answers for acceptances.
pub struct StoreHistory<'s, F> {
    store: &'s mut Store,
    seq_a: i64,
    expired: F,
}

impl<'s, F: FnMut(Option<&str>, &Observation) -> Option<String>> StoreHistory<'s, F> {
    /// `seq_a`: the run of side A (findings first seen before it reappeared).
    pub fn new(store: &'s mut Store, seq_a: i64, expired: F) -> Self {
        StoreHistory {
            store,
            seq_a,
            expired,
        }
    }
}

impl<F> std::fmt::Debug for StoreHistory<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreHistory")
            .field("seq_a", &self.seq_a)
            .finish_non_exhaustive()
    }
}

impl<F: FnMut(Option<&str>, &Observation) -> Option<String>> History for StoreHistory<'_, F> {
    fn seen_before(&mut self, fingerprint: &str) -> Result<bool, FleetError> {
        Ok(self.store.seen_before(fingerprint, self.seq_a)?)
    }
    fn acceptance_expired(&mut self, release: Option<&str>, o: &Observation) -> Option<String> {
        (self.expired)(release, o)
    }
}

struct Merged<'s> {
    references: BTreeSet<&'s str>,
    failed: Option<String>,
    findings: BTreeMap<&'s str, &'s Observation>,
    unchanged: usize,
}

fn merge(side: &Side, key_by: KeyBy) -> BTreeMap<Key, Merged<'_>> {
    let mut out: BTreeMap<Key, Merged<'_>> = BTreeMap::new();
    for img in &side.images {
        let key = match key_by {
            KeyBy::ReleaseAndRepository => (img.release.clone(), img.repository.clone()),
            KeyBy::Repository => (None, img.repository.clone()),
        };
        let m = out.entry(key).or_insert_with(|| Merged {
            references: BTreeSet::new(),
            failed: None,
            findings: BTreeMap::new(),
            unchanged: 0,
        });
        m.references.insert(&img.reference);
        m.unchanged += img.unchanged;
        if img.status == ScanStatus::Failed {
            m.failed = Some(img.error.clone().unwrap_or_else(|| "scan failed".into()));
        }
        for f in img.findings.iter() {
            m.findings.entry(f.fingerprint.as_str()).or_insert(f);
        }
    }
    out
}

/// Compares two sides. Unchanged findings are counted; they are listed as entries only with
/// `list_unchanged` (a whole-fleet diff is mostly unchanged findings).
pub fn diff(
    a: &Side,
    b: &Side,
    key_by: KeyBy,
    list_unchanged: bool,
    history: &mut impl History,
) -> Result<DiffReport, FleetError> {
    let ma = merge(a, key_by);
    let mb = merge(b, key_by);
    let keys: BTreeSet<&Key> = ma.keys().chain(mb.keys()).collect();
    let mut entries = Vec::new();
    let mut images = Vec::new();
    let mut totals: BTreeMap<Category, usize> = BTreeMap::new();
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
            if category == Category::Unchanged && !list_unchanged {
                return;
            }
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
                        if let Some(detail) = history.acceptance_expired(key.0.as_deref(), o) {
                            push(
                                Category::AcceptanceExpired,
                                o,
                                Some(old),
                                Some(detail),
                                false,
                            );
                            continue;
                        }
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
                        let cat = if history.seen_before(fp)? {
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
            if let Some(m) = ib.filter(|m| m.unchanged > 0) {
                *counts.entry(Category::Unchanged).or_insert(0) += m.unchanged;
            }
        }
        for (c, n) in &counts {
            *totals.entry(*c).or_insert(0) += n;
        }
        let refs = |m: &Merged| m.references.iter().copied().collect::<Vec<_>>().join(", ");
        images.push(ImageSummary {
            release: key.0.clone(),
            repository: key.1.clone(),
            reference_a: ia.map(refs),
            reference_b: ib.map(refs),
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
    let images = side_images(store.images(run.seq)?, releases, image);
    // One query for the run, or one per image when only one image is wanted.
    let mut found: BTreeMap<String, Vec<Observation>> = BTreeMap::new();
    if image.is_some() {
        for (_, s) in &images {
            if s.status == ScanStatus::Ok && !found.contains_key(&s.reference) {
                let all = store.observations(run.seq, &s.reference)?;
                found.insert(s.reference.clone(), all);
            }
        }
    } else {
        for (reference, o) in store.run_observations(run.seq)? {
            found.entry(reference).or_default().push(o);
        }
    }
    Ok(build_side(
        run.run_id,
        run.seq,
        images,
        found,
        &BTreeMap::new(),
    ))
}

/// Both sides of a run-against-run diff: [`side_from_run`] of each, except that a finding
/// both runs observed alike (the same reference scanned successfully in both, the finding
/// unchanged between them) is counted in side B's [`SideImage::unchanged`] instead of loaded
/// twice. A whole-fleet diff is mostly such findings. Images whose pairing is not one
/// reference against the same reference (a repository listed under two tags, a release that
/// lists the image on one side only) are loaded whole, so [`diff`] sees what it would have.
pub fn sides_from_runs(
    store: &mut Store,
    (a, releases_a): (&str, Option<&[String]>),
    (b, releases_b): (&str, Option<&[String]>),
    image: Option<&str>,
    key_by: KeyBy,
) -> Result<(Side, Side), FleetError> {
    let (run_a, run_b) = (store.run(a)?, store.run(b)?);
    let scans = |store: &mut Store, seq: i64, releases: Option<&[String]>| {
        Ok::<_, FleetError>(side_images(store.images(seq)?, releases, image))
    };
    let images_a = scans(store, run_a.seq, releases_a)?;
    let images_b = scans(store, run_b.seq, releases_b)?;
    // The keys each reference is listed under, per side; a reference is paired alike when it
    // is scanned on both sides under the same keys and is the only reference of each.
    let keys = |imgs: &[(Option<String>, drydock_store::ImageScan)]| {
        let mut by_ref: BTreeMap<String, BTreeSet<Key>> = BTreeMap::new();
        let mut refs_of: BTreeMap<Key, BTreeSet<String>> = BTreeMap::new();
        for (rel, s) in imgs {
            let key = match key_by {
                KeyBy::ReleaseAndRepository => (rel.clone(), s.repository.clone()),
                KeyBy::Repository => (None, s.repository.clone()),
            };
            by_ref
                .entry(s.reference.clone())
                .or_default()
                .insert(key.clone());
            refs_of.entry(key).or_default().insert(s.reference.clone());
        }
        (by_ref, refs_of)
    };
    let (ref_keys_a, key_refs_a) = keys(&images_a);
    let (ref_keys_b, key_refs_b) = keys(&images_b);
    let ok = |imgs: &[(Option<String>, drydock_store::ImageScan)], r: &str| {
        imgs.iter()
            .any(|(_, s)| s.reference == r && s.status == ScanStatus::Ok)
    };
    let alike: BTreeSet<String> = ref_keys_b
        .iter()
        .filter(|(r, kb)| {
            ref_keys_a.get(*r) == Some(kb)
                && kb.iter().all(|k| {
                    key_refs_a.get(k).is_some_and(|s| s.len() == 1)
                        && key_refs_b.get(k).is_some_and(|s| s.len() == 1)
                })
                && ok(&images_a, r)
                && ok(&images_b, r)
        })
        .map(|(r, _)| r.clone())
        .collect();

    let (changed_a, _) = store.run_observations_not_in(run_a.seq, run_b.seq)?;
    let (changed_b, shared) = store.run_observations_not_in(run_b.seq, run_a.seq)?;
    let mut load = |seq: i64,
                    changed: Vec<(String, Observation)>,
                    imgs: &[(Option<String>, drydock_store::ImageScan)]|
     -> Result<BTreeMap<String, Vec<Observation>>, FleetError> {
        let mut found: BTreeMap<String, Vec<Observation>> = BTreeMap::new();
        for (reference, o) in changed {
            if alike.contains(&reference) {
                found.entry(reference).or_default().push(o);
            }
        }
        for (_, s) in imgs {
            if s.status == ScanStatus::Ok
                && !alike.contains(&s.reference)
                && !found.contains_key(&s.reference)
            {
                let all = store.observations(seq, &s.reference)?;
                found.insert(s.reference.clone(), all);
            }
        }
        Ok(found)
    };
    let found_a = load(run_a.seq, changed_a, &images_a)?;
    let found_b = load(run_b.seq, changed_b, &images_b)?;
    let side_a = build_side(run_a.run_id, run_a.seq, images_a, found_a, &BTreeMap::new());
    let unchanged: BTreeMap<String, usize> = shared
        .into_iter()
        .filter(|(r, _)| alike.contains(r))
        .collect();
    let side_b = build_side(run_b.run_id, run_b.seq, images_b, found_b, &unchanged);
    Ok((side_a, side_b))
}

/// A run's image scans, one per release listing each (a release filter keeps only those).
fn side_images(
    scans: Vec<drydock_store::ImageScan>,
    releases: Option<&[String]>,
    image: Option<&str>,
) -> Vec<(Option<String>, drydock_store::ImageScan)> {
    let mut out = Vec::new();
    for scan in scans {
        if image.is_some_and(|want| !image_matches(want, &scan.repository, &scan.reference)) {
            continue;
        }
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
            out.push((rel, scan.clone()));
        }
    }
    out
}

fn build_side(
    label: String,
    seq: i64,
    images: Vec<(Option<String>, drydock_store::ImageScan)>,
    mut found: BTreeMap<String, Vec<Observation>>,
    unchanged: &BTreeMap<String, usize>,
) -> Side {
    let mut shared: BTreeMap<String, Arc<Vec<Observation>>> = BTreeMap::new();
    let images = images
        .into_iter()
        .map(|(release, scan)| {
            let findings = shared
                .entry(scan.reference.clone())
                .or_insert_with(|| Arc::new(found.remove(&scan.reference).unwrap_or_default()))
                .clone();
            SideImage {
                release,
                unchanged: unchanged.get(&scan.reference).copied().unwrap_or(0),
                repository: scan.repository,
                reference: scan.reference,
                status: scan.status,
                error: scan.error,
                findings,
            }
        })
        .collect();
    Side {
        label,
        seq: Some(seq),
        images,
    }
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
            findings: Arc::new(findings),
            unchanged: 0,
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
        for f in Arc::make_mut(&mut a.images[0].findings) {
            f.repository = repo.clone();
            if let Ok(eco) = f.ecosystem.parse::<drydock_package::Ecosystem>() {
                f.fingerprint =
                    drydock_match::identity::fingerprint(&repo, eco, &f.package, &f.vuln_id);
            }
        }
    }
}
