//! Reading container images and walking their layers.
//!
//! A target is detected, not flagged ([`open`]):
//! - a docker-archive (`docker save` output, plain or gzip/zstd-compressed as a whole),
//! - an OCI image layout directory (`index.json` + `blobs/`), nested indexes and several
//!   platforms included (picked by [`OpenOptions::platform`] and `LAYOUT:TAG` against the
//!   `org.opencontainers.image.ref.name` annotation),
//! - an OCI archive (a tar of a layout, as `skopeo copy … oci-archive:` writes),
//! - a root filesystem tarball (as distributions publish them) or a directory.
//!
//! [`Target::scan`] walks the layers (in parallel), checks every blob against its sha256
//! digest and every uncompressed layer against its `diff_id`, applies whiteouts (`.wh.NAME`)
//! and opaque directories (`.wh..wh..opq`), and hands only the files a [`FileVisitor`] wants to
//! it; everything else is streamed past, never copied. Symlinks and hard links at wanted paths
//! are resolved inside the image root, never outside it. Entries that climb out of the root
//! (`../../etc/passwd`) and layers that expand past [`Limits::max_layer_size`] are errors.
//!
//! Inputs are treated as hostile (issue 14; every bound is listed in `docs/limits.md`). Tar is
//! read by drydock's own streaming reader, which reads what GNU tar, Python and Go read (sparse
//! entries of every GNU form included) and bounds every header before allocating it. A wanted
//! path that exists only through a directory symlink (`lib` → `usr/lib`) is found. Archives are
//! told apart by structure ([`InputKind`] overrides), a layer listed twice is walked once, all
//! layers together are bounded by [`Limits::max_image_size`], and strings from the image are
//! escaped before they are shown ([`text::shown`]).
//!
//! `fuzz/` holds two cargo-fuzz targets: `tar_header` (the tar reader over arbitrary bytes) and
//! `image_open` (the whole open-and-walk path on an arbitrary file, detection or a forced kind).
//! `fuzz/make_seeds.sh` seeds both from `tests/fixtures/make_hostile.py`'s inputs; then, in
//! `fuzz/`, `cargo +nightly fuzz run -O <target>`. Runs so far, no crash: `tar_header`
//! 8,221,599 executions in 600 s; `image_open` 2,100,000: 1,100,000 in 1,075 s and, on the code
//! with [`temp`], 1,000,000 in 1,155 s, each as
//! `TMPDIR=/dev/shm cargo +nightly fuzz run -O image_open -- -detect_leaks=0 -runs=1000000
//! -max_len=65536` (about 900 a second; leak detection is off because LeakSanitizer reports
//! std's channel thread-local in a finished walk thread, not a leak of drydock's). The target
//! walks with small bounds (4 MiB a layer, 8 MiB an image) so a bomb costs milliseconds.
//! Run again on the code of commit e2dc03c (the issue 14 audit; `--platform` on
//! docker-archives and the inflated-copy sweep came after the runs above), seeded by
//! `make_seeds.sh`'s inputs, no crash: `tar_header` 1,000,000 in 32 s, `image_open` 1,000,000
//! in 695 s (the same flags).
//!
//! ```no_run
//! use drydock_image::{open, EntryKind, FileMeta, FileVisitor, OpenOptions};
//!
//! struct OsRelease;
//! impl FileVisitor for OsRelease {
//!     type Output = String;
//!     fn wants(&self, path: &str, _meta: &FileMeta) -> bool {
//!         path == "etc/os-release" || path == "usr/lib/os-release"
//!     }
//!     fn visit(&self, _path: &str, _meta: &FileMeta, content: &[u8]) -> String {
//!         String::from_utf8_lossy(content).into_owned()
//!     }
//! }
//!
//! let target = open("alpine.tar", &OpenOptions::default())?;
//! let scan = target.scan(&OsRelease)?;
//! for f in &scan.files {
//!     println!("{} (layer {}): {}", f.path, f.layer, f.output);
//! }
//! # Ok::<(), drydock_image::ImageError>(())
//! ```

mod cache;
mod digest;
mod dir;
mod error;
mod merge;
mod pair;
mod platform;
mod source;
mod store;
mod tar;
pub mod temp;
pub mod text;
mod walk;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use cache::{CacheUsage, LayerCache, RACY_WINDOW};
pub use digest::Digest;
pub use error::{ImageError, Result};
pub use pair::Pair;
pub use platform::Platform;

use cache::{Capture, FileIdentity, NoCache, WalkCache};
use digest::Budget;
use merge::Node;
use store::BlobStore;
use walk::{Expect, LayerWalk};

/// Bounds that keep hostile input from exhausting memory or disk.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Uncompressed bytes one layer may expand to.
    pub max_layer_size: u64,
    /// Uncompressed bytes all layers of an image (each distinct layer once), or a compressed
    /// archive, may expand to together.
    pub max_image_size: u64,
    /// Largest file handed to a visitor; bigger wanted files are skipped with a warning.
    pub max_file_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_size: 32 << 30,
            max_image_size: 64 << 30,
            max_file_size: 512 << 20,
        }
    }
}

/// How to open a target.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    pub platform: Platform,
    /// Whether the platform was asked for: then a single-platform image of another platform is
    /// an error instead of being taken as the only choice.
    pub platform_explicit: bool,
    pub limits: Limits,
    /// What the target is, when detection must not decide (`--input-kind`).
    pub input_kind: Option<InputKind>,
}

/// What a target is taken for, overriding detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `docker save` output.
    DockerArchive,
    /// An OCI layout directory or an OCI archive.
    Oci,
    /// A root filesystem: a directory or a tarball.
    Rootfs,
}

impl std::str::FromStr for InputKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "docker-archive" => Ok(InputKind::DockerArchive),
            "oci" | "oci-layout" | "oci-archive" => Ok(InputKind::Oci),
            "rootfs" => Ok(InputKind::Rootfs),
            _ => Err(format!(
                "unknown input kind `{s}` (expected docker-archive, oci or rootfs)"
            )),
        }
    }
}

/// What kind of entry a path is in a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EntryKind {
    File,
    Symlink,
    Hardlink,
}

/// What a visitor knows about a file before deciding to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileMeta {
    pub size: u64,
    pub mode: u32,
    pub kind: EntryKind,
}

impl FileMeta {
    pub fn is_executable(&self) -> bool {
        self.mode & 0o111 != 0
    }
}

/// Consumes the files of a target. `wants` is called for every file, symlink and hard link of
/// every layer (keep it cheap: it decides on the path and metadata alone); `visit` gets the
/// content of each wanted file, under the wanted path (a link's own path for links).
pub trait FileVisitor: Sync {
    type Output: Send;
    fn wants(&self, path: &str, meta: &FileMeta) -> bool;
    /// `meta` is the wanted entry's own (for a link: the link's kind and mode, the target's size).
    fn visit(&self, path: &str, meta: &FileMeta, content: &[u8]) -> Self::Output;
    /// Directories of a rootfs directory target not to descend into.
    fn skip_dir(&self, _path: &str) -> bool {
        false
    }
    /// What makes this visitor's outputs what they are (its file choices, its code's version):
    /// walks are cached per key ([`Target::scan_cached`]). `None`: never cache.
    fn cache_key(&self) -> Option<String> {
        None
    }
}

/// A problem with one file that did not stop the walk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WalkWarning {
    pub path: String,
    pub message: String,
}

/// The kind of target that was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    DockerArchive,
    OciLayout,
    OciArchive,
    RootfsTar,
}

impl ImageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageKind::DockerArchive => "docker-archive",
            ImageKind::OciLayout => "oci-layout",
            ImageKind::OciArchive => "oci-archive",
            ImageKind::RootfsTar => "rootfs-tarball",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct LayerRef {
    blob: String,
    expect: Expect,
    media_type: Option<String>,
    created_by: Option<String>,
}

/// An image read from an archive or layout, ready to walk.
#[derive(Debug)]
pub struct Image {
    /// A name for reports: the first repo tag, the ref name, or the path.
    pub name: String,
    pub kind: ImageKind,
    pub repo_tags: Vec<String>,
    pub manifest_digest: Option<Digest>,
    pub config_digest: Option<Digest>,
    /// `os/arch[/variant]` from the image config.
    pub platform: Option<String>,
    pub created: Option<String>,
    layers: Vec<LayerRef>,
    store: BlobStore,
}

/// A target: an image, or a directory (a checkout or an unpacked root filesystem).
#[derive(Debug)]
pub enum Target {
    Image(Image),
    Dir(PathBuf),
}

/// One layer as walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    pub index: usize,
    /// The blob digest (compressed, as the manifest names it); the diff_id for a rootfs tarball.
    pub digest: Option<Digest>,
    /// The sha256 of the uncompressed layer tar, as the config's `rootfs.diff_ids` lists it.
    pub diff_id: Option<Digest>,
    pub media_type: Option<String>,
    pub created_by: Option<String>,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// Whether the walk came from the [`LayerCache`] instead of reading the layer.
    pub from_cache: bool,
}

/// A wanted file visible in the merged image, with what the visitor made of it.
#[derive(Debug)]
pub struct FoundFile<O> {
    pub path: String,
    /// Index into [`Scan::layers`] of the layer that wrote the file.
    pub layer: usize,
    pub output: O,
}

/// The outcome of walking a target.
#[derive(Debug)]
pub struct Scan<O> {
    /// Visible wanted files, sorted by path.
    pub files: Vec<FoundFile<O>>,
    pub layers: Vec<LayerInfo>,
    pub warnings: Vec<WalkWarning>,
}

/// Entry points for the fuzz targets in `fuzz/`: not an API.
#[doc(hidden)]
pub mod fuzzing {
    /// Reads every header of a tar stream and the content of every file.
    pub fn tar_entries(data: &[u8]) -> std::io::Result<usize> {
        crate::tar::fuzz_entries(data)
    }

    struct Everything;
    impl crate::FileVisitor for Everything {
        type Output = usize;
        fn wants(&self, _: &str, _: &crate::FileMeta) -> bool {
            true
        }
        fn visit(&self, _: &str, _: &crate::FileMeta, content: &[u8]) -> usize {
            content.len()
        }
    }

    /// Opens `path` as a target is opened (docker-archive, OCI archive, rootfs tarball,
    /// detected or `kind`) and walks it wanting every file, with small bounds.
    pub fn open_and_scan(path: &str, kind: Option<crate::InputKind>) -> crate::Result<usize> {
        // Small bounds: a bomb costs milliseconds, not seconds, so the fuzzer keeps its pace.
        let limits = crate::Limits {
            max_layer_size: 4 << 20,
            max_image_size: 8 << 20,
            max_file_size: 256 << 10,
        };
        let opts = crate::OpenOptions {
            limits: limits.clone(),
            input_kind: kind,
            ..Default::default()
        };
        let scan = crate::open(path, &opts)?.scan_with(&Everything, &limits)?;
        Ok(scan.files.len())
    }
}

/// Opens a target: a path to an archive, layout or directory, or `LAYOUT:TAG`.
pub fn open(target: &str, opts: &OpenOptions) -> Result<Target> {
    let t = source::open(target, opts)?;
    Ok(t)
}

impl Target {
    /// A display name: the image name, or the directory path.
    pub fn name(&self) -> String {
        match self {
            Target::Image(i) => i.name.clone(),
            Target::Dir(p) => p.display().to_string(),
        }
    }

    /// Walks the target with `visitor` (see the crate docs), using default limits.
    pub fn scan<V: FileVisitor>(&self, visitor: &V) -> Result<Scan<V::Output>> {
        self.scan_with(visitor, &Limits::default())
    }

    pub fn scan_with<V: FileVisitor>(
        &self,
        visitor: &V,
        limits: &Limits,
    ) -> Result<Scan<V::Output>> {
        match self {
            Target::Image(img) => img.scan_inner(visitor, limits, &NoCache),
            Target::Dir(root) => dir::scan(root, visitor, limits),
        }
    }

    /// [`Target::scan_with`], serving layers from `cache` where it verified their blobs
    /// before (see [`LayerCache`]) and recording the layers it walks. Directories and visitors
    /// without a [`FileVisitor::cache_key`] are walked as without a cache.
    pub fn scan_cached<V>(
        &self,
        visitor: &V,
        limits: &Limits,
        cache: &LayerCache,
    ) -> Result<Scan<V::Output>>
    where
        V: FileVisitor,
        V::Output: serde::Serialize + serde::de::DeserializeOwned,
    {
        match (self, visitor.cache_key()) {
            (Target::Image(img), Some(key)) => {
                img.scan_inner(visitor, limits, &cache.session(&key, limits))
            }
            _ => self.scan_with(visitor, limits),
        }
    }
}

impl Image {
    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// Each layer's identity as the manifest and config state it (the `diff_id` when known,
    /// else the blob digest, else the blob's name): what a fleet scheduler uses to walk a layer
    /// shared by many images once.
    pub fn layer_keys(&self) -> Vec<String> {
        self.layers
            .iter()
            .map(|l| {
                l.expect
                    .diff_id
                    .as_ref()
                    .or(l.expect.blob.as_ref())
                    .map_or_else(|| l.blob.clone(), |d| d.to_string())
            })
            .collect()
    }

    fn walk_one<V: FileVisitor>(
        &self,
        i: usize,
        visitor: &V,
        limits: &Limits,
        capture: Option<&Capture>,
        budget: &Budget,
    ) -> Result<LayerWalk<V::Output>> {
        let layer = &self.layers[i];
        let reader = self.store.open(&layer.blob)?;
        let name = layer
            .expect
            .blob
            .as_ref()
            .or(layer.expect.diff_id.as_ref())
            .map_or_else(|| self.name.clone(), |d| d.to_string());
        walk::walk_layer(
            reader,
            &name,
            &layer.expect,
            limits,
            visitor,
            capture,
            budget,
        )
    }

    /// Walks layer `i`, or takes its walk from the cache. The file's identity is taken before
    /// reading, so a write during the walk makes the recorded identity stale, never wrong.
    fn walk_or_load<V: FileVisitor, C: WalkCache<V::Output>>(
        &self,
        i: usize,
        visitor: &V,
        limits: &Limits,
        cache: &C,
        budget: &Budget,
    ) -> Result<(LayerWalk<V::Output>, bool)> {
        let layer = &self.layers[i];
        let identity = FileIdentity::of(&self.store, &layer.blob);
        if let Some(w) = cache.load(identity.as_ref(), &layer.expect) {
            tracing::debug!("layer {i} ({}): from the cache", w.diff_id);
            return Ok((w, true));
        }
        let w = self.walk_one(i, visitor, limits, None, budget)?;
        cache.save(identity.as_ref(), &w);
        Ok((w, false))
    }

    pub fn scan_with<V: FileVisitor>(
        &self,
        visitor: &V,
        limits: &Limits,
    ) -> Result<Scan<V::Output>> {
        self.scan_inner(visitor, limits, &NoCache)
    }

    fn scan_inner<V: FileVisitor, C: WalkCache<V::Output>>(
        &self,
        visitor: &V,
        limits: &Limits,
        cache: &C,
    ) -> Result<Scan<V::Output>> {
        let n = self.layers.len();
        // A layer listed again (the same blob) is walked once, at its last position: applying
        // it there gives the same merged tree as applying it at every position, since
        // whatever it writes or deletes, it does last.
        let mut last_of: HashMap<&str, usize> = HashMap::new();
        for (i, l) in self.layers.iter().enumerate() {
            last_of.insert(l.blob.as_str(), i);
        }
        let repeat_of: Vec<Option<usize>> = (0..n)
            .map(|i| {
                let last = last_of[self.layers[i].blob.as_str()];
                (last != i).then_some(last)
            })
            .collect();
        let budget = Budget::new(limits.max_image_size);
        // Largest blobs first: the biggest layer is the longest job, and starting it last
        // would leave one core idle while it finishes.
        let mut order: Vec<usize> = (0..n).filter(|&i| repeat_of[i].is_none()).collect();
        order.sort_by_key(|&i| {
            std::cmp::Reverse(self.store.blob_size(&self.layers[i].blob).unwrap_or(0))
        });
        let threads = std::thread::available_parallelism()
            .map_or(2, |p| p.get())
            .min(order.len())
            .max(1);
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<WalkResult<V::Output>>>> =
            Mutex::new((0..n).map(|_| None).collect());
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let r = self.walk_or_load(i, visitor, limits, cache, &budget);
                        let failed = r.is_err();
                        results
                            .lock()
                            .expect("no thread panics while holding the lock")[i] = Some(r);
                        if failed {
                            // Stop handing out work; the first error in layer order is reported.
                            next.store(n, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        let mut results = results.into_inner().expect("threads joined");
        for i in 0..n {
            if let Some(last) = repeat_of[i] {
                results[i] = match &results[last] {
                    Some(Ok((w, c))) => {
                        let mut empty = LayerWalk::empty();
                        empty.blob_digest = w.blob_digest.clone();
                        empty.diff_id = w.diff_id.clone();
                        empty.size = w.size;
                        Some(Ok((empty, *c)))
                    }
                    _ => None,
                };
            }
        }
        let mut walks = Vec::with_capacity(n);
        let mut cached = Vec::with_capacity(n);
        for r in results {
            match r {
                Some(Ok((w, c))) => {
                    walks.push(w);
                    cached.push(c);
                }
                Some(Err(e)) => return Err(e),
                None => {} // skipped after an earlier failure: unreachable without an Err above
            }
        }
        if walks.len() != n {
            return Err(ImageError::Malformed {
                path: self.name.clone(),
                reason: "a layer walk did not finish".into(),
            });
        }
        let layers: Vec<LayerInfo> = walks
            .iter()
            .zip(&self.layers)
            .zip(cached)
            .enumerate()
            .map(|(i, ((w, l), from_cache))| LayerInfo {
                index: i,
                digest: Some(w.blob_digest.clone()),
                diff_id: Some(w.diff_id.clone()),
                media_type: l.media_type.clone(),
                created_by: l.created_by.clone(),
                size: w.size,
                from_cache,
            })
            .collect();
        let diff_ids: Vec<Digest> = walks.iter().map(|w| w.diff_id.clone()).collect();
        finish(visitor, walks, layers, |layer, capture| {
            let diff_id = &diff_ids[layer];
            if let Some(files) = cache.load_capture(diff_id, capture) {
                return Ok(files);
            }
            // Second passes re-read layers the first pass bounded (or the cache verified).
            let files = self
                .walk_one(
                    layer,
                    visitor,
                    limits,
                    Some(capture),
                    &Budget::new(u64::MAX),
                )?
                .files;
            cache.save_capture(diff_id, capture, &files);
            Ok(files)
        })
    }
}

/// A layer walk and whether it came from the cache.
type WalkResult<O> = Result<(LayerWalk<O>, bool)>;

/// Merges walked layers, resolves wanted links (reading their targets in a second pass where
/// the target was not read the first time), finds wanted paths that only exist through a
/// directory symlink, and collects the visible wanted files.
pub(crate) fn finish<V, F>(
    visitor: &V,
    walks: Vec<LayerWalk<V::Output>>,
    layers: Vec<LayerInfo>,
    mut capture: F,
) -> Result<Scan<V::Output>>
where
    V: FileVisitor,
    F: FnMut(usize, &Capture) -> Result<Vec<(String, V::Output)>>,
{
    let mut warnings: Vec<WalkWarning> = walks
        .iter()
        .flat_map(|w| w.warnings.iter().cloned())
        .collect();
    let wanted_links: Vec<(usize, String, FileMeta)> = walks
        .iter()
        .enumerate()
        .flat_map(|(i, w)| w.wanted_links.iter().map(move |(p, m)| (i, p.clone(), *m)))
        .collect();
    let (mut tree, _walks) = merge::merge(walks);
    // layer → target path → link paths to visit with the target's content.
    let mut captures: BTreeMap<usize, Capture> = BTreeMap::new();
    let mut link_layer: BTreeMap<String, usize> = BTreeMap::new();
    let unresolved = |path: String, why: merge::Unresolved| WalkWarning {
        message: match why {
            merge::Unresolved::Loop => format!(
                "not read: more than {} symlinks to follow (a loop?)",
                merge::MAX_LINK_HOPS
            ),
            merge::Unresolved::TooLong => format!(
                "not read: a link target or path is longer than {} bytes",
                merge::MAX_PATH
            ),
        },
        path,
    };
    for (layer, path, meta) in wanted_links {
        let resolved = match tree.get(&path) {
            Some(Node::Symlink { layer: l, .. }) if *l == layer => merge::resolve(&tree, &path),
            Some(Node::Hardlink { layer: l, target }) if *l == layer => {
                merge::resolve(&tree, target)
            }
            _ => continue, // replaced or deleted by a later layer
        };
        let target = match resolved {
            Ok(t) => t,
            Err(why) => {
                warnings.push(unresolved(path, why));
                continue;
            }
        };
        match tree.get(&target) {
            Some(Node::File {
                output: Some(_), ..
            }) => {} // read in its own right already
            Some(Node::File {
                layer: l,
                output: None,
            })
            | Some(Node::Other {
                layer: l,
                meta: walk::PathMeta::File(_),
            }) => {
                captures
                    .entry(*l)
                    .or_default()
                    .entry(target)
                    .or_default()
                    .push((path.clone(), meta));
                link_layer.insert(path, layer);
            }
            Some(Node::Hardlink {
                layer: l,
                target: t2,
            }) => {
                captures
                    .entry(*l)
                    .or_default()
                    .entry(t2.clone())
                    .or_default()
                    .push((path.clone(), meta));
                link_layer.insert(path, layer);
            }
            Some(Node::Symlink { .. }) => warnings.push(unresolved(path, merge::Unresolved::Loop)),
            // A directory, FIFO or device: never opened (a FIFO would block the scan).
            Some(Node::Other { .. }) => warnings.push(WalkWarning {
                path,
                message: format!("not read: the link leads to `{target}`, not a regular file"),
            }),
            None => warnings.push(WalkWarning {
                path,
                message: format!("dangling link to `{target}`"),
            }),
        }
    }
    let through = merge::through_dir_links(&tree, |p, m| visitor.wants(p, m));
    if through.budget_spent {
        warnings.push(WalkWarning {
            path: String::new(),
            message: format!(
                "directory symlinks: stopped looking for wanted paths through them after {} paths",
                merge::ALIAS_BUDGET
            ),
        });
    }
    for alias in through.aliases {
        captures
            .entry(alias.layer)
            .or_default()
            .entry(alias.real)
            .or_default()
            .push((alias.path.clone(), alias.meta));
        link_layer.insert(alias.path, alias.layer);
    }
    for (layer, wanted) in &captures {
        for (path, output) in capture(*layer, wanted)? {
            let l = link_layer.get(&path).copied().unwrap_or(*layer);
            tree.insert(
                path,
                Node::File {
                    layer: l,
                    output: Some(output),
                },
            );
        }
    }
    let files = tree
        .into_iter()
        .filter_map(|(path, node)| match node {
            Node::File {
                layer,
                output: Some(output),
            } => Some(FoundFile {
                path,
                layer,
                output,
            }),
            _ => None,
        })
        .collect();
    Ok(Scan {
        files,
        layers,
        warnings,
    })
}
