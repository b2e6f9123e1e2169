//! The per-release CSV the release-scan sites read:
//! `image,package_name,type,vulnerability_id,severity,url,patched_version,mirrored,state,notes`.
//!
//! Its `state` column has its own vocabulary, mapped to triage states:
//!
//! | CSV `state` | written for                                   | read back as                          |
//! |-------------|-----------------------------------------------|---------------------------------------|
//! | `triaged`   | no record, `in_triage`, `affected`            | nothing written (no record)           |
//! | `waiting`   | `waiting`                                     | `waiting`, release scope              |
//! | `ignore`    | `not_affected`, `false_positive`, `accepted` | `accepted` until the given expiry, release scope, `notes` as the reason (required) |
//!
//! An `accepted` record past its expiry is written `triaged` (it counts again), its notes
//! saying so: read back, the row makes no record, so a re-import never renews an acceptance
//! that ran out.

use std::collections::BTreeMap;

use drydock_policy::Date;
use drydock_store::Store;

use crate::TriageError;
use crate::state::{State, Triage, TriageInput};
use crate::suppress::{TriageSuppressor, describe};

/// The columns, exactly, in order.
pub const HEADER: [&str; 10] = [
    "image",
    "package_name",
    "type",
    "vulnerability_id",
    "severity",
    "url",
    "patched_version",
    "mirrored",
    "state",
    "notes",
];

/// The CSV's state vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CsvState {
    Triaged,
    Waiting,
    Ignore,
}

impl CsvState {
    pub fn as_str(self) -> &'static str {
        match self {
            CsvState::Triaged => "triaged",
            CsvState::Waiting => "waiting",
            CsvState::Ignore => "ignore",
        }
    }

    /// The CSV state of a finding with this triage record (or none) on `today`: an
    /// acceptance past its expiry is `triaged` again.
    pub fn of_record(t: Option<&Triage>, today: Date) -> CsvState {
        match t {
            Some(t) if t.state == State::Accepted && t.is_expired(today) => CsvState::Triaged,
            t => CsvState::of(t.map(|t| t.state)),
        }
    }

    /// The CSV state of a finding with this triage state (or none), expiry aside.
    pub fn of(state: Option<State>) -> CsvState {
        match state {
            Some(State::Waiting) => CsvState::Waiting,
            Some(State::NotAffected | State::FalsePositive | State::Accepted) => CsvState::Ignore,
            _ => CsvState::Triaged,
        }
    }

    pub fn parse(s: &str) -> Option<CsvState> {
        match s.trim().to_ascii_lowercase().as_str() {
            "triaged" | "" => Some(CsvState::Triaged),
            "waiting" => Some(CsvState::Waiting),
            "ignore" | "ignored" => Some(CsvState::Ignore),
            _ => None,
        }
    }
}

/// One CSV row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    pub image: String,
    pub package_name: String,
    pub pkg_type: String,
    pub vulnerability_id: String,
    pub severity: String,
    pub url: String,
    pub patched_version: String,
    pub mirrored: bool,
    pub state: CsvState,
    pub notes: String,
    /// Not a column: the finding's repository and ecosystem, for the site.
    pub repository: String,
    pub ecosystem: String,
    /// Not a column: the triage record behind `state`, if any.
    pub triage_id: Option<i64>,
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "CRITICAL" => 4,
        "HIGH" => 3,
        "MEDIUM" => 2,
        "LOW" => 1,
        _ => 0,
    }
}

/// The rows of each release of run `run_seq`: images in fleet-file order, then severity
/// (highest first), vulnerability and package; only `severities` (upper case). Expiry is
/// judged on `today`.
pub fn rows(
    store: &mut Store,
    run_seq: i64,
    releases: &[String],
    severities: &[String],
    triage: &TriageSuppressor,
    today: Date,
) -> Result<BTreeMap<String, Vec<CsvRow>>, TriageError> {
    let images = store.images(run_seq)?;
    let mut out = BTreeMap::new();
    for release in releases {
        let mut imgs: Vec<(i64, &drydock_store::ImageScan)> = images
            .iter()
            .filter_map(|i| {
                i.releases
                    .iter()
                    .find(|(n, _)| n == release)
                    .map(|(_, p)| (*p, i))
            })
            .collect();
        imgs.sort_by_key(|(p, i)| (*p, i.reference.clone()));
        let mut rows = Vec::new();
        for (_, img) in imgs {
            let mut obs: Vec<_> = store
                .observations(run_seq, &img.reference)?
                .into_iter()
                .filter(|o| severities.iter().any(|s| s == &o.severity))
                .collect();
            obs.sort_by(|a, b| {
                (severity_rank(&b.severity), &a.vuln_id, &a.package).cmp(&(
                    severity_rank(&a.severity),
                    &b.vuln_id,
                    &b.package,
                ))
            });
            let ids: Vec<String> = obs.iter().map(|o| o.vuln_id.clone()).collect();
            let vulns = store.vulns(&ids)?;
            for o in obs {
                let m = triage.matching(
                    &img.repository,
                    std::slice::from_ref(release),
                    &o.ecosystem,
                    &o.package,
                    &o.vuln_id,
                );
                let url = vulns
                    .get(&o.vuln_id)
                    .and_then(|v| v.url.clone())
                    .unwrap_or_default();
                rows.push(CsvRow {
                    image: img.reference.clone(),
                    package_name: o.package.clone(),
                    pkg_type: o.pkg_type.clone(),
                    vulnerability_id: o.vuln_id.clone(),
                    severity: o.severity.clone(),
                    url,
                    patched_version: o.fixed.clone().unwrap_or_default(),
                    mirrored: img.mirrored,
                    state: CsvState::of_record(m.map(|m| m.triage), today),
                    notes: m.map(|m| notes(m.triage, today)).unwrap_or_default(),
                    repository: img.repository.clone(),
                    ecosystem: o.ecosystem.clone(),
                    triage_id: m.map(|m| m.id),
                });
            }
        }
        out.insert(release.clone(), rows);
    }
    Ok(out)
}

/// A triaged row's `notes`: the record's reason (else its notes); for an acceptance past its
/// expiry, `acceptance expired on DATE (accepted: REASON)`.
fn notes(t: &Triage, today: Date) -> String {
    if t.state == State::Accepted && t.is_expired(today) {
        describe(t, today)
    } else {
        t.reason.clone().or(t.notes.clone()).unwrap_or_default()
    }
}

/// The CSV text of some rows.
pub fn write(rows: &[CsvRow]) -> Result<String, TriageError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let err = |e: csv::Error| TriageError::Invalid(format!("writing CSV: {e}"));
    w.write_record(HEADER).map_err(err)?;
    for r in rows {
        w.write_record([
            r.image.as_str(),
            &r.package_name,
            &r.pkg_type,
            &r.vulnerability_id,
            &r.severity,
            &r.url,
            &r.patched_version,
            if r.mirrored { "true" } else { "" },
            r.state.as_str(),
            &r.notes,
        ])
        .map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| TriageError::Invalid(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| TriageError::Invalid(format!("writing CSV: {e}")))
}

/// Reads a CSV (edited by a human) back: every row validated, errors name file and line.
pub fn read(text: &str, file: &str) -> Result<Vec<(usize, CsvRow)>, TriageError> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = r
        .headers()
        .map_err(|e| TriageError::Parse {
            file: file.into(),
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let got: Vec<&str> = header.iter().map(str::trim).collect();
    if got != HEADER {
        let unknown: Vec<&str> = got
            .iter()
            .copied()
            .filter(|c| !HEADER.contains(c))
            .collect();
        return Err(TriageError::Parse {
            file: file.into(),
            line: 1,
            message: if unknown.is_empty() {
                format!("the columns must be exactly `{}`", HEADER.join(","))
            } else {
                format!(
                    "unknown column(s) `{}` (the columns are `{}`)",
                    unknown.join("`, `"),
                    HEADER.join(",")
                )
            },
        });
    }
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| TriageError::Parse {
            file: file.into(),
            line: e.position().map_or(0, |p| p.line() as usize),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let get = |i: usize| rec.get(i).unwrap_or_default().trim().to_string();
        let state = CsvState::parse(&get(8)).ok_or_else(|| TriageError::Parse {
            file: file.into(),
            line,
            message: format!(
                "unknown state `{}` (the CSV's states are triaged, waiting, ignore)",
                get(8)
            ),
        })?;
        if state == CsvState::Ignore && get(9).is_empty() {
            return Err(TriageError::Parse {
                file: file.into(),
                line,
                message: "`ignore` needs a justification in `notes`".into(),
            });
        }
        out.push((
            line,
            CsvRow {
                repository: drydock_match::identity::repository(&get(0)),
                image: get(0),
                package_name: get(1),
                pkg_type: get(2),
                vulnerability_id: get(3),
                severity: get(4),
                url: get(5),
                patched_version: get(6),
                mirrored: get(7).eq_ignore_ascii_case("true"),
                state,
                notes: get(9),
                ecosystem: String::new(),
                triage_id: None,
            },
        ));
    }
    Ok(out)
}

/// The triage records a CSV of `release` asks for: `waiting` and `ignore` rows (release
/// scope); `ignore` becomes `accepted` until `expires`. `triaged` rows make no record.
pub fn to_triage(
    rows: &[(usize, CsvRow)],
    release: &str,
    expires: Date,
    today: Date,
    file: &str,
) -> Result<Vec<Triage>, TriageError> {
    let mut out: Vec<Triage> = Vec::new();
    for (line, r) in rows {
        let (state, exp) = match r.state {
            CsvState::Triaged => continue,
            CsvState::Waiting => ("waiting", None),
            CsvState::Ignore => ("accepted", Some(expires.to_string())),
        };
        let t = Triage::validate(
            TriageInput {
                scope: "release".into(),
                release: Some(release.to_string()),
                package: r.package_name.clone(),
                vuln_id: r.vulnerability_id.clone(),
                state: state.into(),
                reason: (r.state == CsvState::Ignore).then(|| r.notes.clone()),
                notes: (r.state == CsvState::Waiting && !r.notes.is_empty())
                    .then(|| r.notes.clone()),
                expires: exp,
                ..TriageInput::default()
            },
            today,
        )
        .map_err(|e| e.at(file, *line))?;
        // One record per (package, vulnerability) in a release: the rows of its images agree
        // or the first one wins.
        if !out.iter().any(|o| o.key() == t.key()) {
            out.push(t);
        }
    }
    Ok(out)
}
