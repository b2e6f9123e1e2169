//! The layer cache: a second scan of an unchanged image reads no layer and reports the same
//! packages; a changed blob is read (and verified) again; a damaged cache record is a miss;
//! `--no-cache`, `drydock cache prune` and `drydock cache clean` do what they say.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use crate::{corpus, drydock, shared};

/// Files changed this recently are not trusted by identity (drydock-image's `RACY_WINDOW`
/// is 2 s); fixtures made by a test wait this long before their first scan.
const SETTLE: Duration = Duration::from_millis(2200);

/// `drydock -vv sbom TARGET --format json --cache-dir CACHE [extra]`, which must succeed.
fn sbom(target: &Path, cache: &Path, extra: &[&str]) -> (serde_json::Value, String) {
    let out = run_sbom(target, cache, extra);
    assert!(
        out.status.success(),
        "sbom failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("sbom prints a JSON report");
    report
        .as_object_mut()
        .expect("the report is an object")
        .remove("created_at");
    (report, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn run_sbom(target: &Path, cache: &Path, extra: &[&str]) -> Output {
    drydock()
        .arg("-vv")
        .arg("sbom")
        .arg(target)
        .args(["--format", "json", "--cache-dir"])
        .arg(cache)
        .args(extra)
        .output()
        .expect("run drydock")
}

/// How many layers the scan took from the cache (its debug log says so per layer).
fn from_cache(stderr: &str) -> usize {
    stderr.matches("from the cache").count()
}

fn layer_count(report: &serde_json::Value) -> usize {
    report["targets"][0]["layers"]
        .as_array()
        .expect("layers listed")
        .len()
}

/// The shared alpine 3.10 docker-archive, uncompressed into `dir` (an archive compressed as a
/// whole is decompressed to a temporary file on every scan, so only plain archives are cached).
fn alpine_archive(dir: &Path) -> PathBuf {
    let src = shared().join("data/images/alpine-3.10.docker-archive.tar.gz");
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(fs::File::open(&src).expect("shared alpine archive"))
        .read_to_end(&mut bytes)
        .expect("gunzip the alpine archive");
    let path = dir.join("alpine.tar");
    fs::write(&path, bytes).expect("write the archive");
    path
}

/// The byte offset of the data of the first member whose name ends in `suffix`.
fn member_offset(archive: &Path, suffix: &str) -> u64 {
    let mut a = tar::Archive::new(fs::File::open(archive).expect("open archive"));
    for e in a.entries_with_seek().expect("tar entries") {
        let e = e.expect("tar entry");
        let name = e.path().expect("entry path").to_string_lossy().into_owned();
        if name.ends_with(suffix) && e.size() > 4096 {
            return e.raw_file_position();
        }
    }
    panic!("no member ending in `{suffix}` in {}", archive.display());
}

fn layer_member_offset(archive: &Path) -> u64 {
    let manifest: serde_json::Value = {
        let mut a = tar::Archive::new(fs::File::open(archive).expect("open archive"));
        let mut found = None;
        for e in a.entries().expect("tar entries") {
            let mut e = e.expect("tar entry");
            if e.path().expect("entry path").to_string_lossy() == "manifest.json" {
                let mut s = String::new();
                e.read_to_string(&mut s).expect("read manifest");
                found = Some(serde_json::from_str(&s).expect("manifest JSON"));
            }
        }
        found.expect("manifest.json in the archive")
    };
    let layer = manifest[0]["Layers"][0].as_str().expect("a layer");
    member_offset(archive, layer)
}

/// The offset, in the archive, of a byte inside the content of a regular file of the first
/// layer (not a tar header, so only the digest can tell the change).
fn file_content_offset(archive: &Path) -> u64 {
    let layer = layer_member_offset(archive);
    let bytes = fs::read(archive).expect("read archive");
    let start = usize::try_from(layer).expect("offset fits");
    let mut inner = tar::Archive::new(std::io::Cursor::new(&bytes[start..]));
    for e in inner.entries_with_seek().expect("layer entries") {
        let e = e.expect("layer entry");
        if e.header().entry_type().is_file() && e.size() > 4096 {
            return layer + e.raw_file_position() + 1000;
        }
    }
    panic!("no file over 4 KiB in the first layer");
}

fn rewrite_byte(path: &Path, offset: u64, f: impl Fn(u8) -> u8) {
    let mut file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .expect("open for writing");
    let mut b = [0u8; 1];
    file.seek(SeekFrom::Start(offset)).expect("seek");
    file.read_exact(&mut b).expect("read byte");
    file.seek(SeekFrom::Start(offset)).expect("seek");
    file.write_all(&[f(b[0])]).expect("write byte");
}

#[test]
fn second_scan_of_an_unchanged_archive_reads_no_layer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let archive = alpine_archive(dir.path());
    std::thread::sleep(SETTLE);

    let (first, log) = sbom(&archive, &cache, &[]);
    assert_eq!(from_cache(&log), 0, "an empty cache serves nothing");
    let (second, log) = sbom(&archive, &cache, &[]);
    assert_eq!(
        from_cache(&log),
        layer_count(&first),
        "every layer from the cache: {log}"
    );
    assert_eq!(first, second, "the cached scan reports what the first did");
    let apk = first["targets"][0]["packages"]
        .as_array()
        .expect("packages");
    assert_eq!(apk.len(), 14, "alpine 3.10 has 14 apk packages");

    let (uncached, log) = sbom(&archive, &cache, &["--no-cache"]);
    assert_eq!(from_cache(&log), 0, "--no-cache reads every layer");
    assert_eq!(first, uncached);

    // `cache info` counts the records; `cache prune` and `cache clean` remove them.
    let cache_cmd = |args: &[&str]| {
        let out = drydock()
            .arg("cache")
            .args(args)
            .env("DRYDOCK_CACHE_DIR", &cache)
            .output()
            .expect("run drydock cache");
        assert!(out.status.success(), "drydock cache {args:?} failed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let layer_records = |info: &str| -> u64 {
        let line = info
            .lines()
            .find(|l| l.contains("layers"))
            .expect("a layer cache line");
        let n = line
            .split_whitespace()
            .rev()
            .nth(1)
            .expect("a record count");
        n.parse().expect("a number of records")
    };
    assert!(
        layer_records(&cache_cmd(&["info"])) >= 2,
        "a walk and a verified record"
    );
    cache_cmd(&["prune", "--max-size", "1GiB"]);
    let (_, log) = sbom(&archive, &cache, &[]);
    assert_eq!(
        from_cache(&log),
        layer_count(&first),
        "under the bound, nothing pruned"
    );
    cache_cmd(&["prune", "--max-size", "0"]);
    assert_eq!(layer_records(&cache_cmd(&["info"])), 0);
    let (_, log) = sbom(&archive, &cache, &[]);
    assert_eq!(from_cache(&log), 0, "a pruned cache serves nothing");
    let (_, log) = sbom(&archive, &cache, &[]);
    assert_eq!(from_cache(&log), layer_count(&first), "and is filled again");
    cache_cmd(&["clean"]);
    assert_eq!(layer_records(&cache_cmd(&["info"])), 0);
    let (_, log) = sbom(&archive, &cache, &[]);
    assert_eq!(from_cache(&log), 0, "a cleaned cache serves nothing");
}

#[test]
fn a_changed_blob_is_read_and_verified_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let archive = alpine_archive(dir.path());
    std::thread::sleep(SETTLE);
    let (first, _) = sbom(&archive, &cache, &[]);
    let (_, log) = sbom(&archive, &cache, &[]);
    assert_eq!(from_cache(&log), layer_count(&first));

    // One flipped byte in the layer: the file's identity changed, so the layer is read again
    // and its digest no longer matches the config's diff_id.
    let offset = file_content_offset(&archive);
    rewrite_byte(&archive, offset, |b| b ^ 0x20);
    let out = run_sbom(&archive, &cache, &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a tampered layer fails the scan"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("digest mismatch"), "{err}");
    assert_eq!(
        from_cache(&err),
        0,
        "the changed layer was not served from the cache"
    );

    // The byte put back: the content is the original again, but the file was written, so it
    // is read once more (and verifies) before the cache trusts it again.
    rewrite_byte(&archive, offset, |b| b ^ 0x20);
    let (again, log) = sbom(&archive, &cache, &[]);
    assert_eq!(from_cache(&log), 0, "a rewritten file is read again");
    assert_eq!(first, again);
}

#[test]
fn a_damaged_cache_record_is_a_miss() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let archive = alpine_archive(dir.path());
    std::thread::sleep(SETTLE);
    let (first, _) = sbom(&archive, &cache, &[]);
    let mut damaged = 0;
    for sub in ["walks", "verified"] {
        for path in files_under(&cache.join("layers").join(sub)) {
            fs::write(&path, b"{\"truncated").expect("damage a record");
            damaged += 1;
        }
    }
    assert!(
        damaged >= 2,
        "the first scan wrote a walk and a verified record"
    );
    let (second, log) = sbom(&archive, &cache, &[]);
    assert_eq!(from_cache(&log), 0, "damaged records serve nothing");
    assert_eq!(first, second);
    let (_, log) = sbom(&archive, &cache, &[]);
    assert_eq!(
        from_cache(&log),
        layer_count(&first),
        "the records were rewritten"
    );
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The corpus image (six layers, whiteouts, links) as an OCI layout: cached and uncached scans
/// agree, and the second scan reads no layer.
#[test]
fn corpus_layout_cached_equals_uncached() {
    let Some(corpus) = corpus() else { return };
    let layout = corpus.join("debian-app/oci");
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let (uncached, _) = sbom(&layout, &cache, &["--no-cache"]);
    let (first, _) = sbom(&layout, &cache, &[]);
    let (second, log) = sbom(&layout, &cache, &[]);
    assert_eq!(uncached, first);
    assert_eq!(uncached, second);
    // The corpus was built before the tests started; were it built in the last two seconds,
    // its blobs would (rightly) not be trusted by identity yet.
    assert_eq!(from_cache(&log), layer_count(&first), "{log}");
}

/// A cache directory that cannot be written (here: a path under a regular file) costs a warning,
/// never the scan.
#[test]
fn an_unwritable_cache_is_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    let archive = alpine_archive(dir.path());
    let not_a_dir = dir.path().join("file");
    fs::write(&not_a_dir, b"").expect("write a file");
    let (with_cache, log) = sbom(&archive, &not_a_dir, &[]);
    assert_eq!(
        log.matches("cannot be written").count(),
        1,
        "one warning: {log}"
    );
    let (without, _) = sbom(&archive, &not_a_dir, &["--no-cache"]);
    assert_eq!(with_cache, without);
}

/// Verification belongs to the file (device and inode), not to a path: two names of one file
/// (as the layouts of pulled images hard-link cached blobs) share it.
#[test]
fn hard_links_share_the_verification() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let archive = alpine_archive(dir.path());
    let alias = dir.path().join("alias.tar");
    fs::hard_link(&archive, &alias).expect("hard link");
    std::thread::sleep(SETTLE);
    let (first, _) = sbom(&archive, &cache, &[]);
    let layers = layer_count(&first);
    let (by_alias, log) = sbom(&alias, &cache, &[]);
    assert_eq!(
        from_cache(&log),
        layers,
        "verified under the other name: {log}"
    );
    assert_eq!(
        first["targets"][0]["packages"],
        by_alias["targets"][0]["packages"]
    );
}

/// The same layer in another file (a second archive of the image, as a fleet of one archive
/// per image has): never seen by the cache, it is taken on its config's `diff_id`, which a
/// verified walk recorded. `--verify-layers` reads and hashes it instead.
#[test]
fn a_layer_in_another_archive_is_served_by_its_diff_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let archive = alpine_archive(dir.path());
    let copy = dir.path().join("copy.tar");
    fs::copy(&archive, &copy).expect("copy the archive");
    std::thread::sleep(SETTLE);
    let (first, _) = sbom(&archive, &cache, &[]);
    let layers = layer_count(&first);

    let (verified, log) = sbom(&copy, &cache, &["--verify-layers"]);
    assert_eq!(from_cache(&log), 0, "--verify-layers reads the copy: {log}");
    assert_eq!(
        first["targets"][0]["packages"],
        verified["targets"][0]["packages"]
    );

    let other = dir.path().join("other.tar");
    fs::copy(&archive, &other).expect("copy the archive");
    let (trusted, log) = sbom(&other, &cache, &[]);
    assert_eq!(from_cache(&log), layers, "served by diff_id: {log}");
    assert_eq!(
        first["targets"][0]["packages"],
        trusted["targets"][0]["packages"]
    );
}

/// What the diff_id rule trusts, and what `--verify-layers` buys: a copy whose layer no longer
/// hashes to its config's `diff_id` (an archive no runtime would load) is reported as the layer
/// it claims to be, and refused with `--verify-layers`.
#[test]
fn verify_layers_catches_a_layer_that_is_not_its_diff_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let archive = alpine_archive(dir.path());
    let forged = dir.path().join("forged.tar");
    fs::copy(&archive, &forged).expect("copy the archive");
    let offset = file_content_offset(&forged);
    rewrite_byte(&forged, offset, |b| b ^ 0x20);
    std::thread::sleep(SETTLE);
    let (first, _) = sbom(&archive, &cache, &[]);

    let out = run_sbom(&forged, &cache, &["--verify-layers"]);
    assert_eq!(out.status.code(), Some(2), "a forged layer fails the scan");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("digest mismatch"), "{err}");

    let (trusted, log) = sbom(&forged, &cache, &[]);
    assert_eq!(from_cache(&log), layer_count(&first), "{log}");
    assert_eq!(
        first["targets"][0]["packages"],
        trusted["targets"][0]["packages"]
    );
}
