//! apk: `lib/apk/db/installed` (Alpine, Wolfi, Chainguard).
//!
//! One record per package, records separated by blank lines, each line `X:value` where `X` is
//! a one-letter key (apk-tools' "installed database" format): `P` name, `V` version, `A` arch,
//! `o` origin (source package), `L` licence.

use drydock_image::FileMeta;
use drydock_package::{Ecosystem, Package, SourcePackage};

use crate::{Analysis, AnalyzeError, Analyzer, Mode};

#[derive(Debug)]
pub(crate) struct ApkAnalyzer;

impl Analyzer for ApkAnalyzer {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn wants(&self, path: &str, _meta: &FileMeta, _mode: Mode) -> bool {
        path == "lib/apk/db/installed"
    }

    fn analyze(&self, _path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        Ok(Analysis {
            packages: parse_installed(content)?,
            ..Analysis::default()
        })
    }

    fn fatal(&self) -> bool {
        true
    }
}

#[derive(Default)]
struct Record {
    line: usize,
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    origin: Option<String>,
    license: Option<String>,
}

fn finish(r: Record, out: &mut Vec<Package>) -> Result<(), AnalyzeError> {
    let Some(name) = r.name else {
        return Err(AnalyzeError::AtLine {
            line: r.line,
            reason: "record without a `P:` (name) line".into(),
        });
    };
    let Some(version) = r.version else {
        return Err(AnalyzeError::AtLine {
            line: r.line,
            reason: format!("package `{name}` has no `V:` (version) line"),
        });
    };
    let mut p = Package::new(Ecosystem::Apk, &name, version);
    p.arch = r.arch;
    p.source = Some(SourcePackage {
        name: r.origin.unwrap_or_else(|| name.clone()),
        version: None,
    });
    if let Some(l) = r.license {
        p.licenses.push(l);
    }
    crate::limit::push_package(out, p)
}

fn parse_installed(content: &[u8]) -> Result<Vec<Package>, AnalyzeError> {
    let text = std::str::from_utf8(content)
        .map_err(|e| AnalyzeError::malformed(format!("not UTF-8 text ({e})")))?;
    let mut out = Vec::new();
    let mut cur: Option<Record> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.is_empty() {
            if let Some(r) = cur.take() {
                finish(r, &mut out)?;
            }
            continue;
        }
        let mut chars = line.chars();
        let (Some(key), Some(':')) = (chars.next(), chars.next()) else {
            return Err(AnalyzeError::AtLine {
                line: n,
                reason: format!(
                    "not a `X:value` line: `{}`",
                    drydock_image::text::shown_max(line, 60)
                ),
            });
        };
        let value = &line[key.len_utf8() + 1..];
        let r = cur.get_or_insert_with(|| Record {
            line: n,
            ..Record::default()
        });
        match key {
            'P' => r.name = Some(value.to_string()),
            'V' => r.version = Some(value.to_string()),
            'A' => r.arch = Some(value.to_string()),
            'o' => r.origin = Some(value.to_string()),
            'L' => r.license = Some(value.to_string()),
            _ => {}
        }
    }
    if let Some(r) = cur {
        finish(r, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records() {
        let db = "C:Q1abc=\nP:musl\nV:1.1.22-r3\nA:x86_64\nL:MIT\no:musl\n\nP:musl-utils\nV:1.1.22-r3\no:musl\nF:sbin\nR:ldconfig\n";
        let pkgs = parse_installed(db.as_bytes()).expect("parses");
        assert_eq!(pkgs.len(), 2);
        assert_eq!(pkgs[1].source_name(), "musl");
        assert_eq!(pkgs[0].licenses, vec!["MIT".to_string()]);
    }

    #[test]
    fn corrupt_is_an_error() {
        assert!(parse_installed(b"P:musl\nV:1\n\nthis is not apk\n").is_err());
        assert!(parse_installed(b"P:musl\nA:x86_64\n").is_err());
    }
}
