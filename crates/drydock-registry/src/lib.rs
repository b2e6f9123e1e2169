//! Pulling images from OCI distribution registries, without a Docker daemon.
//!
//! [`pull`] resolves a [`Reference`] (Docker's rules: `alpine` is
//! `docker.io/library/alpine:latest`), fetches its manifest (an index is resolved to the
//! requested platform), config and layers into a content-addressed [`Cache`], verifying each
//! blob's sha256 while streaming it to a temp file, and writes an OCI image layout for the
//! pull. `drydock_image::open` reads that layout like any other, verifying digests again.
//! A blob already cached is not downloaded again.
//!
//! Authentication follows the registry's `WWW-Authenticate` challenge: Basic, or the Bearer
//! token flow (realm/service/scope), anonymously or with [`Credentials`] given explicitly or
//! found in Docker's `config.json` (`auths`, `credHelpers`, `credsStore`). Credentials are
//! [`Secret`]s: they print as `***` in `Debug` and `Display` and never enter an error.
//! 429 and 5xx answers are retried with exponential backoff, honouring `Retry-After`.
//!
//! Why ureq and not `oci-client`: the workspace already ships ureq 3 with rustls (for feed
//! downloads in `drydock-advisory`), so this crate adds no second HTTP/TLS stack and no tokio
//! runtime to the binary or to CI's cold build; the distribution API drydock needs (GET of
//! manifests and blobs, the token flow) is small.
//!
//! ```no_run
//! use drydock_registry::{pull, PullOptions, Reference};
//!
//! let reference: Reference = "127.0.0.1:5000/team/app:1.0".parse()?;
//! let pulled = pull(&reference, &PullOptions::default())?;
//! println!("{} → {}", pulled.manifest_digest, pulled.layout.display());
//! # Ok::<(), drydock_registry::RegistryError>(())
//! ```

mod auth;
mod cache;
mod client;
mod error;
mod reference;

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use drydock_image::{Digest, Platform};
use serde::Deserialize;

pub use auth::{CredentialSource, Credentials, Secret, docker_config_path, from_docker_config};
pub use cache::{Cache, Removed};
pub use client::ClientOptions;
pub use client::repository::{FetchedManifest, Repository};
pub use error::{RegistryError, Result};
pub use reference::{DOCKER_HUB, Reference, remote_reference};

use cache::InsertError;
use client::Client;

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const MANIFEST_LIMIT: u64 = 4 << 20;
/// Blobs downloaded at once (layers of one image).
const PARALLEL_DOWNLOADS: usize = 4;

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// How to pull.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    pub platform: Platform,
    /// Whether the platform was asked for (else a single-platform index entry of another
    /// platform is taken as the only choice, as `drydock_image::open` does).
    pub platform_explicit: bool,
    pub client: ClientOptions,
    /// The cache root; `None` is [`Cache::default_root`].
    pub cache_dir: Option<PathBuf>,
    /// After the pull, prune the cache's blobs to at most this many bytes (LRU).
    pub max_cache_size: Option<u64>,
}

/// What a pull produced.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// An OCI image layout holding exactly the pulled image, its `index.json` naming it with
    /// the reference as `org.opencontainers.image.ref.name`.
    pub layout: PathBuf,
    pub reference: Reference,
    pub manifest_digest: Digest,
    /// Blobs downloaded by this pull, and blobs found in the cache.
    pub downloaded: usize,
    pub cached: usize,
}

#[derive(Deserialize)]
struct RawDescriptor {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    digest: String,
    size: u64,
    platform: Option<RawPlatform>,
}

#[derive(Deserialize, serde::Serialize, Clone)]
struct RawPlatform {
    os: String,
    architecture: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<String>,
}

#[derive(Deserialize)]
struct RawManifest {
    #[serde(rename = "schemaVersion")]
    schema_version: Option<u32>,
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    manifests: Option<Vec<RawDescriptor>>,
    config: Option<RawDescriptor>,
    layers: Option<Vec<RawDescriptor>>,
}

fn is_index_type(mt: &str) -> bool {
    mt == "application/vnd.oci.image.index.v1+json"
        || mt == "application/vnd.docker.distribution.manifest.list.v2+json"
}

/// Pulls `reference` into the cache and writes its layout (see the crate docs).
pub fn pull(reference: &Reference, opts: &PullOptions) -> Result<Pulled> {
    let root = match &opts.cache_dir {
        Some(d) => d.clone(),
        None => Cache::default_root()?,
    };
    let cache = Cache::open(root)?;
    let mut client = Client::new(reference, &opts.client)?;
    let mut stats = (0usize, 0usize);
    let name = reference.to_string();
    let malformed = |what: &str, reason: String| RegistryError::Malformed {
        reference: name.clone(),
        what: what.to_string(),
        reason,
    };

    // The manifest (or index) the reference names; a pinned digest must match.
    let (mut bytes, mut media_type, mut digest) =
        fetch_manifest(&mut client, &reference.manifest_ref(), reference.digest())?;
    let mut manifest: RawManifest = serde_json::from_slice(&bytes)
        .map_err(|e| malformed(&format!("manifest `{digest}`"), e.to_string()))?;
    let mut platform: Option<RawPlatform> = None;
    let is_index = |m: &RawManifest, mt: &str| {
        is_index_type(mt)
            || m.media_type.as_deref().is_some_and(is_index_type)
            || (m.manifests.is_some() && m.layers.is_none())
    };
    if is_index(&manifest, &media_type) {
        let entries = manifest.manifests.take().unwrap_or_default();
        let chosen = pick_platform(reference, &entries, opts)?;
        platform = chosen.platform.clone();
        let want = Digest::parse(&chosen.digest)
            .map_err(|e| malformed(&format!("index `{digest}`"), e.to_string()))?;
        (bytes, media_type, digest) = fetch_manifest(&mut client, want.as_str(), Some(&want))?;
        if media_type.is_empty() {
            media_type = chosen.media_type.clone().unwrap_or_default();
        }
        manifest = serde_json::from_slice(&bytes)
            .map_err(|e| malformed(&format!("manifest `{digest}`"), e.to_string()))?;
        if is_index(&manifest, &media_type) {
            return Err(malformed(
                &format!("manifest `{digest}`"),
                "an index nested in an index".into(),
            ));
        }
    }
    if manifest.schema_version == Some(1) {
        return Err(malformed(
            &format!("manifest `{digest}`"),
            "Docker schema 1 manifests are not supported (push with a current client)".into(),
        ));
    }
    if media_type.is_empty() {
        media_type = manifest
            .media_type
            .clone()
            .unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".into());
    }
    // Keep the manifest itself as a verified blob.
    if !cache.has(&digest) {
        cache
            .insert(&digest, bytes.len() as u64, &bytes[..])
            .map_err(|e| insert_error(e, &name, "manifest", &digest, bytes.len() as u64))?;
    }
    let config = manifest
        .config
        .as_ref()
        .ok_or_else(|| malformed(&format!("manifest `{digest}`"), "no `config`".into()))?;
    let mut wanted = vec![(config, "image config")];
    for l in manifest.layers.as_deref().unwrap_or_default() {
        wanted.push((l, "layer"));
    }
    let mut blobs = vec![digest.clone()];
    let mut missing: Vec<(Digest, u64, &'static str)> = Vec::new();
    for (desc, what) in wanted {
        let d = Digest::parse(&desc.digest)
            .map_err(|e| malformed(&format!("manifest `{digest}`"), e.to_string()))?;
        if cache.has(&d) {
            stats.1 += 1;
        } else if !missing.iter().any(|(m, _, _)| *m == d) {
            missing.push((d.clone(), desc.size, what));
        }
        blobs.push(d);
    }
    stats.0 = missing.len();
    fetch_blobs(&client, &cache, &missing)?;
    let mut desc = serde_json::json!({
        "mediaType": media_type,
        "digest": digest.as_str(),
        "size": bytes.len(),
        "annotations": { REF_NAME: name },
    });
    if let Some(p) = platform {
        desc["platform"] =
            serde_json::to_value(p).map_err(|e| malformed("index", e.to_string()))?;
    }
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [desc],
    });
    let index = serde_json::to_vec_pretty(&index).map_err(|e| malformed("index", e.to_string()))?;
    let key = Digest::of(format!("{name}\n{digest}").as_bytes());
    let blob_refs: Vec<&Digest> = blobs.iter().collect();
    let layout = cache.write_layout(key.hex(), &index, &blob_refs)?;
    if let Some(max) = opts.max_cache_size {
        let removed = cache.prune_keeping(max, &blob_refs, Some(&layout))?;
        if removed.blobs > 0 {
            tracing::info!(
                "cache over {max} bytes: removed {} blobs ({} bytes)",
                removed.blobs,
                removed.bytes
            );
        }
    }
    tracing::info!(
        "pulled `{name}` ({digest}): {} blobs downloaded, {} cached",
        stats.0,
        stats.1
    );
    Ok(Pulled {
        layout,
        reference: reference.clone(),
        manifest_digest: digest,
        downloaded: stats.0,
        cached: stats.1,
    })
}

fn pick_platform<'a>(
    reference: &Reference,
    entries: &'a [RawDescriptor],
    opts: &PullOptions,
) -> Result<&'a RawDescriptor> {
    // Attestations (`unknown/unknown`) are not images.
    let candidates: Vec<&RawDescriptor> = entries
        .iter()
        .filter(|e| {
            e.platform
                .as_ref()
                .is_none_or(|p| p.os != "unknown" && p.architecture != "unknown")
        })
        .collect();
    let want = &opts.platform;
    let found = candidates.iter().find(|e| {
        e.platform
            .as_ref()
            .is_some_and(|p| want.matches(&p.os, &p.architecture, p.variant.as_deref()))
    });
    if let Some(e) = found {
        return Ok(e);
    }
    if candidates.len() == 1 && !opts.platform_explicit {
        return Ok(candidates[0]);
    }
    let available: Vec<String> = candidates
        .iter()
        .map(|e| match &e.platform {
            Some(p) => match &p.variant {
                Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
                None => format!("{}/{}", p.os, p.architecture),
            },
            None => format!("{} (no platform)", e.digest),
        })
        .collect();
    Err(RegistryError::NoPlatform {
        reference: reference.to_string(),
        wanted: want.to_string(),
        available: available.join(", "),
    })
}

/// GETs a manifest; returns its bytes, media type and digest (checked against `expect`, and
/// against `Docker-Content-Digest` when the registry sends one).
fn fetch_manifest(
    client: &mut Client,
    what: &str,
    expect: Option<&Digest>,
) -> Result<(Vec<u8>, String, Digest)> {
    let url = client.url(&format!("manifests/{what}"));
    let mut resp = client.get(&url, Some(ACCEPT))?;
    let media_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_string())
        .filter(|v| v.starts_with("application/vnd."))
        .unwrap_or_default();
    let header_digest = resp
        .headers()
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = client::read_small(&mut resp, MANIFEST_LIMIT, client.reference(), &url)?;
    let actual = Digest::of(&bytes);
    let name = client.reference().to_string();
    if let Some(want) = expect
        && *want != actual
    {
        return Err(RegistryError::DigestMismatch {
            reference: name,
            what: "manifest",
            expected: want.to_string(),
            actual: actual.to_string(),
        });
    }
    if let Some(h) = header_digest
        && let Ok(d) = Digest::parse(&h)
        && d != actual
    {
        return Err(RegistryError::DigestMismatch {
            reference: name,
            what: "manifest",
            expected: d.to_string(),
            actual: actual.to_string(),
        });
    }
    Ok((bytes, media_type, actual))
}

/// Downloads `missing` blobs, up to [`PARALLEL_DOWNLOADS`] at a time; the first failure in
/// manifest order is the error.
fn fetch_blobs(
    client: &Client,
    cache: &Cache,
    missing: &[(Digest, u64, &'static str)],
) -> Result<()> {
    let n = missing.len();
    let threads = n.clamp(1, PARALLEL_DOWNLOADS);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<()>>>> = Mutex::new((0..n).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            let mut c = client.fork();
            let (next, results) = (&next, &results);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((d, size, what)) = missing.get(i) else {
                        break;
                    };
                    let r = fetch_blob(&mut c, cache, d, *size, what);
                    let failed = r.is_err();
                    results.lock().expect("no thread panics holding the lock")[i] = Some(r);
                    if failed {
                        next.store(n, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    for r in results
        .into_inner()
        .expect("threads joined")
        .into_iter()
        .flatten()
    {
        r?;
    }
    Ok(())
}

fn fetch_blob(
    client: &mut Client,
    cache: &Cache,
    digest: &Digest,
    size: u64,
    what: &'static str,
) -> Result<()> {
    let url = client.url(&format!("blobs/{digest}"));
    let resp = client.get(&url, None)?;
    tracing::debug!("downloading {what} `{digest}` ({size} bytes)");
    let reader = resp.into_body().into_reader();
    cache
        .insert(digest, size, reader)
        .map(|_| ())
        .map_err(|e| match e {
            InsertError::Read(io) => RegistryError::Transport {
                reference: client.reference().to_string(),
                url,
                message: io.to_string(),
            },
            other => insert_error(other, &client.reference().to_string(), what, digest, size),
        })
}

fn insert_error(
    e: InsertError,
    reference: &str,
    what: &'static str,
    digest: &Digest,
    size: u64,
) -> RegistryError {
    match e {
        InsertError::Mismatch(actual) => RegistryError::DigestMismatch {
            reference: reference.to_string(),
            what,
            expected: digest.to_string(),
            actual: actual.to_string(),
        },
        InsertError::TooLarge => RegistryError::SizeMismatch {
            reference: reference.to_string(),
            what,
            digest: digest.to_string(),
            size,
        },
        InsertError::Read(io) => RegistryError::Transport {
            reference: reference.to_string(),
            url: digest.to_string(),
            message: io.to_string(),
        },
        InsertError::Io(e) => e,
    }
}
