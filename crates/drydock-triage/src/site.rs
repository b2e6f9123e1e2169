//! The static release-scan site `drydock publish` writes beside the CSVs: `index.html` (every
//! release with its counts by severity and by triage state), `releases/<release>.html` (its
//! images) and `releases/<release>/<image>.html` (an image's findings with their triage).
//!
//! One self-contained directory: inline CSS, one small inline script (filter and sort; the
//! Content-Security-Policy allows it by hash and nothing else), no external asset. Without
//! scripts every page shows everything. Every value from images and advisories is escaped
//! (markup, quotes, control characters) and links go to `http(s)` advisories only.
//!
//! The output is a function of the store and the options only: pages are sorted, and the one
//! timestamp not from the store ([`SiteOptions::generated_at`], which the CLI takes from
//! `SOURCE_DATE_EPOCH`) is passed in, so the same store gives a byte-identical site.
//!
//! [`load`] reads a [`Site`] from a run, [`render`] turns it into pages, [`write()`] puts them
//! in a directory.

mod page;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use drydock_match::Severity;
use drydock_policy::Date;
use drydock_store::{LiveQuery, ScanStatus, Store};
use sha2::{Digest as _, Sha256};

use crate::TriageError;
use crate::publish::file_stem;
use crate::release_csv::CsvState;
use crate::state::{Triage, date_of_unix};
use crate::suppress::TriageSuppressor;

pub use page::render;

/// What to put on the site.
#[derive(Debug, Clone)]
pub struct SiteOptions {
    /// Releases (empty: every release of the run).
    pub releases: Vec<String>,
    /// Severities kept, upper case (the CSVs' `--severity`).
    pub severities: Vec<String>,
    /// The "generated" time on every page (Unix seconds; the CLI passes `SOURCE_DATE_EPOCH`).
    /// `None`: the run's end, so the site depends on the store alone.
    pub generated_at: Option<i64>,
}

impl Default for SiteOptions {
    fn default() -> Self {
        SiteOptions {
            releases: Vec::new(),
            severities: vec!["CRITICAL".into(), "HIGH".into()],
            generated_at: None,
        }
    }
}

/// Everything the pages show, read from one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub run_id: String,
    pub run_started_at: i64,
    pub run_finished_at: Option<i64>,
    pub db_built_at: Option<String>,
    /// The "generated" time (Unix seconds); its day is the one expiry is judged on.
    pub generated_at: i64,
    /// The severities shown, highest first.
    pub severities: Vec<Severity>,
    pub releases: Vec<Release>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub name: String,
    /// The release's CSV, relative to the site's root.
    pub csv: String,
    /// Images in fleet-file order.
    pub images: Vec<Image>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub reference: String,
    pub repository: String,
    pub mirrored: bool,
    pub digest: Option<String>,
    pub os: Option<String>,
    /// Why the scan failed (its findings are unknown, not absent).
    pub error: Option<String>,
    /// Highest severity first, then vulnerability and package.
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub vuln_id: String,
    pub title: Option<String>,
    pub url: Option<String>,
    pub package: String,
    /// The package type as Trivy names it (`debian`, `gobinary`, …).
    pub pkg_type: String,
    pub installed: String,
    pub fixed: Option<String>,
    pub severity: Severity,
    /// The triage record that applies in this release, with its id.
    pub triage: Option<(i64, Triage)>,
    /// When the finding's identity was first seen (start of that run, Unix seconds).
    pub first_seen_at: i64,
}

/// A finding's state as the site shows and filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shown {
    /// No triage record.
    Untriaged,
    State(crate::State),
    /// An `accepted` record past its expiry: counted again.
    Expired,
}

impl Shown {
    pub fn as_str(self) -> &'static str {
        match self {
            Shown::Untriaged => "untriaged",
            Shown::State(s) => s.as_str(),
            Shown::Expired => "expired",
        }
    }
}

impl Finding {
    /// The state shown on `today`.
    pub fn shown(&self, today: Date) -> Shown {
        match &self.triage {
            None => Shown::Untriaged,
            Some((_, t)) if t.state == crate::State::Accepted && t.is_expired(today) => {
                Shown::Expired
            }
            Some((_, t)) => Shown::State(t.state),
        }
    }

    /// Whether a triage record suppresses the finding on `today`.
    pub fn suppressed(&self, today: Date) -> bool {
        self.triage
            .as_ref()
            .is_some_and(|(_, t)| t.suppresses(today))
    }

    /// The release CSV's state of the finding on `today`.
    pub fn csv_state(&self, today: Date) -> CsvState {
        CsvState::of_record(self.triage.as_ref().map(|(_, t)| t), today)
    }
}

impl Site {
    /// The day expiry is judged on.
    pub fn today(&self) -> Date {
        date_of_unix(self.generated_at)
    }
}

/// Reads the site of run `run` (a selector: `latest`, a run id, …).
pub fn load(store: &mut Store, run: &str, opts: &SiteOptions) -> Result<Site, TriageError> {
    let run = store.run(run)?;
    let all = store.releases(run.seq)?;
    let names = if opts.releases.is_empty() {
        all
    } else {
        if let Some(r) = opts.releases.iter().find(|r| !all.contains(r)) {
            return Err(TriageError::Invalid(format!(
                "run `{}` has no release `{r}` (it has: {})",
                run.run_id,
                all.join(", ")
            )));
        }
        opts.releases.clone()
    };
    let mut severities = Vec::new();
    for s in &opts.severities {
        let sev: Severity = s
            .parse()
            .map_err(|_| TriageError::Invalid(format!("unknown severity `{s}`")))?;
        if !severities.contains(&sev) {
            severities.push(sev);
        }
    }
    severities.sort_by(|a, b| b.cmp(a));
    let triage = TriageSuppressor::from_store(store)?;
    let scans = store.images(run.seq)?;
    let mut releases = Vec::new();
    for name in names {
        let mut listed: Vec<(i64, &drydock_store::ImageScan)> = scans
            .iter()
            .filter_map(|s| {
                s.releases
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, p)| (*p, s))
            })
            .collect();
        listed.sort_by(|a, b| (a.0, &a.1.reference).cmp(&(b.0, &b.1.reference)));
        let live = store.live_findings(&LiveQuery {
            run_seq: run.seq,
            release: Some(name.clone()),
            ..LiveQuery::default()
        })?;
        let live: Vec<_> = live
            .into_iter()
            .filter(|f| severities.contains(&severity(&f.observation.severity)))
            .collect();
        let mut ids: Vec<String> = live.iter().map(|f| f.observation.vuln_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let vulns = store.vulns(&ids)?;
        let mut by_ref: BTreeMap<&str, Vec<Finding>> = BTreeMap::new();
        for f in &live {
            let o = &f.observation;
            let m = triage.matching(
                &o.repository,
                std::slice::from_ref(&name),
                &o.ecosystem,
                &o.package,
                &o.vuln_id,
            );
            let v = vulns.get(&o.vuln_id);
            by_ref.entry(&f.reference).or_default().push(Finding {
                vuln_id: o.vuln_id.clone(),
                title: v.and_then(|v| v.title.clone()),
                url: v.and_then(|v| v.url.clone()),
                package: o.package.clone(),
                pkg_type: o.pkg_type.clone(),
                installed: o.installed.clone(),
                fixed: o.fixed.clone(),
                severity: severity(&o.severity),
                triage: m.map(|m| (m.id, m.triage.clone())),
                first_seen_at: f.first_seen_at,
            });
        }
        let images = listed
            .into_iter()
            .map(|(_, s)| {
                let mut findings = by_ref.remove(s.reference.as_str()).unwrap_or_default();
                findings.sort_by(|a, b| {
                    (b.severity, &a.vuln_id, &a.package, &a.installed).cmp(&(
                        a.severity,
                        &b.vuln_id,
                        &b.package,
                        &b.installed,
                    ))
                });
                Image {
                    reference: s.reference.clone(),
                    repository: s.repository.clone(),
                    mirrored: s.mirrored,
                    digest: s.digest.clone(),
                    os: s.os.clone(),
                    error: (s.status != ScanStatus::Ok)
                        .then(|| s.error.clone().unwrap_or_else(|| s.status.as_str().into())),
                    findings,
                }
            })
            .collect();
        releases.push(Release {
            csv: format!("{}.csv", file_stem(&name)),
            name,
            images,
        });
    }
    Ok(Site {
        run_id: run.run_id.clone(),
        run_started_at: run.started_at,
        run_finished_at: run.finished_at,
        db_built_at: run.db_built_at.clone(),
        generated_at: opts
            .generated_at
            .or(run.finished_at)
            .unwrap_or(run.started_at),
        severities,
        releases,
    })
}

fn severity(s: &str) -> Severity {
    s.parse().unwrap_or(Severity::Unknown)
}

/// A name as a file name that cannot climb out of its directory (`..` → `_..`).
fn safe_stem(name: &str) -> String {
    let stem = file_stem(name);
    if stem.is_empty() || stem.starts_with('.') {
        format!("_{stem}")
    } else {
        stem
    }
}

/// The release page, relative to the site's root.
pub fn release_path(release: &str) -> String {
    format!("releases/{}.html", safe_stem(release))
}

/// An image's page in a release, relative to the site's root: readable, and unique through a
/// hash of the reference (`a/b` and `a_b` differ).
pub fn image_path(release: &str, reference: &str) -> String {
    let hash = hex::encode(&Sha256::digest(reference.as_bytes())[..4]);
    let mut stem = file_stem(reference);
    // `file_stem` is ASCII, so any length is a char boundary.
    stem.truncate(80);
    format!("releases/{}/{stem}-{hash}.html", safe_stem(release))
}

/// Renders the site into `out` (created if missing); the files written, in order.
pub fn write(site: &Site, out: &Path) -> Result<Vec<PathBuf>, TriageError> {
    let mut stems: BTreeMap<String, &str> = BTreeMap::new();
    for r in &site.releases {
        if let Some(other) = stems.insert(release_path(&r.name), &r.name) {
            return Err(TriageError::Invalid(format!(
                "releases `{other}` and `{}` would share the page `{}`",
                r.name,
                release_path(&r.name)
            )));
        }
    }
    let mut files = Vec::new();
    for (rel, html) in render(site) {
        let path = out.join(&rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| TriageError::Write {
                path: dir.display().to_string(),
                source,
            })?;
        }
        std::fs::write(&path, html).map_err(|source| TriageError::Write {
            path: path.display().to_string(),
            source,
        })?;
        files.push(path);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_paths_stay_inside_and_are_unique() {
        assert_eq!(release_path("v2.6"), "releases/v2.6.html");
        assert_eq!(release_path(".."), "releases/_...html");
        assert_eq!(release_path(""), "releases/_.html");
        let a = image_path("v2.6", "rancher/app:2.6.0");
        assert!(a.starts_with("releases/v2.6/rancher_app_2.6.0-"), "{a}");
        assert_ne!(image_path("v", "a/b"), image_path("v", "a_b"));
        assert!(image_path("../x", "../../etc").starts_with("releases/_.._x/.._.._etc-"));
        let long = image_path("v", &"é".repeat(200));
        assert!(long.len() < 120, "{long}");
    }
}
