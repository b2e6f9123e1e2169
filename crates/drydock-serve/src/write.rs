//! Triage writes, from the API and from the form: the rules and the store write of
//! `drydock triage set` ([`drydock_triage::Triage::validate`], [`drydock_triage::set`]).

use drydock_store::{Store, TriageOutcome};
use drydock_triage::{Triage, TriageInput};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A triage write: the whole record (a field left out is cleared), as JSON or as a form.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TriageBody {
    /// `image` (with `repository`), `release` (with `release`) or `all`.
    pub scope: String,
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub release: Option<String>,
    /// Empty: the package in any ecosystem.
    #[serde(default)]
    pub ecosystem: Option<String>,
    pub package: String,
    pub vuln_id: String,
    pub state: String,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub approver: Option<String>,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub expires: Option<String>,
}

/// The form: the same fields (empty ones mean "none") and its CSRF token.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TriageForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub release: Option<String>,
    #[serde(default)]
    pub ecosystem: Option<String>,
    #[serde(default)]
    pub package: String,
    #[serde(default)]
    pub vuln_id: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub approver: Option<String>,
    #[serde(default)]
    pub expires: Option<String>,
}

impl TriageForm {
    pub fn body(&self) -> TriageBody {
        TriageBody {
            scope: self.scope.clone(),
            repository: self.repository.clone(),
            release: self.release.clone(),
            ecosystem: self.ecosystem.clone(),
            package: self.package.clone(),
            vuln_id: self.vuln_id.clone(),
            state: self.state.clone(),
            justification: self.justification.clone(),
            reason: self.reason.clone(),
            notes: self.notes.clone(),
            owner: self.owner.clone(),
            approver: self.approver.clone(),
            expires: self.expires.clone(),
        }
    }
}

impl TriageBody {
    fn input(self) -> TriageInput {
        TriageInput {
            scope: self.scope,
            repository: self.repository,
            release: self.release,
            ecosystem: self.ecosystem,
            package: self.package,
            vuln_id: self.vuln_id,
            state: self.state,
            justification: self.justification,
            reason: self.reason,
            notes: self.notes,
            owner: self.owner,
            approver: self.approver,
            expires: self.expires,
        }
    }
}

/// Validates and writes; every changed field becomes an audit event under `actor`.
pub fn apply(store: &mut Store, body: TriageBody, actor: &str) -> Result<TriageOutcome, AppError> {
    let (now, today) = crate::view::now();
    let triage = Triage::validate(body.input(), today)?;
    Ok(drydock_triage::set(store, &triage, actor, now)?)
}
