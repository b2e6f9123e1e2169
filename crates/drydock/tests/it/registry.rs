//! Issue 7: `drydock image REF` / `drydock sbom REF` against a real registry on loopback.
//!
//! Each test starts Debian's `docker-registry` (distribution) on 127.0.0.1 with filesystem
//! storage in a temp dir, pushes images into it with `skopeo`, and runs the `drydock` binary.
//! The token-auth, counting and byte-flipping cases put a small HTTP proxy ([`proxy`]) in
//! front of the registry: distribution's own token auth needs a signing certificate chain,
//! so the proxy plays the token server instead (`/token` issues a bearer token for Basic
//! credentials; `/v2/…` without that token gets a `WWW-Authenticate: Bearer` challenge).

mod proxy;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

use crate::{assert_success, drydock, require, shared, stdout_json};
use proxy::{Mode, Proxy, REFRESH, base64};

pub(crate) fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running `docker-registry serve`, killed on drop, with the `skopeo` that fills it.
pub(crate) struct Registry {
    child: Child,
    port: u16,
    pub(crate) skopeo: PathBuf,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// A plain-HTTP registry without auth, or `None` without the tools (skip locally, fail in
    /// CI).
    pub(crate) fn start() -> Option<Registry> {
        Registry::start_with(None, None)
    }

    /// `htpasswd`: `(user, password)` for basic auth (the file is made with `htpasswd -Bbn`).
    /// `tls`: `(certificate chain PEM, key PEM)` files to serve HTTPS with.
    fn start_with(htpasswd: Option<(&str, &str)>, tls: Option<(&Path, &Path)>) -> Option<Registry> {
        let bin = require(
            "`docker-registry` (Debian package docker-registry)",
            which("docker-registry"),
        )?;
        let skopeo = require("`skopeo` (Debian package skopeo)", which("skopeo"))?;
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: drydock-test\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = htpasswd {
            require(
                "`htpasswd` (Debian package apache2-utils)",
                which("htpasswd"),
            )?;
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
        Some(Registry {
            child,
            port,
            skopeo,
            _dir: dir,
        })
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `skopeo copy [--all] SRC docker://HOST/NAME`, pushing with `creds` (`user:password`):
    /// the reference pushed to.
    pub(crate) fn push(&self, src: &str, name: &str, creds: Option<&str>, all: bool) -> String {
        let dest = format!("{}/{name}", self.host());
        let mut c = Command::new(&self.skopeo);
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
        assert_success(&out, &format!("skopeo copy {src} {dest}"));
        dest
    }

    /// Pushes the shared alpine 3.10 image (see [`alpine_archive`]) as `NAME`: the reference
    /// pushed to.
    pub(crate) fn push_alpine(&self, name: &str, creds: Option<&str>) -> String {
        let src = format!("docker-archive:{}", alpine_archive().display());
        self.push(&src, name, creds, false)
    }

    /// Pushes [`alpine_373_layout`], made in `dir`, as `library/alpine:3.7.3`: the reference
    /// pushed to and the layout.
    fn push_alpine_373(&self, dir: &Path) -> (String, PathBuf) {
        let layout = alpine_373_layout(dir);
        let src = format!("oci:{}:3.7.3", layout.display());
        (self.push(&src, "library/alpine:3.7.3", None, false), layout)
    }

    /// The digest of the manifest `reference` names, from the bytes `skopeo` reads.
    pub(crate) fn manifest_digest(&self, reference: &str) -> String {
        let out = Command::new(&self.skopeo)
            .args(["inspect", "--raw", "--tls-verify=false"])
            .arg(format!("docker://{reference}"))
            .output()
            .expect("skopeo inspect");
        assert_success(&out, "skopeo inspect");
        format!("sha256:{}", hex::encode(Sha256::digest(&out.stdout)))
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A registry holding the alpine 3.10 image as `library/alpine:3.10`, behind a proxy in
/// `mode`: the registry, the proxy and the image's reference through the proxy.
fn alpine_behind_proxy(mode: Mode) -> Option<(Registry, Proxy, String)> {
    let reg = Registry::start()?;
    let proxy = Proxy::start(reg.port, mode, "");
    reg.push_alpine("library/alpine:3.10", None);
    let reference = format!("{}/library/alpine:3.10", proxy.host());
    Some((reg, proxy, reference))
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

/// `drydock sbom REFERENCE ARGS…` with its own image cache (see [`dd`]).
fn sbom_cmd(cache: &Path, reference: &str, args: &[&str]) -> Command {
    let mut c = dd(cache);
    c.arg("sbom").arg(reference).args(args);
    c
}

/// Runs [`sbom_cmd`].
fn sbom(cache: &Path, reference: &str, args: &[&str]) -> Output {
    sbom_cmd(cache, reference, args)
        .output()
        .expect("run drydock sbom")
}

/// Writes `json` as the `config.json` of the Docker config directory `dir`.
fn docker_config(dir: &Path, json: &str) {
    std::fs::write(dir.join("config.json"), json).expect("write config.json");
}

/// The arguments of a JSON report from a plain-HTTP registry.
const INSECURE_JSON: &[&str] = &["--insecure", "--format", "json"];

/// The packages of the JSON report of a `drydock sbom` that must have succeeded and found
/// some.
#[track_caller]
fn packages(out: &Output) -> serde_json::Value {
    let mut report = stdout_json(out, "drydock sbom");
    let packages = report["targets"][0]["packages"].take();
    assert!(!packages.as_array().expect("packages").is_empty());
    packages
}

/// The stderr of a run that must have exited 2.
#[track_caller]
fn exit_2(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    err
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

/// Writes `bytes` into `blobs` (an OCI layout's `blobs/sha256`): their digest and size.
fn put_blob(blobs: &Path, bytes: &[u8]) -> (String, usize) {
    let hex = hex::encode(Sha256::digest(bytes));
    std::fs::write(blobs.join(&hex), bytes).expect("write blob");
    (format!("sha256:{hex}"), bytes.len())
}

/// [`put_blob`] of a JSON document.
fn put_json(blobs: &Path, doc: &serde_json::Value) -> (String, usize) {
    put_blob(blobs, &serde_json::to_vec(doc).expect("json"))
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

/// An OCI layout (tag `3.7.3`) whose one layer is the shared Alpine 3.7.3 minirootfs tarball
/// as it is (gzip), so the image has findings in the shared feeds (CVE-2019-14697).
fn alpine_373_layout(dir: &Path) -> PathBuf {
    let layout = dir.join("alpine-373");
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    let gz = std::fs::read(shared().join("data/images/alpine-3.7.3-minirootfs.tar.gz"))
        .expect("read rootfs");
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut tar)
        .expect("gunzip");
    let diff_id = format!("sha256:{}", hex::encode(Sha256::digest(&tar)));
    let (layer, layer_size) = put_blob(&blobs, &gz);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    });
    let (cfg, cfg_size) = put_json(&blobs, &config);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": cfg_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": layer_size}],
    });
    let (m, m_size) = put_json(&blobs, &manifest);
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
    stdout_json(&out, "drydock image")
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

/// Must-show 1: by tag and by digest, the same packages, layers and findings as the image
/// scanned from its archive or layout.
#[test]
fn scan_by_tag_and_digest_equals_the_archive() {
    let Some(reg) = Registry::start() else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let cache = tempfile::tempdir().expect("tempdir");

    // Alpine 3.10 from its docker-archive (no findings in the shared feeds, 14 packages).
    let archive = alpine_archive();
    let reference = reg.push_alpine("library/alpine:3.10", None);
    let from_archive = scan_json(cache.path(), archive.to_str().expect("utf-8"), &[]);
    let by_tag = scan_json(cache.path(), &reference, &["--insecure"]);
    assert_eq!(essence(&by_tag), essence(&from_archive));
    assert_eq!(
        by_tag["targets"][0]["packages"].as_array().map(Vec::len),
        Some(14)
    );
    assert_eq!(by_tag["targets"][0]["name"], reference.as_str());

    // Alpine 3.7.3 from an OCI layout: findings, by tag and by digest.
    let (reference, layout) = reg.push_alpine_373(work.path());
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

    let digest = reg.manifest_digest(&reference);
    assert_eq!(by_tag["targets"][0]["digest"], digest.as_str());
    let pinned = format!("{}/library/alpine@{digest}", reg.host());
    // A fresh cache: the digest pull downloads and verifies everything itself.
    let cache2 = tempfile::tempdir().expect("tempdir");
    let by_digest = scan_json(cache2.path(), &pinned, &["--insecure"]);
    assert_eq!(essence(&by_digest), essence(&from_layout));
    assert_eq!(ids(&by_digest), ids(&from_layout));

    // A digest the registry does not have: 404, naming the reference.
    let missing = format!("{}/library/alpine@sha256:{}", reg.host(), "0".repeat(64));
    let err = exit_2(&sbom(cache.path(), &missing, &[]));
    assert!(
        err.contains("404") && err.contains(&"0".repeat(64)),
        "{err}"
    );
}

/// Builds a two-platform OCI layout from the alpine image: the original (linux/amd64) and a
/// copy whose config says linux/arm64/v8 (same layers, so a different config and manifest).
pub(crate) fn multi_platform_layout(skopeo: &Path, dir: &Path) -> (String, String) {
    let layout = dir.join("multi");
    let out = Command::new(skopeo)
        .args(["--insecure-policy", "copy", "--quiet"])
        .arg(format!("docker-archive:{}", alpine_archive().display()))
        .arg(format!("oci:{}:single", layout.display()))
        .output()
        .expect("skopeo copy to oci");
    assert_success(&out, "skopeo copy to oci");
    let blobs = layout.join("blobs/sha256");
    let blob = |d: &str| blobs.join(d.trim_start_matches("sha256:"));
    let index = read_json(&layout.join("index.json"));
    let amd_desc = index["manifests"][0].clone();
    let amd_digest = amd_desc["digest"].as_str().expect("digest").to_string();
    let manifest = read_json(&blob(&amd_digest));
    let mut config = read_json(&blob(
        manifest["config"]["digest"].as_str().expect("config"),
    ));
    config["architecture"] = "arm64".into();
    config["variant"] = "v8".into();
    let (cfg_digest, cfg_size) = put_json(&blobs, &config);
    let mut arm_manifest = manifest.clone();
    arm_manifest["config"]["digest"] = cfg_digest.into();
    arm_manifest["config"]["size"] = cfg_size.into();
    let (arm_digest, arm_size) = put_json(&blobs, &arm_manifest);
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
    let (idx_digest, idx_size) = put_json(&blobs, &top);
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
    let Some(reg) = Registry::start() else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let (amd, arm) = multi_platform_layout(&reg.skopeo, work.path());
    let reference = reg.push(
        &format!("oci:{}:multi", work.path().join("multi").display()),
        "team/multi:1",
        None,
        true,
    );
    let cache = tempfile::tempdir().expect("tempdir");
    let sbom_of = |platform: &str| {
        let out = sbom(
            cache.path(),
            &reference,
            &[INSECURE_JSON, &["--platform", platform]].concat(),
        );
        stdout_json(&out, "drydock sbom")
    };
    let a = sbom_of("linux/arm64");
    assert_eq!(
        a["targets"][0]["digest"],
        arm.as_str(),
        "{}",
        a["targets"][0]
    );
    assert_eq!(a["targets"][0]["platform"], "linux/arm64/v8");
    let b = sbom_of("linux/amd64");
    assert_eq!(b["targets"][0]["digest"], amd.as_str());
    assert_eq!(b["targets"][0]["platform"], "linux/amd64");
    assert_eq!(a["targets"][0]["packages"], b["targets"][0]["packages"]);
    // A platform the index does not have: exit 2, listing what it has.
    let err = exit_2(&sbom(
        cache.path(),
        &reference,
        &["--insecure", "--platform", "linux/s390x"],
    ));
    assert!(
        err.contains("linux/s390x") && err.contains("linux/arm64/v8"),
        "{err}"
    );
}

/// Must-show 3a: htpasswd basic auth; wrong password → exit 2 without the password in the
/// message; right password (stdin, environment, Docker's config.json) → scan.
#[test]
fn basic_auth_registry() {
    let Some(reg) = Registry::start_with(Some(("alice", "right-horse-battery")), None) else {
        return;
    };
    let reference = reg.push_alpine("private/alpine:3.10", Some("alice:right-horse-battery"));
    let cache = tempfile::tempdir().expect("tempdir");
    let json_sbom = || sbom_cmd(cache.path(), &reference, INSECURE_JSON);
    let with_stdin = |password: &str| {
        let mut child = json_sbom()
            .args(["--username", "alice", "--password-stdin"])
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
    let err = exit_2(&with_stdin("wrong-secret-password"));
    assert!(err.contains(&reference) && err.contains("401"), "{err}");
    assert!(!err.contains("wrong-secret-password"), "{err}");
    // Without credentials: a 401 naming the reference, with a hint.
    let anon = exit_2(&sbom(cache.path(), &reference, &["--insecure"]));
    assert!(anon.contains("without credentials"));

    let ok = packages(&with_stdin("right-horse-battery"));
    let env = json_sbom()
        .env("DRYDOCK_USERNAME", "alice")
        .env("DRYDOCK_PASSWORD", "right-horse-battery")
        .output()
        .expect("run");
    assert_eq!(packages(&env), ok);
    // Docker's config.json `auths` (base64 `user:password`), keyed by the host.
    let docker = tempfile::tempdir().expect("tempdir");
    docker_config(
        docker.path(),
        &format!(
            r#"{{"auths":{{"http://{}":{{"auth":"{}"}}}}}}"#,
            reg.host(),
            base64("alice:right-horse-battery")
        ),
    );
    let from_config = json_sbom()
        .env("DOCKER_CONFIG", docker.path())
        .output()
        .expect("run");
    assert_eq!(packages(&from_config), ok);
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
    docker_config(
        docker.path(),
        &format!(r#"{{"credHelpers":{{"{}":"ddtest"}}}}"#, reg.host()),
    );
    let path = format!(
        "{}:{}",
        helper_dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let from_helper = json_sbom()
        .arg("-vvv")
        .env("DOCKER_CONFIG", docker.path())
        .env("PATH", path)
        .output()
        .expect("run");
    assert_eq!(packages(&from_helper), ok);
    // Even at trace level, neither the password nor the Basic header reaches the log.
    let log = String::from_utf8_lossy(&from_helper.stderr);
    assert!(log.contains("/manifests/"), "trace logging is on: {log}");
    assert!(
        !log.contains("right-horse-battery") && !log.contains(&base64("alice:right-horse-battery")),
        "{log}"
    );
}

/// Must-show 3b: a registry behind a token server; wrong password → exit 2 without it in
/// the message; right password → scan, via the `WWW-Authenticate: Bearer` flow.
#[test]
fn token_auth_registry() {
    let Some(reg) = Registry::start() else {
        return;
    };
    let proxy = Proxy::start(reg.port, Mode::Bearer, "bob:token-secret-pw");
    reg.push_alpine("tok/alpine:3.10", None);
    let reference = format!("{}/tok/alpine:3.10", proxy.host());
    let cache = tempfile::tempdir().expect("tempdir");
    let run = |password: &str| {
        sbom_cmd(cache.path(), &reference, INSECURE_JSON)
            .env("DRYDOCK_USERNAME", "bob")
            .env("DRYDOCK_PASSWORD", password)
            .output()
            .expect("run")
    };
    let err = exit_2(&run("not-the-token-pw"));
    assert!(
        err.contains(&reference) && err.contains("authentication failed"),
        "{err}"
    );
    assert!(!err.contains("not-the-token-pw"), "{err}");
    packages(&run("token-secret-pw"));
    let asked = proxy.token_requests();
    assert!(
        asked.iter().any(|p| p.contains("service=drydock-test")
            && p.contains("scope=repository%3Atok%2Falpine%3Apull")),
        "{asked:?}"
    );
    // An identity token from Docker's config.json: the OAuth2 refresh-token grant.
    let docker = tempfile::tempdir().expect("tempdir");
    let with_identity = |token: &str| {
        docker_config(
            docker.path(),
            &format!(
                r#"{{"auths":{{"{}":{{"auth":"{}","identitytoken":"{token}"}}}}}}"#,
                proxy.host(),
                base64("00000000-0000-0000-0000-000000000000:")
            ),
        );
        sbom_cmd(cache.path(), &reference, INSECURE_JSON)
            .env("DOCKER_CONFIG", docker.path())
            .output()
            .expect("run")
    };
    let err = exit_2(&with_identity("not-the-refresh-token"));
    assert!(
        err.contains("authentication failed") && !err.contains("not-the-refresh-token"),
        "{err}"
    );
    packages(&with_identity(REFRESH));
    let asked = proxy.token_requests();
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
    let Some((_reg, proxy, reference)) = alpine_behind_proxy(Mode::Pass) else {
        return;
    };
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
    let Some((_reg, _proxy, reference)) = alpine_behind_proxy(Mode::FlipBlobs) else {
        return;
    };
    let cache = tempfile::tempdir().expect("tempdir");
    let err = exit_2(&sbom(cache.path(), &reference, &["--insecure"]));
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
    let Some((_reg, proxy, reference)) = alpine_behind_proxy(Mode::Flaky) else {
        return;
    };
    let cache = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let out = sbom(cache.path(), &reference, &["--insecure", "-v"]);
    assert_success(&out, "drydock sbom");
    assert_eq!(proxy.manifest_gets(), 3, "two refusals, then the answer");
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
    let Some((reg, proxy, reference)) = alpine_behind_proxy(Mode::FlipManifests) else {
        return;
    };
    let digest = reg.manifest_digest(&format!("{}/library/alpine:3.10", reg.host()));
    let cache = tempfile::tempdir().expect("tempdir");
    for reference in [
        format!("{}/library/alpine@{digest}", proxy.host()),
        reference,
    ] {
        let err = exit_2(&sbom(cache.path(), &reference, &["--insecure"]));
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
    let Some(reg) = Registry::start_with(None, Some((&p("server.pem"), &p("server.key")))) else {
        return;
    };
    let reference = reg.push_alpine("library/alpine:3.10", None);
    let cache = tempfile::tempdir().expect("tempdir");
    let err = exit_2(&sbom(cache.path(), &reference, &[]));
    assert!(
        err.contains("--registry-ca") && err.contains(&reference),
        "{err}"
    );
    let ca = p("ca.pem");
    let trusted = sbom_cmd(
        cache.path(),
        &reference,
        &["--format", "json", "--registry-ca"],
    )
    .arg(&ca)
    .output()
    .expect("run");
    assert_eq!(
        stdout_json(&trusted, "drydock sbom")["targets"][0]["packages"]
            .as_array()
            .map(Vec::len),
        Some(14)
    );
    let insecure = sbom(cache.path(), &reference, &["--insecure"]);
    assert_success(&insecure, "drydock sbom --insecure");
}

/// `--cache-max-size`: the image just pulled stays even over the bound; older blobs go.
#[test]
fn cache_max_size_evicts_older_images() {
    let Some(reg) = Registry::start() else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let a = reg.push_alpine("library/alpine:3.10", None);
    let (b, _) = reg.push_alpine_373(work.path());
    let cache = tempfile::tempdir().expect("tempdir");
    let pull = |r: &str| {
        let out = sbom(cache.path(), r, &["--insecure", "--cache-max-size", "1"]);
        assert_success(&out, "drydock sbom --cache-max-size 1");
    };
    pull(&a);
    let first = cached_blobs(cache.path());
    assert_eq!(
        first.len(),
        3,
        "manifest, config and layer of the pull stay: {first:?}"
    );
    pull(&b);
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
