//! The inventory model: what drydock found installed.
//!
//! Every stage after the layer walk speaks these types:
//!
//! - [`Ecosystem`]: where a package comes from, named as in purl types (`deb`, `rpm`, `apk`,
//!   `npm`, `pypi`, `cargo`, `golang`, `maven`, `gem`, `nuget`, `composer`).
//! - [`Package`]: one installed package: ecosystem, normalized name, version, optional source
//!   package, purl, and every [`Location`] (layer digest + path) it was seen at.
//! - [`Os`]: the distribution of an image (family + version).
//! - [`Inventory`]: the OS and the packages of one target, plus [`ScanWarning`]s for inputs
//!   that could not be read (the scan goes on; `--strict` turns them into errors).
//!
//! ```
//! use drydock_package::{Ecosystem, Package, Location};
//! let mut p = Package::new(Ecosystem::Pypi, "Django", "3.2.0");
//! p.locations.push(Location::new(Some("sha256:ab".into()), "usr/lib/python3/site-packages/Django-3.2.0.dist-info/METADATA"));
//! assert_eq!(p.name, "django");
//! assert_eq!(p.purl(None), "pkg:pypi/django@3.2.0");
//! ```

mod ecosystem;
mod os;
mod purl;
pub mod text;

pub use ecosystem::{Ecosystem, UnknownEcosystem, normalize_name};
pub use os::{Os, OsFamily};
pub use purl::purl_encode;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Where a package was found: the layer (by its uncompressed digest, `diff_id`) and the path inside
/// the image. `layer` is `None` for a plain directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    pub path: String,
}

impl Location {
    pub fn new(layer: Option<String>, path: impl Into<String>) -> Self {
        Location {
            layer,
            path: path.into(),
        }
    }
}

/// The source package a binary package was built from (`Source:` in dpkg, `origin` in apk, the
/// source rpm). Distro advisories are written against source packages.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourcePackage {
    pub name: String,
    /// `None` when the source version equals the binary version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Package {
    pub ecosystem: Ecosystem,
    /// The name as the ecosystem normalizes it (see [`normalize_name`]). Maven names are
    /// `group:artifact`; Go names are module paths.
    pub name: String,
    /// The version as installed, in the ecosystem's own syntax. For rpm this is
    /// `[epoch:]version-release`, for dpkg `[epoch:]upstream[-revision]`.
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePackage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// SPDX licence expression or declared licence strings, as found.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub licenses: Vec<String>,
    pub locations: Vec<Location>,
    /// The code the binary this package was found in links from it (Go: read from the
    /// pclntab); `None` when the package was not found in a binary. Not part of any report:
    /// matching turns it into reachability evidence on findings. The layer cache keeps it
    /// through [`with_linked`].
    #[serde(skip)]
    pub linked: Option<LinkedSymbols>,
}

/// What one or more binaries link from a package: symbols by import path, named as the Go
/// vulnerability database names them (`Server.Serve` in `net/http`); for Rust, function
/// paths by crate (`smallvec::SmallVec::push` under `smallvec`).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LinkedSymbols {
    pub packages: BTreeMap<String, BTreeSet<String>>,
    /// Why the function table of (one of) the binaries could not be read, or another location
    /// of the package has none: then absence proves nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    /// The binary's `GOOS` (Go), when known and the same for every binary merged in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goos: Option<String>,
    /// The binary's `GOARCH` (Go), likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goarch: Option<String>,
}

impl LinkedSymbols {
    /// The union of two binaries' symbols (a package merged from several locations).
    fn merge(a: Option<Self>, b: Option<Self>) -> Option<Self> {
        match (a, b) {
            (None, None) => None,
            (Some(mut a), Some(b)) => {
                for (path, syms) in b.packages {
                    a.packages.entry(path).or_default().extend(syms);
                }
                a.unreadable = a.unreadable.or(b.unreadable);
                // Binaries of different platforms: no one platform to rule imports out by.
                if a.goos != b.goos {
                    a.goos = None;
                }
                if a.goarch != b.goarch {
                    a.goarch = None;
                }
                Some(a)
            }
            (Some(mut s), None) | (None, Some(mut s)) => {
                s.unreadable.get_or_insert_with(|| {
                    "the package was also found without a function or symbol table".into()
                });
                Some(s)
            }
        }
    }
}

/// Serializes packages with their [`Package::linked`] symbols (which reports leave out): for
/// caches of analyzer output, `#[serde(with = "drydock_package::with_linked")]`.
pub mod with_linked {
    use super::{LinkedSymbols, Package};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(packages: &[Package], s: S) -> Result<S::Ok, S::Error> {
        let pairs: Vec<(&Package, &Option<LinkedSymbols>)> =
            packages.iter().map(|p| (p, &p.linked)).collect();
        pairs.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Package>, D::Error> {
        let pairs: Vec<(Package, Option<LinkedSymbols>)> = Vec::deserialize(d)?;
        Ok(pairs
            .into_iter()
            .map(|(mut p, l)| {
                p.linked = l;
                p
            })
            .collect())
    }
}

impl Package {
    /// A package with its name normalized for `ecosystem` and no location yet.
    pub fn new(ecosystem: Ecosystem, name: &str, version: impl Into<String>) -> Self {
        Package {
            ecosystem,
            name: normalize_name(ecosystem, name),
            version: version.into(),
            source: None,
            arch: None,
            licenses: Vec::new(),
            locations: Vec::new(),
            linked: None,
        }
    }

    /// The package URL (<https://github.com/package-url/purl-spec>). OS packages carry the
    /// distribution as the `distro` qualifier when `os` is known.
    pub fn purl(&self, os: Option<&Os>) -> String {
        purl::package_purl(self, os)
    }

    /// The source package name, or the package's own name when it has none.
    pub fn source_name(&self) -> &str {
        self.source.as_ref().map_or(&self.name, |s| &s.name)
    }

    /// The source package version, or the package's own version.
    pub fn source_version(&self) -> &str {
        self.source
            .as_ref()
            .and_then(|s| s.version.as_deref())
            .unwrap_or(&self.version)
    }
}

/// A problem with one input that did not stop the scan: a malformed package database or
/// lockfile, a jar past the nesting bound. `--strict` makes these fatal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScanWarning {
    /// The file (path inside the image or directory) the warning is about.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// Which analyzer or stage raised it (`dpkg`, `npm-lock`, `layer-walk`, …).
    pub source: String,
    pub message: String,
}

impl std::fmt::Display for ScanWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: `{}`", self.source, self.path)?;
        if let Some(layer) = &self.layer {
            write!(f, " (layer {layer})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything found in one target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<Os>,
    pub packages: Vec<Package>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<ScanWarning>,
}

impl Inventory {
    /// Sorts packages and merges duplicates (same ecosystem, name, version, source and arch)
    /// into one package with all their locations, so output is deterministic.
    pub fn normalize(&mut self) {
        let mut packages = std::mem::take(&mut self.packages);
        packages.sort_by(|a, b| {
            (a.ecosystem, &a.name, &a.version, &a.source, &a.arch).cmp(&(
                b.ecosystem,
                &b.name,
                &b.version,
                &b.source,
                &b.arch,
            ))
        });
        let mut out: Vec<Package> = Vec::with_capacity(packages.len());
        for mut p in packages {
            match out.last_mut() {
                Some(last)
                    if last.ecosystem == p.ecosystem
                        && last.name == p.name
                        && last.version == p.version
                        && last.source == p.source
                        && last.arch == p.arch =>
                {
                    last.locations.append(&mut p.locations);
                    last.linked = LinkedSymbols::merge(last.linked.take(), p.linked.take());
                    if last.licenses.is_empty() {
                        last.licenses = p.licenses;
                    }
                }
                _ => out.push(p),
            }
        }
        for p in &mut out {
            p.locations.sort();
            p.locations.dedup();
        }
        self.packages = out;
        self.warnings.sort();
        self.warnings.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_merges_duplicates_and_sorts() {
        let mut a = Package::new(Ecosystem::Npm, "lodash", "4.17.15");
        a.locations
            .push(Location::new(None, "b/node_modules/lodash/package.json"));
        let mut b = a.clone();
        b.locations = vec![Location::new(None, "a/node_modules/lodash/package.json")];
        let c = Package::new(Ecosystem::Apk, "musl", "1.1.18-r3");
        let mut inv = Inventory {
            os: None,
            packages: vec![a, c, b],
            warnings: vec![],
        };
        inv.normalize();
        assert_eq!(inv.packages.len(), 2);
        assert_eq!(inv.packages[0].ecosystem, Ecosystem::Apk);
        assert_eq!(inv.packages[1].locations.len(), 2);
        assert!(inv.packages[1].locations[0].path.starts_with("a/"));
    }
}
