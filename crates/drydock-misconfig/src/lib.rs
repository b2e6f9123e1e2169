//! Misconfiguration and secret checks on Dockerfiles and container images.
//!
//! drydock reads what it already reads for vulnerabilities — the image config, its history,
//! the files of every layer — plus a Dockerfile when one is given, and reports findings
//! judged by exploitability rather than hygiene (a missing `yum clean all` is LOW here).
//!
//! - [`Dockerfile`]: our own parser (heredocs, continuations, the escape directive, JSON and
//!   shell forms, `ARG` before `FROM`, multi-stage), never panicking on bad input.
//! - [`scan_dockerfile`] / [`check_dockerfile`]: the Dockerfile checks.
//! - [`scan_image`]: config, history and layer-file checks on a [`drydock_image::Target`],
//!   including secrets a later layer deleted but a lower layer still ships (DD-306).
//! - [`catalog::CHECKS`]: every check with its id, severity, rationale and peer ids.
//!
//! Every result is a [`MisconfigFinding`] with an id, a title, a [`Severity`], an
//! [`Evidence`] (Dockerfile line, config field, history entry, or layer + path), a fix hint
//! and a stable fingerprint. Secret values are never kept in full: findings carry a masked
//! prefix ([`mask`]).
//!
//! ```no_run
//! let scan = drydock_misconfig::scan_dockerfile(std::path::Path::new("Dockerfile"))?;
//! for f in &scan.findings {
//!     println!("{} {} {} — {}", f.severity, f.id, f.evidence.location(), f.title);
//! }
//! # Ok::<(), drydock_misconfig::Error>(())
//! ```
//!
//! Token formats (see [`secret`]) are written from vendor documentation; their ids follow
//! the Trivy (Apache-2.0) and gitleaks (MIT) rule names so results can be compared.

pub mod catalog;
pub mod checks;
pub mod dockerfile;
mod finding;
pub mod image;
pub mod secret;
pub mod shell;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use catalog::{CHECKS, Check};
pub use checks::config::mask_history;
pub use checks::files::{FileLimits, Output as FileOutput};
pub use dockerfile::{Dockerfile, ParseError, ParseWarning};
pub use finding::{Evidence, MisconfigFinding, Severity, cut, mask, sort};

use catalog as cat;
use checks::files::{self, Output};

/// Why a scan could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{path}`: {source}")]
    Parse { path: PathBuf, source: ParseError },
    #[error("image config of `{path}`: {reason}")]
    Config { path: PathBuf, reason: String },
    #[error(transparent)]
    Image(#[from] drydock_image::ImageError),
}

pub type Result<T> = std::result::Result<T, Error>;

/// What to check on an image.
#[derive(Debug, Clone)]
pub struct Options {
    /// Misconfiguration checks (config, history, accounts, setuid, Dockerfile).
    pub misconfig: bool,
    /// Secret checks (secret-named variables, token formats, credential files, hidden secrets).
    pub secret: bool,
    /// The path the target was opened from (a layout directory or an archive; `LAYOUT:TAG`
    /// accepted): where the config document is read from.
    pub image_path: Option<PathBuf>,
    /// A Dockerfile to check along with the image.
    pub dockerfile: Option<PathBuf>,
    pub limits: FileLimits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            misconfig: true,
            secret: true,
            image_path: None,
            dockerfile: None,
            limits: FileLimits::default(),
        }
    }
}

/// Findings plus what could not be checked.
#[derive(Debug, Default, serde::Serialize)]
pub struct Outcome {
    pub findings: Vec<MisconfigFinding>,
    pub warnings: Vec<String>,
}

/// Ids of the checks that are about secrets (`--scanners secret`); the others are
/// misconfigurations (`--scanners misconfig`).
pub fn is_secret_check(id: &str) -> bool {
    matches!(
        id,
        "DD-105" | "DD-106" | "DD-107" | "DD-113" | "DD-304" | "DD-305" | "DD-306"
    )
}

/// Whether a path's file name is a Dockerfile's: `Dockerfile`, `Containerfile`,
/// `*.Dockerfile`, `Dockerfile.*`.
pub fn is_dockerfile_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Dockerfile"
        || name == "Containerfile"
        || name.ends_with(".Dockerfile")
        || name.starts_with("Dockerfile.")
}

/// Checks a parsed Dockerfile; `name` is how the file appears in the evidence.
pub fn check_dockerfile(df: &Dockerfile, name: &str) -> Vec<MisconfigFinding> {
    let mut f = checks::dockerfile::check(df, name);
    sort(&mut f);
    f
}

/// Reads, parses and checks a Dockerfile. Parse warnings come back as warnings.
pub fn scan_dockerfile(path: &Path) -> Result<Outcome> {
    let bytes = read_bounded(path, dockerfile::MAX_SIZE as u64)?;
    let df = Dockerfile::parse(&bytes).map_err(|source| Error::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path.display().to_string();
    Ok(Outcome {
        findings: check_dockerfile(&df, &name),
        warnings: df.warnings.iter().map(|w| format!("{name}: {w}")).collect(),
    })
}

fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let io_err = |e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let f = std::fs::File::open(path).map_err(io_err)?;
    let mut b = Vec::new();
    f.take(max + 1).read_to_end(&mut b).map_err(io_err)?;
    Ok(b)
}

/// Runs the image checks on `target`: the config and history (when `opts.image_path` names
/// where the target was opened from), the layer files, and `opts.dockerfile` if given. The
/// layers are walked for these checks alone; [`ImageScan`] shares another walk instead.
pub fn scan_image(target: &drydock_image::Target, opts: &Options) -> Result<Outcome> {
    let checks = ImageScan::new(opts.clone(), false);
    let scan = target.scan(checks.visitor())?;
    checks.finish(target, scan)
}

/// The image checks split around the layer walk, so the walk can be shared with the
/// vulnerability inventory (`drydock_inventory::inventory_along`): hand [`ImageScan::visitor`]
/// to the walk, then the walk's [`drydock_image::Scan`] of it to [`ImageScan::finish`].
#[derive(Debug)]
pub struct ImageScan {
    opts: Options,
    visitor: files::Visitor,
}

impl ImageScan {
    /// `dockerfiles`: also check Dockerfiles found among the files (directory targets).
    pub fn new(opts: Options, dockerfiles: bool) -> ImageScan {
        let mut visitor = files::Visitor::new(opts.limits.clone());
        if dockerfiles {
            visitor = visitor.with_dockerfiles();
        }
        ImageScan { opts, visitor }
    }

    /// The layer-file visitor.
    pub fn visitor(&self) -> &files::Visitor {
        &self.visitor
    }

    /// The findings, from the walk of [`ImageScan::visitor`] plus the config, the history
    /// and the Dockerfile.
    pub fn finish(
        &self,
        target: &drydock_image::Target,
        scan: drydock_image::Scan<Output>,
    ) -> Result<Outcome> {
        finish_image(target, &self.opts, &self.visitor, scan)
    }
}

fn finish_image(
    target: &drydock_image::Target,
    opts: &Options,
    visitor: &files::Visitor,
    scan: drydock_image::Scan<Output>,
) -> Result<Outcome> {
    let mut out = Outcome::default();
    if let Some(df) = &opts.dockerfile {
        let d = scan_dockerfile(df)?;
        out.findings.extend(d.findings);
        out.warnings.extend(d.warnings);
    }
    if let (drydock_image::Target::Image(img), Some(path)) = (target, &opts.image_path)
        && let Some(digest) = &img.config_digest
    {
        let path = image::source_path(&path.to_string_lossy());
        let config = image::read_config(&path, digest.as_str())?;
        out.findings.extend(checks::config::check(&config));
    }
    out.warnings.extend(
        scan.warnings
            .iter()
            .map(|w| format!("{}: {}", w.path, w.message)),
    );
    out.warnings.extend(visitor.warnings());
    if visitor.exhausted() {
        out.warnings.push(format!(
            "secret scan: read {} bytes, the bound; further files were not read (raise it with the file limits)",
            visitor.bytes_read()
        ));
    }
    let layer_digest = |i: usize| {
        scan.layers
            .get(i)
            .and_then(|l| l.digest.as_ref())
            .map(|d| d.to_string())
    };
    let is_image = matches!(target, drydock_image::Target::Image(_));
    let layer_ev =
        |i: usize, path: &str, line: Option<usize>, snippet: Option<String>| Evidence::Layer {
            layer: is_image.then_some(i),
            digest: if is_image { layer_digest(i) } else { None },
            path: path.to_string(),
            line,
            snippet,
        };
    let (owned, rpm) = files::owned_paths(scan.files.iter().map(|f| &f.output));
    let mut passwd = None;
    let mut shadow = None;
    let mut visible: BTreeMap<String, [u8; 32]> = BTreeMap::new();
    for f in &scan.files {
        match &f.output {
            Output::Passwd(s) => passwd = Some((f.layer, s.as_str())),
            Output::Shadow(s) => shadow = Some((f.layer, s.as_str())),
            Output::Setuid { mode } => {
                // sudo installed, wherever it came from (the base image's history is not
                // checked for hygiene, and a squashed image has none): only a setuid sudo
                // can raise privileges.
                if matches!(files::canonical(&f.path), "bin/sudo" | "sbin/sudo") {
                    out.findings.push(MisconfigFinding::new(
                        &cat::SUDO,
                        format!("sudo is installed (`/{}`, setuid)", f.path),
                        cat::SUDO.severity,
                        layer_ev(f.layer, &f.path, None, None),
                    ));
                }
                let system = ["usr/", "bin/", "sbin/", "lib"]
                    .iter()
                    .any(|p| f.path.starts_with(p));
                let owned_here = owned.contains(files::canonical(&f.path)) || (rpm && system);
                if !owned_here {
                    let kind = match (mode & 0o4000 != 0, mode & 0o2000 != 0) {
                        (true, true) => "setuid+setgid",
                        (true, false) => "setuid",
                        _ => "setgid",
                    };
                    out.findings.push(MisconfigFinding::new(
                        &cat::SETUID,
                        format!(
                            "{kind} file `/{}` ({:o}) is not owned by a package",
                            f.path,
                            mode & 0o7777
                        ),
                        cat::SETUID.severity,
                        layer_ev(f.layer, &f.path, None, None),
                    ));
                }
            }
            Output::Dockerfile(findings, warnings) => {
                out.findings.extend(findings.iter().cloned());
                out.warnings.extend(warnings.iter().cloned());
            }
            Output::Text(t) => {
                visible.insert(f.path.clone(), t.sha256);
                if let Some(kind) = t.credential {
                    out.findings.push(MisconfigFinding::new(
                        &cat::CREDENTIAL_FILE,
                        format!("{kind} in the image"),
                        cat::CREDENTIAL_FILE.severity,
                        layer_ev(f.layer, &f.path, None, None),
                    ));
                } else if !owned.contains(files::canonical(&f.path)) {
                    for h in &t.hits {
                        out.findings.push(MisconfigFinding::new(
                            &cat::SECRET_IN_FILE,
                            format!("{} ({})", h.title, h.masked),
                            h.severity,
                            layer_ev(f.layer, &f.path, Some(h.line), Some(h.masked.clone())),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    let (empty, uid0) = files::accounts(passwd.map(|p| p.1), shadow.map(|s| s.1));
    for (user, line) in empty {
        let (layer, path) = (shadow.map_or(0, |s| s.0), "etc/shadow");
        out.findings.push(MisconfigFinding::new(
            &cat::EMPTY_PASSWORD,
            format!("account `{user}` has an empty password"),
            if user == "root" {
                Severity::Critical
            } else {
                cat::EMPTY_PASSWORD.severity
            },
            layer_ev(layer, path, Some(line), Some(format!("{user}::…"))),
        ));
    }
    for (user, line) in uid0 {
        let layer = passwd.map_or(0, |p| p.0);
        out.findings.push(MisconfigFinding::new(
            &cat::SECOND_ROOT,
            format!("account `{user}` has UID 0"),
            cat::SECOND_ROOT.severity,
            layer_ev(layer, "etc/passwd", Some(line), None),
        ));
    }
    // Secrets that a later layer deleted or replaced.
    let hidden: Vec<_> = files::hidden(&visitor.seen(), &visible)
        .into_iter()
        .filter(|s| {
            s.credential.is_some()
                || (!s.hits.is_empty() && !owned.contains(files::canonical(&s.path)))
        })
        .collect();
    if is_image && !hidden.is_empty() {
        let mut located = BTreeMap::new();
        if let Some(path) = &opts.image_path {
            let keys: Vec<image::LayerKey> = scan
                .layers
                .iter()
                .map(|l| image::LayerKey {
                    blob_digest: l.digest.as_ref().map(|d| d.to_string()),
                })
                .collect();
            let wanted: Vec<(String, [u8; 32])> =
                hidden.iter().map(|s| (s.path.clone(), s.sha256)).collect();
            let src = image::source_path(&path.to_string_lossy());
            match image::locate(&src, &keys, &wanted, opts.limits.max_file_size) {
                Ok(l) => located = l,
                Err(e) => out.warnings.push(format!(
                    "cannot tell which layer holds a hidden secret: {e}"
                )),
            }
        }
        for s in &hidden {
            let layer = located.get(&(s.path.clone(), s.sha256)).copied();
            let what = s
                .credential
                .map(str::to_string)
                .or_else(|| {
                    s.hits
                        .first()
                        .map(|h| format!("{} ({})", h.title, h.masked))
                })
                .unwrap_or_default();
            out.findings.push(MisconfigFinding::new(
                &cat::DELETED_SECRET,
                format!("{what} was removed by a later layer but is still in a lower one"),
                cat::DELETED_SECRET.severity,
                Evidence::Layer {
                    layer,
                    digest: layer.and_then(layer_digest),
                    path: s.path.clone(),
                    line: s.hits.first().map(|h| h.line),
                    snippet: Some(format!("sha256:{}", hex::encode(s.sha256))),
                },
            ));
        }
    }
    out.findings.retain(|f| {
        if is_secret_check(&f.id) {
            opts.secret
        } else {
            opts.misconfig
        }
    });
    sort(&mut out.findings);
    Ok(out)
}
