//! npm, yarn and pnpm lockfiles.
//!
//! Development dependencies are reported too: they are installed in a checkout.

use std::collections::BTreeMap;

use drydock_image::FileMeta;
use drydock_package::{Ecosystem, Package};
use serde::Deserialize;

use super::split_at_version;
use crate::lang::text_lockfile::TextLockfile;
use crate::lang::{excerpt, file_name, is_file, json, utf8, wants_lockfile};
use crate::{Analysis, AnalyzeError, Analyzer, Mode};

/// `package-lock.json` and `npm-shrinkwrap.json`, lockfile versions 1 to 3.
///
/// v2 and v3 list every installed package in `packages`, keyed by its install path
/// (`node_modules/a/node_modules/b`); v1 nests `dependencies` objects the same way. The
/// project itself (`""`), workspace members (keys outside `node_modules`) and links are not
/// packages.
#[derive(Debug)]
pub(crate) struct PackageLockAnalyzer;

#[derive(Deserialize)]
struct PackageLock {
    packages: Option<BTreeMap<String, LockEntry>>,
    dependencies: Option<BTreeMap<String, V1Entry>>,
}

#[derive(Deserialize)]
struct LockEntry {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    link: bool,
}

#[derive(Deserialize)]
struct V1Entry {
    version: Option<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, V1Entry>,
}

impl Analyzer for PackageLockAnalyzer {
    fn name(&self) -> &'static str {
        "npm-lock"
    }

    fn wants(&self, path: &str, meta: &FileMeta, mode: Mode) -> bool {
        let name = file_name(path);
        is_file(meta)
            && (name == "package-lock.json" || name == "npm-shrinkwrap.json")
            && wants_lockfile(path, mode)
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        let lock: PackageLock = json(content)?;
        let mut packages = Vec::new();
        if let Some(entries) = lock.packages {
            for (key, e) in entries {
                let Some(at) = key.rfind("node_modules/") else {
                    continue; // the project, or a workspace member's directory
                };
                if e.link {
                    continue;
                }
                let dir_name = &key[at + "node_modules/".len()..];
                let name = e.name.as_deref().unwrap_or(dir_name);
                let Some(version) = e.version else {
                    return Err(AnalyzeError::malformed(format!(
                        "`packages.{key}` has no version"
                    )));
                };
                push_npm(&mut packages, name, &version);
            }
        } else if let Some(deps) = lock.dependencies {
            walk_v1(&deps, &mut packages);
        } else {
            return Err(AnalyzeError::malformed(
                "neither `packages` nor `dependencies`: not a package-lock",
            ));
        }
        Ok(Analysis {
            packages,
            ..Analysis::default()
        })
    }
}

fn walk_v1(deps: &BTreeMap<String, V1Entry>, out: &mut Vec<Package>) {
    for (name, e) in deps {
        if let Some(v) = &e.version {
            push_npm(out, name, v);
        }
        walk_v1(&e.dependencies, out);
    }
}

/// Adds `name@version` unless the version is not a registry version (`file:`, git URLs);
/// an alias (`npm:real@1.2.3`) is the real package.
fn push_npm(out: &mut Vec<Package>, name: &str, version: &str) {
    if let Some(aliased) = version.strip_prefix("npm:") {
        if let Some((real, v)) = split_at_version(aliased) {
            out.push(Package::new(Ecosystem::Npm, real, v));
        }
        return;
    }
    if version.is_empty() || version.contains([':', '/']) {
        return;
    }
    out.push(Package::new(Ecosystem::Npm, name, version));
}

/// `yarn.lock`: yarn 1's own format, or yarn 2+ ("berry") YAML (it has `__metadata`).
#[derive(Debug)]
pub(crate) struct YarnLockAnalyzer;

impl Analyzer for YarnLockAnalyzer {
    fn name(&self) -> &'static str {
        "yarn-lock"
    }

    fn wants(&self, path: &str, meta: &FileMeta, mode: Mode) -> bool {
        is_file(meta) && file_name(path) == "yarn.lock" && wants_lockfile(path, mode)
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        let text = utf8(content)?;
        let berry = text.lines().any(|l| l.starts_with("__metadata:"));
        let packages = if berry {
            parse_berry(text)?
        } else {
            parse_yarn_v1(text)?
        };
        Ok(Analysis {
            packages,
            ..Analysis::default()
        })
    }
}

/// yarn 1: `"a@^1", a@^1.1:` headers at column 0, then indented `version "1.2.3"`.
fn parse_yarn_v1(text: &str) -> Result<Vec<Package>, AnalyzeError> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            let Some(keys) = line.strip_suffix(':') else {
                return Err(AnalyzeError::AtLine {
                    line: n,
                    reason: format!("expected `name@range:`, found `{}`", excerpt(line)),
                });
            };
            if let Some((start, name)) = current.take() {
                return Err(AnalyzeError::AtLine {
                    line: start,
                    reason: format!("`{name}` has no version"),
                });
            }
            let first = keys.split(", ").next().unwrap_or(keys).trim_matches('"');
            let Some((name, _range)) = split_at_version(first) else {
                return Err(AnalyzeError::AtLine {
                    line: n,
                    reason: format!("no `@range` in `{}`", excerpt(first)),
                });
            };
            current = Some((n, name.to_string()));
        } else if let Some(v) = trimmed.strip_prefix("version ")
            && let Some((_, name)) = current.take()
        {
            push_npm(&mut out, &name, v.trim().trim_matches('"'));
        }
    }
    if let Some((start, name)) = current {
        return Err(AnalyzeError::AtLine {
            line: start,
            reason: format!("`{name}` has no version"),
        });
    }
    Ok(out)
}

/// yarn 2+: a YAML map from descriptors to entries whose `resolution` is `name@npm:1.2.3`
/// for registry packages (`@workspace:`, `@patch:`, `@link:`, … are not registry packages;
/// a patched package's unpatched original has its own entry).
fn parse_berry(text: &str) -> Result<Vec<Package>, AnalyzeError> {
    let doc: BTreeMap<String, serde_json::Value> = yaml(text)?;
    let mut out = Vec::new();
    for (key, entry) in doc {
        if key == "__metadata" {
            continue;
        }
        let Some(resolution) = entry.get("resolution").and_then(|r| r.as_str()) else {
            return Err(AnalyzeError::malformed(format!(
                "`{}` has no resolution",
                excerpt(&key)
            )));
        };
        let Some((name, reference)) = split_at_version(resolution) else {
            return Err(AnalyzeError::malformed(format!(
                "resolution `{}` is not `name@reference`",
                excerpt(resolution)
            )));
        };
        if let Some(version) = reference.strip_prefix("npm:") {
            out.push(Package::new(Ecosystem::Npm, name, version));
        }
    }
    Ok(out)
}

/// `pnpm-lock.yaml`: the `packages` map, keyed `/name/1.2.3_peers` (lockfile 5),
/// `/name@1.2.3(peers)` (6) or `name@1.2.3` (9). Entries that are not from the registry
/// (tarballs, git) carry `name` and `version` fields.
pub(crate) const PNPM_LOCK: TextLockfile = TextLockfile {
    name: "pnpm-lock",
    is_named: |name| name == "pnpm-lock.yaml",
    parse: parse_pnpm,
};

fn parse_pnpm(text: &str) -> Result<Vec<Package>, AnalyzeError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Lock {
        lockfile_version: Option<serde_json::Value>,
        #[serde(default)]
        packages: BTreeMap<String, serde_json::Value>,
    }
    let lock: Lock = yaml(text)?;
    let major = match &lock.lockfile_version {
        Some(serde_json::Value::String(s)) => s.split('.').next().and_then(|m| m.parse().ok()),
        Some(serde_json::Value::Number(n)) => n.as_f64().map(|f| f as u32),
        _ => None,
    }
    .ok_or_else(|| AnalyzeError::malformed("no `lockfileVersion`"))?;
    let mut out = Vec::new();
    for (key, entry) in &lock.packages {
        let field = |f: &str| entry.get(f).and_then(|v| v.as_str());
        if let (Some(name), Some(version)) = (field("name"), field("version")) {
            push_npm(&mut out, name, version);
            continue;
        }
        let key = key.strip_prefix('/').unwrap_or(key);
        let parsed = if major < 6 {
            key.rsplit_once('/')
                .map(|(n, v)| (n, v.split('_').next().unwrap_or(v)))
        } else {
            let key = key.split('(').next().unwrap_or(key);
            split_at_version(key)
        };
        match parsed {
            Some((name, version)) if !name.is_empty() => push_npm(&mut out, name, version),
            _ => {
                return Err(AnalyzeError::malformed(format!(
                    "package key `{}` is not `name@version`",
                    excerpt(key)
                )));
            }
        }
    }
    Ok(out)
}

fn yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, AnalyzeError> {
    crate::limit::document(text.as_bytes(), "YAML")?;
    serde_saphyr::from_str(text).map_err(|e| {
        let msg = e.to_string();
        AnalyzeError::malformed(format!(
            "invalid YAML: {}",
            msg.lines().next().unwrap_or("")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &[Package]) -> Vec<String> {
        let mut v: Vec<_> = p
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn package_lock_v1_and_v3() {
        let v1 = br#"{"lockfileVersion":1,"dependencies":{"debug":{"version":"2.6.9","dependencies":{"ms":{"version":"2.0.0"}}},"ms":{"version":"2.1.1"},"x":{"version":"file:../x"},"s":{"version":"npm:string-width@4.2.3"}}}"#;
        let a = PackageLockAnalyzer.analyze("p", v1).expect("v1");
        assert_eq!(
            names(&a.packages),
            ["debug@2.6.9", "ms@2.0.0", "ms@2.1.1", "string-width@4.2.3"]
        );
        let v3 = br#"{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/@s/a":{"version":"1.0.0"},"node_modules/@s/a/node_modules/b":{"version":"2.0.0"},"packages/w":{"version":"0.1.0"},"node_modules/w":{"resolved":"packages/w","link":true}}}"#;
        let a = PackageLockAnalyzer.analyze("p", v3).expect("v3");
        assert_eq!(names(&a.packages), ["@s/a@1.0.0", "b@2.0.0"]);
    }

    #[test]
    fn malformed_package_locks() {
        assert!(PackageLockAnalyzer.analyze("p", b"{").is_err());
        assert!(
            PackageLockAnalyzer
                .analyze("p", b"{\"name\":\"x\"}")
                .is_err()
        );
        assert!(
            PackageLockAnalyzer
                .analyze("p", br#"{"packages":{"node_modules/a":{}}}"#)
                .is_err()
        );
    }

    #[test]
    fn yarn_v1() {
        let l = "# yarn lockfile v1\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n  version \"7.12.13\"\n  resolved \"https://x\"\n\nlodash@^4.17.21:\n  version \"4.17.21\"\n";
        let p = parse_yarn_v1(l).expect("parses");
        assert_eq!(names(&p), ["@babel/code-frame@7.12.13", "lodash@4.17.21"]);
        assert!(parse_yarn_v1("lodash@^4:\n  resolved \"x\"\n").is_err());
        assert!(parse_yarn_v1("<<<<<<< HEAD\n").is_err());
    }

    #[test]
    fn berry_and_pnpm() {
        let b = "__metadata:\n  version: 8\n\n\"a@npm:^1\":\n  version: 1.2.0\n  resolution: \"a@npm:1.2.0\"\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n";
        assert_eq!(names(&parse_berry(b).expect("berry")), ["a@1.2.0"]);
        assert!(parse_berry("__metadata:\n  version: 8\n\"a@npm:^1\":\n  version: 1\n").is_err());
        let p5 = "lockfileVersion: 5.4\npackages:\n  /a/1.0.0_b@2.0.0:\n    dev: false\n  /@s/c/3.0.0:\n    dev: true\n";
        assert_eq!(
            names(&parse_pnpm(p5).expect("v5")),
            ["@s/c@3.0.0", "a@1.0.0"]
        );
        let p9 = "lockfileVersion: '9.0'\npackages:\n  '@s/c@3.0.0':\n    resolution: {integrity: x}\n  a@1.0.0(b@2.0.0): {}\n";
        assert_eq!(
            names(&parse_pnpm(p9).expect("v9")),
            ["@s/c@3.0.0", "a@1.0.0"]
        );
        assert!(parse_pnpm("packages:\n  a@1: {}\n").is_err());
        assert!(parse_pnpm("lockfileVersion: '9.0'\npackages: [\n").is_err());
    }
}
