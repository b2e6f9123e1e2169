//! What is installed in a target: the OS and its packages, found by analyzers running over
//! [`drydock_image`]'s layer walk.
//!
//! Analyzers are one explicit list ([`analyzers`]); each declares the paths it wants
//! ([`Analyzer::wants`], decided on path and metadata alone) and turns one file's content into
//! packages ([`Analyzer::analyze`]). The layer walk reads only wanted files, once, even when
//! several analyzers want them. Packages carry their location (layer `diff_id` and path);
//! whiteouts in later layers remove what earlier layers installed.
//!
//! A malformed OS package database (dpkg, apk, rpm) is an error: an inventory without the
//! OS packages would look clean and be wrong. A malformed language file (a lockfile, a
//! `package.json`) is a [`ScanWarning`] naming the file and the reason; the scan goes on
//! (callers make warnings fatal with `--strict`).
//!
//! ```no_run
//! use drydock_image::{open, OpenOptions};
//! use drydock_inventory::{inventory, Mode};
//!
//! let target = open("alpine.tar", &OpenOptions::default())?;
//! let result = inventory(&target, Mode::Image, &Default::default())?;
//! for p in &result.inventory.packages {
//!     println!("{} {} {}", p.ecosystem, p.name, p.version);
//! }
//! # Ok::<(), drydock_inventory::InventoryError>(())
//! ```
//!
//! # Fuzzing
//!
//! `fuzz/` holds cargo-fuzz targets for the rpm database readers (`rpm_header`, `rpm_bdb`,
//! `rpm_ndb`, `rpm_sqlite`) and `analyzers`, which gives arbitrary bytes to every analyzer
//! under a path the first byte picks. `fuzz/make_seeds.sh` seeds all of them from real inputs
//! (the rpm databases and Alpine images in `../shared/data`, the language fixtures in
//! `tests/fixtures/lang`); then, in `fuzz/`, `cargo +nightly fuzz run <target>`.

mod apk;
mod dpkg;
mod lang;
pub mod limit;
mod os;
mod rpm;
pub use rpm::fuzz_entry_points as rpm_fuzzing;

use drydock_image::{FileMeta, FileVisitor, LayerCache, LayerInfo, Limits, Scan, Target};
use drydock_package::{Inventory, Location, Package, ScanWarning};

pub use os::detect_os;

/// What kind of target is being inventoried: analyzers differ (lockfiles are read in a
/// checkout; installed-package metadata everywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A container image: installed packages, binaries.
    Image,
    /// A directory: a project checkout (lockfiles and manifests) or an unpacked rootfs.
    Fs,
}

/// What one analyzer made of one file.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Analysis {
    #[serde(with = "drydock_package::with_linked")]
    pub packages: Vec<Package>,
    /// Facts about the OS (from os-release and friends).
    pub os: Option<os::OsFacts>,
    /// Problems that did not stop this file's analysis (a nested jar past the bound, …).
    pub warnings: Vec<String>,
}

/// Why an analyzer could not read a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum AnalyzeError {
    #[error("{0}")]
    Malformed(String),
    #[error("line {line}: {reason}")]
    AtLine { line: usize, reason: String },
}

impl AnalyzeError {
    pub fn malformed(reason: impl Into<String>) -> Self {
        AnalyzeError::Malformed(reason.into())
    }
}

/// One analyzer: a package database or file format.
pub trait Analyzer: Send + Sync {
    /// A short name for warnings and errors (`dpkg`, `npm-lock`, …).
    fn name(&self) -> &'static str;
    /// Whether this analyzer reads the file at `path` (relative to the target root, no
    /// leading `/`). Called for every file of every layer: decide on the path and `meta` alone.
    fn wants(&self, path: &str, meta: &FileMeta, mode: Mode) -> bool;
    /// Turns one file into packages. Packages without locations get the file's.
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError>;
    /// Whether an unreadable file is fatal (OS package databases) or a warning.
    fn fatal(&self) -> bool {
        false
    }
}

/// Every analyzer drydock runs, in one explicit list.
pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    let mut v: Vec<Box<dyn Analyzer>> = vec![
        Box::new(os::OsReleaseAnalyzer),
        Box::new(dpkg::DpkgAnalyzer),
        Box::new(apk::ApkAnalyzer),
        Box::new(rpm::RpmAnalyzer),
    ];
    v.extend(lang::analyzers());
    v
}

/// An OS package database that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    #[error(transparent)]
    Image(#[from] drydock_image::ImageError),
    #[error("{analyzer} database `{path}`{}: {reason}", layer.as_ref().map(|l| format!(" (layer `{l}`)")).unwrap_or_default())]
    Database {
        analyzer: &'static str,
        path: String,
        layer: Option<String>,
        reason: AnalyzeError,
    },
}

/// Options for [`inventory`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub limits: Limits,
    /// Serve unchanged layers of images from this cache and record the layers walked
    /// ([`drydock_image::LayerCache`]); `None` reads every layer.
    pub cache: Option<LayerCache>,
}

/// An inventory with the layers it came from.
#[derive(Debug)]
pub struct InventoryResult {
    pub inventory: Inventory,
    pub layers: Vec<LayerInfo>,
}

type FileOutcome = Vec<(usize, Result<Analysis, AnalyzeError>)>;

struct Visitor<'a> {
    analyzers: &'a [Box<dyn Analyzer>],
    mode: Mode,
}

impl FileVisitor for Visitor<'_> {
    type Output = FileOutcome;

    fn wants(&self, path: &str, meta: &FileMeta) -> bool {
        self.analyzers
            .iter()
            .any(|a| a.wants(path, meta, self.mode))
    }

    fn visit(&self, path: &str, meta: &FileMeta, content: &[u8]) -> FileOutcome {
        self.analyzers
            .iter()
            .enumerate()
            .filter(|(_, a)| a.wants(path, meta, self.mode))
            .map(|(i, a)| {
                // Every analyzer is held to the bound, whether or not it checks while parsing.
                let outcome = a.analyze(path, content).and_then(|r| {
                    if r.packages.len() > limit::bounds().max_packages {
                        return Err(limit::too_many_packages());
                    }
                    for p in &r.packages {
                        limit::package_text(p)?;
                    }
                    Ok(r)
                });
                (i, outcome)
            })
            .collect()
    }

    fn skip_dir(&self, path: &str) -> bool {
        lang::skip_dir(path, self.mode)
    }

    /// The analyzers, the mode, and the build that runs them: analyzer code can change
    /// between builds of one version, so the running executable's size and modification
    /// time are part of the key (a rebuilt or upgraded drydock never reads older walks).
    fn cache_key(&self) -> Option<String> {
        let exe = std::env::current_exe().ok()?.metadata().ok()?;
        let built = exe
            .modified()
            .ok()?
            .duration_since(std::time::SystemTime::UNIX_EPOCH)
            .ok()?;
        let names: Vec<&str> = self.analyzers.iter().map(|a| a.name()).collect();
        // A file refused under one bound is read under a higher one.
        let bounds = limit::bounds();
        Some(format!(
            "drydock-inventory {} {:?} [{}] packages {} document {} exe {} {}",
            env!("CARGO_PKG_VERSION"),
            self.mode,
            names.join(","),
            bounds.max_packages,
            bounds.max_document_size,
            exe.len(),
            built.as_nanos()
        ))
    }
}

/// Inventories a target with every analyzer.
pub fn inventory(
    target: &Target,
    mode: Mode,
    opts: &Options,
) -> Result<InventoryResult, InventoryError> {
    let list = analyzers();
    inventory_with(target, mode, opts, &list)
}

/// Inventories a target with the given analyzers.
pub fn inventory_with(
    target: &Target,
    mode: Mode,
    opts: &Options,
    analyzers: &[Box<dyn Analyzer>],
) -> Result<InventoryResult, InventoryError> {
    let visitor = Visitor { analyzers, mode };
    let scan = match &opts.cache {
        Some(cache) => target.scan_cached(&visitor, &opts.limits, cache)?,
        None => target.scan_with(&visitor, &opts.limits)?,
    };
    assemble(scan, analyzers)
}

/// Inventories a target with every analyzer and, in the same walk over each layer, runs
/// `along` (the misconfiguration and secret checks): each layer is read and inflated once.
/// Such walks do not use the layer cache (`opts.cache` is ignored).
pub fn inventory_along<W: FileVisitor>(
    target: &Target,
    mode: Mode,
    opts: &Options,
    along: &W,
) -> Result<(InventoryResult, Scan<W::Output>), InventoryError> {
    let list = analyzers();
    let visitor = Visitor {
        analyzers: &list,
        mode,
    };
    let (scan, other) = target
        .scan_with(&drydock_image::Pair::new(&visitor, along), &opts.limits)?
        .unzip();
    Ok((assemble(scan, &list)?, other))
}

/// Turns the analyzers' outputs of a walk into an inventory.
fn assemble(
    scan: Scan<FileOutcome>,
    analyzers: &[Box<dyn Analyzer>],
) -> Result<InventoryResult, InventoryError> {
    let mut inv = Inventory::default();
    let mut os_facts = Vec::new();
    for w in scan.warnings {
        inv.warnings.push(ScanWarning {
            path: w.path,
            layer: None,
            source: "layer-walk".into(),
            message: w.message,
        });
    }
    for file in scan.files {
        let layer_id = scan
            .layers
            .get(file.layer)
            .and_then(|l| l.diff_id.as_ref())
            .map(|d| d.to_string());
        for (i, outcome) in file.output {
            let analyzer = &analyzers[i];
            match outcome {
                Ok(analysis) => {
                    for mut p in analysis.packages {
                        if p.locations.is_empty() {
                            p.locations
                                .push(Location::new(layer_id.clone(), file.path.clone()));
                        }
                        lang::inherit_layer(&mut p.locations, layer_id.as_deref());
                        inv.packages.push(p);
                    }
                    if let Some(f) = analysis.os {
                        os_facts.push((file.path.clone(), f));
                    }
                    for message in analysis.warnings {
                        inv.warnings.push(ScanWarning {
                            path: file.path.clone(),
                            layer: layer_id.clone(),
                            source: analyzer.name().into(),
                            message,
                        });
                    }
                }
                Err(reason) if analyzer.fatal() => {
                    return Err(InventoryError::Database {
                        analyzer: analyzer.name(),
                        path: file.path,
                        layer: layer_id,
                        reason,
                    });
                }
                Err(reason) => inv.warnings.push(ScanWarning {
                    path: file.path.clone(),
                    layer: layer_id.clone(),
                    source: analyzer.name().into(),
                    message: reason.to_string(),
                }),
            }
        }
    }
    inv.os = detect_os(&os_facts);
    inv.normalize();
    Ok(InventoryResult {
        inventory: inv,
        layers: scan.layers,
    })
}
