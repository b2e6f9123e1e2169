//! The finding model: what a check reports, where it saw it, and a stable fingerprint.

use std::fmt;

use sha2::{Digest as _, Sha256};

/// How exploitable a finding is, not how unhygienic.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// SARIF `security-severity` (the GitHub code-scanning scale).
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Info => "0.0",
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Where a finding was seen. Values in evidence are already masked where they may be secret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// A Dockerfile instruction (lines are 1-based; `end_line` for continued instructions).
    Dockerfile {
        path: String,
        line: usize,
        end_line: usize,
        /// The instruction as written, masked and cut to a readable length.
        snippet: String,
    },
    /// A field of the image config, e.g. `config.User`, `config.Env[2]`.
    Config { field: String, value: String },
    /// An entry of the image config's `history`.
    History { index: usize, created_by: String },
    /// A file in a layer. `layer` is the index in the image, `digest` the layer blob's.
    Layer {
        layer: Option<usize>,
        digest: Option<String>,
        path: String,
        line: Option<usize>,
        snippet: Option<String>,
    },
}

impl Evidence {
    /// A short location: `Dockerfile:12`, `config.User`, `history[3]`, `etc/shadow (layer 2)`.
    pub fn location(&self) -> String {
        match self {
            Evidence::Dockerfile { path, line, .. } => format!("{path}:{line}"),
            Evidence::Config { field, .. } => field.clone(),
            Evidence::History { index, .. } => format!("history[{index}]"),
            Evidence::Layer {
                layer, path, line, ..
            } => {
                let mut s = format!("/{path}");
                if let Some(l) = line {
                    s.push_str(&format!(":{l}"));
                }
                if let Some(i) = layer {
                    s.push_str(&format!(" (layer {i})"));
                }
                s
            }
        }
    }

    /// What the finding is about, where a vulnerability names its package (the history
    /// store's `package`, a triage record's): the file path, the config field, `history`.
    pub fn subject(&self) -> &str {
        match self {
            Evidence::Dockerfile { path, .. } | Evidence::Layer { path, .. } => path,
            Evidence::Config { field, .. } => field,
            Evidence::History { .. } => "history",
        }
    }

    /// The part of the location that survives a rebuild: no line numbers, no layer digests.
    fn stable_key(&self) -> String {
        match self {
            Evidence::Dockerfile { path, snippet, .. } => format!("dockerfile:{path}:{snippet}"),
            Evidence::Config { field, .. } => format!("config:{field}"),
            Evidence::History { created_by, .. } => format!("history:{created_by}"),
            Evidence::Layer { path, .. } => format!("file:{path}"),
        }
    }
}

/// One misconfiguration or secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MisconfigFinding {
    /// Our check id, e.g. `DD-101`.
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub evidence: Evidence,
    /// How to fix it, one sentence.
    pub fix: String,
    /// Stable across rebuilds and line moves: sha256 of the id, the stable part of the
    /// evidence and (for secrets) the masked value.
    pub fingerprint: String,
}

impl MisconfigFinding {
    pub fn new(
        check: &crate::Check,
        title: impl Into<String>,
        severity: Severity,
        evidence: Evidence,
    ) -> MisconfigFinding {
        let mut h = Sha256::new();
        h.update(check.id.as_bytes());
        h.update([0]);
        h.update(evidence.stable_key().as_bytes());
        let fingerprint = hex::encode(&h.finalize()[..16]);
        MisconfigFinding {
            id: check.id.to_string(),
            title: title.into(),
            severity,
            evidence,
            fix: check.fix.to_string(),
            fingerprint,
        }
    }
}

/// Sorts findings for output: severity (highest first), id, location.
pub fn sort(findings: &mut Vec<MisconfigFinding>) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.evidence.cmp(&b.evidence))
            .then_with(|| a.title.cmp(&b.title))
    });
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint && a.evidence == b.evidence);
}

/// Masks a secret: its first four characters (fewer for short values), then `*`s, then the
/// length, so the value can be recognised by its owner but not used.
pub fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = match n {
        0..=7 => 0,
        8..=15 => 2,
        _ => 4,
    };
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}{}({n} chars)", "*".repeat(8))
}

/// Cuts `s` to at most `max` characters on a char boundary, marking the cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_keeps_only_a_prefix() {
        let m = mask("AKIAIOSFODNN7EXAMPLE");
        assert!(m.starts_with("AKIA*"), "{m}");
        assert!(!m.contains("IOSFODNN7EXAMPLE"), "{m}");
        assert_eq!(mask("hunter2"), "********(7 chars)");
    }

    #[test]
    fn cut_is_char_safe() {
        assert_eq!(cut("ééééé", 2), "éé…");
        assert_eq!(cut("abc", 5), "abc");
    }
}
