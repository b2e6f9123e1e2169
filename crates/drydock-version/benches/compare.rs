//! How fast `compare` and range checks are, per scheme, on typical versions.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use drydock_version::{RangeEvent, Scheme, compare, in_native_range, in_osv_range};

const PAIRS: [(Scheme, &str, &str); 11] = [
    (Scheme::Dpkg, "1:2.36-9+deb12u3", "1:2.36-9+deb12u4"),
    (Scheme::Rpm, "1:3.0.7-27.el9_2", "1:3.0.7-27.el9_3"),
    (Scheme::Apk, "1.36.1-r5", "1.36.1_rc2-r7"),
    (Scheme::Semver, "1.2.3-alpha.1", "1.2.3"),
    (Scheme::Npm, "4.17.21", "4.17.20"),
    (Scheme::Pep440, "2.31.0.post1", "2.31.0rc1"),
    (Scheme::Maven, "2.13.4.2", "2.13.4-SNAPSHOT"),
    (Scheme::Go, "v0.0.0-20220722155217-630584e8d5aa", "v0.1.0"),
    (Scheme::Gem, "7.0.4.3", "7.0.4.rc1"),
    (Scheme::Nuget, "13.0.1", "13.0.3-beta1"),
    (Scheme::Composer, "v5.4.22", "5.4.22-RC1"),
];

fn bench_compare(c: &mut Criterion) {
    let mut g = c.benchmark_group("compare");
    for (scheme, a, b) in PAIRS {
        g.bench_function(scheme.as_str(), |bench| {
            bench.iter(|| compare(black_box(scheme), black_box(a), black_box(b)))
        });
    }
    g.finish();
}

fn bench_ranges(c: &mut Criterion) {
    let mut g = c.benchmark_group("range");
    let events = [
        RangeEvent::Introduced("0".into()),
        RangeEvent::Fixed("2.36-9+deb12u4".into()),
        RangeEvent::Introduced("2.37-1".into()),
        RangeEvent::Fixed("2.37-3".into()),
    ];
    g.bench_function("osv deb 2 pairs", |b| {
        b.iter(|| {
            in_osv_range(
                Scheme::Dpkg,
                black_box("2.36-9+deb12u3"),
                black_box(&events),
            )
        })
    });
    let natives = [
        (Scheme::Npm, "4.17.20", ">=4.0.0 <4.17.21 || ^3.10"),
        (Scheme::Pep440, "2.31.0", ">=2.0,<2.32.0,!=2.30.*"),
        (Scheme::Maven, "2.13.4.2", "[2.13.0,2.13.4.2),[2.14,)"),
        (
            Scheme::Dpkg,
            "2.36-9+deb12u3",
            ">= 2.36-1, << 2.36-9+deb12u4",
        ),
    ];
    for (scheme, v, r) in natives {
        g.bench_function(format!("native {scheme}"), |b| {
            b.iter(|| in_native_range(black_box(scheme), black_box(v), black_box(r)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_compare, bench_ranges);
criterion_main!(benches);
