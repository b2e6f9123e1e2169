//! Alpine secdb JSON (`secdb.alpinelinux.org/vX.Y/{main,community}.json`; Wolfi and Chainguard
//! publish the same format): `packages[].pkg.secfixes` maps a fixed version to the ids it fixes.
//! Version `0` lists ids the maintainers rejected for the package: it was never affected.

use std::path::Path;

use serde::Deserialize;

use super::{Record, Sink, Skip, SkipReason, file_name, mtime};
use crate::model::{Advisory, Affected, Event, Range, RangeKind, Status};
use crate::{FeedKey, validate};

#[derive(Debug, Deserialize)]
struct RawSecdb {
    distroversion: Option<String>,
    urlprefix: Option<String>,
    packages: Option<Vec<RawPackage>>,
}

#[derive(Debug, Deserialize)]
struct RawPackage {
    pkg: RawPkg,
}

#[derive(Debug, Deserialize)]
struct RawPkg {
    name: String,
    secfixes: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The secdb family of a file: from its directory (`wolfi-secdb/…`) or its `urlprefix`.
fn family(path: &Path, urlprefix: Option<&str>) -> &'static str {
    let in_dir = |name: &str| path.ancestors().any(|a| file_name(a) == name);
    let prefix = urlprefix.unwrap_or_default();
    if in_dir("wolfi-secdb") || prefix.contains("wolfi.dev") {
        "wolfi"
    } else if in_dir("chainguard-secdb") || prefix.contains("chainguard") {
        "chainguard"
    } else {
        "alpine"
    }
}

pub(crate) fn read(path: &Path, sink: &mut dyn Sink) {
    let guess = family(path, None);
    let source = format!("{guess}-secdb");
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return sink.skip(Skip {
                source,
                location: path.display().to_string(),
                reason: SkipReason::Unreadable,
                detail: e.to_string(),
                count: 1,
            });
        }
    };
    read_bytes(path, &bytes, mtime(path), sink);
}

/// Reads one secdb document already in memory; `path` names it and picks the family, `time`
/// (the file's mtime) is the feed time stated once the document parses.
pub(crate) fn read_bytes(path: &Path, bytes: &[u8], time: Option<String>, sink: &mut dyn Sink) {
    let source = format!("{}-secdb", family(path, None));
    let raw: RawSecdb = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(e) => {
            return sink.skip(Skip {
                source,
                location: path.display().to_string(),
                reason: SkipReason::Malformed,
                detail: format!("not a secdb document: {e}"),
                count: 1,
            });
        }
    };
    let fam = family(path, raw.urlprefix.as_deref());
    let source = format!("{fam}-secdb");
    let release = raw
        .distroversion
        .as_deref()
        .unwrap_or_default()
        .trim()
        .trim_start_matches('v')
        .to_string();
    let key = FeedKey::distro(fam, &release);
    if let Some(t) = time {
        sink.feed_time(&source, &t);
    }
    for p in raw.packages.into_iter().flatten() {
        let name = p.pkg.name.trim().to_string();
        for (version, ids) in p.pkg.secfixes.into_iter().flatten() {
            let location = format!("{} {name} {version}", path.display());
            let ids: Vec<&str> = match &ids {
                serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
                serde_json::Value::Null => Vec::new(),
                _ => {
                    sink.skip(Skip {
                        source: source.clone(),
                        location,
                        reason: SkipReason::Malformed,
                        detail: "secfixes entry is not a list of ids".into(),
                        count: 1,
                    });
                    continue;
                }
            };
            let not_affected = version.trim() == "0";
            if !not_affected
                && let Err(why) = validate::version("Alpine", RangeKind::Ecosystem, &version)
            {
                sink.skip(Skip {
                    source: source.clone(),
                    location,
                    reason: SkipReason::InvalidVersion,
                    detail: format!("version `{version}` of `{name}`: {why}"),
                    count: ids.len() as u64,
                });
                continue;
            }
            for entry in ids {
                let Some((id, aliases)) = parse_ids(entry) else {
                    sink.skip(Skip {
                        source: source.clone(),
                        location: location.clone(),
                        reason: SkipReason::Malformed,
                        detail: format!("no id in `{entry}`"),
                        count: 1,
                    });
                    continue;
                };
                let (ranges, fixed, status) = if not_affected {
                    (Vec::new(), Vec::new(), Status::NotAffected)
                } else {
                    (
                        vec![Range {
                            kind: RangeKind::Ecosystem,
                            events: vec![
                                Event::Introduced("0".into()),
                                Event::Fixed(version.clone()),
                            ],
                        }],
                        vec![version.clone()],
                        Status::Fixed,
                    )
                };
                let affected = Affected {
                    advisory_id: id.clone(),
                    source: source.clone(),
                    key: key.clone(),
                    package: name.clone(),
                    ranges,
                    versions: Vec::new(),
                    fixed,
                    status,
                    urgency: None,
                    informational: None,
                    ecosystem_specific: None,
                    database_specific: None,
                };
                sink.record(
                    &source,
                    Record {
                        advisory: Advisory::bare(id, &source, aliases),
                        affected: vec![affected],
                    },
                );
            }
        }
    }
}

/// `CVE-2017-12122 TALOS-2017-0488`, `CVE-2018-14461 (LDP)`, `CVE_2019-2426`,
/// `CVE 2019-10123`, `CVE-2018-1000001.patch`: the first id, and the other ids after it.
fn parse_ids(entry: &str) -> Option<(String, Vec<String>)> {
    let entry = entry.split('(').next().unwrap_or_default();
    let mut tokens: Vec<String> = Vec::new();
    let mut words = entry.split_whitespace().peekable();
    while let Some(w) = words.next() {
        let w = if w.eq_ignore_ascii_case("CVE") {
            match words.peek() {
                Some(next) if next.starts_with(|c: char| c.is_ascii_digit()) => {
                    let joined = format!("CVE-{next}");
                    words.next();
                    joined
                }
                _ => w.to_string(),
            }
        } else {
            w.to_string()
        };
        let w = w.trim_end_matches(".patch").trim_end_matches([',', ';']);
        let w = match w.strip_prefix("CVE_") {
            Some(rest) => format!("CVE-{rest}"),
            None => w.to_string(),
        };
        if !w.is_empty() {
            tokens.push(w);
        }
    }
    let mut it = tokens.into_iter();
    let first = it.next()?;
    Some((first, it.collect()))
}

#[cfg(test)]
mod tests {
    use super::parse_ids;

    #[test]
    fn ids_as_secdb_writes_them() {
        let p = |s| parse_ids(s).expect("has an id");
        assert_eq!(p("CVE-2019-14697"), ("CVE-2019-14697".into(), vec![]));
        assert_eq!(
            p("CVE-2017-12122 TALOS-2017-0488"),
            ("CVE-2017-12122".into(), vec!["TALOS-2017-0488".into()])
        );
        assert_eq!(p("CVE-2018-14461 (LDP)").0, "CVE-2018-14461");
        assert_eq!(p("CVE_2019-2426").0, "CVE-2019-2426");
        assert_eq!(p("CVE 2019-10123").0, "CVE-2019-10123");
        assert_eq!(p("CVE-2018-1000001.patch").0, "CVE-2018-1000001");
        assert_eq!(p("XSA-123").0, "XSA-123");
        assert!(parse_ids("  ").is_none());
    }
}
