//! `drydock publish` through the CLI, on a run of the test fleet (`DRYDOCK_FLEET`, built by
//! `.ci/setup.d/fleet.sh`) in a SQLite store: the release CSV (columns, rows per image against
//! what `fleet scan` counted, fleet order, `mirrored`, a triaged row), the site (every page
//! there, every relative link resolving, the triage reason escaped, every page valid HTML by the
//! Nu HTML Checker), two runs byte for byte the same, and a bad store as one clear error.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

#[path = "../../../drydock-triage/tests/support/site_check.rs"]
mod site_check;

use super::scan::db;
use super::{assert_success, drydock, require, stdout};

/// Today for every command (2026-06-01): expiry is judged against it, and the site is dated by it.
const NOW: &str = "1780272000";
const RELEASE: &str = "v1.1";
/// A triage reason with markup in it: it must reach the page as text.
const REASON: &str = r#"only <script>alert("x")</script> & admins reach it"#;

fn fleet_yaml() -> Option<PathBuf> {
    let dir = std::env::var_os("DRYDOCK_FLEET").map_or_else(
        || PathBuf::from("/var/cache/drydock-ci/fleet"),
        PathBuf::from,
    );
    let f = dir.join("fleet.yaml");
    require(
        "the test fleet (.ci/setup.d/fleet.sh)",
        f.is_file().then_some(f),
    )
}

fn publish(store: &str, out: &Path, extra: &[&str]) -> Output {
    drydock()
        .args(["publish", "--store", store, "--out"])
        .arg(out)
        .args(extra)
        .env("SOURCE_DATE_EPOCH", NOW)
        .output()
        .expect("run drydock publish")
}

/// The `href`/`src` targets of a page that are files of the site (not URLs, not fragments).
fn local_links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            let target = &rest[..rest.find('"').expect("a closed attribute")];
            let target = target.split('#').next().unwrap_or_default();
            if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
                out.push(target.to_string());
            }
        }
    }
    out
}

#[test]
fn publish_writes_the_release_csv_and_a_valid_site_the_same_twice() {
    let Some(fleet) = fleet_yaml() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let store = tmp.path().join("history.db").display().to_string();
    let out = drydock()
        .args(["fleet", "scan"])
        .arg(&fleet)
        .args(["--release", RELEASE, "--db"])
        .arg(db())
        .args(["--store", &store, "--cache-dir"])
        .arg(tmp.path().join("cache"))
        .args(["--no-progress", "--format", "json", "--run-id", "r1"])
        .env("SOURCE_DATE_EPOCH", NOW)
        .output()
        .expect("run drydock fleet scan");
    // 3: the fleet has an image that cannot be scanned on purpose (the run completes).
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "fleet scan: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan: Value = serde_json::from_slice(&out.stdout).expect("the fleet scan's JSON");
    let images = scan["images"].as_array().expect("images");
    // HIGH + CRITICAL per image reference, as the scan counted them, in fleet order.
    let counted: Vec<(String, u64)> = images
        .iter()
        .map(|i| {
            let n = |s: &str| i["findings"][s].as_u64().unwrap_or(0);
            (
                i["reference"].as_str().expect("reference").to_string(),
                n("HIGH") + n("CRITICAL"),
            )
        })
        .collect();
    let fleet_text = std::fs::read_to_string(&fleet).expect("fleet.yaml");
    let release_block = fleet_text
        .split("- name: ")
        .find(|b| b.starts_with(RELEASE))
        .expect("the release in the fleet file");
    // Accept one CRITICAL or HIGH finding of the first image that has one, with markup in
    // the reason.
    let (image, repo) = images
        .iter()
        .find(|i| i["findings"]["CRITICAL"].as_u64().unwrap_or(0) > 0)
        .map(|i| {
            (
                i["reference"].as_str().expect("reference").to_string(),
                i["repository"].as_str().expect("repository").to_string(),
            )
        })
        .expect("an image with a CRITICAL finding");
    let first = tmp.path().join("first");
    assert_success(&publish(&store, &first, &[]), "publish before triage");
    let csv_path = first.join(format!("{RELEASE}.csv"));
    let before = std::fs::read_to_string(&csv_path).expect("the release CSV");
    let row = before
        .lines()
        .find(|l| l.starts_with(&format!("{image},")) && l.contains(",CRITICAL,"))
        .expect("a CRITICAL row of that image");
    let cols: Vec<&str> = row.split(',').collect();
    let (pkg, vuln) = (cols[1], cols[3]);
    let set = drydock()
        .args([
            "triage",
            "set",
            vuln,
            "--package",
            pkg,
            "--repository",
            &repo,
        ])
        .args([
            "--state",
            "accepted",
            "--reason",
            REASON,
            "--expires",
            "2026-09-01",
        ])
        .args(["--by", "tester", "--store", &store])
        .env("SOURCE_DATE_EPOCH", NOW)
        .output()
        .expect("run drydock triage set");
    assert_success(&set, "triage set");

    // Two publications of the same store: the same bytes, file for file.
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let said = stdout(&publish(&store, &a, &[]), "publish a");
    assert_success(&publish(&store, &b, &[]), "publish b");
    let site = site_check::tree(&a);
    let again = site_check::tree(&b);
    assert_eq!(
        site.keys().collect::<Vec<_>>(),
        again.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &site {
        assert!(again[name] == *bytes, "{name} differs between two runs");
    }

    // The CSV: the exact header; per image as many rows as the scan counted HIGH + CRITICAL
    // findings; images in fleet order, CRITICAL before HIGH within one; `mirrored` as the
    // fleet file says; the accepted finding `ignore` with its reason, every other `triaged`.
    let text = String::from_utf8(site[&format!("{RELEASE}.csv")].clone()).expect("UTF-8");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "image,package_name,type,vulnerability_id,severity,url,patched_version,mirrored,state,notes"
        )
    );
    let rows: Vec<_> = drydock_triage::release_csv::read(&text, "v1.1.csv")
        .expect("the CSV reads back")
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    assert_eq!(rows.len(), lines.count(), "one record per line");
    for (reference, n) in &counted {
        let got = rows.iter().filter(|r| &r.image == reference).count() as u64;
        assert_eq!(
            got, *n,
            "{reference}: rows vs HIGH+CRITICAL the scan counted"
        );
    }
    assert!(rows.len() > 1, "the fleet's v1.1 has findings");
    assert!(
        rows.iter().any(|r| r.mirrored),
        "v1.1 has a mirrored image with findings"
    );
    let order = |r: &drydock_triage::release_csv::CsvRow| {
        let i = counted
            .iter()
            .position(|(c, _)| *c == r.image)
            .expect("a row of a scanned image");
        (i, r.severity != "CRITICAL")
    };
    assert!(
        rows.windows(2).all(|w| order(&w[0]) <= order(&w[1])),
        "rows in fleet order, then severity"
    );
    for r in &rows {
        assert!(["HIGH", "CRITICAL"].contains(&r.severity.as_str()), "{r:?}");
        // `mirrored: true` is set on entries of the release's block in the fleet file (the
        // images its include list adds cannot be marked).
        let mirrored = release_block
            .split("- ref: ")
            .find(|e| e.starts_with(&format!("\"{}\"", r.image)))
            .is_some_and(|e| e.contains("mirrored: true"));
        assert_eq!(r.mirrored, mirrored, "{r:?}");
        let triaged = r.image == image && r.package_name == pkg && r.vulnerability_id == vuln;
        assert_eq!(r.state.as_str(), if triaged { "ignore" } else { "triaged" });
        assert_eq!(r.notes, if triaged { REASON } else { "" }, "{r:?}");
    }
    assert!(before.contains(&format!("{image},{pkg},")) && !before.contains(",ignore,"));

    // index.json: the same rows.
    let index: Value = serde_json::from_slice(&site["index.json"]).expect("index.json");
    assert_eq!(index["run_id"], "r1");
    assert_eq!(
        index["rows"][RELEASE].as_array().map(Vec::len),
        Some(rows.len())
    );

    // The site: the index, the release page, a page per scanned image; every relative link
    // of every page resolves; what the command said matches what it wrote.
    let pages: Vec<String> = site
        .keys()
        .filter(|k| k.ends_with(".html"))
        .cloned()
        .collect();
    let mut want: BTreeSet<String> = ["index.html".to_string()].into();
    want.insert(drydock_triage::site::release_path(RELEASE));
    for (reference, _) in &counted {
        want.insert(drydock_triage::site::image_path(RELEASE, reference));
    }
    assert_eq!(pages.iter().cloned().collect::<BTreeSet<_>>(), want);
    assert!(
        said.contains(&format!("site: {} pages", pages.len())),
        "{said}"
    );
    for page in &pages {
        let html = String::from_utf8(site[page].clone()).expect("UTF-8 page");
        let dir = Path::new(page).parent().unwrap_or(Path::new(""));
        for link in local_links(&html) {
            let target = a.join(dir).join(&link);
            assert!(
                target.is_file(),
                "{page}: link `{link}` resolves to nothing"
            );
        }
        assert!(html.contains("2026-06-01"), "{page}: the run date");
    }
    let page = String::from_utf8(site[&drydock_triage::site::image_path(RELEASE, &image)].clone())
        .expect("UTF-8 page");
    assert!(
        page.contains(
            "only &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; admins reach it"
        ),
        "the reason, escaped, on the image page"
    );
    assert!(
        !page.contains("<script>alert"),
        "markup from the store is inert"
    );

    // Valid HTML, every page (and the stylesheets the checker also reads from them).
    let Some(jar) = site_check::jar() else { return };
    let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
    let messages = site_check::validate(&jar, &a, &pages);
    assert!(
        messages.trim().is_empty(),
        "the Nu HTML Checker:\n{messages}"
    );
    // The checker does find errors (so a clean result means something).
    let broken = tmp.path().join("broken");
    std::fs::create_dir_all(&broken).expect("mkdir");
    let html = String::from_utf8(site["index.html"].clone()).expect("UTF-8");
    std::fs::write(
        broken.join("index.html"),
        html.replacen("<main", "<main><div", 1),
    )
    .expect("write");
    assert!(
        !site_check::validate(&jar, &broken, &["index.html"])
            .trim()
            .is_empty(),
        "an unclosed element is reported"
    );
}

/// An error: exit code 2 and one line on stderr containing `want`; nothing published.
#[track_caller]
fn fails(out: &Output, want: &str, site: &Path) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(lines[0].contains(want), "`{}` lacks `{want}`", lines[0]);
    assert!(!site.join("index.json").exists(), "nothing is published");
}

#[test]
fn publish_from_a_bad_store_is_one_clear_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let site = tmp.path().join("site");
    // A file that is not a database.
    let junk = tmp.path().join("notes.txt");
    std::fs::write(&junk, "not a database\n".repeat(300)).expect("write");
    let junk = junk.display().to_string();
    fails(
        &publish(&junk, &site, &[]),
        &format!("store `{junk}`: the store is not a drydock store or is damaged"),
        &site,
    );
    // A store under a regular file (its directory cannot exist).
    let under = format!("{junk}/history.db");
    fails(
        &publish(&under, &site, &[]),
        &format!("cannot open the store `{under}`"),
        &site,
    );
    // A store with no complete run.
    let empty = tmp.path().join("empty.db").display().to_string();
    fails(
        &publish(&empty, &site, &[]),
        "no run `latest` in the store (see `drydock history runs`)",
        &site,
    );
    // A release the run does not have is named (on a store with a run: see the test above);
    // an unknown --run on the empty store is the same clear error.
    fails(
        &publish(&empty, &site, &["--run", "r9"]),
        "no run `r9` in the store",
        &site,
    );
}
