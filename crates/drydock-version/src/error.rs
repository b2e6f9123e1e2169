//! [`VersionError`]: what went wrong, with the offending text.

use crate::Scheme;

/// A version or range could not be understood. Every variant quotes the text it is about.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VersionError {
    /// Not a version of this scheme.
    #[error("invalid {scheme} version `{text}`: {reason}")]
    Invalid {
        scheme: Scheme,
        text: String,
        reason: String,
    },
    /// Not a range expression of this scheme.
    #[error("invalid {scheme} range `{text}`: {reason}")]
    InvalidRange {
        scheme: Scheme,
        text: String,
        reason: String,
    },
    /// A list of OSV range events that cannot be evaluated (for example, no `introduced`).
    #[error("invalid OSV range events `{text}`: {reason}")]
    InvalidEvents { text: String, reason: String },
}

impl VersionError {
    pub(crate) fn invalid(scheme: Scheme, text: &str, reason: impl Into<String>) -> Self {
        VersionError::Invalid {
            scheme,
            text: text.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn range(scheme: Scheme, text: &str, reason: impl Into<String>) -> Self {
        VersionError::InvalidRange {
            scheme,
            text: text.to_string(),
            reason: reason.into(),
        }
    }
}
