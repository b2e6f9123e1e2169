//! Triage states, justifications, scopes, and the validated [`Triage`] a store write is made of.

use std::fmt;
use std::str::FromStr;

use drydock_package::Ecosystem;
use drydock_policy::Date;
use drydock_store::{TriageFields, TriageKey, TriageRecord};
use serde::{Deserialize, Serialize};

use crate::TriageError;

/// What a team decided about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Being looked at (OpenVEX `under_investigation`, CycloneDX `in_triage`).
    InTriage,
    /// Real, to be fixed.
    Affected,
    /// The vulnerability does not apply here; needs a justification and a reason.
    NotAffected,
    /// The match is wrong (the package or version is not what the advisory is about).
    FalsePositive,
    /// Real, risk accepted until `expires` (required), with a reason.
    Accepted,
    /// Real, waiting on an upstream fix.
    Waiting,
}

impl State {
    pub const ALL: [State; 6] = [
        State::InTriage,
        State::Affected,
        State::NotAffected,
        State::FalsePositive,
        State::Accepted,
        State::Waiting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::InTriage => "in_triage",
            State::Affected => "affected",
            State::NotAffected => "not_affected",
            State::FalsePositive => "false_positive",
            State::Accepted => "accepted",
            State::Waiting => "waiting",
        }
    }

    /// Whether a record in this state suppresses the finding at scan time (an `accepted`
    /// one only until it expires: see [`Triage::suppresses`]).
    pub fn suppresses(self) -> bool {
        matches!(
            self,
            State::NotAffected | State::FalsePositive | State::Accepted
        )
    }

    /// Whether setting this state needs a written reason.
    pub fn needs_reason(self) -> bool {
        self.suppresses()
    }
}

impl FromStr for State {
    type Err = TriageError;
    fn from_str(s: &str) -> Result<State, TriageError> {
        let t = s.trim().to_ascii_lowercase().replace('-', "_");
        State::ALL
            .into_iter()
            .find(|st| st.as_str() == t)
            .ok_or_else(|| TriageError::UnknownState(s.to_string()))
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a finding is `not_affected`, in either VEX vocabulary (stored as given, mapped to the
/// other vocabulary on export: see `docs/triage.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Justification {
    // OpenVEX v0.2.0.
    ComponentNotPresent,
    VulnerableCodeNotPresent,
    VulnerableCodeNotInExecutePath,
    VulnerableCodeCannotBeControlledByAdversary,
    InlineMitigationsAlreadyExist,
    // CycloneDX 1.6 `impactAnalysisJustification`.
    CodeNotPresent,
    CodeNotReachable,
    RequiresConfiguration,
    RequiresDependency,
    RequiresEnvironment,
    ProtectedByCompiler,
    ProtectedAtRuntime,
    ProtectedAtPerimeter,
    ProtectedByMitigatingControl,
}

impl Justification {
    pub const ALL: [Justification; 14] = [
        Justification::ComponentNotPresent,
        Justification::VulnerableCodeNotPresent,
        Justification::VulnerableCodeNotInExecutePath,
        Justification::VulnerableCodeCannotBeControlledByAdversary,
        Justification::InlineMitigationsAlreadyExist,
        Justification::CodeNotPresent,
        Justification::CodeNotReachable,
        Justification::RequiresConfiguration,
        Justification::RequiresDependency,
        Justification::RequiresEnvironment,
        Justification::ProtectedByCompiler,
        Justification::ProtectedAtRuntime,
        Justification::ProtectedAtPerimeter,
        Justification::ProtectedByMitigatingControl,
    ];

    pub fn as_str(self) -> &'static str {
        use Justification::*;
        match self {
            ComponentNotPresent => "component_not_present",
            VulnerableCodeNotPresent => "vulnerable_code_not_present",
            VulnerableCodeNotInExecutePath => "vulnerable_code_not_in_execute_path",
            VulnerableCodeCannotBeControlledByAdversary => {
                "vulnerable_code_cannot_be_controlled_by_adversary"
            }
            InlineMitigationsAlreadyExist => "inline_mitigations_already_exist",
            CodeNotPresent => "code_not_present",
            CodeNotReachable => "code_not_reachable",
            RequiresConfiguration => "requires_configuration",
            RequiresDependency => "requires_dependency",
            RequiresEnvironment => "requires_environment",
            ProtectedByCompiler => "protected_by_compiler",
            ProtectedAtRuntime => "protected_at_runtime",
            ProtectedAtPerimeter => "protected_at_perimeter",
            ProtectedByMitigatingControl => "protected_by_mitigating_control",
        }
    }

    /// The OpenVEX v0.2.0 justification.
    pub fn openvex(self) -> &'static str {
        use Justification::*;
        match self {
            ComponentNotPresent | RequiresDependency => "component_not_present",
            VulnerableCodeNotPresent | CodeNotPresent => "vulnerable_code_not_present",
            VulnerableCodeNotInExecutePath | CodeNotReachable => {
                "vulnerable_code_not_in_execute_path"
            }
            VulnerableCodeCannotBeControlledByAdversary
            | RequiresConfiguration
            | RequiresEnvironment => "vulnerable_code_cannot_be_controlled_by_adversary",
            InlineMitigationsAlreadyExist
            | ProtectedByCompiler
            | ProtectedAtRuntime
            | ProtectedAtPerimeter
            | ProtectedByMitigatingControl => "inline_mitigations_already_exist",
        }
    }

    /// The CycloneDX 1.6 justification.
    pub fn cyclonedx(self) -> &'static str {
        use Justification::*;
        match self {
            ComponentNotPresent => "requires_dependency",
            VulnerableCodeNotPresent => "code_not_present",
            VulnerableCodeNotInExecutePath => "code_not_reachable",
            VulnerableCodeCannotBeControlledByAdversary => "requires_environment",
            InlineMitigationsAlreadyExist => "protected_by_mitigating_control",
            other => other.as_str(),
        }
    }
}

impl FromStr for Justification {
    type Err = TriageError;
    fn from_str(s: &str) -> Result<Justification, TriageError> {
        let t = s.trim().to_ascii_lowercase().replace('-', "_");
        Justification::ALL
            .into_iter()
            .find(|j| j.as_str() == t)
            .ok_or_else(|| TriageError::UnknownJustification(s.to_string()))
    }
}

impl fmt::Display for Justification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which images a record applies to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// One repository (every tag, digest and rebuild of it).
    Image(String),
    /// Every image of one release.
    Release(String),
    /// Every image with that package and vulnerability.
    All,
}

impl Scope {
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Image(_) => "image",
            Scope::Release(_) => "release",
            Scope::All => "all",
        }
    }

    /// How specific the scope is: an image record wins over a release record over an `all` one.
    pub fn rank(&self) -> u8 {
        match self {
            Scope::Image(_) => 2,
            Scope::Release(_) => 1,
            Scope::All => 0,
        }
    }

    /// The scope of a stored key.
    pub fn of_key(key: &TriageKey) -> Result<Scope, TriageError> {
        match key.scope.as_str() {
            "image" if !key.repository.is_empty() => Ok(Scope::Image(key.repository.clone())),
            "release" if !key.release.is_empty() => Ok(Scope::Release(key.release.clone())),
            "all" => Ok(Scope::All),
            other => Err(TriageError::Invalid(format!(
                "bad scope `{other}` (expected image with a repository, release with a name, or all)"
            ))),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Image(r) => write!(f, "image {r}"),
            Scope::Release(r) => write!(f, "release {r}"),
            Scope::All => f.write_str("all images"),
        }
    }
}

/// A validated triage record: every rule of `docs/triage.md` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    pub scope: Scope,
    /// `None`: the package in any ecosystem.
    pub ecosystem: Option<Ecosystem>,
    pub package: String,
    /// The identity's vulnerability id (the CVE when the advisory has one).
    pub vuln_id: String,
    pub state: State,
    pub justification: Option<Justification>,
    pub reason: Option<String>,
    pub notes: Option<String>,
    pub owner: Option<String>,
    pub approver: Option<String>,
    /// The last day the record applies (an expired `accepted` stops suppressing).
    pub expires: Option<Date>,
}

/// The raw parts of a triage record, as a user or a file gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriageInput {
    pub scope: String,
    pub repository: Option<String>,
    pub release: Option<String>,
    pub ecosystem: Option<String>,
    pub package: String,
    pub vuln_id: String,
    pub state: String,
    pub justification: Option<String>,
    pub reason: Option<String>,
    pub notes: Option<String>,
    pub owner: Option<String>,
    pub approver: Option<String>,
    pub expires: Option<String>,
}

fn clean(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A vulnerability id as the identity spells it (`cve-2024-1` → `CVE-2024-1`).
pub fn normalize_vuln_id(id: &str) -> String {
    let t = id.trim();
    let upper = t.to_ascii_uppercase();
    if ["CVE-", "GHSA-", "RUSTSEC-", "PYSEC-", "GO-", "OSV-"]
        .iter()
        .any(|p| upper.starts_with(p))
    {
        if upper.starts_with("GHSA-") {
            // GHSA ids are lower case after the prefix.
            format!("GHSA-{}", t[5..].to_ascii_lowercase())
        } else {
            upper
        }
    } else {
        t.to_string()
    }
}

impl Triage {
    /// Validates `input` as of `today`: a known state and justification, a reason where the
    /// state needs one, an expiry for `accepted`, no expiry in the past.
    pub fn validate(input: TriageInput, today: Date) -> Result<Triage, TriageError> {
        let state: State = input.state.parse()?;
        let justification = clean(input.justification)
            .map(|j| j.parse::<Justification>())
            .transpose()?;
        let reason = clean(input.reason);
        let expires = clean(input.expires)
            .map(|e| e.parse::<Date>().map_err(TriageError::BadDate))
            .transpose()?;
        let scope = match input.scope.trim().to_ascii_lowercase().as_str() {
            "image" | "repository" => match clean(input.repository) {
                Some(r) => Scope::Image(r),
                None => {
                    return Err(TriageError::Invalid(
                        "scope `image` needs the image's repository".into(),
                    ));
                }
            },
            "release" => match clean(input.release) {
                Some(r) => Scope::Release(r),
                None => {
                    return Err(TriageError::Invalid(
                        "scope `release` needs a release name".into(),
                    ));
                }
            },
            "all" => Scope::All,
            other => {
                return Err(TriageError::Invalid(format!(
                    "unknown scope `{other}` (expected image, release or all)"
                )));
            }
        };
        let ecosystem = clean(input.ecosystem)
            .map(|e| {
                Ecosystem::ALL
                    .into_iter()
                    .find(|x| x.as_str().eq_ignore_ascii_case(&e))
                    .ok_or_else(|| TriageError::Invalid(format!("unknown ecosystem `{e}`")))
            })
            .transpose()?;
        let package = input.package.trim().to_string();
        let vuln_id = normalize_vuln_id(&input.vuln_id);
        if package.is_empty() {
            return Err(TriageError::Invalid(
                "a triage record needs a package".into(),
            ));
        }
        if vuln_id.is_empty() {
            return Err(TriageError::Invalid(
                "a triage record needs a vulnerability id".into(),
            ));
        }
        if state.needs_reason() && reason.is_none() {
            return Err(TriageError::MissingReason(state));
        }
        match (state, justification) {
            (State::NotAffected, None) => return Err(TriageError::MissingJustification),
            (State::NotAffected, Some(_)) | (_, None) => {}
            (s, Some(_)) => return Err(TriageError::JustificationNotAllowed(s)),
        }
        if state == State::Accepted && expires.is_none() {
            return Err(TriageError::MissingExpiry);
        }
        if let Some(e) = expires
            && e < today
        {
            return Err(TriageError::ExpiryInPast { expires: e, today });
        }
        Ok(Triage {
            scope,
            ecosystem,
            package,
            vuln_id,
            state,
            justification,
            reason,
            notes: clean(input.notes),
            owner: clean(input.owner),
            approver: clean(input.approver),
            expires,
        })
    }

    /// Reads a stored record back (no expiry check: a stored acceptance may have expired).
    pub fn from_record(r: &TriageRecord) -> Result<Triage, TriageError> {
        let state: State = r.fields.state.parse()?;
        Ok(Triage {
            scope: Scope::of_key(&r.key)?,
            ecosystem: Ecosystem::ALL
                .into_iter()
                .find(|x| x.as_str() == r.key.ecosystem),
            package: r.key.package.clone(),
            vuln_id: r.key.vuln_id.clone(),
            state,
            justification: r
                .fields
                .justification
                .as_deref()
                .map(str::parse)
                .transpose()?,
            reason: r.fields.reason.clone(),
            notes: r.fields.notes.clone(),
            owner: r.fields.owner.clone(),
            approver: r.fields.approver.clone(),
            expires: r
                .fields
                .expires
                .as_deref()
                .map(|e| e.parse::<Date>().map_err(TriageError::BadDate))
                .transpose()?,
        })
    }

    pub fn key(&self) -> TriageKey {
        let (repository, release) = match &self.scope {
            Scope::Image(r) => (r.clone(), String::new()),
            Scope::Release(r) => (String::new(), r.clone()),
            Scope::All => (String::new(), String::new()),
        };
        TriageKey {
            scope: self.scope.kind().to_string(),
            repository,
            release,
            ecosystem: self
                .ecosystem
                .map(|e| e.as_str().to_string())
                .unwrap_or_default(),
            package: self.package.clone(),
            vuln_id: self.vuln_id.clone(),
        }
    }

    pub fn fields(&self) -> TriageFields {
        TriageFields {
            state: self.state.as_str().to_string(),
            justification: self.justification.map(|j| j.as_str().to_string()),
            reason: self.reason.clone(),
            notes: self.notes.clone(),
            owner: self.owner.clone(),
            approver: self.approver.clone(),
            expires: self.expires.map(|d| d.to_string()),
        }
    }

    /// Whether the record has expired on `today` (the expiry day itself still applies).
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|e| e < today)
    }

    /// Whether the record suppresses its findings on `today`: `not_affected` and
    /// `false_positive` (until an expiry, if they carry one), `accepted` until it expires.
    pub fn suppresses(&self, today: Date) -> bool {
        self.state.suppresses() && !self.is_expired(today)
    }
}

/// A day count: `14d`, `2w`, or a bare number of days.
pub fn parse_days(s: &str) -> Result<i64, TriageError> {
    let t = s.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix('d') {
        (n, 1)
    } else if let Some(n) = t.strip_suffix('w') {
        (n, 7)
    } else {
        (t, 1)
    };
    num.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .map(|n| n * mult)
        .ok_or_else(|| {
            TriageError::Invalid(format!("`{s}` is not a duration (expected e.g. 14d or 2w)"))
        })
}

/// `today` plus `days`.
pub fn add_days(today: Date, days: i64) -> Date {
    Date::from_unix_days(unix_days(today) + days)
}

/// Days since 1970-01-01.
pub fn unix_days(d: Date) -> i64 {
    // Civil-from-days inverse (Howard Hinnant's algorithm, written from its description).
    let (y, m, day) = (
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The day of Unix second `secs` (UTC).
pub fn date_of_unix(secs: i64) -> Date {
    Date::from_unix_days(secs.div_euclid(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("a test date")
    }

    fn input(state: &str) -> TriageInput {
        TriageInput {
            scope: "image".into(),
            repository: Some("registry.example/app".into()),
            package: "openssl".into(),
            vuln_id: "cve-2024-0001".into(),
            state: state.into(),
            ..TriageInput::default()
        }
    }

    #[test]
    fn states_and_justifications_parse() {
        for s in State::ALL {
            assert_eq!(s.as_str().parse::<State>().expect("own name"), s);
        }
        assert_eq!(
            "Not-Affected".parse::<State>().expect("loose"),
            State::NotAffected
        );
        assert!(matches!(
            "fixed".parse::<State>(),
            Err(TriageError::UnknownState(_))
        ));
        for j in Justification::ALL {
            assert_eq!(j.as_str().parse::<Justification>().expect("own name"), j);
            // Both mappings land in the other vocabulary.
            assert!(
                Justification::ALL[..5]
                    .iter()
                    .any(|o| o.as_str() == j.openvex())
            );
            assert!(
                Justification::ALL[5..]
                    .iter()
                    .any(|o| o.as_str() == j.cyclonedx())
            );
        }
        assert!(matches!(
            "because".parse::<Justification>(),
            Err(TriageError::UnknownJustification(_))
        ));
    }

    #[test]
    fn validation_rules() {
        let today = d("2026-06-01");
        let ok = Triage::validate(input("in_triage"), today).expect("valid");
        assert_eq!(ok.vuln_id, "CVE-2024-0001");
        for s in ["not_affected", "false_positive", "accepted"] {
            assert!(matches!(
                Triage::validate(input(s), today),
                Err(TriageError::MissingReason(_))
            ));
        }
        let mut acc = input("accepted");
        acc.reason = Some("behind the VPN".into());
        assert!(matches!(
            Triage::validate(acc.clone(), today),
            Err(TriageError::MissingExpiry)
        ));
        acc.expires = Some("2026-05-31".into());
        assert!(matches!(
            Triage::validate(acc.clone(), today),
            Err(TriageError::ExpiryInPast { .. })
        ));
        acc.expires = Some("2026-06-01".into());
        let t = Triage::validate(acc.clone(), today).expect("expires today is fine");
        assert!(t.suppresses(today));
        assert!(!t.suppresses(d("2026-06-02")));
        let mut na = input("not_affected");
        na.reason = Some("no shell".into());
        assert!(matches!(
            Triage::validate(na.clone(), today),
            Err(TriageError::MissingJustification)
        ));
        na.justification = Some("code_not_reachable".into());
        Triage::validate(na, today).expect("CycloneDX vocabulary accepted");
        let mut w = input("waiting");
        w.justification = Some("code_not_reachable".into());
        assert!(matches!(
            Triage::validate(w, today),
            Err(TriageError::JustificationNotAllowed(State::Waiting))
        ));
        let mut s = input("affected");
        s.scope = "cluster".into();
        assert!(Triage::validate(s, today).is_err());
    }

    #[test]
    fn days() {
        for s in [
            "1970-01-01",
            "2024-02-29",
            "2000-03-01",
            "1969-12-31",
            "2100-12-31",
        ] {
            assert_eq!(Date::from_unix_days(unix_days(d(s))), d(s), "{s}");
        }
        assert_eq!(add_days(d("2026-12-25"), 14), d("2027-01-08"));
        assert_eq!(parse_days("14d").expect("days"), 14);
        assert_eq!(parse_days("2w").expect("weeks"), 14);
        assert!(parse_days("soon").is_err());
        assert_eq!(date_of_unix(1_700_000_000), d("2023-11-14"));
    }
}
