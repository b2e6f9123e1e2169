//! Handbook accepted-CVE pages against a run of the corpus image and the shared images.

use drydock_cvss::EnvProfile;
use drydock_triage::TriageError;
use drydock_triage::handbook::{Found, HANDBOOK_PROFILE, Page, found_in_run, short_name};

use crate::data::{Img, corpus_archive, record_run, stores};

fn profile() -> EnvProfile {
    EnvProfile::parse(HANDBOOK_PROFILE).expect("the handbook profile")
}

/// The run's findings (corpus image in release 5.3.3) or `None` without the corpus.
fn found() -> Option<Vec<Found>> {
    corpus_archive()?;
    let mut t = stores().remove(0);
    let seq = record_run(
        &mut t.store,
        "r1",
        1_780_000_000,
        &[(
            "5.3.3",
            vec![
                Img {
                    reference: "sourcegraph/app:5.3.3",
                    target: "corpus",
                    mirrored: false,
                },
                Img {
                    reference: "sourcegraph/alpine:5.3.3",
                    target: "alpine-3.7.3-minirootfs",
                    mirrored: true,
                },
            ],
        )],
    );
    Some(found_in_run(&mut t.store, seq, Some("5.3.3")).expect("found"))
}

const NEW_LAYOUT_HEAD: &str = "---\ntitle: Accepted CVEs for Sourcegraph 5.3.3\n---\n\n# Accepted CVEs for Sourcegraph 5.3.3\n\n\
| CVE ID | Affected Images | CVE Severity | CVSS Base Score | Sourcegraph Assessment | CVSS Environmental Score | Details |\n\
|--------|-----------------|--------------|-----------------|------------------------|--------------------------|---------|\n";

#[test]
fn compare_and_write_table_keep_human_cells() {
    let Some(found) = found() else { return };
    let musl = found
        .iter()
        .find(|f| f.vuln_id == "CVE-2019-14697")
        .expect("musl's CVE in the Alpine image");
    assert_eq!(short_name(&musl.repository), "sourcegraph/alpine");
    // A page accepting musl's CVE (with human text, odd spacing and a note in the image
    // cell) and a row for something no longer found.
    let page_text = format!(
        "{NEW_LAYOUT_HEAD}\
|  [CVE-2019-14697](https://nvd.nist.gov/vuln/detail/CVE-2019-14697)|sourcegraph/alpine (Docker Compose only) | Critical | 9.8 |  Low  | 0 | musl's x87 code is not built for x86_64 — *approved by J.* |\n\
| [CVE-2000-0001](https://example.invalid) | sourcegraph/gone | High | 7.5 | Medium | 4.7 | fixed upstream |\n\
\n## Known False Positives\n\n| Vulnerability ID | Affected Images | Note |\n|---|---|---|\n| GHSA-xxxx-yyyy-zzzz | sourcegraph/app | wrong package |\n\nTrailing prose stays.\n"
    );
    let page = Page::parse(&page_text, "5-3-3.md").expect("parses");
    assert_eq!(page.accepted.rows.len(), 2);
    assert_eq!(
        page.accepted.rows[0].images[0].note.as_deref(),
        Some("Docker Compose only")
    );
    let cmp = page.compare(&found);
    assert!(!cmp.not_accepted.contains_key("CVE-2019-14697"));
    assert_eq!(cmp.no_longer_found.len(), 1);
    assert_eq!(cmp.no_longer_found[0].id, "CVE-2000-0001");
    assert_eq!(cmp.no_longer_found[0].line, 10);
    let distinct: std::collections::BTreeSet<&str> = found
        .iter()
        .filter(|f| f.vuln_id != "CVE-2019-14697")
        .map(|f| f.vuln_id.as_str())
        .collect();
    assert_eq!(cmp.not_accepted.len(), distinct.len());

    let written = page.updated(&found, &profile());
    let again = Page::parse(&written, "written.md").expect("the written page parses");
    // The kept row is byte-identical, the resolved one gone, the rest of the page unchanged.
    assert!(written.contains(&page.accepted.rows[0].raw));
    assert!(!written.contains("CVE-2000-0001"));
    assert!(written.ends_with("Trailing prose stays.\n"));
    assert!(written.contains("| GHSA-xxxx-yyyy-zzzz | sourcegraph/app | wrong package |"));
    assert_eq!(again.accepted.rows.len(), 1 + distinct.len());
    assert!(again.compare(&found).not_accepted.is_empty());
    assert!(again.compare(&found).no_longer_found.is_empty());
    // New rows carry the environmental score under MAV:A/CR:H/IR:M/AR:L where a vector exists.
    let with_vector = found
        .iter()
        .find(|f| {
            f.cvss_vector
                .as_deref()
                .is_some_and(|v| v.starts_with("CVSS:3"))
                && f.vuln_id != "CVE-2019-14697"
        })
        .expect("a finding with a CVSS v3 vector");
    let row = again
        .accepted
        .rows
        .iter()
        .find(|r| r.id == with_vector.vuln_id)
        .expect("its new row");
    let env = drydock_triage::handbook::environmental_score(
        with_vector.cvss_vector.as_deref().unwrap_or_default(),
        &profile(),
    )
    .expect("an environmental score");
    assert_eq!(row.cells[5].trim(), env);
    assert_eq!(row.cells[4].trim(), "", "assessment is left to a human");

    // A human fills in assessments and details; writing again changes nothing else.
    let edited: String = written
        .lines()
        .map(|l| {
            if l.starts_with("| [") && l.ends_with(" |  |") {
                let mut cells: Vec<&str> = l.split(" | ").collect();
                let n = cells.len();
                cells[n - 1] = "reviewed, not exposed |";
                cells[4] = "Low";
                cells.join(" | ")
            } else {
                l.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect();
    assert_ne!(edited, written);
    let rewritten = Page::parse(&edited, "edited.md")
        .expect("parses")
        .updated(&found, &profile());
    assert_eq!(
        rewritten, edited,
        "only the human edits differ from the machine's page"
    );
}

#[test]
fn old_layout_sorted_by_severity() {
    let Some(found) = found() else { return };
    let text = "# Accepted CVEs for Sourcegraph 4.1.0\n\n\
CVE ID | Affected Images | CVE Severity | Sourcegraph Assessment | Details\n\
--- | --- | --- | --- | ---\n\
[CVE-2019-14697](x) | SOURCEGRAPH/ALPINE | CRITICAL | Low | musl\n";
    let page = Page::parse(text, "4-1-0.md").expect("old layout parses");
    assert_eq!(page.accepted.columns.len(), 5);
    let written = page.updated(&found, &profile());
    let again = Page::parse(&written, "w.md").expect("parses");
    assert!(again.accepted.rows.iter().all(|r| r.cells.len() == 5));
    assert_eq!(
        again.accepted.rows[0].raw,
        "[CVE-2019-14697](x) | SOURCEGRAPH/ALPINE | CRITICAL | Low | musl"
    );
    // Sorted as the input was (one row: by id), so the new rows follow in id order.
    let ids: Vec<&str> = again.accepted.rows.iter().map(|r| r.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);

    // A page sorted by severity, then id (a CRITICAL row whose id sorts after the HIGH row's):
    // the new rows go in by severity, then id; the kept rows stay as written.
    let rank = |s: &str| match s.to_ascii_uppercase().as_str() {
        "CRITICAL" => 0,
        "HIGH" => 1,
        "MEDIUM" => 2,
        "LOW" => 3,
        _ => 4,
    };
    let worst = |id: &str| {
        found
            .iter()
            .filter(|f| f.vuln_id == id)
            .map(|f| rank(&f.severity))
            .min()
            .unwrap_or(4)
    };
    let (crit, high) = found
        .iter()
        .filter(|c| worst(&c.vuln_id) == 0)
        .find_map(|c| {
            found
                .iter()
                .find(|h| worst(&h.vuln_id) == 1 && h.vuln_id < c.vuln_id)
                .map(|h| (c.clone(), h.clone()))
        })
        .expect("a CRITICAL id that sorts after a HIGH id");
    let rows = [
        format!(
            "{} | {} | Critical | Low | kept as is",
            crit.vuln_id,
            short_name(&crit.repository)
        ),
        format!(
            "{} | {} | High | Low | also kept",
            high.vuln_id,
            short_name(&high.repository)
        ),
    ];
    let text = format!(
        "CVE ID | Affected Images | CVE Severity | Sourcegraph Assessment | Details\n\
--- | --- | --- | --- | ---\n{}\n{}\n",
        rows[0], rows[1]
    );
    let written = Page::parse(&text, "sev.md")
        .expect("parses")
        .updated(&found, &profile());
    let again = Page::parse(&written, "w.md").expect("parses");
    assert!(again.accepted.rows.len() > 2, "new rows were added");
    let keys: Vec<(usize, &str)> = again
        .accepted
        .rows
        .iter()
        .map(|r| (rank(r.cells[2].trim()), r.id.as_str()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "by severity, then id");
    for raw in &rows {
        assert!(again.accepted.rows.iter().any(|r| &r.raw == raw), "{raw}");
    }
}

#[test]
fn bad_pages_name_file_and_line() {
    let no_table =
        Page::parse("# Accepted CVEs\n\nNothing here.\n", "empty.md").expect_err("no table");
    assert!(matches!(no_table, TriageError::File { .. }), "{no_table}");
    assert!(no_table.to_string().starts_with("empty.md: "));
    let short = format!("{NEW_LAYOUT_HEAD}| CVE-2024-1 | app | High |\n");
    let e = Page::parse(&short, "p.md").expect_err("short row");
    assert_eq!(
        e.to_string(),
        "p.md:9: the row has 3 cells, the table 7 columns"
    );
    let bad_id = format!("{NEW_LAYOUT_HEAD}| see below | app | High | | | | |\n");
    let e = Page::parse(&bad_id, "p.md").expect_err("bad id");
    assert!(
        e.to_string()
            .starts_with("p.md:9: `see below` is not a vulnerability id"),
        "{e}"
    );
    let no_image = format!("{NEW_LAYOUT_HEAD}| CVE-2024-1 |  | High | | | | |\n");
    assert!(Page::parse(&no_image, "p.md").is_err());
}
