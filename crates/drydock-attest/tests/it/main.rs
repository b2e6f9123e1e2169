//! Integration tests of drydock-attest: the DSSE specification's vectors, and statements made
//! from a real drydock report, signed and verified (and rejected when they must be).

mod statement;
mod vectors;

use std::path::PathBuf;

/// `tests/data/NAME`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The JSON report of `drydock image` on the shared Alpine 3.7.3 rootfs, as the CLI's snapshot
/// test records it (findings: CVE-2019-14697 in musl and musl-utils).
pub fn alpine_report() -> drydock_report::Report {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../drydock/tests/it/snapshots/it__scan__image_alpine373_json.snap");
    let text = std::fs::read_to_string(&path).expect("read the CLI's JSON snapshot");
    // An insta snapshot: a `---` front matter, then the document.
    let body = text.splitn(3, "---\n").nth(2).expect("snapshot body");
    serde_json::from_str(body).expect("a drydock JSON report")
}
