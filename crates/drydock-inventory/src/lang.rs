//! Language ecosystems: installed-package metadata, binaries and lockfiles.
//!
//! One module per ecosystem, one [`Analyzer`] per file format. What each reads, by [`Mode`]:
//!
//! | ecosystem | both modes (installed packages, binaries) | [`Mode::Fs`] only (checkouts) |
//! |---|---|---|
//! | pypi | `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, `*.egg-info` files, in `site-packages`/`dist-packages` | `requirements*.txt` (`==` pins), `poetry.lock`, `Pipfile.lock`, `uv.lock` |
//! | npm | `package.json` under `node_modules` (nested too); in images every `package.json` | `package-lock.json` v1–v3, `yarn.lock` v1 and berry, `pnpm-lock.yaml` |
//! | cargo | `Cargo.lock`; binaries built with `cargo auditable` (`.dep-v0`) | |
//! | golang | binaries' build info (`stdlib`, main module, dependencies, `=>` replacements) | `go.mod` |
//! | maven | `.jar`/`.war`/`.ear`/`.par`/`.sar`/`.kar`/`.jpi`/`.hpi` (nested jars to a bound) | `pom.xml` (literal versions), `gradle.lockfile` |
//! | gem | `specifications/*.gemspec` | `Gemfile.lock` |
//! | composer | `vendor/composer/installed.json` | `composer.lock` |
//! | nuget | `*.deps.json`, `packages.lock.json` | |
//!
//! **Lockfiles in images.** An image holds what was installed, and a lockfile is what was
//! planned at build time: a later layer can replace `node_modules/moment` and leave
//! `package-lock.json` saying the old version. So in [`Mode::Image`] lockfiles are not read
//! (as Trivy and Syft do: their lockfile analyzers/catalogers run on directories only); the
//! exceptions are `Cargo.lock` and `packages.lock.json`, whose packages are compiled into the
//! binaries next to them and cannot be replaced one by one (Trivy reads both in images).
//! In [`Mode::Fs`] every analyzer runs: a checkout's lockfiles, and a rootfs's installed
//! packages.
//!
//! **Where a package was found.** Packages carry the file's location. Packages of a jar nested
//! in a jar are located at `outer.jar!/BOOT-INF/lib/inner.jar`, the JDK's own `jar:` URL
//! syntax.
//!
//! **Which directories are walked** ([`skip_dir`], directories only): see there.

use drydock_image::{EntryKind, FileMeta};
use drydock_package::Location;

use crate::{Analyzer, Mode};

mod binary;
mod dotnet;
mod golang;
mod java;
mod node;
mod php;
mod python;
mod ruby;
mod rust;
mod text_lockfile;
mod toml_lock;

/// Every language analyzer, in one explicit list.
pub(crate) fn analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(python::InstalledAnalyzer),
        Box::new(python::REQUIREMENTS),
        Box::new(python::PoetryUvAnalyzer),
        Box::new(python::PipfileLockAnalyzer),
        Box::new(node::PackageJsonAnalyzer),
        Box::new(node::PackageLockAnalyzer),
        Box::new(node::YarnLockAnalyzer),
        Box::new(node::PNPM_LOCK),
        Box::new(rust::CargoLockAnalyzer),
        Box::new(binary::BinaryAnalyzer),
        Box::new(golang::GO_MOD),
        Box::new(java::JarAnalyzer),
        Box::new(java::POM),
        Box::new(java::GradleLockAnalyzer),
        Box::new(ruby::GemspecAnalyzer),
        Box::new(ruby::GEMFILE_LOCK),
        Box::new(php::InstalledJsonAnalyzer),
        Box::new(php::ComposerLockAnalyzer),
        Box::new(dotnet::DepsJsonAnalyzer),
        Box::new(dotnet::PackagesLockAnalyzer),
    ]
}

/// Directories of a directory target not to descend into (only [`Mode::Fs`] walks
/// directories; `path` is relative to the target root, without a leading `/`).
///
/// - `.git`, `.hg`, `.svn` anywhere: version-control data, never an installed package.
/// - `proc`, `sys`, `dev` at the root: a live system's pseudo-filesystems.
/// - A Cargo or Maven build directory's intermediate outputs: `target/<profile>/deps`,
///   `…/build`, `…/incremental`, `…/.fingerprint` and `target/package`. They hold copies of the
///   binaries in `target/<profile>/` (which are walked: a binary lives there) and unpacked build
///   scripts' sources, and can be many gigabytes.
///
/// `node_modules` is walked (installed packages live there: their `package.json` is read),
/// but the lockfiles inside it are not read: a dependency's own lockfile lists *its*
/// development dependencies, not what is installed (see [`in_dependency_dir`]). Trivy skips
/// only `.git` (and `proc`, `sys`, `dev` for a rootfs); drydock also skips build outputs.
pub(crate) fn skip_dir(path: &str, mode: Mode) -> bool {
    if mode != Mode::Fs {
        return false;
    }
    let (parent, name) = match path.rsplit_once('/') {
        Some((p, n)) => (p, n),
        None => ("", path),
    };
    if matches!(name, ".git" | ".hg" | ".svn") {
        return true;
    }
    if parent.is_empty() && matches!(name, "proc" | "sys" | "dev") {
        return true;
    }
    let parent_name = file_name(parent);
    (parent_name == "target" && name == "package")
        || (matches!(name, "deps" | "build" | "incremental" | ".fingerprint")
            && is_target_profile(parent))
}

/// `…/target/<profile>` or `target/<profile>`.
fn is_target_profile(dir: &str) -> bool {
    let mut it = dir.rsplit('/');
    let _profile = it.next();
    it.next() == Some("target")
}

/// Locations an analyzer set itself (a jar nested in a jar) are in the layer of the file it
/// read.
pub(crate) fn inherit_layer(locations: &mut [Location], layer: Option<&str>) {
    for l in locations.iter_mut().filter(|l| l.layer.is_none()) {
        l.layer = layer.map(str::to_string);
    }
}

/// The last component of a path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether a path lies inside an installed dependency (`node_modules/`, `vendor/`, Cargo's
/// download cache `.cargo/registry/`), where a lockfile belongs to the dependency's own
/// development, not to what is installed.
pub(crate) fn in_dependency_dir(path: &str) -> bool {
    path.starts_with("node_modules/")
        || path.contains("/node_modules/")
        || path.starts_with("vendor/")
        || path.contains("/vendor/")
        || path.contains(".cargo/registry/")
        || path.contains(".cargo/git/")
}

/// Whether a lockfile at `path` is read in `mode`: only in checkouts, and not inside a
/// dependency's directory.
pub(crate) fn wants_lockfile(path: &str, mode: Mode) -> bool {
    mode == Mode::Fs && !in_dependency_dir(path)
}

/// A regular file (not a link) the walk hands over.
pub(crate) fn is_file(meta: &FileMeta) -> bool {
    meta.kind == EntryKind::File || meta.kind == EntryKind::Hardlink
}

/// A short, printable prefix of untrusted text for error messages.
pub(crate) fn excerpt(s: &str) -> String {
    drydock_image::text::shown_max(s, 60).into_owned()
}

/// Decodes UTF-8 or says why not.
pub(crate) fn utf8(content: &[u8]) -> Result<&str, crate::AnalyzeError> {
    let content = content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content);
    std::str::from_utf8(content)
        .map_err(|e| crate::AnalyzeError::malformed(format!("not UTF-8 text ({e})")))
}

/// A JSON document into `T`, errors naming line and column.
pub(crate) fn json<'a, T: serde::Deserialize<'a>>(
    content: &'a [u8],
) -> Result<T, crate::AnalyzeError> {
    let content = content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content);
    crate::limit::document(content, "JSON")?;
    serde_json::from_slice(content)
        .map_err(|e| crate::AnalyzeError::malformed(format!("invalid JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_vcs_and_build_outputs_in_checkouts_only() {
        for p in [
            ".git",
            "src/.git",
            "proc",
            "target/debug/deps",
            "target/release/build",
            "crates/x/target/debug/incremental",
            "target/package",
        ] {
            assert!(skip_dir(p, Mode::Fs), "{p}");
            assert!(!skip_dir(p, Mode::Image), "{p}");
        }
        for p in [
            "target",
            "target/release",
            "node_modules",
            "app/node_modules/x",
            "usr/proc",
            "src/build",
            "deps",
            "build",
            "x/build/deps",
        ] {
            assert!(!skip_dir(p, Mode::Fs), "{p}");
        }
    }

    #[test]
    fn dependency_dirs() {
        assert!(in_dependency_dir("node_modules/x/yarn.lock"));
        assert!(in_dependency_dir("app/vendor/a/b/composer.lock"));
        assert!(in_dependency_dir(
            "root/.cargo/registry/src/index.crates.io-1/ripgrep-14.1.0/Cargo.lock"
        ));
        assert!(!in_dependency_dir("app/yarn.lock"));
    }
}
