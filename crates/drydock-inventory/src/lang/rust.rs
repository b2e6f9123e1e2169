//! Rust: `Cargo.lock` (in images too: it sits beside the binary it built) and the dependency
//! list `cargo auditable` embeds in binaries (read by [`super::binary`]).

use drydock_image::FileMeta;
use drydock_package::{Ecosystem, Package};
use serde::Deserialize;

use super::{file_name, in_dependency_dir, is_file, toml_lock};
use crate::limit::push_package;
use crate::{Analysis, AnalyzeError, Analyzer, Mode};

/// `Cargo.lock`, format versions 1 to 4: one `[[package]]` per crate (`name`, `version`,
/// `source`); workspace members have no `source` and are reported like the rest.
#[derive(Debug)]
pub(crate) struct CargoLockAnalyzer;

/// One crate, in `Cargo.lock` and in `cargo auditable`'s JSON alike.
#[derive(Deserialize)]
pub(crate) struct CratePackage {
    name: String,
    version: String,
}

impl Analyzer for CargoLockAnalyzer {
    fn name(&self) -> &'static str {
        "cargo-lock"
    }

    fn wants(&self, path: &str, meta: &FileMeta, _mode: Mode) -> bool {
        is_file(meta) && file_name(path) == "Cargo.lock" && !in_dependency_dir(path)
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        let mut packages = Vec::new();
        toml_lock::for_each_package(content, |c: CratePackage| {
            push_package(&mut packages, crate_package(c))
        })?;
        if packages.is_empty() {
            return Err(AnalyzeError::malformed("no `[[package]]` tables"));
        }
        Ok(Analysis {
            packages,
            ..Analysis::default()
        })
    }
}

fn crate_package(c: CratePackage) -> Package {
    Package::new(Ecosystem::Cargo, &c.name, c.version)
}

/// `cargo auditable`'s dependency list (the `.dep-v0` section, once inflated): JSON
/// `{"packages": [{"name", "version", "source", "kind", "dependencies", "root"}]}`. Every
/// crate is reported, the root (the binary's own crate) and build dependencies included.
pub(crate) fn parse_auditable(json: &[u8]) -> Result<Vec<Package>, AnalyzeError> {
    #[derive(Deserialize)]
    struct VersionInfo {
        packages: Vec<CratePackage>,
    }
    let info: VersionInfo = serde_json::from_slice(json).map_err(|e| {
        AnalyzeError::malformed(format!("cargo-auditable data is not valid JSON: {e}"))
    })?;
    Ok(info.packages.into_iter().map(crate_package).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_and_auditable() {
        let lock = b"version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"a\"]\n";
        let a = CargoLockAnalyzer.analyze("Cargo.lock", lock).expect("lock");
        assert_eq!(a.packages.len(), 2);
        let j = br#"{"packages":[{"name":"app","version":"0.1.0","source":"local","root":true,"dependencies":[1]},{"name":"smallvec","version":"1.6.0","source":"crates.io"}]}"#;
        assert_eq!(parse_auditable(j).expect("json")[1].name, "smallvec");
    }

    #[test]
    fn malformed() {
        assert!(
            CargoLockAnalyzer
                .analyze("Cargo.lock", b"[[package]]\nname = 1\n")
                .is_err()
        );
        assert!(
            CargoLockAnalyzer
                .analyze("Cargo.lock", b"# empty\n")
                .is_err()
        );
        assert!(parse_auditable(b"{\"packages\": [{}]}").is_err());
    }
}
