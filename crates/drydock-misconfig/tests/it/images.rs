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
            ("DD-110", "/usr/bin/sudo (layer 0)"),
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
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        assert!(
            !ci,
            "{} is missing (CI must provide ../shared)",
            archive.display()
        );
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

/// Credential files left in a tree (a directory target, the same file visitor as an image's
/// layers): each kind the issue names is DD-304 at its path, and its twin — a public key, a
/// file with only settings or a `${VAR}` reference, an `.env.example` — raises nothing.
#[test]
fn credential_files_and_their_twins() {
    let key_body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB".repeat(3);
    let secret40 = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let npm = format!("npm_{}", "q7W8e9R0".repeat(4) + "t1Y2");
    let files: Vec<(&str, String, bool)> = vec![
        (
            "root/.ssh/id_ed25519",
            format!(
                "-----BEGIN OPENSSH PRIVATE KEY-----\n{key_body}\n-----END OPENSSH PRIVATE KEY-----\n"
            ),
            true,
        ),
        (
            "root/.ssh/id_ed25519.pub",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI app@host\n".into(),
            false,
        ),
        (
            "root/.aws/credentials",
            format!("[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = {secret40}\n"),
            true,
        ),
        (
            "home/app/.aws/credentials",
            "[default]\nregion = eu-west-1\n".into(),
            false,
        ),
        (
            "root/.docker/config.json",
            r#"{"auths": {"registry.example.com": {"auth": "dXNlcjpwYXNzd29yZA=="}}}"#.into(),
            true,
        ),
        (
            "home/app/.docker/config.json",
            r#"{"auths": {"registry.example.com": {}}, "credsStore": "desktop"}"#.into(),
            false,
        ),
        (
            "root/.npmrc",
            format!("//registry.npmjs.org/:_authToken={npm}\n"),
            true,
        ),
        (
            "home/app/.npmrc",
            "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n".into(),
            false,
        ),
        (
            "root/.pypirc",
            "[pypi]\nusername = __token__\npassword = hunter22-upload\n".into(),
            true,
        ),
        (
            "home/app/.pypirc",
            "[distutils]\nindex-servers = pypi\n".into(),
            false,
        ),
        ("srv/app/.env", "DB_PASSWORD=hunter22\nPORT=8080\n".into(), true),
        (
            "srv/app/.env.example",
            "DB_PASSWORD=hunter22\n".into(),
            false,
        ),
        (
            "srv/other/.env",
            "DB_PASSWORD=${DB_PASSWORD}\nPORT=8080\n".into(),
            false,
        ),
        (
            "root/.kube/config",
            "apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    token: abcdef0123456789\n"
                .into(),
            true,
        ),
        (
            "home/app/.kube/config",
            "apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    exec: {command: aws}\n"
                .into(),
            false,
        ),
        (
            "root/.git-credentials",
            "https://ci:hunter22@git.example.com\n".into(),
            true,
        ),
        (
            "root/.netrc",
            "machine example.com login ci password hunter22\n".into(),
            true,
        ),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text, _) in &files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
    }
    let target =
        drydock_image::open(&dir.path().to_string_lossy(), &Default::default()).expect("open");
    let out = scan_image(&target, &Options::default()).expect("scan");
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let got: BTreeSet<(String, String)> = out
        .findings
        .iter()
        .map(|f| (f.id.clone(), f.evidence.subject().to_string()))
        .collect();
    let want: BTreeSet<(String, String)> = files
        .iter()
        .filter(|(_, _, bad)| *bad)
        .map(|(p, ..)| ("DD-304".to_string(), p.to_string()))
        .collect();
    assert_eq!(got, want);
    let text = serde_json::to_string(&out.findings).expect("json");
    for secret in [
        &key_body[..],
        secret40,
        &npm[4..],
        "hunter22",
        "abcdef0123456789",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

/// Bad input on the image side (the fixture script's `truncated` and `huge` images): a layer
/// file cut short is an error naming the layer, never a panic; files over the read bound are
/// not read — a credential file among them is a warning — and a larger bound finds what
/// they hold, so the bound is what kept them out.
#[test]
fn truncated_and_huge_layer_files() {
    let open = |name: &str| {
        let path = crate::fixtures().join("images").join(name).join("oci");
        let target = drydock_image::open(&path.to_string_lossy(), &Default::default())
            .unwrap_or_else(|e| panic!("open {name}: {e}"));
        (path, target)
    };
    let (path, target) = open("truncated");
    let opts = Options {
        image_path: Some(path),
        ..Options::default()
    };
    let err = scan_image(&target, &opts).expect_err("a cut layer is an error");
    let msg = err.to_string();
    assert!(
        msg.contains("truncated") && msg.contains("layer `sha256:"),
        "{msg}"
    );

    let (path, target) = open("huge");
    let scan = |max_file_size| {
        scan_image(
            &target,
            &Options {
                image_path: Some(path.clone()),
                limits: drydock_misconfig::FileLimits {
                    max_file_size,
                    ..Default::default()
                },
                ..Options::default()
            },
        )
        .expect("files over the bound are not an error")
    };
    let bounded = scan(drydock_misconfig::FileLimits::default().max_file_size);
    assert!(bounded.findings.is_empty(), "{:#?}", bounded.findings);
    assert_eq!(bounded.warnings.len(), 1, "{:?}", bounded.warnings);
    assert!(
        bounded.warnings[0].contains("root/.aws/credentials")
            && bounded.warnings[0].contains("bound"),
        "{:?}",
        bounded.warnings
    );
    let wide = scan(4 << 20);
    assert!(wide.warnings.is_empty(), "{:?}", wide.warnings);
    let got: BTreeSet<(String, String)> = wide
        .findings
        .iter()
        .map(|f| (f.id.clone(), f.evidence.subject().to_string()))
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("DD-304", "root/.aws/credentials"),
        ("DD-305", "app/big.log"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);
}
