//! The rules around the scenario: bad tokens and repositories, rate limits, pagination on each
//! dialect, damaged markers, duplicates, labels a human removed, issues a human closed, the body
//! limit, a forge failing mid-sync.

use std::time::Instant;

use drydock_forge::body::{END, Marker, sha256_hex};
use drydock_forge::forge::{ForgeConfig, ForgeKind, connect};
use drydock_forge::sync::{self, Reopen, SyncOptions};
use drydock_forge::{NoTriage, Pacing, Token};
use drydock_store::Store;

use crate::fake::{BOT, Dialect, Fake, TOKEN};
use crate::history::{Img, run, store};
use crate::sync::forge_for;

const APP: &str = "registry.example/team/app:1.0";

fn one_run(s: &mut Store, id: &str, at: i64, findings: &[crate::history::F<'_>]) {
    run(s, id, at, &[Img::Ok(APP, &["v1"], findings)]);
}

fn sync_once(s: &mut Store, fake: &Fake, opts: &SyncOptions) -> (sync::Plan, sync::Applied) {
    let mut f = forge_for(fake, TOKEN);
    let plan = sync::plan_run(s, "latest", f.as_mut(), &NoTriage, opts).expect("plan");
    let applied = sync::apply(&plan, f.as_mut()).expect("apply");
    (plan, applied)
}

const HIGH: crate::history::F<'static> = ("CVE-2024-0001", "openssl", "3.0", None, "HIGH");
const CRIT: crate::history::F<'static> = ("CVE-2024-0002", "zlib1g", "1.2", None, "CRITICAL");

#[test]
fn refusals_name_the_repository_and_permission_never_the_token() {
    for dialect in [Dialect::Github, Dialect::Gitlab, Dialect::Gitea] {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = store(&dir);
        one_run(&mut s, "r1", 1, &[HIGH]);
        let fake = Fake::start(dialect);
        // Read-only token: the write is refused.
        let mut f = forge_for(&fake, "read-only-token");
        let plan = sync::plan_run(
            &mut s,
            "latest",
            f.as_mut(),
            &NoTriage,
            &SyncOptions::default(),
        )
        .expect("reading is allowed");
        let e = sync::apply(&plan, f.as_mut()).expect_err("403").to_string();
        assert!(e.contains("org/cve-reports") && e.contains("403"), "{e}");
        assert!(
            e.contains("write") || e.contains("api"),
            "names the permission: {e}"
        );
        assert!(!e.contains("read-only-token"));
        // Unknown token.
        let mut f = forge_for(&fake, "wrong-token-value");
        let e = sync::plan_run(
            &mut s,
            "latest",
            f.as_mut(),
            &NoTriage,
            &SyncOptions::default(),
        )
        .expect_err("401")
        .to_string();
        assert!(e.contains("401") && !e.contains("wrong-token-value"), "{e}");
        // A repository that does not exist.
        let kind = match dialect {
            Dialect::Github => ForgeKind::Github,
            Dialect::Gitlab => ForgeKind::Gitlab,
            Dialect::Gitea => ForgeKind::Gitea,
        };
        let mut f = connect(&ForgeConfig {
            kind,
            repository: "org/missing".into(),
            url: Some(fake.base.clone()),
            token: Some(Token::new(TOKEN)),
            pacing: Some(Pacing::FAST),
        })
        .expect("forge");
        let e = sync::plan_run(
            &mut s,
            "latest",
            f.as_mut(),
            &NoTriage,
            &SyncOptions::default(),
        )
        .expect_err("404")
        .to_string();
        assert!(
            e.contains("org/missing") && e.contains("404") && !e.contains(TOKEN),
            "{e}"
        );
        assert_eq!(e.lines().count(), 1, "one line: {e}");
    }
}

#[test]
fn rate_limits_are_waited_out() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = store(&dir);
    one_run(&mut s, "r1", 1, &[HIGH]);
    let fake = Fake::start(Dialect::Github);
    fake.inject(
        429,
        &[("retry-after", "1")],
        r#"{"message":"You have exceeded a secondary rate limit"}"#,
    );
    let reset = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 1)
    .to_string();
    fake.inject(
        403,
        &[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", reset.as_str()),
        ],
        r#"{"message":"API rate limit exceeded"}"#,
    );
    let t = Instant::now();
    let (_, applied) = sync_once(&mut s, &fake, &SyncOptions::default());
    assert!(t.elapsed().as_millis() >= 1000, "waited for Retry-After");
    assert!(applied.stats.waits >= 2, "{:?}", applied.stats);
    assert_eq!(applied.created.len(), 1);
    assert_eq!(fake.issues().len(), 1, "no duplicate from the retries");
}

#[test]
fn github_writes_are_spaced() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = store(&dir);
    one_run(&mut s, "r1", 1, &[HIGH]);
    let fake = Fake::start(Dialect::Github);
    let mut f = connect(&ForgeConfig {
        kind: ForgeKind::Github,
        repository: "org/cve-reports".into(),
        url: Some(fake.base.clone()),
        token: Some(Token::new(TOKEN)),
        pacing: Some(Pacing {
            write_spacing: std::time::Duration::from_millis(300),
            ..Pacing::FAST
        }),
    })
    .expect("forge");
    let plan = sync::plan_run(
        &mut s,
        "latest",
        f.as_mut(),
        &NoTriage,
        &SyncOptions::default(),
    )
    .expect("plan");
    let t = Instant::now();
    let applied = sync::apply(&plan, f.as_mut()).expect("apply");
    // 3 labels + 1 issue = 4 writes, 3 gaps of 300 ms.
    assert_eq!(applied.stats.writes, 4);
    assert!(t.elapsed().as_millis() >= 900, "{:?}", t.elapsed());
}

#[test]
fn pagination_on_every_dialect_and_pull_requests_skipped() {
    for dialect in [Dialect::Github, Dialect::Gitlab, Dialect::Gitea] {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = store(&dir);
        one_run(&mut s, "r1", 1, &[HIGH]);
        let fake = Fake::start(dialect);
        sync_once(&mut s, &fake, &SyncOptions::default());
        // 230 more issues and PRs by the bot with the label: ours is on a later page.
        for i in 0..230 {
            fake.seed(&format!("other {i}"), "", BOT, &["cve-report"], i % 3 == 0);
        }
        fake.clear_log();
        one_run(&mut s, "r2", 2, &[HIGH, CRIT]);
        let (plan, applied) = sync_once(&mut s, &fake, &SyncOptions::default());
        assert_eq!(plan.summary(), "update 1", "{dialect:?}");
        assert_eq!(
            applied.created.len(),
            0,
            "found across pages, not duplicated"
        );
        let reqs = fake.requests();
        match dialect {
            Dialect::Github => assert!(
                reqs.iter().any(|r| r.path == "/repositories/1000/issues"),
                "followed Link to another path"
            ),
            _ => assert!(reqs.iter().any(|r| r.query.contains("page=2"))),
        }
    }
}

#[test]
fn a_link_to_another_origin_is_not_followed() {
    let fake = Fake::start(Dialect::Github);
    fake.inject(
        200,
        &[("link", "<http://127.0.0.2:9/steal?page=2>; rel=\"next\"")],
        "[]",
    );
    let mut f = forge_for(&fake, TOKEN);
    let e = f
        .list_issues(Some("cve-report"), BOT)
        .expect_err("refused")
        .to_string();
    assert!(e.contains("origin"), "{e}");
    assert!(!e.contains(TOKEN));
}

#[test]
fn damaged_markers_are_left_alone_and_not_duplicated() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = store(&dir);
    one_run(&mut s, "r1", 1, &[HIGH]);
    let fake = Fake::start(Dialect::Github);
    sync_once(&mut s, &fake, &SyncOptions::default());
    let n = fake.issues()[0].number;
    fake.edit(n, |i| i.body = i.body.replace(END, "(deleted)"));
    let before = fake.issue(n).body;
    one_run(&mut s, "r2", 2, &[HIGH, CRIT]);
    fake.clear_log();
    let (plan, applied) = sync_once(&mut s, &fake, &SyncOptions::default());
    assert_eq!(plan.summary(), "warn 1");
    assert_eq!(applied.warnings.len(), 1);
    assert_eq!(fake.writes(), 0);
    assert_eq!(fake.issue(n).body, before);
    assert_eq!(fake.issues().len(), 1);
}

#[test]
fn duplicates_keep_the_oldest() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = store(&dir);
    one_run(&mut s, "r1", 1, &[HIGH]);
    let fake = Fake::start(Dialect::Github);
    sync_once(&mut s, &fake, &SyncOptions::default());
    let first = fake.issues()[0].clone();
    // A second issue with the same marker by the bot (e.g. a crashed earlier sync).
    let dup = fake.seed(&first.title, &first.body, BOT, &["cve-report"], false);
    // And a pasted marker by a human: never ours.
    let pasted = fake.seed(&first.title, &first.body, "alice", &["cve-report"], false);
    let (plan, _) = sync_once(&mut s, &fake, &SyncOptions::default());
    assert_eq!(plan.summary(), "close 1, unchanged 1", "{:#?}", plan.steps);
    let d = fake.issue(dup);
    assert_eq!(
        (d.state.as_str(), d.state_reason.as_deref()),
        ("closed", Some("duplicate"))
    );
    assert!(d.body.contains(&format!("Duplicate of #{}", first.number)));
    assert_eq!(fake.issue(first.number).state, "open");
    assert_eq!(fake.issue(pasted).state, "open");
    let (plan, _) = sync_once(&mut s, &fake, &SyncOptions::default());
    assert_eq!(plan.summary(), "unchanged 1");
}

#[test]
fn a_label_a_human_removed_is_restored_without_a_new_issue() {
    for dialect in [Dialect::Github, Dialect::Gitlab, Dialect::Gitea] {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = store(&dir);
        one_run(&mut s, "r1", 1, &[HIGH]);
        let fake = Fake::start(dialect);
        sync_once(&mut s, &fake, &SyncOptions::default());
        let n = fake.issues()[0].number;
        fake.edit(n, |i| i.labels.clear());
        let (plan, _) = sync_once(&mut s, &fake, &SyncOptions::default());
        assert_eq!(plan.summary(), "update 1", "{dialect:?}");
        assert_eq!(fake.issues().len(), 1);
        assert!(
            fake.issue(n).labels.contains(&"cve-report".to_string()),
            "{dialect:?}"
        );
    }
}

#[test]
fn an_issue_a_human_closed_stays_closed_unless_asked() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = store(&dir);
    one_run(&mut s, "r1", 1, &[HIGH]);
    let fake = Fake::start(Dialect::Github);
    sync_once(&mut s, &fake, &SyncOptions::default());
    let n = fake.issues()[0].number;
    fake.edit(n, |i| i.state = "closed".into());
    let (plan, _) = sync_once(&mut s, &fake, &SyncOptions::default());
    assert_eq!(plan.summary(), "skip 1");
    assert_eq!(fake.issue(n).state, "closed");
    let always = SyncOptions {
        reopen: Reopen::Always,
        ..SyncOptions::default()
    };
    let (plan, _) = sync_once(&mut s, &fake, &always);
    assert_eq!(plan.summary(), "reopen 1");
    assert_eq!(fake.issue(n).state, "open");
    // drydock closes it as clean; findings come back: reopened by default.
    one_run(&mut s, "r2", 2, &[]);
    sync_once(&mut s, &fake, &SyncOptions::default());
    assert_eq!(fake.issue(n).state, "closed");
    one_run(&mut s, "r3", 3, &[CRIT]);
    let (plan, _) = sync_once(&mut s, &fake, &SyncOptions::default());
    assert_eq!(plan.summary(), "reopen 1");
    assert_eq!(fake.issue(n).state, "open");
}

#[test]
fn a_huge_table_fits_the_65536_character_limit() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = store(&dir);
    let ids: Vec<String> = (0..3000).map(|i| format!("CVE-2024-{i:05}")).collect();
    let findings: Vec<crate::history::F<'_>> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            (
                id.as_str(),
                "libverylongpackagename-common",
                "1.2.3-4+deb12u1",
                Some("1.2.3-4+deb12u2"),
                if i % 10 == 0 { "CRITICAL" } else { "MEDIUM" },
            )
        })
        .collect();
    one_run(&mut s, "r1", 1, &findings);
    let fake = Fake::start(Dialect::Github);
    let (_, applied) = sync_once(&mut s, &fake, &SyncOptions::default());
    assert_eq!(applied.created.len(), 1, "{:?}", applied.failed);
    let body = fake.issues()[0].body.clone();
    assert!(body.chars().count() <= 65_536, "{}", body.chars().count());
    assert!(body.contains("## Notes"), "notes survive");
    assert!(body.contains("row(s) omitted"));
    assert_eq!(
        body.matches("| CRITICAL |").count(),
        300,
        "every CRITICAL kept"
    );
}

#[test]
fn a_forge_failing_mid_sync_converges_on_the_next_sync() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = store(&dir);
    run(
        &mut s,
        "r1",
        1,
        &[
            Img::Ok(APP, &["v1"], &[HIGH]),
            Img::Ok("registry.example/team/db:1", &["v1"], &[CRIT]),
        ],
    );
    let fake = Fake::start(Dialect::Github);
    let mut f = forge_for(&fake, TOKEN);
    let plan = sync::plan_run(
        &mut s,
        "latest",
        f.as_mut(),
        &NoTriage,
        &SyncOptions::default(),
    )
    .expect("plan");
    // The label listing passes; the first create gets a 500.
    fake.inject(200, &[], "[]");
    fake.inject(201, &[], r#"{"id":1,"name":"critical-cves"}"#);
    fake.inject(201, &[], r#"{"id":2,"name":"cve-report"}"#);
    fake.inject(201, &[], r#"{"id":3,"name":"cve/chart-app"}"#);
    fake.inject(201, &[], r#"{"id":4,"name":"cve/v1"}"#);
    fake.inject(500, &[], r#"{"message":"Server Error"}"#);
    let applied = sync::apply(&plan, f.as_mut()).expect("other steps go on");
    assert_eq!(applied.failed.len(), 1, "{applied:?}");
    assert_eq!(fake.issues().len(), 1);
    let (_, applied) = sync_once(&mut s, &fake, &SyncOptions::default());
    assert!(applied.failed.is_empty());
    assert_eq!(fake.issues().len(), 2, "converged, nothing duplicated");
    let keys: Vec<String> = fake
        .issues()
        .iter()
        .filter_map(|i| Marker::find(&i.body).map(|m| m.key))
        .collect();
    assert!(keys.contains(&sha256_hex("registry.example/team/app")));
}
