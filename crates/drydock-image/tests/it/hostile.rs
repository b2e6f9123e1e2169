//! Issue 14: hostile inputs. Each test is named for its case; the inputs are written by
//! `tests/fixtures/make_hostile.py`. Memory bounds are checked by running the scan in a child
//! process under `prlimit --as` (a hard address-space limit), never by timing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use drydock_image::{
    FileMeta, FileVisitor, ImageError, ImageKind, InputKind, Limits, OpenOptions, Target, open,
};

const APK_DB: &str = "lib/apk/db/installed";

/// The fixtures directory, generated once per test run. `None` (skip) without python3, unless
/// `CI` is set: then a missing tool fails the test.
fn fixtures() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/make_hostile.py");
        match Command::new("python3").arg(&script).arg(&out).status() {
            Ok(s) if s.success() => Some(out),
            Ok(s) => panic!("make_hostile.py failed: {s}"),
            Err(e) if std::env::var_os("CI").is_some() => panic!("python3 is needed in CI: {e}"),
            Err(e) => {
                eprintln!("skipped: python3 is not available ({e})");
                None
            }
        }
    })
    .as_deref()
}

/// Wants the apk database and os-release, wherever a visitor would look for them.
struct Apk;
impl FileVisitor for Apk {
    type Output = Vec<u8>;
    fn wants(&self, path: &str, _: &FileMeta) -> bool {
        path == APK_DB || path == "etc/os-release"
    }
    fn visit(&self, _: &str, _: &FileMeta, content: &[u8]) -> Vec<u8> {
        content.to_vec()
    }
}

fn opts(kind: Option<InputKind>) -> OpenOptions {
    OpenOptions {
        input_kind: kind,
        ..Default::default()
    }
}

fn path_of(dir: &Path, name: &str) -> String {
    dir.join(name)
        .to_str()
        .expect("UTF-8 temp path")
        .to_string()
}

/// A target, the wanted files found in it (path, content) and the walk's warnings.
type Scanned = (Target, Vec<(String, Vec<u8>)>, Vec<String>);

/// Opens and scans a fixture.
fn scan(name: &str, kind: Option<InputKind>) -> Option<Scanned> {
    let dir = fixtures()?;
    let target = open(&path_of(dir, name), &opts(kind)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let scan = target.scan(&Apk).unwrap_or_else(|e| panic!("{name}: {e}"));
    let files = scan.files.into_iter().map(|f| (f.path, f.output)).collect();
    let warnings = scan
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.path, w.message))
        .collect();
    Some((target, files, warnings))
}

fn apk_db_of(files: &[(String, Vec<u8>)]) -> Option<&[u8]> {
    files
        .iter()
        .find(|(p, _)| p == APK_DB)
        .map(|(_, c)| c.as_slice())
}

/// What GNU tar extracts for `member` of `archive`: the reference for sparse entries.
fn gnu_tar_extract(archive: &Path, member: &str) -> Option<Vec<u8>> {
    match Command::new("tar")
        .arg("-xOf")
        .arg(archive)
        .arg(member)
        .output()
    {
        Ok(o) if o.status.success() => Some(o.stdout),
        Ok(o) => panic!(
            "tar -xOf {}: {}",
            archive.display(),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) if std::env::var_os("CI").is_some() => panic!("GNU tar is needed in CI: {e}"),
        Err(e) => {
            eprintln!("skipped: GNU tar is not available ({e})");
            None
        }
    }
}

#[test]
fn issue14_case01_sparse_entries_are_read() {
    let Some(dir) = fixtures() else { return };
    let plain = scan("case01-plain-rootfs.tar", None).expect("fixtures");
    let want = apk_db_of(&plain.1)
        .expect("plain rootfs has the database")
        .to_vec();
    for name in [
        "case01-sparse-gnu-rootfs.tar",
        "case01-sparse-gnu-holes-rootfs.tar",
        "case01-sparse-pax0.0-rootfs.tar",
        "case01-sparse-pax0.1-rootfs.tar",
        "case01-sparse-pax1.0-rootfs.tar",
    ] {
        let (_, files, _) = scan(name, None).expect("fixtures");
        let got = apk_db_of(&files).unwrap_or_else(|| panic!("{name}: database not found"));
        let Some(reference) = gnu_tar_extract(&dir.join(name), APK_DB) else {
            return;
        };
        assert_eq!(got, reference.as_slice(), "{name}: differs from GNU tar");
        if !name.contains("holes") {
            assert_eq!(got, want.as_slice(), "{name}");
        }
    }
    let (target, files, _) = scan("case01-sparse-docker-archive.tar", None).expect("fixtures");
    assert!(matches!(target, Target::Image(ref i) if i.kind == ImageKind::DockerArchive));
    assert_eq!(apk_db_of(&files), Some(want.as_slice()));
}

/// Sparse archives as GNU tar itself writes them, in each format, from a file with a hole.
#[test]
fn issue14_case01_gnu_tar_written_sparse_files() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("lib/apk/db")).expect("dirs");
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::File::create(root.join(APK_DB)).expect("create");
        f.write_all(b"head\n").expect("write");
        f.seek(SeekFrom::Start(3 << 20)).expect("seek");
        f.write_all(b"tail\n").expect("write");
    }
    let expected = std::fs::read(root.join(APK_DB)).expect("read back");
    for format in [
        &["--format=gnu"][..],
        &["--format=posix", "--sparse-version=0.0"],
        &["--format=posix", "--sparse-version=0.1"],
        &["--format=posix", "--sparse-version=1.0"],
    ] {
        let archive = tmp.path().join(format!("{}.tar", format.join("_")));
        let status = match Command::new("tar")
            .args(["-S", "-c", "-f"])
            .arg(&archive)
            .args(format)
            .arg("-C")
            .arg(&root)
            .arg(APK_DB)
            .status()
        {
            Ok(s) => s,
            Err(e) if std::env::var_os("CI").is_some() => panic!("GNU tar is needed in CI: {e}"),
            Err(e) => return eprintln!("skipped: GNU tar is not available ({e})"),
        };
        assert!(status.success(), "tar {format:?}");
        let bytes = std::fs::read(&archive).expect("archive");
        if bytes.len() as u64 > 1 << 20 {
            eprintln!("{format:?}: this filesystem reports no holes; stored dense");
        }
        let target = open(archive.to_str().expect("UTF-8"), &opts(None)).expect("opens");
        let scan = target.scan(&Apk).expect("scans");
        let got = scan.files.iter().find(|f| f.path == APK_DB);
        assert_eq!(got.map(|f| &f.output), Some(&expected), "{format:?}");
    }
}

#[test]
fn issue14_case02_files_behind_directory_symlinks_are_found() {
    let Some(plain) = scan("case01-plain-rootfs.tar", None) else {
        return;
    };
    let want = apk_db_of(&plain.1).expect("plain rootfs").to_vec();
    for name in [
        "case02-dirlink-rootfs.tar",
        "case02-merged-usr-layers.tar",
        "case02-dirlink-dir",
    ] {
        let (_, files, warnings) = scan(name, None).expect("fixtures");
        assert_eq!(
            apk_db_of(&files),
            Some(want.as_slice()),
            "{name}: {warnings:?}"
        );
        // Found once, under the wanted path only.
        assert_eq!(
            files.iter().filter(|(_, c)| *c == want).count(),
            1,
            "{name}"
        );
    }
}

#[test]
fn issue14_case03_archives_are_detected_by_structure() {
    let Some(plain) = scan("case01-plain-rootfs.tar", None) else {
        return;
    };
    let want = apk_db_of(&plain.1).expect("plain rootfs").to_vec();
    for name in [
        "case03-decoy-manifest-rootfs.tar",
        "case03-unrelated-manifest-rootfs.tar",
    ] {
        let (target, files, _) = scan(name, None).expect("fixtures");
        assert!(
            matches!(target, Target::Image(ref i) if i.kind == ImageKind::RootfsTar),
            "{name}"
        );
        assert_eq!(apk_db_of(&files), Some(want.as_slice()), "{name}");
    }
    // A manifest whose config and layers exist is a docker-archive, unless told otherwise.
    let (target, files, _) = scan("case03-full-decoy-rootfs.tar", None).expect("fixtures");
    assert!(matches!(target, Target::Image(ref i) if i.kind == ImageKind::DockerArchive));
    assert_eq!(apk_db_of(&files), None);
    let (target, files, _) =
        scan("case03-full-decoy-rootfs.tar", Some(InputKind::Rootfs)).expect("fixtures");
    assert!(matches!(target, Target::Image(ref i) if i.kind == ImageKind::RootfsTar));
    assert_eq!(apk_db_of(&files), Some(want.as_slice()));
}

#[test]
fn issue14_case06_nested_indexes_are_expanded_once_and_bounded() {
    let Some(dir) = fixtures() else { return };
    // 60^5 paths to one manifest: each index is read once.
    let (target, files, _) = scan("case06-nested-index-layout", None).expect("fixtures");
    assert!(matches!(target, Target::Image(ref i) if i.kind == ImageKind::OciLayout));
    assert!(apk_db_of(&files).is_some());
    for (name, says) in [
        ("case06-too-deep-layout", "nested more than 4 deep"),
        (
            "case06-too-many-layout",
            "more than 4096 manifest descriptors",
        ),
    ] {
        let err = open(&path_of(dir, name), &opts(None))
            .expect_err(name)
            .to_string();
        assert!(err.contains(says), "{name}: {err}");
        assert!(err.len() < 2000, "{name}: a {}-byte error", err.len());
    }
}

/// The child's stdout, after checking it ended on its own (not killed at a limit).
#[track_caller]
fn child_stdout(name: &str, out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{name}: the child was stopped at a limit: {out:?}"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Issue 14 case 5: one link target of 300,000 components (a 600 KB layer) made symlink
/// resolution run for minutes. Within a hard CPU and memory limit now, and the wanted path
/// behind the link is a warning that names it.
#[test]
fn issue14_case05_long_link_targets_cost_bounded_time_and_memory() {
    let Some(dir) = fixtures() else { return };
    let name = "case05-long-link-rootfs.tar";
    let stdout = child_stdout(name, &scan_in_limited_child(&dir.join(name), 256));
    assert!(stdout.contains("CHILD-OK"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "CHILD-WARN {APK_DB}: not read: a link target or path is longer than 4096 bytes"
        )),
        "{stdout}"
    );
}

/// Issue 14 case 6 under a hard memory and CPU limit: the 68 KB layout that reached 16 GB
/// (each nested index expanded once per reference) opens and scans in 256 MiB, and the
/// refused layouts are refused there too.
#[test]
fn issue14_case06_nested_indexes_cost_bounded_time_and_memory() {
    let Some(dir) = fixtures() else { return };
    let name = "case06-nested-index-layout";
    let stdout = child_stdout(name, &scan_in_limited_child(&dir.join(name), 256));
    assert!(stdout.contains("CHILD-OK 2 files"), "{stdout}");
    for (name, says) in [
        ("case06-too-deep-layout", "nested more than 4 deep"),
        (
            "case06-too-many-layout",
            "more than 4096 manifest descriptors",
        ),
    ] {
        let stdout = child_stdout(name, &scan_in_limited_child(&dir.join(name), 256));
        assert!(
            stdout.contains("CHILD-ERR") && stdout.contains(says),
            "{name}: {stdout}"
        );
    }
}

#[test]
fn issue14_case07_repeated_layers_walk_once_and_images_are_bounded() {
    let Some(dir) = fixtures() else { return };
    let limits = Limits {
        max_image_size: 100 << 20,
        ..Default::default()
    };
    // 1000 × 64 MiB listed, 64 MiB walked.
    let target = open(&path_of(dir, "case07-repeated-layer.tar"), &opts(None)).expect("opens");
    let scan = target
        .scan_with(&Apk, &limits)
        .expect("one walk fits the bound");
    assert_eq!(scan.layers.len(), 1000);
    // Two distinct 64 MiB layers do not fit 100 MiB.
    let target = open(&path_of(dir, "case07-two-bombs.tar"), &opts(None)).expect("opens");
    let err = target
        .scan_with(&Apk, &limits)
        .expect_err("over the image bound");
    assert!(matches!(err, ImageError::ImageTooLarge { .. }), "{err}");
    assert!(err.to_string().contains("--max-image-size"), "{err}");
}

/// CPU seconds the child of [`scan_in_limited_child`] may use before the kernel kills it: a
/// hard bound on time that a loaded machine does not make flaky (the scans take well under one
/// second of CPU; the quadratic and exponential ones of issue 14 took minutes or never ended).
const CHILD_CPU_SECONDS: u64 = 60;

/// Runs `child_scan` in a child test process under a hard address-space limit and a hard CPU
/// time limit ([`CHILD_CPU_SECONDS`]).
fn scan_in_limited_child(target: &Path, limit_mib: u64) -> std::process::Output {
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new("prlimit")
        .arg(format!("--as={}", limit_mib << 20))
        .arg(format!("--cpu={CHILD_CPU_SECONDS}"))
        .arg(exe)
        .args([
            "--exact",
            "hostile::child_scan",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("DRYDOCK_HOSTILE_TARGET", target)
        .env("MALLOC_ARENA_MAX", "2")
        .output();
    match out {
        Ok(o) => o,
        Err(e) => panic!("prlimit (util-linux) is needed: {e}"),
    }
}

/// Not a test on its own: the child process of [`scan_in_limited_child`].
#[test]
#[ignore = "run by scan_in_limited_child"]
fn child_scan() {
    let Some(target) = std::env::var_os("DRYDOCK_HOSTILE_TARGET") else {
        return;
    };
    let target = target.to_str().expect("UTF-8");
    match open(target, &opts(None)).and_then(|t| t.scan(&Apk)) {
        Ok(s) => {
            for w in &s.warnings {
                println!("CHILD-WARN {}: {}", w.path, w.message);
            }
            println!("CHILD-OK {} files", s.files.len());
        }
        Err(e) => println!("CHILD-ERR {e}"),
    }
}

#[test]
fn issue14_case09_header_sizes_are_bounded_in_memory() {
    let Some(dir) = fixtures() else { return };
    for name in ["case09-long-name-layer.tar", "case09-pax-path-layer.tar"] {
        let out = scan_in_limited_child(&dir.join(name), 512);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}: {out:?}");
        assert!(
            stdout.contains("CHILD-ERR layer `sha256:"),
            "{name}: {stdout}"
        );
        assert!(
            stdout.contains("is over the 1048576-byte bound"),
            "{name}: {stdout}"
        );
    }
    // The repeated bomb layer, under the same hard limit.
    let out = scan_in_limited_child(&dir.join("case07-repeated-layer.tar"), 512);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("CHILD-OK"),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn issue14_case08_fifos_are_never_opened() {
    let Some(dir) = fixtures() else { return };
    let dir = dir.join("case08-fifo-dir");
    // A blocked open would never return: the scan runs on a thread we can stop waiting for.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let target = open(dir.to_str().expect("UTF-8"), &opts(None)).expect("opens");
        let _ = tx.send(target.scan(&Apk).map(|s| (s.files.len(), s.warnings)));
    });
    let (files, warnings) = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the scan finishes")
        .expect("the scan succeeds");
    assert_eq!(files, 0);
    assert!(
        warnings
            .iter()
            .any(|w| w.path == "etc/os-release" && w.message.contains("not a regular file")),
        "{warnings:?}"
    );
}

#[test]
fn issue14_case12_layout_files_are_not_read_through_symlinks_out() {
    let Some(dir) = fixtures() else { return };
    let err = open(&path_of(dir, "case12-symlinked-index-layout"), &opts(None))
        .expect_err("refused")
        .to_string();
    assert!(err.contains("leads out of the layout"), "{err}");
    assert!(!err.contains("SECRET"), "{err}");
}

/// Issue 14 case 12, the blob: a layer blob symlinked to a host file had that file's sha256
/// printed (a digest mismatch naming the actual digest). It is refused unread now.
#[test]
fn issue14_case12_layout_blobs_are_not_read_through_symlinks_out() {
    let Some(dir) = fixtures() else { return };
    let secret = std::fs::read(dir.join("case12-host-secret.txt")).expect("secret");
    let secret_digest = drydock_image::Digest::of(&secret);
    let target = open(&path_of(dir, "case12-symlinked-blob-layout"), &opts(None))
        .expect("index and manifest are in the layout");
    let err = target
        .scan(&Apk)
        .expect_err("the layer is refused")
        .to_string();
    assert!(err.contains("leads out of the layout"), "{err}");
    assert!(!err.contains("SECRET"), "{err}");
    assert!(
        !err.contains(secret_digest.hex()),
        "the host file's digest: {err}"
    );
}

#[test]
fn issue14_case13_image_strings_are_escaped_and_cut() {
    let Some(dir) = fixtures() else { return };
    let err = open(
        &format!("{}:nope", path_of(dir, "case13-escape-tag.tar")),
        &opts(None),
    )
    .expect_err("no such tag")
    .to_string();
    assert!(!err.chars().any(|c| c.is_control()), "{err:?}");
    assert!(err.contains("evil\\u{1b}]0;pwned\\u{7}"), "{err}");
    assert!(err.len() < 4096, "a {}-byte error", err.len());
}

#[test]
fn issue14_case14_paths_past_path_max_are_reported() {
    let Some((_, _, warnings)) = scan("case14-deep-dir", None) else {
        return;
    };
    // The first directory past the bound, cut, and the count; nothing under it is walked.
    let cut = format!("{}…(", "d".repeat(120));
    assert!(
        warnings.iter().any(|w| w.starts_with(&cut)
            && w.contains(
                "1 path(s) longer than PATH_MAX (4096 bytes) were not read, nor anything under them"
            )),
        "{warnings:?}"
    );
}
