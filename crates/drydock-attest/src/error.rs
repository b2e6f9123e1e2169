use std::path::PathBuf;

/// Why an attestation could not be made, read, pushed or trusted. Each variant names the key
/// file, digest, reference or field it is about.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttestError {
    #[error("key `{path}`: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("invalid subject `{subject}`: {reason}")]
    Subject { subject: String, reason: String },
    #[error("malformed {what}: {reason}")]
    Malformed { what: String, reason: String },
    #[error("report: {0}")]
    Report(String),
    #[error(transparent)]
    Registry(#[from] drydock_registry::RegistryError),
    /// The envelope or statement is not what the verifier asked for (see [`Rejection`]).
    #[error("{0}")]
    Rejected(#[from] Rejection),
}

/// Why a verifier does not accept an attestation; each kind has its own exit code in the CLI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// No signature verifies with the given keys (tampered payload, wrong key).
    #[error("no signature verifies with the given key{0}")]
    Signature(String),
    /// The envelope's `payloadType` is not in-toto's.
    #[error("payload type `{found}` is not `{expected}`")]
    PayloadType { found: String, expected: String },
    /// The statement's `_type` or `predicateType` is not the one asked for.
    #[error("{field} `{found}` is not `{expected}`")]
    Type {
        field: &'static str,
        found: String,
        expected: String,
    },
    /// No subject of the statement has the digest of the image.
    #[error("the statement is about {found}, not `{expected}`")]
    Subject { expected: String, found: String },
    /// The scan finished longer ago than `--max-age` allows (or in the future).
    #[error("the scan finished at `{finished}`, {age} ago: older than the allowed {max_age}")]
    Stale {
        finished: String,
        age: String,
        max_age: String,
    },
    #[error("the scan finished at `{finished}`, in the future (clock skew over 5 minutes)")]
    Future { finished: String },
    /// Findings of a denied severity are in the predicate's result.
    #[error("{count} vulnerabilit{plural} of denied severity: {list}", plural = if *count == 1 { "y" } else { "ies" })]
    Denied { count: usize, list: String },
    /// The registry holds no attestation for the image.
    #[error("no attestation found for `{0}`")]
    Missing(String),
}

pub type Result<T, E = AttestError> = std::result::Result<T, E>;
