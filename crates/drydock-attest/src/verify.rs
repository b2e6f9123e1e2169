//! What an admission policy checks, in order: a signature by a trusted key (over the DSSE PAE,
//! payload type included), the statement and predicate types, the subject digest, the scan's
//! age, and the findings' severities.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE, Verifier};
use crate::error::{AttestError, Rejection, Result};
use crate::key::VerifyingKey;
use crate::statement::{Metadata, STATEMENT_V01, STATEMENT_V1, Statement, VULN_PREDICATE};

/// What the verifier requires.
#[derive(Debug, Clone)]
pub struct Policy {
    /// `sha256:<hex>` the statement must have as a subject digest.
    pub subject: drydock_image::Digest,
    /// The predicate type (default: cosign's vuln predicate).
    pub predicate_type: String,
    /// The scan must have finished at most this long before `now`.
    pub max_age: Option<SignedDuration>,
    /// Severities (`CRITICAL`, `HIGH`, …) no vulnerability in the result may have.
    pub deny: BTreeSet<String>,
    pub now: Timestamp,
}

impl Policy {
    /// Requires `subject` and cosign's vuln predicate, nothing else, judged now.
    pub fn new(subject: drydock_image::Digest) -> Policy {
        Policy {
            subject,
            predicate_type: VULN_PREDICATE.to_string(),
            max_age: None,
            deny: BTreeSet::new(),
            now: Timestamp::now(),
        }
    }
}

/// An envelope whose signature, types and subject check out (not yet judged on age and
/// content).
#[derive(Debug, Clone)]
pub struct Trusted {
    pub statement: Statement,
    /// The time the scan finished (`metadata.scanFinishedOn`).
    pub finished: Timestamp,
    /// Fingerprints of the keys that signed.
    pub signers: Vec<String>,
}

/// An attestation that passed every check.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub trusted: Trusted,
    /// Vulnerabilities in the result per severity.
    pub severities: BTreeMap<String, usize>,
}

/// Checks signature, statement type, predicate type and subject.
pub fn trust(envelope: &Envelope, keys: &[VerifyingKey], policy: &Policy) -> Result<Trusted> {
    let names: Vec<String> = keys.iter().map(VerifyingKey::fingerprint).collect();
    let verifiers: Vec<(&str, &dyn Verifier)> = names
        .iter()
        .zip(keys)
        .map(|(n, k)| (n.as_str(), k as &dyn Verifier))
        .collect();
    let verified = envelope.verify(&[IN_TOTO_PAYLOAD_TYPE], &verifiers, 1)?;
    let statement: Statement =
        serde_json::from_slice(&verified.body).map_err(|e| AttestError::Malformed {
            what: "in-toto statement".into(),
            reason: e.to_string(),
        })?;
    if statement.statement_type != STATEMENT_V1 && statement.statement_type != STATEMENT_V01 {
        return Err(Rejection::Type {
            field: "_type",
            found: statement.statement_type,
            expected: STATEMENT_V1.into(),
        }
        .into());
    }
    if statement.predicate_type != policy.predicate_type {
        return Err(Rejection::Type {
            field: "predicateType",
            found: statement.predicate_type,
            expected: policy.predicate_type.clone(),
        }
        .into());
    }
    let want = policy.subject.hex();
    if !statement.subject.iter().any(|s| {
        s.digest
            .get("sha256")
            .is_some_and(|h| h.eq_ignore_ascii_case(want))
    }) {
        let found: Vec<String> = statement
            .subject
            .iter()
            .flat_map(|s| s.digest.iter().map(|(a, h)| format!("`{a}:{h}`")))
            .collect();
        return Err(Rejection::Subject {
            expected: policy.subject.to_string(),
            found: if found.is_empty() {
                "no digest".into()
            } else {
                found.join(", ")
            },
        }
        .into());
    }
    let metadata: Metadata = serde_json::from_value(statement.predicate["metadata"].clone())
        .map_err(|e| AttestError::Malformed {
            what: "predicate `metadata`".into(),
            reason: e.to_string(),
        })?;
    let finished = parse_time(&metadata.scan_finished_on)?;
    Ok(Trusted {
        statement,
        finished,
        signers: verified.signers,
    })
}

fn parse_time(s: &str) -> Result<Timestamp> {
    s.parse::<Timestamp>().map_err(|e| AttestError::Malformed {
        what: "`metadata.scanFinishedOn`".into(),
        reason: format!("`{s}` is not an RFC 3339 time: {e}"),
    })
}

/// Clock skew tolerated for a scan time in the future.
const SKEW: SignedDuration = SignedDuration::from_mins(5);

/// Checks the scan's age and the result's severities.
pub fn judge(trusted: Trusted, policy: &Policy) -> Result<Accepted> {
    let age = policy.now.duration_since(trusted.finished);
    let finished = trusted.finished.to_string();
    if age < -SKEW {
        return Err(Rejection::Future { finished }.into());
    }
    if let Some(max) = policy.max_age
        && age > max
    {
        return Err(Rejection::Stale {
            finished,
            age: human(age),
            max_age: human(max),
        }
        .into());
    }
    let mut severities: BTreeMap<String, usize> = BTreeMap::new();
    let mut denied: BTreeSet<String> = BTreeSet::new();
    for v in vulnerabilities(&trusted.statement.predicate["scanner"]["result"]) {
        let sev = v["Severity"]
            .as_str()
            .unwrap_or("UNKNOWN")
            .to_ascii_uppercase();
        if policy.deny.contains(&sev) {
            let id = v["VulnerabilityID"].as_str().unwrap_or("?");
            let pkg = v["PkgName"].as_str().unwrap_or("?");
            denied.insert(format!("{id} ({pkg}, {sev})"));
        }
        *severities.entry(sev).or_default() += 1;
    }
    if !denied.is_empty() {
        let count = denied.len();
        let mut list: Vec<String> = denied.into_iter().take(10).collect();
        if count > 10 {
            list.push(format!("and {} more", count - 10));
        }
        return Err(Rejection::Denied {
            count,
            list: list.join(", "),
        }
        .into());
    }
    Ok(Accepted {
        trusted,
        severities,
    })
}

/// `Results[].Vulnerabilities[]` of a Trivy-shaped result.
pub fn vulnerabilities(result: &Value) -> impl Iterator<Item = &Value> {
    result["Results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["Vulnerabilities"].as_array().into_iter().flatten())
}

/// Verifies one envelope completely.
pub fn verify(envelope: &Envelope, keys: &[VerifyingKey], policy: &Policy) -> Result<Accepted> {
    judge(trust(envelope, keys, policy)?, policy)
}

/// Verifies the attestations stored for an image: the newest trusted one (by `scanFinishedOn`)
/// is judged, as the current word on the image. When none is trusted, the first envelope's
/// reason is the error.
pub fn verify_newest(
    envelopes: &[Envelope],
    keys: &[VerifyingKey],
    policy: &Policy,
) -> Result<Accepted> {
    let mut first_error = None;
    let mut newest: Option<Trusted> = None;
    for e in envelopes {
        match trust(e, keys, policy) {
            Ok(t) => {
                if newest.as_ref().is_none_or(|n| t.finished > n.finished) {
                    newest = Some(t);
                }
            }
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    match (newest, first_error) {
        (Some(t), _) => judge(t, policy),
        (None, Some(e)) => Err(e),
        (None, None) => Err(Rejection::Missing(policy.subject.to_string()).into()),
    }
}

/// `90s`, `30m`, `24h`, `7d`, or combinations (`1d12h`).
pub fn parse_duration(s: &str) -> std::result::Result<SignedDuration, String> {
    let mut total: i64 = 0;
    let mut num = String::new();
    let mut any = false;
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 7 * 86400,
            _ => {
                return Err(format!(
                    "invalid duration `{s}` (use e.g. 90s, 30m, 24h, 7d)"
                ));
            }
        };
        let n: i64 = num
            .parse()
            .map_err(|_| format!("invalid duration `{s}`: a number must come before `{c}`"))?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration `{s}` is too long"))?;
        num.clear();
        any = true;
    }
    if !num.is_empty() || !any {
        return Err(format!(
            "invalid duration `{s}`: give a unit (s, m, h, d, w), e.g. 24h"
        ));
    }
    Ok(SignedDuration::from_secs(total))
}

/// `1d 2h 3m` (whole minutes; seconds below a minute).
pub fn human(d: SignedDuration) -> String {
    let secs = d.as_secs().abs();
    if secs < 60 {
        return format!("{secs}s");
    }
    let (days, hours, mins) = (secs / 86400, secs % 86400 / 3600, secs % 3600 / 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days}d"));
    }
    if hours > 0 {
        parts.push(format!("{hours}h"));
    }
    if mins > 0 {
        parts.push(format!("{mins}m"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Ok(SignedDuration::from_hours(24)));
        assert_eq!(parse_duration("1d12h"), Ok(SignedDuration::from_hours(36)));
        assert_eq!(parse_duration("90s"), Ok(SignedDuration::from_secs(90)));
        assert!(parse_duration("24").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("3x").is_err());
        assert!(parse_duration("").is_err());
        assert_eq!(human(SignedDuration::from_hours(49)), "2d 1h");
    }
}
