//! Scores and severities of a vector.

use cvss::v3::Metric as _;
use cvss::v3::metric::environmental::{Modified, ModifiedScope};
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

/// "Round up" of CVSS v3.x: the smallest number with one decimal that is equal to or higher
/// than the input. Implemented as in v3.1 Appendix A (integers after scaling by 100 000), which
/// the v3.1 specification introduced so that floating-point noise (`5.0 × 0.92 =
/// 4.6000000000000005`) does not round 4.6 up to 4.7. v3.0 defines the same mathematical
/// function, so v3.0 vectors use it too (a plain `ceil(x × 10) / 10`, as the `cvss` crate does
/// for v3.0, disagrees with the exact decimal result on about 1 vector in 400).
fn roundup(x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    // Scores are at most 10.0 here: far inside i64.
    #[allow(clippy::cast_possible_truncation)]
    let scaled = (x * 100_000.0).round() as i64;
    if scaled % 10_000 == 0 {
        scaled as f64 / 100_000.0
    } else {
        ((scaled / 10_000) as f64 + 1.0) / 10.0
    }
}

/// Base, temporal and environmental scores of a v3.0 or v3.1 vector, with the equations of
/// the v3.1 specification section 7 (v3.0: section 8; they differ only in the modified impact
/// of a changed scope), on the `cvss` crate's metric weights.
fn v3_scores(v: &cvss::v3::Vector) -> (f64, f64, f64) {
    let minor = v.minor_version;
    let changed = v.s.is_some_and(|s| s.is_changed());
    // Base (7.1): ISS, Impact, Exploitability.
    let iss = v.impact().value();
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = v.exploitability().value();
    let base = if impact <= 0.0 {
        0.0
    } else if changed {
        roundup((1.08 * (impact + exploitability)).min(10.0))
    } else {
        roundup((impact + exploitability).min(10.0))
    };
    // Temporal (7.2).
    let e = v.e.map_or(1.0, |m| m.score());
    let rl = v.rl.map_or(1.0, |m| m.score());
    let rc = v.rc.map_or(1.0, |m| m.score());
    let temporal = roundup(base * e * rl * rc);
    // Environmental (7.3).
    let m_changed = match v.ms {
        Some(ModifiedScope::Modified(s)) => s.is_changed(),
        Some(ModifiedScope::NotDefined) | None => changed,
    };
    let cr = v.cr.map_or(1.0, |m| m.score());
    let ir = v.ir.map_or(1.0, |m| m.score());
    let ar = v.ar.map_or(1.0, |m| m.score());
    let mc = v.mc.unwrap_or(Modified::NotDefined).modified_score(v.c);
    let mi = v.mi.unwrap_or(Modified::NotDefined).modified_score(v.i);
    let ma = v.ma.unwrap_or(Modified::NotDefined).modified_score(v.a);
    let miss = (1.0 - (1.0 - cr * mc) * (1.0 - ir * mi) * (1.0 - ar * ma)).min(0.915);
    let modified_impact = match (m_changed, minor) {
        (false, _) => 6.42 * miss,
        (true, 0) => 7.52 * (miss - 0.029) - 3.25 * (miss - 0.02).powi(15),
        (true, _) => 7.52 * (miss - 0.029) - 3.25 * (miss * 0.9731 - 0.02).powi(13),
    };
    let modified_exploitability = 8.22
        * v.mav.unwrap_or(Modified::NotDefined).modified_score(v.av)
        * v.mac.unwrap_or(Modified::NotDefined).modified_score(v.ac)
        * v.mpr
            .unwrap_or(Modified::NotDefined)
            .scoped_score(m_changed, v.pr)
        * v.mui.unwrap_or(Modified::NotDefined).modified_score(v.ui);
    let environmental = if modified_impact <= 0.0 {
        0.0
    } else if m_changed {
        roundup(
            roundup((1.08 * (modified_impact + modified_exploitability)).min(10.0)) * e * rl * rc,
        )
    } else {
        roundup(roundup((modified_impact + modified_exploitability).min(10.0)) * e * rl * rc)
    };
    (base, temporal, environmental)
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
                let (base, temporal, environmental) = v3_scores(v);
                (
                    base,
                    self.has_temporal().then_some(temporal),
                    None,
                    self.has_environmental().then_some(environmental),
                )
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

    /// Issue 8: v3.0 rounded `5.0 × 0.92 = 4.6000000000000005` up to 4.7; the exact round-up
    /// is 4.6 (found by the Red Hat differential test).
    #[test]
    fn issue_8_v3_0_round_up_is_exact() {
        let s = parse("CVSS:3.0/AV:L/AC:H/PR:L/UI:R/S:U/C:H/I:L/A:N/RC:U/MAV:L")
            .expect("valid")
            .scores();
        assert_eq!(s.base_score, 5.0);
        assert_eq!(s.temporal_score, Some(4.6));
        assert_eq!(s.environmental_score, Some(4.6));
        assert_eq!(super::roundup(4.000_01), 4.1);
        assert_eq!(super::roundup(4.600_000_000_000_000_5), 4.6);
        assert_eq!(super::roundup(4.0), 4.0);
        assert_eq!(super::roundup(0.0), 0.0);
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
