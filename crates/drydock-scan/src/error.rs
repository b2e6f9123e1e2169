use thiserror::Error;

/// Why a scan could not produce a report. Each names the target it is about.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The command cannot scan this kind of target (a directory given to `image`, …).
    #[error("{0}")]
    Usage(String),
    #[error("`{target}`: {message}")]
    Target { target: String, message: String },
    #[error(transparent)]
    Image(#[from] drydock_image::ImageError),
    #[error(transparent)]
    Registry(#[from] drydock_registry::RegistryError),
    #[error("reading `{target}`")]
    Inventory {
        target: String,
        #[source]
        source: drydock_inventory::InventoryError,
    },
    #[error("matching `{target}`")]
    Match {
        target: String,
        #[source]
        source: drydock_match::MatchError,
    },
    #[error("checking `{target}` for misconfigurations and secrets")]
    Misconfig {
        target: String,
        #[source]
        source: drydock_misconfig::Error,
    },
    #[error(transparent)]
    Policy(#[from] drydock_policy::PolicyError),
    #[error("{first} (--strict; {count} warning(s) in all)")]
    Strict { first: String, count: usize },
}
