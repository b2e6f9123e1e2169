//! OSV records: per-ecosystem `all.zip` archives (the OSV bucket's `<base>/<ecosystem>/all.zip`)
//! and directories of OSV JSON files. Schema: <https://ossf.github.io/osv-schema/>.

use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::{Layout, Record, Sink, Skip, SkipReason, file_name, files_under};
use crate::key::normalize_package;
use crate::model::{
    Advisory, Affected, Event, Informational, Range, RangeKind, Reference, Severity, SeverityKind,
    Status,
};
use crate::{FeedKey, validate};

/// Adds the OSV feeds under `dir` (`ecosystems.txt` + `<eco>/all.zip`, or any `all.zip` /
/// directory of JSON files below it).
pub(crate) fn find(dir: &Path, layout: &mut Layout) {
    let listed: Vec<String> = std::fs::read_to_string(dir.join("ecosystems.txt"))
        .map(|s| {
            s.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let mut ecosystems = listed;
    if let Ok(rd) = std::fs::read_dir(dir) {
        let mut extra: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !ecosystems.contains(n))
            .collect();
        extra.sort();
        ecosystems.extend(extra);
    }
    for eco in ecosystems {
        let sub = dir.join(&eco);
        let zip = sub.join("all.zip");
        if zip.is_file() {
            layout.osv_zips.push((format!("osv:{eco}"), zip));
        } else if sub.is_dir() {
            layout.osv_dirs.push((format!("osv:{eco}"), sub));
        }
    }
    if files_under(dir, 1)
        .iter()
        .any(|f| file_name(f).ends_with(".json"))
    {
        layout
            .osv_dirs
            .push((format!("osv:{}", file_name(dir)), dir.to_path_buf()));
    }
}

/// Reads every record of one `all.zip` (or one JSON file).
pub(crate) fn read_zip(source: &str, path: &Path, sink: &mut dyn Sink) {
    if !file_name(path).ends_with(".zip") {
        return read_file(source, path, sink);
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return sink.skip(Skip {
                source: source.into(),
                location: path.display().to_string(),
                reason: SkipReason::Unreadable,
                detail: e.to_string(),
                count: 1,
            });
        }
    };
    if let Some(t) = super::mtime(path) {
        sink.feed_time(source, &t);
    }
    read_archive(
        source,
        &path.display().to_string(),
        std::io::BufReader::new(file),
        sink,
    );
}

/// Reads every record of one zip archive; `location` names it in skips.
pub(crate) fn read_archive<R: Read + Seek>(
    source: &str,
    location: &str,
    reader: R,
    sink: &mut dyn Sink,
) {
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => {
            return sink.skip(Skip {
                source: source.into(),
                location: location.into(),
                reason: SkipReason::CorruptArchive,
                detail: format!("not a readable zip archive: {e}"),
                count: 1,
            });
        }
    };
    let mut buf = Vec::new();
    for i in 0..archive.len() {
        let (name, read) = match archive.by_index(i) {
            Ok(mut entry) => {
                if entry.is_dir() {
                    continue;
                }
                let name = match entry.name() {
                    Ok(n) => n.into_owned(),
                    Err(_) => format!("#{i}"),
                };
                buf.clear();
                let read = entry.read_to_end(&mut buf);
                (name, read)
            }
            Err(e) => {
                sink.skip(Skip {
                    source: source.into(),
                    location: format!("{location}!#{i}"),
                    reason: SkipReason::CorruptArchive,
                    detail: e.to_string(),
                    count: 1,
                });
                continue;
            }
        };
        let location = format!("{location}!{name}");
        if let Err(e) = read {
            sink.skip(Skip {
                source: source.into(),
                location,
                reason: SkipReason::CorruptArchive,
                detail: e.to_string(),
                count: 1,
            });
            continue;
        }
        if !name.ends_with(".json") {
            continue;
        }
        read_record(source, &location, &buf, sink);
    }
}

/// Reads every `*.json` file under a directory (recursively, sorted).
pub(crate) fn read_dir(source: &str, dir: &Path, sink: &mut dyn Sink) {
    for f in files_under(dir, 8) {
        if file_name(&f).ends_with(".json") {
            read_file(source, &f, sink);
        }
    }
}

fn read_file(source: &str, path: &Path, sink: &mut dyn Sink) {
    match std::fs::read(path) {
        Ok(bytes) => read_record(source, &path.display().to_string(), &bytes, sink),
        Err(e) => sink.skip(Skip {
            source: source.into(),
            location: path.display().to_string(),
            reason: SkipReason::Unreadable,
            detail: e.to_string(),
            count: 1,
        }),
    }
}

#[derive(Debug, Deserialize)]
struct RawRecord {
    id: String,
    modified: Option<String>,
    published: Option<String>,
    withdrawn: Option<String>,
    aliases: Option<Vec<String>>,
    summary: Option<String>,
    details: Option<String>,
    severity: Option<Vec<RawSeverity>>,
    affected: Option<Vec<RawAffected>>,
    references: Option<Vec<RawReference>>,
    database_specific: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Debug, Deserialize)]
struct RawReference {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: String,
}

#[derive(Debug, Deserialize)]
struct RawAffected {
    package: Option<RawPackage>,
    severity: Option<Vec<RawSeverity>>,
    ranges: Option<Vec<RawRange>>,
    versions: Option<Vec<String>>,
    ecosystem_specific: Option<Value>,
    database_specific: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct RawPackage {
    ecosystem: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    events: Vec<BTreeMap<String, Value>>,
}

/// Parses one OSV JSON document and pushes it (or the reason it was skipped) into `sink`.
pub(crate) fn read_record(source: &str, location: &str, bytes: &[u8], sink: &mut dyn Sink) {
    let raw: RawRecord = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(e) => {
            return sink.skip(Skip {
                source: source.into(),
                location: location.into(),
                reason: SkipReason::Malformed,
                detail: format!("not an OSV record: {e}"),
                count: 1,
            });
        }
    };
    let location = format!("{location} {}", raw.id);
    if let Some(when) = &raw.withdrawn {
        return sink.skip(Skip {
            source: source.into(),
            location,
            reason: SkipReason::Withdrawn,
            detail: format!("withdrawn `{when}`"),
            count: 1,
        });
    }
    match convert(source, &location, raw, sink) {
        Ok(record) => {
            // The Go database writes `0001-01-01T00:00:00Z` for every record: no information.
            if let Some(m) = record.advisory.modified.as_deref().filter(|m| *m > "1970") {
                sink.feed_time(source, m);
            }
            sink.record(source, record);
        }
        Err((reason, detail)) => sink.skip(Skip {
            source: source.into(),
            location,
            reason,
            detail,
            count: 1,
        }),
    }
}

fn convert(
    source: &str,
    location: &str,
    raw: RawRecord,
    sink: &mut dyn Sink,
) -> Result<Record, (SkipReason, String)> {
    let id = raw.id.trim().to_string();
    if id.is_empty() {
        return Err((SkipReason::Malformed, "empty `id`".into()));
    }
    let db_source = id.split('-').next().unwrap_or("osv").to_ascii_lowercase();
    let mut severities: Vec<Severity> = raw
        .severity
        .iter()
        .flatten()
        .map(|s| severity(s, &db_source))
        .collect();
    let mut cwes = Vec::new();
    if let Some(ds) = &raw.database_specific {
        if let Some(level) = ds.get("severity").and_then(Value::as_str) {
            severities.push(Severity {
                kind: SeverityKind::Vendor,
                value: level.to_string(),
                score: None,
                level: None,
                source: db_source.clone(),
                primary: None,
            });
        }
        if let Some(ids) = ds.get("cwe_ids").and_then(Value::as_array) {
            cwes.extend(ids.iter().filter_map(Value::as_str).map(String::from));
        }
    }

    let mut affected = Vec::new();
    let mut informational = None;
    for a in raw.affected.into_iter().flatten() {
        let Some(pkg) = a.package else {
            sink.skip(Skip {
                source: source.into(),
                location: location.into(),
                reason: SkipReason::NoPackage,
                detail: "an `affected` entry names no package".into(),
                count: 1,
            });
            continue;
        };
        let key = FeedKey::from_osv(pkg.ecosystem.trim());
        let package = normalize_package(&key, &pkg.name);
        if package.is_empty() {
            return Err((SkipReason::Malformed, "empty package name".into()));
        }
        let mut ranges = Vec::new();
        let mut fixed = Vec::new();
        for r in a.ranges.into_iter().flatten() {
            let kind = match r.kind.as_str() {
                "ECOSYSTEM" => RangeKind::Ecosystem,
                "SEMVER" => RangeKind::Semver,
                "GIT" => {
                    sink.skip(Skip {
                        source: source.into(),
                        location: location.into(),
                        reason: SkipReason::GitRange,
                        detail: format!("GIT range of `{}`", pkg.name),
                        count: 1,
                    });
                    continue;
                }
                other => {
                    return Err((
                        SkipReason::UnknownRangeType,
                        format!("range type `{other}` for `{}`", pkg.name),
                    ));
                }
            };
            let mut events = Vec::with_capacity(r.events.len());
            for ev in r.events {
                let event = event(&ev).ok_or_else(|| {
                    (
                        SkipReason::Malformed,
                        format!(
                            "range event `{}` of `{}`",
                            Value::from(ev.into_iter().collect::<serde_json::Map<_, _>>()),
                            pkg.name
                        ),
                    )
                })?;
                let v = event.version();
                let is_zero_start = matches!(&event, Event::Introduced(v) if v == "0");
                if !is_zero_start {
                    validate::version(&pkg.ecosystem, kind, v).map_err(|why| {
                        (
                            SkipReason::InvalidVersion,
                            format!("version `{v}` of `{}`: {why}", pkg.name),
                        )
                    })?;
                }
                if let Event::Fixed(v) = &event {
                    fixed.push(v.clone());
                }
                events.push(event);
            }
            ranges.push(Range { kind, events });
        }
        severities.extend(a.severity.iter().flatten().map(|s| severity(s, &db_source)));
        let info = a
            .database_specific
            .as_ref()
            .and_then(|d| d.get("informational"))
            .and_then(Value::as_str)
            .map(Informational::parse);
        if informational.is_none() {
            informational.clone_from(&info);
        }
        let status = if fixed.is_empty() {
            Status::Unfixed
        } else {
            Status::Fixed
        };
        affected.push(Affected {
            advisory_id: id.clone(),
            source: source.to_string(),
            key,
            package,
            ranges,
            versions: a.versions.unwrap_or_default(),
            fixed,
            status,
            urgency: None,
            informational: info,
            ecosystem_specific: a.ecosystem_specific.filter(|v| !is_empty_json(v)),
            database_specific: a.database_specific.filter(|v| !is_empty_json(v)),
        });
    }

    let advisory = Advisory {
        id,
        source: source.to_string(),
        aliases: raw.aliases.unwrap_or_default(),
        summary: raw.summary.filter(|s| !s.is_empty()),
        details: raw.details.filter(|s| !s.is_empty()),
        severities,
        references: raw
            .references
            .into_iter()
            .flatten()
            .map(|r| Reference {
                kind: r.kind.unwrap_or_default(),
                url: r.url,
            })
            .collect(),
        published: raw.published,
        modified: raw.modified,
        cwes,
        informational,
    };
    Ok(Record { advisory, affected })
}

fn event(ev: &BTreeMap<String, Value>) -> Option<Event> {
    if ev.len() != 1 {
        return None;
    }
    let (k, v) = ev.iter().next()?;
    let v = v.as_str()?.to_string();
    Some(match k.as_str() {
        "introduced" => Event::Introduced(v),
        "fixed" => Event::Fixed(v),
        "last_affected" => Event::LastAffected(v),
        "limit" => Event::Limit(v),
        _ => return None,
    })
}

fn severity(s: &RawSeverity, source: &str) -> Severity {
    let kind = match s.kind.as_str() {
        "CVSS_V2" => SeverityKind::CvssV2,
        "CVSS_V3" => SeverityKind::CvssV3,
        "CVSS_V4" => SeverityKind::CvssV4,
        _ => SeverityKind::Vendor,
    };
    let source = if kind == SeverityKind::Vendor {
        // `Ubuntu` severities and other vendor types name their vendor in `type`.
        s.kind.to_ascii_lowercase()
    } else {
        source.to_string()
    };
    Severity {
        kind,
        value: s.score.clone(),
        score: None,
        level: None,
        source,
        primary: None,
    }
}

/// RustSec writes `"affects": {"arch": [], "os": [], "functions": []}` for most records: no
/// information, so not worth storing.
fn is_empty_json(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().all(is_empty_json),
        Value::Object(o) => o.values().all(is_empty_json),
        _ => false,
    }
}
