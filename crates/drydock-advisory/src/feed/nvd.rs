//! NVD CVE API 2.0 pages (`{"vulnerabilities": [{"cve": {…}}], "timestamp": …}`), as the API
//! returns them: CVSS v2/v3.0/v3.1/v4.0 vectors with their sources, CWEs, dates, description.

use std::path::Path;

use serde::Deserialize;

use super::{Sink, Skip, SkipReason};
use crate::model::{Advisory, Reference, Severity, SeverityKind};

const SOURCE: &str = "nvd";

#[derive(Debug, Deserialize)]
struct RawPage {
    timestamp: Option<String>,
    vulnerabilities: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCve {
    id: String,
    published: Option<String>,
    last_modified: Option<String>,
    vuln_status: Option<String>,
    #[serde(default)]
    descriptions: Vec<RawText>,
    #[serde(default)]
    metrics: RawMetrics,
    #[serde(default)]
    weaknesses: Vec<RawWeakness>,
    #[serde(default)]
    references: Vec<RawReference>,
}

#[derive(Debug, Deserialize)]
struct RawText {
    lang: String,
    value: String,
}

#[derive(Debug, Default, Deserialize)]
struct RawMetrics {
    #[serde(default, rename = "cvssMetricV2")]
    v2: Vec<RawMetric>,
    #[serde(default, rename = "cvssMetricV30")]
    v30: Vec<RawMetric>,
    #[serde(default, rename = "cvssMetricV31")]
    v31: Vec<RawMetric>,
    #[serde(default, rename = "cvssMetricV40")]
    v40: Vec<RawMetric>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetric {
    source: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    cvss_data: RawCvssData,
    /// v2 states the severity beside `cvssData`, v3/v4 inside it.
    base_severity: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCvssData {
    vector_string: String,
    base_score: Option<f64>,
    base_severity: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawWeakness {
    #[serde(default)]
    description: Vec<RawText>,
}

#[derive(Debug, Deserialize)]
struct RawReference {
    url: String,
    #[serde(default)]
    tags: Vec<String>,
}

pub(crate) fn read(path: &Path, sink: &mut dyn Sink) {
    let location = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => read_bytes(&location, &bytes, sink),
        Err(e) => sink.skip(Skip {
            source: SOURCE.into(),
            location,
            reason: SkipReason::Unreadable,
            detail: e.to_string(),
            count: 1,
        }),
    }
}

/// Reads one API page already in memory; `location` names it in skips.
pub(crate) fn read_bytes(location: &str, bytes: &[u8], sink: &mut dyn Sink) {
    let page: RawPage = match serde_json::from_slice(bytes) {
        Ok(p) => p,
        Err(e) => {
            return sink.skip(Skip {
                source: SOURCE.into(),
                location: location.into(),
                reason: SkipReason::Malformed,
                detail: format!("not an NVD API 2.0 page: {e}"),
                count: 1,
            });
        }
    };
    if let Some(t) = &page.timestamp {
        sink.feed_time(SOURCE, &utc_timestamp(t));
    }
    for (i, v) in page.vulnerabilities.into_iter().enumerate() {
        let cve = v.get("cve").cloned().unwrap_or(serde_json::Value::Null);
        let raw: RawCve = match serde_json::from_value(cve) {
            Ok(r) => r,
            Err(e) => {
                sink.skip(Skip {
                    source: SOURCE.into(),
                    location: format!("{location} vulnerabilities[{i}]"),
                    reason: SkipReason::Malformed,
                    detail: e.to_string(),
                    count: 1,
                });
                continue;
            }
        };
        if raw.vuln_status.as_deref() == Some("Rejected") {
            sink.skip(Skip {
                source: SOURCE.into(),
                location: format!("{location} {}", raw.id),
                reason: SkipReason::Rejected,
                detail: "NVD status `Rejected`".into(),
                count: 1,
            });
            continue;
        }
        sink.nvd(convert(raw));
    }
}

fn convert(raw: RawCve) -> Advisory {
    let mut severities = Vec::new();
    for (kind, metrics) in [
        (SeverityKind::CvssV4, &raw.metrics.v40),
        (SeverityKind::CvssV3, &raw.metrics.v31),
        (SeverityKind::CvssV3, &raw.metrics.v30),
        (SeverityKind::CvssV2, &raw.metrics.v2),
    ] {
        for m in metrics {
            severities.push(Severity {
                kind,
                value: m.cvss_data.vector_string.clone(),
                score: m.cvss_data.base_score,
                level: m
                    .cvss_data
                    .base_severity
                    .clone()
                    .or_else(|| m.base_severity.clone()),
                source: m.source.clone().unwrap_or_else(|| SOURCE.into()),
                primary: m.kind.as_deref().map(|k| k == "Primary"),
            });
        }
    }
    let mut cwes: Vec<String> = raw
        .weaknesses
        .iter()
        .flat_map(|w| &w.description)
        .map(|d| d.value.clone())
        .filter(|v| v.starts_with("CWE-"))
        .collect();
    cwes.sort();
    cwes.dedup();
    let description = raw
        .descriptions
        .iter()
        .find(|d| d.lang == "en")
        .or(raw.descriptions.first())
        .map(|d| d.value.clone());
    let mut references: Vec<Reference> = raw
        .references
        .into_iter()
        .map(|r| Reference {
            kind: r.tags.join(", "),
            url: r.url,
        })
        .collect();
    // NVD lists most URLs twice, once per source.
    let mut seen = std::collections::HashSet::new();
    references.retain(|r| seen.insert(r.url.clone()));
    Advisory {
        id: raw.id,
        source: SOURCE.into(),
        aliases: Vec::new(),
        summary: None,
        details: description,
        severities,
        references,
        published: raw.published,
        modified: raw.last_modified,
        cwes,
        informational: None,
    }
}

/// NVD's page `timestamp` is UTC written without a zone and with milliseconds
/// (`2026-11-23T03:37:27.479`); the other feeds' times read `2026-11-23T03:37:27Z`. Anything
/// else is kept as NVD wrote it.
fn utc_timestamp(t: &str) -> String {
    let Some((date, time)) = t.split_once('T') else {
        return t.to_string();
    };
    let whole = time.split_once('.').map_or(time, |(w, _)| w);
    let plain = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b == b'-' || b == b':')
    };
    let fraction_ok = time
        .split_once('.')
        .is_none_or(|(_, f)| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if plain(date, 10) && plain(whole, 8) && fraction_ok {
        format!("{date}T{whole}Z")
    } else {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::utc_timestamp;

    #[test]
    fn page_timestamps_read_as_utc() {
        assert_eq!(
            utc_timestamp("2026-11-23T03:37:27.479"),
            "2026-11-23T03:37:27Z"
        );
        assert_eq!(utc_timestamp("2026-11-23T03:37:27"), "2026-11-23T03:37:27Z");
        // Already zoned, or not a timestamp: left alone.
        assert_eq!(
            utc_timestamp("2026-11-23T03:37:27.479Z"),
            "2026-11-23T03:37:27.479Z"
        );
        assert_eq!(
            utc_timestamp("2026-11-23T03:37:27+02:00"),
            "2026-11-23T03:37:27+02:00"
        );
        assert_eq!(utc_timestamp("yesterday"), "yesterday");
    }
}
