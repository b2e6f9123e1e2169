//! OS detection from `etc/os-release`, `usr/lib/os-release`, `etc/alpine-release`,
//! `etc/debian_version`, `etc/redhat-release` and friends.

use drydock_image::{EntryKind, FileMeta};
use drydock_package::{Os, OsFamily};

use crate::{Analysis, AnalyzeError, Analyzer, Mode};

/// What one release file says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OsFacts {
    pub source: ReleaseFile,
    pub family: Option<OsFamily>,
    pub version: Option<String>,
    pub pretty_name: Option<String>,
    pub codename: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ReleaseFile {
    OsRelease,
    AlpineRelease,
    DebianVersion,
    RedhatStyle,
    LsbRelease,
}

const RELEASE_FILES: &[(&str, ReleaseFile)] = &[
    ("etc/os-release", ReleaseFile::OsRelease),
    ("usr/lib/os-release", ReleaseFile::OsRelease),
    ("etc/alpine-release", ReleaseFile::AlpineRelease),
    ("etc/debian_version", ReleaseFile::DebianVersion),
    ("etc/lsb-release", ReleaseFile::LsbRelease),
    ("etc/redhat-release", ReleaseFile::RedhatStyle),
    ("etc/centos-release", ReleaseFile::RedhatStyle),
    ("etc/rocky-release", ReleaseFile::RedhatStyle),
    ("etc/almalinux-release", ReleaseFile::RedhatStyle),
    ("etc/fedora-release", ReleaseFile::RedhatStyle),
    ("etc/oracle-release", ReleaseFile::RedhatStyle),
    ("etc/system-release", ReleaseFile::RedhatStyle),
    ("etc/mariner-release", ReleaseFile::RedhatStyle),
    ("etc/photon-release", ReleaseFile::RedhatStyle),
];

#[derive(Debug)]
pub(crate) struct OsReleaseAnalyzer;

impl Analyzer for OsReleaseAnalyzer {
    fn name(&self) -> &'static str {
        "os-release"
    }

    fn wants(&self, path: &str, meta: &FileMeta, _mode: Mode) -> bool {
        meta.kind != EntryKind::Hardlink
            && meta.size < 64 * 1024
            && RELEASE_FILES.iter().any(|(p, _)| *p == path)
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        let Some((_, kind)) = RELEASE_FILES.iter().find(|(p, _)| *p == path) else {
            return Ok(Analysis::default());
        };
        let text = String::from_utf8_lossy(content);
        let facts = match kind {
            ReleaseFile::OsRelease => parse_os_release(&text),
            ReleaseFile::LsbRelease => parse_lsb_release(&text),
            ReleaseFile::AlpineRelease => OsFacts {
                source: *kind,
                family: Some(OsFamily::Alpine),
                version: first_line(&text),
                pretty_name: None,
                codename: None,
            },
            ReleaseFile::DebianVersion => OsFacts {
                source: *kind,
                family: Some(OsFamily::Debian),
                version: first_line(&text),
                pretty_name: None,
                codename: None,
            },
            ReleaseFile::RedhatStyle => parse_redhat_release(&text),
        };
        Ok(Analysis {
            os: Some(facts),
            ..Analysis::default()
        })
    }
}

fn first_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    let v = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v);
    let v = v
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(v);
    v.to_string()
}

fn key_values(text: &str) -> impl Iterator<Item = (&str, String)> {
    text.lines().filter_map(|l| {
        let l = l.trim();
        if l.starts_with('#') {
            return None;
        }
        l.split_once('=').map(|(k, v)| (k.trim(), unquote(v)))
    })
}

/// The os-release keys (`ID`, `VERSION_ID`, `PRETTY_NAME`, `VERSION_CODENAME`) and their
/// lsb-release counterparts, in that order.
const OS_RELEASE_KEYS: [&str; 4] = ["ID", "VERSION_ID", "PRETTY_NAME", "VERSION_CODENAME"];
const LSB_RELEASE_KEYS: [&str; 4] = [
    "DISTRIB_ID",
    "DISTRIB_RELEASE",
    "DISTRIB_DESCRIPTION",
    "DISTRIB_CODENAME",
];

/// Reads a `KEY=value` release file whose id, version, pretty name and codename are `keys`.
fn parse_key_value_release(text: &str, source: ReleaseFile, keys: [&str; 4]) -> OsFacts {
    let mut f = OsFacts {
        source,
        family: None,
        version: None,
        pretty_name: None,
        codename: None,
    };
    for (k, v) in key_values(text) {
        if k == keys[0] {
            f.family = Some(OsFamily::from_id(&v));
        } else if k == keys[1] {
            f.version = Some(v);
        } else if k == keys[2] {
            f.pretty_name = Some(v);
        } else if k == keys[3] && !v.is_empty() {
            f.codename = Some(v);
        }
    }
    f
}

fn parse_os_release(text: &str) -> OsFacts {
    parse_key_value_release(text, ReleaseFile::OsRelease, OS_RELEASE_KEYS)
}

fn parse_lsb_release(text: &str) -> OsFacts {
    parse_key_value_release(text, ReleaseFile::LsbRelease, LSB_RELEASE_KEYS)
}

/// `Rocky Linux release 9.3 (Blue Onyx)`, `CentOS Linux release 7.9.2009 (Core)`, …
fn parse_redhat_release(text: &str) -> OsFacts {
    let line = first_line(text).unwrap_or_default();
    let lower = line.to_ascii_lowercase();
    let family = [
        ("centos", OsFamily::Centos),
        ("rocky", OsFamily::Rocky),
        ("almalinux", OsFamily::Alma),
        ("fedora", OsFamily::Fedora),
        ("oracle", OsFamily::Oracle),
        ("amazon", OsFamily::Amazon),
        ("mariner", OsFamily::Mariner),
        ("azure linux", OsFamily::Azurelinux),
        ("photon", OsFamily::Photon),
        ("red hat", OsFamily::Redhat),
    ]
    .into_iter()
    .find(|(k, _)| lower.contains(k))
    .map(|(_, f)| f);
    let version = lower
        .split_whitespace()
        .skip_while(|w| *w != "release")
        .nth(1)
        .or_else(|| {
            lower
                .split_whitespace()
                .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        })
        .map(str::to_string);
    OsFacts {
        source: ReleaseFile::RedhatStyle,
        family,
        version,
        pretty_name: Some(line),
        codename: None,
    }
}

/// Combines the facts of every release file found into one OS. os-release decides the family;
/// more precise version files refine the version (`/etc/debian_version` 12.5 over `VERSION_ID`
/// 12, `/etc/alpine-release` 3.10.4).
pub fn detect_os(facts: &[(String, OsFacts)]) -> Option<Os> {
    let by = |kind: ReleaseFile| {
        facts
            .iter()
            .filter(move |(_, f)| f.source == kind)
            .map(|(p, f)| (p.as_str(), f))
    };
    // etc/os-release over usr/lib/os-release.
    let os_release = by(ReleaseFile::OsRelease)
        .min_by_key(|(p, _)| if p.starts_with("etc/") { 0 } else { 1 })
        .map(|(_, f)| f);
    let alpine = by(ReleaseFile::AlpineRelease).next().map(|(_, f)| f);
    let debian = by(ReleaseFile::DebianVersion).next().map(|(_, f)| f);
    let redhat = by(ReleaseFile::RedhatStyle).next().map(|(_, f)| f);
    let lsb = by(ReleaseFile::LsbRelease).next().map(|(_, f)| f);

    let mut os = if let Some(f) = os_release.filter(|f| f.family.is_some()) {
        Os {
            family: f.family.clone()?,
            version: f.version.clone().unwrap_or_default(),
            pretty_name: f.pretty_name.clone(),
            codename: f.codename.clone(),
        }
    } else if let Some(f) = alpine {
        Os {
            family: OsFamily::Alpine,
            version: f.version.clone()?,
            pretty_name: None,
            codename: None,
        }
    } else if let Some(f) = redhat.filter(|f| f.family.is_some()) {
        Os {
            family: f.family.clone()?,
            version: f.version.clone()?,
            pretty_name: f.pretty_name.clone(),
            codename: None,
        }
    } else if let Some(f) = lsb.filter(|f| f.family.is_some()) {
        Os {
            family: f.family.clone()?,
            version: f.version.clone()?,
            pretty_name: f.pretty_name.clone(),
            codename: f.codename.clone(),
        }
    } else if let Some(f) = debian {
        Os {
            family: OsFamily::Debian,
            version: f.version.clone()?,
            pretty_name: None,
            codename: None,
        }
    } else {
        return None;
    };
    match os.family {
        OsFamily::Alpine => {
            if let Some(v) = alpine.and_then(|f| f.version.clone()) {
                os.version = v;
            }
        }
        OsFamily::Debian => {
            // debian_version is `12.5` on a release, `trixie/sid` on testing: refine only with a number.
            if let Some(v) = debian.and_then(|f| f.version.clone())
                && v.starts_with(|c: char| c.is_ascii_digit())
                && (os.version.is_empty() || v.starts_with(&os.version))
            {
                os.version = v;
            }
        }
        _ => {}
    }
    if os.version.is_empty() {
        // Debian testing/unstable has no VERSION_ID: its codename is the best version there is.
        os.version = os.codename.clone()?;
    }
    Some(os)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(path: &str, text: &str) -> (String, OsFacts) {
        let a = OsReleaseAnalyzer
            .analyze(path, text.as_bytes())
            .expect("parses");
        (path.to_string(), a.os.expect("facts"))
    }

    #[test]
    fn alpine_prefers_alpine_release() {
        let os = detect_os(&[
            facts("etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.10.4\nPRETTY_NAME=\"Alpine Linux v3.10\"\n"),
            facts("etc/alpine-release", "3.10.4\n"),
        ])
        .expect("os");
        assert_eq!(os.family, OsFamily::Alpine);
        assert_eq!(os.version, "3.10.4");
        assert_eq!(os.release(), "3.10");
    }

    #[test]
    fn debian_refined_by_debian_version() {
        let os = detect_os(&[
            facts(
                "usr/lib/os-release",
                "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
            ),
            facts("etc/debian_version", "12.5\n"),
        ])
        .expect("os");
        assert_eq!(
            (
                os.family.clone(),
                os.version.as_str(),
                os.codename.as_deref()
            ),
            (OsFamily::Debian, "12.5", Some("bookworm"))
        );
        assert_eq!(os.release(), "12");
        let testing = detect_os(&[
            facts("etc/os-release", "ID=debian\nVERSION_CODENAME=trixie\n"),
            facts("etc/debian_version", "trixie/sid\n"),
        ])
        .expect("os");
        assert_eq!(testing.version, "trixie");
    }

    #[test]
    fn redhat_style() {
        let os = detect_os(&[facts(
            "etc/redhat-release",
            "Rocky Linux release 9.3 (Blue Onyx)\n",
        )])
        .expect("os");
        assert_eq!((os.family, os.version.as_str()), (OsFamily::Rocky, "9.3"));
    }
}
