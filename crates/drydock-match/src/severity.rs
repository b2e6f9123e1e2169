//! Severity ranking and CVSS scoring of a merged finding.

use drydock_advisory::{Affected, Severity as Stated, SeverityKind};
use drydock_cvss::EnvProfile;

use crate::finding::{CvssScore, Severity, SeveritySource};

pub(crate) fn from_cvss(s: drydock_cvss::Severity) -> Severity {
    match s {
        drydock_cvss::Severity::None | drydock_cvss::Severity::Low => Severity::Low,
        drydock_cvss::Severity::Medium => Severity::Medium,
        drydock_cvss::Severity::High => Severity::High,
        drydock_cvss::Severity::Critical => Severity::Critical,
    }
}

fn version_name(kind: SeverityKind) -> &'static str {
    match kind {
        SeverityKind::CvssV2 => "2.0",
        SeverityKind::CvssV3 => "3",
        SeverityKind::CvssV4 => "4.0",
        SeverityKind::Vendor => "",
    }
}

/// The vendor's level: a distribution's urgency on the matched package, or a level the record
/// states (GHSA's `database_specific.severity`, Ubuntu's priority). `Unknown` levels (Debian's
/// `not yet assigned`) do not count: NVD's rating is better than none.
pub(crate) fn vendor(
    affected: &[&Affected],
    stated: &[(String, Stated)],
) -> Option<(Severity, SeveritySource)> {
    for a in affected {
        if let Some(level) = a
            .urgency
            .as_deref()
            .and_then(Severity::parse_loose)
            .filter(|l| *l != Severity::Unknown)
        {
            return Some((level, SeveritySource::Vendor(a.source.clone())));
        }
    }
    let mut best: Option<(Severity, SeveritySource)> = None;
    for (_, s) in stated
        .iter()
        .filter(|(_, s)| s.kind == SeverityKind::Vendor)
    {
        let Some(level) = Severity::parse_loose(&s.value) else {
            continue;
        };
        if level == Severity::Unknown {
            continue;
        }
        // Two records of the same vulnerability may rate it differently: the higher one.
        if best.as_ref().is_none_or(|(b, _)| level > *b) {
            best = Some((level, SeveritySource::Vendor(s.source.clone())));
        }
    }
    best
}

/// NVD's rating: the order Trivy reads NVD in (v3 first), NVD's own statement first.
pub(crate) fn nvd_rank(s: &Stated) -> (u8, u8) {
    let kind = match s.kind {
        SeverityKind::CvssV3 => 0,
        SeverityKind::CvssV4 => 1,
        SeverityKind::CvssV2 => 2,
        SeverityKind::Vendor => 3,
    };
    let own = if s.source == "nvd@nist.gov" || s.primary == Some(true) {
        0
    } else {
        1
    };
    (kind, own)
}

/// A stated severity's level: what the feed says with the vector, else the vector's score.
pub(crate) fn stated_level(s: &Stated, scored: Option<&CvssScore>) -> Option<Severity> {
    if let Some(level) = s
        .level
        .as_deref()
        .and_then(Severity::parse_loose)
        .filter(|l| *l != Severity::Unknown)
    {
        return Some(level);
    }
    scored.map(|c| c.base_severity)
}

/// Scores one vector; `Err` is the warning to show.
pub(crate) fn score(
    source: &str,
    s: &Stated,
    env: Option<&EnvProfile>,
) -> Result<CvssScore, String> {
    let vector = drydock_cvss::parse(&s.value)
        .map_err(|e| format!("CVSS vector `{}` from `{source}`: {e}", s.value))?;
    let scores = vector.scores();
    let mut out = CvssScore {
        source: s.source.clone(),
        version: scores.version.to_string(),
        vector: s.value.trim().to_string(),
        base_score: scores.base_score,
        base_severity: from_cvss(scores.base_severity),
        environmental_vector: None,
        environmental_score: None,
        environmental_severity: None,
    };
    if out.version.is_empty() {
        out.version = version_name(s.kind).to_string();
    }
    if let Some(profile) = env {
        let v = vector.with_env(profile).map_err(|e| {
            format!(
                "environment profile on CVSS vector `{}` from `{source}`: {e}",
                s.value
            )
        })?;
        let es = v.scores();
        out.environmental_vector = Some(v.to_string());
        let (score, sev) = match (es.environmental_score, es.environmental_severity) {
            (Some(score), Some(sev)) => (score, sev),
            _ => (es.base_score, es.base_severity),
        };
        out.environmental_score = Some(score);
        out.environmental_severity = Some(from_cvss(sev));
    }
    Ok(out)
}
