use super::*;
use crate::site::Image;
use crate::{Triage, TriageInput};

const EVIL: &str =
    "<script>window.__xss=1</script>\"'><img src=x onerror=alert(1)>&\u{7}\u{1b}[31m\u{0}";

fn triage(state: &str, reason: Option<&str>, expires: Option<&str>) -> Triage {
    Triage::validate(
        TriageInput {
            scope: "release".into(),
            release: Some("v1".into()),
            package: "openssl".into(),
            vuln_id: "CVE-2024-0001".into(),
            state: state.into(),
            justification: (state == "not_affected").then(|| "component_not_present".into()),
            reason: reason.map(Into::into),
            expires: expires.map(Into::into),
            ..TriageInput::default()
        },
        "2026-01-01".parse().expect("date"),
    )
    .expect("valid triage")
}

fn finding(vuln: &str, sev: Severity, triage: Option<(i64, Triage)>) -> Finding {
    Finding {
        vuln_id: vuln.into(),
        title: Some(format!("title of {vuln}")),
        url: Some(format!("https://avd.example/{vuln}")),
        package: "openssl".into(),
        pkg_type: "debian".into(),
        installed: "3.0.1-1".into(),
        fixed: Some("3.0.2-1".into()),
        severity: sev,
        triage,
        first_seen_at: 1_780_000_000,
    }
}

fn site() -> Site {
    let mut hostile = finding("CVE-2024-6666", Severity::High, None);
    hostile.title = Some(EVIL.into());
    hostile.package = EVIL.into();
    hostile.installed = EVIL.into();
    hostile.url = Some("javascript:alert(1)".into());
    Site {
        run_id: "run-1".into(),
        run_started_at: 1_780_000_000,
        run_finished_at: Some(1_780_000_600),
        db_built_at: Some("2026-05-28T00:00:00Z".into()),
        generated_at: 1_790_000_000,
        severities: vec![Severity::Critical, Severity::High],
        releases: vec![Release {
            name: "v1".into(),
            csv: "v1.csv".into(),
            images: vec![
                Image {
                    reference: "registry.example/app:1.0".into(),
                    repository: "registry.example/app".into(),
                    mirrored: false,
                    digest: Some("sha256:abc".into()),
                    os: Some("debian".into()),
                    error: None,
                    findings: vec![
                        finding("CVE-2024-0001", Severity::Critical, None),
                        finding(
                            "CVE-2024-0002",
                            Severity::High,
                            Some((
                                7,
                                triage("accepted", Some("admin VPN only"), Some("2027-01-01")),
                            )),
                        ),
                        finding(
                            "CVE-2024-0003",
                            Severity::High,
                            Some((8, triage("accepted", Some("was fine"), Some("2026-02-01")))),
                        ),
                        finding(
                            "CVE-2024-0004",
                            Severity::High,
                            Some((9, triage("not_affected", Some("no such code"), None))),
                        ),
                        hostile,
                    ],
                },
                Image {
                    reference: EVIL.into(),
                    repository: EVIL.into(),
                    mirrored: true,
                    digest: None,
                    os: None,
                    error: Some(EVIL.into()),
                    findings: Vec::new(),
                },
            ],
        }],
    }
}

fn page<'a>(pages: &'a [(String, String)], path: &str) -> &'a str {
    &pages
        .iter()
        .find(|(p, _)| p == path)
        .unwrap_or_else(|| panic!("no page {path}"))
        .1
}

#[test]
fn one_page_per_release_and_image() {
    let s = site();
    let pages = render(&s);
    let paths: Vec<&str> = pages.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths.len(), 4, "{paths:?}");
    assert_eq!(paths[0], "index.html");
    assert_eq!(paths[1], "releases/v1.html");
    assert!(paths[2].starts_with("releases/v1/registry.example_app_1.0-"));
    // Same site, same bytes.
    assert_eq!(pages, render(&s));
}

#[test]
fn index_counts_by_severity_and_state() {
    let pages = render(&site());
    let index = page(&pages, "index.html");
    // One release row: 2 images, 5 findings, 1 CRITICAL, 4 HIGH, 2 suppressed (the unexpired
    // acceptance and not_affected; the expired acceptance counts again).
    let row = index
        .split("<tbody>")
        .nth(1)
        .and_then(|b| b.split("</tbody>").next())
        .expect("a table body");
    let nums: Vec<&str> = row
        .split("<td class=\"num\">")
        .skip(1)
        .filter_map(|c| c.split('<').next())
        .collect();
    assert_eq!(nums, ["2", "5", "1", "4", "2"], "{row}");
    for s in ["accepted 1", "expired 1", "not_affected 1", "untriaged 2"] {
        assert!(row.contains(s), "{s} in {row}");
    }
    assert!(index.contains("href=\"releases/v1.html\""));
    assert!(index.contains("href=\"v1.csv\""));
    assert!(index.contains("href=\"index.json\""));
    assert!(index.contains("2026-05-28T00:00:00Z"), "the DB date");
    assert!(index.contains("2026-05-28 20:36 UTC"), "the run date");
}

#[test]
fn image_page_marks_triage() {
    let s = site();
    let pages = render(&s);
    let img = page(&pages, &image_path("v1", "registry.example/app:1.0"));
    let row = |vuln: &str| -> &str {
        let at = img.find(&format!(">{vuln}</a>")).expect("the finding");
        let start = img[..at].rfind("<tr").expect("its row");
        let end = at + img[at..].find("</tr>").expect("row end");
        &img[start..end]
    };
    assert!(row("CVE-2024-0001").contains("data-state=\"untriaged\""));
    let accepted = row("CVE-2024-0002");
    assert!(
        accepted.starts_with("<tr class=\"suppressed\""),
        "{accepted}"
    );
    assert!(accepted.contains("admin VPN only") && accepted.contains("until 2027-01-01"));
    assert!(accepted.contains("CSV: ignore"));
    let expired = row("CVE-2024-0003");
    assert!(expired.starts_with("<tr class=\"expired\""), "{expired}");
    assert!(expired.contains("expired on 2026-02-01"));
    let na = row("CVE-2024-0004");
    assert!(na.contains("<code>component_not_present</code>") && na.contains("no such code"));
    assert!(img.contains("href=\"https://avd.example/CVE-2024-0001\""));
    assert!(img.contains("href=\"../v1.html\"") && img.contains("href=\"../../v1.csv\""));
    assert!(img.contains("href=\"../../index.html\""));
    // The filter is there for scripts and hidden without them.
    assert!(img.contains("<form class=\"filter\" hidden"));
}

#[test]
fn hostile_text_stays_text() {
    let pages = render(&site());
    for (path, html) in &pages {
        assert_eq!(html.matches("<script").count(), 1, "{path}: only ours");
        assert!(!html.contains("<img"), "{path}");
        assert!(!html.contains("javascript:"), "{path}: a javascript: link");
        assert!(
            !html
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{path}: a control character"
        );
    }
    let img = page(&pages, &image_path("v1", "registry.example/app:1.0"));
    assert!(img.contains(
        "&lt;script&gt;window.__xss=1&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;  [31m "
    ));
    // The CVE of the javascript: URL is text, not a link.
    assert!(img.contains("<td class=\"vuln\">CVE-2024-6666<"));
    let failed = page(&pages, &image_path("v1", EVIL));
    assert!(failed.contains("The scan failed"));
}

#[test]
fn the_csp_allows_exactly_the_inline_script() {
    let pages = render(&site());
    let html = &pages[0].1;
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT.as_bytes()));
    assert!(html.contains(&format!("script-src 'sha256-{hash}'")));
    assert!(html.contains(&format!("<script>{SCRIPT}</script>")));
}
