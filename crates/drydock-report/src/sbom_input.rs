//! Reading an SBOM back as an [`Inventory`]: CycloneDX (1.4–1.7) and SPDX 2.3 JSON, so that
//! `drydock image bom.cdx.json` matches an SBOM's packages like an image's (as `trivy sbom`
//! and Grype's `sbom:` do).
//!
//! Packages come from their purls (`pkg:deb/debian/libc6@2.36-9?distro=debian-12.5`); the OS
//! from an `operating-system` component (SPDX: a package whose purpose is `OPERATING-SYSTEM`),
//! else from the `distro` qualifier of the OS packages' purls. The source package, which
//! Debian's advisories are written against, comes from drydock's and Trivy's properties
//! (`drydock:package:source_name`, `aquasecurity:trivy:SrcName`, SPDX `sourceInfo`), else from
//! the purl's `upstream` qualifier. Paths come from the same properties (`drydock:package:path`,
//! `aquasecurity:trivy:FilePath`, the SPDX `comment` drydock writes). So a drydock SBOM scanned
//! again gives the findings of the scan it was made from.
//!
//! Components without a purl, or with a purl type drydock does not match (`generic`,
//! `github`), are counted in a warning, never silently dropped.

use std::collections::BTreeMap;
use std::path::Path;

use drydock_package::{
    Ecosystem, Inventory, Location, Os, OsFamily, Package, ScanWarning, SourcePackage,
};
use serde_json::Value;

/// The SBOM formats drydock reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    CycloneDx,
    Spdx,
}

impl SbomFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SbomFormat::CycloneDx => "cyclonedx",
            SbomFormat::Spdx => "spdx",
        }
    }
}

/// An SBOM read as an inventory.
#[derive(Debug, Clone)]
pub struct SbomInput {
    pub format: SbomFormat,
    /// `1.6` for CycloneDX, `SPDX-2.3` for SPDX.
    pub spec_version: String,
    /// The document's subject (CycloneDX `metadata.component.name`, SPDX `name`).
    pub subject: Option<String>,
    pub inventory: Inventory,
}

/// The file is not an SBOM drydock reads.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SbomError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not valid JSON: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "`{path}` is JSON but neither CycloneDX (`bomFormat`) nor SPDX (`spdxVersion`); drydock reads CycloneDX 1.4–1.7 and SPDX 2.3 JSON"
    )]
    NotAnSbom { path: String },
    #[error("`{path}`: {format} {version} is not supported (drydock reads {supported})")]
    Version {
        path: String,
        format: &'static str,
        version: String,
        supported: &'static str,
    },
}

/// Whether `head` (the first bytes of a file) looks like a JSON document: the only thing an
/// image archive or a tarball never starts with.
pub fn looks_like_json(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
}

/// Whether the file at `path` starts like a JSON document (see [`looks_like_json`]).
pub fn is_json_file(path: &Path) -> bool {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = [0u8; 512];
    let n = f.read(&mut head).unwrap_or(0);
    looks_like_json(&head[..n])
}

/// Reads the SBOM at `path`.
pub fn read_sbom(path: &Path) -> Result<SbomInput, SbomError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| SbomError::Io {
        path: shown.clone(),
        source,
    })?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|source| SbomError::Json {
        path: shown.clone(),
        source,
    })?;
    parse_sbom(&doc, &shown)
}

/// Reads an SBOM already parsed as JSON; `name` names it in errors and warnings.
pub fn parse_sbom(doc: &Value, name: &str) -> Result<SbomInput, SbomError> {
    if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        let version = doc
            .get("specVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        // 1.7 is what Trivy 0.76 writes; the parts read here are the same since 1.2.
        if !matches!(
            version.as_str(),
            "1.2" | "1.3" | "1.4" | "1.5" | "1.6" | "1.7"
        ) {
            return Err(SbomError::Version {
                path: name.to_string(),
                format: "CycloneDX",
                version,
                supported: "CycloneDX 1.4 to 1.7",
            });
        }
        return Ok(cyclonedx(doc, name, version));
    }
    if let Some(version) = doc.get("spdxVersion").and_then(Value::as_str) {
        if !matches!(version, "SPDX-2.2" | "SPDX-2.3") {
            return Err(SbomError::Version {
                path: name.to_string(),
                format: "SPDX",
                version: version.to_string(),
                supported: "SPDX 2.3 JSON",
            });
        }
        return Ok(spdx(doc, name, version.to_string()));
    }
    Err(SbomError::NotAnSbom {
        path: name.to_string(),
    })
}

/// What one SBOM entry says about a package, before it becomes one.
#[derive(Default)]
struct Entry {
    purl: Option<String>,
    version: Option<String>,
    source_name: Option<String>,
    source_version: Option<String>,
    paths: Vec<String>,
    licenses: Vec<String>,
}

/// Packages and warnings from entries; the OS from the explicit one, else from purls.
fn inventory(entries: Vec<Entry>, os: Option<Os>, name: &str) -> Inventory {
    let mut packages = Vec::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut distro: Option<Os> = None;
    for e in entries {
        let Some(purl) = e.purl.as_deref() else {
            *skipped.entry("no purl".into()).or_default() += 1;
            continue;
        };
        let parsed = match Purl::parse(purl) {
            Ok(p) => p,
            Err(why) => {
                *skipped.entry(why).or_default() += 1;
                continue;
            }
        };
        let Ok(ecosystem) = parsed.ty.parse::<Ecosystem>() else {
            *skipped
                .entry(format!("purl type `{}`", parsed.ty))
                .or_default() += 1;
            continue;
        };
        if ecosystem.as_str() != parsed.ty {
            *skipped
                .entry(format!("purl type `{}`", parsed.ty))
                .or_default() += 1;
            continue;
        }
        let Some(version) = parsed.version.clone().or(e.version) else {
            *skipped.entry("no version".into()).or_default() += 1;
            continue;
        };
        let pkg_name = match (ecosystem, &parsed.namespace) {
            (Ecosystem::Npm, Some(ns)) => format!("{ns}/{}", parsed.name),
            (Ecosystem::Maven, Some(ns)) => format!("{ns}:{}", parsed.name),
            (Ecosystem::Golang | Ecosystem::Composer, Some(ns)) => {
                format!("{ns}/{}", parsed.name)
            }
            _ => parsed.name.clone(),
        };
        let mut p = Package::new(ecosystem, &pkg_name, version);
        p.arch = parsed.qualifier("arch").map(str::to_string);
        p.licenses = e.licenses;
        if ecosystem.is_os() {
            if distro.is_none()
                && let Some(d) = parsed.qualifier("distro")
            {
                distro = os_from_distro(d);
            }
            let source_name = e
                .source_name
                .or_else(|| parsed.qualifier("upstream").map(upstream_name));
            if let Some(s) = source_name {
                p.source = Some(SourcePackage {
                    name: s,
                    version: e.source_version,
                });
            }
        }
        p.locations = e
            .paths
            .into_iter()
            .map(|path| Location::new(None, path))
            .collect();
        packages.push(p);
    }
    let warnings = skipped
        .into_iter()
        .map(|(why, n)| ScanWarning {
            path: name.to_string(),
            layer: None,
            source: "sbom".into(),
            message: format!("{n} component(s) not checked: {why}"),
        })
        .collect();
    let mut inv = Inventory {
        os: os.or(distro),
        packages,
        warnings,
    };
    inv.normalize();
    inv
}

/// `glibc@2.36-9` (Trivy writes the source version into `upstream` for some types) → `glibc`.
fn upstream_name(q: &str) -> String {
    q.split('@').next().unwrap_or(q).to_string()
}

/// `debian-12.5`, `alpine-3.10.4`, `opensuse-leap-15.4` → the OS (the version is what follows
/// the last `-` that a digit follows).
fn os_from_distro(d: &str) -> Option<Os> {
    let at = d
        .char_indices()
        .filter(|(i, c)| *c == '-' && d[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
        .map(|(i, _)| i)
        .next_back()?;
    let (family, version) = (&d[..at], &d[at + 1..]);
    (!family.is_empty() && !version.is_empty()).then(|| Os {
        family: OsFamily::from_id(family),
        version: version.to_string(),
        pretty_name: None,
        codename: None,
    })
}

fn os_of(name: &str, version: &str) -> Option<Os> {
    (!name.is_empty() && !version.is_empty()).then(|| Os {
        family: OsFamily::from_id(name),
        version: version.to_string(),
        pretty_name: None,
        codename: None,
    })
}

fn cyclonedx(doc: &Value, name: &str, version: String) -> SbomInput {
    let mut entries = Vec::new();
    let mut os = None;
    let mut stack: Vec<&Value> = Vec::new();
    if let Some(c) = doc.get("components").and_then(Value::as_array) {
        stack.extend(c.iter().rev());
    }
    while let Some(c) = stack.pop() {
        if let Some(children) = c.get("components").and_then(Value::as_array) {
            stack.extend(children.iter().rev());
        }
        let ty = c.get("type").and_then(Value::as_str).unwrap_or("");
        let text = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_string);
        if ty == "operating-system" {
            if os.is_none() {
                os = os_of(
                    &text("name").unwrap_or_default(),
                    &text("version").unwrap_or_default(),
                );
            }
            continue;
        }
        // The image, a lockfile or an application as a whole: not a package to match.
        if matches!(ty, "container" | "file" | "application") && c.get("purl").is_none() {
            continue;
        }
        let mut e = Entry {
            purl: text("purl"),
            version: text("version"),
            ..Entry::default()
        };
        for p in c
            .get("properties")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(k), Some(v)) = (
                p.get("name").and_then(Value::as_str),
                p.get("value").and_then(Value::as_str),
            ) else {
                continue;
            };
            match k {
                "drydock:package:source_name" | "aquasecurity:trivy:SrcName" => {
                    e.source_name = Some(v.to_string());
                }
                "drydock:package:source_version" | "aquasecurity:trivy:SrcVersion" => {
                    e.source_version = Some(v.to_string());
                }
                "drydock:package:path" | "aquasecurity:trivy:FilePath" | "syft:location:0:path" => {
                    e.paths.push(v.trim_start_matches('/').to_string());
                }
                _ => {}
            }
        }
        for l in c
            .get("licenses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let lic = l
                .pointer("/license/id")
                .or_else(|| l.pointer("/license/name"))
                .or_else(|| l.get("expression"))
                .and_then(Value::as_str);
            if let Some(lic) = lic {
                e.licenses.push(lic.to_string());
            }
        }
        entries.push(e);
    }
    let subject = doc
        .pointer("/metadata/component/name")
        .and_then(Value::as_str)
        .map(str::to_string);
    SbomInput {
        format: SbomFormat::CycloneDx,
        spec_version: version,
        subject,
        inventory: inventory(entries, os, name),
    }
}

fn spdx(doc: &Value, name: &str, version: String) -> SbomInput {
    let mut entries = Vec::new();
    let mut os = None;
    for p in doc
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
        let purpose = text("primaryPackagePurpose").unwrap_or_default();
        if purpose == "OPERATING-SYSTEM" || purpose == "OPERATING_SYSTEM" {
            if os.is_none() {
                os = os_of(
                    &text("name").unwrap_or_default(),
                    &text("versionInfo").unwrap_or_default(),
                );
            }
            continue;
        }
        let purl = p
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
            .and_then(|r| r.get("referenceLocator").and_then(Value::as_str))
            .map(str::to_string);
        if purl.is_none()
            && matches!(
                purpose.as_str(),
                "CONTAINER" | "FILE" | "SOURCE" | "APPLICATION"
            )
        {
            continue;
        }
        let mut e = Entry {
            purl,
            version: text("versionInfo"),
            ..Entry::default()
        };
        // drydock: `built from source package NAME VERSION`; Trivy: `built package from: NAME VERSION`.
        if let Some(info) = text("sourceInfo") {
            let rest = info
                .strip_prefix("built from source package ")
                .or_else(|| info.strip_prefix("built package from: "));
            if let Some(rest) = rest {
                let mut parts = rest.split_whitespace();
                e.source_name = parts.next().map(str::to_string);
                e.source_version = parts.next().map(str::to_string);
            }
        }
        if let Some(found) = text("comment")
            .as_deref()
            .and_then(|c| c.strip_prefix("found at: "))
        {
            e.paths = found
                .split(", ")
                .map(|s| s.split(" (layer ").next().unwrap_or(s).to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(l) = text("licenseDeclared").filter(|l| l != "NOASSERTION" && l != "NONE") {
            e.licenses.push(l);
        }
        entries.push(e);
    }
    SbomInput {
        format: SbomFormat::Spdx,
        spec_version: version,
        subject: doc.get("name").and_then(Value::as_str).map(str::to_string),
        inventory: inventory(entries, os, name),
    }
}

/// A parsed package URL (only what matching needs).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: Vec<(String, String)>,
}

impl Purl {
    /// `pkg:type/namespace/name@version?qualifiers#subpath`, percent-decoded.
    fn parse(s: &str) -> Result<Purl, String> {
        let rest = s
            .trim()
            .strip_prefix("pkg:")
            .ok_or_else(|| "purl without `pkg:`".to_string())?;
        let rest = rest.split('#').next().unwrap_or(rest);
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let rest = rest.trim_start_matches('/');
        let (path, version) = match rest.rsplit_once('@') {
            Some((p, v)) if !p.is_empty() => (p, Some(decode(v))),
            _ => (rest, None),
        };
        let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if segments.len() < 2 {
            return Err("malformed purl".to_string());
        }
        let ty = segments.remove(0).to_ascii_lowercase();
        let name = decode(segments.pop().unwrap_or_default());
        let namespace = (!segments.is_empty()).then(|| {
            segments
                .iter()
                .map(|s| decode(s))
                .collect::<Vec<_>>()
                .join("/")
        });
        let qualifiers = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_ascii_lowercase(), decode(v)))
            .collect();
        Ok(Purl {
            ty,
            namespace,
            name,
            version: version.filter(|v| !v.is_empty()),
            qualifiers,
        })
    }

    fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Percent-decoding; an invalid escape is kept as written.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_parse() {
        let p = Purl::parse(
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5&upstream=glibc",
        )
        .expect("purl");
        assert_eq!(p.ty, "deb");
        assert_eq!(p.namespace.as_deref(), Some("debian"));
        assert_eq!(p.name, "libc6");
        assert_eq!(p.version.as_deref(), Some("2.36-9+deb12u4"));
        assert_eq!(p.qualifier("distro"), Some("debian-12.5"));
        let p = Purl::parse("pkg:npm/%40babel/core@7.0.0").expect("purl");
        assert_eq!(p.namespace.as_deref(), Some("@babel"));
        let p = Purl::parse("pkg:golang/github.com/pkg/errors@v0.9.1").expect("purl");
        assert_eq!(p.namespace.as_deref(), Some("github.com/pkg"));
        assert!(Purl::parse("not a purl").is_err());
        assert!(Purl::parse("pkg:x").is_err());
    }

    #[test]
    fn distro_qualifiers() {
        let os = os_from_distro("alpine-3.20.1").expect("os");
        assert_eq!(
            (os.family.as_str(), os.version.as_str()),
            ("alpine", "3.20.1")
        );
        let os = os_from_distro("opensuse-leap-15.4").expect("os");
        assert_eq!(os.version, "15.4");
        assert!(os_from_distro("debian").is_none());
    }

    #[test]
    fn sniffing() {
        assert!(looks_like_json(b"  \n{\"bomFormat\""));
        assert!(looks_like_json(b"\xef\xbb\xbf{}"));
        assert!(!looks_like_json(b"\x1f\x8b\x08"));
        assert!(!looks_like_json(b"manifest.json\0\0"));
    }

    #[test]
    fn a_json_file_that_is_no_sbom_says_so() {
        let e = parse_sbom(&serde_json::json!({"a": 1}), "x.json").expect_err("not an SBOM");
        assert!(e.to_string().contains("neither CycloneDX"), "{e}");
        let e = parse_sbom(
            &serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "2.0"}),
            "x.json",
        )
        .expect_err("unsupported");
        assert!(
            e.to_string().contains("CycloneDX 2.0 is not supported"),
            "{e}"
        );
    }
}
