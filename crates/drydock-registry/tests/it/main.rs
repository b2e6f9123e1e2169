//! drydock-registry against a real registry: Debian's `docker-registry` on loopback, filled
//! with `skopeo`. (The CLI's tests in `crates/drydock/tests/it/registry.rs` cover auth, TLS,
//! retries and corrupted blobs end to end; these check the library's own accounting.)

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use drydock_registry::{Cache, ClientOptions, CredentialSource, Credentials, PullOptions, pull};

fn ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

fn which(tool: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            !ci(),
            "`{tool}` is missing (CI installs it: .ci/setup.d/registry.sh)"
        );
        eprintln!("note: skipping, `{tool}` is missing");
    }
    found
}

fn shared() -> PathBuf {
    std::env::var_os("DRYDOCK_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    )
}

struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(bin: &std::path::Path) -> Registry {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        ),
    )
    .expect("config");
    let child = Command::new(bin)
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start docker-registry");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "docker-registry did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Registry {
        child,
        port,
        _dir: dir,
    }
}

#[test]
fn pull_counts_downloads_and_cache_hits() {
    let (Some(reg_bin), Some(skopeo)) = (which("docker-registry"), which("skopeo")) else {
        return;
    };
    let reg = start(&reg_bin);
    let work = tempfile::tempdir().expect("tempdir");
    let tar = work.path().join("alpine.tar");
    let gz = std::fs::File::open(shared().join("data/images/alpine-3.10.docker-archive.tar.gz"))
        .expect("the shared alpine archive");
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut bytes)
        .expect("gunzip");
    std::fs::write(&tar, bytes).expect("write");
    let name = format!("127.0.0.1:{}/library/alpine:3.10", reg.port);
    let out = Command::new(skopeo)
        .args([
            "--insecure-policy",
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
        ])
        .arg(format!("docker-archive:{}", tar.display()))
        .arg(format!("docker://{name}"))
        .output()
        .expect("skopeo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let reference = name.parse().expect("reference");
    let opts = PullOptions {
        cache_dir: Some(work.path().join("cache")),
        client: ClientOptions {
            // Unused by an open registry; here to show they never print.
            credentials: Some((
                Credentials::new("ci", "s3cret-pw"),
                CredentialSource::Explicit,
            )),
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(!format!("{opts:?}").contains("s3cret-pw"));
    let first = pull(&reference, &opts).expect("pull");
    assert_eq!((first.downloaded, first.cached), (2, 0), "config and layer");
    let second = pull(&reference, &opts).expect("pull again");
    assert_eq!((second.downloaded, second.cached), (0, 2));
    assert_eq!(first.manifest_digest, second.manifest_digest);
    assert_eq!(first.layout, second.layout);

    // The layout opens as an ordinary OCI layout, named for the reference.
    let layout = first.layout.to_str().expect("utf-8");
    match drydock_image::open(layout, &Default::default()).expect("open") {
        drydock_image::Target::Image(img) => {
            assert_eq!(img.name, name);
            assert_eq!(img.manifest_digest.as_ref(), Some(&first.manifest_digest));
        }
        other => panic!("not an image: {other:?}"),
    }

    let cache = Cache::open(work.path().join("cache")).expect("cache");
    assert!(cache.size().expect("size") > 0);
    let removed = cache.clean().expect("clean");
    assert_eq!((removed.blobs, removed.layouts), (3, 1));
    assert!(!first.layout.exists());
}
