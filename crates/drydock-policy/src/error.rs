//! [`PolicyError`]: a policy input that cannot be used, with the file and line it is about.

use std::path::PathBuf;

use crate::date::BadDate;

/// An ignore file or VEX document that cannot be used. Never a silent ignore: a scan with a
/// broken policy input stops.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not YAML/JSON, or not the expected shape (an unknown key, a list where a string goes).
    #[error("`{file}`:{line}: {message}")]
    Syntax {
        file: String,
        line: u64,
        message: String,
    },
    /// An ignore entry without an `id`, `reason` or `expires`.
    #[error(
        "`{file}`:{line}: ignore entry `{id}` has no `{field}` (every entry needs an `id`, a `reason` and an `expires` date)"
    )]
    MissingField {
        file: String,
        line: u64,
        id: String,
        field: &'static str,
    },
    #[error("`{file}`:{line}: ignore entry `{id}`: {source}")]
    BadDate {
        file: String,
        line: u64,
        id: String,
        #[source]
        source: BadDate,
    },
    #[error("`{file}`: not an OpenVEX or CycloneDX VEX document: {message}")]
    Vex { file: String, message: String },
}
