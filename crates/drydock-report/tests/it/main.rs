//! drydock-report's integration tests: every writer on a report built from real data.

mod fixture;
mod formats;
mod issue13;
mod misconfig;
mod schemas;
mod screenshot;
mod snapshots;

/// Whether a test whose tools are missing must fail (CI) rather than skip with a note.
pub fn tools_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}
