use std::path::PathBuf;

/// Why an image could not be read. Every variant names the file, layer or digest it is about,
/// so the one-line message is enough to find the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{path}` is not an image, an OCI layout or a root filesystem: {reason}")]
    NotAnImage { path: PathBuf, reason: String },
    #[error("`{path}`: {reason}")]
    Malformed { path: String, reason: String },
    #[error("{what} `{name}` is corrupt: {reason}")]
    Corrupt {
        what: &'static str,
        name: String,
        reason: String,
    },
    #[error("digest mismatch for {what} `{name}`: expected `{expected}`, got `{actual}`")]
    DigestMismatch {
        what: &'static str,
        name: String,
        expected: String,
        actual: String,
    },
    #[error("blob `{digest}` is missing from `{path}`")]
    MissingBlob { path: PathBuf, digest: String },
    #[error("unsupported digest `{0}` (drydock verifies sha256 digests)")]
    UnsupportedDigest(String),
    #[error("layer `{layer}`: entry `{entry}` escapes the image root")]
    PathTraversal { layer: String, entry: String },
    #[error("symlink loop at `{path}`")]
    SymlinkLoop { path: String },
    #[error(
        "layer `{layer}` expands past {limit} bytes (a decompression bomb?); raise the bound with --max-layer-size"
    )]
    TooLarge { layer: String, limit: u64 },
    #[error("no image for platform `{wanted}` in `{path}` (available: {available})")]
    NoPlatform {
        path: PathBuf,
        wanted: String,
        available: String,
    },
    #[error("no image tagged `{tag}` in `{path}` (available: {available})")]
    NoSuchTag {
        path: PathBuf,
        tag: String,
        available: String,
    },
    #[error("invalid platform `{0}` (expected os/arch or os/arch/variant, e.g. linux/arm64/v8)")]
    InvalidPlatform(String),
}

impl ImageError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ImageError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = ImageError> = std::result::Result<T, E>;
