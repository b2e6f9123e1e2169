//! Per-package lookup latency on a DB built from `../shared/data/advisories`.
//! Run: `cargo bench -p drydock-advisory --bench lookup`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use drydock_advisory::{Db, FeedKey};

fn shared() -> PathBuf {
    match std::env::var_os("DRYDOCK_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

fn lookups(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("drydock.db");
    drydock_advisory::build(&[shared().join("data/advisories")], &path).expect("build");
    let db = Db::open(&path).expect("open");
    let pypi = FeedKey::language("PyPI");
    let go = FeedKey::language("Go");
    let alpine = FeedKey::distro("alpine", "3.10");
    let mut g = c.benchmark_group("affected");
    g.bench_function("pypi django (hit, many records)", |b| {
        b.iter(|| {
            db.affected(black_box(&pypi), black_box("Django"))
                .expect("lookup")
        })
    });
    g.bench_function("go stdlib (hit, many records)", |b| {
        b.iter(|| {
            db.affected(black_box(&go), black_box("stdlib"))
                .expect("lookup")
        })
    });
    g.bench_function("alpine 3.10 openssl (hit)", |b| {
        b.iter(|| {
            db.affected(black_box(&alpine), black_box("openssl"))
                .expect("lookup")
        })
    });
    g.bench_function("pypi miss", |b| {
        b.iter(|| {
            db.affected(black_box(&pypi), black_box("no-such-package"))
                .expect("lookup")
        })
    });
    g.finish();
    c.bench_function("aliases", |b| {
        b.iter(|| db.aliases(black_box("CVE-2023-24329")).expect("lookup"))
    });
    c.bench_function("cvss_for", |b| {
        b.iter(|| db.cvss_for(black_box("CVE-2016-8859")).expect("lookup"))
    });
}

criterion_group!(benches, lookups);
criterion_main!(benches);
