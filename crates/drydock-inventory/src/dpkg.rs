//! dpkg: `var/lib/dpkg/status` and distroless `var/lib/dpkg/status.d/*`.
//!
//! The format is deb822 (RFC 822-style paragraphs, `man deb-status`). Only installed packages
//! count: `Status: install ok installed` (a `deinstall ok config-files` package left only its
//! configuration). Distroless `status.d` files have no `Status` field and are installed.

use drydock_image::{EntryKind, FileMeta};
use drydock_package::{Ecosystem, Package, SourcePackage};

use crate::{Analysis, AnalyzeError, Analyzer, Mode};

#[derive(Debug)]
pub(crate) struct DpkgAnalyzer;

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d/";

impl Analyzer for DpkgAnalyzer {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn wants(&self, path: &str, meta: &FileMeta, _mode: Mode) -> bool {
        if meta.kind == EntryKind::Symlink && meta.size == 0 && path != STATUS {
            return false;
        }
        path == STATUS
            || path
                .strip_prefix(STATUS_D)
                .is_some_and(|name| !name.contains('/') && !name.ends_with(".md5sums"))
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        let packages = parse_status(content, path.starts_with(STATUS_D))?;
        Ok(Analysis {
            packages,
            ..Analysis::default()
        })
    }

    fn fatal(&self) -> bool {
        true
    }
}

struct Paragraph<'a> {
    first_line: usize,
    fields: Vec<(&'a str, &'a str)>,
}

impl<'a> Paragraph<'a> {
    fn get(&self, key: &str) -> Option<&'a str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
    }
}

/// Calls `each` with every paragraph of `text`, one at a time: the fields borrow from `text`
/// and one paragraph's list is reused for the next, so a huge status file costs its own bytes
/// and the packages made of it, nothing per field.
fn paragraphs<'a>(
    text: &'a str,
    mut each: impl FnMut(&Paragraph<'a>) -> Result<(), AnalyzeError>,
) -> Result<(), AnalyzeError> {
    let mut cur = Paragraph {
        first_line: 0,
        fields: Vec::new(),
    };
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            if !cur.fields.is_empty() {
                each(&cur)?;
                cur.fields.clear();
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            // A continuation line (Description, Conffiles): its field is already recorded.
            if cur.fields.is_empty() {
                return Err(AnalyzeError::AtLine {
                    line: n,
                    reason: "continuation line outside a paragraph".into(),
                });
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            return Err(AnalyzeError::AtLine {
                line: n,
                reason: format!(
                    "not a `Field: value` line: `{}`",
                    crate::lang::excerpt(line)
                ),
            });
        };
        if k.is_empty() || k.contains(char::is_whitespace) || k.chars().any(|c| c.is_control()) {
            return Err(AnalyzeError::AtLine {
                line: n,
                reason: format!("invalid field name `{}`", crate::lang::excerpt(k)),
            });
        }
        if cur.fields.is_empty() {
            cur.first_line = n;
        }
        cur.fields.push((k, v.trim()));
    }
    if !cur.fields.is_empty() {
        each(&cur)?;
    }
    Ok(())
}

fn parse_status(content: &[u8], status_d: bool) -> Result<Vec<Package>, AnalyzeError> {
    let text = std::str::from_utf8(content)
        .map_err(|e| AnalyzeError::malformed(format!("not UTF-8 text ({e})")))?;
    let mut out = Vec::new();
    paragraphs(text, |p| {
        let Some(name) = p.get("Package") else {
            return Err(AnalyzeError::AtLine {
                line: p.first_line,
                reason: "paragraph without a `Package` field".into(),
            });
        };
        match p.get("Status") {
            // `want flag status`: the last word is the state.
            Some(status) if status.split_whitespace().last() != Some("installed") => {
                return Ok(());
            }
            Some(_) => {}
            None if !status_d => {
                return Err(AnalyzeError::AtLine {
                    line: p.first_line,
                    reason: format!("package `{name}` has no `Status` field"),
                });
            }
            None => {}
        }
        let Some(version) = p.get("Version").filter(|v| !v.is_empty()) else {
            return Err(AnalyzeError::AtLine {
                line: p.first_line,
                reason: format!("package `{name}` has no `Version` field"),
            });
        };
        let mut pkg = Package::new(Ecosystem::Deb, name, version);
        pkg.arch = p.get("Architecture").map(str::to_string);
        if let Some(src) = p.get("Source") {
            // `Source: name` or `Source: name (version)` when the source version differs.
            let (sname, sver) = match src.split_once('(') {
                Some((n, rest)) => (
                    n.trim(),
                    Some(rest.trim_end_matches(')').trim().to_string()),
                ),
                None => (src.trim(), None),
            };
            if !sname.is_empty() {
                pkg.source = Some(SourcePackage {
                    name: sname.to_string(),
                    version: sver,
                });
            }
        } else {
            pkg.source = Some(SourcePackage {
                name: name.to_string(),
                version: None,
            });
        }
        crate::limit::push_package(&mut out, pkg)
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Package: libc6\nStatus: install ok installed\nPriority: optional\nSource: glibc\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nDescription: GNU C Library\n shared libraries\n\nPackage: libgcc-s1\nStatus: install ok installed\nSource: gcc-12 (12.2.0-14)\nVersion: 1:12.2.0-14\nArchitecture: amd64\n\nPackage: old\nStatus: deinstall ok config-files\nVersion: 1.0\n";

    #[test]
    fn parses_installed_with_sources() {
        let pkgs = parse_status(SAMPLE.as_bytes(), false).expect("parses");
        assert_eq!(pkgs.len(), 2);
        assert_eq!(
            pkgs[0].source.as_ref().map(|s| s.name.as_str()),
            Some("glibc")
        );
        assert_eq!(pkgs[1].version, "1:12.2.0-14");
        let src = pkgs[1].source.as_ref().expect("source");
        assert_eq!(
            (src.name.as_str(), src.version.as_deref()),
            ("gcc-12", Some("12.2.0-14"))
        );
    }

    #[test]
    fn corrupt_is_an_error() {
        assert!(
            parse_status(
                b"Package: x\nStatus: install ok installed\n\x00\x01garbage\n",
                false
            )
            .is_err()
        );
        assert!(parse_status(b"Package: x\nStatus: install ok installed\n", false).is_err());
        assert!(parse_status(&[0xff, 0xfe, 0x00], false).is_err());
    }

    #[test]
    fn status_d_has_no_status_field() {
        let pkgs = parse_status(
            b"Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n",
            true,
        )
        .expect("parses");
        assert_eq!(pkgs.len(), 1);
    }
}
