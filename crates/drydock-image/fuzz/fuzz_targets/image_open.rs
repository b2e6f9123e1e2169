//! The whole image-open path on arbitrary bytes written to a file: compression sniffing,
//! archive indexing, docker-archive / OCI archive / rootfs detection (or the kind the first
//! byte forces), manifests, nested indexes, and the layer walk with its merge and link
//! resolution.
#![no_main]

use drydock_image::InputKind;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let kind = match first % 4 {
        0 => None,
        1 => Some(InputKind::DockerArchive),
        2 => Some(InputKind::Oci),
        _ => Some(InputKind::Rootfs),
    };
    let path = std::env::temp_dir().join(format!("drydock-fuzz-{}.tar", std::process::id()));
    if std::fs::write(&path, rest).is_err() {
        return;
    }
    if let Some(p) = path.to_str() {
        let _ = drydock_image::fuzzing::open_and_scan(p, kind);
    }
});
