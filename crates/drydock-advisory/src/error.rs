//! Typed errors, each carrying the file, record or URL it is about.

use std::path::PathBuf;

/// Opening or querying the DB, or building it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    #[error("no vulnerability DB at `{path}` (run `drydock db update` or `drydock db build`)")]
    Missing { path: PathBuf },
    #[error("cannot open the vulnerability DB `{path}`")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the vulnerability DB `{path}` has schema version {found}, this drydock reads {expected} (run `drydock db update`)"
    )]
    Schema {
        path: PathBuf,
        found: String,
        expected: u32,
    },
    #[error("query on the vulnerability DB `{path}` failed")]
    Query {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the vulnerability DB `{path}` holds a malformed `{what}` for `{id}`")]
    Corrupt {
        path: PathBuf,
        what: &'static str,
        id: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write the vulnerability DB `{path}`")]
    Write {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("I/O error on `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no feed found under `{path}` (expected `osv/`, `alpine-secdb/`, `debian/`, `nvd/` or one of them)"
    )]
    NoFeeds { path: PathBuf },
    #[error("cannot determine a cache directory: set `DRYDOCK_DB`, `XDG_CACHE_HOME` or `HOME`")]
    NoCacheDir,
}

/// Fetching feeds (`drydock db update`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    #[error("cannot reach `{url}` (offline?): {message}")]
    Offline { url: String, message: String },
    #[error("`{url}` answered HTTP {status} after {attempts} attempt(s)")]
    Status {
        url: String,
        status: u16,
        attempts: u32,
    },
    #[error("download of `{url}` failed: {message}")]
    Transfer { url: String, message: String },
    #[error("I/O error on `{path}` while fetching `{url}`")]
    Io {
        url: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{url}` is not a usable feed URL (expected http:// or https://)")]
    BadUrl { url: String },
    #[error(transparent)]
    Db(#[from] DbError),
}
