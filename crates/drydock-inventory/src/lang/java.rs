//! Java: archives (`.jar`, `.war`, `.ear`, … with nested jars), and in checkouts `pom.xml`
//! and `gradle.lockfile`. Package names are `groupId:artifactId`.

mod jar;
mod pom;

use drydock_image::FileMeta;
use drydock_package::{Ecosystem, Package};

use super::{excerpt, file_name, is_file, utf8, wants_lockfile};
use crate::{Analysis, AnalyzeError, Analyzer, Mode};

pub(crate) use jar::JarAnalyzer;
pub(crate) use pom::POM;

/// `gradle.lockfile` (Gradle's dependency locking): `group:artifact:version=configurations`
/// lines, `#` comments and one `empty=…` line.
#[derive(Debug)]
pub(crate) struct GradleLockAnalyzer;

impl Analyzer for GradleLockAnalyzer {
    fn name(&self) -> &'static str {
        "gradle-lock"
    }

    fn wants(&self, path: &str, meta: &FileMeta, mode: Mode) -> bool {
        let name = file_name(path);
        is_file(meta)
            && (name == "gradle.lockfile"
                || name.ends_with(".lockfile") && path.contains("gradle/"))
            && wants_lockfile(path, mode)
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        let mut packages = Vec::new();
        for (i, line) in utf8(content)?.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
                continue;
            }
            let coords = line.split('=').next().unwrap_or(line);
            let parts: Vec<&str> = coords.split(':').collect();
            match parts.as_slice() {
                [group, artifact, version]
                    if !group.is_empty() && !artifact.is_empty() && !version.is_empty() =>
                {
                    packages.push(Package::new(
                        Ecosystem::Maven,
                        &format!("{group}:{artifact}"),
                        *version,
                    ));
                }
                _ => {
                    return Err(AnalyzeError::AtLine {
                        line: i + 1,
                        reason: format!(
                            "expected `group:artifact:version=…`, found `{}`",
                            excerpt(line)
                        ),
                    });
                }
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
    fn gradle_lockfile() {
        let l = b"# This is a Gradle generated file\ncom.google.guava:guava:31.1-jre=compileClasspath,runtimeClasspath\nempty=annotationProcessor\n";
        let a = GradleLockAnalyzer
            .analyze("gradle.lockfile", l)
            .expect("parses");
        assert_eq!(a.packages[0].name, "com.google.guava:guava");
        assert!(
            GradleLockAnalyzer
                .analyze("gradle.lockfile", b"guava=x\n")
                .is_err()
        );
    }
}
