//! Findings grouped as Trivy groups its results: the OS packages first, then each lockfile or
//! binary (`usr/local/bin/hello-go (gobinary)`, `app/requirements.txt (pip)`), then the
//! packages installed one directory each (`Python (python-pkg)`, `Node.js (node-pkg)`).
//!
//! So 80 `stdlib` rows say which binary they come from, and `regex 1.5.4` whether it is the
//! cargo or the PyPI one. A package found in two lockfiles is listed under both.

use std::collections::BTreeMap;

use drydock_package::{Ecosystem, Location};
use drydock_policy::Decision;

use crate::model::{TargetReport, is_reported};

/// One group of a target's findings.
#[derive(Debug, Clone)]
pub struct FindingGroup<'a> {
    /// What the reader sees: `debian 12.5 (debian)`, `usr/local/bin/hello-go (gobinary)`.
    pub label: String,
    /// The lockfile or binary; `None` for the OS packages and for packages installed one
    /// directory each (their paths are on each finding).
    pub path: Option<String>,
    /// The kind of source, as Trivy names it: `debian`, `alpine`, `gobinary`, `cargo`, `pip`,
    /// `python-pkg`, `npm`, `node-pkg`, `jar`, …
    pub kind: String,
    pub ecosystem: Ecosystem,
    /// The findings, in report order.
    pub findings: Vec<&'a Decision>,
}

impl FindingGroup<'_> {
    /// Whether this group holds the OS packages.
    pub fn is_os(&self) -> bool {
        self.ecosystem.is_os()
    }
}

/// Where a finding is listed: one key per distinct group of its locations.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    /// 0: OS packages; 1: lockfiles and binaries, by path; 2: per-package installs.
    rank: u8,
    label: String,
    path: Option<String>,
    kind: String,
    ecosystem: Ecosystem,
}

/// The kind of a language source from its ecosystem and the path a package was found at, and
/// whether that path is one package's own metadata (grouped by language, not by path).
pub fn source_kind(ecosystem: Ecosystem, path: &str) -> (&'static str, bool) {
    let file = path.rsplit('/').next().unwrap_or(path);
    let in_modules = path.contains("node_modules/");
    match ecosystem {
        Ecosystem::Cargo if file == "Cargo.lock" => ("cargo", false),
        Ecosystem::Cargo => ("rustbinary", false),
        Ecosystem::Golang if file == "go.mod" || file == "go.sum" => ("gomod", false),
        Ecosystem::Golang => ("gobinary", false),
        Ecosystem::Pypi => match file {
            "Pipfile.lock" => ("pipenv", false),
            "poetry.lock" => ("poetry", false),
            "uv.lock" => ("uv", false),
            "METADATA" | "PKG-INFO" => ("python-pkg", true),
            f if f.ends_with(".txt") => ("pip", false),
            _ if path.contains(".dist-info/") || path.contains(".egg-info") => ("python-pkg", true),
            _ => ("pip", false),
        },
        Ecosystem::Npm => match file {
            "package-lock.json" | "npm-shrinkwrap.json" if !in_modules => ("npm", false),
            "yarn.lock" => ("yarn", false),
            "pnpm-lock.yaml" => ("pnpm", false),
            "bun.lock" => ("bun", false),
            _ => ("node-pkg", true),
        },
        Ecosystem::Gem => match file {
            "Gemfile.lock" => ("bundler", false),
            _ => ("gemspec", true),
        },
        Ecosystem::Composer => match file {
            "composer.lock" => ("composer", false),
            _ => ("composer-vendor", false),
        },
        Ecosystem::Nuget => match file {
            "packages.lock.json" => ("nuget", false),
            "packages.config" => ("packages-config", false),
            f if f.ends_with(".deps.json") => ("dotnet-core", false),
            _ => ("nuget", false),
        },
        Ecosystem::Maven => match file {
            "pom.xml" => ("pom", false),
            "gradle.lockfile" => ("gradle", false),
            _ => ("jar", true),
        },
        Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Apk => ("os", false),
    }
}

/// The language name Trivy gives per-package installs (`Python (python-pkg)`).
fn language(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Pypi => "Python",
        Ecosystem::Npm => "Node.js",
        Ecosystem::Maven => "Java",
        Ecosystem::Gem => "Ruby",
        Ecosystem::Cargo => "Rust",
        Ecosystem::Golang => "Go",
        Ecosystem::Composer => "PHP",
        Ecosystem::Nuget => ".NET",
        Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Apk => "OS",
    }
}

fn keys(t: &TargetReport, ecosystem: Ecosystem, locations: &[Location]) -> Vec<Key> {
    if ecosystem.is_os() {
        let (kind, label) = match &t.os {
            Some(os) => (
                os.family.as_str().to_string(),
                format!("{} {} ({})", os.family, os.version, os.family),
            ),
            None => (
                ecosystem.as_str().to_string(),
                format!("OS packages ({ecosystem})"),
            ),
        };
        return vec![Key {
            rank: 0,
            label,
            path: None,
            kind,
            ecosystem,
        }];
    }
    let mut out: Vec<Key> = locations
        .iter()
        .map(|l| {
            let (kind, per_package) = source_kind(ecosystem, &l.path);
            if per_package {
                Key {
                    rank: 2,
                    label: format!("{} ({kind})", language(ecosystem)),
                    path: None,
                    kind: kind.to_string(),
                    ecosystem,
                }
            } else {
                Key {
                    rank: 1,
                    label: format!("{} ({kind})", l.path),
                    path: Some(l.path.clone()),
                    kind: kind.to_string(),
                    ecosystem,
                }
            }
        })
        .collect();
    if out.is_empty() {
        out.push(Key {
            rank: 2,
            label: format!("{} ({ecosystem})", language(ecosystem)),
            path: None,
            kind: ecosystem.as_str().to_string(),
            ecosystem,
        });
    }
    out.sort();
    out.dedup();
    out
}

/// The shown findings of `t` (reported ones, plus the others when `show_suppressed`) in
/// groups: OS packages first, then lockfiles and binaries by path, then per-package installs.
/// A group with no shown finding is left out.
pub fn finding_groups(t: &TargetReport, show_suppressed: bool) -> Vec<FindingGroup<'_>> {
    let mut groups: BTreeMap<Key, Vec<&Decision>> = BTreeMap::new();
    for d in &t.findings {
        if !show_suppressed && !is_reported(d) {
            continue;
        }
        let f = &d.finding;
        for k in keys(t, f.ecosystem, &f.locations) {
            groups.entry(k).or_default().push(d);
        }
    }
    groups
        .into_iter()
        .map(|(k, findings)| FindingGroup {
            label: k.label,
            path: k.path,
            kind: k.kind,
            ecosystem: k.ecosystem,
            findings,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_paths() {
        let k = |e, p| source_kind(e, p).0;
        assert_eq!(k(Ecosystem::Golang, "usr/local/bin/hello-go"), "gobinary");
        assert_eq!(k(Ecosystem::Cargo, "app/Cargo.lock"), "cargo");
        assert_eq!(k(Ecosystem::Cargo, "usr/local/bin/hello-rs"), "rustbinary");
        assert_eq!(k(Ecosystem::Pypi, "app/requirements.txt"), "pip");
        assert_eq!(
            k(
                Ecosystem::Pypi,
                "usr/lib/python3/dist-packages/Django-3.2.dist-info/METADATA"
            ),
            "python-pkg"
        );
        assert_eq!(k(Ecosystem::Npm, "app/package-lock.json"), "npm");
        assert_eq!(
            k(Ecosystem::Npm, "app/node_modules/lodash/package.json"),
            "node-pkg"
        );
    }
}
