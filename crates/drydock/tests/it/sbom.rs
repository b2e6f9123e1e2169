//! `drydock sbom`: inventories of real images, equal to the peers', and every kind of bad input.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use crate::fixtures::{self, Entry, Platform};
use crate::{corpus, drydock, shared, stdout, stdout_json, syft, trivy};

fn sbom_json(target: &str, extra: &[&str]) -> serde_json::Value {
    let out = drydock()
        .args(["sbom", target, "--format", "json"])
        .args(extra)
        .output()
        .expect("run drydock");
    stdout_json(&out, &format!("drydock sbom {target}"))
}

/// (ecosystem, name, version) of every package of the first target.
fn packages(report: &serde_json::Value, ecosystem: &str) -> BTreeSet<(String, String)> {
    report["targets"][0]["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["ecosystem"] == ecosystem)
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_string(),
                p["version"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// (name, version) of the components a CycloneDX document lists with a `pkg:TYPE/` purl.
fn cdx_components(doc: &serde_json::Value, purl_type: &str) -> BTreeSet<(String, String)> {
    let prefix = format!("pkg:{purl_type}/");
    doc["components"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|c| c["purl"].as_str().is_some_and(|p| p.starts_with(&prefix)))
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                c["version"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Trivy's CycloneDX inventory of `target`: with no vulnerability DB, packages only.
fn trivy_cdx(target: &Path) -> Option<serde_json::Value> {
    let cache = tempfile::tempdir().expect("tempdir");
    trivy(target, cache.path(), &["--format", "cyclonedx"])
}

fn syft_cdx(target: &Path) -> Option<serde_json::Value> {
    let scheme = if target.is_dir() {
        "oci-dir:"
    } else {
        "docker-archive:"
    };
    syft(
        &format!("{scheme}{}", target.display()),
        &["-o", "cyclonedx-json"],
    )
}

#[test]
fn alpine_310_equals_trivy() {
    let archive = shared().join("data/images/alpine-3.10.docker-archive.tar.gz");
    let report = sbom_json(archive.to_str().expect("utf-8 path"), &[]);
    let ours = packages(&report, "apk");
    assert_eq!(ours.len(), 14, "{ours:?}");
    assert_eq!(report["targets"][0]["os"]["version"], "3.10.4");
    // Origins: musl-utils comes from musl, libssl from openssl.
    let pkgs = report["targets"][0]["packages"]
        .as_array()
        .expect("packages");
    let origin = |n: &str| {
        pkgs.iter()
            .find(|p| p["name"] == n)
            .map(|p| p["source"]["name"].clone())
    };
    assert_eq!(origin("musl-utils"), Some("musl".into()));
    assert_eq!(origin("libssl1.1"), Some("openssl".into()));
    let Some(trivy) = trivy_cdx(&archive) else {
        return;
    };
    assert_eq!(ours, cdx_components(&trivy, "apk"));
    // Trivy records the origin as the `SrcName` property; compare those too.
    for c in trivy["components"].as_array().expect("components") {
        let name = c["name"].as_str().unwrap_or_default();
        let src = c["properties"]
            .as_array()
            .and_then(|ps| {
                ps.iter()
                    .find(|p| p["name"] == "aquasecurity:trivy:SrcName")
            })
            .map(|p| p["value"].clone());
        if let Some(src) = src {
            assert_eq!(origin(name), Some(src), "origin of {name}");
        }
    }
}

#[test]
fn alpine_rootfs_tarball() {
    let rootfs = shared().join("data/images/alpine-3.7.3-minirootfs.tar.gz");
    let report = sbom_json(rootfs.to_str().expect("utf-8 path"), &[]);
    assert_eq!(report["targets"][0]["kind"], "rootfs-tarball");
    assert_eq!(report["targets"][0]["os"]["version"], "3.7.3");
    let apk = packages(&report, "apk");
    assert!(
        apk.contains(&("musl".to_string(), "1.1.18-r3".to_string())),
        "{apk:?}"
    );
    assert_eq!(apk.len(), 13);
}

/// Issue 2, must-show 2: the corpus image as OCI layout, docker-archive and OCI archive.
#[test]
fn corpus_dpkg_equals_trivy_and_syft() {
    let Some(corpus) = corpus() else { return };
    let oci = corpus.join("debian-app/oci");
    let docker = corpus.join("debian-app/docker-archive.tar");
    let tmp = tempfile::tempdir().expect("tempdir");
    let oci_archive = tmp.path().join("debian-app.oci.tar");
    fixtures::tar_dir(&oci, &oci_archive);
    let mut sets = Vec::new();
    for t in [&oci, &docker, &oci_archive] {
        let report = sbom_json(t.to_str().expect("utf-8 path"), &[]);
        let deb = packages(&report, "deb");
        assert_eq!(
            deb.len(),
            88,
            "{}: {} dpkg packages",
            t.display(),
            deb.len()
        );
        assert!(
            !deb.iter().any(|(n, _)| n == "sensible-utils"),
            "sensible-utils was purged by the last layer"
        );
        sets.push(deb);
    }
    assert_eq!(sets[0], sets[1]);
    assert_eq!(sets[0], sets[2]);
    for (layout, target) in [("docker-archive", &docker), ("OCI layout", &oci)] {
        for (peer, doc) in [("trivy", trivy_cdx(target)), ("syft", syft_cdx(target))] {
            if let Some(doc) = doc {
                assert_eq!(sets[0], cdx_components(&doc, "deb"), "{peer}, {layout}");
            }
        }
    }
}

#[test]
fn platform_and_tag_selection() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("multi");
    let arm_layer = vec![
        Entry::File("etc/os-release", fixtures::ALPINE_OS_RELEASE.into()),
        Entry::File("lib/apk/db/installed", "P:only-on-arm\nV:1.0-r0\n".into()),
    ];
    fixtures::oci_layout(
        &dir,
        &[
            (
                Platform {
                    os: "linux",
                    arch: "amd64",
                },
                vec![fixtures::alpine_layer()],
            ),
            (
                Platform {
                    os: "linux",
                    arch: "arm64",
                },
                vec![arm_layer],
            ),
        ],
        Some("multi"),
    );
    let d = dir.to_str().expect("utf-8");
    let amd = sbom_json(d, &[]);
    assert!(packages(&amd, "apk").iter().any(|(n, _)| n == "musl"));
    let arm = sbom_json(d, &["--platform", "linux/arm64"]);
    assert_eq!(
        packages(&arm, "apk")
            .into_iter()
            .map(|(n, _)| n)
            .collect::<Vec<_>>(),
        vec!["only-on-arm"]
    );
    assert_eq!(arm["targets"][0]["platform"], "linux/arm64");
    let tagged = sbom_json(&format!("{d}:multi"), &["--platform", "linux/arm64"]);
    assert_eq!(packages(&tagged, "apk").len(), 1);
    let out = drydock()
        .args(["sbom", d, "--platform", "linux/s390x"])
        .output()
        .expect("run");
    assert_one_line_error(&out, "linux/s390x");
    let out = drydock()
        .args(["sbom", &format!("{d}:nosuchtag")])
        .output()
        .expect("run");
    assert_one_line_error(&out, "nosuchtag");
}

#[test]
fn whiteouts_and_links() {
    let (_tmp, dir) = fixtures::simple_layout(vec![
        vec![
            Entry::File("usr/lib/os-release", fixtures::ALPINE_OS_RELEASE.into()),
            Entry::Symlink("etc/os-release", "../usr/lib/os-release"),
            Entry::File("lib/apk/db/installed", fixtures::APK_DB.into()),
            Entry::File("usr/lib/python3.11/site-packages/gone/x", b"x".to_vec()),
        ],
        // The second layer replaces the apk database through a hard link to a file of its own.
        vec![
            Entry::File("tmp/apkdb", "P:busybox\nV:1.30.1-r3\no:busybox\n".into()),
            Entry::File("lib/apk/db/.wh.installed", Vec::new()),
        ],
        vec![Entry::Hardlink("lib/apk/db/installed", "tmp/apkdb")],
    ]);
    let report = sbom_json(dir.to_str().expect("utf-8"), &[]);
    assert_eq!(report["targets"][0]["os"]["family"], "alpine");
    let apk = packages(&report, "apk");
    assert_eq!(
        apk.into_iter().map(|(n, _)| n).collect::<Vec<_>>(),
        vec!["busybox"]
    );
    let loc = &report["targets"][0]["packages"][0]["locations"][0];
    assert_eq!(loc["path"], "lib/apk/db/installed");
    assert_eq!(loc["layer"], report["targets"][0]["layers"][2]["diff_id"]);
}

/// An absolute symlink resolves inside the image: the host's /usr/lib/os-release (Debian here)
/// must never be read.
#[test]
fn absolute_symlink_stays_inside() {
    let (_tmp, dir) = fixtures::simple_layout(vec![vec![
        Entry::File("usr/lib/os-release", fixtures::ALPINE_OS_RELEASE.into()),
        Entry::Symlink("etc/os-release", "/usr/lib/os-release"),
        Entry::Symlink(
            "lib/apk/db/installed",
            "/../../../../tmp/../lib/apk/db/real",
        ),
        Entry::File("lib/apk/db/real", fixtures::APK_DB.into()),
    ]]);
    let report = sbom_json(dir.to_str().expect("utf-8"), &[]);
    assert_eq!(report["targets"][0]["os"]["family"], "alpine");
    assert_eq!(packages(&report, "apk").len(), 2);
    // The same as a directory on disk: links are resolved by drydock, not by the kernel.
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    std::fs::create_dir_all(root.join("etc")).expect("mkdir");
    std::fs::create_dir_all(root.join("usr/lib")).expect("mkdir");
    std::fs::write(root.join("usr/lib/os-release"), fixtures::ALPINE_OS_RELEASE).expect("write");
    std::os::unix::fs::symlink("/usr/lib/os-release", root.join("etc/os-release"))
        .expect("symlink");
    let report = sbom_json(root.to_str().expect("utf-8"), &[]);
    assert_eq!(
        report["targets"][0]["os"]["family"], "alpine",
        "read the host's os-release instead of the image's"
    );
}

fn assert_one_line_error(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("drydock: error:"))
        .collect();
    assert_eq!(lines.len(), 1, "one error line expected: {stderr}");
    assert!(
        lines[0].contains(needle),
        "`{needle}` not named in: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Runs `drydock sbom` with a layer cache of its own: a layer another test walked is served by
/// its `diff_id` without reading the blob (Trivy's rule, docs/fleet.md), so a damaged blob of
/// a layer the shared cache knows would not be read at all.
fn sbom_fails(target: &Path, extra: &[&str], needle: &str) {
    let cache = tempfile::tempdir().expect("tempdir");
    let out = drydock()
        .env("DRYDOCK_CACHE_DIR", cache.path())
        .arg("sbom")
        .arg(target)
        .args(extra)
        .output()
        .expect("run drydock");
    assert_one_line_error(&out, needle);
}

#[test]
fn bad_input_truncated_archive() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_t, dir) = fixtures::simple_layout(vec![fixtures::alpine_layer()]);
    let archive = tmp.path().join("image.oci.tar");
    fixtures::tar_dir(&dir, &archive);
    let bytes = std::fs::read(&archive).expect("read");
    let cut = tmp.path().join("cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    sbom_fails(&cut, &[], "cut.tar");
}

#[test]
fn bad_input_corrupt_gzip() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut bytes = std::fs::read(shared().join("data/images/alpine-3.10.docker-archive.tar.gz"))
        .expect("read");
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let bad = tmp.path().join("corrupt.tar.gz");
    std::fs::write(&bad, &bytes).expect("write");
    sbom_fails(&bad, &[], "corrupt.tar.gz");
}

/// The digest of the first layer of the image at `dir`, as `drydock sbom` reports it.
fn first_layer_digest(dir: &Path) -> String {
    let report = sbom_json(dir.to_str().expect("utf-8"), &[]);
    report["targets"][0]["layers"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string()
}

#[test]
fn bad_input_digest_mismatch() {
    let (_t, dir) = fixtures::simple_layout(vec![fixtures::alpine_layer()]);
    let layer_digest = first_layer_digest(&dir);
    let blob = fixtures::blob(&dir, &layer_digest);
    // Different content under the old name: valid gzip, wrong digest.
    let bytes = fixtures::gzip(&fixtures::layer_tar(&[Entry::File(
        "etc/os-release",
        b"ID=evil\n".to_vec(),
    )]));
    std::fs::write(&blob, &bytes).expect("write blob");
    sbom_fails(&dir, &[], &layer_digest);
    // With the layer in the cache (a good copy of the image walked first), the damaged blob is
    // served by its diff_id unless --verify-layers asks for every blob to be hashed.
    let cache = tempfile::tempdir().expect("tempdir");
    let (_g, good) = fixtures::simple_layout(vec![fixtures::alpine_layer()]);
    let warm = drydock()
        .env("DRYDOCK_CACHE_DIR", cache.path())
        .arg("sbom")
        .arg(&good)
        .output()
        .expect("run drydock");
    assert_eq!(
        warm.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&warm.stderr)
    );
    let served = drydock()
        .env("DRYDOCK_CACHE_DIR", cache.path())
        .arg("sbom")
        .arg(&dir)
        .output()
        .expect("run drydock");
    assert_eq!(
        served.status.code(),
        Some(0),
        "served by its diff_id: {}",
        String::from_utf8_lossy(&served.stderr)
    );
    let verified = drydock()
        .env("DRYDOCK_CACHE_DIR", cache.path())
        .arg("sbom")
        .arg(&dir)
        .arg("--verify-layers")
        .output()
        .expect("run drydock");
    assert_one_line_error(&verified, &layer_digest);
}

#[test]
fn bad_input_missing_blob() {
    let (_t, dir) = fixtures::simple_layout(vec![fixtures::alpine_layer()]);
    let layer_digest = first_layer_digest(&dir);
    std::fs::remove_file(fixtures::blob(&dir, &layer_digest)).expect("rm blob");
    sbom_fails(&dir, &[], &layer_digest);
}

#[test]
fn bad_input_path_traversal() {
    let (_t, dir) = fixtures::simple_layout(vec![vec![Entry::RawName(
        "../../etc/passwd",
        b"root:x:0:0::/root:/bin/sh\n".to_vec(),
    )]]);
    sbom_fails(&dir, &[], "../../etc/passwd");
}

#[test]
fn bad_input_symlink_loop() {
    let (_t, dir) = fixtures::simple_layout(vec![vec![
        Entry::Symlink("etc/os-release", "os-release2"),
        Entry::Symlink("etc/os-release2", "/etc/os-release"),
    ]]);
    // A loop is a warning naming the path (the walk goes on: issue 14), and an error with --strict.
    let out = drydock()
        .args(["sbom", "--format", "json"])
        .arg(&dir)
        .output()
        .expect("run drydock sbom");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(
        stderr.contains("etc/os-release") && stderr.contains("symlinks"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    sbom_fails(&dir, &["--strict"], "etc/os-release");
}

#[test]
fn bad_input_decompression_bomb() {
    // 64 MiB of zeros compresses to ~64 KiB; the bound is 8 MiB.
    let zeros = vec![0u8; 64 << 20];
    let (_t, dir) = fixtures::simple_layout(vec![vec![Entry::File("big", zeros)]]);
    sbom_fails(&dir, &["--max-layer-size", "8MiB"], "decompression bomb");
}

#[test]
fn bad_input_corrupt_package_databases() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "lib/apk/db/installed",
            b"P:musl\nV:1.1.22-r3\n\n\x00\x01 not an apk line\n".to_vec(),
        ),
        (
            "var/lib/dpkg/status",
            b"Package: libc6\nStatus: install ok installed\n\x00garbage without colon\n".to_vec(),
        ),
        (
            "var/lib/rpm/rpmdb.sqlite",
            b"SQLite format 3\x00 but nothing after it".to_vec(),
        ),
    ];
    for (path, content) in cases {
        let leaked: &'static str = Box::leak(path.to_string().into_boxed_str());
        let (_t, dir) = fixtures::simple_layout(vec![vec![Entry::File(leaked, content)]]);
        sbom_fails(&dir, &[], path);
    }
}

#[test]
fn sbom_snapshots() {
    let archive = shared().join("data/images/alpine-3.10.docker-archive.tar.gz");
    let run = |fmt: &str| {
        let out = drydock()
            .args(["sbom"])
            .arg(&archive)
            .args(["--format", fmt])
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .expect("run drydock");
        stdout(&out, "drydock sbom")
    };
    let version = env!("CARGO_PKG_VERSION");
    insta::with_settings!({filters => vec![(version, "[VERSION]")]}, {
        insta::assert_snapshot!("sbom_alpine310_table", run("table"));
        insta::assert_snapshot!("sbom_alpine310_json", run("json"));
    });
}

/// Issue 3, must-show 3: a malformed lockfile is a warning in the JSON `errors` list naming the
/// file and the reason, the scan goes on; `--strict` makes it fatal.
#[test]
fn malformed_lockfile_is_a_warning_unless_strict() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("requirements.txt"), "django==3.2.0\n").expect("write");
    std::fs::write(
        tmp.path().join("package-lock.json"),
        "{\"lockfileVersion\": 3, \"packages\": {",
    )
    .expect("write");
    let dir = tmp.path().to_str().expect("utf-8");
    let report = sbom_json(dir, &[]);
    assert_eq!(
        packages(&report, "pypi").into_iter().collect::<Vec<_>>(),
        vec![("django".to_string(), "3.2.0".to_string())]
    );
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["path"], "package-lock.json");
    assert!(errors[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    let out = drydock()
        .args(["sbom", dir, "--strict"])
        .output()
        .expect("run");
    assert_one_line_error(&out, "package-lock.json");
}
