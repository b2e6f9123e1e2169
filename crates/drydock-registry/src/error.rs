use std::path::PathBuf;

/// Why a pull failed. Every variant names the reference, URL, digest or file it is about;
/// none carries a credential (passwords and tokens are never put into an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    #[error("invalid image reference `{reference}`: {reason}")]
    InvalidReference { reference: String, reason: String },
    #[error(
        "`{reference}`: authentication failed at `{registry}` ({status}){hint}; check the user name and password"
    )]
    Unauthorized {
        reference: String,
        registry: String,
        status: u16,
        hint: String,
    },
    #[error("`{reference}`: access denied (403) at `{url}`")]
    Forbidden { reference: String, url: String },
    #[error("`{reference}`: not found (404) at `{url}`")]
    NotFound { reference: String, url: String },
    #[error("`{reference}`: the registry answered {status} for `{url}`")]
    Status {
        reference: String,
        url: String,
        status: u16,
    },
    /// The host does not resolve, refuses connections or has no route: retrying cannot help.
    #[error("`{reference}`: cannot reach `{host}` (offline?): {message}")]
    Unreachable {
        reference: String,
        host: String,
        message: String,
    },
    #[error("`{reference}`: cannot reach `{url}`: {message}")]
    Transport {
        reference: String,
        url: String,
        message: String,
    },
    #[error(
        "`{reference}`: digest mismatch for {what} `{expected}`: got `{actual}` (nothing was cached)"
    )]
    DigestMismatch {
        reference: String,
        what: &'static str,
        expected: String,
        actual: String,
    },
    #[error("`{reference}`: {what} `{digest}` is larger than its descriptor's {size} bytes")]
    SizeMismatch {
        reference: String,
        what: &'static str,
        digest: String,
        size: u64,
    },
    #[error("`{reference}`: no image for platform `{wanted}` (available: {available})")]
    NoPlatform {
        reference: String,
        wanted: String,
        available: String,
    },
    #[error("`{reference}`: malformed {what}: {reason}")]
    Malformed {
        reference: String,
        what: String,
        reason: String,
    },
    #[error("credentials for `{registry}`: {reason}")]
    Credentials { registry: String, reason: String },
    #[error("registry CA file `{path}`: {reason}")]
    Ca { path: PathBuf, reason: String },
    #[error("image cache `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no cache directory: set `DRYDOCK_CACHE_DIR`, `XDG_CACHE_HOME` or `HOME`")]
    NoCacheDir,
}

impl RegistryError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        RegistryError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;
