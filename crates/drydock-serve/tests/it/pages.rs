//! The HTML pages: every page renders on both backends, filters travel in the URL, security
//! headers, hostile advisory text renders inert, and the log-in + CSRF-protected triage form.

use crate::client::{self, Resp, TRIAGER, VIEWER, enc, get, post};
use crate::data::{self, APP, APP_REPO, EVIL, EVIL_DESC, EVIL_TITLE, EVIL_VULN, MINI, RELEASE};

fn page(u: &str, path: &str, headers: &[(&str, &str)]) -> String {
    let r = get(&format!("{u}{path}"), headers);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{path}"
    );
    r.body
}

fn pages(vuln: &str) -> Vec<String> {
    vec![
        "/".into(),
        "/runs".into(),
        format!("/releases/{RELEASE}"),
        "/releases/5.0".into(),
        format!("/readiness/{RELEASE}"),
        format!("/image?ref={}", enc(APP)),
        format!("/image?ref={}", enc(MINI)),
        "/findings".into(),
        "/findings?severity=HIGH&state=untriaged&sort=package&order=asc&per_page=5&page=2".into(),
        format!("/findings/{vuln}"),
        "/needs-triage".into(),
        "/new".into(),
        "/expiring?days=30".into(),
        "/login".into(),
    ]
}

#[test]
fn every_page_renders_on_both_backends() {
    let vuln = data::app_observations()[0].vuln_id.clone();
    for b in data::backends() {
        let s = client::serve(&b.location, false);
        let u = &s.url;
        for p in pages(&vuln) {
            page(u, &p, &[]);
        }
        let overview = page(u, "/", &[]);
        assert!(overview.contains("Release 5.1"), "{}", b.backend);
        assert!(
            overview.contains("4 images scanned, <span class=\"badge failed\">1 failed"),
            "the newest run scanned four images, one failed"
        );
        assert!(
            overview.contains("<svg class=\"trend\""),
            "the trend chart is inline SVG"
        );
        assert!(overview.contains("<rect class=\"c-"), "the chart has bars");
        let release = page(u, &format!("/releases/{RELEASE}"), &[]);
        assert!(release.contains("failed to scan"));
        assert!(release.contains("layer sha256:0bad truncated"));
        // The image page: each finding's fixed version, layer and path, advisory links, and the
        // scan history.
        let obs = data::app_observations();
        let o = obs
            .iter()
            .find(|o| o.fixed.is_some() && o.layer.is_some() && o.path.is_some())
            .expect("a finding with a fix, a layer and a path");
        let img = page(
            u,
            &format!(
                "/image?ref={}&q={}&package={}",
                enc(APP),
                enc(&o.vuln_id),
                enc(&o.package)
            ),
            &[],
        );
        for (what, v) in [
            ("fixed", o.fixed.as_deref()),
            ("path", o.path.as_deref()),
            ("layer", o.layer.as_deref().map(|l| &l[..l.len().min(19)])),
        ] {
            let v = v.expect("set");
            assert!(
                img.contains(v),
                "{}: the image page shows {what} `{v}`",
                b.backend
            );
        }
        let all = page(u, &format!("/image?ref={}&per_page=500", enc(APP)), &[]);
        assert!(
            all.contains("rel=\"noopener noreferrer\">"),
            "advisory links"
        );
        let history = &all[all.find("Scan history").expect("the scan history")..];
        for run in ["#1", "#2", "#3"] {
            assert!(history.contains(&format!("<td>{run}</td>")), "{run}");
        }
        let mini = page(u, &format!("/image?ref={}", enc(MINI)), &[]);
        assert!(mini.contains("The newest scan failed"));
        // The filter is in the URL, and the page's links keep it.
        let o = &data::app_observations()[0];
        let f = page(
            u,
            &format!(
                "/findings?severity={}&package={}",
                o.severity,
                enc(&o.package)
            ),
            &[],
        );
        let sort_link = format!(
            "package={}&amp;severity={}&amp;sort=package",
            enc(&o.package),
            o.severity
        );
        assert!(
            f.contains(&sort_link),
            "sort links keep the filter: {sort_link}"
        );
        for s in ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
            .iter()
            .filter(|s| **s != o.severity)
        {
            assert!(
                !f.contains(&format!("<td><span class=\"badge sev-{s}\">")),
                "only {} rows",
                o.severity
            );
        }
        let bad = get(&format!("{u}/findings?per_page=9999"), &[]);
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("per_page"));
        let missing = get(&format!("{u}/findings/CVE-1999-0000"), &[]);
        assert_eq!(missing.status, 404);
        s.running.stop().expect("stop");
    }
}

fn assert_security_headers(r: &Resp, what: &str) {
    let csp = r
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"));
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(part), "{what}: CSP lacks {part}: {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: {csp}"
    );
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"), "{what}");
}

#[test]
fn security_headers_everywhere_and_no_inline_script() {
    let b = data::sqlite();
    let s = client::serve(&b.location, false);
    let u = &s.url;
    for p in [
        "/",
        "/api/overview",
        "/static/app.js",
        "/static/app.css",
        "/nothing",
        "/api/nothing",
        "/healthz",
    ] {
        let r = get(&format!("{u}{p}"), &[]);
        assert_security_headers(&r, p);
    }
    let js = get(&format!("{u}/static/app.js"), &[]);
    assert!(
        js.header("content-type")
            .is_some_and(|c| c.starts_with("text/javascript"))
    );
    let vuln = data::app_observations()[0].vuln_id.clone();
    for p in pages(&vuln) {
        let body = page(u, &p, &[]);
        // The only script is the embedded file: no inline script, no handler attributes.
        assert_eq!(body.matches("<script").count(), 1, "{p}");
        assert!(
            body.contains("<script src=\"/static/app.js\" defer>"),
            "{p}"
        );
        assert!(
            !body.contains(" onclick=") && !body.contains(" onload="),
            "{p}"
        );
        assert!(
            !body.contains("src=\"http") && !body.contains("stylesheet\" href=\"http"),
            "{p}: no external assets"
        );
    }
    s.running.stop().expect("stop");
}

#[test]
fn hostile_advisory_text_renders_inert() {
    let b = data::sqlite();
    let s = client::serve(&b.location, false);
    let u = &s.url;
    for p in [
        format!("/findings/{EVIL_VULN}"),
        "/findings?q=evil".to_string(),
        format!("/image?ref={}", enc(EVIL)),
        "/new".to_string(),
        format!("/readiness/{RELEASE}"),
    ] {
        let body = page(u, &p, &[]);
        assert!(!body.contains(EVIL_TITLE), "{p}: the title is escaped");
        assert!(!body.contains("<script>window.__xss"), "{p}");
        assert!(!body.contains("<img src=x onerror"), "{p}");
        assert!(
            !body.contains("<script>alert(5)"),
            "{p}: the installed version is escaped"
        );
        assert!(
            !body.contains("href=\"javascript:"),
            "{p}: javascript: URLs are not links"
        );
        assert!(
            body.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"),
            "{p}: shown as text"
        );
    }
    let f = page(u, &format!("/findings/{EVIL_VULN}"), &[]);
    assert!(!f.contains(EVIL_DESC), "the description is escaped");
    assert!(!f.contains("<svg onload") && !f.contains("<iframe") && !f.contains("<b onmouseover"));
    assert!(f.contains("&lt;iframe src=javascript:alert(3)&gt;"));
    s.running.stop().expect("stop");
}

fn cookie_of<'a>(r: &'a Resp, name: &str) -> Option<&'a str> {
    r.headers_named("set-cookie").into_iter().find_map(|c| {
        c.split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v)
    })
}

fn hidden_csrf(body: &str) -> String {
    let i = body.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    body[i..].split('"').next().expect("a value").to_string()
}

/// Logs in through the form; returns the session cookie header.
pub fn login(u: &str, token: &str) -> String {
    let form = get(&format!("{u}/login"), &[]);
    let login_cookie = cookie_of(&form, "drydock_login")
        .expect("a login cookie")
        .to_string();
    let csrf = hidden_csrf(&form.body);
    let r = post(
        &format!("{u}/login"),
        &[("cookie", &format!("drydock_login={login_cookie}"))],
        "application/x-www-form-urlencoded",
        &format!("csrf={csrf}&token={}", enc(token)),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let session = cookie_of(&r, "drydock_session").expect("a session cookie");
    let set = r.headers_named("set-cookie").join(" | ");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    format!("drydock_session={session}")
}

#[test]
fn login_and_csrf_protected_triage_form() {
    let b = data::sqlite();
    let s = client::serve(&b.location, false);
    let u = &s.url;
    let o = data::app_observations()[0].clone();
    let path = format!("/findings/{}", o.vuln_id);

    // Log-in needs the form's own CSRF token (from the login cookie).
    let form = get(&format!("{u}/login"), &[]);
    let lc = cookie_of(&form, "drydock_login")
        .expect("cookie")
        .to_string();
    let forged = post(
        &format!("{u}/login"),
        &[("cookie", &format!("drydock_login={lc}"))],
        "application/x-www-form-urlencoded",
        &format!("csrf=forged&token={TRIAGER}"),
    );
    assert_eq!(forged.status, 403);
    let wrong = post(
        &format!("{u}/login"),
        &[("cookie", &format!("drydock_login={lc}"))],
        "application/x-www-form-urlencoded",
        &format!("csrf={}&token=not-a-token", hidden_csrf(&form.body)),
    );
    assert_eq!(wrong.status, 401);

    // Anonymous: no form, a log-in link; posting is refused.
    let anon = page(u, &path, &[]);
    assert!(!anon.contains("action=\"/triage\""));
    let body = format!(
        "vuln_id={}&package={}&scope=image&repository={}&state=affected&notes=n",
        enc(&o.vuln_id),
        enc(&o.package),
        enc(APP_REPO)
    );
    let r = post(
        &format!("{u}/triage"),
        &[],
        "application/x-www-form-urlencoded",
        &body,
    );
    assert_eq!(r.status, 401);

    // A viewer gets no triage form, and a post is refused.
    let viewer = login(u, VIEWER);
    let p = get(&format!("{u}{path}"), &[("cookie", &viewer)]);
    assert!(p.body.contains("victor (viewer)"), "logged in");
    assert!(
        !p.body.contains("action=\"/triage\""),
        "no form for a viewer"
    );
    let csrf_v = hidden_csrf(&p.body);
    let r = post(
        &format!("{u}/triage"),
        &[("cookie", &viewer)],
        "application/x-www-form-urlencoded",
        &format!("csrf={csrf_v}&{body}"),
    );
    assert_eq!(r.status, 403);

    let session = login(u, TRIAGER);
    let p = page(u, &path, &[("cookie", &session)]);
    assert!(p.contains("action=\"/triage\""), "the triage form is shown");
    assert!(p.contains("alice (triager)"));
    let csrf = hidden_csrf(&p);
    let send = |csrf: &str, extra: &[(&str, &str)]| {
        let mut h: Vec<(&str, &str)> = vec![("cookie", session.as_str())];
        h.extend_from_slice(extra);
        post(
            &format!("{u}/triage"),
            &h,
            "application/x-www-form-urlencoded",
            &format!("csrf={csrf}&{body}"),
        )
    };
    assert_eq!(send("", &[]).status, 403, "no CSRF token");
    assert_eq!(send("0000", &[]).status, 403, "a wrong CSRF token");
    assert_eq!(
        send(&csrf_v, &[]).status,
        403,
        "another session's CSRF token"
    );
    let host = u.trim_start_matches("http://");
    assert_eq!(
        send(&csrf, &[("origin", "http://evil.example")]).status,
        403,
        "a cross-site post"
    );
    let ok = send(&csrf, &[("origin", &format!("http://{host}"))]);
    assert_eq!(ok.status, 303, "{}", ok.body);
    let to = ok.header("location").expect("a redirect").to_string();
    assert!(to.starts_with(&path) && to.contains("saved="), "{to}");
    let after = page(u, &to, &[("cookie", &session)]);
    assert!(after.contains("saved."));
    assert!(after.contains("badge st-affected"));
    assert!(after.contains("Audit trail (2 events)"), "state and notes");

    // A rule broken in the form: the page comes back with the message and the values.
    let bad = post(
        &format!("{u}/triage"),
        &[("cookie", &session)],
        "application/x-www-form-urlencoded",
        &format!(
            "csrf={csrf}&vuln_id={}&package={}&scope=image&repository={}&state=accepted&reason=&notes=keep+me",
            enc(&o.vuln_id),
            enc(&o.package),
            enc(APP_REPO)
        ),
    );
    assert_eq!(bad.status, 422);
    assert!(
        bad.body
            .contains("Not saved: state `accepted` needs a written reason")
    );
    assert!(
        bad.body.contains("keep me"),
        "the form keeps what was typed"
    );

    // Log out: the session is gone.
    let out = post(
        &format!("{u}/logout"),
        &[("cookie", &session)],
        "application/x-www-form-urlencoded",
        &format!("csrf={csrf}"),
    );
    assert_eq!(out.status, 303);
    assert_eq!(send(&csrf, &[]).status, 401);
    s.running.stop().expect("stop");

    // --read-only: no form even for a triager, and the form post is refused.
    let ro = client::serve(&b.location, true);
    let u = &ro.url;
    let session = login(u, TRIAGER);
    let p = page(u, &path, &[("cookie", &session)]);
    assert!(p.contains("alice (triager)"), "logged in");
    assert!(!p.contains("action=\"/triage\""), "no form when read-only");
    let r = post(
        &format!("{u}/triage"),
        &[("cookie", &session)],
        "application/x-www-form-urlencoded",
        &format!("csrf={}&{body}", hidden_csrf(&p)),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("read-only"), "{}", r.body);
    ro.running.stop().expect("stop");
}
