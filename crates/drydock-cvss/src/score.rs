//! Scores and severities of a vector.

use cvss::v3::Metric as _;
use serde::Serialize;

use crate::metric::Group;
use crate::vector::Inner;
use crate::{Severity, Vector, Version};

/// Every score of a vector, each with its severity.
///
/// A group's score is `None` when the vector carries none of that group's metrics: v2 and v3
/// have temporal scores and no threat score, v4 the reverse. Serialised with every key
/// present (`null` where not applicable), so consumers see one shape for all versions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    /// The vector's version.
    pub version: Version,
    /// Base score (v4: CVSS-B, from the base metrics alone).
    pub base_score: f64,
    /// Severity of the base score.
    pub base_severity: Severity,
    /// Temporal score (v2, v3), if the vector has temporal metrics.
    pub temporal_score: Option<f64>,
    /// Severity of the temporal score.
    pub temporal_severity: Option<Severity>,
    /// Threat score (v4: CVSS-BT), if the vector has the threat metric `E`.
    pub threat_score: Option<f64>,
    /// Severity of the threat score.
    pub threat_severity: Option<Severity>,
    /// Environmental score (v4: CVSS-BE or CVSS-BTE), if the vector has environmental metrics.
    pub environmental_score: Option<f64>,
    /// Severity of the environmental score.
    pub environmental_severity: Option<Severity>,
}

impl Scores {
    /// The most specific score the vector has: environmental, else temporal/threat, else base.
    /// This is what a finding's environmental severity gate should use.
    pub fn effective(&self) -> (f64, Severity) {
        let pairs = [
            (self.environmental_score, self.environmental_severity),
            (self.temporal_score, self.temporal_severity),
            (self.threat_score, self.threat_severity),
        ];
        pairs
            .into_iter()
            .find_map(|(s, v)| Some((s?, v?)))
            .unwrap_or((self.base_score, self.base_severity))
    }
}

/// One decimal, as every CVSS version reports; removes representation noise such as
/// `6.1000000000000005` without moving a score across a tenth.
fn tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl Vector {
    /// Computes the base, temporal/threat and environmental scores and their severities, with
    /// the equations of the FIRST specification of the vector's version.
    pub fn scores(&self) -> Scores {
        let version = self.version();
        let rate = |s: f64| {
            if version == Version::V2 {
                Severity::from_v2_score(s)
            } else {
                Severity::from_score(s)
            }
        };
        let (base, temporal, threat, environmental) = match &self.inner {
            Inner::V2(v) => (
                v.score().value(),
                self.has_temporal().then(|| v.temporal_score().value()),
                None,
                self.has_environmental()
                    .then(|| v.environmental_score().value()),
            ),
            Inner::V3(v) => {
                let base = v.base_score();
                // v3.x: TemporalScore = Roundup(BaseScore × E × RL × RC); the crate has no
                // function for it, so it is computed here with the crate's metric weights.
                let temporal = self.has_temporal().then(|| {
                    let e = v.e.map_or(1.0, |m| m.score());
                    let rl = v.rl.map_or(1.0, |m| m.score());
                    let rc = v.rc.map_or(1.0, |m| m.score());
                    cvss::v3::Score::new(base.value() * e * rl * rc)
                        .roundup_for_version(v.minor_version)
                        .value()
                });
                let environmental = self
                    .has_environmental()
                    .then(|| v.environmental_score().value());
                (base.value(), temporal, None, environmental)
            }
            Inner::V4(v) => {
                // v4 has one equation; the nomenclature says which groups fed it. Base is
                // CVSS-B (base metrics alone), threat CVSS-BT, environmental CVSS-B(T)E.
                let score_of = |keep: &dyn Fn(Group) -> bool| {
                    self.only(keep).ok().and_then(|sub| match sub.inner {
                        Inner::V4(s) => Some(s.score().value()),
                        _ => None,
                    })
                };
                let base = score_of(&|g| g == Group::Base).unwrap_or_else(|| v.score().value());
                let threat = if self.has_temporal() {
                    score_of(&|g| matches!(g, Group::Base | Group::Temporal))
                } else {
                    None
                };
                let environmental = self.has_environmental().then(|| v.score().value());
                (base, None, threat, environmental)
            }
        };
        let base = tenth(base);
        let temporal = temporal.map(tenth);
        let threat = threat.map(tenth);
        let environmental = environmental.map(tenth);
        Scores {
            version,
            base_score: base,
            base_severity: rate(base),
            temporal_score: temporal,
            temporal_severity: temporal.map(rate),
            threat_score: threat,
            threat_severity: threat.map(rate),
            environmental_score: environmental,
            environmental_severity: environmental.map(rate),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Severity, parse};

    #[test]
    fn groups_without_metrics_have_no_score() {
        let s = parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
            .expect("valid")
            .scores();
        assert_eq!((s.base_score, s.base_severity), (9.8, Severity::Critical));
        assert_eq!(s.temporal_score, None);
        assert_eq!(s.environmental_score, None);
        assert_eq!(s.effective(), (9.8, Severity::Critical));
    }

    #[test]
    fn v4_splits_base_threat_environmental() {
        // Base 9.3; E:U lowers the threat score; MAV:P lowers the environmental one further.
        let s = parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U/MAV:P")
            .expect("valid")
            .scores();
        assert_eq!(s.base_score, 9.3);
        let threat = s.threat_score.expect("has E");
        let env = s.environmental_score.expect("has MAV");
        assert!(threat < s.base_score && env < threat, "{s:?}");
        assert_eq!(s.temporal_score, None);
    }
}
