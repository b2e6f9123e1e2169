//! Environment profiles: the modified base metrics and security requirements of one
//! environment, applied to vectors of every version.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::{CvssError, Version, metric, vector};

/// The environmental metrics a profile may set, with every value any CVSS version allows
/// for them (`X` / `ND`, "not defined", clears the metric from the vector).
const KNOWN: &[(&str, &[&str])] = &[
    ("MAV", &["N", "A", "L", "P"]),
    ("MAC", &["L", "H"]),
    ("MAT", &["N", "P"]),
    ("MPR", &["N", "L", "H"]),
    ("MUI", &["N", "R", "P", "A"]),
    ("MS", &["U", "C"]),
    ("MC", &["N", "L", "H"]),
    ("MI", &["N", "L", "H"]),
    ("MA", &["N", "L", "H"]),
    ("MVC", &["N", "L", "H"]),
    ("MVI", &["N", "L", "H"]),
    ("MVA", &["N", "L", "H"]),
    ("MSC", &["N", "L", "H"]),
    ("MSI", &["N", "L", "H", "S"]),
    ("MSA", &["N", "L", "H", "S"]),
    ("CR", &["L", "M", "H"]),
    ("IR", &["L", "M", "H"]),
    ("AR", &["L", "M", "H"]),
    ("CDP", &["N", "L", "LM", "MH", "H"]),
    ("TD", &["N", "L", "M", "H"]),
];

/// An environment profile: a set of environmental metrics, written like a vector without
/// prefix (`MAV:A/CR:H/IR:M/AR:L`), applied with [`Vector::with_env`](crate::Vector::with_env).
///
/// A profile is written once, in v3 or v4 terms, and mapped to each vector's version:
///
/// | profile metric | v2 | v3.x | v4.0 |
/// |---|---|---|---|
/// | `CR`, `IR`, `AR` | same | same | same |
/// | `MAV`, `MAC`, `MPR` | — | same | same |
/// | `MUI` | — | same (`P`, `A` → `R`) | same (`R` → `P`) |
/// | `MC`, `MI`, `MA` | — | same | `MVC`, `MVI`, `MVA` |
/// | `MVC`, `MVI`, `MVA` | — | `MC`, `MI`, `MA` | same |
/// | `MS` | — | same | — |
/// | `MAT`, `MSC`, `MSI`, `MSA` | — | — | same |
/// | `CDP`, `TD` | same | — | — |
///
/// (— means the version has no such metric: it is left out, and reported by
/// [`EnvProfile::not_applicable`].) Where a profile names both spellings (`MC` and `MVC`) each
/// version takes its own. CVSS v2 has no modified base metrics, so an attack-vector change
/// cannot be expressed for v2 vectors; give `CDP`/`TD`, or a per-version override
/// ([`EnvProfile::with_override`], `v2 = "…"` in `drydock.toml`), for v2.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnvProfile {
    metrics: Vec<(&'static str, String)>,
    overrides: BTreeMap<u8, Vec<(&'static str, String)>>,
    description: Option<String>,
}

impl EnvProfile {
    /// Parses a profile: environmental metrics separated by `/`, any case, optional parentheses.
    pub fn parse(s: &str) -> Result<Self, CvssError> {
        s.parse()
    }

    /// The profile's description (from `drydock.toml`).
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Replaces the mapping for vectors of one major version (2, 3 or 4) with these metrics,
    /// written in that version's terms (for v2: `CDP:H/TD:H/CR:H/IR:M/AR:L`).
    pub fn with_override(mut self, major: u8, metrics: &str) -> Result<Self, CvssError> {
        let version = match major {
            2 => Version::V2,
            3 => Version::V3_1,
            4 => Version::V4_0,
            _ => return Err(CvssError::UnsupportedVersion(major.to_string())),
        };
        let mut out: Vec<(&'static str, String)> = Vec::new();
        for (name, value) in components(metrics)? {
            let Some((_, canonical, group)) = metric::lookup(version, &name) else {
                return Err(CvssError::UnknownMetric {
                    metric: name,
                    version,
                });
            };
            if group != metric::Group::Environmental {
                return Err(CvssError::NotEnvironmental(canonical.to_owned()));
            }
            if out.iter().any(|(n, _)| *n == canonical) {
                return Err(CvssError::Duplicate(canonical.to_owned()));
            }
            out.push((canonical, value));
        }
        self.overrides.insert(major, out);
        Ok(self)
    }

    /// The profile's own metrics, as written (canonical names, upper-case values).
    pub fn metrics(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.metrics.iter().map(|(n, v)| (*n, v.as_str()))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.metrics
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// What the profile sets on a vector of `version`: `(metric, Some(value))` to set,
    /// `(metric, None)` to clear. Applied by [`Vector::with_env`](crate::Vector::with_env).
    pub(crate) fn assignments(
        &self,
        version: Version,
    ) -> Result<Vec<(&'static str, Option<String>)>, CvssError> {
        let defined = |v: &str| (v != "X" && v != "ND").then(|| v.to_owned());
        if let Some(metrics) = self.overrides.get(&version.major()) {
            return Ok(metrics.iter().map(|(n, v)| (*n, defined(v))).collect());
        }
        let mut out = Vec::new();
        for (name, value) in &self.metrics {
            let Some(target) = self.target(version, name) else {
                continue;
            };
            let value = match (target, value.as_str()) {
                ("MUI", "P" | "A") if version.major() == 3 => "R",
                ("MUI", "R") if version.major() == 4 => "P",
                (_, v) => v,
            };
            out.push((target, defined(value)));
        }
        Ok(out)
    }

    /// The name a profile metric takes in `version`, or `None` where it has no counterpart.
    fn target(&self, version: Version, name: &'static str) -> Option<&'static str> {
        let renamed = |own: &'static str| (self.get(own).is_none()).then_some(own);
        match (version.major(), name) {
            (2, "CR" | "IR" | "AR" | "CDP" | "TD") => Some(name),
            (2, _) => None,
            (3, "MAV" | "MAC" | "MPR" | "MUI" | "MS" | "MC" | "MI" | "MA" | "CR" | "IR" | "AR") => {
                Some(name)
            }
            (3, "MVC") => renamed("MC"),
            (3, "MVI") => renamed("MI"),
            (3, "MVA") => renamed("MA"),
            (3, _) => None,
            (_, "MS" | "CDP" | "TD") => None,
            (_, "MC") => renamed("MVC"),
            (_, "MI") => renamed("MVI"),
            (_, "MA") => renamed("MVA"),
            (_, _) => Some(name),
        }
    }

    /// The profile metrics that have no counterpart in `version` and so are left out when
    /// the profile is applied to a vector of that version (empty with an override).
    pub fn not_applicable(&self, version: Version) -> Vec<&'static str> {
        if self.overrides.contains_key(&version.major()) {
            return Vec::new();
        }
        self.metrics
            .iter()
            .filter(|(n, _)| {
                self.target(version, n).is_none()
                    && !matches!(
                        (version.major(), *n),
                        (3, "MVC" | "MVI" | "MVA") | (4, "MC" | "MI" | "MA")
                    )
            })
            .map(|(n, _)| *n)
            .collect()
    }

    /// Layers `other` over this profile: its metrics replace this profile's of the same name
    /// (for `--env` given on top of `--env-profile`).
    pub fn merged_with(&self, other: &EnvProfile) -> EnvProfile {
        let mut out = self.clone();
        for (name, value) in &other.metrics {
            out.metrics.retain(|(n, _)| n != name);
            out.metrics.push((name, value.clone()));
        }
        out.metrics.sort_by_key(|(n, _)| position(n));
        for (major, metrics) in &other.overrides {
            out.overrides.insert(*major, metrics.clone());
        }
        out
    }
}

fn position(name: &str) -> usize {
    KNOWN
        .iter()
        .position(|(n, _)| *n == name)
        .unwrap_or(usize::MAX)
}

/// Splits `A:B/C:D` (whitespace, case and parentheses ignored) into upper-cased pairs.
fn components(s: &str) -> Result<Vec<(String, String)>, CvssError> {
    vector::compact(s)?
        .split('/')
        .map(vector::component)
        .collect()
}

impl FromStr for EnvProfile {
    type Err = CvssError;

    fn from_str(s: &str) -> Result<Self, CvssError> {
        let mut metrics: Vec<(&'static str, String)> = Vec::new();
        for (name, value) in components(s)? {
            let Some((canonical, values)) = KNOWN.iter().find(|(n, _)| *n == name) else {
                return Err(CvssError::NotEnvironmental(name));
            };
            if value != "X" && value != "ND" && !values.contains(&value.as_str()) {
                return Err(CvssError::InvalidProfileValue {
                    metric: (*canonical).to_owned(),
                    value,
                });
            }
            if metrics.iter().any(|(n, _)| n == canonical) {
                return Err(CvssError::Duplicate((*canonical).to_owned()));
            }
            metrics.push((canonical, value));
        }
        metrics.sort_by_key(|(n, _)| position(n));
        Ok(Self {
            metrics,
            ..Self::default()
        })
    }
}

impl fmt::Display for EnvProfile {
    /// The profile's own metrics, `MAV:A/CR:H/…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: Vec<String> = self
            .metrics
            .iter()
            .map(|(n, v)| format!("{n}:{v}"))
            .collect();
        f.pad(&text.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::EnvProfile;
    use crate::{CvssError, Version, parse};

    const INTERNAL: &str = "MAV:A/CR:H/IR:M/AR:L";

    #[test]
    fn applies_to_every_version() {
        let p = EnvProfile::parse(INTERNAL).expect("valid profile");
        let v31 = parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MAV:L/CR:L")
            .expect("valid")
            .with_env(&p)
            .expect("applies");
        assert_eq!(
            v31.to_string(),
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:H/IR:M/AR:L/MAV:A"
        );
        let v2 = parse("AV:N/AC:L/Au:N/C:P/I:P/A:P")
            .expect("valid")
            .with_env(&p)
            .expect("applies");
        assert_eq!(v2.to_string(), "AV:N/AC:L/Au:N/C:P/I:P/A:P/CR:H/IR:M/AR:L");
        assert_eq!(p.not_applicable(Version::V2), vec!["MAV"]);
        assert!(p.not_applicable(Version::V4_0).is_empty());
        let v4 = parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
            .expect("valid")
            .with_env(&p)
            .expect("applies");
        assert_eq!(
            v4.to_string(),
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:H/IR:M/AR:L/MAV:A"
        );
    }

    #[test]
    fn maps_names_and_values_between_versions() {
        let p = EnvProfile::parse("MUI:R/MC:N/MSI:S/MS:C/TD:L").expect("valid");
        let v4 = parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
            .expect("valid")
            .with_env(&p)
            .expect("applies");
        assert_eq!(v4.get("MUI"), Some("P"));
        assert_eq!(v4.get("MVC"), Some("N"));
        assert_eq!(v4.get("MSI"), Some("S"));
        assert_eq!(p.not_applicable(Version::V4_0), vec!["MS", "TD"]);
        assert_eq!(p.not_applicable(Version::V3_1), vec!["MSI", "TD"]);
        let cleared = EnvProfile::parse("CR:X").expect("valid");
        let v3 = parse("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:H")
            .expect("valid")
            .with_env(&cleared)
            .expect("applies");
        assert_eq!(v3.get("CR"), None);
    }

    #[test]
    fn overrides_replace_the_mapping() {
        let p = EnvProfile::parse(INTERNAL)
            .and_then(|p| p.with_override(2, "CDP:MH/TD:H/CR:H"))
            .expect("valid");
        let v2 = parse("AV:N/AC:L/Au:N/C:P/I:P/A:P")
            .expect("valid")
            .with_env(&p)
            .expect("applies");
        assert_eq!(
            v2.to_string(),
            "AV:N/AC:L/Au:N/C:P/I:P/A:P/CDP:MH/TD:H/CR:H"
        );
        assert!(p.not_applicable(Version::V2).is_empty());
        assert_eq!(
            EnvProfile::parse(INTERNAL).and_then(|p| p.with_override(2, "MAV:A")),
            Err(CvssError::UnknownMetric {
                metric: "MAV".into(),
                version: Version::V2
            })
        );
    }

    #[test]
    fn rejects_what_no_version_allows() {
        assert_eq!(
            EnvProfile::parse("AV:A"),
            Err(CvssError::NotEnvironmental("AV".into()))
        );
        assert_eq!(
            EnvProfile::parse("MAV:Q"),
            Err(CvssError::InvalidProfileValue {
                metric: "MAV".into(),
                value: "Q".into()
            })
        );
        assert_eq!(
            EnvProfile::parse("CR:H/cr:l"),
            Err(CvssError::Duplicate("CR".into()))
        );
        assert_eq!(EnvProfile::parse(" "), Err(CvssError::Empty));
    }

    #[test]
    fn merging_layers_metrics() {
        let base = EnvProfile::parse(INTERNAL).expect("valid");
        let top = EnvProfile::parse("CR:L/MAC:H").expect("valid");
        assert_eq!(
            base.merged_with(&top).to_string(),
            "MAV:A/MAC:H/CR:L/IR:M/AR:L"
        );
    }
}
