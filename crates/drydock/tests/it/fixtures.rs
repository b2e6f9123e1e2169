//! Images written by the tests themselves: OCI layouts, docker-archives and OCI archives made
//! of small layers, so every bad-input case is a real file in a real format.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

/// One tar entry of a layer.
#[derive(Clone)]
pub enum Entry {
    File(&'static str, Vec<u8>),
    #[allow(dead_code)] // for binary analyzers' tests
    Exec(&'static str, Vec<u8>),
    Symlink(&'static str, &'static str),
    Hardlink(&'static str, &'static str),
    /// An entry whose name is written verbatim (path traversal tests).
    RawName(&'static str, Vec<u8>),
}

pub fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// A layer tar from entries (uncompressed).
pub fn layer_tar(entries: &[Entry]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(1_700_000_000);
        h.set_uid(0);
        h.set_gid(0);
        match e {
            Entry::File(p, data) | Entry::Exec(p, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(if matches!(e, Entry::Exec(..)) {
                    0o755
                } else {
                    0o644
                });
                h.set_size(data.len() as u64);
                b.append_data(&mut h, p, &data[..]).expect("in-memory tar");
            }
            Entry::Symlink(p, t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                h.set_size(0);
                b.append_link(&mut h, p, t).expect("in-memory tar");
            }
            Entry::Hardlink(p, t) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_mode(0o644);
                h.set_size(0);
                b.append_link(&mut h, p, t).expect("in-memory tar");
            }
            Entry::RawName(p, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(data.len() as u64);
                // Bypass the tar crate's own `..` check: write the name bytes directly.
                let name = p.as_bytes();
                h.as_old_mut().name[..name.len()].copy_from_slice(name);
                h.set_cksum();
                b.append(&h, &data[..]).expect("in-memory tar");
            }
        }
    }
    b.into_inner().expect("in-memory tar")
}

pub fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(b).expect("in-memory gzip");
    e.finish().expect("in-memory gzip")
}

pub const ALPINE_OS_RELEASE: &str =
    "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.10.4\nPRETTY_NAME=\"Alpine Linux v3.10\"\n";
pub const APK_DB: &str =
    "P:musl\nV:1.1.22-r3\nA:x86_64\no:musl\n\nP:zlib\nV:1.2.11-r1\nA:x86_64\no:zlib\n";

/// A small Alpine-like layer: os-release and an apk database.
pub fn alpine_layer() -> Vec<Entry> {
    vec![
        Entry::File("etc/os-release", ALPINE_OS_RELEASE.into()),
        Entry::File("lib/apk/db/installed", APK_DB.into()),
    ]
}

pub struct Platform {
    pub os: &'static str,
    pub arch: &'static str,
}

/// Writes an OCI layout at `dir` with one image per `(platform, layers)`, gzip layers, and an
/// index listing them (with platforms, and `ref_name` annotations). Returns the manifest digests.
pub fn oci_layout(
    dir: &Path,
    images: &[(Platform, Vec<Vec<Entry>>)],
    ref_name: Option<&str>,
) -> Vec<String> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    let put = |b: &[u8]| -> String {
        let d = sha(b);
        std::fs::write(blobs.join(&d[7..]), b).expect("write blob");
        d
    };
    let mut descs = Vec::new();
    let mut digests = Vec::new();
    for (platform, layers) in images {
        let mut diff_ids = Vec::new();
        let mut layer_descs = Vec::new();
        for entries in layers {
            let t = layer_tar(entries);
            diff_ids.push(sha(&t));
            let gz = gzip(&t);
            let d = put(&gz);
            layer_descs.push(format!(
                r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{d}","size":{}}}"#,
                gz.len()
            ));
        }
        let config = format!(
            r#"{{"architecture":"{}","os":"{}","rootfs":{{"type":"layers","diff_ids":[{}]}},"config":{{}}}}"#,
            platform.arch,
            platform.os,
            diff_ids
                .iter()
                .map(|d| format!("\"{d}\""))
                .collect::<Vec<_>>()
                .join(",")
        );
        let cd = put(config.as_bytes());
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{}}},"layers":[{}]}}"#,
            config.len(),
            layer_descs.join(",")
        );
        let md = put(manifest.as_bytes());
        let annotations = ref_name
            .map(|r| format!(r#","annotations":{{"org.opencontainers.image.ref.name":"{r}"}}"#))
            .unwrap_or_default();
        descs.push(format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{md}","size":{},"platform":{{"architecture":"{}","os":"{}"}}{annotations}}}"#,
            manifest.len(),
            platform.arch,
            platform.os
        ));
        digests.push(md);
    }
    std::fs::write(
        dir.join("index.json"),
        format!(r#"{{"schemaVersion":2,"manifests":[{}]}}"#, descs.join(",")),
    )
    .expect("write index");
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
        .expect("write oci-layout");
    digests
}

/// A single-image, linux/amd64 OCI layout in a new temp dir.
pub fn simple_layout(layers: Vec<Vec<Entry>>) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("layout");
    oci_layout(
        &dir,
        &[(
            Platform {
                os: "linux",
                arch: "amd64",
            },
            layers,
        )],
        Some("1.0"),
    );
    (tmp, dir)
}

/// Tars a directory (an OCI layout → an OCI archive, as `skopeo copy … oci-archive:` writes).
pub fn tar_dir(dir: &Path, out: &Path) {
    let f = std::fs::File::create(out).expect("create archive");
    let mut b = tar::Builder::new(f);
    b.append_dir_all(".", dir).expect("tar dir");
    b.finish().expect("finish tar");
}

/// The blob path of a digest in a layout.
pub fn blob(dir: &Path, digest: &str) -> PathBuf {
    dir.join("blobs/sha256").join(&digest[7..])
}
