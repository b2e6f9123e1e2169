//! Triage that survives re-scans: decisions about findings kept on the finding identity
//! (repository, ecosystem, package, vulnerability), so they carry across tags, rebuilds and
//! releases, and every acceptance has a reason and an end.
//!
//! - [`State`], [`Justification`], [`Scope`] and the validated [`Triage`]: the rules
//!   (`not_affected`/`false_positive`/`accepted` need a reason, `accepted` an expiry, no expiry
//!   in the past; unknown states and justifications are errors). [`set`] writes one to a
//!   [`drydock_store::Store`], which keeps the audit trail.
//! - [`TriageSuppressor`]: the scan-time hook ([`drydock_scan::Suppressor`]) that suppresses or
//!   annotates findings; expired acceptances stop suppressing.
//! - [`handbook`]: the "Accepted CVEs for <Product> X.Y.Z" Markdown pages (both column
//!   layouts, the Known False Positives table): read, compare with findings, write back with
//!   every human-written cell kept byte for byte.
//! - [`release_csv`]: the per-release CSV (`image,package_name,…,state,notes`) and its state
//!   vocabulary; [`publish`] writes the CSVs, the static site and `index.json`.
//! - [`vex`]: OpenVEX v0.2.0 and CycloneDX 1.6 VEX export and import (lossless round trip),
//!   also of the findings a scan report's Go reachability evidence filtered;
//!   [`ignore_import`]: `.drydockignore.yaml`, `.trivyignore(.yaml)` and Grype `.grype.yaml`
//!   entries (and handbook pages) into records, packages resolved against the latest run.
//!
//! Time is always passed in (`today`, `now`), so expiry is testable with any clock.
//!
//! ```
//! use drydock_triage::{State, Triage, TriageInput};
//! let today = "2026-06-01".parse().expect("a date");
//! let t = Triage::validate(
//!     TriageInput {
//!         scope: "image".into(),
//!         repository: Some("registry.example/app".into()),
//!         package: "openssl".into(),
//!         vuln_id: "CVE-2024-0001".into(),
//!         state: "accepted".into(),
//!         reason: Some("only reachable from the admin VPN".into()),
//!         expires: Some("2026-09-01".into()),
//!         ..TriageInput::default()
//!     },
//!     today,
//! )?;
//! assert_eq!(t.state, State::Accepted);
//! assert!(t.suppresses(today));
//! # Ok::<(), drydock_triage::TriageError>(())
//! ```

pub mod handbook;
pub mod ignore_import;
pub mod publish;
pub mod release_csv;
pub mod site;
mod state;
mod suppress;
pub mod vex;

pub use state::{
    Justification, Scope, State, Triage, TriageInput, add_days, date_of_unix, normalize_vuln_id,
    parse_days, unix_days,
};
pub use suppress::{Match, TriageSuppressor, describe, unused_notice};

use drydock_policy::{BadDate, Date};
use drydock_store::{Store, StoreError, TriageBatchError, TriageOutcome, TriageWrite};

/// Why a triage operation failed. Messages name the value, and for files the file and line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TriageError {
    #[error(
        "unknown triage state `{0}` (expected in_triage, affected, not_affected, false_positive, accepted or waiting)"
    )]
    UnknownState(String),
    #[error(
        "unknown justification `{0}` (OpenVEX: component_not_present, vulnerable_code_not_present, vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist; or a CycloneDX one)"
    )]
    UnknownJustification(String),
    #[error("state `{0}` needs a written reason (--reason)")]
    MissingReason(State),
    #[error("state `not_affected` needs a justification (--justification)")]
    MissingJustification,
    #[error("a justification applies to `not_affected` only, not `{0}`")]
    JustificationNotAllowed(State),
    #[error("state `accepted` needs an expiry date (--expires YYYY-MM-DD)")]
    MissingExpiry,
    #[error("expiry `{expires}` is in the past (today is {today})")]
    ExpiryInPast { expires: Date, today: Date },
    #[error(transparent)]
    BadDate(BadDate),
    #[error("{0}")]
    Invalid(String),
    #[error("{file}:{line}: {message}")]
    Parse {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{at}: {source}; the import was rolled back, nothing of it is stored")]
    Import {
        /// Which record failed (`record 3 of 10 (CVE-… in pkg)`), or that the commit did.
        at: String,
        source: StoreError,
    },
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl TriageError {
    /// Puts `file:line` in front of a validation error found while importing.
    pub fn at(self, file: &str, line: usize) -> TriageError {
        match self {
            e @ (TriageError::Parse { .. } | TriageError::File { .. }) => e,
            e => TriageError::Parse {
                file: file.to_string(),
                line,
                message: e.to_string(),
            },
        }
    }
}

/// Writes a validated record: creates it or updates its fields, with one audit event per
/// changed field, as `actor` at Unix second `at`.
pub fn set(
    store: &mut Store,
    triage: &Triage,
    actor: &str,
    at: i64,
) -> Result<TriageOutcome, TriageError> {
    set_created(store, triage, None, actor, at)
}

/// [`set`] for an import: a record that does not exist yet keeps the creation time the
/// imported document gives (`created`), so exporting it again gives the same document.
pub fn set_created(
    store: &mut Store,
    triage: &Triage,
    created: Option<i64>,
    actor: &str,
    at: i64,
) -> Result<TriageOutcome, TriageError> {
    Ok(store.set_triage(&write_of(triage, created, actor, at))?)
}

/// Writes the records of one import — `(record, creation time to keep)`, see [`set_created`]
/// — in one transaction: all of them land or none does. A failure midway (a database error,
/// the connection lost, a full disk) is [`TriageError::Import`], naming the record it
/// stopped at.
pub fn import(
    store: &mut Store,
    records: &[(Triage, Option<i64>)],
    actor: &str,
    at: i64,
) -> Result<Vec<TriageOutcome>, TriageError> {
    let writes: Vec<TriageWrite> = records
        .iter()
        .map(|(t, created)| write_of(t, *created, actor, at))
        .collect();
    store
        .set_triages(&writes)
        .map_err(|TriageBatchError { index, error }| TriageError::Import {
            at: match index.and_then(|i| records.get(i).map(|r| (i, &r.0))) {
                Some((i, t)) => format!(
                    "import stopped at record {} of {} ({} in {})",
                    i + 1,
                    records.len(),
                    t.vuln_id,
                    t.package
                ),
                None => format!("the import of {} record(s) failed to commit", records.len()),
            },
            source: error,
        })
}

fn write_of(triage: &Triage, created: Option<i64>, actor: &str, at: i64) -> TriageWrite {
    TriageWrite {
        key: triage.key(),
        fields: triage.fields(),
        actor: actor.to_string(),
        at,
        created: created.map(|c| (actor.to_string(), c)),
    }
}
