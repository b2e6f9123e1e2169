//! Issue 13: the scanner as a Trivy user meets it. Trivy's CI lines with the binary name
//! changed, the report grouped by source, honest coverage, short errors and plain logs, help
//! texts, `drydock version`, and SBOMs as scan targets.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use crate::scan::db;
use crate::{assert_success, corpus, drydock, shared, stdout, stdout_json};

pub(crate) fn alpine373() -> PathBuf {
    shared().join("data/images/alpine-3.7.3-minirootfs.tar.gz")
}

fn run(args: &[&str]) -> Output {
    drydock()
        .args(args)
        .env("DRYDOCK_DB", db())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run drydock")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A run that must fail with exit status 2 and exactly one `drydock: error:` line naming
/// `needle`.
#[track_caller]
pub(crate) fn one_error_line(out: &Output, needle: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(lines[0].starts_with("drydock: error: "), "{err}");
    assert!(lines[0].contains(needle), "`{needle}` in: {err}");
    err
}

// ---- errors, logs, help, version ----

#[test]
fn usage_errors_are_one_line_with_one_prefix() {
    let a = alpine373();
    let a = a.to_str().expect("UTF-8 path");
    let err = one_error_line(&run(&["image", a, "--no-such-flag"]), "--no-such-flag");
    assert!(err.contains("drydock image --help"), "{err}");
    // With DRYDOCK_DB set, nothing suggests `--db` is required.
    assert!(!err.contains("--db <PATH>"), "{err}");
    one_error_line(&run(&["image"]), "TARGET");
    one_error_line(
        &run(&["image", a, "--format", "nope"]),
        "unknown format `nope`",
    );
}

#[test]
fn logs_on_a_file_carry_no_colour_codes_and_debug_is_vv() {
    let dir = tempfile::tempdir().expect("temp dir");
    let build = |flag: &str| {
        drydock()
            .args([flag, "db", "build", "--feeds"])
            .arg(shared().join("data/advisories"))
            .arg("--db")
            .arg(dir.path().join("d.db"))
            .env_remove("NO_COLOR")
            .output()
            .expect("run drydock db build")
    };
    let debug = build("--debug");
    assert_success(&debug, "drydock --debug db build");
    let err = stderr(&debug);
    assert!(
        err.contains("INFO"),
        "--debug logs info and debug lines: {err}"
    );
    assert!(
        !err.contains('\x1b'),
        "no ANSI codes in a log file: {err:?}"
    );
    let vv = build("-vv");
    let levels = |s: &str| -> Vec<String> {
        s.lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect()
    };
    assert_eq!(levels(&err), levels(&stderr(&vv)), "--debug is -vv");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = drydock()
        .args(["sbom"])
        .arg(alpine373())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run drydock");
    // `| head -1`: read one byte, then close the pipe.
    let mut out = child.stdout.take().expect("stdout");
    let mut one = [0u8; 1];
    out.read_exact(&mut one).expect("some output");
    drop(out);
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status}: {err}");
    assert!(!err.contains("Broken pipe"), "{err}");
}

#[test]
fn version_prints_version_commit_and_db_age() {
    for args in [&["version"][..], &["--version"][..]] {
        let out = run(args);
        let text = stdout(&out, "drydock version");
        assert!(
            text.starts_with(&format!("drydock {} (commit ", env!("CARGO_PKG_VERSION"))),
            "{text}"
        );
        assert!(text.contains("DB built "), "{text}");
        assert!(text.contains(" ago"), "{text}");
    }
    // The comparisons are still there.
    let out = run(&["version", "cmp", "deb", "1.0~rc1-1", "1.0-1"]);
    assert_eq!(stdout(&out, "version cmp").trim(), "<");
}

#[test]
fn help_texts_have_examples_and_only_what_is_accepted() {
    let help = |args: &[&str]| stdout(&run(args), &args.join(" "));
    let sbom = help(&["sbom", "--help"]);
    assert!(sbom.contains("cyclonedx") && sbom.contains("spdx-json"));
    for absent in ["sarif", "markdown", "junit", "csv"] {
        assert!(
            !sbom.contains(absent),
            "`sbom --help` offers `{absent}`: {sbom}"
        );
    }
    for sub in [
        &["db", "build", "--help"][..],
        &["db", "update", "--help"],
        &["db", "status", "--help"],
        &["version", "--help"],
    ] {
        assert!(help(sub).contains("Examples:"), "{sub:?}");
    }
}

#[test]
fn db_build_sums_up_skipped_records_in_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let build = |extra: &[&str]| {
        drydock()
            .args(extra)
            .args(["db", "build", "--feeds"])
            .arg(shared().join("data/advisories"))
            .arg("--db")
            .arg(dir.path().join("d.db"))
            .output()
            .expect("run drydock db build")
    };
    let out = build(&[]);
    assert_success(&out, "db build");
    let err = stderr(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("skipped `"),
        "no skip list on stdout: {text}"
    );
    let summary: Vec<&str> = err.lines().filter(|l| l.contains("skipped")).collect();
    assert!(summary.len() <= 1, "one summary line: {err}");
    if let [line] = summary.as_slice() {
        assert!(line.contains("-v lists them"), "{line}");
        let quiet = build(&["-q"]);
        assert_success(&quiet, "db build -q");
        assert_eq!(stderr(&quiet), "", "-q silences the summary");
        let verbose = build(&["-v"]);
        assert!(
            stderr(&verbose)
                .lines()
                .filter(|l| l.contains("skipped: "))
                .count()
                >= 1
        );
    }
    let missing = drydock()
        .args(["db", "build", "--feeds", "/nonexistent/feeds", "--db"])
        .arg(dir.path().join("e.db"))
        .output()
        .expect("run");
    one_error_line(&missing, "no such file or directory");
}

// ---- registry errors ----

#[test]
fn an_unreachable_registry_fails_at_once_and_says_offline() {
    // Port 1 on loopback: nothing listens, the connection is refused.
    let out = run(&["image", "127.0.0.1:1/app:1"]);
    let err = one_error_line(&out, "cannot reach `127.0.0.1:1` (offline?)");
    assert!(!err.contains("retrying"), "{err}");
    // A name that cannot resolve.
    let out = run(&["image", "registry.invalid/app:1"]);
    let err = one_error_line(&out, "cannot reach `registry.invalid` (offline?)");
    assert!(!err.contains("retrying"), "{err}");
}

/// A registry that answers 503 (with `Retry-After: 0`) to the first manifest request and 404
/// to every later one: the scan retries once, saying so on one line without `-v`, then fails.
#[test]
fn each_retry_prints_one_line() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut manifests = 0;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            // drydock first tries HTTPS: a TLS hello never ends in a blank line.
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(300)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let head = String::from_utf8_lossy(&buf);
            let reply = if !head.starts_with("GET ") {
                "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            } else if head.contains("/manifests/") {
                manifests += 1;
                if manifests == 1 {
                    "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                } else {
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                }
            } else {
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
            };
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    let out = run(&["image", &format!("127.0.0.1:{port}/app:1"), "--insecure"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let retries: Vec<&str> = err.lines().filter(|l| l.contains("retrying in")).collect();
    assert_eq!(retries.len(), 1, "one line per retry, without -v: {err}");
    assert!(retries[0].contains("503"), "{err}");
}

// ---- formats ----

#[test]
fn format_template_with_trivys_sarif_template_writes_sarif() {
    let a = alpine373();
    let a = a.to_str().expect("UTF-8 path");
    let out = run(&[
        "image",
        a,
        "--format",
        "template",
        "--template",
        "@contrib/sarif.tpl",
    ]);
    let sarif = stdout_json(&out, "--format template");
    assert_eq!(sarif["version"], "2.1.0");
    let out = run(&[
        "image",
        a,
        "--format",
        "template",
        "--template",
        "@contrib/gitlab.tpl",
    ]);
    let err = one_error_line(&out, "no template engine");
    assert!(err.contains("sarif") && err.contains("trivy-json"), "{err}");
}

#[test]
fn trivy_json_has_trivys_shape() {
    let a = alpine373();
    let out = run(&[
        "image",
        a.to_str().expect("UTF-8 path"),
        "--format",
        "trivy-json",
    ]);
    let v = stdout_json(&out, "--format trivy-json");
    assert_eq!(v["SchemaVersion"], 2);
    let ids: Vec<&str> = v["Results"]
        .as_array()
        .expect("Results")
        .iter()
        .flat_map(|r| r["Vulnerabilities"].as_array().into_iter().flatten())
        .filter_map(|x| x["VulnerabilityID"].as_str())
        .collect();
    assert_eq!(ids, ["CVE-2019-14697", "CVE-2019-14697"]);
    assert_eq!(v["Results"][0]["Class"], "os-pkgs");
}

/// The corpus image as a docker-archive, when built.
fn corpus_archive() -> Option<PathBuf> {
    corpus().map(|c| c.join("debian-app/docker-archive.tar"))
}

/// (package, installed, id) of every finding, sorted and distinct.
fn ids_of(report: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = report["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| t["findings"].as_array().into_iter().flatten())
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("package"), s("installed"), s("id"))
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

fn scan_json(cmd: &str, target: &Path, extra: &[&str]) -> serde_json::Value {
    let out = drydock()
        .arg(cmd)
        .arg(target)
        .args(["--format", "json"])
        .args(extra)
        .env("DRYDOCK_DB", db())
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run drydock");
    stdout_json(&out, cmd)
}

// ---- Trivy's CI flags ----

#[test]
fn a_trivy_ci_line_works_with_the_binary_name_changed() {
    let a = alpine373();
    let a = a.to_str().expect("UTF-8 path");
    let cache = tempfile::tempdir().expect("temp dir");
    let cache = cache.path().to_str().expect("UTF-8 path");
    let out = run(&[
        "image",
        "--input",
        a,
        "--scanners",
        "vuln",
        "--security-checks",
        "vuln",
        "--vuln-type",
        "os,library",
        "--pkg-types",
        "os,library",
        "--list-all-pkgs",
        "--no-progress",
        "--timeout",
        "10m",
        "--quiet",
        "--skip-db-update",
        "--skip-update",
        "--offline-scan",
        "--skip-java-db-update",
        "--ignorefile",
        "/dev/null",
        "--exit-on-eol",
        "0",
        "--cache-dir",
        cache,
        "--skip-dirs",
        "/nothing/here",
        "--skip-files",
        "**/nothing.txt",
        "--severity",
        "HIGH,CRITICAL",
        "--exit-code",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(ids_of(&report).len(), 2, "musl and musl-utils");
    assert_eq!(report["gate"]["failed"], true);
    // `--input` and TARGET are the same thing; both at once is a usage error.
    one_error_line(&run(&["image", a, "--input", a]), "--input");
}

#[test]
fn scanners_drydock_does_not_have_are_clear_errors() {
    let a = alpine373();
    let a = a.to_str().expect("UTF-8 path");
    // misconfig and secret are scanners now (tests/it/misconfig_scan.rs); licences are not.
    one_error_line(
        &run(&["image", a, "--scanners", "vuln,license"]),
        "`drydock sbom`",
    );
    one_error_line(
        &run(&["image", a, "--security-checks", "license"]),
        "does not check licences",
    );
    one_error_line(
        &run(&["image", a, "--scanners", "bogus"]),
        "unknown scanner `bogus`",
    );
    one_error_line(
        &run(&["image", a, "--pkg-types", "kernel"]),
        "unknown package type",
    );
    one_error_line(&run(&["image", a, "--timeout", "ten"]), "invalid duration");
}

#[test]
fn pkg_types_select_os_or_language_packages() {
    let a = alpine373();
    assert_eq!(
        ids_of(&scan_json("image", &a, &["--pkg-types", "os"])).len(),
        2
    );
    let lib = scan_json("image", &a, &["--vuln-type", "library"]);
    assert_eq!(ids_of(&lib).len(), 0);
    assert_eq!(
        lib["targets"][0]["packages"].as_array().map(Vec::len),
        Some(0)
    );
}

#[test]
fn timeout_stops_a_scan_that_takes_longer() {
    let a = alpine373();
    let out = run(&["image", a.to_str().expect("UTF-8 path"), "--timeout", "1ms"]);
    one_error_line(&out, "did not finish within");
}

/// A checkout whose test fixtures hold vulnerable lockfiles: `--skip-dirs` leaves them out
/// (issue 13: all of drydock's own findings came from `tests/fixtures`).
#[test]
fn skip_dirs_and_skip_files_leave_a_checkouts_fixtures_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lock = |name: &str, version: &str| {
        format!(
            "version = 3\n\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        )
    };
    let write = |rel: &str, text: String| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    write("Cargo.lock", lock("regex", "1.5.4"));
    write(
        "crates/x/tests/fixtures/app/Cargo.lock",
        lock("smallvec", "1.6.0"),
    );
    let ids = |extra: &[&str]| -> Vec<String> {
        ids_of(&scan_json("fs", dir.path(), extra))
            .into_iter()
            .map(|(p, _, _)| p)
            .collect()
    };
    let all = ids(&[]);
    assert!(
        all.contains(&"regex".to_string()) && all.contains(&"smallvec".to_string()),
        "{all:?}"
    );
    let kept = ids(&["--skip-dirs", "**/tests/fixtures"]);
    assert!(
        kept.iter().all(|p| p == "regex") && !kept.is_empty(),
        "{kept:?}"
    );
    let kept = ids(&["--skip-files", "crates/**/Cargo.lock"]);
    assert!(
        kept.iter().all(|p| p == "regex") && !kept.is_empty(),
        "{kept:?}"
    );
    assert_eq!(
        ids(&["--skip-files", "**/Cargo.lock"]),
        Vec::<String>::new()
    );
    // Warnings about files under skipped directories go too.
    write(
        "crates/x/tests/fixtures/bad/package-lock.json",
        "{".to_string(),
    );
    let target = dir.path().to_str().expect("UTF-8 path");
    let warned = stderr(&run(&["fs", target]));
    assert!(
        warned.contains("fixtures/bad/package-lock.json"),
        "{warned}"
    );
    let skipped = stderr(&run(&["fs", target, "--skip-dirs", "**/tests/fixtures"]));
    assert!(!skipped.contains("fixtures/bad"), "{skipped}");
}

// ---- honest coverage ----

#[test]
fn an_empty_directory_warns_no_packages_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run(&["fs", dir.path().to_str().expect("UTF-8 path")]);
    assert_success(&out, "drydock fs EMPTY");
    assert!(
        stderr(&out).contains("no packages found"),
        "{}",
        stderr(&out)
    );
}

/// Issue 13: 88 deb and 78 npm packages of the corpus image against a DB without Debian and
/// npm feeds are reported as not checked, per target.
#[test]
fn corpus_packages_without_an_advisory_source_are_reported_as_not_checked() {
    let Some(image) = corpus_archive() else {
        return;
    };
    let report = scan_json("image", &image, &[]);
    let cov = report["targets"][0]["coverage"]
        .as_array()
        .expect("coverage");
    let entry = |eco: &str| {
        cov.iter()
            .find(|c| c["ecosystem"] == eco)
            .unwrap_or_else(|| panic!("{eco} in {cov:?}"))
    };
    let packages = report["targets"][0]["packages"]
        .as_array()
        .expect("packages");
    let count = |eco: &str| packages.iter().filter(|p| p["ecosystem"] == eco).count();
    for eco in ["deb", "npm"] {
        assert_eq!(entry(eco)["unmatched"], count(eco), "{eco}");
        assert_eq!(entry(eco)["matched"], 0);
        assert!(entry(eco)["reason"].as_str().is_some());
    }
    for eco in ["pypi", "cargo", "golang"] {
        assert_eq!(entry(eco)["matched"], count(eco), "{eco}");
        assert_eq!(entry(eco)["unmatched"], 0);
    }
    let out = run(&["image", image.to_str().expect("UTF-8 path")]);
    let table = stdout(&out, "drydock image corpus");
    let line = table
        .lines()
        .find(|l| l.starts_with("Not checked:"))
        .unwrap_or_else(|| panic!("a coverage line: {table}"));
    assert!(
        line.contains(&format!("{} deb packages", count("deb"))),
        "{line}"
    );
    // And the table names where each finding comes from.
    assert!(
        table.contains("usr/local/bin/hello-go (gobinary)"),
        "{table}"
    );
    // Primary URLs: the advisory's own page, never a private repository
    // (CVE-2019-16789's record lists github.com/github/advisory-review first).
    let findings = report["targets"][0]["findings"]
        .as_array()
        .expect("findings");
    let pages = [
        "https://nvd.nist.gov/vuln/detail/",
        "https://github.com/advisories/",
        "https://rustsec.org/advisories/",
        "https://pkg.go.dev/vuln/",
        "https://osv.dev/vulnerability/",
    ];
    for f in findings {
        let url = f["primary_url"].as_str().unwrap_or_default();
        assert!(
            pages.iter().any(|p| url.starts_with(p)),
            "{}: {url}",
            f["id"]
        );
    }
    assert!(findings.iter().any(|f| f["id"] == "CVE-2019-16789"));
}

/// A distribution release the feeds do not cover (Alpine 3.20 against a secdb that ends at
/// 3.11), given as an SBOM.
#[test]
fn a_release_the_feeds_do_not_cover_is_not_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bom = dir.path().join("bom.cdx.json");
    let doc = serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "components": [
            {"type": "operating-system", "name": "alpine", "version": "3.20.1"},
            {"type": "library", "name": "musl", "version": "1.2.5-r0",
             "purl": "pkg:apk/alpine/musl@1.2.5-r0?distro=alpine-3.20.1"}
        ]
    });
    std::fs::write(&bom, doc.to_string()).expect("write");
    let report = scan_json("image", &bom, &[]);
    let cov = &report["targets"][0]["coverage"][0];
    assert_eq!(cov["source"], "alpine 3.20");
    assert_eq!(cov["unmatched"], 1);
    let reason = cov["reason"].as_str().expect("a reason");
    assert!(
        reason.contains("3.11") && reason.contains("3.20"),
        "{reason}"
    );
}

// ---- SBOMs as targets ----

#[test]
fn a_json_file_that_is_no_sbom_is_one_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = dir.path().join("x.json");
    std::fs::write(&f, "{\"a\": 1}").expect("write");
    one_error_line(
        &run(&["image", f.to_str().expect("UTF-8 path")]),
        "neither CycloneDX",
    );
}

/// Issue 13 round trip: `drydock sbom X --format cyclonedx` (and spdx-json), then scanning
/// that SBOM gives the findings of scanning X.
#[test]
fn scanning_an_sbom_of_the_corpus_gives_the_corpus_findings() {
    let Some(image) = corpus_archive() else {
        return;
    };
    let want = ids_of(&scan_json("image", &image, &[]));
    assert!(want.len() > 100, "{}", want.len());
    let dir = tempfile::tempdir().expect("temp dir");
    for (format, file) in [
        ("cyclonedx", "bom.cdx.json"),
        ("spdx-json", "bom.spdx.json"),
    ] {
        let bom = dir.path().join(file);
        let out = drydock()
            .arg("sbom")
            .arg(&image)
            .args(["--format", format, "--output"])
            .arg(&bom)
            .output()
            .expect("run drydock sbom");
        assert_success(&out, "drydock sbom");
        let report = scan_json("image", &bom, &[]);
        assert_eq!(ids_of(&report), want, "{format}");
        assert_eq!(report["targets"][0]["os"]["family"], "debian");
    }
}

/// SBOMs Trivy writes of the corpus image (CycloneDX 1.7, SPDX 2.3) scan to the same findings
/// as the image itself.
#[test]
fn scanning_trivys_sboms_of_the_corpus_gives_the_corpus_findings() {
    let Some(image) = corpus_archive() else {
        return;
    };
    // Trivy spells Go's toolchain `v1.19.8` where drydock says `1.19.8`: compare the
    // vulnerabilities per package.
    let pairs = |r: &serde_json::Value| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> =
            ids_of(r).into_iter().map(|(p, _, id)| (p, id)).collect();
        v.dedup();
        v
    };
    let want = pairs(&scan_json("image", &image, &[]));
    let dir = tempfile::tempdir().expect("temp dir");
    for (format, file) in [
        ("cyclonedx", "trivy.cdx.json"),
        ("spdx-json", "trivy.spdx.json"),
    ] {
        let cache = tempfile::tempdir().expect("temp dir");
        let Some(bom) = crate::trivy(&image, cache.path(), &["--format", format]) else {
            return;
        };
        let path = dir.path().join(file);
        std::fs::write(&path, bom.to_string()).expect("write the SBOM");
        let report = scan_json("image", &path, &[]);
        assert_eq!(pairs(&report), want, "Trivy's {format}");
    }
}

#[test]
fn help_says_what_each_command_takes() {
    let help = |args: &[&str]| stdout(&run(args), &args.join(" "));
    let fs = help(&["fs", "--help"]);
    assert!(fs.contains("The directory to scan"), "{fs}");
    assert!(fs.contains("drydock fs . --skip-dirs"), "{fs}");
    assert!(
        !fs.contains("drydock image"),
        "fs --help has its own examples: {fs}"
    );
    // TARGET is a directory, not the image kinds `drydock image` lists.
    assert!(!fs.contains("`docker save` output"), "{fs}");
    let image = help(&["image", "--help"])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(image.contains("SBOM"), "{image}");
    assert!(image.contains("A directory is `drydock fs`"), "{image}");
    assert!(image.contains("Trivy compatibility"), "{image}");
}
