//! The qualitative severity rating scale.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Qualitative severity of a score.
///
/// CVSS v3.x and v4.0 share the scale None (0.0), Low (0.1–3.9), Medium (4.0–6.9), High (7.0–8.9)
/// and Critical (9.0–10.0). CVSS v2 defines no scale; drydock uses NVD's (Low 0.0–3.9, Medium
/// 4.0–6.9, High 7.0–10.0), so a v2 score is never `None` or `Critical`.
///
/// Ordered from `None` to `Critical`; displayed and serialised upper-case (`HIGH`), parsed in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// 0.0 (v3, v4).
    None,
    /// 0.1–3.9 (v2: 0.0–3.9).
    Low,
    /// 4.0–6.9.
    Medium,
    /// 7.0–8.9 (v2: 7.0–10.0).
    High,
    /// 9.0–10.0 (v3, v4).
    Critical,
}

impl Severity {
    /// The rating of a v3.x or v4.0 score (already rounded to one decimal).
    pub fn from_score(score: f64) -> Self {
        if score < 0.1 {
            Self::None
        } else if score < 4.0 {
            Self::Low
        } else if score < 7.0 {
            Self::Medium
        } else if score < 9.0 {
            Self::High
        } else {
            Self::Critical
        }
    }

    /// The rating of a v2 score, on NVD's v2 scale.
    pub fn from_v2_score(score: f64) -> Self {
        if score < 4.0 {
            Self::Low
        } else if score < 7.0 {
            Self::Medium
        } else {
            Self::High
        }
    }

    /// `NONE`, `LOW`, `MEDIUM`, `HIGH` or `CRITICAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The error of parsing a [`Severity`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{0}` (expected none, low, medium, high or critical)")]
pub struct ParseSeverityError(String);

impl FromStr for Severity {
    type Err = ParseSeverityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "NONE" => Ok(Self::None),
            "LOW" => Ok(Self::Low),
            "MEDIUM" => Ok(Self::Medium),
            "HIGH" => Ok(Self::High),
            "CRITICAL" => Ok(Self::Critical),
            _ => Err(ParseSeverityError(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Severity;

    #[test]
    fn v3_scale_boundaries() {
        assert_eq!(Severity::from_score(0.0), Severity::None);
        assert_eq!(Severity::from_score(0.1), Severity::Low);
        assert_eq!(Severity::from_score(3.9), Severity::Low);
        assert_eq!(Severity::from_score(4.0), Severity::Medium);
        assert_eq!(Severity::from_score(6.9), Severity::Medium);
        assert_eq!(Severity::from_score(7.0), Severity::High);
        assert_eq!(Severity::from_score(8.9), Severity::High);
        assert_eq!(Severity::from_score(9.0), Severity::Critical);
        assert_eq!(Severity::from_score(10.0), Severity::Critical);
    }

    #[test]
    fn v2_scale_boundaries() {
        assert_eq!(Severity::from_v2_score(0.0), Severity::Low);
        assert_eq!(Severity::from_v2_score(3.9), Severity::Low);
        assert_eq!(Severity::from_v2_score(4.0), Severity::Medium);
        assert_eq!(Severity::from_v2_score(7.0), Severity::High);
        assert_eq!(Severity::from_v2_score(10.0), Severity::High);
    }

    #[test]
    fn ordered_displayed_and_parsed() {
        assert!(Severity::None < Severity::Low && Severity::High < Severity::Critical);
        assert_eq!(Severity::Medium.to_string(), "MEDIUM");
        assert_eq!("critical".parse::<Severity>(), Ok(Severity::Critical));
        assert!("severe".parse::<Severity>().is_err());
    }
}
