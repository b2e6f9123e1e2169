//! Python: installed distributions (`METADATA`, `PKG-INFO`) and checkout lockfiles
//! (`requirements*.txt`, `poetry.lock`, `uv.lock`, `Pipfile.lock`).
//!
//! Names are normalized as PEP 503 says (by [`Package::new`]).

use std::collections::BTreeMap;

use drydock_image::FileMeta;
use drydock_package::{Ecosystem, Package};
use serde::Deserialize;

use super::text_lockfile::TextLockfile;
use super::{excerpt, file_name, is_file, json, toml_lock, wants_lockfile};
use crate::limit::push_package;
use crate::{Analysis, AnalyzeError, Analyzer, Mode};

/// `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, `*.egg/EGG-INFO/PKG-INFO` and single-file
/// `*.egg-info` in a `site-packages` or `dist-packages` directory.
#[derive(Debug)]
pub(crate) struct InstalledAnalyzer;

impl Analyzer for InstalledAnalyzer {
    fn name(&self) -> &'static str {
        "python-metadata"
    }

    fn wants(&self, path: &str, meta: &FileMeta, _mode: Mode) -> bool {
        is_file(meta)
            && (path.ends_with(".dist-info/METADATA")
                || path.ends_with(".egg-info/PKG-INFO")
                || path.ends_with("/EGG-INFO/PKG-INFO")
                || path.ends_with(".egg-info"))
            && (path.contains("site-packages/") || path.contains("dist-packages/"))
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        let p = parse_metadata(content)?;
        Ok(Analysis {
            packages: vec![p],
            ..Analysis::default()
        })
    }
}

/// Core metadata (<https://packaging.python.org/en/latest/specifications/core-metadata/>):
/// RFC 822 style headers up to the first blank line, then the description.
pub(crate) fn parse_metadata(content: &[u8]) -> Result<Package, AnalyzeError> {
    let text = String::from_utf8_lossy(content);
    let (mut name, mut version, mut license, mut license_expr) = (None, None, None, None);
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue; // a folded continuation of the previous header
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(AnalyzeError::AtLine {
                line: i + 1,
                reason: format!("not a `Header: value` line: `{}`", excerpt(line)),
            });
        };
        let value = value.trim();
        match key.to_ascii_lowercase().as_str() {
            "name" => name = Some(value.to_string()),
            "version" => version = Some(value.to_string()),
            "license" if !value.is_empty() && value != "UNKNOWN" => {
                license = Some(value.to_string())
            }
            "license-expression" => license_expr = Some(value.to_string()),
            _ => {}
        }
    }
    let name = name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| AnalyzeError::malformed("no `Name:` header"))?;
    let version = version
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AnalyzeError::malformed(format!("`{name}` has no `Version:` header")))?;
    let mut p = Package::new(Ecosystem::Pypi, &name, version);
    // A long licence text in `License:` is not a licence name.
    if let Some(l) = license_expr.or(license.filter(|l| l.len() <= 100 && !l.contains('\n'))) {
        p.licenses.push(l);
    }
    Ok(p)
}

/// `requirements*.txt`: only exact pins (`name==1.2.3`, `name[extra]===1.2.3 ; marker`) name
/// an installed version; ranges, URLs and options (`-r`, `-e`, `--hash`) are not packages.
pub(crate) const REQUIREMENTS: TextLockfile = TextLockfile {
    name: "pip-requirements",
    is_named: |name| name.starts_with("requirements") && name.ends_with(".txt"),
    parse: parse_requirements,
};

fn parse_requirements(text: &str) -> Result<Vec<Package>, AnalyzeError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        // ` #` starts a comment; a trailing `\` continues the line (only options follow).
        let line = match raw.find(" #") {
            Some(at) => &raw[..at],
            None if raw.trim_start().starts_with('#') => "",
            None => raw,
        };
        let line = line.trim().trim_end_matches('\\').trim();
        if line.is_empty() || line.starts_with('-') {
            continue;
        }
        let spec = line.split(';').next().unwrap_or(line).trim();
        let Some((name, version)) = spec.split_once("==") else {
            continue;
        };
        let version = version.trim_start_matches('=');
        let version = version.split_whitespace().next().unwrap_or("");
        let name = name.split('[').next().unwrap_or(name).trim();
        if name.contains("://") || name.contains('@') || version.contains(['*', ',', '<', '>']) {
            continue;
        }
        if name.is_empty()
            || version.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(AnalyzeError::AtLine {
                line: i + 1,
                reason: format!("not a requirement: `{}`", excerpt(line)),
            });
        }
        out.push(Package::new(Ecosystem::Pypi, name, version));
    }
    Ok(out)
}

/// `poetry.lock` and `uv.lock`: TOML with one `[[package]]` table (`name`, `version`) per
/// locked distribution. uv's own project (an editable or virtual source) is left out.
#[derive(Debug)]
pub(crate) struct PoetryUvAnalyzer;

#[derive(Deserialize)]
struct TomlLockPackage {
    name: String,
    version: Option<String>,
    #[serde(default)]
    source: Option<toml_source::Source>,
}

mod toml_source {
    use serde::Deserialize;

    /// uv's `source = { registry = "…" }`, `{ editable = "." }`, `{ virtual = "." }`, …;
    /// poetry's `[package.source]` with `type` and `url`.
    #[derive(Deserialize)]
    pub(super) struct Source {
        pub(super) editable: Option<String>,
        #[serde(rename = "virtual")]
        pub(super) virtual_: Option<String>,
    }
}

impl Analyzer for PoetryUvAnalyzer {
    fn name(&self) -> &'static str {
        "python-lock"
    }

    fn wants(&self, path: &str, meta: &FileMeta, mode: Mode) -> bool {
        let name = file_name(path);
        is_file(meta) && (name == "poetry.lock" || name == "uv.lock") && wants_lockfile(path, mode)
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        let mut packages = Vec::new();
        toml_lock::for_each_package(content, |p: TomlLockPackage| {
            if p.source
                .as_ref()
                .is_some_and(|s| s.editable.is_some() || s.virtual_.is_some())
            {
                return Ok(());
            }
            let Some(version) = p.version else {
                return Err(AnalyzeError::malformed(format!(
                    "package `{}` has no version",
                    excerpt(&p.name)
                )));
            };
            push_package(
                &mut packages,
                Package::new(Ecosystem::Pypi, &p.name, version),
            )
        })?;
        Ok(Analysis {
            packages,
            ..Analysis::default()
        })
    }
}

/// `Pipfile.lock`: JSON, `default` and `develop` sections mapping names to
/// `{"version": "==1.2.3"}`. Development packages are reported too (they are installed in a
/// checkout's environment).
#[derive(Debug)]
pub(crate) struct PipfileLockAnalyzer;

#[derive(Deserialize)]
struct PipfileLock {
    #[serde(default)]
    default: BTreeMap<String, PipfileEntry>,
    #[serde(default)]
    develop: BTreeMap<String, PipfileEntry>,
}

#[derive(Deserialize)]
struct PipfileEntry {
    version: Option<String>,
}

impl Analyzer for PipfileLockAnalyzer {
    fn name(&self) -> &'static str {
        "pipfile-lock"
    }

    fn wants(&self, path: &str, meta: &FileMeta, mode: Mode) -> bool {
        is_file(meta) && file_name(path) == "Pipfile.lock" && wants_lockfile(path, mode)
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        let lock: PipfileLock = json(content)?;
        let packages = lock
            .default
            .iter()
            .chain(&lock.develop)
            // Entries without a version are VCS or path installs.
            .filter_map(|(name, e)| {
                let v = e.version.as_deref()?.trim_start_matches('=');
                Some(Package::new(Ecosystem::Pypi, name, v))
            })
            .collect();
        Ok(Analysis {
            packages,
            ..Analysis::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_headers() {
        let m = b"Metadata-Version: 2.1\nName: Django\nVersion: 3.2\nLicense: BSD-3-Clause\nClassifier: X\n  folded\n\nName: not-this\n";
        let p = parse_metadata(m).expect("parses");
        assert_eq!((p.name.as_str(), p.version.as_str()), ("django", "3.2"));
        assert_eq!(p.licenses, ["BSD-3-Clause"]);
    }

    #[test]
    fn malformed_metadata_is_an_error() {
        assert!(parse_metadata(b"Metadata-Version: 2.1\nVersion: 1\n").is_err());
        assert!(parse_metadata(b"Name: x\n").is_err());
        assert!(parse_metadata(b"<html>\n").is_err());
    }

    #[test]
    fn requirements_pins_only() {
        let r = "# c\nDjango==3.2.0  # pinned\nrequests[socks]==2.25.0 ; python_version > '3' \\\n    --hash=sha256:ab\nflask>=1\n-r other.txt\nx==1.*\nurllib3===1.26.4\n";
        let p = parse_requirements(r).expect("parses");
        let got: Vec<_> = p
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("django", "3.2.0"),
                ("requests", "2.25.0"),
                ("urllib3", "1.26.4")
            ]
        );
        assert!(parse_requirements("bad name==1\n").is_err());
    }

    #[test]
    fn malformed_locks_are_errors() {
        assert!(
            PoetryUvAnalyzer
                .analyze("poetry.lock", b"[[package]\n")
                .is_err()
        );
        assert!(
            PoetryUvAnalyzer
                .analyze("uv.lock", b"[[package]]\nname = \"x\"\n")
                .is_err()
        );
        assert!(
            PipfileLockAnalyzer
                .analyze("Pipfile.lock", b"{\"default\": [}")
                .is_err()
        );
    }
}
