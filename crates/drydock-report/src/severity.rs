//! Scores and names derived from a finding's severity and CVSS statements, shared by the
//! SARIF and CycloneDX writers.

use drydock_match::{CvssScore, Finding, Severity};

/// The CVSS statement a single number should come from: the highest version, NVD's first
/// among equals, then the highest score.
pub(crate) fn primary_cvss(f: &Finding) -> Option<&CvssScore> {
    f.cvss.iter().max_by(|a, b| {
        version_rank(&a.version)
            .cmp(&version_rank(&b.version))
            .then_with(|| (a.source == "nvd@nist.gov").cmp(&(b.source == "nvd@nist.gov")))
            .then_with(|| a.base_score.total_cmp(&b.base_score))
    })
}

fn version_rank(v: &str) -> u8 {
    match v.trim_start_matches("CVSS:") {
        "4.0" | "4" => 4,
        "3.1" => 3,
        "3.0" | "3" => 2,
        "2.0" | "2" => 1,
        _ => 0,
    }
}

/// A score in 0.0–10.0 for tools that want a number (SARIF `security-severity`): the primary
/// CVSS base score, else a representative score for the severity (the middle of its CVSS v3
/// band, as GitHub reads it back: ≥9 critical, ≥7 high, ≥4 medium, >0 low).
pub(crate) fn security_score(f: &Finding) -> f64 {
    match primary_cvss(f) {
        Some(c) => c.base_score,
        None => match f.severity {
            Severity::Critical => 9.5,
            Severity::High => 8.0,
            Severity::Medium => 5.5,
            Severity::Low => 2.0,
            Severity::Unknown => 0.0,
        },
    }
}

/// One decimal place, as CVSS prints scores (`9.8`, `7.0`).
pub(crate) fn score_string(score: f64) -> String {
    format!("{score:.1}")
}

/// The CycloneDX rating method for a CVSS version.
pub(crate) fn cyclonedx_method(version: &str) -> &'static str {
    match version.trim_start_matches("CVSS:") {
        "4.0" | "4" => "CVSSv4",
        "3.1" => "CVSSv31",
        "3.0" | "3" => "CVSSv3",
        "2.0" | "2" => "CVSSv2",
        _ => "other",
    }
}

/// Lower-case severity as CycloneDX names it.
pub(crate) fn cyclonedx_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Unknown => "unknown",
    }
}

/// SARIF result level: CRITICAL/HIGH → error, MEDIUM → warning, LOW/UNKNOWN → note.
pub(crate) fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}
