//! A stateful fake of the three forge dialects on loopback, faithful to their documented
//! behaviour where drydock depends on it:
//!
//! - GitHub: `Link: rel="next"` pointing at `/repositories/1000/issues` (another path, as
//!   api.github.com does), pull requests in issue lists (with a `pull_request` key), labels
//!   filtering by *all*, `creator`, 422 `Validation Failed` bodies, a 65,536-character body
//!   limit, `x-ratelimit-*` headers, 401/403/404 for bad tokens, read-only tokens, missing repos.
//! - GitLab: projects by URL-encoded path, issues by `iid`, `x-next-page`, labels as a comma
//!   string (all-of filter), `state_event`, 409 for an existing label.
//! - Gitea: label *ids* on create (names give 422), labels filter by *any*, `PATCH` ignores
//!   labels (replaced by `PUT …/labels`), `type=issues`, `Link` pagination.
//!
//! Injected answers (a 429 with `Retry-After`, a 500) are served before the next request.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Github,
    Gitlab,
    Gitea,
}

#[derive(Debug, Clone)]
pub struct FakeIssue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: String,
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    pub author: String,
    pub created_at: String,
    pub is_pr: bool,
    pub comments: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct FakeLabel {
    pub id: u64,
    pub name: String,
    pub color: String,
}

#[derive(Debug, Clone)]
#[allow(dead_code)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Option<Value>,
}

impl Req {
    pub fn is_write(&self) -> bool {
        self.method != "GET"
    }
}

/// An answer to serve before routing: status, headers, body.
pub type Injected = (u16, Vec<(String, String)>, String);

#[derive(Debug)]
pub struct State {
    pub dialect: Dialect,
    pub repo: String,
    /// token → (login, may write)
    pub tokens: Vec<(String, String, bool)>,
    pub issues: Vec<FakeIssue>,
    pub labels: Vec<FakeLabel>,
    pub log: Vec<Req>,
    pub inject: VecDeque<Injected>,
    pub page_size_cap: usize,
    pub next_label_id: u64,
    pub clock: u64,
    /// GitHub's primary rate limit, when a test turns it on ([`Fake::rate_limit`]).
    pub rate: Option<RateWindow>,
    /// Requests refused because the primary limit was used up.
    pub refused: usize,
}

/// A primary rate limit of `limit` requests a window. A window ends one second after its
/// budget is used up (real GitHub: an hour after it began), so a client that waits for
/// `x-ratelimit-reset` when `x-ratelimit-remaining` reaches 0 is never refused.
#[derive(Debug, Clone)]
pub struct RateWindow {
    pub limit: u64,
    pub used: u64,
    /// Epoch second the used-up window resets at.
    pub reset_at: Option<u64>,
    /// Windows used up so far.
    pub exhausted: usize,
}

fn epoch_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl RateWindow {
    /// Counts one request; `Err(reset)` when the budget is used up until `reset`.
    fn admit(&mut self) -> Result<(), u64> {
        let now = epoch_secs();
        match self.reset_at {
            Some(reset) if now < reset => return Err(reset),
            Some(_) => {
                self.used = 0;
                self.reset_at = None;
            }
            None => {}
        }
        self.used += 1;
        if self.used >= self.limit {
            self.reset_at = Some(now + 1);
            self.exhausted += 1;
        }
        Ok(())
    }

    /// `x-ratelimit-remaining` and `x-ratelimit-reset` after the last request.
    fn headers(&self) -> (u64, u64) {
        (
            self.limit.saturating_sub(self.used),
            self.reset_at.unwrap_or_else(|| epoch_secs() + 3600),
        )
    }
}

#[allow(dead_code)]
pub struct Fake {
    pub base: String,
    pub origin: String,
    pub state: Arc<Mutex<State>>,
}

pub const TOKEN: &str = "fake-token-s3cr3t-value";
pub const BOT: &str = "drydock-bot";

impl Fake {
    pub fn start(dialect: Dialect) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("addr").port();
        let origin = format!("http://127.0.0.1:{port}");
        let base = match dialect {
            Dialect::Github => origin.clone(),
            Dialect::Gitlab => format!("{origin}/api/v4"),
            Dialect::Gitea => format!("{origin}/api/v1"),
        };
        let state = Arc::new(Mutex::new(State {
            dialect,
            repo: "org/cve-reports".into(),
            tokens: vec![
                (TOKEN.into(), BOT.into(), true),
                ("read-only-token".into(), "reader".into(), false),
                ("human-token".into(), "alice".into(), true),
            ],
            issues: Vec::new(),
            labels: Vec::new(),
            log: Vec::new(),
            inject: VecDeque::new(),
            page_size_cap: match dialect {
                Dialect::Gitea => 50,
                _ => 100,
            },
            next_label_id: 1,
            clock: 0,
            rate: None,
            refused: 0,
        }));
        let s = state.clone();
        let origin2 = origin.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                let o = origin2.clone();
                std::thread::spawn(move || serve(conn, &s, &o));
            }
        });
        Fake {
            base,
            origin,
            state,
        }
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("fake state")
    }
    pub fn writes(&self) -> usize {
        self.lock().log.iter().filter(|r| r.is_write()).count()
    }
    pub fn requests(&self) -> Vec<Req> {
        self.lock().log.clone()
    }
    pub fn clear_log(&self) {
        self.lock().log.clear();
    }
    pub fn issue(&self, n: u64) -> FakeIssue {
        self.lock()
            .issues
            .iter()
            .find(|i| i.number == n)
            .cloned()
            .unwrap_or_else(|| panic!("no issue #{n}"))
    }
    pub fn issues(&self) -> Vec<FakeIssue> {
        self.lock()
            .issues
            .iter()
            .filter(|i| !i.is_pr)
            .cloned()
            .collect()
    }
    /// A human edits an issue.
    pub fn edit(&self, n: u64, f: impl FnOnce(&mut FakeIssue)) {
        let mut st = self.lock();
        let i = st
            .issues
            .iter_mut()
            .find(|i| i.number == n)
            .expect("issue exists");
        f(i);
    }
    /// Adds an issue or pull request as someone else would.
    pub fn seed(&self, title: &str, body: &str, author: &str, labels: &[&str], pr: bool) -> u64 {
        let mut st = self.lock();
        let number = st.issues.len() as u64 + 1;
        st.clock += 1;
        let created_at = format!("2026-01-01T00:{:02}:{:02}Z", st.clock / 60, st.clock % 60);
        for l in labels {
            ensure_label(&mut st, l, "ededed");
        }
        st.issues.push(FakeIssue {
            number,
            title: title.into(),
            body: body.into(),
            state: "open".into(),
            state_reason: None,
            labels: labels.iter().map(|s| s.to_string()).collect(),
            author: author.into(),
            created_at,
            is_pr: pr,
            comments: Vec::new(),
        });
        number
    }
    /// Turns on a primary rate limit of `limit` requests a window (GitHub dialect).
    pub fn rate_limit(&self, limit: u64) {
        self.lock().rate = Some(RateWindow {
            limit,
            used: 0,
            reset_at: None,
            exhausted: 0,
        });
    }
    pub fn inject(&self, status: u16, headers: &[(&str, &str)], body: &str) {
        self.lock().inject.push_back((
            status,
            headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body.to_string(),
        ));
    }
}

fn ensure_label(st: &mut State, name: &str, color: &str) -> u64 {
    if let Some(l) = st.labels.iter().find(|l| l.name.eq_ignore_ascii_case(name)) {
        return l.id;
    }
    let id = st.next_label_id;
    st.next_label_id += 1;
    st.labels.push(FakeLabel {
        id,
        name: name.into(),
        color: color.into(),
    });
    id
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

fn answer(status: u16, body: Value) -> Answer {
    Answer {
        status,
        headers: Vec::new(),
        body: body.to_string(),
    }
}

fn serve(conn: TcpStream, state: &Arc<Mutex<State>>, origin: &str) {
    let mut reader = BufReader::new(conn.try_clone().expect("clone stream"));
    let mut conn = conn;
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let len: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    let _ = reader.read_exact(&mut body);
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.clone(), String::new()),
    };
    let json_body: Option<Value> = if body.is_empty() {
        None
    } else {
        serde_json::from_slice(&body).ok()
    };
    let a = {
        let mut st = state.lock().expect("state");
        st.log.push(Req {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            body: json_body.clone(),
        });
        match st.inject.pop_front() {
            Some((status, h, b)) => Answer {
                status,
                headers: h,
                body: b,
            },
            None => {
                let token = match st.dialect {
                    Dialect::Github => header("authorization")
                        .and_then(|v| v.strip_prefix("Bearer ").map(str::to_string)),
                    Dialect::Gitlab => header("private-token"),
                    Dialect::Gitea => header("authorization")
                        .and_then(|v| v.strip_prefix("token ").map(str::to_string)),
                };
                route(&mut st, &method, &path, &query, json_body, token, origin)
            }
        }
    };
    let reason = match a.status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        _ => "Status",
    };
    let mut out = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        a.status,
        a.body.len()
    );
    for (k, v) in &a.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&a.body);
    let _ = conn.write_all(out.as_bytes());
    let _ = conn.flush();
}

fn params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn issue_json(d: Dialect, i: &FakeIssue, labels: &[FakeLabel], origin: &str) -> Value {
    let label_objs: Vec<Value> = i
        .labels
        .iter()
        .map(|n| {
            let id = labels
                .iter()
                .find(|l| l.name == *n)
                .map(|l| l.id)
                .unwrap_or(0);
            json!({"id": id, "name": n})
        })
        .collect();
    match d {
        Dialect::Github => {
            let mut v = json!({
                "id": 10_000 + i.number, "number": i.number, "title": i.title,
                "body": if i.body.is_empty() { Value::Null } else { json!(i.body) },
                "state": i.state, "state_reason": i.state_reason,
                "labels": label_objs, "user": {"login": i.author},
                "created_at": i.created_at,
                "html_url": format!("{origin}/org/cve-reports/issues/{}", i.number),
            });
            if i.is_pr {
                v["pull_request"] = json!({"url": "x"});
            }
            v
        }
        Dialect::Gitlab => json!({
            "id": 50_000 + i.number, "iid": i.number, "project_id": 7, "title": i.title,
            "description": i.body,
            "state": if i.state == "open" { "opened" } else { "closed" },
            "labels": i.labels, "author": {"username": i.author},
            "created_at": i.created_at,
            "web_url": format!("{origin}/org/cve-reports/-/issues/{}", i.number),
        }),
        Dialect::Gitea => json!({
            "id": 90_000 + i.number, "number": i.number, "title": i.title, "body": i.body,
            "state": i.state, "labels": label_objs, "user": {"login": i.author},
            "created_at": i.created_at,
            "pull_request": if i.is_pr { json!({"merged": false}) } else { Value::Null },
            "html_url": format!("{origin}/org/cve-reports/issues/{}", i.number),
        }),
    }
}

fn github_422(field: &str, code: &str, message: &str) -> Answer {
    answer(
        422,
        json!({"message": "Validation Failed",
               "errors": [{"resource": "Issue", "code": code, "field": field, "message": message}],
               "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue"}),
    )
}

#[allow(clippy::too_many_lines)]
fn route(
    st: &mut State,
    method: &str,
    path: &str,
    query: &str,
    body: Option<Value>,
    token: Option<String>,
    origin: &str,
) -> Answer {
    let d = st.dialect;
    if d == Dialect::Github
        && let Some(Err(reset)) = st.rate.as_mut().map(RateWindow::admit)
    {
        st.refused += 1;
        let mut a = answer(
            403,
            json!({"message": "API rate limit exceeded for user ID 1.",
                   "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}),
        );
        a.headers.extend([
            ("x-ratelimit-limit".into(), "5000".into()),
            ("x-ratelimit-remaining".into(), "0".into()),
            ("x-ratelimit-reset".into(), reset.to_string()),
            ("x-ratelimit-resource".into(), "core".into()),
        ]);
        return a;
    }
    let mut a = route_inner(st, method, path, query, body, token, origin);
    if d == Dialect::Github {
        let (limit, remaining, reset) = match &st.rate {
            Some(w) => {
                let (remaining, reset) = w.headers();
                (w.limit, remaining, reset)
            }
            None => (5000, 4999, 1_893_456_000),
        };
        a.headers.extend([
            ("x-ratelimit-limit".into(), limit.to_string()),
            ("x-ratelimit-remaining".into(), remaining.to_string()),
            ("x-ratelimit-reset".into(), reset.to_string()),
            ("x-ratelimit-resource".into(), "core".into()),
        ]);
    }
    a
}

fn route_inner(
    st: &mut State,
    method: &str,
    path: &str,
    query: &str,
    body: Option<Value>,
    token: Option<String>,
    origin: &str,
) -> Answer {
    let d = st.dialect;
    let Some((login, can_write)) = token.as_ref().and_then(|t| {
        st.tokens
            .iter()
            .find(|(tok, _, _)| tok == t)
            .map(|(_, l, w)| (l.clone(), *w))
    }) else {
        return answer(
            401,
            json!({"message": match d {
                Dialect::Gitlab => "401 Unauthorized",
                _ => "Bad credentials",
            }}),
        );
    };
    let prefix = match d {
        Dialect::Github => "",
        Dialect::Gitlab => "/api/v4",
        Dialect::Gitea => "/api/v1",
    };
    let Some(rest) = path.strip_prefix(prefix) else {
        return answer(404, json!({"message": "Not Found"}));
    };
    if rest == "/user" && method == "GET" {
        return answer(
            200,
            match d {
                Dialect::Gitlab => json!({"id": 1, "username": login}),
                _ => json!({"id": 1, "login": login}),
            },
        );
    }
    let repo_prefix = match d {
        Dialect::Gitlab => format!("/projects/{}", st.repo.replace('/', "%2F")),
        _ => format!("/repos/{}", st.repo),
    };
    let sub = if let Some(s) = rest.strip_prefix(&repo_prefix) {
        s.to_string()
    } else if d == Dialect::Github && rest.starts_with("/repositories/1000") {
        rest.trim_start_matches("/repositories/1000").to_string()
    } else {
        return answer(404, json!({"message": "Not Found"}));
    };
    if method != "GET" && !can_write {
        return answer(
            403,
            json!({"message": match d {
                Dialect::Github => "Resource not accessible by personal access token",
                _ => "403 Forbidden",
            }}),
        );
    }
    let p = params(query);
    let param = |k: &str| p.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
    let segs: Vec<&str> = sub.split('/').filter(|s| !s.is_empty()).collect();
    match (method, segs.as_slice()) {
        ("GET", ["issues"]) => {
            let labels: Vec<String> = param("labels")
                .map(|l| l.split(',').map(str::to_string).collect())
                .unwrap_or_default();
            let author = match d {
                Dialect::Github => param("creator"),
                Dialect::Gitlab => param("author_username"),
                Dialect::Gitea => param("created_by"),
            };
            let state = param("state").unwrap_or_else(|| match d {
                Dialect::Gitlab => "all".into(),
                _ => "open".into(),
            });
            let matching: Vec<&FakeIssue> = st
                .issues
                .iter()
                .filter(|i| match state.as_str() {
                    "all" => true,
                    "opened" | "open" => i.state == "open",
                    "closed" => i.state == "closed",
                    _ => true,
                })
                .filter(|i| author.as_ref().is_none_or(|a| *a == i.author))
                .filter(|i| match d {
                    // GitHub and GitLab: all of the labels; Gitea: any of them.
                    Dialect::Gitea => {
                        labels.is_empty() || labels.iter().any(|l| i.labels.contains(l))
                    }
                    _ => labels.iter().all(|l| i.labels.contains(l)),
                })
                .filter(|i| match d {
                    Dialect::Gitlab => !i.is_pr,
                    Dialect::Gitea => param("type").as_deref() != Some("issues") || !i.is_pr,
                    Dialect::Github => true,
                })
                .collect();
            let per: usize = param(match d {
                Dialect::Gitea => "limit",
                _ => "per_page",
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or(30)
            .min(st.page_size_cap)
            .max(1);
            let page: usize = param("page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1)
                .max(1);
            let total = matching.len();
            let pages = total.div_ceil(per).max(1);
            let items: Vec<Value> = matching
                .iter()
                .skip((page - 1) * per)
                .take(per)
                .map(|i| issue_json(d, i, &st.labels, origin))
                .collect();
            let mut a = answer(200, Value::Array(items));
            let next_query = |n: usize| {
                let mut q: Vec<String> = query
                    .split('&')
                    .filter(|kv| !kv.starts_with("page=") && !kv.is_empty())
                    .map(str::to_string)
                    .collect();
                q.push(format!("page={n}"));
                q.join("&")
            };
            match d {
                Dialect::Github if page < pages => a.headers.push((
                    "link".into(),
                    format!(
                        "<{origin}/repositories/1000/issues?{}>; rel=\"next\", <{origin}/repositories/1000/issues?{}>; rel=\"last\"",
                        next_query(page + 1),
                        next_query(pages)
                    ),
                )),
                Dialect::Gitlab => {
                    a.headers.push((
                        "x-next-page".into(),
                        if page < pages { (page + 1).to_string() } else { String::new() },
                    ));
                    a.headers.push(("x-page".into(), page.to_string()));
                    a.headers.push(("x-total".into(), total.to_string()));
                }
                Dialect::Gitea => {
                    a.headers.push(("x-total-count".into(), total.to_string()));
                    if page < pages {
                        a.headers.push((
                            "link".into(),
                            format!("<{origin}{path}?{}>; rel=\"next\"", next_query(page + 1)),
                        ));
                    }
                }
                _ => {}
            }
            a
        }
        ("GET", ["issues", n]) => match find(st, n) {
            Some(i) => answer(200, issue_json(d, i, &st.labels, origin)),
            None => answer(404, json!({"message": "Not Found"})),
        },
        ("POST", ["issues"]) => {
            let b = body.unwrap_or(Value::Null);
            let title = b["title"].as_str().unwrap_or_default().to_string();
            let text = match d {
                Dialect::Gitlab => b["description"].as_str(),
                _ => b["body"].as_str(),
            }
            .unwrap_or_default()
            .to_string();
            if title.is_empty() {
                return github_422("title", "missing_field", "title is missing");
            }
            if let Some(e) = too_long(d, &text) {
                return e;
            }
            let labels = match labels_of(st, d, &b["labels"], true) {
                Ok(l) => l,
                Err(a) => return a,
            };
            st.clock += 1;
            let number = st.issues.len() as u64 + 1;
            let created_at = format!("2026-01-01T00:{:02}:{:02}Z", st.clock / 60, st.clock % 60);
            st.issues.push(FakeIssue {
                number,
                title,
                body: text,
                state: "open".into(),
                state_reason: None,
                labels,
                author: login,
                created_at,
                is_pr: false,
                comments: Vec::new(),
            });
            let i = st.issues.last().expect("pushed").clone();
            answer(201, issue_json(d, &i, &st.labels, origin))
        }
        ("PATCH", ["issues", n]) | ("PUT", ["issues", n])
            if d != Dialect::Gitea || method == "PATCH" =>
        {
            let b = body.unwrap_or(Value::Null);
            let text = match d {
                Dialect::Gitlab => b.get("description"),
                _ => b.get("body"),
            };
            if let Some(t) = text.and_then(Value::as_str)
                && let Some(e) = too_long(d, t)
            {
                return e;
            }
            let new_labels = if d == Dialect::Gitea {
                None // Gitea's PATCH has no labels field: ignored.
            } else if let Some(l) = b.get("labels") {
                match labels_of(st, d, l, true) {
                    Ok(l) => Some(l),
                    Err(a) => return a,
                }
            } else {
                None
            };
            let Some(i) = find_mut(st, n) else {
                return answer(404, json!({"message": "Not Found"}));
            };
            if let Some(t) = b.get("title").and_then(Value::as_str) {
                i.title = t.into();
            }
            if let Some(t) = text.and_then(Value::as_str) {
                i.body = t.into();
            }
            if let Some(l) = new_labels {
                i.labels = l;
            }
            match d {
                Dialect::Gitlab => match b.get("state_event").and_then(Value::as_str) {
                    Some("close") => i.state = "closed".into(),
                    Some("reopen") => i.state = "open".into(),
                    _ => {}
                },
                _ => {
                    if let Some(s) = b.get("state").and_then(Value::as_str) {
                        i.state = s.into();
                    }
                    if let Some(r) = b.get("state_reason") {
                        i.state_reason = r.as_str().map(str::to_string);
                    }
                }
            }
            let i = i.clone();
            answer(200, issue_json(d, &i, &st.labels, origin))
        }
        ("PUT", ["issues", n, "labels"]) if d != Dialect::Gitlab => {
            let b = body.unwrap_or(Value::Null);
            let labels = match labels_of(st, d, &b["labels"], d == Dialect::Github) {
                Ok(l) => l,
                Err(a) => return a,
            };
            let Some(i) = find_mut(st, n) else {
                return answer(404, json!({"message": "Not Found"}));
            };
            i.labels = labels;
            answer(200, json!([]))
        }
        ("POST", ["issues", n, "comments"]) | ("POST", ["issues", n, "notes"]) => {
            let text = body
                .as_ref()
                .and_then(|b| b["body"].as_str())
                .unwrap_or_default()
                .to_string();
            let Some(i) = find_mut(st, n) else {
                return answer(404, json!({"message": "Not Found"}));
            };
            i.comments.push(text);
            answer(201, json!({"id": 1, "body": "ok"}))
        }
        ("GET", ["labels"]) => {
            let per: usize = param(match d {
                Dialect::Gitea => "limit",
                _ => "per_page",
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or(30)
            .min(st.page_size_cap);
            let page: usize = param("page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1)
                .max(1);
            let items: Vec<Value> = st
                .labels
                .iter()
                .skip((page - 1) * per)
                .take(per)
                .map(|l| json!({"id": l.id, "name": l.name, "color": l.color}))
                .collect();
            let mut a = answer(200, Value::Array(items));
            if page * per < st.labels.len() {
                match d {
                    Dialect::Gitlab => a
                        .headers
                        .push(("x-next-page".into(), (page + 1).to_string())),
                    _ => a.headers.push((
                        "link".into(),
                        format!(
                            "<{origin}{path}?per_page={per}&limit={per}&page={}>; rel=\"next\"",
                            page + 1
                        ),
                    )),
                }
            } else if d == Dialect::Gitlab {
                a.headers.push(("x-next-page".into(), String::new()));
            }
            a
        }
        ("POST", ["labels"]) => {
            let b = body.unwrap_or(Value::Null);
            let name = b["name"].as_str().unwrap_or_default().to_string();
            let color = b["color"].as_str().unwrap_or_default().to_string();
            let hex = color.trim_start_matches('#');
            let color_ok = hex.len() == 6 && hex.bytes().all(|c| c.is_ascii_hexdigit());
            let hash_ok = match d {
                Dialect::Github => !color.starts_with('#'),
                _ => color.starts_with('#'),
            };
            if !color_ok || !hash_ok {
                return answer(
                    422,
                    json!({"message": "Validation Failed",
                           "errors": [{"resource": "Label", "code": "invalid", "field": "color"}]}),
                );
            }
            if st.labels.iter().any(|l| l.name.eq_ignore_ascii_case(&name)) {
                return match d {
                    Dialect::Github => answer(
                        422,
                        json!({"message": "Validation Failed",
                               "errors": [{"resource": "Label", "code": "already_exists", "field": "name"}]}),
                    ),
                    _ => answer(409, json!({"message": "Label already exists"})),
                };
            }
            let id = ensure_label(st, &name, hex);
            answer(201, json!({"id": id, "name": name, "color": hex}))
        }
        _ => answer(404, json!({"message": "Not Found"})),
    }
}

fn too_long(d: Dialect, text: &str) -> Option<Answer> {
    let limit = match d {
        Dialect::Gitlab => 1_048_576,
        _ => 65_536,
    };
    (text.chars().count() > limit).then(|| {
        github_422(
            "body",
            "custom",
            &format!("body is too long (maximum is {limit} characters)"),
        )
    })
}

/// Labels of a create/update: names on GitHub (created when missing, as GitHub does for a
/// user with push access) and GitLab (a comma string); ids on Gitea (unless `names_ok`).
fn labels_of(st: &mut State, d: Dialect, v: &Value, names_ok: bool) -> Result<Vec<String>, Answer> {
    match d {
        Dialect::Gitlab => Ok(v
            .as_str()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                ensure_label(st, s, "6699cc");
                s.to_string()
            })
            .collect()),
        Dialect::Github => {
            let mut out = Vec::new();
            for l in v.as_array().cloned().unwrap_or_default() {
                let Some(n) = l.as_str() else {
                    return Err(github_422("labels", "invalid", "labels must be names"));
                };
                ensure_label(st, n, "ededed");
                out.push(n.to_string());
            }
            Ok(out)
        }
        Dialect::Gitea => {
            let mut out = Vec::new();
            for l in v.as_array().cloned().unwrap_or_default() {
                let name = match (l.as_u64(), l.as_str()) {
                    (Some(id), _) => st
                        .labels
                        .iter()
                        .find(|x| x.id == id)
                        .map(|x| x.name.clone()),
                    (None, Some(n)) if names_ok => Some(n.to_string()),
                    _ => None,
                };
                match name {
                    Some(n) => out.push(n),
                    None => {
                        return Err(answer(
                            422,
                            json!({"message": "[Labels]: label ids must be integers of existing labels"}),
                        ));
                    }
                }
            }
            Ok(out)
        }
    }
}

fn find<'a>(st: &'a State, n: &str) -> Option<&'a FakeIssue> {
    let n: u64 = n.parse().ok()?;
    st.issues
        .iter()
        .find(|i| i.number == n && !(i.is_pr && st.dialect == Dialect::Gitlab))
}

fn find_mut<'a>(st: &'a mut State, n: &str) -> Option<&'a mut FakeIssue> {
    let n: u64 = n.parse().ok()?;
    st.issues.iter_mut().find(|i| i.number == n)
}
