//! Java archives: `META-INF/maven/**/pom.properties`, then `META-INF/MANIFEST.MF` and the
//! file name as fallbacks, and jars nested in jars (Spring Boot's `BOOT-INF/lib/`, a war's
//! `WEB-INF/lib/`), read from memory to a bound.
//!
//! Bounds, each past which the rest is left unread with a warning in
//! [`Analysis::warnings`]: nesting deeper than [`Bounds::depth`] jars, a nested jar that
//! inflates past [`Bounds::nested_size`], more than [`Bounds::total_size`] inflated per
//! top-level file (a zip bomb), more than [`Bounds::entries`] entries in one archive.
//!
//! Packages of a nested jar are located at `outer.jar!/BOOT-INF/lib/inner.jar` (the JDK's
//! `jar:` URL syntax); those of the top-level archive at the file itself.

use std::io::{Cursor, Read};

use drydock_image::FileMeta;
use drydock_package::{Ecosystem, Location, Package};

use crate::lang::{file_name, is_file};
use crate::{Analysis, AnalyzeError, Analyzer, Mode};

/// How far into an archive drydock reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// Jars inside jars: 1 reads the top-level archive's nested jars, not theirs.
    pub(crate) depth: usize,
    /// Inflated bytes of one nested jar.
    pub(crate) nested_size: u64,
    /// Inflated bytes of all nested jars of one top-level file together.
    pub(crate) total_size: u64,
    /// Entries of one archive.
    pub(crate) entries: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            depth: 3,
            nested_size: 64 << 20,
            total_size: 256 << 20,
            entries: 100_000,
        }
    }
}

/// Metadata files are small; anything larger is not one.
const MAX_TEXT: u64 = 1 << 20;

#[derive(Debug, Default)]
pub(crate) struct JarAnalyzer;

const SUFFIXES: [&str; 8] = [
    ".jar", ".war", ".ear", ".par", ".sar", ".kar", ".jpi", ".hpi",
];

fn is_archive_name(name: &str) -> bool {
    SUFFIXES.iter().any(|s| {
        name.len() > s.len()
            && name.is_char_boundary(name.len() - s.len())
            && name[name.len() - s.len()..].eq_ignore_ascii_case(s)
    })
}

impl Analyzer for JarAnalyzer {
    fn name(&self) -> &'static str {
        "jar"
    }

    fn wants(&self, path: &str, meta: &FileMeta, _mode: Mode) -> bool {
        is_file(meta) && is_archive_name(path)
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        analyze_with(path, content, Bounds::default())
    }
}

pub(crate) fn analyze_with(
    path: &str,
    content: &[u8],
    bounds: Bounds,
) -> Result<Analysis, AnalyzeError> {
    let mut walk = Walk {
        bounds,
        budget: bounds.total_size,
        analysis: Analysis::default(),
    };
    walk.archive(path, None, content, 0)?;
    Ok(walk.analysis)
}

struct Walk {
    bounds: Bounds,
    budget: u64,
    analysis: Analysis,
}

impl Walk {
    /// Reads one archive; `location` is `None` for the top-level file.
    fn archive(
        &mut self,
        name: &str,
        location: Option<&str>,
        bytes: &[u8],
        depth: usize,
    ) -> Result<(), AnalyzeError> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| AnalyzeError::malformed(format!("not a readable zip archive: {e}")))?;
        let shown = location.unwrap_or(name);
        if zip.len() > self.bounds.entries {
            self.analysis.warnings.push(format!(
                "`{shown}` has {} entries, more than {}: not read",
                zip.len(),
                self.bounds.entries
            ));
            return Ok(());
        }
        let mut poms = Vec::new();
        let mut manifest = None;
        let mut nested = Vec::new();
        for i in 0..zip.len() {
            let Some(Ok(entry)) = zip.name_for_index(i) else {
                continue;
            };
            if entry.starts_with("META-INF/maven/") && entry.ends_with("/pom.properties") {
                poms.push(i);
            } else if entry.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
                manifest = Some(i);
            } else if is_archive_name(&entry) && !entry.ends_with('/') {
                nested.push(i);
            }
        }
        let mut found = Vec::new();
        for i in poms {
            let text = read_text(&mut zip, i)?;
            if let Some(p) = from_pom_properties(&text) {
                found.push(p);
            }
        }
        if found.is_empty() {
            let text = match manifest {
                Some(i) => read_text(&mut zip, i)?,
                None => String::new(),
            };
            found.extend(from_manifest(&text, file_name(name)));
        }
        for mut p in found {
            if let Some(l) = location {
                p.locations.push(Location::new(None, l));
            }
            self.analysis.packages.push(p);
        }
        for i in nested {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| AnalyzeError::malformed(format!("unreadable zip entry: {e}")))?;
            let entry_name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            let here = format!("{shown}!/{entry_name}");
            if depth + 1 > self.bounds.depth {
                self.analysis.warnings.push(format!(
                    "`{here}` is nested more than {} jars deep: not read",
                    self.bounds.depth
                ));
                continue;
            }
            let limit = self.bounds.nested_size.min(self.budget);
            if entry.size() > limit {
                self.warn_size(&here, limit);
                continue;
            }
            let mut buf = Vec::new();
            (&mut entry)
                .take(limit + 1)
                .read_to_end(&mut buf)
                .map_err(|e| AnalyzeError::malformed(format!("`{here}` does not inflate: {e}")))?;
            if buf.len() as u64 > limit {
                self.warn_size(&here, limit);
                continue;
            }
            drop(entry);
            self.budget -= buf.len() as u64;
            if let Err(e) = self.archive(&entry_name, Some(&here), &buf, depth + 1) {
                // A broken nested jar does not hide the rest of its parent.
                self.analysis.warnings.push(format!("`{here}`: {e}"));
            }
        }
        Ok(())
    }

    fn warn_size(&mut self, here: &str, limit: u64) {
        let what = if limit < self.bounds.nested_size {
            "the archive's inflated total"
        } else {
            "the bound for one nested jar"
        };
        self.analysis.warnings.push(format!(
            "`{here}` inflates past {limit} bytes ({what}; a zip bomb?): not read"
        ));
    }
}

fn read_text(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, i: usize) -> Result<String, AnalyzeError> {
    let entry = zip
        .by_index(i)
        .map_err(|e| AnalyzeError::malformed(format!("unreadable zip entry: {e}")))?;
    let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
    let mut buf = Vec::new();
    entry
        .take(MAX_TEXT)
        .read_to_end(&mut buf)
        .map_err(|e| AnalyzeError::malformed(format!("`{name}` does not inflate: {e}")))?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// `pom.properties`: Java properties with `groupId`, `artifactId`, `version`.
fn from_pom_properties(text: &str) -> Option<Package> {
    let (mut g, mut a, mut v) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with(['#', '!']) {
            continue;
        }
        let Some((key, value)) = line.split_once(['=', ':']) else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "groupId" => g = Some(value),
            "artifactId" => a = Some(value),
            "version" => v = Some(value),
            _ => {}
        }
    }
    match (g, a, v) {
        (Some(g), Some(a), Some(v)) if !g.is_empty() && !a.is_empty() && !v.is_empty() => {
            Some(Package::new(Ecosystem::Maven, &format!("{g}:{a}"), v))
        }
        _ => None,
    }
}

/// The main section of `MANIFEST.MF` (continuation lines start with one space).
fn manifest_attributes(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if let Some(more) = line.strip_prefix(' ') {
            if let Some(last) = out.last_mut() {
                last.1.push_str(more);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

/// Without `pom.properties`: the version from the manifest (`Implementation-Version`,
/// `Bundle-Version`, `Specification-Version`) or the file name (`name-1.2.3.jar`); the
/// group from `Implementation-Vendor-Id` or the OSGi `Bundle-SymbolicName` (all but its last
/// segment), the artifact from the file name, else the symbolic name's last segment, else
/// `Implementation-Title`. A best effort: these coordinates can differ from Maven Central's.
fn from_manifest(text: &str, file: &str) -> Option<Package> {
    let attrs = manifest_attributes(text);
    let get = |k: &str| {
        attrs
            .iter()
            .find(|(key, v)| key.eq_ignore_ascii_case(k) && !v.is_empty())
            .map(|(_, v)| v.as_str())
    };
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    // `name-1.2.3` → (`name`, `1.2.3`): the version starts at the first `-` followed by a digit.
    let split = stem
        .char_indices()
        .find(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
        .map(|(i, _)| (&stem[..i], &stem[i + 1..]));
    let symbolic = get("Bundle-SymbolicName").map(|s| s.split(';').next().unwrap_or(s).trim());
    let version = get("Implementation-Version")
        .or_else(|| get("Bundle-Version"))
        .or_else(|| get("Specification-Version"))
        .or(split.map(|(_, v)| v))?;
    let group = get("Implementation-Vendor-Id")
        .or_else(|| symbolic.and_then(|s| s.rsplit_once('.')).map(|(g, _)| g));
    let title = get("Implementation-Title").map(|t| t.to_lowercase().replace(' ', "-"));
    let artifact = split
        .map(|(n, _)| n.to_string())
        .or_else(|| symbolic.map(|s| s.rsplit_once('.').map_or(s, |(_, a)| a).to_string()))
        .or(title)?;
    let name = match group {
        Some(g) => format!("{g}:{artifact}"),
        None => artifact,
    };
    Some(Package::new(Ecosystem::Maven, &name, version))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(entries: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let method = if deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(true);
        for (name, data) in entries {
            w.start_file(*name, opts).expect("start");
            w.write_all(data).expect("write");
        }
        w.finish().expect("finish").into_inner()
    }

    fn pom(a: &str) -> Vec<u8> {
        format!("groupId=org.example\nartifactId={a}\nversion=1.0\n").into_bytes()
    }

    #[test]
    fn pom_properties_and_nested() {
        let inner = zip_of(
            &[(
                "META-INF/maven/org.example/inner/pom.properties",
                &pom("inner"),
            )],
            false,
        );
        let outer = zip_of(
            &[
                ("META-INF/maven/org.example/app/pom.properties", &pom("app")),
                ("BOOT-INF/lib/inner-1.0.jar", &inner),
            ],
            true,
        );
        let a = analyze_with("opt/app.jar", &outer, Bounds::default()).expect("reads");
        assert_eq!(a.packages.len(), 2);
        assert!(a.packages[0].locations.is_empty());
        assert_eq!(
            a.packages[1].locations[0].path,
            "opt/app.jar!/BOOT-INF/lib/inner-1.0.jar"
        );
        assert!(a.warnings.is_empty());
    }

    #[test]
    fn depth_bound() {
        let mut jar = zip_of(&[("META-INF/maven/g/l4/pom.properties", &pom("l4"))], false);
        for level in (0..4).rev() {
            let p = format!("META-INF/maven/g/l{level}/pom.properties");
            jar = zip_of(
                &[(&p, &pom(&format!("l{level}"))), ("lib/next.jar", &jar)],
                false,
            );
        }
        let bounds = Bounds {
            depth: 2,
            ..Bounds::default()
        };
        let a = analyze_with("x.jar", &jar, bounds).expect("reads");
        assert_eq!(a.packages.len(), 3, "{:?}", a.packages);
        assert_eq!(a.warnings.len(), 1);
        assert!(
            a.warnings[0].contains("nested more than 2"),
            "{}",
            a.warnings[0]
        );
    }

    #[test]
    fn bomb_bound() {
        let zeros = vec![0u8; 4 << 20];
        let jar = zip_of(
            &[
                ("META-INF/maven/g/a/pom.properties", &pom("a")),
                ("lib/bomb.jar", &zeros),
            ],
            true,
        );
        assert!(jar.len() < 64 << 10, "compressed to {}", jar.len());
        let bounds = Bounds {
            nested_size: 1 << 20,
            ..Bounds::default()
        };
        let a = analyze_with("x.jar", &jar, bounds).expect("reads");
        assert_eq!(a.packages.len(), 1);
        assert!(a.warnings[0].contains("inflates past"), "{}", a.warnings[0]);
    }

    #[test]
    fn manifest_fallbacks() {
        let m = "Manifest-Version: 1.0\nBundle-SymbolicName: org.apache.commons.cli;singleton:=true\nBundle-Version: 1.5.0\n";
        let p = from_manifest(m, "manifest-only.jar").expect("package");
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("org.apache.commons:cli", "1.5.0")
        );
        let p = from_manifest("", "guava-31.1-jre.jar").expect("from name");
        assert_eq!((p.name.as_str(), p.version.as_str()), ("guava", "31.1-jre"));
        assert!(from_manifest("Manifest-Version: 1.0\n", "app.jar").is_none());
    }

    #[test]
    fn not_a_zip_is_an_error() {
        assert!(analyze_with("x.jar", b"PK\x03\x04garbage", Bounds::default()).is_err());
        assert!(analyze_with("x.jar", b"", Bounds::default()).is_err());
    }
}
