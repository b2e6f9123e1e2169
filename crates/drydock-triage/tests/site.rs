//! The static site of `drydock publish` from a store holding two runs and two releases of real
//! scans (the shared Alpine images, the corpus image when built), on SQLite and PostgreSQL: one
//! page per release and per image with the CSVs' rows, triage marked, hostile names and reasons
//! inert, every page valid HTML (the Nu HTML Checker, `.ci/setup.d/htmlcheck.sh`), every link
//! resolving, byte-identical when built again; then opened in headless
//! Chromium (`.ci/setup.d/chromium.sh`): no console message, the script's filter counts the
//! rows, links in the rendered DOM resolve, and screenshots of an index, a release and an image
//! with triaged findings are kept under `target/tmp/` for a person to look at.

#[path = "../../drydock-store/tests/pg_cluster.rs"]
mod pg_cluster;

#[path = "it/data.rs"]
mod data;

#[path = "support/site_check.rs"]
mod site_check;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use drydock_policy::Date;
use drydock_store::Store;
use drydock_triage::publish::{PublishOptions, publish};
use drydock_triage::site::{self, SiteOptions, image_path, release_path};
use drydock_triage::{Triage, TriageInput};

use data::{Img, corpus_archive, record_run, stores, target_named};
use site_check::tree;

/// Sets an attribute on `<html>` if it ever runs as markup or script.
const XSS: &str = "document.documentElement.setAttribute('data-xss','1')";
const BETA: &str = "v2.7 \"<i>beta</i>\"";
const ALPINE37: &str = "alpine-3.7.3-minirootfs";
const ALPINE310: &str = "alpine-3.10.docker-archive";
const SEVERITIES: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];
/// 2026-09-21: the day expiry is judged on.
const GENERATED: i64 = 1_790_000_000;
const T0: i64 = 1_770_000_000;
const T1: i64 = 1_780_000_000;

fn evil_reference() -> String {
    format!("registry.example/evil:\"'<img src=x onerror={XSS}>\u{7}\u{1b}")
}

/// (No NUL: PostgreSQL text cannot hold one; the page builders' unit tests cover it.)
fn evil_reason() -> String {
    format!("<script>{XSS}</script>\"'><svg onload={XSS}>\u{8}\u{7f} & done")
}

fn day(s: &str) -> Date {
    s.parse().expect("a test date")
}

/// The vulnerability ids of a scanned target's findings at these severities, sorted.
fn vulns_of(target: &str, sev: &[&str]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = target_named(target)
        .expect("a scanned target")
        .findings
        .iter()
        .filter(|d| sev.contains(&d.finding.severity.as_str()))
        .map(|d| {
            (
                drydock_match::identity::vulnerability_id(&d.finding.id, &d.finding.aliases),
                d.finding.package.clone(),
            )
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

fn set(store: &mut Store, input: TriageInput, today: &str) {
    let t = Triage::validate(input, day(today)).expect("a valid record");
    drydock_triage::set(store, &t, "alice", T1).expect("stored");
}

/// Two runs (the first only to give musl an earlier first-seen), two releases in the second,
/// and triage records of every kind the site shows.
fn fill(store: &mut Store) {
    let evil = evil_reference();
    record_run(
        store,
        "r1",
        T0,
        &[(
            "v2.6",
            vec![Img {
                reference: "rancher/alpine:3.7",
                target: ALPINE37,
                mirrored: true,
            }],
        )],
    );
    let mut beta = vec![
        Img {
            reference: &evil,
            target: ALPINE37,
            mirrored: false,
        },
        Img {
            reference: "rancher/tools:1.1",
            target: ALPINE310,
            mirrored: false,
        },
    ];
    beta.push(Img {
        reference: "rancher/app:2.7.0",
        target: "corpus",
        mirrored: false,
    });
    record_run(
        store,
        "r2",
        T1,
        &[
            (
                "v2.6",
                vec![
                    Img {
                        reference: "rancher/alpine:3.7",
                        target: ALPINE37,
                        mirrored: true,
                    },
                    Img {
                        reference: "rancher/tools:1.0",
                        target: "corpus",
                        mirrored: false,
                    },
                ],
            ),
            (BETA, beta),
        ],
    );
    // musl in v2.6: accepted; in the hostile image: a false positive with a hostile reason.
    set(
        store,
        TriageInput {
            scope: "release".into(),
            release: Some("v2.6".into()),
            package: "musl".into(),
            vuln_id: "CVE-2019-14697".into(),
            state: "accepted".into(),
            reason: Some("x87 code not built".into()),
            owner: Some("team-a".into()),
            expires: Some("2027-06-01".into()),
            ..TriageInput::default()
        },
        "2026-06-01",
    );
    set(
        store,
        TriageInput {
            scope: "image".into(),
            repository: Some(drydock_match::identity::repository(&evil)),
            package: "musl".into(),
            vuln_id: "CVE-2019-14697".into(),
            state: "false_positive".into(),
            reason: Some(evil_reason()),
            ..TriageInput::default()
        },
        "2026-06-01",
    );
    // Two in the corpus image of v2.6: one waiting, one acceptance that expired before
    // GENERATED (so counted again).
    let app = vulns_of("corpus", &["CRITICAL", "HIGH"]);
    assert!(app.len() >= 2, "the corpus image has findings: {app:?}");
    let tools = drydock_match::identity::repository("rancher/tools:1.0");
    set(
        store,
        TriageInput {
            scope: "image".into(),
            repository: Some(tools.clone()),
            package: app[0].1.clone(),
            vuln_id: app[0].0.clone(),
            state: "waiting".into(),
            notes: Some("upstream fix pending".into()),
            ..TriageInput::default()
        },
        "2026-06-01",
    );
    set(
        store,
        TriageInput {
            scope: "image".into(),
            repository: Some(tools),
            package: app[1].1.clone(),
            vuln_id: app[1].0.clone(),
            state: "accepted".into(),
            reason: Some("was fine for the summer".into()),
            expires: Some("2026-08-01".into()),
            ..TriageInput::default()
        },
        "2026-06-01",
    );
}

fn options() -> SiteOptions {
    SiteOptions {
        releases: Vec::new(),
        severities: SEVERITIES.iter().map(|s| s.to_string()).collect(),
        generated_at: Some(GENERATED),
    }
}

/// Publishes CSVs, index.json and the site into `out`; the CSV rows per release and image.
fn publish_all(store: &mut Store, out: &Path) -> BTreeMap<(String, String), usize> {
    let (_, rows) = publish(
        store,
        "latest",
        out,
        &PublishOptions {
            releases: Vec::new(),
            severities: options().severities,
        },
    )
    .expect("publish");
    let s = site::load(store, "latest", &options()).expect("the site loads");
    site::write(&s, out).expect("the site is written");
    let mut per_image = BTreeMap::new();
    for (release, rs) in rows {
        for r in rs {
            *per_image.entry((release.clone(), r.image)).or_insert(0) += 1;
        }
    }
    per_image
}

/// The `href` values of an HTML text, entity-decoded as a browser would.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|h| {
            h.replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .collect()
}

/// The site-relative file an `href` on page `page` points to (`None`: an advisory on the web).
fn resolve(page: &str, href: &str) -> Option<String> {
    if href.starts_with("https://") || href.starts_with("http://") {
        return None;
    }
    assert!(
        !href.contains(':') && !href.starts_with('/'),
        "{page}: `{href}` leaves the site"
    );
    let href = href.split('#').next().unwrap_or(href);
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for seg in href.split('/') {
        match seg {
            ".." => assert!(parts.pop().is_some(), "{page}: `{href}` climbs out"),
            "." | "" => {}
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// Checks every link of every page of `files` resolves to a file of `files`, and every page
/// is reachable from the index.
fn check_links(files: &BTreeMap<String, Vec<u8>>, page_html: impl Fn(&str) -> String) {
    let mut reached = std::collections::BTreeSet::from(["index.html".to_string()]);
    let mut todo = vec!["index.html".to_string()];
    while let Some(page) = todo.pop() {
        for h in hrefs(&page_html(&page)) {
            let Some(target) = resolve(&page, &h) else {
                continue;
            };
            assert!(
                files.contains_key(&target),
                "{page}: `{h}` → `{target}` is missing"
            );
            if target.ends_with(".html") && reached.insert(target.clone()) {
                todo.push(target);
            }
        }
    }
    for f in files.keys().filter(|f| f.ends_with(".html")) {
        assert!(reached.contains(f), "`{f}` is not linked from the site");
    }
}

fn html_pages(files: &BTreeMap<String, Vec<u8>>) -> Vec<(&str, &str)> {
    files
        .iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .map(|(p, b)| (p.as_str(), std::str::from_utf8(b).expect("UTF-8 pages")))
        .collect()
}

/// The `<tr …>` opening tags of the first table body of a page.
fn body_rows(html: &str) -> Vec<&str> {
    let body = html
        .split("<tbody>")
        .nth(1)
        .and_then(|b| b.split("</tbody>").next())
        .unwrap_or("");
    body.split("<tr").skip(1).collect()
}

#[test]
fn site_of_two_releases_on_both_backends() {
    if corpus_archive().is_none() {
        return;
    }
    for mut t in stores() {
        let b = t.backend;
        fill(&mut t.store);
        let dir = tempfile::tempdir().expect("dir");
        let per_image = publish_all(&mut t.store, dir.path());
        let files = tree(dir.path());

        // index, two release pages, one page per image of each release.
        let images = |r: &str| per_image.keys().filter(|(x, _)| x == r).count();
        assert!(files.contains_key("index.html"), "{b}");
        for r in ["v2.6", BETA] {
            assert!(files.contains_key(&release_path(r)), "{b}: {r}");
        }
        let pages = html_pages(&files);
        let n_images = 2 + 3;
        assert_eq!(pages.len(), 1 + 2 + n_images, "{b}: {:?}", files.keys());
        assert!(images("v2.6") <= 2 && images(BETA) <= 3);

        // Each image page lists exactly its CSV rows.
        for ((release, image), n) in &per_image {
            let html = std::str::from_utf8(&files[&image_path(release, image)]).expect("utf-8");
            assert_eq!(body_rows(html).len(), *n, "{b}: {release} {image}");
        }

        // Triage on the pages: accepted in v2.6, a false positive in the hostile image, the
        // expired acceptance counted again.
        let alpine =
            std::str::from_utf8(&files[&image_path("v2.6", "rancher/alpine:3.7")]).expect("utf-8");
        let musl = body_rows(alpine)
            .into_iter()
            .find(|r| r.contains(">CVE-2019-14697<"))
            .expect("musl's row");
        assert!(musl.starts_with(" class=\"suppressed\""), "{b}: {musl}");
        assert!(musl.contains("x87 code not built") && musl.contains("until 2027-06-01"));
        // First seen in r1 (T0), not in the run published.
        assert!(
            musl.contains(&drydock_triage::date_of_unix(T0).to_string()),
            "{musl}"
        );
        let evil =
            std::str::from_utf8(&files[&image_path(BETA, &evil_reference())]).expect("utf-8");
        let fp = body_rows(evil)
            .into_iter()
            .find(|r| r.contains(">CVE-2019-14697<"))
            .expect("musl's row in the hostile image");
        assert!(fp.contains("data-state=\"false_positive\""), "{b}: {fp}");
        assert!(
            fp.contains("&lt;script&gt;document.documentElement"),
            "{fp}"
        );
        let tools =
            std::str::from_utf8(&files[&image_path("v2.6", "rancher/tools:1.0")]).expect("utf-8");
        assert!(tools.contains("class=\"expired\"") && tools.contains("expired on 2026-08-01"));
        assert!(tools.contains("data-state=\"waiting\"") && tools.contains("upstream fix pending"));
        let index = std::str::from_utf8(&files["index.html"]).expect("utf-8");
        assert!(
            index.contains("v2.7 &quot;&lt;i&gt;beta&lt;/i&gt;&quot;"),
            "{b}"
        );

        // Hostile names and reasons stay text on every page.
        for (p, html) in &pages {
            assert_eq!(html.matches("<script").count(), 1, "{b}: {p}");
            assert!(!html.contains("<img") && !html.contains("<svg"), "{b}: {p}");
            assert!(
                !html
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                "{b}: {p}: a control character"
            );
        }

        check_links(&files, |p| {
            String::from_utf8(files.get(p).cloned().unwrap_or_default()).expect("utf-8")
        });

        // Valid HTML with every hostile name and reason on it (the pages' CSS checked too).
        if let Some(jar) = site_check::jar() {
            let names: Vec<&str> = pages.iter().map(|(p, _)| *p).collect();
            let messages = site_check::validate(&jar, dir.path(), &names);
            assert!(
                messages.trim().is_empty(),
                "{b}: the Nu HTML Checker:\n{messages}"
            );
        }

        // Built again from the same store: the same bytes.
        let again = tempfile::tempdir().expect("dir");
        publish_all(&mut t.store, again.path());
        let second = tree(again.path());
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            second.keys().collect::<Vec<_>>()
        );
        for (p, bytes) in &files {
            assert!(second[p] == *bytes, "{b}: {p} differs between two builds");
        }
    }
}

#[test]
fn bad_release_and_severity_are_errors() {
    if corpus_archive().is_none() {
        return;
    }
    let mut t = stores().remove(0);
    fill(&mut t.store);
    let e = site::load(
        &mut t.store,
        "latest",
        &SiteOptions {
            releases: vec!["v9".into()],
            ..options()
        },
    )
    .expect_err("no such release");
    assert!(
        e.to_string().starts_with("run `r2` has no release `v9`"),
        "{e}"
    );
    let e = site::load(
        &mut t.store,
        "latest",
        &SiteOptions {
            severities: vec!["SEVERE".into()],
            ..options()
        },
    )
    .expect_err("no such severity");
    assert_eq!(e.to_string(), "unknown severity `SEVERE`");
}

// --- headless Chromium ---------------------------------------------------------------------

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

/// Runs headless Chromium on `url` with `args` (killed after 45 s): its stdout and the console
/// messages it logged (errors, uncaught exceptions, blocked scripts).
fn headless(chromium: &Path, profile: &Path, args: &[String], url: &str) -> (String, Vec<String>) {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let read = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut r) = r {
                let _ = r.read_to_string(&mut s);
            }
            s
        })
    };
    let out = read(child.stdout.take().map(|s| Box::new(s) as _));
    let err = read(child.stderr.take().map(|s| Box::new(s) as _));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(45) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 45 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = out.join().expect("chromium's stdout");
    let stderr = err.join().expect("chromium's stderr");
    assert!(
        status.success(),
        "chromium failed on {url}: {status}\n{stderr}"
    );
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (stdout, console)
}

/// The value of attribute `name` on the first element carrying it.
fn attr<'a>(dom: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let at = dom.find(&key)? + key.len();
    dom[at..].split('"').next()
}

#[test]
fn site_in_headless_chromium() {
    let Some(chromium) = chromium() else { return };
    if corpus_archive().is_none() {
        return;
    }
    let mut t = stores().remove(0);
    fill(&mut t.store);
    let dir = tempfile::tempdir().expect("dir");
    publish_all(&mut t.store, dir.path());
    let files = tree(dir.path());
    let profile_dir = tempfile::tempdir().expect("dir");
    let profile = profile_dir.path().to_path_buf();
    let url = |page: &str| format!("file://{}/{page}", dir.path().display());
    let dump = |page: &str, fragment: &str| {
        let (dom, console) = headless(
            &chromium,
            &profile,
            &[
                "--window-size=1280,900".to_string(),
                "--virtual-time-budget=2000".to_string(),
                "--dump-dom".to_string(),
            ],
            &format!("{}{fragment}", url(page)),
        );
        assert!(console.is_empty(), "{page}{fragment}: {console:#?}");
        assert!(dom.contains("</html>"), "{page}: a DOM: {dom}");
        dom
    };

    let mut doms = BTreeMap::new();
    for (page, html) in html_pages(&files) {
        let dom = dump(page, "");
        let head = dom.split('>').next().unwrap_or("");
        assert!(
            !head.contains("data-xss"),
            "{page}: a hostile script ran: {head}"
        );
        // The script ran and counted what it shows: every row, unfiltered.
        let rows = body_rows(html).len();
        if html.contains("table class=\"filterable") {
            assert_eq!(
                attr(&dom, "data-shown"),
                Some(rows.to_string().as_str()),
                "{page}"
            );
            assert!(
                !dom.contains("<form class=\"filter\" hidden"),
                "{page}: the filter shows"
            );
        }
        doms.insert(page.to_string(), dom);
    }
    // Links in the DOM the browser built resolve, and reach every page.
    check_links(&files, |p| doms.get(p).cloned().unwrap_or_default());

    // The filter, driven by the URL fragment as a shared link would.
    let page = image_path("v2.6", "rancher/tools:1.0");
    let html = std::str::from_utf8(&files[&page]).expect("utf-8");
    let count = |needle: &str| {
        body_rows(html)
            .iter()
            .filter(|r| r.contains(needle))
            .count()
    };
    for (fragment, needle) in [
        ("#sev=HIGH", "data-sev=\"HIGH\""),
        ("#state=waiting", "data-state=\"waiting\""),
        ("#state=expired", "data-state=\"expired\""),
    ] {
        let want = count(needle);
        assert!(want > 0, "{fragment}: rows to find");
        let dom = dump(&page, fragment);
        assert_eq!(
            attr(&dom, "data-shown"),
            Some(want.to_string().as_str()),
            "{fragment}"
        );
    }

    // The package and text filters (a substring, any case), and two filters at once.
    let rows = body_rows(html);
    let pkg_of = |r: &str| attr(r, "data-pkg").expect("a package").to_lowercase();
    let pkg = pkg_of(rows[0]);
    let id = rows[0]
        .split("rel=\"noopener noreferrer\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the first row's vulnerability link")
        .to_string();
    let high_pkg = pkg_of(
        rows.iter()
            .find(|r| r.contains("data-sev=\"HIGH\""))
            .expect("a HIGH row"),
    );
    let with_pkg = |p: &str| rows.iter().filter(|r| pkg_of(r).contains(p)).count();
    for (fragment, want) in [
        (format!("#pkg={}", pkg.to_uppercase()), with_pkg(&pkg)),
        (
            format!("#q={}", id.to_lowercase()),
            rows.iter()
                .filter(|r| r.contains(&format!(">{id}<")))
                .count(),
        ),
        (
            format!("#sev=HIGH&pkg={high_pkg}"),
            rows.iter()
                .filter(|r| pkg_of(r).contains(&high_pkg) && r.contains("data-sev=\"HIGH\""))
                .count(),
        ),
    ] {
        assert!(want > 0 && want < rows.len(), "{fragment}: {want} rows");
        let dom = dump(&page, &fragment);
        assert_eq!(
            attr(&dom, "data-shown"),
            Some(want.to_string().as_str()),
            "{fragment}"
        );
    }

    // Readable without JavaScript (headless Chromium cannot dump or shoot a page with scripts
    // off, so the page's one script is cut out): every row is on the page the browser shows,
    // the filter that needs the script stays hidden, nothing is fetched or blocked.
    let (head, rest) = html.split_once("<script>").expect("the page's script");
    let (_, tail) = rest.split_once("</script>").expect("its end");
    let no_js = format!("{head}{tail}");
    assert!(!no_js.contains("<script"));
    let page_dir = dir.path().join(&page);
    let no_js_page = page_dir.with_file_name("no-js.html");
    std::fs::write(&no_js_page, &no_js).expect("write");
    let no_js_rel = no_js_page
        .strip_prefix(dir.path())
        .expect("inside")
        .display()
        .to_string();
    let dom = dump(&no_js_rel, "");
    assert_eq!(body_rows(&dom).len(), body_rows(html).len(), "{page}");
    assert!(dom.contains("<form class=\"filter\" hidden"), "{page}");
    assert_eq!(attr(&dom, "data-shown"), None, "no script ran");

    // Pictures for a person: the index, a release, an image with triaged findings.
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    for (name, page) in [
        ("index", "index.html".to_string()),
        ("release", release_path("v2.6")),
        ("image", image_path("v2.6", "rancher/tools:1.0")),
        ("hostile", image_path(BETA, &evil_reference())),
        ("image-no-js", no_js_rel.clone()),
    ] {
        let png = shots.join(format!("drydock-site-{name}.png"));
        let _ = std::fs::remove_file(&png);
        let (_, console) = headless(
            &chromium,
            &profile,
            &[
                "--window-size=1280,1000".to_string(),
                format!("--screenshot={}", png.display()),
            ],
            &url(&page),
        );
        assert!(console.is_empty(), "{page}: {console:#?}");
        let bytes = std::fs::read(&png).expect("a screenshot");
        assert!(bytes.starts_with(b"\x89PNG"), "{name}: a PNG");
        eprintln!("screenshot: {}", png.display());
    }
}
