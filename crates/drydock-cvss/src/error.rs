//! The error of parsing a vector or an environment profile.

use crate::Version;

/// Why a vector or a profile was rejected. Every message names the offending metric or
/// component in backticks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CvssError {
    /// Nothing but whitespace (or `()`).
    #[error("empty CVSS vector")]
    Empty,
    /// A `CVSS:x.y` prefix naming a version drydock does not know.
    #[error("unsupported CVSS version `{0}` (known: 2.0, 3.0, 3.1, 4.0)")]
    UnsupportedVersion(String),
    /// A component that is not `NAME:VALUE`, or an empty one (`//`, trailing `/`).
    #[error("malformed metric `{0}`: expected `NAME:VALUE`")]
    Malformed(String),
    /// A metric name that the version does not define.
    #[error("unknown metric `{metric}` in a CVSS {version} vector")]
    UnknownMetric {
        /// The name as written (upper-cased).
        metric: String,
        /// The version of the vector.
        version: Version,
    },
    /// A value the metric does not take.
    #[error("invalid value `{value}` for metric `{metric}` in a CVSS {version} vector")]
    InvalidValue {
        /// The metric's name.
        metric: String,
        /// The value as written (upper-cased).
        value: String,
        /// The version of the vector.
        version: Version,
    },
    /// The same metric twice.
    #[error("metric `{0}` appears twice")]
    Duplicate(String),
    /// A base metric is missing.
    #[error("missing base metric `{metric}` in a CVSS {version} vector")]
    Missing {
        /// The metric's name.
        metric: String,
        /// The version of the vector.
        version: Version,
    },
    /// An environment profile names a metric that is not an environmental one.
    #[error(
        "`{0}` is not an environmental metric (expected one of MAV, MAC, MAT, MPR, MUI, MS, MC, MI, MA, MVC, MVI, MVA, MSC, MSI, MSA, CR, IR, AR, CDP, TD)"
    )]
    NotEnvironmental(String),
    /// An environment profile gives a metric a value no CVSS version allows.
    #[error("invalid value `{value}` for environmental metric `{metric}`")]
    InvalidProfileValue {
        /// The metric's name.
        metric: String,
        /// The value as written (upper-cased).
        value: String,
    },
    /// Any other rejection by the scoring library (kept as its message).
    #[error("invalid CVSS vector: {0}")]
    Other(String),
}
