//! The Debian security tracker's JSON export (`security-tracker.debian.org/tracker/data/json`):
//!
//! ```json
//! { "openssl": { "CVE-2023-0464": { "description": "…", "scope": "remote", "debianbug": 1034720,
//!     "releases": { "bookworm": { "status": "resolved", "repositories": { "bookworm": "3.0.9-1" },
//!                                 "fixed_version": "3.0.9-1", "urgency": "not yet assigned" },
//!                   "bullseye": { "status": "open", "repositories": { … }, "urgency": "low",
//!                                 "nodsa": "Minor issue", "nodsa_reason": "" } } } } }
//! ```
//!
//! Source package → CVE → release codename. `status` is `resolved`, `open` or `undetermined`;
//! `fixed_version` `0` means the release was never affected; `nodsa` marks a no-DSA decision and
//! `nodsa_reason` says `ignored` or `postponed` (empty: minor issue, no update planned). The
//! format is what the tracker's `tracker_service.py` JSON handler writes.
//!
//! The file is large (~70 MB): it is read as a stream, one source package at a time, so a
//! truncated file keeps every package read before the cut.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{DeserializeSeed, MapAccess, Visitor};

use super::{Record, Sink, Skip, SkipReason, mtime};
use crate::model::{Advisory, Affected, Event, Range, RangeKind, Status};
use crate::{FeedKey, validate};

const SOURCE: &str = "debian";

/// Debian release codenames and the version numbers drydock's OS detection reports.
const RELEASES: &[(&str, &str)] = &[
    ("buzz", "1.1"),
    ("rex", "1.2"),
    ("bo", "1.3"),
    ("hamm", "2.0"),
    ("slink", "2.1"),
    ("potato", "2.2"),
    ("woody", "3.0"),
    ("sarge", "3.1"),
    ("etch", "4"),
    ("lenny", "5"),
    ("squeeze", "6"),
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
    ("duke", "15"),
];

/// `bookworm` → `12`; unknown codenames (`sid`) are kept as they are.
pub fn release_number(codename: &str) -> &str {
    RELEASES
        .iter()
        .find(|(c, _)| *c == codename)
        .map(|(_, n)| *n)
        .unwrap_or(codename)
}

#[derive(Debug, Deserialize)]
struct RawCve {
    description: Option<String>,
    #[serde(default)]
    releases: BTreeMap<String, RawRelease>,
}

#[derive(Debug, Deserialize)]
struct RawRelease {
    status: String,
    fixed_version: Option<String>,
    urgency: Option<String>,
    nodsa: Option<String>,
    nodsa_reason: Option<String>,
}

pub(crate) fn read(path: &Path, sink: &mut dyn Sink) {
    let location = path.display().to_string();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return sink.skip(Skip {
                source: SOURCE.into(),
                location,
                reason: SkipReason::Unreadable,
                detail: e.to_string(),
                count: 1,
            });
        }
    };
    if let Some(t) = mtime(path) {
        sink.feed_time(SOURCE, &t);
    }
    read_from(&location, std::io::BufReader::new(file), sink);
}

/// Reads the tracker JSON from `reader` as a stream; `location` names it in skips.
pub(crate) fn read_from<R: std::io::Read>(location: &str, reader: R, sink: &mut dyn Sink) {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let result = Packages {
        sink: &mut *sink,
        location,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if let Err(e) = result {
        sink.skip(Skip {
            source: SOURCE.into(),
            location: location.into(),
            reason: SkipReason::Malformed,
            detail: format!(
                "Debian tracker JSON ends in error (packages read before it are kept): {e}"
            ),
            count: 1,
        });
    }
}

/// Walks the top-level map, handing each source package to [`package`] as it is read.
struct Packages<'a> {
    sink: &'a mut dyn Sink,
    location: &'a str,
}

impl<'de> DeserializeSeed<'de> for Packages<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Packages<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of source packages")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<String>()? {
            let cves: BTreeMap<String, serde_json::Value> = map.next_value()?;
            package(self.sink, self.location, &name, cves);
        }
        Ok(())
    }
}

fn package(
    sink: &mut dyn Sink,
    location: &str,
    name: &str,
    cves: BTreeMap<String, serde_json::Value>,
) {
    for (cve, value) in cves {
        let loc = format!("{location} {name} {cve}");
        let raw: RawCve = match serde_json::from_value(value) {
            Ok(r) => r,
            Err(e) => {
                sink.skip(Skip {
                    source: SOURCE.into(),
                    location: loc,
                    reason: SkipReason::Malformed,
                    detail: e.to_string(),
                    count: 1,
                });
                continue;
            }
        };
        let mut affected = Vec::new();
        for (codename, rel) in &raw.releases {
            match release(&cve, name, codename, rel) {
                Ok(a) => affected.push(a),
                Err((reason, detail)) => sink.skip(Skip {
                    source: SOURCE.into(),
                    location: format!("{loc} {codename}"),
                    reason,
                    detail,
                    count: 1,
                }),
            }
        }
        let mut advisory = Advisory::bare(cve, SOURCE, Vec::new());
        advisory.details = raw.description.filter(|d| !d.is_empty());
        sink.record(SOURCE, Record { advisory, affected });
    }
}

fn release(
    cve: &str,
    package: &str,
    codename: &str,
    rel: &RawRelease,
) -> Result<Affected, (SkipReason, String)> {
    let urgency = rel.urgency.clone().filter(|u| !u.is_empty());
    let fixed_version = rel.fixed_version.as_deref().map(str::trim);
    let (status, fixed) = match rel.status.as_str() {
        "resolved" => match fixed_version {
            Some("0") => (Status::NotAffected, None),
            Some(v) if !v.is_empty() => {
                validate::version("Debian", RangeKind::Ecosystem, v).map_err(|why| {
                    (
                        SkipReason::InvalidVersion,
                        format!("fixed version `{v}` of `{package}`: {why}"),
                    )
                })?;
                (Status::Fixed, Some(v.to_string()))
            }
            _ => {
                return Err((
                    SkipReason::Malformed,
                    format!("`resolved` without a fixed version for `{cve}`"),
                ));
            }
        },
        "open" => {
            let status = match (rel.nodsa.as_deref(), rel.nodsa_reason.as_deref()) {
                (_, Some("ignored")) => Status::Ignored,
                (_, Some("postponed")) => Status::Postponed,
                (Some(_), _) => Status::WillNotFix,
                _ if urgency.as_deref() == Some("end-of-life") => Status::EndOfLife,
                _ => Status::Unfixed,
            };
            (status, None)
        }
        "undetermined" => (Status::Undetermined, None),
        other => {
            return Err((
                SkipReason::Malformed,
                format!("unknown status `{other}` for `{cve}`"),
            ));
        }
    };
    let ranges = match (&status, &fixed) {
        (Status::NotAffected, _) => Vec::new(),
        (_, Some(v)) => vec![Range {
            kind: RangeKind::Ecosystem,
            events: vec![Event::Introduced("0".into()), Event::Fixed(v.clone())],
        }],
        (_, None) => vec![Range {
            kind: RangeKind::Ecosystem,
            events: vec![Event::Introduced("0".into())],
        }],
    };
    Ok(Affected {
        advisory_id: cve.to_string(),
        source: SOURCE.into(),
        key: FeedKey::distro("debian", release_number(codename)),
        package: package.to_string(),
        ranges,
        versions: Vec::new(),
        fixed: fixed.into_iter().collect(),
        status,
        urgency,
        informational: None,
        ecosystem_specific: None,
        database_specific: None,
    })
}
