use std::collections::BTreeSet;
use std::path::Path;

use drydock_misconfig::{Evidence, MisconfigFinding, Options, Severity, scan_image};

fn scan(path: &Path) -> Vec<MisconfigFinding> {
    let target = drydock_image::open(&path.to_string_lossy(), &Default::default())
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let opts = Options {
        image_path: Some(path.to_path_buf()),
        ..Options::default()
    };
    let out = scan_image(&target, &opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    out.findings
}

fn ids_at(findings: &[MisconfigFinding]) -> BTreeSet<(String, String)> {
    findings
        .iter()
        .map(|f| (f.id.clone(), f.evidence.location()))
        .collect()
}

/// The bad image: every image-side check fires where the fixture put the problem, in both
/// formats, and no secret value appears in full.
#[test]
fn bad_image_findings() {
    for format in ["oci", "docker-archive.tar"] {
        let path = crate::fixtures().join("images/bad").join(format);
        let findings = scan(&path);
        let got = ids_at(&findings);
        let want: BTreeSet<(String, String)> = [
            ("DD-101", "config.User"),
            ("DD-102", "config.Healthcheck"),
            ("DD-103", "config.ExposedPorts[22/tcp]"),
            ("DD-105", "config.Env[2]"),
            ("DD-106", "history[2]"),
            ("DD-107", "config.Env[1]"),
            ("DD-107", "config.Env[2]"),
            ("DD-107", "history[2]"),
            ("DD-107", "history[5]"),
            ("DD-109", "history[2]"),
            ("DD-111", "history[2]"),
            ("DD-301", "/usr/local/bin/helper (layer 3)"),
            ("DD-302", "/etc/shadow:1 (layer 0)"),
            ("DD-303", "/etc/passwd:3 (layer 0)"),
            ("DD-305", "/app/deploy.env:1 (layer 1)"),
            ("DD-306", "/root/.ssh/id_ed25519:1 (layer 1)"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want, "{format}");
        let root = findings.iter().find(|f| f.id == "DD-302").expect("DD-302");
        assert_eq!(root.severity, Severity::Critical);
        let deleted = findings.iter().find(|f| f.id == "DD-306").expect("DD-306");
        assert_eq!(deleted.severity, Severity::Critical);
        match &deleted.evidence {
            Evidence::Layer { digest, .. } => assert!(digest.is_some()),
            e => panic!("{e:?}"),
        }
        let text = serde_json::to_string(&findings).expect("json");
        for secret in [
            "IOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI",
            "BEGIN OPENSSH PRIVATE KEY-----\n",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

/// The clean twin raises nothing.
#[test]
fn clean_image_has_no_findings() {
    for format in ["oci", "docker-archive.tar"] {
        let path = crate::fixtures().join("images/clean").join(format);
        let findings = scan(&path);
        assert!(findings.is_empty(), "{format}: {findings:#?}");
    }
}

/// `--scanners secret` / `misconfig` split the findings.
#[test]
fn scanner_selection() {
    let path = crate::fixtures().join("images/bad/oci");
    let target = drydock_image::open(&path.to_string_lossy(), &Default::default()).expect("open");
    let only = |misconfig, secret| {
        scan_image(
            &target,
            &Options {
                misconfig,
                secret,
                image_path: Some(path.clone()),
                ..Options::default()
            },
        )
        .expect("scan")
        .findings
    };
    let s = only(false, true);
    assert!(!s.is_empty() && s.iter().all(|f| drydock_misconfig::is_secret_check(&f.id)));
    let m = only(true, false);
    assert!(!m.is_empty() && m.iter().all(|f| !drydock_misconfig::is_secret_check(&f.id)));
    assert_eq!(s.len() + m.len(), only(true, true).len());
}

/// The byte bound: a tiny budget reads nothing and says so, never fails.
#[test]
fn secret_budget_is_a_warning() {
    let path = crate::fixtures().join("images/bad/oci");
    let target = drydock_image::open(&path.to_string_lossy(), &Default::default()).expect("open");
    let out = scan_image(
        &target,
        &Options {
            image_path: Some(path.clone()),
            limits: drydock_misconfig::FileLimits {
                max_file_size: 1 << 20,
                max_total_bytes: 1,
            },
            ..Options::default()
        },
    )
    .expect("scan");
    assert!(
        out.warnings.iter().any(|w| w.contains("bound")),
        "{:?}",
        out.warnings
    );
    assert!(!out.findings.iter().any(|f| f.id == "DD-305"));
}

/// Real Alpine images from shared data: only the findings docs/misconfig.md lists as
/// expected (root user, no healthcheck; and on 3.7's minirootfs nothing about files).
#[test]
fn shared_alpine_images() {
    let dir = crate::shared().join("data/images");
    let archive = dir.join("alpine-3.10.docker-archive.tar.gz");
    if !archive.is_file() {
        eprintln!("note: skipping, {} is missing", archive.display());
        return;
    }
    let got: BTreeSet<String> = scan(&archive).into_iter().map(|f| f.id).collect();
    let want: BTreeSet<String> = ["DD-101", "DD-102"].iter().map(|s| s.to_string()).collect();
    assert_eq!(got, want);
    let rootfs = dir.join("alpine-3.7.3-minirootfs.tar.gz");
    let got: Vec<MisconfigFinding> = scan(&rootfs);
    assert!(got.is_empty(), "{got:#?}");
}
