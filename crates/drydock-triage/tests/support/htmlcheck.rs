//! The Nu HTML Checker (vnu) for the tests of the `drydock publish` site: the checker's jar
//! (`DRYDOCK_VNU_JAR`, installed by `.ci/setup.d/htmlcheck.sh`) run by `java` on every page.
//!
//! Shared by the test crates that validate the site:
//! `#[path = "…/drydock-triage/tests/support/htmlcheck.rs"] mod htmlcheck;`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The checker's jar when it and `java` are installed; `None` (the caller skips, saying so)
/// otherwise, unless `CI` is set: then it panics, so CI never passes without validating.
pub fn jar() -> Option<PathBuf> {
    let jar = std::env::var_os("DRYDOCK_VNU_JAR")
        .map(PathBuf::from)
        .filter(|j| j.is_file());
    let java = Command::new("java").arg("-version").output().is_ok();
    match jar {
        Some(j) if java => Some(j),
        _ => {
            let msg = "the Nu HTML Checker is missing (DRYDOCK_VNU_JAR and java: \
                       .ci/setup.d/htmlcheck.sh)";
            assert!(
                std::env::var_os("CI").is_none_or(|v| v.is_empty() || v == "false"),
                "{msg}"
            );
            eprintln!("SKIPPED: {msg}");
            None
        }
    }
}

/// Validates `pages` (paths relative to `dir`) and the CSS in them, warnings counting as
/// errors: the checker's messages, empty when every page is valid.
pub fn validate(jar: &Path, dir: &Path, pages: &[&str]) -> String {
    let out = Command::new("java")
        .arg("-jar")
        .arg(jar)
        .args([
            "--format",
            "gnu",
            "--Werror",
            "--also-check-css",
            "--no-langdetect",
        ])
        .args(pages.iter().map(|p| dir.join(p)))
        .output()
        .expect("run the Nu HTML Checker");
    let messages =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    if out.status.success() {
        assert!(
            messages.trim().is_empty(),
            "exit 0 with messages: {messages}"
        );
    } else {
        assert!(!messages.trim().is_empty(), "the checker failed silently");
    }
    messages
}
