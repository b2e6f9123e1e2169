use std::path::PathBuf;

use crate::text::{shown, shown_max};

/// Characters shown of a list (available tags, platforms) in one message.
const LIST: usize = 1024;

/// Why an image could not be read. Every variant names the file, layer or digest it is about,
/// so the one-line message is enough to find the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    #[error("cannot read `{}`: {source}", shown(&.path.to_string_lossy()))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` is not an image, an OCI layout or a root filesystem: {}", shown(&.path.to_string_lossy()), shown(.reason))]
    NotAnImage { path: PathBuf, reason: String },
    #[error("`{}`: {}", shown(.path), shown_max(.reason, LIST))]
    Malformed { path: String, reason: String },
    #[error("{what} `{}` is corrupt: {}", shown(.name), shown(.reason))]
    Corrupt {
        what: &'static str,
        name: String,
        reason: String,
    },
    #[error("digest mismatch for {what} `{}`: expected `{}`, got `{}`", shown(.name), shown(.expected), shown(.actual))]
    DigestMismatch {
        what: &'static str,
        name: String,
        expected: String,
        actual: String,
    },
    #[error("blob `{}` is missing from `{}`", shown(.digest), shown(&.path.to_string_lossy()))]
    MissingBlob { path: PathBuf, digest: String },
    #[error("unsupported digest `{}` (drydock verifies sha256 digests)", shown(.0))]
    UnsupportedDigest(String),
    #[error("layer `{}`: entry `{}` escapes the image root", shown(.layer), shown(.entry))]
    PathTraversal { layer: String, entry: String },
    #[error("symlink loop at `{}`", shown(.path))]
    SymlinkLoop { path: String },
    #[error(
        "layer `{}` expands past {limit} bytes (a decompression bomb?); raise the bound with --max-layer-size", shown(.layer)
    )]
    TooLarge { layer: String, limit: u64 },
    #[error(
        "the image's layers expand past {limit} bytes in all (a decompression bomb?); raise the bound with --max-image-size"
    )]
    ImageTooLarge { limit: u64 },
    #[error("no image for platform `{}` in `{}` (available: {})", shown(.wanted), shown(&.path.to_string_lossy()), shown_max(.available, LIST))]
    NoPlatform {
        path: PathBuf,
        wanted: String,
        available: String,
    },
    #[error("`{}` is a `{}` image, not `{}`: leave out --platform to scan it", shown(&.path.to_string_lossy()), shown(.actual), shown(.wanted))]
    WrongPlatform {
        path: PathBuf,
        wanted: String,
        actual: String,
    },
    #[error("no image tagged `{}` in `{}` (available: {})", shown(.tag), shown(&.path.to_string_lossy()), shown_max(.available, LIST))]
    NoSuchTag {
        path: PathBuf,
        tag: String,
        available: String,
    },
    #[error("invalid platform `{}` (expected os/arch or os/arch/variant, e.g. linux/arm64/v8)", shown(.0))]
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
