//! The JSON API on both backends: every endpoint, triage writes, auth failures, bad input,
//! pagination limits, and the OpenAPI document checked against the answers.

use serde_json::{Value, json};

use crate::client::{self, ADMIN, EXPIRED, Resp, TRIAGER, VIEWER, bearer, enc, get, post};
use crate::data::{self, APP, APP_REPO, EVIL, EVIL_VULN, MINI, RELEASE};

fn ok(r: Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// A finding of the alpine image to triage: its package and vulnerability.
fn target_finding() -> (String, String) {
    let o = data::app_observations();
    let o = o.first().expect("alpine has findings");
    (o.package.clone(), o.vuln_id.clone())
}

fn accept_body(package: &str, vuln: &str) -> String {
    json!({
        "scope": "image", "repository": APP_REPO, "package": package, "vuln_id": vuln,
        "state": "accepted", "reason": "only reachable from the admin VPN", "expires": "2999-01-31",
        "owner": "team-a"
    })
    .to_string()
}

#[test]
fn every_endpoint_answers_on_both_backends_and_they_agree() {
    let app_count = data::app_observations().len() as u64;
    let latest = data::latest_count();
    let mut lists: Vec<(String, Value)> = Vec::new();
    for b in data::backends() {
        let s = client::serve(&b.location, false);
        let u = &s.url;
        let health = ok(get(&format!("{u}/healthz"), &[]));
        assert_eq!(health["status"], "ok", "{}", b.backend);

        let o = ok(get(&format!("{u}/api/overview"), &[]));
        assert_eq!(o["run"]["run_id"], "run-3");
        let rel = o["releases"]
            .as_array()
            .expect("releases")
            .iter()
            .find(|r| r["name"] == RELEASE)
            .expect("release 5.1 in the overview");
        assert_eq!(rel["images"], 4);
        assert_eq!(rel["images_failed"], 1);
        assert_eq!(rel["counts"]["total"].as_u64(), Some(latest));
        assert_eq!(
            rel["trend"].as_array().map(Vec::len),
            Some(3),
            "3 runs in the trend"
        );
        assert_eq!(
            o["new_since_last_run"], 1,
            "only the hostile image's finding is new"
        );

        let runs = ok(get(&format!("{u}/api/runs?per_page=2"), &[]));
        assert_eq!(
            (runs["total"].as_u64(), runs["pages"].as_u64()),
            (Some(3), Some(2))
        );
        assert_eq!(runs["items"].as_array().map(Vec::len), Some(2));
        let runs2 = ok(get(&format!("{u}/api/runs?per_page=2&page=2"), &[]));
        assert_eq!(runs2["items"][0]["run_id"], "run-1");

        let r = ok(get(&format!("{u}/api/releases/{RELEASE}"), &[]));
        assert_eq!(r["images_failed"], 1);
        assert_eq!(
            r["images"]["items"][0]["reference"], MINI,
            "failed images come first"
        );
        assert_eq!(r["images"]["items"][0]["status"], "failed");

        let ready = ok(get(&format!("{u}/api/readiness/{RELEASE}"), &[]));
        assert_eq!(ready["ready"], false);
        assert_eq!(ready["failed_images"], json!([MINI]));
        assert_eq!(ready["blocking"]["total"].as_u64(), Some(latest));

        let img = ok(get(&format!("{u}/api/image?ref={}", enc(APP)), &[]));
        assert_eq!(img["findings"]["total"].as_u64(), Some(app_count));
        assert_eq!(img["history"].as_array().map(Vec::len), Some(3));
        let mini = ok(get(&format!("{u}/api/image?ref={}", enc(MINI)), &[]));
        assert_eq!(mini["latest"]["status"], "failed");
        assert_eq!(
            mini["findings_run"], 2,
            "findings from the newest successful scan"
        );
        assert!(mini["findings"]["total"].as_u64() > Some(0));

        let all = ok(get(
            &format!("{u}/api/findings?per_page=500&sort=vuln&order=asc"),
            &[],
        ));
        assert_eq!(all["findings"]["total"].as_u64(), Some(latest));
        let high = ok(get(
            &format!("{u}/api/findings?severity=HIGH&per_page=500"),
            &[],
        ));
        let items = high["findings"]["items"].as_array().expect("items").clone();
        assert!(items.iter().all(|f| f["severity"] == "HIGH"));
        assert_eq!(
            high["counts"]["by_severity"]["HIGH"].as_u64(),
            Some(items.len() as u64)
        );
        let by_text = ok(get(&format!("{u}/api/findings?q=evil"), &[]));
        assert_eq!(by_text["findings"]["items"][0]["reference"], EVIL);

        let new = ok(get(&format!("{u}/api/new"), &[]));
        assert_eq!(new["findings"]["total"], 1);
        assert_eq!(new["findings"]["items"][0]["vuln_id"], EVIL_VULN);

        let (package, vuln) = target_finding();
        let before = ok(get(&format!("{u}/api/needs-triage?per_page=500"), &[]));
        assert_eq!(before["findings"]["total"].as_u64(), Some(latest));
        let f = ok(get(&format!("{u}/api/findings/{vuln}"), &[]));
        assert!(
            f["images"]["items"]
                .as_array()
                .is_some_and(|i| !i.is_empty())
        );
        assert_eq!(f["triage"], json!([]));
        assert_eq!(ok(get(&format!("{u}/api/expiring"), &[]))["total"], 0);

        // Triage through the API, as alice.
        let w = post(
            &format!("{u}/api/triage"),
            &[("authorization", &bearer(TRIAGER))],
            "application/json",
            &accept_body(&package, &vuln),
        );
        assert_eq!(w.status, 201, "{}", w.body);
        let w = w.json();
        assert_eq!(w["record"]["created_by"], "alice");
        let id = w["record"]["id"].as_i64().expect("an id");
        // The same write again changes nothing.
        let again = post(
            &format!("{u}/api/triage"),
            &[("authorization", &bearer(ADMIN))],
            "application/json",
            &accept_body(&package, &vuln),
        );
        assert_eq!(again.status, 200);
        assert_eq!(again.json()["changed"], false);

        let after = ok(get(&format!("{u}/api/needs-triage?per_page=500"), &[]));
        let settled = ok(get(
            &format!("{u}/api/image?ref={}&state=accepted", enc(APP)),
            &[],
        ));
        let n = settled["findings"]["total"].as_u64().expect("total");
        assert!(n >= 1, "the accepted finding shows its state");
        assert_eq!(
            after["findings"]["total"].as_u64(),
            Some(latest - n),
            "accepted findings leave needs-triage"
        );
        let t = ok(get(&format!("{u}/api/triage/{id}"), &[]));
        let fields: Vec<&str> = t["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(fields, ["state", "reason", "owner", "expires"]);
        assert!(
            t["events"]
                .as_array()
                .expect("events")
                .iter()
                .all(|e| e["actor"] == "alice")
        );
        let exp = ok(get(&format!("{u}/api/expiring?days=3650"), &[]));
        assert_eq!(exp["total"], 0, "2999 is not within ten years");
        let f = ok(get(&format!("{u}/api/findings/{vuln}"), &[]));
        assert_eq!(f["triage"][0]["state"], "accepted");
        assert_eq!(f["triage"][0]["events"].as_array().map(Vec::len), Some(4));

        // Changing the state of the record is audited old → new.
        let change = json!({
            "scope": "image", "repository": APP_REPO, "package": package, "vuln_id": vuln,
            "state": "affected", "notes": "fix planned in 5.2"
        });
        let c = post(
            &format!("{u}/api/triage"),
            &[("authorization", &bearer(TRIAGER))],
            "application/json",
            &change.to_string(),
        );
        assert_eq!(c.status, 200, "{}", c.body);
        let ev = c.json()["events"].clone();
        assert!(
            ev.as_array()
                .expect("events")
                .iter()
                .any(|e| e["field"] == "state"
                    && e["old_value"] == "accepted"
                    && e["new_value"] == "affected")
        );

        lists.push((b.backend.to_string(), all));
        s.running.stop().expect("a clean stop");
    }
    if let [(_, a), (_, b)] = &lists[..] {
        assert_eq!(a, b, "SQLite and PostgreSQL serve the same findings");
    }
}

#[test]
fn auth_failures_bad_input_unknown_ids_and_page_limits() {
    let b = data::sqlite();
    let s = client::serve(&b.location, false);
    let u = &s.url;
    let (package, vuln) = target_finding();
    let body = accept_body(&package, &vuln);
    let write = |headers: &[(&str, &str)], ct: &str, body: &str| {
        post(&format!("{u}/api/triage"), headers, ct, body)
    };
    let no_token = write(&[], "application/json", &body);
    assert_eq!(no_token.status, 401, "{}", no_token.body);
    assert!(no_token.header("www-authenticate").is_some());
    let viewer = write(
        &[("authorization", &bearer(VIEWER))],
        "application/json",
        &body,
    );
    assert_eq!(viewer.status, 403, "{}", viewer.body);
    let expired = write(
        &[("authorization", &bearer(EXPIRED))],
        "application/json",
        &body,
    );
    assert_eq!(expired.status, 401);
    assert!(
        expired.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("expired"))
    );
    let wrong = write(
        &[("authorization", "Bearer nope")],
        "application/json",
        &body,
    );
    assert_eq!(wrong.status, 401);
    let basic = write(
        &[("authorization", "Basic YTpi")],
        "application/json",
        &body,
    );
    assert_eq!(basic.status, 401);
    // A bad token on a read is refused too, never downgraded to anonymous.
    assert_eq!(
        get(
            &format!("{u}/api/overview"),
            &[("authorization", "Bearer nope")]
        )
        .status,
        401
    );

    let auth = [("authorization", bearer(TRIAGER))];
    let auth: Vec<(&str, &str)> = auth.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let malformed = write(&auth, "application/json", "{\"scope\": \"image\",");
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("malformed JSON"))
    );
    let unknown_field = write(
        &auth,
        "application/json",
        &json!({"scope":"all","package":"p","vuln_id":"CVE-1","state":"affected","colour":"red"})
            .to_string(),
    );
    assert_eq!(unknown_field.status, 400, "{}", unknown_field.body);
    assert_eq!(write(&auth, "text/plain", &body).status, 415);
    // The rules of `drydock triage set`.
    for (bad, why) in [
        (
            json!({"scope":"image","repository":APP_REPO,"package":package,"vuln_id":vuln,"state":"accepted","reason":"r"}),
            "expiry",
        ),
        (
            json!({"scope":"image","repository":APP_REPO,"package":package,"vuln_id":vuln,"state":"accepted","expires":"2999-01-01"}),
            "reason",
        ),
        (
            json!({"scope":"image","repository":APP_REPO,"package":package,"vuln_id":vuln,"state":"accepted","reason":"r","expires":"2001-01-01"}),
            "past",
        ),
        (
            json!({"scope":"image","repository":APP_REPO,"package":package,"vuln_id":vuln,"state":"not_affected","reason":"r"}),
            "justification",
        ),
        (
            json!({"scope":"image","package":package,"vuln_id":vuln,"state":"affected"}),
            "repository",
        ),
        (
            json!({"scope":"image","repository":APP_REPO,"package":package,"vuln_id":vuln,"state":"fixed"}),
            "unknown triage state",
        ),
    ] {
        let r = write(&auth, "application/json", &bad.to_string());
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
        assert!(
            r.json()["error"].as_str().is_some_and(|e| e.contains(why)),
            "{why}: {}",
            r.body
        );
    }

    for path in [
        "/api/triage/999999".to_string(),
        "/api/findings/CVE-1999-0000".to_string(),
        format!("/api/image?ref={}", enc("registry.example/none:1")),
        "/api/releases/9.9".to_string(),
        "/api/readiness/9.9".to_string(),
        "/api/nothing-here".to_string(),
    ] {
        let r = get(&format!("{u}{path}"), &[]);
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        assert!(r.json()["error"].is_string(), "{path}");
    }
    assert_eq!(get(&format!("{u}/api/triage/abc"), &[]).status, 400);
    assert_eq!(get(&format!("{u}/api/image"), &[]).status, 400);

    for q in [
        "per_page=0",
        "per_page=501",
        "page=0",
        "page=abc",
        "per_page=-1",
        "severity=SEVERE",
        "state=done",
        "sort=colour",
        "order=up",
    ] {
        let r = get(&format!("{u}/api/findings?{q}"), &[]);
        assert_eq!(r.status, 400, "{q}: {}", r.body);
    }
    let max = ok(get(&format!("{u}/api/findings?per_page=500"), &[]));
    assert_eq!(max["findings"]["per_page"], 500);
    let beyond = ok(get(&format!("{u}/api/findings?page=999"), &[]));
    assert_eq!(beyond["findings"]["items"], json!([]));
    assert_eq!(
        get(&format!("{u}/api/expiring?days=99999"), &[]).status,
        400
    );
    s.running.stop().expect("stop");

    // --read-only: writes are refused whoever asks.
    let ro = client::serve(&b.location, true);
    let r = post(
        &format!("{}/api/triage", ro.url),
        &[("authorization", &bearer(ADMIN))],
        "application/json",
        &body,
    );
    assert_eq!(r.status, 403);
    assert!(r.body.contains("read-only"));
    ro.running.stop().expect("stop");
}

#[test]
fn non_loopback_needs_tokens_and_then_tokens_for_reads() {
    let b = data::sqlite();
    let refused = drydock_serve::spawn(drydock_serve::Config {
        store: b.location.clone(),
        listen: "0.0.0.0:0".parse().expect("addr"),
        tokens: None,
        read_only: false,
    });
    assert!(
        matches!(refused, Err(drydock_serve::ServeError::Insecure(_))),
        "{refused:?}"
    );
    let dir = tempfile::tempdir().expect("dir");
    let running = drydock_serve::spawn(drydock_serve::Config {
        store: b.location.clone(),
        listen: "0.0.0.0:0".parse().expect("addr"),
        tokens: Some(client::tokens_file(dir.path())),
        read_only: false,
    })
    .expect("starts with tokens");
    let u = format!("http://127.0.0.1:{}", running.addr.port());
    assert_eq!(get(&format!("{u}/api/overview"), &[]).status, 401);
    assert_eq!(get(&format!("{u}/"), &[]).status, 401);
    assert_eq!(
        get(
            &format!("{u}/api/overview"),
            &[("authorization", &bearer(VIEWER))]
        )
        .status,
        200
    );
    running.stop().expect("stop");

    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "tokens:\n  - name: x\n    sha256: short\n    role: viewer\n",
    )
    .expect("write");
    let e = drydock_serve::spawn(drydock_serve::Config {
        store: b.location,
        listen: "127.0.0.1:0".parse().expect("addr"),
        tokens: Some(bad),
        read_only: false,
    });
    assert!(
        matches!(e, Err(drydock_serve::ServeError::Tokens { .. })),
        "{e:?}"
    );
}

/// Resolves `#/components/...` references.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let mut cur = doc;
            for part in r.trim_start_matches("#/").split('/') {
                cur = &cur[part];
            }
            assert!(!cur.is_null(), "dangling $ref {r}");
            resolve(doc, cur)
        }
        None => v,
    }
}

/// Checks `value` against the parts of a schema the document uses: type, required, enum,
/// nested properties, array items, oneOf.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) {
    let schema = resolve(doc, schema);
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array) {
        let mut errors = Vec::new();
        for a in alts {
            let r = std::panic::catch_unwind(|| check(doc, a, value, at));
            if r.is_ok() {
                return;
            }
            errors.push(a.to_string());
        }
        panic!("{at}: {value} matches none of {errors:?}");
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        assert!(
            types.contains(&actual) || (actual == "integer" && types.contains(&"number")),
            "{at}: {actual} is not {types:?}"
        );
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        assert!(e.contains(value), "{at}: {value} not in {e:?}");
    }
    for r in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let k = r.as_str().expect("a name");
        assert!(
            value.get(k).is_some(),
            "{at}: missing required `{k}` in {value}"
        );
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (k, s) in props {
            if let Some(v) = obj.get(k) {
                check(doc, s, v, &format!("{at}.{k}"));
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            check(doc, items, v, &format!("{at}[{i}]"));
        }
    }
}

#[test]
fn openapi_document_describes_every_answer() {
    let b = data::sqlite();
    let s = client::serve(&b.location, false);
    let u = &s.url;
    let doc = ok(get(&format!("{u}/api/openapi.json"), &[]));
    assert_eq!(doc["openapi"], "3.1.0");
    let (package, vuln) = target_finding();
    let w = post(
        &format!("{u}/api/triage"),
        &[("authorization", &bearer(TRIAGER))],
        "application/json",
        &accept_body(&package, &vuln),
    );
    assert_eq!(w.status, 201);
    let written = w.json();
    let id = written["record"]["id"].to_string();
    let post_schema = &doc["paths"]["/api/triage"]["post"]["responses"]["201"]["content"]["application/json"]
        ["schema"];
    check(&doc, post_schema, &written, "POST /api/triage");
    let req_schema = &doc["paths"]["/api/triage"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    check(
        &doc,
        req_schema,
        &serde_json::from_str(&accept_body(&package, &vuln)).expect("json"),
        "request",
    );

    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, item) in paths {
        let Some(op) = item.get("get") else { continue };
        let mut url = path
            .replace("{release}", RELEASE)
            .replace("{vuln}", &vuln)
            .replace("{id}", &id);
        let required_query: Vec<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| resolve(&doc, p))
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .filter_map(|p| p["name"].as_str())
            .collect();
        if required_query == ["ref"] {
            url.push_str(&format!("?ref={}", enc(APP)));
        }
        let r = get(&format!("{u}{url}"), &[("authorization", &bearer(VIEWER))]);
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        if let Some(schema) = op["responses"]["200"]["content"]["application/json"].get("schema") {
            check(&doc, schema, &r.json(), &url);
        }
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} GET operations documented");
    // Errors have the documented shape.
    let e = get(&format!("{u}/api/findings?per_page=0"), &[]);
    check(
        &doc,
        &json!({"$ref": "#/components/schemas/Error"}),
        &e.json(),
        "error",
    );
    s.running.stop().expect("stop");
}
