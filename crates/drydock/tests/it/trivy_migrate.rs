//! Issue 13's last parts, as a Trivy user meets them: `.trivyignore` comments as reasons and
//! the summary of what was ignored, `--platform` against a single-platform image, Trivy's cache
//! flags; and issue 14 case 13: text from an image never reaches the terminal raw.

use std::path::Path;
use std::process::Output;

use crate::fixtures::{ALPINE_OS_RELEASE, Entry, Platform, oci_layout, simple_layout};
use crate::scan::db;
use crate::trivy_compat::{alpine373, one_error_line};
use crate::{corpus, drydock};

/// `drydock ARGS` with the test DB, a fixed clock, in `dir`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    drydock()
        .args(args)
        .env("DRYDOCK_DB", db())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .current_dir(dir)
        .output()
        .expect("run drydock")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---- .trivyignore ----

#[test]
fn trivyignore_comments_are_reasons_and_the_table_sums_up_what_was_ignored() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join(".trivyignore"),
        "# musl's x87 code is not built for x86_64\nCVE-2019-14697\n\nCVE-2000-0001 # an old one\n\nCVE-2019-14697 exp:2001-01-01\n# kept from last year\n",
    )
    .expect("write .trivyignore");
    let image = alpine373();
    let image = image.to_str().expect("UTF-8 path");
    let out = run_in(dir.path(), &["image", image]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains(
            "2 findings ignored by `./.trivyignore` (1 rule); 1 rule matched nothing; 1 rule expired and no longer suppresses"
        ),
        "{table}"
    );
    assert!(
        table.contains(
            "./.trivyignore:2  CVE-2019-14697 (2 findings): musl's x87 code is not built for x86_64"
        ),
        "{table}"
    );
    // The expired rule warns; the entries without an expiry (or reason) are one warning for
    // the file, not one per entry.
    let err = text(&out.stderr);
    assert!(
        err.lines()
            .any(|l| l.contains(".trivyignore:6") && l.contains("expired on 2001-01-01")),
        "{err}"
    );
    let unjustified: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("no reason or expiry date"))
        .collect();
    assert_eq!(unjustified.len(), 1, "{err}");
    assert!(unjustified[0].contains("2 entries have"), "{err}");

    // JSON: the comment is the suppressed findings' reason, the location is apart.
    let out = run_in(dir.path(), &["image", image, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let suppressed: Vec<&serde_json::Value> = report["targets"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["verdict"] == "suppressed")
        .collect();
    assert_eq!(suppressed.len(), 2, "musl and musl-utils");
    for f in suppressed {
        assert_eq!(f["reason"], "musl's x87 code is not built for x86_64");
        assert_eq!(f["suppressed_by"], "./.trivyignore:2");
    }
}

// ---- --platform ----

#[test]
fn platform_of_a_single_platform_archive_must_match_when_given() {
    let Some(corpus) = corpus() else {
        return;
    };
    let tmp = std::env::temp_dir();
    for image in ["debian-app/docker-archive.tar", "debian-app/oci"] {
        let image = corpus.join(image);
        let image = image.to_str().expect("UTF-8 path");
        let out = run_in(
            &tmp,
            &["image", image, "--platform", "linux/arm64", "-f", "json"],
        );
        let err = one_error_line(&out, "is a `linux/amd64` image, not `linux/arm64`");
        assert!(err.contains("--platform"), "{err}");
        assert!(out.stdout.is_empty(), "no report");
        // The image's own platform, given or not, is accepted silently.
        for extra in [&["--platform", "linux/amd64"][..], &[]] {
            let out = run_in(&tmp, &[&["image", image, "-f", "json"], extra].concat());
            assert!(
                out.status.success(),
                "{image} {extra:?}: {}",
                text(&out.stderr)
            );
            assert!(
                !text(&out.stderr).contains("platform"),
                "{}",
                text(&out.stderr)
            );
        }
    }
}

// ---- Trivy's cache flags ----

#[test]
fn trivys_cache_flags_clean_what_they_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let cache_s = cache.to_str().expect("UTF-8 path");
    let db_file = dir.path().join("drydock.db");
    let db_s = db_file.to_str().expect("UTF-8 path");
    let put_db = || std::fs::copy(db(), &db_file).expect("copy the DB");
    let cache_cmd = |args: &[&str]| {
        drydock()
            .args(["cache", "clean"])
            .args(args)
            .args(["--cache-dir", cache_s, "--db", db_s])
            .output()
            .expect("run drydock cache")
    };

    // `trivy clean --scan-cache` (and plain `clean`): the scan caches; the DB stays.
    put_db();
    for args in [&["--scan-cache"][..], &[]] {
        let out = cache_cmd(args);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(stdout.contains("layer cache records"), "{stdout}");
        assert!(stdout.contains(cache_s), "under --cache-dir: {stdout}");
        assert!(db_file.is_file(), "{args:?} keeps the DB");
    }
    // `trivy clean --vuln-db`: only the DB.
    let out = cache_cmd(&["--vuln-db"]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("removed the vulnerability DB"), "{stdout}");
    assert!(!stdout.contains("layer cache"), "{stdout}");
    assert!(!db_file.exists());
    // `trivy clean --all`: both.
    put_db();
    let out = cache_cmd(&["--all"]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("layer cache records"), "{stdout}");
    assert!(!db_file.exists(), "{stdout}");
    // What drydock has no counterpart of is said, not silently done.
    let out = cache_cmd(&["--java-db", "--checks-bundle", "--vex-repo"]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).matches("nothing to remove").count(), 3);

    // `trivy image --clear-cache`: empty the caches, no scan.
    put_db();
    let out = drydock()
        .args([
            "image",
            "--clear-cache",
            "--cache-dir",
            cache_s,
            "--db",
            db_s,
        ])
        .output()
        .expect("run drydock");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "no report");
    assert!(text(&out.stderr).contains("layer cache records"));
    assert!(db_file.is_file());
    // `trivy image --reset`: the DB too.
    let out = drydock()
        .args(["image", "--reset", "--cache-dir", cache_s, "--db", db_s])
        .output()
        .expect("run drydock");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!db_file.exists());
    // With a target, `--clear-cache` would silently not scan: a usage error instead.
    let out = drydock()
        .args(["image", "alpine.tar", "--clear-cache"])
        .output()
        .expect("run drydock");
    one_error_line(&out, "--clear-cache");

    // `drydock cache info --cache-dir` reports that directory.
    let out = drydock()
        .args(["cache", "info", "--cache-dir", cache_s])
        .output()
        .expect("run drydock");
    assert!(text(&out.stdout).contains(cache_s), "{}", text(&out.stdout));
}

// ---- issue 14 case 13 ----

/// A package name with a colour escape, a carriage return and a right-to-left override.
const EVIL: &str = "evil\u{1b}[31mred\rover\u{202e}txt";

#[track_caller]
fn assert_inert(bytes: &[u8], what: &str) {
    let s = text(bytes);
    for bad in ['\u{1b}', '\r', '\u{202e}'] {
        assert!(!s.contains(bad), "{what}: raw {bad:?} in: {s}");
    }
}

#[test]
fn issue14_case13_image_text_is_escaped_in_table_markdown_and_errors() {
    // An apk package whose name is hostile and whose origin is musl: it is matched (by its
    // origin) and its name is printed in the findings.
    let apk = format!("P:{EVIL}\nV:1.1.18-r3\nA:x86_64\no:musl\n\n");
    let os_release = ALPINE_OS_RELEASE.replace("3.10.4", "3.7.3");
    let layer = vec![
        Entry::File("etc/os-release", os_release.into_bytes()),
        Entry::File("lib/apk/db/installed", apk.into_bytes()),
    ];
    let (_t, layout) = simple_layout(vec![layer.clone()]);
    let layout = layout.to_str().expect("UTF-8 path");
    let tmp = std::env::temp_dir();
    for format in ["table", "markdown"] {
        let out = run_in(&tmp, &["image", layout, "--no-cache", "-f", format]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("CVE-2019-14697"),
            "{format}: matched: {stdout}"
        );
        assert!(
            stdout.contains("u{1b}"),
            "{format}: shown escaped: {stdout}"
        );
        assert_inert(&out.stdout, format);
        assert_inert(&out.stderr, "stderr");
    }
    // An error quoting the image's tags: the layout's only tag is hostile.
    let dir = tempfile::tempdir().expect("temp dir");
    let evil_layout = dir.path().join("layout");
    // The fixture writes the name into index.json as is: give it JSON-escaped.
    let json_name = serde_json::to_string(EVIL).expect("a JSON string");
    oci_layout(
        &evil_layout,
        &[(
            Platform {
                os: "linux",
                arch: "amd64",
            },
            vec![layer],
        )],
        Some(json_name.trim_matches('"')),
    );
    // A log line quoting the image's name: an image with no packages warns naming it.
    let empty_layout = dir.path().join("empty");
    oci_layout(
        &empty_layout,
        &[(
            Platform {
                os: "linux",
                arch: "amd64",
            },
            vec![vec![Entry::File("etc/hostname", b"x".to_vec())]],
        )],
        Some(json_name.trim_matches('"')),
    );
    let out = run_in(
        &tmp,
        &["image", empty_layout.to_str().expect("UTF-8"), "--no-cache"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("no packages found in"), "{err}");
    assert!(err.contains("\\r"), "the CR shown escaped: {err}");
    assert_inert(&out.stderr, "log line");

    let target = format!("{}:nosuchtag", evil_layout.display());
    let out = run_in(&tmp, &["image", &target]);
    let err = one_error_line(&out, "nosuchtag");
    assert!(
        err.contains("evil\\u{1b}[31mred\\rover\\u{202e}txt"),
        "{err}"
    );
    assert_inert(&out.stderr, "error");
}
