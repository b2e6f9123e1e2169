//! The lists on both backends: each filter keeps exactly the rows it names, each sort orders
//! the rows, every paginated list keeps its limits and its pages add up to the whole list; and
//! "expiring soon" and "needs triage" with acceptances about to expire and already expired.

use drydock_policy::Date;
use drydock_store::Store;
use drydock_triage::{Triage, TriageInput, add_days};
use serde_json::{Value, json};

use crate::client::{self, Resp, enc, get};
use crate::data::{self, APP, APP_REPO, RELEASE};

fn ok(r: Resp, what: &str) -> Value {
    assert_eq!(r.status, 200, "{what}: {}", r.body);
    r.json()
}

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().expect("items").clone()
}

/// The rows of `/api/findings` with `query`, all on one page.
fn findings(u: &str, query: &str) -> Vec<Value> {
    rows_of(u, "/api/findings?", "/findings", query)
}

/// The rows of the list at `at` in the answer to `path` + `query`, all on one page.
fn rows_of(u: &str, path: &str, at: &str, query: &str) -> Vec<Value> {
    let what = format!("{path}per_page=500&{query}");
    let v = ok(get(&format!("{u}{what}"), &[]), &what);
    let page = v.pointer(at).expect("the list");
    assert_eq!(page["pages"], 1, "{what}: one page");
    let rows = items(page);
    assert_eq!(page["total"].as_u64(), Some(rows.len() as u64), "{what}");
    rows
}

/// A row's identity, to compare lists.
fn id(r: &Value) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        r["reference"], r["vuln_id"], r["package"], r["installed"], r["path"]
    )
}

fn severity_rank(s: &Value) -> usize {
    ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
        .iter()
        .position(|x| s == x)
        .unwrap_or(5)
}

/// The value a sort orders by, comparable as JSON numbers or strings.
fn sort_key(sort: &str, r: &Value) -> Value {
    match sort {
        // Ranked from the least severe, so "desc" (the default) puts CRITICAL first.
        "severity" => json!(5 - severity_rank(&r["severity"])),
        "vuln" => r["vuln_id"].clone(),
        "package" => r["package"].clone(),
        "image" => r["reference"].clone(),
        "state" => r["state"].clone(),
        "first_seen" => r["first_seen_at"].clone(),
        "fixed" => json!(r["fixed"].as_str().unwrap_or("")),
        other => panic!("no sort `{other}`"),
    }
}

fn cmp(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a.as_i64(), b.as_i64(), a.as_str(), b.as_str()) {
        (Some(x), Some(y), _, _) => x.cmp(&y),
        (_, _, Some(x), Some(y)) => x.cmp(y),
        _ => panic!("incomparable {a} {b}"),
    }
}

#[test]
fn filters_sorts_and_pages_of_every_list_on_both_backends() {
    let vuln = data::app_observations()[0].vuln_id.clone();
    for b in data::backends() {
        let be = b.backend;
        let s = client::serve(&b.location, false);
        let u = s.url.as_str();
        let all = findings(u, "");
        assert_eq!(all.len() as u64, data::latest_count(), "{be}");

        // Filters: each keeps exactly the rows it names (the rest of the list is the oracle).
        let ecosystems: std::collections::BTreeSet<&str> =
            all.iter().filter_map(|r| r["ecosystem"].as_str()).collect();
        assert!(ecosystems.len() > 1, "{be}: {ecosystems:?}");
        for eco in &ecosystems {
            let want: Vec<String> = all
                .iter()
                .filter(|r| r["ecosystem"] == *eco)
                .map(id)
                .collect();
            let mut got: Vec<String> = findings(u, &format!("ecosystem={}", eco.to_uppercase()))
                .iter()
                .map(id)
                .collect();
            got.sort();
            let mut want = want;
            want.sort();
            assert_eq!(got, want, "{be}: ecosystem={eco}");
        }
        let pkg = all[0]["package"].as_str().expect("a package").to_string();
        let part = &pkg[..pkg.len().min(3)];
        let got = findings(u, &format!("package={}", enc(&part.to_uppercase())));
        let want = all
            .iter()
            .filter(|r| {
                r["package"]
                    .as_str()
                    .is_some_and(|p| p.to_lowercase().contains(&part.to_lowercase()))
            })
            .count();
        assert!(got.len() == want && want > 0, "{be}: package={part}");
        let got = findings(u, "severity=critical,low");
        let want = all
            .iter()
            .filter(|r| r["severity"] == "CRITICAL" || r["severity"] == "LOW")
            .count();
        assert!(got.len() == want && want > 0, "{be}: severity=critical,low");
        let got = findings(u, &format!("q={}", enc(&vuln.to_lowercase())));
        assert!(
            !got.is_empty()
                && got.iter().all(|r| {
                    [
                        &r["vuln_id"],
                        &r["advisory_id"],
                        &r["package"],
                        &r["reference"],
                        &r["title"],
                    ]
                    .iter()
                    .any(|t| t.as_str().is_some_and(|t| t.contains(vuln.as_str())))
                }),
            "{be}: q={vuln}"
        );
        assert_eq!(findings(u, "state=untriaged").len(), all.len(), "{be}");
        assert!(findings(u, "state=accepted,expired").is_empty(), "{be}");

        // The release page's images × severity counts are its findings counted per image.
        let rel = ok(
            get(&format!("{u}/api/releases/{RELEASE}?per_page=500"), &[]),
            "release",
        );
        let rows = rows_of(
            u,
            &format!("/api/findings?release={RELEASE}&"),
            "/findings",
            "",
        );
        let images = items(&rel["images"]);
        assert!(images.len() > 2, "{be}: {images:?}");
        for img in &images {
            let mut want = std::collections::BTreeMap::<String, u64>::new();
            for r in rows.iter().filter(|r| r["reference"] == img["reference"]) {
                *want
                    .entry(r["severity"].as_str().expect("a severity").to_string())
                    .or_default() += 1;
            }
            assert_eq!(
                img["by_severity"],
                json!(want),
                "{be}: {}",
                img["reference"]
            );
            assert_eq!(img["total"], want.values().sum::<u64>(), "{be}");
        }
        assert!(
            images.iter().filter(|i| i["total"] != 0).count() >= 2,
            "{be}: images with findings"
        );

        // Sorts: every documented key, both orders, and the defaults (severity and first_seen descending),
        // on the lists cut from the run index and on those sorted per request.
        let sorted = [
            ("/api/findings?".to_string(), "/findings"),
            (format!("/api/readiness/{RELEASE}?"), "/blocking"),
            (format!("/api/image?ref={}&", enc(APP)), "/findings"),
        ];
        let doc = ok(get(&format!("{u}/api/openapi.json"), &[]), "openapi");
        let sorts: Vec<String> = doc["components"]["parameters"]["sort"]["schema"]["enum"]
            .as_array()
            .expect("the documented sorts")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        assert!(sorts.len() > 5, "{sorts:?}");
        for (path, at) in &sorted {
            let n = rows_of(u, path, at, "").len();
            assert!(n > 20, "{be} {path}: {n} rows");
            for sort in &sorts {
                let sort = sort.as_str();
                for order in ["", "asc", "desc"] {
                    let rows = rows_of(u, path, at, &format!("sort={sort}&order={order}"));
                    assert_eq!(rows.len(), n, "{be} {path}");
                    let desc = order == "desc"
                        || (order.is_empty() && (sort == "severity" || sort == "first_seen"));
                    for w in rows.windows(2) {
                        let (a, b) = (sort_key(sort, &w[0]), sort_key(sort, &w[1]));
                        let o = cmp(&a, &b);
                        assert!(
                            if desc { o.is_ge() } else { o.is_le() },
                            "{be} {path}: sort={sort} order={order}: {a} then {b}"
                        );
                    }
                }
            }
        }

        // Pages: every paginated list refuses bad limits, cuts one row per page, and its pages
        // add up to the whole list.
        let lists: Vec<(String, &str)> = vec![
            ("/api/runs?x=1".into(), ""),
            ("/api/findings?x=1".into(), "/findings"),
            ("/api/findings?release=5.0".into(), "/findings"),
            ("/api/needs-triage?x=1".into(), "/findings"),
            ("/api/new?x=1".into(), "/findings"),
            ("/api/expiring?days=3650".into(), ""),
            (format!("/api/releases/{RELEASE}?x=1"), "/images"),
            (format!("/api/readiness/{RELEASE}?x=1"), "/blocking"),
            (format!("/api/image?ref={}", enc(APP)), "/findings"),
            (format!("/api/findings/{vuln}?x=1"), "/images"),
        ];
        for (path, at) in &lists {
            for bad in [
                "per_page=0",
                "per_page=501",
                "page=0",
                "page=-1",
                "per_page=x",
            ] {
                let r = get(&format!("{u}{path}&{bad}"), &[]);
                assert_eq!(r.status, 400, "{be} {path}&{bad}: {}", r.body);
            }
            let whole = ok(get(&format!("{u}{path}&per_page=500"), &[]), path);
            let whole = whole.pointer(at).expect("the page");
            let total = whole["total"].as_u64().expect("total");
            assert_eq!(
                whole["items"].as_array().map(Vec::len),
                Some(total as usize)
            );
            let one = ok(get(&format!("{u}{path}&per_page=1"), &[]), path);
            let one = one.pointer(at).expect("the page");
            assert_eq!(
                (&one["per_page"], &one["pages"], &one["total"]),
                (&json!(1), &json!(total.max(1)), &json!(total)),
                "{be} {path}"
            );
            let per = 2;
            let mut walked = Vec::new();
            let pages = total.div_ceil(per).max(1);
            for page in 1..=pages + 1 {
                let p = ok(
                    get(&format!("{u}{path}&per_page={per}&page={page}"), &[]),
                    path,
                );
                let p = p.pointer(at).expect("the page");
                assert_eq!(p["page"], page, "{be} {path}");
                assert_eq!(p["pages"], pages, "{be} {path}");
                let got = items(p);
                let want = if page <= pages {
                    (total - (page - 1) * per).min(per)
                } else {
                    0
                };
                assert_eq!(got.len() as u64, want, "{be} {path} page {page}");
                walked.extend(got);
            }
            assert_eq!(walked, items(whole), "{be} {path}: the pages are the list");
        }
        s.running.stop().expect("stop");
    }
}

/// Today as the server sees it: the scanner's clock (`SOURCE_DATE_EPOCH` pins both).
fn today() -> Date {
    drydock_scan::today()
}

/// Accepts a finding of the app image until `expires`, as if decided on `decided`.
fn accept(store: &mut Store, package: &str, vuln: &str, decided: Date, expires: Date) {
    let t = Triage::validate(
        TriageInput {
            scope: "image".into(),
            repository: Some(APP_REPO.into()),
            package: package.into(),
            vuln_id: vuln.into(),
            state: "accepted".into(),
            reason: Some("mitigated by the proxy".into()),
            expires: Some(expires.to_string()),
            ..TriageInput::default()
        },
        decided,
    )
    .expect("a valid acceptance");
    drydock_triage::set(store, &t, "tester", 1_780_000_000).expect("triage set");
}

/// Three acceptances, written to the store before the server starts: one expired two days ago,
/// one expiring in five days, one in forty.
#[test]
fn expiring_soon_and_expired_acceptances_on_both_backends() {
    // Vulnerabilities found in one package only (so every row of each is accepted) of the one
    // image they are in (the other images' rows of them stay untriaged).
    let obs = data::app_observations();
    let elsewhere: Vec<String> = [&data::targets().1, &data::targets().2]
        .into_iter()
        .flat_map(|t| drydock_store::observations_from_report(t, "other").0)
        .map(|o| o.vuln_id)
        .collect();
    let mut picked: Vec<(String, String)> = Vec::new();
    for o in &obs {
        let k = (o.package.clone(), o.vuln_id.clone());
        let one_package = obs
            .iter()
            .all(|x| x.vuln_id != o.vuln_id || x.package == o.package);
        if one_package && !elsewhere.contains(&o.vuln_id) && !picked.contains(&k) {
            picked.push(k);
        }
    }
    assert!(picked.len() >= 3, "three vulnerabilities to accept");
    let [(p_old, v_old), (p_soon, v_soon), (p_late, v_late)] =
        [picked[0].clone(), picked[1].clone(), picked[2].clone()];
    // Midnight passing during a round moves the days left: then the round is run again.
    for _round in 0..2 {
        let day = today();
        let mut midnight = false;
        for b in data::backends() {
            let be = b.backend;
            {
                let mut store = Store::open(&b.location).expect("the store");
                accept(
                    &mut store,
                    &p_old,
                    &v_old,
                    add_days(day, -30),
                    add_days(day, -2),
                );
                accept(&mut store, &p_soon, &v_soon, day, add_days(day, 5));
                accept(&mut store, &p_late, &v_late, day, add_days(day, 40));
            }
            let s = client::serve(&b.location, false);
            let u = s.url.as_str();
            let listed = |days: &str| -> Vec<(Value, Value, Value)> {
                let v = ok(get(&format!("{u}/api/expiring?{days}"), &[]), days);
                items(&v)
                    .iter()
                    .map(|r| {
                        (
                            r["vuln_id"].clone(),
                            r["days_left"].clone(),
                            r["expired"].clone(),
                        )
                    })
                    .collect()
            };
            let two = listed("");
            let four = listed("days=4");
            let forty = listed("days=40");
            let overview = ok(get(&format!("{u}/api/overview"), &[]), "overview");
            let states = |vuln: &str| -> Vec<Value> {
                let v = ok(
                    get(
                        &format!("{u}/api/image?ref={}&q={}", enc(APP), enc(vuln)),
                        &[],
                    ),
                    vuln,
                );
                items(&v["findings"])
                    .iter()
                    .filter(|r| r["vuln_id"] == vuln)
                    .map(|r| r["state"].clone())
                    .collect()
            };
            let (s_old, s_soon) = (states(&v_old), states(&v_soon));
            let needs = findings_of(u, "/api/needs-triage");
            let page = get(&format!("{u}/expiring"), &[]);
            s.running.stop().expect("stop");
            if today() != day {
                midnight = true;
                break;
            }
            let (old, soon, late) = (
                (json!(v_old), json!(-2), json!(true)),
                (json!(v_soon), json!(5), json!(false)),
                (json!(v_late), json!(40), json!(false)),
            );
            assert_eq!(two, [old.clone(), soon.clone()], "{be}: within 14 days");
            assert_eq!(four, std::slice::from_ref(&old), "{be}: within 4 days");
            assert_eq!(forty, [old, soon, late], "{be}: within 40 days");
            assert_eq!(overview["expiring_soon"], 2, "{be}");
            assert!(
                !s_old.is_empty() && s_old.iter().all(|s| s == "expired"),
                "{be}: {s_old:?}"
            );
            assert!(
                !s_soon.is_empty() && s_soon.iter().all(|s| s == "accepted"),
                "{be}: {s_soon:?}"
            );
            assert!(
                needs.iter().any(|r| r["vuln_id"] == v_old.as_str()),
                "{be}: an expired acceptance needs triage again"
            );
            assert!(
                !needs
                    .iter()
                    .any(|r| r["vuln_id"] == v_soon.as_str() || r["vuln_id"] == v_late.as_str()),
                "{be}: valid acceptances do not"
            );
            assert_eq!(page.status, 200, "{be}");
            assert!(
                page.body.contains(&v_old) && page.body.contains(&v_soon),
                "{be}: the expiring page lists both"
            );
            assert!(!page.body.contains(&v_late), "{be}: not within 14 days");
        }
        if !midnight {
            return;
        }
    }
    panic!("midnight passed in both rounds");
}

/// Every row of a finding list (the list's pages walked).
fn findings_of(u: &str, path: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    for page in 1.. {
        let v = ok(
            get(&format!("{u}{path}?per_page=500&page={page}"), &[]),
            path,
        );
        rows.extend(items(&v["findings"]));
        if v["findings"]["pages"].as_u64() <= Some(page) {
            return rows;
        }
    }
    rows
}
