//! PHP (Composer): installed packages (`vendor/composer/installed.json`) and, in checkouts,
//! `composer.lock`. Versions are reported as Composer writes them (`v5.4.0` keeps its `v`).

use drydock_image::FileMeta;
use drydock_package::{Ecosystem, Package};
use serde::Deserialize;

use super::{file_name, is_file, json, wants_lockfile};
use crate::{Analysis, AnalyzeError, Analyzer, Mode};

#[derive(Deserialize)]
struct ComposerPackage {
    name: String,
    version: String,
    #[serde(default)]
    license: Vec<String>,
}

fn packages(list: Vec<ComposerPackage>) -> Vec<Package> {
    list.into_iter()
        .map(|c| {
            let mut p = Package::new(Ecosystem::Composer, &c.name, c.version);
            p.licenses = c.license;
            p
        })
        .collect()
}

/// `vendor/composer/installed.json`: Composer 2 writes `{"packages": [...]}`, Composer 1 a
/// bare array.
#[derive(Debug)]
pub(crate) struct InstalledJsonAnalyzer;

impl Analyzer for InstalledJsonAnalyzer {
    fn name(&self) -> &'static str {
        "composer-installed"
    }

    fn wants(&self, path: &str, meta: &FileMeta, _mode: Mode) -> bool {
        is_file(meta)
            && (path == "vendor/composer/installed.json"
                || path.ends_with("/vendor/composer/installed.json"))
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Installed {
            V2 { packages: Vec<ComposerPackage> },
            V1(Vec<ComposerPackage>),
        }
        let list = match json::<Installed>(content)? {
            Installed::V2 { packages } | Installed::V1(packages) => packages,
        };
        Ok(Analysis {
            packages: packages(list),
            ..Analysis::default()
        })
    }
}

/// `composer.lock`: `packages` and `packages-dev`.
#[derive(Debug)]
pub(crate) struct ComposerLockAnalyzer;

impl Analyzer for ComposerLockAnalyzer {
    fn name(&self) -> &'static str {
        "composer-lock"
    }

    fn wants(&self, path: &str, meta: &FileMeta, mode: Mode) -> bool {
        is_file(meta) && file_name(path) == "composer.lock" && wants_lockfile(path, mode)
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        #[derive(Deserialize)]
        struct Lock {
            packages: Vec<ComposerPackage>,
            #[serde(default, rename = "packages-dev")]
            packages_dev: Vec<ComposerPackage>,
        }
        let lock: Lock = json(content)?;
        let mut list = lock.packages;
        list.extend(lock.packages_dev);
        Ok(Analysis {
            packages: packages(list),
            ..Analysis::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_both_versions_and_lock() {
        let v2 = br#"{"packages":[{"name":"Monolog/Monolog","version":"2.3.5","license":["MIT"]}],"dev":true}"#;
        let a = InstalledJsonAnalyzer.analyze("p", v2).expect("v2");
        assert_eq!(a.packages[0].name, "monolog/monolog");
        let v1 = br#"[{"name":"a/b","version":"v1.0.0"}]"#;
        assert_eq!(
            InstalledJsonAnalyzer
                .analyze("p", v1)
                .expect("v1")
                .packages
                .len(),
            1
        );
        assert!(
            InstalledJsonAnalyzer
                .analyze("p", br#"{"packages":{}}"#)
                .is_err()
        );
        let lock = br#"{"packages":[{"name":"a/b","version":"1"}],"packages-dev":[{"name":"c/d","version":"2"}]}"#;
        assert_eq!(
            ComposerLockAnalyzer
                .analyze("p", lock)
                .expect("lock")
                .packages
                .len(),
            2
        );
        assert!(
            ComposerLockAnalyzer
                .analyze("p", br#"{"packages":[{"name":"a/b"}]}"#)
                .is_err()
        );
    }
}
