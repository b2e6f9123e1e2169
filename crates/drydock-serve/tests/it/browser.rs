//! A real headless Chromium (Debian's `chromium`) driven through the DevTools protocol over
//! `--remote-debugging-pipe` (our own few-line client: JSON messages ending in NUL on fds 3/4,
//! wired to FIFOs by the shell): every page loads without console errors or exceptions, a
//! filter applies through the page's script, hostile advisory text stays inert, and a finding is
//! triaged through the form after logging in; the reload shows it persisted and in the audit
//! trail. All of it on SQLite and on PostgreSQL. Screenshots are kept under
//! `target/drydock-serve-screenshots/BACKEND/` (emptied first, so what is there is this run's),
//! where `.ci/run` leaves them as the run's artifacts.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use crate::client::{self, TRIAGER, enc};
use crate::data::{self, APP, APP_REPO, EVIL_VULN, RELEASE};

fn chromium() -> Option<PathBuf> {
    let p = std::env::var_os("DRYDOCK_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if p.is_file() {
        Some(p)
    } else if std::env::var_os("CI").is_some() {
        panic!(
            "chromium is required in CI (.ci/setup.d/chromium.sh): none at {}",
            p.display()
        );
    } else {
        eprintln!("SKIPPED: no chromium at {}", p.display());
        None
    }
}

struct Browser {
    child: Child,
    to: std::fs::File,
    from: mpsc::Receiver<Value>,
    next: u64,
    session: String,
    /// Console errors, uncaught exceptions and error log entries seen so far.
    errors: Vec<String>,
    /// Where the screenshots go.
    shots: PathBuf,
    _dir: tempfile::TempDir,
}

impl Browser {
    fn start(chromium: &std::path::Path, shots: PathBuf) -> Browser {
        let dir = tempfile::tempdir().expect("a temp dir");
        let (fin, fout) = (dir.path().join("in"), dir.path().join("out"));
        for f in [&fin, &fout] {
            let ok = Command::new("mkfifo").arg(f).status().expect("mkfifo");
            assert!(ok.success());
        }
        let profile = dir.path().join("profile");
        let child = Command::new("bash")
            .arg("-c")
            .arg("exec \"$0\" \"$@\" 3<\"$CDP_IN\" 4>\"$CDP_OUT\"")
            .arg(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1280,900",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .env("CDP_IN", &fin)
            .env("CDP_OUT", &fout)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        // The shell opens fd 3 (reads `in`) then fd 4 (writes `out`): open ours in that order.
        let to = std::fs::OpenOptions::new()
            .write(true)
            .open(&fin)
            .expect("the pipe to chromium");
        let from_file = std::fs::File::open(&fout).expect("the pipe from chromium");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(from_file);
            loop {
                let mut buf = Vec::new();
                match r.read_until(0, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        buf.pop();
                        if let Ok(v) = serde_json::from_slice::<Value>(&buf)
                            && tx.send(v).is_err()
                        {
                            break;
                        }
                    }
                }
            }
        });
        let mut b = Browser {
            child,
            to,
            from: rx,
            next: 0,
            session: String::new(),
            errors: Vec::new(),
            shots,
            _dir: dir,
        };
        let t = b.call(
            "Target.createTarget",
            json!({ "url": "about:blank" }),
            false,
        );
        let target = t["targetId"].as_str().expect("a target").to_string();
        let a = b.call(
            "Target.attachToTarget",
            json!({ "targetId": target, "flatten": true }),
            false,
        );
        b.session = a["sessionId"].as_str().expect("a session").to_string();
        for m in ["Page.enable", "Runtime.enable", "Log.enable"] {
            b.call(m, json!({}), true);
        }
        b
    }

    fn note(&mut self, v: &Value) {
        match v["method"].as_str() {
            Some("Runtime.exceptionThrown") => self
                .errors
                .push(format!("exception: {}", v["params"]["exceptionDetails"])),
            Some("Runtime.consoleAPICalled") if v["params"]["type"] == "error" => self
                .errors
                .push(format!("console.error: {}", v["params"]["args"])),
            Some("Log.entryAdded") if v["params"]["entry"]["level"] == "error" => self
                .errors
                .push(format!("log: {}", v["params"]["entry"]["text"])),
            _ => {}
        }
    }

    fn recv(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.from.recv_timeout(left) {
            Ok(v) => {
                self.note(&v);
                v
            }
            Err(e) => panic!("chromium did not answer in time: {e}"),
        }
    }

    fn call(&mut self, method: &str, params: Value, in_page: bool) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if in_page {
            msg["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&msg).expect("json");
        bytes.push(0);
        self.to.write_all(&bytes).expect("write to chromium");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.recv(deadline);
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {}", v["error"]);
                return v["result"].clone();
            }
        }
    }

    fn wait_load(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.recv(deadline);
            if v["method"] == "Page.loadEventFired" {
                return;
            }
        }
    }

    fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({ "url": url }), true);
        self.wait_load();
    }

    fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": js, "returnByValue": true, "awaitPromise": true }),
            true,
        );
        assert!(
            r.get("exceptionDetails").is_none(),
            "{js}: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Runs `js`, which navigates (a form submission), and waits for the new page.
    fn eval_and_wait(&mut self, js: &str) {
        self.eval(js);
        self.wait_load();
    }

    fn screenshot(&mut self, name: &str) {
        let r = self.call(
            "Page.captureScreenshot",
            json!({ "format": "png", "captureBeyondViewport": true }),
            true,
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().expect("image data"))
            .expect("base64");
        assert!(png.starts_with(b"\x89PNG"), "{name}: a PNG");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write the screenshot");
    }

    fn take_errors(&mut self) -> Vec<String> {
        // Drain what arrived meanwhile.
        while let Ok(v) = self.from.try_recv() {
            self.note(&v);
        }
        std::mem::take(&mut self.errors)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The screenshot directory of a backend, emptied.
fn screenshot_dir(backend: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/drydock-serve-screenshots")
        .join(backend);
    match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            panic!("empty {}: {e}", dir.display())
        }
        _ => {}
    }
    std::fs::create_dir_all(&dir).expect("the screenshot dir");
    dir
}

#[test]
fn chromium_loads_every_page_filters_and_triages_through_the_form() {
    let Some(chromium) = chromium() else { return };
    let backends = data::backends();
    for b in &backends {
        through_the_browser(&chromium, b);
    }
}

fn through_the_browser(chromium: &std::path::Path, b: &data::Filled) {
    let be = b.backend;
    let s = client::serve(&b.location, false);
    let u = s.url.clone();
    let o = data::app_observations()[0].clone();
    let mut br = Browser::start(chromium, screenshot_dir(b.backend));

    let pages = [
        ("01-overview", "/".to_string()),
        ("02-release", format!("/releases/{RELEASE}")),
        ("03-readiness", format!("/readiness/{RELEASE}")),
        ("04-image", format!("/image?ref={}", enc(APP))),
        ("05-findings", "/findings".to_string()),
        ("06-finding", format!("/findings/{}", o.vuln_id)),
        ("07-needs-triage", "/needs-triage".to_string()),
        ("08-new", "/new".to_string()),
        ("09-expiring", "/expiring".to_string()),
        ("10-runs", "/runs".to_string()),
        ("11-hostile", format!("/findings/{EVIL_VULN}")),
    ];
    for (name, path) in &pages {
        br.goto(&format!("{u}{path}"));
        let title = br.eval("document.title");
        assert!(
            title.as_str().is_some_and(|t| t.ends_with("· drydock")),
            "{be} {path}: {title}"
        );
        assert_eq!(
            br.eval("window.__xss === undefined"),
            json!(true),
            "{be} {path}: a script ran"
        );
        br.screenshot(name);
        let errors = br.take_errors();
        assert!(errors.is_empty(), "{be} {path}: {errors:?}");
    }
    // The trend chart drew bars.
    br.goto(&format!("{u}/"));
    let bars = br.eval("document.querySelectorAll('svg.trend rect').length");
    assert!(bars.as_u64() > Some(0), "{be}: {bars}");

    // A filter select applies at once (the page's script submits the form); the URL keeps it.
    br.goto(&format!("{u}/findings"));
    br.eval_and_wait(&format!(
        "(() => {{ const s = document.querySelector('select[name=severity]'); s.value = '{}'; \
         s.dispatchEvent(new Event('change')); }})()",
        o.severity
    ));
    let search = br.eval("location.search");
    assert!(
        search
            .as_str()
            .is_some_and(|q| q.contains(&format!("severity={}", o.severity))),
        "{be}: {search}"
    );
    let sevs = br.eval(
        "Array.from(document.querySelectorAll('table.findings tbody tr td:first-child')).map(t => t.textContent.trim())",
    );
    let sevs = sevs.as_array().expect("rows").clone();
    assert!(
        !sevs.is_empty() && sevs.iter().all(|s| *s == json!(o.severity)),
        "{be}: {sevs:?}"
    );
    br.screenshot("12-filtered");

    // Log in with the token, then triage through the form.
    br.goto(&format!("{u}/login"));
    br.eval_and_wait(&format!(
        "(() => {{ const f = document.querySelector('form[action=\"/login\"]'); \
         f.querySelector('[name=token]').value = '{TRIAGER}'; f.submit(); }})()"
    ));
    let who = br.eval("document.querySelector('header .who').textContent");
    assert!(
        who.as_str().is_some_and(|w| w.contains("alice (triager)")),
        "{be}: {who}"
    );
    let finding = format!("{u}/findings/{}", o.vuln_id);
    br.goto(&finding);
    // Choosing `accepted` makes the expiry and the reason required (the page's script).
    let required = br.eval(
        "(() => { const f = document.querySelector('form.triage'); const s = f.querySelector('[name=state]'); \
         s.value = 'accepted'; s.dispatchEvent(new Event('change', {bubbles: true})); \
         return [f.querySelector('[name=expires]').required, f.querySelector('[name=reason]').required, \
                 f.querySelector('.f-justification').hidden]; })()",
    );
    assert_eq!(required, json!([true, true, true]), "{be}");
    br.eval_and_wait(&format!(
        "(() => {{ const f = document.querySelector('form.triage'); \
         f.querySelector('[name=package]').value = {pkg}; \
         f.querySelector('[name=repository]').value = {repo}; \
         f.querySelector('[name=reason]').value = 'only reachable from the admin VPN'; \
         f.querySelector('[name=expires]').value = '2999-01-31'; \
         f.querySelector('[name=owner]').value = 'team-a'; \
         f.querySelector('button[type=submit]').click(); }})()",
        pkg = json!(o.package),
        repo = json!(APP_REPO),
    ));
    let href = br.eval("location.href");
    assert!(
        href.as_str().is_some_and(|h| h.contains("saved=")),
        "{be}: {href}"
    );
    br.call("Page.reload", json!({}), true);
    br.wait_load();
    let record = br.eval(
        "(() => { const r = document.querySelector('section.record'); return r ? r.textContent : ''; })()",
    );
    let text = record.as_str().expect("text");
    assert!(
        text.contains("accepted") && text.contains("only reachable from the admin VPN"),
        "{be}: {text}"
    );
    assert!(
        text.contains("Audit trail (4 events)") && text.contains("alice"),
        "{be}: {text}"
    );
    br.eval("document.querySelector('section.record details').open = true");
    br.screenshot("13-triaged");
    let errors = br.take_errors();
    assert!(errors.is_empty(), "{be}: {errors:?}");

    // And it is in the store, as alice.
    let mut store = drydock_store::Store::open(&b.location).expect("the store");
    let records = store
        .triage_list(&drydock_store::TriageFilter::default())
        .expect("records");
    assert_eq!(records.len(), 1, "{be}");
    assert_eq!(records[0].fields.state, "accepted");
    assert_eq!(records[0].created_by, "alice");
    assert_eq!(records[0].key.repository, APP_REPO);
    drop(br);
    s.running.stop().expect("stop");
}
