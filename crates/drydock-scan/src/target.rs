//! Opening a target (a local image, a directory, or a registry pull) and walking it.

use std::path::PathBuf;

use drydock_image::{ImageKind, LayerCache, Limits, OpenOptions, Platform, Target};
use drydock_inventory::{InventoryResult, Mode};
use drydock_match::identity;

use crate::ScanError;

/// What to scan and how to read it.
#[derive(Debug, Clone)]
pub struct TargetSpec {
    /// A path (archive, layout, `LAYOUT:TAG`, directory) or a registry reference.
    pub target: String,
    pub platform: Platform,
    /// Whether the platform was asked for (not defaulted): then a single-platform image of
    /// another platform is an error rather than the only choice.
    pub platform_explicit: bool,
    pub limits: Limits,
    /// What the target is when detection must not decide (`--input-kind`).
    pub input_kind: Option<drydock_image::InputKind>,
    /// Pulled images and the layer cache live under this root (`None`: the default cache root).
    pub cache_dir: Option<PathBuf>,
    /// Neither use nor fill the layer cache.
    pub no_cache: bool,
    /// Read and hash every layer blob the cache has not verified by file identity, even when
    /// a walk of the `diff_id` its image's config names is cached (see
    /// [`LayerCache::verify_blobs`]).
    pub verify_layers: bool,
    /// Prune the image and layer caches to this size after the scan.
    pub cache_max_size: Option<u64>,
    /// Warnings (a malformed lockfile, a skipped file) are errors.
    pub strict: bool,
    pub registry: Registry,
}

/// How to reach a registry.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub credentials: Option<(
        drydock_registry::Credentials,
        drydock_registry::CredentialSource,
    )>,
    pub insecure: bool,
    pub ca_file: Option<PathBuf>,
}

impl TargetSpec {
    /// A spec with the defaults of `drydock image`.
    pub fn new(target: impl Into<String>) -> TargetSpec {
        TargetSpec {
            target: target.into(),
            platform: Platform::default(),
            platform_explicit: false,
            limits: Limits::default(),
            input_kind: None,
            cache_dir: None,
            no_cache: false,
            verify_layers: false,
            cache_max_size: None,
            strict: false,
            registry: Registry::default(),
        }
    }

    /// The layer cache, unless `no_cache` or there is no cache directory to be had.
    pub fn layer_cache(&self) -> Option<LayerCache> {
        if self.no_cache {
            return None;
        }
        let root = match &self.cache_dir {
            Some(d) => d.clone(),
            None => drydock_registry::Cache::default_root().ok()?,
        };
        Some(LayerCache::new(root.join("layers")).verify_blobs(self.verify_layers))
    }
}

/// Opens a local target, or pulls a registry reference into the image cache and opens that.
pub fn open(spec: &TargetSpec) -> Result<Target, ScanError> {
    open_local(spec).map(|(t, _)| t)
}

/// [`open`], with the local path the target was read from (the image cache's layout for a
/// registry pull; `LAYOUT:TAG` as given).
pub fn open_local(spec: &TargetSpec) -> Result<(Target, String), ScanError> {
    let opts = OpenOptions {
        platform: spec.platform.clone(),
        platform_explicit: spec.platform_explicit,
        limits: spec.limits.clone(),
        input_kind: spec.input_kind,
    };
    let Some(reference) = drydock_registry::remote_reference(&spec.target) else {
        return Ok((
            drydock_image::open(&spec.target, &opts)?,
            spec.target.clone(),
        ));
    };
    let reference = reference.map_err(|e| ScanError::Target {
        target: spec.target.clone(),
        message: format!("neither an existing path nor an image reference: {e}"),
    })?;
    let pull = drydock_registry::PullOptions {
        platform: opts.platform.clone(),
        platform_explicit: spec.platform_explicit,
        client: drydock_registry::ClientOptions {
            credentials: spec.registry.credentials.clone(),
            insecure: spec.registry.insecure,
            ca_file: spec.registry.ca_file.clone(),
            ..Default::default()
        },
        cache_dir: spec.cache_dir.clone(),
        max_cache_size: spec.cache_max_size,
    };
    let pulled = drydock_registry::pull(&reference, &pull)?;
    let layout = pulled.layout.to_str().ok_or_else(|| ScanError::Target {
        target: spec.target.clone(),
        message: format!("the cache path `{}` is not UTF-8", pulled.layout.display()),
    })?;
    Ok((drydock_image::open(layout, &opts)?, layout.to_string()))
}

/// Which analyzers run, from what the target turned out to be.
fn mode_for(target: &Target) -> Mode {
    match target {
        Target::Image(_) => Mode::Image,
        Target::Dir(_) => Mode::Fs,
    }
}

/// Walks the target's layers and runs the analyzers; with `strict`, warnings are errors.
/// The warnings are logged.
pub fn inventory(spec: &TargetSpec, target: &Target) -> Result<InventoryResult, ScanError> {
    let result = inventory_unlogged(spec, target)?;
    for w in &result.inventory.warnings {
        tracing::warn!("{w}");
    }
    Ok(result)
}

/// [`inventory`] without logging the warnings: a scan logs them after `--skip-dirs` and
/// `--skip-files` left out those about skipped files.
pub(crate) fn inventory_unlogged(
    spec: &TargetSpec,
    target: &Target,
) -> Result<InventoryResult, ScanError> {
    walk(spec, target, None).map(|(r, _)| r)
}

/// The layer walk of a scan: the inventory, and with `checks` the misconfiguration and
/// secret visitor in the same pass over each layer (such walks bypass the layer cache).
pub(crate) fn walk(
    spec: &TargetSpec,
    target: &Target,
    checks: Option<&drydock_misconfig::ImageScan>,
) -> Result<
    (
        InventoryResult,
        Option<drydock_image::Scan<drydock_misconfig::FileOutput>>,
    ),
    ScanError,
> {
    let opts = drydock_inventory::Options {
        limits: spec.limits.clone(),
        cache: spec.layer_cache(),
    };
    let inventory_error = |e| ScanError::Inventory {
        target: spec.target.clone(),
        source: e,
    };
    let (result, files) = match checks {
        Some(c) => {
            let (r, f) =
                drydock_inventory::inventory_along(target, mode_for(target), &opts, c.visitor())
                    .map_err(inventory_error)?;
            (r, Some(f))
        }
        None => (
            drydock_inventory::inventory(target, mode_for(target), &opts)
                .map_err(inventory_error)?,
            None,
        ),
    };
    if let (Some(max), Some(cache)) = (spec.cache_max_size, &opts.cache)
        && let Err(e) = cache.prune(max)
    {
        tracing::warn!(
            "could not prune the layer cache `{}`: {e}",
            cache.root().display()
        );
    }
    if spec.strict
        && let Some(w) = result.inventory.warnings.first()
    {
        return Err(ScanError::Strict {
            first: w.to_string(),
            count: result.inventory.warnings.len(),
        });
    }
    Ok((result, files))
}

/// The report's description of the target kind.
pub fn target_kind(target: &Target) -> &'static str {
    match target {
        Target::Image(i) => i.kind.as_str(),
        Target::Dir(_) => "directory",
    }
}

/// The repository part of the finding identity ([`drydock_match::identity`]):
/// - a registry pull: the reference's repository;
/// - a docker-archive: the repository of its first `RepoTags` entry;
/// - an OCI layout or archive named by an annotation: that name's repository;
/// - any other file (a rootfs tarball, an unnamed archive or layout): its file name;
/// - a directory: its path as given.
pub fn identity_repository(spec: &TargetSpec, target: &Target) -> String {
    let img = match target {
        Target::Dir(_) => return spec.target.clone(),
        Target::Image(img) => img,
    };
    if drydock_registry::remote_reference(&spec.target).is_some() {
        return identity::repository(&spec.target);
    }
    let path = local_path(&spec.target);
    // A docker-archive's `RepoTags` are full names; an OCI layout's ref-name annotation (kept
    // in `repo_tags` too) is often only a tag, so layouts go by the image name below.
    if img.kind == ImageKind::DockerArchive
        && let Some(tag) = img.repo_tags.first()
    {
        return identity::repository(tag);
    }
    match img.kind {
        ImageKind::RootfsTar => identity::repository_of_path(path),
        ImageKind::DockerArchive | ImageKind::OciLayout | ImageKind::OciArchive => {
            // A name that is the path itself (`LAYOUT` or `LAYOUT:TAG`) is not an image name.
            if img.name == spec.target || img.name.starts_with(path) {
                identity::repository_of_path(path)
            } else {
                identity::repository(&img.name)
            }
        }
    }
}

/// The path part of a local target (`LAYOUT:TAG` → `LAYOUT`).
fn local_path(target: &str) -> &str {
    if std::path::Path::new(target).exists() {
        return target;
    }
    match target.rsplit_once(':') {
        Some((p, _)) if std::path::Path::new(p).exists() => p,
        _ => target,
    }
}
