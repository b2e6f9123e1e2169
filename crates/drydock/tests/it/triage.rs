//! `drydock triage`: set/show/list/history, VEX and handbook export/import through the CLI, a
//! scan with `--store` that the triage suppresses, and bad input (exit code, one-line error).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::{drydock, shared};

/// Today for every command (2026-06-01): expiry is judged against it.
const NOW: &str = "1780272000";

fn triage(store: &Path, args: &[&str]) -> Output {
    drydock()
        .arg("triage")
        .args(args)
        .arg("--store")
        .arg(store)
        .env("SOURCE_DATE_EPOCH", NOW)
        .env("DRYDOCK_USER", "alice")
        .output()
        .expect("run drydock triage")
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An error: exit code 2 (1 is the gate's) and one line (`drydock: error: …`) containing `want`.
fn fails(out: &Output, want: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(lines[0].contains(want), "`{}` lacks `{want}`", lines[0]);
}

#[test]
fn set_show_list_history() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("h.db");
    let out = triage(
        &store,
        &[
            "set",
            "CVE-2024-6119",
            "--package",
            "openssl",
            "--image",
            "registry.example/app:1.2",
            "--state",
            "accepted",
            "--reason",
            "own CA only",
            "--expires",
            "2026-06-10",
        ],
    );
    let text = ok(&out, "set");
    assert!(text.starts_with("triage #1 created: CVE-2024-6119 openssl in image registry.example/app: accepted until 2026-06-10"), "{text}");
    ok(
        &triage(
            &store,
            &[
                "set",
                "CVE-2024-6119",
                "--package",
                "openssl",
                "--image",
                "registry.example/app",
                "--owner",
                "bob",
            ],
        ),
        "update",
    );
    let show = ok(&triage(&store, &["show", "1"]), "show");
    assert!(
        show.contains("owner: bob") && show.contains("reason: own CA only"),
        "{show}"
    );
    let history = ok(
        &triage(&store, &["history", "1", "--format", "json"]),
        "history",
    );
    let events: serde_json::Value = serde_json::from_str(&history).expect("JSON");
    let fields: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["state", "reason", "expires", "owner"]);
    let soon = ok(&triage(&store, &["list", "--expiring", "14d"]), "list");
    assert!(
        soon.contains("#1") && soon.contains("own CA only"),
        "{soon}"
    );
    let later = triage(&store, &["list", "--expiring", "2d"]);
    assert!(ok(&later, "list").is_empty());
}

#[test]
fn bad_input_is_exit_2_and_one_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("h.db");
    let base = ["set", "CVE-2024-1", "--package", "p", "--all"];
    fails(
        &triage(&store, &[&base[..], &["--state", "fixed"]].concat()),
        "unknown triage state `fixed`",
    );
    fails(
        &triage(
            &store,
            &[
                &base[..],
                &[
                    "--state",
                    "accepted",
                    "--reason",
                    "r",
                    "--expires",
                    "2026-13-01",
                ],
            ]
            .concat(),
        ),
        "2026-13-01",
    );
    fails(
        &triage(
            &store,
            &[
                &base[..],
                &[
                    "--state",
                    "accepted",
                    "--reason",
                    "r",
                    "--expires",
                    "2026-05-01",
                ],
            ]
            .concat(),
        ),
        "is in the past",
    );
    for (extra, want) in [
        (
            &["--state", "accepted", "--reason", "r"][..],
            "state `accepted` needs an expiry date (--expires YYYY-MM-DD)",
        ),
        (
            &["--state", "accepted", "--expires", "2026-09-01"][..],
            "state `accepted` needs a written reason (--reason)",
        ),
        (
            &["--state", "false_positive"][..],
            "state `false_positive` needs a written reason (--reason)",
        ),
        (
            &["--state", "not_affected", "--reason", "r"][..],
            "state `not_affected` needs a justification (--justification)",
        ),
        (
            &[
                "--state",
                "not_affected",
                "--reason",
                "r",
                "--justification",
                "because",
            ][..],
            "unknown justification `because`",
        ),
    ] {
        fails(&triage(&store, &[&base[..], extra].concat()), want);
    }
    let corrupt = dir.path().join("corrupt.json");
    std::fs::write(&corrupt, "{\"statements\": [ {\"vulnerability\": ").expect("write");
    fails(
        &triage(&store, &["import", corrupt.to_str().expect("utf-8")]),
        "corrupt.json:",
    );
    let trivy = dir.path().join(".trivyignore");
    std::fs::write(&trivy, "# r\nCVE-2024-1 exp:2026-02-30\n").expect("write");
    fails(
        &triage(&store, &["import", trivy.to_str().expect("utf-8")]),
        ".trivyignore`:2",
    );
    // Nothing was written by any of them.
    assert!(ok(&triage(&store, &["list", "--format", "json"]), "list").trim() == "[]");
}

#[test]
fn vex_export_import_round_trip_through_the_cli() {
    let dir = tempfile::tempdir().expect("tmp");
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    ok(
        &triage(
            &a,
            &[
                "set",
                "CVE-2023-45288",
                "--package",
                "stdlib",
                "--ecosystem",
                "golang",
                "--all",
                "--state",
                "not_affected",
                "--justification",
                "code_not_reachable",
                "--reason",
                "no HTTP/2 server",
            ],
        ),
        "set",
    );
    ok(
        &triage(
            &a,
            &[
                "set",
                "CVE-2024-45491",
                "--package",
                "libexpat1",
                "--release",
                "5.3.3",
                "--state",
                "accepted",
                "--reason",
                "own XML",
                "--expires",
                "2027-01-01",
                "--approver",
                "cto",
            ],
        ),
        "set",
    );
    for format in ["openvex", "cyclonedx-vex"] {
        let first = dir.path().join(format!("{format}.json"));
        ok(
            &triage(
                &a,
                &[
                    "export",
                    "--format",
                    format,
                    "--output",
                    first.to_str().expect("utf-8"),
                ],
            ),
            "export",
        );
        let b = b.with_extension(format);
        let imported = ok(
            &triage(&b, &["import", first.to_str().expect("utf-8")]),
            "import",
        );
        assert!(
            imported.contains("2 record(s), 2 created or changed"),
            "{imported}"
        );
        let second = ok(&triage(&b, &["export", "--format", format]), "export again");
        assert_eq!(
            std::fs::read_to_string(&first).expect("read"),
            second,
            "{format}"
        );
    }
    fails(
        &triage(
            &dir.path().join("empty.db"),
            &["export", "--format", "openvex"],
        ),
        "no triage records to export",
    );
}

/// A scan with `--store` applies the store's triage: the accepted finding is `suppressed`
/// with the reason and expiry.
#[test]
fn scan_with_store_shows_the_suppression() {
    let image = shared().join("data/images/alpine-3.7.3-minirootfs.tar.gz");
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("h.db");
    let scan = || {
        drydock()
            .arg("image")
            .arg(&image)
            .arg("--db")
            .arg(crate::scan::db())
            .args(["--format", "json", "--store"])
            .arg(&store)
            .env("SOURCE_DATE_EPOCH", NOW)
            .current_dir(dir.path())
            .output()
            .expect("run drydock image")
    };
    let report: serde_json::Value = serde_json::from_slice(&scan().stdout).expect("JSON");
    let f = report["targets"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["verdict"] == "report" || f["verdict"] == "fail")
        .cloned()
        .expect("a reported finding");
    let (id, pkg) = (
        f["id"].as_str().expect("id"),
        f["package"].as_str().expect("package"),
    );
    let repo = ok(
        &triage(
            &store,
            &[
                "set",
                id,
                "--package",
                pkg,
                "--all",
                "--state",
                "accepted",
                "--reason",
                "not exposed",
                "--expires",
                "2026-09-01",
            ],
        ),
        "set",
    );
    assert!(repo.contains("created"));
    // A record of this image's repository that matches nothing is reported unused; an `all`
    // record that matches nothing here is not (one image says nothing about the others).
    let repository = drydock_match::identity::repository_of_path(&image.to_string_lossy());
    for scope in [&["--repository", repository.as_str()][..], &["--all"][..]] {
        let args = [
            &["set", "CVE-1999-0001", "--package", "no-such-package"][..],
            scope,
            &["--state", "in_triage"][..],
        ]
        .concat();
        ok(&triage(&store, &args), "set");
    }
    let out = scan();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let unused: Vec<&serde_json::Value> = report["policy_notices"]
        .as_array()
        .expect("policy_notices")
        .iter()
        .filter(|n| n["kind"] == "unused")
        .collect();
    assert_eq!(unused.len(), 1, "{unused:?}");
    assert_eq!(unused[0]["source"], "triage #2");
    assert_eq!(unused[0]["id"], "CVE-1999-0001");
    let message = format!(
        "triage #2 (CVE-1999-0001 in no-such-package, image {repository}) matches no finding: \
         is it still needed?"
    );
    assert_eq!(unused[0]["message"], message.as_str());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&message));
    let same = report["targets"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|x| x["id"] == id && x["package"] == pkg)
        .cloned()
        .expect("the finding");
    assert_eq!(same["verdict"], "suppressed", "{same}");
    assert_eq!(same["suppressed_by"], "triage #1");
    assert_eq!(same["expires"], "2026-09-01");
    assert!(
        same["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not exposed"))
    );
}

/// The test fleet (`DRYDOCK_FLEET`, `.ci/setup.d/fleet.sh`): its directory.
fn fleet_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("DRYDOCK_FLEET").map_or_else(
        || PathBuf::from("/var/cache/drydock-ci/fleet"),
        PathBuf::from,
    );
    crate::require(
        "the test fleet (.ci/setup.d/fleet.sh)",
        dir.join("fleet.yaml").is_file().then_some(dir),
    )
}

/// `SOURCE_DATE_EPOCH` for one o'clock on day `d` (`YYYY-MM-DD`).
fn epoch(d: &str) -> String {
    let t = jiff::civil::Date::strptime("%Y-%m-%d", d)
        .expect("a date")
        .to_zoned(jiff::tz::TimeZone::UTC)
        .expect("zoned")
        .timestamp()
        .as_second();
    (t + 3600).to_string()
}

/// `drydock fleet scan` of the test fleet (one release, or all with `None`) as run `run` on
/// day `day`; the command's output (exit 3: the fleet has an image that fails on purpose).
fn fleet_scan(store: &str, cache: &Path, release: Option<&str>, run: &str, day: &str) -> Output {
    let dir = fleet_dir().expect("checked by the caller");
    let mut c = drydock();
    c.args(["fleet", "scan"])
        .arg(dir.join("fleet.yaml"))
        .arg("--db")
        .arg(crate::scan::db())
        .args(["--store", store, "--cache-dir"])
        .arg(cache)
        .args(["--no-progress", "--format", "json", "--run-id", run])
        .env("SOURCE_DATE_EPOCH", epoch(day));
    if let Some(r) = release {
        c.args(["--release", r]);
    }
    let out = c.output().expect("run drydock fleet scan");
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "fleet scan {run}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output, what: &str) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Every finding of run `run` (`drydock diff RUN RUN --all`): repository, package, id, severity.
fn findings_of(store: &str, run: &str) -> Vec<Value> {
    let out = drydock()
        .args([
            "diff", run, run, "--all", "--format", "json", "--store", store,
        ])
        .output()
        .expect("run drydock diff");
    json(&out, "diff")["entries"]
        .as_array()
        .expect("entries")
        .clone()
}

/// The issue's "must show" through the CLI on the test fleet, on SQLite and PostgreSQL: a
/// finding accepted for its repository while looking at release v1.0 is still accepted when
/// v1.1 is scanned, where that repository is a new tag of a rebuilt image (`expected.json`: a
/// new reference and a new digest); the record that matches nothing is reported unused; the
/// day after the expiry the finding counts again, `diff` says `acceptance expired` and fails
/// the gate on it.
#[test]
fn an_acceptance_in_release_a_holds_for_the_rebuilt_image_of_release_b_until_it_expires() {
    let Some(dir) = fleet_dir() else { return };
    let exp: Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("read"))
            .expect("expected.json");
    // Repositories rebuilt under a new tag from v1.0 to v1.1, with the packages that changed.
    let rebuilt: Vec<(String, String, BTreeSet<String>)> = exp["diffs"]["v1.0..v1.1"]
        .as_object()
        .expect("the v1.0..v1.1 diff")
        .values()
        .filter(|d| d["same_digest"] == false && d["same_reference"] == false)
        .map(|d| {
            let touched = ["added", "removed", "upgraded"]
                .iter()
                .flat_map(|k| d[*k].as_array().cloned().unwrap_or_default())
                .filter_map(|p| p["name"].as_str().map(str::to_string))
                .collect();
            (
                d["repository"].as_str().expect("repository").to_string(),
                d["old"].as_str().expect("old reference").to_string(),
                touched,
            )
        })
        .collect();
    assert!(!rebuilt.is_empty(), "the fleet rebuilds images for v1.1");
    let tmp = tempfile::tempdir().expect("tmp");
    let cache = tmp.path().join("cache");
    let mut stores = vec![tmp.path().join("h.db").display().to_string()];
    stores.extend(crate::fleet::pg_cluster::new_database());
    for store in &stores {
        fleet_scan(store, &cache, Some("v1.0"), "r1", "2026-12-01");
        // A HIGH or CRITICAL finding of v1.0 in a rebuilt repository, of a package v1.1 keeps.
        let (e, old_ref) = findings_of(store, "r1")
            .into_iter()
            .find_map(|e| {
                let sev = e["severity"].as_str()?;
                let (_, old, touched) = rebuilt
                    .iter()
                    .find(|(r, _, _)| e["repository"] == r.as_str())?;
                let pkg = e["package"].as_str()?;
                (["HIGH", "CRITICAL"].contains(&sev) && !touched.contains(pkg))
                    .then(|| (e.clone(), old.clone()))
            })
            .expect("a HIGH or CRITICAL finding of a rebuilt repository");
        let s = |k: &str| e[k].as_str().expect(k).to_string();
        let (repo, pkg, vuln, sev) = (
            s("repository"),
            s("package"),
            s("vulnerability_id"),
            s("severity"),
        );
        // Accepted by the v1.0 reference (its tag dropped: the record is the repository's).
        let at = |day: &str, args: &[&str]| {
            drydock()
                .arg("triage")
                .args(args)
                .args(["--store", store])
                .env("SOURCE_DATE_EPOCH", epoch(day))
                .env("DRYDOCK_USER", "alice")
                .output()
                .expect("run drydock triage")
        };
        let set = at(
            "2026-12-02",
            &[
                "set",
                &vuln,
                "--package",
                &pkg,
                "--image",
                &old_ref,
                "--state",
                "accepted",
                "--reason",
                "not reachable from the API",
                "--expires",
                "2026-12-05",
            ],
        );
        assert!(
            ok(&set, "set").contains(&format!("in image {repo}: accepted until 2026-12-05")),
            "the record is on the repository"
        );
        ok(
            &at(
                "2026-12-02",
                &[
                    "set",
                    "CVE-1999-0001",
                    "--package",
                    "no-such-package",
                    "--repository",
                    &repo,
                    "--state",
                    "in_triage",
                ],
            ),
            "set",
        );

        // Release v1.1: a new tag of a rebuilt image of the repository; the finding is still
        // accepted (the published CSV says `ignore` with the reason on each of its rows).
        let r2 = fleet_scan(store, &cache, Some("v1.1"), "r2", "2026-12-03");
        let warnings = String::from_utf8_lossy(&r2.stderr);
        assert!(
            warnings.contains(&format!(
                "triage #2 (CVE-1999-0001 in no-such-package, image {repo}) matches no finding"
            )),
            "{warnings}"
        );
        assert!(!warnings.contains("triage #1 "), "{warnings}");
        let image = |v: &Value| -> (String, u64) {
            let i = v["images"]
                .as_array()
                .expect("images")
                .iter()
                .find(|i| i["repository"] == repo.as_str())
                .expect("the repository's image");
            (
                i["reference"].as_str().expect("reference").to_string(),
                i["findings"][sev.as_str()].as_u64().unwrap_or(0),
            )
        };
        let (new_ref, suppressed_count) = image(&json(&r2, "r2"));
        let site = tmp.path().join("site");
        let published = drydock()
            .args([
                "publish",
                "--no-site",
                "--release",
                "v1.1",
                "--store",
                store,
                "--out",
            ])
            .arg(&site)
            .env("SOURCE_DATE_EPOCH", epoch("2026-12-03"))
            .output()
            .expect("run drydock publish");
        crate::assert_success(&published, "publish");
        let csv = std::fs::read_to_string(site.join("v1.1.csv")).expect("the CSV");
        let rows: Vec<_> = drydock_triage::release_csv::read(&csv, "v1.1.csv")
            .expect("reads")
            .into_iter()
            .map(|(_, r)| r)
            .filter(|r| r.image == new_ref && r.package_name == pkg && r.vulnerability_id == vuln)
            .collect();
        assert!(!rows.is_empty(), "{new_ref}: {pkg} {vuln} in v1.1");
        for r in &rows {
            assert_eq!(
                (r.state.as_str(), r.notes.as_str()),
                ("ignore", "not reachable from the API")
            );
        }

        // The day after the expiry: counted again, and the diff says why.
        let r3 = fleet_scan(store, &cache, Some("v1.1"), "r3", "2026-12-10");
        let (same_ref, counted) = image(&json(&r3, "r3"));
        assert_eq!(same_ref, new_ref);
        assert_eq!(counted, suppressed_count + rows.len() as u64, "{store}");
        let d = drydock()
            .args(["diff", "r2", "r3", "--format", "json", "--store", store])
            .args(["--fail-on", &sev])
            .output()
            .expect("run drydock diff");
        assert_eq!(
            d.status.code(),
            Some(1),
            "the expired acceptance fails the gate"
        );
        // What the gate counts (new, reappeared, acceptance expired) is that finding alone.
        let news: Vec<Value> = json(&d, "diff r2 r3")["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| {
                ["new", "reappeared", "acceptance_expired"]
                    .iter()
                    .any(|c| e["category"] == *c)
            })
            .cloned()
            .collect();
        assert!(!news.is_empty());
        for e in &news {
            assert_eq!(e["category"], "acceptance_expired", "{e}");
            assert_eq!(
                (&e["repository"], &e["package"], &e["vulnerability_id"]),
                (
                    &Value::from(repo.as_str()),
                    &Value::from(pkg.as_str()),
                    &Value::from(vuln.as_str())
                )
            );
        }
    }
}

/// `drydock diff --accepted`, `--write-table`, `triage import PAGE.md`, `triage export --format
/// handbook` and a release CSV edited by hand and imported, through the CLI on a run of the
/// whole test fleet (three releases).
#[test]
fn accepted_pages_and_release_csvs_through_the_cli() {
    use drydock_triage::handbook::{HANDBOOK_PROFILE, Page, environmental_score, short_name};
    if fleet_dir().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let store_path = tmp.path().join("h.db");
    let store = store_path.display().to_string();
    fleet_scan(&store, &tmp.path().join("cache"), None, "r1", "2026-06-01");
    let found = {
        let mut s = drydock_store::Store::open(&store).expect("the store");
        let seq = s.run("r1").expect("the run").seq;
        drydock_triage::handbook::found_in_run(&mut s, seq, Some("v1.1")).expect("found")
    };
    // One CRITICAL vulnerability, accepted in every v1.1 image that has it.
    let critical = found
        .iter()
        .find(|f| f.severity == "CRITICAL")
        .expect("a CRITICAL finding in v1.1")
        .vuln_id
        .clone();
    let images: BTreeSet<String> = found
        .iter()
        .filter(|f| f.vuln_id == critical)
        .map(|f| short_name(&f.repository))
        .collect();
    let images: Vec<String> = images.into_iter().collect();
    let accepted_row = format!(
        "| [{critical}](https://nvd.nist.gov/vuln/detail/{critical}) | {} (Helm only) | Critical | 9.8 | Low, until 2026-12-01, approved by Jane Doe | 6.1 | reviewed: *not exposed* |",
        images.join(", ")
    );
    let page = format!(
        "# Accepted CVEs for Fleet 1.1\n\n\
| CVE ID | Affected Images | CVE Severity | CVSS Base Score | Fleet Assessment | CVSS Environmental Score | Details |\n\
|---|---|---|---|---|---|---|\n\
{accepted_row}\n\
| [CVE-2000-0001](https://example.invalid) | team/gone | High | 7.5 | Medium | 4.7 | fixed upstream |\n\
\n## Known False Positives\n\n| Vulnerability ID | Affected Images | Note |\n|---|---|---|\n\
| CVE-2000-0002 | team/app-01 | wrong package |\n\nNotes stay.\n"
    );
    let page_path = tmp.path().join("accepted-1.1.md");
    std::fs::write(&page_path, &page).expect("write");
    let page_arg = page_path.display().to_string();
    let diff = |page: &str, extra: &[&str]| {
        drydock()
            .args([
                "diff",
                "--accepted",
                page,
                "--release",
                "v1.1",
                "--store",
                &store,
            ])
            .args(extra)
            .env("SOURCE_DATE_EPOCH", NOW)
            .output()
            .expect("run drydock diff --accepted")
    };
    let out = diff(&page_arg, &["--format", "json"]);
    let v = json(&out, "diff --accepted");
    let not_accepted: BTreeSet<&str> = v["not_accepted"]
        .as_array()
        .expect("not_accepted")
        .iter()
        .filter_map(|n| n["vulnerability_id"].as_str())
        .collect();
    let want: BTreeSet<&str> = found
        .iter()
        .map(|f| f.vuln_id.as_str())
        .filter(|id| *id != critical)
        .collect();
    assert_eq!(not_accepted, want);
    assert_eq!(
        v["no_longer_found"],
        serde_json::json!([{"vulnerability_id": "CVE-2000-0001", "line": 6, "images": ["team/gone"]}])
    );
    assert_eq!(
        v["false_positives_no_longer_found"][0]["vulnerability_id"],
        "CVE-2000-0002"
    );
    // The gate: a not-accepted finding at or above --fail-on exits 1.
    let worst_left = found
        .iter()
        .filter(|f| f.vuln_id != critical)
        .any(|f| f.severity == "CRITICAL");
    assert_eq!(
        diff(&page_arg, &["--fail-on", "critical"]).status.code(),
        Some(if worst_left { 1 } else { 0 })
    );
    assert_eq!(
        diff(&page_arg, &["--fail-on", "low"]).status.code(),
        Some(1)
    );

    // --write-table with an environment profile of our own: the kept row byte for byte, the
    // resolved row gone, every other line kept, new rows scored under that profile.
    let profile = "MAV:N/CR:L/IR:L/AR:L";
    let written_path = tmp.path().join("written.md");
    let w = diff(
        &page_arg,
        &[
            "--write-table",
            written_path.to_str().expect("utf-8"),
            "--env-profile",
            profile,
        ],
    );
    assert_eq!(
        w.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&w.stderr)
    );
    let written = std::fs::read_to_string(&written_path).expect("written");
    assert!(written.contains(&format!("{accepted_row}\n")));
    assert!(!written.contains("CVE-2000-0001"));
    assert!(written.contains("| CVE-2000-0002 | team/app-01 | wrong package |\n\nNotes stay.\n"));
    let parsed = Page::parse(&written, "written.md").expect("parses");
    let mine = drydock_cvss::EnvProfile::parse(profile).expect("profile");
    let handbook = drydock_cvss::EnvProfile::parse(HANDBOOK_PROFILE).expect("profile");
    let mut differs = false;
    for r in parsed.accepted.rows.iter().filter(|r| r.id != critical) {
        let env = r.cells[5].trim();
        let vectors: Vec<&str> = found
            .iter()
            .filter(|f| f.vuln_id == r.id)
            .filter_map(|f| f.cvss_vector.as_deref())
            .collect();
        if env.is_empty() {
            assert!(
                vectors
                    .iter()
                    .all(|v| environmental_score(v, &mine).is_none()),
                "{}",
                r.raw
            );
            continue;
        }
        assert!(
            vectors
                .iter()
                .any(|v| environmental_score(v, &mine).as_deref() == Some(env)),
            "{}: {env}",
            r.raw
        );
        differs |= vectors
            .iter()
            .all(|v| environmental_score(v, &handbook).as_deref() != Some(env));
        assert_eq!(
            (r.cells[4].trim(), r.cells[6].trim()),
            ("", ""),
            "left to a human"
        );
    }
    assert!(differs, "--env-profile changes a score");
    // Everything is accepted now; a human fills in one row, writing again changes nothing else.
    assert_eq!(
        diff(written_path.to_str().expect("utf-8"), &["--fail-on", "low"])
            .status
            .code(),
        Some(0)
    );
    let new_row = parsed
        .accepted
        .rows
        .iter()
        .find(|r| r.id != critical)
        .expect("a new row");
    let mut cells = new_row.cells.clone();
    cells[4] = " Medium ".into();
    cells[6] = " checked by hand ".into();
    let edited = written.replacen(&new_row.raw, &format!("|{}|", cells.join("|")), 1);
    assert_ne!(edited, written);
    let edited_path = tmp.path().join("edited.md");
    std::fs::write(&edited_path, &edited).expect("write");
    let again_path = tmp.path().join("again.md");
    let w = diff(
        edited_path.to_str().expect("utf-8"),
        &[
            "--write-table",
            again_path.to_str().expect("utf-8"),
            "--env-profile",
            profile,
        ],
    );
    assert_eq!(w.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&again_path).expect("read"), edited);

    // A malformed row is one error naming the page and line.
    let bad = tmp.path().join("bad.md");
    std::fs::write(
        &bad,
        page.replacen(&accepted_row, &format!("| {critical} | app |"), 1),
    )
    .expect("write");
    fails(
        &diff(bad.to_str().expect("utf-8"), &[]),
        "bad.md:5: the row has 2 cells, the table 7 columns",
    );

    // The page into the store: the accepted row (reason from Details, expiry and approver
    // from the Assessment) per image; the false positive matches nothing and is reported.
    let imported = triage(&store_path, &["import", &page_arg]);
    let said = ok(&imported, "import the page");
    assert!(
        String::from_utf8_lossy(&imported.stderr).contains("CVE-2000-0002"),
        "the entry that matches nothing is reported"
    );
    assert!(said.contains("entr(ies) not imported"), "{said}");
    let records = json(&triage(&store_path, &["list", "--format", "json"]), "list");
    let records = records.as_array().expect("records");
    assert!(!records.is_empty());
    for r in records {
        assert_eq!(r["vuln_id"], critical.as_str(), "{r}");
        assert_eq!(r["state"], "accepted");
        assert_eq!(r["reason"], "reviewed: *not exposed*");
        assert_eq!(r["expires"], "2026-12-01");
        assert_eq!(r["approver"], "Jane Doe");
    }
    let exported = tmp.path().join("exported.md");
    ok(
        &triage(
            &store_path,
            &[
                "export",
                "--format",
                "handbook",
                "--title",
                "Fleet 1.1",
                "--output",
                exported.to_str().expect("utf-8"),
            ],
        ),
        "export the page",
    );
    let back = Page::parse(
        &std::fs::read_to_string(&exported).expect("read"),
        "exported.md",
    )
    .expect("the exported page parses");
    assert_eq!(back.accepted.rows.len(), 1);
    assert_eq!(back.accepted.rows[0].id, critical);
    let mut listed: Vec<&str> = back.accepted.rows[0]
        .images
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    listed.sort();
    assert_eq!(listed, images);
    let v = json(
        &diff(exported.to_str().expect("utf-8"), &["--format", "json"]),
        "diff --accepted exported",
    );
    assert!(
        v["not_accepted"]
            .as_array()
            .expect("not_accepted")
            .iter()
            .all(|n| n["vulnerability_id"] != critical.as_str())
    );

    // The release CSV as an editable front end: a row set to `ignore` in v1.1's CSV is
    // ignored in v1.1 only, a `waiting` row waits; bad CSVs are one error naming file and line.
    let site = tmp.path().join("site");
    let publish = |out: &Path| {
        let p = drydock()
            .args(["publish", "--no-site", "--store", &store, "--out"])
            .arg(out)
            .env("SOURCE_DATE_EPOCH", NOW)
            .output()
            .expect("run drydock publish");
        crate::assert_success(&p, "publish");
    };
    publish(&site);
    let read = |dir: &Path, release: &str| {
        let text = std::fs::read_to_string(dir.join(format!("{release}.csv"))).expect("a CSV");
        drydock_triage::release_csv::read(&text, "x.csv")
            .expect("reads")
            .into_iter()
            .map(|(_, r)| r)
            .collect::<Vec<_>>()
    };
    let v10 = read(&site, "v1.0");
    let key = |r: &drydock_triage::release_csv::CsvRow| {
        (r.package_name.clone(), r.vulnerability_id.clone())
    };
    let text = std::fs::read_to_string(site.join("v1.1.csv")).expect("v1.1.csv");
    let v11 = read(&site, "v1.1");
    // Two untriaged findings of v1.1 that v1.0 has too.
    let mut picks = v11
        .iter()
        .filter(|r| r.state.as_str() == "triaged" && v10.iter().any(|o| key(o) == key(r)))
        .map(key)
        .collect::<BTreeSet<_>>()
        .into_iter();
    let (ignored, waiting) = (
        picks.next().expect("a shared finding"),
        picks.next().expect("another"),
    );
    let mut lines = text.lines();
    let mut edited = format!("{}\n", lines.next().expect("header"));
    for l in lines {
        let mut cols: Vec<String> = l.split(',').map(str::to_string).collect();
        let k = (cols[1].clone(), cols[3].clone());
        if k == ignored {
            cols[8] = "ignore".into();
            cols[9] = "\"behind the WAF, see SEC-9\"".into();
        } else if k == waiting {
            cols[8] = "waiting".into();
        }
        edited.push_str(&cols.join(","));
        edited.push('\n');
    }
    let edited_csv = tmp.path().join("v1.1.csv");
    std::fs::write(&edited_csv, &edited).expect("write");
    let before = records.len();
    let said = ok(
        &triage(
            &store_path,
            &[
                "import",
                edited_csv.to_str().expect("utf-8"),
                "--release",
                "v1.1",
            ],
        ),
        "import the CSV",
    );
    // The two edited rows, and the rows already `ignore` (the page's acceptance) as records
    // of this release.
    let already: BTreeSet<_> = v11
        .iter()
        .filter(|r| r.state.as_str() == "ignore")
        .map(key)
        .collect();
    let n = 2 + already.len();
    assert!(
        said.contains(&format!("{n} record(s), {n} created or changed")),
        "{said}"
    );
    let after = json(&triage(&store_path, &["list", "--format", "json"]), "list");
    assert_eq!(after.as_array().map(Vec::len), Some(before + n));
    let republished = tmp.path().join("site2");
    publish(&republished);
    for r in read(&republished, "v1.1") {
        let want = if key(&r) == ignored {
            ("ignore", "behind the WAF, see SEC-9")
        } else if key(&r) == waiting {
            ("waiting", "")
        } else {
            continue;
        };
        assert_eq!((r.state.as_str(), r.notes.as_str()), want, "{r:?}");
    }
    for r in read(&republished, "v1.0") {
        if key(&r) == ignored || key(&r) == waiting {
            assert_eq!(r.state.as_str(), "triaged", "v1.0 is not touched: {r:?}");
        }
    }
    let unknown = tmp.path().join("unknown.csv");
    std::fs::write(&unknown, text.replacen("notes", "comment", 1)).expect("write");
    fails(
        &triage(
            &store_path,
            &[
                "import",
                unknown.to_str().expect("utf-8"),
                "--release",
                "v1.1",
            ],
        ),
        "unknown.csv:1: unknown column(s) `comment`",
    );
    let bad_state = tmp.path().join("state.csv");
    let second = text.lines().nth(1).expect("a row").to_string();
    let mut cols: Vec<&str> = second.split(',').collect();
    cols[8] = "wontfix";
    std::fs::write(&bad_state, text.replacen(&second, &cols.join(","), 1)).expect("write");
    fails(
        &triage(
            &store_path,
            &[
                "import",
                bad_state.to_str().expect("utf-8"),
                "--release",
                "v1.1",
            ],
        ),
        "state.csv:2: unknown state `wontfix`",
    );
}
