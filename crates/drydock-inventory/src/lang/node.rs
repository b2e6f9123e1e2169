//! Node: installed packages (`package.json`) and checkout lockfiles (`package-lock.json`,
//! `yarn.lock`, `pnpm-lock.yaml`).

mod lockfile;

use drydock_image::FileMeta;
use drydock_package::{Ecosystem, Package};
use serde::Deserialize;

use super::{file_name, is_file, json};
use crate::{Analysis, AnalyzeError, Analyzer, Mode};

pub(crate) use lockfile::{PNPM_LOCK, PackageLockAnalyzer, YarnLockAnalyzer};

/// `package.json` of a package installed under `node_modules` (scoped and nested too). In
/// images every `package.json` with a name and a version is a package (an application copied
/// into the image is installed software too: Trivy and Syft report it); in checkouts the
/// project's own `package.json` is the thing being scanned, not a dependency.
#[derive(Debug)]
pub(crate) struct PackageJsonAnalyzer;

impl Analyzer for PackageJsonAnalyzer {
    fn name(&self) -> &'static str {
        "npm-package"
    }

    fn wants(&self, path: &str, meta: &FileMeta, mode: Mode) -> bool {
        if !is_file(meta) || file_name(path) != "package.json" {
            return false;
        }
        mode == Mode::Image || is_installed_package_json(path)
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        #[derive(Deserialize)]
        struct Manifest {
            name: Option<serde_json::Value>,
            version: Option<serde_json::Value>,
            license: Option<serde_json::Value>,
        }
        let m: Manifest = json(content)?;
        // A `package.json` without a name and version (`{"type": "module"}` in a package's
        // subdirectory, a project template) describes no package.
        let (Some(serde_json::Value::String(name)), Some(serde_json::Value::String(version))) =
            (m.name, m.version)
        else {
            return Ok(Analysis::default());
        };
        if name.is_empty() || version.is_empty() {
            return Ok(Analysis::default());
        }
        let mut p = Package::new(Ecosystem::Npm, &name, version);
        match m.license {
            Some(serde_json::Value::String(l)) => p.licenses.push(l),
            Some(serde_json::Value::Object(o)) => {
                if let Some(serde_json::Value::String(l)) = o.get("type") {
                    p.licenses.push(l.clone());
                }
            }
            _ => {}
        }
        Ok(Analysis {
            packages: vec![p],
            ..Analysis::default()
        })
    }
}

/// `…node_modules/NAME/package.json` or `…node_modules/@SCOPE/NAME/package.json`.
fn is_installed_package_json(path: &str) -> bool {
    let Some(dir) = path.strip_suffix("/package.json") else {
        return false;
    };
    let Some((parent, _name)) = dir.rsplit_once('/') else {
        return false;
    };
    if parent == "node_modules" || parent.ends_with("/node_modules") {
        return true;
    }
    match parent.rsplit_once('/') {
        Some((grand, scope)) => {
            scope.starts_with('@') && (grand == "node_modules" || grand.ends_with("/node_modules"))
        }
        None => false,
    }
}

/// Splits `name@version` (`@scope/name@version`) at the version's `@`.
pub(crate) fn split_at_version(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.find('@')? + 1;
    Some((&spec[..at], &spec[at + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_paths() {
        assert!(is_installed_package_json("node_modules/a/package.json"));
        assert!(is_installed_package_json(
            "app/node_modules/@s/a/node_modules/b/package.json"
        ));
        assert!(is_installed_package_json(
            "app/node_modules/@types/node/package.json"
        ));
        assert!(!is_installed_package_json("app/package.json"));
        assert!(!is_installed_package_json(
            "node_modules/a/lib/package.json"
        ));
        assert!(!is_installed_package_json("package.json"));
    }

    #[test]
    fn package_json() {
        let a = PackageJsonAnalyzer
            .analyze(
                "p",
                br#"{"name":"moment","version":"2.29.4","license":"MIT"}"#,
            )
            .expect("parses");
        assert_eq!(a.packages[0].version, "2.29.4");
        assert_eq!(a.packages[0].licenses, ["MIT"]);
        let none = PackageJsonAnalyzer
            .analyze("p", br#"{"type":"module"}"#)
            .expect("parses");
        assert!(none.packages.is_empty());
        assert!(PackageJsonAnalyzer.analyze("p", b"{\"name\": ").is_err());
    }

    #[test]
    fn versions_split() {
        assert_eq!(split_at_version("@s/a@1.0.0"), Some(("@s/a", "1.0.0")));
        assert_eq!(split_at_version("a@^1"), Some(("a", "^1")));
        assert_eq!(split_at_version("@s/a"), None);
    }
}
