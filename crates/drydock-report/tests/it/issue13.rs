//! Issue 13 (the scanner as a Trivy user meets it): grouping by source, terminal width, the
//! title fallback in every format, the HTML report's summary, filter and muted rows,
//! coverage, Trivy's JSON shape, and SBOMs read back as inventories.

use drydock_match::{Coverage, Finding};
use drydock_package::{Ecosystem, Location};
use drydock_policy::Verdict;
use drydock_report::{Format, Report, WriteOptions, finding_groups, parse_sbom};
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use crate::fixture::{sbom_report, vulnerability_report};
use crate::snapshots::render;

const PLAIN: WriteOptions = WriteOptions {
    color: false,
    show_suppressed: false,
    width: None,
};

/// The report with one more target-less finding: a PyPI package found in a lockfile and a Go
/// module found in a binary, both copied from a real finding, so grouping has three sources.
fn mixed_report() -> Report {
    let mut r = vulnerability_report();
    let t = &mut r.targets[0];
    let base = t.findings[0].clone();
    for (eco, name, path) in [
        (Ecosystem::Pypi, "regex", "app/requirements.txt"),
        (Ecosystem::Cargo, "regex", "app/Cargo.lock"),
        (Ecosystem::Golang, "stdlib", "usr/local/bin/hello-go"),
    ] {
        let mut d = base.clone();
        d.finding.ecosystem = eco;
        d.finding.package = name.into();
        d.finding.locations = vec![Location::new(None, path)];
        d.verdict = Verdict::Report;
        t.findings.push(d);
    }
    r
}

fn untitled(f: &mut Finding) {
    f.title = None;
    f.description = Some(
        "Waitress through version 1.3.1 allows request smuggling. A second sentence follows."
            .into(),
    );
}

#[test]
fn table_groups_findings_by_source_each_with_a_count_line() {
    let text = render(&mixed_report(), Format::Table, &PLAIN);
    let pos = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("`{s}` in the table:\n{text}"))
    };
    // The OS packages first, then each lockfile or binary by path.
    let os = pos("alpine 3.7.3 (alpine)");
    let cargo = pos("app/Cargo.lock (cargo)");
    let pip = pos("app/requirements.txt (pip)");
    let go = pos("usr/local/bin/hello-go (gobinary)");
    assert!(os < cargo && cargo < pip && pip < go, "{text}");
    // Each group says how many it holds.
    let after_go = &text[go..];
    assert!(
        after_go
            .lines()
            .nth(2)
            .is_some_and(|l| l.starts_with("Total: 1 (")),
        "{after_go}"
    );
    let r = mixed_report();
    let groups = finding_groups(&r.targets[0], false);
    assert_eq!(groups.len(), 4);
    assert_eq!(groups[0].findings.len(), 2, "musl and musl-utils");
}

#[test]
fn table_fits_the_terminal_and_keeps_titles_whole_in_a_file() {
    let r = vulnerability_report();
    let narrow = render(
        &r,
        Format::Table,
        &WriteOptions {
            width: Some(100),
            ..PLAIN
        },
    );
    for line in narrow.lines().filter(|l| l.starts_with('│')) {
        assert!(line.width() <= 100, "{} columns: {line}", line.width());
    }
    assert!(narrow.contains('…'), "a long title is cut");
    let whole = render(&r, Format::Table, &PLAIN);
    let title = r.targets[0].findings[0]
        .finding
        .title
        .clone()
        .expect("a title");
    assert!(whole.contains(&title), "the whole title when piped");
    assert!(whole.lines().any(|l| l.width() > 100));
}

#[test]
fn title_falls_back_to_the_first_sentence_everywhere() {
    let mut r = vulnerability_report();
    untitled(&mut r.targets[0].findings[0].finding);
    let id = r.targets[0].findings[0].finding.id.clone();
    let first = "Waitress through version 1.3.1 allows request smuggling";
    let all = WriteOptions {
        show_suppressed: true,
        ..PLAIN
    };
    for format in [
        Format::Table,
        Format::Csv,
        Format::Markdown,
        Format::Html,
        Format::Junit,
        Format::TrivyJson,
    ] {
        let text = render(&r, format, &all);
        assert!(text.contains(first), "{format}: {text}");
    }
    let sarif: Value = serde_json::from_str(&render(&r, Format::Sarif, &all)).expect("SARIF");
    let rule = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["id"] == id.as_str())
        .expect("the rule");
    assert_eq!(rule["shortDescription"]["text"], first);
    assert_eq!(
        drydock_report::first_sentence("Use e.g. a proxy. Then more."),
        "Use e.g. a proxy"
    );
}

fn coverage_report() -> Report {
    let mut r = vulnerability_report();
    r.targets[0].coverage = vec![
        Coverage {
            ecosystem: Ecosystem::Apk,
            source: Some("alpine 3.7".into()),
            packages: 14,
            matched: 14,
            unmatched: 0,
            reason: None,
        },
        Coverage {
            ecosystem: Ecosystem::Npm,
            source: Some("npm".into()),
            packages: 78,
            matched: 0,
            unmatched: 78,
            reason: Some("the DB has no `npm` advisories".into()),
        },
    ];
    r
}

#[test]
fn what_could_not_be_checked_is_said_in_the_table_html_and_json() {
    let r = coverage_report();
    let table = render(&r, Format::Table, &PLAIN);
    let line = table
        .lines()
        .find(|l| l.starts_with("Not checked:"))
        .unwrap_or_else(|| panic!("a coverage line:\n{table}"));
    assert!(
        line.contains("78 npm packages (the DB has no `npm` advisories)")
            && line.contains("14 of 92 packages checked"),
        "{line}"
    );
    let html = render(&r, Format::Html, &PLAIN);
    assert!(html.contains("class=\"coverage\""), "{html}");
    let json: Value = serde_json::from_str(&render(&r, Format::Json, &PLAIN)).expect("JSON");
    let cov = &json["targets"][0]["coverage"];
    assert_eq!(cov[1]["unmatched"], 78);
    assert_eq!(cov[1]["matched"], 0);
    assert_eq!(cov[0]["matched"], 14);
    // Nothing unchecked: no line.
    let table = render(&vulnerability_report(), Format::Table, &PLAIN);
    assert!(!table.contains("Not checked"));
}

#[test]
fn html_has_summary_filter_groups_and_muted_suppressed_rows() {
    let r = mixed_report();
    let all = WriteOptions {
        show_suppressed: true,
        ..PLAIN
    };
    let html = render(&r, Format::Html, &all);
    assert!(html.contains("id=\"summary\""));
    assert!(html.contains("Gate: FAILED") || html.contains("Gate: passed"));
    assert!(html.contains("<form class=\"filter\" id=\"filter\""));
    for g in [
        "app/requirements.txt (pip)",
        "usr/local/bin/hello-go (gobinary)",
    ] {
        assert!(html.contains(g), "group {g}");
    }
    // CVSS vector and the path are in each finding's details.
    assert!(html.contains("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
    assert!(html.contains("usr/local/bin/hello-go</span>"));
    // Suppressed and filtered rows are muted, with their reason.
    let hidden = r.targets[0]
        .findings
        .iter()
        .filter(|d| !drydock_report::is_reported(d))
        .count();
    assert!(hidden > 0);
    assert_eq!(html.matches("class=\"finding muted\"").count(), hidden);
    assert!(html.contains("<span class=\"why\">suppressed: "));
    // The one script is the one the Content-Security-Policy allows by hash.
    let script = html
        .split("<script>")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("the filter script");
    let hash = {
        use sha2::Digest as _;
        let d = sha2::Sha256::digest(script.as_bytes());
        base64(&d)
    };
    assert!(
        html.contains(&format!("script-src 'sha256-{hash}'")),
        "CSP pins the script"
    );
}

fn base64(b: &[u8]) -> String {
    // Python's base64 would do; this keeps the test self-contained.
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            s.push(if i <= c.len() {
                T[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    s
}

#[test]
fn trivy_json_has_results_per_source() {
    let r = mixed_report();
    let v: Value = serde_json::from_str(&render(&r, Format::TrivyJson, &PLAIN)).expect("JSON");
    assert_eq!(v["SchemaVersion"], 2);
    let results = v["Results"].as_array().expect("Results");
    let targets: Vec<&str> = results
        .iter()
        .map(|r| r["Target"].as_str().unwrap_or_default())
        .collect();
    assert!(targets[0].ends_with("(alpine 3.7.3)"), "{targets:?}");
    assert!(targets.contains(&"usr/local/bin/hello-go"));
    let go = results
        .iter()
        .find(|r| r["Target"] == "usr/local/bin/hello-go")
        .expect("the Go binary");
    assert_eq!(go["Type"], "gobinary");
    assert_eq!(go["Class"], "lang-pkgs");
    let v0 = &results[0]["Vulnerabilities"][0];
    for key in [
        "VulnerabilityID",
        "PkgName",
        "InstalledVersion",
        "FixedVersion",
        "Severity",
        "Title",
        "PrimaryURL",
    ] {
        assert!(v0.get(key).is_some(), "{key} in {v0}");
    }
    assert!(v0["CVSS"]["nvd"]["V3Score"].is_number(), "{v0}");
    let reported: usize = r.targets[0].reported().count();
    let listed: usize = results
        .iter()
        .map(|r| r["Vulnerabilities"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(listed, reported);
}

#[test]
fn sbom_written_then_read_gives_the_same_packages() {
    let r = sbom_report();
    let want = &r.targets[0];
    for format in [Format::CycloneDx, Format::SpdxJson] {
        let doc: Value = serde_json::from_str(&render(&r, format, &PLAIN)).expect("JSON");
        let got = parse_sbom(&doc, "bom.json").expect("an SBOM");
        let inv = got.inventory;
        assert_eq!(inv.warnings, Vec::new(), "{format}");
        let os = inv.os.as_ref().expect("the OS");
        let want_os = want.os.as_ref().expect("the OS");
        assert_eq!(
            (&os.family, &os.version),
            (&want_os.family, &want_os.version)
        );
        let names = |ps: Vec<(String, String, Option<String>)>| ps;
        let got_pkgs = names(
            inv.packages
                .iter()
                .map(|p| {
                    (
                        p.name.clone(),
                        p.version.clone(),
                        p.source.as_ref().map(|s| s.name.clone()),
                    )
                })
                .collect(),
        );
        let want_pkgs = names(
            want.packages
                .iter()
                .map(|p| {
                    (
                        p.package.name.clone(),
                        p.package.version.clone(),
                        p.package.source.as_ref().map(|s| s.name.clone()),
                    )
                })
                .collect(),
        );
        assert_eq!(got_pkgs, want_pkgs, "{format}");
        let paths: Vec<&str> = inv.packages[0]
            .locations
            .iter()
            .map(|l| l.path.as_str())
            .collect();
        let want_paths: Vec<&str> = want.packages[0]
            .package
            .locations
            .iter()
            .map(|l| l.path.as_str())
            .collect();
        assert_eq!(paths, want_paths, "{format}");
    }
}

/// The rows of the Markdown table that follows `heading`, up to the next blank line.
fn markdown_rows<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    let at = text
        .find(heading)
        .unwrap_or_else(|| panic!("`{heading}` in:\n{text}"));
    text[at..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .collect()
}

/// Cell separators of a GFM table row: `|` not escaped with a backslash.
fn separators(row: &str) -> usize {
    let b = row.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
        .count()
}

#[test]
fn markdown_groups_by_source_with_counts_sorted_by_severity() {
    let mut r = mixed_report();
    // A LOW finding listed before a CRITICAL one of the same lockfile: the group sorts them,
    // and a package name with a pipe and a newline stays one cell of one row.
    let t = &mut r.targets[0];
    let mut low = t.findings[0].clone();
    low.finding.ecosystem = Ecosystem::Pypi;
    low.finding.package = "pipe|name\nnext".into();
    low.finding.severity = drydock_match::Severity::Low;
    low.finding.locations = vec![Location::new(None, "app/requirements.txt")];
    low.verdict = Verdict::Report;
    t.findings.insert(0, low);
    let text = render(&r, Format::Markdown, &PLAIN);
    let pos = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("`{s}` in the Markdown:\n{text}"))
    };
    // One section per source, in the table's order, each with its own count line.
    let os = pos("### alpine 3.7.3 (alpine)");
    let cargo = pos("### app/Cargo.lock (cargo)");
    let pip = pos("### app/requirements.txt (pip)");
    let go = pos("### usr/local/bin/hello-go (gobinary)");
    assert!(os < cargo && cargo < pip && pip < go, "{text}");
    assert!(
        text[pip..]
            .lines()
            .nth(2)
            .is_some_and(|l| l.starts_with("Total: 2 (CRITICAL 1, HIGH 0, MEDIUM 0, LOW 1")),
        "{}",
        &text[pip..]
    );
    let rows = markdown_rows(&text, "### app/requirements.txt (pip)");
    assert_eq!(rows.len(), 4, "header, rule, two findings: {rows:#?}");
    assert!(rows[2].contains("| CRITICAL |"), "highest first: {rows:#?}");
    assert!(rows[3].contains("pipe\\|name next"), "{rows:#?}");
    // Valid GFM: every row has as many cell separators as the header.
    for heading in [
        "### alpine 3.7.3 (alpine)",
        "### app/requirements.txt (pip)",
    ] {
        let rows = markdown_rows(&text, heading);
        let header = separators(rows[0]);
        for row in &rows {
            assert_eq!(separators(row), header, "{row}");
        }
    }
}

/// Issue 14 case 13: a package name carrying a colour escape, a carriage return and a
/// right-to-left override reaches neither the table nor the Markdown raw.
#[test]
fn hostile_package_names_are_escaped_in_table_and_markdown() {
    let mut r = vulnerability_report();
    r.targets[0].findings[0].finding.package = "evil\u{1b}[31mred\rover\u{202e}txt".into();
    for format in [Format::Table, Format::Markdown] {
        let text = render(&r, format, &PLAIN);
        for bad in ['\u{1b}', '\r', '\u{202e}'] {
            assert!(
                !text.contains(bad),
                "{format}: raw {:?} in:\n{text}",
                bad.escape_default().to_string()
            );
        }
        assert!(text.contains("evil"), "{format}: the name is still shown");
        assert!(text.contains("u{1b}"), "{format}: shown escaped:\n{text}");
        assert!(text.contains("31mred"), "{format}: {text}");
    }
}

#[test]
fn ignore_file_summary_counts_findings_rules_and_unused_rules_with_reasons() {
    use drydock_policy::{PolicyNotice, PolicyNoticeKind};
    let mut r = vulnerability_report();
    let t = &mut r.targets[0];
    for (i, d) in t.findings.iter_mut().take(3).enumerate() {
        d.verdict = Verdict::Suppressed;
        let (by, reason) = if i < 2 {
            (".trivyignore:3", "musl's x87 code is not built for x86_64")
        } else {
            (".trivyignore:6", "no reason given")
        };
        d.suppressed_by = Some(by.into());
        d.reason = Some(reason.into());
    }
    r.policy_notices = vec![PolicyNotice {
        kind: PolicyNoticeKind::Unused,
        source: ".trivyignore:9".into(),
        id: "CVE-2000-0001".into(),
        message: "ignore entry `CVE-2000-0001` matches no finding: remove it?".into(),
    }];
    let table = render(&r, Format::Table, &PLAIN);
    assert!(
        table.contains("3 findings ignored by `.trivyignore` (2 rules); 1 rule matched nothing"),
        "{table}"
    );
    assert!(
        table.contains(
            ".trivyignore:3  CVE-2019-14697 (2 findings): musl's x87 code is not built for x86_64"
        ),
        "{table}"
    );
    assert!(table.contains("(1 finding): no reason given"), "{table}");
    let md = render(&r, Format::Markdown, &PLAIN);
    assert!(md.contains("### Suppressed"), "{md}");
    assert!(md.contains("(2 rules); 1 rule matched nothing"), "{md}");
    assert!(
        md.contains("musl's x87 code is not built for x86\\_64"),
        "{md}"
    );
}

/// Issue 13 leftover: the HTML report sums up what was suppressed as the table and Markdown
/// do, per source and rule, and a reason or rule from an ignore file is escaped.
#[test]
fn html_sums_up_suppressed_findings_per_source_and_rule_escaped() {
    let mut r = vulnerability_report();
    for (i, d) in r.targets[0].findings.iter_mut().take(3).enumerate() {
        d.verdict = Verdict::Suppressed;
        d.suppressed_by = Some(if i < 2 { ".trivyignore:3" } else { "vex.json" }.into());
        d.reason = Some(if i < 2 {
            "x87 <script>alert(1)</script> & not built".into()
        } else {
            "vulnerable_code_not_in_execute_path".into()
        });
    }
    let html = render(&r, Format::Html, &PLAIN);
    let start = html
        .find("<section class=\"card\" id=\"suppressed\"><h2>Suppressed</h2>")
        .unwrap_or_else(|| panic!("no suppression summary in:\n{html}"));
    let card = &html[start..];
    let card = &card[..card.find("</section>").expect("the card closes")];
    assert!(
        card.contains("<li>2 findings ignored by `.trivyignore` (1 rule)"),
        "{card}"
    );
    assert!(
        card.contains(
            "<li><code>.trivyignore:3</code>: CVE-2019-14697 (2 findings): x87 &lt;script&gt;alert(1)&lt;/script&gt; &amp; not built</li>"
        ),
        "{card}"
    );
    assert!(
        card.contains("<li>1 finding suppressed by `vex.json`"),
        "{card}"
    );
    assert_eq!(html.matches("<script").count(), 1, "only the filter script");
    // Nothing suppressed, no card.
    let mut clean = vulnerability_report();
    for d in &mut clean.targets[0].findings {
        if d.verdict == Verdict::Suppressed {
            d.verdict = Verdict::Report;
        }
    }
    clean.policy_notices.clear();
    let clean = render(&clean, Format::Html, &PLAIN);
    assert!(!clean.contains("id=\"suppressed\""));
}
