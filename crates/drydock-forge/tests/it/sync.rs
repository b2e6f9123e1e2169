//! The "Must show" scenario on all three dialects: three runs in which findings appear, change
//! and disappear, one image fails in run 2, one leaves the fleet in run 3; exact issue states
//! and write counts; notes kept; a second sync writes nothing.

use drydock_forge::forge::{ForgeConfig, ForgeKind, connect};
use drydock_forge::sync::{self, SyncOptions};
use drydock_forge::{Forge, NoTriage, Pacing, Token};

use crate::fake::{BOT, Dialect, Fake, TOKEN};
use crate::history::{Img, run, store};

pub fn forge_for(fake: &Fake, token: &str) -> Box<dyn Forge> {
    let kind = match fake.lock().dialect {
        Dialect::Github => ForgeKind::Github,
        Dialect::Gitlab => ForgeKind::Gitlab,
        Dialect::Gitea => ForgeKind::Gitea,
    };
    connect(&ForgeConfig {
        kind,
        repository: "org/cve-reports".into(),
        url: Some(fake.base.clone()),
        token: Some(Token::new(token)),
        pacing: Some(Pacing::FAST),
    })
    .expect("forge")
}

const APP: &str = "registry.example/team/app:1.0";
const DB: &str = "registry.example/team/db:2.0";
const WEB: &str = "registry.example/team/web:3.0";

fn sync_run(store: &mut drydock_store::Store, fake: &Fake, sel: &str) -> (sync::Plan, usize) {
    let mut forge = forge_for(fake, TOKEN);
    let before = fake.writes();
    let plan = sync::plan_run(
        store,
        sel,
        forge.as_mut(),
        &NoTriage,
        &SyncOptions::default(),
    )
    .expect("plan");
    assert_eq!(fake.writes(), before, "planning never writes");
    let applied = sync::apply(&plan, forge.as_mut()).expect("apply");
    assert!(applied.failed.is_empty(), "{:?}", applied.failed);
    assert_eq!(
        applied.stats.writes,
        fake.writes() - before,
        "the client counts what the server saw"
    );
    (plan, fake.writes() - before)
}

fn scenario(dialect: Dialect) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = store(&dir);
    let fake = Fake::start(dialect);
    // Someone else's issue and a pull request in the same repository: never touched.
    let foreign = fake.seed(
        "[CVE Report]: registry.example/team/app:1.0",
        "copied by hand",
        "alice",
        &["cve-report"],
        false,
    );
    fake.seed("Bump deps", "a PR", BOT, &["cve-report"], true);

    // Run 1: app has a HIGH and a CRITICAL, db a MEDIUM, web nothing.
    run(
        &mut store,
        "r1",
        1000,
        &[
            Img::Ok(
                APP,
                &["v2.6"],
                &[
                    ("CVE-2024-0001", "openssl", "3.0.11-1", None, "HIGH"),
                    (
                        "CVE-2024-0002",
                        "zlib1g",
                        "1:1.2.13",
                        Some("1:1.2.13.dfsg-1"),
                        "CRITICAL",
                    ),
                ],
            ),
            Img::Ok(
                DB,
                &["v2.6"],
                &[("CVE-2023-0003", "libpq5", "15.3", None, "MEDIUM")],
            ),
            Img::Ok(WEB, &["v2.6"], &[]),
        ],
    );
    let (plan, writes) = sync_run(&mut store, &fake, "r1");
    assert_eq!(plan.summary(), "create 2, skip 1", "{:#?}", plan.steps);
    // Labels: cve-report exists already (seeded); critical-cves, cve/v2.6, cve/chart-app created.
    assert_eq!(writes, 2 + 3, "{:#?}", fake.requests());
    let app_issue = fake
        .issues()
        .into_iter()
        .find(|i| i.author == BOT && i.title == format!("[CVE Report]: {APP}"))
        .expect("app issue");
    assert_eq!(app_issue.state, "open");
    let mut labels = app_issue.labels.clone();
    labels.sort();
    assert_eq!(
        labels,
        ["critical-cves", "cve-report", "cve/chart-app", "cve/v2.6"]
    );
    // CRITICAL row first: a real severity order, not text order.
    let crit = app_issue.body.find("CVE-2024-0002").expect("row");
    let high = app_issue.body.find("CVE-2024-0001").expect("row");
    assert!(crit < high, "{}", app_issue.body);
    assert!(
        app_issue.body.contains(
            "| Vulnerability ID | Title | Package Name | Fixed Version | Severity | URL |"
        )
    );
    let db_issue = fake
        .issues()
        .into_iter()
        .find(|i| i.author == BOT && i.title == format!("[CVE Report]: {DB}"))
        .expect("db issue");
    assert!(
        !fake.issues().iter().any(|i| i.title.contains("web")),
        "a clean image gets no issue"
    );

    // A human writes notes in both issues.
    let notes = "\n- [x] asked upstream — ticket #42\r\n“unicode” stays\n";
    fake.edit(app_issue.number, |i| i.body.push_str(notes));
    fake.edit(db_issue.number, |i| {
        i.body = format!("Human preface.\n\n{}", i.body)
    });

    // The same run again: nothing changed, nothing written.
    let (plan, writes) = sync_run(&mut store, &fake, "r1");
    assert_eq!(writes, 0, "{}", plan.summary());
    assert_eq!(plan.summary(), "unchanged 2, skip 1");

    // Run 2: app's CRITICAL is gone and a LOW appears (the table changes, critical-cves goes);
    // db fails to scan; web gets a HIGH.
    run(
        &mut store,
        "r2",
        2000,
        &[
            Img::Ok(
                APP,
                &["v2.6"],
                &[
                    (
                        "CVE-2024-0001",
                        "openssl",
                        "3.0.11-1",
                        Some("3.0.13-1"),
                        "HIGH",
                    ),
                    ("CVE-2024-0009", "bash", "5.2-2", None, "LOW"),
                ],
            ),
            Img::Failed(DB, &["v2.6"], "pull: manifest unknown"),
            Img::Ok(
                WEB,
                &["v2.6"],
                &[("CVE-2024-0005", "curl", "7.88", Some("7.88.1-10"), "HIGH")],
            ),
        ],
    );
    let (plan, writes) = sync_run(&mut store, &fake, "latest");
    assert_eq!(
        plan.summary(),
        "create 1, update 1, skip 1",
        "{:#?}",
        plan.steps
    );
    // app: one update (body + labels in one call; Gitea replaces labels in a second call);
    // web: one create; db: nothing (its scan failed).
    let update_writes = if dialect == Dialect::Gitea { 2 } else { 1 };
    assert_eq!(writes, update_writes + 1, "{:#?}", fake.requests());
    let app2 = fake.issue(app_issue.number);
    assert_eq!(app2.state, "open");
    assert!(
        app2.body.ends_with(notes),
        "notes kept byte for byte: {:?}",
        app2.body
    );
    assert!(app2.body.contains("CVE-2024-0009") && !app2.body.contains("CVE-2024-0002"));
    assert!(
        !app2.labels.iter().any(|l| l == "critical-cves"),
        "{:?}",
        app2.labels
    );
    let db2 = fake.issue(db_issue.number);
    assert_eq!(db2.state, "open", "a failed scan never closes");
    assert!(db2.body.starts_with("Human preface.\n\n"));
    assert!(
        db2.body.contains("CVE-2023-0003"),
        "a failed scan never edits"
    );
    let (_, writes) = sync_run(&mut store, &fake, "latest");
    assert_eq!(writes, 0, "second sync of run 2 writes nothing");

    // Run 3: app is clean, db scans again with its old finding, web left the fleet.
    run(
        &mut store,
        "r3",
        3000,
        &[
            Img::Ok(APP, &["v2.6"], &[]),
            Img::Ok(
                DB,
                &["v2.6"],
                &[("CVE-2023-0003", "libpq5", "15.3", None, "MEDIUM")],
            ),
        ],
    );
    let (plan, writes) = sync_run(&mut store, &fake, "latest");
    assert_eq!(plan.summary(), "close 2, unchanged 1", "{:#?}", plan.steps);
    assert_eq!(writes, 2, "{:#?}", fake.requests());
    let web = fake
        .issues()
        .into_iter()
        .find(|i| i.author == BOT && i.title == format!("[CVE Report]: {WEB}"))
        .expect("web issue");
    let app3 = fake.issue(app_issue.number);
    assert_eq!(app3.state, "closed");
    assert!(app3.body.ends_with(notes));
    assert!(app3.body.contains("No vulnerabilities left"));
    assert_eq!(web.state, "closed");
    assert!(web.body.contains("no longer in the fleet"), "{}", web.body);
    if dialect == Dialect::Github {
        assert_eq!(app3.state_reason.as_deref(), Some("completed"));
    }
    // db: the same table as when it was last written (run 1): unchanged.
    let db3 = fake.issue(db_issue.number);
    assert_eq!(db3.state, "open");
    assert!(db3.body.starts_with("Human preface.\n\n"));
    let (plan, writes) = sync_run(&mut store, &fake, "latest");
    assert_eq!(
        writes,
        0,
        "second sync of run 3 writes nothing: {}",
        plan.summary()
    );

    // The foreign issue with a pasted-looking title was never touched; the PR never listed.
    let f = fake.issue(foreign);
    assert_eq!(f.body, "copied by hand");
    assert!(
        fake.requests().iter().all(|r| !r.path.contains("/search/")),
        "never the search API"
    );
}

#[test]
fn must_show_github() {
    scenario(Dialect::Github);
}

#[test]
fn must_show_gitlab() {
    scenario(Dialect::Gitlab);
}

#[test]
fn must_show_gitea() {
    scenario(Dialect::Gitea);
}
