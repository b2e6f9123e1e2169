//! The GitHub dialect against GitHub's own published material (npm `@octokit/openapi` and
//! `@octokit/fixtures`, pinned, installed by `.ci/setup.d/forge.sh`, found through
//! `DRYDOCK_OCTOKIT_DIR`): every request drydock makes in the Must-show scenario is an operation
//! of the OpenAPI description with declared parameters and body fields; the recorded
//! pagination, search and error exchanges parse, and the recorded pages replayed on loopback are
//! followed through their `/repositories/{id}/issues` links by drydock's client.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use drydock_forge::Pacing;
use drydock_forge::forge::github::parse_issue_page;
use drydock_forge::forge::{Forge, ForgeConfig, ForgeKind, connect};
use drydock_forge::http::next_link;
use drydock_forge::sync::{self, SyncOptions};
use drydock_forge::{NoTriage, Token};
use serde_json::Value;

use crate::fake::{Dialect, Fake, TOKEN};
use crate::history::{Img, run, store};

fn octokit() -> Option<PathBuf> {
    let dir = std::env::var_os("DRYDOCK_OCTOKIT_DIR").map(PathBuf::from);
    match dir.filter(|d| d.join("openapi/generated/api.github.com.json").is_file()) {
        Some(d) => Some(d),
        None => {
            let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
            assert!(
                !ci,
                "DRYDOCK_OCTOKIT_DIR is not set or incomplete: .ci/setup.d/forge.sh installs it"
            );
            eprintln!("skipped: DRYDOCK_OCTOKIT_DIR not set (run .ci/setup.d/forge.sh)");
            None
        }
    }
}

fn fixture(dir: &std::path::Path, scenario: &str) -> Vec<Value> {
    let p = dir.join(format!(
        "fixtures/scenarios/api.github.com/{scenario}/normalized-fixture.json"
    ));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str::<Vec<Value>>(&text).expect("fixture JSON")
}

/// `$ref` → the schema it names.
fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let mut cur = spec;
            for part in r.trim_start_matches("#/").split('/') {
                cur = &cur[part];
            }
            resolve(spec, cur)
        }
        None => v,
    }
}

fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(a, b)| (a.starts_with('{') && a.ends_with('}') && !b.is_empty()) || a == b)
}

/// Checks one request against the description; returns what is wrong.
fn check(
    spec: &Value,
    method: &str,
    path: &str,
    query: &str,
    body: Option<&Value>,
) -> Result<String, String> {
    let paths = spec["paths"].as_object().expect("paths");
    let (template, item) = paths
        .iter()
        .find(|(t, _)| template_matches(t, path))
        .ok_or_else(|| format!("{method} {path}: no such path"))?;
    let op = item
        .get(method.to_ascii_lowercase())
        .ok_or_else(|| format!("{method} {template}: no such operation"))?;
    let mut declared: Vec<String> = Vec::new();
    for p in op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(item["parameters"].as_array().into_iter().flatten())
    {
        let p = resolve(spec, p);
        if p["in"] == "query" {
            declared.push(p["name"].as_str().unwrap_or_default().to_string());
        }
    }
    for kv in query.split('&').filter(|s| !s.is_empty()) {
        let name = kv.split('=').next().unwrap_or(kv);
        if !declared.iter().any(|d| d == name) {
            return Err(format!(
                "{method} {template}: undeclared query parameter `{name}`"
            ));
        }
    }
    if let Some(b) = body {
        let schema = resolve(
            spec,
            &op["requestBody"]["content"]["application/json"]["schema"],
        );
        let props = schema["properties"]
            .as_object()
            .ok_or_else(|| format!("{method} {template}: takes no JSON body"))?;
        for (k, v) in b.as_object().into_iter().flatten() {
            let prop = props
                .get(k)
                .ok_or_else(|| format!("{method} {template}: undeclared body field `{k}`"))?;
            let prop = resolve(spec, prop);
            let enums: Vec<&Value> = std::iter::once(prop)
                .chain(
                    prop["anyOf"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .chain(prop["oneOf"].as_array().into_iter().flatten()),
                )
                .flat_map(|p| p["enum"].as_array().into_iter().flatten())
                .collect();
            if !enums.is_empty() && !enums.contains(&v) {
                return Err(format!(
                    "{method} {template}: `{k}` = {v} is not one of {enums:?}"
                ));
            }
        }
    }
    Ok(format!("{} {template}", method.to_ascii_uppercase()))
}

#[test]
fn every_github_request_is_an_operation_of_the_openapi_description() {
    let Some(dir) = octokit() else { return };
    let text = std::fs::read_to_string(dir.join("openapi/generated/api.github.com.json"))
        .expect("read spec");
    let spec: Value = serde_json::from_str(&text).expect("spec JSON");
    // Exercise everything the client does: the Must-show runs, a duplicate, a failure issue.
    let tmp = tempfile::tempdir().expect("tmp");
    let mut s = store(&tmp);
    let fake = Fake::start(Dialect::Github);
    let mut f = crate::sync::forge_for(&fake, TOKEN);
    let app = "registry.example/team/app:1.0";
    for (i, findings) in [
        vec![("CVE-2024-0001", "openssl", "3.0", None, "CRITICAL")],
        vec![("CVE-2024-0002", "zlib1g", "1.2", Some("1.3"), "HIGH")],
        vec![],
        vec![("CVE-2024-0002", "zlib1g", "1.2", Some("1.3"), "HIGH")],
    ]
    .into_iter()
    .enumerate()
    {
        run(
            &mut s,
            &format!("r{i}"),
            i as i64,
            &[Img::Ok(app, &["v1"], &findings)],
        );
        let plan = sync::plan_run(
            &mut s,
            "latest",
            f.as_mut(),
            &NoTriage,
            &SyncOptions::default(),
        )
        .expect("plan");
        sync::apply(&plan, f.as_mut()).expect("apply");
    }
    run(&mut s, "r9", 9, &[]);
    let plan = sync::plan_run(
        &mut s,
        "latest",
        f.as_mut(),
        &NoTriage,
        &SyncOptions::default(),
    )
    .expect("plan");
    sync::apply(&plan, f.as_mut()).expect("apply");
    f.comment(1, "a comment").expect("comment");
    let mut seen = BTreeMap::new();
    for r in fake.requests() {
        if r.path.starts_with("/repositories/") {
            continue; // a server-given next link, not a request drydock builds
        }
        match check(&spec, &r.method, &r.path, &r.query, r.body.as_ref()) {
            Ok(op) => *seen.entry(op).or_insert(0) += 1,
            Err(e) => panic!("{e}"),
        }
    }
    // The check can fail: an unknown close reason, a GitLab-style parameter, a wrong method.
    let bad = serde_json::json!({"state_reason": "fixed"});
    assert!(check(&spec, "PATCH", "/repos/o/r/issues/1", "", Some(&bad)).is_err());
    assert!(check(&spec, "GET", "/repos/o/r/issues", "author_username=x", None).is_err());
    assert!(check(&spec, "PUT", "/repos/o/r/issues/1", "", None).is_err());
    for op in [
        "GET /user",
        "GET /repos/{owner}/{repo}/issues",
        "POST /repos/{owner}/{repo}/issues",
        "GET /repos/{owner}/{repo}/issues/{issue_number}",
        "PATCH /repos/{owner}/{repo}/issues/{issue_number}",
        "GET /repos/{owner}/{repo}/labels",
        "POST /repos/{owner}/{repo}/labels",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
    ] {
        assert!(seen.contains_key(op), "{op} exercised: {seen:?}");
    }
}

#[test]
fn recorded_pages_search_and_errors_parse() {
    let Some(dir) = octokit() else { return };
    let pages = fixture(&dir, "paginate-issues");
    let mut total = 0;
    for p in &pages {
        let issues = parse_issue_page(&p["response"].to_string()).expect("an issue page");
        total += issues.len();
        if let Some(next) = next_link(p["headers"]["link"].as_str()) {
            assert!(
                next.starts_with("https://api.github.com/repositories/1000/issues"),
                "{next}"
            );
        }
    }
    assert_eq!(total, 13, "every recorded issue parses");
    let search = fixture(&dir, "search-issues");
    let items = &search[0]["response"]["items"];
    assert!(parse_issue_page(&items.to_string()).is_ok());
    assert_eq!(search[0]["headers"]["x-ratelimit-resource"], "search");
    let errors = fixture(&dir, "errors");
    let e = &errors[0]["response"];
    assert_eq!(errors[0]["status"], 422);
    assert_eq!(e["message"], "Validation Failed");
    assert_eq!(e["errors"][0]["field"], "color");
}

/// Serves the recorded pages: the first at any `/repos/…/issues` path, the next ones at the
/// recorded `/repositories/1000/issues?page=N`, with their `link` headers moved to loopback.
#[test]
fn recorded_pagination_replayed_through_the_client() {
    let Some(dir) = octokit() else { return };
    let pages = fixture(&dir, "paginate-issues");
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let origin = format!("http://127.0.0.1:{}", l.local_addr().expect("addr").port());
    let o2 = origin.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut r = BufReader::new(conn.try_clone().expect("clone"));
            let mut line = String::new();
            let _ = r.read_line(&mut line);
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
            }
            let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let (status, body, link) = if target == "/user" {
                (
                    200,
                    r#"{"login":"octokit-fixture-user-a"}"#.to_string(),
                    None,
                )
            } else {
                let page: usize = target
                    .split(['?', '&'])
                    .find_map(|kv| kv.strip_prefix("page=").and_then(|n| n.parse().ok()))
                    .unwrap_or(1);
                let p = &pages[(page - 1).min(pages.len() - 1)];
                (
                    200,
                    p["response"].to_string(),
                    p["headers"]["link"]
                        .as_str()
                        .map(|l| l.replace("https://api.github.com", &o2)),
                )
            };
            let mut head = format!(
                "HTTP/1.1 {status} OK\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            if let Some(l) = link {
                head.push_str(&format!("link: {l}\r\n"));
            }
            let _ = write!(conn, "{head}\r\n{body}");
        }
    });
    let mut f: Box<dyn Forge> = connect(&ForgeConfig {
        kind: ForgeKind::Github,
        repository: "octokit-fixture-org/paginate-issues".into(),
        url: Some(origin),
        token: Some(Token::new("recorded")),
        pacing: Some(Pacing::FAST),
    })
    .expect("forge");
    let all = f
        .list_issues(None, "octokit-fixture-user-a")
        .expect("all pages");
    assert_eq!(all.len(), 13);
    assert_eq!(f.stats().requests, 5, "five recorded pages");
}
