//! Detecting what a target is and reading its manifests: docker-archive, OCI layout, OCI
//! archive, rootfs tarball, rootfs directory.

use std::path::Path;
use std::sync::Arc;

use oci_spec::image::{ImageConfiguration, ImageIndex, ImageManifest, MediaType};
use serde::Deserialize;

use crate::digest::Digest;
use crate::error::{ImageError, Result};
use crate::store::{self, BlobStore};
use crate::text::shown;
use crate::walk::{Compression, Expect};
use crate::{Image, ImageKind, InputKind, LayerRef, OpenOptions, Target};

/// The most manifest descriptors an OCI index may list, nested indexes included.
pub(crate) const MAX_DESCRIPTORS: usize = 4096;
/// How deep OCI indexes may nest.
pub(crate) const MAX_INDEX_DEPTH: usize = 4;

/// Decides what an archive is by its structure, not by a file name alone: a docker-archive's
/// `manifest.json` lists configs and layers that are members of the archive; an OCI archive has
/// `oci-layout` and `index.json`. Anything else is a root filesystem, and a `manifest.json`
/// that does not hold up is said to be ignored (a root filesystem may well carry one).
fn detect_archive(store: &BlobStore, path: &Path) -> InputKind {
    if store.contains("manifest.json") {
        match docker_structure(store) {
            Ok(referenced) => {
                let stray: Vec<&String> = match store {
                    BlobStore::Tar { members, .. } => {
                        let mut v: Vec<&String> = members
                            .keys()
                            .filter(|m| !referenced.contains(m.as_str()) && !docker_bookkeeping(m))
                            .collect();
                        v.sort();
                        v
                    }
                    BlobStore::Dir(_) => Vec::new(),
                };
                if let Some(first) = stray.first() {
                    tracing::warn!(
                        "`{}` is read as a docker-archive (its manifest.json lists a config and layers the archive holds), but it also holds {} other file(s) such as `{}`; if it is a root filesystem, pass --input-kind rootfs",
                        shown(&path.display().to_string()),
                        stray.len(),
                        shown(first)
                    );
                }
                return InputKind::DockerArchive;
            }
            Err(why) => {
                tracing::warn!(
                    "`{}` holds a manifest.json that does not describe a docker-archive ({why}); reading it as {}; pass --input-kind docker-archive to insist",
                    shown(&path.display().to_string()),
                    if store.contains("index.json") && store.contains("oci-layout") {
                        "an OCI archive"
                    } else {
                        "a root filesystem"
                    }
                );
            }
        }
    }
    if store.contains("index.json") && store.contains("oci-layout") {
        InputKind::Oci
    } else {
        InputKind::Rootfs
    }
}

/// Files `docker save` writes besides the configs and layers a manifest names.
fn docker_bookkeeping(name: &str) -> bool {
    matches!(
        name,
        "manifest.json" | "repositories" | "index.json" | "oci-layout"
    ) || name.starts_with("blobs/")
        || name
            .rsplit_once('/')
            .is_some_and(|(_, base)| matches!(base, "json" | "VERSION" | "layer.tar"))
}

/// The members a docker-archive's `manifest.json` names, when every one of them is in the
/// archive; else why not.
fn docker_structure(
    store: &BlobStore,
) -> std::result::Result<std::collections::HashSet<String>, String> {
    let raw = store
        .read_small("manifest.json")
        .map_err(|_| "unreadable".to_string())?;
    let entries: Vec<DockerManifestEntry> =
        serde_json::from_slice(&raw).map_err(|e| json_error(&e))?;
    if entries.is_empty() {
        return Err("it lists no image".into());
    }
    let mut referenced = std::collections::HashSet::new();
    for e in &entries {
        for name in std::iter::once(&e.config).chain(&e.layers) {
            let name = name.trim_start_matches("./");
            if !store.contains(name) {
                return Err(format!("`{}` is not in the archive", shown(name)));
            }
            referenced.insert(name.to_string());
        }
    }
    Ok(referenced)
}

/// A JSON error without the input's text: serde's messages quote the value they met, and a
/// "JSON" file may be a host secret behind a symlink or a terminal escape.
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Eof => "JSON cut short",
        serde_json::error::Category::Data => {
            let msg = e.to_string();
            if msg.starts_with("missing field") || msg.starts_with("duplicate field") {
                // Field names are ours, not the file's.
                return msg;
            }
            "JSON of an unexpected shape"
        }
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// Opens a target given as a path, `LAYOUT:TAG`, or `ARCHIVE:TAG`.
pub(crate) fn open(target: &str, opts: &OpenOptions) -> Result<Target> {
    let path = Path::new(target);
    if path.exists() {
        return open_path(path, None, opts);
    }
    // `LAYOUT:TAG` / `ARCHIVE:TAG`: the part before the last colon must exist.
    if let Some((p, tag)) = target.rsplit_once(':')
        && !tag.is_empty()
        && !tag.contains('/')
        && Path::new(p).exists()
    {
        return open_path(Path::new(p), Some(tag), opts);
    }
    Err(ImageError::NotAnImage {
        path: path.to_path_buf(),
        reason: "no such file or directory".into(),
    })
}

fn open_path(path: &Path, tag: Option<&str>, opts: &OpenOptions) -> Result<Target> {
    let meta = std::fs::metadata(path).map_err(|e| ImageError::io(path, e))?;
    if meta.is_dir() {
        let oci = match opts.input_kind {
            Some(InputKind::Oci) => true,
            Some(InputKind::Rootfs) => false,
            Some(InputKind::DockerArchive) => {
                return Err(ImageError::NotAnImage {
                    path: path.to_path_buf(),
                    reason: "--input-kind docker-archive needs a file, not a directory".into(),
                });
            }
            None => path.join("index.json").is_file(),
        };
        if oci {
            let store = BlobStore::Dir(path.to_path_buf());
            return open_oci(store, path, ImageKind::OciLayout, tag, opts).map(Target::Image);
        }
        if tag.is_some() {
            return Err(ImageError::NotAnImage {
                path: path.to_path_buf(),
                reason: "a tag was given but the directory is not an OCI layout (no index.json)"
                    .into(),
            });
        }
        return Ok(Target::Dir(path.to_path_buf()));
    }
    // A file: an archive, possibly compressed as a whole.
    let compression = store::sniff_file(path)?;
    let (tar_path, temp) = match compression {
        Compression::None => (path.to_path_buf(), None),
        c => {
            let t = store::decompress_to_temp(path, c, opts.limits.max_image_size)?;
            (t.to_path_buf(), Some(Arc::new(t)))
        }
    };
    let members = store::index_tar(&tar_path).map_err(|e| match e {
        ImageError::Corrupt { what, reason, .. } => ImageError::Corrupt {
            what,
            name: path.display().to_string(),
            reason,
        },
        other => other,
    })?;
    let store = BlobStore::Tar {
        path: tar_path,
        members: Arc::new(members),
        _temp: temp,
    };
    let kind = match opts.input_kind {
        Some(k) => k,
        None => detect_archive(&store, path),
    };
    if kind == InputKind::DockerArchive {
        open_docker_archive(store, path, tag, opts).map(Target::Image)
    } else if kind == InputKind::Oci {
        open_oci(store, path, ImageKind::OciArchive, tag, opts).map(Target::Image)
    } else {
        if tag.is_some() {
            return Err(ImageError::NotAnImage {
                path: path.to_path_buf(),
                reason: "a tag was given but the archive holds no image manifest".into(),
            });
        }
        // A root filesystem tarball: the archive itself is the only layer.
        let name = path.display().to_string();
        Ok(Target::Image(Image {
            name: name.clone(),
            kind: ImageKind::RootfsTar,
            repo_tags: Vec::new(),
            manifest_digest: None,
            config_digest: None,
            platform: None,
            created: None,
            layers: vec![LayerRef {
                blob: String::new(),
                expect: Expect::default(),
                media_type: None,
                created_by: None,
            }],
            store: WholeFile(store).into_store(),
        }))
    }
}

/// The rootfs tarball is read whole: a store whose only blob (named "") is the entire file.
struct WholeFile(BlobStore);
impl WholeFile {
    fn into_store(self) -> BlobStore {
        match self.0 {
            BlobStore::Tar { path, _temp, .. } => {
                let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                let mut m = std::collections::HashMap::new();
                m.insert(String::new(), store::Member::whole(len));
                BlobStore::Tar {
                    path,
                    members: Arc::new(m),
                    _temp,
                }
            }
            dir => dir,
        }
    }
}

#[derive(Debug, Deserialize)]
struct DockerManifestEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

fn malformed_json(path: &Path, what: &str, e: serde_json::Error) -> ImageError {
    malformed(path, what, json_error(&e))
}

fn malformed(path: &Path, what: &str, e: impl std::fmt::Display) -> ImageError {
    ImageError::Malformed {
        path: format!("{}: {what}", path.display()),
        reason: e.to_string(),
    }
}

fn open_docker_archive(
    store: BlobStore,
    path: &Path,
    tag: Option<&str>,
    opts: &OpenOptions,
) -> Result<Image> {
    let raw = store.read_small("manifest.json")?;
    let entries: Vec<DockerManifestEntry> =
        serde_json::from_slice(&raw).map_err(|e| malformed_json(path, "manifest.json", e))?;
    let entry = match tag {
        None => entries.first(),
        Some(t) => entries.iter().find(|e| {
            e.repo_tags
                .iter()
                .flatten()
                .any(|rt| rt == t || rt.rsplit_once(':').is_some_and(|(_, x)| x == t))
        }),
    };
    let Some(entry) = entry else {
        let available: Vec<String> = entries
            .iter()
            .flat_map(|e| e.repo_tags.clone().unwrap_or_default())
            .collect();
        return match tag {
            Some(t) => Err(ImageError::NoSuchTag {
                path: path.to_path_buf(),
                tag: t.to_string(),
                available: available.join(", "),
            }),
            None => Err(malformed(path, "manifest.json", "lists no image")),
        };
    };
    let config_name = entry.config.trim_start_matches("./").to_string();
    if !store.contains(&config_name) {
        return Err(ImageError::MissingBlob {
            path: path.to_path_buf(),
            digest: config_name,
        });
    }
    let config_bytes = store.read_small(&config_name)?;
    // The config's name is its digest in both docker save layouts; check it when it is one.
    let config_digest = Digest::of(&config_bytes);
    let named_hex = config_name
        .trim_start_matches("blobs/sha256/")
        .trim_end_matches(".json")
        .to_string();
    if named_hex.len() == 64
        && named_hex.bytes().all(|b| b.is_ascii_hexdigit())
        && named_hex.as_str() != config_digest.hex()
    {
        return Err(ImageError::DigestMismatch {
            what: "image config",
            name: config_name,
            expected: format!("sha256:{named_hex}"),
            actual: config_digest.to_string(),
        });
    }
    let config: ImageConfiguration =
        serde_json::from_slice(&config_bytes).map_err(|e| malformed_json(path, &config_name, e))?;
    check_platform(path, opts, &config)?;
    let diff_ids = config.rootfs().diff_ids();
    if diff_ids.len() != entry.layers.len() {
        return Err(malformed(
            path,
            "manifest.json",
            format!(
                "{} layers but the config lists {} diff_ids",
                entry.layers.len(),
                diff_ids.len()
            ),
        ));
    }
    let history = layer_history(&config);
    let mut layers = Vec::new();
    for (i, (layer, diff_id)) in entry.layers.iter().zip(diff_ids).enumerate() {
        let name = layer.trim_start_matches("./").to_string();
        let diff_id = Digest::parse(diff_id)?;
        if !store.contains(&name) {
            return Err(ImageError::MissingBlob {
                path: path.to_path_buf(),
                digest: format!("{diff_id} ({name})"),
            });
        }
        // Newer `docker save` stores layers as blobs/sha256/<digest>: verify that name too.
        let blob = name
            .strip_prefix("blobs/sha256/")
            .map(|hex| Digest::parse(&format!("sha256:{hex}")))
            .transpose()?;
        layers.push(LayerRef {
            blob: name,
            expect: Expect {
                blob,
                diff_id: Some(diff_id),
            },
            media_type: None,
            created_by: history.get(i).cloned().flatten(),
        });
    }
    let repo_tags = entry.repo_tags.clone().unwrap_or_default();
    Ok(Image {
        name: repo_tags
            .first()
            .cloned()
            .unwrap_or_else(|| path.display().to_string()),
        kind: ImageKind::DockerArchive,
        repo_tags,
        manifest_digest: None,
        config_digest: Some(config_digest),
        platform: Some(config_platform(&config)),
        created: config.created().clone(),
        layers,
        store,
    })
}

/// An explicit `--platform` must match a single-platform image's own (its config's) platform;
/// a defaulted one accepts whatever the image is.
fn check_platform(path: &Path, opts: &OpenOptions, config: &ImageConfiguration) -> Result<()> {
    let want = &opts.platform;
    if opts.platform_explicit
        && !want.matches(
            &config.os().to_string(),
            &config.architecture().to_string(),
            config.variant().as_deref(),
        )
    {
        return Err(ImageError::WrongPlatform {
            path: path.to_path_buf(),
            wanted: want.to_string(),
            actual: config_platform(config),
        });
    }
    Ok(())
}

fn config_platform(config: &ImageConfiguration) -> String {
    let mut s = format!("{}/{}", config.os(), config.architecture());
    if let Some(v) = config.variant() {
        s.push('/');
        s.push_str(v);
    }
    s
}

/// `created_by` for each non-empty layer, in order.
fn layer_history(config: &ImageConfiguration) -> Vec<Option<String>> {
    config
        .history()
        .iter()
        .flatten()
        .filter(|h| !h.empty_layer().unwrap_or(false))
        .map(|h| h.created_by().clone())
        .collect()
}

fn is_index(mt: &MediaType) -> bool {
    matches!(mt, MediaType::ImageIndex)
        || mt.to_string() == "application/vnd.docker.distribution.manifest.list.v2+json"
}

struct Candidate {
    digest: Digest,
    platform: Option<(String, String, Option<String>)>,
    ref_name: Option<String>,
    /// The full image name containerd, nerdctl and buildkit record (`io.containerd.image.name`).
    image_name: Option<String>,
}

fn open_oci(
    store: BlobStore,
    path: &Path,
    kind: ImageKind,
    tag: Option<&str>,
    opts: &OpenOptions,
) -> Result<Image> {
    let index_bytes = store.read_small("index.json")?;
    let index: ImageIndex =
        serde_json::from_slice(&index_bytes).map_err(|e| malformed_json(path, "index.json", e))?;
    let mut candidates = Vec::new();
    let mut walk = IndexWalk {
        store: &store,
        path,
        visited: std::collections::HashSet::new(),
        descriptors: 0,
        out: &mut candidates,
    };
    walk.collect(&index, None, 0)?;
    if let Some(t) = tag {
        let available: Vec<String> = candidates
            .iter()
            .filter_map(|c| c.ref_name.clone())
            .collect();
        candidates.retain(|c| {
            c.ref_name.as_deref() == Some(t)
                || c.ref_name
                    .as_deref()
                    .and_then(|r| r.rsplit_once(':'))
                    .is_some_and(|(_, x)| x == t)
        });
        if candidates.is_empty() {
            return Err(ImageError::NoSuchTag {
                path: path.to_path_buf(),
                tag: t.to_string(),
                available: available.join(", "),
            });
        }
    }
    // Attestation manifests (`unknown/unknown`) are not images.
    candidates.retain(|c| {
        c.platform
            .as_ref()
            .is_none_or(|(os, arch, _)| os != "unknown" && arch != "unknown")
    });
    let want = &opts.platform;
    let chosen = if candidates.len() == 1
        && (candidates[0].platform.is_none() || !opts.platform_explicit)
    {
        candidates.pop()
    } else {
        let pos = candidates.iter().position(|c| match &c.platform {
            Some((os, arch, variant)) => want.matches(os, arch, variant.as_deref()),
            None => false,
        });
        match pos {
            Some(i) => Some(candidates.swap_remove(i)),
            None if candidates.iter().all(|c| c.platform.is_none()) && candidates.len() == 1 => {
                candidates.pop()
            }
            None => None,
        }
    };
    let available: Vec<String> = candidates
        .iter()
        .map(|c| match &c.platform {
            Some((o, a, Some(v))) => format!("{o}/{a}/{v}"),
            Some((o, a, None)) => format!("{o}/{a}"),
            None => format!("{} (no platform)", c.digest),
        })
        .collect();
    let Some(chosen) = chosen else {
        if let [only] = candidates.as_slice()
            && only.platform.is_some()
        {
            return Err(ImageError::WrongPlatform {
                path: path.to_path_buf(),
                wanted: want.to_string(),
                actual: available.join(""),
            });
        }
        return Err(ImageError::NoPlatform {
            path: path.to_path_buf(),
            wanted: want.to_string(),
            available: available.join(", "),
        });
    };
    let manifest_bytes = store.read_verified(&chosen.digest, "manifest")?;
    let manifest: ImageManifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| malformed_json(path, chosen.digest.as_str(), e))?;
    let config_digest = Digest::parse(manifest.config().digest().as_ref())?;
    let config_bytes = store.read_verified(&config_digest, "image config")?;
    let config: ImageConfiguration = serde_json::from_slice(&config_bytes)
        .map_err(|e| malformed_json(path, config_digest.as_str(), e))?;
    check_platform(path, opts, &config)?;
    let diff_ids = config.rootfs().diff_ids();
    if diff_ids.len() != manifest.layers().len() {
        return Err(malformed(
            path,
            chosen.digest.as_str(),
            format!(
                "{} layers but the config lists {} diff_ids",
                manifest.layers().len(),
                diff_ids.len()
            ),
        ));
    }
    let history = layer_history(&config);
    let mut layers = Vec::new();
    for (i, (desc, diff_id)) in manifest.layers().iter().zip(diff_ids).enumerate() {
        let digest = Digest::parse(desc.digest().as_ref())?;
        let blob = format!("blobs/sha256/{}", digest.hex());
        if !store.contains(&blob) {
            return Err(ImageError::MissingBlob {
                path: path.to_path_buf(),
                digest: digest.to_string(),
            });
        }
        layers.push(LayerRef {
            blob,
            expect: Expect {
                blob: Some(digest),
                diff_id: Some(Digest::parse(diff_id)?),
            },
            media_type: Some(desc.media_type().to_string()),
            created_by: history.get(i).cloned().flatten(),
        });
    }
    let name = chosen
        .image_name
        .clone()
        .or_else(|| chosen.ref_name.clone())
        .map(|r| {
            if r.contains(':') || r.contains('/') {
                r
            } else {
                format!("{}:{r}", path.display())
            }
        })
        .unwrap_or_else(|| path.display().to_string());
    Ok(Image {
        name,
        kind,
        repo_tags: chosen.ref_name.into_iter().collect(),
        manifest_digest: Some(chosen.digest),
        config_digest: Some(config_digest),
        platform: Some(config_platform(&config)),
        created: config.created().clone(),
        layers,
        store,
    })
}

/// Expands an OCI index into image manifests: each nested index is read once however often it
/// is referenced, nesting stops at [`MAX_INDEX_DEPTH`], and at most [`MAX_DESCRIPTORS`]
/// descriptors are looked at in all (a 68 KB layout of indexes referencing each other twice
/// would otherwise expand to billions).
struct IndexWalk<'a> {
    store: &'a BlobStore,
    path: &'a Path,
    visited: std::collections::HashSet<Digest>,
    descriptors: usize,
    out: &'a mut Vec<Candidate>,
}

impl IndexWalk<'_> {
    fn collect(
        &mut self,
        index: &ImageIndex,
        inherited_ref: Option<&str>,
        depth: usize,
    ) -> Result<()> {
        if depth > MAX_INDEX_DEPTH {
            return Err(malformed(
                self.path,
                "index.json",
                format!("indexes nested more than {MAX_INDEX_DEPTH} deep; refused"),
            ));
        }
        for desc in index.manifests() {
            self.descriptors += 1;
            if self.descriptors > MAX_DESCRIPTORS {
                return Err(malformed(
                    self.path,
                    "index.json",
                    format!(
                        "more than {MAX_DESCRIPTORS} manifest descriptors (nested indexes included); refused"
                    ),
                ));
            }
            let digest = Digest::parse(desc.digest().as_ref())?;
            let annotation = |key: &str| {
                desc.annotations()
                    .as_ref()
                    .and_then(|a| a.get(key))
                    .cloned()
            };
            let image_name = annotation(CONTAINERD_NAME);
            let ref_name = annotation(REF_NAME)
                .or_else(|| image_name.clone())
                .or_else(|| inherited_ref.map(str::to_string));
            if is_index(desc.media_type()) {
                if !self.visited.insert(digest.clone()) {
                    continue; // expanded already
                }
                let bytes = self.store.read_verified(&digest, "index")?;
                let nested: ImageIndex = serde_json::from_slice(&bytes)
                    .map_err(|e| malformed_json(self.path, digest.as_str(), e))?;
                self.collect(&nested, ref_name.as_deref(), depth + 1)?;
            } else {
                let platform = desc.platform().as_ref().map(|p| {
                    (
                        p.os().to_string(),
                        p.architecture().to_string(),
                        p.variant().clone(),
                    )
                });
                self.out.push(Candidate {
                    digest,
                    platform,
                    ref_name,
                    image_name,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a one-layer OCI layout whose index entry carries `annotations`.
    fn layout(dir: &Path, annotations: serde_json::Value) {
        let blobs = dir.join("blobs/sha256");
        std::fs::create_dir_all(&blobs).expect("blobs dir");
        let put = |bytes: &[u8]| {
            let d = Digest::of(bytes);
            std::fs::write(blobs.join(d.hex()), bytes).expect("write blob");
            d
        };
        let layer = vec![0u8; 1024]; // an empty tar: two zero blocks
        let layer_digest = put(&layer);
        let config = serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [layer_digest.to_string()]}
        });
        let config = serde_json::to_vec(&config).expect("config JSON");
        let config_digest = put(&config);
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest.to_string(), "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer_digest.to_string(), "size": layer.len()}]
        });
        let manifest = serde_json::to_vec(&manifest).expect("manifest JSON");
        let manifest_digest = put(&manifest);
        let index = serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": manifest_digest.to_string(), "size": manifest.len(),
                           "annotations": annotations}]
        });
        std::fs::write(dir.join("index.json"), index.to_string()).expect("index");
        std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
            .expect("oci-layout");
    }

    fn name_of(dir: &Path, target: &str) -> String {
        match open(target, &OpenOptions::default()) {
            Ok(Target::Image(img)) => img.name,
            other => panic!("{}: not an image: {other:?}", dir.display()),
        }
    }

    #[test]
    fn layout_names_prefer_the_full_image_name() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("both");
        layout(
            &dir,
            serde_json::json!({REF_NAME: "1.0", CONTAINERD_NAME: "registry.example/app:1.0"}),
        );
        let d = dir.to_str().expect("utf-8 temp path");
        assert_eq!(name_of(&dir, d), "registry.example/app:1.0");
        assert_eq!(
            name_of(&dir, &format!("{d}:1.0")),
            "registry.example/app:1.0"
        );

        let dir = tmp.path().join("ref-only");
        layout(&dir, serde_json::json!({REF_NAME: "1.0"}));
        let d = dir.to_str().expect("utf-8 temp path");
        assert_eq!(name_of(&dir, d), format!("{d}:1.0"));

        let dir = tmp.path().join("none");
        layout(&dir, serde_json::json!({}));
        let d = dir.to_str().expect("utf-8 temp path");
        assert_eq!(name_of(&dir, d), d);
    }
}
