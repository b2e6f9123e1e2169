//! Parsing and normalising vectors of every version.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::metric::{self, Group};
use crate::{CvssError, EnvProfile};

/// A CVSS version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Version {
    /// CVSS v2.0 (vectors without a prefix, or with `CVSS:2.0/`).
    V2,
    /// CVSS v3.0.
    V3_0,
    /// CVSS v3.1.
    V3_1,
    /// CVSS v4.0.
    V4_0,
}

impl Version {
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2 => "2.0",
            Self::V3_0 => "3.0",
            Self::V3_1 => "3.1",
            Self::V4_0 => "4.0",
        }
    }

    /// The major version: 2, 3 or 4.
    pub fn major(self) -> u8 {
        match self {
            Self::V2 => 2,
            Self::V3_0 | Self::V3_1 => 3,
            Self::V4_0 => 4,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A parsed, validated and normalised CVSS vector of any version.
///
/// Metrics set to "not defined" (`X`, v2 `ND`) are dropped, the rest are kept in the
/// specification's order, so two spellings of one vector compare equal and display the same:
/// `CVSS:3.1/…` and `CVSS:4.0/…` with their prefix, v2 without one (as NVD writes it).
#[derive(Debug, Clone, PartialEq)]
pub struct Vector {
    version: Version,
    /// (index in the version's table, canonical name, canonical value), sorted by index.
    metrics: Vec<(usize, &'static str, String)>,
    pub(crate) inner: Inner,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Inner {
    V2(cvss::v2::Vector),
    V3(cvss::v3::Vector),
    V4(cvss::v4::Vector),
}

/// Parses a vector: v2 (`AV:N/AC:L/Au:N/C:P/I:P/A:P`, also in parentheses or with a
/// `CVSS:2.0/` prefix), v3.0, v3.1 or v4.0, in any case and with any whitespace.
pub fn parse(vector: &str) -> Result<Vector, CvssError> {
    vector.parse()
}

impl FromStr for Vector {
    type Err = CvssError;

    fn from_str(s: &str) -> Result<Self, CvssError> {
        let (version, components) = split(s)?;
        let mut metrics = Vec::with_capacity(components.len());
        for (name, value) in components {
            let Some((index, canonical, group)) = metric::lookup(version, &name) else {
                return Err(CvssError::UnknownMetric {
                    metric: name,
                    version,
                });
            };
            if metrics.iter().any(|(i, _, _)| *i == index) {
                return Err(CvssError::Duplicate(canonical.to_owned()));
            }
            if group != Group::Base && value == metric::not_defined(version) {
                // "Not defined" is the same as absent; keep a placeholder so a later
                // duplicate is still caught, and drop it below.
                metrics.push((index, canonical, String::new()));
                continue;
            }
            let value = metric::canonical_value(version, canonical, &value);
            metrics.push((index, canonical, value));
        }
        metrics.retain(|(_, _, v)| !v.is_empty());
        Self::from_metrics(version, metrics)
    }
}

/// `s` without whitespace and without one pair of enclosing parentheses; empty is an error.
pub(crate) fn compact(s: &str) -> Result<String, CvssError> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let compact = compact
        .strip_prefix('(')
        .and_then(|c| c.strip_suffix(')'))
        .unwrap_or(&compact);
    if compact.is_empty() {
        return Err(CvssError::Empty);
    }
    Ok(compact.to_owned())
}

/// One `NAME:VALUE` component, upper-cased; neither side may be empty, nor hold another `:`.
pub(crate) fn component(part: &str) -> Result<(String, String), CvssError> {
    match part.split_once(':') {
        Some((name, value)) if !name.is_empty() && !value.is_empty() && !value.contains(':') => {
            Ok((name.to_ascii_uppercase(), value.to_ascii_uppercase()))
        }
        _ => Err(CvssError::Malformed(part.to_owned())),
    }
}

/// Splits a vector into its version and upper-cased `(name, value)` components.
fn split(s: &str) -> Result<(Version, Vec<(String, String)>), CvssError> {
    let compact = compact(s)?;
    let mut parts = compact.split('/').peekable();
    let mut version = Version::V2;
    if let Some(first) = parts.peek()
        && let Some((prefix, v)) = first.split_once(':')
        && prefix.eq_ignore_ascii_case("CVSS")
    {
        version = match v {
            "2.0" => Version::V2,
            "3.0" => Version::V3_0,
            "3.1" => Version::V3_1,
            "4.0" => Version::V4_0,
            other => return Err(CvssError::UnsupportedVersion(other.to_owned())),
        };
        parts.next();
    }
    let components = parts.map(component).collect::<Result<Vec<_>, _>>()?;
    if components.is_empty() {
        return Err(CvssError::Empty);
    }
    Ok((version, components))
}

impl Vector {
    /// Builds a vector from canonical metrics (names from the version's table, any order,
    /// no "not defined" values), checking that the base metrics are all there and that the
    /// scoring library accepts every value.
    fn from_metrics(
        version: Version,
        mut metrics: Vec<(usize, &'static str, String)>,
    ) -> Result<Self, CvssError> {
        metrics.sort_by_key(|(i, _, _)| *i);
        let text = render(version, &metrics);
        let inner = match version {
            Version::V2 => Inner::V2(text.parse().map_err(|e| from_lib(e, version))?),
            Version::V3_0 | Version::V3_1 => {
                Inner::V3(text.parse().map_err(|e| from_lib(e, version))?)
            }
            Version::V4_0 => Inner::V4(text.parse().map_err(|e| from_lib(e, version))?),
        };
        // Values first (the library names the metric), then completeness.
        for (name, group) in metric::table(version) {
            if *group == Group::Base && !metrics.iter().any(|(_, n, _)| n == name) {
                return Err(CvssError::Missing {
                    metric: (*name).to_owned(),
                    version,
                });
            }
        }
        Ok(Self {
            version,
            metrics,
            inner,
        })
    }

    /// The version of this vector.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The metrics as `(name, value)` pairs, in the specification's order.
    pub fn metrics(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.metrics.iter().map(|(_, n, v)| (*n, v.as_str()))
    }

    /// The value of one metric (name in any case), if the vector defines it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.metrics
            .iter()
            .find(|(_, n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, _, v)| v.as_str())
    }

    /// Whether the vector carries any temporal (v2, v3) or threat (v4) metric.
    pub fn has_temporal(&self) -> bool {
        self.has_group(Group::Temporal)
    }

    /// Whether the vector carries any environmental metric.
    pub fn has_environmental(&self) -> bool {
        self.has_group(Group::Environmental)
    }

    fn has_group(&self, group: Group) -> bool {
        let table = metric::table(self.version);
        self.metrics.iter().any(|(i, _, _)| table[*i].1 == group)
    }

    /// The same vector reduced to the metric groups for which `keep` holds.
    pub(crate) fn only(&self, keep: impl Fn(Group) -> bool) -> Result<Self, CvssError> {
        let table = metric::table(self.version);
        let metrics = self
            .metrics
            .iter()
            .filter(|(i, _, _)| keep(table[*i].1))
            .cloned()
            .collect();
        Self::from_metrics(self.version, metrics)
    }

    /// This vector re-scored for an environment: the profile's metrics (mapped to this
    /// vector's version, see [`EnvProfile`]) are added, replacing the vector's own values of
    /// the same metrics; the other metrics are kept.
    pub fn with_env(&self, profile: &EnvProfile) -> Result<Self, CvssError> {
        let assignments = profile.assignments(self.version)?;
        let mut metrics = self.metrics.clone();
        for (name, value) in assignments {
            let Some((index, canonical, group)) = metric::lookup(self.version, name) else {
                return Err(CvssError::UnknownMetric {
                    metric: name.to_owned(),
                    version: self.version,
                });
            };
            if group != Group::Environmental {
                return Err(CvssError::NotEnvironmental(canonical.to_owned()));
            }
            metrics.retain(|(i, _, _)| *i != index);
            if let Some(value) = value {
                metrics.push((index, canonical, value));
            }
        }
        Self::from_metrics(self.version, metrics)
    }
}

fn render(version: Version, metrics: &[(usize, &'static str, String)]) -> String {
    let mut out = match version {
        Version::V2 => String::new(),
        v => format!("CVSS:{v}/"),
    };
    for (k, (_, name, value)) in metrics.iter().enumerate() {
        if k > 0 {
            out.push('/');
        }
        out.push_str(name);
        out.push(':');
        out.push_str(value);
    }
    out
}

impl fmt::Display for Vector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&render(self.version, &self.metrics))
    }
}

impl Serialize for Vector {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Names the metric of an error from the `cvss` crate.
fn from_lib(e: cvss::Error, version: Version) -> CvssError {
    use cvss::Error as E;
    match e {
        E::InvalidMetricV2 { metric_type, value } => CvssError::InvalidValue {
            metric: metric_type.name().to_owned(),
            value,
            version,
        },
        E::InvalidMetricV3 { metric_type, value } => CvssError::InvalidValue {
            metric: metric_type.name().to_owned(),
            value,
            version,
        },
        E::InvalidMetricV4 { metric_type, value } => CvssError::InvalidValue {
            metric: metric_type.name().to_owned(),
            value,
            version,
        },
        E::MissingMandatoryMetricV2 { metric_type } => CvssError::Missing {
            metric: metric_type.name().to_owned(),
            version,
        },
        E::MissingMandatoryMetricV4 { metric_type } => CvssError::Missing {
            metric: metric_type.name().to_owned(),
            version,
        },
        E::DuplicateMetricV2 { metric_type } => CvssError::Duplicate(metric_type.name().into()),
        E::DuplicateMetricV3 { metric_type } => CvssError::Duplicate(metric_type.name().into()),
        E::DuplicateMetricV4 { metric_type } => CvssError::Duplicate(metric_type.name().into()),
        other => CvssError::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::{Version, parse};
    use crate::CvssError;

    #[test]
    fn spellings_normalise_to_one_vector() {
        let canonical = parse("AV:N/AC:L/Au:N/C:P/I:P/A:P").expect("valid v2");
        for spelling in [
            "(AV:N/AC:L/Au:N/C:P/I:P/A:P)",
            "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
            " av:n / ac:l / au:n / c:p / i:p / a:p ",
            "A:P/I:P/C:P/Au:N/AC:L/AV:N/E:ND",
        ] {
            assert_eq!(parse(spelling).expect(spelling), canonical, "{spelling}");
        }
        assert_eq!(canonical.to_string(), "AV:N/AC:L/Au:N/C:P/I:P/A:P");
        assert_eq!(canonical.version(), Version::V2);

        let v4 = parse("cvss:4.0/av:n/ac:l/at:n/pr:n/ui:n/vc:h/vi:h/va:h/sc:n/si:n/sa:n/u:red/e:x")
            .expect("valid v4");
        assert_eq!(
            v4.to_string(),
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Red"
        );
    }

    #[test]
    fn errors_name_the_metric() {
        let cases = [
            ("", CvssError::Empty),
            ("()", CvssError::Empty),
            ("CVSS:3.2/AV:N", CvssError::UnsupportedVersion("3.2".into())),
            (
                "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                CvssError::InvalidValue {
                    metric: "AV".into(),
                    value: "Q".into(),
                    version: Version::V3_1,
                },
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
                CvssError::Missing {
                    metric: "A".into(),
                    version: Version::V3_1,
                },
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AT:N",
                CvssError::UnknownMetric {
                    metric: "AT".into(),
                    version: Version::V3_1,
                },
            ),
            (
                "CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                CvssError::Duplicate("AV".into()),
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/E:H",
                CvssError::Duplicate("E".into()),
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
                CvssError::Malformed(String::new()),
            ),
            ("AV:N/AC", CvssError::Malformed("AC".into())),
            (
                "CVSS:3.1/AV:Q/AC:L",
                CvssError::InvalidValue {
                    metric: "AV".into(),
                    value: "Q".into(),
                    version: Version::V3_1,
                },
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
                CvssError::Missing {
                    metric: "SA".into(),
                    version: Version::V4_0,
                },
            ),
            (
                "AV:N/AC:L/Au:N/C:P/I:P",
                CvssError::Missing {
                    metric: "A".into(),
                    version: Version::V2,
                },
            ),
            (
                "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                CvssError::InvalidValue {
                    metric: "AV".into(),
                    value: "X".into(),
                    version: Version::V3_1,
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input).expect_err(input), want, "{input}");
        }
        let msg = parse("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
            .expect_err("invalid")
            .to_string();
        assert!(msg.contains("`AV`") && msg.contains("`Q`"), "{msg}");
    }
}
