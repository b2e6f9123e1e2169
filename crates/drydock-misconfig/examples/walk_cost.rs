//! What the misconfig/secret checks add to a layer walk that happens anyway: times a walk
//! whose visitor wants nothing (the floor every scan pays: read, inflate, hash) against
//! `scan_image` (the same walk with the misconfig visitor, plus the config). Medians of N runs.
//!
//!   cargo run --release -p drydock-misconfig --example walk_cost -- IMAGE [N]

use std::time::Instant;

use drydock_image::{FileMeta, FileVisitor};

struct Nothing;
impl FileVisitor for Nothing {
    type Output = ();
    fn wants(&self, _: &str, _: &FileMeta) -> bool {
        false
    }
    fn visit(&self, _: &str, _: &FileMeta, _: &[u8]) {}
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let image = args.next().ok_or("usage: walk_cost IMAGE [N]")?;
    let n: usize = args.next().map_or(Ok(7), |s| s.parse())?;
    let target = drydock_image::open(&image, &Default::default())?;
    let opts = drydock_misconfig::Options {
        image_path: Some(image.clone().into()),
        ..Default::default()
    };
    let (mut floor, mut full) = (Vec::new(), Vec::new());
    let mut findings = 0;
    for _ in 0..n {
        let t = Instant::now();
        target.scan(&Nothing)?;
        floor.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        findings = drydock_misconfig::scan_image(&target, &opts)?
            .findings
            .len();
        full.push(t.elapsed().as_secs_f64());
    }
    let (f, s) = (median(floor), median(full));
    println!(
        "{image}: walk {f:.3} s, walk + misconfig/secret {s:.3} s, added {:.3} s ({:+.0}% of the walk), {findings} findings",
        s - f,
        100.0 * (s - f) / f
    );
    Ok(())
}
