//! A fleet of 10,000 images synced to the fake forge (issue 16, "Bad input: 10,000 images"):
//! the listing is paginated, the client keeps within the primary rate limit by waiting for its
//! reset, and a second sync of the same run reads one page per 100 issues and writes nothing.
//! Everything is counted in requests; nothing is timed.

use drydock_forge::sync::{self, SyncOptions};
use drydock_forge::{Forge, NoTriage};

use crate::fake::{BOT, Dialect, Fake, TOKEN};
use crate::history::{F, Img, run, store};
use crate::sync::forge_for;

const IMAGES: usize = 10_000;

/// The fleet: image `i` has one finding, CRITICAL for every tenth image, else HIGH; one image
/// in a hundred is clean (no issue).
fn fleet(store: &mut drydock_store::Store) -> usize {
    let refs: Vec<String> = (0..IMAGES)
        .map(|i| format!("registry.example/fleet/svc-{i:05}:1.{}", i % 7))
        .collect();
    let ids: Vec<String> = (0..IMAGES)
        .map(|i| format!("CVE-2026-{:05}", i % 977))
        .collect();
    let critical: [F<'_>; 1] = [("CVE-2026-99999", "openssl", "3.0.11-1", None, "CRITICAL")];
    let findings: Vec<[F<'_>; 1]> = (0..IMAGES)
        .map(|i| {
            if i % 10 == 0 {
                critical
            } else {
                [(
                    ids[i].as_str(),
                    "zlib1g",
                    "1:1.2.13",
                    Some("1:1.2.13.dfsg-1"),
                    "HIGH",
                )]
            }
        })
        .collect();
    let images: Vec<Img<'_>> = (0..IMAGES)
        .map(|i| {
            let f: &[F<'_>] = if i % 100 == 99 { &[] } else { &findings[i] };
            Img::Ok(&refs[i], &["v2.6"], f)
        })
        .collect();
    run(store, "r1", 1000, &images);
    images
        .iter()
        .filter(|i| matches!(i, Img::Ok(_, _, f) if !f.is_empty()))
        .count()
}

/// Plans and applies run `r1` with a fresh client.
fn sync_r1(store: &mut drydock_store::Store, fake: &Fake) -> (sync::Plan, sync::Applied) {
    let mut forge: Box<dyn Forge> = forge_for(fake, TOKEN);
    let plan = sync::plan_run(
        store,
        "r1",
        forge.as_mut(),
        &NoTriage,
        &SyncOptions::default(),
    )
    .expect("plan");
    let applied = sync::apply(&plan, forge.as_mut()).expect("apply");
    assert!(applied.failed.is_empty(), "{:?}", applied.failed.first());
    (plan, applied)
}

fn scale(dialect: Dialect, per_page: usize) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = store(&dir);
    let with_findings = fleet(&mut store);
    let fake = Fake::start(dialect);
    if dialect == Dialect::Github {
        fake.rate_limit(4_000);
    }

    // First sync: one issue per image with findings.
    let (plan, applied) = sync_r1(&mut store, &fake);
    assert_eq!(
        plan.summary(),
        format!("create {with_findings}, skip {}", IMAGES - with_findings)
    );
    assert_eq!(applied.created.len(), with_findings);
    let ours = fake.issues().iter().filter(|i| i.author == BOT).count();
    assert_eq!(ours, with_findings, "one issue per image, no duplicates");

    // The primary limit: used up at least twice, waited out each time, never exceeded.
    if dialect == Dialect::Github {
        let st = fake.lock();
        let w = st.rate.as_ref().expect("rate limit on");
        assert!(
            w.exhausted >= 2,
            "the limit was reached {} time(s)",
            w.exhausted
        );
        assert_eq!(st.refused, 0, "a request went over the primary limit");
        assert!(applied.stats.waits >= w.exhausted, "{:?}", applied.stats);
    }

    // Second sync, nothing changed: the listing only, page by page, and zero writes.
    fake.clear_log();
    let (plan, applied) = sync_r1(&mut store, &fake);
    assert_eq!(
        plan.summary(),
        format!("unchanged {with_findings}, skip {}", IMAGES - with_findings)
    );
    let log = fake.requests();
    assert_eq!(log.iter().filter(|r| r.is_write()).count(), 0);
    assert_eq!(applied.stats.writes, 0);
    let lists: Vec<_> = log
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/issues"))
        .collect();
    let pages = with_findings.div_ceil(per_page);
    assert_eq!(lists.len(), pages, "one request per page of the listing");
    // Pages 1..=N, each asked once, every one at the page size (bounded answers).
    let mut seen: Vec<usize> = lists
        .iter()
        .map(|r| {
            r.query
                .split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .map_or(1, |p| p.parse().expect("page number"))
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (1..=pages).collect::<Vec<_>>());
    let size_param = if dialect == Dialect::Gitea {
        "limit"
    } else {
        "per_page"
    };
    assert!(
        lists
            .iter()
            .all(|r| r.query.contains(&format!("{size_param}={per_page}"))),
        "every page asks for {per_page} items"
    );
    if dialect == Dialect::Github {
        assert!(
            lists[1..]
                .iter()
                .all(|r| r.path == "/repositories/1000/issues"),
            "GitHub's next links (another path) are followed"
        );
    }
    // The user, then the pages: nothing per issue.
    assert_eq!(
        log.len(),
        1 + pages,
        "requests of a sync with nothing to do"
    );
}

#[test]
fn ten_thousand_images_github() {
    scale(Dialect::Github, 100);
}

#[test]
fn ten_thousand_images_gitlab() {
    scale(Dialect::Gitlab, 100);
}
