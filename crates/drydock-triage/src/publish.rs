//! `drydock publish`: from a run of the store, one CSV per release ([`crate::release_csv`]) and
//! `index.json` with the same rows and per-severity counts for other tools.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use drydock_store::Store;

use crate::date_of_unix;
use serde::Serialize;

use crate::TriageError;
use crate::release_csv::{self, CsvRow};
use crate::suppress::TriageSuppressor;

/// What to publish.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Releases to publish (empty: every release of the run).
    pub releases: Vec<String>,
    /// Severities kept, upper case (default HIGH and CRITICAL).
    pub severities: Vec<String>,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            releases: Vec::new(),
            severities: vec!["CRITICAL".into(), "HIGH".into()],
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub run_id: String,
    pub run_finished_at: Option<i64>,
    pub db_built_at: Option<String>,
    pub files: Vec<PathBuf>,
    pub releases: BTreeMap<String, ReleaseSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReleaseSummary {
    pub csv: String,
    pub rows: usize,
    /// Rows per severity.
    pub counts: BTreeMap<String, usize>,
    /// Rows per CSV state.
    pub states: BTreeMap<String, usize>,
}

/// A release name as a file name (`v2.6` → `v2.6`, `a/b` → `a_b`).
pub fn file_stem(release: &str) -> String {
    release
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn write(path: &Path, text: &str) -> Result<(), TriageError> {
    std::fs::write(path, text).map_err(|source| TriageError::Write {
        path: path.display().to_string(),
        source,
    })
}

/// Publishes run `run` (a selector: `latest`, a run id, …) into `out`, expiry judged on the
/// day the run ended (see [`publish_generated`]).
pub fn publish(
    store: &mut Store,
    run: &str,
    out: &Path,
    opts: &PublishOptions,
) -> Result<(Published, BTreeMap<String, Vec<CsvRow>>), TriageError> {
    publish_generated(store, run, out, opts, None)
}

/// [`publish`], generated at `generated_at` (Unix seconds; the CLI's `SOURCE_DATE_EPOCH`), else
/// at the run's end: an acceptance expired on that day is `triaged` again in the CSV, as the
/// site ([`crate::site::SiteOptions::generated_at`]) counts it again.
pub fn publish_generated(
    store: &mut Store,
    run: &str,
    out: &Path,
    opts: &PublishOptions,
    generated_at: Option<i64>,
) -> Result<(Published, BTreeMap<String, Vec<CsvRow>>), TriageError> {
    let run = store.run(run)?;
    let today = date_of_unix(generated_at.or(run.finished_at).unwrap_or(run.started_at));
    let all = store.releases(run.seq)?;
    let releases = if opts.releases.is_empty() {
        all
    } else {
        for r in &opts.releases {
            if !all.contains(r) {
                return Err(TriageError::Invalid(format!(
                    "run `{}` has no release `{r}` (it has: {})",
                    run.run_id,
                    all.join(", ")
                )));
            }
        }
        opts.releases.clone()
    };
    let triage = TriageSuppressor::from_store(store)?;
    let rows = release_csv::rows(store, run.seq, &releases, &opts.severities, &triage, today)?;
    std::fs::create_dir_all(out).map_err(|source| TriageError::Write {
        path: out.display().to_string(),
        source,
    })?;
    let mut files = Vec::new();
    let mut summaries = BTreeMap::new();
    let mut json_rows = BTreeMap::new();
    for (release, rs) in &rows {
        let name = format!("{}.csv", file_stem(release));
        let path = out.join(&name);
        write(&path, &release_csv::write(rs)?)?;
        files.push(path);
        let mut counts = BTreeMap::new();
        let mut states = BTreeMap::new();
        for r in rs {
            *counts.entry(r.severity.clone()).or_insert(0) += 1;
            *states.entry(r.state.as_str().to_string()).or_insert(0) += 1;
        }
        summaries.insert(
            release.clone(),
            ReleaseSummary {
                csv: name,
                rows: rs.len(),
                counts,
                states,
            },
        );
        json_rows.insert(
            release.clone(),
            rs.iter()
                .map(|r| {
                    serde_json::json!({
                        "image": r.image, "repository": r.repository, "package_name": r.package_name,
                        "ecosystem": r.ecosystem, "type": r.pkg_type, "vulnerability_id": r.vulnerability_id,
                        "severity": r.severity, "url": r.url, "patched_version": r.patched_version,
                        "mirrored": r.mirrored, "state": r.state.as_str(), "notes": r.notes,
                        "triage_id": r.triage_id,
                    })
                })
                .collect::<Vec<_>>(),
        );
    }
    let published = Published {
        run_id: run.run_id.clone(),
        run_finished_at: run.finished_at,
        db_built_at: run.db_built_at.clone(),
        files: files.clone(),
        releases: summaries,
    };
    let index = serde_json::json!({
        "run_id": published.run_id,
        "run_finished_at": published.run_finished_at,
        "db_built_at": published.db_built_at,
        "releases": published.releases,
        "rows": json_rows,
    });
    let index_path = out.join("index.json");
    let text = serde_json::to_string_pretty(&index)
        .map_err(|e| TriageError::Invalid(format!("index.json: {e}")))?;
    write(&index_path, &(text + "\n"))?;
    let mut published = published;
    published.files.push(index_path);
    Ok((published, rows))
}
