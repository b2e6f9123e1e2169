//! Per-release CSVs and index.json from a run; the CSV read back as triage, on both backends.

use drydock_triage::publish::{PublishOptions, publish};
use drydock_triage::release_csv::{self, HEADER};
use drydock_triage::{Triage, TriageInput};

use crate::data::{Img, corpus_archive, record_run, stores};

#[test]
fn csv_per_release_and_read_back() {
    if corpus_archive().is_none() {
        return;
    }
    let today: drydock_policy::Date = "2026-06-01".parse().expect("date");
    for mut t in stores() {
        let s = &mut t.store;
        record_run(
            s,
            "r1",
            1_780_000_000,
            &[
                (
                    "v2.6",
                    vec![
                        Img {
                            reference: "rancher/alpine:3.7",
                            target: "alpine-3.7.3-minirootfs",
                            mirrored: true,
                        },
                        Img {
                            reference: "rancher/app:2.6.0",
                            target: "corpus",
                            mirrored: false,
                        },
                    ],
                ),
                (
                    "v2.7",
                    vec![Img {
                        reference: "rancher/app:2.7.0",
                        target: "corpus",
                        mirrored: false,
                    }],
                ),
            ],
        );
        // Ignore musl's CVE in v2.6 only.
        let rec = Triage::validate(
            TriageInput {
                scope: "release".into(),
                release: Some("v2.6".into()),
                package: "musl".into(),
                vuln_id: "CVE-2019-14697".into(),
                state: "accepted".into(),
                reason: Some("x87 code not built, \"quoted\", with, commas".into()),
                expires: Some("2026-12-01".into()),
                ..TriageInput::default()
            },
            today,
        )
        .expect("valid");
        drydock_triage::set(s, &rec, "alice", 1).expect("set");
        let dir = tempfile::tempdir().expect("dir");
        let (published, rows) =
            publish(s, "latest", dir.path(), &PublishOptions::default()).expect("publish");
        assert_eq!(published.releases.len(), 2);
        let csv = std::fs::read_to_string(dir.path().join("v2.6.csv")).expect("csv");
        assert_eq!(csv.lines().next(), Some(HEADER.join(",").as_str()));
        let v26 = &rows["v2.6"];
        // Fleet order: the Alpine image first, then the app; severity order within an image.
        assert_eq!(v26[0].image, "rancher/alpine:3.7");
        assert!(
            v26.iter()
                .all(|r| r.severity == "HIGH" || r.severity == "CRITICAL")
        );
        let app: Vec<&str> = v26
            .iter()
            .filter(|r| r.image == "rancher/app:2.6.0")
            .map(|r| r.severity.as_str())
            .collect();
        assert!(
            app.windows(2)
                .all(|w| !(w[0] == "HIGH" && w[1] == "CRITICAL"))
        );
        let musl = v26
            .iter()
            .find(|r| r.package_name == "musl")
            .expect("musl row");
        assert_eq!(
            (musl.state.as_str(), musl.mirrored, musl.pkg_type.as_str()),
            ("ignore", true, "alpine")
        );
        assert!(rows["v2.7"].iter().all(|r| r.state.as_str() == "triaged"));
        // index.json carries the same rows.
        let index: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("index.json")).expect("index"),
        )
        .expect("json");
        assert_eq!(
            index["rows"]["v2.6"].as_array().map(Vec::len),
            Some(v26.len())
        );
        // Read back: one ignore record for v2.6, the notes survive quoting.
        let back = release_csv::read(&csv, "v2.6.csv").expect("reads");
        let recs = release_csv::to_triage(
            &back,
            "v2.6",
            "2026-12-01".parse().expect("d"),
            today,
            "v2.6.csv",
        )
        .expect("triage");
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].key(), rec.key());
        assert_eq!(recs[0].reason, rec.reason);

        // An acceptance in v2.7 that ran out before the run ended (2026-05-28): `triaged` in
        // the CSV, its notes saying so, and read back it makes no record (a re-import never
        // renews it). Published as of a day before its expiry, it is `ignore`.
        let first = &rows["v2.7"][0];
        let (pkg, vuln) = (first.package_name.clone(), first.vulnerability_id.clone());
        let lapsed = Triage::validate(
            TriageInput {
                scope: "release".into(),
                release: Some("v2.7".into()),
                package: pkg.clone(),
                vuln_id: vuln.clone(),
                state: "accepted".into(),
                reason: Some("fine for the winter".into()),
                expires: Some("2026-03-01".into()),
                ..TriageInput::default()
            },
            "2026-01-01".parse().expect("date"),
        )
        .expect("valid then");
        drydock_triage::set(s, &lapsed, "alice", 2).expect("set");
        let is_it = |r: &release_csv::CsvRow| r.package_name == pkg && r.vulnerability_id == vuln;
        let later = tempfile::tempdir().expect("dir");
        let (_, rows) =
            publish(s, "latest", later.path(), &PublishOptions::default()).expect("publish");
        let row = rows["v2.7"].iter().find(|r| is_it(r)).expect("the row");
        assert_eq!(row.state.as_str(), "triaged");
        assert_eq!(
            row.notes,
            "acceptance expired on 2026-03-01 (accepted: fine for the winter)"
        );
        let csv = std::fs::read_to_string(later.path().join("v2.7.csv")).expect("csv");
        let back = release_csv::read(&csv, "v2.7.csv").expect("reads");
        let recs = release_csv::to_triage(
            &back,
            "v2.7",
            "2026-12-01".parse().expect("d"),
            today,
            "v2.7.csv",
        )
        .expect("triage");
        assert!(recs.is_empty(), "{recs:?}");
        let before_expiry = 1_772_000_000; // 2026-02-25
        let (_, rows) = drydock_triage::publish::publish_generated(
            s,
            "latest",
            later.path(),
            &PublishOptions::default(),
            Some(before_expiry),
        )
        .expect("publish");
        let row = rows["v2.7"].iter().find(|r| is_it(r)).expect("the row");
        assert_eq!(
            (row.state.as_str(), row.notes.as_str()),
            ("ignore", "fine for the winter")
        );
    }
}

#[test]
fn bad_csvs_name_file_and_line() {
    let head = HEADER.join(",");
    let e = release_csv::read("image,package,extra\n", "x.csv").expect_err("unknown columns");
    assert!(
        e.to_string()
            .starts_with("x.csv:1: unknown column(s) `package`, `extra`"),
        "{e}"
    );
    let e = release_csv::read(&format!("{head}\na,b,c,CVE-1,HIGH,u,1,,maybe,\n"), "x.csv")
        .expect_err("state");
    assert_eq!(
        e.to_string(),
        "x.csv:2: unknown state `maybe` (the CSV's states are triaged, waiting, ignore)"
    );
    let e = release_csv::read(
        &format!("{head}\na,b,c,CVE-1,HIGH,u,1,,triaged,\na,b,c,CVE-1,HIGH,u,1,,ignore,\n"),
        "x.csv",
    )
    .expect_err("ignore without notes");
    assert_eq!(
        e.to_string(),
        "x.csv:3: `ignore` needs a justification in `notes`"
    );
}
