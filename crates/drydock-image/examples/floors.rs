//! The single-core floors of a cold layer walk (`bench/floors.sh` runs this): how long it takes
//! to inflate one gzip blob and to sha256 one file, the two steps that cannot be split across
//! cores. Prints medians of 7 runs.
//!
//!     cargo run --release -p drydock-image --example floors -- GZIP_BLOB FILE_TO_HASH

use std::io::Read;
use std::time::Instant;

use sha2::Digest as _;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(gz), Some(plain)) = (args.next(), args.next()) else {
        eprintln!("usage: floors GZIP_BLOB FILE_TO_HASH");
        std::process::exit(2);
    };
    let gz = std::fs::read(gz)?;
    let plain = std::fs::read(plain)?;
    let (mut inflate, mut hash) = (Vec::new(), Vec::new());
    let mut out = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    for _ in 0..7 {
        let t = Instant::now();
        let mut d = flate2::read::MultiGzDecoder::new(&gz[..]);
        out = 0;
        loop {
            let n = d.read(&mut buf)?;
            if n == 0 {
                break;
            }
            out += n as u64;
        }
        inflate.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(sha2::Sha256::digest(&plain));
        hash.push(t.elapsed().as_secs_f64());
    }
    println!(
        "inflate (flate2/zlib-rs) {} → {} bytes: {:.3} s",
        gz.len(),
        out,
        median(inflate)
    );
    println!("sha256 of {} bytes: {:.3} s", plain.len(), median(hash));
    Ok(())
}
