//! `drydock fleet scan`, `drydock history`, `drydock diff` on the test fleet built by
//! `crates/drydock-fleet/tests/fixtures/make_fleet.py` (`DRYDOCK_FLEET`), against the history
//! store on SQLite and on a throwaway PostgreSQL; answers checked against the fleet's
//! `expected.json` (what was put into each image), not against hard-coded counts.

#[path = "../../../drydock-store/tests/pg_cluster.rs"]
pub(crate) mod pg_cluster;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::scan::db;
use super::{drydock, require, stdout_json};

fn fleet_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("DRYDOCK_FLEET").map_or_else(
        || PathBuf::from("/var/cache/drydock-ci/fleet"),
        PathBuf::from,
    );
    require(
        "the test fleet (.ci/setup.d/fleet.sh)",
        dir.join("fleet.yaml").is_file().then_some(dir),
    )
}

fn expected(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("expected.json"))
        .expect("expected.json is JSON")
}

/// The stores every test runs on: a SQLite file, and a PostgreSQL database when available.
fn stores(tmp: &Path) -> Vec<String> {
    let mut s = vec![tmp.join("history.db").display().to_string()];
    if let Some(url) = pg_cluster::new_database() {
        s.push(url);
    }
    s
}

fn fleet_scan(store: &str, cache: &Path, fleet: &Path, extra: &[&str]) -> std::process::Output {
    drydock()
        .args(["fleet", "scan"])
        .arg(fleet)
        .args(["--db"])
        .arg(db())
        .args(["--store", store, "--cache-dir"])
        .arg(cache)
        .args(["--no-progress", "--format", "json"])
        .args(extra)
        .output()
        .expect("run drydock fleet scan")
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Image reference in the fleet file → the `expected.json` entry's key (`fleet.example/…:tag`).
fn expected_images(exp: &Value) -> BTreeMap<String, Value> {
    exp["images"]
        .as_object()
        .expect("images")
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
fn fleet_scan_records_every_image_and_diffs_match_what_was_built() {
    let Some(dir) = fleet_dir() else { return };
    let exp = expected(&dir);
    let tmp = tempfile::tempdir().expect("tmp");
    for store in stores(tmp.path()) {
        let cache = tmp.path().join(format!("cache-{}", store.len()));
        let out = fleet_scan(&store, &cache, &dir.join("fleet.yaml"), &[]);
        // Some images are built to fail: exit 3, not 0 and not 2.
        assert_eq!(
            out.status.code(),
            Some(3),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary = json_of(&out);
        assert_eq!(summary["status"], "complete");
        not_checked_is_said_once_per_run(&summary, &String::from_utf8_lossy(&out.stderr));

        // Every image with `expect: ok` scanned, every broken one failed with its message.
        let images = expected_images(&exp);
        let failed: BTreeSet<String> = summary["images"]
            .as_array()
            .expect("images")
            .iter()
            .filter(|i| i["status"] == "failed")
            .map(|i| {
                assert!(
                    i["error"].as_str().is_some_and(|e| !e.is_empty()),
                    "a failed image without a message: {i}"
                );
                i["reference"].as_str().unwrap_or_default().to_string()
            })
            .collect();
        let expected_failed = images.values().filter(|v| v["expect"] != "ok").count();
        assert_eq!(failed.len(), expected_failed, "failed: {failed:?}");

        // Each distinct layer of the OCI layout was walked once in the whole run.
        let layout_layers: usize = summary["images"]
            .as_array()
            .expect("images")
            .iter()
            .filter(|i| {
                i["reference"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("oci:"))
            })
            .map(|i| i["layers_analysed"].as_u64().unwrap_or(0) as usize)
            .sum();
        let distinct: BTreeSet<String> = images
            .values()
            .filter(|v| v["format"] == "oci-layout" && v["expect"] == "ok")
            .flat_map(|v| {
                v["layers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l["diff_id"].as_str().map(str::to_string))
            })
            .collect();
        // Layers of the broken layout images may be walked by them (and fail) before a good
        // image walks them: at most those extra.
        assert!(
            layout_layers >= distinct.len() && layout_layers <= distinct.len() + 2,
            "{layout_layers} layer walks for {} distinct layout layers",
            distinct.len()
        );

        // History shows the run with its coverage.
        let runs = stdout_json(
            &drydock()
                .args(["history", "runs", "--format", "json", "--store", &store])
                .output()
                .expect("history"),
            "history runs",
        );
        assert_eq!(runs[0]["images_failed"], failed.len() as u64);

        // Release diffs against the packages put into each image.
        for (pair, repos) in exp["diffs"].as_object().expect("diffs") {
            let (old, new) = pair.split_once("..").expect("A..B");
            let d = stdout_json(
                &drydock()
                    .args(["diff", "--release", old, new, "--format", "json", "--all"])
                    .args(["--store", &store])
                    .output()
                    .expect("diff"),
                "diff --release",
            );
            check_release_diff(pair, repos, &d);
        }
    }
}

/// What could not be checked is one warning per ecosystem and reason for the whole run, not
/// one per image, and the run's sums are the images' own.
fn not_checked_is_said_once_per_run(summary: &Value, stderr: &str) {
    assert!(
        !stderr.contains("Not checked:"),
        "a per-image coverage warning in a fleet run:\n{stderr}"
    );
    let mut sums: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    let images = summary["images"].as_array().expect("images");
    for i in images {
        for n in i["not_checked"].as_array().expect("not_checked per image") {
            let key = (
                n["ecosystem"].as_str().expect("ecosystem").to_string(),
                n["reason"].as_str().unwrap_or_default().to_string(),
            );
            let e = sums.entry(key).or_default();
            e.0 += 1;
            e.1 += n["packages"].as_u64().expect("packages");
        }
    }
    let run = summary["not_checked"].as_array().expect("not_checked");
    assert!(
        !run.is_empty(),
        "the test DB lacks some of the fleet's ecosystems: something is not checked"
    );
    let said: BTreeMap<(String, String), (u64, u64)> = run
        .iter()
        .map(|n| {
            (
                (
                    n["ecosystem"].as_str().expect("ecosystem").to_string(),
                    n["reason"].as_str().unwrap_or_default().to_string(),
                ),
                (
                    n["images"].as_u64().expect("images"),
                    n["packages"].as_u64().expect("packages"),
                ),
            )
        })
        .collect();
    assert_eq!(
        said, sums,
        "the run's not_checked is the sum of the images'"
    );
    let scanned = images.iter().filter(|i| i["resumed"] != true).count();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("not checked in "))
        .collect();
    assert_eq!(lines.len(), run.len(), "one line each:\n{stderr}");
    for ((eco, _), (n_images, packages)) in &said {
        let line =
            format!("not checked in {n_images} of {scanned} images: {packages} {eco} packages");
        assert!(
            lines.iter().any(|l| l.contains(&line)),
            "no `{line}` in:\n{stderr}"
        );
    }
}

fn entries_of<'a>(d: &'a Value, repo: &str) -> Vec<&'a Value> {
    d["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["repository"] == repo)
        .collect()
}

fn check_release_diff(pair: &str, repos: &Value, d: &Value) {
    for (repo, want) in repos.as_object().expect("repos") {
        let got = entries_of(d, repo);
        let cats: BTreeSet<&str> = got.iter().filter_map(|e| e["category"].as_str()).collect();
        let pkgs = |key: &str| -> BTreeSet<String> {
            want[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    p.as_array()
                        .and_then(|a| a.get(1))
                        .or_else(|| p.get("name"))
                        .and_then(|n| n.as_str())
                        .map(str::to_string)
                })
                .collect()
        };
        let touched: BTreeSet<String> = pkgs("added")
            .into_iter()
            .chain(pkgs("removed"))
            .chain(pkgs("upgraded"))
            .collect();
        match want["status"].as_str().unwrap_or_default() {
            "unchanged" => assert!(
                cats.iter().all(|c| *c == "unchanged"),
                "{pair} {repo}: unchanged image has {cats:?}"
            ),
            "not_scanned" => assert!(
                !cats.contains("resolved"),
                "{pair} {repo}: an image that failed to scan shows resolved findings"
            ),
            "changed" | "rebuilt" => {
                for e in &got {
                    let cat = e["category"].as_str().unwrap_or_default();
                    let pkg = e["package"].as_str().unwrap_or_default();
                    if matches!(cat, "new" | "resolved" | "changed" | "reappeared") {
                        assert!(
                            touched.contains(pkg),
                            "{pair} {repo}: `{cat}` for {pkg}, which the build did not touch ({touched:?})"
                        );
                    }
                }
                // Every removed package's findings are resolved (none stays).
                for p in pkgs("removed") {
                    assert!(
                        !got.iter().any(|e| e["package"] == p.as_str()
                            && matches!(e["category"].as_str(), Some("unchanged" | "changed"))),
                        "{pair} {repo}: removed package {p} still has findings"
                    );
                }
            }
            "new_image" => assert!(
                cats.iter().all(|c| matches!(*c, "new" | "reappeared")),
                "{pair} {repo}: {cats:?}"
            ),
            "gone" => assert!(
                cats.iter().all(|c| *c == "not_scanned"),
                "{pair} {repo}: an image that left the fleet shows {cats:?}"
            ),
            other => panic!("{pair} {repo}: unknown status {other}"),
        }
    }
}

#[test]
fn shards_on_one_postgres_give_the_run_one_process_gives() {
    let Some(dir) = fleet_dir() else { return };
    let Some(url_one) = pg_cluster::new_database() else {
        return;
    };
    let url_sharded = pg_cluster::new_database().expect("second database");
    let tmp = tempfile::tempdir().expect("tmp");
    let fleet = dir.join("fleet.yaml");
    let one = fleet_scan(
        &url_one,
        &tmp.path().join("c1"),
        &fleet,
        &["--run-id", "nightly"],
    );
    assert_eq!(one.status.code(), Some(3));
    // Three shard processes at once, like an Indexed Job with 3 completions.
    let children: Vec<_> = (1..=3)
        .map(|i| {
            drydock()
                .args(["fleet", "scan"])
                .arg(&fleet)
                .arg("--db")
                .arg(db())
                .args(["--store", &url_sharded, "--cache-dir"])
                .arg(tmp.path().join(format!("c-shard-{i}")))
                .args(["--no-progress", "--format", "json", "--run-id", "nightly"])
                .args(["--shard", &format!("{i}/3")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn shard")
        })
        .collect();
    let mut last_status = Vec::new();
    for c in children {
        let out = c.wait_with_output().expect("shard");
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "shard: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        last_status.push(
            json_of(&out)["status"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    assert!(
        last_status.contains(&"complete".to_string()),
        "{last_status:?}"
    );
    let images = |url: &str| -> Vec<(String, String, u64)> {
        let v = stdout_json(
            &drydock()
                .args([
                    "history", "images", "nightly", "--format", "json", "--store", url,
                ])
                .output()
                .expect("images"),
            "history images",
        );
        v.as_array()
            .expect("array")
            .iter()
            .map(|i| {
                (
                    i["reference"].as_str().unwrap_or_default().to_string(),
                    i["status"].as_str().unwrap_or_default().to_string(),
                    i["finding_count"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    assert_eq!(images(&url_one), images(&url_sharded));
    let diff = |url: &str| -> Value {
        let mut v = stdout_json(
            &drydock()
                .args([
                    "diff",
                    "--release",
                    "v1.0",
                    "v2.0",
                    "--format",
                    "json",
                    "--all",
                ])
                .args(["--store", url])
                .output()
                .expect("diff"),
            "diff",
        );
        v["a"] = Value::Null;
        v["b"] = Value::Null;
        v
    };
    assert_eq!(diff(&url_one), diff(&url_sharded));
}

#[test]
fn a_rerun_of_the_same_run_id_resumes_and_a_second_run_diffs_as_unchanged() {
    let Some(dir) = fleet_dir() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let store = tmp.path().join("h.db").display().to_string();
    let cache = tmp.path().join("cache");
    let list = dir.join("images-v1.1.txt");
    let first = fleet_scan(
        &store,
        &cache,
        &list,
        &["--release", "v1.1", "--run-id", "r1"],
    );
    let again = fleet_scan(
        &store,
        &cache,
        &list,
        &["--release", "v1.1", "--run-id", "r1"],
    );
    let a = json_of(&first);
    let b = json_of(&again);
    // The rerun scans only what failed the first time.
    let resumed = b["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| i["resumed"] == true)
        .count() as u64;
    assert_eq!(resumed, a["images_ok"].as_u64().expect("ok count"));
    let second = fleet_scan(
        &store,
        &cache,
        &list,
        &["--release", "v1.1", "--run-id", "r2"],
    );
    assert_eq!(json_of(&second)["status"], "complete");
    let d = stdout_json(
        &drydock()
            .args(["diff", "r1", "r2", "--format", "json", "--store", &store])
            .output()
            .expect("diff"),
        "diff r1 r2",
    );
    for cat in ["new", "resolved", "changed", "reappeared"] {
        assert_eq!(
            d["totals"].get(cat),
            None,
            "{cat} between identical runs: {d}"
        );
    }
    assert!(d["totals"]["unchanged"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn two_tags_of_one_image_have_the_same_fingerprints_in_json_and_sarif() {
    let Some(dir) = fleet_dir() else { return };
    let exp = expected(&dir);
    // Two tags whose images have the same digest (a retag).
    let images = expected_images(&exp);
    let mut by_digest: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    for (name, v) in &images {
        if v["format"] == "oci-layout" && v["expect"] == "ok" {
            by_digest
                .entry(v["config_digest"].as_str().unwrap_or_default().to_string())
                .or_default()
                .push((name.clone(), v.clone()));
        }
    }
    let candidates: Vec<&Vec<(String, Value)>> = by_digest
        .values()
        .filter(|v| {
            v.len() >= 2
                && v[0].0.rsplit_once(':').map(|x| x.0) == v[1].0.rsplit_once(':').map(|x| x.0)
        })
        .collect();
    assert!(!candidates.is_empty(), "a retagged image in the fleet");
    let target = |v: &Value| {
        format!(
            "{}:{}",
            dir.join("oci").display(),
            v["oci_tag"].as_str().expect("oci_tag")
        )
    };
    let run = |t: &str, format: &str| -> Value {
        stdout_json(
            &drydock()
                .args(["image", t, "--format", format, "--db"])
                .arg(db())
                .output()
                .expect("scan"),
            "drydock image",
        )
    };
    let fps = |v: &Value| -> BTreeSet<String> {
        v["targets"][0]["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["fingerprint"].as_str().map(str::to_string))
            .collect()
    };
    // The first retagged image that has findings.
    let (ta, tb, ja, jb) = candidates
        .iter()
        .find_map(|pair| {
            let (ta, tb) = (target(&pair[0].1), target(&pair[1].1));
            let ja = run(&ta, "json");
            (!fps(&ja).is_empty()).then(|| {
                let jb = run(&tb, "json");
                (ta, tb, ja, jb)
            })
        })
        .expect("a retagged image with findings");
    assert_ne!(
        ja["targets"][0]["name"], jb["targets"][0]["name"],
        "two tags"
    );
    assert_eq!(fps(&ja), fps(&jb));
    let sarif_fps = |v: &Value| -> BTreeSet<String> {
        v["runs"][0]["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["partialFingerprints"].to_string())
            .collect()
    };
    let (sa, sb) = (run(&ta, "sarif"), run(&tb, "sarif"));
    assert!(!sarif_fps(&sa).is_empty());
    assert_eq!(sarif_fps(&sa), sarif_fps(&sb));
}

#[test]
fn diff_of_two_saved_reports_needs_no_store() {
    let Some(dir) = fleet_dir() else { return };
    let exp = expected(&dir);
    // An image whose v1.0 → v1.1 build removed a package.
    let (repo, want) = exp["diffs"]["v1.0..v1.1"]
        .as_object()
        .expect("pair")
        .iter()
        .find(|(_, w)| {
            w["status"] == "changed"
                && w["removed"].as_array().is_some_and(|r| !r.is_empty())
                && w["old"]
                    .as_str()
                    .is_some_and(|o| o.starts_with("fleet.example/team/"))
        })
        .expect("an image with a removed package");
    let _ = repo;
    let images = expected_images(&exp);
    let tag = |name: &str| {
        format!(
            "{}:{}",
            dir.join("oci").display(),
            images[name]["oci_tag"].as_str().expect("oci_tag")
        )
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let mut reports = Vec::new();
    for (i, name) in [want["old"].as_str(), want["new"].as_str()]
        .iter()
        .enumerate()
    {
        let path = tmp.path().join(format!("r{i}.json"));
        let out = drydock()
            .args(["image", &tag(name.expect("name")), "--format"])
            .arg(format!("json={}", path.display()))
            .arg("--db")
            .arg(db())
            .output()
            .expect("scan");
        super::assert_success(&out, "drydock image");
        reports.push(path);
    }
    let d = stdout_json(
        &drydock()
            .arg("diff")
            .args(&reports)
            .args(["--format", "json"])
            .env("DRYDOCK_STORE", tmp.path().join("never-created.db"))
            .output()
            .expect("diff"),
        "diff of reports",
    );
    assert!(!tmp.path().join("never-created.db").exists());
    let removed: BTreeSet<String> = want["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .filter_map(|p| p[1].as_str().map(str::to_string))
        .collect();
    for e in d["entries"].as_array().expect("entries") {
        if e["category"] == "resolved" {
            assert!(
                removed.contains(e["package"].as_str().unwrap_or_default())
                    || want["upgraded"]
                        .to_string()
                        .contains(e["package"].as_str().unwrap_or("?")),
                "resolved {e} from a package the build did not remove"
            );
        }
    }
}

#[test]
fn bad_fleet_files_and_missing_runs_are_clear_errors() {
    let tmp = tempfile::tempdir().expect("tmp");
    let f = tmp.path().join("fleet.yaml");
    std::fs::write(
        &f,
        "version: 1\nreleases:\n  - name: v1\n    images: [a:1]\n    tags: []\n",
    )
    .expect("write");
    let out = drydock()
        .args(["fleet", "scan"])
        .arg(&f)
        .arg("--db")
        .arg(db())
        .args(["--store"])
        .arg(tmp.path().join("h.db"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("fleet.yaml:5"), "{err}");
    assert!(err.contains("tags"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let store = tmp.path().join("h.db").display().to_string();
    let out = drydock()
        .args(["diff", "nope-a", "nope-b", "--store", &store])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no run `nope-a`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = drydock()
        .args(["fleet", "scan", "list.txt", "--shard", "4/3"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn kubernetes_manifests_validate() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/kubernetes");
    let found = std::process::Command::new("kubernetes-validate")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success());
    if require("kubernetes-validate (PyPI)", found).is_none() {
        return;
    }
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("deploy/kubernetes")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    assert!(files.len() >= 3, "{files:?}");
    let out = std::process::Command::new("kubernetes-validate")
        .args(["--strict", "--quiet"])
        .args(&files)
        .output()
        .expect("kubernetes-validate");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The fleet file in the ConfigMap is one drydock reads.
    let cm = std::fs::read_to_string(dir.join("fleet-configmap.yaml")).expect("configmap");
    let body: String = cm
        .split_once("fleet.yaml: |\n")
        .expect("fleet.yaml key")
        .1
        .lines()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let tmp = tempfile::tempdir().expect("tmp");
    let f = tmp.path().join("fleet.yaml");
    std::fs::write(&f, body).expect("write");
    let out = drydock()
        .args(["fleet", "scan"])
        .arg(&f)
        .args(["--db", "/nonexistent/db.db", "--store"])
        .arg(tmp.path().join("h.db"))
        .output()
        .expect("run");
    // It gets past the fleet file and stops at the missing DB.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no vulnerability DB"), "{err}");
}

/// The issue-15 scenario through the CLI: a finding accepted for a repository stays suppressed
/// when the next run scans a new tag of it, and once the acceptance has run out the diff says
/// `acceptance expired` (the clock is `SOURCE_DATE_EPOCH`).
#[test]
fn an_acceptance_survives_a_rescan_and_its_expiry_shows_in_the_diff() {
    let Some(dir) = fleet_dir() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    for store in stores(tmp.path()) {
        let cache = tmp.path().join("cache");
        let day = |d: &str| {
            format!(
                "{}",
                jiff::civil::Date::strptime("%Y-%m-%d", d)
                    .expect("date")
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .expect("zoned")
                    .timestamp()
                    .as_second()
                    + 3600
            )
        };
        let scan = |run: &str, when: &str| {
            let out = drydock()
                .args(["fleet", "scan"])
                .arg(dir.join("fleet.yaml"))
                .args(["--release", "v1.1", "--db"])
                .arg(db())
                .args(["--store", &store, "--cache-dir"])
                .arg(&cache)
                .args(["--no-progress", "--format", "json", "--run-id", run])
                .env("SOURCE_DATE_EPOCH", day(when))
                .output()
                .expect("fleet scan");
            json_of(&out)
        };
        let first = scan("r1", "2026-12-01");
        // Pick one HIGH finding of one image from the store.
        let images = stdout_json(
            &drydock()
                .args([
                    "diff", "r1", "r1", "--format", "json", "--all", "--store", &store,
                ])
                .output()
                .expect("diff"),
            "diff r1 r1",
        );
        let e = images["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| {
                e["severity"] == "HIGH"
                    && e["repository"]
                        .as_str()
                        .is_some_and(|r| r.starts_with("fleet.example/team/"))
            })
            .expect("a HIGH finding")
            .clone();
        let (repo, pkg, vuln) = (
            e["repository"].as_str().expect("repo"),
            e["package"].as_str().expect("pkg"),
            e["vulnerability_id"].as_str().expect("id"),
        );
        let out = drydock()
            .args([
                "triage",
                "set",
                vuln,
                "--package",
                pkg,
                "--repository",
                repo,
            ])
            .args([
                "--state",
                "accepted",
                "--reason",
                "not reachable from the API",
            ])
            .args(["--expires", "2026-12-05", "--by", "test", "--store", &store])
            .env("SOURCE_DATE_EPOCH", day("2026-12-02"))
            .output()
            .expect("triage set");
        super::assert_success(&out, "triage set");
        // Before the expiry: the re-scan suppresses it (fewer HIGH reported in that image).
        let second = scan("r2", "2026-12-03");
        let high = |v: &Value| -> u64 {
            v["images"]
                .as_array()
                .expect("images")
                .iter()
                .filter(|i| i["repository"] == repo)
                .map(|i| i["findings"]["HIGH"].as_u64().unwrap_or(0))
                .sum()
        };
        // (One less per image of that repository that has it.)
        assert!(
            high(&second) < high(&first),
            "the accepted finding is suppressed"
        );
        // After it: counted again, and the diff names it.
        let third = scan("r3", "2026-12-10");
        assert_eq!(high(&third), high(&first));
        let d = stdout_json(
            &drydock()
                .args(["diff", "r2", "r3", "--format", "json", "--store", &store])
                .output()
                .expect("diff"),
            "diff r2 r3",
        );
        let expired: Vec<&Value> = d["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["category"] == "acceptance_expired")
            .collect();
        assert!(
            expired
                .iter()
                .all(|e| e["vulnerability_id"] == vuln && e["package"] == pkg),
            "{expired:?}"
        );
        assert!(!expired.is_empty(), "{d}");
    }
}

/// The registry variant of the fleet (`fleet-registry.yaml`): some repositories are pulled from
/// a loopback `docker-registry` the test fills with `skopeo`. Each pulled image has the manifest
/// digest and the package count it was built with, its repository is the registry's, the
/// never-pushed repository fails with a message, and the rest of the fleet is unchanged.
#[test]
fn a_fleet_pulls_its_registry_images_from_a_loopback_registry() {
    let Some(dir) = fleet_dir() else { return };
    let Some(registry) = super::registry::Registry::start() else {
        return;
    };
    let exp = expected(&dir);
    let push_list = std::fs::read_to_string(dir.join("registry-push.txt")).expect("push list");
    let mut host = String::new();
    for line in push_list.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (tag, dest) = line.split_once(' ').expect("OCI_TAG REPOSITORY:TAG");
        let src = format!("oci:{}:{tag}", dir.join("oci").display());
        let pushed = registry.push(&src, dest, None, false);
        host = pushed.split('/').next().unwrap_or_default().to_string();
    }
    assert!(!host.is_empty(), "registry-push.txt pushes nothing");

    // The fleet file and its image list with the placeholder host replaced; the layouts and
    // archives they name stay where they are.
    let tmp = tempfile::tempdir().expect("tmp");
    let placeholder = exp["registry_placeholder"].as_str().expect("placeholder");
    for name in ["fleet-registry.yaml", "images-v1.1-registry.txt"] {
        let text = std::fs::read_to_string(dir.join(name)).expect("fleet file");
        std::fs::write(tmp.path().join(name), text.replace(placeholder, &host)).expect("write");
    }
    for name in ["oci", "archives"] {
        std::os::unix::fs::symlink(dir.join(name), tmp.path().join(name)).expect("symlink");
    }
    let fleet = tmp.path().join("fleet-registry.yaml");

    let images = expected_images(&exp);
    let pulled: BTreeMap<String, &Value> = exp["images"]
        .as_object()
        .expect("images")
        .values()
        .filter_map(|v| {
            let r = v["registry_ref"].as_str()?;
            Some((r.replace(placeholder, &host), v))
        })
        .collect();
    for store in stores(tmp.path()) {
        let cache = tmp.path().join(format!("cache-{}", store.len()));
        let out = fleet_scan(&store, &cache, &fleet, &["--insecure"]);
        assert_eq!(
            out.status.code(),
            Some(3),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary = json_of(&out);
        // What the store recorded for each image (digest, package count, repository).
        let recorded = stdout_json(
            &drydock()
                .args([
                    "history", "images", "latest", "--format", "json", "--store", &store,
                ])
                .output()
                .expect("history images"),
            "history images",
        );
        let scanned = recorded.as_array().expect("images");
        let from_registry: Vec<&Value> = scanned
            .iter()
            .filter(|i| {
                i["reference"]
                    .as_str()
                    .is_some_and(|r| r.starts_with(&format!("{host}/")))
            })
            .collect();
        assert!(
            from_registry.len() >= 2,
            "the registry fleet names {} registry images",
            from_registry.len()
        );
        for i in &from_registry {
            let reference = i["reference"].as_str().unwrap_or_default();
            match pulled.get(reference) {
                Some(v) if v["expect"] == "ok" => {
                    assert_eq!(i["status"], "ok", "{reference}: {i}");
                    assert_eq!(i["digest"], v["manifest_digest"], "{reference}");
                    let built = v["packages"].as_array().map_or(0, Vec::len);
                    assert_eq!(i["package_count"], built as u64, "{reference}");
                    let repo = reference.rsplit_once(':').map_or(reference, |(r, _)| r);
                    assert_eq!(i["repository"], repo, "{reference}");
                }
                // Never pushed (the fleet's unpullable reference) or built broken.
                _ => {
                    assert_eq!(i["status"], "failed", "{reference}: {i}");
                    assert!(
                        i["error"].as_str().is_some_and(|e| !e.is_empty()),
                        "{reference}: a failure without a message"
                    );
                }
            }
        }
        // Every other image scanned as in the file-only fleet.
        let failed = scanned.iter().filter(|i| i["status"] == "failed").count();
        let expected_failed = images.values().filter(|v| v["expect"] != "ok").count();
        assert_eq!(failed, expected_failed, "{recorded}");
        assert_eq!(summary["images_failed"], failed as u64);
    }
}

/// `fleet scan --alert`: a complete run posts the digest of what is new once; a second run
/// that finds nothing new posts nothing. On the README's example fleet, its `../shared` paths
/// pointed at this machine's shared data.
#[test]
fn a_fleet_scan_alerts_on_what_is_new_and_is_quiet_when_nothing_is() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/fleet/fleet.yaml");
    let tmp = tempfile::tempdir().expect("tmp");
    let text = std::fs::read_to_string(&example).expect("example fleet");
    let data = super::shared().join("data");
    let fleet = tmp.path().join("fleet.yaml");
    let text = text.replace("../../../shared/data", &data.display().to_string());
    std::fs::write(&fleet, text).expect("write fleet");
    let store = tmp.path().join("h.db").display().to_string();
    let cache = tmp.path().join("cache");
    let (url, got) = super::forge::receiver();
    for (i, run_id) in ["night-1", "night-2"].iter().enumerate() {
        let out = fleet_scan(
            &store,
            &cache,
            &fleet,
            &["--run-id", run_id, "--alert", &url, "--alert-kind", "json"],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{run_id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sent = got.lock().expect("lock").clone();
        assert_eq!(sent.len(), 1, "{run_id}: one digest, then none: {sent:?}");
        if i == 0 {
            let v: Value = serde_json::from_str(&sent[0].1).expect("digest is JSON");
            assert!(
                v["counts"]["new"].as_u64().is_some_and(|n| n > 0),
                "a first scan's HIGH/CRITICAL findings are new: {v}"
            );
            assert_eq!(v["counts"]["failed"], 0, "{v}");
        }
    }
}

/// `--scanners` (and the fleet file's `defaults.scanners`) run the misconfiguration and secret
/// checks on every image; what they find is recorded like vulnerabilities, so turning them on
/// shows up in `diff` as new. A later run without them leaves those findings as last seen:
/// not looking is not "resolved".
#[test]
fn fleet_scanners_record_misconfigurations_and_secrets() {
    let fixtures = super::misconfig::fixtures();
    let image = fixtures.join("images/bad/docker-archive.tar");
    let tmp = tempfile::tempdir().expect("tmp");
    let list = tmp.path().join("images.txt");
    std::fs::write(&list, format!("{}\n", image.display())).expect("list");
    let fleet = tmp.path().join("fleet.yaml");
    std::fs::write(
        &fleet,
        format!(
            "version: 1\ndefaults:\n  scanners: [all]\nreleases:\n  - name: r\n    images: [{}]\n",
            image.display()
        ),
    )
    .expect("fleet file");
    // What `drydock image` finds with the same scanners: the ids the store must hold.
    let report = stdout_json(
        &drydock()
            .arg("image")
            .arg(&image)
            .args(["--scanners", "misconfig,secret", "--format", "json", "--db"])
            .arg(db())
            .output()
            .expect("drydock image"),
        "drydock image --scanners misconfig,secret",
    );
    let target = &report["targets"][0];
    let want: BTreeSet<String> = ["misconfigurations", "secrets"]
        .iter()
        .flat_map(|k| target[*k].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["id"].as_str().map(str::to_string))
        .collect();
    assert!(
        want.len() > 5,
        "the bad image has checks that fire: {target}"
    );

    for store in stores(tmp.path()) {
        let cache = tmp.path().join("cache");
        let diff = |a: &str, b: &str| {
            stdout_json(
                &drydock()
                    .args(["diff", a, b, "--format", "json", "--store", &store])
                    .output()
                    .expect("diff"),
                "diff",
            )
        };
        let ids = |d: &Value, cat: &str| -> BTreeSet<String> {
            d["entries"]
                .as_array()
                .expect("entries")
                .iter()
                .filter(|e| e["category"] == cat)
                .filter(|e| matches!(e["ecosystem"].as_str(), Some("misconfig" | "secret")))
                .filter_map(|e| e["vulnerability_id"].as_str().map(str::to_string))
                .collect()
        };
        let run = |file: &Path, id: &str, extra: &[&str]| {
            let mut args = vec!["--release", "r", "--run-id", id];
            args.extend_from_slice(extra);
            let out = fleet_scan(&store, &cache, file, &args);
            assert_eq!(json_of(&out)["images_ok"], 1, "{id}: {out:?}");
        };
        run(&list, "vuln", &[]);
        run(&list, "all", &["--scanners", "vuln,misconfig,secret"]);
        assert_eq!(ids(&diff("vuln", "all"), "new"), want, "{store}");
        run(&list, "vuln-again", &[]);
        let d = diff("all", "vuln-again");
        assert_eq!(ids(&d, "resolved"), BTreeSet::new(), "{store}: {d}");
        // The fleet file's defaults.scanners runs them too: nothing new, nothing gone.
        run(&fleet, "from-file", &[]);
        let d = diff("all", "from-file");
        assert!(
            ids(&d, "new").is_empty() && ids(&d, "resolved").is_empty(),
            "{d}"
        );
    }
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(
        &bad,
        format!(
            "version: 1\ndefaults:\n  scanners: [vuln, licence]\nreleases:\n  - name: r\n    images: [{}]\n",
            image.display()
        ),
    )
    .expect("bad fleet");
    let out = fleet_scan(
        &tmp.path().join("h.db").display().to_string(),
        &tmp.path().join("cache"),
        &bad,
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("defaults.scanners") && err.contains("licence"),
        "{err}"
    );
}

/// `docs/fleet.schema.json` describes what the parser takes: the example of docs/fleet.md and
/// the test fleet's files validate, and files the parser refuses (an unknown key, a wrong type,
/// an unknown scanner) are refused by the schema too.
#[test]
fn the_fleet_schema_agrees_with_the_parser() {
    let Some(tools) = require(
        "DRYDOCK_CI_TOOLS (check-jsonschema, .ci/setup.d/ci-files.sh)",
        std::env::var_os("DRYDOCK_CI_TOOLS")
            .map(PathBuf::from)
            .filter(|d| d.join("bin/check-jsonschema").is_file()),
    ) else {
        return;
    };
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let schema = repo.join("docs/fleet.schema.json");
    let valid = |file: &Path| -> bool {
        std::process::Command::new(tools.join("bin/check-jsonschema"))
            .arg("--schemafile")
            .arg(&schema)
            .arg(file)
            .output()
            .expect("run check-jsonschema")
            .status
            .success()
    };
    let tmp = tempfile::tempdir().expect("tmp");
    // The documented example, as docs/fleet.md shows it.
    let doc = std::fs::read_to_string(repo.join("docs/fleet.md")).expect("docs/fleet.md");
    let example = doc
        .split("```yaml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a yaml example in docs/fleet.md");
    let example_file = tmp.path().join("example.yaml");
    std::fs::write(&example_file, example).expect("write example");
    assert!(valid(&example_file), "docs/fleet.md's example:\n{example}");
    if let Some(dir) = fleet_dir() {
        for f in ["fleet.yaml", "fleet-registry.yaml"] {
            assert!(valid(&dir.join(f)), "{f}");
        }
    }
    let image = "reg.example/a:1";
    let cases = [
        ("defaults:\n  platfrom: linux/amd64\n", "platfrom"),
        ("defaults:\n  scanners: [vuln, licence]\n", "licence"),
        (
            "defaults:\n  ignore-unfixed: sometimes\n",
            "bad.yaml:3:19`: invalid boolean",
        ),
        ("colour: blue\n", "colour"),
    ];
    for (extra, named) in cases {
        let file = tmp.path().join("bad.yaml");
        std::fs::write(
            &file,
            format!("version: 1\n{extra}releases:\n  - name: r\n    images: [{image}]\n"),
        )
        .expect("write");
        assert!(!valid(&file), "the schema takes `{extra}`");
        let out = fleet_scan(
            &tmp.path().join("h.db").display().to_string(),
            &tmp.path().join("cache"),
            &file,
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "the parser takes `{extra}`");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(named), "{err}");
    }
}
