//! Version validation at build time: the one place feed readers ask whether a version is valid
//! for its ecosystem. A record with an invalid version is skipped with a warning naming it.

use drydock_version::Scheme;

use crate::model::RangeKind;

/// Checks `version` as `osv_ecosystem` (`PyPI`, `Alpine:v3.10`, `Debian`) orders versions, or
/// as SemVer 2.0 for a `SEMVER` range. Ecosystems drydock cannot order get the checks every
/// scheme agrees on (non-empty, no whitespace).
pub(crate) fn version(osv_ecosystem: &str, kind: RangeKind, version: &str) -> Result<(), String> {
    basic(version)?;
    let scheme = match kind {
        RangeKind::Semver => Some(Scheme::Semver),
        RangeKind::Ecosystem => Scheme::for_osv_ecosystem(osv_ecosystem),
    };
    match scheme {
        Some(s) => drydock_version::validate(s, version).map_err(|e| e.to_string()),
        None => Ok(()),
    }
}

fn basic(version: &str) -> Result<(), String> {
    if version.is_empty() {
        return Err("empty version".into());
    }
    if let Some(c) = version
        .chars()
        .find(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!("contains {c:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_by_ecosystem_and_range_type() {
        assert!(version("PyPI", RangeKind::Ecosystem, "1.0.post1").is_ok());
        assert!(version("PyPI", RangeKind::Ecosystem, "not a version!").is_err());
        assert!(version("Go", RangeKind::Semver, "1.19.8").is_ok());
        assert!(version("crates.io", RangeKind::Semver, "1.0").is_err());
        assert!(version("Alpine:v3.10", RangeKind::Ecosystem, "1.1.18-r4").is_ok());
        assert!(version("Debian", RangeKind::Ecosystem, "1:2.3-1+deb12u1").is_ok());
        // No scheme for Hex: only the basic checks.
        assert!(version("Hex", RangeKind::Ecosystem, "anything-goes").is_ok());
        assert!(version("Hex", RangeKind::Ecosystem, "two words").is_err());
    }
}
