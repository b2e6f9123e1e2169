//! Ignore files: drydock's `.drydockignore.yaml` (reason and expiry required), and Trivy's
//! `.trivyignore` and `.trivyignore.yaml`, read for migration.

use std::path::{Path, PathBuf};

use drydock_match::Finding;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::date::Date;
use crate::error::PolicyError;
use crate::pattern;

/// drydock's own ignore file, looked for in the working directory.
pub const DRYDOCK_IGNORE: &str = ".drydockignore.yaml";
/// Trivy's files, read when present so a Trivy user can switch without rewriting them.
pub const TRIVY_IGNORE_YAML: &str = ".trivyignore.yaml";
pub const TRIVY_IGNORE: &str = ".trivyignore";

/// Which format an entry was read from: it decides whether reason and expiry are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreFormat {
    /// `.drydockignore.yaml`: `reason` and `expires` required.
    Drydock,
    /// `.trivyignore`: one id per line, `exp:YYYY-MM-DD`, `#` comments above it as the reason.
    TrivyPlain,
    /// `.trivyignore.yaml`: `vulnerabilities: [{id, paths, purls, statement, expired_at}]`.
    TrivyYaml,
}

/// One entry: which findings it suppresses, why, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreEntry {
    /// An advisory id or any alias of it (`CVE-…`, `GHSA-…`, `RUSTSEC-…`), case-insensitive.
    pub id: String,
    /// Package patterns (any may match): a glob on the package or source package name
    /// (`musl*`), or a purl (`pkg:deb/debian/libssl3`, version optional).
    pub packages: Vec<String>,
    /// Path patterns (any may match one of the finding's locations): a glob (`*` crosses `/`)
    /// or, without wildcards, a path or a directory prefix (`usr/lib/python3`).
    pub paths: Vec<String>,
    /// Narrows the entry to the one finding with this fingerprint (the `fingerprint` of the
    /// JSON report, vulnerability, misconfiguration or secret).
    pub fingerprint: Option<String>,
    pub reason: Option<String>,
    /// Suppresses through this day; from the next day on the entry is expired.
    pub expires: Option<Date>,
    /// `file:line` of the entry.
    pub source: String,
    pub format: IgnoreFormat,
}

impl IgnoreEntry {
    /// Does the entry name this finding (whatever its expiry)?
    pub fn matches(&self, f: &Finding) -> bool {
        let id_ok = std::iter::once(&f.id)
            .chain(&f.aliases)
            .any(|i| i.eq_ignore_ascii_case(self.id.trim()));
        let package_ok = self.packages.is_empty()
            || self.packages.iter().any(|p| {
                if p.starts_with("pkg:") {
                    pattern::purl(p, &f.purl)
                } else {
                    pattern::glob(p, &f.package, false)
                        || f.source_package
                            .as_ref()
                            .is_some_and(|s| pattern::glob(p, &s.name, false))
                }
            });
        let path_ok = self.paths.is_empty()
            || self
                .paths
                .iter()
                .any(|p| f.locations.iter().any(|l| pattern::path(p, &l.path)));
        let fingerprint_ok = self
            .fingerprint
            .as_deref()
            .is_none_or(|x| x.trim().eq_ignore_ascii_case(&f.fingerprint));
        id_ok && package_ok && path_ok && fingerprint_ok
    }

    /// The file the entry was read from (its `source` without the `:line`).
    pub fn file(&self) -> &str {
        source_file(&self.source)
    }

    pub fn is_expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|d| d < today)
    }
}

/// The file of a `file:line` source (`.trivyignore:12` → `.trivyignore`); a source without a
/// line number (a VEX document, `triage #4`) is returned whole.
pub fn source_file(source: &str) -> &str {
    match source.rsplit_once(':') {
        Some((file, line)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => file,
        _ => source,
    }
}

/// The entries of one or more ignore files, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreFile {
    pub entries: Vec<IgnoreEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDrydock {
    #[serde(default)]
    ignore: Vec<Spanned<RawEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: Option<String>,
    package: Option<String>,
    path: Option<String>,
    fingerprint: Option<String>,
    reason: Option<String>,
    expires: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
struct RawTrivy {
    #[serde(default)]
    vulnerabilities: Vec<Spanned<RawTrivyEntry>>,
    /// Misconfiguration ids (`AVD-DS-0002`, `DS002`): drydock's checks name their Trivy peers.
    #[serde(default)]
    misconfigurations: Vec<Spanned<RawTrivyEntry>>,
    #[serde(default)]
    secrets: Vec<Spanned<RawTrivyEntry>>,
}

#[derive(Debug, Deserialize)]
struct RawTrivyEntry {
    id: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    purls: Vec<String>,
    statement: Option<String>,
    expired_at: Option<Spanned<String>>,
}

fn yaml<T: for<'de> Deserialize<'de>>(text: &str, file: &str) -> Result<T, PolicyError> {
    serde_saphyr::from_str(text).map_err(|e| PolicyError::Syntax {
        file: file.to_string(),
        line: e.location().map(|l| l.line()).unwrap_or(0),
        message: e.to_string().lines().next().unwrap_or_default().to_string(),
    })
}

/// A YAML document with nothing but comments and blank lines.
fn is_blank(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .all(|l| l.is_empty() || l.starts_with('#') || l == "---")
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn date(
    raw: Option<Spanned<String>>,
    file: &str,
    line: u64,
    id: &str,
) -> Result<Option<Date>, PolicyError> {
    raw.map(|d| {
        let line = match d.referenced.line() {
            0 => line,
            l => l,
        };
        d.value.parse().map_err(|source| PolicyError::BadDate {
            file: file.to_string(),
            line,
            id: id.to_string(),
            source,
        })
    })
    .transpose()
}

impl IgnoreFile {
    /// Reads `path`; the format follows the file name (`*.trivyignore.yaml` / `.yml` → Trivy's
    /// YAML, other `*.yaml` / `.yml` → drydock's unless its top-level key is
    /// `vulnerabilities:`, anything else → Trivy's plain format).
    pub fn load(path: &Path) -> Result<IgnoreFile, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path.display().to_string();
        let lower = name.to_ascii_lowercase();
        let format = if lower.ends_with(".trivyignore.yaml") || lower.ends_with(".trivyignore.yml")
        {
            IgnoreFormat::TrivyYaml
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            let trivy = ["vulnerabilities:", "misconfigurations:", "secrets:"];
            if text.lines().any(|l| trivy.iter().any(|k| l.starts_with(k))) {
                IgnoreFormat::TrivyYaml
            } else {
                IgnoreFormat::Drydock
            }
        } else {
            IgnoreFormat::TrivyPlain
        };
        IgnoreFile::parse(&text, &name, format)
    }

    /// Loads every ignore file present in `dir`: `.drydockignore.yaml`, `.trivyignore.yaml`,
    /// `.trivyignore`, merged in that order. `None` when there is none.
    pub fn discover(dir: &Path) -> Result<Option<IgnoreFile>, PolicyError> {
        let mut all: Option<IgnoreFile> = None;
        for name in [DRYDOCK_IGNORE, TRIVY_IGNORE_YAML, TRIVY_IGNORE] {
            let path: PathBuf = dir.join(name);
            if path.is_file() {
                let f = IgnoreFile::load(&path)?;
                all.get_or_insert_with(IgnoreFile::default)
                    .entries
                    .extend(f.entries);
            }
        }
        Ok(all)
    }

    /// Parses `text` (named `file` in errors and entry sources) in `format`.
    pub fn parse(text: &str, file: &str, format: IgnoreFormat) -> Result<IgnoreFile, PolicyError> {
        match format {
            IgnoreFormat::Drydock => parse_drydock(text, file),
            IgnoreFormat::TrivyYaml => parse_trivy_yaml(text, file),
            IgnoreFormat::TrivyPlain => parse_trivy_plain(text, file),
        }
    }
}

fn parse_drydock(text: &str, file: &str) -> Result<IgnoreFile, PolicyError> {
    if is_blank(text) {
        return Ok(IgnoreFile::default());
    }
    let raw: RawDrydock = yaml(text, file)?;
    let mut entries = Vec::new();
    for e in raw.ignore {
        let line = e.referenced.line();
        let e = e.value;
        let missing = |id: &str, field| PolicyError::MissingField {
            file: file.to_string(),
            line,
            id: id.to_string(),
            field,
        };
        let id = non_empty(e.id).ok_or_else(|| missing("", "id"))?;
        let reason = non_empty(e.reason).ok_or_else(|| missing(&id, "reason"))?;
        let expires = date(e.expires, file, line, &id)?.ok_or_else(|| missing(&id, "expires"))?;
        entries.push(IgnoreEntry {
            packages: non_empty(e.package).into_iter().collect(),
            paths: non_empty(e.path).into_iter().collect(),
            fingerprint: non_empty(e.fingerprint),
            reason: Some(reason),
            expires: Some(expires),
            source: format!("{file}:{line}"),
            format: IgnoreFormat::Drydock,
            id,
        });
    }
    Ok(IgnoreFile { entries })
}

fn parse_trivy_yaml(text: &str, file: &str) -> Result<IgnoreFile, PolicyError> {
    if is_blank(text) {
        return Ok(IgnoreFile::default());
    }
    let raw: RawTrivy = yaml(text, file)?;
    let mut entries = Vec::new();
    let sections = raw
        .vulnerabilities
        .into_iter()
        .chain(raw.misconfigurations)
        .chain(raw.secrets);
    for e in sections {
        let line = e.referenced.line();
        let e = e.value;
        let id = non_empty(e.id).ok_or_else(|| PolicyError::MissingField {
            file: file.to_string(),
            line,
            id: String::new(),
            field: "id",
        })?;
        let expires = date(e.expired_at, file, line, &id)?;
        entries.push(IgnoreEntry {
            packages: e.purls,
            paths: e.paths,
            fingerprint: None,
            reason: non_empty(e.statement),
            expires,
            source: format!("{file}:{line}"),
            format: IgnoreFormat::TrivyYaml,
            id,
        });
    }
    Ok(IgnoreFile { entries })
}

/// Trivy's plain format: `ID [exp:YYYY-MM-DD] [# comment]` per line, `#` comment lines.
///
/// An entry's reason is what its author wrote next to it: the comment lines right above it, a
/// trailing `# comment` on its own line, and comment lines right below it that end a block (a
/// blank line or the end of the file follows them, not another entry). Joined with spaces.
fn parse_trivy_plain(text: &str, file: &str) -> Result<IgnoreFile, PolicyError> {
    let mut entries: Vec<IgnoreEntry> = Vec::new();
    // Comment lines not yet given to an entry, and whether they directly follow an entry line.
    let mut comment: Vec<&str> = Vec::new();
    let mut after_entry = false;
    // Comment lines below an entry belong to it when a blank line or the end follows them.
    let close_block = |entries: &mut Vec<IgnoreEntry>, comment: &mut Vec<&str>, after: bool| {
        if let Some(last) = entries.last_mut().filter(|_| after && !comment.is_empty()) {
            let below = comment.join(" ");
            last.reason = Some(match last.reason.take() {
                Some(r) => format!("{r} {below}"),
                None => below,
            });
        }
        comment.clear();
    };
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let line = line.trim();
        if line.is_empty() {
            close_block(&mut entries, &mut comment, after_entry);
            after_entry = false;
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            let c = c.trim();
            if !c.is_empty() {
                comment.push(c);
            }
            continue;
        }
        let (line, trailing) = match line.split_once(" #").or_else(|| line.split_once("\t#")) {
            Some((entry, c)) => (entry.trim(), Some(c.trim())),
            None => (line, None),
        };
        let mut fields = line.split_whitespace();
        let id = fields.next().unwrap_or_default().to_string();
        let mut expires = None;
        for f in fields {
            if let Some(d) = f.strip_prefix("exp:") {
                expires = Some(d.parse().map_err(|source| PolicyError::BadDate {
                    file: file.to_string(),
                    line: n,
                    id: id.clone(),
                    source,
                })?);
            } else {
                return Err(PolicyError::Syntax {
                    file: file.to_string(),
                    line: n,
                    message: format!("unexpected `{f}` after `{id}` (expected `exp:YYYY-MM-DD`)"),
                });
            }
        }
        let reason: Vec<&str> = comment
            .drain(..)
            .chain(trailing.filter(|c| !c.is_empty()))
            .collect();
        let reason = reason.join(" ");
        after_entry = true;
        entries.push(IgnoreEntry {
            id,
            packages: Vec::new(),
            paths: Vec::new(),
            fingerprint: None,
            reason: (!reason.is_empty()).then_some(reason),
            expires,
            source: format!("{file}:{n}"),
            format: IgnoreFormat::TrivyPlain,
        });
    }
    close_block(&mut entries, &mut comment, after_entry);
    Ok(IgnoreFile { entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drydock_entries_with_lines() {
        let text = "# accepted risks\nignore:\n  - id: CVE-2019-14697\n    package: musl*\n    reason: not reachable\n    expires: 2026-12-31\n  - id: GHSA-aaaa-bbbb-cccc\n    path: usr/lib/python3\n    reason: test only\n    expires: \"2027-01-15\"\n";
        let f = IgnoreFile::parse(text, "x.yaml", IgnoreFormat::Drydock).expect("parses");
        assert_eq!(f.entries.len(), 2);
        assert_eq!(f.entries[0].source, "x.yaml:3");
        assert_eq!(f.entries[1].source, "x.yaml:7");
        assert_eq!(f.entries[0].packages, vec!["musl*"]);
        assert_eq!(f.entries[1].expires, Date::new(2027, 1, 15));
    }

    #[test]
    fn unknown_key_is_an_error_with_its_line() {
        let text = "ignore:\n  - id: CVE-1\n    reason: r\n    expiry: 2026-01-01\n";
        let e = IgnoreFile::parse(text, "x.yaml", IgnoreFormat::Drydock).expect_err("a typo");
        match e {
            PolicyError::Syntax { line, .. } => assert_eq!(line, 4, "{e}"),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn trivy_plain() {
        let text = "# Accept the risk\n# until the next release\nCVE-2018-14618\n\nCVE-2019-14697 exp:2023-01-01\n";
        let f = IgnoreFile::parse(text, ".trivyignore", IgnoreFormat::TrivyPlain).expect("parses");
        assert_eq!(
            f.entries[0].reason.as_deref(),
            Some("Accept the risk until the next release")
        );
        assert_eq!(f.entries[0].expires, None);
        assert_eq!(f.entries[1].reason, None);
        assert_eq!(f.entries[1].expires, Date::new(2023, 1, 1));
        assert_eq!(f.entries[1].source, ".trivyignore:5");
    }

    /// Issue 13: a trailing `# comment` is the entry's reason, and so is a comment block right
    /// below an entry that a blank line ends; a block followed by an entry is that entry's.
    #[test]
    fn trivy_plain_comments_beside_and_below_are_reasons() {
        let text = "CVE-1 exp:2030-01-01 # only in tests\nCVE-2\n# not reachable:\n# the x87 code is not built\n\nCVE-3\n# above CVE-4\nCVE-4\t# and beside it\nCVE-5\n";
        let f = IgnoreFile::parse(text, ".trivyignore", IgnoreFormat::TrivyPlain).expect("parses");
        let reasons: Vec<Option<&str>> = f.entries.iter().map(|e| e.reason.as_deref()).collect();
        assert_eq!(
            reasons,
            vec![
                Some("only in tests"),
                Some("not reachable: the x87 code is not built"),
                None,
                Some("above CVE-4 and beside it"),
                None,
            ]
        );
        assert_eq!(f.entries[0].expires, Date::new(2030, 1, 1));
        assert_eq!(f.entries[3].source, ".trivyignore:8");
        // A word after the id that is neither a date nor a comment is still an error.
        let e = IgnoreFile::parse("CVE-1 oops\n", ".trivyignore", IgnoreFormat::TrivyPlain)
            .expect_err("a stray word");
        assert!(e.to_string().contains("oops"), "{e}");
    }
}
