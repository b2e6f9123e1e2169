//! Checking a published `drydock publish` site: its files ([`tree`]) and the Nu HTML Checker
//! (vnu: the checker's jar, `DRYDOCK_VNU_JAR`, installed by `.ci/setup.d/htmlcheck.sh`, run by
//! `java` on every page).
//!
//! Shared by the test crates that check the site:
//! `#[path = "…/drydock-triage/tests/support/site_check.rs"] mod site_check;`.

#![allow(dead_code)]

use std::collections::BTreeMap;
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

/// Every file under `dir`, by path relative to it, with its bytes.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("under root");
                out.insert(
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(&p).expect("read"),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
