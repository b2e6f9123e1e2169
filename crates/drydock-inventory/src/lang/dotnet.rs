//! .NET (NuGet): `*.deps.json` next to a built application and `packages.lock.json`.
//! NuGet ids are case-insensitive; [`Package::new`] lower-cases them.

use std::collections::BTreeMap;

use drydock_image::FileMeta;
use drydock_package::{Ecosystem, Package};
use serde::Deserialize;

use super::{file_name, in_dependency_dir, is_file, json};
use crate::{Analysis, AnalyzeError, Analyzer, Mode};

/// `APP.deps.json`: `libraries` maps `Name/Version` to `{"type": "package" | "project" |
/// "reference", …}`; only `package` entries come from NuGet.
#[derive(Debug)]
pub(crate) struct DepsJsonAnalyzer;

impl Analyzer for DepsJsonAnalyzer {
    fn name(&self) -> &'static str {
        "dotnet-deps"
    }

    fn wants(&self, path: &str, meta: &FileMeta, _mode: Mode) -> bool {
        is_file(meta) && path.ends_with(".deps.json")
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        #[derive(Deserialize)]
        struct Deps {
            libraries: BTreeMap<String, Library>,
        }
        #[derive(Deserialize)]
        struct Library {
            #[serde(rename = "type")]
            kind: String,
        }
        let deps: Deps = json(content)?;
        let mut packages = Vec::new();
        for (key, lib) in deps.libraries {
            if lib.kind != "package" {
                continue;
            }
            let Some((name, version)) = key
                .split_once('/')
                .filter(|(n, v)| !n.is_empty() && !v.is_empty())
            else {
                return Err(AnalyzeError::malformed(format!(
                    "library key `{key}` is not `Name/Version`"
                )));
            };
            packages.push(Package::new(Ecosystem::Nuget, name, version));
        }
        Ok(Analysis {
            packages,
            ..Analysis::default()
        })
    }
}

/// `packages.lock.json` (NuGet's lock file, `RestorePackagesWithLockFile`): per target
/// framework, each package's `type` (`Direct`, `Transitive`, `CentralTransitive`, `Project`)
/// and `resolved` version. Read in images too (Trivy does): it is not replaced package by
/// package.
#[derive(Debug)]
pub(crate) struct PackagesLockAnalyzer;

impl Analyzer for PackagesLockAnalyzer {
    fn name(&self) -> &'static str {
        "nuget-lock"
    }

    fn wants(&self, path: &str, meta: &FileMeta, _mode: Mode) -> bool {
        is_file(meta) && file_name(path) == "packages.lock.json" && !in_dependency_dir(path)
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        #[derive(Deserialize)]
        struct Lock {
            dependencies: BTreeMap<String, BTreeMap<String, Entry>>,
        }
        #[derive(Deserialize)]
        struct Entry {
            #[serde(rename = "type")]
            kind: String,
            resolved: Option<String>,
        }
        let lock: Lock = json(content)?;
        let mut packages = Vec::new();
        for (framework, deps) in lock.dependencies {
            for (name, e) in deps {
                if e.kind == "Project" {
                    continue;
                }
                let Some(v) = e.resolved else {
                    return Err(AnalyzeError::malformed(format!(
                        "`{name}` ({framework}) has no `resolved` version"
                    )));
                };
                packages.push(Package::new(Ecosystem::Nuget, &name, v));
            }
        }
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
    fn deps_and_lock() {
        let d = br#"{"libraries":{"App/1.0.0":{"type":"project"},"Newtonsoft.Json/13.0.1":{"type":"package"}}}"#;
        let a = DepsJsonAnalyzer.analyze("app.deps.json", d).expect("deps");
        assert_eq!(a.packages.len(), 1);
        assert_eq!(a.packages[0].name, "newtonsoft.json");
        assert!(
            DepsJsonAnalyzer
                .analyze("x", br#"{"libraries":{"bad":{"type":"package"}}}"#)
                .is_err()
        );
        let l = br#"{"version":1,"dependencies":{"net6.0":{"Serilog":{"type":"Direct","requested":"[2.10.0, )","resolved":"2.10.0"},"lib":{"type":"Project"}}}}"#;
        assert_eq!(
            PackagesLockAnalyzer
                .analyze("p", l)
                .expect("lock")
                .packages
                .len(),
            1
        );
        assert!(
            PackagesLockAnalyzer
                .analyze(
                    "p",
                    br#"{"dependencies":{"net6.0":{"x":{"type":"Direct"}}}}"#
                )
                .is_err()
        );
    }
}
