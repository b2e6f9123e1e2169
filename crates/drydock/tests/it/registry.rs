//! Issue 7: `drydock image REF` / `drydock sbom REF` against a real registry on loopback.
//!
//! Each test starts Debian's `docker-registry` (distribution) on 127.0.0.1 with filesystem
//! storage in a temp dir, pushes images into it with `skopeo`, and runs the `drydock` binary.
//! The token-auth, counting and byte-flipping cases put a small HTTP proxy written here in
//! front of the registry: distribution's own token auth needs a signing certificate chain,
//! so the proxy plays the token server instead (`/token` issues a bearer token for Basic
//! credentials; `/v2/…` without that token gets a `WWW-Authenticate: Bearer` challenge).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

use crate::{drydock, require, shared};

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    })
}

/// The tools these tests need, or `None` (skip locally, fail in CI).
fn tools() -> Option<(PathBuf, PathBuf)> {
    let registry = require(
        "`docker-registry` (Debian package docker-registry)",
        which("docker-registry"),
    )?;
    let skopeo = require("`skopeo` (Debian package skopeo)", which("skopeo"))?;
    Some((registry, skopeo))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running `docker-registry serve`, killed on drop.
struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// `htpasswd`: `(user, password)` for basic auth (the file is made with `htpasswd -Bbn`).
    fn start(bin: &Path, htpasswd: Option<(&str, &str)>) -> Registry {
        Registry::start_with(bin, htpasswd, None)
    }

    /// `tls`: `(certificate chain PEM, key PEM)` files to serve HTTPS with.
    fn start_with(
        bin: &Path,
        htpasswd: Option<(&str, &str)>,
        tls: Option<(&Path, &Path)>,
    ) -> Registry {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: drydock-test\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = htpasswd {
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .expect("run htpasswd (Debian package apache2-utils)");
            assert!(out.status.success(), "htpasswd failed");
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, &out.stdout).expect("write htpasswd");
            config.insert_str(
                0,
                &format!(
                    "auth:\n  htpasswd:\n    realm: drydock-test\n    path: {}\n",
                    file.display()
                ),
            );
        }
        if let Some((cert, key)) = tls {
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write config");
        let log = std::fs::File::create(dir.path().join("registry.log")).expect("log file");
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "docker-registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Registry {
            child,
            port,
            _dir: dir,
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `skopeo copy SRC docker://DEST` into a plain-HTTP registry.
fn push(skopeo: &Path, src: &str, dest: &str, creds: Option<&str>, all: bool) {
    let mut c = Command::new(skopeo);
    c.args([
        "--insecure-policy",
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
    ]);
    if all {
        c.arg("--all");
    }
    if let Some(cr) = creds {
        c.args(["--dest-creds", cr]);
    }
    let out = c
        .arg(src)
        .arg(format!("docker://{dest}"))
        .output()
        .expect("run skopeo");
    assert!(
        out.status.success(),
        "skopeo copy {src} {dest}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The shared alpine 3.10 docker-archive, decompressed once (skopeo reads plain tars).
fn alpine_archive() -> PathBuf {
    static ONCE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("drydock-it-registry-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("alpine-3.10.tar");
        let gz =
            std::fs::File::open(shared().join("data/images/alpine-3.10.docker-archive.tar.gz"))
                .expect("open the shared alpine archive");
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut tar)
            .expect("gunzip");
        std::fs::write(&path, tar).expect("write tar");
        path
    })
    .clone()
}

/// A `drydock` command with its own image cache and no ambient credentials.
fn dd(cache: &Path) -> Command {
    let mut c = drydock();
    c.env("DRYDOCK_CACHE_DIR", cache)
        .env("DOCKER_CONFIG", cache.join("no-docker-config"))
        .env_remove("DRYDOCK_USERNAME")
        .env_remove("DRYDOCK_PASSWORD")
        .env_remove("DRYDOCK_CACHE_MAX_SIZE")
        .env("SOURCE_DATE_EPOCH", "1700000000");
    for proxy in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        c.env_remove(proxy);
    }
    c
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "drydock failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json report")
}

/// What must not differ between a pull and a local copy of the image: packages (with the
/// diff_ids of their layers), findings (without the target name and the fingerprint made
/// from it) and the layers' uncompressed digests. Blob digests can differ: skopeo compresses
/// a docker-archive's plain tar layers on push.
fn essence(
    report: &serde_json::Value,
) -> (serde_json::Value, serde_json::Value, Vec<serde_json::Value>) {
    let t = &report["targets"][0];
    let mut findings = t["findings"].clone();
    if let Some(fs) = findings.as_array_mut() {
        for f in fs {
            if let Some(o) = f.as_object_mut() {
                o.remove("fingerprint");
                o.remove("target");
            }
        }
    }
    let diff_ids = t["layers"]
        .as_array()
        .map(|ls| ls.iter().map(|l| l["diff_id"].clone()).collect())
        .unwrap_or_default();
    (t["packages"].clone(), findings, diff_ids)
}

/// An OCI layout (tag `3.7.3`) whose one layer is the shared Alpine 3.7.3 minirootfs tarball
/// as it is (gzip), so the image has findings in the shared feeds (CVE-2019-14697).
fn alpine_373_layout(dir: &Path) -> PathBuf {
    let layout = dir.join("alpine-373");
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    let put = |bytes: &[u8]| -> (String, usize) {
        let hex = hex::encode(Sha256::digest(bytes));
        std::fs::write(blobs.join(&hex), bytes).expect("write blob");
        (format!("sha256:{hex}"), bytes.len())
    };
    let gz = std::fs::read(shared().join("data/images/alpine-3.7.3-minirootfs.tar.gz"))
        .expect("read rootfs");
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut tar)
        .expect("gunzip");
    let diff_id = format!("sha256:{}", hex::encode(Sha256::digest(&tar)));
    let (layer, layer_size) = put(&gz);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    });
    let (cfg, cfg_size) = put(&serde_json::to_vec(&config).expect("json"));
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": cfg_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": layer_size}],
    });
    let (m, m_size) = put(&serde_json::to_vec(&manifest).expect("json"));
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m, "size": m_size,
                       "annotations": {"org.opencontainers.image.ref.name": "3.7.3"}}],
    });
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).expect("json"),
    )
    .expect("index.json");
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("oci-layout");
    layout
}

fn scan_json(cache: &Path, target: &str, extra: &[&str]) -> serde_json::Value {
    let out = dd(cache)
        .args(["image", target, "--format", "json", "--db"])
        .arg(crate::scan::db())
        .args(extra)
        .output()
        .expect("run drydock");
    json(&out)
}

fn cached_blobs(cache: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(cache.join("blobs/sha256"))
        .map(|es| {
            es.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn manifest_digest(skopeo: &Path, reference: &str) -> String {
    let out = Command::new(skopeo)
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{reference}"))
        .output()
        .expect("skopeo inspect");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!("sha256:{}", hex::encode(Sha256::digest(&out.stdout)))
}

/// Must-show 1: by tag and by digest, the same packages, layers and findings as the image
/// scanned from its archive or layout.
#[test]
fn scan_by_tag_and_digest_equals_the_archive() {
    let Some((reg_bin, skopeo)) = tools() else {
        return;
    };
    let reg = Registry::start(&reg_bin, None);
    let work = tempfile::tempdir().expect("tempdir");
    let cache = tempfile::tempdir().expect("tempdir");

    // Alpine 3.10 from its docker-archive (no findings in the shared feeds, 14 packages).
    let archive = alpine_archive();
    let reference = format!("{}/library/alpine:3.10", reg.host());
    push(
        &skopeo,
        &format!("docker-archive:{}", archive.display()),
        &reference,
        None,
        false,
    );
    let from_archive = scan_json(cache.path(), archive.to_str().expect("utf-8"), &[]);
    let by_tag = scan_json(cache.path(), &reference, &["--insecure"]);
    assert_eq!(essence(&by_tag), essence(&from_archive));
    assert_eq!(
        by_tag["targets"][0]["packages"].as_array().map(Vec::len),
        Some(14)
    );
    assert_eq!(by_tag["targets"][0]["name"], reference.as_str());

    // Alpine 3.7.3 from an OCI layout: findings, by tag and by digest.
    let layout = alpine_373_layout(work.path());
    let reference = format!("{}/library/alpine:3.7.3", reg.host());
    push(
        &skopeo,
        &format!("oci:{}:3.7.3", layout.display()),
        &reference,
        None,
        false,
    );
    let local = format!("{}:3.7.3", layout.display());
    let from_layout = scan_json(cache.path(), &local, &[]);
    let ids = |r: &serde_json::Value| -> Vec<String> {
        r["targets"][0]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["package"].as_str().unwrap_or_default(),
                    f["id"].as_str().unwrap_or_default()
                )
            })
            .collect()
    };
    assert!(
        ids(&from_layout).contains(&"musl CVE-2019-14697".to_string()),
        "{:?}",
        ids(&from_layout)
    );
    let by_tag = scan_json(cache.path(), &reference, &["--insecure"]);
    assert_eq!(essence(&by_tag), essence(&from_layout));
    assert_eq!(
        by_tag["targets"][0]["layers"], from_layout["targets"][0]["layers"],
        "same blobs"
    );

    let digest = manifest_digest(&skopeo, &reference);
    assert_eq!(by_tag["targets"][0]["digest"], digest.as_str());
    let pinned = format!("{}/library/alpine@{digest}", reg.host());
    // A fresh cache: the digest pull downloads and verifies everything itself.
    let cache2 = tempfile::tempdir().expect("tempdir");
    let by_digest = scan_json(cache2.path(), &pinned, &["--insecure"]);
    assert_eq!(essence(&by_digest), essence(&from_layout));
    assert_eq!(ids(&by_digest), ids(&from_layout));

    // A digest the registry does not have: 404, naming the reference.
    let missing = format!("{}/library/alpine@sha256:{}", reg.host(), "0".repeat(64));
    let out = dd(cache.path())
        .args(["sbom", &missing])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("404") && err.contains(&"0".repeat(64)),
        "{err}"
    );
}

/// Builds a two-platform OCI layout from the alpine image: the original (linux/amd64) and a
/// copy whose config says linux/arm64/v8 (same layers, so a different config and manifest).
fn multi_platform_layout(skopeo: &Path, dir: &Path) -> (String, String) {
    let layout = dir.join("multi");
    let out = Command::new(skopeo)
        .args(["--insecure-policy", "copy", "--quiet"])
        .arg(format!("docker-archive:{}", alpine_archive().display()))
        .arg(format!("oci:{}:single", layout.display()))
        .output()
        .expect("skopeo copy to oci");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read_json = |p: PathBuf| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(p).expect("read")).expect("json")
    };
    let blob = |d: &str| {
        layout
            .join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let write_blob = |bytes: &[u8]| -> (String, usize) {
        let d = format!("sha256:{}", hex::encode(Sha256::digest(bytes)));
        std::fs::write(blob(&d), bytes).expect("write blob");
        (d, bytes.len())
    };
    let index = read_json(layout.join("index.json"));
    let amd_desc = index["manifests"][0].clone();
    let amd_digest = amd_desc["digest"].as_str().expect("digest").to_string();
    let manifest = read_json(blob(&amd_digest));
    let mut config = read_json(blob(manifest["config"]["digest"].as_str().expect("config")));
    config["architecture"] = "arm64".into();
    config["variant"] = "v8".into();
    let (cfg_digest, cfg_size) = write_blob(&serde_json::to_vec(&config).expect("json"));
    let mut arm_manifest = manifest.clone();
    arm_manifest["config"]["digest"] = cfg_digest.into();
    arm_manifest["config"]["size"] = cfg_size.into();
    let (arm_digest, arm_size) = write_blob(&serde_json::to_vec(&arm_manifest).expect("json"));
    let media = "application/vnd.oci.image.manifest.v1+json";
    let top = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": media, "digest": amd_digest, "size": amd_desc["size"],
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": media, "digest": arm_digest, "size": arm_size,
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    });
    let (idx_digest, idx_size) = write_blob(&serde_json::to_vec(&top).expect("json"));
    let layout_index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": idx_digest, "size": idx_size,
            "annotations": {"org.opencontainers.image.ref.name": "multi"},
        }],
    });
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&layout_index).expect("json"),
    )
    .expect("write index.json");
    (amd_digest, arm_digest)
}

/// Must-show 2: a multi-platform index → the image of `--platform`.
#[test]
fn multi_platform_index_picks_the_platform() {
    let Some((reg_bin, skopeo)) = tools() else {
        return;
    };
    let reg = Registry::start(&reg_bin, None);
    let work = tempfile::tempdir().expect("tempdir");
    let (amd, arm) = multi_platform_layout(&skopeo, work.path());
    let reference = format!("{}/team/multi:1", reg.host());
    push(
        &skopeo,
        &format!("oci:{}:multi", work.path().join("multi").display()),
        &reference,
        None,
        true,
    );
    let cache = tempfile::tempdir().expect("tempdir");
    let sbom = |platform: &str| {
        json(
            &dd(cache.path())
                .args([
                    "sbom",
                    &reference,
                    "--insecure",
                    "--format",
                    "json",
                    "--platform",
                    platform,
                ])
                .output()
                .expect("run"),
        )
    };
    let a = sbom("linux/arm64");
    assert_eq!(
        a["targets"][0]["digest"],
        arm.as_str(),
        "{}",
        a["targets"][0]
    );
    assert_eq!(a["targets"][0]["platform"], "linux/arm64/v8");
    let b = sbom("linux/amd64");
    assert_eq!(b["targets"][0]["digest"], amd.as_str());
    assert_eq!(b["targets"][0]["platform"], "linux/amd64");
    assert_eq!(a["targets"][0]["packages"], b["targets"][0]["packages"]);
    // A platform the index does not have: exit 2, listing what it has.
    let out = dd(cache.path())
        .args([
            "sbom",
            &reference,
            "--insecure",
            "--platform",
            "linux/s390x",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("linux/s390x") && err.contains("linux/arm64/v8"),
        "{err}"
    );
}

/// Must-show 3a: htpasswd basic auth; wrong password → exit 2 without the password in the
/// message; right password (stdin, environment, Docker's config.json) → scan.
#[test]
fn basic_auth_registry() {
    let Some((reg_bin, skopeo)) = tools() else {
        return;
    };
    if require(
        "`htpasswd` (Debian package apache2-utils)",
        which("htpasswd"),
    )
    .is_none()
    {
        return;
    }
    let reg = Registry::start(&reg_bin, Some(("alice", "right-horse-battery")));
    let reference = format!("{}/private/alpine:3.10", reg.host());
    push(
        &skopeo,
        &format!("docker-archive:{}", alpine_archive().display()),
        &reference,
        Some("alice:right-horse-battery"),
        false,
    );
    let cache = tempfile::tempdir().expect("tempdir");
    let with_stdin = |password: &str| {
        let mut child = dd(cache.path())
            .args([
                "sbom",
                &reference,
                "--insecure",
                "--format",
                "json",
                "--username",
                "alice",
                "--password-stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{password}\n").as_bytes())
            .expect("write password");
        child.wait_with_output().expect("wait")
    };
    let wrong = with_stdin("wrong-secret-password");
    assert_eq!(wrong.status.code(), Some(2));
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(err.contains(&reference) && err.contains("401"), "{err}");
    assert!(!err.contains("wrong-secret-password"), "{err}");
    // Without credentials: a 401 naming the reference, with a hint.
    let anon = dd(cache.path())
        .args(["sbom", &reference, "--insecure"])
        .output()
        .expect("run");
    assert_eq!(anon.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&anon.stderr).contains("without credentials"));

    let ok = json(&with_stdin("right-horse-battery"));
    assert!(
        !ok["targets"][0]["packages"]
            .as_array()
            .expect("packages")
            .is_empty()
    );
    let env = dd(cache.path())
        .args(["sbom", &reference, "--insecure", "--format", "json"])
        .env("DRYDOCK_USERNAME", "alice")
        .env("DRYDOCK_PASSWORD", "right-horse-battery")
        .output()
        .expect("run");
    assert_eq!(
        json(&env)["targets"][0]["packages"],
        ok["targets"][0]["packages"]
    );
    // Docker's config.json `auths` (base64 `user:password`), keyed by the host.
    let docker = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        docker.path().join("config.json"),
        format!(
            r#"{{"auths":{{"http://{}":{{"auth":"{}"}}}}}}"#,
            reg.host(),
            base64("alice:right-horse-battery")
        ),
    )
    .expect("write config.json");
    let from_config = dd(cache.path())
        .args(["sbom", &reference, "--insecure", "--format", "json"])
        .env("DOCKER_CONFIG", docker.path())
        .output()
        .expect("run");
    assert_eq!(
        json(&from_config)["targets"][0]["packages"],
        ok["targets"][0]["packages"]
    );
    // A credential helper (`credHelpers`), run as `docker-credential-NAME get`.
    let helper_dir = tempfile::tempdir().expect("tempdir");
    let helper = helper_dir.path().join("docker-credential-ddtest");
    std::fs::write(
        &helper,
        "#!/bin/sh\nread server\n[ \"$1\" = get ] || exit 1\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"right-horse-battery\"}' \"$server\"\n",
    )
    .expect("write helper");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    std::fs::write(
        docker.path().join("config.json"),
        format!(r#"{{"credHelpers":{{"{}":"ddtest"}}}}"#, reg.host()),
    )
    .expect("write config.json");
    let path = format!(
        "{}:{}",
        helper_dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let from_helper = dd(cache.path())
        .args(["sbom", &reference, "--insecure", "--format", "json", "-vvv"])
        .env("DOCKER_CONFIG", docker.path())
        .env("PATH", path)
        .output()
        .expect("run");
    assert_eq!(
        json(&from_helper)["targets"][0]["packages"],
        ok["targets"][0]["packages"]
    );
    // Even at trace level, neither the password nor the Basic header reaches the log.
    let log = String::from_utf8_lossy(&from_helper.stderr);
    assert!(log.contains("/manifests/"), "trace logging is on: {log}");
    assert!(
        !log.contains("right-horse-battery") && !log.contains(&base64("alice:right-horse-battery")),
        "{log}"
    );
}

fn base64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | (u32::from(c) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Forward everything (and count blob GETs).
    Pass,
    /// Flip one byte in the middle of every blob body.
    FlipBlobs,
    /// A token server at `/token` (Basic `user:password` → bearer token) and a gate on `/v2/`.
    Bearer,
    /// Flip one byte in every manifest body.
    FlipManifests,
    /// Answer the first manifest GET with 503, the second with 429 `Retry-After: 1`.
    Flaky,
}

/// A one-request-per-connection HTTP proxy in front of the registry.
struct Proxy {
    port: u16,
    blob_gets: Arc<AtomicUsize>,
    token_requests: Arc<Mutex<Vec<String>>>,
    refused: Arc<AtomicUsize>,
}

const TOKEN: &str = "drydock-test-token-1234";
/// The identity (refresh) token the proxy's token server accepts.
const REFRESH: &str = "drydock-refresh-5678";

impl Proxy {
    fn start(upstream: u16, mode: Mode, basic: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let blob_gets = Arc::new(AtomicUsize::new(0));
        let token_requests = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(AtomicUsize::new(0));
        let (gets, tokens, refusals) = (blob_gets.clone(), token_requests.clone(), refused.clone());
        let want_basic = format!("Basic {}", base64(basic));
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (gets, tokens, want_basic) = (gets.clone(), tokens.clone(), want_basic.clone());
                let refusals = refusals.clone();
                std::thread::spawn(move || {
                    let _ = serve(
                        conn,
                        upstream,
                        port,
                        mode,
                        &gets,
                        &tokens,
                        &refusals,
                        &want_basic,
                    );
                });
            }
        });
        Proxy {
            port,
            blob_gets,
            token_requests,
            refused,
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn blob_gets(&self) -> usize {
        self.blob_gets.load(Ordering::SeqCst)
    }
}

#[allow(clippy::too_many_arguments)] // test plumbing: one proxy, several counters
fn serve(
    mut conn: TcpStream,
    upstream: u16,
    own_port: u16,
    mode: Mode,
    gets: &AtomicUsize,
    tokens: &Mutex<Vec<String>>,
    refused: &AtomicUsize,
    want_basic: &str,
) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte)? == 0 || head.len() > 65536 {
            return Ok(());
        }
        if head.is_empty() && byte[0] == 0x16 {
            return Ok(()); // a TLS ClientHello: this proxy speaks plain HTTP only
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut parts = request_line.split(' ');
    let (method, path) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let reply = |conn: &mut TcpStream, status: &str, extra: &str, body: &str| {
        write!(
            conn,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
            body.len()
        )
    };
    if mode == Mode::Bearer {
        if method == "POST" && path.starts_with("/token") {
            // OAuth2 refresh-token grant (identity tokens).
            let len: usize = header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; len.min(65536)];
            conn.read_exact(&mut body)?;
            let body = String::from_utf8_lossy(&body).into_owned();
            tokens.lock().expect("lock").push(format!("POST {body}"));
            let fields: Vec<&str> = body.split('&').collect();
            return if fields.contains(&"grant_type=refresh_token")
                && fields.contains(&format!("refresh_token={REFRESH}").as_str())
            {
                reply(
                    &mut conn,
                    "200 OK",
                    "",
                    &format!(r#"{{"access_token":"{TOKEN}","expires_in":300}}"#),
                )
            } else {
                reply(
                    &mut conn,
                    "401 Unauthorized",
                    "",
                    r#"{"details":"bad refresh token"}"#,
                )
            };
        }
        if path.starts_with("/token") {
            tokens.lock().expect("lock").push(path.to_string());
            return if header("authorization") == Some(want_basic) {
                reply(
                    &mut conn,
                    "200 OK",
                    "",
                    &format!(r#"{{"token":"{TOKEN}","expires_in":300}}"#),
                )
            } else {
                reply(
                    &mut conn,
                    "401 Unauthorized",
                    "",
                    r#"{"details":"bad credentials"}"#,
                )
            };
        }
        if header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            let repo = path
                .strip_prefix("/v2/")
                .and_then(|p| p.split("/manifests/").next())
                .and_then(|p| p.split("/blobs/").next())
                .unwrap_or("");
            let challenge = format!(
                "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{own_port}/token\",service=\"drydock-test\",scope=\"repository:{repo}:pull\"\r\n"
            );
            return reply(
                &mut conn,
                "401 Unauthorized",
                &challenge,
                r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#,
            );
        }
    }
    let is_manifest_get = method == "GET" && path.contains("/manifests/");
    if mode == Mode::Flaky && is_manifest_get {
        match refused.fetch_add(1, Ordering::SeqCst) {
            0 => return reply(&mut conn, "503 Service Unavailable", "", "{}"),
            1 => {
                return reply(
                    &mut conn,
                    "429 Too Many Requests",
                    "Retry-After: 1\r\n",
                    "{}",
                );
            }
            _ => {}
        }
    }
    let is_blob_get = method == "GET" && path.contains("/blobs/sha256:");
    if is_blob_get {
        gets.fetch_add(1, Ordering::SeqCst);
    }
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut req = format!("{request_line}\r\n");
    for (k, v) in &headers {
        if k != "connection" && k != "authorization" {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    req.push_str("Connection: close\r\n\r\n");
    up.write_all(req.as_bytes())?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp)?;
    let flip = match mode {
        Mode::FlipBlobs => is_blob_get,
        Mode::FlipManifests => is_manifest_get,
        _ => false,
    };
    if flip
        && resp.starts_with(b"HTTP/1.1 200")
        && let Some(end) = resp.windows(4).position(|w| w == b"\r\n\r\n")
        && resp.len() > end + 4
    {
        let body = end + 4;
        let mid = body + (resp.len() - body) / 2;
        resp[mid] ^= 0x01;
    }
    conn.write_all(&resp)
}

/// Must-show 3b: a registry behind a token server; wrong password → exit 2 without it in
/// the message; right password → scan, via the `WWW-Authenticate: Bearer` flow.
#[test]
fn token_auth_registry() {
    let Some((reg_bin, skopeo)) = tools() else {
        return;
    };
    let reg = Registry::start(&reg_bin, None);
    let proxy = Proxy::start(reg.port, Mode::Bearer, "bob:token-secret-pw");
    push(
        &skopeo,
        &format!("docker-archive:{}", alpine_archive().display()),
        &format!("{}/tok/alpine:3.10", reg.host()),
        None,
        false,
    );
    let reference = format!("{}/tok/alpine:3.10", proxy.host());
    let cache = tempfile::tempdir().expect("tempdir");
    let run = |password: &str| {
        dd(cache.path())
            .args(["sbom", &reference, "--insecure", "--format", "json"])
            .env("DRYDOCK_USERNAME", "bob")
            .env("DRYDOCK_PASSWORD", password)
            .output()
            .expect("run")
    };
    let wrong = run("not-the-token-pw");
    assert_eq!(wrong.status.code(), Some(2));
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        err.contains(&reference) && err.contains("authentication failed"),
        "{err}"
    );
    assert!(!err.contains("not-the-token-pw"), "{err}");
    let ok = json(&run("token-secret-pw"));
    assert!(
        !ok["targets"][0]["packages"]
            .as_array()
            .expect("packages")
            .is_empty()
    );
    let asked = proxy.token_requests.lock().expect("lock").clone();
    assert!(
        asked.iter().any(|p| p.contains("service=drydock-test")
            && p.contains("scope=repository%3Atok%2Falpine%3Apull")),
        "{asked:?}"
    );
    // An identity token from Docker's config.json: the OAuth2 refresh-token grant.
    let docker = tempfile::tempdir().expect("tempdir");
    let with_identity = |token: &str| {
        std::fs::write(
            docker.path().join("config.json"),
            format!(
                r#"{{"auths":{{"{}":{{"auth":"{}","identitytoken":"{token}"}}}}}}"#,
                proxy.host(),
                base64("00000000-0000-0000-0000-000000000000:")
            ),
        )
        .expect("write config.json");
        dd(cache.path())
            .args(["sbom", &reference, "--insecure", "--format", "json"])
            .env("DOCKER_CONFIG", docker.path())
            .output()
            .expect("run")
    };
    let refused = with_identity("not-the-refresh-token");
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("authentication failed") && !err.contains("not-the-refresh-token"),
        "{err}"
    );
    let ok = json(&with_identity(REFRESH));
    assert!(
        !ok["targets"][0]["packages"]
            .as_array()
            .expect("packages")
            .is_empty()
    );
    let asked = proxy.token_requests.lock().expect("lock").clone();
    assert!(
        asked
            .iter()
            .any(|p| p.starts_with("POST ") && p.contains("grant_type=refresh_token")),
        "{asked:?}"
    );
}

/// Must-show 4: a second scan of the same image fetches no blobs (the cache serves them).
#[test]
fn second_scan_fetches_no_layer_blobs() {
    let Some((reg_bin, skopeo)) = tools() else {
        return;
    };
    let reg = Registry::start(&reg_bin, None);
    let proxy = Proxy::start(reg.port, Mode::Pass, "");
    push(
        &skopeo,
        &format!("docker-archive:{}", alpine_archive().display()),
        &format!("{}/library/alpine:3.10", reg.host()),
        None,
        false,
    );
    let reference = format!("{}/library/alpine:3.10", proxy.host());
    let cache = tempfile::tempdir().expect("tempdir");
    let first = scan_json(cache.path(), &reference, &["--insecure"]);
    let after_first = proxy.blob_gets();
    assert_eq!(after_first, 2, "the config and the one layer");
    let second = scan_json(cache.path(), &reference, &["--insecure"]);
    assert_eq!(
        proxy.blob_gets(),
        after_first,
        "the second scan fetched blobs"
    );
    assert_eq!(essence(&first), essence(&second));

    // `drydock cache clean` empties it; the next scan downloads again.
    let out = dd(cache.path())
        .args(["cache", "clean"])
        .output()
        .expect("run");
    if out.status.success() {
        assert!(cached_blobs(cache.path()).is_empty());
        scan_json(cache.path(), &reference, &["--insecure"]);
        assert_eq!(proxy.blob_gets(), after_first * 2);
    } else {
        eprintln!("note: `drydock cache` is not wired into the CLI yet");
    }
}

/// Must-show 5: a blob whose bytes do not match its digest → exit 2 naming the digest, and
/// nothing of it in the cache.
#[test]
fn corrupted_blob_is_refused_and_not_cached() {
    let Some((reg_bin, skopeo)) = tools() else {
        return;
    };
    let reg = Registry::start(&reg_bin, None);
    let proxy = Proxy::start(reg.port, Mode::FlipBlobs, "");
    push(
        &skopeo,
        &format!("docker-archive:{}", alpine_archive().display()),
        &format!("{}/library/alpine:3.10", reg.host()),
        None,
        false,
    );
    let reference = format!("{}/library/alpine:3.10", proxy.host());
    let cache = tempfile::tempdir().expect("tempdir");
    let out = dd(cache.path())
        .args(["sbom", &reference, "--insecure"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("digest mismatch"), "{err}");
    let named: Vec<&str> = err
        .split('`')
        .filter(|w| w.starts_with("sha256:") && w.len() == 71)
        .collect();
    let expected = named.first().expect("the error names a digest");
    let cached = cached_blobs(cache.path());
    assert!(
        !cached.iter().any(|b| expected.ends_with(b.as_str())),
        "{expected} was cached: {cached:?}"
    );
    let tmp: Vec<_> = std::fs::read_dir(cache.path().join("tmp"))
        .expect("tmp")
        .flatten()
        .collect();
    assert!(tmp.is_empty(), "partial downloads left behind");
    assert!(
        std::fs::read_dir(cache.path().join("layouts"))
            .expect("layouts")
            .next()
            .is_none()
    );
}

/// Retries: a 503, then a 429 with `Retry-After`, then the scan goes through.
#[test]
fn retries_on_503_and_429() {
    let Some((reg_bin, skopeo)) = tools() else {
        return;
    };
    let reg = Registry::start(&reg_bin, None);
    let proxy = Proxy::start(reg.port, Mode::Flaky, "");
    push(
        &skopeo,
        &format!("docker-archive:{}", alpine_archive().display()),
        &format!("{}/library/alpine:3.10", reg.host()),
        None,
        false,
    );
    let cache = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let out = dd(cache.path())
        .args([
            "sbom",
            &format!("{}/library/alpine:3.10", proxy.host()),
            "--insecure",
            "-v",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        proxy.refused.load(Ordering::SeqCst),
        3,
        "two refusals, then the answer"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("503") && err.contains("429"), "{err}");
}

/// A manifest whose bytes do not match the pinned digest (or the registry's
/// `Docker-Content-Digest`) is refused, naming the digest.
#[test]
fn corrupted_manifest_is_refused() {
    let Some((reg_bin, skopeo)) = tools() else {
        return;
    };
    let reg = Registry::start(&reg_bin, None);
    let proxy = Proxy::start(reg.port, Mode::FlipManifests, "");
    let direct = format!("{}/library/alpine:3.10", reg.host());
    push(
        &skopeo,
        &format!("docker-archive:{}", alpine_archive().display()),
        &direct,
        None,
        false,
    );
    let digest = manifest_digest(&skopeo, &direct);
    let cache = tempfile::tempdir().expect("tempdir");
    for reference in [
        format!("{}/library/alpine@{digest}", proxy.host()),
        format!("{}/library/alpine:3.10", proxy.host()),
    ] {
        let out = dd(cache.path())
            .args(["sbom", &reference, "--insecure"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("digest mismatch for manifest") && err.contains(&digest),
            "{err}"
        );
    }
    assert!(cached_blobs(cache.path()).is_empty());
}

/// `--registry-ca`: a registry serving HTTPS with a certificate from a CA of the test's own.
/// Without the CA the pull fails (pointing at the flag); with it, or with `--insecure`, it scans.
#[test]
fn tls_registry_with_registry_ca() {
    let Some((reg_bin, skopeo)) = tools() else {
        return;
    };
    let Some(openssl) = require("`openssl` (Debian package openssl)", which("openssl")) else {
        return;
    };
    let pki = tempfile::tempdir().expect("tempdir");
    let p = |name: &str| pki.path().join(name);
    let run = |args: &[&str]| {
        let out = Command::new(&openssl)
            .args(args)
            .current_dir(pki.path())
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=drydock test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(
        p("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .expect("ext");
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "server.pem",
    ]);
    let reg = Registry::start_with(&reg_bin, None, Some((&p("server.pem"), &p("server.key"))));
    let reference = format!("{}/library/alpine:3.10", reg.host());
    push(
        &skopeo,
        &format!("docker-archive:{}", alpine_archive().display()),
        &reference,
        None,
        false,
    );
    let cache = tempfile::tempdir().expect("tempdir");
    let untrusted = dd(cache.path())
        .args(["sbom", &reference])
        .output()
        .expect("run");
    assert_eq!(untrusted.status.code(), Some(2));
    let err = String::from_utf8_lossy(&untrusted.stderr);
    assert!(
        err.contains("--registry-ca") && err.contains(&reference),
        "{err}"
    );
    let ca = p("ca.pem");
    let trusted = dd(cache.path())
        .args(["sbom", &reference, "--format", "json", "--registry-ca"])
        .arg(&ca)
        .output()
        .expect("run");
    assert_eq!(
        json(&trusted)["targets"][0]["packages"]
            .as_array()
            .map(Vec::len),
        Some(14)
    );
    let insecure = dd(cache.path())
        .args(["sbom", &reference, "--insecure"])
        .output()
        .expect("run");
    assert!(
        insecure.status.success(),
        "{}",
        String::from_utf8_lossy(&insecure.stderr)
    );
}

/// `--cache-max-size`: the image just pulled stays even over the bound; older blobs go.
#[test]
fn cache_max_size_evicts_older_images() {
    let Some((reg_bin, skopeo)) = tools() else {
        return;
    };
    let reg = Registry::start(&reg_bin, None);
    let work = tempfile::tempdir().expect("tempdir");
    let a = format!("{}/library/alpine:3.10", reg.host());
    let b = format!("{}/library/alpine:3.7.3", reg.host());
    push(
        &skopeo,
        &format!("docker-archive:{}", alpine_archive().display()),
        &a,
        None,
        false,
    );
    let layout = alpine_373_layout(work.path());
    push(
        &skopeo,
        &format!("oci:{}:3.7.3", layout.display()),
        &b,
        None,
        false,
    );
    let cache = tempfile::tempdir().expect("tempdir");
    let sbom = |r: &str| {
        let out = dd(cache.path())
            .args(["sbom", r, "--insecure", "--cache-max-size", "1"])
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sbom(&a);
    let first = cached_blobs(cache.path());
    assert_eq!(
        first.len(),
        3,
        "manifest, config and layer of the pull stay: {first:?}"
    );
    sbom(&b);
    let second = cached_blobs(cache.path());
    assert_eq!(second.len(), 3, "{second:?}");
    assert!(
        first.iter().all(|d| !second.contains(d)),
        "the first image was evicted"
    );
    let layouts = std::fs::read_dir(cache.path().join("layouts"))
        .expect("layouts")
        .count();
    assert_eq!(layouts, 1);
}
