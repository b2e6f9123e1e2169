//! Issue 14 through the real binary: hostile images and databases built here (path traversal,
//! symlink escapes, huge declared sizes, corrupt gzip, truncated tar, non-UTF-8 and escape
//! sequences in package databases, databases made to exhaust memory, a compressed archive
//! interrupted while it is inflated). Each checks the exit code, the one-line error, that
//! nothing is written outside the test's own directory, and that no escape sequence reaches
//! the terminal.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::fixtures::{Entry, alpine_layer, gzip, layer_tar, simple_layout};

/// A work directory with its own cache and `$TMPDIR`, both checked for leftovers.
struct Work {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Work {
    fn new() -> Work {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        for d in ["cache", "tmp", "cwd"] {
            std::fs::create_dir(root.join(d)).expect("mkdir");
        }
        Work { _tmp: tmp, root }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// `drydock ARGS` in this directory's `cwd/`, with its cache and `$TMPDIR`.
    fn command(&self, args: &[&str]) -> Command {
        let mut c = crate::drydock();
        c.args(args)
            .current_dir(self.path("cwd"))
            .env("DRYDOCK_CACHE_DIR", self.path("cache"))
            .env("TMPDIR", self.path("tmp"))
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run drydock")
    }

    /// Every file under `dir` (relative paths).
    fn files_under(&self, dir: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![self.path(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(
                        p.strip_prefix(&self.root)
                            .unwrap_or(&p)
                            .display()
                            .to_string(),
                    );
                }
            }
        }
        out
    }

    /// Nothing in `$TMPDIR`, the working directory, or the cache's inflate directory.
    #[track_caller]
    fn assert_no_leftovers(&self) {
        for d in ["tmp", "cwd", "cache/inflate"] {
            let left = self.files_under(d);
            assert!(left.is_empty(), "left behind in {d}: {left:?}");
        }
    }
}

/// stderr as text; a failing command's stderr must be one `drydock: error:` line.
#[track_caller]
fn one_line_error(out: &Output, what: &str) -> String {
    assert_eq!(out.status.code(), Some(2), "{what}: {out:?}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("error:")).collect();
    assert_eq!(lines.len(), 1, "{what}: one error line: {err}");
    assert!(lines[0].starts_with("drydock: error: "), "{what}: {err}");
    err
}

/// No escape or other control character but newline and tab in what was printed.
#[track_caller]
fn assert_no_control_chars(bytes: &[u8], what: &str) {
    let bad: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| (b.is_ascii_control() && *b != b'\n' && *b != b'\t') || *b == 0x9b)
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: control bytes {bad:?} reached the terminal: {}",
        String::from_utf8_lossy(bytes)
    );
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

#[test]
fn hostile_path_traversal_entry_is_an_error_and_writes_nothing() {
    let w = Work::new();
    let mut layer = alpine_layer();
    layer.push(Entry::RawName("../../escape.txt", b"pwned".to_vec()));
    let (_t, layout) = simple_layout(vec![layer]);
    let out = w.run(&["sbom", layout.to_str().expect("UTF-8"), "--no-cache"]);
    let err = one_line_error(&out, "traversal");
    assert!(err.contains(".."), "{err}");
    assert!(!layout.join("../escape.txt").exists());
    assert!(!w.path("escape.txt").exists());
    w.assert_no_leftovers();
}

#[test]
fn hostile_symlink_escape_never_reads_the_host() {
    let w = Work::new();
    // A host file that would look like an apk database if the link were followed out.
    let secret = w.path("host-installed");
    write(&secret, b"P:host-secret\nV:6.6.6\n");
    let abs: &'static str = Box::leak(secret.display().to_string().into_boxed_str());
    let up: &'static str =
        Box::leak(format!("../../../../../../../..{}", secret.display()).into_boxed_str());
    for target in [abs, up] {
        let layer = vec![
            Entry::File("etc/os-release", crate::fixtures::ALPINE_OS_RELEASE.into()),
            Entry::Symlink("lib/apk/db/installed", target),
        ];
        let (_t, layout) = simple_layout(vec![layer]);
        let out = w.run(&[
            "sbom",
            layout.to_str().expect("UTF-8"),
            "--format",
            "json",
            "--no-cache",
        ]);
        assert!(out.status.success(), "{target}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("host-secret"), "{target}: host file read");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("dangling link"), "{target}: a warning: {err}");
        w.assert_no_leftovers();
    }
}

/// A tar header claiming a terabyte with a few bytes behind it: a clear error, at once.
#[test]
fn hostile_huge_declared_size_is_truncated_not_allocated() {
    let w = Work::new();
    let mut h = tar::Header::new_gnu();
    h.set_path("lib/apk/db/installed").expect("path");
    h.set_size(1 << 40);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut bytes = h.as_bytes().to_vec();
    bytes.extend_from_slice(&[b'P'; 4096]);
    let path = w.path("huge.tar");
    write(&path, &bytes);
    let start = Instant::now();
    let out = w.run(&["sbom", path.to_str().expect("UTF-8")]);
    let err = one_line_error(&out, "huge size");
    assert!(err.contains("truncated"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(30));
    w.assert_no_leftovers();
}

#[test]
fn hostile_corrupt_gzip_and_truncated_tar_are_one_line_errors() {
    let w = Work::new();
    let tar = layer_tar(&alpine_layer());
    // A compressed rootfs whose deflate stream is damaged in the middle.
    let mut gz = gzip(&tar);
    let mid = gz.len() / 2;
    for b in &mut gz[mid..mid + 8] {
        *b ^= 0x5a;
    }
    let corrupt = w.path("corrupt.tar.gz");
    write(&corrupt, &gz);
    // A compressed rootfs cut short, and a plain tar cut inside a member.
    let mut cut = gzip(&tar);
    cut.truncate(cut.len() / 2);
    let cut_gz = w.path("cut.tar.gz");
    write(&cut_gz, &cut);
    let cut_tar = w.path("cut.tar");
    write(&cut_tar, &tar[..512 + 40]);
    for (path, what) in [
        (&corrupt, "corrupt gzip"),
        (&cut_gz, "truncated gzip"),
        (&cut_tar, "truncated tar"),
    ] {
        let out = w.run(&["sbom", path.to_str().expect("UTF-8")]);
        let err = one_line_error(&out, what);
        assert!(err.contains(path.to_str().expect("UTF-8")), "{what}: {err}");
        w.assert_no_leftovers();
    }
}

#[test]
fn hostile_package_db_names_never_print_escapes() {
    let w = Work::new();
    // An apk database whose names carry terminal escapes (title change, clear screen, CSI).
    let evil = "P:musl\nV:1.1.22-r3\n\nP:ev\u{1b}]0;pwned\u{7}il\u{1b}[2J\nV:1\u{1b}[31m.0\no:x\u{9b}31m\n";
    let layer = vec![
        Entry::File("etc/os-release", crate::fixtures::ALPINE_OS_RELEASE.into()),
        Entry::File("lib/apk/db/installed", evil.into()),
    ];
    let (_t, layout) = simple_layout(vec![layer]);
    let out = w.run(&["sbom", layout.to_str().expect("UTF-8"), "--no-cache"]);
    assert!(out.status.success(), "{out:?}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("musl"), "{table}");
    assert!(
        table.contains("\\u{1b}]0;pwned"),
        "escaped, not dropped: {table}"
    );
    assert_no_control_chars(&out.stdout, "table");
    assert_no_control_chars(&out.stderr, "stderr");

    // A malformed line carrying escapes: the error quotes it escaped.
    let bad = "P:musl\nV:1\n\n\u{1b}]0;pwned\u{7}\u{1b}[2Jnot an apk line\n";
    let layer = vec![Entry::File("lib/apk/db/installed", bad.into())];
    let (_t, layout) = simple_layout(vec![layer]);
    let out = w.run(&["sbom", layout.to_str().expect("UTF-8"), "--no-cache"]);
    let err = one_line_error(&out, "malformed apk");
    assert!(err.contains("lib/apk/db/installed"), "{err}");
    assert_no_control_chars(&out.stderr, "malformed apk error");

    // A dpkg status that is not UTF-8: the OS database is an error naming it.
    let mut status = b"Package: libc6\nStatus: install ok installed\nVersion: 2.36\n\nPackage: x\xff\xfe\x1b[2J\nStatus: install ok installed\nVersion: 1\n".to_vec();
    status.extend_from_slice(b"\n");
    let layer = vec![Entry::File("var/lib/dpkg/status", status)];
    let (_t, layout) = simple_layout(vec![layer]);
    let out = w.run(&["sbom", layout.to_str().expect("UTF-8"), "--no-cache"]);
    let err = one_line_error(&out, "non-UTF-8 dpkg");
    assert!(err.contains("var/lib/dpkg/status"), "{err}");
    assert!(err.contains("UTF-8"), "{err}");
    assert_no_control_chars(&out.stderr, "non-UTF-8 dpkg error");
    w.assert_no_leftovers();
}

/// `drydock sbom rootfs ARGS` (the work directory's `rootfs/`, which holds `file`) with its
/// data segment (heap and every private writable mapping) limited to 4 times `file`'s size
/// plus 96 MiB: an allocation past it fails and aborts the process.
fn run_bounded(w: &Work, file: &Path, args: &[&str]) -> Output {
    let size = std::fs::metadata(file).expect("file").len();
    run_within(w, 4 * size + (96 << 20), args)
}

/// CPU seconds a bounded run may use before the kernel stops it (`ulimit -t`): a hard bound
/// on time that a loaded machine does not make flaky. The runs here take a few seconds.
const CPU_SECONDS: u64 = 120;

/// `drydock sbom rootfs ARGS` with its data segment limited to `limit` bytes and its CPU time
/// to [`CPU_SECONDS`].
fn run_within(w: &Work, limit: u64, args: &[&str]) -> Output {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg("ulimit -d \"$1\" && ulimit -t \"$2\" && shift 2 && exec \"$@\"")
        .arg("sh")
        .arg((limit / 1024).to_string())
        .arg(CPU_SECONDS.to_string())
        .arg(env!("CARGO_BIN_EXE_drydock"))
        .arg("sbom")
        .arg(w.path("rootfs"))
        .args(args)
        .current_dir(w.path("cwd"))
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env("DRYDOCK_CACHE_DIR", w.path("cache"))
        .env("TMPDIR", w.path("tmp"))
        .stdin(Stdio::null());
    sh.output().expect("run sh")
}

/// A dpkg status of `count` installed packages, each with `fields` after its version.
fn write_status(path: &Path, count: usize, fields: &str) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for i in 0..count {
        write!(
            f,
            "Package: p{i}\nStatus: install ok installed\nVersion: 1.{i}\n{fields}\n"
        )
        .expect("write");
    }
}

/// Issue 14 case 10: package databases are parsed at a bounded multiple of their size (the
/// bound asserted is 4× the file plus 96 MiB, with the process's data segment limited to it),
/// and a database with more packages than a file may hold is an error naming it.
#[test]
fn issue14_case10_package_databases_stay_within_memory_bounds() {
    let w = Work::new();
    let root = w.path("rootfs");
    let dpkg = root.join("var/lib/dpkg");
    std::fs::create_dir_all(&dpkg).expect("mkdir");
    let status = dpkg.join("status");

    // 1. Many fields per paragraph: parsed a paragraph at a time, not as a list of all fields
    //    (the old parser kept 32 bytes per 4-byte field line: 8 times the file).
    let fields: String = (0..100).map(|i| format!("X{i}:\n")).collect();
    write_status(&status, 90_000, &fields);
    let out = run_bounded(&w, &status, &["--format", "json"]);
    assert!(
        out.status.success(),
        "90,000 packages within the bound: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let packages = json["targets"][0]["packages"]
        .as_array()
        .map_or(0, |a| a.len());
    assert_eq!(packages, 90_000);

    // 2. More packages than a file may hold: an error naming the file and the bound, before
    //    the rest of the file costs anything.
    write_status(&status, 400_000, "");
    let out = run_bounded(&w, &status, &[]);
    let err = one_line_error(&out, "too many dpkg packages");
    assert!(err.contains("var/lib/dpkg/status"), "{err}");
    assert!(err.contains("more than 100000 packages"), "{err}");
    std::fs::remove_file(&status).expect("rm");

    // apk `installed`: 90,000 packages listing their files (a hundred `R:` lines each), and
    // one package carrying a 100 MB name (the name was copied into its source name, its purl
    // and the report: 9 times the file). The bound on one package's text refuses it, naming
    // the database, within the same memory.
    let apk_dir = root.join("lib/apk/db");
    std::fs::create_dir_all(&apk_dir).expect("mkdir");
    let apk = apk_dir.join("installed");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&apk).expect("create"));
    let files = "R:f\n".repeat(100);
    for i in 0..90_000 {
        write!(
            f,
            "C:Q1{i:027}=\nP:p{i}\nV:1.{i}-r0\nA:x86_64\nS:1000\nI:2000\nT:a package\nL:MIT\no:p{i}\nF:usr/lib\n{files}\n"
        )
        .expect("write");
    }
    drop(f);
    let out = run_bounded(&w, &apk, &["--format", "json"]);
    assert!(
        out.status.success(),
        "90,000 apk packages within the bound: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(packages_in(&out), 90_000);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&apk).expect("create"));
    f.write_all(b"P:").expect("write");
    for _ in 0..100 {
        f.write_all(&vec![b'n'; 1 << 20]).expect("write");
    }
    f.write_all(b"\nV:1.0-r0\n\n").expect("write");
    drop(f);
    for format in ["json", "table"] {
        let out = run_bounded(&w, &apk, &["--format", format]);
        let err = one_line_error(&out, "a 100 MB apk package name");
        assert!(
            err.contains("lib/apk/db/installed") && err.contains("at most 64 KiB a package"),
            "{format}: {err}"
        );
        assert!(
            err.len() < 1000,
            "{format}: the name is cut: {} bytes",
            err.len()
        );
    }
    std::fs::remove_dir_all(root.join("lib")).expect("rm");

    // 3. A lockfile with one 200 MB line (a `requirements.txt` pin): read at its own size.
    let req = root.join("requirements.txt");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&req).expect("create"));
    f.write_all(b"flask==2.0.1\n# ").expect("write");
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..200 {
        f.write_all(&chunk).expect("write");
    }
    f.write_all(b"\nrequests==2.25.0\n").expect("write");
    drop(f);
    let out = run_bounded(&w, &req, &["--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("requests") && text.contains("flask"),
        "{text}"
    );
    std::fs::remove_file(&req).expect("rm");

    // 4. TOML lockfiles, read a `[[package]]` table at a time (the whole document cost about
    //    20 times the file): a 30 MB `Cargo.lock` of 99,000 crates with sources, checksums
    //    and dependencies, and a `poetry.lock` whose packages list their files.
    let lock = root.join("Cargo.lock");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&lock).expect("create"));
    f.write_all(b"version = 4\n").expect("write");
    for i in 0..99_000 {
        write!(
            f,
            "\n[[package]]\nname = \"c{i}\"\nversion = \"1.0.{i}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{i:064x}\"\ndependencies = [\n \"c{}\",\n \"c{}\",\n]\n",
            i / 2,
            i / 3
        )
        .expect("write");
    }
    drop(f);
    assert_toml_lock_within_bound(&w, &lock, 99_000);
    std::fs::remove_file(&lock).expect("rm");
    let lock = root.join("poetry.lock");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&lock).expect("create"));
    for i in 0..60_000 {
        write!(
            f,
            "[[package]]\nname = \"p{i}\"\nversion = \"2.{i}\"\ndescription = \"a package\"\noptional = false\npython-versions = \">=3.8\"\nfiles = [\n"
        )
        .expect("write");
        for k in 0..3 {
            writeln!(
                f,
                "    {{file = \"p{i}-2.{i}-py{k}-none-any.whl\", hash = \"sha256:{i:064x}\"}},"
            )
            .expect("write");
        }
        f.write_all(b"]\n\n[package.dependencies]\nsix = \">=1.0\"\n\n")
            .expect("write");
    }
    f.write_all(b"[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.8\"\n")
        .expect("write");
    drop(f);
    assert_toml_lock_within_bound(&w, &lock, 60_000);
    w.assert_no_leftovers();
}

/// The JSON report's package count over every target.
fn packages_in(out: &Output) -> usize {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    json["targets"].as_array().map_or(0, |t| {
        t.iter()
            .map(|t| t["packages"].as_array().map_or(0, Vec::len))
            .sum()
    })
}

/// Issue 14 case 10: the bounds on one file's parse have flags: `--max-packages` and
/// `--max-document-size` lower them (the file is then a warning naming the flag, an error
/// with `--strict`) and raise them.
#[test]
fn issue14_case10_file_bounds_have_flags() {
    let w = Work::new();
    let root = w.path("rootfs");
    std::fs::create_dir(&root).expect("mkdir");
    let mut lock = String::from("version = 3\n");
    for i in 0..150 {
        lock.push_str(&format!(
            "[[package]]\nname = \"c{i}\"\nversion = \"1.0.{i}\"\n"
        ));
    }
    write(&root.join("Cargo.lock"), lock.as_bytes());
    let dir = root.to_str().expect("UTF-8");
    let out = w.run(&["sbom", dir, "--format", "json", "--max-packages", "100"]);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Cargo.lock")
            && err.contains("more than 100 packages")
            && err.contains("--max-packages"),
        "{err}"
    );
    assert_eq!(packages_in(&out), 0);
    let out = w.run(&["sbom", dir, "--max-packages", "100", "--strict"]);
    let err = one_line_error(&out, "--strict");
    assert!(err.contains("more than 100 packages"), "{err}");
    let out = w.run(&["sbom", dir, "--format", "json", "--max-packages", "150"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(packages_in(&out), 150);
    let out = w.run(&["sbom", dir, "--max-packages", "0"]);
    one_line_error(&out, "--max-packages 0");

    std::fs::remove_file(root.join("Cargo.lock")).expect("rm");
    let mut deps = String::new();
    for i in 0..100 {
        deps.push_str(&format!(
            "\"node_modules/p{i}\": {{\"version\": \"1.0.{i}\"}},"
        ));
    }
    let doc = format!(
        "{{\"name\": \"app\", \"lockfileVersion\": 3, \"packages\": {{{deps} \"\": {{}}}}}}"
    );
    assert!(doc.len() > 2048);
    write(&root.join("package-lock.json"), doc.as_bytes());
    let out = w.run(&[
        "sbom",
        dir,
        "--format",
        "json",
        "--max-document-size",
        "2KiB",
    ]);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("package-lock.json")
            && err.contains("only JSON documents up to 2048 bytes")
            && err.contains("--max-document-size"),
        "{err}"
    );
    assert_eq!(packages_in(&out), 0);
    let out = w.run(&["sbom", dir, "--format", "json"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(packages_in(&out), 100);
    w.assert_no_leftovers();
}

/// `drydock sbom` on the work directory's `rootfs/` holding only the TOML lockfile `lock`,
/// within the memory bound of [`run_bounded`]: every package reported.
fn assert_toml_lock_within_bound(w: &Work, lock: &Path, packages: usize) {
    let out = run_bounded(w, lock, &["--format", "json"]);
    assert!(
        out.status.success(),
        "{} within 4x its size: {}",
        lock.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let found: usize = json["targets"].as_array().map_or(0, |t| {
        t.iter()
            .map(|t| t["packages"].as_array().map_or(0, Vec::len))
            .sum()
    });
    assert_eq!(found, packages, "{}", lock.display());
}

/// Writes an `rpmdb.sqlite` of `count` packages `p0`, `p1`, … whose headers each carry `pad`
/// bytes of data (a BIN entry), with Python's `sqlite3` (python3 is needed by the fixtures).
fn write_rpmdb(path: &Path, count: usize, pad: usize) {
    const SCRIPT: &str = r#"
import sqlite3, struct, sys
path, count, pad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def header(name):
    entries = [(1000, 6, 1, name.encode() + b"\0"), (1001, 6, 1, b"1.0\0"),
               (1002, 6, 1, b"1\0"), (1022, 6, 1, b"x86_64\0"), (1004, 7, pad, b"\xaa" * pad)]
    index, data = b"", b""
    for tag, ty, n, value in entries:
        index += struct.pack(">IIII", tag, ty, len(data), n)
        data += value
    return struct.pack(">II", len(entries), len(data)) + index + data
db = sqlite3.connect(path)
db.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
for i in range(count):
    db.execute("INSERT INTO Packages (blob) VALUES (?)", (header(f"p{i}"),))
db.commit()
"#;
    let _ = std::fs::remove_file(path);
    let status = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(path)
        .arg(count.to_string())
        .arg(pad.to_string())
        .status()
        .expect("python3 (needed by the fixtures)");
    assert!(status.success(), "writing {}", path.display());
}

/// Issue 14 case 10: rpm header blobs are decoded one at a time as the database is read,
/// never all held together (which cost the database's size once more), and one header may
/// be at most 64 MiB. A 150 MB `rpmdb.sqlite` of 150 headers of 1 MB is read with the data
/// segment limited to 2.5 times the file plus 32 MiB (the file and SQLite's copy of it are
/// about 2 times; all blobs held at once made it 3 times).
#[test]
fn issue14_case10_rpm_headers_are_read_one_at_a_time() {
    let w = Work::new();
    let rpm = w.path("rootfs/var/lib/rpm");
    std::fs::create_dir_all(&rpm).expect("mkdir");
    let db = rpm.join("rpmdb.sqlite");
    write_rpmdb(&db, 150, 1_000_000);
    let size = std::fs::metadata(&db).expect("db").len();
    let out = run_within(&w, size * 5 / 2 + (32 << 20), &["--format", "json"]);
    assert!(
        out.status.success(),
        "150 headers within the bound: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(packages_in(&out), 150);

    // One header past the bound on a header: the scan's error, naming the database.
    write_rpmdb(&db, 1, 65 << 20);
    let out = w.run(&["sbom", w.path("rootfs").to_str().expect("UTF-8")]);
    let err = one_line_error(&out, "a 65 MiB header");
    assert!(
        err.contains("var/lib/rpm/rpmdb.sqlite") && err.contains("64 MiB"),
        "{err}"
    );
    w.assert_no_leftovers();
}

/// A gzip-compressed archive that inflates to `gib` GiB of zeros: concatenated gzip members
/// of 64 MiB each (about 64 KiB apiece), so the test writes a few MiB.
fn zero_bomb(path: &Path, gib: usize) {
    let member = gzip(&vec![0u8; 64 << 20]);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for _ in 0..gib * 16 {
        f.write_all(&member).expect("write");
    }
}

/// Waits until a copy under `inflate` exists and is growing (the child is inflating).
fn growing_copy(inflate: &Path, child: &mut std::process::Child) -> PathBuf {
    let start = Instant::now();
    loop {
        let found = std::fs::read_dir(inflate)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > (8 << 20)));
        if let Some(p) = found {
            return p;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no growing copy under {}",
            inflate.display()
        );
        assert!(
            child.try_wait().expect("wait").is_none(),
            "drydock ended early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Issue 14 case 11: `drydock image` inflates a compressed archive into the cache directory
/// (never `$TMPDIR`), and the copy is removed on an error exit and on SIGINT / SIGTERM (exit
/// 130 / 143).
#[test]
fn issue14_case11_inflated_copies_live_in_the_cache_and_go_on_every_exit() {
    let w = Work::new();
    let bomb = w.path("bomb.tar.gz");
    zero_bomb(&bomb, 4);
    let inflate = w.path("cache/inflate");
    let db = crate::scan::db().to_str().expect("UTF-8");
    let bomb = bomb.to_str().expect("UTF-8");
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let mut child = w
            .command(&["image", bomb, "--db", db, "--max-image-size", "8GiB"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn drydock");
        let copy = growing_copy(&inflate, &mut child);
        assert!(w.files_under("tmp").is_empty(), "nothing in $TMPDIR");
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(code), "SIG{signal}: {out:?}");
        assert!(
            !copy.exists(),
            "SIG{signal}: {} left behind",
            copy.display()
        );
        w.assert_no_leftovers();
    }

    // `kill -9` runs no handler: the copy and its owner's lock file stay behind, and the
    // next drydock removes them when it starts (their owner's lock is free).
    let mut child = w
        .command(&["image", bomb, "--db", db, "--max-image-size", "8GiB"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn drydock");
    let copy = growing_copy(&inflate, &mut child);
    let pid = child.id();
    child.kill().expect("kill -9");
    child.wait().expect("wait");
    let name = copy
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    assert!(
        name.starts_with(&format!(".drydock-inflate-{pid}-")),
        "named for its owner: {name}"
    );
    let lock = inflate.join(format!(".drydock-{pid}.lock"));
    assert!(copy.exists() && lock.exists(), "kill -9 leaves them");

    // An error exit (the bound on the image hit while inflating) removes its own copy, and
    // the one `kill -9` left.
    let out = w.run(&["image", bomb, "--db", db, "--max-image-size", "256MiB"]);
    let err = one_line_error(&out, "bomb");
    assert!(err.contains("bytes"), "{err}");
    assert!(!copy.exists() && !lock.exists(), "swept at start");
    w.assert_no_leftovers();
}

/// Issue 14 case 4 through the binary: an `rpmdb.sqlite` whose `Packages` is a VIEW over an
/// endless recursive query (ordered, so SQLite's sorter would fill a temporary store) spun
/// forever. Under a hard CPU and memory limit it is now the scan's one-line error naming the
/// database, and nothing is written to `$TMPDIR`.
#[test]
fn issue14_case04_hostile_rpm_schema_is_refused_within_bounds() {
    let w = Work::new();
    let rpm = w.path("rootfs/var/lib/rpm");
    std::fs::create_dir_all(&rpm).expect("mkdir");
    let db = rpm.join("rpmdb.sqlite");
    const SCRIPT: &str = r#"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
           "SELECT x AS hnum, randomblob(4096) AS blob FROM c ORDER BY blob")
db.commit()
"#;
    let status = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(&db)
        .status()
        .expect("python3 (needed by the fixtures)");
    assert!(status.success(), "writing {}", db.display());
    let out = run_within(&w, 256 << 20, &[]);
    let err = one_line_error(&out, "a VIEW as Packages");
    assert!(
        err.contains("var/lib/rpm/rpmdb.sqlite") && err.contains("not a table"),
        "{err}"
    );
    w.assert_no_leftovers();
}

/// drydock-image's `tests/fixtures/make_hostile.py` inputs, written into `out` with an Alpine
/// 3.10 apk database whose packages have advisories in the test feeds.
fn hostile_fixtures(out: &Path) {
    const SCRIPT: &str = r#"
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
import make_hostile as m
m.APK_DB = (b"P:musl\nV:1.1.20-r4\nA:x86_64\no:musl\n\n"
            b"P:busybox\nV:1.29.3-r9\nA:x86_64\no:busybox\n\n")
m.OS_RELEASE = b'ID=alpine\nVERSION_ID=3.10.4\nPRETTY_NAME="Alpine Linux v3.10"\n'
m.main(sys.argv[2])
"#;
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../drydock-image/tests/fixtures");
    let status = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(&scripts)
        .arg(out)
        .status()
        .expect("python3 (needed by the fixtures)");
    assert!(status.success(), "make_hostile.py");
}

/// The findings of a JSON report, as `ID package installed`.
fn findings_in(out: &Output) -> std::collections::BTreeSet<String> {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    json["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| t["findings"].as_array().into_iter().flatten())
        .map(|f| {
            format!(
                "{} {} {}",
                f["id"].as_str().unwrap_or_default(),
                f["package"].as_str().unwrap_or_default(),
                f["installed"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// Issue 14 cases 1–3 through the binary, as a CI gate sees them: an apk database in a sparse
/// tar entry (old GNU, PAX 0.0, 0.1, 1.0, in a rootfs and in a docker-archive layer), behind a
/// directory symlink (a tarball, merged-/usr layers, a directory), in a root filesystem that
/// carries a decoy or unrelated `manifest.json`: each scan reports the findings the plain root
/// filesystem gives, and fails the gate (`--exit-code 1`). A rootfs carrying a complete decoy
/// docker-archive is read as that archive, says so and names `--input-kind rootfs`, with which
/// the findings are reported.
#[test]
fn issue14_cases_1_to_3_findings_are_reported() {
    let w = Work::new();
    let dir = w.path("hostile");
    hostile_fixtures(&dir);
    let db = crate::scan::db().to_str().expect("UTF-8");
    let scan = |name: &str, extra: &[&str]| {
        let path = dir.join(name);
        let cmd = if path.is_dir() { "fs" } else { "image" };
        let path = path.to_str().expect("UTF-8").to_string();
        let mut args = vec![
            cmd,
            &path,
            "--db",
            db,
            "--format",
            "json",
            "--exit-code",
            "1",
        ];
        args.extend_from_slice(extra);
        w.run(&args)
    };
    let plain = scan("case01-plain-rootfs.tar", &[]);
    assert_eq!(plain.status.code(), Some(1), "{plain:?}");
    let want = findings_in(&plain);
    assert!(
        want.iter().any(|f| f.contains(" musl ")) && want.iter().any(|f| f.contains(" busybox ")),
        "the plain rootfs has findings for both packages: {want:?}"
    );
    for name in [
        "case01-sparse-gnu-rootfs.tar",
        "case01-sparse-pax0.0-rootfs.tar",
        "case01-sparse-pax0.1-rootfs.tar",
        "case01-sparse-pax1.0-rootfs.tar",
        "case01-sparse-docker-archive.tar",
        "case02-dirlink-rootfs.tar",
        "case02-merged-usr-layers.tar",
        "case02-dirlink-dir",
        "case03-decoy-manifest-rootfs.tar",
        "case03-unrelated-manifest-rootfs.tar",
    ] {
        let out = scan(name, &[]);
        assert_eq!(out.status.code(), Some(1), "{name}: {out:?}");
        assert_eq!(findings_in(&out), want, "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        if name.starts_with("case03") {
            assert!(
                err.contains("does not describe a docker-archive")
                    && err.contains("--input-kind docker-archive"),
                "{name}: says what was detected: {err}"
            );
        }
    }
    let out = scan("case03-full-decoy-rootfs.tar", &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is read as a docker-archive") && err.contains("--input-kind rootfs"),
        "{err}"
    );
    let out = scan("case03-full-decoy-rootfs.tar", &["--input-kind", "rootfs"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(findings_in(&out), want);
}

/// Issue 14 case 14 through the binary: `drydock fs` on a tree holding a wanted file deeper
/// than `PATH_MAX` prints one warning with the count and the first path, cut, and nothing
/// else of it.
#[test]
fn issue14_case14_paths_past_path_max_are_printed_counted_and_cut() {
    let w = Work::new();
    let dir = w.path("hostile");
    hostile_fixtures(&dir);
    let tree = dir.join("case14-deep-dir");
    let out = w.run(&["sbom", tree.to_str().expect("UTF-8")]);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("PATH_MAX")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("path(s) longer than PATH_MAX (4096 bytes) were not read"),
        "{err}"
    );
    assert!(
        lines[0].contains(&format!("{}…(", "d".repeat(120))),
        "the first path, cut: {err}"
    );
    assert!(lines[0].len() < 2048, "{} bytes", lines[0].len());
    assert_no_control_chars(&out.stderr, "stderr");
}
